/* Nodes: Stat rules, sequential names, node kinds, error precedence. */
#include "tests/tree/helpers.h"

#include <string.h>

/* Wire spec 5.5: the fresh tree. */
static void fresh_tree_has_the_zookeeper_nodes_and_negative_cversions(void)
{
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/", &st), 0);
    CHECK_EQ_INT(st.cversion, -1);
    CHECK_EQ_INT(st.num_children, 1);
    CHECK_EQ_INT(st.czxid, 0);
    CHECK_EQ_INT(stat_of("/zookeeper", &st), 0);
    CHECK_EQ_INT(st.cversion, -2);
    CHECK_EQ_INT(st.num_children, 2);
    CHECK_EQ_INT(stat_of("/zookeeper/quota", &st), 0);
    CHECK_EQ_INT(st.cversion, 0);
    CHECK_EQ_INT(st.aversion, 0);
    CHECK_EQ_INT(stat_of("/zookeeper/config", &st), 0);
    CHECK_EQ_INT(st.aversion, -1);
    CHECK_EQ_INT(st.data_length, 0);
    char kids[64];
    CHECK_EQ_INT(children_w("/zookeeper", false, kids, sizeof kids), 0);
    CHECK_EQ_STR(kids, "config,quota");
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.nodes, 4);
    CHECK_EQ_INT(tree_last_zxid(t), 0);
}

static void config_node_is_read_only_for_the_world(void)
{
    CHECK_EQ_INT(set("/zookeeper/config", "x", -1), COORD_ENOAUTH);
    CHECK_EQ_INT(create("/zookeeper/config/x", "", 0), COORD_ENOAUTH);
    CHECK_EQ_INT(get_data_w("/zookeeper/config", false, NULL, 0, NULL), 0);
}

/* Wire spec 5.2/5.3 worked example. */
static void cversion_and_sequence_follow_child_creates(void)
{
    char path[64];
    CHECK_EQ_INT(create("/p", "", 0), 0);
    CHECK_EQ_INT(create("/p/a", "", 0), 0);
    CHECK_EQ_INT(create_path("/p/s-", COORD_PERSISTENT_SEQUENTIAL, path,
                             sizeof path), 0);
    CHECK_EQ_STR(path, "/p/s-0000000001");
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/p", &st), 0);
    CHECK_EQ_INT(st.cversion, 2);
    CHECK_EQ_INT(st.num_children, 2);
    CHECK_EQ_INT(del("/p/a", -1), 0);
    CHECK_EQ_INT(stat_of("/p", &st), 0);
    CHECK_EQ_INT(st.cversion, 3);
    CHECK_EQ_INT(st.pzxid, last_zxid_used());
    CHECK_EQ_INT(create_path("/p/s-", COORD_PERSISTENT_SEQUENTIAL, path,
                             sizeof path), 0);
    CHECK_EQ_STR(path, "/p/s-0000000002");
}

static void first_sequential_child_of_a_fresh_parent_is_zero(void)
{
    char path[64];
    CHECK_EQ_INT(create("/q", "", 0), 0);
    CHECK_EQ_INT(create_path("/q/", COORD_PERSISTENT_SEQUENTIAL, path,
                             sizeof path), 0);
    CHECK_EQ_STR(path, "/q/0000000000");
    /* "/" with flag 2 names a child of the root (wire spec 5.3) */
    CHECK_EQ_INT(create_path("/", COORD_PERSISTENT_SEQUENTIAL, path,
                             sizeof path), 0);
    CHECK_EQ_STR(path, "/0000000001");
}

static void sequence_collision_is_node_exists(void)
{
    CHECK_EQ_INT(create("/c", "", 0), 0);
    CHECK_EQ_INT(create("/c/x0000000001", "", 0), 0);
    CHECK_EQ_INT(create("/c/x", "", COORD_PERSISTENT_SEQUENTIAL),
                 COORD_ENODEEXISTS);
}

