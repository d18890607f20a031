/* libcoord: the C client of coord, a ZooKeeper-compatible coordination service. */
#ifndef COORD_H
#define COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Overview
 *
 * A `struct coord` is one ZooKeeper session, kept alive across TCP
 * connections to the hosts of a connect string. Every operation is
 * asynchronous: it queues a request and returns 0, and its callback runs
 * exactly once later, from coord_process() (event-loop mode) or from the
 * library's own thread (thread mode). If the call itself returns an error,
 * the callback never runs. Blocking `_sync` wrappers sit on top.
 *
 * Event-loop mode (the default): the caller owns the loop. Ask coord_fd(),
 * coord_interest() and coord_timeout_ms(), wait (poll, epoll, libuv ...),
 * then call coord_process() with what became ready. The fd changes across
 * reconnects and may be -1 (waiting to reconnect): ask again after every
 * coord_process() call.
 *
 * Thread mode: coord_start_thread() runs that loop on a thread owned by the
 * library; every callback then runs on that thread.
 *
 * Thread safety: unless a function says otherwise, it may be called from
 * any thread at any time (an internal mutex serialises them), including
 * from inside a callback. Callbacks run with that mutex held: they should
 * be short, and may queue further operations but must not block on one.
 *
 * Errors: 0 on success, a negative COORD_E* code on failure; never an abort.
 * Codes in the ZooKeeper range (-1 .. -127) mean what they mean there.
 */

#include "coord_err.h"

/* --- constants (values are ZooKeeper's) --- */

/* Create flags (CreateMode). */
#define COORD_PERSISTENT 0
#define COORD_EPHEMERAL 1
#define COORD_PERSISTENT_SEQUENTIAL 2
#define COORD_EPHEMERAL_SEQUENTIAL 3
#define COORD_CONTAINER 4
#define COORD_PERSISTENT_WITH_TTL 5
#define COORD_PERSISTENT_SEQUENTIAL_WITH_TTL 6

/* ACL permission bits. */
#define COORD_PERM_READ 1
#define COORD_PERM_WRITE 2
#define COORD_PERM_CREATE 4
#define COORD_PERM_DELETE 8
#define COORD_PERM_ADMIN 16
#define COORD_PERM_ALL 31

/* Watch event types passed to a coord_watch_fn. */
#define COORD_EV_CREATED 1
#define COORD_EV_DELETED 2
#define COORD_EV_CHANGED 3
#define COORD_EV_CHILD 4
#define COORD_EV_DATA_WATCH_REMOVED 5  /* after coord_remove_watches */
#define COORD_EV_CHILD_WATCH_REMOVED 6 /* after coord_remove_watches */
#define COORD_EV_PERSISTENT_WATCH_REMOVED 7
/* The watch will never fire: the handle was freed or the session ended. */
#define COORD_EV_CANCELLED (-1)

/* Watcher types for coord_remove_watches / coord_check_watches. */
#define COORD_WT_CHILDREN 1
#define COORD_WT_DATA 2
#define COORD_WT_ANY 3
#define COORD_WT_PERSISTENT 4
#define COORD_WT_PERSISTENT_RECURSIVE 5

/* Modes of coord_add_watch. */
#define COORD_ADDWATCH_PERSISTENT 0
#define COORD_ADDWATCH_PERSISTENT_RECURSIVE 1

/* Readiness bits for coord_interest / coord_process. */
#define COORD_READ 1u
#define COORD_WRITE 2u

/*
 * Connection states, reported to coord_options.state_cb and then to every
 * listener of coord_add_state_listener on every change.
 * SUSPENDED: disconnected, reconnecting; the session may still be alive and
 * calls queue until it is back. LOST: the server said the session expired;
 * AUTH_FAILED: the server refused a credential; CLOSED: coord_free ran.
 * LOST, AUTH_FAILED and CLOSED are final: every call then fails with
 * COORD_ESESSIONEXPIRED, COORD_EAUTHFAILED or COORD_ECLOSED.
 */
