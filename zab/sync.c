/* Synchronization: DIFF, TRUNC, TRUNC+DIFF or SNAP, then NEWLEADER and
 * UPTODATE in the order spec section 4 requires. */
#include "zab/internal.h"

#include <string.h>

enum { MODE_DIFF = 1, MODE_TRUNC, MODE_SNAP };

static const char *mode_name(int mode)
{
    return mode == MODE_DIFF ? "diff" : mode == MODE_TRUNC ? "trunc" : "snap";
}

/* Is x in my history: the window base or an entry? */
static bool in_history(const struct zab *z, zab_zxid x)
{
    return x == z->base || (x > z->base && zab_log_find(z, x) >= 0);
}

/*
 * Spec 4.2, with the peer's lastZxid p and its last delivered zxid c:
 *   p == L, or p in my history          -> DIFF from p;
 *   q = my last entry <= p, epoch(q) == epoch(p)
 *                                       -> TRUNC(q) then entries > q
 *                                          (TRUNC+DIFF, ZOOKEEPER-1154);
 *   c in my history (it is committed, so it is unless below my window)
 *                                       -> TRUNC(c) then entries > c,
 *                                          never TRUNC across epochs blind;
 *   otherwise                           -> SNAP at my delivered state.
 * Returns the mode; *from is where the entries sent afterwards start.
 */
static int choose(const struct zab *z, zab_zxid p, zab_zxid c, zab_zxid *from)
{
    if (p == zab_log_last(z) || in_history(z, p)) {
        *from = p;
        return MODE_DIFF;
    }
    if (p > z->base) {
        long i = zab_log_upper(z, p) - 1;
        zab_zxid q = i >= 0 ? zab_log_at(z, (size_t)i)->zxid : z->base;
        if (ZAB_EPOCH(q) == ZAB_EPOCH(p) && q >= c) {
            *from = q;
            return MODE_TRUNC;
        }
    }
    if (c <= p && in_history(z, c)) {
        *from = c;
        return MODE_TRUNC;
    }
    *from = z->delivered;
    return MODE_SNAP;
}

/*
 * Spec 4.3, as one atomic step: choose the mode, queue the history up to
 * what is committed (PROPOSAL + COMMIT each), NEWLEADER right after it,
 * then the outstanding proposals (PROPOSAL only; observers wait for
 * INFORM), and add the learner to the forwarding set. NEWLEADER strictly
 * follows the whole sync payload (ZOOKEEPER-3104); sending it before the
 * outstanding proposals keeps every txn of epoch e behind currentEpoch = e
 * on the learner's disk.
 */
void sync_learner(struct zab *z, int idx)
{
    struct zab_learner *l = &z->learners[idx];
    zab_sid to = zab_sid_at(z, idx);
    zab_zxid from;
    int mode = choose(z, l->last_zxid, l->committed, &from);
    /* Established: only committed entries are history. In SYNC the whole
     * log is the initial history I_e (R-DISC-4). */
    zab_zxid hist_end =
        z->phase == ZAB_BROADCAST ? z->committed : zab_log_last(z);
    struct zab_msg m = {.zxid = from, .committed = hist_end};
    m.type = mode == MODE_DIFF    ? ZAB_MSG_DIFF
             : mode == MODE_TRUNC ? ZAB_MSG_TRUNC
                                  : ZAB_MSG_SNAP;
    zab_send(z, to, &m);
    if (mode == MODE_SNAP)
        zab_send_snapshot(z, to, from);
    long i = zab_log_upper(z, from);
    for (; i >= 0 && (size_t)i < z->n; i++) {
        const struct zab_entry *e = zab_log_at(z, (size_t)i);
        if (e->zxid > hist_end)
            break;
        struct zab_msg pm = {.type = ZAB_MSG_PROPOSAL,
                             .zxid = e->zxid,
                             .data = e->data,
                             .len = e->len};
        zab_send(z, to, &pm);
        struct zab_msg cm = {.type = ZAB_MSG_COMMIT, .zxid = e->zxid};
        zab_send(z, to, &cm);
    }
    /* NEWLEADER carries my active (committed) configuration: a learner
     * synced by SNAP never sees the txn that made it. */
    struct zab_msg nl = {.type = ZAB_MSG_NEWLEADER,
                         .zxid = ZAB_ZXID(z->epoch, 0),
                         .config_version = z->active.m.version,
                         .data = z->active.text,
                         .len = z->active.len};
    zab_send(z, to, &nl);
    if (!l->observer) {
        for (; i >= 0 && (size_t)i < z->n; i++) {
            const struct zab_entry *e = zab_log_at(z, (size_t)i);
            struct zab_msg pm = {.type = ZAB_MSG_PROPOSAL,
                                 .zxid = e->zxid,
                                 .data = e->data,
                                 .len = e->len};
            zab_send(z, to, &pm);
        }
    }
    l->state = LEARNER_SYNCING;
    zab_trace(z, "zab: sync sid=%llu mode=%s from=0x%llx to=0x%llx",
              (unsigned long long)to, mode_name(mode),
              (unsigned long long)from, (unsigned long long)hist_end);
}

