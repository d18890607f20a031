/* Fuzz target: a snapshot stream loaded into a fresh tree, then saved again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/tree.h"
#include "tests/fuzz/fuzz.h"

struct reader {
    const uint8_t *p;
    size_t left;
};

static int read_exact(void *ctx, void *p, size_t n)
{
    struct reader *r = ctx;
    if (n > r->left)
        return COORD_ECORRUPT;
    memcpy(p, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

static int write_buf(void *ctx, const void *p, size_t n)
{
    return buf_append(ctx, p, n);
}

static struct tree *fresh(void)
{
    struct tree_config cfg = {.ttl_enabled = true};
    struct tree *t = tree_new(&cfg, NULL, NULL);
    REQUIRE(t != NULL);
    return t;
}

static void visit(void *ctx, const char *path, size_t len)
{
    (void)ctx;
    (void)path;
    (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tree *t = fresh();
    struct reader r = {data, size};
    if (tree_snapshot_load(t, read_exact, &r) != 0) {
        tree_free(t);
        return 0;
    }
    /* What loaded must be usable and must survive its own round trip. */
    struct tree_stats st;
    tree_get_stats(t, &st);
    tree_reap_candidates(t, INT64_MAX / 2, 100, visit, NULL);
    struct buf a, b;
    buf_init(&a, (size_t)1 << 30);
    buf_init(&b, (size_t)1 << 30);
    REQUIRE(tree_snapshot_save(t, write_buf, &a) == 0);
    struct tree *t2 = fresh();
    struct reader r2 = {a.base, a.len};
    REQUIRE(tree_snapshot_load(t2, read_exact, &r2) == 0);
    REQUIRE(tree_snapshot_save(t2, write_buf, &b) == 0);
    REQUIRE(a.len == b.len && memcmp(a.base, b.base, a.len) == 0);
    buf_close(&a);
    buf_close(&b);
    tree_free(t2);
    tree_free(t);
    return 0;
}
