/* Quorum membership as data: the peers an engine knows, the active and the
 * pending configuration, and majorities of their voters (spec 1.1, 8). */
#include "zab/internal.h"

#include <stdlib.h>
#include <string.h>

int quorum_role(const struct zab_membership *m, zab_sid id)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->members[i].id == id)
            return m->members[i].role;
    return 0;
}

int peer_find(const struct zab *z, zab_sid id)
{
    for (unsigned i = 0; i < z->n_peers; i++)
        if (z->peers[i] == id)
            return (int)i;
    return -1;
}

static bool in_a_config(const struct zab *z, zab_sid id)
{
    return quorum_role(&z->active.m, id) != 0 ||
           (z->has_next && quorum_role(&z->next.m, id) != 0);
}

/* A slot of a peer that is in no configuration and has no learner
 * state; its ack bits go (peer_add clears the rest). */
static int peer_reclaim(struct zab *z)
{
    for (unsigned i = 0; i < z->n_peers; i++) {
        if ((int)i == z->me || in_a_config(z, z->peers[i]) ||
            z->learners[i].state != LEARNER_NONE)
            continue;
        uint32_t bit = 1u << i;
        for (size_t k = 0; k < z->n; k++)
            zab_log_at(z, k)->acks &= ~bit;
        return (int)i;
    }
    return -1;
}

/* Index of id, adding it when new; -1 when every slot is in use. */
int peer_add(struct zab *z, zab_sid id)
{
    int i = peer_find(z, id);
    if (i >= 0 || id == 0)
        return i;
    if (z->n_peers < ZAB_MAX_MEMBERS) {
        i = (int)z->n_peers++;
    } else if ((i = peer_reclaim(z)) < 0) {
        return -1;
    }
    z->peers[i] = id;
    memset(&z->learners[i], 0, sizeof z->learners[i]);
    memset(&z->recv[i], 0, sizeof z->recv[i]);
    memset(&z->outof[i], 0, sizeof z->outof[i]);
    memset(&z->replied[i], 0, sizeof z->replied[i]);
    return i;
}

void peers_add_config(struct zab *z, const struct zab_membership *m)
{
    for (unsigned i = 0; i < m->n; i++)
        peer_add(z, m->members[i].id);
}

/* Spec 1.1: a strict majority of the voters of m; mask holds peer bits. */
static bool quorum_of(const struct zab *z, const struct zab_membership *m,
                      uint32_t mask)
{
    unsigned voters = 0, in = 0;
    for (unsigned i = 0; i < m->n; i++) {
        if (m->members[i].role != ZAB_VOTER)
            continue;
        voters++;
        int p = peer_find(z, m->members[i].id);
        if (p >= 0 && (mask & (1u << p)))
            in++;
    }
    return voters > 0 && 2 * in > voters;
}

/* Spec 8: while a configuration is proposed and not committed, every
 * quorum must be one of the active AND of the proposed configuration. */
bool zab_quorum(const struct zab *z, uint32_t mask)
{
    if (!quorum_of(z, &z->active.m, mask))
        return false;
    return !z->has_next || quorum_of(z, &z->next.m, mask);
}

bool zab_is_voter(const struct zab *z, int idx)
{
    if (idx < 0 || (unsigned)idx >= z->n_peers)
        return false;
    return zab_is_voter_sid(z, z->peers[idx]);
}

bool zab_is_voter_sid(const struct zab *z, zab_sid sid)
{
    return quorum_role(&z->active.m, sid) == ZAB_VOTER ||
           (z->has_next && quorum_role(&z->next.m, sid) == ZAB_VOTER);
}

bool zab_quorum_synced(const struct zab *z, const struct zab_membership *m)
{
    if (z->role != ZAB_LEADING || z->phase != ZAB_BROADCAST)
        return false;
    /* Followers only (observers never ack), and not one that the active
     * configuration has made an observer: it is about to rejoin as one. */
    uint32_t mask = 1u << z->me;
    for (unsigned i = 0; i < z->n_peers; i++)
        if (z->learners[i].state == LEARNER_SYNCED &&
            !z->learners[i].observer &&
            quorum_role(&z->active.m, z->peers[i]) != ZAB_OBSERVER)
            mask |= 1u << i;
    return quorum_of(z, m, mask);
}

/* --- the configurations themselves --- */

static int cfg_set(struct zab *z, struct zab_cfgstate *c,
                   const struct zab_membership *m, const uint8_t *text,
                   size_t len)
{
    uint8_t *t = malloc(len ? len : 1);
    if (t == NULL)
        return z->err = COORD_ENOMEM;
    if (len)
        memcpy(t, text, len);
    free(c->text);
    c->text = t;
    c->len = len;
    c->m = *m;
    peers_add_config(z, m);
    z->config_changed = true;
    return 0;
}

void config_free(struct zab *z)
{
    free(z->active.text);
    free(z->next.text);
    z->active.text = z->next.text = NULL;
}

