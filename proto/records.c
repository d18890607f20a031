/* Encoders and decoders for every record of ZooKeeper's client protocol. */
#include "proto/records.h"

#include <stdint.h>

#include "proto/err.h"

/* --- vectors --- */

void jute_vec_iter(const struct jute_vec *v, struct jute_r *it)
{
    jute_r_init(it, v->p, v->len);
    /* The elements were length-checked when the vector was decoded, possibly
     * under a larger limit than the default; only the byte bound matters. */
    it->max_len = INT32_MAX;
}

static int get_str_elem(struct jute_r *r)
{
    jute_get_str(r);
    return r->err;
}

static int get_acl_elem(struct jute_r *r)
{
    struct coord_acl a;
    return coord_get_acl(r, &a);
}

/*
 * Reads `int count` and walks every element once with `elem`, so the vector's
 * extent is known and each element is known to decode inside the input.
 */
static int get_vec(struct jute_r *r, struct jute_vec *out,
                   int (*elem)(struct jute_r *))
{
    out->count = 0;
    out->p = NULL;
    out->len = 0;
    int32_t n = jute_get_int(r);
    if (r->err)
        return r->err;
    if (n == -1) {
        out->count = -1;
        return 0;
    }
    /* Every element takes at least one byte, so a count above the bytes
     * left is a lie; refusing it early also bounds the loop below. */
    if (n < -1 || (size_t)n > r->left) {
        r->err = COORD_EPROTO;
        return r->err;
    }
    const uint8_t *start = r->p;
    for (int32_t i = 0; i < n; i++)
        if (elem(r) != 0)
            return r->err;
    out->count = n;
    out->p = start;
    out->len = (size_t)(r->p - start);
    return 0;
}

int coord_get_acl_vec(struct jute_r *r, struct jute_vec *out)
{
    return get_vec(r, out, get_acl_elem);
}

int coord_get_str_vec(struct jute_r *r, struct jute_vec *out)
{
    return get_vec(r, out, get_str_elem);
}

void coord_put_vec(struct buf *b, const struct jute_vec *v)
{
    if (v->count < 0) {
        jute_put_int(b, -1);
        return;
    }
    jute_put_int(b, v->count);
    if (v->len > 0)
        buf_append(b, v->p, v->len);
}

void coord_put_acl_array(struct buf *b, const struct coord_acl *acl, int32_t n)
{
    if (n < 0) {
        jute_put_int(b, -1);
        return;
    }
    jute_put_int(b, n);
    for (int32_t i = 0; i < n; i++)
        coord_put_acl(b, &acl[i]);
}

void coord_put_str_array(struct buf *b, const struct jute_str *s, int32_t n)
{
    if (n < 0) {
        jute_put_int(b, -1);
        return;
    }
    jute_put_int(b, n);
    for (int32_t i = 0; i < n; i++)
        jute_put_str(b, s[i]);
}

/* --- shared records --- */

int coord_get_id(struct jute_r *r, struct coord_id *out)
{
    out->scheme = jute_get_str(r);
    out->id = jute_get_str(r);
    return r->err;
}

void coord_put_id(struct buf *b, const struct coord_id *id)
{
    jute_put_str(b, id->scheme);
    jute_put_str(b, id->id);
}

int coord_get_acl(struct jute_r *r, struct coord_acl *out)
{
    out->perms = jute_get_int(r);
    return coord_get_id(r, &out->id);
}

void coord_put_acl(struct buf *b, const struct coord_acl *acl)
{
    jute_put_int(b, acl->perms);
    coord_put_id(b, &acl->id);
}

int coord_get_stat(struct jute_r *r, struct coord_stat *out)
{
    out->czxid = jute_get_long(r);
    out->mzxid = jute_get_long(r);
    out->ctime = jute_get_long(r);
    out->mtime = jute_get_long(r);
    out->version = jute_get_int(r);
    out->cversion = jute_get_int(r);
    out->aversion = jute_get_int(r);
    out->ephemeral_owner = jute_get_long(r);
    out->data_length = jute_get_int(r);
    out->num_children = jute_get_int(r);
    out->pzxid = jute_get_long(r);
    return r->err;
}

