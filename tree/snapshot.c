/* Snapshots: the replicated state as a self-describing byte stream. */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/internal.h"

/*
 * Stream (big-endian):
 *   "coordsnp" u32 version(1) i64 last_zxid
 *   u32 nsessions { i64 sid, i32 timeout, 16 bytes passwd }   sorted by sid
 *   u32 nacls { u32 len, encoded vector<ACL> }                in first use order
 *   u64 nnodes, then the nodes in pre-order, the root first:
 *     u32 name_len, name; i32 data_len (-1 null), data; u32 acl index;
 *     i64 czxid mzxid ctime mtime pzxid owner; i32 version aversion creates;
 *     u32 number of child records that follow (recursively)
 *   "snapend!"
 */
static const char MAGIC[8] = {'c', 'o', 'o', 'r', 'd', 's', 'n', 'p'};
static const char TRAILER[8] = {'s', 'n', 'a', 'p', 'e', 'n', 'd', '!'};
#define SNAP_VERSION 1
#define FLUSH_AT 65536

struct wr {
    tree_out_fn out;
    void *ctx;
    struct buf b;
    int err;
};

static void flush(struct wr *w)
{
    if (w->err == 0 && w->b.err)
        w->err = w->b.err;
    if (w->err == 0 && w->b.len)
        w->err = w->out(w->ctx, w->b.base, w->b.len);
    buf_reset(&w->b);
}

static void put(struct wr *w, const void *p, size_t n)
{
    if (w->err)
        return;
    if (n >= FLUSH_AT) {
        flush(w);
        if (w->err == 0)
            w->err = w->out(w->ctx, p, n);
        return;
    }
    buf_append(&w->b, p, n);
    if (w->b.len >= FLUSH_AT)
        flush(w);
}

static void put32(struct wr *w, uint32_t v)
{
    uint8_t x[4];
    jute_wbe32(x, v);
    put(w, x, 4);
}

static void put64(struct wr *w, uint64_t v)
{
    uint8_t x[8];
    jute_wbe64(x, v);
    put(w, x, 8);
}

/* Pre-order successor of n within the whole tree, NULL after the last. */
static const struct node *next_pre(const struct node *n)
{
    if (n->child)
        return n->child;
    while (n->parent && n->next == NULL)
        n = n->parent;
    return n->parent ? n->next : NULL;
}

/* A temporary map from ACL pointer to its index in the stream. */
struct amap {
    const struct acl **key;
    uint32_t *val;
    size_t cap;
    const struct acl **order;
    uint32_t n;
};

static size_t amap_slot(const struct amap *m, const struct acl *a)
{
    size_t h = (size_t)(((uint64_t)(uintptr_t)a >> 4) *
                        UINT64_C(0x9E3779B97F4A7C15) >> 20);
    size_t s = h & (m->cap - 1);
    while (m->key[s] && m->key[s] != a)
        s = (s + 1) & (m->cap - 1);
    return s;
}

static int cmp_sid(const void *x, const void *y)
{
    int64_t a = (*(struct session *const *)x)->sid;
    int64_t b = (*(struct session *const *)y)->sid;
    return a < b ? -1 : a > b;
}

int tree_snapshot_save(const struct tree *t, tree_out_fn out, void *ctx)
{
    struct wr w = {.out = out, .ctx = ctx};
    buf_init(&w.b, 2 * FLUSH_AT);
    struct amap m = {0};
    struct session **sv = NULL;
    m.cap = 16;
    while (m.cap < 2 * (t->nacls + 1))
        m.cap *= 2;
    m.key = calloc(m.cap, sizeof *m.key);
    m.val = calloc(m.cap, sizeof *m.val);
    m.order = calloc(t->nacls + 1, sizeof *m.order);
    sv = calloc(t->nsessions + 1, sizeof *sv);
    if (!m.key || !m.val || !m.order || !sv) {
        w.err = COORD_ENOMEM;
        goto done;
    }
    uint64_t nnodes = 0;
    for (const struct node *n = t->root; n; n = next_pre(n)) {
        nnodes++;
        size_t s = amap_slot(&m, n->acl);
        if (m.key[s] == NULL && m.n < t->nacls) {
            m.key[s] = n->acl;
            m.val[s] = m.n;
            m.order[m.n++] = n->acl;
        }
    }

    put(&w, MAGIC, 8);
    put32(&w, SNAP_VERSION);
    put64(&w, (uint64_t)t->last_zxid);

    size_t ns = 0;
    for (size_t i = 0; i < t->nsb; i++)
        for (struct session *s = t->sb[i]; s; s = s->hnext)
            sv[ns++] = s;
    qsort(sv, ns, sizeof *sv, cmp_sid);
    put32(&w, (uint32_t)ns);
    for (size_t i = 0; i < ns; i++) {
        put64(&w, (uint64_t)sv[i]->sid);
        put32(&w, (uint32_t)sv[i]->timeout);
        put(&w, sv[i]->passwd, 16);
    }

    put32(&w, m.n);
    for (uint32_t i = 0; i < m.n; i++) {
        put32(&w, m.order[i]->len);
        put(&w, m.order[i]->bytes, m.order[i]->len);
    }

    put64(&w, nnodes);
    for (const struct node *n = t->root; n && w.err == 0; n = next_pre(n)) {
        put32(&w, n->name_len);
        put(&w, n->name, n->name_len);
        put32(&w, (uint32_t)n->data_len);
        if (n->data_len > 0)
            put(&w, n->data, (size_t)n->data_len);
        put32(&w, m.val[amap_slot(&m, n->acl)]);
        put64(&w, (uint64_t)n->czxid);
        put64(&w, (uint64_t)n->mzxid);
        put64(&w, (uint64_t)n->ctime);
        put64(&w, (uint64_t)n->mtime);
        put64(&w, (uint64_t)n->pzxid);
        put64(&w, (uint64_t)n->owner);
        put32(&w, (uint32_t)n->version);
        put32(&w, (uint32_t)n->aversion);
        put32(&w, (uint32_t)n->creates);
        put32(&w, (uint32_t)n->nchild);
    }
    put(&w, TRAILER, 8);
    flush(&w);
done:
    free(m.key);
    free(m.val);
    free(m.order);
    free(sv);
    buf_close(&w.b);
    return w.err;
}

