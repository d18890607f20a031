/* coordd in an ensemble: the driver of the Zab engine (not installed). */
#ifndef COORD_SERVER_ENSEMBLE_H
#define COORD_SERVER_ENSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

struct server;
struct req;
struct ensemble;

/*
 * server/ensemble.c drives zab/ (the pure engine) with real sockets, timers
 * and the store: one TCP link per pair of servers on the peer ports (the
 * lower id dials), ticks from the loop, persist requests carried out in
 * order by the store (appends on the writer thread, truncation, epochs and
 * installed snapshots synchronously), and committed txns applied to the
 * tree through server_deliver(). Around the engine it carries what
 * ZooKeeper's learners and leader exchange besides Zab: writes forwarded
 * to the leader (answered with their zxid), sync, and session activity.
 *
 * Peer frames: { u32 length of what follows, u8 type, payload }, integers
 * big-endian. HELLO { "CZAB", u32 version, u64 sid } opens every link.
 */

/* From server_init, after the store is opened and before recovery. Reads
 * myid-derived membership from cfg, the epochs from dataDir; 0 or a code. */
int ensemble_open(struct server *srv, struct ensemble **out);
/* Recovery has loaded the snapshot (if any) into the tree; this is a log
 * record above it, to be delivered once the ensemble commits it. */
int ensemble_recovered_record(struct ensemble *e, int64_t zxid,
                              const void *rec, size_t len);
/* Starts the engine and the peer listener; 0 or a code. */
int ensemble_start(struct ensemble *e);
void ensemble_close(struct ensemble *e);

/* Milliseconds until the next tick is due (for epoll_wait). */
int ensemble_timeout_ms(struct ensemble *e, int64_t now_ms);
void ensemble_tick(struct ensemble *e, int64_t now_ms);
/* Writes what the loop turn queued for the peers. */
void ensemble_flush(struct ensemble *e);
/* The store made more records durable (its eventfd fired). */
void ensemble_store_durable(struct ensemble *e, int64_t durable);

/* True while this server is in Zab's broadcast phase and may serve. */
bool ensemble_serving(const struct ensemble *e);
bool ensemble_leading(const struct ensemble *e);

/*
 * A write (an encoded tree_txn whose zxid field is 0, owned by req->data)
 * to replicate; req then completes through server_deliver once committed.
 * COORD_ECONNECTIONLOSS when not serving (req untouched, caller owns it).
 */
int ensemble_submit(struct ensemble *e, struct req *req);
/* A sync: req completes once every write committed before it is applied
 * here. Same return values. */
int ensemble_sync(struct ensemble *e, struct req *req);

/* Role and ensemble state for srvr/mntr/conf, as "key\tvalue\n" lines
 * (mntr) or text (srvr). */
const char *ensemble_mode(const struct ensemble *e); /* leader, follower ... */
void ensemble_mntr(const struct ensemble *e, struct buf *out);
int64_t ensemble_leader_id(const struct ensemble *e);
/* The Zab phase, in AdminServer's zabstate words (election ... broadcast). */
const char *ensemble_phase(const struct ensemble *e);
int64_t ensemble_epoch(const struct ensemble *e);

#endif
