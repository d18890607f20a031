/* Fuzz target: one Zab engine fed a sequence of events drawn from the input:
 * messages from its peers (well-formed messages with fuzzed fields, or raw
 * bytes), ticks, link changes, submits, and durability reports that follow
 * the driver contract. The engine must not crash, assert or leak whatever
 * its peers say, and what it delivers must keep increasing in zxid. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "zab/wire.h"
#include "zab/zab.h"

struct in {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v <<= 8;
        if (in->n > 0) {
            v |= *in->p++;
            in->n--;
        }
    }
    return v;
}

/* The persist requests not yet reported, in order (the driver's view). */
struct pending {
    int kind[4096];
    zab_zxid zxid[4096];
    size_t head, n;
};

static void remember(struct pending *q, const struct zab_update *u)
{
    for (size_t i = 0; i < u->n_persist && q->head + q->n < 4096; i++) {
        q->kind[q->head + q->n] = u->persist[i].kind;
        q->zxid[q->head + q->n] = u->persist[i].zxid;
        q->n++;
    }
}

static zab_zxid last_delivered;

static void check_update(struct pending *q, const struct zab_update *u)
{
    for (size_t i = 0; i < u->n_deliver; i++) {
        REQUIRE(u->deliver[i].zxid > last_delivered);
        last_delivered = u->deliver[i].zxid;
    }
    remember(q, u);
}

static const int msg_types[] = {
    ZAB_MSG_PROPOSAL, ZAB_MSG_ACK,      ZAB_MSG_COMMIT,       ZAB_MSG_PING,
    ZAB_MSG_INFORM,   ZAB_MSG_NEWLEADER, ZAB_MSG_FOLLOWERINFO, ZAB_MSG_UPTODATE,
    ZAB_MSG_DIFF,     ZAB_MSG_TRUNC,    ZAB_MSG_SNAP,         ZAB_MSG_OBSERVERINFO,
    ZAB_MSG_LEADERINFO, ZAB_MSG_ACKEPOCH, ZAB_MSG_NOTIFICATION, ZAB_MSG_FETCH,
    ZAB_MSG_FETCHED,
};

/* Reconfiguration: a txn starting with 'C' carries a configuration, one
 * byte per member (id 1-5; the high bit makes it an observer). */
static bool txn_config(void *ctx, const uint8_t *txn, size_t len,
                       const uint8_t **text, size_t *text_len)
{
    (void)ctx;
    if (len < 1 || txn[0] != 'C')
        return false;
    *text = txn + 1;
    *text_len = len - 1;
    return true;
}

