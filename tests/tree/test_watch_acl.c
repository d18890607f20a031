/* Watch delivery filtered by READ (wire spec 8.3 step 3, 10.5). */
#include "tests/tree/helpers.h"

#include <string.h>

#define BOB "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="
#define ALICE "alice:aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ="

/* Watchers: one anonymous, one holding bob's digest, one super. */
#define ANON 2
#define HASBOB 3
#define SUPER 4

static const char *bob_ids[] = {"digest:" BOB};

/* Runs as watcher w with bob's identity (or none), not super. */
static void as(uint64_t w, bool bob)
{
    cur_watcher = w;
    cur_super = false;
    ids_set(bob ? bob_ids : NULL, bob ? 1 : 0);
}

static void as_super(uint64_t w)
{
    as(w, false);
    cur_super = true;
}

/* Creates path readable (and writable...) by bob only. */
static int create_bob(const char *path, const char *data)
{
    struct coord_acl a = acl_of(COORD_PERM_ALL, "digest", BOB);
    return create_op(COORD_OP_CREATE, path, data, 0, -1, &a, 1, NULL);
}

/* How many events were delivered to watcher w, and of which types. */
static int count_for(uint64_t w, int32_t type, const char *path)
{
    int n = 0;
    for (int i = 0; i < nev; i++)
        if (evs[i].watcher == w && evs[i].type == type &&
            strcmp(evs[i].path, path) == 0)
            n++;
    return n;
}

static int total_for(uint64_t w)
{
    int n = 0;
    for (int i = 0; i < nev; i++)
        n += evs[i].watcher == w;
    return n;
}

static uint64_t watches_now(void)
{
    struct tree_stats s;
    tree_get_stats(t, &s);
    return s.watches;
}

static void node_created_reaches_only_watchers_that_may_read_it(void)
{
    as(ANON, false);
    CHECK_EQ_INT(exists_w("/s", true), COORD_ENONODE);
    as(HASBOB, true);
    CHECK_EQ_INT(exists_w("/s", true), COORD_ENONODE);
    as_super(SUPER);
    CHECK_EQ_INT(exists_w("/s", true), COORD_ENONODE);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(create_bob("/s", ""), 0);
    CHECK_EQ_INT(total_for(ANON), 0);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CREATED, "/s"), 1);
    CHECK_EQ_INT(count_for(SUPER, COORD_EV_CREATED, "/s"), 1);
    /* The anonymous one-shot watch is consumed all the same, as ZooKeeper
     * removes a watch before it checks the ACL. */
    CHECK_EQ_INT(watches_now(), 0);
}

static void data_changed_and_deleted_are_dropped_without_read(void)
{
    as(1, true);
    CHECK_EQ_INT(create_bob("/s", ""), 0);
    /* addWatch checks no ACL, so an anonymous watcher can sit on /s */
    as(ANON, false);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(get_data_w("/s", true, NULL, 0, NULL), COORD_ENOAUTH);
    as(HASBOB, true);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(get_data_w("/s", true, NULL, 0, NULL), 0);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(set("/s", "x", -1), 0);
    CHECK_EQ_INT(del("/s", -1), 0);
    CHECK_EQ_INT(total_for(ANON), 0);
    /* the one-shot and the persistent watch of a watcher: one event each */
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CHANGED, "/s"), 1);
    /* NodeDeleted is checked against the ACL /s had before deletion */
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_DELETED, "/s"), 1);
    CHECK_EQ_INT(nev, 2);
}

static void children_changed_is_filtered_on_the_parents_acl(void)
{
    char kids[64];
    as(1, true);
    CHECK_EQ_INT(create_bob("/s", ""), 0);
    CHECK_EQ_INT(create("/open", "", 0), 0);
    as(ANON, false);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(children_w("/open", true, kids, sizeof kids), 0);
    CHECK_EQ_INT(exists_w("/open/c", true), COORD_ENONODE);
    as(HASBOB, true);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    as(1, true);
    nev = 0;
    /* a world-readable child of bob's node: the parent decides */
    CHECK_EQ_INT(create("/s/c", "", 0), 0);
    CHECK_EQ_INT(total_for(ANON), 0);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CHILD, "/s"), 1);
    /* bob's child of a world-readable node: the listing may be told, the
     * creation may not */
    nev = 0;
    CHECK_EQ_INT(create_bob("/open/c", ""), 0);
    CHECK_EQ_INT(nev, 1);
    CHECK_EQ_INT(count_for(ANON, COORD_EV_CHILD, "/open"), 1);
}

