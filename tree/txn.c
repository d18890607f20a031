/* The compact binary form of struct tree_txn, for the log and for peers. */
#include <string.h>

#include "proto/err.h"
#include "tree/internal.h"

/*
 * Layout (big-endian): u8 format (1); i64 zxid; i64 time_ms; i64 session_id;
 * i32 type; u8 super; i32 ids.count; u32 ids.len; ids bytes (the encoded
 * Id elements); u32 body length; body bytes. Nothing follows.
 */
#define TXN_FORMAT 1
#define TXN_FIXED (1 + 8 + 8 + 8 + 4 + 1 + 4 + 4 + 4)

void tree_txn_encode(struct buf *b, const struct tree_txn *txn)
{
    size_t ids_len = txn->ids.count > 0 ? txn->ids.len : 0;
    size_t body_len = txn->body.len > 0 ? (size_t)txn->body.len : 0;
    if (buf_reserve(b, TXN_FIXED + ids_len + body_len) != 0)
        return;
    uint8_t *p = b->base + b->len;
    *p++ = TXN_FORMAT;
    jute_wbe64(p, (uint64_t)txn->zxid);
    jute_wbe64(p + 8, (uint64_t)txn->time_ms);
    jute_wbe64(p + 16, (uint64_t)txn->session_id);
    jute_wbe32(p + 24, (uint32_t)txn->type);
    p[28] = txn->super ? 1 : 0;
    jute_wbe32(p + 29, (uint32_t)(txn->ids.count < 0 ? -1 : txn->ids.count));
    jute_wbe32(p + 33, (uint32_t)ids_len);
    p += 37;
    if (ids_len)
        memcpy(p, txn->ids.p, ids_len);
    p += ids_len;
    jute_wbe32(p, (uint32_t)body_len);
    p += 4;
    if (body_len)
        memcpy(p, txn->body.p, body_len);
    b->len += TXN_FIXED + ids_len + body_len;
}

int tree_txn_decode(const void *data, size_t n, struct tree_txn *out)
{
    const uint8_t *p = data;
    if (n < TXN_FIXED || p[0] != TXN_FORMAT || p[29] > 1)
        return COORD_EPROTO;
    memset(out, 0, sizeof *out);
    out->zxid = (int64_t)jute_be64(p + 1);
    out->time_ms = (int64_t)jute_be64(p + 9);
    out->session_id = (int64_t)jute_be64(p + 17);
    out->type = (int32_t)jute_be32(p + 25);
    out->super = p[29] != 0;
    int32_t count = (int32_t)jute_be32(p + 30);
    uint32_t ids_len = jute_be32(p + 34);
    size_t left = n - TXN_FIXED;
    if (count < -1 || ids_len > left || (count <= 0 && ids_len != 0) ||
        (count > 0 && (uint64_t)count * 8 > ids_len))
        return COORD_EPROTO;
    const uint8_t *ids = p + 38;
    struct jute_r r;
    jute_r_init(&r, ids, ids_len);
    for (int32_t i = 0; i < count; i++) {
        struct coord_id id;
        if (coord_get_id(&r, &id) != 0)
            return COORD_EPROTO;
    }
    if (!jute_r_done(&r))
        return COORD_EPROTO;
    out->ids = (struct jute_vec){count, ids, ids_len};
    left -= ids_len;
    const uint8_t *q = ids + ids_len;
    uint32_t body_len = jute_be32(q);
    if (body_len != left || body_len > INT32_MAX)
        return COORD_EPROTO;
    out->body = (struct jute_str){(const char *)q + 4, (int32_t)body_len};
    return 0;
}
