/* Fast leader election: votes ordered by (epoch, zxid, sid) (spec 2). */
#include "zab/internal.h"

#include <string.h>

/* Spec 2.1 totalOrderPredicate: epoch first, then zxid, then sid. */
static bool beats(const struct zab_vote *a, const struct zab_vote *b)
{
    if (a->epoch != b->epoch)
        return a->epoch > b->epoch;
    if (a->zxid != b->zxid)
        return a->zxid > b->zxid;
    return a->leader > b->leader;
}

static bool same(const struct zab_vote *a, const struct zab_vote *b)
{
    return a->leader == b->leader && a->zxid == b->zxid &&
           a->epoch == b->epoch;
}

static bool i_vote(const struct zab *z)
{
    return zab_is_voter(z, z->me); /* in the active or pending config */
}

/* Only a voter of the active configuration may be proposed as leader
 * (ZooKeeper's getInitId and totalOrderPredicate): servers that know a
 * pending configuration and servers that do not then still agree on
 * who can win. */
static bool can_lead(const struct zab *z, zab_sid sid)
{
    return quorum_role(&z->active.m, sid) == ZAB_VOTER;
}

/* Spec 2.4 step 1: "a server starts by voting for itself:
 * (myid, lastLoggedZxid, currentEpoch)"; observers vote for nobody. */
static struct zab_vote self_vote(const struct zab *z)
{
    struct zab_vote v = {0, 0, 0};
    if (can_lead(z, z->cfg.my_id) && !z->abstain) {
        v.leader = z->cfg.my_id;
        v.zxid = zab_log_last(z);
        v.epoch = z->current_epoch;
    }
    return v;
}

/* The vote this server reports: its proposal while LOOKING, else the
 * leader it follows; R-FLE-2: the new epoch once established. It carries
 * my active configuration (spec 2.2), which a server that missed a
 * reconfiguration adopts. */
void election_notify(struct zab *z, zab_sid to)
{
    struct zab_msg m = {.type = ZAB_MSG_NOTIFICATION,
                        .version = ZAB_PROTOCOL_VERSION,
                        .config_version = z->active.m.version,
                        .data = z->active.text,
                        .len = z->active.len,
                        .state = z->role};
    if (z->role == ZAB_LOOKING) {
        m.leader = z->proposal.leader;
        m.zxid = z->proposal.zxid;
        m.peer_epoch = z->proposal.epoch;
        m.round = z->round;
    } else {
        m.leader = z->leader;
        m.zxid = z->proposal.zxid;
        m.peer_epoch =
            z->phase == ZAB_BROADCAST ? z->epoch : z->proposal.epoch;
        m.round = z->elected_round;
    }
    zab_send(z, to, &m);
}


/* Spec 2.4 step 1: every voter of the active and the pending config. */
static void send_all(struct zab *z)
{
    for (unsigned i = 0; i < z->n_peers; i++)
        if ((int)i != z->me && zab_is_voter(z, (int)i))
            election_notify(z, zab_sid_at(z, (int)i));
}

static void arm_resend(struct zab *z)
{
    uint64_t jitter = zab_rand(z) % (z->resend_ms / 4 + 1);
    z->resend_at = z->now_ms + z->resend_ms + jitter;
}

/* Spec 2.4 step 1: new round, vote for myself, tell every voter. R-PERS-9:
 * first wait until every persist request is durable, so the vote never
 * names a zxid that is not on disk (R-DUR-7). */
void election_start(struct zab *z)
{
    memset(z->recv, 0, sizeof z->recv);
    memset(z->outof, 0, sizeof z->outof);
    memset(z->replied, 0, sizeof z->replied);
    z->decide_at = 0;
    if (!zab_pending_empty(z)) {
        z->voting = false;
        return;
    }
    z->voting = true;
    z->round++;
    z->proposal = self_vote(z);
    if (i_vote(z))
        z->recv[z->me] = (struct zab_seen){true, ZAB_LOOKING, z->proposal,
                                           z->round};
    send_all(z);
    z->resend_ms = z->cfg.election_min_ms;
    arm_resend(z);
}

static void decide(struct zab *z, zab_sid leader)
{
    z->elected_round = z->round;
    z->leader = leader;
    z->decide_at = 0;
    if (leader == z->cfg.my_id) {
        zab_move(z, ZAB_LEADING, ZAB_DISCOVERY);
    } else {
        /* A server in no configuration (joining) follows without a vote:
         * its acks count once a configuration lists it (spec 8). */
        zab_move(z, zab_i_observe(z) ? ZAB_OBSERVING : ZAB_FOLLOWING,
                 ZAB_DISCOVERY);
    }
    zab_trace(z, "zab: decided sid=%llu role=%s leader=%llu round=%llu",
              (unsigned long long)z->cfg.my_id, zab_role_name(z->role),
              (unsigned long long)leader, (unsigned long long)z->round);
    discovery_start(z);
}

/* Votes in recvset for my proposal, in my round. */
static bool proposal_has_quorum(const struct zab *z)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < z->n_peers; i++) {
        const struct zab_seen *s = &z->recv[i];
        if (s->valid && s->round == z->round && same(&s->vote, &z->proposal))
            mask |= 1u << i;
    }
    return z->proposal.leader != 0 && zab_quorum(z, mask);
}

/* Spec 2.4 step 4, FOLLOWING/LEADING notifications, and 2.6: follow once a
 * quorum agrees on (leader, peerEpoch) (R-FLE-3) and the leader itself says
 * LEADING (checkLeader). A voter counts itself among those agreeing: it
 * only asks to follow (the leader still needs a quorum of FOLLOWERINFO and
 * ACKEPOCH), and without it a server that fell out of step (its round ahead
 * of a leader and followers still in discovery) could not join a leader
 * that is one follower short of its quorum: with two of five servers down
 * the three survivors kept missing each other. */
