/* The asynchronous operations: request bodies out, reply bodies to callbacks. */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

static const struct coord_acl_entry open_e[] = {{COORD_PERM_ALL, "world", "anyone"}};
static const struct coord_acl_entry read_e[] = {{COORD_PERM_READ, "world", "anyone"}};
static const struct coord_acl_entry creator_e[] = {{COORD_PERM_ALL, "auth", ""}};
static const struct coord_acl_list open_l = {1, open_e};
static const struct coord_acl_list read_l = {1, read_e};
static const struct coord_acl_list creator_l = {1, creator_e};

const struct coord_acl_list *coord_acl_open(void)
{
    return &open_l;
}

const struct coord_acl_list *coord_acl_read(void)
{
    return &read_l;
}

const struct coord_acl_list *coord_acl_creator(void)
{
    return &creator_l;
}

/* --- shared plumbing --- */

/* Locks c and checks it still takes calls; unlocks on failure. */
static int enter(struct coord *c)
{
    if (c == NULL)
        return COORD_EINVAL;
    core_lock(c);
    int rc = core_dead_code(c);
    if (rc)
        core_unlock(c);
    return rc;
}

/* Submits r (or frees it on an encoding error) and unlocks. */
static int leave(struct coord *c, struct req *r)
{
    int rc = r->body.err;
    if (rc == 0)
        core_submit(c, r);
    else
        req_free(r);
    core_unlock(c);
    return rc;
}

static struct req *new_req(struct coord *c, int32_t type, req_done_fn done,
                           void *cb, void *ctx, int *rc)
{
    struct req *r = req_new(c, type, done, cb, ctx);
    *rc = r ? 0 : COORD_ENOMEM;
    if (r == NULL)
        core_unlock(c);
    return r;
}

/* Writes the server form of path as a ustring; keeps a copy in r->spath. */
static int put_path(struct coord *c, struct req *r, const char *path, bool seq)
{
    struct buf pb;
    buf_init(&pb, COORD_MAX_FRAME);
    int rc = path_to_server(c, path, seq, &pb);
    if (rc == 0) {
        jute_put_cstr(&r->body, (const char *)pb.base);
        size_t n;
        r->spath = (char *)buf_take(&pb, &n);
    }
    buf_close(&pb);
    return rc;
}

static int fail(struct coord *c, struct req *r, int rc)
{
    req_free(r);
    core_unlock(c);
    return rc;
}

void acl_put(struct buf *b, const struct coord_acl_list *acl)
{
    if (acl == NULL)
        acl = &open_l;
    jute_put_int(b, acl->count);
    for (int32_t i = 0; i < acl->count; i++) {
        jute_put_int(b, acl->entries[i].perms);
        jute_put_cstr(b, acl->entries[i].scheme);
        jute_put_cstr(b, acl->entries[i].id);
    }
}

/* A string vector as one malloc'd coord_strings block; strip chroot if
 * asked (full paths). */
struct coord_strings *strings_from_vec(struct coord *c, const struct jute_vec *v,
                                       bool strip)
{
    int32_t n = v->count > 0 ? v->count : 0;
    size_t bytes = sizeof(struct coord_strings) + (size_t)n * sizeof(char *) +
                   v->len + (size_t)n;
    struct coord_strings *s = malloc(bytes);
    if (s == NULL)
        return NULL;
    s->count = 0;
    s->data = (char **)(s + 1);
    char *at = (char *)(s->data + n);
    struct jute_r it;
    jute_vec_iter(v, &it);
    size_t cl = strip ? c->hl.chroot_len : 0;
    for (int32_t i = 0; i < n; i++) {
        struct jute_str e = jute_get_str(&it);
        if (it.err || e.len < 0)
            break;
        const char *p = e.p;
        size_t len = (size_t)e.len;
        if (cl) {
            if (len < cl || memcmp(p, c->hl.chroot, cl) != 0)
                continue;
            p += cl;
            len -= cl;
        }
        s->data[s->count++] = at;
        if (len == 0 && cl)
            *at++ = '/';
        memcpy(at, p, len);
        at += len;
        *at++ = '\0';
    }
    return s;
}

/* --- create --- */

