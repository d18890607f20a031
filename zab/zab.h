/* Zab atomic broadcast as a pure state machine: zab_step(event) -> update. */
#ifndef COORD_ZAB_H
#define COORD_ZAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The engine owns the protocol state of one server: fast leader election,
 * discovery, synchronization and broadcast (spec/zab.md sections 2-5 and 8).
 * It never reads a clock, draws randomness outside its seeded PRNG, touches
 * a socket or a file, or prints. A driver (server/zab_driver.c, or the
 * simulator in tests/sim/) feeds it events and carries out the update each
 * step returns:
 *
 *   - time only arrives as ZAB_EV_TICK{now_ms} (monotonic milliseconds);
 *   - messages are opaque byte strings between server ids; the driver keeps
 *     one FIFO connection per peer and reports ZAB_EV_PEER_DOWN/UP when it
 *     breaks or is re-established (nothing from an old connection may arrive
 *     after the DOWN);
 *   - durability is an event: records the engine asks to persist count as
 *     on disk only once ZAB_EV_PERSISTED / ZAB_EV_EPOCH_PERSISTED say so,
 *     and no ACK, ACKEPOCH, NEWLEADER ack or leader self-ack exists before.
 *
 * Txn payloads are opaque (an encoded tree_txn in coordd).
 */

typedef uint64_t zab_zxid;  /* (epoch << 32) | counter */
typedef uint32_t zab_epoch;
typedef uint64_t zab_sid;   /* server id, never 0 */

#define ZAB_EPOCH(z) ((zab_epoch)((z) >> 32))
#define ZAB_COUNTER(z) ((uint32_t)((z)&0xffffffffu))
#define ZAB_ZXID(e, c) (((zab_zxid)(e) << 32) | (zab_zxid)(c))

#define ZAB_MAX_MEMBERS 32

/* Roles of a member in the configuration. */
enum { ZAB_VOTER = 1, ZAB_OBSERVER = 2 };

/* Server states (spec 2.3). */
enum { ZAB_LOOKING = 0, ZAB_FOLLOWING = 1, ZAB_LEADING = 2, ZAB_OBSERVING = 3 };

/* Zab phases; every move is checked against a transition table. */
enum { ZAB_ELECTION = 0, ZAB_DISCOVERY = 1, ZAB_SYNC = 2, ZAB_BROADCAST = 3 };

struct zab_member {
    zab_sid id;
    int role; /* ZAB_VOTER or ZAB_OBSERVER */
};

/* Membership as data: quorums are majorities of the voters listed here.
 * version is the zxid of the txn that made it (0: the static one). */
struct zab_membership {
    unsigned n;
    struct zab_member members[ZAB_MAX_MEMBERS];
    uint64_t version; /* carried in notifications and NEWLEADER */
};

/* Largest configuration text the engine keeps or accepts from a peer. */
#define ZAB_MAX_CONFIG 65536

struct zab_config {
    zab_sid my_id;                 /* need not be listed: a joining server */
    struct zab_membership members; /* the active configuration; copied */
    /* Its text, as the driver keeps and parses it; copied (may be empty).
     * Sent in notifications and NEWLEADER, so that a server that missed a
     * reconfiguration adopts the newer one (spec 8). */
    const uint8_t *config_text;
    size_t config_len;
    /*
     * Dynamic reconfiguration (spec 8). txn_config says whether a txn
     * payload carries a new configuration and points into it; parse_config
     * reads such a text into a membership (0, or nonzero when it does not
     * parse: the txn then changes nothing here). Both must be pure functions
     * of their bytes. NULL: the membership never changes.
     */
    bool (*txn_config)(void *ctx, const uint8_t *txn, size_t len,
                       const uint8_t **text, size_t *text_len);
    int (*parse_config)(void *ctx, const uint8_t *text, size_t len,
                        struct zab_membership *out);
    void *config_ctx;
    unsigned tick_ms;              /* tickTime */
    unsigned init_limit;           /* ticks for discovery + sync */
    unsigned sync_limit;           /* ticks of silence tolerated later */
    unsigned election_min_ms;      /* first notification resend (200) */
    unsigned election_max_ms;      /* cap of its doubling */
    unsigned finalize_ms;          /* finalizeWait (200) */
    unsigned window;               /* committed-log window, entries */
    uint64_t window_bytes;         /* ... and payload bytes; 0: no cap */
    unsigned max_outstanding;      /* R-BC-5: cap on proposals in flight */
    uint32_t counter_max;          /* R-ZXID-2: last counter a leader uses */
    /* One line per event, without newline; may be NULL. */
    void (*tracer)(void *ctx, const char *line);
    void *tracer_ctx;
};