enum coord_state {
    COORD_CONNECTING = 1,
    COORD_CONNECTED,
    COORD_SUSPENDED,
    COORD_LOST,
    COORD_AUTH_FAILED,
    COORD_CLOSED,
};

/* --- records --- */

#ifndef COORD_PROTO_RECORDS_H
/* A znode's Stat (wire spec section 5), field for field. */
struct coord_stat {
    int64_t czxid;
    int64_t mzxid;
    int64_t ctime;
    int64_t mtime;
    int32_t version;
    int32_t cversion;
    int32_t aversion;
    int64_t ephemeral_owner;
    int32_t data_length;
    int32_t num_children;
    int64_t pzxid;
};
#endif

struct coord_acl_entry {
    int32_t perms;      /* COORD_PERM_* bits */
    const char *scheme; /* "world", "digest", "ip", "auth" ... */
    const char *id;     /* "anyone", "user:base64sha1" ... */
};

struct coord_acl_list {
    int32_t count;
    const struct coord_acl_entry *entries;
};

/* A list of strings (child names, ephemeral paths). */
struct coord_strings {
    int32_t count;
    char **data;
};

/* One identity of the connection, as whoAmI reports it. */
struct coord_client_info {
    const char *scheme;
    const char *user;
};

/* world:anyone ALL, world:anyone READ, auth ALL (creator). Static storage. */
const struct coord_acl_list *coord_acl_open(void);
const struct coord_acl_list *coord_acl_read(void);
const struct coord_acl_list *coord_acl_creator(void);

/* --- the handle --- */

struct coord;

typedef void (*coord_state_fn)(struct coord *c, int state, void *ctx);

struct coord_options {
    /* "host:port,host:port/chroot"; IPv6 as [addr]:port. Required. */
    const char *hosts;
    int session_timeout_ms; /* requested; 0 = 10000 */
    int call_timeout_ms;    /* default per-call timeout; 0 = 2 x session */
    coord_state_fn state_cb; /* may be NULL */
    void *state_ctx;
    /* Resume an existing session: its id and 16-byte password. */
    int64_t session_id;
    const unsigned char *session_passwd;
    /* One credential sent on every connection (e.g. "digest",
     * "user:password"); more with coord_add_auth. */
    const char *auth_scheme;
    const char *auth_data;
    bool read_only; /* accept a read-only server */
    /*
     * TLS through OpenSSL (TLS 1.2 or later), on when `tls` is true or any
     * tls_*_file is set; every host of the connect string is then a TLS
     * port (coordd's secureClientPort). The server's certificate must chain
     * to tls_ca_file (PEM; NULL = OpenSSL's default trust store) and name
     * the host as written in the connect string (a DNS name or an IP
     * address subjectAltName) unless tls_skip_name_check. tls_cert_file
     * (PEM chain) and tls_key_file (PEM; NULL = inside tls_cert_file) are
     * the optional client certificate: the server maps it to an `x509`
     * identity. Files are read by coord_new; a bad one makes it fail with
     * COORD_EINVAL and the reason in tls_error (if given).
     */
    bool tls;
    const char *tls_ca_file;
    const char *tls_cert_file;
    const char *tls_key_file;
    bool tls_skip_name_check;
    char *tls_error; /* may be NULL: coord_new writes why TLS set-up failed */
    size_t tls_error_len;
    unsigned long seed; /* host shuffle and backoff jitter; 0 = random */
};

/* Fills *o with defaults (all zero/NULL). */
void coord_options_init(struct coord_options *o);

/*
 * Creates a handle and starts connecting (nothing blocks: the first
 * connect happens in coord_process or on the thread). *out is set on
 * success. Returns COORD_EINVAL for a bad connect string or options
 * (including unreadable TLS files), COORD_ENOMEM.
 */
