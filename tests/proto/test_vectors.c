/* Wire spec section 13: every test vector, encoded and decoded byte for byte. */
#include <stdlib.h>

#include "proto/err.h"
#include "proto/records.h"
#include "tests/lib/check.h"
#include "tests/proto/suites.h"

/* The spec's frames, as contiguous hex. */
#define TV1 "0000002d000000000000000000000000000075300000000000000000000000100000000000000000000000000000000000"
#define TV2 "000000250000000000007530010000000000000100000010000102030405060708090a0b0c0d0e0f00"
#define TV3 "0000002500000000000000000000000000000000000000100000000000000000000000000000000000"
#define TV4 "000000320000000100000001000000022f610000000178000000010000001f00000005776f726c6400000006616e796f6e6500000000"
#define TV5 "0000001600000001000000000000000200000000000000022f61"
#define TV6 "0000000f0000000200000004000000022f6101"
#define TV7 "00000059000000020000000000000002000000000000000178000000000000000200000000000000020000018bcfe568000000018bcfe56800000000000000000000000000000000000000000000000001000000000000000000000002"
#define TV8 "00000010000000030000000000000002ffffff9b"
#define TV9 "0000001effffffff0000000000000003000000000000000300000003000000022f61"
#define TV10A "00000008fffffffe0000000b"
#define TV10B "00000010fffffffe000000000000000300000000"
#define TV11 "00000027fffffffc0000006400000000000000066469676573740000000d757365723a70617373776f7264"
#define TV12 "00000056000000050000000e0000000100ffffffff000000022f6200000000000000010000001f00000005776f726c6400000006616e796f6e65000000000000000d00ffffffff000000022f6100000000ffffffff01ffffffff"
#define TV13 "0000003100000005000000000000000400000000000000010000000000000000022f620000000d0000000000ffffffff01ffffffff"
#define TV14 "0000003300000005000000000000000400000000ffffffff000000000000000000ffffffff00ffffff99ffffff99ffffffff01ffffffff"
/* Section 13, "other handy constants". */
#define CONNECT_REQ_OLD "0000002c0000000000000000000000000000753000000000000000000000001000000000000000000000000000000000"
#define CONNECT_RESP_OLD "000000240000000000007530010000000000000100000010000102030405060708090a0b0c0d0e0f"
#define CLOSE_REQ "00000008 00000010 fffffff5"
#define CLOSE_REPLY "00000010 00000010 0000000000000007 00000000"
#define UNKNOWN_OP_REPLY "00000010 00000001 ffffffffffffffff fffffffa"

/* How a frame's payload is laid out. */
enum kind {
    K_CONNECT_REQ,
    K_CONNECT_RESP,
    K_REQUEST,      /* RequestHeader + the record of its type */
    K_REPLY_PATH,   /* ReplyHeader + CreateResponse */
    K_REPLY_DATA,   /* ReplyHeader + GetDataResponse */
    K_REPLY_EMPTY,  /* ReplyHeader only */
    K_NOTIFICATION, /* ReplyHeader + WatcherEvent */
    K_REPLY_MULTI,  /* ReplyHeader + multi results */
};

/* Everything a payload decodes to; each kind fills its part. */
struct decoded {
    struct coord_connect_req creq;
    struct coord_connect_resp cresp;
    struct coord_request_header rqh;
    struct coord_reply_header rph;
    struct coord_create_req create;
    struct coord_path_watch_req pw;
    struct coord_auth_packet auth;
    struct coord_path_req path;
    struct jute_str data;
    struct coord_stat stat;
    struct coord_watcher_event ev;
    struct coord_multi_header mh[4];
    int nmh;
    struct coord_create_req mcreate;
    struct coord_check_req mcheck;
    struct coord_path_req mpath;
    int32_t merr[4];
    int nmerr;
};

