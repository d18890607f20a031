/* Capped growable buffers. */
#include "proto/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

void buf_init(struct buf *b, size_t max)
{
    b->base = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = 0;
}

void buf_close(struct buf *b)
{
    free(b->base);
    b->base = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
    if (b->err)
        return b->err;
    if (n > b->max || b->len > b->max - n) {
        b->err = COORD_ETOOBIG;
        return b->err;
    }
    size_t need = b->len + n;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max)
        cap = b->max;
    uint8_t *p = realloc(b->base, cap);
    if (p == NULL) {
        b->err = COORD_ENOMEM;
        return b->err;
    }
    b->base = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rv = buf_reserve(b, n);
    if (rv != 0)
        return rv;
    if (n > 0)
        memcpy(b->base + b->len, p, n);
    b->len += n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = b->err ? b->err : COORD_EINVAL;
        return b->err;
    }
    if ((size_t)n < sizeof small)
        return buf_append(b, small, (size_t)n);
    int rv = buf_reserve(b, (size_t)n + 1);
    if (rv != 0)
        return rv;
    va_start(ap, fmt);
    vsnprintf((char *)b->base + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->base, b->base + n, b->len - n);
    b->len -= n;
}

uint8_t *buf_take(struct buf *b, size_t *len)
{
    uint8_t *p = b->base;
    if (len)
        *len = b->len;
    b->base = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
