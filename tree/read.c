/* tree_read(): reads and the connection-local watch operations. */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/internal.h"

struct rd {
    struct tree *t;
    const struct tree_caller *who;
    struct who w;
    struct buf *out;
};

/* One registration, as watch_add reported it, for undoing. */
struct wadd {
    bool child;
    const char *p;
    size_t len;
    unsigned added;
};

/*
 * The watches one request registers, made all-or-nothing: a failure undoes
 * the earlier ones (a persistent addWatch must not be left in the data
 * table alone), and the caller's identities are recorded only on success.
 */
struct wtx {
    struct rd *d;
    bool prepared;
    struct wident *id;
    struct wadd *v;
    size_t n, cap;
    struct wadd small[2];
};

static void wtx_init(struct wtx *x, struct rd *d)
{
    memset(x, 0, sizeof *x);
    x->d = d;
    x->v = x->small;
    x->cap = 2;
}

static int wtx_add(struct wtx *x, bool child, const char *p, size_t len,
                   unsigned mode)
{
    struct rd *d = x->d;
    uint64_t watcher = d->who->watcher;
    if (watcher == 0)
        return 0;
    if (!x->prepared) {
        if (watch_ident_prepare(d->t, watcher, &d->w, &x->id) != 0)
            return COORD_ENOMEM;
        x->prepared = true;
    }
    if (x->n == x->cap) {
        size_t nc = x->cap * 2;
        struct wadd *v = malloc(nc * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        memcpy(v, x->v, x->n * sizeof *v);
        if (x->v != x->small)
            free(x->v);
        x->v = v;
        x->cap = nc;
    }
    struct wadd *a = &x->v[x->n];
    *a = (struct wadd){child, p, len, 0};
    int rc = watch_add(d->t, child, p, len, watcher, mode, &a->added);
    if (rc == 0)
        x->n++;
    return rc;
}

/* Commits (rc 0) or undoes everything; returns rc. */
static int wtx_end(struct wtx *x, int rc)
{
    struct rd *d = x->d;
    if (rc == 0) {
        watch_ident_commit(d->t, x->id);
    } else {
        while (x->n > 0) {
            struct wadd *a = &x->v[--x->n];
            watch_undo(d->t, a->child, a->p, a->len, d->who->watcher,
                       a->added);
        }
        watch_ident_abort(x->id);
    }
    x->id = NULL;
    if (x->v != x->small)
        free(x->v);
    x->v = x->small;
    return rc;
}

/* Registers one watch (two tables for a persistent one) all-or-nothing. */
static int register_watch(struct rd *d, const char *p, size_t len, bool data,
                          bool child, unsigned mode)
{
    struct wtx x;
    wtx_init(&x, d);
    int rc = 0;
    if (data)
        rc = wtx_add(&x, false, p, len, mode);
    if (rc == 0 && child)
        rc = wtx_add(&x, true, p, len, mode);
    return wtx_end(&x, rc);
}

static void put_stat(struct buf *b, const struct node *n)
{
    struct coord_stat st;
    node_stat(n, &st);
    coord_put_stat(b, &st);
}

/* Node lookup with READ (wire spec 7.2: no path validation). */
static int readable(struct rd *d, struct jute_str path, struct node **out)
{
    if (path.len < 0)
        return COORD_EMARSHALLING;
    struct node *n = node_lookup(d->t, path.p, (size_t)path.len);
    if (n == NULL)
        return COORD_ENONODE;
    if (!acl_allows(n->acl, COORD_PERM_READ, &d->w))
        return COORD_ENOAUTH;
    *out = n;
    return 0;
}

static int get_data(struct rd *d, struct jute_str path, bool watch,
                    struct buf *b)
{
    struct node *n;
    int rc = readable(d, path, &n);
    if (rc)
        return rc;
    jute_put_buffer(b, n->data, n->data_len);
    put_stat(b, n);
    if (b->err)
        return b->err;
    /* Last, so that a failed reply leaves no watch behind. */
    if (watch)
        return register_watch(d, path.p, (size_t)path.len, true, false,
                              WM_STANDARD);
    return 0;
}

static int get_children(struct rd *d, struct jute_str path, bool watch,
                        bool stat, struct buf *b)
{
    struct node *n;
    int rc = readable(d, path, &n);
    if (rc)
        return rc;
    jute_put_int(b, n->nchild);
    for (const struct node *c = n->child; c; c = c->next)
        jute_put_buffer(b, c->name, (int32_t)c->name_len);
    if (stat)
        put_stat(b, n);
    if (b->err)
        return b->err;
    if (watch)
        return register_watch(d, path.p, (size_t)path.len, false, true,
                              WM_STANDARD);
    return 0;
}

static int exists(struct rd *d, struct jute_r *r)
{
    struct coord_path_watch_req req;
    if (coord_get_path_watch_req(r, &req) != 0 || req.path.len < 0)
        return COORD_EMARSHALLING;
    size_t len = (size_t)req.path.len;
    if (len && memchr(req.path.p, 0, len))
        return COORD_EBADARGUMENTS;
    struct node *n = node_lookup(d->t, req.path.p, len);
    if (n && !acl_allows(n->acl, COORD_PERM_READ, &d->w))
        return COORD_ENOAUTH;
    if (n) {
        put_stat(d->out, n);
        if (d->out->err)
            return d->out->err;
    }
    /* The watch is set whether or not the node exists (wire spec 8.2). */
    if (req.watch) {
        int rc = register_watch(d, req.path.p, len, true, false, WM_STANDARD);
        if (rc)
            return rc;
    }
    return n ? 0 : COORD_ENONODE;
}

static int get_acl(struct rd *d, struct jute_r *r)
{
    struct coord_path_req req;
    if (coord_get_path_req(r, &req) != 0 || req.path.len < 0)
        return COORD_EMARSHALLING;
    struct node *n = node_lookup(d->t, req.path.p, (size_t)req.path.len);
    if (n == NULL)
        return COORD_ENONODE;
    if (!acl_allows(n->acl, COORD_PERM_READ | COORD_PERM_ADMIN, &d->w))
        return COORD_ENOAUTH;
    acl_put(n->acl, acl_allows(n->acl, COORD_PERM_ADMIN, &d->w), d->out);
    put_stat(d->out, n);
    return 0;
}

static int all_children_number(struct rd *d, struct jute_r *r)
{
    struct coord_path_req req;
    if (coord_get_path_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    struct node *n;
    int rc = readable(d, req.path, &n);
    if (rc)
        return rc;
    int32_t count = 0;
    const struct node *c = n->child;
    while (c) {
        count++;
        if (c->child) {
            c = c->child;
            continue;
        }
        while (c != n && c->next == NULL)
            c = c->parent;
        if (c == n)
            break;
        c = c->next;
    }
    jute_put_int(d->out, count);
    return 0;
}

static int ephemerals(struct rd *d, struct jute_r *r)
{
    struct coord_path_req req;
    if (coord_get_path_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    struct jute_str pre = req.path;
    /* null, blank or "/" mean every ephemeral (wire spec 4.3) */
    bool all = pre.len <= 0 || str_is(pre, "/", 1);
    size_t off = d->out->len;
    int32_t count = 0;
    jute_put_int(d->out, 0);
    const struct session *s = node_session_find(d->t, d->who->session_id);
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (uint32_t i = 0; s && i < s->neph; i++) {
        buf_reset(&b);
        node_path(s->eph[i], &b);
        if (b.err)
            break;
        if (!all && (b.len < (size_t)pre.len ||
                     memcmp(b.base, pre.p, (size_t)pre.len) != 0))
            continue;
        jute_put_buffer(d->out, b.base, (int32_t)b.len);
        count++;
    }
    int rc = b.err;
    buf_close(&b);
    if (rc)
        return rc;
    if (d->out->err == 0)
        jute_wbe32(d->out->base + off, (uint32_t)count);
    return 0;
}

static void put_mh(struct buf *b, int32_t type, bool done, int32_t err)
{
    struct coord_multi_header h = {type, done, err};
    coord_put_multi_header(b, &h);
}

static int multi_read(struct rd *d, struct jute_str body)
{
    size_t nops;
    if (apply_multi_scan(body, true, &nops) != 0)
        return COORD_EMARSHALLING;
    struct jute_r r;
    jute_r_init(&r, body.p, (size_t)body.len);
    struct buf tmp;
    buf_init(&tmp, SIZE_MAX);
    int rc = 0;
    for (size_t i = 0; i < nops && rc == 0; i++) {
        struct coord_multi_header h;
        struct coord_path_watch_req req;
        coord_get_multi_header(&r, &h);
        coord_get_path_watch_req(&r, &req);
        buf_reset(&tmp);
        /* independent results, watch flags ignored (wire spec 9.4) */
        int e = h.type == COORD_OP_GETDATA
                    ? get_data(d, req.path, false, &tmp)
                    : get_children(d, req.path, false, false, &tmp);
        if (e == COORD_ENOMEM || tmp.err) {
            rc = COORD_ENOMEM;
        } else if (e) {
            put_mh(d->out, COORD_OP_ERROR, false, e);
            jute_put_int(d->out, e);
        } else {
            put_mh(d->out, h.type, false, 0);
            buf_append(d->out, tmp.base, tmp.len);
        }
    }
    buf_close(&tmp);
    put_mh(d->out, COORD_OP_ERROR, true, -1);
    return rc;
}

/* A catch-up event, filtered like a fired one (wire spec 10.5): a node
 * that is gone has no ACL left to hide behind. */
static void catch_up(struct rd *d, int32_t type, struct jute_str p,
                     const struct node *n)
{
    if (n && !acl_allows(n->acl, COORD_PERM_READ, &d->w))
        return;
    if (d->t->notify)
        d->t->notify(d->t->ctx, d->who->watcher, type, p.p, (size_t)p.len, -1);
}

/*
 * Wire spec 8.7, one list. Two passes over the same, unchanged tree: the
 * first registers (into x), the second, once every registration took,
 * sends the catch-up events; a failure thus sends nothing.
 */
static int set_list(struct rd *d, struct wtx *x, const struct jute_vec *v,
                    int kind, int64_t rel, bool send)
{
    struct jute_r it;
    jute_vec_iter(v, &it);
    for (int32_t i = 0; i < v->count; i++) {
        struct jute_str p = jute_get_str(&it);
        if (it.err || p.len < 0)
            return COORD_EMARSHALLING;
        size_t len = (size_t)p.len;
        const struct node *n = node_lookup(d->t, p.p, len);
        int32_t ev = 0;
        bool child = false;
        unsigned mode = 0;
        switch (kind) {
        case 0: /* data */
            if (n == NULL)
                ev = COORD_EV_DELETED;
            else if (n->mzxid > rel)
                ev = COORD_EV_CHANGED;
            else
                mode = WM_STANDARD;
            break;
        case 1: /* exist */
            if (n == NULL)
                mode = WM_STANDARD;
            else
                ev = COORD_EV_CREATED;
            break;
        case 2: /* child */
            child = true;
            if (n == NULL)
                ev = COORD_EV_DELETED;
            else if (n->pzxid > rel)
                ev = COORD_EV_CHILD;
            else
                mode = WM_STANDARD;
            break;
        case 3: /* persistent: both tables */
            mode = WM_PERSISTENT;
            break;
        default: /* persistent recursive */
            mode = WM_RECURSIVE;
            break;
        }
        if (send) {
            if (ev)
                catch_up(d, ev, p, n);
            continue;
        }
        if (mode == 0)
            continue;
        int rc = wtx_add(x, child, p.p, len, mode);
        if (rc == 0 && kind == 3)
            rc = wtx_add(x, true, p.p, len, mode);
        if (rc)
            return rc;
    }
    return 0;
}

static int set_watches(struct rd *d, struct jute_r *r, bool v2)
{
    struct coord_setwatches_req req;
    if (coord_get_setwatches_req(r, &req, v2) != 0)
        return COORD_EMARSHALLING;
    if (d->who->watcher == 0)
        return 0;
    const struct jute_vec *lists[5] = {&req.data, &req.exist, &req.child,
                                       &req.persistent, &req.recursive};
    int nl = v2 ? 5 : 3;
    struct wtx x;
    wtx_init(&x, d);
    int rc = 0;
    for (int k = 0; k < nl && rc == 0; k++)
        rc = set_list(d, &x, lists[k], k, req.relative_zxid, false);
    if (wtx_end(&x, rc) != 0)
        return rc;
    for (int k = 0; k < nl; k++)
        set_list(d, NULL, lists[k], k, req.relative_zxid, true);
    return 0;
}

static int add_watch(struct rd *d, struct jute_r *r)
{
    struct coord_addwatch_req req;
    if (coord_get_addwatch_req(r, &req) != 0 || req.path.len < 0)
        return COORD_EMARSHALLING;
    const char *p = req.path.p;
    size_t len = (size_t)req.path.len;
    bool persistent = req.mode == COORD_ADDWATCH_PERSISTENT;
    if (!persistent && req.mode != COORD_ADDWATCH_PERSISTENT_RECURSIVE)
        return COORD_EMARSHALLING;
    jute_put_int(d->out, 0); /* ErrorResponse{0}: the Java client needs it */
    if (d->out->err)
        return d->out->err;
    return register_watch(d, p, len, true, persistent,
                          persistent ? WM_PERSISTENT : WM_RECURSIVE);
}

static int watches_op(struct rd *d, struct jute_r *r, bool remove)
{
    struct coord_watches_req req;
    if (coord_get_watches_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    if (req.type < COORD_WT_CHILDREN || req.type > COORD_WT_PERSISTENT_RECURSIVE)
        return COORD_EMARSHALLING;
    if (req.path.len < 0 || d->who->watcher == 0)
        return COORD_ENOWATCHER;
    return watch_check(d->t, req.path.p, (size_t)req.path.len,
                       d->who->watcher, req.type, remove);
}

int tree_check_perm(const struct tree *t, const char *path, size_t len,
                    int32_t perm, const struct tree_caller *who)
{
    struct node *n = node_lookup(t, path, len);
    if (n == NULL)
        return COORD_ENONODE;
    struct who w = {who->session_id, who->super, who->ids};
    return acl_allows(n->acl, perm, &w) ? 0 : COORD_ENOAUTH;
}

int tree_read(struct tree *t, int32_t op, struct jute_str body,
              const struct tree_caller *who, struct buf *reply)
{
    struct buf tmp;
    buf_init(&tmp, SIZE_MAX);
    struct rd d = {.t = t, .who = who, .out = reply ? reply : &tmp};
    d.w = (struct who){who->session_id, who->super, who->ids};
    size_t start = d.out->len;
    struct jute_r r;
    jute_r_init(&r, body.p, body.len < 0 ? 0 : (size_t)body.len);
    int rc;
    switch (op) {
    case COORD_OP_EXISTS:
        rc = exists(&d, &r);
        break;
    case COORD_OP_GETDATA:
    case COORD_OP_GETCHILDREN:
    case COORD_OP_GETCHILDREN2: {
        struct coord_path_watch_req req;
        if (coord_get_path_watch_req(&r, &req) != 0)
            rc = COORD_EMARSHALLING;
        else if (op == COORD_OP_GETDATA)
            rc = get_data(&d, req.path, req.watch, d.out);
        else
            rc = get_children(&d, req.path, req.watch,
                              op == COORD_OP_GETCHILDREN2, d.out);
        break;
    }
    case COORD_OP_GETACL:
        rc = get_acl(&d, &r);
        break;
    case COORD_OP_GETALLCHILDRENNUMBER:
        rc = all_children_number(&d, &r);
        break;
    case COORD_OP_GETEPHEMERALS:
        rc = ephemerals(&d, &r);
        break;
    case COORD_OP_MULTIREAD:
        rc = multi_read(&d, body);
        break;
    case COORD_OP_CHECKWATCHES:
    case COORD_OP_REMOVEWATCHES:
        rc = watches_op(&d, &r, op == COORD_OP_REMOVEWATCHES);
        break;
    case COORD_OP_SETWATCHES:
    case COORD_OP_SETWATCHES2:
        rc = set_watches(&d, &r, op == COORD_OP_SETWATCHES2);
        break;
    case COORD_OP_ADDWATCH:
        rc = add_watch(&d, &r);
        break;
    default:
        rc = COORD_EUNIMPLEMENTED;
        break;
    }
    if (rc == 0 && d.out->err)
        rc = d.out->err;
    if (rc && d.out->err == 0 && d.out->len >= start)
        d.out->len = start;
    buf_close(&tmp);
    return rc;
}
