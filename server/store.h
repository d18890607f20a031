/* The store: coordd's durable transaction log and snapshots in dataDir. */
#ifndef COORD_SERVER_STORE_H
#define COORD_SERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * On disk (ARCHITECTURE.md): log.<zxid hex> segments whose records are
 * { u32 len, u32 crc32c(zxid|payload), i64 zxid, payload }, preallocated and
 * rolled over after each snapshot; snapshot.<zxid hex> files written to a
 * temporary name, fsync'd, renamed, with a header and a trailing checksum.
 *
 * Threads: the event loop calls every function here. store_append() only
 * copies the record into the open batch; a log-writer thread writes batches
 * and fdatasyncs them (group commit) and then makes store_fd() readable. A
 * record is durable once store_durable() reports a zxid >= its own.
 */
struct store;

struct store_config {
    const char *data_dir;   /* snapshots (and myid, epochs later) */
    const char *log_dir;    /* log segments; NULL = data_dir */
    bool fsync;             /* false only for tests that do not need it */
    size_t prealloc_bytes;  /* segment preallocation step; 0 = 64 MiB */
    int snap_retain_count;  /* autopurge.snapRetainCount, >= 3 */
    bool purge;             /* delete snapshots/logs beyond the retained ones */
};

/* Reads bytes for a snapshot load: fills exactly n bytes or returns an error. */
typedef int (*store_in_fn)(void *ctx, void *p, size_t n);
/* Writes bytes of a snapshot being saved; 0 or an error that aborts it. */
typedef int (*store_out_fn)(void *ctx, const void *p, size_t n);

/* Opens (creating the directories if needed). 0 or a COORD_E* code;
 * *out is NULL on failure. Does not read the log yet. */
int store_open(const struct store_config *cfg, struct store **out);

/* Stops the writer thread after it has synced everything appended; frees. */
void store_close(struct store *s);

/*
 * Recovery, once, before any append. Loads the newest snapshot whose checksum
 * verifies, through load(ctx, in, in_ctx, snap_zxid) (not called when there
 * is none), then calls replay(ctx, zxid, rec, len) for each log record with a
 * zxid above the snapshot's, in order. A torn or partly written record at the
 * very end of the newest segment is truncated away (logged at warn); a bad
 * record followed by valid data is corruption: COORD_ECORRUPT with a log line
 * naming the file and offset, and nothing truncated. A non-zero return from
 * load or replay stops recovery with that code. *last_zxid is the highest
 * zxid recovered (0 on an empty store).
 */
int store_recover(struct store *s,
                  int (*load)(void *ctx, store_in_fn in, void *in_ctx,
                              int64_t snap_zxid),
                  int (*replay)(void *ctx, int64_t zxid, const void *rec,
                                size_t len),
                  void *ctx, int64_t *last_zxid);

/* Queues a record (copied) for the writer thread. zxids must increase.
 * 0, COORD_ENOMEM, or COORD_EIO once the writer has failed (the server must
 * then stop: it can no longer make anything durable). */
int store_append(struct store *s, int64_t zxid, const void *rec, size_t len);

/* An fd (eventfd) that becomes readable when the durable zxid advances or
 * the writer fails. */
int store_fd(const struct store *s);

/* Clears store_fd's readiness and returns the highest durable zxid, or
 * COORD_EIO (negative) if the writer failed. */
int64_t store_durable(struct store *s);

/*
 * Starts a snapshot of the state at `zxid` (everything up to it appended).
 * Forks: the child calls save(ctx, out, out_ctx) over the copy-on-write image,
 * writes snapshot.<zxid>, fsyncs, renames and exits; the parent returns at
 * once after rolling the log to a new segment. 0, COORD_EAGAIN if one is
 * still running, or another code. store_poll() finishes it.
 */
int store_snapshot(struct store *s, int64_t zxid,
                   int (*save)(void *ctx, store_out_fn out, void *out_ctx),
                   void *ctx);

/* Reaps a finished snapshot child (non-blocking), logs its outcome and purges
 * old files. Call now and then (the loop does, once a second). */
void store_poll(struct store *s);

/*
 * Ensemble (server/ensemble.c). Each waits until everything appended is
 * durable first, then works synchronously on the loop thread; rare (a sync
 * with a new leader). On failure the store is failed (COORD_EIO after).
 *
 * store_truncate: removes every log record above zxid; later appends may
 *   reuse zxids above it.
 * store_install_snapshot: makes the image save() writes the snapshot at zxid
 *   (a state received from the leader): the log loses what is above zxid,
 *   the snapshot is written and synced, and a log that then ends below zxid
 *   is dropped, so appends continue right after the image.
 * store_read_epoch / store_write_epoch: a small decimal file in dataDir
 *   (acceptedEpoch, currentEpoch), replaced atomically and synced; reading
 *   a missing one gives 0.
 */
int store_truncate(struct store *s, int64_t zxid);
int store_install_snapshot(struct store *s, int64_t zxid,
                           int (*save)(void *ctx, store_out_fn out,
                                       void *out_ctx),
                           void *ctx);
int store_read_epoch(struct store *s, const char *name, uint32_t *epoch);
int store_write_epoch(struct store *s, const char *name, uint32_t epoch);

/* Any small file in dataDir, replaced atomically and synced like the
 * epoch files (an ensemble's dynamic configuration). store_read_file
 * returns a malloc'd copy in *data (NUL-terminated, *len without it), or
 * COORD_ENONODE when there is no such file, COORD_EIO. */
int store_write_file(struct store *s, const char *name, const void *data,
                     size_t len);
int store_read_file(struct store *s, const char *name, char **data,
                    size_t *len);
/* Removes such a file (0 also when there was none), then syncs dataDir. */
int store_remove_file(struct store *s, const char *name);
/* The zxid of the last record appended (0 if none). */
int64_t store_last_appended(const struct store *s);

/* Sizes for the dirs/conf four-letter words. */
uint64_t store_data_bytes(const struct store *s);
uint64_t store_log_bytes(const struct store *s);
/* zxid of the newest complete snapshot, 0 if none. */
int64_t store_last_snapshot(const struct store *s);

/* fdatasync calls the log writer has made so far (tests, metrics). */
uint64_t store_sync_count(const struct store *s);

#endif
