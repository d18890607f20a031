/* The watch registry: data and child tables keyed by path (wire spec 8). */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/internal.h"

void watch_init(struct tree *t)
{
    memset(&t->wdata, 0, sizeof t->wdata);
    memset(&t->wchild, 0, sizeof t->wchild);
}

static void free_table(struct wtable *w)
{
    for (size_t i = 0; i < w->nb; i++) {
        struct wpath *p = w->b[i];
        while (p) {
            struct wpath *next = p->hnext;
            struct wentry *e = p->list;
            while (e) {
                struct wentry *en = e->next;
                free(e);
                e = en;
            }
            free(p);
            p = next;
        }
    }
    free(w->b);
    memset(w, 0, sizeof *w);
}

void watch_free_all(struct tree *t)
{
    free_table(&t->wdata);
    free_table(&t->wchild);
    free(t->sel[0].v);
    free(t->sel[1].v);
    memset(t->sel, 0, sizeof t->sel);
    t->nrecursive = 0;
    t->wmax = 0;
    for (size_t i = 0; i < t->nib; i++) {
        struct wident *id = t->ib[i];
        while (id) {
            struct wident *next = id->hnext;
            free(id);
            id = next;
        }
    }
    free(t->ib);
    t->ib = NULL;
    t->nib = t->nident = 0;
}

static struct wpath *find(const struct wtable *w, const char *p, size_t len)
{
    if (w->n == 0)
        return NULL;
    uint32_t h = hash_bytes(p, len, HASH_SEED);
    for (struct wpath *q = w->b[h & (w->nb - 1)]; q; q = q->hnext)
        if (q->hash == h && q->len == len && memcmp(q->path, p, len) == 0)
            return q;
    return NULL;
}

static void grow(struct wtable *w)
{
    size_t nn = w->nb ? w->nb * 2 : 64;
    struct wpath **b = calloc(nn, sizeof *b);
    if (b == NULL)
        return;
    for (size_t i = 0; i < w->nb; i++) {
        struct wpath *q = w->b[i];
        while (q) {
            struct wpath *next = q->hnext;
            q->hnext = b[q->hash & (nn - 1)];
            b[q->hash & (nn - 1)] = q;
            q = next;
        }
    }
    free(w->b);
    w->b = b;
    w->nb = nn;
}

static void drop_path(struct wtable *w, struct wpath *q)
{
    struct wpath **pp = &w->b[q->hash & (w->nb - 1)];
    while (*pp && *pp != q)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = q->hnext;
    w->n--;
    free(q);
}

/* Makes firing allocation-free: a firing selects at most one path's list
 * plus every recursive registration (wire spec 8.3 steps 1-2). */
