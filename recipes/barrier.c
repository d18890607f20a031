/* Barrier and double barrier in kazoo's layout. */
#include <stdlib.h>
#include <string.h>

#include "recipes/internal.h"

int coord_barrier_create(struct coord *c, const char *path)
{
    return ensure_path(c, path);
}

int coord_barrier_remove(struct coord *c, const char *path)
{
    return coord_delete_sync(c, path, -1);
}

/* An exists watch: held by the server whether or not the node exists. */
static int watch_exists(struct coord *c, const char *path, struct sig *s)
{
    sig_hold(s);
    int rc = coord_exists_sync(c, path, sig_wake, s, NULL);
    if (rc != 0 && rc != COORD_ENONODE)
        sig_drop(s);
    return rc;
}

/* Waits for s->gen to leave gen (or the deadline / session end). */
static int await(struct sig *s, struct coord *c, unsigned gen,
                 int64_t deadline)
{
    pthread_mutex_lock(&s->mu);
    int rc = sig_wait(s, c, gen, deadline);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static unsigned gen_of(struct sig *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned g = s->gen;
    pthread_mutex_unlock(&s->mu);
    return g;
}

int coord_barrier_wait(struct coord *c, const char *path, int timeout_ms)
{
    struct sig *s = sig_new();
    if (s == NULL)
        return COORD_ENOMEM;
    int64_t deadline = deadline_after(timeout_ms);
    int rc;
    for (;;) {
        unsigned gen = gen_of(s);
        rc = watch_exists(c, path, s);
        if (rc == COORD_ENONODE) {
            rc = 0;
            break;
        }
        if (rc == 0)
            rc = timeout_ms == 0 ? COORD_EAGAIN : await(s, c, gen, deadline);
        else if (is_retryable(rc))
            rc = wait_connected(c, deadline);
        if (rc)
            break;
    }
    sig_drop(s);
    return rc;
}

struct coord_dbarrier {
    struct coord *c;
    struct sig *s;
    int count;
    char *path, *ready, *node, *name, *id;
};

int coord_dbarrier_new(struct coord *c, const char *path, int count,
                       const char *id, struct coord_dbarrier **out)
{
    if (path == NULL || path[0] != '/' || count < 1 || out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_dbarrier *b = calloc(1, sizeof *b);
    if (b == NULL)
        return COORD_ENOMEM;
    char hex[33];
    random_hex(hex);
    b->c = c;
    b->count = count;
    b->s = sig_new();
    b->path = strdup(path);
    b->ready = path_join(path, "ready");
    b->node = path_join(path, hex);
    b->name = strdup(hex);
    b->id = strdup(id ? id : "");
    if (!b->s || !b->path || !b->ready || !b->node || !b->name || !b->id) {
        coord_dbarrier_free(b);
        return COORD_ENOMEM;
    }
    *out = b;
    return 0;
}

int coord_dbarrier_enter(struct coord_dbarrier *b, int timeout_ms)
{
    int64_t deadline = deadline_after(timeout_ms);
    int rc = ensure_path(b->c, b->path);
    if (rc)
        return rc;
    rc = coord_create_sync(b->c, b->node, b->id, (int32_t)strlen(b->id), NULL,
                           COORD_EPHEMERAL, 0, NULL, NULL);
    if (rc && rc != COORD_ENODEEXISTS)
        return rc;
    for (;;) {
        unsigned gen = gen_of(b->s);
        rc = watch_exists(b->c, b->ready, b->s);
        if (rc == 0)
            return 0;
        if (rc != COORD_ENONODE)
            return rc;
        struct coord_strings *names = NULL;
        rc = coord_get_children_sync(b->c, b->path, NULL, NULL, &names, NULL);
        if (rc)
            return rc;
        int n = 0;
        for (int32_t i = 0; i < names->count; i++)
            n += strcmp(names->data[i], "ready") != 0;
        free(names);
        if (n >= b->count) {
            rc = coord_create_sync(b->c, b->ready, NULL, -1, NULL,
                                   COORD_PERSISTENT, 0, NULL, NULL);
            return rc == COORD_ENODEEXISTS ? 0 : rc;
        }
        if (timeout_ms == 0)
            return COORD_EAGAIN;
        if ((rc = await(b->s, b->c, gen, deadline)) != 0)
            return rc;
    }
}

int coord_dbarrier_leave(struct coord_dbarrier *b, int timeout_ms)
{
    int64_t deadline = deadline_after(timeout_ms);
    int rc = coord_delete_sync(b->c, b->ready, -1);
    if (rc && rc != COORD_ENONODE)
        return rc;
    for (;;) {
        unsigned gen = gen_of(b->s);
        struct coord_strings *names = NULL;
        rc = coord_get_children_sync(b->c, b->path, NULL, NULL, &names, NULL);
        if (rc)
            return rc;
        /* Participants only, sorted: the lowest leaves last. */
        int32_t n = 0;
        for (int32_t i = 0; i < names->count; i++)
            if (strcmp(names->data[i], "ready") != 0)
                names->data[n++] = names->data[i];
        qsort(names->data, (size_t)n, sizeof(char *), cmp_str);
        bool mine_only = n == 1 && strcmp(names->data[0], b->name) == 0;
        bool lowest = n > 0 && strcmp(names->data[0], b->name) == 0;
        char *other = n == 0 ? NULL
                      : path_join(b->path, lowest ? names->data[n - 1]
                                                  : names->data[0]);
        free(names);
        if (n == 0)
            return 0;
        if (mine_only) {
            free(other);
            rc = coord_delete_sync(b->c, b->node, -1);
            return rc == COORD_ENONODE ? 0 : rc;
        }
        if (!lowest) {
            rc = coord_delete_sync(b->c, b->node, -1);
            if (rc && rc != COORD_ENONODE) {
                free(other);
                return rc;
            }
        }
        rc = other ? watch_exists(b->c, other, b->s) : COORD_ENOMEM;
        free(other);
        if (rc == COORD_ENONODE)
            continue;
        if (rc)
            return rc;
        if (timeout_ms == 0)
            return COORD_EAGAIN;
        if ((rc = await(b->s, b->c, gen, deadline)) != 0)
            return rc;
    }
}

void coord_dbarrier_free(struct coord_dbarrier *b)
{
    if (b == NULL)
        return;
    if (b->node && final_code(b->c) == 0)
        coord_delete_sync(b->c, b->node, -1);
    sig_drop(b->s);
    free(b->path);
    free(b->ready);
    free(b->node);
    free(b->name);
    free(b->id);
    free(b);
}