static void create_sets_the_stat_of_node_and_parent(void)
{
    set_time(5000);
    struct buf r;
    buf_init(&r, 1 << 20);
    CHECK_EQ_INT(create_op(COORD_OP_CREATE2, "/n", "abc", 0, -1, NULL, 0, &r),
                 0);
    struct jute_r rd;
    jute_r_init(&rd, r.base, r.len);
    struct jute_str p = jute_get_str(&rd);
    struct coord_stat st;
    coord_get_stat(&rd, &st);
    CHECK_TRUE(jute_r_done(&rd));
    CHECK_TRUE(jstr_is(p, "/n"));
    int64_t z = last_zxid_used();
    CHECK_EQ_INT(st.czxid, z);
    CHECK_EQ_INT(st.mzxid, z);
    CHECK_EQ_INT(st.pzxid, z);
    CHECK_EQ_INT(st.ctime, 5000);
    CHECK_EQ_INT(st.mtime, 5000);
    CHECK_EQ_INT(st.data_length, 3);
    CHECK_EQ_INT(st.version, 0);
    CHECK_EQ_INT(st.ephemeral_owner, 0);
    CHECK_EQ_INT(stat_of("/", &st), 0);
    CHECK_EQ_INT(st.pzxid, z);
    CHECK_EQ_INT(st.cversion, 0); /* 2*1 - 2 */
    CHECK_EQ_INT(tree_last_zxid(t), z);
    buf_close(&r);
}

static void set_data_bumps_version_and_mzxid_only(void)
{
    CHECK_EQ_INT(create("/d", "a", 0), 0);
    int64_t cz = last_zxid_used();
    set_time(9000);
    CHECK_EQ_INT(set("/d", "bb", 0), 0);
    CHECK_EQ_INT(set("/d", "bb", 0), COORD_EBADVERSION);
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/d", &st), 0);
    CHECK_EQ_INT(st.version, 1);
    CHECK_EQ_INT(st.czxid, cz);
    CHECK_EQ_INT(st.mzxid, cz + 1);
    CHECK_EQ_INT(st.mtime, 9000);
    CHECK_EQ_INT(st.pzxid, cz);
    CHECK_EQ_INT(st.data_length, 2);
    /* a failed write still consumes its zxid */
    CHECK_EQ_INT(tree_last_zxid(t), cz + 2);
}

static void null_and_empty_data_stay_distinct(void)
{
    int32_t len = 7;
    CHECK_EQ_INT(create("/null", NULL, 0), 0);
    CHECK_EQ_INT(create("/empty", "", 0), 0);
    CHECK_EQ_INT(get_data_w("/null", false, NULL, 0, &len), 0);
    CHECK_EQ_INT(len, -1);
    CHECK_EQ_INT(get_data_w("/empty", false, NULL, 0, &len), 0);
    CHECK_EQ_INT(len, 0);
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/null", &st), 0);
    CHECK_EQ_INT(st.data_length, 0);
    CHECK_EQ_INT(set("/empty", NULL, -1), 0);
    CHECK_EQ_INT(get_data_w("/empty", false, NULL, 0, &len), 0);
    CHECK_EQ_INT(len, -1);
}

/* Wire spec 7.2 worked examples. */
static void create_errors_follow_zookeeper_precedence(void)
{
    CHECK_EQ_INT(create("/", "", 0), COORD_ENODEEXISTS);
    CHECK_EQ_INT(create_op(COORD_OP_CREATE, "/missing/x", "", 0, -1, NULL, -1,
                           NULL),
                 COORD_EINVALIDACL);
    struct coord_acl none[1] = {{0}};
    CHECK_EQ_INT(create_op(COORD_OP_CREATE, "/missing/x", "", 0, -1, none, 0,
                           NULL),
                 COORD_EINVALIDACL);
    CHECK_EQ_INT(create("/p", "", 0), 0);
    CHECK_EQ_INT(create("/p//x", "", 0), COORD_ENONODE);
    CHECK_EQ_INT(create("/p/", "", 0), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create("/p/.", "", 0), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create("/p/...", "", 0), 0);
    CHECK_EQ_INT(create("nope", "", 0), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create("/p/x", "", 7), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create("/missing/x", "", 0), COORD_ENONODE);
    CHECK_EQ_INT(create("/p", "", 0), COORD_ENODEEXISTS);
}

