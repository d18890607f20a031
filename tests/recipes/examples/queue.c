/* Example: a work queue with an urgent item ahead of the rest. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    char *item = NULL;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    coord_queue_put(c, "/app/jobs", "resize", 6, COORD_QUEUE_FIFO);
    coord_queue_put(c, "/app/jobs", "urgent", 6, 0);
    while (coord_queue_take(c, "/app/jobs", 1000, &item, NULL) == 0) {
        printf("job: %s\n", item ? item : "(null)");
        free(item);
    }
    coord_free(c);
    return 0;
}