void coord_put_stat(struct buf *b, const struct coord_stat *st)
{
    jute_put_long(b, st->czxid);
    jute_put_long(b, st->mzxid);
    jute_put_long(b, st->ctime);
    jute_put_long(b, st->mtime);
    jute_put_int(b, st->version);
    jute_put_int(b, st->cversion);
    jute_put_int(b, st->aversion);
    jute_put_long(b, st->ephemeral_owner);
    jute_put_int(b, st->data_length);
    jute_put_int(b, st->num_children);
    jute_put_long(b, st->pzxid);
}

/* --- handshake --- */

int coord_get_connect_req(struct jute_r *r, struct coord_connect_req *out)
{
    out->protocol_version = jute_get_int(r);
    out->last_zxid_seen = jute_get_long(r);
    out->timeout = jute_get_int(r);
    out->session_id = jute_get_long(r);
    out->passwd = jute_get_buffer(r);
    /* Spec 2.3: pre-3.4 clients end the frame right after passwd. */
    out->has_readonly = r->err == 0 && r->left >= 1;
    out->readonly = out->has_readonly ? jute_get_bool(r) : false;
    return r->err;
}

void coord_put_connect_req(struct buf *b, const struct coord_connect_req *in)
{
    jute_put_int(b, in->protocol_version);
    jute_put_long(b, in->last_zxid_seen);
    jute_put_int(b, in->timeout);
    jute_put_long(b, in->session_id);
    jute_put_str(b, in->passwd);
    if (in->has_readonly)
        jute_put_bool(b, in->readonly);
}

int coord_get_connect_resp(struct jute_r *r, struct coord_connect_resp *out)
{
    out->protocol_version = jute_get_int(r);
    out->timeout = jute_get_int(r);
    out->session_id = jute_get_long(r);
    out->passwd = jute_get_buffer(r);
    out->has_readonly = r->err == 0 && r->left >= 1;
    out->readonly = out->has_readonly ? jute_get_bool(r) : false;
    return r->err;
}

void coord_put_connect_resp(struct buf *b, const struct coord_connect_resp *in)
{
    jute_put_int(b, in->protocol_version);
    jute_put_int(b, in->timeout);
    jute_put_long(b, in->session_id);
    jute_put_str(b, in->passwd);
    if (in->has_readonly)
        jute_put_bool(b, in->readonly);
}

/* --- headers --- */

int coord_get_request_header(struct jute_r *r, struct coord_request_header *out)
{
    out->xid = jute_get_int(r);
    out->type = jute_get_int(r);
    return r->err;
}

void coord_put_request_header(struct buf *b,
                              const struct coord_request_header *in)
{
    jute_put_int(b, in->xid);
    jute_put_int(b, in->type);
}

int coord_get_reply_header(struct jute_r *r, struct coord_reply_header *out)
{
    out->xid = jute_get_int(r);
    out->zxid = jute_get_long(r);
    out->err = jute_get_int(r);
    return r->err;
}

void coord_put_reply_header(struct buf *b, const struct coord_reply_header *in)
{
    jute_put_int(b, in->xid);
    jute_put_long(b, in->zxid);
    jute_put_int(b, in->err);
}

int coord_get_multi_header(struct jute_r *r, struct coord_multi_header *out)
{
    out->type = jute_get_int(r);
    out->done = jute_get_bool(r);
    out->err = jute_get_int(r);
    return r->err;
}

void coord_put_multi_header(struct buf *b, const struct coord_multi_header *in)
{
    jute_put_int(b, in->type);
    jute_put_bool(b, in->done);
    jute_put_int(b, in->err);
}

int coord_get_auth_packet(struct jute_r *r, struct coord_auth_packet *out)
{
    out->type = jute_get_int(r);
    out->scheme = jute_get_str(r);
    out->auth = jute_get_buffer(r);
    return r->err;
}

void coord_put_auth_packet(struct buf *b, const struct coord_auth_packet *in)
{
    jute_put_int(b, in->type);
    jute_put_str(b, in->scheme);
    jute_put_str(b, in->auth);
}

int coord_get_watcher_event(struct jute_r *r, struct coord_watcher_event *out)
{
    out->type = jute_get_int(r);
    out->state = jute_get_int(r);
    out->path = jute_get_str(r);
    return r->err;
}

void coord_put_watcher_event(struct buf *b,
                             const struct coord_watcher_event *in)
{
    jute_put_int(b, in->type);
    jute_put_int(b, in->state);
    jute_put_str(b, in->path);
}

/* --- requests --- */

