/* Watches: registration, triggering (wire spec 8.3), 8.6 and 8.7. */
#include "tests/tree/helpers.h"

#include <string.h>

#define W1 1
#define W2 2

static void expect_ev(int i, uint64_t watcher, int32_t type, const char *path)
{
    CHECK_TRUE(i < nev);
    if (i >= nev)
        return;
    CHECK_EQ_INT(evs[i].watcher, watcher);
    CHECK_EQ_INT(evs[i].type, type);
    CHECK_EQ_STR(evs[i].path, path);
}

static void get_data_and_exists_on_one_node_give_one_event(void)
{
    CHECK_EQ_INT(create("/x", "", 0), 0);
    CHECK_EQ_INT(get_data_w("/x", true, NULL, 0, NULL), 0);
    CHECK_EQ_INT(exists_w("/x", true), 0);
    nev = 0;
    CHECK_EQ_INT(set("/x", "1", -1), 0);
    CHECK_EQ_INT(nev, 1);
    expect_ev(0, W1, COORD_EV_CHANGED, "/x");
    CHECK_EQ_INT(evs[0].zxid, last_zxid_used());
    /* one-shot: a second change is silent */
    CHECK_EQ_INT(set("/x", "2", -1), 0);
    CHECK_EQ_INT(nev, 1);
}

static void delete_fires_one_node_deleted_per_connection(void)
{
    CHECK_EQ_INT(create("/x", "", 0), 0);
    char kids[16];
    CHECK_EQ_INT(get_data_w("/x", true, NULL, 0, NULL), 0);
    CHECK_EQ_INT(children_w("/x", true, kids, sizeof kids), 0);
    CHECK_EQ_INT(children_w("/", true, kids, sizeof kids), 0);
    cur_watcher = W2;
    CHECK_EQ_INT(children_w("/x", true, kids, sizeof kids), 0);
    nev = 0;
    CHECK_EQ_INT(del("/x", -1), 0);
    CHECK_EQ_INT(nev, 3);
    expect_ev(0, W1, COORD_EV_DELETED, "/x");
    expect_ev(1, W2, COORD_EV_DELETED, "/x");
    expect_ev(2, W1, COORD_EV_CHILD, "/");
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 0);
}

static void create_fires_node_created_then_children_changed(void)
{
    char kids[64];
    CHECK_EQ_INT(exists_w("/y", true), COORD_ENONODE);
    CHECK_EQ_INT(children_w("/", true, kids, sizeof kids), 0);
    nev = 0;
    CHECK_EQ_INT(create("/y", "", 0), 0);
    CHECK_EQ_INT(nev, 2);
    expect_ev(0, W1, COORD_EV_CREATED, "/y");
    expect_ev(1, W1, COORD_EV_CHILD, "/");
}

static void get_data_on_a_missing_node_sets_no_watch(void)
{
    CHECK_EQ_INT(get_data_w("/nope", true, NULL, 0, NULL), COORD_ENONODE);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 0);
    CHECK_EQ_INT(create("/nope", "", 0), 0);
    CHECK_EQ_INT(nev, 0);
}

