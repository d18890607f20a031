/* Exclusive and read-write locks in kazoo's layout, with fencing tokens. */
#include <stdlib.h>
#include <string.h>

#include "recipes/internal.h"

enum kind { EXCLUSIVE, WRITER, READER };

struct coord_lock {
    struct coord *c;
    struct sig *s; /* s->mu guards every field below that can change */
    enum kind kind;
    char *path;
    char *id;
    char prefix[48]; /* "<32 hex>__lock__": finds our node after a loss */
    bool path_made;
    bool busy; /* a thread is contending */
    bool cancelled;
    pthread_t owner;
    int holds;
    char *node; /* our child's name while contending or holding */
    int64_t token;
};

static const char *node_word(enum kind k)
{
    return k == READER ? "__rlock__" : "__lock__";
}

/* The sequence suffix of a contender's name if it is one for kind k
 * (kazoo: `(?:names)(-?\d{10})$`), else NULL. */
static const char *contender_seq(const char *name, enum kind k)
{
    size_t n = strlen(name);
    if (n < 10)
        return NULL;
    for (size_t i = n - 10; i < n; i++)
        if (name[i] < '0' || name[i] > '9')
            return NULL;
    size_t end = n - 10;
    if (end > 0 && name[end - 1] == '-')
        end--;
    bool lock = end >= 8 && strncmp(name + end - 8, "__lock__", 8) == 0;
    bool rlock = end >= 9 && strncmp(name + end - 9, "__rlock__", 9) == 0;
    if (!(lock || (rlock && k == WRITER)))
        return NULL;
    return name + end;
}

static int make(struct coord *c, const char *path, const char *id,
                enum kind k, struct coord_lock **out)
{
    if (c == NULL || path == NULL || path[0] != '/' || out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_lock *l = calloc(1, sizeof *l);
    if (l == NULL)
        return COORD_ENOMEM;
    l->c = c;
    l->kind = k;
    l->s = sig_new();
    l->path = strdup(path);
    l->id = strdup(id ? id : "");
    if (l->s == NULL || l->path == NULL || l->id == NULL) {
        sig_drop(l->s);
        free(l->path);
        free(l->id);
        free(l);
        return COORD_ENOMEM;
    }
    char hex[33];
    random_hex(hex);
    strcpy(l->prefix, hex);
    strcat(l->prefix, node_word(k));
    *out = l;
    return 0;
}

int coord_lock_new(struct coord *c, const char *path, const char *id,
                   struct coord_lock **out)
{
    return make(c, path, id, EXCLUSIVE, out);
}

int coord_rwlock_new_read(struct coord *c, const char *path, const char *id,
                          struct coord_lock **out)
{
    return make(c, path, id, READER, out);
}

int coord_rwlock_new_write(struct coord *c, const char *path, const char *id,
                           struct coord_lock **out)
{
    return make(c, path, id, WRITER, out);
}

/* --- the guard: an exists watch on the held node --- */

static void arm_guard(struct coord *c, struct sig *s, const char *path);

static void guard_lost(struct sig *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->guard_path == NULL) { /* released meanwhile */
        pthread_mutex_unlock(&s->mu);
        return;
    }
    bool report = !s->lost;
    s->lost = true;
    s->gen++;
    pthread_cond_broadcast(&s->cv);
    coord_lost_fn fn = report ? s->lost_fn : NULL;
    void *ctx = s->lost_ctx;
    pthread_mutex_unlock(&s->mu);
    if (fn)
        fn(ctx);
}

static bool guarding(struct sig *s, const char *path)
{
    pthread_mutex_lock(&s->mu);
    bool yes = s->guard_path && strcmp(s->guard_path, path) == 0;
    pthread_mutex_unlock(&s->mu);
    return yes;
}

static void guard_watch(struct coord *c, int type, const char *path, void *ctx)
{
    struct sig *s = ctx;
    if (guarding(s, path)) {
        if (type == COORD_EV_DELETED)
            guard_lost(s);
        else if (type == COORD_EV_CANCELLED) {
            if (coord_state(c) != COORD_CLOSED)
                guard_lost(s);
        } else
            arm_guard(c, s, path); /* data changed: keep watching */
    }
    sig_drop(s);
}

struct guard_arm {
    struct sig *s;
    char path[];
};

static void guard_armed(int rc, const struct coord_stat *st, void *ctx)
{
    (void)st;
    struct guard_arm *a = ctx;
    if (rc == COORD_ENONODE) {
        /* The watch is set, but the node is already gone. */
        if (guarding(a->s, a->path))
            guard_lost(a->s);
    } else if (rc != 0) {
        sig_drop(a->s); /* no watch was set */
        if (rc == COORD_ESESSIONEXPIRED && guarding(a->s, a->path))
            guard_lost(a->s);
    }
    free(a);
}

