/* Hostile input: truncation, bad lengths and counts never read out of bounds. */
#include <stdlib.h>

#include "proto/err.h"
#include "proto/records.h"
#include "tests/lib/check.h"
#include "tests/proto/suites.h"

static const struct coord_acl acl1[] = {
    {COORD_PERM_ALL, {{"world", 5}, {"anyone", 6}}},
    {COORD_PERM_READ, {{"ip", 2}, {"10.0.0.0/8", 10}}},
};
static const struct jute_str strs[] = {{"/a", 2}, {NULL, -1}, {"", 0}};

/* One sample of each record: an encoder of the sample and its decoder. */
struct rec {
    const char *name;
    void (*put)(struct buf *b);
    int (*get)(struct jute_r *r);
};

static struct jute_vec acl_vec(struct buf *tmp)
{
    buf_init(tmp, 4096);
    coord_put_acl_array(tmp, acl1, 2);
    return proto_vec_of(tmp);
}

static struct jute_vec str_vec(struct buf *tmp)
{
    buf_init(tmp, 4096);
    coord_put_str_array(tmp, strs, 3);
    return proto_vec_of(tmp);
}

static void put_id(struct buf *b)
{
    coord_put_id(b, &acl1[0].id);
}
static int get_id(struct jute_r *r)
{
    struct coord_id x;
    return coord_get_id(r, &x);
}
static void put_acl(struct buf *b)
{
    coord_put_acl(b, &acl1[1]);
}
static int get_acl(struct jute_r *r)
{
    struct coord_acl x;
    return coord_get_acl(r, &x);
}
static void put_stat(struct buf *b)
{
    struct coord_stat st = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    coord_put_stat(b, &st);
}
static int get_stat(struct jute_r *r)
{
    struct coord_stat x;
    return coord_get_stat(r, &x);
}
static void put_acl_vec(struct buf *b)
{
    coord_put_acl_array(b, acl1, 2);
}
static int get_acl_vec(struct jute_r *r)
{
    struct jute_vec x;
    return coord_get_acl_vec(r, &x);
}
static void put_str_vec(struct buf *b)
{
    coord_put_str_array(b, strs, 3);
}
static int get_str_vec(struct jute_r *r)
{
    struct jute_vec x;
    return coord_get_str_vec(r, &x);
}
static void put_connect_req(struct buf *b)
{
    /* Without readOnly: a cut before it would be a valid old client. */
    struct coord_connect_req x = {0, 5, 6, 7, {"0123456789abcdef", 16},
                                  false, false};
    coord_put_connect_req(b, &x);
}
static int get_connect_req(struct jute_r *r)
{
    struct coord_connect_req x;
    return coord_get_connect_req(r, &x);
}
static void put_connect_resp(struct buf *b)
{
    struct coord_connect_resp x = {0, 6, 7, {"0123456789abcdef", 16}, false,
                                   false};
    coord_put_connect_resp(b, &x);
}
static int get_connect_resp(struct jute_r *r)
{
    struct coord_connect_resp x;
    return coord_get_connect_resp(r, &x);
}
static void put_request_header(struct buf *b)
{
    struct coord_request_header x = {1, 2};
    coord_put_request_header(b, &x);
}
static int get_request_header(struct jute_r *r)
{
    struct coord_request_header x;
    return coord_get_request_header(r, &x);
}
static void put_reply_header(struct buf *b)
{
    struct coord_reply_header x = {1, 2, 3};
    coord_put_reply_header(b, &x);
}
static int get_reply_header(struct jute_r *r)
{
    struct coord_reply_header x;
    return coord_get_reply_header(r, &x);
}
static void put_multi_header(struct buf *b)
{
    struct coord_multi_header x = {1, false, -1};
    coord_put_multi_header(b, &x);
}
static int get_multi_header(struct jute_r *r)
{
    struct coord_multi_header x;
    return coord_get_multi_header(r, &x);
}
static void put_auth_packet(struct buf *b)
{
    struct coord_auth_packet x = {0, {"digest", 6}, {"a:b", 3}};
    coord_put_auth_packet(b, &x);
}
static int get_auth_packet(struct jute_r *r)
{
    struct coord_auth_packet x;
    return coord_get_auth_packet(r, &x);
}
static void put_watcher_event(struct buf *b)
{
    struct coord_watcher_event x = {1, 3, {"/a", 2}};
    coord_put_watcher_event(b, &x);
}
static int get_watcher_event(struct jute_r *r)
{
    struct coord_watcher_event x;
    return coord_get_watcher_event(r, &x);
}
static void put_create_req(struct buf *b)
{
    struct buf tmp;
    struct coord_create_req x = {{"/a", 2}, {"x", 1}, acl_vec(&tmp), 0, -1};
    coord_put_create_req(b, &x, false);
    buf_close(&tmp);
}
static int get_create_req(struct jute_r *r)
{
    struct coord_create_req x;
    return coord_get_create_req(r, &x, false);
}
static void put_create_ttl_req(struct buf *b)
{
    struct buf tmp;
    struct coord_create_req x = {{"/a", 2}, {"x", 1}, acl_vec(&tmp), 5, 100};
    coord_put_create_req(b, &x, true);
    buf_close(&tmp);
}
static int get_create_ttl_req(struct jute_r *r)
{
    struct coord_create_req x;
    return coord_get_create_req(r, &x, true);
}
static void put_delete_req(struct buf *b)
{
    struct coord_delete_req x = {{"/a", 2}, -1};
    coord_put_delete_req(b, &x);
}
static int get_delete_req(struct jute_r *r)
{
    struct coord_delete_req x;
    return coord_get_delete_req(r, &x);
}
static void put_path_watch_req(struct buf *b)
{
    struct coord_path_watch_req x = {{"/a", 2}, true};
    coord_put_path_watch_req(b, &x);
}
static int get_path_watch_req(struct jute_r *r)
{
    struct coord_path_watch_req x;
    return coord_get_path_watch_req(r, &x);
}
static void put_setdata_req(struct buf *b)
{
    struct coord_setdata_req x = {{"/a", 2}, {"xyz", 3}, 1};
    coord_put_setdata_req(b, &x);
}
static int get_setdata_req(struct jute_r *r)
{
    struct coord_setdata_req x;
    return coord_get_setdata_req(r, &x);
}
static void put_path_req(struct buf *b)
{
    struct coord_path_req x = {{"/a", 2}};
    coord_put_path_req(b, &x);
}
static int get_path_req(struct jute_r *r)
{
    struct coord_path_req x;
    return coord_get_path_req(r, &x);
}
static void put_setacl_req(struct buf *b)
{
    struct buf tmp;
    struct coord_setacl_req x = {{"/a", 2}, acl_vec(&tmp), 2};
    coord_put_setacl_req(b, &x);
    buf_close(&tmp);
}
static int get_setacl_req(struct jute_r *r)
{
    struct coord_setacl_req x;
    return coord_get_setacl_req(r, &x);
}
static void put_check_req(struct buf *b)
{
    struct coord_check_req x = {{"/a", 2}, 2};
    coord_put_check_req(b, &x);
}
static int get_check_req(struct jute_r *r)
{
    struct coord_check_req x;
    return coord_get_check_req(r, &x);
}
static void put_reconfig_req(struct buf *b)
{
    struct coord_reconfig_req x = {{"j", 1}, {"l", 1}, {NULL, -1}, 9};
    coord_put_reconfig_req(b, &x);
}
static int get_reconfig_req(struct jute_r *r)
{
    struct coord_reconfig_req x;
    return coord_get_reconfig_req(r, &x);
}
static void put_setwatches_req(struct buf *b)
{
    struct buf tmp;
    struct jute_vec v = str_vec(&tmp);
    struct coord_setwatches_req x = {1, v, v, v, v, v};
    coord_put_setwatches_req(b, &x, false);
    buf_close(&tmp);
}
static int get_setwatches_req(struct jute_r *r)
{
    struct coord_setwatches_req x;
    return coord_get_setwatches_req(r, &x, false);
}
static void put_setwatches2_req(struct buf *b)
{
    struct buf tmp;
    struct jute_vec v = str_vec(&tmp);
    struct coord_setwatches_req x = {1, v, v, v, v, v};
    coord_put_setwatches_req(b, &x, true);
    buf_close(&tmp);
}
static int get_setwatches2_req(struct jute_r *r)
{
    struct coord_setwatches_req x;
    return coord_get_setwatches_req(r, &x, true);
}
static void put_watches_req(struct buf *b)
{
    struct coord_watches_req x = {{"/a", 2}, 3};
    coord_put_watches_req(b, &x);
}
static int get_watches_req(struct jute_r *r)
{
    struct coord_watches_req x;
    return coord_get_watches_req(r, &x);
}
static void put_addwatch_req(struct buf *b)
{
    struct coord_addwatch_req x = {{"/a", 2}, 1};
    coord_put_addwatch_req(b, &x);
}
static int get_addwatch_req(struct jute_r *r)
{
    struct coord_addwatch_req x;
    return coord_get_addwatch_req(r, &x);
}