/* Fills cfg with defaults (tick 2000, limits 10/5, window 500, ...);
 * my_id and members are left for the caller. */
void zab_config_defaults(struct zab_config *cfg);

/* One log record: borrowed bytes. */
struct zab_record {
    zab_zxid zxid;
    const uint8_t *data;
    size_t len;
};

/*
 * What the driver recovered from disk before zab_init (spec 9.5).
 * last_committed is the zxid the driver's state machine (tree) holds after
 * recovery: a snapshot tag, or anything later the driver knows committed;
 * the engine delivers nothing at or below it again. log[] holds the durable
 * log records in increasing zxid order: at least every record above
 * last_committed, contiguous with it, plus as many before it as the driver
 * wants in the committed-log window (records below last_committed fill the
 * window; the first one then only marks where the window starts). The
 * records must be contiguous history: if the whole log ends below
 * last_committed (the snapshot holds txns the log lost), the driver starts
 * a new, empty log generation after the snapshot before appending again,
 * or a later append would leave a hole that DIFF would propagate.
 * Borrowed: the engine copies what it keeps.
 */
struct zab_persisted {
    zab_epoch accepted_epoch;
    zab_epoch current_epoch;
    zab_zxid last_committed;
    const struct zab_record *log;
    size_t n_log;
    /* R-FLE-1: the disk holds nothing (no snapshot, no log, never synced
     * with a leader) and was not marked as a new ensemble's first boot. A
     * wiped disk must not help elect a leader that lacks what it held: the
     * server votes for no one, its notifications say so, it adopts no
     * vote, and it only follows a leader a quorum of others agree on,
     * until it has synced. */
    bool abstain;
};

enum {
    ZAB_EV_TICK = 1,          /* tick.now_ms: monotonic, never decreases */
    ZAB_EV_MSG,               /* msg: bytes from peer msg.from */
    ZAB_EV_PERSISTED,         /* persisted.zxid: see zab_persist */
    ZAB_EV_EPOCH_PERSISTED,   /* the oldest unreported epoch write is durable */
    ZAB_EV_SUBMIT,            /* submit: a txn to propose (leader only) */
    ZAB_EV_SNAPSHOT_LOADED,   /* snapshot.zxid: image installed and durable */
    ZAB_EV_PEER_DOWN,         /* peer.id: connection lost */
    ZAB_EV_PEER_UP,           /* peer.id: connection (re)established */
};

/* An input. Pointers are borrowed for the call. */
struct zab_event {
    int type;
    union {
        struct {
            uint64_t now_ms;
        } tick;
        struct {
            zab_sid from;
            const uint8_t *data;
            size_t len;
        } msg;
        struct {
            zab_zxid zxid;
        } persisted;
        struct {
            const uint8_t *data;
            size_t len;
        } submit;
        struct {
            zab_zxid zxid;
        } snapshot;
        struct {
            zab_sid id;
        } peer;
    };
};

enum {
    ZAB_SEND_MSG = 1,      /* send data to `to` */
    ZAB_SEND_SNAPSHOT = 2, /* stream the state image at snap_zxid to `to`
                            * here, in order with the messages around it */
};

struct zab_send {
    int kind;
    zab_sid to;
    zab_zxid snap_zxid;
    const uint8_t *data;
    size_t len;
};

/*
 * Persist requests form one ordered stream across steps. The driver makes
 * them durable in that order (a later request never survives a crash that
 * an earlier one does not: fsync the log before writing an epoch file that
 * follows appends) and reports, in the same order:
 *   APPEND{zxid, data}  and TRUNCATE{zxid: keep records <= zxid}  with
 *       ZAB_EV_PERSISTED{zxid} naming the newest durable one of them (one
 *       report may cover many);
 *   ACCEPTED_EPOCH{epoch} and CURRENT_EPOCH{epoch} (atomic file replace)
 *       with one ZAB_EV_EPOCH_PERSISTED each.
 * A report implies every earlier request is durable too. After a SNAP sync
 * the driver starts a fresh log at the snapshot and drops requests it has
 * not reported (see ZAB_EV_SNAPSHOT_LOADED).
 */
enum {
    ZAB_PERSIST_APPEND = 1,
    ZAB_PERSIST_TRUNCATE,
    ZAB_PERSIST_ACCEPTED_EPOCH,
    ZAB_PERSIST_CURRENT_EPOCH,
};

struct zab_persist {
    int kind;
    zab_zxid zxid;
    zab_epoch epoch;
    const uint8_t *data;
    size_t len;
};

/* A committed txn to apply, in zxid order. */
struct zab_delivery {
    zab_zxid zxid;
    const uint8_t *data;
    size_t len;
};

