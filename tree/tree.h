/* The znode tree: a pure, deterministic, single-threaded state machine. */
#ifndef COORD_TREE_H
#define COORD_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/jute.h"
#include "proto/records.h"

/*
 * The tree owns: znodes with their Stat, data and ACL; sequential counters;
 * the session table (id, timeout, password) and each session's ephemerals;
 * container/TTL bookkeeping; and the watch registry (not replicated, not in
 * snapshots: watches belong to connections of this server).
 *
 * It never does I/O, never reads a clock and never prints. Writes reach it
 * as transactions whose nondeterminism (zxid, time, session id, password) the
 * leader fixed; tree_apply() validates and applies them with ZooKeeper's
 * error precedence, so every replica computes the same result, failures
 * included (a failed write still consumes its zxid, as in ZooKeeper).
 */
struct tree;

struct tree_config {
    bool ttl_enabled;               /* createTTL / flags 5,6 allowed */
    int64_t container_never_used_ms; /* 0: never reap a never-used container */
};

/*
 * Watch notifications are handed to this callback synchronously, from inside
 * tree_apply()/tree_read(), before they return, in the order ZooKeeper sends
 * them. `watcher` is the id the caller registered the watch with. `path` is
 * only valid during the call. `zxid` is the triggering txn's zxid (-1 for
 * events synthesised by setWatches).
 */
typedef void (*tree_notify_fn)(void *ctx, uint64_t watcher, int32_t type,
                               const char *path, size_t path_len, int64_t zxid);

/* Who performs an operation: needed for ACL checks, ephemerals and watches. */
struct tree_caller {
    int64_t session_id; /* 0: no session (the server itself, the gateway) */
    uint64_t watcher;   /* connection id watches register under; 0 = none */
    bool super;         /* bypasses every ACL check */
    struct jute_vec ids; /* vector<Id> the connection holds (may be empty) */
};

/*
 * A transaction. `body` is the request record exactly as the client sent it
 * (the bytes after the RequestHeader), except for the server-made types:
 *   COORD_OP_CREATESESSION  body = { int timeout; buffer passwd(16) }
 *   COORD_OP_CLOSESESSION   body = empty; deletes the session's ephemerals
 *   COORD_OP_DELETECONTAINER body = { ustring path } (container/TTL reaper)
 *   COORD_OP_RECONFIG       body = { int err; then the new configuration's
 *                           text, "server.N=..." lines, to the end }: made
 *                           by an ensemble's leader from a reconfig request
 *                           it checked. err != 0 is returned and changes
 *                           nothing; otherwise /zookeeper/config becomes the
 *                           text plus "version=<hex zxid>" (no ACL check
 *                           here: the leader did it) and the reply is a
 *                           GetDataResponse.
 * Client types: CREATE, CREATE2, CREATECONTAINER, CREATETTL, DELETE, SETDATA,
 * SETACL, MULTI. For every type but CREATESESSION the session must exist in
 * the session table (else ESESSIONEXPIRED), except session_id 0, which means
 * "no session": allowed, but it cannot own ephemerals, and ACLs are checked
 * against `ids` unless `super` (the server's own txns, e.g. the reaper's,
 * set super).
 */
struct tree_txn {
    int64_t zxid;
    int64_t time_ms;
    int64_t session_id;
    int32_t type;
    bool super;
    struct jute_vec ids;  /* the caller's identities, as in tree_caller */
    struct jute_str body; /* borrowed */
};

/* A new tree holding only /, /zookeeper, /zookeeper/quota, /zookeeper/config.
 * NULL on allocation failure. */
struct tree *tree_new(const struct tree_config *cfg, tree_notify_fn notify,
                      void *ctx);
void tree_free(struct tree *t);

/*
 * Applies txn (zxid must exceed tree_last_zxid()). Returns the ReplyHeader
 * err: 0 with the response body appended to `reply` (NULL: not wanted), or a
 * ZooKeeper error code with nothing appended. A multi returns 0 and its
 * per-op results even when an op failed (then nothing was applied). Returns
 * COORD_ENOMEM only if memory ran out, in which case the tree is unchanged.
 * Fires watches through the notify callback before returning.
 */
int tree_apply(struct tree *t, const struct tree_txn *txn, struct buf *reply);

