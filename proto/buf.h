/* Owned byte buffers with a hard cap, and borrowed views. */
#ifndef COORD_PROTO_BUF_H
#define COORD_PROTO_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed view of bytes someone else owns. */
struct coord_span {
    const uint8_t *base;
    size_t len;
};

/*
 * An owned, growable buffer that never grows past `max` bytes. Append
 * operations record the first failure in `err` (sticky, like curl's dynbuf
 * "toobig"), so a run of writes can be checked once at the end.
 */
struct buf {
    uint8_t *base;
    size_t len;
    size_t cap;
    size_t max;
    int err; /* 0, COORD_ENOMEM or COORD_ETOOBIG; sticky until buf_reset */
};

/* Empty buffer that may hold at most `max` bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Frees the storage; the buffer is empty and reusable afterwards. */
void buf_close(struct buf *b);

/* Forgets the contents and the sticky error, keeps the storage. */
void buf_reset(struct buf *b);

/* Makes room for `n` more bytes. 0, COORD_ENOMEM or COORD_ETOOBIG (also set
 * in b->err). */
int buf_reserve(struct buf *b, size_t n);

/* Appends `n` bytes. Same returns as buf_reserve. */
int buf_append(struct buf *b, const void *p, size_t n);

/* Appends printf-formatted text (no NUL kept). */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Drops the first `n` bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

/* Hands the storage to the caller (who frees it with free()); b is emptied. */
uint8_t *buf_take(struct buf *b, size_t *len);

#endif