/*
 * The output of one step. Everything is owned by the engine and valid until
 * the next zab_step or zab_close. Carry it out in this order: apply
 * deliver[] to the state machine, then send[] (a ZAB_SEND_SNAPSHOT wants the
 * state as of snap_zxid, which is what the applied state is at that point),
 * then queue persist[]. Sends need not wait for persists.
 */
struct zab_update {
    const struct zab_send *send;
    size_t n_send;
    const struct zab_persist *persist;
    size_t n_persist;
    const struct zab_delivery *deliver;
    size_t n_deliver;
    bool changed;     /* role, phase, leader or epoch moved in this step */
    int role;         /* ZAB_LOOKING ... (current values, always set) */
    int phase;        /* ZAB_ELECTION ... */
    zab_sid leader;   /* 0 while none is known */
    zab_epoch epoch;  /* epoch of the current leader, once known */
    zab_zxid submitted; /* ZAB_EV_SUBMIT: zxid given to the txn */
    bool config_changed; /* the active or pending configuration moved:
                          * see zab_active_config / zab_pending_config */
};

/* One entry of the in-memory log (committed window + uncommitted tail). */
struct zab_entry {
    zab_zxid zxid;
    uint8_t *data;
    size_t len;
    uint32_t acks; /* leader: bit per peer index */
    uint64_t proposed_ms; /* leader: when it was proposed (R-BC-6) */
    bool config;   /* carries a configuration (txn_config said so) */
};

/* Leader-side state of one learner connection. */
struct zab_learner {
    int state; /* LEARNER_* in internal.h; 0: no connection */
    bool observer; /* came with OBSERVERINFO: never acks */
    zab_epoch accepted_epoch;     /* from FOLLOWERINFO */
    int64_t current_epoch;        /* from ACKEPOCH, -1 if it had accepted */
    zab_zxid last_zxid;           /* from ACKEPOCH */
    zab_zxid committed;           /* from ACKEPOCH */
    uint64_t last_heard_ms;
    zab_zxid acked;               /* highest ACK received (R-BC-6) */
    uint64_t synced_ms;           /* when its NEWLEADER ack arrived */
};

struct zab_vote {
    zab_sid leader;
    zab_zxid zxid;
    zab_epoch epoch; /* peerEpoch */
};

/* Election notification as remembered (recvset / outofelection). */
struct zab_seen {
    bool valid;
    int state;
    struct zab_vote vote;
    uint64_t round;
};

/* The engine. Fields are private: use the accessors below. */
/* A configuration with its text (owned). */
struct zab_cfgstate {
    struct zab_membership m;
    uint8_t *text;
    size_t len;
};

struct zab {
    struct zab_config cfg; /* cfg.members/config_text: as given at init */
    /* The servers this engine has heard of: both configurations and any
     * learner that connected (a joining server). Per-peer state (votes,
     * learners, ack bits) is indexed by position here. */
    zab_sid peers[ZAB_MAX_MEMBERS];
    unsigned n_peers;
    int me; /* my index in peers */
    /* Spec 8: the active configuration, and the last proposed one while
     * it is not committed (then every quorum needs both). */
    struct zab_cfgstate active, next;
    bool has_next;
    bool config_changed;
    uint64_t prng;
    uint64_t now_ms;
    bool started;
    int role, phase;
    unsigned era; /* bumped on every role change: stale completions die */
    zab_sid leader;
    zab_epoch epoch; /* epoch being established or led/followed */
    zab_epoch accepted_epoch, current_epoch; /* durable values */
    zab_epoch pending_accepted, pending_current; /* requested values */

    /* Log: entries[head..head+n) with strictly increasing zxids. */
    struct zab_entry *entries;
    size_t head, n, cap;
    zab_zxid base;      /* everything <= base is in the state, not in entries */
    uint64_t window_used; /* payload bytes of the delivered entries kept */
    zab_zxid delivered; /* last zxid handed out in deliver[] (or recovered) */
    zab_zxid committed; /* highest zxid known committed (may await delivery) */

    /* Persist requests not yet reported, oldest first. */
    struct zab_pending {
        int kind;
        zab_zxid zxid;
        unsigned era;
        int purpose;
    } *pending;
    size_t p_head, p_n, p_cap;
    zab_zxid durable_tip; /* newest reported log position */

    /* Election (spec 2.4). */
    uint64_t round;
    struct zab_vote proposal;
    struct zab_seen recv[ZAB_MAX_MEMBERS];
    struct zab_seen outof[ZAB_MAX_MEMBERS];
    struct zab_seen replied[ZAB_MAX_MEMBERS]; /* last reply to a non-voter */
    uint64_t elected_round;
    uint64_t resend_at, resend_ms, decide_at;
    bool voting; /* notifications sent for this round */
    bool abstain; /* R-FLE-1, until synced (see zab_persisted) */

