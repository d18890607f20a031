/* multi (atomic, with rollback) and multiRead (wire spec 9). */
#include "tests/tree/helpers.h"

#include <stdlib.h>
#include <string.h>

static struct buf m;

static void op(int32_t type)
{
    struct coord_multi_header h = {type, false, -1};
    coord_put_multi_header(&m, &h);
}

static void op_create(int32_t type, const char *path, int32_t flags)
{
    op(type);
    put_create(&m, path, "", flags);
}

static void op_delete(const char *path, int32_t version)
{
    op(COORD_OP_DELETE);
    struct coord_delete_req r = {jute_cstr(path), version};
    coord_put_delete_req(&m, &r);
}

static void op_set(const char *path, const char *data, int32_t version)
{
    op(COORD_OP_SETDATA);
    struct coord_setdata_req r = {jute_cstr(path), jute_cstr(data), version};
    coord_put_setdata_req(&m, &r);
}

static void op_check(const char *path, int32_t version)
{
    op(COORD_OP_CHECK);
    struct coord_check_req r = {jute_cstr(path), version};
    coord_put_check_req(&m, &r);
}

static void op_read(int32_t type, const char *path)
{
    op(type);
    struct coord_path_watch_req r = {jute_cstr(path), true};
    coord_put_path_watch_req(&m, &r);
}

static void end(void)
{
    struct coord_multi_header h = {-1, true, -1};
    coord_put_multi_header(&m, &h);
}

static void setup(void)
{
    tree_setup();
    buf_init(&m, 1 << 20);
}

static void teardown(void)
{
    buf_close(&m);
    tree_teardown();
}

/* Result headers as "type/err" joined by ','. */
static void results(const struct buf *r, char *out, size_t cap)
{
    struct jute_r rd;
    jute_r_init(&rd, r->base, r->len);
    size_t off = 0;
    out[0] = 0;
    for (;;) {
        struct coord_multi_header h;
        if (coord_get_multi_header(&rd, &h) != 0) {
            snprintf(out + off, cap - off, "!");
            return;
        }
        if (h.done)
            break;
        off += (size_t)snprintf(out + off, cap - off, "%s%d/%d",
                                off ? "," : "", h.type, h.err);
        switch (h.type) {
        case COORD_OP_CREATE:
            jute_get_str(&rd);
            break;
        case COORD_OP_CREATE2: {
            struct coord_stat st;
            jute_get_str(&rd);
            coord_get_stat(&rd, &st);
            break;
        }
        case COORD_OP_SETDATA: {
            struct coord_stat st;
            coord_get_stat(&rd, &st);
            break;
        }
        case COORD_OP_GETDATA: {
            struct coord_stat st;
            jute_get_buffer(&rd);
            coord_get_stat(&rd, &st);
            break;
        }
        case COORD_OP_GETCHILDREN: {
            int32_t n = jute_get_int(&rd);
            for (int32_t i = 0; i < n; i++)
                jute_get_str(&rd);
            break;
        }
        case -1:
            CHECK_EQ_INT(jute_get_int(&rd), h.err);
            break;
        }
    }
    CHECK_TRUE(jute_r_done(&rd));
}

static void later_ops_see_earlier_ones(void)
{
    CHECK_EQ_INT(create("/x", "", 0), 0);
    op_create(COORD_OP_CREATE, "/m", 0);
    op_create(COORD_OP_CREATE2, "/m/a", 0);
    op_delete("/x", -1);
    op_create(COORD_OP_CREATE, "/x", 0);
    op_create(COORD_OP_CREATE, "/m/s-", COORD_PERSISTENT_SEQUENTIAL);
    op_create(COORD_OP_CREATE, "/m/s-", COORD_PERSISTENT_SEQUENTIAL);
    op_set("/m/a", "v", 0);
    op_check("/m/a", 1);
    end();
    struct buf r;
    buf_init(&r, 1 << 20);
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    char out[256];
    results(&r, out, sizeof out);
    CHECK_EQ_STR(out, "1/0,15/0,2/0,1/0,1/0,1/0,5/0,13/0");
    char kids[128];
    CHECK_EQ_INT(children_w("/m", false, kids, sizeof kids), 0);
    CHECK_EQ_STR(kids, "a,s-0000000001,s-0000000002");
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/m/a", &st), 0);
    int64_t z = last_zxid_used();
    CHECK_EQ_INT(st.czxid, z);
    CHECK_EQ_INT(st.mzxid, z);
    CHECK_EQ_INT(st.version, 1);
    CHECK_EQ_INT(stat_of("/", &st), 0);
    CHECK_EQ_INT(st.cversion, 2 * 3 - 3); /* zookeeper, x, m, x again */
    buf_close(&r);
}

