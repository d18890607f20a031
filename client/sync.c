/* Blocking wrappers: submit the asynchronous call, then wait for its callback. */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

struct waiter {
    struct coord *c;
    bool done;
    int rc;
    char **path;
    struct coord_stat *st;
    char **data;
    int32_t *len;
    struct coord_strings **strs;
    struct coord_acl_list **acl;
    struct coord_client_info **ids;
    int32_t *n;
};

/* Locks c for a blocking call, or refuses where it would deadlock. */
static int begin(struct coord *c, struct waiter *w)
{
    if (c == NULL)
        return COORD_EINVAL;
    memset(w, 0, sizeof *w);
    w->c = c;
    core_lock(c);
    bool bad = c->thread_on ? pthread_equal(pthread_self(), c->thread)
                            : c->in_cb > 0;
    if (bad) {
        core_unlock(c);
        return COORD_EINVAL;
    }
    return 0;
}

/* Waits for the callback if the call was accepted; unlocks. */
static int finish_wait(struct waiter *w, int rc)
{
    struct coord *c = w->c;
    if (rc == 0) {
        if (c->thread_on) {
            while (!w->done)
                pthread_cond_wait(&c->cv, &c->mu);
        } else {
            core_drive(c, &w->done, INT64_MAX);
        }
        rc = w->rc;
    }
    core_unlock(c);
    return rc;
}

static void wake(struct waiter *w, int rc, const struct coord_stat *st)
{
    w->rc = rc;
    if (rc == 0 && st && w->st)
        *w->st = *st;
    w->done = true;
    pthread_cond_broadcast(&w->c->cv);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static void void_cb(int rc, void *ctx)
{
    wake(ctx, rc, NULL);
}

static void stat_cb(int rc, const struct coord_stat *st, void *ctx)
{
    wake(ctx, rc, st);
}

static void create_cb(int rc, const char *path, const struct coord_stat *st,
                      void *ctx)
{
    struct waiter *w = ctx;
    if (rc == 0 && w->path && (*w->path = strdup(path)) == NULL)
        rc = COORD_ENOMEM;
    wake(w, rc, st);
}

static void data_cb(int rc, const char *data, int32_t len,
                    const struct coord_stat *st, void *ctx)
{
    struct waiter *w = ctx;
    if (rc == 0 && w->data) {
        *w->data = NULL;
        if (len >= 0 && (*w->data = dup_bytes(data, (size_t)len)) == NULL)
            rc = COORD_ENOMEM;
    }
    if (rc == 0 && w->len)
        *w->len = len;
    wake(w, rc, st);
}

static void strings_cb(int rc, const struct coord_strings *s,
                       const struct coord_stat *st, void *ctx)
{
    struct waiter *w = ctx;
    if (rc == 0 && w->strs) {
        /* Copy into one block the caller frees with free(). */
        size_t text = 0;
        for (int32_t i = 0; i < s->count; i++)
            text += strlen(s->data[i]) + 1;
        struct coord_strings *out =
            malloc(sizeof *out + (size_t)s->count * sizeof(char *) + text);
        if (out == NULL) {
            rc = COORD_ENOMEM;
        } else {
            out->count = s->count;
            out->data = (char **)(out + 1);
            char *at = (char *)(out->data + s->count);
            for (int32_t i = 0; i < s->count; i++) {
                size_t n = strlen(s->data[i]) + 1;
                out->data[i] = memcpy(at, s->data[i], n);
                at += n;
            }
            *w->strs = out;
        }
    }
    wake(w, rc, st);
}

static void acl_cb(int rc, const struct coord_acl_list *acl,
                   const struct coord_stat *st, void *ctx)
{
    struct waiter *w = ctx;
    if (rc == 0 && w->acl) {
        size_t text = 0;
        for (int32_t i = 0; i < acl->count; i++)
            text += strlen(acl->entries[i].scheme) +
                    strlen(acl->entries[i].id) + 2;
        struct coord_acl_list *out = malloc(
            sizeof *out + (size_t)acl->count * sizeof(struct coord_acl_entry) +
            text);
        if (out == NULL) {
            rc = COORD_ENOMEM;
        } else {
            struct coord_acl_entry *e = (struct coord_acl_entry *)(out + 1);
            char *at = (char *)(e + acl->count);
            for (int32_t i = 0; i < acl->count; i++) {
                size_t a = strlen(acl->entries[i].scheme) + 1;
                size_t b = strlen(acl->entries[i].id) + 1;
                e[i].perms = acl->entries[i].perms;
                e[i].scheme = memcpy(at, acl->entries[i].scheme, a);
                e[i].id = memcpy(at + a, acl->entries[i].id, b);
                at += a + b;
            }
            out->count = acl->count;
            out->entries = e;
            *w->acl = out;
        }
    }
    wake(w, rc, st);
}

static void int_cb(int rc, int32_t n, void *ctx)
{
    struct waiter *w = ctx;
    if (rc == 0 && w->n)
        *w->n = n;
    wake(w, rc, NULL);
}

static void whoami_cb(int rc, const struct coord_client_info *ids, int32_t n,
                      void *ctx)
{
    struct waiter *w = ctx;
    if (rc == 0 && w->ids) {
        size_t text = 0;
        for (int32_t i = 0; i < n; i++)
            text += strlen(ids[i].scheme) + strlen(ids[i].user) + 2;
        struct coord_client_info *out =
            malloc((size_t)n * sizeof *out + text + 1);
        if (out == NULL) {
            rc = COORD_ENOMEM;
        } else {
            char *at = (char *)(out + n);
            for (int32_t i = 0; i < n; i++) {
                size_t a = strlen(ids[i].scheme) + 1;
                size_t b = strlen(ids[i].user) + 1;
                out[i].scheme = memcpy(at, ids[i].scheme, a);
                out[i].user = memcpy(at + a, ids[i].user, b);
                at += a + b;
            }
            *w->ids = out;
        }
    }
    if (rc == 0 && w->n)
        *w->n = n;
    wake(w, rc, NULL);
}

static void string_cb(int rc, const char *s, void *ctx)
{
    (void)s;
    wake(ctx, rc, NULL);
}

int coord_create_sync(struct coord *c, const char *path, const void *data,
                      int32_t len, const struct coord_acl_list *acl,
                      int flags, int64_t ttl, char **path_out,
                      struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.path = path_out;
    w.st = st;
    return finish_wait(&w, coord_create2(c, path, data, len, acl, flags, ttl,
                                         create_cb, &w));
}

int coord_delete_sync(struct coord *c, const char *path, int32_t version)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_delete(c, path, version, void_cb, &w));
}