#define REC(x) {#x, put_##x, get_##x}
static const struct rec recs[] = {
    REC(id),           REC(acl),           REC(stat),
    REC(acl_vec),      REC(str_vec),       REC(connect_req),
    REC(connect_resp), REC(request_header), REC(reply_header),
    REC(multi_header), REC(auth_packet),   REC(watcher_event),
    REC(create_req),   REC(create_ttl_req), REC(delete_req),
    REC(path_watch_req), REC(setdata_req), REC(path_req),
    REC(setacl_req),   REC(check_req),     REC(reconfig_req),
    REC(setwatches_req), REC(setwatches2_req), REC(watches_req),
    REC(addwatch_req),
};
#define NRECS (sizeof recs / sizeof recs[0])

static void every_record_decodes_exactly_what_it_encodes(void)
{
    for (size_t i = 0; i < NRECS; i++) {
        struct buf b;
        struct jute_r r;
        buf_init(&b, 4096);
        recs[i].put(&b);
        CHECK_EQ_INT(b.err, 0);
        jute_r_init(&r, proto_block(b.base, b.len), b.len);
        int rc = recs[i].get(&r);
        if (rc != 0 || !jute_r_done(&r))
            check_fail(__LINE__, __FILE__, 0, "%s: rc %d, %zu left",
                       recs[i].name, rc, r.left);
        buf_close(&b);
    }
}