static void get_request_body(struct jute_r *r, struct decoded *d)
{
    switch (d->rqh.type) {
    case COORD_OP_CREATE:
        coord_get_create_req(r, &d->create, false);
        break;
    case COORD_OP_GETDATA:
        coord_get_path_watch_req(r, &d->pw);
        break;
    case COORD_OP_AUTH:
        coord_get_auth_packet(r, &d->auth);
        break;
    case COORD_OP_PING:
    case COORD_OP_CLOSESESSION:
        break;
    case COORD_OP_MULTI:
        for (d->nmh = 0; d->nmh < 4; d->nmh++) {
            struct coord_multi_header *mh = &d->mh[d->nmh];
            if (coord_get_multi_header(r, mh) != 0 || mh->done)
                break;
            if (mh->type == COORD_OP_CREATE)
                coord_get_create_req(r, &d->mcreate, false);
            else if (mh->type == COORD_OP_CHECK)
                coord_get_check_req(r, &d->mcheck);
            else
                r->err = COORD_EPROTO;
        }
        break;
    default:
        r->err = COORD_EPROTO;
    }
}

static void get_multi_results(struct jute_r *r, struct decoded *d)
{
    for (d->nmh = 0; d->nmh < 4; d->nmh++) {
        struct coord_multi_header *mh = &d->mh[d->nmh];
        if (coord_get_multi_header(r, mh) != 0 || mh->done)
            break;
        if (mh->type == COORD_OP_CREATE)
            coord_get_path_req(r, &d->mpath);
        else if (mh->type == COORD_OP_ERROR && d->nmerr < 4)
            d->merr[d->nmerr++] = jute_get_int(r);
        else if (mh->type != COORD_OP_CHECK)
            r->err = COORD_EPROTO;
    }
}

/*
 * Decodes a payload (no length prefix) of the given kind. Returns the
 * reader's error; *left receives the bytes not consumed.
 */
static int decode_payload(enum kind k, const uint8_t *p, size_t n,
                          struct decoded *d, size_t *left)
{
    struct jute_r r;
    jute_r_init(&r, p, n);
    memset(d, 0, sizeof *d);
    switch (k) {
    case K_CONNECT_REQ:
        coord_get_connect_req(&r, &d->creq);
        break;
    case K_CONNECT_RESP:
        coord_get_connect_resp(&r, &d->cresp);
        break;
    case K_REQUEST:
        if (coord_get_request_header(&r, &d->rqh) == 0)
            get_request_body(&r, d);
        break;
    case K_REPLY_PATH:
        coord_get_reply_header(&r, &d->rph);
        coord_get_path_req(&r, &d->path);
        break;
    case K_REPLY_DATA:
        coord_get_reply_header(&r, &d->rph);
        d->data = jute_get_buffer(&r);
        coord_get_stat(&r, &d->stat);
        break;
    case K_REPLY_EMPTY:
        coord_get_reply_header(&r, &d->rph);
        break;
    case K_NOTIFICATION:
        coord_get_reply_header(&r, &d->rph);
        coord_get_watcher_event(&r, &d->ev);
        break;
    case K_REPLY_MULTI:
        if (coord_get_reply_header(&r, &d->rph) == 0)
            get_multi_results(&r, d);
        break;
    }
    *left = r.left;
    return r.err;
}

/* Decodes a whole frame: the length prefix must match, nothing may be left. */
static void decode_frame(const char *hex, enum kind k, struct decoded *d)
{
    size_t n, left = 0;
    const uint8_t *p = proto_unhex(hex, &n);
    CHECK_TRUE(n >= 4);
    if (n < 4)
        return;
    CHECK_EQ_INT(jute_be32(p), n - 4);
    /* Decode from an exact-size copy of the payload so ASan sees overreads. */
    const uint8_t *body = proto_block(p + 4, n - 4);
    CHECK_EQ_INT(decode_payload(k, body, n - 4, d, &left), 0);
    CHECK_EQ_INT(left, 0);
}

static void check_encoded(struct buf *b, const char *hex)
{
    size_t n;
    const uint8_t *want = proto_unhex(hex, &n);
    CHECK_EQ_INT(b->err, 0);
    CHECK_EQ_INT(b->len, n);
    if (b->len == n)
        CHECK_EQ_MEM(b->base, want, n);
    buf_close(b);
}

static const uint8_t zeros16[16];
static const uint8_t pw0to15[16] = {0, 1, 2,  3,  4,  5,  6,  7,
                                    8, 9, 10, 11, 12, 13, 14, 15};