int coord_new(const struct coord_options *opts, struct coord **out);

/*
 * Closes the session (closeSession, waiting up to about a second for the
 * reply so ephemerals go at once), stops the thread if running, fails every
 * outstanding call with COORD_ECLOSED and sends COORD_EV_CANCELLED to every
 * watch, then frees c. NULL does nothing. Not thread-safe: no other call on
 * c may run or follow; never from a callback.
 */
void coord_free(struct coord *c);

/* Current state (enum coord_state). */
int coord_state(struct coord *c);
/*
 * Adds a listener called on every state change from now on, after the
 * options' state_cb and after the listeners added before it, like any
 * callback: from coord_process, or on the library's thread in thread mode,
 * with the handle's mutex held. The last call is the one for COORD_CLOSED
 * from coord_free. *id_out (may be NULL) gets an id > 0 for
 * coord_remove_state_listener. Returns COORD_EINVAL for a NULL fn,
 * COORD_ENOMEM. A listener added from inside a listener is first called on
 * the next change.
 */
int coord_add_state_listener(struct coord *c, coord_state_fn fn, void *ctx,
                             int *id_out);
/*
 * Removes a listener; once this returns it is never called again (a call
 * on another thread completes first, since both hold the handle's mutex).
 * Safe from inside any callback, including the listener itself or another
 * listener of the same change. COORD_EINVAL for an unknown id.
 */
int coord_remove_state_listener(struct coord *c, int id);
/* 1 while the library's thread runs (between coord_start_thread and
 * coord_stop_thread): callbacks run on that thread and coord_process must
 * not be called. 0 in event-loop mode. */
int coord_is_threaded(struct coord *c);
/* "connecting", "connected", ... for logs. */
const char *coord_state_name(int state);
/* Session id and 16-byte password (passwd may be NULL); 0 before the
 * first connection. */
int64_t coord_session_id(struct coord *c, unsigned char *passwd);
/* The negotiated session timeout, or 0 before the first connection. */
int coord_session_timeout(struct coord *c);
/*
 * Why the last connection attempt or connection failed, as text ("connect
 * to 127.0.0.1:2181: Connection refused", "TLS handshake with h:2281
 * failed: certificate verify failed: ..."), copied to buf (NUL-terminated,
 * truncated to len). Kept after a later success: it explains the most
 * recent failure, if any. Returns the length of the whole text (0: no
 * failure yet), or COORD_EINVAL for a NULL handle.
 */
int coord_last_error(struct coord *c, char *buf, size_t len);
/* Sets the timeout of calls made from now on (ms, > 0); returns the old
 * one. A call whose reply has not come in time fails with
 * COORD_EOPERATIONTIMEOUT; the connection is kept. */
int coord_set_call_timeout(struct coord *c, int ms);

/* --- event-loop mode: one thread at a time, and never in thread mode --- */

/* The socket to wait on, or -1 (then just wait coord_timeout_ms). */
int coord_fd(struct coord *c);
/* COORD_READ / COORD_WRITE bits to wait for on coord_fd. */
unsigned coord_interest(struct coord *c);
/* Milliseconds until coord_process must run anyway (>= 0). */
int coord_timeout_ms(struct coord *c);
/*
 * Does all due work: I/O for the ready `events`, timers, reconnects,
 * callbacks. Returns 0, or the final state's code once the handle is
 * LOST/AUTH_FAILED/CLOSED, or COORD_EINVAL in thread mode or when called
 * from a callback.
 */
int coord_process(struct coord *c, unsigned events);

/* --- thread mode --- */

/* Starts the library's own loop thread; callbacks then run on it. Not from
 * a callback. COORD_EINVAL if it is already running. */
int coord_start_thread(struct coord *c);
/* Stops and joins it (the handle stays usable in event-loop mode). Not from
 * a callback. */
int coord_stop_thread(struct coord *c);