    /* Common deadline of the current phase; leader ping schedule. */
    uint64_t phase_deadline, next_ping, next_check;

    /* Leader. */
    struct zab_learner learners[ZAB_MAX_MEMBERS];
    bool epoch_fixed; /* acceptedEpoch = e requested */
    zab_epoch learner_epoch_seen; /* highest acceptedEpoch a learner sent
                                   * after e was fixed above it */
    bool epoch_ready; /* ... and durable: LEADERINFO may go out */
    bool current_requested;
    bool fetching;        /* discovery: taking a learner's longer history */
    int fetch_idx;        /* ... from this learner */
    zab_zxid fetch_target; /* ... up to its last zxid */
    uint32_t counter;
    zab_zxid last_proposed;

    /* Follower / observer. */
    uint64_t leader_heard_ms;
    bool got_leaderinfo, acked_epoch;
    bool newleader_seen, newleader_acked;
    zab_zxid newleader_end; /* log end at NEWLEADER: history committed */
    zab_zxid snap_wanted;   /* SNAP(z) received, image not yet loaded */
    bool snap_waiting;
    int sync_mode; /* first sync packet type, 0 before it */

    /* The update being built (owned; reused between steps). */
    struct zab_send *out_send;
    size_t n_send, cap_send;
    struct zab_persist *out_persist;
    size_t n_persist, cap_persist;
    struct zab_delivery *out_deliver;
    size_t n_deliver, cap_deliver;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    int err; /* sticky COORD_ENOMEM inside one step */
    bool changed;
    zab_zxid submitted;
};

/*
 * Initialises z for cfg (copied) from what the driver recovered (boot, may be
 * NULL for an empty first boot) and a PRNG seed. The engine starts in
 * ELECTION; its first step sends the first notifications. Returns 0,
 * COORD_EINVAL (my_id not a member, bad limits, epochs inconsistent,
 * log not increasing) or COORD_ENOMEM. On failure nothing needs closing.
 */
int zab_init(struct zab *z, const struct zab_config *cfg,
             const struct zab_persisted *boot, uint64_t seed);

/* Frees what z owns; z may be zab_init'ed again afterwards. */
void zab_close(struct zab *z);

/*
 * Feeds one event and fills *out with what to do (see struct zab_update).
 * Returns 0; COORD_EAGAIN for a SUBMIT when this server is not an
 * established leader (forward it to zab_leader_id(), if any);
 * COORD_ETHROTTLED for a SUBMIT beyond max_outstanding; COORD_EPROTO for a
 * malformed message (ignored; the connection may be closed); COORD_ENOMEM.
 * *out is valid in every case (possibly empty).
 */
int zab_step(struct zab *z, const struct zab_event *ev,
             struct zab_update *out);

bool zab_is_leader(const struct zab *z);       /* LEADING, any phase */
bool zab_is_established(const struct zab *z);  /* in BROADCAST */
zab_sid zab_leader_id(const struct zab *z);    /* 0 if none */
int zab_role(const struct zab *z);
int zab_phase(const struct zab *z);
zab_epoch zab_epoch_of(const struct zab *z);   /* epoch led/followed */
zab_zxid zab_last_committed(const struct zab *z); /* last delivered */
zab_zxid zab_last_logged(const struct zab *z);
/* Leader: learners connected (in any state) and synced (acknowledged
 * NEWLEADER), observers included; 0 on other servers. */
unsigned zab_learners(const struct zab *z, unsigned *synced);
/* The active configuration; the proposed, not yet committed one (NULL
 * when none). Valid until the next zab_step. */
const struct zab_cfgstate *zab_active_config(const struct zab *z);
const struct zab_cfgstate *zab_pending_config(const struct zab *z);
/* Leader: would `m` have a quorum of voters that are in sync now (the
 * leader and learners that acknowledged NEWLEADER with FOLLOWERINFO)?
 * ZooKeeper's check before proposing a reconfiguration. */
bool zab_quorum_synced(const struct zab *z, const struct zab_membership *m);
/* True if sid is a voter in the active or the pending configuration. */
bool zab_is_voter_sid(const struct zab *z, zab_sid sid);
/* R-FLE-1: true while this server abstains (empty, uninitialised disk,
 * not yet synced). */
bool zab_abstains(const struct zab *z);
/* True while a SNAP sync waits for the image; *zxid is its tag. */
bool zab_snapshot_wanted(const struct zab *z, zab_zxid *zxid);

const char *zab_phase_name(int phase);
const char *zab_role_name(int role);

#endif
