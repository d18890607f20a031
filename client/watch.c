/* Watch registry: one-shot and persistent watchers, dispatch, re-registration. */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

int watch_add(struct coord *c, int kind, const char *spath, coord_watch_fn cb,
              void *ctx)
{
    struct watch *w = calloc(1, sizeof *w);
    if (w == NULL)
        return COORD_ENOMEM;
    w->spath = strdup(spath);
    if (w->spath == NULL) {
        free(w);
        return COORD_ENOMEM;
    }
    w->kind = kind;
    w->cb = cb;
    w->ctx = ctx;
    w->next = c->watches;
    c->watches = w;
    return 0;
}

static bool same(const char *a, const char *p, size_t len)
{
    return strlen(a) == len && memcmp(a, p, len) == 0;
}

/* True when `root` is p itself or one of its ancestors. */
static bool covers(const char *root, const char *p, size_t len)
{
    size_t rl = strlen(root);
    if (rl == 1)
        return true;
    return len >= rl && memcmp(root, p, rl) == 0 && (len == rl || p[rl] == '/');
}

/* Which one-shot kinds an event consumes (wire spec 8.3, client view). */
static bool fires(int kind, int type)
{
    switch (kind) {
    case W_DATA:
    case W_EXIST:
        return type == COORD_EV_CREATED || type == COORD_EV_DELETED ||
               type == COORD_EV_CHANGED;
    case W_CHILD:
        return type == COORD_EV_DELETED || type == COORD_EV_CHILD;
    default:
        return false;
    }
}

static void call(struct coord *c, struct watch *w, int type, const char *upath)
{
    if (w->cb)
        CALLBACK(c, w->cb(c, type, upath, w->ctx));
}

void watch_dispatch(struct coord *c, int type, const char *spath, size_t len)
{
    char *upath = path_from_server(c, spath, len);
    if (upath == NULL)
        return; /* outside the chroot, or no memory: nobody to tell */
    struct watch *fired = NULL, **ftail = &fired;
    struct watch **pp = &c->watches;
    size_t npers = 0;
    while (*pp) {
        struct watch *w = *pp;
        if (w->kind <= W_CHILD && same(w->spath, spath, len) &&
            fires(w->kind, type)) {
            *pp = w->next;
            w->next = NULL;
            *ftail = w;
            ftail = &w->next;
            continue;
        }
        if ((w->kind == W_PERSISTENT && same(w->spath, spath, len)) ||
            (w->kind == W_RECURSIVE && type != COORD_EV_CHILD &&
             covers(w->spath, spath, len)))
            npers++;
        pp = &w->next;
    }
    /* Persistent ones stay registered; copy them out first so callbacks
     * that add watches do not disturb the walk. */
    struct watch *pers = npers ? calloc(npers, sizeof *pers) : NULL;
    size_t k = 0;
    for (struct watch *w = c->watches; w && pers && k < npers; w = w->next)
        if ((w->kind == W_PERSISTENT && same(w->spath, spath, len)) ||
            (w->kind == W_RECURSIVE && type != COORD_EV_CHILD &&
             covers(w->spath, spath, len)))
            pers[k++] = *w;
    while (fired) {
        struct watch *w = fired;
        fired = w->next;
        call(c, w, type, upath);
        free(w->spath);
        free(w);
    }
    for (size_t i = 0; i < k; i++)
        call(c, &pers[i], type, upath);
    free(pers);
    free(upath);
}

static bool matches_type(int kind, int32_t wtype)
{
    switch (wtype) {
    case COORD_WT_CHILDREN: return kind == W_CHILD;
    case COORD_WT_DATA: return kind == W_DATA || kind == W_EXIST;
    case COORD_WT_PERSISTENT: return kind == W_PERSISTENT;
    case COORD_WT_PERSISTENT_RECURSIVE: return kind == W_RECURSIVE;
    case COORD_WT_ANY: return true;
    default: return false;
    }
}

void watch_remove(struct coord *c, const char *spath, int32_t wtype)
{
    watch_remove_matching(c, spath, wtype, NULL, NULL);
}

