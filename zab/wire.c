/* Encoding and validating decoding of Zab peer messages. */
#include "zab/wire.h"

#include <string.h>

#include "proto/err.h"
#include "proto/jute.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Body length of a fixed-size type; -1 for variable (txn bytes). */
static long body_size(int type)
{
    switch (type) {
    case ZAB_MSG_NOTIFICATION:
        return 4 + 8 + 8 + 8 + 4 + 8;
    case ZAB_MSG_FOLLOWERINFO:
    case ZAB_MSG_OBSERVERINFO:
        return 8 + 4 + 8;
    case ZAB_MSG_LEADERINFO:
        return 4;
    case ZAB_MSG_ACKEPOCH:
        return 4 + 8;
    case ZAB_MSG_NEWLEADER:
        return 8;
    case ZAB_MSG_PROPOSAL:
    case ZAB_MSG_INFORM:
    case ZAB_MSG_FETCHED:
        return -1;
    case ZAB_MSG_FETCH:
        return 0;
    case ZAB_MSG_DIFF:
    case ZAB_MSG_TRUNC:
    case ZAB_MSG_SNAP:
        return 8;
    case ZAB_MSG_ACK:
    case ZAB_MSG_COMMIT:
    case ZAB_MSG_PING:
    case ZAB_MSG_UPTODATE:
        return 0;
    default:
        return -2;
    }
}

/* Types whose fixed body is followed by a configuration text (spec 2.2:
 * configLen + config), possibly empty. */
static bool has_config(int type)
{
    return type == ZAB_MSG_NOTIFICATION || type == ZAB_MSG_NEWLEADER;
}

size_t zab_msg_size(const struct zab_msg *m)
{
    long b = body_size(m->type);
    if (has_config(m->type))
        return ZAB_WIRE_HEADER + (size_t)b + m->len;
    return ZAB_WIRE_HEADER + (b >= 0 ? (size_t)b : m->len);
}

size_t zab_msg_encode(const struct zab_msg *m, uint8_t *out)
{
    size_t n = zab_msg_size(m);
    size_t body = n - ZAB_WIRE_HEADER;
    uint8_t *p = out + ZAB_WIRE_HEADER;
    put32(out, (uint32_t)m->type);
    put64(out + 4, m->zxid);
    put32(out + 12, (uint32_t)body);
    switch (m->type) {
    case ZAB_MSG_NOTIFICATION:
        put32(p, (uint32_t)m->state);
        put64(p + 4, m->leader);
        put64(p + 12, m->round);
        put64(p + 20, m->peer_epoch);
        put32(p + 28, (uint32_t)m->version);
        put64(p + 32, m->config_version);
        if (m->len > 0)
            memcpy(p + 40, m->data, m->len);
        break;
    case ZAB_MSG_FOLLOWERINFO:
    case ZAB_MSG_OBSERVERINFO:
        put64(p, m->sid);
        put32(p + 8, (uint32_t)m->version);
        put64(p + 12, m->config_version);
        break;
    case ZAB_MSG_LEADERINFO:
        put32(p, (uint32_t)m->version);
        break;
    case ZAB_MSG_ACKEPOCH:
        put32(p, (uint32_t)(int32_t)m->current_epoch);
        put64(p + 4, m->committed);
        break;
    case ZAB_MSG_NEWLEADER:
        put64(p, m->config_version);
        if (m->len > 0)
            memcpy(p + 8, m->data, m->len);
        break;
    case ZAB_MSG_DIFF:
    case ZAB_MSG_TRUNC:
    case ZAB_MSG_SNAP:
        put64(p, m->committed);
        break;
    case ZAB_MSG_PROPOSAL:
    case ZAB_MSG_INFORM:
    case ZAB_MSG_FETCHED:
        if (m->len > 0)
            memcpy(p, m->data, m->len);
        break;
    default:
        break;
    }
    return n;
}

