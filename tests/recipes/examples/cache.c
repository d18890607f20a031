/* Example: watch a config node and a service with caches. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void changed(const char *path, void *ctx)
{
    (void)ctx;
    printf("changed under %s\n", path);
}

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    struct coord_node_cache *nc;
    struct coord_tree_cache *tc;
    char *data = NULL;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    if (coord_node_cache_new(c, "/app/config", changed, NULL, &nc) == 0) {
        if (coord_node_cache_get(nc, &data, NULL, NULL) == 0)
            printf("config: %s\n", data ? data : "(null)");
        free(data);
        coord_node_cache_free(nc);
    }
    if (coord_tree_cache_new(c, "/services/web", changed, NULL, &tc) == 0) {
        sleep(1);
        coord_tree_cache_free(tc);
    }
    coord_free(c);
    return 0;
}
