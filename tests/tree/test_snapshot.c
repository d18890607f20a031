/* Snapshots, the txn codec, corrupted input, and memory per node. */
#include "tests/tree/helpers.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static int save_cb(void *ctx, const void *p, size_t n)
{
    return buf_append(ctx, p, n);
}

struct src {
    const uint8_t *p;
    size_t len, off;
};

static int load_cb(void *ctx, void *p, size_t n)
{
    struct src *s = ctx;
    if (n > s->len - s->off)
        return COORD_ECORRUPT;
    memcpy(p, s->p + s->off, n);
    s->off += n;
    return 0;
}

static int load_bytes(struct tree **out, const uint8_t *p, size_t n)
{
    struct tree_config cfg = {true, 0};
    *out = tree_new(&cfg, NULL, NULL);
    struct src s = {p, n, 0};
    return tree_snapshot_load(*out, load_cb, &s);
}

static void build_sample(void)
{
    CHECK_EQ_INT(open_session(0x11), 0);
    CHECK_EQ_INT(open_session(0x22), 0);
    CHECK_EQ_INT(create("/a", "alpha", 0), 0);
    CHECK_EQ_INT(create("/a/b", NULL, 0), 0);
    CHECK_EQ_INT(create("/a/c", "", COORD_PERSISTENT_SEQUENTIAL), 0);
    CHECK_EQ_INT(create("/a/d", "x", 0), 0);
    CHECK_EQ_INT(del("/a/b", -1), 0);
    CHECK_EQ_INT(set("/a/d", "y", -1), 0);
    struct coord_acl acl[] = {acl_of(31, "digest", "u:h"),
                              acl_of(1, "ip", "10.0.0.0/8")};
    CHECK_EQ_INT(create_op(COORD_OP_CREATE, "/sec", "s", 0, -1, acl, 2, NULL),
                 0);
    CHECK_EQ_INT(create_op(COORD_OP_CREATECONTAINER, "/box", "", 4, -1, NULL,
                           0, NULL),
                 0);
    cur_sid = 0x11;
    CHECK_EQ_INT(create("/a/e", "", COORD_EPHEMERAL), 0);
    cur_sid = 0x22;
    CHECK_EQ_INT(create("/box/e", "", COORD_EPHEMERAL_SEQUENTIAL), 0);
    cur_sid = TEST_SID;
}

static void save_load_save_gives_identical_bytes_and_reads(void)
{
    build_sample();
    struct buf one, two;
    buf_init(&one, 1 << 20);
    buf_init(&two, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &one), 0);
    struct tree *u;
    CHECK_EQ_INT(load_bytes(&u, one.base, one.len), 0);
    CHECK_EQ_INT(tree_snapshot_save(u, save_cb, &two), 0);
    CHECK_EQ_INT(one.len, two.len);
    if (one.len == two.len)
        CHECK_TRUE(memcmp(one.base, two.base, one.len) == 0);
    CHECK_EQ_INT(tree_last_zxid(u), tree_last_zxid(t));

    /* the same reads from both trees */
    const char *paths[] = {"/", "/zookeeper", "/zookeeper/config", "/a",
                           "/a/c0000000001", "/a/d", "/a/e", "/sec", "/box"};
    struct tree *orig = t;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct coord_stat s1, s2;
        char d1[32], d2[32], k1[128], k2[128];
        int32_t l1 = 0, l2 = 0;
        cur_super = true;
        t = orig;
        CHECK_EQ_INT(stat_of(paths[i], &s1), 0);
        CHECK_EQ_INT(get_data_w(paths[i], false, d1, sizeof d1, &l1), 0);
        CHECK_EQ_INT(children_w(paths[i], false, k1, sizeof k1), 0);
        t = u;
        CHECK_EQ_INT(stat_of(paths[i], &s2), 0);
        CHECK_EQ_INT(get_data_w(paths[i], false, d2, sizeof d2, &l2), 0);
        CHECK_EQ_INT(children_w(paths[i], false, k2, sizeof k2), 0);
        CHECK_EQ_INT(s1.czxid, s2.czxid);
        CHECK_EQ_INT(s1.mzxid, s2.mzxid);
        CHECK_EQ_INT(s1.ctime, s2.ctime);
        CHECK_EQ_INT(s1.mtime, s2.mtime);
        CHECK_EQ_INT(s1.version, s2.version);
        CHECK_EQ_INT(s1.cversion, s2.cversion);
        CHECK_EQ_INT(s1.aversion, s2.aversion);
        CHECK_EQ_INT(s1.ephemeral_owner, s2.ephemeral_owner);
        CHECK_EQ_INT(s1.data_length, s2.data_length);
        CHECK_EQ_INT(s1.num_children, s2.num_children);
        CHECK_EQ_INT(s1.pzxid, s2.pzxid);
        CHECK_EQ_INT(l1, l2);
        CHECK_EQ_STR(d1, d2);
        CHECK_EQ_STR(k1, k2);
    }
    t = orig;
    struct tree_stats a, b;
    tree_get_stats(t, &a);
    tree_get_stats(u, &b);
    CHECK_EQ_INT(a.nodes, b.nodes);
    CHECK_EQ_INT(a.ephemerals, b.ephemerals);
    CHECK_EQ_INT(a.data_bytes, b.data_bytes);
    CHECK_EQ_INT(a.sessions, b.sessions);
    int32_t to;
    uint8_t pw[16];
    CHECK_EQ_INT(tree_session_get(u, 0x22, &to, pw), 0);
    CHECK_EQ_INT(to, 30000);
    tree_free(u);
    buf_close(&one);
    buf_close(&two);
}

