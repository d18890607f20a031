/* Shared fixture for the tree tests. */
#include "tests/tree/helpers.h"

#include <stdlib.h>
#include <string.h>

struct tree *t;
struct ev evs[256];
int nev;
int64_t cur_sid;
bool cur_super;
uint64_t cur_watcher = 1;

static int64_t zxid;
static int64_t now_ms = 1000;
static struct buf ids;

static void notify(void *ctx, uint64_t watcher, int32_t type,
                   const char *path, size_t len, int64_t z)
{
    if (nev >= 256)
        return;
    struct ev *e = &evs[nev++];
    e->watcher = watcher;
    e->type = type;
    if (len > sizeof e->path - 1)
        len = sizeof e->path - 1;
    memcpy(e->path, path, len);
    e->path[len] = 0;
    e->zxid = z;
}

static void setup_cfg(bool ttl)
{
    struct tree_config cfg = {.ttl_enabled = ttl, .container_never_used_ms = 0};
    t = tree_new(&cfg, notify, NULL);
    nev = 0;
    zxid = 0;
    now_ms = 1000;
    cur_super = false;
    cur_watcher = 1;
    buf_init(&ids, 1 << 16);
    ids_set(NULL, 0);
    /* zxid 0 keeps tree_last_zxid() at 0 and the tests' zxids from 1 */
    zxid = -1;
    cur_sid = TEST_SID;
    open_session(TEST_SID);
    nev = 0;
}

void tree_setup(void)
{
    setup_cfg(false);
}

void tree_setup_ttl(void)
{
    setup_cfg(true);
}

void tree_teardown(void)
{
    tree_free(t);
    t = NULL;
    buf_close(&ids);
}

void ids_set(const char *const *list, int n)
{
    buf_reset(&ids);
    jute_put_int(&ids, n);
    for (int i = 0; i < n; i++) {
        const char *colon = strchr(list[i], ':');
        jute_put_buffer(&ids, list[i], (int32_t)(colon - list[i]));
        jute_put_cstr(&ids, colon + 1);
    }
}

static struct jute_vec ids_vec(void)
{
    return (struct jute_vec){(int32_t)jute_be32(ids.base), ids.base + 4,
                             ids.len - 4};
}

void set_time(int64_t ms)
{
    now_ms = ms;
}

int64_t last_zxid_used(void)
{
    return zxid;
}

int apply_txn(int32_t type, const struct buf *body, struct buf *reply)
{
    return apply_txn_at(zxid + 1, type, body, reply);
}

int apply_txn_at(int64_t z, int32_t type, const struct buf *body,
                 struct buf *reply)
{
    if (z > zxid)
        zxid = z;
    struct tree_txn txn = {
        .zxid = z,
        .time_ms = now_ms,
        .session_id = cur_sid,
        .type = type,
        .super = cur_super,
        .ids = ids_vec(),
        .body = body ? (struct jute_str){(const char *)body->base,
                                         (int32_t)body->len}
                     : (struct jute_str){"", 0},
    };
    return tree_apply(t, &txn, reply);
}

int open_session(int64_t sid)
{
    struct buf b;
    buf_init(&b, 1024);
    jute_put_int(&b, 30000);
    jute_put_buffer(&b, "0123456789abcdef", 16);
    int64_t saved = cur_sid;
    cur_sid = sid;
    int rc = apply_txn(COORD_OP_CREATESESSION, &b, NULL);
    cur_sid = saved;
    buf_close(&b);
    return rc;
}

int close_session(int64_t sid)
{
    int64_t saved = cur_sid;
    cur_sid = sid;
    int rc = apply_txn(COORD_OP_CLOSESESSION, NULL, NULL);
    cur_sid = saved;
    return rc;
}

struct coord_acl acl_of(int32_t perms, const char *scheme, const char *id)
{
    return (struct coord_acl){perms, {jute_cstr(scheme), jute_cstr(id)}};
}

