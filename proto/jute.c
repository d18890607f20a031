/* Jute primitive encoding and decoding. */
#include "proto/jute.h"

#include <string.h>

#include "proto/err.h"

struct jute_str jute_cstr(const char *s)
{
    if (s == NULL)
        return JUTE_NULL;
    return (struct jute_str){s, (int32_t)strlen(s)};
}

bool jute_str_eq(struct jute_str a, struct jute_str b)
{
    if (a.len != b.len)
        return false;
    return a.len <= 0 || memcmp(a.p, b.p, (size_t)a.len) == 0;
}

void jute_put_int(struct buf *b, int32_t v)
{
    if (buf_reserve(b, 4) != 0)
        return;
    jute_wbe32(b->base + b->len, (uint32_t)v);
    b->len += 4;
}

void jute_put_long(struct buf *b, int64_t v)
{
    if (buf_reserve(b, 8) != 0)
        return;
    jute_wbe64(b->base + b->len, (uint64_t)v);
    b->len += 8;
}

void jute_put_bool(struct buf *b, bool v)
{
    uint8_t c = v ? 1 : 0;
    buf_append(b, &c, 1);
}

void jute_put_buffer(struct buf *b, const void *p, int32_t len)
{
    if (len < 0) {
        jute_put_int(b, -1);
        return;
    }
    if (buf_reserve(b, 4 + (size_t)len) != 0)
        return;
    jute_wbe32(b->base + b->len, (uint32_t)len);
    if (len > 0)
        memcpy(b->base + b->len + 4, p, (size_t)len);
    b->len += 4 + (size_t)len;
}

void jute_put_str(struct buf *b, struct jute_str s)
{
    jute_put_buffer(b, s.p, s.len);
}

void jute_put_cstr(struct buf *b, const char *s)
{
    jute_put_str(b, jute_cstr(s));
}

size_t jute_frame_begin(struct buf *b)
{
    size_t off = b->len;
    jute_put_int(b, 0);
    return off;
}

void jute_frame_end(struct buf *b, size_t off)
{
    if (b->err || off + 4 > b->len)
        return;
    jute_wbe32(b->base + off, (uint32_t)(b->len - off - 4));
}

void jute_r_init(struct jute_r *r, const void *p, size_t n)
{
    r->p = p;
    r->left = n;
    r->err = 0;
    r->max_len = COORD_MAX_FRAME;
}

static bool take(struct jute_r *r, size_t n)
{
    if (r->err)
        return false;
    if (r->left < n) {
        r->err = COORD_EPROTO;
        r->left = 0;
        return false;
    }
    return true;
}

int32_t jute_get_int(struct jute_r *r)
{
    if (!take(r, 4))
        return 0;
    int32_t v = (int32_t)jute_be32(r->p);
    r->p += 4;
    r->left -= 4;
    return v;
}

int64_t jute_get_long(struct jute_r *r)
{
    if (!take(r, 8))
        return 0;
    int64_t v = (int64_t)jute_be64(r->p);
    r->p += 8;
    r->left -= 8;
    return v;
}

bool jute_get_bool(struct jute_r *r)
{
    if (!take(r, 1))
        return false;
    bool v = r->p[0] != 0;
    r->p += 1;
    r->left -= 1;
    return v;
}

struct jute_str jute_get_buffer(struct jute_r *r)
{
    int32_t n = jute_get_int(r);
    if (r->err)
        return JUTE_NULL;
    if (n == -1)
        return JUTE_NULL;
    if (n < -1 || n > r->max_len) {
        r->err = COORD_EPROTO;
        return JUTE_NULL;
    }
    if (!take(r, (size_t)n))
        return JUTE_NULL;
    struct jute_str s = {(const char *)r->p, n};
    r->p += n;
    r->left -= (size_t)n;
    return s;
}

struct jute_str jute_get_str(struct jute_r *r)
{
    return jute_get_buffer(r);
}

void jute_skip(struct jute_r *r, size_t n)
{
    if (!take(r, n))
        return;
    r->p += n;
    r->left -= n;
}
