/* Discovery: FOLLOWERINFO / LEADERINFO / ACKEPOCH fix a new epoch (spec 3). */
#include "zab/internal.h"

#include <string.h>

static uint64_t limit_ms(const struct zab *z, unsigned ticks)
{
    return (uint64_t)ticks * z->cfg.tick_ms;
}

static void send_info(struct zab *z)
{
    struct zab_msg m = {
        .type = z->role == ZAB_OBSERVING ? ZAB_MSG_OBSERVERINFO
                                         : ZAB_MSG_FOLLOWERINFO,
        .zxid = ZAB_ZXID(z->accepted_epoch, 0),
        .sid = z->cfg.my_id,
        .version = ZAB_PROTOCOL_VERSION,
        .config_version = z->active.m.version};
    zab_send(z, z->leader, &m);
}

static void send_leaderinfo(struct zab *z, int idx)
{
    struct zab_msg m = {.type = ZAB_MSG_LEADERINFO,
                        .zxid = ZAB_ZXID(z->epoch, 0),
                        .version = ZAB_PROTOCOL_VERSION};
    zab_send(z, zab_sid_at(z, idx), &m);
    z->learners[idx].state = LEARNER_EPOCH;
}

/* R-DISC-1: once {leader} + FOLLOWERINFOs form a quorum, fix
 * e = 1 + max(acceptedEpoch) and persist it before any LEADERINFO. */
static void check_epoch_quorum(struct zab *z)
{
    if (z->epoch_fixed)
        return;
    uint32_t mask = 1u << z->me;
    zab_epoch max = z->accepted_epoch;
    if (z->learner_epoch_seen > max)
        max = z->learner_epoch_seen; /* see leader_on_info */
    for (unsigned i = 0; i < z->n_peers; i++) {
        const struct zab_learner *l = &z->learners[i];
        if (l->state == LEARNER_NONE)
            continue;
        /* Counted by my view of the configurations, not by how it joined
         * (ZooKeeper's isParticipant): an observer that a pending
         * configuration makes a voter learns it only through this sync. */
        mask |= 1u << i;
        if (l->accepted_epoch > max)
            max = l->accepted_epoch;
    }
    if (!zab_quorum(z, mask))
        return;
    z->epoch_fixed = true;
    z->epoch = max + 1;
    zab_trace(z, "zab: epoch fixed sid=%llu epoch=%u",
              (unsigned long long)z->cfg.my_id, z->epoch);
    zab_persist_epoch(z, ZAB_PERSIST_ACCEPTED_EPOCH, z->epoch,
                      PURPOSE_LEADER_ACCEPTED);
}

/*
 * Zab's discovery proper: the new leader takes the longest history of its
 * quorum. A voter that synced with the same established epoch as I did
 * (equal currentEpoch) and logged more holds a continuation of my log
 * (both start from that epoch's initial history and got a prefix of the
 * same proposals): fetch the rest from it instead of stepping down, which
 * ZooKeeper does and which leaves no one able to lead when the servers
 * ahead may not lead (voters of a pending configuration only). Returns
 * whether a fetch is running.
 */
static void check_ack_quorum(struct zab *z);

static bool fetch_longest(struct zab *z)
{
    if (z->fetching)
        return true;
    int best = -1;
    for (unsigned i = 0; i < z->n_peers; i++) {
        const struct zab_learner *l = &z->learners[i];
        if (l->state == LEARNER_ACKED && zab_is_voter(z, (int)i) &&
            l->current_epoch == (int64_t)z->current_epoch &&
            l->last_zxid > zab_log_last(z) &&
            (best < 0 || l->last_zxid > z->learners[best].last_zxid))
            best = (int)i;
    }
    if (best < 0)
        return false;
    z->fetching = true;
    z->fetch_idx = best;
    z->fetch_target = z->learners[best].last_zxid;
    zab_trace(z, "zab: fetching history sid=%llu from=0x%llx to=0x%llx",
              (unsigned long long)zab_sid_at(z, best),
              (unsigned long long)zab_log_last(z),
              (unsigned long long)z->fetch_target);
    struct zab_msg f = {.type = ZAB_MSG_FETCH, .zxid = zab_log_last(z)};
    zab_send(z, zab_sid_at(z, best), &f);
    return true;
}

/* Leader: one entry of a fetched history, or its end (zxid 0). */
static void leader_on_fetched(struct zab *z, int from, const struct zab_msg *m)
{
    if (!z->fetching || from != z->fetch_idx || z->phase != ZAB_DISCOVERY)
        return;
    if (m->zxid != 0) {
        if (sync_accept_proposal(z, m) < 0)
            zab_go_looking(z, "fetched history not contiguous");
        return;
    }
    z->fetching = false;
    if (zab_log_last(z) < z->fetch_target) {
        zab_go_looking(z, "could not fetch the history ahead of mine");
        return;
    }
    check_ack_quorum(z);
}