int config_init(struct zab *z, const struct zab_config *cfg)
{
    if (cfg->config_len > ZAB_MAX_CONFIG)
        return COORD_EINVAL;
    return cfg_set(z, &z->active, &cfg->members, cfg->config_text,
                   cfg->config_len);
}

/* A configuration text read with the driver's parser, at version. */
static bool parse_text(const struct zab *z, const uint8_t *text, size_t len,
                       uint64_t version, struct zab_membership *m)
{
    if (z->cfg.parse_config == NULL || len > ZAB_MAX_CONFIG)
        return false;
    memset(m, 0, sizeof *m);
    if (z->cfg.parse_config(z->cfg.config_ctx, text, len, m) != 0 ||
        m->n == 0 || m->n > ZAB_MAX_MEMBERS)
        return false;
    m->version = version;
    return true;
}

/* Does txn carry a configuration? Fills *m (version = zxid) and the text. */
static bool entry_config(const struct zab *z, zab_zxid zxid,
                         const uint8_t *data, size_t len,
                         struct zab_membership *m, const uint8_t **text,
                         size_t *text_len)
{
    return z->cfg.txn_config != NULL &&
           z->cfg.txn_config(z->cfg.config_ctx, data, len, text, text_len) &&
           parse_text(z, *text, *text_len, zxid, m);
}

/* A new log entry: a configuration in it is the pending one until it is
 * delivered (ZooKeeper's "last proposed" config). */
void config_logged(struct zab *z, struct zab_entry *e)
{
    struct zab_membership m;
    const uint8_t *text;
    size_t len;
    e->config = entry_config(z, e->zxid, e->data, e->len, &m, &text, &len);
    if (!e->config || e->zxid <= z->active.m.version)
        return;
    if (z->has_next && z->next.m.version >= e->zxid)
        return;
    if (cfg_set(z, &z->next, &m, text, len) == 0) {
        z->has_next = true;
        zab_trace(z, "zab: config proposed sid=%llu version=0x%llx",
                  (unsigned long long)z->cfg.my_id,
                  (unsigned long long)e->zxid);
    }
}

/* Activates a configuration known committed (delivered, or told by a
 * leader / a peer's notification). */
void config_activate(struct zab *z, const struct zab_membership *m,
                     const uint8_t *text, size_t len)
{
    if (m->version <= z->active.m.version)
        return;
    if (cfg_set(z, &z->active, m, text, len) != 0)
        return;
    if (z->has_next && z->next.m.version <= m->version)
        z->has_next = false;
    zab_trace(z, "zab: config active sid=%llu version=0x%llx members=%u",
              (unsigned long long)z->cfg.my_id,
              (unsigned long long)m->version, m->n);
}

void config_delivered(struct zab *z, const struct zab_entry *e)
{
    struct zab_membership m;
    const uint8_t *text;
    size_t len;
    if (e->config && e->zxid > z->active.m.version &&
        entry_config(z, e->zxid, e->data, e->len, &m, &text, &len))
        config_activate(z, &m, text, len);
}

/* A text a peer says is committed at version. */
void config_adopt(struct zab *z, uint64_t version, const uint8_t *text,
                  size_t len)
{
    struct zab_membership m;
    if (version > z->active.m.version && len > 0 &&
        parse_text(z, text, len, version, &m))
        config_activate(z, &m, text, len);
}

/* After a truncation or a new log: the pending configuration is the last
 * one in the undelivered tail, if any. */
void config_rescan(struct zab *z)
{
    if (!z->has_next)
        return;
    z->has_next = false;
    z->config_changed = true;
    long i = zab_log_upper(z, z->delivered);
    for (; i >= 0 && (size_t)i < z->n; i++) {
        struct zab_entry *e = zab_log_at(z, (size_t)i);
        if (e->config)
            config_logged(z, e);
    }
}

/* My role as the configurations say: observer only if the active one
 * lists me so and the pending one does not make me a voter. */
bool zab_i_observe(const struct zab *z)
{
    zab_sid me = z->cfg.my_id;
    return quorum_role(&z->active.m, me) == ZAB_OBSERVER &&
           !(z->has_next && quorum_role(&z->next.m, me) == ZAB_VOTER);
}

/* After a step that moved a configuration: a leader that is no voter any
 * more steps down (the voters elect one of theirs; ZooKeeper hands over to
 * a designated one instead), and a learner whose role changed rejoins in
 * the new one. */
void config_check_role(struct zab *z)
{
    if (!z->config_changed)
        return;
    if (z->role == ZAB_LOOKING) {
        /* Who may lead and whose votes count changed: a new round with a
         * fresh vote (ZooKeeper restarts its election likewise). */
        if (z->voting)
            election_start(z);
        return;
    }
    if (z->role == ZAB_LEADING && !zab_is_voter(z, z->me)) {
        zab_go_looking(z, "not a voter in the new configuration");
    } else if (z->role == ZAB_FOLLOWING && zab_i_observe(z)) {
        zab_go_looking(z, "an observer in the new configuration");
    } else if (z->role == ZAB_OBSERVING && zab_is_voter(z, z->me)) {
        zab_go_looking(z, "a voter in the new configuration");
    }
}