static void try_join(struct zab *z)
{
    for (unsigned l = 0; l < z->n_peers; l++) {
        const struct zab_seen *ls = &z->outof[l];
        if (!ls->valid || ls->state != ZAB_LEADING ||
            ls->vote.leader != zab_sid_at(z, (int)l) || (int)l == z->me)
            continue;
        uint32_t mask = i_vote(z) && !z->abstain ? 1u << z->me : 0;
        for (unsigned i = 0; i < z->n_peers; i++) {
            const struct zab_seen *s = &z->outof[i];
            if (s->valid && s->vote.leader == ls->vote.leader &&
                s->vote.epoch == ls->vote.epoch)
                mask |= 1u << i;
            /* ... and LOOKING votes of the leader's own round for it
             * (ZooKeeper merges them into its recvset likewise): servers
             * still looking in that round would otherwise each wait for
             * the others to follow first. */
            const struct zab_seen *r = &z->recv[i];
            if (r->valid && r->round == ls->round &&
                r->vote.leader == ls->vote.leader &&
                r->vote.epoch == ls->vote.epoch)
                mask |= 1u << i;
        }
        if (zab_quorum(z, mask)) {
            z->round = ls->round;
            z->proposal = ls->vote;
            decide(z, ls->vote.leader);
            return;
        }
    }
}

void election_on_msg(struct zab *z, int from, const struct zab_msg *m)
{
    if (m->config_version > z->active.m.version)
        config_adopt(z, m->config_version, m->data, m->len);
    bool sender_votes = zab_is_voter(z, from);
    zab_sid sender = zab_sid_at(z, from);
    /* Step 5: a server that is not LOOKING answers a LOOKING one at once. */
    if (z->role != ZAB_LOOKING) {
        if (m->state == ZAB_LOOKING)
            election_notify(z, sender);
        return;
    }
    if (!z->voting)
        return; /* still quiescing the log writer */
    if (!sender_votes) {
        /* Non-voters get a reply, nothing else; the same reply only once:
         * two servers that each think the other has no vote (one knows a
         * pending configuration the other does not) would otherwise
         * answer each other forever. */
        struct zab_seen now = {true, ZAB_LOOKING, z->proposal, z->round};
        struct zab_seen *r = &z->replied[from];
        if (m->state == ZAB_LOOKING &&
            !(r->valid && r->round == now.round &&
              same(&r->vote, &now.vote))) {
            *r = now;
            election_notify(z, sender);
        }
        return;
    }
    /* An OBSERVING server counts too when my configurations make it a
     * voter (it may not know the pending one that does): quorums only
     * count voters, by my view. */
    if (m->state != ZAB_LOOKING) {
        z->outof[from] = (struct zab_seen){
            true, m->state, {m->leader, m->zxid, m->peer_epoch}, m->round};
        try_join(z);
        return;
    }
    /* A server that is no voter in its own view still takes part (with
     * no vote of its own to start from): a server whose pending
     * configuration lists it as a voter counts its vote (ZooKeeper does
     * the same; without it, voters of a configuration that a non-voter
     * never heard of could never make that configuration's quorum). */
    struct zab_vote n = {m->leader, m->zxid, m->peer_epoch};
    /* A vote for a server that cannot lead never wins and is not
     * counted, but its round still moves mine: a server voting for
     * nobody (no voter of its active configuration) must not leave a
     * candidate behind in an older round. */
    bool valid = can_lead(z, m->leader);
    /* R-FLE-1: an abstaining server adopts no vote (its own stays "no
     * one", which nobody counts); rounds still move. */
    bool adopt = valid && !z->abstain;
    if (m->round > z->round) {
        z->round = m->round;
        memset(z->recv, 0, sizeof z->recv);
        struct zab_vote mine = self_vote(z);
        z->proposal = adopt && beats(&n, &mine) ? n : mine;
        z->recv[z->me] = (struct zab_seen){true, ZAB_LOOKING, z->proposal,
                                           z->round};
        z->decide_at = 0;
        send_all(z);
    } else if (m->round < z->round) {
        election_notify(z, sender);
        return;
    } else if (adopt && beats(&n, &z->proposal)) {
        z->proposal = n;
        z->recv[z->me].vote = n;
        z->decide_at = 0;
        send_all(z);
    }
    if (valid)
        z->recv[from] = (struct zab_seen){true, ZAB_LOOKING, n, m->round};
    if (proposal_has_quorum(z)) {
        if (z->decide_at == 0)
            z->decide_at = z->now_ms + z->cfg.finalize_ms;
    } else {
        z->decide_at = 0;
    }
}

void election_tick(struct zab *z)
{
    if (z->role != ZAB_LOOKING || !z->voting)
        return;
    if (z->decide_at == 0 && proposal_has_quorum(z))
        z->decide_at = z->now_ms + z->cfg.finalize_ms;
    /* finalizeWait passed without a better vote: decide. */
    if (z->decide_at != 0 && z->now_ms >= z->decide_at &&
        proposal_has_quorum(z)) {
        decide(z, z->proposal.leader);
        return;
    }
    /* Step 3: resend, doubling the interval up to its cap. */
    if (z->now_ms >= z->resend_at) {
        send_all(z);
        z->resend_ms *= 2;
        if (z->resend_ms > z->cfg.election_max_ms)
            z->resend_ms = z->cfg.election_max_ms;
        arm_resend(z);
    }
}