static void noop_path(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
}

static void loaded_tree_keeps_sessions_and_reaper_state(void)
{
    build_sample();
    struct buf one;
    buf_init(&one, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &one), 0);
    struct tree *u;
    CHECK_EQ_INT(load_bytes(&u, one.base, one.len), 0);
    struct tree *orig = t;
    t = u;
    CHECK_EQ_INT(close_session(0x22), 0); /* removes /box/e */
    CHECK_EQ_INT(tree_reap_candidates(u, 0, 10, noop_path, NULL), 1);
    CHECK_EQ_INT(close_session(0x11), 0);
    struct tree_stats s;
    tree_get_stats(u, &s);
    CHECK_EQ_INT(s.ephemerals, 0);
    CHECK_EQ_INT(s.sessions, 1);
    t = orig;
    tree_free(u);
    buf_close(&one);
}

struct sids {
    int64_t v[16];
    int n;
};

static void collect_sid(void *ctx, int64_t sid, int32_t timeout)
{
    struct sids *s = ctx;
    (void)timeout;
    if (s->n < 16)
        s->v[s->n++] = sid;
}

/* Closes every session of u, deleting its ephemerals. */
static void close_all(struct tree *u)
{
    struct sids s = {.n = 0};
    tree_session_foreach(u, collect_sid, &s);
    for (int i = 0; i < s.n; i++) {
        struct tree_txn txn = {.zxid = tree_last_zxid(u) + 1,
                               .session_id = s.v[i],
                               .type = COORD_OP_CLOSESESSION,
                               .ids = {0, NULL, 0},
                               .body = {"", 0}};
        CHECK_EQ_INT(tree_apply(u, &txn, NULL), 0);
    }
    struct tree_stats st;
    tree_get_stats(u, &st);
    CHECK_EQ_INT(st.ephemerals, 0);
}

static void every_truncation_is_rejected(void)
{
    build_sample();
    struct buf one;
    buf_init(&one, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &one), 0);
    int accepted = 0;
    for (size_t n = 0; n < one.len; n++) {
        struct tree *u;
        if (load_bytes(&u, one.base, n) == 0)
            accepted++;
        tree_free(u);
    }
    CHECK_EQ_INT(accepted, 0);
    buf_close(&one);
}

static void flipped_bytes_never_crash_the_loader(void)
{
    build_sample();
    struct buf one;
    buf_init(&one, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &one), 0);
    uint8_t *copy = malloc(one.len);
    unsigned long seed = test_seed();
    int rejected = 0;
    for (size_t i = 0; i < one.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, one.base, one.len);
            copy[i] ^= (uint8_t)(1u << bit);
            struct tree *u;
            int rc = load_bytes(&u, copy, one.len);
            if (rc == 0) {
                /* whatever was accepted must be usable */
                struct buf again;
                buf_init(&again, 1 << 20);
                CHECK_EQ_INT(tree_snapshot_save(u, save_cb, &again), 0);
                buf_close(&again);
                struct tree_stats st;
                tree_get_stats(u, &st);
                tree_reap_candidates(u, INT64_MAX, 100, noop_path, NULL);
                tree_reap_candidates(u, INT64_MIN, 100, noop_path, NULL);
                close_all(u);
            } else {
                rejected++;
            }
            tree_free(u);
        }
    }
    /* random garbage too */
    for (int k = 0; k < 200; k++) {
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        size_t n = (seed >> 33) % one.len;
        memcpy(copy, one.base, one.len);
        for (size_t j = n; j < one.len; j++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            copy[j] = (uint8_t)(seed >> 56);
        }
        struct tree *u;
        load_bytes(&u, copy, one.len);
        tree_free(u);
    }
    CHECK_TRUE(rejected > 0);
    free(copy);
    buf_close(&one);
}