static void arm_guard(struct coord *c, struct sig *s, const char *path)
{
    size_t n = strlen(path) + 1;
    struct guard_arm *a = malloc(sizeof *a + n);
    if (a == NULL)
        return; /* state still reports SUSPENDED/LOST via the handle */
    memcpy(a->path, path, n);
    a->s = s;
    sig_hold(s);
    sig_hold(s); /* one for the watch, one for the completion */
    if (coord_exists(c, path, guard_watch, s, guard_armed, a) != 0) {
        sig_drop(s);
        sig_drop(s);
        free(a);
        return;
    }
    sig_drop(s);
}

/* --- contending --- */

/* Finds our node among names after an ambiguous create. */
static const char *find_ours(const struct coord_lock *l,
                             const struct coord_strings *names)
{
    size_t n = strlen(l->prefix);
    for (int32_t i = 0; i < names->count; i++)
        if (strncmp(names->data[i], l->prefix, n) == 0)
            return names->data[i];
    return NULL;
}

static int create_node(struct coord_lock *l, int64_t deadline)
{
    char *want = path_join(l->path, l->prefix);
    if (want == NULL)
        return COORD_ENOMEM;
    int rc;
    for (bool tried = false;; tried = true) {
        if (tried) {
            /* The create may have landed before the connection went. */
            struct coord_strings *names = NULL;
            rc = coord_get_children_sync(l->c, l->path, NULL, NULL, &names,
                                         NULL);
            if (rc == 0) {
                const char *ours = find_ours(l, names);
                if (ours) {
                    char *full = path_join(l->path, ours);
                    struct coord_stat st;
                    rc = full ? coord_exists_sync(l->c, full, NULL, NULL, &st)
                              : COORD_ENOMEM;
                    free(full);
                    if (rc == 0) {
                        l->node = strdup(ours);
                        l->token = st.czxid;
                        rc = l->node ? 0 : COORD_ENOMEM;
                        break;
                    }
                }
            }
            if (rc && !is_retryable(rc) && rc != COORD_ENONODE)
                break;
            if (rc && (rc = wait_connected(l->c, deadline)) != 0)
                break;
        }
        char *made = NULL;
        struct coord_stat st;
        rc = coord_create_sync(l->c, want, l->id, (int32_t)strlen(l->id), NULL,
                               COORD_EPHEMERAL_SEQUENTIAL, 0, &made, &st);
        if (rc == COORD_ENONODE) {
            rc = ensure_path(l->c, l->path);
            if (rc == 0)
                rc = coord_create_sync(l->c, want, l->id,
                                       (int32_t)strlen(l->id), NULL,
                                       COORD_EPHEMERAL_SEQUENTIAL, 0, &made,
                                       &st);
        }
        if (rc == 0) {
            const char *slash = strrchr(made, '/');
            l->node = strdup(slash ? slash + 1 : made);
            l->token = st.czxid;
            free(made);
            rc = l->node ? 0 : COORD_ENOMEM;
            break;
        }
        if (!is_retryable(rc))
            break;
        if ((rc = wait_connected(l->c, deadline)) != 0)
            break;
    }
    free(want);
    return rc;
}

/* Deletes our node, retrying across connection loss for a short while;
 * the session's end removes it anyway. */
static void delete_node(struct coord_lock *l, const char *node)
{
    char *full = path_join(l->path, node);
    if (full == NULL)
        return;
    int64_t deadline = deadline_after(2 * coord_session_timeout(l->c) + 1000);
    for (;;) {
        int rc = coord_delete_sync(l->c, full, -1);
        if (!is_retryable(rc) || wait_connected(l->c, deadline) != 0)
            break;
    }
    free(full);
}

/* The contender just before ours, or NULL (we hold it). *found tells
 * whether our node is still there. */
static char *predecessor(const struct coord_lock *l,
                         const struct coord_strings *names, bool *found)
{
    const char *mine = NULL;
    *found = false;
    for (int32_t i = 0; i < names->count; i++)
        if (strcmp(names->data[i], l->node) == 0) {
            *found = true;
            mine = contender_seq(names->data[i], WRITER);
        }
    if (mine == NULL)
        return NULL;
    const char *best = NULL, *best_seq = NULL;
    for (int32_t i = 0; i < names->count; i++) {
        const char *seq = contender_seq(names->data[i], l->kind);
        if (seq == NULL || strcmp(seq, mine) >= 0)
            continue;
        if (best_seq == NULL || strcmp(seq, best_seq) > 0) {
            best = names->data[i];
            best_seq = seq;
        }
    }
    return best ? strdup(best) : NULL;
}