/* --- asynchronous operations --- */

/*
 * Paths are absolute and relative to the chroot. A watch argument `w`
 * (NULL = no watch) is one-shot: it fires once with the event type and the
 * path (chroot stripped), or with COORD_EV_CANCELLED if the handle closes or
 * the session ends first. Result pointers given to callbacks are borrowed
 * for the duration of the callback.
 *
 * When a watch is set: the library registers `w` just before the call's
 * callback runs, and only if the reply says the server set it: rc 0 for
 * coord_get, coord_get_children and coord_exists, and also rc
 * COORD_ENONODE for coord_exists (a watch on creation). On any other
 * result (COORD_ENONODE for get/get_children, COORD_ENOAUTH,
 * COORD_ECONNECTIONLOSS, COORD_EOPERATIONTIMEOUT, a final state's code ...)
 * no watch exists and `w` is never called, not even with
 * COORD_EV_CANCELLED. So a watcher that owns resources frees them either
 * when `w` runs or when the call fails that way.
 *
 * A registered watch survives disconnects: on every reconnect the library
 * sets all of them again (setWatches2, with the last zxid seen, so events
 * missed meanwhile fire at once). It ends in exactly one call of `w`: the
 * event, a *_WATCH_REMOVED after coord_remove_watches, or
 * COORD_EV_CANCELLED when the session ends (COORD_LOST, COORD_AUTH_FAILED)
 * or coord_free runs (COORD_CLOSED); the CANCELLED calls come right after
 * the state change is reported and after the pending calls failed.
 */
typedef void (*coord_watch_fn)(struct coord *c, int type, const char *path,
                               void *ctx);
typedef void (*coord_void_cb)(int rc, void *ctx);
typedef void (*coord_stat_cb)(int rc, const struct coord_stat *st, void *ctx);
typedef void (*coord_data_cb)(int rc, const char *data, int32_t len,
                              const struct coord_stat *st, void *ctx);
typedef void (*coord_string_cb)(int rc, const char *s, void *ctx);
/* st is NULL for plain create (opcode 1). */
typedef void (*coord_create_cb)(int rc, const char *path,
                                const struct coord_stat *st, void *ctx);
/* st is NULL for get_ephemerals. */
typedef void (*coord_strings_cb)(int rc, const struct coord_strings *s,
                                 const struct coord_stat *st, void *ctx);
typedef void (*coord_acl_cb)(int rc, const struct coord_acl_list *acl,
                             const struct coord_stat *st, void *ctx);
typedef void (*coord_int_cb)(int rc, int32_t n, void *ctx);
typedef void (*coord_whoami_cb)(int rc, const struct coord_client_info *ids,
                                int32_t n, void *ctx);

/*
 * Every asynchronous call returns 0 (the callback will run exactly once) or
 * an error (it will not): COORD_EBADARGUMENTS for an invalid path,
 * COORD_EINVAL for misuse, COORD_ENOMEM, or the final state's code.
 * `cb` may be NULL. `data` with len -1 is null data (distinct from empty).
 */

/* Create (opcode 1; containers use 19 and TTL flags 21). acl NULL = open.
 * ttl is used only with the *_WITH_TTL flags. */
int coord_create(struct coord *c, const char *path, const void *data,
                 int32_t len, const struct coord_acl_list *acl, int flags,
                 int64_t ttl, coord_create_cb cb, void *ctx);
/* The same with create2 (15): the callback gets the new node's Stat. */
int coord_create2(struct coord *c, const char *path, const void *data,
                  int32_t len, const struct coord_acl_list *acl, int flags,
                  int64_t ttl, coord_create_cb cb, void *ctx);
/* version -1 = any. */
int coord_delete(struct coord *c, const char *path, int32_t version,
                 coord_void_cb cb, void *ctx);
/* The watch is set if the node exists (rc 0) and also if it does not (rc
 * COORD_ENONODE: it fires on creation); on any other rc it is not set. */