static void txn_round_trips_through_its_encoding(void)
{
    const char *ids[] = {"digest:bob:x", "ip:1.2.3.4"};
    uint8_t idb[256];
    struct buf ib;
    buf_init(&ib, sizeof idb);
    jute_put_int(&ib, 2);
    for (int i = 0; i < 2; i++) {
        const char *c = strchr(ids[i], ':');
        jute_put_buffer(&ib, ids[i], (int32_t)(c - ids[i]));
        jute_put_cstr(&ib, c + 1);
    }
    struct tree_txn in = {
        .zxid = 0x500000007,
        .time_ms = 1234567,
        .session_id = -5,
        .type = COORD_OP_SETDATA,
        .super = true,
        .ids = {2, ib.base + 4, ib.len - 4},
        .body = {"abcdef", 6},
    };
    struct buf b;
    buf_init(&b, 1 << 16);
    tree_txn_encode(&b, &in);
    struct tree_txn out;
    CHECK_EQ_INT(tree_txn_decode(b.base, b.len, &out), 0);
    CHECK_EQ_INT(out.zxid, in.zxid);
    CHECK_EQ_INT(out.time_ms, in.time_ms);
    CHECK_EQ_INT(out.session_id, in.session_id);
    CHECK_EQ_INT(out.type, in.type);
    CHECK_TRUE(out.super);
    CHECK_EQ_INT(out.ids.count, 2);
    CHECK_EQ_INT(out.ids.len, in.ids.len);
    CHECK_EQ_MEM(out.ids.p, in.ids.p, in.ids.len);
    CHECK_EQ_INT(out.body.len, 6);
    CHECK_EQ_MEM(out.body.p, "abcdef", 6);
    /* re-encoding gives the same bytes */
    struct buf c;
    buf_init(&c, 1 << 16);
    tree_txn_encode(&c, &out);
    CHECK_EQ_INT(c.len, b.len);
    CHECK_EQ_MEM(c.base, b.base, b.len);
    for (size_t n = 0; n < b.len; n++)
        CHECK_EQ_INT(tree_txn_decode(b.base, n, &out), COORD_EPROTO);
    buf_append(&b, "x", 1);
    CHECK_EQ_INT(tree_txn_decode(b.base, b.len, &out), COORD_EPROTO);
    /* an empty ids vector and an empty body */
    in.ids = (struct jute_vec){0, NULL, 0};
    in.body = (struct jute_str){NULL, 0};
    buf_reset(&c);
    tree_txn_encode(&c, &in);
    CHECK_EQ_INT(tree_txn_decode(c.base, c.len, &out), 0);
    CHECK_EQ_INT(out.ids.count, 0);
    CHECK_EQ_INT(out.body.len, 0);
    buf_close(&b);
    buf_close(&c);
    buf_close(&ib);
}

static void replaying_encoded_txns_rebuilds_the_same_tree(void)
{
    /* the log path: encode, decode, apply on a copy of the start state */
    struct buf start;
    buf_init(&start, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &start), 0);
    struct tree *u;
    CHECK_EQ_INT(load_bytes(&u, start.base, start.len), 0);
    buf_close(&start);
    struct buf body, enc;
    buf_init(&body, 1 << 16);
    buf_init(&enc, 1 << 16);
    for (int i = 0; i < 20; i++) {
        char path[32];
        snprintf(path, sizeof path, "/n%d", i);
        buf_reset(&body);
        put_create(&body, path, "d", i % 3 == 0 ? 2 : 0);
        struct tree_txn txn = {.zxid = i + 1,
                               .time_ms = 100 + i,
                               .type = COORD_OP_CREATE,
                               .ids = {0, NULL, 0},
                               .body = {(const char *)body.base,
                                        (int32_t)body.len}};
        CHECK_EQ_INT(tree_apply(t, &txn, NULL), 0);
        buf_reset(&enc);
        tree_txn_encode(&enc, &txn);
        struct tree_txn dec;
        CHECK_EQ_INT(tree_txn_decode(enc.base, enc.len, &dec), 0);
        CHECK_EQ_INT(tree_apply(u, &dec, NULL), 0);
    }
    struct buf s1, s2;
    buf_init(&s1, 1 << 20);
    buf_init(&s2, 1 << 20);
    tree_snapshot_save(t, save_cb, &s1);
    tree_snapshot_save(u, save_cb, &s2);
    CHECK_EQ_INT(s1.len, s2.len);
    CHECK_TRUE(s1.len == s2.len && memcmp(s1.base, s2.base, s1.len) == 0);
    tree_free(u);
    buf_close(&body);
    buf_close(&enc);
    buf_close(&s1);
    buf_close(&s2);
}