static void recursive_watch_sees_descendants_but_never_children_changed(void)
{
    CHECK_EQ_INT(add_watch("/r", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    CHECK_EQ_INT(create("/r", "", 0), 0);
    CHECK_EQ_INT(create("/r/a", "", 0), 0);
    CHECK_EQ_INT(create("/r/a/b", "", 0), 0);
    CHECK_EQ_INT(set("/r/a/b", "x", -1), 0);
    CHECK_EQ_INT(del("/r/a/b", -1), 0);
    CHECK_EQ_INT(create("/other", "", 0), 0);
    CHECK_EQ_INT(nev, 5);
    expect_ev(0, W1, COORD_EV_CREATED, "/r");
    expect_ev(1, W1, COORD_EV_CREATED, "/r/a");
    expect_ev(2, W1, COORD_EV_CREATED, "/r/a/b");
    expect_ev(3, W1, COORD_EV_CHANGED, "/r/a/b");
    expect_ev(4, W1, COORD_EV_DELETED, "/r/a/b");
}

static void recursive_watch_on_root_sees_everything(void)
{
    CHECK_EQ_INT(add_watch("/", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    CHECK_EQ_INT(create("/a", "", 0), 0);
    CHECK_EQ_INT(exists_w("/a", true), 0); /* standard too: still one event */
    CHECK_EQ_INT(set("/a", "", -1), 0);
    CHECK_EQ_INT(nev, 2);
    expect_ev(0, W1, COORD_EV_CREATED, "/a");
    expect_ev(1, W1, COORD_EV_CHANGED, "/a");
}

static void persistent_watch_sees_its_node_and_children_only(void)
{
    CHECK_EQ_INT(add_watch("/p", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(create("/p", "", 0), 0);
    CHECK_EQ_INT(create("/p/a", "", 0), 0);
    CHECK_EQ_INT(create("/p/a/b", "", 0), 0);
    CHECK_EQ_INT(set("/p", "1", -1), 0);
    CHECK_EQ_INT(set("/p", "2", -1), 0);
    CHECK_EQ_INT(del("/p/a/b", -1), 0);
    CHECK_EQ_INT(del("/p/a", -1), 0);
    CHECK_EQ_INT(del("/p", -1), 0);
    CHECK_EQ_INT(create("/p", "", 0), 0); /* survives deletion */
    CHECK_EQ_INT(nev, 7);
    expect_ev(0, W1, COORD_EV_CREATED, "/p");
    expect_ev(1, W1, COORD_EV_CHILD, "/p");
    expect_ev(2, W1, COORD_EV_CHANGED, "/p");
    expect_ev(3, W1, COORD_EV_CHANGED, "/p");
    expect_ev(4, W1, COORD_EV_CHILD, "/p");
    expect_ev(5, W1, COORD_EV_DELETED, "/p");
    expect_ev(6, W1, COORD_EV_CREATED, "/p");
}

static void one_shot_and_persistent_modes_coexist(void)
{
    CHECK_EQ_INT(create("/c", "", 0), 0);
    CHECK_EQ_INT(add_watch("/c", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(get_data_w("/c", true, NULL, 0, NULL), 0);
    CHECK_EQ_INT(set("/c", "1", -1), 0);
    CHECK_EQ_INT(nev, 1);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/c", COORD_WT_DATA),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/c", COORD_WT_PERSISTENT),
                 0);
    CHECK_EQ_INT(set("/c", "2", -1), 0);
    CHECK_EQ_INT(nev, 2);
}

static void check_and_remove_watches_follow_the_watcher_type_table(void)
{
    char kids[16];
    CHECK_EQ_INT(create("/w", "", 0), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_ANY),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", 0), COORD_EMARSHALLING);
    CHECK_EQ_INT(watches_op(COORD_OP_REMOVEWATCHES, "/w", 6),
                 COORD_EMARSHALLING);
    CHECK_EQ_INT(children_w("/w", true, kids, sizeof kids), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_DATA),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_CHILDREN), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_ANY), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_REMOVEWATCHES, "/w", COORD_WT_CHILDREN),
                 0);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_CHILDREN),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(add_watch("/w", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_PERSISTENT),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w",
                            COORD_WT_PERSISTENT_RECURSIVE), 0);
    CHECK_EQ_INT(add_watch("/w", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_REMOVEWATCHES, "/w", COORD_WT_PERSISTENT),
                 0);
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_PERSISTENT),
                 COORD_ENOWATCHER);
    CHECK_EQ_INT(watches_op(COORD_OP_REMOVEWATCHES, "/w", COORD_WT_ANY), 0);
    CHECK_EQ_INT(watches_op(COORD_OP_REMOVEWATCHES, "/w", COORD_WT_ANY),
                 COORD_ENOWATCHER);
    /* another connection's watch is not ours */
    CHECK_EQ_INT(exists_w("/w", true), 0);
    cur_watcher = W2;
    CHECK_EQ_INT(watches_op(COORD_OP_CHECKWATCHES, "/w", COORD_WT_DATA),
                 COORD_ENOWATCHER);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 1);
    CHECK_EQ_INT(s.watchers, 1);
    CHECK_EQ_INT(s.watch_paths, 1);
    CHECK_EQ_INT(nev, 0);
}

static void add_watch_rejects_an_unknown_mode(void)
{
    CHECK_EQ_INT(add_watch("/z", 2), COORD_EMARSHALLING);
    CHECK_EQ_INT(add_watch("/z", -1), COORD_EMARSHALLING);
}

