/* Fuzz target: /zookeeper/config text parsed, formatted and parsed again,
 * then a reconfig request applied to it. */
#include <string.h>

#include "proto/buf.h"
#include "server/dynconfig.h"
#include "tests/fuzz/fuzz.h"

/*
 * Formatting c and parsing the text back gives c again, and formatting
 * that gives the same bytes: the text we write to /zookeeper/config is one
 * we read back unchanged.
 */
static void round_trip(const struct dyncfg *c)
{
    struct buf a, b;
    struct dyncfg again;
    char err[128];
    buf_init(&a, (size_t)1 << 24);
    buf_init(&b, (size_t)1 << 24);
    REQUIRE(dyncfg_format(c, &a) == 0);
    if (dyncfg_parse((const char *)a.base, a.len, &again, NULL, err,
                     sizeof err) != 0) {
        fprintf(stderr, "%.*s\nreparse: %s\n", (int)a.len,
                (const char *)a.base, err);
        abort();
    }
    REQUIRE(dyncfg_equal(c, &again));
    REQUIRE(dyncfg_format(&again, &b) == 0);
    REQUIRE(a.len == b.len &&
            (a.len == 0 || memcmp(a.base, b.base, a.len) == 0));
    dyncfg_free(&again);
    buf_close(&a);
    buf_close(&b);
}

/* Sorted by id, ids unique, client_host exactly when a client port. */
static void well_formed(const struct dyncfg *c)
{
    for (size_t i = 0; i < c->n; i++) {
        REQUIRE(i == 0 || c->s[i - 1].id < c->s[i].id);
        REQUIRE(dyncfg_find(c, c->s[i].id) == &c->s[i]);
        REQUIRE(c->s[i].host != NULL);
        REQUIRE((c->s[i].client_port != 0) == (c->s[i].client_host != NULL));
    }
    REQUIRE(dyncfg_voters(c) <= c->n);
    round_trip(c);
}

/*
 * The input is the config text, then up to three NUL-terminated strings:
 * joining, leaving and new members (a missing one is NULL). Each piece is
 * copied to a buffer of its own size so ASan sees any overread.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = size > 0 ? memchr(in, '\0', size) : NULL;
    size_t text_len = nul != NULL ? (size_t)(nul - in) : size;
    char *text = malloc(text_len > 0 ? text_len : 1);
    REQUIRE(text != NULL);
    if (text_len > 0)
        memcpy(text, in, text_len);
    char *req[3] = {NULL, NULL, NULL};
    size_t off = nul != NULL ? text_len + 1 : size;
    for (int i = 0; i < 3 && off < size; i++) {
        const char *end = memchr(in + off, '\0', size - off);
        size_t n = end != NULL ? (size_t)(end - (in + off)) : size - off;
        req[i] = malloc(n + 1);
        REQUIRE(req[i] != NULL);
        if (n > 0)
            memcpy(req[i], in + off, n);
        req[i][n] = '\0';
        off += n + 1;
    }

    struct dyncfg cur, next;
    uint64_t version;
    char err[128];
    int rc = dyncfg_parse(text, text_len, &cur, &version, err, sizeof err);
    if (rc == 0) {
        well_formed(&cur);
        rc = dyncfg_apply(&cur, req[0], req[1], req[2], &next, err,
                          sizeof err);
        if (rc == 0) {
            REQUIRE(dyncfg_voters(&next) > 0);
            well_formed(&next);
            dyncfg_free(&next);
        } else {
            REQUIRE(next.n == 0 && next.s == NULL);
            REQUIRE(err[0] != '\0');
        }
        dyncfg_free(&cur);
    } else {
        REQUIRE(cur.n == 0 && cur.s == NULL);
        REQUIRE(err[0] != '\0');
    }
    free(text);
    for (int i = 0; i < 3; i++)
        free(req[i]);
    return 0;
}