static int save_cb(void *ctx, const void *p, size_t n)
{
    return buf_append(ctx, p, n);
}

static void failed_multi_rolls_back_everything(void)
{
    CHECK_EQ_INT(create("/keep", "k", 0), 0);
    CHECK_EQ_INT(create("/keep/a", "", 0), 0);
    CHECK_EQ_INT(create("/keep/b", "", 0), 0);
    CHECK_EQ_INT(create("/keep/c", "", 0), 0);
    CHECK_EQ_INT(exists_w("/keep", true), 0);
    struct buf before, after;
    buf_init(&before, 1 << 20);
    buf_init(&after, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &before), 0);

    op_delete("/keep/b", -1);
    op_create(COORD_OP_CREATE, "/keep/b", 0);
    op_create(COORD_OP_CREATE, "/new", 0);
    op_create(COORD_OP_CREATE, "/new/x", 0);
    op_set("/keep", "changed", -1);
    op_delete("/keep/a", -1);
    op_check("/keep", 0); /* version is 1 by now */
    op_set("/keep", "never", -1);
    end();
    struct buf r;
    buf_init(&r, 1 << 20);
    nev = 0;
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    char out[256];
    results(&r, out, sizeof out);
    CHECK_EQ_STR(out, "-1/0,-1/0,-1/0,-1/0,-1/0,-1/0,-1/-103,-1/-2");
    CHECK_EQ_INT(nev, 0);
    CHECK_EQ_INT(tree_last_zxid(t), last_zxid_used());
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &after), 0);
    /* identical but for the last zxid (bytes 12..19) */
    CHECK_EQ_INT(before.len, after.len);
    if (before.len == after.len) {
        memset(before.base + 12, 0, 8);
        memset(after.base + 12, 0, 8);
        CHECK_TRUE(memcmp(before.base, after.base, before.len) == 0);
    }
    char v[16];
    CHECK_EQ_INT(get_data_w("/keep", false, v, sizeof v, NULL), 0);
    CHECK_EQ_STR(v, "k");
    buf_close(&r);
    buf_close(&before);
    buf_close(&after);
}

static void failed_ephemeral_multi_leaves_the_session_clean(void)
{
    CHECK_EQ_INT(open_session(0x77), 0);
    cur_sid = 0x77;
    CHECK_EQ_INT(create("/e0", "", COORD_EPHEMERAL), 0);
    op_create(COORD_OP_CREATE, "/e1", COORD_EPHEMERAL);
    op_delete("/e0", -1);
    op_create(COORD_OP_CREATE, "/e1", 0);
    end();
    struct buf r;
    buf_init(&r, 1 << 20);
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    char out[64];
    results(&r, out, sizeof out);
    CHECK_EQ_STR(out, "-1/0,-1/0,-1/-110");
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.ephemerals, 1);
    CHECK_EQ_INT(close_session(0x77), 0);
    CHECK_EQ_INT(stat_of("/e0", &(struct coord_stat){0}), COORD_ENONODE);
    buf_close(&r);
}

static void empty_multi_returns_only_the_terminator(void)
{
    end();
    struct buf r;
    buf_init(&r, 1024);
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    CHECK_EQ_INT(r.len, 9);
    CHECK_EQ_INT(tree_last_zxid(t), 1);
    buf_close(&r);
}

static void bad_op_types_fail_the_whole_request(void)
{
    op_create(COORD_OP_CREATE, "/a", 0);
    op_read(COORD_OP_GETDATA, "/");
    end();
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, NULL), COORD_EMARSHALLING);
    buf_reset(&m);
    op(COORD_OP_SETACL);
    end();
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, NULL), COORD_EMARSHALLING);
    buf_reset(&m);
    op_create(COORD_OP_CREATE, "/a", 0); /* no terminator */
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, NULL), COORD_EMARSHALLING);
    CHECK_EQ_INT(stat_of("/a", &(struct coord_stat){0}), COORD_ENONODE);
    CHECK_EQ_INT(tree_last_zxid(t), 3);
    buf_reset(&m);
    op_read(COORD_OP_GETDATA, "/");
    op_create(COORD_OP_CREATE, "/a", 0);
    end();
    CHECK_EQ_INT(read_op(COORD_OP_MULTIREAD, &m, NULL), COORD_EMARSHALLING);
}