static int contend(struct coord_lock *l, int timeout_ms)
{
    int64_t deadline = deadline_after(timeout_ms);
    int rc = 0;
    if (!l->path_made) {
        while ((rc = ensure_path(l->c, l->path)) != 0 && is_retryable(rc))
            if ((rc = wait_connected(l->c, deadline)) != 0)
                return rc;
        if (rc)
            return rc;
        l->path_made = true;
    }
    for (;;) {
        if (l->node == NULL && (rc = create_node(l, deadline)) != 0)
            return rc;
        pthread_mutex_lock(&l->s->mu);
        unsigned gen = l->s->gen;
        bool cancelled = l->cancelled;
        pthread_mutex_unlock(&l->s->mu);
        if (cancelled) {
            rc = COORD_ECLOSED;
            break;
        }
        struct coord_strings *names = NULL;
        rc = coord_get_children_sync(l->c, l->path, NULL, NULL, &names, NULL);
        if (rc) {
            if (is_retryable(rc) && (rc = wait_connected(l->c, deadline)) == 0)
                continue;
            break;
        }
        bool found;
        char *pred = predecessor(l, names, &found);
        free(names);
        if (!found) {
            /* Our node went (deleted by hand): queue again. */
            free(l->node);
            l->node = NULL;
            continue;
        }
        if (pred == NULL)
            return 0;
        if (timeout_ms == 0) {
            free(pred);
            rc = COORD_EAGAIN;
            break;
        }
        char *full = path_join(l->path, pred);
        free(pred);
        rc = full ? watch_get(l->c, full, l->s) : COORD_ENOMEM;
        free(full);
        if (rc == COORD_ENONODE)
            continue; /* gone already: look again */
        if (rc) {
            if (is_retryable(rc) && (rc = wait_connected(l->c, deadline)) == 0)
                continue;
            break;
        }
        pthread_mutex_lock(&l->s->mu);
        while (l->s->gen == gen && !l->cancelled && rc == 0)
            rc = sig_wait(l->s, l->c, gen, deadline);
        pthread_mutex_unlock(&l->s->mu);
        if (rc)
            break;
    }
    if (l->node && final_code(l->c) == 0)
        delete_node(l, l->node);
    free(l->node);
    l->node = NULL;
    l->token = 0;
    return rc;
}

int coord_lock_acquire(struct coord_lock *l, int timeout_ms)
{
    int64_t deadline = deadline_after(timeout_ms);
    pthread_t self = pthread_self();
    pthread_mutex_lock(&l->s->mu);
    if (l->holds > 0 && pthread_equal(l->owner, self)) {
        if (l->s->lost) {
            pthread_mutex_unlock(&l->s->mu);
            return COORD_ESESSIONEXPIRED;
        }
        l->holds++;
        pthread_mutex_unlock(&l->s->mu);
        return 0;
    }
    /* Another thread holds or is acquiring this object: wait our turn. */
    int rc = 0;
    while ((l->holds > 0 || l->busy) && rc == 0 && !l->cancelled) {
        if (timeout_ms == 0)
            rc = COORD_EAGAIN;
        else
            rc = sig_wait(l->s, l->c, l->s->gen, deadline);
    }
    if (rc == 0 && l->cancelled)
        rc = COORD_ECLOSED;
    if (rc) {
        l->cancelled = false;
        pthread_mutex_unlock(&l->s->mu);
        return rc;
    }
    l->busy = true;
    pthread_mutex_unlock(&l->s->mu);

    int left = timeout_ms;
    if (deadline >= 0) {
        int64_t d = deadline - mono_ms();
        left = d > 0 ? (int)d : 0;
    }
    rc = contend(l, left);
    char *guard = rc == 0 ? path_join(l->path, l->node) : NULL;
    if (rc == 0 && guard == NULL) {
        delete_node(l, l->node);
        free(l->node);
        l->node = NULL;
        rc = COORD_ENOMEM;
    }

    pthread_mutex_lock(&l->s->mu);
    l->busy = false;
    l->cancelled = false;
    if (rc == 0) {
        l->owner = self;
        l->holds = 1;
        free(l->s->guard_path);
        l->s->guard_path = guard;
        l->s->lost = false;
    }
    l->s->gen++;
    pthread_cond_broadcast(&l->s->cv);
    pthread_mutex_unlock(&l->s->mu);
    if (rc == 0)
        arm_guard(l->c, l->s, guard);
    return rc;
}

