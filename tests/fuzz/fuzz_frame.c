/* Fuzz target: a client's byte stream, decoded frame by frame and re-encoded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/path.h"
#include "proto/records.h"
#include "tests/fuzz/fuzz.h"

/* Room for any record that fits in a frame, plus headers. */
#define OUT_MAX (COORD_MAX_FRAME + 64)

union rec {
    struct coord_id id;
    struct coord_acl acl;
    struct coord_stat stat;
    struct jute_vec vec;
    struct coord_connect_req connect_req;
    struct coord_connect_resp connect_resp;
    struct coord_request_header request_header;
    struct coord_reply_header reply_header;
    struct coord_multi_header multi_header;
    struct coord_auth_packet auth_packet;
    struct coord_watcher_event watcher_event;
    struct coord_create_req create_req;
    struct coord_delete_req delete_req;
    struct coord_path_watch_req path_watch_req;
    struct coord_setdata_req setdata_req;
    struct coord_path_req path_req;
    struct coord_setacl_req setacl_req;
    struct coord_check_req check_req;
    struct coord_reconfig_req reconfig_req;
    struct coord_setwatches_req setwatches_req;
    struct coord_watches_req watches_req;
    struct coord_addwatch_req addwatch_req;
};

/* A record's decoder and encoder, and what to look at once it decoded. */
struct codec {
    int (*get)(struct jute_r *r, union rec *u);
    void (*put)(struct buf *b, const union rec *u);
    void (*look)(const union rec *u);
};

/* --- looking inside decoded records --- */

static void look_acls(const struct jute_vec *v)
{
    struct jute_r it;
    jute_vec_iter(v, &it);
    for (int32_t i = 0; i < v->count; i++) {
        struct coord_acl a;
        REQUIRE(coord_get_acl(&it, &a) == 0);
    }
    REQUIRE(jute_r_done(&it));
}

static void look_strs(const struct jute_vec *v)
{
    struct jute_r it;
    jute_vec_iter(v, &it);
    for (int32_t i = 0; i < v->count; i++) {
        jute_get_str(&it);
        REQUIRE(it.err == 0);
    }
    REQUIRE(jute_r_done(&it));
}

/* Runs the path checks, and a notification frame for the path. */
static void look_path(struct jute_str p)
{
    if (p.len < 0)
        return;
    size_t n = (size_t)p.len;
    int rc = coord_path_validate(p.p, n);
    REQUIRE(rc == 0 || rc == COORD_EBADARGUMENTS);
    if (rc == 0)
        REQUIRE(coord_path_simple_ok(p.p, n));
    REQUIRE(coord_path_parent_len(p.p, n) <= (n ? n - 1 : 0));

    struct buf b;
    struct jute_r r;
    struct coord_reply_header h;
    struct coord_watcher_event ev;
    buf_init(&b, OUT_MAX);
    coord_frame_notification(&b, 7, COORD_EV_CREATED, p);
    REQUIRE(b.err == 0);
    jute_r_init(&r, b.base, b.len);
    REQUIRE(jute_get_int(&r) == (int32_t)(b.len - 4));
    REQUIRE(coord_get_reply_header(&r, &h) == 0 && h.xid == -1 && h.zxid == 7);
    REQUIRE(coord_get_watcher_event(&r, &ev) == 0 && jute_r_done(&r));
    REQUIRE(jute_str_eq(ev.path, p));
    buf_close(&b);
}

/* --- codecs: one per record form --- */

#define CODEC(name)                                                            \
    static int get_##name(struct jute_r *r, union rec *u)                     \
    {                                                                          \
        return coord_get_##name(r, &u->name);                                  \
    }                                                                          \
    static void put_##name(struct buf *b, const union rec *u)                 \
    {                                                                          \
        coord_put_##name(b, &u->name);                                         \
    }

CODEC(id)
CODEC(acl)
CODEC(stat)
CODEC(connect_req)
CODEC(connect_resp)
CODEC(request_header)
CODEC(reply_header)
CODEC(multi_header)
CODEC(auth_packet)
CODEC(watcher_event)
CODEC(delete_req)
CODEC(path_watch_req)
CODEC(setdata_req)
CODEC(path_req)
CODEC(setacl_req)
CODEC(check_req)
CODEC(reconfig_req)
CODEC(watches_req)
CODEC(addwatch_req)

