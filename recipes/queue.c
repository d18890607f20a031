/* FIFO and priority queue in kazoo's Queue layout (entry-PPP-<seq>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipes/internal.h"

int coord_queue_put(struct coord *c, const char *path, const void *data,
                    int32_t len, int priority)
{
    if (path == NULL || path[0] != '/' || priority < 0 || priority > 999)
        return COORD_EBADARGUMENTS;
    char name[32];
    snprintf(name, sizeof name, "entry-%03d-", priority);
    char *full = path_join(path, name);
    if (full == NULL)
        return COORD_ENOMEM;
    int rc = coord_create_sync(c, full, data, len, NULL,
                               COORD_PERSISTENT_SEQUENTIAL, 0, NULL, NULL);
    if (rc == COORD_ENONODE && (rc = ensure_path(c, path)) == 0)
        rc = coord_create_sync(c, full, data, len, NULL,
                               COORD_PERSISTENT_SEQUENTIAL, 0, NULL, NULL);
    free(full);
    return rc;
}

static int entries(struct coord *c, const char *path, struct sig *s,
                   struct coord_strings **names)
{
    int rc = s ? watch_children(c, path, s, names)
               : coord_get_children_sync(c, path, NULL, NULL, names, NULL);
    if (rc == COORD_ENONODE && (rc = ensure_path(c, path)) == 0)
        rc = s ? watch_children(c, path, s, names)
               : coord_get_children_sync(c, path, NULL, NULL, names, NULL);
    if (rc)
        return rc;
    int32_t n = 0;
    for (int32_t i = 0; i < (*names)->count; i++)
        if (strncmp((*names)->data[i], "entry-", 6) == 0)
            (*names)->data[n++] = (*names)->data[i];
    (*names)->count = n;
    qsort((*names)->data, (size_t)n, sizeof(char *), cmp_str);
    return 0;
}

/* Takes the first item it can delete; COORD_ENONODE if there is none. */
static int take_one(struct coord *c, const char *path,
                    const struct coord_strings *names, char **data,
                    int32_t *len)
{
    for (int32_t i = 0; i < names->count; i++) {
        char *full = path_join(path, names->data[i]);
        if (full == NULL)
            return COORD_ENOMEM;
        char *d = NULL;
        int32_t l = -1;
        int rc = coord_get_sync(c, full, NULL, NULL, &d, &l, NULL);
        if (rc == 0)
            rc = coord_delete_sync(c, full, -1);
        free(full);
        if (rc == 0) {
            if (data)
                *data = d;
            else
                free(d);
            if (len)
                *len = l;
            return 0;
        }
        free(d);
        if (rc != COORD_ENONODE)
            return rc; /* another consumer got it on ENONODE */
    }
    return COORD_ENONODE;
}

int coord_queue_take(struct coord *c, const char *path, int timeout_ms,
                     char **data, int32_t *len)
{
    int64_t deadline = deadline_after(timeout_ms);
    struct sig *s = NULL;
    int rc;
    for (bool watch = false;; watch = !watch) {
        unsigned gen = 0;
        if (s) {
            pthread_mutex_lock(&s->mu);
            gen = s->gen;
            pthread_mutex_unlock(&s->mu);
        }
        struct coord_strings *names = NULL;
        rc = entries(c, path, watch ? s : NULL, &names);
        if (rc)
            break;
        rc = take_one(c, path, names, data, len);
        free(names);
        if (rc != COORD_ENONODE)
            break;
        if (timeout_ms == 0) {
            rc = COORD_EAGAIN;
            break;
        }
        if (!watch) {
            /* Empty: list again with a child watch, then wait on it. */
            if (s == NULL && (s = sig_new()) == NULL) {
                rc = COORD_ENOMEM;
                break;
            }
            continue;
        }
        pthread_mutex_lock(&s->mu);
        rc = sig_wait(s, c, gen, deadline);
        pthread_mutex_unlock(&s->mu);
        if (rc)
            break;
    }
    sig_drop(s);
    return rc;
}

int coord_queue_size(struct coord *c, const char *path, int32_t *n)
{
    struct coord_stat st;
    int rc = coord_exists_sync(c, path, NULL, NULL, &st);
    if (rc == 0 && n)
        *n = st.num_children;
    return rc;
}