static void put_paths(struct buf *b, const char *const *p, int n)
{
    struct jute_str s[8];
    for (int i = 0; i < n; i++)
        s[i] = jute_cstr(p[i]);
    coord_put_str_array(b, s, n);
}

/* Wire spec 8.7 table. */
static void set_watches_sends_catch_up_events_or_registers(void)
{
    CHECK_EQ_INT(create("/old", "", 0), 0);          /* zxid 1 */
    CHECK_EQ_INT(create("/new", "", 0), 0);          /* zxid 2 */
    CHECK_EQ_INT(set("/new", "x", -1), 0);           /* zxid 3 */
    CHECK_EQ_INT(create("/par", "", 0), 0);          /* zxid 4 */
    CHECK_EQ_INT(create("/par/kid", "", 0), 0);      /* zxid 5 */
    struct buf b;
    buf_init(&b, 1 << 16);
    jute_put_long(&b, 2); /* relativeZxid */
    const char *data[] = {"/gone", "/new", "/old"};
    const char *exist[] = {"/old", "/absent"};
    const char *child[] = {"/gone", "/par", "/old"};
    put_paths(&b, data, 3);
    put_paths(&b, exist, 2);
    put_paths(&b, child, 3);
    nev = 0;
    CHECK_EQ_INT(read_op(COORD_OP_SETWATCHES, &b, NULL), 0);
    CHECK_EQ_INT(nev, 5);
    expect_ev(0, W1, COORD_EV_DELETED, "/gone");
    expect_ev(1, W1, COORD_EV_CHANGED, "/new");
    expect_ev(2, W1, COORD_EV_CREATED, "/old");
    expect_ev(3, W1, COORD_EV_DELETED, "/gone");
    expect_ev(4, W1, COORD_EV_CHILD, "/par");
    for (int i = 0; i < nev; i++)
        CHECK_EQ_INT(evs[i].zxid, -1);
    /* registered: data /old, exist /absent, child /old */
    nev = 0;
    CHECK_EQ_INT(set("/old", "1", -1), 0);
    CHECK_EQ_INT(create("/absent", "", 0), 0);
    CHECK_EQ_INT(create("/old/k", "", 0), 0);
    CHECK_EQ_INT(set("/new", "y", -1), 0);
    CHECK_EQ_INT(nev, 3);
    expect_ev(0, W1, COORD_EV_CHANGED, "/old");
    expect_ev(1, W1, COORD_EV_CREATED, "/absent");
    expect_ev(2, W1, COORD_EV_CHILD, "/old");
    buf_close(&b);
}

static void set_watches2_restores_persistent_watches(void)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    jute_put_long(&b, 0);
    const char *pers[] = {"/p"};
    const char *rec[] = {"/r"};
    put_paths(&b, NULL, 0);
    put_paths(&b, NULL, 0);
    put_paths(&b, NULL, 0);
    put_paths(&b, pers, 1);
    put_paths(&b, rec, 1);
    CHECK_EQ_INT(read_op(COORD_OP_SETWATCHES2, &b, NULL), 0);
    CHECK_EQ_INT(nev, 0);
    CHECK_EQ_INT(create("/p", "", 0), 0);
    CHECK_EQ_INT(create("/p/a", "", 0), 0);
    CHECK_EQ_INT(create("/r", "", 0), 0);
    CHECK_EQ_INT(create("/r/a", "", 0), 0);
    CHECK_EQ_INT(nev, 4);
    expect_ev(0, W1, COORD_EV_CREATED, "/p");
    expect_ev(1, W1, COORD_EV_CHILD, "/p");
    expect_ev(2, W1, COORD_EV_CREATED, "/r");
    expect_ev(3, W1, COORD_EV_CREATED, "/r/a");
    buf_close(&b);
}

static void count_watch(void *ctx, uint64_t watcher, const char *path,
                        size_t len)
{
    (void)watcher;
    (void)path;
    (void)len;
    (*(int *)ctx)++;
}

