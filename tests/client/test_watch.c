/* One-shot and persistent watches, removal and cancellation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

struct log {
    int n;
    int types[16];
    char paths[16][64];
};

static void record(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    struct log *l = ctx;
    if (l->n < 16) {
        l->types[l->n] = type;
        snprintf(l->paths[l->n], sizeof l->paths[0], "%s", path);
    }
    l->n++;
}

static struct coord *conn(void)
{
    struct coord *c = client_new(srv_hosts(&shared_srv, NULL), 6000);
    if (c && !wait_state(c, COORD_CONNECTED, 5000)) {
        coord_free(c);
        return NULL;
    }
    return c;
}

/* A data watch from get fires once, then is gone. */
static void data_watch_fires_once(void)
{
    struct coord *c = conn();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct log l = {0};
    coord_create_sync(c, "/w1", "a", 1, NULL, 0, 0, NULL, NULL);
    CHECK_EQ_INT(coord_get_sync(c, "/w1", record, &l, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(coord_set_sync(c, "/w1", "b", 1, -1, NULL), 0);
    CHECK_EQ_INT(coord_set_sync(c, "/w1", "c", 1, -1, NULL), 0);
    drive(c, NULL, 100);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.types[0], COORD_EV_CHANGED);
    CHECK_EQ_STR(l.paths[0], "/w1");
    coord_free(c);
}

/* exists on a missing node watches for its creation; children watches
 * see children come. */
static void exist_and_child_watches(void)
{
    struct coord *c = conn();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct log e = {0}, k = {0};
    CHECK_EQ_INT(coord_exists_sync(c, "/w2", record, &e, NULL), COORD_ENONODE);
    CHECK_EQ_INT(coord_create_sync(c, "/w2", NULL, -1, NULL, 0, 0, NULL, NULL), 0);
    CHECK_EQ_INT(coord_get_children_sync(c, "/w2", record, &k, NULL, NULL), 0);
    CHECK_EQ_INT(coord_create_sync(c, "/w2/k", NULL, -1, NULL, 0, 0, NULL, NULL), 0);
    drive(c, NULL, 100);
    CHECK_EQ_INT(e.n, 1);
    CHECK_EQ_INT(e.types[0], COORD_EV_CREATED);
    CHECK_EQ_INT(k.n, 1);
    CHECK_EQ_INT(k.types[0], COORD_EV_CHILD);
    CHECK_EQ_STR(k.paths[0], "/w2");
    coord_free(c);
}

/* Persistent watches stay; recursive ones see the whole subtree. */
static void persistent_and_recursive_watches(void)
{
    struct coord *c = conn();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct log p = {0}, r = {0};
    CHECK_EQ_INT(coord_add_watch_sync(c, "/w3", COORD_ADDWATCH_PERSISTENT,
                                      record, &p), 0);
    CHECK_EQ_INT(coord_add_watch_sync(c, "/w3", COORD_ADDWATCH_PERSISTENT_RECURSIVE,
                                      record, &r), 0);
    CHECK_EQ_INT(coord_check_watches_sync(c, "/w3", COORD_WT_ANY), 0);
    coord_create_sync(c, "/w3", NULL, -1, NULL, 0, 0, NULL, NULL);
    coord_set_sync(c, "/w3", "1", 1, -1, NULL);
    coord_create_sync(c, "/w3/a", NULL, -1, NULL, 0, 0, NULL, NULL);
    coord_set_sync(c, "/w3/a", "1", 1, -1, NULL);
    drive(c, NULL, 100);
    /* persistent: created, changed, child; recursive: created, changed,
     * created /w3/a, changed /w3/a (never children events). */
    CHECK_EQ_INT(p.n, 3);
    CHECK_EQ_INT(p.types[2], COORD_EV_CHILD);
    CHECK_EQ_INT(r.n, 4);
    CHECK_EQ_STR(r.paths[3], "/w3/a");
    CHECK_EQ_INT(coord_remove_watches_sync(c, "/w3", COORD_WT_PERSISTENT), 0);
    CHECK_EQ_INT(p.n, 4);
    CHECK_EQ_INT(p.types[3], COORD_EV_PERSISTENT_WATCH_REMOVED);
    coord_set_sync(c, "/w3", "2", 1, -1, NULL);
    drive(c, NULL, 100);
    CHECK_EQ_INT(p.n, 4);
    CHECK_EQ_INT(r.n, 5);
    CHECK_EQ_INT(coord_remove_watches_sync(c, "/w3", COORD_WT_PERSISTENT),
                 COORD_ENOWATCHER);
    coord_free(c);
    /* The recursive watch still held is cancelled by coord_free. */
    CHECK_EQ_INT(r.n, 6);
    CHECK_EQ_INT(r.types[5], COORD_EV_CANCELLED);
}

/* Removing a one-shot data watch tells the watcher. */
static void removed_one_shot_watch_is_told(void)
{
    struct coord *c = conn();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct log l = {0};
    coord_create_sync(c, "/w4", NULL, -1, NULL, 0, 0, NULL, NULL);
    CHECK_EQ_INT(coord_exists_sync(c, "/w4", record, &l, NULL), 0);
    CHECK_EQ_INT(coord_check_watches_sync(c, "/w4", COORD_WT_DATA), 0);
    CHECK_EQ_INT(coord_check_watches_sync(c, "/w4", COORD_WT_CHILDREN),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(coord_remove_watches_sync(c, "/w4", COORD_WT_DATA), 0);
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.types[0], COORD_EV_DATA_WATCH_REMOVED);
    coord_set_sync(c, "/w4", "1", 1, -1, NULL);
    drive(c, NULL, 100);
    CHECK_EQ_INT(l.n, 1);
    coord_free(c);
}

/* Local removal: only the named callback's watch goes, with no request;
 * the other watcher of the same path still fires. */
static void local_removal_leaves_other_watchers(void)
{
    struct coord *c = conn();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct log a = {0}, b = {0};
    coord_create_sync(c, "/w5", "0", 1, NULL, 0, 0, NULL, NULL);
    CHECK_EQ_INT(coord_get_sync(c, "/w5", record, &a, NULL, NULL, NULL), 0);
    CHECK_EQ_INT(coord_exists_sync(c, "/w5", record, &b, NULL), 0);
    CHECK_EQ_INT(coord_remove_watches_local(c, "/w5", COORD_WT_CHILDREN,
                                            NULL, NULL), COORD_ENOWATCHER);
    CHECK_EQ_INT(coord_remove_watches_local(c, "/w5", COORD_WT_DATA, record,
                                            &a), 0);
    CHECK_EQ_INT(a.n, 1); /* told at once, before any round trip */
    CHECK_EQ_INT(a.types[0], COORD_EV_DATA_WATCH_REMOVED);
    CHECK_EQ_STR(a.paths[0], "/w5");
    CHECK_EQ_INT(b.n, 0);
    CHECK_EQ_INT(coord_remove_watches_local(c, "/w5", COORD_WT_DATA, record,
                                            &a), COORD_ENOWATCHER);
    CHECK_EQ_INT(coord_remove_watches_local(c, "/w5", 99, NULL, NULL),
                 COORD_EINVAL);
    CHECK_EQ_INT(coord_remove_watches_local(c, "bad", COORD_WT_ANY, NULL,
                                            NULL), COORD_EBADARGUMENTS);
    CHECK_EQ_INT(coord_set_sync(c, "/w5", "1", 1, -1, NULL), 0);
    drive(c, NULL, 100);
    CHECK_EQ_INT(a.n, 1);
    CHECK_EQ_INT(b.n, 1);
    CHECK_EQ_INT(b.types[0], COORD_EV_CHANGED);
    /* A persistent watch, removed with any callback (w NULL). */
    CHECK_EQ_INT(coord_add_watch_sync(c, "/w5", COORD_ADDWATCH_PERSISTENT,
                                      record, &b), 0);
    CHECK_EQ_INT(coord_remove_watches_local(c, "/w5", COORD_WT_ANY, NULL,
                                            NULL), 0);
    CHECK_EQ_INT(b.n, 2);
    CHECK_EQ_INT(b.types[1], COORD_EV_PERSISTENT_WATCH_REMOVED);
    CHECK_EQ_INT(coord_set_sync(c, "/w5", "2", 1, -1, NULL), 0);
    drive(c, NULL, 100);
    CHECK_EQ_INT(b.n, 2);
    coord_free(c);
}

/* getConfig reads /zookeeper/config outside the chroot and can watch it. */
static void get_config_ignores_chroot(void)
{
    struct coord *plain = conn();
    CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
    char *want = NULL, *got = NULL;
    int32_t wlen = -2, glen = -2;
    struct coord_stat wst, gst;
    CHECK_EQ_INT(coord_get_sync(plain, "/zookeeper/config", NULL, NULL, &want,
                                &wlen, &wst), 0);
    coord_create_sync(plain, "/app", NULL, -1, NULL, 0, 0, NULL, NULL);
    coord_free(plain);

    struct coord *c = client_new(srv_hosts(&shared_srv, "/app"), 6000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FATAL(wait_state(c, COORD_CONNECTED, 5000));
    CHECK_EQ_INT(coord_get_sync(c, "/zookeeper/config", NULL, NULL, NULL,
                                NULL, NULL), COORD_ENONODE);
    struct log l = {0};
    CHECK_EQ_INT(coord_get_config_sync(c, record, &l, &got, &glen, &gst), 0);
    CHECK_EQ_INT(glen, wlen);
    CU_ASSERT(wlen <= 0 || (got && want && memcmp(got, want, (size_t)wlen) == 0));
    CHECK_EQ_INT((int)gst.mzxid, (int)wst.mzxid);
    free(want);
    free(got);
    CHECK_EQ_INT(coord_get_config_sync(c, NULL, NULL, NULL, NULL, NULL), 0);
    coord_free(c); /* the registered watch ends, named by its real path */
    CHECK_EQ_INT(l.n, 1);
    CHECK_EQ_INT(l.types[0], COORD_EV_CANCELLED);
    CHECK_EQ_STR(l.paths[0], "/zookeeper/config");
}

CU_TestInfo watch_tests[] = {
    {"local removal leaves other watchers", local_removal_leaves_other_watchers},
    {"getConfig ignores the chroot", get_config_ignores_chroot},
    {"data watch fires once", data_watch_fires_once},
    {"exist and child watches", exist_and_child_watches},
    {"persistent and recursive watches", persistent_and_recursive_watches},
    {"removed one-shot watch is told", removed_one_shot_watch_is_told},
    CU_TEST_INFO_NULL,
};
