/* Round trips of every record, and the opcode helpers. */
#include <stdlib.h>

#include "proto/err.h"
#include "proto/records.h"
#include "tests/lib/check.h"
#include "tests/proto/suites.h"

static struct buf b;   /* what the test encoded */
static struct buf vec; /* a vector encoded for a record to carry */
static struct jute_r r;

/* Starts reading back what was encoded, from an exact-size heap copy. */
static void reread(void)
{
    CHECK_EQ_INT(b.err, 0);
    jute_r_init(&r, proto_block(b.base, b.len), b.len);
}

void records_setup(void)
{
    buf_init(&b, 1 << 16);
    buf_init(&vec, 1 << 16);
}

void records_teardown(void)
{
    buf_close(&b);
    buf_close(&vec);
    proto_free_blocks();
}

static const struct coord_acl acls[] = {
    {COORD_PERM_ALL, {{"world", 5}, {"anyone", 6}}},
    {COORD_PERM_READ | COORD_PERM_ADMIN, {{"digest", 6}, {"bob:xyz=", 8}}},
    {0, {{"auth", 4}, {NULL, -1}}}, /* kazoo's empty id travels as null */
};
static const struct jute_str names[] = {
    {"/a", 2}, {"", 0}, {NULL, -1}, {"/zookeeper/config", 17}};

/* Walks an ACL vector and compares it with acls[]. */
static void check_acls(const struct jute_vec *v)
{
    struct jute_r it;
    CHECK_EQ_INT(v->count, 3);
    jute_vec_iter(v, &it);
    for (int i = 0; i < 3; i++) {
        struct coord_acl a;
        CHECK_EQ_INT(coord_get_acl(&it, &a), 0);
        CHECK_EQ_INT(a.perms, acls[i].perms);
        CHECK_TRUE(jute_str_eq(a.id.scheme, acls[i].id.scheme));
        CHECK_TRUE(jute_str_eq(a.id.id, acls[i].id.id));
    }
    CHECK_TRUE(jute_r_done(&it));
}

static void check_names(const struct jute_vec *v)
{
    struct jute_r it;
    CHECK_EQ_INT(v->count, 4);
    jute_vec_iter(v, &it);
    for (int i = 0; i < 4; i++)
        CHECK_TRUE(jute_str_eq(jute_get_str(&it), names[i]));
    CHECK_TRUE(jute_r_done(&it));
}