int zab_msg_decode(const uint8_t *p, size_t n, struct zab_msg *m)
{
    memset(m, 0, sizeof *m);
    if (n < ZAB_WIRE_HEADER)
        return COORD_EPROTO;
    uint32_t type = get32(p);
    long want = body_size((int)type);
    if (want == -2)
        return COORD_EPROTO;
    uint32_t len = get32(p + 12);
    if (len > COORD_MAX_FRAME || (size_t)len != n - ZAB_WIRE_HEADER)
        return COORD_EPROTO;
    if (has_config((int)type)) {
        if (len < (size_t)want || len - (size_t)want > ZAB_MAX_CONFIG)
            return COORD_EPROTO;
    } else if (want >= 0 && (size_t)want != len) {
        return COORD_EPROTO;
    }
    m->type = (int)type;
    m->zxid = get64(p + 4);
    const uint8_t *b = p + ZAB_WIRE_HEADER;
    switch (m->type) {
    case ZAB_MSG_NOTIFICATION: {
        uint32_t st = get32(b);
        uint64_t pe = get64(b + 20);
        if (st > ZAB_OBSERVING || pe > UINT32_MAX)
            return COORD_EPROTO;
        m->state = (int)st;
        m->leader = get64(b + 4);
        m->round = get64(b + 12);
        m->peer_epoch = (zab_epoch)pe;
        m->version = (int)(int32_t)get32(b + 28);
        m->config_version = get64(b + 32);
        m->data = b + want;
        m->len = len - (size_t)want;
        break;
    }
    case ZAB_MSG_FOLLOWERINFO:
    case ZAB_MSG_OBSERVERINFO:
        m->sid = get64(b);
        m->version = (int)(int32_t)get32(b + 8);
        m->config_version = get64(b + 12);
        if (m->sid == 0 || ZAB_COUNTER(m->zxid) != 0)
            return COORD_EPROTO;
        break;
    case ZAB_MSG_LEADERINFO:
        m->version = (int)(int32_t)get32(b);
        if (ZAB_COUNTER(m->zxid) != 0)
            return COORD_EPROTO;
        break;
    case ZAB_MSG_ACKEPOCH:
        m->current_epoch = (int32_t)get32(b);
        m->committed = get64(b + 4);
        if (m->current_epoch < -1)
            m->current_epoch = (int64_t)get32(b); /* unsigned epoch */
        break;
    case ZAB_MSG_NEWLEADER:
        m->config_version = get64(b);
        m->data = b + want;
        m->len = len - (size_t)want;
        if (ZAB_COUNTER(m->zxid) != 0)
            return COORD_EPROTO;
        break;
    case ZAB_MSG_DIFF:
    case ZAB_MSG_TRUNC:
    case ZAB_MSG_SNAP:
        m->committed = get64(b);
        break;
    case ZAB_MSG_PROPOSAL:
    case ZAB_MSG_INFORM:
        if (ZAB_COUNTER(m->zxid) == 0)
            return COORD_EPROTO;
        m->data = b;
        m->len = len;
        break;
    case ZAB_MSG_FETCHED:
        m->data = b;
        m->len = len;
        break;
    default:
        break;
    }
    return 0;
}

const char *zab_msg_name(int type)
{
    switch (type) {
    case ZAB_MSG_PROPOSAL: return "proposal";
    case ZAB_MSG_ACK: return "ack";
    case ZAB_MSG_COMMIT: return "commit";
    case ZAB_MSG_PING: return "ping";
    case ZAB_MSG_INFORM: return "inform";
    case ZAB_MSG_NEWLEADER: return "newleader";
    case ZAB_MSG_FOLLOWERINFO: return "followerinfo";
    case ZAB_MSG_UPTODATE: return "uptodate";
    case ZAB_MSG_DIFF: return "diff";
    case ZAB_MSG_TRUNC: return "trunc";
    case ZAB_MSG_SNAP: return "snap";
    case ZAB_MSG_OBSERVERINFO: return "observerinfo";
    case ZAB_MSG_LEADERINFO: return "leaderinfo";
    case ZAB_MSG_ACKEPOCH: return "ackepoch";
    case ZAB_MSG_NOTIFICATION: return "notification";
    case ZAB_MSG_FETCH: return "fetch";
    case ZAB_MSG_FETCHED: return "fetched";
    default: return "unknown";
    }
}
