/* Example: leader election with callbacks, and a leader latch. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>
#include <unistd.h>

static void gained(struct coord_election *e, int64_t token, void *ctx)
{
    (void)e;
    (void)ctx;
    printf("leading (token %lld)\n", (long long)token);
}

static void lost(struct coord_election *e, int reason, void *ctx)
{
    (void)e;
    (void)ctx;
    printf("no longer leading: %s\n", coord_strerror(reason));
}

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    struct coord_election *e;
    struct coord_latch *l;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    if (coord_election_new(c, "/app/leader", "node-1", gained, lost, NULL,
                           &e) == 0 && coord_election_start(e) == 0)
        sleep(5);
    coord_election_free(e); /* steps down if leading */
    if (coord_latch_new(c, "/app/latch", "node-1", &l) == 0 &&
        coord_latch_start(l) == 0 && coord_latch_await(l, 5000) == 0)
        puts("latch: leading");
    coord_latch_free(l);
    coord_free(c);
    return 0;
}
