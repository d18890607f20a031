/* The state machine: failover, restart, resume, expiry, timeouts, auth. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

static struct srv s;
static struct coord *a, *b;

void session_teardown(void)
{
    coord_free(a);
    coord_free(b);
    a = b = NULL;
    srv_cleanup(&s);
}

static int events;
static int last_type;
static void count(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    (void)path;
    (void)ctx;
    last_type = type;
    events++;
}

/* Dead hosts in the list are skipped. */
static void dead_hosts_are_skipped(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    char hosts[256];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d",
             srv_free_port(), s.port, srv_free_port());
    a = client_new(hosts, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT(wait_state(a, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL), 0);
}

/* kill -9 and a restart within the session timeout: SUSPENDED, then
 * CONNECTED on the same session; ephemerals survive; watches are set
 * again and fire; calls made meanwhile wait and then succeed. */
static void restart_keeps_session_and_watches(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    int64_t sid = coord_session_id(a, NULL);
    CHECK_EQ_INT(coord_create_sync(a, "/eph", NULL, -1, NULL, COORD_EPHEMERAL,
                                   0, NULL, NULL), 0);
    CHECK_EQ_INT(coord_create_sync(a, "/data", "1", 1, NULL, 0, 0, NULL, NULL), 0);
    events = 0;
    struct { int n; } rec = {0};
    (void)rec;
    CHECK_EQ_INT(coord_get_sync(a, "/data", count, NULL, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(coord_add_watch_sync(a, "/p", COORD_ADDWATCH_PERSISTENT_RECURSIVE,
                                      count, NULL), 0);

    srv_signal(&s, SIGKILL);
    CU_ASSERT(wait_state(a, COORD_SUSPENDED, 5000));
    CHECK_EQ_INT(states_seen(COORD_SUSPENDED), 1);
    /* A call made while suspended waits for the connection. */
    int done = 0;
    CHECK_EQ_INT(coord_sync(a, "/", NULL, NULL), 0);
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    CU_ASSERT(wait_state(a, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_session_id(a, NULL), sid);
    (void)done;

    b = client_new(srv_hosts(&s, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_FATAL(wait_state(b, COORD_CONNECTED, 5000));
    struct coord_stat st;
    CHECK_EQ_INT(coord_exists_sync(b, "/eph", NULL, NULL, &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, sid);
    CHECK_EQ_INT(coord_set_sync(b, "/data", "2", 1, -1, NULL), 0);
    CHECK_EQ_INT(coord_create_sync(b, "/p", NULL, -1, NULL, 0, 0, NULL, NULL), 0);
    drive(a, NULL, 300);
    CHECK_EQ_INT(events, 2); /* /data changed, /p created */
}

/* A client that stays away past its timeout finds the session expired:
 * LOST, every call fails with COORD_ESESSIONEXPIRED. */
static int lost_rc;
static void lost_cb(int rc, const struct coord_stat *st, void *ctx)
{
    (void)st;
    (void)ctx;
    lost_rc = rc;
}

static void expiry_moves_to_lost(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 600);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    events = 0;
    CHECK_EQ_INT(coord_exists_sync(a, "/gone", count, NULL, NULL), COORD_ENONODE);
    lost_rc = 1;
    CHECK_EQ_INT(coord_exists(a, "/x", NULL, NULL, lost_cb, NULL), 0);
    /* Event-loop mode: nothing happens unless the loop runs. Stay away. */
    usleep(1500 * 1000);
    CU_ASSERT(wait_state(a, COORD_LOST, 5000));
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL),
                 COORD_ESESSIONEXPIRED);
    CHECK_EQ_INT(events, 1);
    CHECK_EQ_INT(last_type, COORD_EV_CANCELLED);
    CU_ASSERT(lost_rc == 0 || lost_rc == COORD_ECONNECTIONLOSS ||
              lost_rc == COORD_ESESSIONEXPIRED);
}

/* Another handle given the id and password resumes the same session. */
static void session_resumes_with_id_and_password(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    unsigned char pw[16];
    int64_t sid = coord_session_id(a, pw);
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = srv_hosts(&s, NULL);
    o.session_timeout_ms = 6000;
    o.session_id = sid;
    o.session_passwd = pw;
    CHECK_EQ_INT_FATAL(coord_new(&o, &b), 0);
    CU_ASSERT_FATAL(wait_state(b, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_session_id(b, NULL), sid);
    /* A wrong password is an expired session. */
    struct coord *c = NULL;
    pw[0] ^= 1;
    CHECK_EQ_INT_FATAL(coord_new(&o, &c), 0);
    CU_ASSERT(wait_state(c, COORD_LOST, 5000));
    coord_free(c);
}

/* A stopped server makes a call time out; the connection survives. */
static void call_times_out_while_server_stopped(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 9000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    coord_set_call_timeout(a, 300);
    srv_signal(&s, SIGSTOP);
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL),
                 COORD_EOPERATIONTIMEOUT);
    srv_signal(&s, SIGCONT);
    coord_set_call_timeout(a, 5000);
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL), 0);
    CHECK_EQ_INT(coord_state(a), COORD_CONNECTED);
    CHECK_EQ_INT(states_seen(COORD_SUSPENDED), 0);
}