/* --- loading --- */

struct rdr {
    tree_in_fn in;
    void *ctx;
    int err;
};

static int get(struct rdr *r, void *p, size_t n)
{
    if (r->err == 0 && n > 0) {
        int rc = r->in(r->ctx, p, n);
        if (rc)
            r->err = rc < 0 ? rc : COORD_ECORRUPT;
    }
    if (r->err)
        memset(p, 0, n);
    return r->err;
}

static uint32_t get32(struct rdr *r)
{
    uint8_t x[4];
    get(r, x, 4);
    return jute_be32(x);
}

static uint64_t get64(struct rdr *r)
{
    uint8_t x[8];
    get(r, x, 8);
    return jute_be64(x);
}

/* One level of the pre-order walk: a node and its children still due. */
struct level {
    struct node *node;
    uint32_t left;
    size_t path_len; /* for data_bytes; the root counts 0 */
};

static int load_nodes(struct tree *t, struct rdr *r, struct acl **acls,
                      uint32_t nacls)
{
    uint64_t nnodes = get64(r);
    if (r->err)
        return r->err;
    if (nnodes == 0)
        return COORD_ECORRUPT;
    /* One table of the final size instead of a rehash per doubling. The
     * count is only a hint, capped so that a lying header cannot make us
     * allocate much; larger trees grow the table as they load. */
    node_table_reserve(t, (size_t)(nnodes < ((uint64_t)1 << 22) ? nnodes
                                                                : 1u << 22));
    struct level *st = NULL;
    size_t depth = 0, cap = 0;
    int rc = 0;
    for (uint64_t i = 0; i < nnodes; i++) {
        while (depth > 0 && st[depth - 1].left == 0)
            depth--;
        if (i > 0 && depth == 0) {
            rc = COORD_ECORRUPT; /* more records than the tree holds */
            break;
        }
        uint32_t name_len = get32(r);
        if (r->err || name_len > COORD_MAX_FRAME ||
            (i == 0) != (name_len == 0)) {
            rc = r->err ? r->err : COORD_ECORRUPT;
            break;
        }
        struct node *n = malloc(sizeof *n + name_len);
        if (n == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        memset(n, 0, sizeof *n);
        n->name_len = name_len;
        if (get(r, n->name, name_len) != 0) {
            free(n);
            rc = r->err;
            break;
        }
        /* Start the bucket's cache miss now; the lookup below comes after
         * the rest of the record is read. */
        uint32_t h = 0;
        if (i > 0) {
            h = node_hash_of(st[depth - 1].node, n->name, name_len);
            __builtin_prefetch(&t->nb[h & (t->nnb - 1)]);
        }
        bool bad = false;
        for (uint32_t k = 0; k < name_len; k++)
            bad |= n->name[k] == '/' || n->name[k] == '\0';
        int32_t data_len = (int32_t)get32(r);
        if (bad || data_len < -1 || data_len > COORD_MAX_FRAME) {
            free(n);
            rc = r->err ? r->err : COORD_ECORRUPT;
            break;
        }
        n->data_len = data_len;
        if (data_len > 0) {
            n->data = malloc((size_t)data_len);
            if (n->data == NULL || get(r, n->data, (size_t)data_len) != 0) {
                rc = n->data ? r->err : COORD_ENOMEM;
                node_free(n);
                break;
            }
        }
        uint32_t ai = get32(r);
        n->czxid = (int64_t)get64(r);
        n->mzxid = (int64_t)get64(r);
        n->ctime = (int64_t)get64(r);
        n->mtime = (int64_t)get64(r);
        n->pzxid = (int64_t)get64(r);
        n->owner = (int64_t)get64(r);
        n->version = (int32_t)get32(r);
        n->aversion = (int32_t)get32(r);
        n->creates = (int32_t)get32(r);
        uint32_t kids = get32(r);
        enum node_kind kind = owner_kind(n->owner);
        if (r->err || ai >= nacls || kids > nnodes - i - 1 ||
            (kind == KIND_EPHEMERAL &&
             (kids > 0 || node_session_find(t, n->owner) == NULL))) {
            rc = r->err ? r->err : COORD_ECORRUPT;
            node_free(n);
            break;
        }
        n->acl = acls[ai];
        acl_ref(n->acl);
        size_t path_len = 0;
        if (i == 0) {
            if (kind != KIND_PLAIN) {
                rc = COORD_ECORRUPT;
                acl_unref(t, n->acl);
                node_free(n);
                break;
            }
            t->root = n;
        } else {
            struct level *up = &st[depth - 1];
            bool dup = node_child_h(t, up->node, n->name, name_len, h) != NULL;
            if (dup || node_reserve(t, n->owner) != 0) {
                rc = dup ? COORD_ECORRUPT : COORD_ENOMEM;
                acl_unref(t, n->acl);
                node_free(n);
                break;
            }
            node_link(t, up->node, n, NULL, false);
            up->left--;
            path_len = up->path_len + 1 + name_len;
        }
        t->data_bytes += path_len + (size_t)(data_len > 0 ? data_len : 0);
        if (kids > 0) {
            if (depth == cap) {
                size_t nc = cap ? cap * 2 : 64;
                struct level *v = realloc(st, nc * sizeof *v);
                if (v == NULL) {
                    rc = COORD_ENOMEM;
                    break;
                }
                st = v;
                cap = nc;
            }
            st[depth++] = (struct level){n, kids, path_len};
        }
    }
    while (rc == 0 && depth > 0 && st[depth - 1].left == 0)
        depth--;
    if (rc == 0 && depth != 0)
        rc = COORD_ECORRUPT; /* fewer records than announced */
    free(st);
    return rc;
}

int tree_snapshot_load(struct tree *t, tree_in_fn in, void *ctx)
{
    struct rdr r = {in, ctx, 0};
    node_free_all(t);
    uint8_t magic[8];
    get(&r, magic, 8);
    uint32_t version = get32(&r);
    int64_t last = (int64_t)get64(&r);
    if (r.err)
        return r.err;
    if (memcmp(magic, MAGIC, 8) != 0 || version != SNAP_VERSION)
        return COORD_ECORRUPT;

    uint32_t ns = get32(&r);
    for (uint32_t i = 0; i < ns && r.err == 0; i++) {
        int64_t sid = (int64_t)get64(&r);
        int32_t timeout = (int32_t)get32(&r);
        uint8_t pw[16];
        get(&r, pw, 16);
        if (r.err)
            break;
        if (sid == 0 || owner_kind(sid) != KIND_EPHEMERAL ||
            node_session_find(t, sid))
            return COORD_ECORRUPT;
        int rc = node_session_put(t, sid, timeout, pw);
        if (rc)
            return rc;
    }
    if (r.err)
        return r.err;

    uint32_t na = get32(&r);
    if (r.err)
        return r.err;
    struct acl **acls = NULL;
    uint32_t nacls = 0, cap = 0;
    uint8_t *bytes = NULL;
    int rc = 0;
    for (uint32_t i = 0; i < na; i++) {
        uint32_t len = get32(&r);
        if (r.err || len > COORD_MAX_FRAME) {
            rc = r.err ? r.err : COORD_ECORRUPT;
            break;
        }
        uint8_t *nb = realloc(bytes, len ? len : 1);
        if (nb == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        bytes = nb;
        if (get(&r, bytes, len) != 0) {
            rc = r.err;
            break;
        }
        if (nacls == cap) {
            uint32_t nc = cap ? cap * 2 : 16;
            struct acl **v = realloc(acls, nc * sizeof *v);
            if (v == NULL) {
                rc = COORD_ENOMEM;
                break;
            }
            acls = v;
            cap = nc;
        }
        struct acl *a;
        rc = acl_intern(t, bytes, len, &a);
        if (rc)
            break;
        acls[nacls++] = a;
    }
    free(bytes);
    if (rc == 0)
        rc = load_nodes(t, &r, acls, nacls);
    for (uint32_t i = 0; i < nacls; i++)
        acl_unref(t, acls[i]);
    free(acls);
    if (rc)
        return rc;
    uint8_t trailer[8];
    if (get(&r, trailer, 8) != 0)
        return r.err;
    if (memcmp(trailer, TRAILER, 8) != 0)
        return COORD_ECORRUPT;
    t->last_zxid = last;
    return 0;
}
