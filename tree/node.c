/* Znodes: the (parent, name) index, child lists, sessions, stats, reaping. */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/internal.h"

struct node *node_new(const char *name, size_t len)
{
    struct node *n = malloc(sizeof *n + len);
    if (n == NULL)
        return NULL;
    memset(n, 0, sizeof *n);
    n->name_len = (uint32_t)len;
    if (len)
        memcpy(n->name, name, len);
    return n;
}

void node_free(struct node *n)
{
    if (n == NULL)
        return;
    free(n->data);
    free(n);
}

static uint32_t node_hash(const struct node *parent, const char *name,
                          size_t len)
{
    uint64_t p = (uint64_t)(uintptr_t)parent;
    uint32_t h = hash_bytes(name, len, HASH_SEED);
    h ^= (uint32_t)((p >> 4) * UINT64_C(0x9E3779B97F4A7C15) >> 32);
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h;
}

uint32_t node_hash_of(const struct node *parent, const char *name, size_t len)
{
    return node_hash(parent, name, len);
}

struct node *node_child_h(const struct tree *t, const struct node *parent,
                          const char *name, size_t len, uint32_t h)
{
    if (len == 0 || t->nnb == 0)
        return NULL;
    for (struct node *n = t->nb[h & (t->nnb - 1)]; n; n = n->hnext)
        if (n->hash == h && n->parent == parent && n->name_len == len &&
            memcmp(n->name, name, len) == 0)
            return n;
    return NULL;
}

struct node *node_child(const struct tree *t, const struct node *parent,
                        const char *name, size_t len)
{
    if (len == 0 || t->nnb == 0)
        return NULL;
    return node_child_h(t, parent, name, len, node_hash(parent, name, len));
}

struct node *node_lookup(const struct tree *t, const char *p, size_t len)
{
    if (p == NULL || len == 0 || p[0] != '/')
        return NULL;
    struct node *n = t->root;
    if (len == 1)
        return n;
    size_t i = 1;
    for (;;) {
        size_t j = i;
        while (j < len && p[j] != '/')
            j++;
        n = node_child(t, n, p + i, j - i);
        if (n == NULL || j == len)
            return n;
        i = j + 1;
    }
}

/* Rehashes into nn buckets (a power of two); on failure keeps chaining at
 * a higher load, which is slower but correct. */
static void rehash(struct tree *t, size_t nn)
{
    struct node **b = calloc(nn, sizeof *b);
    if (b == NULL)
        return;
    for (size_t i = 0; i < t->nnb; i++) {
        struct node *n = t->nb[i];
        while (n) {
            struct node *next = n->hnext;
            n->hnext = b[n->hash & (nn - 1)];
            b[n->hash & (nn - 1)] = n;
            n = next;
        }
    }
    free(t->nb);
    t->nb = b;
    t->nnb = nn;
}

static void grow_nodes(struct tree *t)
{
    rehash(t, t->nnb ? t->nnb * 2 : 1024);
}

void node_table_reserve(struct tree *t, size_t n)
{
    size_t nn = t->nnb ? t->nnb : 1024;
    while (nn < n && nn < ((size_t)1 << 40))
        nn *= 2;
    if (nn > t->nnb)
        rehash(t, nn);
}

static struct session *owner_session(const struct tree *t, const struct node *n)
{
    return owner_kind(n->owner) == KIND_EPHEMERAL ? node_session_find(t, n->owner)
                                                  : NULL;
}

