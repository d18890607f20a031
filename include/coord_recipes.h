/* coord recipes: locks, elections, barriers, queues ... on libcoord's public API. */
#ifndef COORD_RECIPES_H
#define COORD_RECIPES_H

#include <stdbool.h>
#include <stdint.h>

#include "coord.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Overview
 *
 * Every recipe works on a `struct coord` handle in thread mode
 * (coord_start_thread): the blocking calls below wait on watches, and
 * watches are delivered by the library's thread. Do not call them from a
 * libcoord callback. The handle must outlive every recipe object made on
 * it; free the recipe objects first, then the handle.
 *
 * Node layouts follow kazoo's recipes (lock, read-write lock, election,
 * semaphore, barrier, double barrier, queue, counter, party), so coord and
 * kazoo clients on the same paths cooperate.
 *
 * Connection states: while the handle is SUSPENDED the recipes keep their
 * state and retry once it is CONNECTED again (a sequential node created
 * just before a connection loss is found again by its unique prefix). When
 * the session is LOST (expired) every ephemeral node is gone: held locks
 * and leadership are reported lost and blocking calls fail with
 * COORD_ESESSIONEXPIRED.
 *
 * Timeouts are in milliseconds: -1 waits forever, 0 tries once. A wait
 * that times out returns COORD_EOPERATIONTIMEOUT; a try that would have
 * to wait returns COORD_EAGAIN; a cancelled wait returns COORD_ECLOSED.
 * Recipes are thread-safe unless said otherwise.
 */

/* Called (from libcoord's thread, or the recipe's own) when a held lock,
 * lease or leadership is lost without being released. Keep it short. */
typedef void (*coord_lost_fn)(void *ctx);

/* --- exclusive lock, and the two sides of a read-write lock --- */

/*
 * Layout (kazoo Lock, WriteLock, ReadLock): each contender creates an
 * ephemeral sequential child of `path` named `<32 hex>__lock__<seq>`
 * (readers: `__rlock__`) whose data is the identifier. Children are ordered
 * by their 10-digit sequence suffix. A writer or exclusive holder waits for
 * the nearest earlier `__lock__` or `__rlock__` node (exclusive: `__lock__`
 * only, as kazoo does), a reader for the nearest earlier `__lock__`; each
 * waiter watches only that one predecessor (no herd).
 *
 * A lock is reentrant for the thread holding it: each acquire adds one
 * hold, each release removes one. Another thread of the process acquiring
 * the same object waits for it; separate objects on one path contend as
 * separate processes would.
 *
 * The fencing token is the creation zxid of the held node: it strictly
 * increases from one holder to the next, so a resource that remembers the
 * largest token it has seen can refuse a stale holder's writes.
 */
struct coord_lock;

enum coord_lock_state {
    COORD_LOCK_RELEASED = 0, /* not held (or never acquired) */
    COORD_LOCK_HELD,         /* held, session connected */
    COORD_LOCK_SUSPENDED,    /* held, connection suspended: may be lost */
    COORD_LOCK_LOST,         /* was held; node deleted or session expired */
};

/* Exclusive lock on path (made with its parents if missing); `id` (may be
 * NULL: empty) is stored in the node. *out on success; COORD_ENOMEM,
 * COORD_EBADARGUMENTS for a path that is not absolute. Nothing is sent
 * until acquire. */
int coord_lock_new(struct coord *c, const char *path, const char *id,
                   struct coord_lock **out);
/* The read or write side of a read-write lock on path (kazoo layout). */
int coord_rwlock_new_read(struct coord *c, const char *path, const char *id,
                          struct coord_lock **out);
int coord_rwlock_new_write(struct coord *c, const char *path, const char *id,
                           struct coord_lock **out);
/* Releases every hold (deleting the node) and frees l. NULL does nothing.
 * No call on l may run concurrently or follow. */
void coord_lock_free(struct coord_lock *l);
/*
 * Acquires l, waiting up to timeout_ms (-1 forever, 0 try). 0 on success,
 * COORD_EAGAIN (try), COORD_EOPERATIONTIMEOUT, COORD_ECLOSED (cancelled),
 * COORD_ESESSIONEXPIRED, or another libcoord error; on failure no node is
 * left behind (best effort while disconnected).
 */
int coord_lock_acquire(struct coord_lock *l, int timeout_ms);
/* Drops one hold of the calling thread; the last deletes the node.
 * COORD_EINVAL if this thread holds none. After a loss it just forgets. */
int coord_lock_release(struct coord_lock *l);
/* Makes a pending acquire on l return COORD_ECLOSED. */
void coord_lock_cancel(struct coord_lock *l);
/* enum coord_lock_state. */
int coord_lock_state(struct coord_lock *l);
/* The fencing token (creation zxid of the held node); 0 if not held. */
int64_t coord_lock_token(struct coord_lock *l);
/* Sets fn to run once if the held lock is lost (NULL clears it). */
void coord_lock_on_lost(struct coord_lock *l, coord_lost_fn fn, void *ctx);
/* Adds to t a check that the held node still exists, so the transaction
 * (a guarded write) fails unless l is still held. COORD_EINVAL if not
 * held. */