static struct jute_str bytes(const uint8_t *p, int32_t n)
{
    return (struct jute_str){(const char *)p, n};
}

/* The OPEN_ACL_UNSAFE list (world:anyone, ALL), encoded into b. */
static struct jute_vec open_acl(struct buf *b)
{
    struct coord_acl acl = {COORD_PERM_ALL,
                            {jute_cstr("world"), jute_cstr("anyone")}};
    buf_init(b, 1024);
    coord_put_acl_array(b, &acl, 1);
    return proto_vec_of(b);
}

static void check_open_acl(const struct jute_vec *v)
{
    struct jute_r it;
    struct coord_acl acl;
    CHECK_EQ_INT(v->count, 1);
    jute_vec_iter(v, &it);
    CHECK_EQ_INT(coord_get_acl(&it, &acl), 0);
    CHECK_EQ_INT(acl.perms, COORD_PERM_ALL);
    CHECK_EQ_JSTR(acl.id.scheme, "world");
    CHECK_EQ_JSTR(acl.id.id, "anyone");
    CHECK_TRUE(jute_r_done(&it));
}

static const struct coord_stat stat_a = {
    .czxid = 2, .mzxid = 2, .ctime = 1700000000000, .mtime = 1700000000000,
    .version = 0, .cversion = 0, .aversion = 0, .ephemeral_owner = 0,
    .data_length = 1, .num_children = 0, .pzxid = 2,
};

/* --- TV1-TV3 and the pre-3.4 forms: the handshake --- */

static void tv1_connect_request_encodes_to_the_spec_bytes(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_connect_req req = {0, 0, 30000, 0, bytes(zeros16, 16),
                                    true, false};
    size_t off = jute_frame_begin(&b);
    coord_put_connect_req(&b, &req);
    jute_frame_end(&b, off);
    check_encoded(&b, TV1);
}

static void tv1_connect_request_decodes_to_its_fields(void)
{
    struct decoded d;
    decode_frame(TV1, K_CONNECT_REQ, &d);
    CHECK_EQ_INT(d.creq.protocol_version, 0);
    CHECK_EQ_INT(d.creq.last_zxid_seen, 0);
    CHECK_EQ_INT(d.creq.timeout, 30000);
    CHECK_EQ_INT(d.creq.session_id, 0);
    CHECK_EQ_INT(d.creq.passwd.len, 16);
    CHECK_EQ_MEM(d.creq.passwd.p, zeros16, 16);
    CHECK_TRUE(d.creq.has_readonly);
    CHECK_TRUE(!d.creq.readonly);
}

static void connect_request_of_an_old_client_has_no_readonly_byte(void)
{
    struct decoded d;
    decode_frame(CONNECT_REQ_OLD, K_CONNECT_REQ, &d);
    CHECK_EQ_INT(d.creq.timeout, 30000);
    CHECK_EQ_INT(d.creq.passwd.len, 16);
    CHECK_TRUE(!d.creq.has_readonly);
    CHECK_TRUE(!d.creq.readonly);

    struct buf b;
    buf_init(&b, 4096);
    size_t off = jute_frame_begin(&b);
    coord_put_connect_req(&b, &d.creq);
    jute_frame_end(&b, off);
    check_encoded(&b, CONNECT_REQ_OLD);
}

static void tv2_connect_response_encodes_to_the_spec_bytes(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_connect_resp resp = {0, 30000, 0x0100000000000001,
                                      bytes(pw0to15, 16), true, false};
    size_t off = jute_frame_begin(&b);
    coord_put_connect_resp(&b, &resp);
    jute_frame_end(&b, off);
    check_encoded(&b, TV2);
}

static void tv2_connect_response_decodes_to_its_fields(void)
{
    struct decoded d;
    decode_frame(TV2, K_CONNECT_RESP, &d);
    CHECK_EQ_INT(d.cresp.protocol_version, 0);
    CHECK_EQ_INT(d.cresp.timeout, 30000);
    CHECK_EQ_INT(d.cresp.session_id, 0x0100000000000001);
    CHECK_EQ_INT(d.cresp.passwd.len, 16);
    CHECK_EQ_MEM(d.cresp.passwd.p, pw0to15, 16);
    CHECK_TRUE(d.cresp.has_readonly);
    CHECK_TRUE(!d.cresp.readonly);
}

