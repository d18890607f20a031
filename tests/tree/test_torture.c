/*
 * Allocation-failure torture (STYLE 3.8): each scenario runs once per
 * allocation its operation makes, with that allocation failing (and again
 * with it and every later one failing). After COORD_ENOMEM the tree must be
 * byte-for-byte what it was, with no event sent; after success (a failure
 * in an optional path) exactly what an undisturbed run gives; either way
 * nothing leaks and the tree keeps working.
 */
#include "tests/tree/helpers.h"

#include <stdlib.h>
#include <string.h>

#include "tests/lib/alloc.h"

#define BOB "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="
#define ALICE "alice:aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ="
#define SID1 0x111
#define SID2 0x222
/* Watchers the fixture registers under. */
#define WBOB 7
#define WANON 8
#define WSUPER 9
/* Far above any scenario: reaching it means the loop never ends. */
#define MAX_POINTS 5000

static const char *bob_ids[] = {"digest:" BOB};
static const char *bob_alice_ids[] = {"digest:" BOB, "digest:" ALICE};

/* The check in progress, for failure messages: allocation n fails (and,
 * with `from`, every later one); 0 is the undisturbed run. */
static unsigned long torture_n;
static bool torture_from;
static const char *torture_name;
static int failures;
static unsigned long points; /* allocations failed in all */

/* The request the armed operation sends, built before arming. */
static struct buf body, reply;
static int64_t op_zxid;
/* For the snapshot scenarios. */
static struct buf saved;
static size_t saved_off;

/* --- the fixture every scenario starts from --- */

static int create_acl(const char *path, const struct coord_acl *a, int n,
                      int32_t flags)
{
    return create_op(COORD_OP_CREATE, path, "", flags, -1, a, n, NULL);
}

static void as(uint64_t watcher, const char *const *ids, int n, bool super)
{
    cur_watcher = watcher;
    ids_set(ids, n);
    cur_super = super;
}

static int path_req(int32_t op, const char *path, bool watch)
{
    buf_reset(&body);
    struct coord_path_watch_req req = {jute_cstr(path), watch};
    coord_put_path_watch_req(&body, &req);
    return read_op(op, &body, NULL);
}