/* Wire spec 13, TV12-TV14. */
static void test_vectors_twelve_to_fourteen_match(void)
{
    unsigned char req[128], want[128];
    size_t n = check_unhex(
        "00000056000000050000000e0000000100ffffffff000000022f6200000000000000"
        "010000001f00000005776f726c6400000006616e796f6e65000000000000000d00ff"
        "ffffff000000022f6100000000ffffffff01ffffffff",
        req, sizeof req);
    CHECK_EQ_INT(n, 90);
    buf_append(&m, req + 12, n - 12);
    CHECK_EQ_INT(create("/a", "", 0), 0);
    CHECK_EQ_INT(create("/z", "", 0), 0);
    CHECK_EQ_INT(set("/a", "1", -1), 0);
    struct buf r;
    buf_init(&r, 1024);
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    size_t wn = check_unhex(
        "0000003300000005000000000000000400000000ffffffff000000000000000000ff"
        "ffffff00ffffff99ffffff99ffffffff01ffffffff",
        want, sizeof want);
    CHECK_EQ_INT(r.len, wn - 20);
    if (r.len == wn - 20)
        CHECK_EQ_MEM(r.base, want + 20, r.len);
    CHECK_EQ_INT(last_zxid_used(), 4);

    tree_teardown();
    tree_setup();
    CHECK_EQ_INT(create("/a", "", 0), 0);
    buf_reset(&r);
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    wn = check_unhex("0000003100000005000000000000000400000000000000010000000"
                     "000000000022f620000000d0000000000ffffffff01ffffffff",
                     want, sizeof want);
    CHECK_EQ_INT(r.len, wn - 20);
    if (r.len == wn - 20)
        CHECK_EQ_MEM(r.base, want + 20, r.len);
    buf_close(&r);
}

static void multi_read_results_are_independent_and_set_no_watches(void)
{
    CHECK_EQ_INT(create("/r", "data", 0), 0);
    struct coord_acl a = acl_of(0, "world", "anyone");
    CHECK_EQ_INT(create_op(COORD_OP_CREATE, "/hidden", "", 0, -1, &a, 1, NULL),
                 0);
    op_read(COORD_OP_GETDATA, "/r");
    op_read(COORD_OP_GETCHILDREN, "/missing");
    op_read(COORD_OP_GETDATA, "/hidden");
    op_read(COORD_OP_GETCHILDREN, "/");
    end();
    struct buf r;
    buf_init(&r, 1 << 16);
    CHECK_EQ_INT(read_op(COORD_OP_MULTIREAD, &m, &r), 0);
    char out[128];
    results(&r, out, sizeof out);
    CHECK_EQ_STR(out, "4/0,-1/-101,-1/-102,8/0");
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.watches, 0);
    CHECK_EQ_INT(tree_last_zxid(t), 2);
    buf_close(&r);
}

static void create_types_are_reported_as_kazoo_expects(void)
{
    op_create(COORD_OP_CREATE, "/c1", COORD_CONTAINER);
    op_create(COORD_OP_CREATECONTAINER, "/c2", COORD_CONTAINER);
    op_create(COORD_OP_CREATE2, "/c3", 0);
    end();
    struct buf r;
    buf_init(&r, 1 << 16);
    CHECK_EQ_INT(apply_txn(COORD_OP_MULTI, &m, &r), 0);
    char out[128];
    results(&r, out, sizeof out);
    CHECK_EQ_STR(out, "1/0,15/0,15/0");
    buf_close(&r);
}

static CU_TestInfo tests[] = {
    {"later ops see earlier ones", later_ops_see_earlier_ones},
    {"failed multi rolls back everything", failed_multi_rolls_back_everything},
    {"failed ephemeral multi leaves the session clean",
     failed_ephemeral_multi_leaves_the_session_clean},
    {"empty multi returns only the terminator",
     empty_multi_returns_only_the_terminator},
    {"bad op types fail the whole request", bad_op_types_fail_the_whole_request},
    {"test vectors twelve to fourteen match",
     test_vectors_twelve_to_fourteen_match},
    {"multi read results are independent and set no watches",
     multi_read_results_are_independent_and_set_no_watches},
    {"create types are reported as kazoo expects",
     create_types_are_reported_as_kazoo_expects},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo test_multi_suite = {"multi", NULL, NULL, setup, teardown, tests};