static void connect_response_to_an_old_client_has_no_readonly_byte(void)
{
    struct decoded d;
    decode_frame(CONNECT_RESP_OLD, K_CONNECT_RESP, &d);
    CHECK_EQ_INT(d.cresp.session_id, 0x0100000000000001);
    CHECK_TRUE(!d.cresp.has_readonly);

    struct buf b;
    buf_init(&b, 4096);
    struct coord_connect_resp resp = {0, 30000, 0x0100000000000001,
                                      bytes(pw0to15, 16), false, false};
    size_t off = jute_frame_begin(&b);
    coord_put_connect_resp(&b, &resp);
    jute_frame_end(&b, off);
    check_encoded(&b, CONNECT_RESP_OLD);
}

static void tv3_invalid_session_response_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_connect_resp resp = {0, 0, 0, bytes(zeros16, 16), true,
                                      false};
    size_t off = jute_frame_begin(&b);
    coord_put_connect_resp(&b, &resp);
    jute_frame_end(&b, off);
    check_encoded(&b, TV3);

    struct decoded d;
    decode_frame(TV3, K_CONNECT_RESP, &d);
    CHECK_EQ_INT(d.cresp.timeout, 0);
    CHECK_EQ_INT(d.cresp.session_id, 0);
    CHECK_EQ_MEM(d.cresp.passwd.p, zeros16, 16);
    CHECK_TRUE(d.cresp.has_readonly);
}

/* --- TV4-TV8: create and getData --- */

static void tv4_create_request_encodes_to_the_spec_bytes(void)
{
    struct buf b, ab;
    buf_init(&b, 4096);
    struct coord_request_header h = {1, COORD_OP_CREATE};
    struct coord_create_req req = {jute_cstr("/a"), jute_cstr("x"),
                                   open_acl(&ab), COORD_PERSISTENT, -1};
    size_t off = jute_frame_begin(&b);
    coord_put_request_header(&b, &h);
    coord_put_create_req(&b, &req, false);
    jute_frame_end(&b, off);
    buf_close(&ab);
    check_encoded(&b, TV4);
}

static void tv4_create_request_decodes_to_its_fields(void)
{
    struct decoded d;
    decode_frame(TV4, K_REQUEST, &d);
    CHECK_EQ_INT(d.rqh.xid, 1);
    CHECK_EQ_INT(d.rqh.type, COORD_OP_CREATE);
    CHECK_EQ_JSTR(d.create.path, "/a");
    CHECK_EQ_JSTR(d.create.data, "x");
    check_open_acl(&d.create.acl);
    CHECK_EQ_INT(d.create.flags, COORD_PERSISTENT);
    CHECK_EQ_INT(d.create.ttl, -1);
}

static void tv5_create_response_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_path_req resp = {jute_cstr("/a")};
    size_t off = coord_frame_reply(&b, 1, 2, 0);
    coord_put_path_req(&b, &resp);
    jute_frame_end(&b, off);
    check_encoded(&b, TV5);

    struct decoded d;
    decode_frame(TV5, K_REPLY_PATH, &d);
    CHECK_EQ_INT(d.rph.xid, 1);
    CHECK_EQ_INT(d.rph.zxid, 2);
    CHECK_EQ_INT(d.rph.err, 0);
    CHECK_EQ_JSTR(d.path.path, "/a");
}

static void tv6_getdata_request_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_request_header h = {2, COORD_OP_GETDATA};
    struct coord_path_watch_req req = {jute_cstr("/a"), true};
    size_t off = jute_frame_begin(&b);
    coord_put_request_header(&b, &h);
    coord_put_path_watch_req(&b, &req);
    jute_frame_end(&b, off);
    check_encoded(&b, TV6);

    struct decoded d;
    decode_frame(TV6, K_REQUEST, &d);
    CHECK_EQ_INT(d.rqh.xid, 2);
    CHECK_EQ_INT(d.rqh.type, COORD_OP_GETDATA);
    CHECK_EQ_JSTR(d.pw.path, "/a");
    CHECK_TRUE(d.pw.watch);
}