/*
 * Spec 4.5: the leader counts NEWLEADER acks (itself included: its log is
 * durable and currentEpoch = e is on disk). On a quorum the initial history
 * is committed: deliver it, enter BROADCAST, send UPTODATE (COMMIT-LD).
 * idx < 0 only re-checks the quorum.
 */
void sync_on_newleader_ack(struct zab *z, int idx)
{
    if (idx >= 0) {
        z->learners[idx].state = LEARNER_SYNCED;
        z->learners[idx].synced_ms = z->now_ms;
        if (z->phase == ZAB_BROADCAST) {
            zab_send(z, zab_sid_at(z, idx),
                     &(struct zab_msg){.type = ZAB_MSG_UPTODATE});
            return;
        }
    }
    if (z->phase != ZAB_SYNC)
        return;
    uint32_t mask = 1u << z->me;
    for (unsigned i = 0; i < z->n_peers; i++)
        if (z->learners[i].state == LEARNER_SYNCED)
            mask |= 1u << i;
    if (!zab_quorum(z, mask))
        return;
    zab_move(z, ZAB_LEADING, ZAB_BROADCAST);
    z->committed = zab_log_last(z);
    zab_deliver_upto(z, z->committed);
    z->counter = 0;
    z->last_proposed = ZAB_ZXID(z->epoch, 0);
    z->next_check = z->now_ms + z->cfg.tick_ms;
    zab_trace(z, "zab: elected leader sid=%llu epoch=%u zxid=0x%llx",
              (unsigned long long)z->cfg.my_id, z->epoch,
              (unsigned long long)ZAB_ZXID(z->epoch, 0));
    for (unsigned i = 0; i < z->n_peers; i++)
        if (z->learners[i].state == LEARNER_SYNCED)
            zab_send(z, zab_sid_at(z, (int)i),
                     &(struct zab_msg){.type = ZAB_MSG_UPTODATE});
}

/* R-ZXID-1: next must be last+1, or the first of a later epoch; a repeat
 * of a zxid I hold is dropped. Returns 1 appended, 0 duplicate, <0 error. */
int sync_accept_proposal(struct zab *z, const struct zab_msg *m)
{
    zab_zxid last = zab_log_last(z);
    if (m->zxid <= last) {
        long i = zab_log_find(z, m->zxid);
        if (i >= 0) {
            const struct zab_entry *e = zab_log_at(z, (size_t)i);
            if (e->len == m->len &&
                (m->len == 0 || memcmp(e->data, m->data, m->len) == 0))
                return 0;
        }
        return COORD_EPROTO;
    }
    if (!(m->zxid == last + 1 ||
          (ZAB_EPOCH(m->zxid) > ZAB_EPOCH(last) && ZAB_COUNTER(m->zxid) == 1)))
        return COORD_EPROTO;
    if (ZAB_EPOCH(m->zxid) > z->epoch)
        return COORD_EPROTO;
    int rc = zab_log_append(z, m->zxid, m->data, m->len);
    return rc < 0 ? rc : 1;
}

static void fail(struct zab *z, const char *why)
{
    zab_go_looking(z, why);
}

/* Learner: the new leader takes my log after zxid (discovery, see
 * fetch_longest): every entry I hold after it, then the end (zxid 0). An
 * entry no longer in memory ends it short; the leader then steps down. */
static void send_fetched(struct zab *z, zab_zxid from)
{
    long i = from < z->base ? -1 : zab_log_upper(z, from);
    for (; i >= 0 && (size_t)i < z->n; i++) {
        const struct zab_entry *e = zab_log_at(z, (size_t)i);
        struct zab_msg f = {.type = ZAB_MSG_FETCHED,
                            .zxid = e->zxid,
                            .data = e->data,
                            .len = e->len};
        zab_send(z, z->leader, &f);
    }
    zab_send(z, z->leader, &(struct zab_msg){.type = ZAB_MSG_FETCHED});
}

