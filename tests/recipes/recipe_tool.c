/* recipe_tool: one coord recipe participant for the kazoo cross-checks
 * (tests/recipes/test_kazoo.py, tests/integration/test_recipes_kazoo.py)
 * and the fault tests on an ensemble
 * (tests/integration/test_recipes_ensemble.py). Exit status 0, 3 when the
 * session expired, else 1. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
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
            "       recipe_tool party-members HOSTS PATH\n"
            "       recipe_tool flock HOSTS PATH ID ROUNDS HOLD_MS LOG RESOURCE "
            "GUARDED MAX_S\n"
            "       recipe_tool elect2 HOSTS PATH ID LOG STOPFILE MAX_S\n"
            "       recipe_tool qproduce HOSTS PATH PREFIX N LOG MAX_S\n"
            "       recipe_tool qconsume HOSTS PATH ID LOG STOPFILE MAX_S\n");
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

/* --- workers for tests/integration/test_recipes_ensemble.py ---
 * They run across server failures: every step that may fail with a
 * connection loss is logged and retried (or skipped, for a queue item
 * whose outcome is unknown), each line of the shared log written with one
 * write() so lines of several processes never interleave. Times are
 * CLOCK_MONOTONIC microseconds, comparable between processes. */

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void logf_(const char *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(const char *log, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
        close(fd);
    }
}

static bool retryable(int rc)
{
    return rc == COORD_ECONNECTIONLOSS || rc == COORD_EOPERATIONTIMEOUT ||
           rc == COORD_EREQUESTTIMEOUT;
}

static bool final_state(int st)
{
    return st == COORD_LOST || st == COORD_AUTH_FAILED || st == COORD_CLOSED;
}

/* Waits (up to ms) until c is connected; false if not (or final). */
static bool wait_up(struct coord *c, int ms)
{
    for (int waited = 0; waited <= ms; waited += 20) {
        int st = coord_state(c);
        if (st == COORD_CONNECTED)
            return true;
        if (final_state(st))
            return false;
        pause_ms(20);
    }
    return false;
}

static const char *lock_state_name(int st)
{
    switch (st) {
    case COORD_LOCK_HELD: return "held";
    case COORD_LOCK_SUSPENDED: return "suspended";
    case COORD_LOCK_LOST: return "lost";
    default: return "released";
    }
}

static struct coord *connect_handle(const char *hosts)
{
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = hosts;
    o.session_timeout_ms = 4000;
    struct coord *c;
    if (coord_new(&o, &c) != 0)
        return NULL;
    if (coord_start_thread(c) != 0) {
        coord_free(c);
        return NULL;
    }
    return c;
}

/* The fenced resource: a znode holding "TOKEN ID" of the last write it
 * accepted, written only with a token at least as large (compare-and-set
 * on its version), each accepted write also recorded as a sequential
 * child. It is reached through a connection of its own, standing for a
 * storage service that knows nothing of the lock's session: after the
 * process was frozen past its session it reconnects with a new one. */
struct resource {
    const char *hosts;
    const char *path;
    struct coord *r;
};

static struct coord *resource_handle(struct resource *res)
{
    if (res->r && final_state(coord_state(res->r))) {
        coord_free(res->r);
        res->r = NULL;
    }
    if (res->r == NULL)
        res->r = connect_handle(res->hosts);
    return res->r;
}

/* "ok", "refused" or an error; *stored gets the token it held. */
static const char *fenced_write(struct resource *res, const char *id,
                                long long token, long long *stored)
{
    long long deadline = now_us() + 20 * 1000000LL;
    char val[128], hist[600];
    snprintf(val, sizeof val, "%lld %s", token, id);
    snprintf(hist, sizeof hist, "%s/w-", res->path);
    *stored = -1;
    while (now_us() < deadline) {
        struct coord *r = resource_handle(res);
        if (r == NULL) {
            pause_ms(100);
            continue;
        }
        char *data = NULL;
        int32_t len = 0;
        struct coord_stat st;
        int rc = coord_get_sync(r, res->path, NULL, NULL, &data, &len, &st);
        if (rc == COORD_ENONODE) {
            rc = coord_create_sync(r, res->path, "0", 1, NULL,
                                   COORD_PERSISTENT, 0, NULL, NULL);
            if (rc == 0 || rc == COORD_ENODEEXISTS)
                continue;
        }
        if (rc) {
            if (retryable(rc) || rc == COORD_ESESSIONEXPIRED) {
                wait_up(r, 2000);
                continue;
            }
            return coord_strerror(rc);
        }
        *stored = data ? atoll(data) : 0;
        free(data);
        if (token < *stored)
            return "refused";
        if (token == *stored)
            return "ok"; /* our own write, applied before a connection loss */
        struct coord_txn *t;
        if (coord_txn_new(&t) != 0)
            return "nomem";
        coord_txn_set(t, res->path, val, (int32_t)strlen(val), st.version);
        coord_txn_create(t, hist, val, (int32_t)strlen(val), NULL,
                         COORD_PERSISTENT_SEQUENTIAL);
        rc = coord_multi_sync(r, t);
        coord_txn_free(t);
        if (rc == 0)
            return "ok";
        if (rc == COORD_EBADVERSION)
            continue; /* someone wrote meanwhile: compare again */
        if (retryable(rc) || rc == COORD_ESESSIONEXPIRED) {
            wait_up(r, 2000);
            continue;
        }
        return coord_strerror(rc);
    }
    return "timeout";
}

