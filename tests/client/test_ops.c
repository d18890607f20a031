/* Every operation, blocking and asynchronous, against one coordd. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

static struct coord *connect_shared(const char *suffix)
{
    struct coord *c = client_new(srv_hosts(&shared_srv, suffix), 6000);
    if (c && !wait_state(c, COORD_CONNECTED, 5000)) {
        coord_free(c);
        return NULL;
    }
    return c;
}

/* create, get, set, exists and delete round-trip with versions. */
static void crud_round_trip_updates_versions(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *path = NULL, *data = NULL;
    int32_t len = 0;
    struct coord_stat st;
    CHECK_EQ_INT(coord_create_sync(c, "/crud", "x", 1, NULL, COORD_PERSISTENT,
                                   0, &path, &st), 0);
    CHECK_EQ_STR(path, "/crud");
    CHECK_EQ_INT(st.version, 0);
    CHECK_EQ_INT(coord_get_sync(c, "/crud", NULL, NULL, &data, &len, &st), 0);
    CHECK_EQ_STR(data, "x");
    CHECK_EQ_INT(len, 1);
    CHECK_EQ_INT(coord_set_sync(c, "/crud", "yz", 2, 0, &st), 0);
    CHECK_EQ_INT(st.version, 1);
    CHECK_EQ_INT(st.data_length, 2);
    CHECK_EQ_INT(coord_set_sync(c, "/crud", "q", 1, 0, NULL), COORD_EBADVERSION);
    CHECK_EQ_INT(coord_exists_sync(c, "/crud", NULL, NULL, &st), 0);
    CHECK_EQ_INT(coord_create_sync(c, "/crud", NULL, -1, NULL, 0, 0, NULL, NULL),
                 COORD_ENODEEXISTS);
    CHECK_EQ_INT(coord_delete_sync(c, "/crud", 5), COORD_EBADVERSION);
    CHECK_EQ_INT(coord_delete_sync(c, "/crud", -1), 0);
    CHECK_EQ_INT(coord_exists_sync(c, "/crud", NULL, NULL, NULL), COORD_ENONODE);
    free(path);
    free(data);
    coord_free(c);
}

/* Null data stays null, empty stays empty (wire spec 5.4). */
static void null_and_empty_data_are_distinct(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *data = (char *)1;
    int32_t len = 7;
    CHECK_EQ_INT(coord_create_sync(c, "/null", NULL, -1, NULL, 0, 0, NULL, NULL), 0);
    CHECK_EQ_INT(coord_create_sync(c, "/empty", "", 0, NULL, 0, 0, NULL, NULL), 0);
    CHECK_EQ_INT(coord_get_sync(c, "/null", NULL, NULL, &data, &len, NULL), 0);
    CU_ASSERT_PTR_NULL(data);
    CHECK_EQ_INT(len, -1);
    CHECK_EQ_INT(coord_get_sync(c, "/empty", NULL, NULL, &data, &len, NULL), 0);
    CHECK_EQ_STR(data, "");
    CHECK_EQ_INT(len, 0);
    free(data);
    coord_free(c);
}

