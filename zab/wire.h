/* Peer messages of Zab and their byte encoding (fuzzed: every length checked). */
#ifndef COORD_ZAB_WIRE_H
#define COORD_ZAB_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "zab/zab.h"

/* Message types; the numbers are ZooKeeper's quorum packet codes. */
enum {
    ZAB_MSG_PROPOSAL = 2,
    ZAB_MSG_ACK = 3,
    ZAB_MSG_COMMIT = 4,
    ZAB_MSG_PING = 5,
    ZAB_MSG_INFORM = 8,
    ZAB_MSG_NEWLEADER = 10,
    ZAB_MSG_FOLLOWERINFO = 11,
    ZAB_MSG_UPTODATE = 12,
    ZAB_MSG_DIFF = 13,
    ZAB_MSG_TRUNC = 14,
    ZAB_MSG_SNAP = 15,
    ZAB_MSG_OBSERVERINFO = 16,
    ZAB_MSG_LEADERINFO = 17,
    ZAB_MSG_ACKEPOCH = 18,
    ZAB_MSG_NOTIFICATION = 100, /* election port, framed the same way */
    ZAB_MSG_FETCH = 101,   /* new leader -> learner: send me your log
                            * entries after zxid (discovery) */
    ZAB_MSG_FETCHED = 102, /* learner -> new leader: one entry, or with
                            * counter 0 the end of them */
};

#define ZAB_PROTOCOL_VERSION 1
#define ZAB_WIRE_HEADER 16 /* type:i32, zxid:i64, len:i32 (big-endian) */

/*
 * A decoded message. Which fields mean something depends on type:
 *   NOTIFICATION: zxid = voted zxid, state, leader, round, peer_epoch,
 *                 version, config_version, data/len = that configuration's
 *                 text (may be empty);
 *   FOLLOWERINFO/OBSERVERINFO: zxid = (acceptedEpoch, 0), sid, version,
 *                 config_version;
 *   LEADERINFO: zxid = (e, 0), version;
 *   ACKEPOCH: zxid = last logged, current_epoch (-1: already accepted),
 *                 committed (last delivered);
 *   NEWLEADER: zxid = (e, 0), config_version, data/len = its text;
 *   DIFF/TRUNC/SNAP: zxid = where the entries that follow start (TRUNC:
 *                 keep <= zxid; SNAP: the image's tag), committed = the
 *                 last history entry the learner may apply at UPTODATE;
 *   PROPOSAL/INFORM/FETCHED: zxid, data/len (borrowed from the decoded
 *                 bytes); FETCHED with a zero counter ends a fetch;
 *   the others: zxid only.
 */
struct zab_msg {
    int type;
    zab_zxid zxid;
    int state;
    zab_sid leader;
    uint64_t round;
    zab_epoch peer_epoch;
    int version;
    uint64_t config_version;
    zab_sid sid;
    int64_t current_epoch;
    zab_zxid committed;
    const uint8_t *data;
    size_t len;
};

/* Bytes zab_msg_encode will write for m. */
size_t zab_msg_size(const struct zab_msg *m);

/* Writes m into out (zab_msg_size(m) bytes); returns that size. */
size_t zab_msg_encode(const struct zab_msg *m, uint8_t *out);

/* Decodes one whole message from p/n; m->data borrows from p. Returns 0 or
 * COORD_EPROTO (unknown type, wrong length, field out of range). */
int zab_msg_decode(const uint8_t *p, size_t n, struct zab_msg *m);

const char *zab_msg_name(int type);

#endif