int coord_lock_release(struct coord_lock *l)
{
    pthread_mutex_lock(&l->s->mu);
    if (l->holds == 0 || !pthread_equal(l->owner, pthread_self())) {
        pthread_mutex_unlock(&l->s->mu);
        return COORD_EINVAL;
    }
    if (--l->holds > 0) {
        pthread_mutex_unlock(&l->s->mu);
        return 0;
    }
    free(l->s->guard_path);
    l->s->guard_path = NULL; /* our own delete is not a loss */
    bool lost = l->s->lost;
    char *node = l->node;
    l->node = NULL;
    l->token = 0;
    pthread_mutex_unlock(&l->s->mu);
    if (!lost && final_code(l->c) == 0)
        delete_node(l, node);
    free(node);
    pthread_mutex_lock(&l->s->mu);
    l->s->lost = false;
    l->s->gen++;
    pthread_cond_broadcast(&l->s->cv);
    pthread_mutex_unlock(&l->s->mu);
    return 0;
}

void coord_lock_cancel(struct coord_lock *l)
{
    pthread_mutex_lock(&l->s->mu);
    if (l->busy)
        l->cancelled = true;
    l->s->gen++;
    pthread_cond_broadcast(&l->s->cv);
    pthread_mutex_unlock(&l->s->mu);
}

int coord_lock_state(struct coord_lock *l)
{
    pthread_mutex_lock(&l->s->mu);
    int holds = l->holds;
    bool lost = l->s->lost;
    pthread_mutex_unlock(&l->s->mu);
    if (holds == 0)
        return COORD_LOCK_RELEASED;
    if (lost || final_code(l->c))
        return COORD_LOCK_LOST;
    return coord_state(l->c) == COORD_CONNECTED ? COORD_LOCK_HELD
                                                : COORD_LOCK_SUSPENDED;
}

int64_t coord_lock_token(struct coord_lock *l)
{
    pthread_mutex_lock(&l->s->mu);
    int64_t t = l->holds > 0 && !l->s->lost ? l->token : 0;
    pthread_mutex_unlock(&l->s->mu);
    return t;
}

void coord_lock_on_lost(struct coord_lock *l, coord_lost_fn fn, void *ctx)
{
    pthread_mutex_lock(&l->s->mu);
    l->s->lost_fn = fn;
    l->s->lost_ctx = ctx;
    pthread_mutex_unlock(&l->s->mu);
}

int coord_lock_guard(struct coord_lock *l, struct coord_txn *t)
{
    pthread_mutex_lock(&l->s->mu);
    int rc = COORD_EINVAL;
    if (l->holds > 0 && !l->s->lost && l->s->guard_path)
        rc = coord_txn_check(t, l->s->guard_path, -1);
    pthread_mutex_unlock(&l->s->mu);
    return rc;
}

void coord_lock_free(struct coord_lock *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&l->s->mu);
    l->s->lost_fn = NULL;
    if (l->holds > 0) {
        l->holds = 1;
        l->owner = pthread_self();
    }
    bool held = l->holds > 0;
    pthread_mutex_unlock(&l->s->mu);
    if (held)
        coord_lock_release(l);
    sig_drop(l->s);
    free(l->path);
    free(l->id);
    free(l);
}

static int cmp_seq(const void *a, const void *b)
{
    const char *x = contender_seq(*(char *const *)a, WRITER);
    const char *y = contender_seq(*(char *const *)b, WRITER);
    return strcmp(x, y);
}

int coord_lock_contenders(struct coord *c, const char *path,
                          struct coord_strings **ids)
{
    struct coord_strings *names = NULL;
    int rc = coord_get_children_sync(c, path, NULL, NULL, &names, NULL);
    if (rc)
        return rc;
    char **sorted = calloc((size_t)names->count + 1, sizeof *sorted);
    if (sorted == NULL) {
        free(names);
        return COORD_ENOMEM;
    }
    size_t n = 0;
    for (int32_t i = 0; i < names->count; i++)
        if (contender_seq(names->data[i], WRITER))
            sorted[n++] = names->data[i];
    qsort(sorted, n, sizeof *sorted, cmp_seq);
    rc = children_data(c, path, sorted, n, ids);
    free(sorted);
    free(names);
    return rc;
}

void coord_recipes_strings_free(struct coord_strings *s)
{
    if (s == NULL)
        return;
    for (int32_t i = 0; i < s->count; i++)
        free(s->data[i]);
    free(s->data);
    free(s);
}
