/* Counter: an ASCII integer in a node's data, changed by compare-and-set. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "recipes/internal.h"

int coord_counter_get(struct coord *c, const char *path, int64_t *value,
                      int32_t *version)
{
    char *data = NULL;
    int32_t len = 0;
    struct coord_stat st;
    int rc = coord_get_sync(c, path, NULL, NULL, &data, &len, &st);
    if (rc == COORD_ENONODE) {
        if ((rc = ensure_path(c, path)) != 0)
            return rc;
        rc = coord_get_sync(c, path, NULL, NULL, &data, &len, &st);
    }
    if (rc)
        return rc;
    int64_t v = 0;
    if (data && len > 0) {
        char *end;
        v = strtoll(data, &end, 10);
        if (*end != '\0')
            rc = COORD_EINVAL;
    }
    free(data);
    if (value)
        *value = v;
    if (version)
        *version = st.version;
    return rc;
}

static int change(struct coord *c, const char *path, bool any, int64_t expect,
                  int64_t delta, int64_t *post)
{
    for (;;) {
        int64_t v;
        int32_t version;
        int rc = coord_counter_get(c, path, &v, &version);
        if (rc)
            return rc;
        if (!any && v != expect)
            return COORD_EBADVERSION;
        int64_t nv = any ? v + delta : delta;
        char buf[24];
        int n = snprintf(buf, sizeof buf, "%" PRId64, nv);
        rc = coord_set_sync(c, path, buf, n, version, NULL);
        if (rc == COORD_EBADVERSION)
            continue; /* someone else changed it: read again */
        if (rc == 0 && post)
            *post = nv;
        return rc;
    }
}

int coord_counter_add(struct coord *c, const char *path, int64_t delta,
                      int64_t *post)
{
    return change(c, path, true, 0, delta, post);
}

int coord_counter_cas(struct coord *c, const char *path, int64_t expect,
                      int64_t value)
{
    return change(c, path, false, expect, value, NULL);
}