/* Learner side of spec 4.4 (R-SYNC-1 .. R-SYNC-6). */
void sync_on_msg(struct zab *z, const struct zab_msg *m)
{
    switch (m->type) {
    case ZAB_MSG_FETCH:
        if (z->sync_mode == 0)
            send_fetched(z, m->zxid);
        break;
    case ZAB_MSG_DIFF:
    case ZAB_MSG_TRUNC:
    case ZAB_MSG_SNAP:
        if (z->sync_mode != 0)
            return fail(z, "second sync mode");
        z->sync_mode = m->type;
        z->newleader_end = m->committed;
        if (m->type == ZAB_MSG_TRUNC) {
            /* R-DUR-6 / I9: never below what was delivered. */
            if (m->zxid < z->delivered || !in_history(z, m->zxid))
                return fail(z, "bad trunc");
            zab_log_truncate(z, m->zxid);
        } else if (m->type == ZAB_MSG_SNAP) {
            if (m->zxid < z->delivered)
                return fail(z, "snap older than my state");
            z->snap_waiting = true;
            z->snap_wanted = m->zxid;
        } else if (!in_history(z, m->zxid) && m->zxid != zab_log_last(z)) {
            return fail(z, "diff from unknown zxid");
        }
        break;
    case ZAB_MSG_PROPOSAL:
    case ZAB_MSG_INFORM:
        if (z->sync_mode == 0 || z->snap_waiting)
            return fail(z, "proposal before sync mode");
        /* Before NEWLEADER only history of older epochs or committed txns
         * arrive; after it, live traffic of epoch e. */
        if (sync_accept_proposal(z, m) < 0)
            return fail(z, "proposal not contiguous");
        if (m->type == ZAB_MSG_INFORM && m->zxid > z->committed)
            z->committed = m->zxid;
        break;
    case ZAB_MSG_COMMIT:
        if (z->sync_mode == 0 || m->zxid > zab_log_last(z))
            return fail(z, "commit of unknown proposal");
        if (m->zxid > z->committed)
            z->committed = m->zxid; /* applied at UPTODATE */
        break;
    case ZAB_MSG_NEWLEADER:
        /* R-SYNC-3: acceptedEpoch == e; then (history already queued to
         * the log, in order) currentEpoch = e; ACK once that is durable. */
        if (z->sync_mode == 0 || z->snap_waiting || z->newleader_seen ||
            ZAB_EPOCH(m->zxid) != z->epoch || z->pending_accepted != z->epoch)
            return fail(z, "unexpected newleader");
        if (z->newleader_end > zab_log_last(z))
            return fail(z, "history shorter than announced");
        z->newleader_seen = true;
        config_adopt(z, m->config_version, m->data, m->len);
        zab_persist_epoch(z, ZAB_PERSIST_CURRENT_EPOCH, z->epoch,
                          PURPOSE_LEARNER_CURRENT);
        break;
    case ZAB_MSG_UPTODATE:
        /* R-SYNC-6: the history up to NEWLEADER is committed now. */
        if (!z->newleader_acked)
            return fail(z, "uptodate before newleader ack");
        if (z->newleader_end > z->committed)
            z->committed = z->newleader_end;
        zab_move(z, z->role, ZAB_BROADCAST);
        zab_deliver_upto(z, z->committed);
        if (z->abstain) {
            z->abstain = false; /* R-FLE-1: synced with a leader */
            zab_trace(z, "zab: synced, votes again sid=%llu",
                      (unsigned long long)z->cfg.my_id);
        }
        zab_trace(z, "zab: %s sid=%llu leader=%llu epoch=%u zxid=0x%llx",
                  z->role == ZAB_OBSERVING ? "observing" : "following",
                  (unsigned long long)z->cfg.my_id,
                  (unsigned long long)z->leader, z->epoch,
                  (unsigned long long)zab_log_last(z));
        break;
    default:
        break;
    }
}

/* R-DUR-3 / R-SYNC-5: the NEWLEADER ack is the first ACK after sync. */
void sync_epoch_persisted(struct zab *z)
{
    if (z->role == ZAB_LEADING || z->phase != ZAB_SYNC || !z->newleader_seen)
        return;
    z->newleader_acked = true;
    struct zab_msg a = {.type = ZAB_MSG_ACK, .zxid = ZAB_ZXID(z->epoch, 0)};
    zab_send(z, z->leader, &a);
    /* Proposals of epoch e logged after NEWLEADER and already durable. */
    zab_zxid tip = z->durable_tip;
    if (ZAB_EPOCH(tip) == z->epoch && ZAB_COUNTER(tip) != 0 &&
        tip > z->newleader_end && zab_log_find(z, tip) >= 0 &&
        z->role == ZAB_FOLLOWING) {
        struct zab_msg b = {.type = ZAB_MSG_ACK, .zxid = tip};
        zab_send(z, z->leader, &b);
    }
}

/* R-SYNC-1 SNAP: the driver installed the image at zxid and started a new
 * log generation after it, dropping unreported persist requests. */
int sync_snapshot_loaded(struct zab *z, zab_zxid zxid)
{
    if (!z->snap_waiting || zxid != z->snap_wanted)
        return COORD_EPROTO;
    z->snap_waiting = false;
    zab_log_reset(z, zxid);
    zab_pending_clear(z);
    z->delivered = z->committed = zxid;
    z->durable_tip = zxid;
    zab_trace(z, "zab: snapshot loaded sid=%llu zxid=0x%llx",
              (unsigned long long)z->cfg.my_id, (unsigned long long)zxid);
    return 0;
}