/* A write guarded by the lock (coord_lock_guard): GUARDED gets "TOKEN ID"
 * and a sequential child with it, only while our lock node exists. A
 * connection loss is retried while the lock is still ours; "refused" once
 * it is not. */
static const char *guarded_write(struct coord *c, struct coord_lock *l,
                                 const char *guarded, const char *id,
                                 long long token)
{
    char val[128], hist[600];
    snprintf(val, sizeof val, "%lld %s", token, id);
    snprintf(hist, sizeof hist, "%s/g-", guarded);
    long long deadline = now_us() + 20 * 1000000LL;
    static char err[96];
    int rc = COORD_EOPERATIONTIMEOUT;
    while (now_us() < deadline) {
        struct coord_txn *t;
        if (coord_txn_new(&t) != 0)
            return "nomem";
        rc = coord_lock_guard(l, t);
        if (rc == 0) {
            coord_txn_set(t, guarded, val, (int32_t)strlen(val), -1);
            coord_txn_create(t, hist, val, (int32_t)strlen(val), NULL,
                             COORD_PERSISTENT_SEQUENTIAL);
            rc = coord_multi_sync(c, t);
        }
        coord_txn_free(t);
        if (rc == 0)
            return "ok";
        if (!retryable(rc) || coord_lock_state(l) == COORD_LOCK_LOST)
            break;
        wait_up(c, 2000);
    }
    snprintf(err, sizeof err, "refused:%s", coord_strerror(rc));
    for (char *p = err; *p; p++)
        if (*p == ' ')
            *p = '_';
    return err;
}

/* flock HOSTS PATH ID ROUNDS HOLD_MS LOG RESOURCE GUARDED MAX_S */
static int run_flock(struct coord *c, char **argv)
{
    const char *path = argv[3], *id = argv[4], *log = argv[7];
    int rounds = atoi(argv[5]), hold = atoi(argv[6]);
    struct resource res = {argv[2], argv[8], NULL};
    long long deadline = now_us() + atoll(argv[10]) * 1000000LL;
    struct coord_lock *l;
    int rc = coord_lock_new(c, path, id, &l);
    if (rc)
        return rc;
    int done = 0;
    while (done < rounds && now_us() < deadline) {
        int left = (int)((deadline - now_us()) / 1000);
        rc = coord_lock_acquire(l, left > 0 ? left : 0);
        if (rc) {
            logf_(log, "acqfail %s %s", id, coord_strerror(rc));
            if (retryable(rc) && wait_up(c, 10000))
                continue;
            break;
        }
        long long token = coord_lock_token(l);
        logf_(log, "enter %s %lld %lld %llx", id, token, now_us(),
              (unsigned long long)coord_session_id(c, NULL));
        pause_ms(hold);
        logf_(log, "guard %s %lld %s", id, token,
              guarded_write(c, l, argv[9], id, token));
        long long stored;
        const char *f = fenced_write(&res, id, token, &stored);
        logf_(log, "fence %s %lld %s %lld", id, token, f, stored);
        int st = coord_lock_state(l);
        logf_(log, "exit %s %lld %lld %s", id, token, now_us(),
              lock_state_name(st));
        int rel = coord_lock_release(l);
        if (rel)
            logf_(log, "relfail %s %s", id, coord_strerror(rel));
        done++;
        if (st == COORD_LOCK_LOST || final_state(coord_state(c))) {
            rc = COORD_ESESSIONEXPIRED;
            break;
        }
    }
    if (rc == 0 && done < rounds)
        rc = COORD_EOPERATIONTIMEOUT;
    /* A frozen holder learns of its expiry when it reconnects. */
    if (rc == COORD_ESESSIONEXPIRED || final_state(coord_state(c))) {
        wait_up(c, 10000);
        logf_(log, "session %s %s", id, coord_state_name(coord_state(c)));
        rc = COORD_ESESSIONEXPIRED;
    }
    coord_lock_free(l); /* after a loss it only forgets the node */
    if (res.r)
        coord_free(res.r);
    logf_(log, "done %s %d %s", id, done, rc ? coord_strerror(rc) : "ok");
    return rc;
}

