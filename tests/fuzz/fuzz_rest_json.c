/* Fuzz target: the REST gateway's JSON bodies turned into request records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/records.h"
#include "server/rest.h"
#include "tests/fuzz/fuzz.h"

/* A record the parser said it wrote must decode as what it claims to be. */
static void check_create(const struct buf *rec, int32_t op)
{
    struct jute_r r;
    jute_r_init(&r, rec->base, rec->len);
    struct coord_create_req cr;
    REQUIRE(coord_get_create_req(&r, &cr, op == COORD_OP_CREATETTL) == 0);
    REQUIRE(jute_r_done(&r));
}

static void check_multi(const struct buf *rec, const struct rest_parsed *p)
{
    struct jute_r r;
    jute_r_init(&r, rec->base, rec->len);
    for (int32_t i = 0;; i++) {
        struct coord_multi_header mh;
        REQUIRE(coord_get_multi_header(&r, &mh) == 0);
        if (mh.done) {
            REQUIRE(i == p->n_ops);
            break;
        }
        REQUIRE(i < p->n_ops && mh.type == p->types[i]);
        if (mh.type == COORD_OP_SETDATA) {
            struct coord_setdata_req sr;
            REQUIRE(coord_get_setdata_req(&r, &sr) == 0);
        } else if (mh.type == COORD_OP_DELETE) {
            struct coord_delete_req dr;
            REQUIRE(coord_get_delete_req(&r, &dr) == 0);
        } else if (mh.type == COORD_OP_CHECK) {
            struct coord_check_req cr;
            REQUIRE(coord_get_check_req(&r, &cr) == 0);
        } else {
            struct coord_create_req cr;
            REQUIRE(coord_get_create_req(&r, &cr,
                                         mh.type == COORD_OP_CREATETTL) == 0);
        }
    }
    REQUIRE(jute_r_done(&r));
}

/* The first byte picks the body: 0 create, 1 set, 2 multi, 3 session,
 * 4 base64 and UTF-8; the rest is the body. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    struct buf rec;
    buf_init(&rec, COORD_MAX_FRAME);
    struct rest_parsed p;
    memset(&p, 0, sizeof p);
    int rv;
    switch (data[0] % 5) {
    case 0:
        rv = rest_json_create(body, len, "/fuzz", &rec, &p);
        if (rv == 0)
            check_create(&rec, p.op);
        break;
    case 1:
        rv = rest_json_set(body, len, "/fuzz", -1, &rec, &p);
        if (rv == 0) {
            struct jute_r r;
            jute_r_init(&r, rec.base, rec.len);
            struct coord_setdata_req sr;
            REQUIRE(coord_get_setdata_req(&r, &sr) == 0 && jute_r_done(&r));
        }
        break;
    case 2:
        rv = rest_json_multi(body, len, &rec, &p);
        if (rv == 0)
            check_multi(&rec, &p);
        break;
    case 3:
        rv = rest_json_session(body, len, &p);
        REQUIRE(rv != 0 || p.timeout >= -1);
        break;
    default: {
        struct buf out, back;
        buf_init(&out, (size_t)COORD_MAX_FRAME * 2);
        buf_init(&back, (size_t)COORD_MAX_FRAME * 2);
        (void)rest_utf8_valid(data + 1, len);
        rest_b64_encode(&out, data + 1, len);
        if (out.err == 0) {
            REQUIRE(rest_b64_decode(&back, (const char *)out.base, out.len) == 0);
            REQUIRE(back.len == len && memcmp(back.base, data + 1, len) == 0);
        }
        buf_reset(&back);
        (void)rest_b64_decode(&back, body, len);
        buf_close(&out);
        buf_close(&back);
        rv = 0;
    }
    }
    REQUIRE(rv == 0 || p.msg[0] != '\0' || rv == COORD_ENOMEM);
    rest_parsed_free(&p);
    buf_close(&rec);
    return 0;
}