static void super_receives_every_event(void)
{
    as(1, true);
    CHECK_EQ_INT(create_bob("/s", ""), 0);
    as_super(SUPER);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    as(SUPER + 1, false);
    const char *sup[] = {"super:"};
    ids_set(sup, 1); /* a super id counts as super */
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(create_bob("/s/c", ""), 0);
    CHECK_EQ_INT(set("/s", "x", -1), 0);
    CHECK_EQ_INT(del("/s/c", -1), 0);
    CHECK_EQ_INT(del("/s", -1), 0);
    CHECK_EQ_INT(count_for(SUPER, COORD_EV_CHILD, "/s"), 2);
    CHECK_EQ_INT(count_for(SUPER, COORD_EV_CHANGED, "/s"), 1);
    CHECK_EQ_INT(count_for(SUPER, COORD_EV_DELETED, "/s"), 1);
    CHECK_EQ_INT(total_for(SUPER), 4);
    CHECK_EQ_INT(count_for(SUPER + 1, COORD_EV_CREATED, "/s/c"), 1);
    CHECK_EQ_INT(count_for(SUPER + 1, COORD_EV_CHANGED, "/s"), 1);
    CHECK_EQ_INT(count_for(SUPER + 1, COORD_EV_DELETED, "/s/c"), 1);
    CHECK_EQ_INT(count_for(SUPER + 1, COORD_EV_DELETED, "/s"), 1);
    CHECK_EQ_INT(total_for(SUPER + 1), 4);
}

static void a_later_registration_with_more_ids_lets_events_through(void)
{
    as(1, true);
    CHECK_EQ_INT(create_bob("/s", ""), 0);
    CHECK_EQ_INT(create("/other", "", 0), 0);
    as(ANON, false);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(set("/s", "1", -1), 0);
    CHECK_EQ_INT(total_for(ANON), 0);
    /* addauth, then any registration (here on another path) refreshes the
     * identities that every watch of this watcher is checked with */
    as(ANON, true);
    CHECK_EQ_INT(exists_w("/other", true), 0);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(set("/s", "2", -1), 0);
    CHECK_EQ_INT(count_for(ANON, COORD_EV_CHANGED, "/s"), 1);
    /* dropping the connection forgets them with the watches */
    tree_watches_drop(t, ANON);
    as(ANON, false);
    CHECK_EQ_INT(add_watch("/s", COORD_ADDWATCH_PERSISTENT), 0);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(set("/s", "3", -1), 0);
    CHECK_EQ_INT(total_for(ANON), 0);
}

static void recursive_watch_is_filtered_per_descendant(void)
{
    as(1, true);
    CHECK_EQ_INT(create("/r", "", 0), 0);
    as(ANON, false);
    CHECK_EQ_INT(add_watch("/r", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    as(HASBOB, true);
    CHECK_EQ_INT(add_watch("/r", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    as(1, true);
    nev = 0;
    CHECK_EQ_INT(create("/r/open", "", 0), 0);
    CHECK_EQ_INT(create_bob("/r/secret", ""), 0);
    CHECK_EQ_INT(create("/r/secret/deep", "", 0), 0); /* world-readable */
    CHECK_EQ_INT(set("/r/secret", "x", -1), 0);
    CHECK_EQ_INT(del("/r/secret/deep", -1), 0);
    CHECK_EQ_INT(del("/r/secret", -1), 0);
    CHECK_EQ_INT(count_for(ANON, COORD_EV_CREATED, "/r/open"), 1);
    CHECK_EQ_INT(count_for(ANON, COORD_EV_CREATED, "/r/secret/deep"), 1);
    CHECK_EQ_INT(count_for(ANON, COORD_EV_DELETED, "/r/secret/deep"), 1);
    CHECK_EQ_INT(total_for(ANON), 3);
    CHECK_EQ_INT(total_for(HASBOB), 6);
}

static void an_acl_change_applies_to_later_events(void)
{
    as(1, true);
    CHECK_EQ_INT(create("/x", "", 0), 0);
    as(ANON, false);
    CHECK_EQ_INT(get_data_w("/x", true, NULL, 0, NULL), 0);
    as(1, true);
    struct coord_acl a = acl_of(COORD_PERM_ALL, "digest", BOB);
    CHECK_EQ_INT(setacl("/x", &a, 1, -1), 0);
    nev = 0;
    CHECK_EQ_INT(set("/x", "1", -1), 0);
    CHECK_EQ_INT(nev, 0);
    CHECK_EQ_INT(watches_now(), 0); /* consumed, silently */
}

static void put_multi_create_delete(struct buf *b, const char *path)
{
    struct coord_acl acl = acl_of(COORD_PERM_ALL, "digest", BOB);
    struct buf acls;
    buf_init(&acls, 1 << 16);
    coord_put_acl_array(&acls, &acl, 1);
    struct coord_multi_header h = {COORD_OP_CREATE, false, -1};
    coord_put_multi_header(b, &h);
    struct coord_create_req req = {
        .path = jute_cstr(path),
        .data = jute_cstr(""),
        .acl = {1, acls.base + 4, acls.len - 4},
        .flags = 0,
        .ttl = -1,
    };
    coord_put_create_req(b, &req, false);
    h.type = COORD_OP_DELETE;
    coord_put_multi_header(b, &h);
    struct coord_delete_req dr = {jute_cstr(path), -1};
    coord_put_delete_req(b, &dr);
    h = (struct coord_multi_header){-1, true, -1};
    coord_put_multi_header(b, &h);
    buf_close(&acls);
}

/* The node is gone when the multi's events fire; its ACL is not. */
static void multi_events_use_the_acl_of_a_node_already_gone(void)
{
    as(ANON, false);
    CHECK_EQ_INT(add_watch("/m", COORD_ADDWATCH_PERSISTENT), 0);
    as(HASBOB, true);
    CHECK_EQ_INT(add_watch("/m", COORD_ADDWATCH_PERSISTENT), 0);
    as(1, true);
    struct buf b;
    buf_init(&b, 1 << 16);
    put_multi_create_delete(&b, "/m");
    nev = 0;
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &b, NULL), 0);
    CHECK_EQ_INT(total_for(ANON), 0);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CREATED, "/m"), 1);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_DELETED, "/m"), 1);
    CHECK_EQ_INT(nev, 2);
    buf_close(&b);
}

