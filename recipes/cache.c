/* Node cache and tree cache: local copies kept current by watches. */
#include <stdlib.h>
#include <string.h>

#include "recipes/internal.h"

/* Common to both caches: a thread that reloads when a watch kicks or the
 * connection comes back, until stopped. */
struct cache {
    struct coord *c;
    struct sig *s;
    char *path;
    coord_cache_fn fn;
    void *ctx;
    pthread_t th;
    int listener; /* coord_add_state_listener id */
    bool stop;
    int (*load)(struct cache *k); /* 0, or a code that ends the thread */
};

static void *cache_run(void *arg)
{
    struct cache *k = arg;
    bool stale = true;
    for (;;) {
        pthread_mutex_lock(&k->s->mu);
        unsigned gen = k->s->gen;
        bool stop = k->stop;
        pthread_mutex_unlock(&k->s->mu);
        if (stop || final_code(k->c))
            break;
        bool up = coord_state(k->c) == COORD_CONNECTED;
        if (stale && up) {
            int rc = k->load(k);
            stale = rc != 0;
            if (rc == 0 && k->fn)
                k->fn(k->path, k->ctx);
        }
        /* A watch or a state change (the listener) moves gen; only a
         * failed load is retried on a timer. */
        pthread_mutex_lock(&k->s->mu);
        int rc = sig_wait(k->s, k->c, gen,
                          stale && up ? deadline_after(100) : -1);
        pthread_mutex_unlock(&k->s->mu);
        if (rc == 0)
            stale = true; /* a watch fired or the connection came and went */
    }
    return NULL;
}

/* Kicks the cache on every state change: it reloads once connected. */
static void cache_on_state(struct coord *c, int state, void *ctx)
{
    (void)c;
    (void)state;
    sig_kick(ctx);
}

static int cache_start(struct cache *k)
{
    int rc = coord_add_state_listener(k->c, cache_on_state, k->s,
                                      &k->listener);
    if (rc)
        return rc;
    if (pthread_create(&k->th, NULL, cache_run, k) != 0) {
        coord_remove_state_listener(k->c, k->listener);
        return COORD_ENOMEM;
    }
    return 0;
}

static void cache_stop(struct cache *k)
{
    pthread_mutex_lock(&k->s->mu);
    k->stop = true;
    k->s->gen++;
    pthread_cond_broadcast(&k->s->cv);
    pthread_mutex_unlock(&k->s->mu);
    pthread_join(k->th, NULL);
    coord_remove_state_listener(k->c, k->listener);
}

/* --- node cache --- */

struct coord_node_cache {
    struct cache k; /* first: load() gets &nc->k */
    bool exists;
    char *data;
    int32_t len;
    struct coord_stat st;
};

static int node_load(struct cache *k)
{
    struct coord_node_cache *nc = (struct coord_node_cache *)k;
    char *data = NULL;
    int32_t len = -1;
    struct coord_stat st;
    memset(&st, 0, sizeof st);
    sig_hold(k->s);
    int rc = coord_get_sync(k->c, k->path, sig_wake, k->s, &data, &len, &st);
    if (rc != 0)
        sig_drop(k->s);
    if (rc == COORD_ENONODE) {
        /* Watch for its creation instead. */
        sig_hold(k->s);
        rc = coord_exists_sync(k->c, k->path, sig_wake, k->s, NULL);
        if (rc != 0 && rc != COORD_ENONODE)
            sig_drop(k->s);
        if (rc == 0)
            return COORD_EAGAIN; /* created meanwhile: load again */
    }
    if (rc != 0 && rc != COORD_ENONODE)
        return rc;
    pthread_mutex_lock(&k->s->mu);
    free(nc->data);
    nc->exists = rc == 0;
    nc->data = data;
    nc->len = len;
    nc->st = st;
    pthread_mutex_unlock(&k->s->mu);
    return 0;
}