/* An unknown auth scheme is refused: AUTH_FAILED, and it is final. */
static void refused_auth_is_final(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_add_auth_sync(a, "nosuchscheme", "x", 1),
                 COORD_EAUTHFAILED);
    CHECK_EQ_INT(coord_state(a), COORD_AUTH_FAILED);
    CHECK_EQ_INT(states_seen(COORD_AUTH_FAILED), 1);
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL), COORD_EAUTHFAILED);
}

/* Thread mode across a restart: the library's thread reconnects alone. */
static void thread_mode_reconnects(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CHECK_EQ_INT(coord_start_thread(a), 0);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    int64_t sid = coord_session_id(a, NULL);
    srv_signal(&s, SIGKILL);
    CU_ASSERT(wait_state(a, COORD_SUSPENDED, 5000));
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    CU_ASSERT(wait_state(a, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_session_id(a, NULL), sid);
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL), 0);
}

/* State listeners on an existing handle: called after the options'
 * callback, in order, on the library's thread in thread mode; one removes
 * itself from inside its call and hears nothing more. */
struct heard {
    int n;
    int last;
    int order; /* sequence number of the last call */
    bool on_loop_thread;
    int self_id;
};
static pthread_mutex_t heard_mu = PTHREAD_MUTEX_INITIALIZER;
static int heard_seq;

static void hear(struct coord *c, int state, void *ctx)
{
    struct heard *h = ctx;
    pthread_mutex_lock(&heard_mu);
    h->n++;
    h->last = state;
    h->order = ++heard_seq;
    h->on_loop_thread = coord_is_threaded(c) == 1;
    pthread_mutex_unlock(&heard_mu);
}

static void hear_once(struct coord *c, int state, void *ctx)
{
    struct heard *h = ctx;
    hear(c, state, ctx);
    CHECK_EQ_INT(coord_remove_state_listener(c, h->self_id), 0);
}

static void state_listeners_follow_changes(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CHECK_EQ_INT(coord_is_threaded(a), 0);
    struct heard h1 = {0}, h2 = {0}, once = {0};
    int id1 = 0, id2 = 0;
    CHECK_EQ_INT(coord_add_state_listener(a, NULL, NULL, NULL), COORD_EINVAL);
    CHECK_EQ_INT(coord_add_state_listener(a, hear, &h1, &id1), 0);
    CHECK_EQ_INT(coord_add_state_listener(a, hear_once, &once, &once.self_id), 0);
    CHECK_EQ_INT(coord_add_state_listener(a, hear, &h2, &id2), 0);
    CU_ASSERT(id1 > 0 && id2 > id1);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(h1.n, 1);
    CHECK_EQ_INT(h1.last, COORD_CONNECTED);
    CHECK_EQ_INT(once.n, 1);
    CHECK_EQ_INT(h2.n, 1);
    CU_ASSERT(h1.order < once.order && once.order < h2.order);
    CU_ASSERT(!h1.on_loop_thread);

    CHECK_EQ_INT(coord_start_thread(a), 0);
    CHECK_EQ_INT(coord_is_threaded(a), 1);
    srv_signal(&s, SIGKILL);
    CU_ASSERT(wait_state(a, COORD_SUSPENDED, 5000));
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    CU_ASSERT(wait_state(a, COORD_CONNECTED, 5000));
    pthread_mutex_lock(&heard_mu);
    CHECK_EQ_INT(h1.n, 3);
    CHECK_EQ_INT(h1.last, COORD_CONNECTED);
    CU_ASSERT(h1.on_loop_thread);
    CHECK_EQ_INT(once.n, 1); /* removed itself */
    CHECK_EQ_INT(h2.n, 3);
    pthread_mutex_unlock(&heard_mu);
    CHECK_EQ_INT(coord_remove_state_listener(a, once.self_id), COORD_EINVAL);
    CHECK_EQ_INT(coord_remove_state_listener(a, id2), 0);
    CHECK_EQ_INT(coord_stop_thread(a), 0);
    CHECK_EQ_INT(coord_is_threaded(a), 0);
    coord_free(a);
    a = NULL;
    CHECK_EQ_INT(h1.n, 4);
    CHECK_EQ_INT(h1.last, COORD_CLOSED);
    CHECK_EQ_INT(h2.n, 3);
}

