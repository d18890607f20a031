/* Broadcast: proposals in flight, quorum acks, commits strictly in zxid
 * order, INFORM to observers, PING and the initLimit/syncLimit checks. */
#include "zab/internal.h"

#include <string.h>

void broadcast_send_to_learners(struct zab *z, const struct zab_msg *m,
                                bool voters, bool observers)
{
    for (unsigned i = 0; i < z->n_peers; i++) {
        const struct zab_learner *l = &z->learners[i];
        if (l->state < LEARNER_SYNCING)
            continue; /* not yet in the forwarding set (spec 4.3 step 4) */
        if (l->observer ? observers : voters)
            zab_send(z, zab_sid_at(z, (int)i), m);
    }
}

/* Spec 5.2 steps 1-2: zxid = ++counter, register it, send PROPOSAL to the
 * forwarding set, then hand the bytes to the log writer. R-ZXID-2: at the
 * end of the counter the leader steps down so a new epoch starts. */
int broadcast_submit(struct zab *z, const uint8_t *data, size_t len)
{
    if (z->role != ZAB_LEADING || z->phase != ZAB_BROADCAST)
        return COORD_EAGAIN;
    /* R-BC-5: stop taking work at the cap; never drop a proposal. */
    if (z->n - (size_t)zab_log_upper(z, z->committed) >=
        z->cfg.max_outstanding)
        return COORD_ETHROTTLED;
    /* Spec 8: one reconfiguration in flight at a time. */
    const uint8_t *text;
    size_t text_len;
    if (z->has_next && z->cfg.txn_config != NULL &&
        z->cfg.txn_config(z->cfg.config_ctx, data, len, &text, &text_len))
        return COORD_ERECONFIGINPROGRESS;
    if (z->counter >= z->cfg.counter_max) {
        zab_go_looking(z, "zxid counter exhausted");
        return COORD_EAGAIN;
    }
    zab_zxid zxid = ZAB_ZXID(z->epoch, z->counter + 1);
    struct zab_msg m = {.type = ZAB_MSG_PROPOSAL,
                        .zxid = zxid,
                        .data = data,
                        .len = len};
    broadcast_send_to_learners(z, &m, true, false);
    int rc = zab_log_append(z, zxid, data, len);
    if (rc != 0)
        return rc;
    zab_log_at(z, z->n - 1)->proposed_ms = z->now_ms;
    z->counter++;
    z->last_proposed = zxid;
    z->submitted = zxid;
    return 0;
}

/* R-BC-3: commit z only when z is next after lastCommitted and a quorum
 * acked it; then try the one after at once. */
static void try_commit(struct zab *z)
{
    for (;;) {
        long i = zab_log_upper(z, z->committed);
        if (i < 0 || (size_t)i >= z->n)
            return;
        struct zab_entry *e = zab_log_at(z, (size_t)i);
        if (!zab_quorum(z, e->acks))
            return;
        zab_zxid zxid = e->zxid;
        struct zab_msg inform = {.type = ZAB_MSG_INFORM,
                                 .zxid = zxid,
                                 .data = e->data,
                                 .len = e->len};
        broadcast_send_to_learners(z, &inform, false, true);
        struct zab_msg c = {.type = ZAB_MSG_COMMIT, .zxid = zxid};
        broadcast_send_to_learners(z, &c, true, false);
        z->committed = zxid;
        zab_deliver_upto(z, zxid); /* may free e (window) */
    }
}

static void add_acks(struct zab *z, zab_zxid upto, int idx)
{
    long i = zab_log_upper(z, z->committed);
    for (; i >= 0 && (size_t)i < z->n; i++) {
        struct zab_entry *e = zab_log_at(z, (size_t)i);
        if (e->zxid > upto)
            break;
        if (ZAB_EPOCH(e->zxid) == z->epoch)
            e->acks |= 1u << idx;
    }
    try_commit(z);
}

/* Log writes up to zxid are durable. Leader: its own ack (R-DUR-2).
 * Follower: ACK(zxid), cumulative (spec 5.7), only after the NEWLEADER ack
 * (R-SYNC-5) and only for proposals of the epoch it follows (R-DUR-1). */
void broadcast_persisted(struct zab *z, zab_zxid zxid)
{
    if (ZAB_EPOCH(zxid) != z->epoch || ZAB_COUNTER(zxid) == 0)
        return;
    if (z->role == ZAB_LEADING) {
        if (z->phase == ZAB_BROADCAST)
            add_acks(z, zxid, z->me);
    } else if (z->role == ZAB_FOLLOWING && z->newleader_acked &&
               zab_log_find(z, zxid) >= 0) {
        struct zab_msg a = {.type = ZAB_MSG_ACK, .zxid = zxid};
        zab_send(z, z->leader, &a);
    }
}

static void fail(struct zab *z, const char *why)
{
    zab_go_looking(z, why);
}