int create_op(int32_t op, const char *path, const char *data, int32_t flags,
              int64_t ttl, const struct coord_acl *acl, int32_t nacl,
              struct buf *reply)
{
    struct coord_acl open = acl_of(COORD_PERM_ALL, "world", "anyone");
    struct buf b;
    buf_init(&b, 1 << 20);
    struct buf acls;
    buf_init(&acls, 1 << 16);
    if (acl == NULL && nacl == 0) {
        acl = &open;
        nacl = 1;
    }
    coord_put_acl_array(&acls, acl, nacl);
    struct coord_create_req req = {
        .path = jute_cstr(path),
        .data = jute_cstr(data),
        .acl = {(int32_t)jute_be32(acls.base), acls.base + 4, acls.len - 4},
        .flags = flags,
        .ttl = ttl,
    };
    if (nacl < 0)
        req.acl = (struct jute_vec){-1, acls.base + 4, 0};
    coord_put_create_req(&b, &req, op == COORD_OP_CREATETTL);
    int rc = apply_txn(op, &b, reply);
    buf_close(&b);
    buf_close(&acls);
    return rc;
}

int create(const char *path, const char *data, int32_t flags)
{
    return create_op(COORD_OP_CREATE, path, data, flags, -1, NULL, 0, NULL);
}

int create_path(const char *path, int32_t flags, char *out, size_t cap)
{
    struct buf r;
    buf_init(&r, 1 << 20);
    int rc = create_op(COORD_OP_CREATE, path, "", flags, -1, NULL, 0, &r);
    out[0] = 0;
    if (rc == 0) {
        struct jute_r rd;
        jute_r_init(&rd, r.base, r.len);
        struct jute_str s = jute_get_str(&rd);
        size_t n = (size_t)s.len < cap - 1 ? (size_t)s.len : cap - 1;
        memcpy(out, s.p, n);
        out[n] = 0;
    }
    buf_close(&r);
    return rc;
}

int del(const char *path, int32_t version)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct coord_delete_req req = {jute_cstr(path), version};
    coord_put_delete_req(&b, &req);
    int rc = apply_txn(COORD_OP_DELETE, &b, NULL);
    buf_close(&b);
    return rc;
}

int set(const char *path, const char *data, int32_t version)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct coord_setdata_req req = {jute_cstr(path), jute_cstr(data), version};
    coord_put_setdata_req(&b, &req);
    int rc = apply_txn(COORD_OP_SETDATA, &b, NULL);
    buf_close(&b);
    return rc;
}

int setacl(const char *path, const struct coord_acl *acl, int32_t n,
           int32_t version)
{
    struct buf b, acls;
    buf_init(&b, 1 << 20);
    buf_init(&acls, 1 << 16);
    coord_put_acl_array(&acls, acl, n);
    struct coord_setacl_req req = {
        jute_cstr(path),
        {(int32_t)jute_be32(acls.base), acls.base + 4, acls.len - 4},
        version};
    coord_put_setacl_req(&b, &req);
    int rc = apply_txn(COORD_OP_SETACL, &b, NULL);
    buf_close(&b);
    buf_close(&acls);
    return rc;
}

int read_op(int32_t op, const struct buf *body, struct buf *reply)
{
    struct tree_caller who = {cur_sid, cur_watcher, cur_super, ids_vec()};
    struct jute_str s = {(const char *)body->base, (int32_t)body->len};
    return tree_read(t, op, s, &who, reply);
}

int stat_of(const char *path, struct coord_stat *st)
{
    struct buf b, r;
    buf_init(&b, 1 << 20);
    buf_init(&r, 1 << 20);
    struct coord_path_watch_req req = {jute_cstr(path), false};
    coord_put_path_watch_req(&b, &req);
    int rc = read_op(COORD_OP_EXISTS, &b, &r);
    if (rc == 0) {
        struct jute_r rd;
        jute_r_init(&rd, r.base, r.len);
        coord_get_stat(&rd, st);
        CHECK_TRUE(jute_r_done(&rd));
    }
    buf_close(&b);
    buf_close(&r);
    return rc;
}