/* Thousands of long watched paths go back after a restart in several
 * setWatches2 frames (one would pass the server's frame limit), and every
 * watch still fires. */
#define MANY_WATCHES 12000
static int fired_created;
static void count_created(struct coord *c, int type, const char *path,
                          void *ctx)
{
    (void)c;
    (void)path;
    (void)ctx;
    if (type == COORD_EV_CREATED)
        fired_created++;
}

static int exists_left;
static void exists_done(int rc, const struct coord_stat *st, void *ctx)
{
    (void)st;
    (void)ctx;
    if (rc == COORD_ENONODE)
        exists_left--;
}

static void many_watches_survive_restart(void)
{
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    a = client_new(srv_hosts(&s, NULL), 8000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_create_sync(a, "/w", NULL, -1, NULL, 0, 0, NULL, NULL), 0);
    char pad[90];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    char path[128];
    exists_left = MANY_WATCHES;
    fired_created = 0;
    for (int i = 0; i < MANY_WATCHES; i++) {
        snprintf(path, sizeof path, "/w/%05d%s", i, pad);
        CHECK_EQ_INT_FATAL(coord_exists(a, path, count_created, NULL,
                                        exists_done, NULL), 0);
        if (i % 1000 == 999)
            drive(a, NULL, 10);
    }
    int zero = 0;
    for (int i = 0; i < 200 && exists_left > 0; i++)
        drive(a, &zero, 50);
    CHECK_EQ_INT_FATAL(exists_left, 0);

    srv_signal(&s, SIGKILL);
    CU_ASSERT(wait_state(a, COORD_SUSPENDED, 5000));
    CHECK_EQ_INT_FATAL(srv_start(&s), 0);
    CU_ASSERT_FATAL(wait_state(a, COORD_CONNECTED, 5000));
    /* The connection must stay up once the watches are back. */
    CHECK_EQ_INT(coord_exists_sync(a, "/", NULL, NULL, NULL), 0);
    CHECK_EQ_INT(states_seen(COORD_SUSPENDED), 1);

    b = client_new(srv_hosts(&s, NULL), 8000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_FATAL(wait_state(b, COORD_CONNECTED, 5000));
    static const int probe[] = {0, 1, 4321, 8000, MANY_WATCHES - 1};
    for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
        snprintf(path, sizeof path, "/w/%05d%s", probe[i], pad);
        CHECK_EQ_INT(coord_create_sync(b, path, NULL, -1, NULL, 0, 0, NULL,
                                       NULL), 0);
    }
    for (int i = 0; i < 40 && fired_created < 5; i++)
        drive(a, NULL, 50);
    CHECK_EQ_INT(fired_created, 5);
}

CU_TestInfo session_tests[] = {
    {"dead hosts are skipped", dead_hosts_are_skipped},
    {"restart keeps session and watches", restart_keeps_session_and_watches},
    {"expiry moves to lost", expiry_moves_to_lost},
    {"session resumes with id and password",
     session_resumes_with_id_and_password},
    {"call times out while server stopped",
     call_times_out_while_server_stopped},
    {"refused auth is final", refused_auth_is_final},
    {"thread mode reconnects", thread_mode_reconnects},
    {"state listeners follow changes", state_listeners_follow_changes},
    {"many watches survive restart", many_watches_survive_restart},
    CU_TEST_INFO_NULL,
};