int coord_node_cache_new(struct coord *c, const char *path,
                         coord_cache_fn fn, void *ctx,
                         struct coord_node_cache **out)
{
    if (path == NULL || path[0] != '/' || out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_node_cache *nc = calloc(1, sizeof *nc);
    if (nc == NULL)
        return COORD_ENOMEM;
    nc->k.c = c;
    nc->k.fn = fn;
    nc->k.ctx = ctx;
    nc->k.load = node_load;
    nc->k.s = sig_new();
    nc->k.path = strdup(path);
    int rc = nc->k.s && nc->k.path ? node_load(&nc->k) : COORD_ENOMEM;
    if (rc == COORD_EAGAIN)
        rc = 0; /* the thread loads it again */
    if (rc == 0)
        rc = cache_start(&nc->k);
    if (rc) {
        sig_drop(nc->k.s);
        free(nc->k.path);
        free(nc->data);
        free(nc);
        return rc;
    }
    *out = nc;
    return 0;
}

static char *copy(const char *data, int32_t len)
{
    if (data == NULL)
        return NULL;
    char *p = malloc((size_t)len + 1);
    if (p) {
        memcpy(p, data, (size_t)len);
        p[len] = '\0';
    }
    return p;
}

int coord_node_cache_get(struct coord_node_cache *nc, char **data,
                         int32_t *len, struct coord_stat *st)
{
    pthread_mutex_lock(&nc->k.s->mu);
    int rc = nc->exists ? 0 : COORD_ENONODE;
    if (rc == 0) {
        if (data && nc->data && (*data = copy(nc->data, nc->len)) == NULL)
            rc = COORD_ENOMEM;
        else if (data && nc->data == NULL)
            *data = NULL;
        if (len)
            *len = nc->len;
        if (st)
            *st = nc->st;
    }
    pthread_mutex_unlock(&nc->k.s->mu);
    return rc;
}

void coord_node_cache_free(struct coord_node_cache *nc)
{
    if (nc == NULL)
        return;
    cache_stop(&nc->k);
    sig_drop(nc->k.s);
    free(nc->k.path);
    free(nc->data);
    free(nc);
}

/* --- tree cache --- */

struct entry {
    char *path;
    char *data;
    int32_t len;
};

struct coord_tree_cache {
    struct cache k;
    bool watching;
    struct entry *v; /* sorted by path */
    size_t n;
};

struct snap {
    struct entry *v;
    size_t n, cap;
};

static void snap_free(struct entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].path);
        free(v[i].data);
    }
    free(v);
}

static int walk(struct coord *c, const char *path, struct snap *s)
{
    char *data = NULL;
    int32_t len = -1;
    int rc = coord_get_sync(c, path, NULL, NULL, &data, &len, NULL);
    if (rc == COORD_ENONODE)
        return 0; /* gone meanwhile: the watch brings the next load */
    if (rc)
        return rc;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct entry *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) {
            free(data);
            return COORD_ENOMEM;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].path = strdup(path);
    s->v[s->n].data = data;
    s->v[s->n].len = len;
    if (s->v[s->n++].path == NULL)
        return COORD_ENOMEM;
    struct coord_strings *names = NULL;
    rc = coord_get_children_sync(c, path, NULL, NULL, &names, NULL);
    if (rc == COORD_ENONODE)
        return 0;
    for (int32_t i = 0; rc == 0 && i < names->count; i++) {
        char *child = path_join(path, names->data[i]);
        rc = child ? walk(c, child, s) : COORD_ENOMEM;
        free(child);
    }
    free(names);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path,
                  ((const struct entry *)b)->path);
}

/* A persistent watch fires many times: kick each time, drop at its end. */
static void tree_watch(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    (void)path;
    sig_kick(ctx);
    if (type == COORD_EV_PERSISTENT_WATCH_REMOVED ||
        type == COORD_EV_CANCELLED)
        sig_drop(ctx);
}

static int tree_load(struct cache *k)
{
    struct coord_tree_cache *tc = (struct coord_tree_cache *)k;
    int rc;
    if (!tc->watching) {
        sig_hold(k->s);
        rc = coord_add_watch_sync(k->c, k->path,
                                  COORD_ADDWATCH_PERSISTENT_RECURSIVE,
                                  tree_watch, k->s);
        if (rc) {
            sig_drop(k->s);
            return rc;
        }
        tc->watching = true;
    }
    struct snap s = {NULL, 0, 0};
    rc = walk(k->c, k->path, &s);
    if (rc) {
        snap_free(s.v, s.n);
        return rc;
    }
    qsort(s.v, s.n, sizeof *s.v, cmp_entry);
    pthread_mutex_lock(&k->s->mu);
    struct entry *old = tc->v;
    size_t n = tc->n;
    tc->v = s.v;
    tc->n = s.n;
    pthread_mutex_unlock(&k->s->mu);
    snap_free(old, n);
    return 0;
}

