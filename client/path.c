/* Client-side path checks and the chroot prefix on the way out and back. */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "proto/path.h"

int path_to_server(const struct coord *c, const char *path, bool seq,
                   struct buf *b)
{
    if (path == NULL)
        return COORD_EBADARGUMENTS;
    size_t len = strlen(path);
    int rc;
    if (seq && len > 1 && path[len - 1] == '/') {
        /* A sequential create may end in '/': the suffix completes it. */
        char *tmp = malloc(len + 2);
        if (tmp == NULL)
            return COORD_ENOMEM;
        memcpy(tmp, path, len);
        memcpy(tmp + len, "1", 2);
        rc = coord_path_validate(tmp, len + 1);
        free(tmp);
    } else {
        rc = coord_path_validate(path, len);
    }
    if (rc != 0)
        return COORD_EBADARGUMENTS;
    buf_reset(b);
    buf_append(b, c->hl.chroot, c->hl.chroot_len);
    /* "/" under a chroot is the chroot itself. */
    if (!(c->hl.chroot_len > 0 && len == 1))
        buf_append(b, path, len);
    buf_append(b, "", 1);
    return b->err;
}

char *path_to_server_dup(const struct coord *c, const char *path)
{
    struct buf b;
    buf_init(&b, COORD_MAX_FRAME);
    if (path_to_server(c, path, false, &b) != 0) {
        buf_close(&b);
        return NULL;
    }
    size_t n;
    return (char *)buf_take(&b, &n);
}

char *path_from_server(const struct coord *c, const char *p, size_t len)
{
    size_t cl = c->hl.chroot_len;
    bool config = len == strlen(CONFIG_PATH) && memcmp(p, CONFIG_PATH, len) == 0;
    if (cl > 0 && !config) {
        if (len < cl || memcmp(p, c->hl.chroot, cl) != 0 ||
            (len > cl && p[cl] != '/'))
            return NULL;
        p += cl;
        len -= cl;
        if (len == 0)
            return strdup("/");
    }
    char *s = malloc(len + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}
