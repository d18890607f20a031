/* test_proto: CUnit suites for the wire format (records, limits, paths). */
#include <stdlib.h>
#include <string.h>

#include "proto/records.h"
#include "tests/lib/check.h"
#include "tests/proto/suites.h"

static const uint8_t **blocks;
static size_t nblocks;

const uint8_t *proto_block(const void *p, size_t n)
{
    /* malloc(0) may return NULL; keep a 1-byte block and never read it. */
    uint8_t *copy = malloc(n ? n : 1);
    const uint8_t **grown = realloc(blocks, (nblocks + 1) * sizeof *blocks);
    if (copy == NULL || grown == NULL) {
        free(copy);
        fprintf(stderr, "test_proto: out of memory\n");
        abort();
    }
    if (n)
        memcpy(copy, p, n);
    blocks = grown;
    blocks[nblocks++] = copy;
    return copy;
}

const uint8_t *proto_unhex(const char *hex, size_t *n)
{
    size_t len = check_unhex(hex, NULL, 0);
    uint8_t *tmp = malloc(len ? len : 1);
    if (tmp == NULL)
        abort();
    check_unhex(hex, tmp, len);
    const uint8_t *p = proto_block(tmp, len);
    free(tmp);
    *n = len;
    return p;
}

void proto_free_blocks(void)
{
    for (size_t i = 0; i < nblocks; i++)
        free((void *)blocks[i]);
    free(blocks);
    blocks = NULL;
    nblocks = 0;
}

struct jute_vec proto_vec_of(const struct buf *b)
{
    struct jute_vec v = {(int32_t)jute_be32(b->base), b->base + 4, b->len - 4};
    if (v.count < 0) {
        v.p = NULL;
        v.len = 0;
    }
    return v;
}

static void teardown(void)
{
    proto_free_blocks();
}

static CU_SuiteInfo suites[] = {
    {"vectors", NULL, NULL, NULL, teardown, vectors_tests},
    {"records", NULL, NULL, records_setup, records_teardown, records_tests},
    {"limits", NULL, NULL, NULL, teardown, limits_tests},
    {"path", NULL, NULL, NULL, teardown, path_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return check_main(argc, argv, suites);
}
