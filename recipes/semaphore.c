/* Semaphore with N leases in kazoo's Semaphore layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipes/internal.h"

struct coord_semaphore {
    struct coord *c;
    struct sig *s;
    int max;
    bool checked, held;
    char *path, *node, *lock_path, *id;
};

int coord_semaphore_new(struct coord *c, const char *path, const char *id,
                        int max_leases, struct coord_semaphore **out)
{
    if (path == NULL || path[0] != '/' || max_leases < 1 || out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_semaphore *s = calloc(1, sizeof *s);
    if (s == NULL)
        return COORD_ENOMEM;
    char hex[33];
    random_hex(hex);
    s->c = c;
    s->max = max_leases;
    s->s = sig_new();
    s->path = strdup(path);
    s->node = path_join(path, hex);
    s->id = strdup(id ? id : "");
    s->lock_path = malloc(strlen(path) + sizeof "-__lock__");
    if (!s->s || !s->path || !s->node || !s->id || !s->lock_path) {
        coord_semaphore_free(s);
        return COORD_ENOMEM;
    }
    strcpy(s->lock_path, path);
    strcat(s->lock_path, "-__lock__");
    *out = s;
    return 0;
}

/* Makes path holding max, or checks the max an existing one holds. */
static int check_max(struct coord_semaphore *s)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", s->max);
    int rc = ensure_parent(s->c, s->path);
    if (rc == 0)
        rc = coord_create_sync(s->c, s->path, buf, n, NULL, COORD_PERSISTENT,
                               0, NULL, NULL);
    if (rc != COORD_ENODEEXISTS)
        return rc;
    char *data = NULL;
    if ((rc = coord_get_sync(s->c, s->path, NULL, NULL, &data, NULL, NULL)))
        return rc;
    char *end = NULL;
    long v = data ? strtol(data, &end, 10) : 0;
    /* Non-numeric data is someone else's business, as in kazoo. */
    if (data && end != data && *end == '\0' && v != s->max)
        rc = COORD_EINVAL;
    free(data);
    return rc;
}

int coord_semaphore_acquire(struct coord_semaphore *s, int timeout_ms)
{
    int64_t deadline = deadline_after(timeout_ms);
    int rc;
    if (!s->checked) {
        if ((rc = check_max(s)) != 0)
            return rc;
        s->checked = true;
    }
    if (coord_exists_sync(s->c, s->node, NULL, NULL, NULL) == 0) {
        s->held = true;
        return 0;
    }
    struct coord_lock *l;
    if ((rc = coord_lock_new(s->c, s->lock_path, s->id, &l)) != 0)
        return rc;
    rc = coord_lock_acquire(l, timeout_ms);
    while (rc == 0) {
        pthread_mutex_lock(&s->s->mu);
        unsigned gen = s->s->gen;
        pthread_mutex_unlock(&s->s->mu);
        struct coord_strings *names = NULL;
        if ((rc = watch_children(s->c, s->path, s->s, &names)) != 0)
            break;
        int32_t n = names->count;
        free(names);
        if (n < s->max) {
            rc = coord_create_sync(s->c, s->node, s->id,
                                   (int32_t)strlen(s->id), NULL,
                                   COORD_EPHEMERAL, 0, NULL, NULL);
            if (rc == 0 || rc == COORD_ENODEEXISTS) {
                rc = 0;
                s->held = true;
                break;
            }
            if (!is_retryable(rc) || (rc = wait_connected(s->c, deadline)))
                break;
            continue;
        }
        if (timeout_ms == 0) {
            rc = COORD_EAGAIN;
            break;
        }
        pthread_mutex_lock(&s->s->mu);
        rc = sig_wait(s->s, s->c, gen, deadline);
        pthread_mutex_unlock(&s->s->mu);
    }
    coord_lock_free(l);
    return rc;
}

int coord_semaphore_release(struct coord_semaphore *s)
{
    if (!s->held)
        return COORD_EINVAL;
    s->held = false;
    int rc = coord_delete_sync(s->c, s->node, -1);
    return rc == COORD_ENONODE ? 0 : rc;
}

int coord_semaphore_holders(struct coord *c, const char *path,
                            struct coord_strings **ids)
{
    struct coord_strings *names = NULL;
    int rc = coord_get_children_sync(c, path, NULL, NULL, &names, NULL);
    if (rc)
        return rc;
    rc = children_data(c, path, names->data, (size_t)names->count, ids);
    free(names);
    return rc;
}

void coord_semaphore_free(struct coord_semaphore *s)
{
    if (s == NULL)
        return;
    if (s->held && final_code(s->c) == 0)
        coord_semaphore_release(s);
    sig_drop(s->s);
    free(s->path);
    free(s->node);
    free(s->lock_path);
    free(s->id);
    free(s);
}