int coord_tree_cache_new(struct coord *c, const char *path,
                         coord_cache_fn fn, void *ctx,
                         struct coord_tree_cache **out)
{
    if (path == NULL || path[0] != '/' || out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_tree_cache *tc = calloc(1, sizeof *tc);
    if (tc == NULL)
        return COORD_ENOMEM;
    tc->k.c = c;
    tc->k.fn = fn;
    tc->k.ctx = ctx;
    tc->k.load = tree_load;
    tc->k.s = sig_new();
    tc->k.path = strdup(path);
    int rc = tc->k.s && tc->k.path ? tree_load(&tc->k) : COORD_ENOMEM;
    if (rc == 0)
        rc = cache_start(&tc->k);
    if (rc) {
        if (tc->watching)
            coord_remove_watches_sync(c, path,
                                      COORD_WT_PERSISTENT_RECURSIVE);
        sig_drop(tc->k.s);
        free(tc->k.path);
        snap_free(tc->v, tc->n);
        free(tc);
        return rc;
    }
    *out = tc;
    return 0;
}

static const struct entry *find(const struct coord_tree_cache *tc,
                                const char *path)
{
    struct entry key = {(char *)path, NULL, 0};
    return bsearch(&key, tc->v, tc->n, sizeof *tc->v, cmp_entry);
}

int coord_tree_cache_get(struct coord_tree_cache *tc, const char *path,
                         char **data, int32_t *len)
{
    pthread_mutex_lock(&tc->k.s->mu);
    const struct entry *e = find(tc, path);
    int rc = e ? 0 : COORD_ENONODE;
    if (e) {
        if (data && e->data && (*data = copy(e->data, e->len)) == NULL)
            rc = COORD_ENOMEM;
        else if (data && e->data == NULL)
            *data = NULL;
        if (len)
            *len = e->len;
    }
    pthread_mutex_unlock(&tc->k.s->mu);
    return rc;
}

int coord_tree_cache_children(struct coord_tree_cache *tc, const char *path,
                              struct coord_strings **names)
{
    pthread_mutex_lock(&tc->k.s->mu);
    int rc = 0;
    struct coord_strings *out = NULL;
    const struct entry *e = find(tc, path);
    if (e == NULL)
        rc = COORD_ENONODE;
    else if ((out = calloc(1, sizeof *out)) == NULL ||
             (out->data = calloc(tc->n + 1, sizeof(char *))) == NULL)
        rc = COORD_ENOMEM;
    size_t plen = strlen(path);
    if (plen == 1)
        plen = 0; /* the root's children are "/x" */
    for (size_t i = 0; rc == 0 && i < tc->n; i++) {
        const char *p = tc->v[i].path;
        if (strncmp(p, path, plen) != 0 || p[plen] != '/' || p[plen + 1] == 0 ||
            strchr(p + plen + 1, '/'))
            continue;
        if ((out->data[out->count] = strdup(p + plen + 1)) == NULL)
            rc = COORD_ENOMEM;
        else
            out->count++;
    }
    pthread_mutex_unlock(&tc->k.s->mu);
    if (rc) {
        coord_recipes_strings_free(out);
        return rc;
    }
    *names = out;
    return 0;
}

void coord_tree_cache_free(struct coord_tree_cache *tc)
{
    if (tc == NULL)
        return;
    cache_stop(&tc->k);
    if (tc->watching && final_code(tc->k.c) == 0)
        coord_remove_watches_sync(tc->k.c, tc->k.path,
                                  COORD_WT_PERSISTENT_RECURSIVE);
    sig_drop(tc->k.s);
    free(tc->k.path);
    snap_free(tc->v, tc->n);
    free(tc);
}
