/* Leader election and latch: one leader, handover on stop, expiry and kill. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "tests/recipes/recipes.h"

#define N 3

struct member {
    struct coord *c;
    struct coord_election *e;
    int gains, losses, last_reason;
    int64_t token;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int leaders, overlaps;
static bool expiring; /* the old leader learns of its loss after the fact */

static void gain(struct coord_election *e, int64_t token, void *ctx)
{
    (void)e;
    struct member *m = ctx;
    pthread_mutex_lock(&mu);
    if (token <= 0 || (leaders++ != 0 && !expiring))
        overlaps++;
    m->gains++;
    m->token = token;
    pthread_mutex_unlock(&mu);
}

static void lose(struct coord_election *e, int reason, void *ctx)
{
    (void)e;
    struct member *m = ctx;
    pthread_mutex_lock(&mu);
    leaders--;
    m->losses++;
    m->last_reason = reason;
    pthread_mutex_unlock(&mu);
}

static int leader_of(struct member *ms)
{
    for (int i = 0; i < N; i++)
        if (ms[i].e && coord_election_is_leader(ms[i].e))
            return i;
    return -1;
}

static int wait_leader(struct member *ms, int not, int ms_max)
{
    for (long until = rnow_ms() + ms_max; rnow_ms() < until; sleep_ms(10)) {
        int l = leader_of(ms);
        if (l >= 0 && l != not)
            return l;
    }
    return -1;
}

/* Exactly one member leads; stopping it or ending its session hands
 * leadership to another within the session timeout. */
static void leadership_passes_on_stop_and_on_expiry(void)
{
    struct member ms[N];
    memset(ms, 0, sizeof ms);
    leaders = overlaps = 0;
    expiring = false;
    for (int i = 0; i < N; i++) {
        char id[8];
        snprintf(id, sizeof id, "m%d", i);
        ms[i].c = rclient(1500);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ms[i].c);
        CHECK_EQ_INT(coord_election_new(ms[i].c, "/elect/a", id, gain, lose,
                                        &ms[i], &ms[i].e), 0);
        CHECK_EQ_INT(coord_election_start(ms[i].e), 0);
    }
    int first = wait_leader(ms, -1, 5000);
    CU_ASSERT_FATAL(first >= 0);
    char *id = NULL;
    CHECK_EQ_INT(coord_election_leader(ms[0].c, "/elect/a", &id), 0);
    char want[8];
    snprintf(want, sizeof want, "m%d", first);
    CHECK_EQ_STR(id, want);
    free(id);

    long t0 = rnow_ms();
    coord_election_stop(ms[first].e);
    CHECK_EQ_INT(ms[first].losses, 1);
    CHECK_EQ_INT(ms[first].last_reason, 0);
    int second = wait_leader(ms, first, 5000);
    CU_ASSERT_FATAL(second >= 0);
    CHECK_TRUE(rnow_ms() - t0 < 1000);

    /* Expiry: the server hands over first; the old leader hears of it when
     * its connection resumes, so exclusion there rests on the token. */
    t0 = rnow_ms();
    pthread_mutex_lock(&mu);
    expiring = true;
    pthread_mutex_unlock(&mu);
    expire_session(ms[second].c);
    int third = wait_leader(ms, second, 5000);
    CU_ASSERT_FATAL(third >= 0);
    CHECK_TRUE(third != first);
    CHECK_TRUE(ms[third].token > ms[second].token);
    CHECK_TRUE(ms[second].token > ms[first].token);
    CHECK_TRUE(rnow_ms() - t0 < 1500);
    for (int i = 0; i < 100 && ms[second].losses == 0; i++)
        sleep_ms(20);
    CHECK_EQ_INT(ms[second].losses, 1);
    CHECK_EQ_INT(ms[second].last_reason, COORD_ESESSIONEXPIRED);
    for (int i = 0; i < N; i++) {
        coord_election_free(ms[i].e);
        coord_free(ms[i].c);
    }
    CHECK_EQ_INT(overlaps, 0);
    CHECK_EQ_INT(leaders, 0);
}

/* The leader process dies (kill -9): the survivor leads once its
 * session expires, within the session timeout plus a tick or two. */
static void killed_leader_is_replaced_within_session_timeout(void)
{
    int p[2];
    CU_ASSERT_FATAL(pipe(p) == 0);
    pid_t kid = fork();
    if (kid == 0) {
        close(p[0]);
        struct coord *c = rclient(1000);
        struct coord_latch *l = NULL;
        if (c && coord_latch_new(c, "/elect/kill", "kid", &l) == 0 &&
            coord_latch_start(l) == 0 && coord_latch_await(l, 5000) == 0) {
            if (write(p[1], "L", 1) != 1)
                _exit(1);
        }
        pause();
        _exit(0);
    }
    close(p[1]);
    char b = 0;
    CHECK_EQ_INT(read(p[0], &b, 1), 1);
    close(p[0]);
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct coord_latch *l;
    CHECK_EQ_INT(coord_latch_new(c, "/elect/kill", "parent", &l), 0);
    CHECK_EQ_INT(coord_latch_start(l), 0);
    CHECK_EQ_INT(coord_latch_await(l, 300), COORD_EOPERATIONTIMEOUT);
    CHECK_TRUE(!coord_latch_has_leadership(l));
    long t0 = rnow_ms();
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    CHECK_EQ_INT(coord_latch_await(l, 5000), 0);
    long took = rnow_ms() - t0;
    CHECK_TRUE(took <= 1000 + 600);
    CHECK_TRUE(coord_latch_has_leadership(l));
    coord_latch_free(l);
    coord_free(c);
}