int coord_lock_guard(struct coord_lock *l, struct coord_txn *t);
/* Identifiers of the contenders on path in lock order (the holder first),
 * as kazoo's Lock.contenders(); free with coord_recipes_strings_free. */
int coord_lock_contenders(struct coord *c, const char *path,
                          struct coord_strings **ids);

/* --- leader election and leader latch --- */

/*
 * Layout: kazoo's Election, which is its Lock on `path` (the leader is the
 * lock's holder; the identifier is the node's data). A coord election and a
 * kazoo Election on one path elect one leader between them.
 *
 * An election runs on its own thread once started: it contends, calls
 * on_gain(token) when this process becomes leader, and on_lose(reason) when
 * it stops being leader: reason 0 after coord_election_stop,
 * COORD_ESESSIONEXPIRED when the session ended (the thread then exits, as
 * the handle is final), COORD_ENONODE when the leader node was deleted (it
 * then contends again). A suspension does not end leadership; callers that
 * act on shared state should guard their writes (coord_election_lock and
 * coord_lock_guard) or fence them with the token. Both callbacks run on the
 * election's thread and may use blocking libcoord calls; they must not call
 * coord_election_stop or _free.
 */
struct coord_election;
typedef void (*coord_gain_fn)(struct coord_election *e, int64_t token,
                              void *ctx);
typedef void (*coord_lose_fn)(struct coord_election *e, int reason,
                              void *ctx);

/* *out on success; callbacks may be NULL. Nothing runs until start. */
int coord_election_new(struct coord *c, const char *path, const char *id,
                       coord_gain_fn on_gain, coord_lose_fn on_lose,
                       void *ctx, struct coord_election **out);
/* Starts contending on a new thread; COORD_EINVAL if already started. */
int coord_election_start(struct coord_election *e);
/* Withdraws (relinquishing leadership, with on_lose(0)) and joins the
 * thread. The election may be started again. */
void coord_election_stop(struct coord_election *e);
/* Stops, then frees e. NULL does nothing. */
void coord_election_free(struct coord_election *e);
bool coord_election_is_leader(struct coord_election *e);
/* The lock underneath, for coord_lock_guard/_token/_state while leader. */
struct coord_lock *coord_election_lock(struct coord_election *e);
/* The current leader's identifier on path (malloc'd), or COORD_ENONODE
 * when nobody contends. */
int coord_election_leader(struct coord *c, const char *path, char **id);

/*
 * A leader latch: an election without callbacks that one waits on.
 * Once started it contends until closed; await returns 0 as soon as this
 * process leads (COORD_EOPERATIONTIMEOUT, COORD_ESESSIONEXPIRED ...).
 */
struct coord_latch;
int coord_latch_new(struct coord *c, const char *path, const char *id,
                    struct coord_latch **out);
int coord_latch_start(struct coord_latch *l);
int coord_latch_await(struct coord_latch *l, int timeout_ms);
bool coord_latch_has_leadership(struct coord_latch *l);
/* Stops contending (leadership, if held, passes on) and frees l. */
void coord_latch_free(struct coord_latch *l);

/* --- counter (kazoo Counter: the value in ASCII decimal, "" = 0) --- */

/* The value and the node's version; the node is made if missing. */
int coord_counter_get(struct coord *c, const char *path, int64_t *value,
                      int32_t *version);
/* Adds delta by compare-and-set on the version, retrying on conflict;
 * *post (may be NULL) gets the new value. */
int coord_counter_add(struct coord *c, const char *path, int64_t delta,
                      int64_t *post);
/* Sets the value to `value` only if it is `expect`: 0, or
 * COORD_EBADVERSION if it was not. */
int coord_counter_cas(struct coord *c, const char *path, int64_t expect,
                      int64_t value);

/* --- barrier (kazoo Barrier: waiters block while `path` exists) --- */

int coord_barrier_create(struct coord *c, const char *path);
int coord_barrier_remove(struct coord *c, const char *path);
/* Waits until path does not exist. */
int coord_barrier_wait(struct coord *c, const char *path, int timeout_ms);

/*
 * --- double barrier (kazoo DoubleBarrier) ---
 * Each participant is an ephemeral child `<32 hex>` of path (data: id);
 * the one that sees `count` participants creates `path/ready`, which
 * releases enter(). leave() returns once every participant has left.
 */
struct coord_dbarrier;
int coord_dbarrier_new(struct coord *c, const char *path, int count,
                       const char *id, struct coord_dbarrier **out);
int coord_dbarrier_enter(struct coord_dbarrier *b, int timeout_ms);
int coord_dbarrier_leave(struct coord_dbarrier *b, int timeout_ms);
/* Deletes our node if still there, and frees b. */
void coord_dbarrier_free(struct coord_dbarrier *b);