/* A few sessions, kinds of node, ACLs and watchers of every mode. */
static void base(bool ttl)
{
    if (ttl)
        tree_setup_ttl();
    else
        tree_setup();
    open_session(SID1);
    open_session(SID2);
    struct coord_acl bob_all = acl_of(COORD_PERM_ALL, "digest", BOB);
    struct coord_acl mixed[] = {acl_of(COORD_PERM_ALL, "digest", BOB),
                                acl_of(COORD_PERM_READ, "world", "anyone")};
    CHECK_EQ_INT(create("/a", "alpha", 0), 0);
    CHECK_EQ_INT(create("/a/b", "", 0), 0);
    CHECK_EQ_INT(create("/a/b/c", "cc", 0), 0);
    CHECK_EQ_INT(create("/open", NULL, 0), 0);
    CHECK_EQ_INT(create_acl("/acl", mixed, 2, 0), 0);
    CHECK_EQ_INT(create_acl("/bob", &bob_all, 1, 0), 0);
    cur_sid = SID1;
    CHECK_EQ_INT(create("/e1", "x", COORD_EPHEMERAL), 0);
    CHECK_EQ_INT(create("/a/e2", "y", COORD_EPHEMERAL), 0);
    cur_sid = TEST_SID;
    CHECK_EQ_INT(create_op(COORD_OP_CREATECONTAINER, "/ctr", "", 0, -1, NULL,
                           0, NULL),
                 0);
    CHECK_EQ_INT(create("/ctr/kid", "", 0), 0);

    as(WBOB, bob_ids, 1, false);
    CHECK_EQ_INT(path_req(COORD_OP_EXISTS, "/a", true), 0);
    CHECK_EQ_INT(path_req(COORD_OP_GETCHILDREN, "/a", true), 0);
    CHECK_EQ_INT(path_req(COORD_OP_GETDATA, "/bob", true), 0);
    CHECK_EQ_INT(add_watch("/acl", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(add_watch("/", COORD_ADDWATCH_PERSISTENT_RECURSIVE), 0);
    as(WANON, NULL, 0, false);
    CHECK_EQ_INT(path_req(COORD_OP_EXISTS, "/missing", true), COORD_ENONODE);
    CHECK_EQ_INT(path_req(COORD_OP_GETDATA, "/e1", true), 0);
    CHECK_EQ_INT(path_req(COORD_OP_GETCHILDREN, "/", true), 0);
    CHECK_EQ_INT(add_watch("/bob", COORD_ADDWATCH_PERSISTENT), 0);
    as(WSUPER, NULL, 0, true);
    CHECK_EQ_INT(add_watch("/a", COORD_ADDWATCH_PERSISTENT), 0);
    CHECK_EQ_INT(path_req(COORD_OP_EXISTS, "/a/b/c", true), 0);
    as(1, NULL, 0, false);
    op_zxid = last_zxid_used() + 1;
    buf_reset(&body);
}

/* --- request builders (run unarmed, in prep) --- */

static void put_create_req(int32_t op, const char *path, const char *data,
                           int32_t flags, int64_t ttl,
                           const struct coord_acl *acl, int32_t nacl)
{
    struct coord_acl open = acl_of(COORD_PERM_ALL, "world", "anyone");
    struct buf acls;
    buf_init(&acls, 1 << 16);
    if (acl == NULL) {
        acl = &open;
        nacl = 1;
    }
    coord_put_acl_array(&acls, acl, nacl);
    struct coord_create_req req = {
        .path = jute_cstr(path),
        .data = jute_cstr(data),
        .acl = {(int32_t)jute_be32(acls.base), acls.base + 4, acls.len - 4},
        .flags = flags,
        .ttl = ttl,
    };
    coord_put_create_req(&body, &req, op == COORD_OP_CREATETTL);
    buf_close(&acls);
}

static void put_mh(int32_t type)
{
    struct coord_multi_header h = {type, type == -1, -1};
    coord_put_multi_header(&body, &h);
}

static void put_setdata(const char *path, const char *data, int32_t version)
{
    struct coord_setdata_req req = {jute_cstr(path), jute_cstr(data),
                                    version};
    coord_put_setdata_req(&body, &req);
}

static void put_delete(const char *path)
{
    struct coord_delete_req req = {jute_cstr(path), -1};
    coord_put_delete_req(&body, &req);
}

static void put_check(const char *path, int32_t version)
{
    struct coord_check_req req = {jute_cstr(path), version};
    coord_put_check_req(&body, &req);
}

static void put_paths(const char *const *p, int n)
{
    struct jute_str s[8];
    for (int i = 0; i < n; i++)
        s[i] = jute_cstr(p[i]);
    coord_put_str_array(&body, s, n);
}

/* --- the armed operations --- */

static int32_t op_type;

static int do_apply(void)
{
    return apply_txn_at(op_zxid, op_type, &body, &reply);
}

static int do_read(void)
{
    return read_op(op_type, &body, &reply);
}

static int snap_out(void *ctx, const void *p, size_t n)
{
    return buf_append(ctx, p, n);
}

static int snap_in(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (saved.len - saved_off < n)
        return COORD_ECORRUPT;
    memcpy(p, saved.base + saved_off, n);
    saved_off += n;
    return 0;
}

static void snap(struct buf *b)
{
    buf_reset(b);
    CHECK_EQ_INT(tree_snapshot_save(t, snap_out, b), 0);
}

static int do_save(void)
{
    buf_reset(&reply);
    return tree_snapshot_save(t, snap_out, &reply);
}

/* Loads the fixture's snapshot into a new tree, which must then save the
 * same bytes. */
static int do_load(void)
{
    alloc_disarm();
    struct tree_config cfg = {0};
    struct tree *t2 = tree_new(&cfg, NULL, NULL);
    CHECK_TRUE(t2 != NULL);
    saved_off = 0;
    /* Arm again for the load alone (the count restarts at 1). */
    if (torture_n) {
        if (torture_from)
            alloc_fail_from(torture_n);
        else
            alloc_fail_nth(torture_n);
    }
    int rc = tree_snapshot_load(t2, snap_in, NULL);
    alloc_disarm();
    if (rc == 0) {
        struct buf b;
        buf_init(&b, SIZE_MAX);
        CHECK_EQ_INT(tree_snapshot_save(t2, snap_out, &b), 0);
        CHECK_EQ_INT(b.len, saved.len);
        CHECK_TRUE(b.len == saved.len && memcmp(b.base, saved.base, b.len) == 0);
        buf_close(&b);
    }
    tree_free(t2);
    return rc;
}

static int do_new(void)
{
    struct tree_config cfg = {.ttl_enabled = true};
    struct tree *t2 = tree_new(&cfg, NULL, NULL);
    alloc_disarm();
    if (t2 == NULL)
        return COORD_ENOMEM;
    struct coord_stat st;
    struct tree *keep = t;
    t = t2; /* stat_of reads through the fixture's pointer */
    CHECK_EQ_INT(stat_of("/zookeeper/config", &st), 0);
    CHECK_EQ_INT(st.aversion, -1);
    t = keep;
    tree_free(t2);
    return 0;
}

/* --- scenarios --- */

struct scenario {
    const char *name;
    bool ttl;
    void (*prep)(void); /* after base(): builds the request */
    int (*op)(void);
    int want; /* the undisturbed result */
};

static void p_create(void)
{
    op_type = COORD_OP_CREATE;
    put_create_req(op_type, "/a/new", "data", 0, -1, NULL, 0);
}

static void p_create_seq(void)
{
    op_type = COORD_OP_CREATE2;
    put_create_req(op_type, "/a/b/s-", "", COORD_PERSISTENT_SEQUENTIAL, -1,
                   NULL, 0);
}

static void p_create_eph(void)
{
    op_type = COORD_OP_CREATE;
    cur_sid = SID2;
    put_create_req(op_type, "/open/eph", "e", COORD_EPHEMERAL_SEQUENTIAL, -1,
                   NULL, 0);
}

static void p_create_container(void)
{
    op_type = COORD_OP_CREATECONTAINER;
    put_create_req(op_type, "/c2", "", COORD_CONTAINER, -1, NULL, 0);
}

static void p_create_ttl(void)
{
    op_type = COORD_OP_CREATETTL;
    put_create_req(op_type, "/a/t", "ttl", COORD_PERSISTENT_WITH_TTL, 5000,
                   NULL, 0);
}

static void p_create_acl(void)
{
    struct coord_acl a[] = {
        acl_of(COORD_PERM_ALL, "digest", BOB),
        acl_of(COORD_PERM_READ, "ip", "10.0.0.0/8"),
        acl_of(COORD_PERM_ALL, "auth", ""),
        acl_of(COORD_PERM_READ, "world", "anyone"),
        acl_of(COORD_PERM_ALL, "digest", BOB),
    };
    as(1, bob_alice_ids, 2, false);
    op_type = COORD_OP_CREATE;
    put_create_req(op_type, "/bob/kid", "k", 0, -1, a, 5);
}

static void p_create_exists(void)
{
    op_type = COORD_OP_CREATE;
    put_create_req(op_type, "/a", "", 0, -1, NULL, 0);
}

static void p_setdata(void)
{
    op_type = COORD_OP_SETDATA;
    put_setdata("/a", "a longer value than before", -1);
}

static void p_setdata_bob(void)
{
    as(1, bob_ids, 1, false);
    op_type = COORD_OP_SETDATA;
    put_setdata("/bob", NULL, 0);
}

static void p_setacl(void)
{
    struct coord_acl a[] = {acl_of(COORD_PERM_ALL, "digest", BOB),
                            acl_of(COORD_PERM_READ, "ip", "fe80::/16")};
    struct buf acls;
    buf_init(&acls, 1 << 16);
    coord_put_acl_array(&acls, a, 2);
    struct coord_setacl_req req = {
        jute_cstr("/open"),
        {(int32_t)jute_be32(acls.base), acls.base + 4, acls.len - 4},
        -1};
    coord_put_setacl_req(&body, &req);
    buf_close(&acls);
    op_type = COORD_OP_SETACL;
}

static void p_delete(void)
{
    op_type = COORD_OP_DELETE;
    put_delete("/a/b/c");
}

static void p_delete_eph(void)
{
    op_type = COORD_OP_DELETE;
    put_delete("/e1");
}

static void p_multi(void)
{
    op_type = COORD_OP_MULTI;
    put_mh(COORD_OP_CREATE);
    put_create_req(COORD_OP_CREATE, "/m", "", 0, -1, NULL, 0);
    put_mh(COORD_OP_CREATE2);
    put_create_req(COORD_OP_CREATE2, "/m/s-", "v", COORD_PERSISTENT_SEQUENTIAL,
                   -1, NULL, 0);
    put_mh(COORD_OP_SETDATA);
    put_setdata("/a", "m", -1);
    put_mh(COORD_OP_DELETE);
    put_delete("/a/b/c");
    put_mh(COORD_OP_DELETE);
    put_delete("/a/b");
    put_mh(COORD_OP_CHECK);
    put_check("/a", -1);
    put_mh(COORD_OP_CREATE);
    put_create_req(COORD_OP_CREATE, "/a/b", "again", 0, -1, NULL, 0);
    put_mh(-1);
}

static void p_multi_rollback(void)
{
    op_type = COORD_OP_MULTI;
    put_mh(COORD_OP_CREATE);
    put_create_req(COORD_OP_CREATE, "/m", "", 0, -1, NULL, 0);
    put_mh(COORD_OP_SETDATA);
    put_setdata("/a", "m", -1);
    put_mh(COORD_OP_DELETE);
    put_delete("/a/b/c");
    put_mh(COORD_OP_CHECK);
    put_check("/a", 99); /* fails: everything rolls back */
    put_mh(COORD_OP_DELETE);
    put_delete("/open");
    put_mh(-1);
}

static void p_close_session(void)
{
    cur_sid = SID1;
    op_type = COORD_OP_CLOSESESSION;
}

static void p_create_session(void)
{
    cur_sid = 0x333;
    op_type = COORD_OP_CREATESESSION;
    jute_put_int(&body, 4000);
    jute_put_buffer(&body, "fedcba9876543210", 16);
}

static void p_delete_container(void)
{
    CHECK_EQ_INT(del("/ctr/kid", -1), 0);
    op_zxid = last_zxid_used() + 1;
    cur_sid = 0;
    op_type = COORD_OP_DELETECONTAINER;
    struct coord_path_req req = {jute_cstr("/ctr")};
    coord_put_path_req(&body, &req);
}

static void p_get_data(void)
{
    as(WBOB, bob_alice_ids, 2, false); /* refreshes WBOB's identities */
    op_type = COORD_OP_GETDATA;
    struct coord_path_watch_req req = {jute_cstr("/a/b/c"), true};
    coord_put_path_watch_req(&body, &req);
}

static void p_get_children(void)
{
    as(20, NULL, 0, false); /* a new watcher */
    op_type = COORD_OP_GETCHILDREN2;
    struct coord_path_watch_req req = {jute_cstr("/a"), true};
    coord_put_path_watch_req(&body, &req);
}

static void p_exists_missing(void)
{
    as(21, bob_ids, 1, false);
    op_type = COORD_OP_EXISTS;
    struct coord_path_watch_req req = {jute_cstr("/nope/deeper"), true};
    coord_put_path_watch_req(&body, &req);
}

static void p_add_persistent(void)
{
    as(22, NULL, 0, false);
    op_type = COORD_OP_ADDWATCH;
    struct coord_addwatch_req req = {jute_cstr("/newp"),
                                     COORD_ADDWATCH_PERSISTENT};
    coord_put_addwatch_req(&body, &req);
}

static void p_add_persistent_again(void)
{
    /* WSUPER already has a persistent watch on /a: only the identity */
    as(WSUPER, bob_ids, 1, true);
    op_type = COORD_OP_ADDWATCH;
    struct coord_addwatch_req req = {jute_cstr("/a"),
                                     COORD_ADDWATCH_PERSISTENT};
    coord_put_addwatch_req(&body, &req);
}

static void p_add_recursive(void)
{
    as(WANON, bob_ids, 1, false);
    op_type = COORD_OP_ADDWATCH;
    struct coord_addwatch_req req = {jute_cstr("/a"),
                                     COORD_ADDWATCH_PERSISTENT_RECURSIVE};
    coord_put_addwatch_req(&body, &req);
}

static void p_set_watches(void)
{
    as(23, bob_ids, 1, false);
    op_type = COORD_OP_SETWATCHES;
    jute_put_long(&body, 5);
    const char *data[] = {"/gone", "/a", "/open", "/bob"};
    const char *exist[] = {"/a/b", "/absent", "/absent2"};
    const char *child[] = {"/a/b", "/gone", "/open", "/"};
    put_paths(data, 4);
    put_paths(exist, 3);
    put_paths(child, 4);
}

static void p_set_watches2(void)
{
    as(WBOB, bob_ids, 1, false);
    op_type = COORD_OP_SETWATCHES2;
    jute_put_long(&body, 1000);
    const char *data[] = {"/open"};
    const char *exist[] = {"/absent"};
    const char *child[] = {"/open", "/a"};
    const char *pers[] = {"/p1", "/a", "/acl"};
    const char *rec[] = {"/r1", "/bob"};
    put_paths(data, 1);
    put_paths(exist, 1);
    put_paths(child, 2);
    put_paths(pers, 3);
    put_paths(rec, 2);
}

static void p_remove_watches(void)
{
    as(WBOB, bob_ids, 1, false);
    op_type = COORD_OP_REMOVEWATCHES;
    struct coord_watches_req req = {jute_cstr("/a"), COORD_WT_ANY};
    coord_put_watches_req(&body, &req);
}

static void p_multi_read(void)
{
    op_type = COORD_OP_MULTIREAD;
    struct coord_path_watch_req r1 = {jute_cstr("/a"), true};
    struct coord_path_watch_req r2 = {jute_cstr("/"), false};
    struct coord_path_watch_req r3 = {jute_cstr("/missing"), false};
    put_mh(COORD_OP_GETDATA);
    coord_put_path_watch_req(&body, &r1);
    put_mh(COORD_OP_GETCHILDREN);
    coord_put_path_watch_req(&body, &r2);
    put_mh(COORD_OP_GETDATA);
    coord_put_path_watch_req(&body, &r3);
    put_mh(-1);
}

static void p_ephemerals(void)
{
    cur_sid = SID1;
    op_type = COORD_OP_GETEPHEMERALS;
    struct coord_path_req req = {jute_cstr("/")};
    coord_put_path_req(&body, &req);
}

static void p_get_acl(void)
{
    op_type = COORD_OP_GETACL;
    struct coord_path_req req = {jute_cstr("/acl")};
    coord_put_path_req(&body, &req);
}

static void p_all_children(void)
{
    op_type = COORD_OP_GETALLCHILDRENNUMBER;
    struct coord_path_req req = {jute_cstr("/")};
    coord_put_path_req(&body, &req);
}

static void p_none(void)
{
}

static void p_load(void)
{
    snap(&saved);
}

static const struct scenario scenarios[] = {
    {"create", false, p_create, do_apply, 0},
    {"create sequential", false, p_create_seq, do_apply, 0},
    {"create ephemeral", false, p_create_eph, do_apply, 0},
    {"create container", false, p_create_container, do_apply, 0},
    {"create ttl", true, p_create_ttl, do_apply, 0},
    {"create with acl list", false, p_create_acl, do_apply, 0},
    {"create that fails", false, p_create_exists, do_apply,
     COORD_ENODEEXISTS},
    {"set data", false, p_setdata, do_apply, 0},
    {"set data with acl", false, p_setdata_bob, do_apply, 0},
    {"set acl", false, p_setacl, do_apply, 0},
    {"delete", false, p_delete, do_apply, 0},
    {"delete ephemeral", false, p_delete_eph, do_apply, 0},
    {"multi", false, p_multi, do_apply, 0},
    {"multi rolled back", false, p_multi_rollback, do_apply, 0},
    {"close session", false, p_close_session, do_apply, 0},
    {"create session", false, p_create_session, do_apply, 0},
    {"delete container", false, p_delete_container, do_apply, 0},
    {"get data with watch", false, p_get_data, do_read, 0},
    {"get children2 with watch", false, p_get_children, do_read, 0},
    {"exists watch on a missing node", false, p_exists_missing, do_read,
     COORD_ENONODE},
    {"add persistent watch", false, p_add_persistent, do_read, 0},
    {"add persistent watch again", false, p_add_persistent_again, do_read,
     0},
    {"add recursive watch", false, p_add_recursive, do_read, 0},
    {"set watches", false, p_set_watches, do_read, 0},
    {"set watches2", false, p_set_watches2, do_read, 0},
    {"remove watches", false, p_remove_watches, do_read, 0},
    {"multi read", false, p_multi_read, do_read, 0},
    {"get ephemerals", false, p_ephemerals, do_read, 0},
    {"get acl", false, p_get_acl, do_read, 0},
    {"get all children number", false, p_all_children, do_read, 0},
    {"snapshot save", false, p_none, do_save, 0},
    {"snapshot load", false, p_load, do_load, 0},
    {"tree new", false, p_none, do_new, 0},
};

/* --- observing the tree --- */

struct wlist {
    char **v;
    size_t n, cap;
};

static void wl_add(void *ctx, uint64_t watcher, const char *path, size_t len)
{
    struct wlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    char *s = malloc(len + 24);
    size_t k = 0;
    for (int sh = 60; sh >= 0; sh -= 4)
        s[k++] = "0123456789abcdef"[(watcher >> sh) & 15];
    s[k++] = ' ';
    memcpy(s + k, path, len);
    s[k + len] = 0;
    l->v[l->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The watch registry as text: each (watcher, path) in order, with the
 * checkWatches answer for each type (its modes), then the counters.
 */
static void watch_state(struct buf *out)
{
    buf_reset(out);
    struct wlist l = {0};
    tree_watches_foreach(t, wl_add, &l);
    qsort(l.v, l.n, sizeof *l.v, cmp_str);
    struct buf req;
    buf_init(&req, 1 << 16);
    for (size_t i = 0; i < l.n; i++) {
        uint64_t w = strtoull(l.v[i], NULL, 16);
        const char *path = l.v[i] + 17;
        buf_append(out, l.v[i], strlen(l.v[i]));
        for (int32_t type = COORD_WT_CHILDREN;
             type <= COORD_WT_PERSISTENT_RECURSIVE; type++) {
            buf_reset(&req);
            struct coord_watches_req r = {jute_cstr(path), type};
            coord_put_watches_req(&req, &r);
            struct tree_caller who = {0, w, false, {0, NULL, 0}};
            int rc = tree_read(t, COORD_OP_CHECKWATCHES,
                               (struct jute_str){(const char *)req.base,
                                                 (int32_t)req.len},
                               &who, NULL);
            buf_append(out, rc == 0 ? " y" : " n", 2);
        }
        buf_append(out, "\n", 1);
        free(l.v[i]);
    }
    free(l.v);
    buf_close(&req);
    struct tree_stats s;
    tree_get_stats(t, &s);
    uint64_t v[] = {s.nodes,   s.ephemerals,  s.data_bytes, s.sessions,
                    s.watches, s.watch_paths, s.watchers};
    buf_append(out, v, sizeof v);
}

/* Everything a run leaves behind: tree, watches, events, reply, result. */
struct outcome {
    int rc;
    struct buf tree, watches, reply;
    struct ev evs[64];
    int nev;
};

/* Buffers that outlive one run hold a block from the start, so that their
 * growth never changes the live block count a run is checked against. */
static void buf_open(struct buf *b, size_t max)
{
    buf_init(b, max);
    buf_reserve(b, 64);
}

static void outcome_init(struct outcome *o)
{
    memset(o, 0, sizeof *o);
    buf_open(&o->tree, SIZE_MAX);
    buf_open(&o->watches, SIZE_MAX);
    buf_open(&o->reply, SIZE_MAX);
}

static void outcome_close(struct outcome *o)
{
    buf_close(&o->tree);
    buf_close(&o->watches);
    buf_close(&o->reply);
}

static void observe(struct outcome *o, int rc)
{
    o->rc = rc;
    snap(&o->tree);
    watch_state(&o->watches);
    buf_reset(&o->reply);
    buf_append(&o->reply, reply.base, reply.len);
    o->nev = nev < 64 ? nev : 64;
    memcpy(o->evs, evs, (size_t)o->nev * sizeof *evs);
}

static bool same_buf(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && (a->len == 0 ||
                                memcmp(a->base, b->base, a->len) == 0);
}

#define TCHECK(cond)                                                           \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            check_fail(__LINE__, __FILE__, 0, "%s, allocation %lu%s: %s",      \
                       torture_name, torture_n, torture_from ? " on" : "",     \
                       #cond);                                                 \
        }                                                                      \
    } while (0)

static bool same_events(const struct outcome *a, const struct outcome *b)
{
    if (a->nev != b->nev)
        return false;
    for (int i = 0; i < a->nev; i++) {
        const struct ev *x = &a->evs[i], *y = &b->evs[i];
        if (x->watcher != y->watcher || x->type != y->type ||
            x->zxid != y->zxid || strcmp(x->path, y->path) != 0)
            return false;
    }
    return true;
}

static void same_outcome(const struct outcome *a, const struct outcome *b)
{
    TCHECK(a->rc == b->rc);
    TCHECK(same_buf(&a->tree, &b->tree));
    TCHECK(same_buf(&a->watches, &b->watches));
    TCHECK(same_buf(&a->reply, &b->reply));
    TCHECK(same_events(a, b));
}

/* The tree still takes writes, reads and watches. */
static void probe(void)
{
    cur_sid = 0;
    as(99, NULL, 0, true);
    nev = 0;
    TCHECK(exists_w("/probe", true) == COORD_ENONODE);
    TCHECK(create("/probe", "p", 0) == 0);
    TCHECK(set("/probe", "q", -1) == 0);
    char data[8];
    TCHECK(get_data_w("/probe", true, data, sizeof data, NULL) == 0);
    TCHECK(strcmp(data, "q") == 0);
    TCHECK(del("/probe", -1) == 0);
    int told = 0;
    for (int i = 0; i < nev; i++)
        told += evs[i].watcher == 99;
    TCHECK(told == 2); /* NodeCreated, then NodeDataChanged */
}

/* One run, failing allocation n (0: none); returns whether it hit. */
static bool run_once(const struct scenario *s, unsigned long n, bool from,
                     const struct outcome *ref, struct outcome *got)
{
    long live = alloc_live();
    int failed = failures;
    /* empty: the tree's first write to it allocates, and may fail */
    buf_init(&reply, SIZE_MAX);
    base(s->ttl);
    s->prep();
    struct outcome before;
    outcome_init(&before);
    nev = 0;
    buf_reset(&reply);
    observe(&before, 0);
    torture_n = n;
    torture_from = from;
    if (n && from)
        alloc_fail_from(n);
    else if (n)
        alloc_fail_nth(n);
    int rc = s->op();
    bool hit = n && alloc_fault_hit();
    alloc_disarm();
    torture_n = 0;
    observe(got, rc);
    torture_n = n;
    if (hit && rc == COORD_ENOMEM) {
        /* unchanged, silent; then a retry does what an undisturbed run does */
        TCHECK(same_buf(&got->tree, &before.tree));
        TCHECK(same_buf(&got->watches, &before.watches));
        TCHECK(got->nev == 0);
        nev = 0;
        buf_reset(&reply);
        torture_n = 0;
        rc = s->op();
        torture_n = n;
        observe(got, rc);
    }
    if (ref)
        same_outcome(got, ref);
    probe();
    outcome_close(&before);
    tree_teardown();
    buf_close(&reply);
    /* (a failed check allocates its message) */
    if (failures == failed)
        TCHECK(alloc_live() == live);
    return hit;
}

static void torture(const struct scenario *s, bool from)
{
    torture_name = s->name;
    struct outcome ref, got;
    outcome_init(&ref);
    outcome_init(&got);
    buf_open(&body, 1 << 20);
    buf_open(&saved, SIZE_MAX);
    run_once(s, 0, from, NULL, &ref);
    CHECK_EQ_INT(ref.rc, s->want);
    unsigned long n;
    int before = failures;
    for (n = 1; n < MAX_POINTS && failures == before; n++)
        if (!run_once(s, n, from, &ref, &got))
            break;
    TCHECK(n < MAX_POINTS);
    points += n - 1;
    if (getenv("COORD_TORTURE_VERBOSE"))
        printf("\n  torture: %s%s: %lu allocations", s->name,
               from ? " (for good)" : "", n - 1);
    CU_PASS("torture loop");
    outcome_close(&ref);
    outcome_close(&got);
    buf_close(&body);
    buf_close(&saved);
}

static void every_scenario_survives_each_failed_allocation(void)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++)
        torture(&scenarios[i], false);
}