/* Latches: one leads, the other's await times out until it closes. */
static void latch_passes_on_close(void)
{
    struct coord *a = rclient(4000), *b = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct coord_latch *la, *lb;
    CHECK_EQ_INT(coord_latch_new(a, "/elect/latch", "a", &la), 0);
    CHECK_EQ_INT(coord_latch_new(b, "/elect/latch", "b", &lb), 0);
    CHECK_EQ_INT(coord_latch_start(la), 0);
    CHECK_EQ_INT(coord_latch_await(la, 5000), 0);
    CHECK_EQ_INT(coord_latch_start(lb), 0);
    CHECK_EQ_INT(coord_latch_start(lb), COORD_EINVAL);
    CHECK_EQ_INT(coord_latch_await(lb, 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_latch_await(lb, 200), COORD_EOPERATIONTIMEOUT);
    coord_latch_free(la);
    CHECK_EQ_INT(coord_latch_await(lb, 5000), 0);
    coord_latch_free(lb);
    coord_free(a);
    coord_free(b);
}

struct awaiter {
    struct coord_latch *l;
    int timeout, rc;
    long done_ms;
};

static void *await_main(void *arg)
{
    struct awaiter *w = arg;
    w->rc = coord_latch_await(w->l, w->timeout);
    __atomic_store_n(&w->done_ms, rnow_ms(), __ATOMIC_SEQ_CST);
    return NULL;
}

static long final_at;
static void note_final(struct coord *c, int state, void *ctx)
{
    (void)c;
    (void)ctx;
    if (state == COORD_AUTH_FAILED)
        __atomic_store_n(&final_at, rnow_ms(), __ATOMIC_SEQ_CST);
}

/* await sleeps on watch-driven wake-ups, not a poll: it returns within
 * 50 ms of the leader's node going, and of the session's end. */
static void latch_wakes_promptly(void)
{
    struct coord *a = rclient(4000), *b = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct coord_latch *la, *lb;
    CHECK_EQ_INT(coord_latch_new(a, "/elect/prompt", "a", &la), 0);
    CHECK_EQ_INT(coord_latch_new(b, "/elect/prompt", "b", &lb), 0);
    CHECK_EQ_INT(coord_latch_start(la), 0);
    CHECK_EQ_INT(coord_latch_await(la, 5000), 0);
    CHECK_EQ_INT(coord_latch_start(lb), 0);
    struct awaiter w = {lb, 10000, 1, 0};
    pthread_t th;
    CHECK_EQ_INT_FATAL(pthread_create(&th, NULL, await_main, &w), 0);
    sleep_ms(300);
    CHECK_EQ_INT(__atomic_load_n(&w.done_ms, __ATOMIC_SEQ_CST), 0);
    coord_latch_free(la); /* its node is deleted (durably) on return */
    long freed = rnow_ms();
    pthread_join(th, NULL);
    CHECK_EQ_INT(w.rc, 0);
    long lag = w.done_ms - freed;
    fprintf(stderr, "[latch woke %ld ms after the leader left] ", lag);
    CHECK_TRUE(lag < 50);
    CHECK_TRUE(coord_latch_has_leadership(lb));

    /* Now a (second) latch of b's waits behind lb; b's session ends. */
    struct coord_latch *lc;
    CHECK_EQ_INT(coord_latch_new(b, "/elect/prompt", "c", &lc), 0);
    CHECK_EQ_INT(coord_latch_start(lc), 0);
    CHECK_EQ_INT(coord_add_state_listener(b, note_final, NULL, NULL), 0);
    struct awaiter w2 = {lc, -1, 1, 0};
    CHECK_EQ_INT_FATAL(pthread_create(&th, NULL, await_main, &w2), 0);
    sleep_ms(300);
    CHECK_EQ_INT(__atomic_load_n(&w2.done_ms, __ATOMIC_SEQ_CST), 0);
    /* coordd refuses an unknown scheme: the handle goes AUTH_FAILED. */
    CHECK_EQ_INT(coord_add_auth(b, "no-such-scheme", "x", 1, NULL, NULL), 0);
    pthread_join(th, NULL);
    CHECK_EQ_INT(w2.rc, COORD_EAUTHFAILED);
    lag = w2.done_ms - __atomic_load_n(&final_at, __ATOMIC_SEQ_CST);
    fprintf(stderr, "[and %ld ms after the session ended] ", lag);
    CHECK_TRUE(final_at > 0 && lag < 50);
    coord_latch_free(lc);
    coord_latch_free(lb);
    coord_free(a);
    coord_free(b);
}

CU_TestInfo election_tests[] = {
    {"latch wakes promptly", latch_wakes_promptly},
    {"leadership passes on stop and on expiry",
     leadership_passes_on_stop_and_on_expiry},
    {"killed leader is replaced within session timeout",
     killed_leader_is_replaced_within_session_timeout},
    {"latch passes on close", latch_passes_on_close},
    CU_TEST_INFO_NULL,
};
