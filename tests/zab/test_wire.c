/* Peer message encoding: round trips and rejected lengths. */
#include "tests/zab/suites.h"
#include "proto/err.h"
#include "zab/wire.h"

static void roundtrip(const struct zab_msg *m)
{
    uint8_t buf[256];
    size_t n = zab_msg_encode(m, buf);
    CHECK_EQ_INT(n, zab_msg_size(m));
    struct zab_msg d;
    CHECK_EQ_INT(zab_msg_decode(buf, n, &d), 0);
    CHECK_EQ_INT(d.type, m->type);
    CHECK_EQ_INT(d.zxid, m->zxid);
    uint8_t again[256];
    CHECK_EQ_INT(zab_msg_encode(&d, again), n);
    CHECK_EQ_MEM(again, buf, n);
}

static void every_message_type_survives_a_round_trip(void)
{
    static const uint8_t txn[] = "create /a";
    struct zab_msg ms[] = {
        {.type = ZAB_MSG_NOTIFICATION, .zxid = ZAB_ZXID(3, 9), .state = 2,
         .leader = 3, .round = 7, .peer_epoch = 3, .version = 1,
         .config_version = 5},
        {.type = ZAB_MSG_FOLLOWERINFO, .zxid = ZAB_ZXID(4, 0), .sid = 2,
         .version = 1, .config_version = 1},
        {.type = ZAB_MSG_OBSERVERINFO, .zxid = ZAB_ZXID(4, 0), .sid = 9},
        {.type = ZAB_MSG_LEADERINFO, .zxid = ZAB_ZXID(5, 0), .version = 1},
        {.type = ZAB_MSG_ACKEPOCH, .zxid = ZAB_ZXID(4, 2),
         .current_epoch = -1, .committed = ZAB_ZXID(4, 1)},
        {.type = ZAB_MSG_ACKEPOCH, .zxid = ZAB_ZXID(4, 2),
         .current_epoch = 4},
        {.type = ZAB_MSG_NEWLEADER, .zxid = ZAB_ZXID(5, 0),
         .config_version = 2},
        {.type = ZAB_MSG_DIFF, .zxid = ZAB_ZXID(4, 2),
         .committed = ZAB_ZXID(4, 8)},
        {.type = ZAB_MSG_TRUNC, .zxid = ZAB_ZXID(4, 2)},
        {.type = ZAB_MSG_SNAP, .zxid = ZAB_ZXID(4, 2)},
        {.type = ZAB_MSG_PROPOSAL, .zxid = ZAB_ZXID(5, 1), .data = txn,
         .len = sizeof txn},
        {.type = ZAB_MSG_INFORM, .zxid = ZAB_ZXID(5, 1), .data = txn,
         .len = sizeof txn},
        {.type = ZAB_MSG_ACK, .zxid = ZAB_ZXID(5, 1)},
        {.type = ZAB_MSG_COMMIT, .zxid = ZAB_ZXID(5, 1)},
        {.type = ZAB_MSG_PING, .zxid = ZAB_ZXID(5, 1)},
        {.type = ZAB_MSG_UPTODATE},
        {.type = ZAB_MSG_FETCH, .zxid = ZAB_ZXID(4, 2)},
        {.type = ZAB_MSG_FETCHED, .zxid = ZAB_ZXID(4, 3), .data = txn,
         .len = sizeof txn},
        {.type = ZAB_MSG_FETCHED},
    };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        roundtrip(&ms[i]);
}

static void truncated_and_padded_messages_are_rejected(void)
{
    struct zab_msg m = {.type = ZAB_MSG_LEADERINFO, .zxid = ZAB_ZXID(5, 0)};
    uint8_t buf[64];
    size_t n = zab_msg_encode(&m, buf);
    struct zab_msg d;
    for (size_t cut = 0; cut < n; cut++)
        CHECK_EQ_INT(zab_msg_decode(buf, cut, &d), COORD_EPROTO);
    buf[n] = 0;
    CHECK_EQ_INT(zab_msg_decode(buf, n + 1, &d), COORD_EPROTO);
    buf[3] = 99; /* unknown type */
    CHECK_EQ_INT(zab_msg_decode(buf, n, &d), COORD_EPROTO);
}

static void a_proposal_must_carry_a_nonzero_counter(void)
{
    struct zab_msg m = {.type = ZAB_MSG_PROPOSAL, .zxid = ZAB_ZXID(5, 0)};
    uint8_t buf[64];
    size_t n = zab_msg_encode(&m, buf);
    struct zab_msg d;
    CHECK_EQ_INT(zab_msg_decode(buf, n, &d), COORD_EPROTO);
}

/* Spec 2.2: notifications and NEWLEADER end with the sender's
 * configuration text (possibly empty); a header claiming more than the
 * bytes there, or a text beyond ZAB_MAX_CONFIG, is refused. */
static void notifications_and_newleader_carry_the_config_text(void)
{
    static const uint8_t cfg[] = "server.1=127.0.0.1:2888:3888:participant\n";
    static uint8_t buf[ZAB_WIRE_HEADER + 40 + ZAB_MAX_CONFIG + 2];
    struct zab_msg ms[] = {
        {.type = ZAB_MSG_NOTIFICATION, .zxid = ZAB_ZXID(3, 9), .state = 1,
         .leader = 3, .round = 7, .peer_epoch = 3, .version = 1,
         .config_version = ZAB_ZXID(2, 4), .data = cfg,
         .len = sizeof cfg - 1},
        {.type = ZAB_MSG_NEWLEADER, .zxid = ZAB_ZXID(5, 0),
         .config_version = ZAB_ZXID(2, 4), .data = cfg,
         .len = sizeof cfg - 1},
    };
    for (size_t i = 0; i < 2; i++) {
        size_t n = zab_msg_encode(&ms[i], buf);
        struct zab_msg d;
        CHECK_EQ_INT(zab_msg_decode(buf, n, &d), 0);
        CHECK_EQ_INT(d.config_version, ZAB_ZXID(2, 4));
        CHECK_EQ_INT(d.len, sizeof cfg - 1);
        CHECK_EQ_MEM(d.data, cfg, d.len);
        /* the fixed part cut short */
        size_t fixed = n - (sizeof cfg - 1);
        buf[12] = buf[13] = 0;
        buf[14] = (uint8_t)((fixed - ZAB_WIRE_HEADER - 1) >> 8);
        buf[15] = (uint8_t)(fixed - ZAB_WIRE_HEADER - 1);
        CHECK_EQ_INT(zab_msg_decode(buf, fixed - 1, &d), COORD_EPROTO);
    }
    /* a text one byte over the limit */
    struct zab_msg big = ms[0];
    static uint8_t text[ZAB_MAX_CONFIG + 1];
    big.data = text;
    big.len = sizeof text;
    size_t n = zab_msg_encode(&big, buf);
    struct zab_msg d;
    CHECK_EQ_INT(zab_msg_decode(buf, n, &d), COORD_EPROTO);
    big.len = ZAB_MAX_CONFIG;
    n = zab_msg_encode(&big, buf);
    CHECK_EQ_INT(zab_msg_decode(buf, n, &d), 0);
}

CU_TestInfo wire_tests[] = {
    {"notifications and newleader carry the config text",
     notifications_and_newleader_carry_the_config_text},
    {"every message type survives a round trip",
     every_message_type_survives_a_round_trip},
    {"truncated and padded messages are rejected",
     truncated_and_padded_messages_are_rejected},
    {"a proposal must carry a nonzero counter",
     a_proposal_must_carry_a_nonzero_counter},
    CU_TEST_INFO_NULL,
};