static void delete_errors_follow_zookeeper_precedence(void)
{
    CHECK_EQ_INT(del("/", -1), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(del("/zookeeper", -1), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(del("/zookeeper/quota", -1), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(del("/zookeeper/config", -1), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create("/d", "", 0), 0);
    CHECK_EQ_INT(create("/d/c", "", 0), 0);
    CHECK_EQ_INT(del("/d", 5), COORD_EBADVERSION);
    CHECK_EQ_INT(del("/d", -1), COORD_ENOTEMPTY);
    CHECK_EQ_INT(del("/x/y", -1), COORD_ENONODE);
    CHECK_EQ_INT(del("/d/nothere", -1), COORD_ENONODE);
    CHECK_EQ_INT(del("/d/c", 0), 0);
    CHECK_EQ_INT(del("/d", 0), 0);
    CHECK_EQ_INT(stat_of("/d", &(struct coord_stat){0}), COORD_ENONODE);
}

static void reads_do_not_validate_paths(void)
{
    CHECK_EQ_INT(get_data_w("/a//b", false, NULL, 0, NULL), COORD_ENONODE);
    CHECK_EQ_INT(get_data_w("/zookeeper/", false, NULL, 0, NULL),
                 COORD_ENONODE);
    char kids[8];
    CHECK_EQ_INT(children_w("zookeeper", false, kids, sizeof kids),
                 COORD_ENONODE);
    CHECK_EQ_INT(exists_w("/a\0b", false), COORD_ENONODE); /* cstr stops */
}

static void exists_rejects_a_nul_in_the_path(void)
{
    struct buf b;
    buf_init(&b, 1024);
    struct coord_path_watch_req req = {{"/a\0b", 4}, false};
    coord_put_path_watch_req(&b, &req);
    CHECK_EQ_INT(read_op(COORD_OP_EXISTS, &b, NULL), COORD_EBADARGUMENTS);
    buf_close(&b);
}

static void ephemeral_nodes_belong_to_their_session(void)
{
    CHECK_EQ_INT(open_session(0x100), 0);
    cur_sid = 0x100;
    CHECK_EQ_INT(create("/e", "", COORD_EPHEMERAL), 0);
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/e", &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, 0x100);
    CHECK_EQ_INT(create("/e/x", "", 0), COORD_ENOCHILDRENFOREPHEMERALS);
    CHECK_EQ_INT(create("/e", "", 0), COORD_ENODEEXISTS);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.ephemerals, 1);
    CHECK_EQ_INT(s.sessions, 2);
}

static void unknown_session_is_expired(void)
{
    cur_sid = 0x999;
    CHECK_EQ_INT(create("/x", "", 0), COORD_ESESSIONEXPIRED);
    CHECK_EQ_INT(create("/x", "", 9), COORD_EBADARGUMENTS); /* flags first */
    CHECK_EQ_INT(del("/x", -1), COORD_ESESSIONEXPIRED);
    CHECK_EQ_INT(set("/x", "", -1), COORD_ESESSIONEXPIRED);
    CHECK_EQ_INT(close_session(0x999), COORD_ESESSIONEXPIRED);
}

static void close_session_deletes_its_ephemerals_with_events(void)
{
    CHECK_EQ_INT(open_session(0x200), 0);
    CHECK_EQ_INT(create("/dir", "", 0), 0);
    cur_sid = 0x200;
    CHECK_EQ_INT(create("/dir/a", "", COORD_EPHEMERAL), 0);
    CHECK_EQ_INT(create("/dir/b", "", COORD_EPHEMERAL_SEQUENTIAL), 0);
    cur_sid = TEST_SID;
    CHECK_EQ_INT(exists_w("/dir/a", true), 0);
    char kids[64];
    CHECK_EQ_INT(children_w("/dir", true, kids, sizeof kids), 0);
    CHECK_EQ_STR(kids, "a,b0000000001");
    nev = 0;
    CHECK_EQ_INT(close_session(0x200), 0);
    int64_t z = last_zxid_used();
    CHECK_EQ_INT(nev, 2);
    CHECK_EQ_INT(evs[0].type, COORD_EV_DELETED);
    CHECK_EQ_STR(evs[0].path, "/dir/a");
    CHECK_EQ_INT(evs[0].zxid, z);
    CHECK_EQ_INT(evs[1].type, COORD_EV_CHILD);
    CHECK_EQ_STR(evs[1].path, "/dir");
    CHECK_EQ_INT(children_w("/dir", false, kids, sizeof kids), 0);
    CHECK_EQ_STR(kids, "");
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/dir", &st), 0);
    CHECK_EQ_INT(st.cversion, 4);
    CHECK_EQ_INT(st.pzxid, z);
    CHECK_EQ_INT(tree_session_get(t, 0x200, NULL, NULL),
                 COORD_ESESSIONEXPIRED);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.ephemerals, 0);
    CHECK_EQ_INT(s.sessions, 1);
}

static void session_table_keeps_timeout_and_password(void)
{
    CHECK_EQ_INT(open_session(0x300), 0);
    int32_t to = 0;
    uint8_t pw[16];
    CHECK_EQ_INT(tree_session_get(t, 0x300, &to, pw), 0);
    CHECK_EQ_INT(to, 30000);
    CHECK_EQ_MEM(pw, "0123456789abcdef", 16);
}

static void count_eph(void *ctx, const char *path, size_t len)
{
    (void)path;
    (void)len;
    (*(int *)ctx)++;
}

static void get_ephemerals_filters_by_prefix(void)
{
    CHECK_EQ_INT(open_session(0x400), 0);
    cur_sid = 0x400;
    CHECK_EQ_INT(create("/e1", "", COORD_EPHEMERAL), 0);
    CHECK_EQ_INT(create("/f1", "", COORD_EPHEMERAL), 0);
    int n = 0;
    tree_ephemerals_foreach(t, 0x400, count_eph, &n);
    CHECK_EQ_INT(n, 2);
    struct buf b, r;
    buf_init(&b, 1024);
    buf_init(&r, 1024);
    struct coord_path_req req = {jute_cstr("/e")};
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(read_op(COORD_OP_GETEPHEMERALS, &b, &r), 0);
    struct jute_r rd;
    jute_r_init(&rd, r.base, r.len);
    CHECK_EQ_INT(jute_get_int(&rd), 1);
    struct jute_str s = jute_get_str(&rd);
    CHECK_TRUE(jstr_is(s, "/e1"));
    buf_reset(&b);
    buf_reset(&r);
    req.path = jute_cstr("/");
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(read_op(COORD_OP_GETEPHEMERALS, &b, &r), 0);
    CHECK_EQ_INT(jute_be32(r.base), 2);
    buf_close(&b);
    buf_close(&r);
}

static void all_children_number_counts_descendants(void)
{
    struct buf b, r;
    buf_init(&b, 1024);
    buf_init(&r, 1024);
    struct coord_path_req req = {jute_cstr("/")};
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(read_op(COORD_OP_GETALLCHILDRENNUMBER, &b, &r), 0);
    CHECK_EQ_INT(jute_be32(r.base), 3);
    CHECK_EQ_INT(create("/a", "", 0), 0);
    CHECK_EQ_INT(create("/a/b", "", 0), 0);
    CHECK_EQ_INT(create("/a/b/c", "", 0), 0);
    CHECK_EQ_INT(create("/a/d", "", 0), 0);
    buf_reset(&r);
    CHECK_EQ_INT(read_op(COORD_OP_GETALLCHILDRENNUMBER, &b, &r), 0);
    CHECK_EQ_INT(jute_be32(r.base), 7);
    buf_reset(&b);
    buf_reset(&r);
    req.path = jute_cstr("/a");
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(read_op(COORD_OP_GETALLCHILDRENNUMBER, &b, &r), 0);
    CHECK_EQ_INT(jute_be32(r.base), 3);
    buf_reset(&b);
    req.path = jute_cstr("/nope");
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(read_op(COORD_OP_GETALLCHILDRENNUMBER, &b, &r),
                 COORD_ENONODE);
    buf_close(&b);
    buf_close(&r);
}

static void container_shows_owner_zero_and_is_reaped_once_emptied(void)
{
    struct buf r;
    buf_init(&r, 1024);
    CHECK_EQ_INT(create_op(COORD_OP_CREATECONTAINER, "/box", "", 4, -1, NULL,
                           0, &r),
                 0);
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/box", &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, 0);
    int n = 0;
    CHECK_EQ_INT(tree_reap_candidates(t, 1 << 30, 10, count_eph, &n), 0);
    CHECK_EQ_INT(create("/box/a", "", 0), 0);
    CHECK_EQ_INT(tree_reap_candidates(t, 1 << 30, 10, count_eph, &n), 0);
    CHECK_EQ_INT(del("/box/a", -1), 0);
    CHECK_EQ_INT(tree_reap_candidates(t, 0, 10, count_eph, &n), 1);
    struct buf b;
    buf_init(&b, 1024);
    struct coord_path_req req = {jute_cstr("/box")};
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(apply_txn(COORD_OP_DELETECONTAINER, &b, NULL), 0);
    CHECK_EQ_INT(stat_of("/box", &st), COORD_ENONODE);
    CHECK_EQ_INT(tree_reap_candidates(t, 1 << 30, 10, count_eph, &n), 0);
    buf_close(&b);
    buf_close(&r);
}

static void delete_container_refuses_parents_and_ephemerals(void)
{
    CHECK_EQ_INT(open_session(0x500), 0);
    CHECK_EQ_INT(create("/k", "", 0), 0);
    CHECK_EQ_INT(create("/k/c", "", 0), 0);
    cur_sid = 0x500;
    CHECK_EQ_INT(create("/eph", "", COORD_EPHEMERAL), 0);
    cur_sid = TEST_SID;
    struct buf b;
    buf_init(&b, 1024);
    struct coord_path_req req = {jute_cstr("/k")};
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(apply_txn(COORD_OP_DELETECONTAINER, &b, NULL),
                 COORD_ENOTEMPTY);
    buf_reset(&b);
    req.path = jute_cstr("/eph");
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(apply_txn(COORD_OP_DELETECONTAINER, &b, NULL),
                 COORD_EBADVERSION);
    buf_reset(&b);
    req.path = jute_cstr("/k/c"); /* plain, childless: no ACL check */
    coord_put_path_req(&b, &req);
    CHECK_EQ_INT(apply_txn(COORD_OP_DELETECONTAINER, &b, NULL), 0);
    buf_close(&b);
}

static void never_used_container_is_reaped_only_when_configured(void)
{
    tree_free(t);
    struct tree_config cfg = {false, 100};
    t = tree_new(&cfg, NULL, NULL);
    CHECK_EQ_INT(open_session(TEST_SID), 0);
    set_time(1000);
    CHECK_EQ_INT(create_op(COORD_OP_CREATECONTAINER, "/c", "", 4, -1, NULL, 0,
                           NULL),
                 0);
    int n = 0;
    CHECK_EQ_INT(tree_reap_candidates(t, 1100, 10, count_eph, &n), 0);
    CHECK_EQ_INT(tree_reap_candidates(t, 1101, 10, count_eph, &n), 1);
}

static void ttl_is_unimplemented_unless_enabled(void)
{
    CHECK_EQ_INT(create_op(COORD_OP_CREATETTL, "/t", "", 5, 100, NULL, 0, NULL),
                 COORD_EUNIMPLEMENTED);
    CHECK_EQ_INT(create("/t", "", 5), COORD_EUNIMPLEMENTED);
}

static void ttl_bounds_are_checked(void)
{
    int64_t max = ((int64_t)1 << 40) - 1;
    CHECK_EQ_INT(create_op(COORD_OP_CREATETTL, "/t", "", 5, 0, NULL, 0, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create_op(COORD_OP_CREATETTL, "/t", "", 5, max + 1, NULL, 0,
                           NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create("/t", "", 5), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create_op(COORD_OP_CREATETTL, "/t", "", 0, 10, NULL, 0, NULL),
                 COORD_EBADARGUMENTS);
    CHECK_EQ_INT(create_op(COORD_OP_CREATETTL, "/t", "", 5, max, NULL, 0,
                           NULL),
                 0);
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/t", &st), 0);
    CHECK_EQ_INT(st.ephemeral_owner, 0);
}

static void ttl_node_is_reaped_after_its_ttl_without_set_data(void)
{
    set_time(1000);
    char path[64];
    struct buf r;
    buf_init(&r, 1024);
    CHECK_EQ_INT(create_op(COORD_OP_CREATETTL, "/t-", "", 6, 500, NULL, 0, &r),
                 0);
    struct jute_r rd;
    jute_r_init(&rd, r.base, r.len);
    struct jute_str p = jute_get_str(&rd);
    memcpy(path, p.p, (size_t)p.len);
    path[p.len] = 0;
    CHECK_EQ_STR(path, "/t-0000000000");
    int n = 0;
    CHECK_EQ_INT(tree_reap_candidates(t, 1500, 10, count_eph, &n), 0);
    CHECK_EQ_INT(tree_reap_candidates(t, 1501, 10, count_eph, &n), 1);
    set_time(1400);
    CHECK_EQ_INT(set(path, "x", -1), 0);
    CHECK_EQ_INT(tree_reap_candidates(t, 1501, 10, count_eph, &n), 0);
    buf_close(&r);
}

static void versions_skip_minus_one_on_wrap(void)
{
    struct coord_stat st;
    /* /zookeeper/config starts at aversion -1 */
    cur_super = true;
    struct coord_acl acl = acl_of(COORD_PERM_READ, "world", "anyone");
    CHECK_EQ_INT(setacl("/zookeeper/config", &acl, 1, -1), 0);
    CHECK_EQ_INT(stat_of("/zookeeper/config", &st), 0);
    CHECK_EQ_INT(st.aversion, 0);
}

static void unknown_txn_type_is_unimplemented(void)
{
    CHECK_EQ_INT(apply_txn(COORD_OP_GETDATA, NULL, NULL), COORD_EUNIMPLEMENTED);
    CHECK_EQ_INT(apply_txn(COORD_OP_CHECK, NULL, NULL), COORD_EUNIMPLEMENTED);
    struct buf b;
    buf_init(&b, 16);
    jute_put_int(&b, 1);
    CHECK_EQ_INT(apply_txn(COORD_OP_CREATE, &b, NULL), COORD_EMARSHALLING);
    buf_close(&b);
}

static CU_TestInfo node_tests[] = {
    {"fresh tree has the zookeeper nodes and negative cversions",
     fresh_tree_has_the_zookeeper_nodes_and_negative_cversions},
    {"config node is read only for the world",
     config_node_is_read_only_for_the_world},
    {"cversion and sequence follow child creates",
     cversion_and_sequence_follow_child_creates},
    {"first sequential child of a fresh parent is zero",
     first_sequential_child_of_a_fresh_parent_is_zero},
    {"sequence collision is node exists", sequence_collision_is_node_exists},
    {"create sets the stat of node and parent",
     create_sets_the_stat_of_node_and_parent},
    {"set data bumps version and mzxid only",
     set_data_bumps_version_and_mzxid_only},
    {"null and empty data stay distinct", null_and_empty_data_stay_distinct},
    {"create errors follow zookeeper precedence",
     create_errors_follow_zookeeper_precedence},
    {"delete errors follow zookeeper precedence",
     delete_errors_follow_zookeeper_precedence},
    {"reads do not validate paths", reads_do_not_validate_paths},
    {"exists rejects a nul in the path", exists_rejects_a_nul_in_the_path},
    {"ephemeral nodes belong to their session",
     ephemeral_nodes_belong_to_their_session},
    {"unknown session is expired", unknown_session_is_expired},
    {"close session deletes its ephemerals with events",
     close_session_deletes_its_ephemerals_with_events},
    {"session table keeps timeout and password",
     session_table_keeps_timeout_and_password},
    {"get ephemerals filters by prefix", get_ephemerals_filters_by_prefix},
    {"all children number counts descendants",
     all_children_number_counts_descendants},
    {"container shows owner zero and is reaped once emptied",
     container_shows_owner_zero_and_is_reaped_once_emptied},
    {"delete container refuses parents and ephemerals",
     delete_container_refuses_parents_and_ephemerals},
    {"never used container is reaped only when configured",
     never_used_container_is_reaped_only_when_configured},
    {"ttl is unimplemented unless enabled", ttl_is_unimplemented_unless_enabled},
    {"versions skip minus one on wrap", versions_skip_minus_one_on_wrap},
    {"unknown txn type is unimplemented", unknown_txn_type_is_unimplemented},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ttl_tests[] = {
    {"ttl bounds are checked", ttl_bounds_are_checked},
    {"ttl node is reaped after its ttl without set data",
     ttl_node_is_reaped_after_its_ttl_without_set_data},
    CU_TEST_INFO_NULL,
};

CU_TestInfo *test_nodes_tests = node_tests;
CU_TestInfo *test_ttl_tests = ttl_tests;