static void every_record_cut_short_is_refused_at_every_length(void)
{
    for (size_t i = 0; i < NRECS; i++) {
        struct buf b;
        buf_init(&b, 4096);
        recs[i].put(&b);
        for (size_t cut = 0; cut < b.len; cut++) {
            struct jute_r r;
            jute_r_init(&r, proto_block(b.base, cut), cut);
            int rc = recs[i].get(&r);
            if (rc != COORD_EPROTO || r.err != COORD_EPROTO)
                check_fail(__LINE__, __FILE__, 0, "%s cut at %zu of %zu: %d",
                           recs[i].name, cut, b.len, rc);
        }
        buf_close(&b);
    }
}

/* Decodes hex with a decoder and returns its result. */
static int decode_hex(const char *hex, int (*get)(struct jute_r *))
{
    size_t n;
    struct jute_r r;
    const uint8_t *p = proto_unhex(hex, &n);
    jute_r_init(&r, p, n);
    return get(&r);
}

static void string_lengths_below_minus_one_are_refused(void)
{
    CHECK_EQ_INT(decode_hex("fffffffe", get_path_req), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("80000000 2f61", get_path_req), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("ffffffff", get_path_req), 0); /* null */
}

static void string_lengths_past_the_input_are_refused(void)
{
    CHECK_EQ_INT(decode_hex("00000003 2f61", get_path_req), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("7fffffff 2f61", get_path_req), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("00000002 2f61", get_path_req), 0);
}

static void string_lengths_above_the_frame_limit_are_refused(void)
{
    /* The bytes are all there; only the limit is exceeded. */
    size_t n = 4 + COORD_MAX_FRAME + 1;
    uint8_t *p = calloc(1, n);
    CHECK_TRUE(p != NULL);
    if (p == NULL)
        return;
    struct jute_r r;
    jute_wbe32(p, COORD_MAX_FRAME + 1);
    jute_r_init(&r, p, n);
    CHECK_EQ_INT(get_path_req(&r), COORD_EPROTO);
    jute_wbe32(p, COORD_MAX_FRAME);
    jute_r_init(&r, p, n);
    CHECK_EQ_INT(get_path_req(&r), 0);
    CHECK_EQ_INT(r.left, 1);
    free(p);
}

static void vector_counts_below_minus_one_are_refused(void)
{
    CHECK_EQ_INT(decode_hex("fffffffe", get_str_vec), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("80000000 00000000", get_acl_vec), COORD_EPROTO);
}

static void vector_counts_above_the_bytes_left_are_refused(void)
{
    CHECK_EQ_INT(decode_hex("7fffffff", get_str_vec), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("00000005 00000000", get_str_vec), COORD_EPROTO);
    /* Count == bytes left passes the first check; the elements do not fit. */
    CHECK_EQ_INT(decode_hex("00000004 00000000", get_str_vec), COORD_EPROTO);
    CHECK_EQ_INT(decode_hex("00000002 00000000 00000000", get_str_vec), 0);
}