/* Sequential names, ephemerals listed by getEphemerals, gone on close. */
static void sequential_and_ephemeral_nodes(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *p1 = NULL, *p2 = NULL;
    CHECK_EQ_INT(coord_create_sync(c, "/seq", NULL, -1, NULL, 0, 0, NULL, NULL), 0);
    CHECK_EQ_INT(coord_create_sync(c, "/seq/n-", "", 0, NULL,
                                   COORD_EPHEMERAL_SEQUENTIAL, 0, &p1, NULL), 0);
    CHECK_EQ_INT(coord_create_sync(c, "/seq/n-", "", 0, NULL,
                                   COORD_EPHEMERAL_SEQUENTIAL, 0, &p2, NULL), 0);
    CHECK_EQ_STR(p1, "/seq/n-0000000000");
    CHECK_EQ_STR(p2, "/seq/n-0000000001");
    struct coord_strings *eph = NULL;
    CHECK_EQ_INT(coord_get_ephemerals_sync(c, "/seq", &eph), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(eph);
    CHECK_EQ_INT(eph->count, 2);
    free(eph);
    struct coord_stat st;
    CHECK_EQ_INT(coord_exists_sync(c, p1, NULL, NULL, &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, coord_session_id(c, NULL));
    coord_free(c);
    struct coord *d = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CHECK_EQ_INT(coord_exists_sync(d, p1, NULL, NULL, NULL), COORD_ENONODE);
    coord_free(d);
    free(p1);
    free(p2);
}

/* Containers and TTL nodes are created through their own opcodes. */
static void container_and_ttl_nodes(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct coord_stat st;
    CHECK_EQ_INT(coord_create_sync(c, "/box", NULL, -1, NULL, COORD_CONTAINER,
                                   0, NULL, &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, 0);
    CHECK_EQ_INT(coord_create_sync(c, "/ttl", "t", 1, NULL,
                                   COORD_PERSISTENT_WITH_TTL, 60000, NULL, &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, 0);
    CHECK_EQ_INT(coord_create_sync(c, "/ttl0", "t", 1, NULL,
                                   COORD_PERSISTENT_WITH_TTL, 0, NULL, NULL),
                 COORD_EBADARGUMENTS);
    coord_free(c);
}

/* createTTL inside a multi: the node is made, sequential TTL too; the
 * builder refuses non-TTL flags and a bad TTL fails the whole multi. */
static void txn_creates_ttl_nodes(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct coord_txn *t;
    CHECK_EQ_INT_FATAL(coord_txn_new(&t), 0);
    CHECK_EQ_INT(coord_txn_create_ttl(t, "/tx", NULL, -1, NULL,
                                      COORD_PERSISTENT, 1000), COORD_EINVAL);
    CHECK_EQ_INT(coord_txn_create(t, "/tx", NULL, -1, NULL,
                                  COORD_PERSISTENT_WITH_TTL), COORD_EINVAL);
    CHECK_EQ_INT(coord_txn_create_ttl(t, "/txttl", "t", 1, NULL,
                                      COORD_PERSISTENT_WITH_TTL, 60000), 0);
    CHECK_EQ_INT(coord_txn_create_ttl(t, "/txttl/s-", NULL, -1, NULL,
                                      COORD_PERSISTENT_SEQUENTIAL_WITH_TTL,
                                      60000), 0);
    CHECK_EQ_INT(coord_multi_sync(c, t), 0);
    CHECK_EQ_INT(coord_txn_count(t), 2);
    const struct coord_op_result *r = coord_txn_result(t, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CHECK_EQ_INT(r->err, 0);
    CU_ASSERT(r->path && strncmp(r->path, "/txttl/s-", 9) == 0);
    coord_txn_free(t);
    char *data = NULL;
    CHECK_EQ_INT(coord_get_sync(c, "/txttl", NULL, NULL, &data, NULL, NULL), 0);
    CHECK_EQ_STR(data, "t");
    free(data);
    CHECK_EQ_INT_FATAL(coord_txn_new(&t), 0);
    CHECK_EQ_INT(coord_txn_create(t, "/txok", NULL, -1, NULL, 0), 0);
    CHECK_EQ_INT(coord_txn_create_ttl(t, "/txbad", NULL, -1, NULL,
                                      COORD_PERSISTENT_WITH_TTL, 0), 0);
    CU_ASSERT(coord_multi_sync(c, t) != 0);
    coord_txn_free(t);
    CHECK_EQ_INT(coord_exists_sync(c, "/txok", NULL, NULL, NULL), COORD_ENONODE);
    coord_free(c);
}

/* getChildren2 gives names and the parent's Stat; counts are deep. */
static void children_and_counts(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    coord_create_sync(c, "/kids", NULL, -1, NULL, 0, 0, NULL, NULL);
    coord_create_sync(c, "/kids/a", NULL, -1, NULL, 0, 0, NULL, NULL);
    coord_create_sync(c, "/kids/b", NULL, -1, NULL, 0, 0, NULL, NULL);
    coord_create_sync(c, "/kids/b/c", NULL, -1, NULL, 0, 0, NULL, NULL);
    struct coord_strings *names = NULL;
    struct coord_stat st;
    CHECK_EQ_INT(coord_get_children_sync(c, "/kids", NULL, NULL, &names, &st), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    CHECK_EQ_INT(names->count, 2);
    CHECK_EQ_INT(st.num_children, 2);
    bool a = false, b = false;
    for (int i = 0; i < names->count; i++) {
        a |= strcmp(names->data[i], "a") == 0;
        b |= strcmp(names->data[i], "b") == 0;
    }
    CU_ASSERT(a && b);
    free(names);
    int32_t n = 0;
    CHECK_EQ_INT(coord_get_all_children_number_sync(c, "/kids", &n), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(coord_get_all_children_number_sync(c, "/nokids", &n),
                 COORD_ENONODE);
    CHECK_EQ_INT(coord_sync_sync(c, "/kids"), 0);
    coord_free(c);
}

/* Digest auth: the creator ACL admits its owner only; whoAmI says who. */
static void digest_acl_and_whoami(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT(coord_add_auth_sync(c, "digest", "bob:secret", 10), 0);
    struct coord_client_info *ids = NULL;
    int32_t n = 0;
    CHECK_EQ_INT(coord_whoami_sync(c, &ids, &n), 0);
    bool bob = false;
    for (int i = 0; i < n; i++)
        bob |= strcmp(ids[i].scheme, "digest") == 0 &&
               strcmp(ids[i].user, "bob") == 0;
    CU_ASSERT(bob);
    free(ids);
    CHECK_EQ_INT(coord_create_sync(c, "/sec", "s", 1, coord_acl_creator(), 0, 0,
                                   NULL, NULL), 0);
    struct coord_acl_list *acl = NULL;
    CHECK_EQ_INT(coord_acl_get_sync(c, "/sec", &acl, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(acl);
    CHECK_EQ_INT(acl->count, 1);
    CHECK_EQ_STR(acl->entries[0].scheme, "digest");
    CHECK_EQ_STR(acl->entries[0].id, "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
    free(acl);
    struct coord *other = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    CHECK_EQ_INT(coord_get_sync(other, "/sec", NULL, NULL, NULL, NULL, NULL),
                 COORD_ENOAUTH);
    struct coord_stat st;
    CHECK_EQ_INT(coord_acl_set_sync(c, "/sec", 0, coord_acl_read(), &st), 0);
    CHECK_EQ_INT(st.aversion, 1);
    CHECK_EQ_INT(coord_get_sync(other, "/sec", NULL, NULL, NULL, NULL, NULL), 0);
    coord_free(other);
    coord_free(c);
}

/* A failed multi applies nothing and reports each op (wire spec 9.2). */
static void multi_commits_or_rolls_back(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct coord_txn *t;
    CHECK_EQ_INT(coord_txn_new(&t), 0);
    coord_txn_create(t, "/m", "1", 1, NULL, 0);
    coord_txn_create(t, "/m/a", NULL, -1, NULL, 0);
    coord_txn_set(t, "/m", "2", 1, 0);
    coord_txn_check(t, "/m", 1);
    CHECK_EQ_INT(coord_multi_sync(c, t), 0);
    CHECK_EQ_INT(coord_txn_count(t), 4);
    const struct coord_op_result *r = coord_txn_result(t, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CHECK_EQ_STR(r->path, "/m/a");
    CHECK_EQ_INT(coord_txn_result(t, 2)->stat.version, 1);
    coord_txn_free(t);

    CHECK_EQ_INT(coord_txn_new(&t), 0);
    coord_txn_create(t, "/m/b", NULL, -1, NULL, 0);
    coord_txn_check(t, "/m", 7);
    coord_txn_delete(t, "/m/a", -1);
    CHECK_EQ_INT(coord_multi_sync(c, t), COORD_EBADVERSION);
    CHECK_EQ_INT(coord_txn_result(t, 0)->err, 0);
    CHECK_EQ_INT(coord_txn_result(t, 0)->type, -1);
    CHECK_EQ_INT(coord_txn_result(t, 1)->err, COORD_EBADVERSION);
    CHECK_EQ_INT(coord_txn_result(t, 2)->err, COORD_ERUNTIMEINCONSISTENCY);
    CHECK_EQ_INT(coord_exists_sync(c, "/m/b", NULL, NULL, NULL), COORD_ENONODE);
    /* Reads and writes do not mix. */
    CHECK_EQ_INT(coord_txn_get(t, "/m"), 0);
    CHECK_EQ_INT(coord_multi_sync(c, t), COORD_EINVAL);
    coord_txn_free(t);

    CHECK_EQ_INT(coord_txn_new(&t), 0);
    coord_txn_get(t, "/m");
    coord_txn_get(t, "/none");
    coord_txn_get_children(t, "/m");
    CHECK_EQ_INT(coord_multi_read_sync(c, t), 0);
    CHECK_EQ_STR(coord_txn_result(t, 0)->data, "2");
    CHECK_EQ_INT(coord_txn_result(t, 1)->err, COORD_ENONODE);
    CHECK_EQ_INT(coord_txn_result(t, 2)->children.count, 1);
    CHECK_EQ_STR(coord_txn_result(t, 2)->children.data[0], "a");
    coord_txn_free(t);
    coord_free(c);
}

/* A chroot prefixes requests and strips replies and events. */
static int chroot_events;
static char chroot_path[64];
static void chroot_watch(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    (void)ctx;
    if (type == COORD_EV_CREATED) {
        snprintf(chroot_path, sizeof chroot_path, "%s", path);
        chroot_events++;
    }
}

static void chroot_is_prefixed_and_stripped(void)
{
    struct coord *root = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    coord_create_sync(root, "/app", NULL, -1, NULL, 0, 0, NULL, NULL);
    struct coord *c = connect_shared("/app");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *path = NULL;
    chroot_events = 0;
    CHECK_EQ_INT(coord_exists_sync(c, "/x", chroot_watch, NULL, NULL),
                 COORD_ENONODE);
    CHECK_EQ_INT(coord_create_sync(c, "/x", "1", 1, NULL, 0, 0, &path, NULL), 0);
    CHECK_EQ_STR(path, "/x");
    free(path);
    CU_ASSERT(drive(c, &chroot_events, 2000));
    CHECK_EQ_STR(chroot_path, "/x");
    CHECK_EQ_INT(coord_exists_sync(root, "/app/x", NULL, NULL, NULL), 0);
    struct coord_strings *names = NULL;
    CHECK_EQ_INT(coord_get_children_sync(c, "/", NULL, NULL, &names, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    CHECK_EQ_INT(names->count, 1);
    free(names);
    CHECK_EQ_INT(coord_create_sync(c, "/e", NULL, -1, NULL, COORD_EPHEMERAL, 0,
                                   NULL, NULL), 0);
    struct coord_strings *eph = NULL;
    CHECK_EQ_INT(coord_get_ephemerals_sync(c, "/", &eph), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(eph);
    CHECK_EQ_INT(eph->count, 1);
    CHECK_EQ_STR(eph->data[0], "/e");
    free(eph);
    coord_free(c);
    coord_free(root);
}

/* A call refused up front never runs its callback (libuv rule). */
static int never_called;
static void count_cb(int rc, void *ctx)
{
    (void)rc;
    (void)ctx;
    never_called++;
}

static void bad_arguments_fail_without_callback(void)
{
    struct coord *c = connect_shared(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    never_called = 0;
    CHECK_EQ_INT(coord_delete(c, "no-slash", -1, count_cb, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(coord_delete(c, "/a/", -1, count_cb, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(coord_remove_watches(c, "/a", 9, count_cb, NULL), COORD_EINVAL);
    drive(c, NULL, 50);
    CHECK_EQ_INT(never_called, 0);
    struct coord *bad = NULL;
    struct coord_options o;
    coord_options_init(&o);
    o.hosts = "127.0.0.1";
    CHECK_EQ_INT(coord_new(&o, &bad), COORD_EINVAL);
    o.hosts = "[::1:2181";
    CHECK_EQ_INT(coord_new(&o, &bad), COORD_EINVAL);
    o.hosts = "127.0.0.1:2181/bad/";
    CHECK_EQ_INT(coord_new(&o, &bad), COORD_EINVAL);
    o.hosts = "127.0.0.1:2181";
    o.tls_ca_file = "no-such-ca.pem"; /* TLS files are read at once */
    CHECK_EQ_INT(coord_new(&o, &bad), COORD_EINVAL);
    CU_ASSERT_PTR_NULL(bad);
    coord_free(c);
}

/* Pipelined async calls complete in order, driven by the caller's loop. */
static int order[8], norder;
static void ordered_cb(int rc, const struct coord_stat *st, void *ctx)
{
    (void)st;
    if (norder < 8)
        order[norder++] = rc == 0 ? (int)(intptr_t)ctx : -1;
}
static void ordered_create(int rc, const char *p, const struct coord_stat *st,
                           void *ctx)
{
    (void)p;
    ordered_cb(rc, st, ctx);
}

static void async_calls_complete_in_order(void)
{
    struct coord *c = client_new(srv_hosts(&shared_srv, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    norder = 0;
    /* Queued before the session exists: sent once it does. */
    CHECK_EQ_INT(coord_create2(c, "/async", "a", 1, NULL, 0, 0, ordered_create,
                               (void *)1), 0);
    CHECK_EQ_INT(coord_set(c, "/async", "b", 1, 0, ordered_cb, (void *)2), 0);
    CHECK_EQ_INT(coord_set(c, "/async", "c", 1, 1, ordered_cb, (void *)3), 0);
    CHECK_EQ_INT(coord_exists(c, "/async", NULL, NULL, ordered_cb, (void *)4), 0);
    int four = 0;
    for (int i = 0; i < 200 && norder < 4; i++)
        drive(c, &four, 10);
    CHECK_EQ_INT(norder, 4);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(order[i], i + 1);
    coord_free(c);
}

/* Thread mode: blocking calls from this thread, watches on the library's. */
static int thread_events;
static void thread_watch(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    (void)path;
    (void)ctx;
    if (type == COORD_EV_CHANGED)
        __atomic_add_fetch(&thread_events, 1, __ATOMIC_SEQ_CST);
}

static void thread_mode_runs_callbacks_on_its_thread(void)
{
    struct coord *c = client_new(srv_hosts(&shared_srv, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT(coord_start_thread(c), 0);
    CHECK_EQ_INT(coord_start_thread(c), COORD_EINVAL);
    CHECK_EQ_INT(coord_process(c, 0), COORD_EINVAL);
    CU_ASSERT(wait_state(c, COORD_CONNECTED, 5000));
    thread_events = 0;
    CHECK_EQ_INT(coord_create_sync(c, "/thr", "1", 1, NULL, 0, 0, NULL, NULL), 0);
    CHECK_EQ_INT(coord_get_sync(c, "/thr", thread_watch, NULL, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(coord_set_sync(c, "/thr", "2", 1, -1, NULL), 0);
    for (int i = 0; i < 200 && !__atomic_load_n(&thread_events, __ATOMIC_SEQ_CST); i++)
        usleep(10000);
    CHECK_EQ_INT(__atomic_load_n(&thread_events, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ_INT(coord_stop_thread(c), 0);
    /* Back in event-loop mode the same handle keeps working. */
    CHECK_EQ_INT(coord_exists_sync(c, "/thr", NULL, NULL, NULL), 0);
    CHECK_EQ_INT(coord_start_thread(c), 0);
    coord_free(c); /* stops the thread itself */
}

/* A standalone server answers reconfig ReconfigDisabled by default and
 * Unimplemented with reconfigEnabled=true, as ZooKeeper does; the
 * out-pointers are left alone on error and the session stays usable. */
static void standalone_refuses_reconfig(void)
{
    struct coord *c = connect_shared("/chroot-ignored");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *data = NULL;
    int32_t len = 5;
    CHECK_EQ_INT(coord_reconfig_sync(c, "server.2=127.0.0.1:1:2;3", NULL, NULL,
                                     -1, &data, &len, NULL),
                 COORD_ERECONFIGDISABLED);
    CU_ASSERT_PTR_NULL(data);
    CHECK_EQ_INT(len, 5);
    CHECK_EQ_INT(coord_reconfig_sync(c, NULL, NULL, NULL, 0, NULL, NULL, NULL),
                 COORD_ERECONFIGDISABLED);
    CHECK_EQ_INT(coord_get_config_sync(c, NULL, NULL, NULL, NULL, NULL), 0);
    coord_free(c);

    struct srv on = {.extra = {"reconfigEnabled=true"}};
    CHECK_EQ_INT_FATAL(srv_start(&on), 0);
    c = client_new(srv_hosts(&on, NULL), 6000);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c != NULL && wait_state(c, COORD_CONNECTED, 5000)) {
        CHECK_EQ_INT(coord_reconfig_sync(c, NULL, "2", NULL, -1, &data, &len,
                                         NULL), COORD_EUNIMPLEMENTED);
        CHECK_EQ_INT(coord_state(c), COORD_CONNECTED);
        CHECK_EQ_INT(coord_exists_sync(c, "/", NULL, NULL, NULL), 0);
    } else {
        CU_FAIL("no connection to the reconfigEnabled server");
    }
    coord_free(c);
    srv_cleanup(&on);
}

CU_TestInfo ops_tests[] = {
    {"crud round trip updates versions", crud_round_trip_updates_versions},
    {"null and empty data are distinct", null_and_empty_data_are_distinct},
    {"sequential and ephemeral nodes", sequential_and_ephemeral_nodes},
    {"container and ttl nodes", container_and_ttl_nodes},
    {"txn creates ttl nodes", txn_creates_ttl_nodes},
    {"children and counts", children_and_counts},
    {"digest acl and whoami", digest_acl_and_whoami},
    {"multi commits or rolls back", multi_commits_or_rolls_back},
    {"chroot is prefixed and stripped", chroot_is_prefixed_and_stripped},
    {"bad arguments fail without callback", bad_arguments_fail_without_callback},
    {"async calls complete in order", async_calls_complete_in_order},
    {"thread mode runs callbacks on its thread",
     thread_mode_runs_callbacks_on_its_thread},
    {"standalone refuses reconfig", standalone_refuses_reconfig},
    CU_TEST_INFO_NULL,
};