static void tv7_getdata_response_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    size_t off = coord_frame_reply(&b, 2, 2, 0);
    jute_put_cstr(&b, "x");
    coord_put_stat(&b, &stat_a);
    jute_frame_end(&b, off);
    check_encoded(&b, TV7);

    struct decoded d;
    decode_frame(TV7, K_REPLY_DATA, &d);
    CHECK_EQ_INT(d.rph.xid, 2);
    CHECK_EQ_INT(d.rph.zxid, 2);
    CHECK_EQ_JSTR(d.data, "x");
    CHECK_EQ_INT(d.stat.czxid, 2);
    CHECK_EQ_INT(d.stat.mzxid, 2);
    CHECK_EQ_INT(d.stat.ctime, 1700000000000);
    CHECK_EQ_INT(d.stat.mtime, 1700000000000);
    CHECK_EQ_INT(d.stat.version, 0);
    CHECK_EQ_INT(d.stat.cversion, 0);
    CHECK_EQ_INT(d.stat.aversion, 0);
    CHECK_EQ_INT(d.stat.ephemeral_owner, 0);
    CHECK_EQ_INT(d.stat.data_length, 1);
    CHECK_EQ_INT(d.stat.num_children, 0);
    CHECK_EQ_INT(d.stat.pzxid, 2);
}

static void tv8_error_reply_is_header_only(void)
{
    struct buf b;
    buf_init(&b, 4096);
    size_t off = coord_frame_reply(&b, 3, 2, COORD_ENONODE);
    jute_frame_end(&b, off);
    check_encoded(&b, TV8);

    struct decoded d;
    decode_frame(TV8, K_REPLY_EMPTY, &d);
    CHECK_EQ_INT(d.rph.xid, 3);
    CHECK_EQ_INT(d.rph.zxid, 2);
    CHECK_EQ_INT(d.rph.err, -101);
}

/* --- TV9-TV11: notification, ping, auth --- */

static void tv9_notification_frame_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    coord_frame_notification(&b, 3, COORD_EV_CHANGED, jute_cstr("/a"));
    check_encoded(&b, TV9);

    struct decoded d;
    decode_frame(TV9, K_NOTIFICATION, &d);
    CHECK_EQ_INT(d.rph.xid, COORD_XID_NOTIFICATION);
    CHECK_EQ_INT(d.rph.zxid, 3);
    CHECK_EQ_INT(d.rph.err, 0);
    CHECK_EQ_INT(d.ev.type, COORD_EV_CHANGED);
    CHECK_EQ_INT(d.ev.state, COORD_STATE_SYNC_CONNECTED);
    CHECK_EQ_JSTR(d.ev.path, "/a");
}

static void tv10_ping_request_and_reply_round_trip(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_request_header h = {COORD_XID_PING, COORD_OP_PING};
    size_t off = jute_frame_begin(&b);
    coord_put_request_header(&b, &h);
    jute_frame_end(&b, off);
    check_encoded(&b, TV10A);

    buf_init(&b, 4096);
    off = coord_frame_reply(&b, COORD_XID_PING, 3, 0);
    jute_frame_end(&b, off);
    check_encoded(&b, TV10B);

    struct decoded d;
    decode_frame(TV10A, K_REQUEST, &d);
    CHECK_EQ_INT(d.rqh.xid, -2);
    CHECK_EQ_INT(d.rqh.type, 11);
    decode_frame(TV10B, K_REPLY_EMPTY, &d);
    CHECK_EQ_INT(d.rph.xid, -2);
    CHECK_EQ_INT(d.rph.zxid, 3);
    CHECK_EQ_INT(d.rph.err, 0);
}