int watch_remove_matching(struct coord *c, const char *spath, int32_t wtype,
                          coord_watch_fn cb, void *ctx)
{
    struct watch *gone = NULL;
    struct watch **pp = &c->watches;
    int n = 0;
    while (*pp) {
        struct watch *w = *pp;
        if (strcmp(w->spath, spath) == 0 && matches_type(w->kind, wtype) &&
            (cb == NULL || (w->cb == cb && w->ctx == ctx))) {
            n++;
            *pp = w->next;
            w->next = gone;
            gone = w;
        } else {
            pp = &w->next;
        }
    }
    char *upath = path_from_server(c, spath, strlen(spath));
    while (gone) {
        struct watch *w = gone;
        gone = w->next;
        int ev = w->kind == W_CHILD ? COORD_EV_CHILD_WATCH_REMOVED
                 : w->kind <= W_EXIST ? COORD_EV_DATA_WATCH_REMOVED
                                      : COORD_EV_PERSISTENT_WATCH_REMOVED;
        call(c, w, ev, upath ? upath : "/");
        free(w->spath);
        free(w);
    }
    free(upath);
    return n;
}

void watch_cancel_all(struct coord *c)
{
    struct watch *list = c->watches;
    c->watches = NULL;
    while (list) {
        struct watch *w = list;
        list = w->next;
        char *upath = path_from_server(c, w->spath, strlen(w->spath));
        call(c, w, COORD_EV_CANCELLED, upath ? upath : "/");
        free(upath);
        free(w->spath);
        free(w);
    }
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct server paths of one watch kind. */
struct path_set {
    const char **p;
    size_t n, next;
};

static int collect(struct coord *c, int kind, struct path_set *ps)
{
    size_t cap = 0;
    for (struct watch *w = c->watches; w; w = w->next)
        cap += w->kind == kind;
    ps->p = cap ? calloc(cap, sizeof *ps->p) : NULL;
    if (cap && ps->p == NULL)
        return COORD_ENOMEM;
    for (struct watch *w = c->watches; w; w = w->next)
        if (w->kind == kind)
            ps->p[ps->n++] = w->spath;
    /* Sorted, so that duplicates (several watchers of a path) sit side by
     * side and go once. */
    if (ps->n > 1)
        qsort(ps->p, ps->n, sizeof *ps->p, cmp_path);
    size_t k = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (k == 0 || strcmp(ps->p[k - 1], ps->p[i]) != 0)
            ps->p[k++] = ps->p[i];
    ps->n = k;
    return 0;
}

/* One vector of the next paths of ps that fit in the frame's budget. */
static void put_paths(struct buf *b, struct path_set *ps, size_t *used,
                      bool *full)
{
    int32_t n = 0;
    size_t at = b->len;
    jute_put_int(b, 0);
    while (!*full && ps->next < ps->n) {
        size_t len = strlen(ps->p[ps->next]);
        if (*used > 0 && *used + len > WATCH_SET_MAX) {
            *full = true;
            break;
        }
        jute_put_cstr(b, ps->p[ps->next++]);
        *used += len;
        n++;
    }
    if (b->err == 0)
        jute_wbe32(b->base + at, (uint32_t)n);
}

void watch_put_set(struct coord *c, struct buf *b)
{
    if (c->watches == NULL)
        return;
    /* setWatches2 lists in wire order: data, exist, child, persistent,
     * persistent recursive. */
    static const int kinds[5] = {W_DATA, W_EXIST, W_CHILD, W_PERSISTENT,
                                 W_RECURSIVE};
    struct path_set sets[5];
    memset(sets, 0, sizeof sets);
    int rc = 0;
    for (int k = 0; k < 5 && rc == 0; k++)
        rc = collect(c, kinds[k], &sets[k]);
    if (rc) {
        if (b->err == 0)
            b->err = rc;
        goto out;
    }
    for (;;) {
        bool left = false;
        for (int k = 0; k < 5; k++)
            left = left || sets[k].next < sets[k].n;
        if (!left || b->err)
            break;
        size_t used = 0;
        bool full = false;
        size_t off = jute_frame_begin(b);
        jute_put_int(b, COORD_XID_SETWATCHES);
        jute_put_int(b, COORD_OP_SETWATCHES2);
        jute_put_long(b, c->last_zxid);
        for (int k = 0; k < 5; k++)
            put_paths(b, &sets[k], &used, &full);
        jute_frame_end(b, off);
    }
out:
    for (int k = 0; k < 5; k++)
        free(sets[k].p);
}
