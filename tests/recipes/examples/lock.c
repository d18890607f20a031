/* Example: an exclusive lock guarding a write with its fencing token. */
#include <coord.h>
#include <coord_recipes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    struct coord_options o;
    struct coord *c;
    struct coord_lock *l;
    struct coord_txn *t;
    coord_options_init(&o);
    o.hosts = argc > 1 ? argv[1] : "127.0.0.1:2181";
    if (coord_new(&o, &c) != 0 || coord_start_thread(c) != 0)
        return 1;
    int rc = coord_lock_new(c, "/app/lock", "worker-1", &l);
    if (rc == 0 && (rc = coord_lock_acquire(l, 10000)) == 0) {
        printf("held, token %lld\n", (long long)coord_lock_token(l));
        /* The write applies only while this lock node still exists. */
        coord_txn_new(&t);
        coord_lock_guard(l, t);
        coord_txn_set(t, "/app/data", "x", 1, -1);
        rc = coord_multi_sync(c, t);
        coord_txn_free(t);
        coord_lock_release(l);
    }
    coord_lock_free(l);
    coord_free(c);
    return rc == 0 ? 0 : 1;
}