/* R-DISC-3: a quorum of ACKEPOCH (the leader counts itself; -1 replies and
 * observers do not) -> persist currentEpoch = e, then SYNCHRONIZATION. */
static void check_ack_quorum(struct zab *z)
{
    if (!z->epoch_ready || z->current_requested || fetch_longest(z))
        return;
    uint32_t mask = 1u << z->me;
    for (unsigned i = 0; i < z->n_peers; i++) {
        const struct zab_learner *l = &z->learners[i];
        if (l->state == LEARNER_ACKED && l->current_epoch >= 0)
            mask |= 1u << i;
    }
    if (!zab_quorum(z, mask))
        return;
    z->current_requested = true;
    zab_persist_epoch(z, ZAB_PERSIST_CURRENT_EPOCH, z->epoch,
                      PURPOSE_LEADER_CURRENT);
}

void discovery_start(struct zab *z)
{
    z->phase_deadline = z->now_ms + limit_ms(z, z->cfg.init_limit);
    z->next_ping = z->now_ms;
    z->next_check = z->now_ms + z->cfg.tick_ms;
    memset(z->learners, 0, sizeof z->learners);
    z->epoch_fixed = z->epoch_ready = z->current_requested = false;
    z->got_leaderinfo = z->acked_epoch = false;
    z->newleader_seen = z->newleader_acked = false;
    z->snap_waiting = false;
    z->sync_mode = 0;
    if (z->role == ZAB_LEADING) {
        check_epoch_quorum(z);
    } else {
        /* Spec 3: "first packet on a new quorum connection". */
        z->leader_heard_ms = z->now_ms;
        send_info(z);
    }
}

static void leader_on_info(struct zab *z, int from, const struct zab_msg *m)
{
    struct zab_learner *l = &z->learners[from];
    /* Learners repeat FOLLOWERINFO until LEADERINFO arrives, so on a FIFO
     * connection one seen after ACKEPOCH starts a new attempt. */
    if (l->state == LEARNER_INFO)
        return;
    if (l->state == LEARNER_EPOCH) {
        send_leaderinfo(z, from); /* a repeat is ignored by the learner */
        return;
    }
    zab_epoch accepted = ZAB_EPOCH(m->zxid);
    /* R-DISC-1 folds every learner's acceptedEpoch into e, but only while
     * e is open; R-DISC-2 makes a learner that accepted more than the
     * fixed e refuse it, and it keeps refusing this leader for as long as
     * it leads. Step down instead, remembering the epoch, so that the next
     * discovery picks e above it (ZK's getEpochToPropose: "if
     * lastAcceptedEpoch >= epoch, epoch = lastAcceptedEpoch + 1"). */
    if (z->epoch_fixed && accepted > z->epoch) {
        if (accepted > z->learner_epoch_seen)
            z->learner_epoch_seen = accepted;
        zab_trace(z, "zab: learner accepted newer epoch sid=%llu epoch=%u",
                  (unsigned long long)zab_sid_at(z, from), accepted);
        zab_go_looking(z, "learner accepted a newer epoch");
        return;
    }
    memset(l, 0, sizeof *l);
    l->state = LEARNER_INFO;
    /* The learner says how it joins: a server in no configuration yet
     * (joining by reconfig) follows and acks; its acks count once a
     * configuration lists it as a voter (spec 8). */
    l->observer = m->type == ZAB_MSG_OBSERVERINFO;
    l->accepted_epoch = accepted;
    l->last_heard_ms = z->now_ms;
    if (z->epoch_ready)
        send_leaderinfo(z, from); /* late learners get the fixed e */
    else
        check_epoch_quorum(z);
}

static void leader_on_ackepoch(struct zab *z, int from,
                               const struct zab_msg *m)
{
    struct zab_learner *l = &z->learners[from];
    if (l->state != LEARNER_EPOCH)
        return;
    l->state = LEARNER_ACKED;
    l->current_epoch = m->current_epoch;
    l->last_zxid = m->zxid;
    l->committed = m->committed;
    /* R-DISC-4: a follower ahead of me in (currentEpoch, lastZxid) means I
     * must not lead: never sync it downward. Only a voter of my active or
     * pending configuration can hold a committed txn I lack; a server
     * with no vote there (joining, removed, observing) is synced down
     * instead, or one of them could keep every leader out. */
    if (m->current_epoch >= 0 && z->phase == ZAB_DISCOVERY &&
        zab_is_voter(z, from) &&
        (zab_epoch)m->current_epoch > z->current_epoch) {
        zab_go_looking(z, "follower ahead of leader");
        return;
    }
    /* ... the same epoch and a longer log: check_ack_quorum fetches it. */
    if (m->committed > m->zxid) {
        memset(l, 0, sizeof *l);
        return;
    }
    if (z->phase == ZAB_DISCOVERY)
        check_ack_quorum(z);
    else
        sync_learner(z, from);
}