static int get_acl_vec(struct jute_r *r, union rec *u)
{
    return coord_get_acl_vec(r, &u->vec);
}
static int get_str_vec(struct jute_r *r, union rec *u)
{
    return coord_get_str_vec(r, &u->vec);
}
static void put_vec(struct buf *b, const union rec *u)
{
    coord_put_vec(b, &u->vec);
}
static int get_create(struct jute_r *r, union rec *u)
{
    return coord_get_create_req(r, &u->create_req, false);
}
static void put_create(struct buf *b, const union rec *u)
{
    coord_put_create_req(b, &u->create_req, false);
}
static int get_create_ttl(struct jute_r *r, union rec *u)
{
    return coord_get_create_req(r, &u->create_req, true);
}
static void put_create_ttl(struct buf *b, const union rec *u)
{
    coord_put_create_req(b, &u->create_req, true);
}
static int get_setwatches(struct jute_r *r, union rec *u)
{
    return coord_get_setwatches_req(r, &u->setwatches_req, false);
}
static void put_setwatches(struct buf *b, const union rec *u)
{
    coord_put_setwatches_req(b, &u->setwatches_req, false);
}
static int get_setwatches2(struct jute_r *r, union rec *u)
{
    return coord_get_setwatches_req(r, &u->setwatches_req, true);
}
static void put_setwatches2(struct buf *b, const union rec *u)
{
    coord_put_setwatches_req(b, &u->setwatches_req, true);
}

static void look_acl_vec(const union rec *u)
{
    look_acls(&u->vec);
}
static void look_str_vec(const union rec *u)
{
    look_strs(&u->vec);
}
static void look_create(const union rec *u)
{
    look_path(u->create_req.path);
    look_acls(&u->create_req.acl);
}
static void look_setacl(const union rec *u)
{
    look_path(u->setacl_req.path);
    look_acls(&u->setacl_req.acl);
}
static void look_setwatches(const union rec *u)
{
    const struct coord_setwatches_req *w = &u->setwatches_req;
    look_strs(&w->data);
    look_strs(&w->exist);
    look_strs(&w->child);
    look_strs(&w->persistent);
    look_strs(&w->recursive);
}
/* Records whose first field is their path. */
#define LOOK_PATH(name)                                                        \
    static void look_##name(const union rec *u)                               \
    {                                                                          \
        look_path(u->name.path);                                               \
    }
LOOK_PATH(delete_req)
LOOK_PATH(path_watch_req)
LOOK_PATH(setdata_req)
LOOK_PATH(path_req)
LOOK_PATH(check_req)
LOOK_PATH(watches_req)
LOOK_PATH(addwatch_req)
LOOK_PATH(watcher_event)

#define C(get, put, look) {get_##get, put_##put, look}
static const struct codec c_id = C(id, id, NULL);
static const struct codec c_acl = C(acl, acl, NULL);
static const struct codec c_stat = C(stat, stat, NULL);
static const struct codec c_acl_vec = C(acl_vec, vec, look_acl_vec);
static const struct codec c_str_vec = C(str_vec, vec, look_str_vec);
static const struct codec c_connect_req = C(connect_req, connect_req, NULL);
static const struct codec c_connect_resp = C(connect_resp, connect_resp, NULL);
static const struct codec c_request_header =
    C(request_header, request_header, NULL);
static const struct codec c_reply_header = C(reply_header, reply_header, NULL);
static const struct codec c_multi_header = C(multi_header, multi_header, NULL);
static const struct codec c_auth = C(auth_packet, auth_packet, NULL);
static const struct codec c_watcher_event =
    C(watcher_event, watcher_event, look_watcher_event);
static const struct codec c_create = C(create, create, look_create);
static const struct codec c_create_ttl = C(create_ttl, create_ttl, look_create);
static const struct codec c_delete = C(delete_req, delete_req, look_delete_req);
static const struct codec c_path_watch =
    C(path_watch_req, path_watch_req, look_path_watch_req);
static const struct codec c_setdata =
    C(setdata_req, setdata_req, look_setdata_req);
static const struct codec c_path = C(path_req, path_req, look_path_req);
static const struct codec c_setacl = C(setacl_req, setacl_req, look_setacl);
static const struct codec c_check = C(check_req, check_req, look_check_req);
static const struct codec c_reconfig = C(reconfig_req, reconfig_req, NULL);
static const struct codec c_setwatches =
    C(setwatches, setwatches, look_setwatches);
static const struct codec c_setwatches2 =
    C(setwatches2, setwatches2, look_setwatches);
static const struct codec c_watches =
    C(watches_req, watches_req, look_watches_req);
static const struct codec c_addwatch =
    C(addwatch_req, addwatch_req, look_addwatch_req);

/* Decoders with no request of their own, tried on unknown bodies. */
static const struct codec *const reply_side[] = {
    &c_id,         &c_acl,          &c_stat,         &c_acl_vec,
    &c_str_vec,    &c_connect_resp, &c_reply_header, &c_watcher_event,
    &c_multi_header,
};

/*
 * Decodes one record at r; if it decodes, checks that encoding it takes
 * exactly the bytes it was read from, that the encoding decodes again in
 * full, and that encoding that gives the same bytes. Returns the decode
 * result; *out (if not NULL) receives the decoded record.
 */