/* Informational: heap bytes per znode for 100,000 nodes under 100 parents. */
static void hundred_thousand_nodes_report_bytes_per_node(void)
{
    struct mallinfo2 before = mallinfo2();
    struct buf body;
    buf_init(&body, 1 << 16);
    int64_t z = 1;
    for (int p = 0; p < 100; p++) {
        char path[64];
        snprintf(path, sizeof path, "/parent%03d", p);
        buf_reset(&body);
        put_create(&body, path, "", 0);
        struct tree_txn txn = {.zxid = z++, .type = COORD_OP_CREATE,
                               .ids = {0, NULL, 0},
                               .body = {(const char *)body.base,
                                        (int32_t)body.len}};
        CHECK_EQ_INT(tree_apply(t, &txn, NULL), 0);
        for (int c = 0; c < 1000; c++) {
            snprintf(path, sizeof path, "/parent%03d/node-%06d", p, c);
            buf_reset(&body);
            put_create(&body, path, "0123456789", 0);
            txn.zxid = z++;
            txn.body = (struct jute_str){(const char *)body.base,
                                         (int32_t)body.len};
            if (tree_apply(t, &txn, NULL) != 0)
                CHECK_TRUE(0);
        }
    }
    struct mallinfo2 after = mallinfo2();
    struct tree_stats s;
    tree_get_stats(t, &s);
    CHECK_EQ_INT(s.nodes, 100100 + 4);
    double per = (double)(after.uordblks - before.uordblks) / 100100.0;
    fprintf(stderr,
            "\n  tree: %.1f heap bytes per znode (name ~11 bytes, data 10 "
            "bytes)\n",
            per);
    buf_close(&body);
}

/* Wire spec 5.2: version and aversion skip -1 when they wrap. */
static void versions_skip_minus_one_when_they_wrap(void)
{
    CHECK_EQ_INT(create("/v", "", 0), 0);
    struct buf one;
    buf_init(&one, 1 << 20);
    CHECK_EQ_INT(tree_snapshot_save(t, save_cb, &one), 0);
    static const uint8_t rec[] = {0, 0, 0, 1, 'v'};
    uint8_t *at = memmem(one.base, one.len, rec, sizeof rec);
    CHECK_TRUE(at != NULL);
    if (at == NULL)
        return;
    /* name, data_len (0), acl index, six longs, then version, aversion */
    uint8_t *ver = at + sizeof rec + 4 + 4 + 6 * 8;
    jute_wbe32(ver, (uint32_t)-2);
    jute_wbe32(ver + 4, (uint32_t)INT32_MAX);
    struct tree *u;
    CHECK_EQ_INT(load_bytes(&u, one.base, one.len), 0);
    struct tree *orig = t;
    t = u;
    struct coord_stat st;
    CHECK_EQ_INT(stat_of("/v", &st), 0);
    CHECK_EQ_INT(st.version, -2);
    CHECK_EQ_INT(st.aversion, INT32_MAX);
    CHECK_EQ_INT(set("/v", "a", -2), 0);
    CHECK_EQ_INT(stat_of("/v", &st), 0);
    CHECK_EQ_INT(st.version, 0);
    struct coord_acl a = acl_of(31, "world", "anyone");
    CHECK_EQ_INT(setacl("/v", &a, 1, INT32_MAX), 0);
    CHECK_EQ_INT(stat_of("/v", &st), 0);
    CHECK_EQ_INT(st.aversion, INT32_MIN);
    t = orig;
    tree_free(u);
    buf_close(&one);
}

static CU_TestInfo tests[] = {
    {"versions skip minus one when they wrap",
     versions_skip_minus_one_when_they_wrap},
    {"save load save gives identical bytes and reads",
     save_load_save_gives_identical_bytes_and_reads},
    {"loaded tree keeps sessions and reaper state",
     loaded_tree_keeps_sessions_and_reaper_state},
    {"every truncation is rejected", every_truncation_is_rejected},
    {"flipped bytes never crash the loader",
     flipped_bytes_never_crash_the_loader},
    {"txn round trips through its encoding",
     txn_round_trips_through_its_encoding},
    {"replaying encoded txns rebuilds the same tree",
     replaying_encoded_txns_rebuilds_the_same_tree},
    {"hundred thousand nodes report bytes per node",
     hundred_thousand_nodes_report_bytes_per_node},
    CU_TEST_INFO_NULL,
};

CU_TestInfo *test_snapshot_tests = tests;