/*
 * Runs a request that does not change replicated state: EXISTS, GETDATA,
 * GETACL, GETCHILDREN, GETCHILDREN2, GETALLCHILDRENNUMBER, GETEPHEMERALS,
 * MULTIREAD, CHECKWATCHES, REMOVEWATCHES, SETWATCHES, SETWATCHES2, ADDWATCH.
 * Watches register under who->watcher. Returns like tree_apply; a body that
 * does not decode gives COORD_EMARSHALLING; other ops COORD_EUNIMPLEMENTED.
 */
int tree_read(struct tree *t, int32_t op, struct jute_str body,
              const struct tree_caller *who, struct buf *reply);

/* Forgets every watch registered under `watcher` (its connection closed). */
void tree_watches_drop(struct tree *t, uint64_t watcher);

/* zxid of the last applied txn (or loaded snapshot); 0 for a fresh tree. */
int64_t tree_last_zxid(const struct tree *t);

/*
 * Sets /zookeeper/config outside any txn, as a server does at start with
 * the configuration it knows: data (the text with its version line) and
 * Stat as a reconfig txn at zxid `version` would leave them. Does nothing
 * when the node already holds a configuration at least that new. Returns
 * 0 or COORD_ENOMEM.
 */
int tree_config_set(struct tree *t, const void *data, size_t len,
                    int64_t version, int64_t time_ms);

/* 0 if `who` may do `perm` (COORD_PERM_* bits) on path, else
 * COORD_ENONODE or COORD_ENOAUTH. */
int tree_check_perm(const struct tree *t, const char *path, size_t len,
                    int32_t perm, const struct tree_caller *who);

/* Sessions. tree_session_get: 0 and fills timeout/passwd, or ESESSIONEXPIRED. */
int tree_session_get(const struct tree *t, int64_t sid, int32_t *timeout_ms,
                     uint8_t passwd[16]);
void tree_session_foreach(const struct tree *t,
                          void (*fn)(void *ctx, int64_t sid, int32_t timeout_ms),
                          void *ctx);
/* Calls fn for every ephemeral path of session sid. */
void tree_ephemerals_foreach(const struct tree *t, int64_t sid,
                             void (*fn)(void *ctx, const char *path, size_t len),
                             void *ctx);

/*
 * Container and TTL nodes due for deletion at now_ms (wire spec 6.3, 6.4):
 * calls fn for at most `max` of them; returns how many. The caller submits a
 * DELETECONTAINER txn for each.
 */
size_t tree_reap_candidates(const struct tree *t, int64_t now_ms, size_t max,
                            void (*fn)(void *ctx, const char *path, size_t len),
                            void *ctx);

struct tree_stats {
    uint64_t nodes;        /* including /, /zookeeper and its children */
    uint64_t ephemerals;
    uint64_t data_bytes;   /* sum of data and path lengths, as zk_approximate_data_size */
    uint64_t sessions;
    uint64_t watches;      /* (watcher, path, kind) registrations */
    uint64_t watch_paths;  /* distinct watched paths */
    uint64_t watchers;     /* distinct watcher ids */
};
void tree_get_stats(const struct tree *t, struct tree_stats *out);

/* Every registration: fn(watcher, path) once per (watcher, path). */
void tree_watches_foreach(const struct tree *t,
                          void (*fn)(void *ctx, uint64_t watcher,
                                     const char *path, size_t len),
                          void *ctx);

/*
 * Snapshots, as a byte stream: the whole replicated state (nodes, sessions,
 * last zxid), not the watches. `out` returns 0 or an error that aborts the
 * save. `in` must fill exactly n bytes or return an error. Loading validates
 * everything it reads (COORD_ECORRUPT on any inconsistency, never a crash) and
 * must be given a tree fresh from tree_new(); on failure the tree is to be
 * freed, not used.
 */
typedef int (*tree_out_fn)(void *ctx, const void *p, size_t n);
typedef int (*tree_in_fn)(void *ctx, void *p, size_t n);
int tree_snapshot_save(const struct tree *t, tree_out_fn out, void *ctx);
int tree_snapshot_load(struct tree *t, tree_in_fn in, void *ctx);

/* Transaction (de)serialisation for the log and for peers. Decoding borrows
 * from the input and validates lengths: 0 or COORD_EPROTO. */
void tree_txn_encode(struct buf *b, const struct tree_txn *txn);
int tree_txn_decode(const void *p, size_t n, struct tree_txn *out);

#endif