static void tv11_auth_request_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_request_header h = {COORD_XID_AUTH, COORD_OP_AUTH};
    struct coord_auth_packet auth = {0, jute_cstr("digest"),
                                     jute_cstr("user:password")};
    size_t off = jute_frame_begin(&b);
    coord_put_request_header(&b, &h);
    coord_put_auth_packet(&b, &auth);
    jute_frame_end(&b, off);
    check_encoded(&b, TV11);

    struct decoded d;
    decode_frame(TV11, K_REQUEST, &d);
    CHECK_EQ_INT(d.rqh.xid, -4);
    CHECK_EQ_INT(d.rqh.type, 100);
    CHECK_EQ_INT(d.auth.type, 0);
    CHECK_EQ_JSTR(d.auth.scheme, "digest");
    CHECK_EQ_JSTR(d.auth.auth, "user:password");
}

/* --- TV12-TV14: multi --- */

static void tv12_multi_request_encodes_to_the_spec_bytes(void)
{
    struct buf b, ab;
    buf_init(&b, 4096);
    struct coord_request_header h = {5, COORD_OP_MULTI};
    struct coord_multi_header create_h = {COORD_OP_CREATE, false, -1};
    struct coord_create_req create = {jute_cstr("/b"), jute_cstr(""),
                                      open_acl(&ab), 0, -1};
    struct coord_multi_header check_h = {COORD_OP_CHECK, false, -1};
    struct coord_check_req check = {jute_cstr("/a"), 0};
    struct coord_multi_header end = {-1, true, -1};
    size_t off = jute_frame_begin(&b);
    coord_put_request_header(&b, &h);
    coord_put_multi_header(&b, &create_h);
    coord_put_create_req(&b, &create, false);
    coord_put_multi_header(&b, &check_h);
    coord_put_check_req(&b, &check);
    coord_put_multi_header(&b, &end);
    jute_frame_end(&b, off);
    buf_close(&ab);
    check_encoded(&b, TV12);
}

static void tv12_multi_request_decodes_op_by_op(void)
{
    struct decoded d;
    decode_frame(TV12, K_REQUEST, &d);
    CHECK_EQ_INT(d.rqh.xid, 5);
    CHECK_EQ_INT(d.rqh.type, COORD_OP_MULTI);
    CHECK_EQ_INT(d.nmh, 2);
    CHECK_EQ_INT(d.mh[0].type, COORD_OP_CREATE);
    CHECK_TRUE(!d.mh[0].done);
    CHECK_EQ_INT(d.mh[0].err, -1);
    CHECK_EQ_JSTR(d.mcreate.path, "/b");
    CHECK_EQ_INT(d.mcreate.data.len, 0); /* empty, not null */
    check_open_acl(&d.mcreate.acl);
    CHECK_EQ_INT(d.mcreate.flags, 0);
    CHECK_EQ_INT(d.mh[1].type, COORD_OP_CHECK);
    CHECK_EQ_JSTR(d.mcheck.path, "/a");
    CHECK_EQ_INT(d.mcheck.version, 0);
    CHECK_EQ_INT(d.mh[2].type, -1);
    CHECK_TRUE(d.mh[2].done);
    CHECK_EQ_INT(d.mh[2].err, -1);
}

static void tv13_multi_success_response_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_multi_header create_h = {COORD_OP_CREATE, false, 0};
    struct coord_path_req path = {jute_cstr("/b")};
    struct coord_multi_header check_h = {COORD_OP_CHECK, false, 0};
    struct coord_multi_header end = {-1, true, -1};
    size_t off = coord_frame_reply(&b, 5, 4, 0);
    coord_put_multi_header(&b, &create_h);
    coord_put_path_req(&b, &path);
    coord_put_multi_header(&b, &check_h);
    coord_put_multi_header(&b, &end);
    jute_frame_end(&b, off);
    check_encoded(&b, TV13);

    struct decoded d;
    decode_frame(TV13, K_REPLY_MULTI, &d);
    CHECK_EQ_INT(d.rph.xid, 5);
    CHECK_EQ_INT(d.rph.zxid, 4);
    CHECK_EQ_INT(d.nmh, 2);
    CHECK_EQ_INT(d.mh[0].type, COORD_OP_CREATE);
    CHECK_EQ_INT(d.mh[0].err, 0);
    CHECK_EQ_JSTR(d.mpath.path, "/b");
    CHECK_EQ_INT(d.mh[1].type, COORD_OP_CHECK);
    CHECK_TRUE(d.mh[2].done);
}