static void vector_elements_must_lie_inside_the_input(void)
{
    /* The second string claims more bytes than are left. */
    CHECK_EQ_INT(decode_hex("00000002 00000001 61 00000009 6262", get_str_vec),
                 COORD_EPROTO);
    /* An ACL whose id is cut. */
    CHECK_EQ_INT(decode_hex("00000001 0000001f 00000002 6970 00000004 3130",
                            get_acl_vec),
                 COORD_EPROTO);
    /* A bad element inside a request's vector fails the whole request. */
    CHECK_EQ_INT(decode_hex("00000002 2f61 ffffffff 00000001 0000001f fffffffd"
                            " 00000000 00000000",
                            get_create_req),
                 COORD_EPROTO);
}

static void decoded_vector_spans_exactly_its_elements(void)
{
    size_t n;
    struct jute_r r;
    struct jute_vec v;
    const uint8_t *p =
        proto_unhex("00000002 00000001 61 ffffffff 0000002a", &n);
    jute_r_init(&r, p, n);
    CHECK_EQ_INT(coord_get_str_vec(&r, &v), 0);
    CHECK_EQ_INT(v.count, 2);
    CHECK_TRUE(v.p == p + 4);
    CHECK_EQ_INT(v.len, 9);
    CHECK_EQ_INT(jute_get_int(&r), 42);
    CHECK_TRUE(jute_r_done(&r));
}

static void errors_stick_once_a_field_fails(void)
{
    size_t n;
    struct jute_r r;
    struct coord_delete_req d;
    const uint8_t *p = proto_unhex("fffffff0 00000001", &n);
    jute_r_init(&r, p, n);
    CHECK_EQ_INT(coord_get_delete_req(&r, &d), COORD_EPROTO);
    CHECK_EQ_INT(d.path.len, -1);
    CHECK_EQ_INT(d.version, 0); /* never read past the failure */
}

static void any_nonzero_boolean_byte_reads_as_true_and_writes_as_one(void)
{
    size_t n;
    struct jute_r r;
    struct coord_path_watch_req w;
    const uint8_t *p = proto_unhex("00000002 2f61 7f", &n);
    jute_r_init(&r, p, n);
    CHECK_EQ_INT(coord_get_path_watch_req(&r, &w), 0);
    CHECK_TRUE(w.watch);
    struct buf b;
    buf_init(&b, 64);
    coord_put_path_watch_req(&b, &w);
    CHECK_EQ_INT(b.len, 7);
    CHECK_EQ_INT(b.base[6], 1);
    buf_close(&b);
}

static void multi_loop_ends_at_done_and_refuses_a_cut_terminator(void)
{
    size_t n;
    struct jute_r r;
    struct coord_multi_header mh;
    const uint8_t *p = proto_unhex("ffffffff01ffffffff", &n);
    jute_r_init(&r, p, n);
    CHECK_EQ_INT(coord_get_multi_header(&r, &mh), 0);
    CHECK_TRUE(mh.done);
    CHECK_EQ_INT(mh.type, -1);
    CHECK_TRUE(jute_r_done(&r));
    jute_r_init(&r, p, n - 1);
    CHECK_EQ_INT(coord_get_multi_header(&r, &mh), COORD_EPROTO);
}

CU_TestInfo limits_tests[] = {
    {"every record decodes exactly what it encodes",
     every_record_decodes_exactly_what_it_encodes},
    {"every record cut short is refused at every length",
     every_record_cut_short_is_refused_at_every_length},
    {"string lengths below -1 are refused",
     string_lengths_below_minus_one_are_refused},
    {"string lengths past the input are refused",
     string_lengths_past_the_input_are_refused},
    {"string lengths above the frame limit are refused",
     string_lengths_above_the_frame_limit_are_refused},
    {"vector counts below -1 are refused",
     vector_counts_below_minus_one_are_refused},
    {"vector counts above the bytes left are refused",
     vector_counts_above_the_bytes_left_are_refused},
    {"vector elements must lie inside the input",
     vector_elements_must_lie_inside_the_input},
    {"a decoded vector spans exactly its elements",
     decoded_vector_spans_exactly_its_elements},
    {"errors stick once a field fails", errors_stick_once_a_field_fails},
    {"any non-zero boolean byte reads as true and writes as one",
     any_nonzero_boolean_byte_reads_as_true_and_writes_as_one},
    {"the multi loop ends at done and refuses a cut terminator",
     multi_loop_ends_at_done_and_refuses_a_cut_terminator},
    CU_TEST_INFO_NULL,
};