void broadcast_on_msg(struct zab *z, int from, const struct zab_msg *m)
{
    if (z->role == ZAB_LEADING) {
        /* Spec 5.2 step 3 (processAck): ignore acks of committed or unknown
         * zxids, markers, observers and learners not yet synced. */
        struct zab_learner *l = &z->learners[from];
        if (m->type != ZAB_MSG_ACK || z->phase != ZAB_BROADCAST ||
            l->state != LEARNER_SYNCED || l->observer ||
            ZAB_COUNTER(m->zxid) == 0 || ZAB_EPOCH(m->zxid) != z->epoch ||
            m->zxid > zab_log_last(z))
            return;
        if (m->zxid > l->acked)
            l->acked = m->zxid;
        if (m->zxid <= z->committed)
            return; /* late, but it keeps R-BC-6 content */
        add_acks(z, m->zxid, from);
        return;
    }
    switch (m->type) {
    case ZAB_MSG_PING: {
        struct zab_msg r = {.type = ZAB_MSG_PING, .zxid = zab_log_last(z)};
        zab_send(z, z->leader, &r);
        break;
    }
    case ZAB_MSG_PROPOSAL:
        /* Spec 5.3: contiguity, then log; the ACK waits for durability. */
        if (z->role != ZAB_FOLLOWING || ZAB_EPOCH(m->zxid) != z->epoch ||
            sync_accept_proposal(z, m) < 0)
            fail(z, "proposal out of order");
        break;
    case ZAB_MSG_COMMIT:
        /* Spec 5.3: COMMIT names the head of the pending proposals (a
         * cumulative commit: everything up to it, all of which I hold). */
        if (z->role != ZAB_FOLLOWING || m->zxid > zab_log_last(z))
            return fail(z, "commit of unknown proposal");
        if (m->zxid <= z->delivered)
            return;
        z->committed = m->zxid;
        zab_deliver_upto(z, m->zxid);
        break;
    case ZAB_MSG_INFORM:
        /* Spec 8: observers get the whole committed txn. */
        if (z->role != ZAB_OBSERVING || sync_accept_proposal(z, m) < 0)
            return fail(z, "inform out of order");
        z->committed = m->zxid;
        zab_deliver_upto(z, m->zxid);
        break;
    default:
        break;
    }
}

static uint64_t ms(const struct zab *z, unsigned ticks)
{
    return (uint64_t)ticks * z->cfg.tick_ms;
}

/* R-BC-6 (ZooKeeper's SyncLimitCheck): a follower whose oldest unacked
 * proposal of this epoch has waited syncLimit ticks is dropped; it goes
 * back through election and sync instead of holding a slot forever.
 * Proposals it got while syncing count from its NEWLEADER ack. */
static bool too_slow(const struct zab *z, const struct zab_learner *l)
{
    zab_zxid from = l->acked > ZAB_ZXID(z->epoch, 0) ? l->acked
                                                     : ZAB_ZXID(z->epoch, 0);
    long i = zab_log_upper(z, from);
    if (i < 0 || (size_t)i >= z->n)
        return false;
    const struct zab_entry *e = zab_log_at(z, (size_t)i);
    uint64_t since = e->proposed_ms > l->synced_ms ? e->proposed_ms
                                                   : l->synced_ms;
    return z->now_ms > since + ms(z, z->cfg.sync_limit);
}

/* Spec 5.6: pings every tickTime/2; learners silent for initLimit (before
 * their NEWLEADER ack) or syncLimit ticks are dropped; at each full tick a
 * leader without a synced quorum steps down (R-BC-7). */
static void leader_tick(struct zab *z)
{
    if (z->phase != ZAB_BROADCAST && z->now_ms > z->phase_deadline) {
        zab_go_looking(z, z->phase == ZAB_DISCOVERY
                              ? "no epoch quorum within initLimit"
                              : "no newleader quorum within initLimit");
        return;
    }
    if (z->now_ms >= z->next_ping) {
        z->next_ping = z->now_ms + z->cfg.tick_ms / 2;
        struct zab_msg p = {.type = ZAB_MSG_PING, .zxid = z->last_proposed};
        for (unsigned i = 0; i < z->n_peers; i++)
            if (z->learners[i].state != LEARNER_NONE)
                zab_send(z, zab_sid_at(z, (int)i), &p);
    }
    uint32_t synced = 1u << z->me;
    for (unsigned i = 0; i < z->n_peers; i++) {
        struct zab_learner *l = &z->learners[i];
        if (l->state == LEARNER_NONE)
            continue;
        uint64_t lim = l->state == LEARNER_SYNCED
                           ? ms(z, z->cfg.sync_limit)
                           : ms(z, z->cfg.init_limit);
        if (z->now_ms > l->last_heard_ms + lim) {
            zab_trace(z, "zab: learner timed out sid=%llu",
                      (unsigned long long)zab_sid_at(z, (int)i));
            memset(l, 0, sizeof *l);
            continue;
        }
        if (l->state == LEARNER_SYNCED && !l->observer && too_slow(z, l)) {
            zab_trace(z, "zab: learner too slow sid=%llu acked=0x%llx",
                      (unsigned long long)zab_sid_at(z, (int)i),
                      (unsigned long long)l->acked);
            memset(l, 0, sizeof *l);
            continue;
        }
        if (l->state == LEARNER_SYNCED)
            synced |= 1u << i;
    }
    if (z->phase == ZAB_BROADCAST && z->now_ms >= z->next_check) {
        z->next_check = z->now_ms + z->cfg.tick_ms;
        if (!zab_quorum(z, synced))
            zab_go_looking(z, "leader lost its quorum");
    }
}

/* Spec 5.6: a learner that hears nothing from its leader for syncLimit
 * ticks (initLimit while syncing) goes back to LOOKING. */
void broadcast_tick(struct zab *z)
{
    if (z->role == ZAB_LEADING) {
        leader_tick(z);
        return;
    }
    uint64_t lim = z->phase == ZAB_BROADCAST ? ms(z, z->cfg.sync_limit)
                                             : ms(z, z->cfg.init_limit);
    if (z->now_ms > z->leader_heard_ms + lim)
        zab_go_looking(z, "leader silent");
}