static void stat_round_trips_in_68_bytes(void)
{
    struct coord_stat in = {1, 2, 3, 4, 5, 6, 7, INT64_MIN, 9, 10, INT64_MAX},
                      out;
    coord_put_stat(&b, &in);
    CHECK_EQ_INT(b.len, COORD_STAT_SIZE);
    reread();
    CHECK_EQ_INT(coord_get_stat(&r, &out), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_INT(out.czxid, 1);
    CHECK_EQ_INT(out.mzxid, 2);
    CHECK_EQ_INT(out.ctime, 3);
    CHECK_EQ_INT(out.mtime, 4);
    CHECK_EQ_INT(out.version, 5);
    CHECK_EQ_INT(out.cversion, 6);
    CHECK_EQ_INT(out.aversion, 7);
    CHECK_EQ_INT(out.ephemeral_owner, INT64_MIN);
    CHECK_EQ_INT(out.data_length, 9);
    CHECK_EQ_INT(out.num_children, 10);
    CHECK_EQ_INT(out.pzxid, INT64_MAX);
}

static void acl_vector_round_trips_and_iterates(void)
{
    struct jute_vec v;
    coord_put_acl_array(&b, acls, 3);
    reread();
    CHECK_EQ_INT(coord_get_acl_vec(&r, &v), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_INT(v.len, b.len - 4);
    check_acls(&v);

    /* Copying the still-encoded vector reproduces the bytes. */
    coord_put_vec(&vec, &v);
    CHECK_EQ_INT(vec.len, b.len);
    CHECK_EQ_MEM(vec.base, b.base, b.len);
}

static void string_vector_keeps_null_and_empty_apart(void)
{
    struct jute_vec v;
    coord_put_str_array(&b, names, 4);
    reread();
    CHECK_EQ_INT(coord_get_str_vec(&r, &v), 0);
    CHECK_TRUE(jute_r_done(&r));
    check_names(&v);
}

static void null_and_empty_vectors_round_trip(void)
{
    struct jute_vec nul, empty;
    coord_put_str_array(&b, NULL, -1);
    coord_put_acl_array(&b, NULL, 0);
    reread();
    CHECK_EQ_INT(coord_get_str_vec(&r, &nul), 0);
    CHECK_EQ_INT(coord_get_acl_vec(&r, &empty), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_INT(nul.count, -1);
    CHECK_TRUE(nul.p == NULL);
    CHECK_EQ_INT(nul.len, 0);
    CHECK_EQ_INT(empty.count, 0);
    CHECK_EQ_INT(empty.len, 0);

    struct jute_r it;
    jute_vec_iter(&nul, &it);
    CHECK_TRUE(jute_r_done(&it));

    coord_put_vec(&vec, &nul);
    coord_put_vec(&vec, &empty);
    CHECK_EQ_INT(vec.len, 8);
    CHECK_EQ_MEM(vec.base, "\xff\xff\xff\xff\0\0\0\0", 8);
}

static void connect_request_round_trips_with_and_without_readonly(void)
{
    static const char pw[16] = "0123456789abcdef";
    for (int ro = 0; ro < 2; ro++) {
        struct coord_connect_req in = {0, 0x1234567890, 5000,
                                       0x0100000000000009, {pw, 16}, ro, ro},
                                 out;
        buf_reset(&b);
        coord_put_connect_req(&b, &in);
        CHECK_EQ_INT(b.len, ro ? 45 : 44);
        reread();
        CHECK_EQ_INT(coord_get_connect_req(&r, &out), 0);
        CHECK_TRUE(jute_r_done(&r));
        CHECK_EQ_INT(out.last_zxid_seen, in.last_zxid_seen);
        CHECK_EQ_INT(out.timeout, in.timeout);
        CHECK_EQ_INT(out.session_id, in.session_id);
        CHECK_TRUE(jute_str_eq(out.passwd, in.passwd));
        CHECK_EQ_INT(out.has_readonly, ro);
        CHECK_EQ_INT(out.readonly, ro);
    }
}

static void connect_response_round_trips_with_and_without_readonly(void)
{
    static const char pw[16] = "fedcba9876543210";
    for (int ro = 0; ro < 2; ro++) {
        struct coord_connect_resp in = {0, 4000, 0x01000007e1de0000,
                                        {pw, 16}, ro, ro},
                                  out;
        buf_reset(&b);
        coord_put_connect_resp(&b, &in);
        CHECK_EQ_INT(b.len, ro ? 37 : 36);
        reread();
        CHECK_EQ_INT(coord_get_connect_resp(&r, &out), 0);
        CHECK_TRUE(jute_r_done(&r));
        CHECK_EQ_INT(out.timeout, 4000);
        CHECK_EQ_INT(out.session_id, in.session_id);
        CHECK_TRUE(jute_str_eq(out.passwd, in.passwd));
        CHECK_EQ_INT(out.has_readonly, ro);
        CHECK_EQ_INT(out.readonly, ro);
    }
}

static void headers_round_trip(void)
{
    struct coord_request_header rq = {INT32_MIN, COORD_OP_SETWATCHES2}, rq2;
    struct coord_reply_header rp = {-8, INT64_MAX, COORD_ETHROTTLED}, rp2;
    struct coord_multi_header mh = {COORD_OP_CREATETTL, true, -2}, mh2;
    coord_put_request_header(&b, &rq);
    coord_put_reply_header(&b, &rp);
    coord_put_multi_header(&b, &mh);
    CHECK_EQ_INT(b.len, 8 + 16 + 9);
    reread();
    CHECK_EQ_INT(coord_get_request_header(&r, &rq2), 0);
    CHECK_EQ_INT(coord_get_reply_header(&r, &rp2), 0);
    CHECK_EQ_INT(coord_get_multi_header(&r, &mh2), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_INT(rq2.xid, rq.xid);
    CHECK_EQ_INT(rq2.type, rq.type);
    CHECK_EQ_INT(rp2.xid, rp.xid);
    CHECK_EQ_INT(rp2.zxid, rp.zxid);
    CHECK_EQ_INT(rp2.err, rp.err);
    CHECK_EQ_INT(mh2.type, mh.type);
    CHECK_TRUE(mh2.done);
    CHECK_EQ_INT(mh2.err, mh.err);
}

static void auth_packet_and_watcher_event_round_trip(void)
{
    struct coord_auth_packet ap = {0, jute_cstr("ip"), {"\0\1\2", 3}}, ap2;
    struct coord_watcher_event ev = {COORD_EV_CHILD, 3, JUTE_NULL}, ev2;
    coord_put_auth_packet(&b, &ap);
    coord_put_watcher_event(&b, &ev);
    reread();
    CHECK_EQ_INT(coord_get_auth_packet(&r, &ap2), 0);
    CHECK_EQ_INT(coord_get_watcher_event(&r, &ev2), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_TRUE(jute_str_eq(ap2.scheme, ap.scheme));
    CHECK_TRUE(jute_str_eq(ap2.auth, ap.auth));
    CHECK_EQ_INT(ev2.type, COORD_EV_CHILD);
    CHECK_EQ_INT(ev2.state, 3);
    CHECK_EQ_INT(ev2.path.len, -1);
}

static void create_request_round_trips_in_both_forms(void)
{
    coord_put_acl_array(&vec, acls, 3);
    struct coord_create_req in = {jute_cstr("/t/ttl-"), JUTE_NULL,
                                  proto_vec_of(&vec),
                                  COORD_PERSISTENT_SEQUENTIAL_WITH_TTL, 60000},
                            out;
    coord_put_create_req(&b, &in, true);
    coord_put_create_req(&b, &in, false);
    reread();
    CHECK_EQ_INT(coord_get_create_req(&r, &out, true), 0);
    CHECK_TRUE(jute_str_eq(out.path, in.path));
    CHECK_EQ_INT(out.data.len, -1); /* null data survives */
    check_acls(&out.acl);
    CHECK_EQ_INT(out.flags, in.flags);
    CHECK_EQ_INT(out.ttl, 60000);
    CHECK_EQ_INT(coord_get_create_req(&r, &out, false), 0);
    CHECK_EQ_INT(out.ttl, -1);
    check_acls(&out.acl);
    CHECK_TRUE(jute_r_done(&r));
}

static void small_path_requests_round_trip(void)
{
    struct coord_delete_req del = {jute_cstr("/d"), -1}, del2;
    struct coord_path_watch_req pw = {jute_cstr("/w"), false}, pw2;
    struct coord_setdata_req sd = {jute_cstr("/s"), {"", 0}, 7}, sd2;
    struct coord_path_req p = {JUTE_NULL}, p2;
    struct coord_check_req ck = {jute_cstr("/c"), 3}, ck2;
    struct coord_watches_req w = {jute_cstr("/x"), COORD_WT_ANY}, w2;
    struct coord_addwatch_req aw = {jute_cstr("/y"), 1}, aw2;
    coord_put_delete_req(&b, &del);
    coord_put_path_watch_req(&b, &pw);
    coord_put_setdata_req(&b, &sd);
    coord_put_path_req(&b, &p);
    coord_put_check_req(&b, &ck);
    coord_put_watches_req(&b, &w);
    coord_put_addwatch_req(&b, &aw);
    reread();
    CHECK_EQ_INT(coord_get_delete_req(&r, &del2), 0);
    CHECK_EQ_INT(coord_get_path_watch_req(&r, &pw2), 0);
    CHECK_EQ_INT(coord_get_setdata_req(&r, &sd2), 0);
    CHECK_EQ_INT(coord_get_path_req(&r, &p2), 0);
    CHECK_EQ_INT(coord_get_check_req(&r, &ck2), 0);
    CHECK_EQ_INT(coord_get_watches_req(&r, &w2), 0);
    CHECK_EQ_INT(coord_get_addwatch_req(&r, &aw2), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_JSTR(del2.path, "/d");
    CHECK_EQ_INT(del2.version, -1);
    CHECK_EQ_JSTR(pw2.path, "/w");
    CHECK_TRUE(!pw2.watch);
    CHECK_EQ_JSTR(sd2.path, "/s");
    CHECK_EQ_INT(sd2.data.len, 0); /* empty, not null */
    CHECK_EQ_INT(sd2.version, 7);
    CHECK_EQ_INT(p2.path.len, -1);
    CHECK_EQ_JSTR(ck2.path, "/c");
    CHECK_EQ_INT(ck2.version, 3);
    CHECK_EQ_JSTR(w2.path, "/x");
    CHECK_EQ_INT(w2.type, COORD_WT_ANY);
    CHECK_EQ_JSTR(aw2.path, "/y");
    CHECK_EQ_INT(aw2.mode, 1);
}

static void setacl_request_round_trips(void)
{
    coord_put_acl_array(&vec, acls, 3);
    struct coord_setacl_req in = {jute_cstr("/acl"), proto_vec_of(&vec), 4},
                            out;
    coord_put_setacl_req(&b, &in);
    reread();
    CHECK_EQ_INT(coord_get_setacl_req(&r, &out), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_JSTR(out.path, "/acl");
    check_acls(&out.acl);
    CHECK_EQ_INT(out.version, 4);
}

static void reconfig_request_round_trips(void)
{
    struct coord_reconfig_req in = {jute_cstr("server.4=h:2888:3888"),
                                    JUTE_NULL, jute_cstr(""), -1},
                              out;
    coord_put_reconfig_req(&b, &in);
    reread();
    CHECK_EQ_INT(coord_get_reconfig_req(&r, &out), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_TRUE(jute_str_eq(out.joining, in.joining));
    CHECK_EQ_INT(out.leaving.len, -1);
    CHECK_EQ_INT(out.new_members.len, 0);
    CHECK_EQ_INT(out.cur_config_id, -1);
}

static void setwatches_round_trips_in_both_versions(void)
{
    coord_put_str_array(&vec, names, 4);
    struct jute_vec v = proto_vec_of(&vec);
    struct jute_vec nul = {-1, NULL, 0};
    struct coord_setwatches_req in = {99, v, nul, v, v, v}, out;
    coord_put_setwatches_req(&b, &in, false);
    size_t v1_len = b.len;
    coord_put_setwatches_req(&b, &in, true);
    reread();
    CHECK_EQ_INT(coord_get_setwatches_req(&r, &out, false), 0);
    CHECK_EQ_INT(r.left, b.len - v1_len);
    CHECK_EQ_INT(out.relative_zxid, 99);
    check_names(&out.data);
    CHECK_EQ_INT(out.exist.count, -1);
    check_names(&out.child);
    CHECK_EQ_INT(out.persistent.count, 0); /* absent in setWatches */
    CHECK_EQ_INT(out.recursive.count, 0);
    CHECK_EQ_INT(coord_get_setwatches_req(&r, &out, true), 0);
    CHECK_TRUE(jute_r_done(&r));
    check_names(&out.persistent);
    check_names(&out.recursive);
}

static void notification_frame_carries_its_own_length(void)
{
    coord_frame_notification(&b, -1, COORD_EV_DELETED, jute_cstr("/gone"));
    reread();
    struct coord_reply_header h;
    struct coord_watcher_event ev;
    CHECK_EQ_INT(jute_get_int(&r), b.len - 4);
    CHECK_EQ_INT(coord_get_reply_header(&r, &h), 0);
    CHECK_EQ_INT(coord_get_watcher_event(&r, &ev), 0);
    CHECK_TRUE(jute_r_done(&r));
    CHECK_EQ_INT(h.xid, -1);
    CHECK_EQ_INT(h.zxid, -1);
    CHECK_EQ_INT(ev.type, COORD_EV_DELETED);
    CHECK_EQ_JSTR(ev.path, "/gone");
}

static void encoders_stop_at_the_buffer_cap(void)
{
    struct buf small;
    buf_init(&small, 10);
    struct coord_stat st = {0};
    coord_put_stat(&small, &st);
    CHECK_EQ_INT(small.err, COORD_ETOOBIG);
    CHECK_TRUE(small.len <= 10);
    buf_close(&small);
}

static void writes_are_the_state_changing_opcodes(void)
{
    static const int32_t writes[] = {
        COORD_OP_CREATE,          COORD_OP_DELETE,          COORD_OP_SETDATA,
        COORD_OP_SETACL,          COORD_OP_MULTI,           COORD_OP_CREATE2,
        COORD_OP_CREATECONTAINER, COORD_OP_DELETECONTAINER, COORD_OP_CREATETTL,
        COORD_OP_RECONFIG,        COORD_OP_CREATESESSION,   COORD_OP_CLOSESESSION,
    };
    static const int32_t reads[] = {
        COORD_OP_EXISTS,      COORD_OP_GETDATA,     COORD_OP_GETACL,
        COORD_OP_GETCHILDREN, COORD_OP_SYNC,        COORD_OP_PING,
        COORD_OP_GETCHILDREN2, COORD_OP_CHECK,      COORD_OP_MULTIREAD,
        COORD_OP_AUTH,        COORD_OP_SETWATCHES,  COORD_OP_SETWATCHES2,
        COORD_OP_ADDWATCH,    COORD_OP_WHOAMI,      COORD_OP_NOTIFICATION,
        COORD_OP_ERROR,       55,
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        CHECK_TRUE(coord_op_is_write(writes[i]));
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        CHECK_TRUE(!coord_op_is_write(reads[i]));
}

static void opcodes_have_zookeeper_names(void)
{
    CHECK_EQ_STR(coord_op_name(COORD_OP_CREATE), "create");
    CHECK_EQ_STR(coord_op_name(COORD_OP_GETDATA), "getData");
    CHECK_EQ_STR(coord_op_name(COORD_OP_GETCHILDREN2), "getChildren2");
    CHECK_EQ_STR(coord_op_name(COORD_OP_CREATETTL), "createTTL");
    CHECK_EQ_STR(coord_op_name(COORD_OP_SETWATCHES2), "setWatches2");
    CHECK_EQ_STR(coord_op_name(COORD_OP_CLOSESESSION), "closeSession");
    CHECK_EQ_STR(coord_op_name(COORD_OP_WHOAMI), "whoAmI");
    CHECK_EQ_STR(coord_op_name(55), "unknown");
    CHECK_EQ_STR(coord_op_name(10), "unknown");
}

CU_TestInfo records_tests[] = {
    {"stat round trips in 68 bytes", stat_round_trips_in_68_bytes},
    {"ACL vector round trips and iterates",
     acl_vector_round_trips_and_iterates},
    {"string vector keeps null and empty apart",
     string_vector_keeps_null_and_empty_apart},
    {"null and empty vectors round trip", null_and_empty_vectors_round_trip},
    {"connect request round trips with and without readOnly",
     connect_request_round_trips_with_and_without_readonly},
    {"connect response round trips with and without readOnly",
     connect_response_round_trips_with_and_without_readonly},
    {"headers round trip", headers_round_trip},
    {"auth packet and watcher event round trip",
     auth_packet_and_watcher_event_round_trip},
    {"create request round trips in both forms",
     create_request_round_trips_in_both_forms},
    {"small path requests round trip", small_path_requests_round_trip},
    {"setACL request round trips", setacl_request_round_trips},
    {"reconfig request round trips", reconfig_request_round_trips},
    {"setWatches round trips in both versions",
     setwatches_round_trips_in_both_versions},
    {"notification frame carries its own length",
     notification_frame_carries_its_own_length},
    {"encoders stop at the buffer cap", encoders_stop_at_the_buffer_cap},
    {"writes are the state-changing opcodes",
     writes_are_the_state_changing_opcodes},
    {"opcodes have ZooKeeper names", opcodes_have_zookeeper_names},
    CU_TEST_INFO_NULL,
};
