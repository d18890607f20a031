/* Group membership (kazoo Party layout) and service discovery. */
#include <stdlib.h>
#include <string.h>

#include "recipes/internal.h"

struct coord_member {
    struct coord *c;
    char *node;
};

static int create_ephemeral(struct coord *c, const char *node,
                            const char *data)
{
    int32_t len = (int32_t)strlen(data);
    int rc = coord_create_sync(c, node, data, len, NULL, COORD_EPHEMERAL, 0,
                               NULL, NULL);
    if (rc == COORD_ENONODE && (rc = ensure_parent(c, node)) == 0)
        rc = coord_create_sync(c, node, data, len, NULL, COORD_EPHEMERAL, 0,
                               NULL, NULL);
    return rc;
}

int coord_group_join(struct coord *c, const char *path, const char *id,
                     struct coord_member **out)
{
    if (path == NULL || path[0] != '/' || out == NULL)
        return COORD_EBADARGUMENTS;
    char name[48];
    random_hex(name);
    strcat(name, "__party__");
    struct coord_member *m = calloc(1, sizeof *m);
    if (m == NULL || (m->node = path_join(path, name)) == NULL) {
        free(m);
        return COORD_ENOMEM;
    }
    m->c = c;
    int rc = create_ephemeral(c, m->node, id ? id : "");
    if (rc && rc != COORD_ENODEEXISTS) {
        free(m->node);
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int coord_group_leave(struct coord_member *m)
{
    if (m == NULL)
        return 0;
    int rc = final_code(m->c) ? 0 : coord_delete_sync(m->c, m->node, -1);
    free(m->node);
    free(m);
    /* Gone either way: deleted, or with the ended session. */
    return rc == COORD_ENONODE || rc == COORD_ESESSIONEXPIRED ? 0 : rc;
}

/* Data of the children of path whose names contain `mark` (or all). */
static int child_data(struct coord *c, const char *path, const char *mark,
                      struct coord_strings **ids)
{
    struct coord_strings *names = NULL;
    int rc = coord_get_children_sync(c, path, NULL, NULL, &names, NULL);
    if (rc)
        return rc;
    char **pick = calloc((size_t)names->count + 1, sizeof *pick);
    if (pick == NULL) {
        free(names);
        return COORD_ENOMEM;
    }
    size_t n = 0;
    for (int32_t i = 0; i < names->count; i++)
        if (mark == NULL || strstr(names->data[i], mark) != NULL)
            pick[n++] = names->data[i];
    rc = children_data(c, path, pick, n, ids);
    free(pick);
    free(names);
    return rc;
}

int coord_group_members(struct coord *c, const char *path,
                        struct coord_strings **ids)
{
    return child_data(c, path, "__party__", ids);
}

struct coord_service {
    struct coord *c;
    char *node;
};

static char *service_path(const char *base, const char *service,
                          const char *id)
{
    char *dir = path_join(base, service);
    char *p = dir && id ? path_join(dir, id) : NULL;
    if (id == NULL)
        return dir;
    free(dir);
    return p;
}

int coord_service_register(struct coord *c, const char *base,
                           const char *service, const char *instance_id,
                           const char *json, struct coord_service **out)
{
    if (base == NULL || base[0] != '/' || service == NULL ||
        instance_id == NULL || out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_service *s = calloc(1, sizeof *s);
    if (s == NULL ||
        (s->node = service_path(base, service, instance_id)) == NULL) {
        free(s);
        return COORD_ENOMEM;
    }
    s->c = c;
    int rc = create_ephemeral(c, s->node, json ? json : "{}");
    if (rc) {
        free(s->node);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int coord_service_update(struct coord_service *s, const char *json)
{
    return coord_set_sync(s->c, s->node, json, (int32_t)strlen(json), -1,
                          NULL);
}

int coord_service_unregister(struct coord_service *s)
{
    if (s == NULL)
        return 0;
    int rc = final_code(s->c) ? 0 : coord_delete_sync(s->c, s->node, -1);
    free(s->node);
    free(s);
    return rc == COORD_ENONODE || rc == COORD_ESESSIONEXPIRED ? 0 : rc;
}

int coord_service_instances(struct coord *c, const char *base,
                            const char *service, struct coord_strings **ids)
{
    char *dir = service_path(base, service, NULL);
    if (dir == NULL)
        return COORD_ENOMEM;
    struct coord_strings *names = NULL;
    int rc = coord_get_children_sync(c, dir, NULL, NULL, &names, NULL);
    free(dir);
    if (rc)
        return rc;
    struct coord_strings *out = calloc(1, sizeof *out);
    if (out == NULL ||
        (out->data = calloc((size_t)names->count + 1, sizeof(char *))) == NULL) {
        free(out);
        free(names);
        return COORD_ENOMEM;
    }
    for (int32_t i = 0; i < names->count; i++)
        if ((out->data[out->count] = strdup(names->data[i])) != NULL)
            out->count++;
    free(names);
    qsort(out->data, (size_t)out->count, sizeof(char *), cmp_str);
    *ids = out;
    return 0;
}

int coord_service_payload(struct coord *c, const char *base,
                          const char *service, const char *instance_id,
                          char **json)
{
    char *p = service_path(base, service, instance_id);
    if (p == NULL)
        return COORD_ENOMEM;
    int rc = coord_get_sync(c, p, NULL, NULL, json, NULL, NULL);
    free(p);
    return rc;
}