static void dropping_a_connection_forgets_its_watches(void)
{
    char kids[16];
    CHECK_EQ_INT(create("/d", "", 0), 0);
    CHECK_EQ_INT(exists_w("/d", true), 0);
    CHECK_EQ_INT(children_w("/d", true, kids, sizeof kids), 0);
    CHECK_EQ_INT(add_watch("/", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    cur_watcher = W2;
    CHECK_EQ_INT(exists_w("/d", true), 0);
    int n = 0;
    tree_watches_foreach(t, count_watch, &n);
    CHECK_EQ_INT(n, 3); /* (W1,/d) (W1,/) (W2,/d) */
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 4);
    CHECK_EQ_INT(s.watch_paths, 2);
    CHECK_EQ_INT(s.watchers, 2);
    tree_watches_drop(t, W1);
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 1);
    CHECK_EQ_INT(s.watchers, 1);
    CHECK_EQ_INT(del("/d", -1), 0);
    CHECK_EQ_INT(nev, 1);
    expect_ev(0, W2, COORD_EV_DELETED, "/d");
}

static void connection_without_a_watcher_id_registers_nothing(void)
{
    cur_watcher = 0;
    CHECK_EQ_INT(exists_w("/n", true), COORD_ENONODE);
    CHECK_EQ_INT(add_watch("/n", COORD_ADDWATCH_PERSISTENT), 0);
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 0);
}

static void multi_fires_events_per_op_in_order_with_its_zxid(void)
{
    char kids[16];
    CHECK_EQ_INT(create("/m", "", 0), 0);
    CHECK_EQ_INT(exists_w("/m/a", true), COORD_ENONODE);
    CHECK_EQ_INT(children_w("/m", true, kids, sizeof kids), 0);
    CHECK_EQ_INT(add_watch("/m", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    struct buf b;
    buf_init(&b, 1 << 16);
    struct coord_multi_header h = {COORD_OP_CREATE, false, -1};
    coord_put_multi_header(&b, &h);
    put_create(&b, "/m/a", "", 0);
    h.type = COORD_OP_SETDATA;
    coord_put_multi_header(&b, &h);
    struct coord_setdata_req sd = {jute_cstr("/m/a"), jute_cstr("v"), -1};
    coord_put_setdata_req(&b, &sd);
    h = (struct coord_multi_header){-1, true, -1};
    coord_put_multi_header(&b, &h);
    nev = 0;
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &b, NULL), 0);
    CHECK_EQ_INT(nev, 3);
    expect_ev(0, W1, COORD_EV_CREATED, "/m/a");
    expect_ev(1, W1, COORD_EV_CHILD, "/m");
    expect_ev(2, W1, COORD_EV_CHANGED, "/m/a");
    for (int i = 0; i < nev; i++)
        CHECK_EQ_INT(evs[i].zxid, last_zxid_used());
    buf_close(&b);
}

static CU_TestInfo tests[] = {
    {"get data and exists on one node give one event",
     get_data_and_exists_on_one_node_give_one_event},
    {"delete fires one node deleted per connection",
     delete_fires_one_node_deleted_per_connection},
    {"create fires node created then children changed",
     create_fires_node_created_then_children_changed},
    {"get data on a missing node sets no watch",
     get_data_on_a_missing_node_sets_no_watch},
    {"recursive watch sees descendants but never children changed",
     recursive_watch_sees_descendants_but_never_children_changed},
    {"recursive watch on root sees everything",
     recursive_watch_on_root_sees_everything},
    {"persistent watch sees its node and children only",
     persistent_watch_sees_its_node_and_children_only},
    {"one shot and persistent modes coexist",
     one_shot_and_persistent_modes_coexist},
    {"check and remove watches follow the watcher type table",
     check_and_remove_watches_follow_the_watcher_type_table},
    {"add watch rejects an unknown mode", add_watch_rejects_an_unknown_mode},
    {"set watches sends catch up events or registers",
     set_watches_sends_catch_up_events_or_registers},
    {"set watches2 restores persistent watches",
     set_watches2_restores_persistent_watches},
    {"dropping a connection forgets its watches",
     dropping_a_connection_forgets_its_watches},
    {"connection without a watcher id registers nothing",
     connection_without_a_watcher_id_registers_nothing},
    {"multi fires events per op in order with its zxid",
     multi_fires_events_per_op_in_order_with_its_zxid},
    CU_TEST_INFO_NULL,
};

CU_TestInfo *test_watch_tests = tests;
