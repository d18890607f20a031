/* Example: join a group and register a service instance. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    struct coord_member *m;
    struct coord_service *s;
    struct coord_strings *ids;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    if (coord_group_join(c, "/app/members", "node-1", &m) == 0 &&
        coord_group_members(c, "/app/members", &ids) == 0) {
        for (int i = 0; i < ids->count; i++)
            printf("member %s\n", ids->data[i]);
        coord_recipes_strings_free(ids);
        coord_group_leave(m);
    }
    if (coord_service_register(c, "/services", "web", "node-1",
                               "{\"host\":\"10.0.0.1\",\"port\":80}", &s) == 0)
        coord_service_unregister(s);
    coord_free(c);
    return 0;
}
