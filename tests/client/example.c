/* libcoord in a dozen calls: connect, create, read with a watch, change, close. */
#include <coord.h>
#include <stdio.h>
#include <stdlib.h>

static void on_change(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    (void)ctx;
    printf("event %d on %s\n", type, path);
}

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    char *data = NULL;
    int32_t len;
    int rc;

    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    o.session_timeout_ms = 10000;
    if ((rc = coord_new(&o, &c)) != 0) {
        fprintf(stderr, "coord_new: %s\n", coord_strerror(rc));
        return 1;
    }
    coord_start_thread(c); /* callbacks run on the library's thread */
    rc = coord_create_sync(c, "/example", "hello", 5, NULL, COORD_EPHEMERAL, 0,
                           NULL, NULL);
    if (rc == 0)
        rc = coord_get_sync(c, "/example", on_change, NULL, &data, &len, NULL);
    if (rc == 0) {
        printf("read %.*s\n", (int)len, data);
        rc = coord_set_sync(c, "/example", "bye", 3, -1, NULL);
    }
    if (rc != 0)
        fprintf(stderr, "error: %s\n", coord_strerror(rc));
    free(data);
    coord_free(c); /* closes the session: /example goes away */
    return rc == 0 ? 0 : 1;
}