int node_reserve(struct tree *t, int64_t owner)
{
    enum node_kind k = owner_kind(owner);
    if (k == KIND_EPHEMERAL) {
        struct session *s = node_session_find(t, owner);
        if (s == NULL || s->neph < s->cap)
            return 0;
        uint32_t cap = s->cap ? s->cap * 2 : 4;
        struct node **v = realloc(s->eph, cap * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        s->eph = v;
        s->cap = cap;
    } else if (k == KIND_CONTAINER || k == KIND_TTL) {
        if (t->nspecial < t->special_cap)
            return 0;
        uint32_t cap = t->special_cap ? t->special_cap * 2 : 16;
        struct node **v = realloc(t->special, cap * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        t->special = v;
        t->special_cap = cap;
    }
    return 0;
}

void node_link(struct tree *t, struct node *parent, struct node *n,
               struct node *after, bool first)
{
    if (t->nnodes >= t->nnb)
        grow_nodes(t);
    n->parent = parent;
    n->hash = node_hash(parent, n->name, n->name_len);
    struct node **slot = &t->nb[n->hash & (t->nnb - 1)];
    n->hnext = *slot;
    *slot = n;
    t->nnodes++;

    struct node *head = parent->child;
    if (head == NULL) {
        parent->child = n;
        n->prev = n;
        n->next = NULL;
    } else if (after == NULL && first) {
        n->next = head;
        n->prev = head->prev;
        head->prev = n;
        parent->child = n;
    } else {
        if (after == NULL)
            after = head->prev;
        n->next = after->next;
        n->prev = after;
        if (after->next)
            after->next->prev = n;
        else
            head->prev = n;
        after->next = n;
    }
    parent->nchild++;

    enum node_kind k = owner_kind(n->owner);
    if (k == KIND_EPHEMERAL) {
        struct session *s = node_session_find(t, n->owner);
        if (s && s->neph < s->cap) {
            n->aux = s->neph;
            s->eph[s->neph++] = n;
        }
        t->nephemerals++;
    } else if (k == KIND_CONTAINER || k == KIND_TTL) {
        if (t->nspecial < t->special_cap) {
            n->aux = t->nspecial;
            t->special[t->nspecial++] = n;
        }
    }
}

static void array_drop(struct node **v, uint32_t *len, struct node *n)
{
    uint32_t i = n->aux;
    if (i >= *len || v[i] != n)
        return;
    v[i] = v[--*len];
    v[i]->aux = i;
}

void node_unlink(struct tree *t, struct node *n)
{
    struct node **pp = &t->nb[n->hash & (t->nnb - 1)];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    n->hnext = NULL;
    t->nnodes--;

    struct node *p = n->parent;
    if (p->child == n) {
        p->child = n->next;
        if (n->next)
            n->next->prev = n->prev;
    } else {
        n->prev->next = n->next;
        if (n->next)
            n->next->prev = n->prev;
        else
            p->child->prev = n->prev;
    }
    n->next = n->prev = NULL;
    p->nchild--;

    enum node_kind k = owner_kind(n->owner);
    if (k == KIND_EPHEMERAL) {
        struct session *s = owner_session(t, n);
        if (s)
            array_drop(s->eph, &s->neph, n);
        t->nephemerals--;
    } else if (k == KIND_CONTAINER || k == KIND_TTL) {
        array_drop(t->special, &t->nspecial, n);
    }
}

void node_stat(const struct node *n, struct coord_stat *st)
{
    st->czxid = n->czxid;
    st->mzxid = n->mzxid;
    st->ctime = n->ctime;
    st->mtime = n->mtime;
    st->version = n->version;
    /* Wire spec 5.2: cversion = 2 * childCreates - numChildren, wrapping. */
    st->cversion = (int32_t)(2u * (uint32_t)n->creates - (uint32_t)n->nchild);
    st->aversion = n->aversion;
    st->ephemeral_owner =
        owner_kind(n->owner) == KIND_EPHEMERAL ? n->owner : 0;
    st->data_length = n->data_len > 0 ? n->data_len : 0;
    st->num_children = n->nchild;
    st->pzxid = n->pzxid;
}

size_t node_path_len(const struct node *n)
{
    if (n->parent == NULL)
        return 1;
    size_t len = 0;
    for (; n->parent; n = n->parent)
        len += 1 + n->name_len;
    return len;
}

void node_path(const struct node *n, struct buf *b)
{
    size_t len = node_path_len(n);
    if (buf_reserve(b, len) != 0)
        return;
    char *end = (char *)b->base + b->len + len;
    if (n->parent == NULL)
        end[-1] = '/';
    for (; n->parent; n = n->parent) {
        end -= n->name_len;
        memcpy(end, n->name, n->name_len);
        *--end = '/';
    }
    b->len += len;
}

int32_t node_version_next(int32_t v)
{
    /* Skip -1, which means "any version" (ZOOKEEPER-4743). */
    int32_t n = (int32_t)((uint32_t)v + 1u);
    return n == -1 ? 0 : n;
}

/* --- sessions --- */

static size_t sid_slot(int64_t sid, size_t nb)
{
    return (size_t)(((uint64_t)sid * UINT64_C(0x9E3779B97F4A7C15)) >> 32) &
           (nb - 1);
}

struct session *node_session_find(const struct tree *t, int64_t sid)
{
    if (t->nsb == 0)
        return NULL;
    for (struct session *s = t->sb[sid_slot(sid, t->nsb)]; s; s = s->hnext)
        if (s->sid == sid)
            return s;
    return NULL;
}

int node_session_put(struct tree *t, int64_t sid, int32_t timeout,
                const uint8_t passwd[16])
{
    struct session *s = node_session_find(t, sid);
    if (s == NULL) {
        if (t->nsessions >= t->nsb) {
            size_t nn = t->nsb ? t->nsb * 2 : 64;
            struct session **b = calloc(nn, sizeof *b);
            if (b == NULL && t->nsb == 0)
                return COORD_ENOMEM;
            if (b) {
                for (size_t i = 0; i < t->nsb; i++) {
                    struct session *e = t->sb[i];
                    while (e) {
                        struct session *next = e->hnext;
                        size_t k = sid_slot(e->sid, nn);
                        e->hnext = b[k];
                        b[k] = e;
                        e = next;
                    }
                }
                free(t->sb);
                t->sb = b;
                t->nsb = nn;
            }
        }
        s = calloc(1, sizeof *s);
        if (s == NULL)
            return COORD_ENOMEM;
        s->sid = sid;
        size_t k = sid_slot(sid, t->nsb);
        s->hnext = t->sb[k];
        t->sb[k] = s;
        t->nsessions++;
    }
    s->timeout = timeout;
    memcpy(s->passwd, passwd, 16);
    return 0;
}

void node_session_remove(struct tree *t, int64_t sid)
{
    if (t->nsb == 0)
        return;
    struct session **pp = &t->sb[sid_slot(sid, t->nsb)];
    while (*pp && (*pp)->sid != sid)
        pp = &(*pp)->hnext;
    struct session *s = *pp;
    if (s == NULL)
        return;
    *pp = s->hnext;
    t->nsessions--;
    for (uint32_t i = 0; i < s->neph; i++)
        s->eph[i]->aux = UINT32_MAX;
    free(s->eph);
    free(s);
}

int tree_session_get(const struct tree *t, int64_t sid, int32_t *timeout_ms,
                     uint8_t passwd[16])
{
    const struct session *s = node_session_find(t, sid);
    if (s == NULL)
        return COORD_ESESSIONEXPIRED;
    if (timeout_ms)
        *timeout_ms = s->timeout;
    if (passwd)
        memcpy(passwd, s->passwd, 16);
    return 0;
}

void tree_session_foreach(const struct tree *t,
                          void (*fn)(void *ctx, int64_t sid, int32_t timeout_ms),
                          void *ctx)
{
    for (size_t i = 0; i < t->nsb; i++)
        for (struct session *s = t->sb[i]; s; s = s->hnext)
            fn(ctx, s->sid, s->timeout);
}

void tree_ephemerals_foreach(const struct tree *t, int64_t sid,
                             void (*fn)(void *ctx, const char *path, size_t len),
                             void *ctx)
{
    const struct session *s = node_session_find(t, sid);
    if (s == NULL)
        return;
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (uint32_t i = 0; i < s->neph; i++) {
        buf_reset(&b);
        node_path(s->eph[i], &b);
        if (b.err == 0)
            fn(ctx, (const char *)b.base, b.len);
    }
    buf_close(&b);
}

/* --- whole tree --- */

static int add_initial(struct tree *t, struct node *parent, const char *name,
                       struct acl *acl, struct node **out)
{
    struct node *n = node_new(name, strlen(name));
    if (n == NULL)
        return COORD_ENOMEM;
    n->acl = acl;
    acl_ref(acl);
    node_link(t, parent, n, NULL, false);
    t->data_bytes += node_path_len(n);
    if (out)
        *out = n;
    return 0;
}

static int put_world(struct tree *t, int32_t perms, struct acl **out)
{
    struct buf b;
    buf_init(&b, 256);
    jute_put_int(&b, 1);
    jute_put_int(&b, perms);
    jute_put_cstr(&b, "world");
    jute_put_cstr(&b, "anyone");
    int rc = b.err ? b.err : acl_intern(t, b.base, b.len, out);
    buf_close(&b);
    return rc;
}

struct tree *tree_new(const struct tree_config *cfg, tree_notify_fn notify,
                      void *ctx)
{
    struct tree *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    if (cfg)
        t->cfg = *cfg;
    t->notify = notify;
    t->ctx = ctx;
    watch_init(t);
    grow_nodes(t);
    struct acl *read = NULL;
    struct node *zk = NULL, *config = NULL;
    if (t->nb == NULL || put_world(t, COORD_PERM_ALL, &t->open_acl) != 0 ||
        put_world(t, COORD_PERM_READ, &read) != 0)
        goto err_free;
    t->root = node_new("", 0);
    if (t->root == NULL)
        goto err_free;
    t->root->acl = t->open_acl;
    acl_ref(t->open_acl);
    if (add_initial(t, t->root, "zookeeper", t->open_acl, &zk) != 0 ||
        add_initial(t, zk, "quota", t->open_acl, NULL) != 0 ||
        add_initial(t, zk, "config", read, &config) != 0)
        goto err_free;
    /* Wire spec 5.5: /zookeeper/config shows aversion -1. */
    config->aversion = -1;
    acl_unref(t, read);
    return t;

err_free:
    if (read)
        acl_unref(t, read);
    tree_free(t);
    return NULL;
}

void node_free_all(struct tree *t)
{
    for (size_t i = 0; i < t->nnb; i++) {
        struct node *n = t->nb[i];
        while (n) {
            struct node *next = n->hnext;
            acl_unref(t, n->acl);
            node_free(n);
            n = next;
        }
        t->nb[i] = NULL;
    }
    if (t->root) {
        acl_unref(t, t->root->acl);
        node_free(t->root);
        t->root = NULL;
    }
    t->nnodes = 0;
    t->nspecial = 0;
    t->nephemerals = 0;
    t->data_bytes = 0;
    for (size_t i = 0; i < t->nsb; i++)
        for (struct session *s = t->sb[i]; s; s = s->hnext)
            s->neph = 0;
}

void tree_free(struct tree *t)
{
    if (t == NULL)
        return;
    node_free_all(t);
    free(t->nb);
    for (size_t i = 0; i < t->nsb; i++) {
        struct session *s = t->sb[i];
        while (s) {
            struct session *next = s->hnext;
            free(s->eph);
            free(s);
            s = next;
        }
    }
    free(t->sb);
    free(t->special);
    if (t->open_acl)
        acl_unref(t, t->open_acl);
    acl_free_all(t);
    watch_free_all(t);
    free(t);
}

int64_t tree_last_zxid(const struct tree *t)
{
    return t->last_zxid;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void tree_get_stats(const struct tree *t, struct tree_stats *out)
{
    memset(out, 0, sizeof *out);
    out->nodes = t->nnodes + 1;
    out->ephemerals = t->nephemerals;
    out->data_bytes = t->data_bytes;
    out->sessions = t->nsessions;

    size_t nids = 0, cap = 0;
    uint64_t *ids = NULL;
    for (int c = 0; c < 2; c++) {
        const struct wtable *w = c ? &t->wchild : &t->wdata;
        for (size_t i = 0; i < w->nb; i++) {
            for (const struct wpath *p = w->b[i]; p; p = p->hnext) {
                bool shared = false;
                if (c && t->wdata.nb) {
                    /* a path in both tables counts once */
                    uint32_t slot = p->hash & (uint32_t)(t->wdata.nb - 1);
                    for (const struct wpath *q = t->wdata.b[slot]; q;
                         q = q->hnext)
                        if (q->len == p->len &&
                            memcmp(q->path, p->path, p->len) == 0)
                            shared = true;
                }
                if (!shared)
                    out->watch_paths++;
                for (const struct wentry *e = p->list; e; e = e->next) {
                    out->watches++;
                    if (nids == cap) {
                        size_t nc = cap ? cap * 2 : 64;
                        uint64_t *v = realloc(ids, nc * sizeof *v);
                        if (v == NULL)
                            continue;
                        ids = v;
                        cap = nc;
                    }
                    ids[nids++] = e->watcher;
                }
            }
        }
    }
    if (nids > 1)
        qsort(ids, nids, sizeof *ids, cmp_u64);
    for (size_t i = 0; i < nids; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            out->watchers++;
    free(ids);
}

size_t tree_reap_candidates(const struct tree *t, int64_t now_ms, size_t max,
                            void (*fn)(void *ctx, const char *path, size_t len),
                            void *ctx)
{
    size_t found = 0;
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (uint32_t i = 0; i < t->nspecial && found < max; i++) {
        const struct node *n = t->special[i];
        if (n->nchild != 0)
            continue;
        /* unsigned: a loaded snapshot may hold any mtime */
        uint64_t idle = now_ms > n->mtime
                            ? (uint64_t)now_ms - (uint64_t)n->mtime : 0;
        bool due;
        if (owner_kind(n->owner) == KIND_CONTAINER) {
            /* Wire spec 6.3: had a child once, or never used for too long. */
            due = n->creates != 0 || (t->cfg.container_never_used_ms > 0 &&
                                      idle > (uint64_t)
                                                 t->cfg.container_never_used_ms);
        } else {
            uint64_t ttl = (uint64_t)n->owner & ~OWNER_TTL_BITS;
            due = idle > ttl;
        }
        if (!due)
            continue;
        buf_reset(&b);
        node_path(n, &b);
        if (b.err)
            continue;
        fn(ctx, (const char *)b.base, b.len);
        found++;
    }
    buf_close(&b);
    return found;
}