static void tv14_multi_failure_response_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_multi_header rolled = {COORD_OP_ERROR, false, 0};
    struct coord_multi_header failed = {COORD_OP_ERROR, false,
                                        COORD_EBADVERSION};
    struct coord_multi_header end = {-1, true, -1};
    size_t off = coord_frame_reply(&b, 5, 4, 0);
    coord_put_multi_header(&b, &rolled);
    jute_put_int(&b, 0);
    coord_put_multi_header(&b, &failed);
    jute_put_int(&b, COORD_EBADVERSION);
    coord_put_multi_header(&b, &end);
    jute_frame_end(&b, off);
    check_encoded(&b, TV14);

    struct decoded d;
    decode_frame(TV14, K_REPLY_MULTI, &d);
    CHECK_EQ_INT(d.rph.err, 0);
    CHECK_EQ_INT(d.nmh, 2);
    CHECK_EQ_INT(d.mh[0].type, -1);
    CHECK_EQ_INT(d.mh[0].err, 0);
    CHECK_EQ_INT(d.mh[1].err, -103);
    CHECK_EQ_INT(d.nmerr, 2);
    CHECK_EQ_INT(d.merr[0], 0);
    CHECK_EQ_INT(d.merr[1], -103);
    CHECK_TRUE(d.mh[2].done);
}

/* --- other handy constants --- */

static void four_letter_words_read_as_their_int32_constants(void)
{
    static const struct {
        const char *word;
        int32_t v;
    } w[] = {{"ruok", 0x72756f6b}, {"srvr", 0x73727672}, {"isro", 0x6973726f}};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        struct jute_r r;
        const uint8_t *p = proto_block(w[i].word, 4);
        jute_r_init(&r, p, 4);
        CHECK_EQ_INT(jute_get_int(&r), w[i].v);
        CHECK_TRUE(jute_r_done(&r));
    }
}

static void close_session_request_and_reply_round_trip(void)
{
    struct buf b;
    buf_init(&b, 4096);
    struct coord_request_header h = {16, COORD_OP_CLOSESESSION};
    size_t off = jute_frame_begin(&b);
    coord_put_request_header(&b, &h);
    jute_frame_end(&b, off);
    check_encoded(&b, CLOSE_REQ);

    buf_init(&b, 4096);
    off = coord_frame_reply(&b, 16, 7, 0);
    jute_frame_end(&b, off);
    check_encoded(&b, CLOSE_REPLY);

    struct decoded d;
    decode_frame(CLOSE_REQ, K_REQUEST, &d);
    CHECK_EQ_INT(d.rqh.xid, 16);
    CHECK_EQ_INT(d.rqh.type, -11);
    decode_frame(CLOSE_REPLY, K_REPLY_EMPTY, &d);
    CHECK_EQ_INT(d.rph.xid, 16);
    CHECK_EQ_INT(d.rph.zxid, 7);
}

static void unknown_opcode_reply_round_trips(void)
{
    struct buf b;
    buf_init(&b, 4096);
    size_t off = coord_frame_reply(&b, 1, -1, COORD_EUNIMPLEMENTED);
    jute_frame_end(&b, off);
    check_encoded(&b, UNKNOWN_OP_REPLY);

    struct decoded d;
    decode_frame(UNKNOWN_OP_REPLY, K_REPLY_EMPTY, &d);
    CHECK_EQ_INT(d.rph.xid, 1);
    CHECK_EQ_INT(d.rph.zxid, -1);
    CHECK_EQ_INT(d.rph.err, -6);
}

/* --- truncation of every vector --- */

static const struct {
    const char *hex;
    enum kind kind;
} all_frames[] = {
    {TV1, K_CONNECT_REQ},      {TV2, K_CONNECT_RESP},
    {TV3, K_CONNECT_RESP},     {TV4, K_REQUEST},
    {TV5, K_REPLY_PATH},       {TV6, K_REQUEST},
    {TV7, K_REPLY_DATA},       {TV8, K_REPLY_EMPTY},
    {TV9, K_NOTIFICATION},     {TV10A, K_REQUEST},
    {TV10B, K_REPLY_EMPTY},    {TV11, K_REQUEST},
    {TV12, K_REQUEST},         {TV13, K_REPLY_MULTI},
    {TV14, K_REPLY_MULTI},     {CONNECT_REQ_OLD, K_CONNECT_REQ},
    {CONNECT_RESP_OLD, K_CONNECT_RESP}, {CLOSE_REQ, K_REQUEST},
    {CLOSE_REPLY, K_REPLY_EMPTY}, {UNKNOWN_OP_REPLY, K_REPLY_EMPTY},
};