static void put_paths(struct buf *b, const char *const *p, int n)
{
    struct jute_str s[8];
    for (int i = 0; i < n; i++)
        s[i] = jute_cstr(p[i]);
    coord_put_str_array(b, s, n);
}

/* Wire spec 8.7 catch-up events go through the same filter. */
static void set_watches_catch_up_events_are_filtered_too(void)
{
    as(1, true);
    CHECK_EQ_INT(create_bob("/s", ""), 0);
    CHECK_EQ_INT(create("/s/c", "", 0), 0);
    struct buf b;
    buf_init(&b, 1 << 16);
    jute_put_long(&b, 0); /* relativeZxid: everything is newer */
    const char *data[] = {"/s", "/gone"};
    const char *exist[] = {"/s"};
    const char *child[] = {"/s"};
    put_paths(&b, data, 2);
    put_paths(&b, exist, 1);
    put_paths(&b, child, 1);
    as(ANON, false);
    nev = 0;
    CHECK_EQ_INT(read_op(COORD_OP_SETWATCHES, &b, NULL), 0);
    CHECK_EQ_INT(nev, 1); /* only NodeDeleted for a node that is gone */
    CHECK_EQ_INT(count_for(ANON, COORD_EV_DELETED, "/gone"), 1);
    as(HASBOB, true);
    nev = 0;
    CHECK_EQ_INT(read_op(COORD_OP_SETWATCHES, &b, NULL), 0);
    CHECK_EQ_INT(nev, 4);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CHANGED, "/s"), 1);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CREATED, "/s"), 1);
    CHECK_EQ_INT(count_for(HASBOB, COORD_EV_CHILD, "/s"), 1);
    buf_close(&b);
}

static CU_TestInfo tests[] = {
    {"node created reaches only watchers that may read it",
     node_created_reaches_only_watchers_that_may_read_it},
    {"data changed and deleted are dropped without read",
     data_changed_and_deleted_are_dropped_without_read},
    {"children changed is filtered on the parents acl",
     children_changed_is_filtered_on_the_parents_acl},
    {"super receives every event", super_receives_every_event},
    {"a later registration with more ids lets events through",
     a_later_registration_with_more_ids_lets_events_through},
    {"recursive watch is filtered per descendant",
     recursive_watch_is_filtered_per_descendant},
    {"an acl change applies to later events",
     an_acl_change_applies_to_later_events},
    {"multi events use the acl of a node already gone",
     multi_events_use_the_acl_of_a_node_already_gone},
    {"set watches catch up events are filtered too",
     set_watches_catch_up_events_are_filtered_too},
    CU_TEST_INFO_NULL,
};

CU_TestInfo *test_watch_acl_tests = tests;
