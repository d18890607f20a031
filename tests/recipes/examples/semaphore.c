/* Example: at most three holders of a lease at a time. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    struct coord_semaphore *s;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    int rc = coord_semaphore_new(c, "/app/slots", "worker-1", 3, &s);
    if (rc == 0 && (rc = coord_semaphore_acquire(s, 10000)) == 0) {
        puts("got a slot");
        rc = coord_semaphore_release(s);
    }
    coord_semaphore_free(s);
    coord_free(c);
    return rc == 0 ? 0 : 1;
}