int coord_exists(struct coord *c, const char *path, coord_watch_fn w,
                 void *wctx, coord_stat_cb cb, void *ctx);
/* The watch is set only on rc 0 (not on COORD_ENONODE: use exists). */
int coord_get(struct coord *c, const char *path, coord_watch_fn w, void *wctx,
              coord_data_cb cb, void *ctx);
int coord_set(struct coord *c, const char *path, const void *data, int32_t len,
              int32_t version, coord_stat_cb cb, void *ctx);
int coord_acl_get(struct coord *c, const char *path, coord_acl_cb cb,
                  void *ctx);
/* version is compared with aversion; -1 = any. */
int coord_acl_set(struct coord *c, const char *path, int32_t version,
                  const struct coord_acl_list *acl, coord_stat_cb cb,
                  void *ctx);
/* getChildren2: child names and the parent's Stat. The watch is set only
 * on rc 0. */
int coord_get_children(struct coord *c, const char *path, coord_watch_fn w,
                       void *wctx, coord_strings_cb cb, void *ctx);
int coord_sync(struct coord *c, const char *path, coord_string_cb cb,
               void *ctx);
/*
 * Persistent (COORD_ADDWATCH_PERSISTENT) or recursive watch on path: `w`
 * fires for every event until coord_remove_watches(COORD_WT_PERSISTENT[_
 * RECURSIVE] or COORD_WT_ANY), then once with
 * COORD_EV_PERSISTENT_WATCH_REMOVED (or COORD_EV_CANCELLED at the end).
 * Registered only when the call succeeds (rc 0); on any error `w` is never
 * called. Re-registered after every reconnect, ended like a one-shot watch
 * by COORD_EV_CANCELLED on COORD_LOST, COORD_AUTH_FAILED or coord_free.
 */
int coord_add_watch(struct coord *c, const char *path, int mode,
                    coord_watch_fn w, void *wctx, coord_void_cb cb, void *ctx);
/* Removes the server's watches of `type` (COORD_WT_*) on path; on success
 * (or COORD_ENOWATCHER) the matching local watches get their *_REMOVED
 * event. */
int coord_remove_watches(struct coord *c, const char *path, int type,
                         coord_void_cb cb, void *ctx);
/*
 * Local removal, as ZooKeeper's C client does with `local` set: removes
 * this handle's watches of `type` (COORD_WT_*) on path without asking the
 * server, so it also works while disconnected. With w NULL every such
 * watch goes, else only those registered with callback w and context wctx.
 * Each removed watch gets its *_REMOVED event before this returns (the
 * callback runs on the calling thread, with the handle's mutex held).
 * Returns 0, or COORD_ENOWATCHER if none matched, COORD_EBADARGUMENTS for
 * a bad path, COORD_EINVAL for a bad type. The server's watch stays until
 * it fires (the event then finds no local watcher and is dropped) or the
 * next reconnect (it is not set again).
 */
int coord_remove_watches_local(struct coord *c, const char *path, int type,
                               coord_watch_fn w, void *wctx);
/* 0 if the server holds such a watch, else COORD_ENOWATCHER. */
int coord_check_watches(struct coord *c, const char *path, int type,
                        coord_void_cb cb, void *ctx);
/* This session's ephemeral paths under prefix ("/" = all). */
int coord_get_ephemerals(struct coord *c, const char *prefix,
                         coord_strings_cb cb, void *ctx);
int coord_get_all_children_number(struct coord *c, const char *path,
                                  coord_int_cb cb, void *ctx);
int coord_whoami(struct coord *c, coord_whoami_cb cb, void *ctx);
/*
 * getConfig: the data and Stat of /zookeeper/config (the ensemble's
 * dynamic configuration, "server.N=...\nversion=..."), read outside any
 * chroot as ZooKeeper's getConfig does. `w` is a one-shot data watch on
 * that node, set on rc 0, reporting the path "/zookeeper/config"; it fires
 * when the configuration changes (reconfig).
 */
