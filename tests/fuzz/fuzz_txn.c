/* Fuzz target: txn records decoded and applied, and reads with any body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/tree.h"
#include "tests/fuzz/fuzz.h"

static void notify(void *ctx, uint64_t watcher, int32_t type, const char *path,
                   size_t len, int64_t zxid)
{
    (void)watcher;
    (void)type;
    (void)zxid;
    /* Touch the path so ASan sees a bad pointer or length. */
    const volatile char *p = path;
    char x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= p[i];
    (*(size_t *)ctx) += (size_t)x;
}

/*
 * The input is a sequence of chunks: u8 kind, u32 length, bytes. Kind 0 is
 * an encoded tree_txn to apply (its zxid is forced to increase); kind 1 is a
 * read: u8 op selector, then the request body; kind 2 drops a watcher.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int32_t reads[] = {
        COORD_OP_EXISTS,        COORD_OP_GETDATA,
        COORD_OP_GETACL,        COORD_OP_GETCHILDREN,
        COORD_OP_GETCHILDREN2,  COORD_OP_GETALLCHILDRENNUMBER,
        COORD_OP_GETEPHEMERALS, COORD_OP_MULTIREAD,
        COORD_OP_CHECKWATCHES,  COORD_OP_REMOVEWATCHES,
        COORD_OP_SETWATCHES,    COORD_OP_SETWATCHES2,
        COORD_OP_ADDWATCH,      COORD_OP_CREATE,
    };
    size_t sink = 0;
    struct tree_config cfg = {.ttl_enabled = true,
                              .container_never_used_ms = 1};
    struct tree *t = tree_new(&cfg, notify, &sink);
    if (t == NULL)
        abort();
    struct buf reply;
    buf_init(&reply, (size_t)1 << 26);
    int64_t zxid = 0;
    size_t off = 0;
    while (size - off >= 5) {
        uint8_t kind = data[off];
        uint32_t len = jute_be32(data + off + 1);
        off += 5;
        if (len > size - off)
            len = (uint32_t)(size - off);
        const uint8_t *p = data + off;
        off += len;
        buf_reset(&reply);
        if (kind % 3 == 0) {
            struct tree_txn txn;
            if (tree_txn_decode(p, len, &txn) != 0)
                continue;
            txn.zxid = ++zxid;
            tree_apply(t, &txn, &reply);
        } else if (kind % 3 == 1 && len >= 1) {
            uint8_t ids[64];
            struct buf idb = {ids, 0, sizeof ids, sizeof ids, 0};
            jute_put_cstr(&idb, "ip");
            jute_put_cstr(&idb, "127.0.0.1");
            struct tree_caller who = {
                .session_id = (int64_t)(p[0] & 3),
                .watcher = (uint64_t)(p[0] >> 4) + 1,
                .super = (p[0] & 8) != 0,
                .ids = {1, ids, idb.len},
            };
            int32_t op = reads[p[0] % (sizeof reads / sizeof reads[0])];
            tree_read(t, op, (struct jute_str){(const char *)p + 1,
                                               (int32_t)(len - 1)},
                      &who, &reply);
        } else if (len >= 1) {
            tree_watches_drop(t, (uint64_t)(p[0] >> 4) + 1);
        }
    }
    buf_close(&reply);
    tree_free(t);
    return 0;
}