int coord_exists_sync(struct coord *c, const char *path, coord_watch_fn wf,
                      void *wctx, struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.st = st;
    return finish_wait(&w, coord_exists(c, path, wf, wctx, stat_cb, &w));
}

int coord_get_sync(struct coord *c, const char *path, coord_watch_fn wf,
                   void *wctx, char **data, int32_t *len,
                   struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.data = data;
    w.len = len;
    w.st = st;
    return finish_wait(&w, coord_get(c, path, wf, wctx, data_cb, &w));
}

int coord_get_config_sync(struct coord *c, coord_watch_fn wf, void *wctx,
                          char **data, int32_t *len, struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.data = data;
    w.len = len;
    w.st = st;
    return finish_wait(&w, coord_get_config(c, wf, wctx, data_cb, &w));
}

int coord_reconfig_sync(struct coord *c, const char *joining,
                        const char *leaving, const char *new_members,
                        int64_t from_config, char **data, int32_t *len,
                        struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.data = data;
    w.len = len;
    w.st = st;
    return finish_wait(&w, coord_reconfig(c, joining, leaving, new_members,
                                          from_config, data_cb, &w));
}

int coord_set_sync(struct coord *c, const char *path, const void *data,
                   int32_t len, int32_t version, struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.st = st;
    return finish_wait(&w, coord_set(c, path, data, len, version, stat_cb, &w));
}

int coord_acl_get_sync(struct coord *c, const char *path,
                       struct coord_acl_list **acl, struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.acl = acl;
    w.st = st;
    return finish_wait(&w, coord_acl_get(c, path, acl_cb, &w));
}

int coord_acl_set_sync(struct coord *c, const char *path, int32_t version,
                       const struct coord_acl_list *acl,
                       struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.st = st;
    return finish_wait(&w, coord_acl_set(c, path, version, acl, stat_cb, &w));
}

int coord_get_children_sync(struct coord *c, const char *path,
                            coord_watch_fn wf, void *wctx,
                            struct coord_strings **names,
                            struct coord_stat *st)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.strs = names;
    w.st = st;
    return finish_wait(&w, coord_get_children(c, path, wf, wctx, strings_cb,
                                              &w));
}

int coord_sync_sync(struct coord *c, const char *path)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_sync(c, path, string_cb, &w));
}

int coord_add_watch_sync(struct coord *c, const char *path, int mode,
                         coord_watch_fn wf, void *wctx)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_add_watch(c, path, mode, wf, wctx, void_cb,
                                           &w));
}

int coord_remove_watches_sync(struct coord *c, const char *path, int type)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_remove_watches(c, path, type, void_cb, &w));
}

int coord_check_watches_sync(struct coord *c, const char *path, int type)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_check_watches(c, path, type, void_cb, &w));
}

int coord_get_ephemerals_sync(struct coord *c, const char *prefix,
                              struct coord_strings **paths)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.strs = paths;
    return finish_wait(&w, coord_get_ephemerals(c, prefix, strings_cb, &w));
}

int coord_get_all_children_number_sync(struct coord *c, const char *path,
                                       int32_t *n)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.n = n;
    return finish_wait(&w, coord_get_all_children_number(c, path, int_cb, &w));
}

int coord_whoami_sync(struct coord *c, struct coord_client_info **ids,
                      int32_t *n)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    w.ids = ids;
    w.n = n;
    return finish_wait(&w, coord_whoami(c, whoami_cb, &w));
}

int coord_add_auth_sync(struct coord *c, const char *scheme, const void *auth,
                        int32_t len)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_add_auth(c, scheme, auth, len, void_cb, &w));
}

int coord_multi_sync(struct coord *c, struct coord_txn *t)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_multi(c, t, void_cb, &w));
}

int coord_multi_read_sync(struct coord *c, struct coord_txn *t)
{
    struct waiter w;
    int rc = begin(c, &w);
    if (rc)
        return rc;
    return finish_wait(&w, coord_multi_read(c, t, void_cb, &w));
}