int exists_w(const char *path, bool watch)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct coord_path_watch_req req = {jute_cstr(path), watch};
    coord_put_path_watch_req(&b, &req);
    int rc = read_op(COORD_OP_EXISTS, &b, NULL);
    buf_close(&b);
    return rc;
}

int get_data_w(const char *path, bool watch, char *out, size_t cap,
               int32_t *len)
{
    struct buf b, r;
    buf_init(&b, 1 << 20);
    buf_init(&r, 1 << 20);
    struct coord_path_watch_req req = {jute_cstr(path), watch};
    coord_put_path_watch_req(&b, &req);
    int rc = read_op(COORD_OP_GETDATA, &b, &r);
    if (rc == 0) {
        struct jute_r rd;
        jute_r_init(&rd, r.base, r.len);
        struct jute_str d = jute_get_buffer(&rd);
        struct coord_stat st;
        coord_get_stat(&rd, &st);
        CHECK_TRUE(jute_r_done(&rd));
        if (len)
            *len = d.len;
        if (out) {
            size_t n = d.len < 0 ? 0 : (size_t)d.len;
            if (n > cap - 1)
                n = cap - 1;
            memcpy(out, d.p, n);
            out[n] = 0;
        }
    }
    buf_close(&b);
    buf_close(&r);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int children_w(const char *path, bool watch, char *out, size_t cap)
{
    struct buf b, r;
    buf_init(&b, 1 << 20);
    buf_init(&r, 1 << 24);
    struct coord_path_watch_req req = {jute_cstr(path), watch};
    coord_put_path_watch_req(&b, &req);
    int rc = read_op(COORD_OP_GETCHILDREN, &b, &r);
    out[0] = 0;
    if (rc == 0) {
        struct jute_r rd;
        jute_r_init(&rd, r.base, r.len);
        int32_t n = jute_get_int(&rd);
        char **names = calloc((size_t)n + 1, sizeof *names);
        for (int32_t i = 0; i < n; i++) {
            struct jute_str s = jute_get_str(&rd);
            names[i] = strndup(s.p, (size_t)s.len);
        }
        CHECK_TRUE(jute_r_done(&rd));
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        size_t off = 0;
        for (int32_t i = 0; i < n; i++) {
            size_t l = strlen(names[i]);
            if (off + l + 2 < cap) {
                if (i)
                    out[off++] = ',';
                memcpy(out + off, names[i], l);
                off += l;
                out[off] = 0;
            }
            free(names[i]);
        }
        free(names);
    }
    buf_close(&b);
    buf_close(&r);
    return rc;
}

int add_watch(const char *path, int32_t mode)
{
    struct buf b, r;
    buf_init(&b, 1 << 20);
    buf_init(&r, 1 << 20);
    struct coord_addwatch_req req = {jute_cstr(path), mode};
    coord_put_addwatch_req(&b, &req);
    int rc = read_op(COORD_OP_ADDWATCH, &b, &r);
    if (rc == 0)
        CHECK_EQ_INT(r.len, 4);
    buf_close(&b);
    buf_close(&r);
    return rc;
}

int watches_op(int32_t op, const char *path, int32_t type)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct coord_watches_req req = {jute_cstr(path), type};
    coord_put_watches_req(&b, &req);
    int rc = read_op(op, &b, NULL);
    buf_close(&b);
    return rc;
}

void put_create(struct buf *b, const char *path, const char *data,
                int32_t flags)
{
    static const uint8_t open[] = {0,   0,   0,   0x1f, 0,   0,   0,   5,
                                   'w', 'o', 'r', 'l',  'd', 0,   0,   0,
                                   6,   'a', 'n', 'y',  'o', 'n', 'e'};
    struct coord_create_req req = {
        .path = jute_cstr(path),
        .data = jute_cstr(data),
        .acl = {1, open, sizeof open},
        .flags = flags,
        .ttl = -1,
    };
    coord_put_create_req(b, &req, false);
}

bool jstr_is(struct jute_str s, const char *c)
{
    return s.len == (int32_t)strlen(c) && memcmp(s.p, c, (size_t)s.len) == 0;
}
