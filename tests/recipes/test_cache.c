/* Group membership, service discovery, node cache and tree cache. */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/check.h"
#include "tests/recipes/recipes.h"

static int calls;
static void changed(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
}

/* Polls until the cached value of path under nc/tc reads `want` (NULL:
 * absent). */
static bool node_reads(struct coord_node_cache *nc, const char *want)
{
    for (int i = 0; i < 200; i++, sleep_ms(10)) {
        char *d = NULL;
        int rc = coord_node_cache_get(nc, &d, NULL, NULL);
        bool ok = want ? rc == 0 && d && strcmp(d, want) == 0
                       : rc == COORD_ENONODE;
        free(d);
        if (ok)
            return true;
    }
    return false;
}

static bool tree_reads(struct coord_tree_cache *tc, const char *path,
                       const char *want)
{
    for (int i = 0; i < 200; i++, sleep_ms(10)) {
        char *d = NULL;
        int rc = coord_tree_cache_get(tc, path, &d, NULL);
        bool ok = want ? rc == 0 && d && strcmp(d, want) == 0
                       : rc == COORD_ENONODE;
        free(d);
        if (ok)
            return true;
    }
    return false;
}

static int ensure_service_dir(struct coord *c)
{
    int rc = coord_create_sync(c, "/svc", NULL, -1, NULL, 0, 0, NULL, NULL);
    if (rc == 0 || rc == COORD_ENODEEXISTS)
        rc = coord_create_sync(c, "/svc/web", NULL, -1, NULL, 0, 0, NULL, NULL);
    return rc == COORD_ENODEEXISTS ? 0 : rc;
}

/* Members appear while joined and disappear on leave or session end. */
static void group_tracks_members(void)
{
    struct coord *a = rclient(4000), *b = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct coord_member *ma, *mb;
    CHECK_EQ_INT(coord_group_join(a, "/grp/g", "alice", &ma), 0);
    CHECK_EQ_INT(coord_group_join(b, "/grp/g", "bob", &mb), 0);
    struct coord_strings *ids = NULL;
    CHECK_EQ_INT(coord_group_members(a, "/grp/g", &ids), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CHECK_EQ_INT(ids->count, 2);
    coord_recipes_strings_free(ids);
    CHECK_EQ_INT(coord_group_leave(ma), 0);
    expire_session(b);
    ids = NULL;
    CHECK_EQ_INT(coord_group_members(a, "/grp/g", &ids), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CHECK_EQ_INT(ids->count, 0);
    coord_recipes_strings_free(ids);
    coord_group_leave(mb);
    coord_free(a);
    coord_free(b);
}

/* Instances register with a JSON payload; a tree cache on the service
 * sees them come, change and go. */
static void discovery_registers_and_watches(void)
{
    struct coord *a = rclient(4000), *w = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CHECK_EQ_INT(ensure_service_dir(w), 0);
    struct coord_tree_cache *tc;
    CHECK_EQ_INT(coord_tree_cache_new(w, "/svc/web", changed, NULL, &tc), 0);
    struct coord_service *s;
    CHECK_EQ_INT(coord_service_register(a, "/svc", "web", "i1",
                                        "{\"port\":80}", &s), 0);
    CU_ASSERT(tree_reads(tc, "/svc/web/i1", "{\"port\":80}"));
    CHECK_EQ_INT(coord_service_update(s, "{\"port\":81}"), 0);
    CU_ASSERT(tree_reads(tc, "/svc/web/i1", "{\"port\":81}"));
    struct coord_strings *ids = NULL;
    CHECK_EQ_INT(coord_service_instances(w, "/svc", "web", &ids), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CHECK_EQ_INT(ids->count, 1);
    coord_recipes_strings_free(ids);
    char *json = NULL;
    CHECK_EQ_INT(coord_service_payload(w, "/svc", "web", "i1", &json), 0);
    CHECK_EQ_STR(json, "{\"port\":81}");
    free(json);
    CHECK_EQ_INT(coord_service_unregister(s), 0);
    CU_ASSERT(tree_reads(tc, "/svc/web/i1", NULL));
    CHECK_EQ_INT(coord_service_register(a, "/svc", "web", "i2", "{}", &s), 0);
    CU_ASSERT(tree_reads(tc, "/svc/web/i2", "{}"));
    expire_session(a); /* the instance leaves with its session */
    CU_ASSERT(tree_reads(tc, "/svc/web/i2", NULL));
    CHECK_EQ_INT(coord_service_unregister(s), 0);
    coord_free(a);
    coord_tree_cache_free(tc);
    coord_free(w);
}

/* The node cache follows create, change and delete. */
static void node_cache_follows_the_node(void)
{
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    calls = 0;
    struct coord_node_cache *nc;
    CHECK_EQ_INT(coord_node_cache_new(c, "/nc", changed, NULL, &nc), 0);
    CU_ASSERT(node_reads(nc, NULL));
    CHECK_EQ_INT(coord_create_sync(c, "/nc", "1", 1, NULL, 0, 0, NULL, NULL),
                 0);
    CU_ASSERT(node_reads(nc, "1"));
    CHECK_EQ_INT(coord_set_sync(c, "/nc", "2", 1, -1, NULL), 0);
    CU_ASSERT(node_reads(nc, "2"));
    CHECK_EQ_INT(coord_delete_sync(c, "/nc", -1), 0);
    CU_ASSERT(node_reads(nc, NULL));
    CHECK_TRUE(__atomic_load_n(&calls, __ATOMIC_SEQ_CST) >= 3);
    coord_node_cache_free(nc);
    coord_free(c);
}

/* The tree cache follows a subtree, children included. */
static void tree_cache_follows_the_subtree(void)
{
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT(coord_create_sync(c, "/tc", "r", 1, NULL, 0, 0, NULL, NULL),
                 0);
    struct coord_tree_cache *tc;
    CHECK_EQ_INT(coord_tree_cache_new(c, "/tc", NULL, NULL, &tc), 0);
    CHECK_EQ_INT(coord_create_sync(c, "/tc/a", "A", 1, NULL, 0, 0, NULL, NULL),
                 0);
    CHECK_EQ_INT(coord_create_sync(c, "/tc/a/b", "B", 1, NULL, 0, 0, NULL,
                                   NULL), 0);
    CU_ASSERT(tree_reads(tc, "/tc/a/b", "B"));
    struct coord_strings *names = NULL;
    CHECK_EQ_INT(coord_tree_cache_children(tc, "/tc", &names), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(names);
    CHECK_EQ_INT(names->count, 1);
    if (names->count == 1)
        CHECK_EQ_STR(names->data[0], "a");
    coord_recipes_strings_free(names);
    CHECK_EQ_INT(coord_delete_sync(c, "/tc/a/b", -1), 0);
    CU_ASSERT(tree_reads(tc, "/tc/a/b", NULL));
    CU_ASSERT(tree_reads(tc, "/tc", "r"));
    coord_tree_cache_free(tc);
    coord_free(c);
}

CU_TestInfo cache_tests[] = {
    {"group tracks members", group_tracks_members},
    {"discovery registers and watches", discovery_registers_and_watches},
    {"node cache follows the node", node_cache_follows_the_node},
    {"tree cache follows the subtree", tree_cache_follows_the_subtree},
    CU_TEST_INFO_NULL,
};
