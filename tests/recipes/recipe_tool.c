/* recipe_tool: one coord recipe contender for the kazoo cross-check test. */
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
            "       recipe_tool hold|read|write HOSTS PATH ID MS\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 6)
        return usage();
    const char *cmd = argv[1], *path = argv[3], *id = argv[4];
    int n = atoi(argv[5]);
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
    if (strcmp(cmd, "lock") == 0 && argc == 7) {
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