static int create_done(struct coord *c, struct req *r, int rc,
                       struct jute_r *body)
{
    coord_create_cb cb = (coord_create_cb)r->cb;
    if (rc != 0) {
        if (cb)
            CALLBACK(c, cb(rc, NULL, NULL, r->ctx));
        return 0;
    }
    struct jute_str p = jute_get_str(body);
    struct coord_stat st;
    bool with_stat = r->type != COORD_OP_CREATE;
    if (with_stat)
        coord_get_stat(body, &st);
    if (body->err || p.len < 0) {
        if (cb)
            CALLBACK(c, cb(COORD_EPROTO, NULL, NULL, r->ctx));
        return COORD_EPROTO;
    }
    char *up = path_from_server(c, p.p, (size_t)p.len);
    if (cb)
        CALLBACK(c, cb(up ? 0 : COORD_ENOMEM, up, with_stat ? &st : NULL,
                       r->ctx));
    free(up);
    return 0;
}

static int create_common(struct coord *c, const char *path, const void *data,
                         int32_t len, const struct coord_acl_list *acl,
                         int flags, int64_t ttl, coord_create_cb cb, void *ctx,
                         int32_t op)
{
    if (flags < 0 || flags > 6 || (data == NULL && len > 0) || len < -1 ||
        (acl && (acl->count <= 0 || acl->entries == NULL)))
        return COORD_EINVAL;
    bool is_ttl = flags == COORD_PERSISTENT_WITH_TTL ||
                  flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL;
    if (is_ttl)
        op = COORD_OP_CREATETTL;
    else if (flags == COORD_CONTAINER)
        op = COORD_OP_CREATECONTAINER;
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, op, create_done, (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    bool seq = flags == COORD_PERSISTENT_SEQUENTIAL ||
               flags == COORD_EPHEMERAL_SEQUENTIAL ||
               flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL;
    rc = put_path(c, r, path, seq);
    if (rc)
        return fail(c, r, rc);
    jute_put_buffer(&r->body, data, len);
    acl_put(&r->body, acl);
    jute_put_int(&r->body, flags);
    if (is_ttl)
        jute_put_long(&r->body, ttl);
    return leave(c, r);
}

int coord_create(struct coord *c, const char *path, const void *data,
                 int32_t len, const struct coord_acl_list *acl, int flags,
                 int64_t ttl, coord_create_cb cb, void *ctx)
{
    return create_common(c, path, data, len, acl, flags, ttl, cb, ctx,
                         COORD_OP_CREATE);
}

int coord_create2(struct coord *c, const char *path, const void *data,
                  int32_t len, const struct coord_acl_list *acl, int flags,
                  int64_t ttl, coord_create_cb cb, void *ctx)
{
    return create_common(c, path, data, len, acl, flags, ttl, cb, ctx,
                         COORD_OP_CREATE2);
}

/* --- replies without a body: delete, watches, auth --- */

static int void_done(struct coord *c, struct req *r, int rc,
                     struct jute_r *body)
{
    (void)body;
    coord_void_cb cb = (coord_void_cb)r->cb;
    if (cb)
        CALLBACK(c, cb(rc, r->ctx));
    return 0;
}

int coord_delete(struct coord *c, const char *path, int32_t version,
                 coord_void_cb cb, void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_DELETE, void_done, (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    jute_put_int(&r->body, version);
    return leave(c, r);
}

/* --- stat replies: exists, set, set_acl --- */

static int register_watch(struct coord *c, struct req *r, int rc)
{
    if (r->w == NULL)
        return 0;
    int kind = -1;
    if (rc == 0)
        kind = r->wkind;
    else if (rc == COORD_ENONODE && r->type == COORD_OP_EXISTS)
        kind = W_EXIST;
    if (kind < 0)
        return 0;
    return watch_add(c, kind, r->spath, r->w, r->wctx);
}

static int stat_done(struct coord *c, struct req *r, int rc,
                     struct jute_r *body)
{
    coord_stat_cb cb = (coord_stat_cb)r->cb;
    struct coord_stat st;
    if (rc == 0 && coord_get_stat(body, &st) != 0) {
        if (cb)
            CALLBACK(c, cb(COORD_EPROTO, NULL, r->ctx));
        return COORD_EPROTO;
    }
    int wrc = register_watch(c, r, rc);
    if (wrc && rc == 0)
        rc = wrc;
    if (cb)
        CALLBACK(c, cb(rc, rc == 0 ? &st : NULL, r->ctx));
    return 0;
}

static struct req *watched_req(struct coord *c, int32_t type, const char *path,
                               coord_watch_fn w, void *wctx, int kind,
                               req_done_fn done, void *cb, void *ctx, int *rc)
{
    *rc = enter(c);
    if (*rc)
        return NULL;
    struct req *r = new_req(c, type, done, cb, ctx, rc);
    if (r == NULL)
        return NULL;
    if ((*rc = put_path(c, r, path, false)) != 0) {
        fail(c, r, *rc);
        return NULL;
    }
    jute_put_bool(&r->body, w != NULL);
    r->w = w;
    r->wctx = wctx;
    r->wkind = kind;
    return r;
}

int coord_exists(struct coord *c, const char *path, coord_watch_fn w,
                 void *wctx, coord_stat_cb cb, void *ctx)
{
    int rc;
    struct req *r = watched_req(c, COORD_OP_EXISTS, path, w, wctx, W_DATA,
                                stat_done, (void *)cb, ctx, &rc);
    return r ? leave(c, r) : rc;
}

int coord_set(struct coord *c, const char *path, const void *data, int32_t len,
              int32_t version, coord_stat_cb cb, void *ctx)
{
    if ((data == NULL && len > 0) || len < -1)
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_SETDATA, stat_done, (void *)cb, ctx,
                            &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    jute_put_buffer(&r->body, data, len);
    jute_put_int(&r->body, version);
    return leave(c, r);
}

int coord_acl_set(struct coord *c, const char *path, int32_t version,
                  const struct coord_acl_list *acl, coord_stat_cb cb,
                  void *ctx)
{
    if (acl == NULL || acl->count <= 0 || acl->entries == NULL)
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_SETACL, stat_done, (void *)cb, ctx,
                            &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    acl_put(&r->body, acl);
    jute_put_int(&r->body, version);
    return leave(c, r);
}

/* --- get --- */

static int data_done(struct coord *c, struct req *r, int rc,
                     struct jute_r *body)
{
    coord_data_cb cb = (coord_data_cb)r->cb;
    struct jute_str d = JUTE_NULL;
    struct coord_stat st;
    if (rc == 0) {
        d = jute_get_buffer(body);
        if (coord_get_stat(body, &st) != 0) {
            if (cb)
                CALLBACK(c, cb(COORD_EPROTO, NULL, -1, NULL, r->ctx));
            return COORD_EPROTO;
        }
    }
    int wrc = register_watch(c, r, rc);
    if (wrc && rc == 0)
        rc = wrc;
    if (cb)
        CALLBACK(c, cb(rc, rc == 0 ? d.p : NULL, rc == 0 ? d.len : -1,
                       rc == 0 ? &st : NULL, r->ctx));
    return 0;
}

int coord_get(struct coord *c, const char *path, coord_watch_fn w, void *wctx,
              coord_data_cb cb, void *ctx)
{
    int rc;
    struct req *r = watched_req(c, COORD_OP_GETDATA, path, w, wctx, W_DATA,
                                data_done, (void *)cb, ctx, &rc);
    return r ? leave(c, r) : rc;
}

/* --- get_children (getChildren2) and get_ephemerals --- */

static int strings_done(struct coord *c, struct req *r, int rc,
                        struct jute_r *body)
{
    coord_strings_cb cb = (coord_strings_cb)r->cb;
    struct coord_strings *s = NULL;
    struct coord_stat st;
    bool with_stat = r->type == COORD_OP_GETCHILDREN2;
    if (rc == 0) {
        struct jute_vec v;
        coord_get_str_vec(body, &v);
        if (with_stat)
            coord_get_stat(body, &st);
        if (body->err) {
            if (cb)
                CALLBACK(c, cb(COORD_EPROTO, NULL, NULL, r->ctx));
            return COORD_EPROTO;
        }
        s = strings_from_vec(c, &v, !with_stat);
        if (s == NULL)
            rc = COORD_ENOMEM;
    }
    int wrc = register_watch(c, r, rc);
    if (wrc && rc == 0)
        rc = wrc;
    if (cb)
        CALLBACK(c, cb(rc, rc == 0 ? s : NULL,
                       rc == 0 && with_stat ? &st : NULL, r->ctx));
    free(s);
    return 0;
}

int coord_get_children(struct coord *c, const char *path, coord_watch_fn w,
                       void *wctx, coord_strings_cb cb, void *ctx)
{
    int rc;
    struct req *r = watched_req(c, COORD_OP_GETCHILDREN2, path, w, wctx,
                                W_CHILD, strings_done, (void *)cb, ctx, &rc);
    return r ? leave(c, r) : rc;
}

int coord_get_ephemerals(struct coord *c, const char *prefix,
                         coord_strings_cb cb, void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_GETEPHEMERALS, strings_done,
                            (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    if (prefix == NULL)
        prefix = "/";
    /* A plain string prefix on the server: no validation beyond '/'. */
    if (prefix[0] != '/')
        return fail(c, r, COORD_EBADARGUMENTS);
    struct buf pb;
    buf_init(&pb, COORD_MAX_FRAME);
    buf_append(&pb, c->hl.chroot, c->hl.chroot_len);
    if (!(c->hl.chroot_len && strcmp(prefix, "/") == 0))
        buf_append(&pb, prefix, strlen(prefix));
    jute_put_str(&r->body, (struct jute_str){(const char *)pb.base,
                                             (int32_t)pb.len});
    if (pb.err)
        r->body.err = pb.err;
    buf_close(&pb);
    return leave(c, r);
}

/* --- get_acl --- */

static int acl_done(struct coord *c, struct req *r, int rc,
                    struct jute_r *body)
{
    coord_acl_cb cb = (coord_acl_cb)r->cb;
    struct coord_stat st;
    struct coord_acl_entry *e = NULL;
    struct coord_acl_list l = {0, NULL};
    if (rc == 0) {
        struct jute_vec v;
        coord_get_acl_vec(body, &v);
        coord_get_stat(body, &st);
        if (body->err) {
            if (cb)
                CALLBACK(c, cb(COORD_EPROTO, NULL, NULL, r->ctx));
            return COORD_EPROTO;
        }
        int32_t n = v.count > 0 ? v.count : 0;
        /* One block: entries, then the strings they point at. */
        e = malloc((size_t)n * sizeof *e + v.len + 2 * (size_t)n + 1);
        if (e == NULL) {
            rc = COORD_ENOMEM;
        } else {
            char *at = (char *)(e + n);
            struct jute_r it;
            jute_vec_iter(&v, &it);
            for (int32_t i = 0; i < n; i++) {
                struct coord_acl a;
                coord_get_acl(&it, &a);
                e[i].perms = a.perms;
                e[i].scheme = at;
                if (a.id.scheme.len > 0)
                    memcpy(at, a.id.scheme.p, (size_t)a.id.scheme.len);
                at += a.id.scheme.len > 0 ? a.id.scheme.len : 0;
                *at++ = '\0';
                e[i].id = at;
                if (a.id.id.len > 0)
                    memcpy(at, a.id.id.p, (size_t)a.id.id.len);
                at += a.id.id.len > 0 ? a.id.id.len : 0;
                *at++ = '\0';
            }
            l.count = n;
            l.entries = e;
        }
    }
    if (cb)
        CALLBACK(c, cb(rc, rc == 0 ? &l : NULL, rc == 0 ? &st : NULL, r->ctx));
    free(e);
    return 0;
}

int coord_acl_get(struct coord *c, const char *path, coord_acl_cb cb,
                  void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_GETACL, acl_done, (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    return leave(c, r);
}

/* --- sync --- */

static int sync_done(struct coord *c, struct req *r, int rc,
                     struct jute_r *body)
{
    coord_string_cb cb = (coord_string_cb)r->cb;
    char *up = NULL;
    if (rc == 0) {
        struct jute_str p = jute_get_str(body);
        if (body->err) {
            if (cb)
                CALLBACK(c, cb(COORD_EPROTO, NULL, r->ctx));
            return COORD_EPROTO;
        }
        up = p.len >= 0 ? path_from_server(c, p.p, (size_t)p.len) : NULL;
    }
    if (cb)
        CALLBACK(c, cb(rc, up, r->ctx));
    free(up);
    return 0;
}

int coord_sync(struct coord *c, const char *path, coord_string_cb cb,
               void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_SYNC, sync_done, (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    return leave(c, r);
}

/* --- persistent watches --- */

static int addwatch_done(struct coord *c, struct req *r, int rc,
                         struct jute_r *body)
{
    (void)body; /* ErrorResponse{0}: nothing to learn from it */
    if (rc == 0 && r->w)
        rc = watch_add(c, r->wkind, r->spath, r->w, r->wctx);
    coord_void_cb cb = (coord_void_cb)r->cb;
    if (cb)
        CALLBACK(c, cb(rc, r->ctx));
    return 0;
}

int coord_add_watch(struct coord *c, const char *path, int mode,
                    coord_watch_fn w, void *wctx, coord_void_cb cb, void *ctx)
{
    if (mode != COORD_ADDWATCH_PERSISTENT &&
        mode != COORD_ADDWATCH_PERSISTENT_RECURSIVE)
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_ADDWATCH, addwatch_done, (void *)cb,
                            ctx, &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    jute_put_int(&r->body, mode);
    r->w = w;
    r->wctx = wctx;
    r->wkind = mode == COORD_ADDWATCH_PERSISTENT ? W_PERSISTENT : W_RECURSIVE;
    return leave(c, r);
}

static int removewatch_done(struct coord *c, struct req *r, int rc,
                            struct jute_r *body)
{
    (void)body;
    if (rc == 0 || rc == COORD_ENOWATCHER)
        watch_remove(c, r->spath, r->wtype);
    coord_void_cb cb = (coord_void_cb)r->cb;
    if (cb)
        CALLBACK(c, cb(rc, r->ctx));
    return 0;
}

static int watches_req(struct coord *c, int32_t op, const char *path,
                       int type, req_done_fn done, coord_void_cb cb, void *ctx)
{
    if (type < COORD_WT_CHILDREN || type > COORD_WT_PERSISTENT_RECURSIVE)
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, op, done, (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    jute_put_int(&r->body, type);
    r->wtype = type;
    return leave(c, r);
}

int coord_get_config(struct coord *c, coord_watch_fn w, void *wctx,
                     coord_data_cb cb, void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_GETDATA, data_done, (void *)cb, ctx,
                            &rc);
    if (r == NULL)
        return rc;
    r->spath = strdup(CONFIG_PATH);
    if (r->spath == NULL)
        return fail(c, r, COORD_ENOMEM);
    jute_put_cstr(&r->body, CONFIG_PATH);
    jute_put_bool(&r->body, w != NULL);
    r->w = w;
    r->wctx = wctx;
    r->wkind = W_DATA;
    return leave(c, r);
}

/* reconfig (16): ReconfigRequest out, a GetDataResponse (the new config
 * and the Stat of /zookeeper/config) back, as for getConfig. */
int coord_reconfig(struct coord *c, const char *joining, const char *leaving,
                   const char *new_members, int64_t from_config,
                   coord_data_cb cb, void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_RECONFIG, data_done, (void *)cb, ctx,
                            &rc);
    if (r == NULL)
        return rc;
    struct coord_reconfig_req q = {
        .joining = jute_cstr(joining),
        .leaving = jute_cstr(leaving),
        .new_members = jute_cstr(new_members),
        .cur_config_id = from_config,
    };
    coord_put_reconfig_req(&r->body, &q);
    return leave(c, r);
}

int coord_remove_watches_local(struct coord *c, const char *path, int type,
                               coord_watch_fn w, void *wctx)
{
    if (type < COORD_WT_CHILDREN || type > COORD_WT_PERSISTENT_RECURSIVE)
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    char *spath = path_to_server_dup(c, path);
    if (spath == NULL) {
        core_unlock(c);
        return COORD_EBADARGUMENTS;
    }
    int n = watch_remove_matching(c, spath, type, w, wctx);
    free(spath);
    core_unlock(c);
    return n > 0 ? 0 : COORD_ENOWATCHER;
}

int coord_remove_watches(struct coord *c, const char *path, int type,
                         coord_void_cb cb, void *ctx)
{
    return watches_req(c, COORD_OP_REMOVEWATCHES, path, type, removewatch_done,
                       cb, ctx);
}

int coord_check_watches(struct coord *c, const char *path, int type,
                        coord_void_cb cb, void *ctx)
{
    return watches_req(c, COORD_OP_CHECKWATCHES, path, type, void_done, cb,
                       ctx);
}

/* --- counts and identities --- */

static int int_done(struct coord *c, struct req *r, int rc,
                    struct jute_r *body)
{
    coord_int_cb cb = (coord_int_cb)r->cb;
    int32_t n = 0;
    if (rc == 0) {
        n = jute_get_int(body);
        if (body->err) {
            if (cb)
                CALLBACK(c, cb(COORD_EPROTO, 0, r->ctx));
            return COORD_EPROTO;
        }
    }
    if (cb)
        CALLBACK(c, cb(rc, n, r->ctx));
    return 0;
}

int coord_get_all_children_number(struct coord *c, const char *path,
                                  coord_int_cb cb, void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_GETALLCHILDRENNUMBER, int_done,
                            (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    if ((rc = put_path(c, r, path, false)) != 0)
        return fail(c, r, rc);
    return leave(c, r);
}

static int whoami_done(struct coord *c, struct req *r, int rc,
                       struct jute_r *body)
{
    coord_whoami_cb cb = (coord_whoami_cb)r->cb;
    struct coord_client_info *ids = NULL;
    int32_t n = 0;
    if (rc == 0) {
        /* vector<ClientInfo{ustring, ustring}>: read it twice, once to
         * check and size it, once to copy. */
        struct jute_r probe = *body;
        int32_t cnt = jute_get_int(&probe);
        const uint8_t *start = probe.p;
        for (int32_t i = 0; i < cnt && probe.err == 0; i++) {
            jute_get_str(&probe);
            jute_get_str(&probe);
        }
        if (probe.err || cnt < -1) {
            if (cb)
                CALLBACK(c, cb(COORD_EPROTO, NULL, 0, r->ctx));
            return COORD_EPROTO;
        }
        n = cnt > 0 ? cnt : 0;
        size_t text = (size_t)(probe.p - start) + 2 * (size_t)n;
        ids = malloc((size_t)n * sizeof *ids + text + 1);
        if (ids == NULL) {
            rc = COORD_ENOMEM;
        } else {
            char *at = (char *)(ids + n);
            jute_get_int(body);
            for (int32_t i = 0; i < n; i++) {
                struct jute_str s[2] = {jute_get_str(body), jute_get_str(body)};
                for (int k = 0; k < 2; k++) {
                    if (k == 0)
                        ids[i].scheme = at;
                    else
                        ids[i].user = at;
                    if (s[k].len > 0) {
                        memcpy(at, s[k].p, (size_t)s[k].len);
                        at += s[k].len;
                    }
                    *at++ = '\0';
                }
            }
        }
    }
    if (cb)
        CALLBACK(c, cb(rc, ids, n, r->ctx));
    free(ids);
    return 0;
}

int coord_whoami(struct coord *c, coord_whoami_cb cb, void *ctx)
{
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, COORD_OP_WHOAMI, whoami_done, (void *)cb, ctx,
                            &rc);
    if (r == NULL)
        return rc;
    return leave(c, r);
}

int coord_add_auth(struct coord *c, const char *scheme, const void *auth,
                   int32_t len, coord_void_cb cb, void *ctx)
{
    if (scheme == NULL || len < 0 || (auth == NULL && len > 0))
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    struct auth *a;
    rc = core_add_auth(c, scheme, auth, len, &a);
    if (rc == 0) {
        int sent = core_send_auth(c, a, cb, ctx);
        if (sent < 0) {
            rc = sent;
        } else if (sent == 0) {
            /* Not connected: the reply to the handshake's copy answers. */
            a->cb = cb;
            a->ctx = ctx;
        }
    }
    core_unlock(c);
    return rc;
}

/* --- multi --- */

static int multi_done(struct coord *c, struct req *r, int rc,
                      struct jute_r *body)
{
    coord_void_cb cb = (coord_void_cb)r->cb;
    if (rc == 0) {
        rc = txn_decode(r->txn, c, body);
        if (r->type == COORD_OP_MULTIREAD && rc != COORD_EPROTO &&
            rc != COORD_ENOMEM)
            rc = 0; /* each read carries its own result */
        if (rc == COORD_EPROTO) {
            if (cb)
                CALLBACK(c, cb(rc, r->ctx));
            return COORD_EPROTO;
        }
    }
    if (cb)
        CALLBACK(c, cb(rc, r->ctx));
    return 0;
}

static int multi_common(struct coord *c, struct coord_txn *t, bool read,
                        coord_void_cb cb, void *ctx)
{
    if (t == NULL || txn_check_kind(t, read) != 0)
        return COORD_EINVAL;
    int rc = enter(c);
    if (rc)
        return rc;
    struct req *r = new_req(c, read ? COORD_OP_MULTIREAD : COORD_OP_MULTI,
                            multi_done, (void *)cb, ctx, &rc);
    if (r == NULL)
        return rc;
    txn_clear_results(t);
    txn_encode(t, c, &r->body);
    r->txn = t;
    return leave(c, r);
}

int coord_multi(struct coord *c, struct coord_txn *t, coord_void_cb cb,
                void *ctx)
{
    return multi_common(c, t, false, cb, ctx);
}

int coord_multi_read(struct coord *c, struct coord_txn *t, coord_void_cb cb,
                     void *ctx)
{
    return multi_common(c, t, true, cb, ctx);
}