static int sel_reserve(struct tree *t, size_t need)
{
    for (int i = 0; i < 2; i++) {
        struct idset *s = &t->sel[i];
        if (s->cap >= need)
            continue;
        size_t nc = s->cap ? s->cap : 16;
        while (nc < need)
            nc *= 2;
        uint64_t *v = realloc(s->v, nc * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        s->v = v;
        s->cap = nc;
    }
    return 0;
}

int watch_add(struct tree *t, bool child, const char *p, size_t len,
              uint64_t watcher, unsigned mode, unsigned *added)
{
    *added = 0;
    if (watcher == 0)
        return 0;
    struct wtable *w = child ? &t->wchild : &t->wdata;
    struct wpath *q = find(w, p, len);
    struct wentry *e = NULL;
    size_t list_len = 0;
    if (q) {
        for (e = q->list; e && e->watcher != watcher; e = e->next)
            list_len++;
    }
    unsigned fresh = e ? mode & ~e->modes : mode;
    if (fresh == 0)
        return 0;
    size_t wmax = e == NULL && list_len + 1 > t->wmax ? list_len + 1 : t->wmax;
    size_t nrec = t->nrecursive + ((fresh & WM_RECURSIVE) ? 1 : 0);
    if (sel_reserve(t, wmax + nrec) != 0)
        return COORD_ENOMEM;
    if (e == NULL) {
        e = malloc(sizeof *e);
        if (e == NULL)
            return COORD_ENOMEM;
        e->next = NULL;
        e->watcher = watcher;
        e->modes = 0;
        if (q == NULL) {
            if (w->n >= w->nb)
                grow(w);
            q = w->nb ? malloc(sizeof *q + len) : NULL;
            if (q == NULL) {
                free(e);
                return COORD_ENOMEM;
            }
            q->list = NULL;
            q->len = (uint32_t)len;
            q->hash = hash_bytes(p, len, HASH_SEED);
            memcpy(q->path, p, len);
            q->hnext = w->b[q->hash & (w->nb - 1)];
            w->b[q->hash & (w->nb - 1)] = q;
            w->n++;
        }
        /* appended: firing order follows registration order */
        struct wentry **pe = &q->list;
        while (*pe)
            pe = &(*pe)->next;
        *pe = e;
    }
    e->modes |= fresh;
    t->wmax = wmax;
    t->nrecursive = nrec;
    *added = fresh;
    return 0;
}

/* Clears `mask` from the watcher's entry on q; frees what becomes empty.
 * Returns the bits that were set. */
static unsigned clear_modes(struct tree *t, struct wtable *w, struct wpath *q,
                            uint64_t watcher, unsigned mask)
{
    for (struct wentry **pe = &q->list; *pe; pe = &(*pe)->next) {
        struct wentry *e = *pe;
        if (e->watcher != watcher)
            continue;
        unsigned had = e->modes & mask;
        if (had & WM_RECURSIVE)
            t->nrecursive--;
        e->modes &= ~mask;
        if (e->modes == 0) {
            *pe = e->next;
            free(e);
            if (q->list == NULL)
                drop_path(w, q);
        }
        return had;
    }
    return 0;
}

void watch_undo(struct tree *t, bool child, const char *p, size_t len,
                uint64_t watcher, unsigned added)
{
    struct wtable *w = child ? &t->wchild : &t->wdata;
    struct wpath *q = added ? find(w, p, len) : NULL;
    if (q)
        clear_modes(t, w, q, watcher, added);
}

/* --- watcher identities --- */

static size_t ident_slot(uint64_t watcher, size_t nb)
{
    return (size_t)((watcher * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (nb - 1);
}

static struct wident *ident_find(const struct tree *t, uint64_t watcher)
{
    if (t->nib == 0)
        return NULL;
    for (struct wident *id = t->ib[ident_slot(watcher, t->nib)]; id;
         id = id->hnext)
        if (id->watcher == watcher)
            return id;
    return NULL;
}

static void ident_grow(struct tree *t)
{
    size_t nn = t->nib ? t->nib * 2 : 16;
    struct wident **b = calloc(nn, sizeof *b);
    if (b == NULL)
        return; /* keep chaining at a higher load */
    for (size_t i = 0; i < t->nib; i++) {
        struct wident *id = t->ib[i];
        while (id) {
            struct wident *next = id->hnext;
            size_t k = ident_slot(id->watcher, nn);
            id->hnext = b[k];
            b[k] = id;
            id = next;
        }
    }
    free(t->ib);
    t->ib = b;
    t->nib = nn;
}

int watch_ident_prepare(struct tree *t, uint64_t watcher, const struct who *w,
                        struct wident **out)
{
    *out = NULL;
    if (watcher == 0)
        return 0;
    int32_t count = w->ids.count > 0 ? w->ids.count : 0;
    size_t len = count ? w->ids.len : 0;
    const struct wident *old = ident_find(t, watcher);
    if (old && old->super == w->super && old->count == count &&
        old->len == len && (len == 0 || memcmp(old->ids, w->ids.p, len) == 0))
        return 0;
    if (old == NULL && t->nident >= t->nib)
        ident_grow(t);
    if (t->nib == 0)
        return COORD_ENOMEM;
    struct wident *id = malloc(sizeof *id + len);
    if (id == NULL)
        return COORD_ENOMEM;
    id->hnext = NULL;
    id->watcher = watcher;
    id->super = w->super;
    id->count = count;
    id->len = (uint32_t)len;
    if (len)
        memcpy(id->ids, w->ids.p, len);
    *out = id;
    return 0;
}

void watch_ident_commit(struct tree *t, struct wident *id)
{
    if (id == NULL)
        return;
    struct wident **pp = &t->ib[ident_slot(id->watcher, t->nib)];
    while (*pp && (*pp)->watcher != id->watcher)
        pp = &(*pp)->hnext;
    if (*pp) {
        struct wident *old = *pp;
        id->hnext = old->hnext;
        free(old);
    } else {
        t->nident++;
    }
    *pp = id;
}

void watch_ident_abort(struct wident *id)
{
    free(id);
}

static void ident_forget(struct tree *t, uint64_t watcher)
{
    if (t->nib == 0)
        return;
    struct wident **pp = &t->ib[ident_slot(watcher, t->nib)];
    while (*pp && (*pp)->watcher != watcher)
        pp = &(*pp)->hnext;
    struct wident *id = *pp;
    if (id == NULL)
        return;
    *pp = id->hnext;
    t->nident--;
    free(id);
}

/*
 * Wire spec 8.3 step 3 and 10.5 (ZooKeeper 3.8.4/3.9.2+): an event about a
 * node reaches a watcher only if the identities it registered with grant
 * READ on that node.
 */
static bool may_see(const struct tree *t, uint64_t watcher,
                    const struct acl *acl)
{
    if (acl == NULL || acl->n == 0)
        return true;
    const struct wident *id = ident_find(t, watcher);
    struct who w = {0, false, {0, NULL, 0}};
    if (id)
        w = (struct who){0, id->super, {id->count, id->ids, id->len}};
    return acl_allows(acl, COORD_PERM_READ, &w);
}

/* Room was reserved at registration (sel_reserve), so this never drops. */
static void idset_add(struct idset *s, uint64_t id)
{
    if (s->n < s->cap)
        s->v[s->n++] = id;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool idset_has(const struct idset *s, uint64_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] == id)
            return true;
        if (s->v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

void watch_fire(struct tree *t, bool child, const char *p, size_t len,
                int32_t type, int64_t zxid, const struct acl *acl, int slot,
                bool suppress)
{
    struct wtable *w = child ? &t->wchild : &t->wdata;
    struct idset *sel = &t->sel[slot];
    sel->n = 0;
    struct wpath *q = find(w, p, len);
    if (q) {
        struct wentry **pe = &q->list;
        while (*pe) {
            struct wentry *e = *pe;
            idset_add(sel, e->watcher);
            /* One-shot, consumed even if the READ filter then drops the
             * event: ZooKeeper removes the watch before it checks. */
            e->modes &= ~WM_STANDARD;
            if (e->modes == 0) {
                *pe = e->next;
                free(e);
            } else {
                pe = &e->next;
            }
        }
        if (q->list == NULL)
            drop_path(w, q);
    }
    /* Persistent-recursive watches on proper ancestors, up to "/". */
    if (t->nrecursive > 0 && len > 1) {
        size_t cur = len;
        while (cur > 1) {
            size_t k = cur - 1;
            while (k > 0 && p[k] != '/')
                k--;
            cur = k == 0 ? 1 : k;
            struct wpath *a = find(w, p, cur);
            if (a == NULL)
                continue;
            for (struct wentry *e = a->list; e; e = e->next)
                if (e->modes & WM_RECURSIVE)
                    idset_add(sel, e->watcher);
        }
    }
    if (sel->n == 0)
        return;
    if (sel->n > 1)
        qsort(sel->v, sel->n, sizeof *sel->v, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < sel->n; i++)
        if (m == 0 || sel->v[m - 1] != sel->v[i])
            sel->v[m++] = sel->v[i];
    sel->n = m;
    for (size_t i = 0; i < sel->n; i++) {
        if (suppress && idset_has(&t->sel[0], sel->v[i]))
            continue;
        if (!may_see(t, sel->v[i], acl))
            continue;
        if (t->notify)
            t->notify(t->ctx, sel->v[i], type, p, len, zxid);
    }
}

static size_t parent_len(const char *p, size_t len)
{
    size_t k = len - 1;
    while (k > 0 && p[k] != '/')
        k--;
    return k == 0 ? 1 : k;
}

static bool no_watches(const struct tree *t)
{
    return t->wdata.n == 0 && t->wchild.n == 0;
}

void watch_created(struct tree *t, const char *p, size_t len,
                   const struct acl *acl, const struct acl *pacl,
                   int64_t zxid)
{
    if (no_watches(t))
        return;
    watch_fire(t, false, p, len, COORD_EV_CREATED, zxid, acl, 0, false);
    watch_fire(t, true, p, parent_len(p, len), COORD_EV_CHILD, zxid, pacl, 0,
               false);
}

void watch_deleted(struct tree *t, const char *p, size_t len,
                   const struct acl *acl, const struct acl *pacl,
                   int64_t zxid)
{
    if (no_watches(t))
        return;
    /* Wire spec 8.3: a connection told by its data watch is not told twice
     * (selected, even if the READ filter kept it from being told). */
    watch_fire(t, false, p, len, COORD_EV_DELETED, zxid, acl, 0, false);
    watch_fire(t, true, p, len, COORD_EV_DELETED, zxid, acl, 1, true);
    watch_fire(t, true, p, parent_len(p, len), COORD_EV_CHILD, zxid, pacl, 0,
               false);
}

void watch_changed(struct tree *t, const char *p, size_t len,
                   const struct acl *acl, int64_t zxid)
{
    if (no_watches(t))
        return;
    watch_fire(t, false, p, len, COORD_EV_CHANGED, zxid, acl, 0, false);
}

static bool match(struct tree *t, bool child, const char *p, size_t len,
                  uint64_t watcher, unsigned mask, bool remove)
{
    struct wtable *w = child ? &t->wchild : &t->wdata;
    struct wpath *q = find(w, p, len);
    if (q == NULL)
        return false;
    if (remove)
        return clear_modes(t, w, q, watcher, mask) != 0;
    for (struct wentry *e = q->list; e; e = e->next)
        if (e->watcher == watcher)
            return (e->modes & mask) != 0;
    return false;
}

int watch_check(struct tree *t, const char *p, size_t len, uint64_t watcher,
                int32_t type, bool remove)
{
    bool m;
    switch (type) {
    case COORD_WT_CHILDREN:
        m = match(t, true, p, len, watcher, WM_STANDARD, remove);
        break;
    case COORD_WT_DATA:
        m = match(t, false, p, len, watcher, WM_STANDARD, remove);
        break;
    case COORD_WT_ANY: {
        unsigned all = WM_STANDARD | WM_PERSISTENT | WM_RECURSIVE;
        bool d = match(t, false, p, len, watcher, all, remove);
        bool c = match(t, true, p, len, watcher, all, remove);
        m = d || c;
        break;
    }
    case COORD_WT_PERSISTENT: {
        bool d = match(t, false, p, len, watcher, WM_PERSISTENT, remove);
        bool c = remove && match(t, true, p, len, watcher, WM_PERSISTENT, true);
        m = d || c;
        break;
    }
    case COORD_WT_PERSISTENT_RECURSIVE:
        m = match(t, false, p, len, watcher, WM_RECURSIVE, remove);
        break;
    default:
        return COORD_EMARSHALLING;
    }
    return m ? 0 : COORD_ENOWATCHER;
}

static void drop_in(struct tree *t, struct wtable *w, uint64_t watcher)
{
    for (size_t i = 0; i < w->nb; i++) {
        struct wpath *q = w->b[i];
        while (q) {
            struct wpath *next = q->hnext;
            clear_modes(t, w, q, watcher,
                        WM_STANDARD | WM_PERSISTENT | WM_RECURSIVE);
            q = next;
        }
    }
}

void tree_watches_drop(struct tree *t, uint64_t watcher)
{
    drop_in(t, &t->wdata, watcher);
    drop_in(t, &t->wchild, watcher);
    ident_forget(t, watcher);
}

void tree_watches_foreach(const struct tree *t,
                          void (*fn)(void *ctx, uint64_t watcher,
                                     const char *path, size_t len),
                          void *ctx)
{
    for (size_t i = 0; i < t->wdata.nb; i++)
        for (const struct wpath *q = t->wdata.b[i]; q; q = q->hnext)
            for (const struct wentry *e = q->list; e; e = e->next)
                fn(ctx, e->watcher, q->path, q->len);
    for (size_t i = 0; i < t->wchild.nb; i++) {
        for (const struct wpath *q = t->wchild.b[i]; q; q = q->hnext) {
            const struct wpath *d = find(&t->wdata, q->path, q->len);
            for (const struct wentry *e = q->list; e; e = e->next) {
                bool seen = false;
                for (const struct wentry *f = d ? d->list : NULL; f;
                     f = f->next)
                    if (f->watcher == e->watcher)
                        seen = true;
                if (!seen)
                    fn(ctx, e->watcher, q->path, q->len);
            }
        }
    }
}
