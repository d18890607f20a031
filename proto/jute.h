/* Jute, ZooKeeper's record encoding: big-endian primitives over bounded buffers. */
#ifndef COORD_PROTO_JUTE_H
#define COORD_PROTO_JUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

/* ZooKeeper's default jute.maxbuffer: the largest frame either side accepts. */
#define COORD_MAX_FRAME 0xFFFFF

/*
 * A jute `buffer` or `ustring` as it stands in the input: `len == -1` is the
 * null value (distinct from empty). `p` borrows from the decoded frame and is
 * NOT NUL-terminated.
 */
struct jute_str {
    const char *p;
    int32_t len;
};

#define JUTE_NULL ((struct jute_str){NULL, -1})
/* A jute_str over a C string literal or NUL-terminated string. */
struct jute_str jute_cstr(const char *s);
/* True when a and b hold the same bytes (null equals only null). */
bool jute_str_eq(struct jute_str a, struct jute_str b);

/* --- writing: every put appends to a capped buf; errors stay in b->err --- */

void jute_put_int(struct buf *b, int32_t v);
void jute_put_long(struct buf *b, int64_t v);
void jute_put_bool(struct buf *b, bool v);
/* len == -1 writes null; otherwise len bytes from p. */
void jute_put_buffer(struct buf *b, const void *p, int32_t len);
void jute_put_str(struct buf *b, struct jute_str s);
/* A NUL-terminated string (NULL writes null). */
void jute_put_cstr(struct buf *b, const char *s);

/* Reserves a 4-byte length prefix; returns its offset for jute_frame_end. */
size_t jute_frame_begin(struct buf *b);
/* Patches the length prefix at `off` with the bytes written since. */
void jute_frame_end(struct buf *b, size_t off);

/* --- reading: a cursor over borrowed bytes; the first error sticks --- */

struct jute_r {
    const uint8_t *p;
    size_t left;
    int err;         /* 0 or COORD_EPROTO once anything was short or invalid */
    int32_t max_len; /* largest buffer/string length accepted */
};

/* Cursor over n bytes at p; lengths above COORD_MAX_FRAME are errors. */
void jute_r_init(struct jute_r *r, const void *p, size_t n);

/* Each getter returns 0/false/JUTE_NULL after an error and sets r->err. */
int32_t jute_get_int(struct jute_r *r);
int64_t jute_get_long(struct jute_r *r);
bool jute_get_bool(struct jute_r *r); /* any non-zero byte is true, as ZK */
struct jute_str jute_get_buffer(struct jute_r *r);
/* Same wire form as a buffer; kept separate for readability at call sites. */
struct jute_str jute_get_str(struct jute_r *r);
/* Skips n raw bytes. */
void jute_skip(struct jute_r *r, size_t n);

/* True when the cursor is error-free and consumed everything. */
static inline bool jute_r_done(const struct jute_r *r)
{
    return r->err == 0 && r->left == 0;
}

/* Big-endian helpers for code that frames by hand. */
static inline uint32_t jute_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint64_t jute_be64(const uint8_t *p)
{
    return ((uint64_t)jute_be32(p) << 32) | jute_be32(p + 4);
}
static inline void jute_wbe32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void jute_wbe64(uint8_t *p, uint64_t v)
{
    jute_wbe32(p, (uint32_t)(v >> 32));
    jute_wbe32(p + 4, (uint32_t)v);
}

#endif
