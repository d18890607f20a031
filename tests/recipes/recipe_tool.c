/* recipe_tool: one coord recipe participant for the kazoo cross-checks
 * (tests/recipes/test_kazoo.py, tests/integration/test_recipes_kazoo.py). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coord.h"
#include "coord_recipes.h"

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void note(const char *log, const char *what, const char *id)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dprintf(fd, "%s %s\n", what, id);
        close(fd);
    }
}

static int usage(void)
{
    fprintf(stderr,
            "usage: recipe_tool lock HOSTS PATH ID ROUNDS LOG\n"
            "       recipe_tool elect HOSTS PATH ID HOLD_MS LOG\n"
            "       recipe_tool hold|read|write HOSTS PATH ID MS\n"
            "       recipe_tool sem HOSTS PATH ID MAX ROUNDS HOLD_MS LOG\n"
            "       recipe_tool sem-holders HOSTS PATH\n"
            "       recipe_tool qput HOSTS PATH PRIORITY DATA...\n"
            "       recipe_tool qtake HOSTS PATH N TIMEOUT_MS [LOG]\n"
            "       recipe_tool qsize HOSTS PATH\n"
            "       recipe_tool barrier-create|barrier-remove HOSTS PATH\n"
            "       recipe_tool barrier-wait HOSTS PATH TIMEOUT_MS\n"
            "       recipe_tool dbarrier HOSTS PATH COUNT ID HOLD_MS LOG\n"
            "       recipe_tool counter-add HOSTS PATH DELTA ROUNDS\n"
            "       recipe_tool counter-get HOSTS PATH\n"
            "       recipe_tool party-join HOSTS PATH ID HOLD_MS\n"
            "       recipe_tool party-members HOSTS PATH\n");
    return 2;
}

static void print_strings(struct coord_strings *ids)
{
    for (int32_t i = 0; i < ids->count; i++)
        printf("%s\n", ids->data[i]);
    coord_recipes_strings_free(ids);
}

/* The newer commands; 1 if cmd is not one of them (or argc is wrong). */
static int more(struct coord *c, int argc, char **argv)
{
    const char *cmd = argv[1], *path = argv[3];
    struct coord_strings *ids = NULL;
    int rc;
    if (strcmp(cmd, "sem") == 0 && argc == 9) {
        const char *id = argv[4], *log = argv[8];
        int rounds = atoi(argv[6]), hold = atoi(argv[7]);
        struct coord_semaphore *sem = NULL;
        rc = coord_semaphore_new(c, path, id, atoi(argv[5]), &sem);
        for (int i = 0; i < rounds && rc == 0; i++) {
            if ((rc = coord_semaphore_acquire(sem, 30000)) != 0)
                break;
            note(log, "enter", id);
            pause_ms(hold);
            note(log, "exit", id);
            rc = coord_semaphore_release(sem);
        }
        if (sem)
            coord_semaphore_free(sem);
        return rc;
    }
    if (strcmp(cmd, "sem-holders") == 0 && argc == 4) {
        if ((rc = coord_semaphore_holders(c, path, &ids)) == 0)
            print_strings(ids);
        return rc;
    }
    if (strcmp(cmd, "qput") == 0 && argc >= 6) {
        rc = 0;
        for (int i = 5; i < argc && rc == 0; i++)
            rc = coord_queue_put(c, path, argv[i], (int32_t)strlen(argv[i]),
                                 atoi(argv[4]));
        return rc;
    }
    if (strcmp(cmd, "qtake") == 0 && (argc == 6 || argc == 7)) {
        int n = atoi(argv[4]);
        rc = 0;
        for (int i = 0; i < n && rc == 0; i++) {
            char *data = NULL;
            int32_t len;
            rc = coord_queue_take(c, path, atoi(argv[5]), &data, &len);
            if (rc == 0) {
                printf("%s\n", data ? data : "");
                fflush(stdout);
                if (argc == 7)
                    note(argv[6], "took", data ? data : "");
            }
            free(data);
        }
        return rc;
    }
    if (strcmp(cmd, "qsize") == 0 && argc == 4) {
        int32_t n = 0;
        if ((rc = coord_queue_size(c, path, &n)) == 0)
            printf("%d\n", (int)n);
        return rc;
    }
    if (strcmp(cmd, "barrier-create") == 0 && argc == 4)
        return coord_barrier_create(c, path);
    if (strcmp(cmd, "barrier-remove") == 0 && argc == 4)
        return coord_barrier_remove(c, path);
    if (strcmp(cmd, "barrier-wait") == 0 && argc == 5) {
        printf("waiting\n");
        fflush(stdout);
        rc = coord_barrier_wait(c, path, atoi(argv[4]));
        if (rc == 0)
            printf("released\n");
        return rc;
    }
    if (strcmp(cmd, "dbarrier") == 0 && argc == 8) {
        const char *id = argv[5], *log = argv[7];
        struct coord_dbarrier *b;
        rc = coord_dbarrier_new(c, path, atoi(argv[4]), id, &b);
        if (rc)
            return rc;
        note(log, "arrive", id);
        if ((rc = coord_dbarrier_enter(b, 30000)) == 0) {
            note(log, "entered", id);
            pause_ms(atoi(argv[6]));
            note(log, "leaving", id);
            if ((rc = coord_dbarrier_leave(b, 30000)) == 0)
                note(log, "left", id);
        }
        coord_dbarrier_free(b);
        return rc;
    }
    if (strcmp(cmd, "counter-add") == 0 && argc == 6) {
        int rounds = atoi(argv[5]);
        rc = 0;
        for (int i = 0; i < rounds && rc == 0; i++)
            rc = coord_counter_add(c, path, atoll(argv[4]), NULL);
        return rc;
    }
    if (strcmp(cmd, "counter-get") == 0 && argc == 4) {
        int64_t v;
        if ((rc = coord_counter_get(c, path, &v, NULL)) == 0)
            printf("%lld\n", (long long)v);
        return rc;
    }
    if (strcmp(cmd, "party-join") == 0 && argc == 6) {
        struct coord_member *m;
        if ((rc = coord_group_join(c, path, argv[4], &m)) != 0)
            return rc;
        printf("joined\n");
        fflush(stdout);
        pause_ms(atoi(argv[5]));
        return coord_group_leave(m);
    }
    if (strcmp(cmd, "party-members") == 0 && argc == 4) {
        if ((rc = coord_group_members(c, path, &ids)) == 0)
            print_strings(ids);
        return rc;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    const char *cmd = argv[1], *path = argv[3];
    const char *id = argc > 4 ? argv[4] : "";
    int n = argc > 5 ? atoi(argv[5]) : 0;
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = argv[2];
    o.session_timeout_ms = 4000;
    struct coord *c;
    int rc = coord_new(&o, &c);
    if (rc == 0)
        rc = coord_start_thread(c);
    if (rc) {
        fprintf(stderr, "recipe_tool: %s\n", coord_strerror(rc));
        return 1;
    }
    if ((rc = more(c, argc, argv)) != 1) {
        /* done */
    } else if (strcmp(cmd, "lock") == 0 && argc == 7) {
        struct coord_lock *l;
        rc = coord_lock_new(c, path, id, &l);
        for (int i = 0; i < n && rc == 0; i++) {
            if ((rc = coord_lock_acquire(l, 30000)) != 0)
                break;
            note(argv[6], "enter", id);
            pause_ms(10);
            note(argv[6], "exit", id);
            rc = coord_lock_release(l);
        }
        if (rc == 0)
            coord_lock_free(l);
    } else if (strcmp(cmd, "elect") == 0 && argc == 7) {
        struct coord_latch *l;
        rc = coord_latch_new(c, path, id, &l);
        if (rc == 0)
            rc = coord_latch_start(l);
        if (rc == 0)
            rc = coord_latch_await(l, 30000);
        if (rc == 0) {
            note(argv[6], "enter", id);
            pause_ms(n);
            note(argv[6], "exit", id);
        }
        coord_latch_free(l);
    } else if (argc == 6 && (strcmp(cmd, "hold") == 0 ||
                             strcmp(cmd, "read") == 0 ||
                             strcmp(cmd, "write") == 0)) {
        struct coord_lock *l;
        if (cmd[0] == 'h')
            rc = coord_lock_new(c, path, id, &l);
        else if (cmd[0] == 'r')
            rc = coord_rwlock_new_read(c, path, id, &l);
        else
            rc = coord_rwlock_new_write(c, path, id, &l);
        if (rc == 0 && (rc = coord_lock_acquire(l, 30000)) == 0) {
            printf("held %lld\n", (long long)coord_lock_token(l));
            fflush(stdout);
            pause_ms(n);
        }
        if (rc == 0)
            coord_lock_free(l);
    } else {
        coord_free(c);
        return usage();
    }
    if (rc)
        fprintf(stderr, "recipe_tool %s: %s\n", cmd, coord_strerror(rc));
    coord_free(c);
    return rc == 0 ? 0 : 1;
}