int coord_get_config(struct coord *c, coord_watch_fn w, void *wctx,
                     coord_data_cb cb, void *ctx);
/*
 * reconfig (opcode 16): changes the ensemble's membership, as ZooKeeper's
 * ZooKeeperAdmin.reconfigure does. Either incremental, with `joining`
 * (comma-separated server lines "server.N=host:port1:port2[:role];[host:]
 * port3") and/or `leaving` (comma-separated server ids), or
 * non-incremental with `new_members` (the whole new membership in the same
 * syntax, commas or newlines between lines); unused strings are NULL and
 * sent as null. from_config is the config version the
 * change applies to (-1 = any; the hex number after "version=" in the
 * config text). On rc 0 the callback gets the new config text
 * ("server.N=...\nversion=<hex>") and the Stat of /zookeeper/config, as
 * for coord_get_config; no chroot applies. Errors from the server:
 * COORD_ERECONFIGDISABLED (reconfigEnabled is off, ZooKeeper's default),
 * COORD_EUNIMPLEMENTED (a standalone server with reconfig enabled),
 * COORD_ENOAUTH (no WRITE on /zookeeper/config: usually only the super
 * user has it), COORD_EBADVERSION (from_config is not the current
 * version), COORD_EBADARGUMENTS (malformed or impossible membership),
 * COORD_ENEWCONFIGNOQUORUM (no quorum of the new config is connected and
 * synced with the leader), COORD_ERECONFIGINPROGRESS (another reconfig
 * is not finished yet).
 */
int coord_reconfig(struct coord *c, const char *joining, const char *leaving,
                   const char *new_members, int64_t from_config,
                   coord_data_cb cb, void *ctx);
/* Adds a credential, now and on every later connection. A refusal
 * (COORD_EAUTHFAILED) moves the handle to COORD_AUTH_FAILED. */
int coord_add_auth(struct coord *c, const char *scheme, const void *auth,
                   int32_t len, coord_void_cb cb, void *ctx);

/* --- multi and multiRead: a small builder --- */

/*
 * A transaction is owned by the caller and not thread-safe. Add write ops
 * for coord_multi (atomic) or read ops for coord_multi_read; results are
 * stored in it when the call completes and stay until coord_txn_free or the
 * next submission. It must outlive the call's callback.
 */
struct coord_txn;

struct coord_op_result {
    int err;            /* 0, the op's error, 0 rolled back, or -2 after */
    int type;           /* the op's opcode as the server reported it */
    char *path;         /* create: the actual path (chroot stripped) */
    struct coord_stat stat; /* create2, set, get */
    char *data;         /* get: NUL-terminated copy, or NULL for null data */
    int32_t data_len;
    struct coord_strings children; /* get_children */
};

int coord_txn_new(struct coord_txn **out);
void coord_txn_free(struct coord_txn *t);
/* Each returns 0, COORD_ENOMEM or COORD_EBADARGUMENTS (bad path). */
/* flags COORD_PERSISTENT .. COORD_CONTAINER (TTL flags: EINVAL). */
int coord_txn_create(struct coord_txn *t, const char *path, const void *data,
                     int32_t len, const struct coord_acl_list *acl, int flags);
/* createTTL (21) in the transaction: flags COORD_PERSISTENT_WITH_TTL or
 * COORD_PERSISTENT_SEQUENTIAL_WITH_TTL (else COORD_EINVAL); ttl in ms as
 * for coord_create, checked by the server (which must allow TTL nodes). */
int coord_txn_create_ttl(struct coord_txn *t, const char *path,
                         const void *data, int32_t len,
                         const struct coord_acl_list *acl, int flags,
                         int64_t ttl);
int coord_txn_delete(struct coord_txn *t, const char *path, int32_t version);
int coord_txn_set(struct coord_txn *t, const char *path, const void *data,
                  int32_t len, int32_t version);
