/* Exclusive and read-write locks: exclusion, reentrancy, tokens, loss. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "tests/recipes/recipes.h"

#define THREADS 4
#define ROUNDS 5

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int inside, violations, entered, token_regressions;
static int64_t last_token;

static void *contender(void *arg)
{
    const char *path = arg;
    struct coord *c = rclient(4000);
    struct coord_lock *l = NULL;
    if (c == NULL || coord_lock_new(c, path, "thread", &l) != 0) {
        coord_free(c);
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        if (coord_lock_acquire(l, 20000) != 0)
            break;
        int64_t token = coord_lock_token(l);
        pthread_mutex_lock(&mu);
        if (inside++ != 0)
            violations++;
        if (token <= last_token)
            token_regressions++;
        last_token = token;
        entered++;
        pthread_mutex_unlock(&mu);
        sleep_ms(3);
        pthread_mutex_lock(&mu);
        inside--;
        pthread_mutex_unlock(&mu);
        coord_lock_release(l);
    }
    coord_lock_free(l);
    coord_free(c);
    return NULL;
}

/* Threads with their own sessions take turns, one at a time, and each
 * holder's fencing token is larger than the one before. */
static void threads_hold_the_lock_one_at_a_time(void)
{
    pthread_t t[THREADS];
    inside = violations = entered = token_regressions = 0;
    last_token = 0;
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, contender, "/locks/threads");
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(entered, THREADS * ROUNDS);
    CHECK_EQ_INT(violations, 0);
    CHECK_EQ_INT(token_regressions, 0);
}

/* Forked processes append enter/exit records to one file while holding
 * the lock; the records never interleave and tokens only grow. */
static void processes_hold_the_lock_one_at_a_time(void)
{
    char log[300];
    snprintf(log, sizeof log, "%s/lock.log", rsrv.dir);
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            struct coord *c = rclient(4000);
            struct coord_lock *l = NULL;
            int rc = 1;
            if (c && coord_lock_new(c, "/locks/procs", "proc", &l) == 0) {
                rc = 0;
                for (int i = 0; i < ROUNDS && rc == 0; i++) {
                    if ((rc = coord_lock_acquire(l, 20000)) != 0)
                        break;
                    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                    dprintf(fd, "enter %d %lld\n", (int)getpid(),
                            (long long)coord_lock_token(l));
                    sleep_ms(5);
                    dprintf(fd, "exit %d %lld\n", (int)getpid(),
                            (long long)coord_lock_token(l));
                    close(fd);
                    rc = coord_lock_release(l);
                }
            }
            coord_lock_free(l);
            coord_free(c);
            _exit(rc == 0 ? 0 : 1);
        }
    }
    for (int k = 0; k < 3; k++) {
        int st = -1;
        waitpid(kids[k], &st, 0);
        CHECK_EQ_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
    }
    FILE *f = fopen(log, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char what[8];
    int pid, holder = 0, n = 0, bad = 0;
    long long tok, last = 0;
    while (fscanf(f, "%7s %d %lld", what, &pid, &tok) == 3) {
        if (strcmp(what, "enter") == 0) {
            if (holder != 0 || tok <= last)
                bad++;
            holder = pid;
            last = tok;
            n++;
        } else {
            if (holder != pid || tok != last)
                bad++;
            holder = 0;
        }
    }
    fclose(f);
    CHECK_EQ_INT(n, 3 * ROUNDS);
    CHECK_EQ_INT(bad, 0);
}

/* The holding thread may take the lock again; it stays held until the
 * last release, and another session cannot get it meanwhile. */