static int roundtrip(const struct codec *c, struct jute_r *r, union rec *out)
{
    union rec a, a2;
    const uint8_t *start = r->p;
    if (c->get(r, &a) != 0)
        return r->err;
    size_t used = (size_t)(r->p - start);
    if (c->look)
        c->look(&a);

    struct buf b1, b2;
    struct jute_r r2;
    buf_init(&b1, OUT_MAX);
    buf_init(&b2, OUT_MAX);
    c->put(&b1, &a);
    REQUIRE(b1.err == 0);
    REQUIRE(b1.len == used);
    jute_r_init(&r2, b1.base, b1.len);
    REQUIRE(c->get(&r2, &a2) == 0);
    REQUIRE(jute_r_done(&r2));
    c->put(&b2, &a2);
    REQUIRE(b2.err == 0);
    REQUIRE(b2.len == b1.len);
    REQUIRE(b1.len == 0 || memcmp(b1.base, b2.base, b1.len) == 0);
    buf_close(&b1);
    buf_close(&b2);
    if (out)
        *out = a;
    return 0;
}

/* The record each op carries inside a multi, or NULL (the server refuses). */
static const struct codec *multi_op(int32_t type)
{
    switch (type) {
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
        return &c_create;
    case COORD_OP_CREATETTL:
        return &c_create_ttl;
    case COORD_OP_DELETE:
        return &c_delete;
    case COORD_OP_SETDATA:
        return &c_setdata;
    case COORD_OP_CHECK:
        return &c_check;
    case COORD_OP_GETDATA:
    case COORD_OP_GETCHILDREN:
        return &c_path_watch;
    default:
        return NULL;
    }
}

/* A multi body, op by op, until the header that says done. */
static void multi_body(struct jute_r *r)
{
    for (;;) {
        union rec h;
        if (roundtrip(&c_multi_header, r, &h) != 0 || h.multi_header.done)
            return;
        const struct codec *c = multi_op(h.multi_header.type);
        if (c == NULL || roundtrip(c, r, NULL) != 0)
            return;
    }
}

/* The record a request of this type carries, or NULL. */
static const struct codec *request_body(int32_t type)
{
    switch (type) {
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
        return &c_create;
    case COORD_OP_CREATETTL:
        return &c_create_ttl;
    case COORD_OP_DELETE:
        return &c_delete;
    case COORD_OP_EXISTS:
    case COORD_OP_GETDATA:
    case COORD_OP_GETCHILDREN:
    case COORD_OP_GETCHILDREN2:
        return &c_path_watch;
    case COORD_OP_SETDATA:
        return &c_setdata;
    case COORD_OP_GETACL:
    case COORD_OP_SYNC:
    case COORD_OP_DELETECONTAINER:
    case COORD_OP_GETEPHEMERALS:
    case COORD_OP_GETALLCHILDRENNUMBER:
        return &c_path;
    case COORD_OP_SETACL:
        return &c_setacl;
    case COORD_OP_CHECK:
        return &c_check;
    case COORD_OP_RECONFIG:
        return &c_reconfig;
    case COORD_OP_CHECKWATCHES:
    case COORD_OP_REMOVEWATCHES:
        return &c_watches;
    case COORD_OP_AUTH:
        return &c_auth;
    case COORD_OP_SETWATCHES:
        return &c_setwatches;
    case COORD_OP_SETWATCHES2:
        return &c_setwatches2;
    case COORD_OP_ADDWATCH:
        return &c_addwatch;
    default:
        return NULL;
    }
}

static void request_frame(const uint8_t *p, size_t n)
{
    struct jute_r r;
    union rec h;
    jute_r_init(&r, p, n);
    if (roundtrip(&c_request_header, &r, &h) != 0)
        return;
    int32_t type = h.request_header.type;
    REQUIRE(coord_op_name(type) != NULL);
    (void)coord_op_is_write(type);

    const struct codec *c = request_body(type);
    if (c != NULL) {
        roundtrip(c, &r, NULL);
    } else if (type == COORD_OP_MULTI || type == COORD_OP_MULTIREAD) {
        multi_body(&r);
    } else if (type == COORD_OP_SASL) {
        jute_get_buffer(&r);
    } else {
        /* No request body: try every other decoder on what follows. */
        for (size_t i = 0; i < sizeof reply_side / sizeof reply_side[0]; i++) {
            struct jute_r each = r;
            roundtrip(reply_side[i], &each, NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool first = true;
    while (size >= 4) {
        int32_t len = (int32_t)jute_be32(data);
        /* Spec 1.3: a bad frame length closes the connection. */
        if (len < 0 || len > COORD_MAX_FRAME || (size_t)len > size - 4)
            break;
        const uint8_t *p = data + 4;
        if (first) {
            struct jute_r r;
            jute_r_init(&r, p, (size_t)len);
            if (roundtrip(&c_connect_req, &r, NULL) != 0)
                break;
            first = false;
        } else {
            request_frame(p, (size_t)len);
        }
        data += 4 + (size_t)len;
        size -= 4 + (size_t)len;
    }
    return 0;
}