/* R-DISC-2: accept e only if it exceeds every epoch I accepted; persist it
 * before ACKEPOCH (R-DUR-4); an equal e is answered with -1. */
static void learner_on_leaderinfo(struct zab *z, const struct zab_msg *m)
{
    if (z->phase != ZAB_DISCOVERY || z->got_leaderinfo)
        return;
    zab_epoch e = ZAB_EPOCH(m->zxid);
    z->got_leaderinfo = true;
    z->epoch = e;
    zab_epoch accepted = z->pending_accepted > z->accepted_epoch
                             ? z->pending_accepted
                             : z->accepted_epoch;
    if (e > accepted) {
        zab_persist_epoch(z, ZAB_PERSIST_ACCEPTED_EPOCH, e,
                          PURPOSE_LEARNER_ACCEPTED);
    } else if (e == accepted) {
        struct zab_msg a = {.type = ZAB_MSG_ACKEPOCH,
                            .zxid = zab_log_last(z),
                            .current_epoch = -1,
                            .committed = z->delivered};
        zab_send(z, z->leader, &a);
        z->acked_epoch = true;
        zab_move(z, z->role, ZAB_SYNC);
    } else {
        zab_go_looking(z, "leader epoch older than accepted");
    }
}

void discovery_on_msg(struct zab *z, int from, const struct zab_msg *m)
{
    switch (m->type) {
    case ZAB_MSG_FOLLOWERINFO:
    case ZAB_MSG_OBSERVERINFO:
        if (m->sid == zab_sid_at(z, from))
            leader_on_info(z, from, m);
        break;
    case ZAB_MSG_ACKEPOCH:
        leader_on_ackepoch(z, from, m);
        break;
    case ZAB_MSG_FETCHED:
        leader_on_fetched(z, from, m);
        break;
    case ZAB_MSG_LEADERINFO:
        learner_on_leaderinfo(z, m);
        break;
    default:
        break;
    }
}

void discovery_epoch_persisted(struct zab *z, int purpose)
{
    switch (purpose) {
    case PURPOSE_LEADER_ACCEPTED:
        if (z->role != ZAB_LEADING || z->phase != ZAB_DISCOVERY)
            return;
        z->epoch_ready = true;
        for (unsigned i = 0; i < z->n_peers; i++)
            if (z->learners[i].state == LEARNER_INFO)
                send_leaderinfo(z, (int)i);
        check_ack_quorum(z);
        break;
    case PURPOSE_LEADER_CURRENT:
        if (z->role != ZAB_LEADING || z->phase != ZAB_DISCOVERY)
            return;
        zab_move(z, ZAB_LEADING, ZAB_SYNC);
        zab_trace(z, "zab: leading sid=%llu epoch=%u zxid=0x%llx",
                  (unsigned long long)z->cfg.my_id, z->epoch,
                  (unsigned long long)zab_log_last(z));
        z->phase_deadline = z->now_ms + limit_ms(z, z->cfg.init_limit);
        for (unsigned i = 0; i < z->n_peers; i++)
            if (z->learners[i].state == LEARNER_ACKED)
                sync_learner(z, (int)i);
        sync_on_newleader_ack(z, -1); /* a lone voter is a quorum */
        break;
    case PURPOSE_LEARNER_ACCEPTED: {
        if (z->role == ZAB_LEADING || z->phase != ZAB_DISCOVERY)
            return;
        struct zab_msg a = {.type = ZAB_MSG_ACKEPOCH,
                            .zxid = zab_log_last(z),
                            .current_epoch = z->current_epoch,
                            .committed = z->delivered};
        zab_send(z, z->leader, &a);
        z->acked_epoch = true;
        zab_move(z, z->role, ZAB_SYNC);
        break;
    }
    case PURPOSE_LEARNER_CURRENT:
        sync_epoch_persisted(z);
        break;
    default:
        break;
    }
}

/* initLimit budget for discovery; learners retry FOLLOWERINFO until the
 * leader answers (it may still be deciding the election). */
void discovery_tick(struct zab *z)
{
    if (z->role == ZAB_LEADING) {
        broadcast_tick(z);
        return;
    }
    if (z->now_ms > z->leader_heard_ms + limit_ms(z, z->cfg.init_limit)) {
        zab_go_looking(z, "no leaderinfo within initLimit");
        return;
    }
    if (!z->got_leaderinfo)
        send_info(z);
}