/* An election's callbacks, logging to ctx (the log's path). */
struct elect_ctx {
    const char *log, *id;
};

static void elect_gain(struct coord_election *e, int64_t token, void *ctx)
{
    (void)e;
    struct elect_ctx *x = ctx;
    logf_(x->log, "lead %s %lld %lld", x->id, (long long)token, now_us());
}

static void elect_lose(struct coord_election *e, int reason, void *ctx)
{
    (void)e;
    struct elect_ctx *x = ctx;
    logf_(x->log, "unlead %s %lld %s", x->id, now_us(),
          reason ? coord_strerror(reason) : "stopped");
}

/* elect2 HOSTS PATH ID LOG STOPFILE MAX_S: contends until STOPFILE exists,
 * MAX_S pass, or the session ends; leadership changes go to LOG. */
static int run_elect2(struct coord *c, char **argv)
{
    struct elect_ctx x = {argv[5], argv[4]};
    struct coord_election *e;
    int rc = coord_election_new(c, argv[3], argv[4], elect_gain, elect_lose,
                                &x, &e);
    if (rc == 0)
        rc = coord_election_start(e);
    if (rc)
        return rc;
    logf_(x.log, "contend %s %lld %d", x.id, now_us(), (int)getpid());
    long long deadline = now_us() + atoll(argv[7]) * 1000000LL;
    while (now_us() < deadline && access(argv[6], F_OK) != 0 &&
           !final_state(coord_state(c)))
        pause_ms(50);
    rc = final_state(coord_state(c)) ? COORD_ESESSIONEXPIRED : 0;
    coord_election_free(e);
    logf_(x.log, "done %s %lld %s", x.id, now_us(),
          rc ? coord_strerror(rc) : "ok");
    return rc;
}

/* qproduce HOSTS PATH PREFIX N LOG MAX_S: puts PREFIX-0 .. PREFIX-(N-1);
 * an item whose put failed is logged as unknown and not put again. */
static int run_qproduce(struct coord *c, char **argv)
{
    const char *path = argv[3], *prefix = argv[4], *log = argv[6];
    int n = atoi(argv[5]);
    long long deadline = now_us() + atoll(argv[7]) * 1000000LL;
    for (int i = 0; i < n; i++) {
        if (now_us() > deadline)
            return COORD_EOPERATIONTIMEOUT;
        char item[128];
        snprintf(item, sizeof item, "%s-%d", prefix, i);
        int rc = coord_queue_put(c, path, item, (int32_t)strlen(item),
                                 COORD_QUEUE_FIFO);
        if (rc == 0) {
            logf_(log, "put %s", item);
            continue;
        }
        logf_(log, "putfail %s %s", item, coord_strerror(rc));
        if (!retryable(rc) || !wait_up(c, 10000))
            return rc;
    }
    return 0;
}

/* qconsume HOSTS PATH ID LOG STOPFILE MAX_S: takes until the queue stays
 * empty for a second after STOPFILE exists (or MAX_S pass); a take cut by
 * a connection loss is logged (its item may be gone) and taking goes on. */
static int run_qconsume(struct coord *c, char **argv)
{
    const char *path = argv[3], *id = argv[4], *log = argv[5];
    long long deadline = now_us() + atoll(argv[7]) * 1000000LL;
    while (now_us() < deadline) {
        bool stopping = access(argv[6], F_OK) == 0;
        char *data = NULL;
        int32_t len;
        int rc = coord_queue_take(c, path, 1000, &data, &len);
        if (rc == 0) {
            logf_(log, "took %s %s", data ? data : "", id);
            free(data);
            continue;
        }
        free(data);
        if (rc == COORD_EOPERATIONTIMEOUT) {
            if (stopping)
                return 0;
            continue;
        }
        logf_(log, "takefail %s %s", id, coord_strerror(rc));
        if (!retryable(rc) || !wait_up(c, 10000))
            return rc;
    }
    return COORD_EOPERATIONTIMEOUT;
}

/* The fault-test commands; 1 if cmd is not one of them. */
static int faults(struct coord *c, int argc, char **argv)
{
    const char *cmd = argv[1];
    if (strcmp(cmd, "flock") == 0 && argc == 11)
        return run_flock(c, argv);
    if (strcmp(cmd, "elect2") == 0 && argc == 8)
        return run_elect2(c, argv);
    if (strcmp(cmd, "qproduce") == 0 && argc == 8)
        return run_qproduce(c, argv);
    if (strcmp(cmd, "qconsume") == 0 && argc == 8)
        return run_qconsume(c, argv);
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
    if ((rc = faults(c, argc, argv)) != 1) {
        /* done */
    } else if ((rc = more(c, argc, argv)) != 1) {
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
    return rc == 0 ? 0 : rc == COORD_ESESSIONEXPIRED ? 3 : 1;
}
