/* Example: a shared counter, added to and compared-and-set. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    int64_t v = 0;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    int rc = coord_counter_add(c, "/app/hits", 1, &v);
    if (rc == 0)
        printf("hits: %lld\n", (long long)v);
    if (rc == 0 && coord_counter_cas(c, "/app/hits", v, 0) == COORD_EBADVERSION)
        puts("someone counted meanwhile");
    coord_free(c);
    return rc == 0 ? 0 : 1;
}