int coord_txn_check(struct coord_txn *t, const char *path, int32_t version);
int coord_txn_get(struct coord_txn *t, const char *path);
int coord_txn_get_children(struct coord_txn *t, const char *path);
/* Number of ops, and the result of op i after completion (else NULL). */
size_t coord_txn_count(const struct coord_txn *t);
const struct coord_op_result *coord_txn_result(const struct coord_txn *t,
                                               size_t i);

/* rc: 0 if every op applied, else the first failing op's code. */
int coord_multi(struct coord *c, struct coord_txn *t, coord_void_cb cb,
                void *ctx);
/* Each read succeeds or fails alone; rc is 0 once the reply is in. */
int coord_multi_read(struct coord *c, struct coord_txn *t, coord_void_cb cb,
                     void *ctx);

/* --- blocking wrappers --- */

/*
 * Each waits for the operation's result and returns its code. In thread
 * mode they may be called from any thread except the library's own (from
 * a callback they return COORD_EINVAL). In event-loop mode they drive the
 * loop themselves (fd, timers, other callbacks) until done, so they must be
 * called from the thread that runs the loop, outside callbacks.
 * Out-pointers may be NULL; returned memory is one malloc'd block per
 * result, freed with free().
 */
int coord_create_sync(struct coord *c, const char *path, const void *data,
                      int32_t len, const struct coord_acl_list *acl,
                      int flags, int64_t ttl, char **path_out,
                      struct coord_stat *st);
int coord_delete_sync(struct coord *c, const char *path, int32_t version);
int coord_exists_sync(struct coord *c, const char *path, coord_watch_fn w,
                      void *wctx, struct coord_stat *st);
/* *data gets a NUL-terminated copy (NULL for null data, *len then -1). */
int coord_get_sync(struct coord *c, const char *path, coord_watch_fn w,
                   void *wctx, char **data, int32_t *len,
                   struct coord_stat *st);
int coord_get_config_sync(struct coord *c, coord_watch_fn w, void *wctx,
                          char **data, int32_t *len, struct coord_stat *st);
int coord_reconfig_sync(struct coord *c, const char *joining,
                        const char *leaving, const char *new_members,
                        int64_t from_config, char **data, int32_t *len,
                        struct coord_stat *st);
int coord_set_sync(struct coord *c, const char *path, const void *data,
                   int32_t len, int32_t version, struct coord_stat *st);
int coord_acl_get_sync(struct coord *c, const char *path,
                       struct coord_acl_list **acl, struct coord_stat *st);
int coord_acl_set_sync(struct coord *c, const char *path, int32_t version,
                       const struct coord_acl_list *acl,
                       struct coord_stat *st);
int coord_get_children_sync(struct coord *c, const char *path,
                            coord_watch_fn w, void *wctx,
                            struct coord_strings **names,
                            struct coord_stat *st);
int coord_sync_sync(struct coord *c, const char *path);
int coord_add_watch_sync(struct coord *c, const char *path, int mode,
                         coord_watch_fn w, void *wctx);
int coord_remove_watches_sync(struct coord *c, const char *path, int type);
int coord_check_watches_sync(struct coord *c, const char *path, int type);
int coord_get_ephemerals_sync(struct coord *c, const char *prefix,
                              struct coord_strings **paths);
int coord_get_all_children_number_sync(struct coord *c, const char *path,
                                       int32_t *n);
int coord_whoami_sync(struct coord *c, struct coord_client_info **ids,
                      int32_t *n);
int coord_add_auth_sync(struct coord *c, const char *scheme, const void *auth,
                        int32_t len);
int coord_multi_sync(struct coord *c, struct coord_txn *t);
int coord_multi_read_sync(struct coord *c, struct coord_txn *t);

#ifdef __cplusplus
}
#endif

#endif