int coord_get_create_req(struct jute_r *r, struct coord_create_req *out,
                         bool with_ttl)
{
    out->path = jute_get_str(r);
    out->data = jute_get_buffer(r);
    coord_get_acl_vec(r, &out->acl);
    out->flags = jute_get_int(r);
    out->ttl = with_ttl ? jute_get_long(r) : -1;
    return r->err;
}

void coord_put_create_req(struct buf *b, const struct coord_create_req *in,
                          bool with_ttl)
{
    jute_put_str(b, in->path);
    jute_put_str(b, in->data);
    coord_put_vec(b, &in->acl);
    jute_put_int(b, in->flags);
    if (with_ttl)
        jute_put_long(b, in->ttl);
}

int coord_get_delete_req(struct jute_r *r, struct coord_delete_req *out)
{
    out->path = jute_get_str(r);
    out->version = jute_get_int(r);
    return r->err;
}

void coord_put_delete_req(struct buf *b, const struct coord_delete_req *in)
{
    jute_put_str(b, in->path);
    jute_put_int(b, in->version);
}

int coord_get_path_watch_req(struct jute_r *r, struct coord_path_watch_req *out)
{
    out->path = jute_get_str(r);
    out->watch = jute_get_bool(r);
    return r->err;
}

void coord_put_path_watch_req(struct buf *b,
                              const struct coord_path_watch_req *in)
{
    jute_put_str(b, in->path);
    jute_put_bool(b, in->watch);
}

int coord_get_setdata_req(struct jute_r *r, struct coord_setdata_req *out)
{
    out->path = jute_get_str(r);
    out->data = jute_get_buffer(r);
    out->version = jute_get_int(r);
    return r->err;
}

void coord_put_setdata_req(struct buf *b, const struct coord_setdata_req *in)
{
    jute_put_str(b, in->path);
    jute_put_str(b, in->data);
    jute_put_int(b, in->version);
}

int coord_get_path_req(struct jute_r *r, struct coord_path_req *out)
{
    out->path = jute_get_str(r);
    return r->err;
}

void coord_put_path_req(struct buf *b, const struct coord_path_req *in)
{
    jute_put_str(b, in->path);
}

int coord_get_setacl_req(struct jute_r *r, struct coord_setacl_req *out)
{
    out->path = jute_get_str(r);
    coord_get_acl_vec(r, &out->acl);
    out->version = jute_get_int(r);
    return r->err;
}

void coord_put_setacl_req(struct buf *b, const struct coord_setacl_req *in)
{
    jute_put_str(b, in->path);
    coord_put_vec(b, &in->acl);
    jute_put_int(b, in->version);
}

int coord_get_check_req(struct jute_r *r, struct coord_check_req *out)
{
    out->path = jute_get_str(r);
    out->version = jute_get_int(r);
    return r->err;
}

void coord_put_check_req(struct buf *b, const struct coord_check_req *in)
{
    jute_put_str(b, in->path);
    jute_put_int(b, in->version);
}

int coord_get_reconfig_req(struct jute_r *r, struct coord_reconfig_req *out)
{
    out->joining = jute_get_str(r);
    out->leaving = jute_get_str(r);
    out->new_members = jute_get_str(r);
    out->cur_config_id = jute_get_long(r);
    return r->err;
}

void coord_put_reconfig_req(struct buf *b, const struct coord_reconfig_req *in)
{
    jute_put_str(b, in->joining);
    jute_put_str(b, in->leaving);
    jute_put_str(b, in->new_members);
    jute_put_long(b, in->cur_config_id);
}

int coord_get_setwatches_req(struct jute_r *r, struct coord_setwatches_req *out,
                             bool v2)
{
    static const struct jute_vec empty = {0, NULL, 0};
    out->relative_zxid = jute_get_long(r);
    coord_get_str_vec(r, &out->data);
    coord_get_str_vec(r, &out->exist);
    coord_get_str_vec(r, &out->child);
    out->persistent = empty;
    out->recursive = empty;
    if (v2) {
        coord_get_str_vec(r, &out->persistent);
        coord_get_str_vec(r, &out->recursive);
    }
    return r->err;
}

void coord_put_setwatches_req(struct buf *b,
                              const struct coord_setwatches_req *in, bool v2)
{
    jute_put_long(b, in->relative_zxid);
    coord_put_vec(b, &in->data);
    coord_put_vec(b, &in->exist);
    coord_put_vec(b, &in->child);
    if (v2) {
        coord_put_vec(b, &in->persistent);
        coord_put_vec(b, &in->recursive);
    }
}

