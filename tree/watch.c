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

int watch_add(struct tree *t, bool child, const char *p, size_t len,
              uint64_t watcher, unsigned mode)
{
    if (watcher == 0)
        return 0;
    struct wtable *w = child ? &t->wchild : &t->wdata;
    struct wpath *q = find(w, p, len);
    if (q == NULL) {
        if (w->n >= w->nb)
            grow(w);
        if (w->nb == 0)
            return COORD_ENOMEM;
        q = malloc(sizeof *q + len);
        if (q == NULL)
            return COORD_ENOMEM;
        q->list = NULL;
        q->len = (uint32_t)len;
        q->hash = hash_bytes(p, len, HASH_SEED);
        memcpy(q->path, p, len);
        q->hnext = w->b[q->hash & (w->nb - 1)];
        w->b[q->hash & (w->nb - 1)] = q;
        w->n++;
    }
    struct wentry **pe = &q->list;
    for (; *pe; pe = &(*pe)->next) {
        if ((*pe)->watcher == watcher) {
            if ((mode & WM_RECURSIVE) && !((*pe)->modes & WM_RECURSIVE))
                t->nrecursive++;
            (*pe)->modes |= mode;
            return 0;
        }
    }
    struct wentry *e = malloc(sizeof *e);
    if (e == NULL) {
        if (q->list == NULL)
            drop_path(w, q);
        return COORD_ENOMEM;
    }
    e->next = NULL;
    e->watcher = watcher;
    e->modes = mode;
    *pe = e;
    if (mode & WM_RECURSIVE)
        t->nrecursive++;
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

static void idset_add(struct idset *s, uint64_t id)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        uint64_t *v = realloc(s->v, nc * sizeof *v);
        if (v == NULL)
            return; /* out of memory: the event is lost */
        s->v = v;
        s->cap = nc;
    }
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
                int32_t type, int64_t zxid, int slot, bool suppress)
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
            e->modes &= ~WM_STANDARD; /* one-shot */
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

void watch_created(struct tree *t, const char *p, size_t len, int64_t zxid)
{
    if (no_watches(t))
        return;
    watch_fire(t, false, p, len, COORD_EV_CREATED, zxid, 0, false);
    watch_fire(t, true, p, parent_len(p, len), COORD_EV_CHILD, zxid, 0,
               false);
}

void watch_deleted(struct tree *t, const char *p, size_t len, int64_t zxid)
{
    if (no_watches(t))
        return;
    /* Wire spec 8.3: a connection told by its data watch is not told twice. */
    watch_fire(t, false, p, len, COORD_EV_DELETED, zxid, 0, false);
    watch_fire(t, true, p, len, COORD_EV_DELETED, zxid, 1, true);
    watch_fire(t, true, p, parent_len(p, len), COORD_EV_CHILD, zxid, 0,
               false);
}

void watch_changed(struct tree *t, const char *p, size_t len, int64_t zxid)
{
    if (no_watches(t))
        return;
    watch_fire(t, false, p, len, COORD_EV_CHANGED, zxid, 0, false);
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