/*
 * --- FIFO and priority queue (kazoo Queue) ---
 * Items are persistent sequential children `entry-PPP-<seq>` of path,
 * PPP the priority 000..999 (lower first; COORD_QUEUE_FIFO for plain
 * FIFO), FIFO within a priority. A take reads the first item and deletes
 * it; only the consumer whose delete succeeds gets it, so concurrent
 * consumers never share an item. A put or take cut by a connection loss
 * is reported (COORD_ECONNECTIONLOSS), not retried, as its outcome is
 * unknown: retrying could duplicate an item or drop one.
 */
#define COORD_QUEUE_FIFO 100
int coord_queue_put(struct coord *c, const char *path, const void *data,
                    int32_t len, int priority);
/* *data: malloc'd, NUL-terminated copy (NULL for null data), free()d by
 * the caller. */
int coord_queue_take(struct coord *c, const char *path, int timeout_ms,
                     char **data, int32_t *len);
int coord_queue_size(struct coord *c, const char *path, int32_t *n);

/*
 * --- semaphore (kazoo Semaphore) ---
 * `path` holds max_leases in its data; a holder is an ephemeral child
 * `<32 hex>` (data: id). Contenders serialise on the lock `path-__lock__`
 * (so only one waits on the lease list at a time) and take a lease while
 * fewer than max_leases exist. An existing path with another max_leases
 * makes acquire fail with COORD_EINVAL, as kazoo does.
 */
struct coord_semaphore;
int coord_semaphore_new(struct coord *c, const char *path, const char *id,
                        int max_leases, struct coord_semaphore **out);
int coord_semaphore_acquire(struct coord_semaphore *s, int timeout_ms);
int coord_semaphore_release(struct coord_semaphore *s);
/* Identifiers of the current lease holders (unordered). */
int coord_semaphore_holders(struct coord *c, const char *path,
                            struct coord_strings **ids);
void coord_semaphore_free(struct coord_semaphore *s);

/* --- group membership (kazoo Party: ephemeral `<32 hex>__party__`) --- */

struct coord_member;
/* Joins the group at path with identifier id (the node's data). */
int coord_group_join(struct coord *c, const char *path, const char *id,
                     struct coord_member **out);
/* Leaves (deletes the node) and frees m. NULL does nothing. */
int coord_group_leave(struct coord_member *m);
/* Identifiers of the current members (unordered). */
int coord_group_members(struct coord *c, const char *path,
                        struct coord_strings **ids);

/*
 * --- service discovery ---
 * An instance is an ephemeral node base/service/instance_id holding a
 * JSON payload (Curator's layout; the payload is not parsed). It goes
 * away with its session. To watch a service, keep a tree cache on
 * base/service: it calls back on every registration, change or exit.
 */
struct coord_service;
int coord_service_register(struct coord *c, const char *base,
                           const char *service, const char *instance_id,
                           const char *json, struct coord_service **out);
int coord_service_update(struct coord_service *s, const char *json);
/* Deletes the instance and frees s. NULL does nothing. */
int coord_service_unregister(struct coord_service *s);
/* Instance ids of a service (sorted). */
int coord_service_instances(struct coord *c, const char *base,
                            const char *service, struct coord_strings **ids);
/* One instance's payload, malloc'd. */
int coord_service_payload(struct coord *c, const char *base,
                          const char *service, const char *instance_id,
                          char **json);

/*
 * --- node cache and tree cache ---
 * A cache keeps a local copy of a node (or of a subtree) current with
 * watches, on a thread of its own, and calls `fn` (on that thread) after
 * every change it applies. Reads are served from the copy. While the
 * handle is suspended the copy may be stale; after the reconnect it is
 * reloaded. Free the caches before the handle.
 */
typedef void (*coord_cache_fn)(const char *path, void *ctx);

struct coord_node_cache;
/* Loads path (it may not exist yet) and starts watching it. */
int coord_node_cache_new(struct coord *c, const char *path,
                         coord_cache_fn fn, void *ctx,
                         struct coord_node_cache **out);
/* The cached data (malloc'd copy, NUL-terminated; NULL for null data) and
 * stat; COORD_ENONODE if the node does not exist. */
int coord_node_cache_get(struct coord_node_cache *nc, char **data,
                         int32_t *len, struct coord_stat *st);
void coord_node_cache_free(struct coord_node_cache *nc);

struct coord_tree_cache;
/* Loads the subtree at path and keeps it current with a persistent
 * recursive watch. */
int coord_tree_cache_new(struct coord *c, const char *path,
                         coord_cache_fn fn, void *ctx,
                         struct coord_tree_cache **out);
/* Data of a cached node under the root, as coord_node_cache_get. */
int coord_tree_cache_get(struct coord_tree_cache *tc, const char *path,
                         char **data, int32_t *len);
/* Sorted child names of a cached node. */
int coord_tree_cache_children(struct coord_tree_cache *tc, const char *path,
                              struct coord_strings **names);
void coord_tree_cache_free(struct coord_tree_cache *tc);

/* Frees a list returned by a recipe. NULL does nothing. */
void coord_recipes_strings_free(struct coord_strings *s);

#ifdef __cplusplus
}
#endif

#endif
