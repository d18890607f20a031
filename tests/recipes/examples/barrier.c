/* Example: a barrier, then a double barrier for three workers. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    struct coord_dbarrier *b;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    /* Whoever removes /app/gate lets every waiter through. */
    int rc = coord_barrier_wait(c, "/app/gate", 10000);
    if (rc == 0 && (rc = coord_dbarrier_new(c, "/app/round", 3, "w1", &b)) == 0) {
        if ((rc = coord_dbarrier_enter(b, 30000)) == 0) {
            puts("all three are here: working");
            rc = coord_dbarrier_leave(b, 30000);
        }
        coord_dbarrier_free(b);
    }
    coord_free(c);
    return rc == 0 ? 0 : 1;
}