static void every_scenario_survives_running_out_for_good(void)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++)
        torture(&scenarios[i], true);
    printf("\n  torture: %zu scenarios, %lu allocation points, twice\n",
           sizeof scenarios / sizeof *scenarios, points / 2);
}

/* The known half-registered persistent watch, as a direct check. */
static void persistent_add_watch_is_all_or_nothing(void)
{
    long live = alloc_live();
    tree_setup();
    buf_init(&body, 1 << 16);
    struct coord_addwatch_req req = {jute_cstr("/p"),
                                     COORD_ADDWATCH_PERSISTENT};
    coord_put_addwatch_req(&body, &req);
    unsigned long n;
    for (n = 1; n < 100; n++) {
        alloc_fail_nth(n);
        int rc = read_op(COORD_OP_ADDWATCH, &body, NULL);
        bool hit = alloc_fault_hit();
        alloc_disarm();
        struct tree_stats s;
        tree_get_stats(t, &s);
        if (!hit) {
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(s.watches, 2);
            break;
        }
        CHECK_EQ_INT(rc, COORD_ENOMEM);
        CHECK_EQ_INT(s.watches, 0); /* never the data half alone */
    }
    CHECK_TRUE(n > 2);
    buf_close(&body);
    tree_teardown();
    CHECK_EQ_INT(alloc_live(), live);
}

static CU_TestInfo tests[] = {
    {"persistent add watch is all or nothing",
     persistent_add_watch_is_all_or_nothing},
    {"every scenario survives each failed allocation",
     every_scenario_survives_each_failed_allocation},
    {"every scenario survives running out for good",
     every_scenario_survives_running_out_for_good},
    CU_TEST_INFO_NULL,
};

int main(int argc, char **argv)
{
    CU_SuiteInfo suites[] = {
        {"torture", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return check_main(argc, argv, suites);
}