/*
 * Every proper prefix of every payload is refused, each decoded from a heap
 * block of exactly its length. The one exception is the handshake cut just
 * before its readOnly byte, which is the valid pre-3.4 form.
 */
static void every_truncated_vector_is_refused_without_overreading(void)
{
    for (size_t i = 0; i < sizeof all_frames / sizeof all_frames[0]; i++) {
        size_t n, left;
        const uint8_t *p = proto_unhex(all_frames[i].hex, &n);
        enum kind k = all_frames[i].kind;
        size_t body = n - 4;
        bool has_ro = (k == K_CONNECT_REQ && body == 45) ||
                      (k == K_CONNECT_RESP && body == 37);
        for (size_t cut = 0; cut < body; cut++) {
            struct decoded d;
            const uint8_t *q = proto_block(p + 4, cut);
            int rc = decode_payload(k, q, cut, &d, &left);
            if (has_ro && cut == body - 1) {
                CHECK_EQ_INT(rc, 0);
                CHECK_EQ_INT(left, 0);
            } else if (rc != COORD_EPROTO) {
                check_fail(__LINE__, __FILE__, 0,
                           "frame %zu cut at %zu of %zu: rc %d", i, cut, body,
                           rc);
            }
        }
    }
}

CU_TestInfo vectors_tests[] = {
    {"TV1 connect request encodes to the spec bytes",
     tv1_connect_request_encodes_to_the_spec_bytes},
    {"TV1 connect request decodes to its fields",
     tv1_connect_request_decodes_to_its_fields},
    {"connect request of an old client has no readOnly byte",
     connect_request_of_an_old_client_has_no_readonly_byte},
    {"TV2 connect response encodes to the spec bytes",
     tv2_connect_response_encodes_to_the_spec_bytes},
    {"TV2 connect response decodes to its fields",
     tv2_connect_response_decodes_to_its_fields},
    {"connect response to an old client has no readOnly byte",
     connect_response_to_an_old_client_has_no_readonly_byte},
    {"TV3 invalid session response round trips",
     tv3_invalid_session_response_round_trips},
    {"TV4 create request encodes to the spec bytes",
     tv4_create_request_encodes_to_the_spec_bytes},
    {"TV4 create request decodes to its fields",
     tv4_create_request_decodes_to_its_fields},
    {"TV5 create response round trips", tv5_create_response_round_trips},
    {"TV6 getData request round trips", tv6_getdata_request_round_trips},
    {"TV7 getData response round trips", tv7_getdata_response_round_trips},
    {"TV8 error reply is header only", tv8_error_reply_is_header_only},
    {"TV9 notification frame round trips",
     tv9_notification_frame_round_trips},
    {"TV10 ping request and reply round trip",
     tv10_ping_request_and_reply_round_trip},
    {"TV11 auth request round trips", tv11_auth_request_round_trips},
    {"TV12 multi request encodes to the spec bytes",
     tv12_multi_request_encodes_to_the_spec_bytes},
    {"TV12 multi request decodes op by op",
     tv12_multi_request_decodes_op_by_op},
    {"TV13 multi success response round trips",
     tv13_multi_success_response_round_trips},
    {"TV14 multi failure response round trips",
     tv14_multi_failure_response_round_trips},
    {"four-letter words read as their int32 constants",
     four_letter_words_read_as_their_int32_constants},
    {"closeSession request and reply round trip",
     close_session_request_and_reply_round_trip},
    {"unknown opcode reply round trips", unknown_opcode_reply_round_trips},
    {"every truncated vector is refused without overreading",
     every_truncated_vector_is_refused_without_overreading},
    CU_TEST_INFO_NULL,
};