int coord_get_watches_req(struct jute_r *r, struct coord_watches_req *out)
{
    out->path = jute_get_str(r);
    out->type = jute_get_int(r);
    return r->err;
}

void coord_put_watches_req(struct buf *b, const struct coord_watches_req *in)
{
    jute_put_str(b, in->path);
    jute_put_int(b, in->type);
}

int coord_get_addwatch_req(struct jute_r *r, struct coord_addwatch_req *out)
{
    out->path = jute_get_str(r);
    out->mode = jute_get_int(r);
    return r->err;
}

void coord_put_addwatch_req(struct buf *b, const struct coord_addwatch_req *in)
{
    jute_put_str(b, in->path);
    jute_put_int(b, in->mode);
}

/* --- frames --- */

size_t coord_frame_reply(struct buf *b, int32_t xid, int64_t zxid, int32_t err)
{
    size_t off = jute_frame_begin(b);
    struct coord_reply_header h = {xid, zxid, err};
    coord_put_reply_header(b, &h);
    return off;
}

void coord_frame_notification(struct buf *b, int64_t zxid, int32_t type,
                              struct jute_str path)
{
    size_t off = coord_frame_reply(b, COORD_XID_NOTIFICATION, zxid, 0);
    struct coord_watcher_event ev = {type, COORD_STATE_SYNC_CONNECTED, path};
    coord_put_watcher_event(b, &ev);
    jute_frame_end(b, off);
}

/* --- opcodes --- */

bool coord_op_is_write(int32_t op)
{
    switch (op) {
    case COORD_OP_CREATE:
    case COORD_OP_DELETE:
    case COORD_OP_SETDATA:
    case COORD_OP_SETACL:
    case COORD_OP_MULTI:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
    case COORD_OP_DELETECONTAINER:
    case COORD_OP_CREATETTL:
    case COORD_OP_RECONFIG:
    case COORD_OP_CREATESESSION:
    case COORD_OP_CLOSESESSION:
        return true;
    default:
        /* check (13) is a write only as part of a multi, which is. */
        return false;
    }
}

const char *coord_op_name(int32_t op)
{
    switch (op) {
    case COORD_OP_NOTIFICATION: return "notification";
    case COORD_OP_CREATE: return "create";
    case COORD_OP_DELETE: return "delete";
    case COORD_OP_EXISTS: return "exists";
    case COORD_OP_GETDATA: return "getData";
    case COORD_OP_SETDATA: return "setData";
    case COORD_OP_GETACL: return "getACL";
    case COORD_OP_SETACL: return "setACL";
    case COORD_OP_GETCHILDREN: return "getChildren";
    case COORD_OP_SYNC: return "sync";
    case COORD_OP_PING: return "ping";
    case COORD_OP_GETCHILDREN2: return "getChildren2";
    case COORD_OP_CHECK: return "check";
    case COORD_OP_MULTI: return "multi";
    case COORD_OP_CREATE2: return "create2";
    case COORD_OP_RECONFIG: return "reconfig";
    case COORD_OP_CHECKWATCHES: return "checkWatches";
    case COORD_OP_REMOVEWATCHES: return "removeWatches";
    case COORD_OP_CREATECONTAINER: return "createContainer";
    case COORD_OP_DELETECONTAINER: return "deleteContainer";
    case COORD_OP_CREATETTL: return "createTTL";
    case COORD_OP_MULTIREAD: return "multiRead";
    case COORD_OP_AUTH: return "auth";
    case COORD_OP_SETWATCHES: return "setWatches";
    case COORD_OP_SASL: return "sasl";
    case COORD_OP_GETEPHEMERALS: return "getEphemerals";
    case COORD_OP_GETALLCHILDRENNUMBER: return "getAllChildrenNumber";
    case COORD_OP_SETWATCHES2: return "setWatches2";
    case COORD_OP_ADDWATCH: return "addWatch";
    case COORD_OP_WHOAMI: return "whoAmI";
    case COORD_OP_CREATESESSION: return "createSession";
    case COORD_OP_CLOSESESSION: return "closeSession";
    case COORD_OP_ERROR: return "error";
    default: return "unknown";
    }
}