static int parse_config(void *ctx, const uint8_t *text, size_t len,
                        struct zab_membership *out)
{
    (void)ctx;
    out->n = 0;
    for (size_t i = 0; i < len && i < 5; i++) {
        zab_sid id = (zab_sid)(text[i] & 0x7f) % 5 + 1;
        for (unsigned k = 0; k < out->n; k++)
            if (out->members[k].id == id)
                return -1;
        out->members[out->n++] = (struct zab_member){
            id, text[i] & 0x80 ? ZAB_OBSERVER : ZAB_VOTER};
    }
    return out->n ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    struct zab_config cfg;
    zab_config_defaults(&cfg);
    cfg.tick_ms = 100;
    cfg.window = 8;
    cfg.max_outstanding = 16;
    cfg.members.n = 3;
    for (unsigned i = 0; i < 3; i++)
        cfg.members.members[i] = (struct zab_member){i + 1, ZAB_VOTER};
    static const uint8_t initial[] = {0, 1, 2};
    cfg.config_text = initial;
    cfg.config_len = sizeof initial;
    cfg.txn_config = txn_config;
    cfg.parse_config = parse_config;
    cfg.my_id = 1 + take(&in, 1) % 3;
    struct zab z;
    if (zab_init(&z, &cfg, NULL, take(&in, 2)) != 0)
        return 0;
    struct pending q = {0};
    last_delivered = 0;
    uint64_t now = 1000;
    struct zab_update u;
    struct zab_event ev = {.type = ZAB_EV_TICK};
    ev.tick.now_ms = now;
    zab_step(&z, &ev, &u);
    check_update(&q, &u);
    uint8_t buf[512];
    for (int steps = 0; in.n > 0 && steps < 2000; steps++) {
        memset(&ev, 0, sizeof ev);
        unsigned op = (unsigned)take(&in, 1) % 10;
        /* servers 4 and 5 are in no initial configuration */
        zab_sid from = 1 + take(&in, 1) % 5;
        if (from == cfg.my_id)
            from = from % 5 + 1;
        switch (op) {
        case 0:
            now += take(&in, 1) * 10;
            ev.type = ZAB_EV_TICK;
            ev.tick.now_ms = now;
            break;
        case 1:
        case 2:
        case 3: { /* a well-formed message with fuzzed fields */
            struct zab_msg m = {0};
            m.type = msg_types[take(&in, 1) %
                               (sizeof msg_types / sizeof msg_types[0])];
            /* small epochs and counters reach the interesting cases */
            m.zxid = ZAB_ZXID(take(&in, 1) % 4, take(&in, 1) % 16);
            m.state = (int)(take(&in, 1) % 4);
            m.leader = take(&in, 1) % 4;
            m.round = take(&in, 1) % 4;
            m.peer_epoch = (zab_epoch)(take(&in, 1) % 4);
            m.version = ZAB_PROTOCOL_VERSION;
            m.sid = from;
            m.current_epoch = (int64_t)(take(&in, 1) % 5) - 1;
            m.committed = ZAB_ZXID(take(&in, 1) % 4, take(&in, 1) % 16);
            uint8_t payload[8] = {0};
            /* sometimes a configuration (txns) or its text (notification,
             * newleader) */
            if (take(&in, 1) % 4 == 0) {
                payload[0] = 'C';
                for (int k = 1; k < 8; k++)
                    payload[k] = (uint8_t)take(&in, 1);
            }
            m.data = payload;
            m.len = take(&in, 1) % 9;
            if (zab_msg_size(&m) > sizeof buf)
                continue;
            size_t len = zab_msg_encode(&m, buf);
            ev.type = ZAB_EV_MSG;
            ev.msg.from = from;
            ev.msg.data = buf;
            ev.msg.len = len;
            break;
        }
        case 4: { /* raw bytes */
            size_t len = take(&in, 1) % 64;
            if (len > in.n)
                len = in.n;
            memcpy(buf, in.p, len);
            in.p += len;
            in.n -= len;
            ev.type = ZAB_EV_MSG;
            ev.msg.from = from;
            ev.msg.data = buf;
            ev.msg.len = len;
            break;
        }
        case 5: /* the oldest unreported persist request became durable */
            if (q.n == 0)
                continue;
            if (q.kind[q.head] == ZAB_PERSIST_APPEND ||
                q.kind[q.head] == ZAB_PERSIST_TRUNCATE) {
                ev.type = ZAB_EV_PERSISTED;
                ev.persisted.zxid = q.zxid[q.head];
            } else {
                ev.type = ZAB_EV_EPOCH_PERSISTED;
            }
            q.head++;
            q.n--;
            break;
        case 6: {
            static uint8_t cfgtxn[4] = {'C'};
            ev.type = ZAB_EV_SUBMIT;
            if (take(&in, 1) % 3 == 0) {
                for (int k = 1; k < 4; k++)
                    cfgtxn[k] = (uint8_t)take(&in, 1);
                ev.submit.data = cfgtxn;
                ev.submit.len = 1 + take(&in, 1) % 3;
            } else {
                ev.submit.data = (const uint8_t *)"txn";
                ev.submit.len = 3;
            }
            break;
        }
        case 7:
            ev.type = ZAB_EV_PEER_DOWN;
            ev.peer.id = from;
            break;
        case 8:
            ev.type = ZAB_EV_PEER_UP;
            ev.peer.id = from;
            break;
        default: {
            zab_zxid want;
            if (!zab_snapshot_wanted(&z, &want))
                continue;
            /* the driver installs the image and drops unreported requests */
            q.head = q.n = 0;
            last_delivered = want;
            ev.type = ZAB_EV_SNAPSHOT_LOADED;
            ev.snapshot.zxid = want;
            break;
        }
        }
        zab_step(&z, &ev, &u);
        check_update(&q, &u);
        if (q.n == 0) {
            q.head = 0;
        } else if (q.head > 2048) {
            memmove(q.kind, q.kind + q.head, q.n * sizeof q.kind[0]);
            memmove(q.zxid, q.zxid + q.head, q.n * sizeof q.zxid[0]);
            q.head = 0;
        }
    }
    zab_close(&z);
    return 0;
}