static void lock_is_reentrant_for_its_holder(void)
{
    struct coord *a = rclient(4000), *b = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct coord_lock *la, *lb;
    CHECK_EQ_INT(coord_lock_new(a, "/locks/re", "a", &la), 0);
    CHECK_EQ_INT(coord_lock_new(b, "/locks/re", "b", &lb), 0);
    CHECK_EQ_INT(coord_lock_acquire(la, -1), 0);
    int64_t t = coord_lock_token(la);
    CHECK_TRUE(t > 0);
    CHECK_EQ_INT(coord_lock_acquire(la, 0), 0);
    CHECK_EQ_INT(coord_lock_token(la), t);
    CHECK_EQ_INT(coord_lock_release(la), 0);
    CHECK_EQ_INT(coord_lock_state(la), COORD_LOCK_HELD);
    CHECK_EQ_INT(coord_lock_acquire(lb, 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_lock_release(la), 0);
    CHECK_EQ_INT(coord_lock_state(la), COORD_LOCK_RELEASED);
    CHECK_EQ_INT(coord_lock_release(la), COORD_EINVAL);
    CHECK_EQ_INT(coord_lock_acquire(lb, 0), 0);
    CHECK_TRUE(coord_lock_token(lb) > t);
    /* A failed try leaves no node behind. */
    CHECK_EQ_INT(coord_lock_acquire(la, 0), COORD_EAGAIN);
    struct coord_strings *ids = NULL;
    CHECK_EQ_INT(coord_lock_contenders(a, "/locks/re", &ids), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CHECK_EQ_INT(ids->count, 1);
    if (ids->count == 1)
        CHECK_EQ_STR(ids->data[0], "b");
    coord_recipes_strings_free(ids);
    coord_lock_free(la);
    coord_lock_free(lb);
    coord_free(a);
    coord_free(b);
}

static int lost_calls;
static void on_lost(void *ctx)
{
    (void)ctx;
    __atomic_add_fetch(&lost_calls, 1, __ATOMIC_SEQ_CST);
}

struct waiter_arg {
    struct coord_lock *l;
    int rc;
    long at;
};

static void *wait_for_lock(void *arg)
{
    struct waiter_arg *w = arg;
    w->rc = coord_lock_acquire(w->l, 15000);
    w->at = rnow_ms();
    return NULL;
}

/* When the holder's session ends, the holder is told (callback, LOST
 * state, guarded writes fail) and the waiter gets the lock with a larger
 * token; never both at once. */
static void holder_session_end_hands_the_lock_over(void)
{
    struct coord *a = rclient(2000), *b = rclient(2000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CHECK_EQ_INT(coord_create_sync(b, "/res", "0", 1, NULL, 0, 0, NULL, NULL),
                 0);
    struct coord_lock *la, *lb;
    CHECK_EQ_INT(coord_lock_new(a, "/locks/exp", "a", &la), 0);
    CHECK_EQ_INT(coord_lock_new(b, "/locks/exp", "b", &lb), 0);
    lost_calls = 0;
    coord_lock_on_lost(la, on_lost, NULL);
    CHECK_EQ_INT_FATAL(coord_lock_acquire(la, -1), 0);
    int64_t ta = coord_lock_token(la);

    struct waiter_arg w = {lb, -99, 0};
    pthread_t t;
    pthread_create(&t, NULL, wait_for_lock, &w);
    sleep_ms(300);
    CHECK_EQ_INT(__atomic_load_n(&w.rc, __ATOMIC_SEQ_CST), -99);

    /* A guarded write succeeds while a holds the lock. */
    struct coord_txn *tx;
    CHECK_EQ_INT(coord_txn_new(&tx), 0);
    CHECK_EQ_INT(coord_lock_guard(la, tx), 0);
    CHECK_EQ_INT(coord_txn_set(tx, "/res", "a", 1, -1), 0);
    CHECK_EQ_INT(coord_multi_sync(a, tx), 0);
    coord_txn_free(tx);

    long t0 = rnow_ms();
    expire_session(a);
    pthread_join(t, NULL);
    CHECK_EQ_INT(w.rc, 0);
    CHECK_TRUE(w.at - t0 < 2000);
    CHECK_TRUE(coord_lock_token(lb) > ta);
    for (int i = 0; i < 100 && coord_lock_state(la) != COORD_LOCK_LOST; i++)
        sleep_ms(20);
    CHECK_EQ_INT(coord_lock_state(la), COORD_LOCK_LOST);
    for (int i = 0; i < 100 && __atomic_load_n(&lost_calls, __ATOMIC_SEQ_CST) == 0; i++)
        sleep_ms(20);
    CHECK_EQ_INT(__atomic_load_n(&lost_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ_INT(coord_lock_token(la), 0);
    CHECK_EQ_INT(coord_lock_guard(la, NULL), COORD_EINVAL);

    /* b's guarded write goes through. */
    CHECK_EQ_INT(coord_txn_new(&tx), 0);
    CHECK_EQ_INT(coord_lock_guard(lb, tx), 0);
    CHECK_EQ_INT(coord_txn_set(tx, "/res", "b", 1, -1), 0);
    CHECK_EQ_INT(coord_multi_sync(b, tx), 0);
    coord_txn_free(tx);
    CHECK_EQ_INT(coord_lock_release(la), 0); /* forgets the lost hold */
    coord_lock_free(la);
    coord_lock_free(lb);
    coord_free(a);
    coord_free(b);
}

/* A restart of coordd within the session timeout only suspends the
 * lock: it is held again after the reconnect and nobody else got it. */
static void suspension_is_not_loss(void)
{
    struct coord *a = rclient(8000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    struct coord_lock *la;
    CHECK_EQ_INT(coord_lock_new(a, "/locks/susp", "a", &la), 0);
    lost_calls = 0;
    coord_lock_on_lost(la, on_lost, NULL);
    CHECK_EQ_INT_FATAL(coord_lock_acquire(la, -1), 0);
    int64_t ta = coord_lock_token(la);
    srv_signal(&rsrv, SIGKILL);
    CU_ASSERT(wait_state(a, COORD_SUSPENDED, 8000));
    CHECK_EQ_INT(coord_lock_state(la), COORD_LOCK_SUSPENDED);
    CHECK_EQ_INT_FATAL(srv_start(&rsrv), 0);
    CU_ASSERT(wait_state(a, COORD_CONNECTED, 8000));
    CHECK_EQ_INT(coord_lock_state(la), COORD_LOCK_HELD);
    CHECK_EQ_INT(coord_lock_token(la), ta);
    struct coord *b = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct coord_lock *lb;
    CHECK_EQ_INT(coord_lock_new(b, "/locks/susp", "b", &lb), 0);
    CHECK_EQ_INT(coord_lock_acquire(lb, 0), COORD_EAGAIN);
    CHECK_EQ_INT(__atomic_load_n(&lost_calls, __ATOMIC_SEQ_CST), 0);
    coord_lock_free(la);
    CHECK_EQ_INT(coord_lock_acquire(lb, 5000), 0);
    coord_lock_free(lb);
    coord_free(a);
    coord_free(b);
}

/* Readers share the lock; a writer excludes readers and writers, and
 * waits behind a reader that came first. */
static void readers_share_and_writers_exclude(void)
{
    struct coord *a = rclient(4000), *b = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct coord_lock *r1, *r2, *w1, *w2;
    CHECK_EQ_INT(coord_rwlock_new_read(a, "/locks/rw", "r1", &r1), 0);
    CHECK_EQ_INT(coord_rwlock_new_read(b, "/locks/rw", "r2", &r2), 0);
    CHECK_EQ_INT(coord_rwlock_new_write(a, "/locks/rw", "w1", &w1), 0);
    CHECK_EQ_INT(coord_rwlock_new_write(b, "/locks/rw", "w2", &w2), 0);
    CHECK_EQ_INT(coord_lock_acquire(r1, 0), 0);
    CHECK_EQ_INT(coord_lock_acquire(r2, 0), 0);
    CHECK_EQ_INT(coord_lock_acquire(w1, 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_lock_release(r1), 0);
    CHECK_EQ_INT(coord_lock_acquire(w1, 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_lock_release(r2), 0);
    CHECK_EQ_INT(coord_lock_acquire(w1, 0), 0);
    CHECK_EQ_INT(coord_lock_acquire(w2, 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_lock_acquire(r2, 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_lock_acquire(r2, 200), COORD_EOPERATIONTIMEOUT);
    CHECK_EQ_INT(coord_lock_release(w1), 0);
    CHECK_EQ_INT(coord_lock_acquire(r2, 1000), 0);
    coord_lock_free(r1);
    coord_lock_free(r2);
    coord_lock_free(w1);
    coord_lock_free(w2);
    coord_free(a);
    coord_free(b);
}

CU_TestInfo lock_tests[] = {
    {"threads hold the lock one at a time",
     threads_hold_the_lock_one_at_a_time},
    {"processes hold the lock one at a time",
     processes_hold_the_lock_one_at_a_time},
    {"lock is reentrant for its holder", lock_is_reentrant_for_its_holder},
    {"holder session end hands the lock over",
     holder_session_end_hands_the_lock_over},
    {"suspension is not loss", suspension_is_not_loss},
    {"readers share and writers exclude", readers_share_and_writers_exclude},
    CU_TEST_INFO_NULL,
};
