/* Leader election and latch: one leader, handover on stop, expiry and kill. */
#include <pthread.h>
#include <signal.h>
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

CU_TestInfo election_tests[] = {
    {"leadership passes on stop and on expiry",
     leadership_passes_on_stop_and_on_expiry},
    {"killed leader is replaced within session timeout",
     killed_leader_is_replaced_within_session_timeout},
    {"latch passes on close", latch_passes_on_close},
    CU_TEST_INFO_NULL,
};
