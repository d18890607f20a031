/* Declarations shared by the files of zab/ (never included outside it). */
#ifndef COORD_ZAB_INTERNAL_H
#define COORD_ZAB_INTERNAL_H

#include "proto/err.h"
#include "zab/wire.h"
#include "zab/zab.h"

/* Leader's view of a learner connection, in protocol order. */
enum {
    LEARNER_NONE = 0,
    LEARNER_INFO,    /* FOLLOWERINFO/OBSERVERINFO received */
    LEARNER_EPOCH,   /* LEADERINFO sent */
    LEARNER_ACKED,   /* ACKEPOCH received, sync not started */
    LEARNER_SYNCING, /* sync stream + NEWLEADER sent; in the forwarding set */
    LEARNER_SYNCED,  /* NEWLEADER acknowledged */
};

/* Why an epoch write was requested (what its durability unblocks). */
enum {
    PURPOSE_NONE = 0,
    PURPOSE_LEADER_ACCEPTED, /* R-DISC-1: then LEADERINFO */
    PURPOSE_LEADER_CURRENT,  /* R-DISC-3: then SYNCHRONIZATION */
    PURPOSE_LEARNER_ACCEPTED, /* R-DUR-4: then ACKEPOCH */
    PURPOSE_LEARNER_CURRENT,  /* R-DUR-3: then the NEWLEADER ack */
};

/* zab.c: tracing, the outbox, the log, phase moves. */
void zab_trace(struct zab *z, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void zab_send(struct zab *z, zab_sid to, const struct zab_msg *m);
void zab_send_snapshot(struct zab *z, zab_sid to, zab_zxid zxid);
void zab_persist_epoch(struct zab *z, int kind, zab_epoch e, int purpose);
void zab_deliver_upto(struct zab *z, zab_zxid zxid);
void zab_move(struct zab *z, int role, int phase);
void zab_go_looking(struct zab *z, const char *reason);
zab_zxid zab_log_last(const struct zab *z);
struct zab_entry *zab_log_at(const struct zab *z, size_t i);
long zab_log_find(const struct zab *z, zab_zxid zxid);
long zab_log_upper(const struct zab *z, zab_zxid zxid); /* first > zxid */
int zab_log_append(struct zab *z, zab_zxid zxid, const uint8_t *data,
                   size_t len);
void zab_log_truncate(struct zab *z, zab_zxid zxid);
void zab_log_reset(struct zab *z, zab_zxid base);
bool zab_pending_empty(const struct zab *z);
void zab_pending_clear(struct zab *z);
uint64_t zab_rand(struct zab *z);
zab_sid zab_sid_at(const struct zab *z, int idx);

/* quorum.c: membership as data (spec 1.1, 8). Peers are indexed in
 * z->peers; masks hold one bit per peer index. */
int quorum_role(const struct zab_membership *m, zab_sid id); /* 0: absent */
int peer_find(const struct zab *z, zab_sid id);
int peer_add(struct zab *z, zab_sid id);
void peers_add_config(struct zab *z, const struct zab_membership *m);
bool zab_quorum(const struct zab *z, uint32_t mask);
bool zab_is_voter(const struct zab *z, int idx);
int config_init(struct zab *z, const struct zab_config *cfg);
void config_free(struct zab *z);
void config_logged(struct zab *z, struct zab_entry *e);
void config_delivered(struct zab *z, const struct zab_entry *e);
void config_activate(struct zab *z, const struct zab_membership *m,
                     const uint8_t *text, size_t len);
void config_adopt(struct zab *z, uint64_t version, const uint8_t *text,
                  size_t len);
void config_rescan(struct zab *z);
void config_check_role(struct zab *z);
bool zab_i_observe(const struct zab *z);

/* election.c: fast leader election (spec 2). */
void election_start(struct zab *z);
void election_on_msg(struct zab *z, int from, const struct zab_msg *m);
void election_tick(struct zab *z);
void election_notify(struct zab *z, zab_sid to);

/* discovery.c: epoch establishment (spec 3). */
void discovery_start(struct zab *z);
void discovery_on_msg(struct zab *z, int from, const struct zab_msg *m);
void discovery_epoch_persisted(struct zab *z, int purpose);
void discovery_tick(struct zab *z);

/* sync.c: DIFF/TRUNC/SNAP, NEWLEADER, UPTODATE (spec 4). */
void sync_learner(struct zab *z, int idx);
void sync_on_newleader_ack(struct zab *z, int idx);
void sync_on_msg(struct zab *z, const struct zab_msg *m);
void sync_epoch_persisted(struct zab *z);
int sync_snapshot_loaded(struct zab *z, zab_zxid zxid);
int sync_accept_proposal(struct zab *z, const struct zab_msg *m);

/* broadcast.c: proposals, acks, in-order commits, liveness (spec 5). */
int broadcast_submit(struct zab *z, const uint8_t *data, size_t len);
void broadcast_on_msg(struct zab *z, int from, const struct zab_msg *m);
void broadcast_persisted(struct zab *z, zab_zxid zxid);
void broadcast_tick(struct zab *z);
void broadcast_send_to_learners(struct zab *z, const struct zab_msg *m,
                                bool voters, bool observers);

#endif
