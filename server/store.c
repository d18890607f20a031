/* The store: group-committed log segments, forked snapshots and recovery. */
#include "server/store.h"

#include <assert.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/err.h"
#include "server/crc32c.h"
#include "server/log.h"

/*
 * Log segment: a 16-byte header { "CLOG", u32 version, i64 zxid of the first
 * record (also in the name) }, then records { u32 len, u32 crc32c, i64 zxid,
 * payload }, where len counts zxid and payload (so it is never 0) and the crc
 * covers the same bytes. All integers are little-endian. A zero len field (the
 * preallocated zeros) or the end of the file ends the written data.
 */
#define SEG_MAGIC "CLOG"
#define SEG_VERSION 1
#define SEG_HDR 16
#define REC_HDR 16
#define REC_MAX (1u << 30) /* payload bytes */

/*
 * Snapshot: { "CSNP", u32 version, i64 zxid } + payload + trailer { u64
 * payload length, u32 crc32c of every byte before it, "CEND" }.
 */
#define SNAP_MAGIC "CSNP"
#define SNAP_END "CEND"
#define SNAP_VERSION 1
#define SNAP_HDR 16
#define SNAP_TRAILER 16
#define SNAP_BUF (256 * 1024)

#define DEFAULT_PREALLOC (64u << 20)
#define MIN_RETAIN 3
#define NAME_MAX_LEN 48

/* Records appended by the loop and not yet handed to the writer, or being
 * written. roll[] are offsets where a new segment starts (a snapshot). */
struct batch {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int64_t last_zxid;
    size_t *roll;
    size_t nroll;
    size_t roll_cap;
};

struct store {
    int data_dirfd;
    int log_dirfd;
    bool fsync;
    bool purge;
    uint64_t prealloc;
    int retain;
    int efd;

    /* Shared between the loop and the writer, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct batch batches[2];
    struct batch *open; /* the one store_append fills */
    bool writer_idle;
    bool stop;
    bool failed;
    int64_t durable;
    atomic_uint_fast64_t syncs;
    pthread_t writer;

    /* The writer's open segment (set up by recovery before any append). */
    int seg_fd;
    uint64_t seg_off;
    uint64_t seg_alloc;
    char seg_name[NAME_MAX_LEN];

    /* Loop only. */
    bool recovered;
    int64_t last_zxid;
    int64_t last_snap;
    pid_t child;
    int64_t child_zxid;
};

static void put32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static int64_t epoch_of(int64_t zxid)
{
    return (int64_t)((uint64_t)zxid >> 32);
}

static void name_of(char *out, const char *prefix, int64_t zxid)
{
    snprintf(out, NAME_MAX_LEN, "%s%" PRIx64, prefix, (uint64_t)zxid);
}

/* Parses "<prefix><hex>" exactly; false for anything else (.tmp, junk). */
static bool parse_name(const char *name, const char *prefix, int64_t *zxid)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0)
        return false;
    const char *h = name + pl;
    size_t n = strlen(h);
    if (n == 0 || n > 16)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int c = h[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = v << 4 | (uint64_t)d;
    }
    if (v > INT64_MAX)
        return false;
    *zxid = (int64_t)v;
    return true;
}

static int cmp_zxid(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The zxids of the files named <prefix><hex> in dirfd, ascending. */
static int list_files(int dirfd, const char *prefix, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int fd = dup(dirfd);
    if (fd < 0)
        return COORD_EIO;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return COORD_EIO;
    }
    rewinddir(d);
    int64_t *v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        int64_t z;
        if (!parse_name(e->d_name, prefix, &z))
            continue;
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            int64_t *nv = realloc(v, ncap * sizeof *nv);
            if (nv == NULL) {
                rc = COORD_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        v[len++] = z;
    }
    closedir(d);
    if (rc != 0) {
        free(v);
        return rc;
    }
    if (len > 0)
        qsort(v, len, sizeof *v, cmp_zxid);
    *out = v;
    *n = len;
    return 0;
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = off >= 0 ? pwrite(fd, b, n, off) : write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
        if (off >= 0)
            off += w;
    }
    return 0;
}

static int mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    return 0;
}

static int open_dir(const char *path)
{
    if (mkdirs(path) != 0) {
        log_error("store: cannot create directory path=%s error=\"%s\"", path,
                  strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        log_error("store: cannot open directory path=%s error=\"%s\"", path,
                  strerror(errno));
    return fd;
}

/* ---- the log writer thread ---- */

static int sync_dir(struct store *s, int dirfd)
{
    if (!s->fsync)
        return 0;
    return fsync(dirfd);
}

/* Grows the open segment's allocation to hold `need` bytes, a step at a time,
 * so that most fdatasyncs write only data, not the file size. */
static int seg_reserve(struct store *s, uint64_t need)
{
    if (need <= s->seg_alloc)
        return 0;
    uint64_t to = (need + s->prealloc - 1) / s->prealloc * s->prealloc;
    int r;
    do
        r = fallocate(s->seg_fd, 0, (off_t)s->seg_alloc,
                      (off_t)(to - s->seg_alloc));
    while (r != 0 && errno == EINTR);
    if (r != 0 && (errno == EOPNOTSUPP || errno == ENOSYS))
        r = ftruncate(s->seg_fd, (off_t)to);
    if (r != 0)
        return -1;
    s->seg_alloc = to;
    return 0;
}

static int seg_create(struct store *s, int64_t zxid)
{
    name_of(s->seg_name, "log.", zxid);
    int fd = openat(s->log_dirfd, s->seg_name,
                    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    s->seg_fd = fd;
    s->seg_off = SEG_HDR;
    s->seg_alloc = 0;
    uint8_t h[SEG_HDR];
    memcpy(h, SEG_MAGIC, 4);
    put32(h + 4, SEG_VERSION);
    put64(h + 8, (uint64_t)zxid);
    /* The header is made durable by the fdatasync that ends this batch; the
     * directory entry needs its own fsync. */
    if (seg_reserve(s, SEG_HDR) != 0 || write_all(fd, h, SEG_HDR, 0) != 0 ||
        sync_dir(s, s->log_dirfd) != 0)
        return -1;
    return 0;
}

static int seg_sync(struct store *s)
{
    if (!s->fsync || s->seg_fd < 0)
        return 0;
    int r;
    do
        r = fdatasync(s->seg_fd);
    while (r != 0 && errno == EINTR);
    atomic_fetch_add(&s->syncs, 1);
    return r;
}

static int seg_write(struct store *s, const uint8_t *p, size_t n)
{
    if (s->seg_fd < 0 && seg_create(s, (int64_t)get64(p + 8)) != 0)
        return -1;
    if (seg_reserve(s, s->seg_off + n) != 0 ||
        write_all(s->seg_fd, p, n, (off_t)s->seg_off) != 0)
        return -1;
    s->seg_off += n;
    return 0;
}

/* Writes a batch with one pwrite per segment it touches and syncs it. */
static int write_batch(struct store *s, const struct batch *b)
{
    size_t start = 0;
    bool dirty = false;
    for (size_t i = 0; i <= b->nroll; i++) {
        size_t end = i < b->nroll ? b->roll[i] : b->len;
        if (end > start) {
            if (seg_write(s, b->buf + start, end - start) != 0)
                return -1;
            dirty = true;
        }
        start = end;
        if (i < b->nroll && s->seg_fd >= 0) {
            /* The old segment must be complete on disk before the next one
             * exists: recovery treats damage before the newest as corrupt. */
            if (dirty && seg_sync(s) != 0)
                return -1;
            dirty = false;
            close(s->seg_fd);
            s->seg_fd = -1;
        }
    }
    return dirty ? seg_sync(s) : 0;
}

static void notify(struct store *s)
{
    uint64_t one = 1;
    ssize_t w = write(s->efd, &one, sizeof one);
    (void)w; /* EAGAIN: the counter is already non-zero, still readable */
}

static void *writer_main(void *arg)
{
    struct store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->open->len == 0 && !s->stop) {
            s->writer_idle = true;
            pthread_cond_wait(&s->cond, &s->mu);
        }
        s->writer_idle = false;
        if (s->open->len == 0)
            break; /* stopping, and everything is written */
        struct batch *b = s->open;
        s->open = b == &s->batches[0] ? &s->batches[1] : &s->batches[0];
        bool failed = s->failed;
        pthread_mutex_unlock(&s->mu);

        int rc = failed ? -1 : write_batch(s, b);
        if (rc != 0 && !failed)
            log_error("store: log write failed file=%s offset=%" PRIu64
                      " error=\"%s\"",
                      s->seg_name, s->seg_off, strerror(errno));
        int64_t z = b->last_zxid;
        b->len = 0;
        b->nroll = 0;

        pthread_mutex_lock(&s->mu);
        if (rc == 0)
            s->durable = z;
        else
            s->failed = true;
        notify(s);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- open, close, append ---- */

int store_open(const struct store_config *cfg, struct store **out)
{
    *out = NULL;
    struct store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return COORD_ENOMEM;
    s->fsync = cfg->fsync;
    s->purge = cfg->purge;
    s->prealloc = cfg->prealloc_bytes ? cfg->prealloc_bytes : DEFAULT_PREALLOC;
    s->retain = cfg->snap_retain_count < MIN_RETAIN ? MIN_RETAIN
                                                    : cfg->snap_retain_count;
    s->seg_fd = -1;
    s->child = -1;
    s->open = &s->batches[0];
    atomic_init(&s->syncs, 0);
    crc32c_update(0, NULL, 0); /* tables ready before any fork */

    int rc = COORD_EIO;
    s->data_dirfd = open_dir(cfg->data_dir);
    if (s->data_dirfd < 0)
        goto err_free;
    s->log_dirfd = open_dir(cfg->log_dir ? cfg->log_dir : cfg->data_dir);
    if (s->log_dirfd < 0)
        goto err_close_data;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0)
        goto err_close_log;
    for (int i = 0; i < 2; i++) {
        s->batches[i].cap = 64 * 1024;
        s->batches[i].buf = malloc(s->batches[i].cap);
        if (s->batches[i].buf == NULL) {
            rc = COORD_ENOMEM;
            goto err_free_batches;
        }
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto err_free_batches;
    if (pthread_cond_init(&s->cond, NULL) != 0)
        goto err_destroy_mutex;
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
        goto err_destroy_cond;
    *out = s;
    return 0;

err_destroy_cond:
    pthread_cond_destroy(&s->cond);
err_destroy_mutex:
    pthread_mutex_destroy(&s->mu);
err_free_batches:
    free(s->batches[0].buf);
    free(s->batches[1].buf);
    close(s->efd);
err_close_log:
    close(s->log_dirfd);
err_close_data:
    close(s->data_dirfd);
err_free:
    free(s);
    return rc;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    if (s->child > 0) {
        int st;
        while (waitpid(s->child, &st, 0) < 0 && errno == EINTR)
            ;
        s->child = -1;
    }
    if (s->seg_fd >= 0)
        close(s->seg_fd);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    for (int i = 0; i < 2; i++) {
        free(s->batches[i].buf);
        free(s->batches[i].roll);
    }
    close(s->efd);
    close(s->log_dirfd);
    close(s->data_dirfd);
    free(s);
}

int store_append(struct store *s, int64_t zxid, const void *rec, size_t len)
{
    assert(s->recovered);
    assert(zxid > s->last_zxid);
    if (len > REC_MAX)
        return COORD_ETOOBIG;
    uint8_t h[REC_HDR];
    put64(h + 8, (uint64_t)zxid);
    uint32_t crc = crc32c_update(crc32c_update(0, h + 8, 8), rec, len);
    put32(h, (uint32_t)len + 8);
    put32(h + 4, crc);

    pthread_mutex_lock(&s->mu);
    if (s->failed) {
        pthread_mutex_unlock(&s->mu);
        return COORD_EIO;
    }
    struct batch *b = s->open;
    size_t need = b->len + REC_HDR + len;
    if (need > b->cap) {
        size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
        uint8_t *nb = realloc(b->buf, cap);
        if (nb == NULL) {
            pthread_mutex_unlock(&s->mu);
            return COORD_ENOMEM;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, h, REC_HDR);
    if (len > 0)
        memcpy(b->buf + b->len + REC_HDR, rec, len);
    b->len = need;
    b->last_zxid = zxid;
    if (s->writer_idle) {
        s->writer_idle = false;
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->mu);
    s->last_zxid = zxid;
    return 0;
}

int store_fd(const struct store *s)
{
    return s->efd;
}

int64_t store_durable(struct store *s)
{
    uint64_t v;
    ssize_t r = read(s->efd, &v, sizeof v);
    (void)r; /* EAGAIN: nothing new, the answer is the same */
    pthread_mutex_lock(&s->mu);
    int64_t d = s->failed ? COORD_EIO : s->durable;
    pthread_mutex_unlock(&s->mu);
    return d;
}

uint64_t store_sync_count(const struct store *s)
{
    return atomic_load(&((struct store *)s)->syncs);
}

/* ---- snapshots ---- */

/* Write-back is started every SNAP_SYNC_CHUNK bytes (see snap_flush). */
#define SNAP_SYNC_CHUNK ((off_t)8 << 20)

struct snap_out {
    int fd;
    uint8_t *buf;
    size_t len;
    uint32_t crc;
    uint64_t bytes;
    int err;
    bool pace;         /* push data to disk as it goes (fsync on) */
    off_t written;     /* file offset reached */
    off_t synced;      /* start of the chunk whose write-back is running */
};

static int snap_flush(struct snap_out *o)
{
    if (o->len > 0 && write_all(o->fd, o->buf, o->len, -1) != 0)
        o->err = COORD_EIO;
    o->written += (off_t)o->len;
    o->len = 0;
    /*
     * A snapshot written flat out leaves hundreds of MB dirty for the final
     * fsync, and on ext4 the log's fdatasync can then wait behind that
     * flush: a 1.9 s p999 on creates while a 1M-node snapshot was written.
     * Instead each chunk's write-back is started as soon as it is complete,
     * and the previous chunk is waited for, so at most two chunks are ever
     * dirty and the log's syncs stay short.
     */
    if (o->err == 0 && o->pace && o->written - o->synced >= 2 * SNAP_SYNC_CHUNK) {
        off_t prev = o->synced;
        sync_file_range(o->fd, prev, SNAP_SYNC_CHUNK,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER);
        sync_file_range(o->fd, prev + SNAP_SYNC_CHUNK, SNAP_SYNC_CHUNK,
                        SYNC_FILE_RANGE_WRITE);
        o->synced = prev + SNAP_SYNC_CHUNK;
    }
    return o->err;
}

static int snap_put(void *ctx, const void *p, size_t n)
{
    struct snap_out *o = ctx;
    const uint8_t *b = p;
    if (o->err != 0)
        return o->err;
    o->crc = crc32c_update(o->crc, b, n);
    o->bytes += n;
    while (n > 0) {
        size_t k = SNAP_BUF - o->len < n ? SNAP_BUF - o->len : n;
        memcpy(o->buf + o->len, b, k);
        o->len += k;
        b += k;
        n -= k;
        if (o->len == SNAP_BUF && snap_flush(o) != 0)
            return o->err;
    }
    return 0;
}

/* In the child: 0, 1 if save failed, 2 on an I/O error (its exit status). */
static int snap_write(struct store *s, int64_t zxid, uint8_t *buf,
                      int (*save)(void *ctx, store_out_fn out, void *out_ctx),
                      void *ctx, bool child)
{
    char name[NAME_MAX_LEN], tmp[NAME_MAX_LEN + 4];
    name_of(name, "snapshot.", zxid);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    struct snap_out o = {.buf = buf, .pace = s->fsync};
    /* Serialising a large tree takes CPU the event loop also needs. */
    if (child && nice(10) < 0) {
        /* not fatal: the snapshot is then just written at full priority */
    }
    o.fd = openat(s->data_dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644);
    if (o.fd < 0)
        return 2;
    uint8_t h[SNAP_HDR];
    memcpy(h, SNAP_MAGIC, 4);
    put32(h + 4, SNAP_VERSION);
    put64(h + 8, (uint64_t)zxid);
    snap_put(&o, h, sizeof h);
    int rc = save(ctx, snap_put, &o);
    if (rc == 0 && o.err == 0) {
        uint8_t t[SNAP_TRAILER];
        put64(t, o.bytes - SNAP_HDR);
        snap_put(&o, t, 8); /* the length is inside the checksum */
        put32(t + 8, o.crc);
        memcpy(t + 12, SNAP_END, 4);
        if (snap_flush(&o) == 0 && write_all(o.fd, t + 8, 8, -1) != 0)
            o.err = COORD_EIO;
        if (o.err == 0 && s->fsync && fsync(o.fd) != 0)
            o.err = COORD_EIO;
    }
    if (close(o.fd) != 0 && o.err == 0)
        o.err = COORD_EIO;
    if (rc != 0 || o.err != 0) {
        unlinkat(s->data_dirfd, tmp, 0);
        return o.err != 0 ? 2 : 1;
    }
    if (renameat(s->data_dirfd, tmp, s->data_dirfd, name) != 0 ||
        (s->fsync && fsync(s->data_dirfd) != 0))
        return 2;
    return 0;
}

static void purge(struct store *s);

int store_snapshot(struct store *s, int64_t zxid,
                   int (*save)(void *ctx, store_out_fn out, void *out_ctx),
                   void *ctx)
{
    assert(s->recovered);
    if (s->child > 0)
        return COORD_EAGAIN;
    uint8_t *buf = malloc(SNAP_BUF);
    if (buf == NULL)
        return COORD_ENOMEM;

    /* Roll first: records after this point go to a segment of their own, so
     * purging can drop whole segments that this snapshot covers. */
    pthread_mutex_lock(&s->mu);
    int rc = s->failed ? COORD_EIO : 0;
    struct batch *b = s->open;
    if (rc == 0 && (b->nroll == 0 || b->roll[b->nroll - 1] != b->len)) {
        /* Several rolls pile up only while the writer is stalled. If the
         * array cannot grow, skipping the roll is harmless: the segment just
         * spans two snapshots, which purge allows for. */
        if (b->nroll == b->roll_cap) {
            size_t cap = b->roll_cap ? b->roll_cap * 2 : 4;
            size_t *r = realloc(b->roll, cap * sizeof *r);
            if (r != NULL) {
                b->roll = r;
                b->roll_cap = cap;
            }
        }
        if (b->nroll < b->roll_cap)
            b->roll[b->nroll++] = b->len;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != 0) {
        free(buf);
        return rc;
    }

    pid_t pid = fork();
    if (pid < 0) {
        log_error("store: cannot fork for snapshot zxid=0x%" PRIx64
                  " error=\"%s\"",
                  (uint64_t)zxid, strerror(errno));
        free(buf);
        return errno == EAGAIN ? COORD_EAGAIN : COORD_EIO;
    }
    if (pid == 0) {
        /* The child also purges: unlinking a large snapshot can take tens
         * of milliseconds, which the event loop should not wait for. Only
         * files older than the oldest kept snapshot go, never the segment
         * the writer thread appends to. */
        int code = snap_write(s, zxid, buf, save, ctx, true);
        if (code == 0 && s->purge)
            purge(s);
        _exit(code);
    }
    free(buf);
    s->child = pid;
    s->child_zxid = zxid;
    return 0;
}

static void purge(struct store *s)
{
    int64_t *snaps, *segs;
    size_t ns, ng;
    if (list_files(s->data_dirfd, "snapshot.", &snaps, &ns) != 0)
        return;
    if (ns == 0) {
        free(snaps);
        return;
    }
    size_t keep = (size_t)s->retain;
    size_t first_kept = ns > keep ? ns - keep : 0;
    char name[NAME_MAX_LEN];
    for (size_t i = 0; i < first_kept; i++) {
        name_of(name, "snapshot.", snaps[i]);
        if (unlinkat(s->data_dirfd, name, 0) == 0)
            log_info("store: purged file=%s", name);
    }
    int64_t oldest = snaps[first_kept];
    free(snaps);

    if (list_files(s->log_dirfd, "log.", &segs, &ng) != 0)
        return;
    /* Segment i holds zxids below segs[i+1]; if that is <= oldest + 1 every
     * record in it is inside the oldest kept snapshot. The newest segment
     * always stays: the writer may be appending to it. */
    for (size_t i = 0; i + 1 < ng; i++) {
        if (segs[i + 1] > oldest + 1)
            break;
        name_of(name, "log.", segs[i]);
        if (unlinkat(s->log_dirfd, name, 0) == 0)
            log_info("store: purged file=%s", name);
    }
    free(segs);
}

void store_poll(struct store *s)
{
    if (s->child <= 0)
        return;
    int st;
    pid_t r = waitpid(s->child, &st, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return;
    int64_t zxid = s->child_zxid;
    s->child = -1;
    if (r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        log_info("store: snapshot written zxid=0x%" PRIx64, (uint64_t)zxid);
        if (zxid > s->last_snap)
            s->last_snap = zxid;
    } else if (r > 0 && WIFEXITED(st)) {
        log_error("store: snapshot failed zxid=0x%" PRIx64 " reason=%s",
                  (uint64_t)zxid,
                  WEXITSTATUS(st) == 1 ? "save-callback" : "io");
    } else {
        log_error("store: snapshot failed zxid=0x%" PRIx64 " status=%d",
                  (uint64_t)zxid, r > 0 ? st : -1);
    }
}

int64_t store_last_snapshot(const struct store *s)
{
    return s->last_snap;
}

static uint64_t dir_bytes(int dirfd, const char *prefix)
{
    int64_t *v;
    size_t n;
    if (list_files(dirfd, prefix, &v, &n) != 0)
        return 0;
    uint64_t total = 0;
    char name[NAME_MAX_LEN];
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        name_of(name, prefix, v[i]);
        if (fstatat(dirfd, name, &st, 0) == 0)
            total += (uint64_t)st.st_size;
    }
    free(v);
    return total;
}

uint64_t store_data_bytes(const struct store *s)
{
    return dir_bytes(s->data_dirfd, "snapshot.");
}

uint64_t store_log_bytes(const struct store *s)
{
    return dir_bytes(s->log_dirfd, "log.");
}

/* ---- recovery ---- */

/* A read-only view of a whole file. */
struct map {
    int fd;
    const uint8_t *p;
    uint64_t size;
};

static int map_open(int dirfd, const char *name, struct map *m)
{
    m->p = NULL;
    m->size = 0;
    m->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0)
        return -1;
    struct stat st;
    if (fstat(m->fd, &st) != 0) {
        close(m->fd);
        return -1;
    }
    m->size = (uint64_t)st.st_size;
    if (m->size == 0)
        return 0;
    void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, m->fd, 0);
    if (p == MAP_FAILED) {
        close(m->fd);
        return -1;
    }
    m->p = p;
    return 0;
}

static void map_close(struct map *m)
{
    if (m->p != NULL)
        munmap((void *)m->p, m->size);
    close(m->fd);
}

struct snap_in {
    const uint8_t *p;
    size_t left;
};

static int snap_get(void *ctx, void *p, size_t n)
{
    struct snap_in *in = ctx;
    if (n > in->left)
        return COORD_ECORRUPT;
    memcpy(p, in->p, n);
    in->p += n;
    in->left -= n;
    return 0;
}

/* Verifies a snapshot and, if it is good, loads it (*ok). 0, or an I/O
 * error, or what load returned. */
static int snap_load(struct store *s, int64_t zxid,
                     int (*load)(void *ctx, store_in_fn in, void *in_ctx,
                                 int64_t snap_zxid),
                     void *ctx, bool *ok)
{
    *ok = false;
    char name[NAME_MAX_LEN];
    name_of(name, "snapshot.", zxid);
    struct map m;
    if (map_open(s->data_dirfd, name, &m) != 0) {
        log_error("store: cannot read file=%s error=\"%s\"", name,
                  strerror(errno));
        return COORD_EIO;
    }
    const char *why = NULL;
    uint64_t plen = 0;
    if (m.size < SNAP_HDR + SNAP_TRAILER)
        why = "short";
    else if (memcmp(m.p, SNAP_MAGIC, 4) != 0 ||
             memcmp(m.p + m.size - 4, SNAP_END, 4) != 0)
        why = "magic";
    else if (get32(m.p + 4) != SNAP_VERSION)
        why = "version";
    else if ((int64_t)get64(m.p + 8) != zxid)
        why = "zxid";
    else if ((plen = get64(m.p + m.size - SNAP_TRAILER)) !=
             m.size - SNAP_HDR - SNAP_TRAILER)
        why = "length";
    else if (crc32c_update(0, m.p, m.size - 8) != get32(m.p + m.size - 8))
        why = "checksum";
    if (why != NULL) {
        log_warn("store: skipping bad snapshot file=%s reason=%s", name, why);
        map_close(&m);
        return 0;
    }
    int rc = 0;
    if (load != NULL) {
        struct snap_in in = {m.p + SNAP_HDR, (size_t)plen};
        rc = load(ctx, snap_get, &in, zxid);
    }
    map_close(&m);
    if (rc == 0) {
        log_info("store: loaded snapshot file=%s bytes=%" PRIu64, name,
                 m.size);
        *ok = true;
    }
    return rc;
}

/* Where the log stands while it is read. */
struct scan {
    int64_t snap_zxid;
    int64_t prev;      /* last zxid applied (snapshot or replayed) */
    bool have_prev;
    int64_t last_seen; /* last zxid read, replayed or not */
    int (*replay)(void *ctx, int64_t zxid, const void *rec, size_t len);
    void *ctx;
};

static bool all_zero(const uint8_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Whether a record with a good checksum starts anywhere in [from, size). */
static bool valid_after(const uint8_t *m, uint64_t size, uint64_t from)
{
    for (uint64_t p = from; p + REC_HDR <= size; p++) {
        uint32_t len = get32(m + p);
        if (len < 8 || len > size - p - 8)
            continue;
        if (crc32c_update(0, m + p + 8, len) == get32(m + p + 4))
            return true;
    }
    return false;
}

/*
 * Reads one segment, replaying what follows the snapshot. *end is where the
 * good records stop; *bad is set if something other than zeros follows them.
 * next is the following segment's zxid (its records must stay below), or -1.
 */
static int seg_scan(struct scan *sc, const char *name, int64_t seg_zxid,
                    int64_t next, const struct map *m, uint64_t *end,
                    bool *bad)
{
    const uint8_t *b = m->p;
    uint64_t size = m->size;
    *bad = true;
    *end = 0;
    if (size < SEG_HDR || memcmp(b, SEG_MAGIC, 4) != 0 ||
        get32(b + 4) != SEG_VERSION || (int64_t)get64(b + 8) != seg_zxid)
        return 0;
    uint64_t p = SEG_HDR;
    for (;;) {
        *end = p;
        uint64_t rem = size - p;
        if (rem < 4 || get32(b + p) == 0) {
            *bad = !all_zero(b + p, rem);
            return 0;
        }
        uint32_t len = get32(b + p);
        if (rem < REC_HDR || len < 8 || len > rem - 8 ||
            crc32c_update(0, b + p + 8, len) != get32(b + p + 4))
            return 0;
        int64_t zxid = (int64_t)get64(b + p + 8);
        const char *why = NULL;
        if (zxid <= sc->last_seen)
            why = "zxid not increasing";
        else if (zxid < seg_zxid || (next >= 0 && zxid >= next))
            why = "zxid outside segment";
        else if (zxid > sc->snap_zxid && sc->have_prev &&
                 epoch_of(zxid) == epoch_of(sc->prev) && zxid != sc->prev + 1)
            why = "zxid gap";
        if (why != NULL) {
            log_error("store: corrupt log file=%s offset=%" PRIu64
                      " zxid=0x%" PRIx64 " prev=0x%" PRIx64 " reason=\"%s\"",
                      name, p, (uint64_t)zxid,
                      (uint64_t)(sc->have_prev ? sc->prev : sc->last_seen),
                      why);
            return COORD_ECORRUPT;
        }
        sc->last_seen = zxid;
        if (zxid > sc->snap_zxid) {
            if (sc->replay != NULL) {
                int rc = sc->replay(sc->ctx, zxid, b + p + REC_HDR, len - 8);
                if (rc != 0)
                    return rc;
            }
            sc->prev = zxid;
            sc->have_prev = true;
        }
        p += 8 + (uint64_t)len;
    }
}

/* Drops the torn end of the newest segment (or the segment, if even its
 * header is torn). Returns 0, or COORD_EIO. */
static int cut_tail(struct store *s, const char *name, uint64_t off,
                    bool *removed)
{
    *removed = false;
    int ok;
    if (off < SEG_HDR) {
        ok = unlinkat(s->log_dirfd, name, 0) == 0 &&
             sync_dir(s, s->log_dirfd) == 0;
        *removed = ok;
    } else {
        int fd = openat(s->log_dirfd, name, O_RDWR | O_CLOEXEC);
        ok = fd >= 0 && ftruncate(fd, (off_t)off) == 0 &&
             (!s->fsync || fsync(fd) == 0);
        if (fd >= 0)
            close(fd);
    }
    if (!ok) {
        log_error("store: cannot truncate file=%s offset=%" PRIu64
                  " error=\"%s\"",
                  name, off, strerror(errno));
        return COORD_EIO;
    }
    if (*removed)
        log_warn("store: removed torn segment file=%s", name);
    else
        log_warn("store: truncated torn tail file=%s offset=%" PRIu64, name,
                 off);
    return 0;
}

/* Reads segments[from..n) in order. On success the writer is set up to
 * append to the newest segment left (or to create one). */
static int replay_log(struct store *s, struct scan *sc, const int64_t *segs,
                      size_t from, size_t n)
{
    char name[NAME_MAX_LEN];
    /* The segment to continue: the last one read and kept. */
    int64_t cont = -1;
    uint64_t cont_end = 0;
    for (size_t i = from; i < n; i++) {
        name_of(name, "log.", segs[i]);
        struct map m;
        if (map_open(s->log_dirfd, name, &m) != 0) {
            log_error("store: cannot read file=%s error=\"%s\"", name,
                      strerror(errno));
            return COORD_EIO;
        }
        uint64_t end;
        bool bad;
        int64_t next = i + 1 < n ? segs[i + 1] : -1;
        int rc = seg_scan(sc, name, segs[i], next, &m, &end, &bad);
        if (rc != 0) {
            map_close(&m);
            return rc;
        }
        bool newest = i + 1 == n;
        if (bad && (!newest || valid_after(m.p, m.size, end + 1))) {
            /* Only the newest segment can have a torn end: older ones were
             * synced before the next was created. */
            log_error("store: corrupt log file=%s offset=%" PRIu64
                      " reason=\"%s\"",
                      name, end,
                      newest ? "bad record before valid data"
                             : "bad record in an older segment");
            map_close(&m);
            return COORD_ECORRUPT;
        }
        map_close(&m);
        bool removed = false;
        if (bad && (rc = cut_tail(s, name, end, &removed)) != 0)
            return rc;
        if (!removed) {
            cont = segs[i];
            cont_end = end;
        }
    }
    if (cont >= 0 && cont_end == SEG_HDR) {
        /* A segment with no records is named after a zxid that was never
         * kept; the next record may be below it, so start afresh. */
        name_of(name, "log.", cont);
        if (unlinkat(s->log_dirfd, name, 0) != 0 ||
            sync_dir(s, s->log_dirfd) != 0) {
            log_error("store: cannot remove file=%s error=\"%s\"", name,
                      strerror(errno));
            return COORD_EIO;
        }
        log_info("store: removed empty segment file=%s", name);
        cont = -1;
    }
    if (cont >= 0) {
        name_of(s->seg_name, "log.", cont);
        s->seg_fd = openat(s->log_dirfd, s->seg_name, O_RDWR | O_CLOEXEC);
        struct stat st;
        if (s->seg_fd < 0 || fstat(s->seg_fd, &st) != 0) {
            log_error("store: cannot open file=%s error=\"%s\"", s->seg_name,
                      strerror(errno));
            return COORD_EIO;
        }
        s->seg_off = cont_end;
        s->seg_alloc = (uint64_t)st.st_size;
    }
    return 0;
}

static int drop_log_locked(struct store *s);

/* Leftovers of snapshots that were being written when the server stopped. */
static void remove_tmp(struct store *s)
{
    int fd = dup(s->data_dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "snapshot.", 9) == 0 && n > 4 &&
            strcmp(e->d_name + n - 4, ".tmp") == 0 &&
            unlinkat(s->data_dirfd, e->d_name, 0) == 0)
            log_info("store: removed unfinished snapshot file=%s", e->d_name);
    }
    closedir(d);
}

int store_recover(struct store *s,
                  int (*load)(void *ctx, store_in_fn in, void *in_ctx,
                              int64_t snap_zxid),
                  int (*replay)(void *ctx, int64_t zxid, const void *rec,
                                size_t len),
                  void *ctx, int64_t *last_zxid)
{
    assert(!s->recovered);
    *last_zxid = 0;
    remove_tmp(s);

    int64_t *snaps, *segs;
    size_t ns, ng;
    int rc = list_files(s->data_dirfd, "snapshot.", &snaps, &ns);
    if (rc != 0)
        return rc;
    rc = list_files(s->log_dirfd, "log.", &segs, &ng);
    if (rc != 0)
        goto err_free_snaps;

    struct scan sc = {.last_seen = -1, .replay = replay, .ctx = ctx};
    bool loaded = false;
    for (size_t i = ns; i-- > 0 && !loaded;) {
        rc = snap_load(s, snaps[i], load, ctx, &loaded);
        if (rc != 0)
            goto err_free_segs;
        if (loaded) {
            sc.snap_zxid = sc.prev = snaps[i];
            sc.have_prev = true;
        }
    }
    if (ns > 0 && !loaded) {
        /* Without a snapshot the log alone may not reach back far enough
         * (purged); replaying it would silently lose state. */
        log_error("store: no snapshot verifies count=%zu", ns);
        rc = COORD_ECORRUPT;
        goto err_free_segs;
    }

    /* Skip segments wholly covered by the snapshot (all zxids below the next
     * segment's first, which is <= snap + 1). */
    size_t from = 0;
    while (from + 1 < ng && segs[from + 1] <= sc.snap_zxid + 1)
        from++;
    rc = replay_log(s, &sc, segs, from, ng);
    if (rc != 0)
        goto err_free_segs;
    if (ng > 0 && loaded && sc.last_seen < sc.snap_zxid) {
        /* The log ends below the snapshot (an installed snapshot whose old
         * log was being dropped): appends after the snapshot would leave a
         * hole in it, so it starts again, empty. */
        log_info("store: log ends below snapshot=0x%" PRIx64
                 ", starting a new log",
                 (uint64_t)sc.snap_zxid);
        pthread_mutex_lock(&s->mu);
        rc = drop_log_locked(s);
        pthread_mutex_unlock(&s->mu);
        if (rc != 0)
            goto err_free_segs;
        sc.last_seen = -1;
    }

    s->recovered = true;
    s->last_snap = sc.snap_zxid;
    s->last_zxid = sc.have_prev ? sc.prev : 0;
    if (sc.last_seen > s->last_zxid)
        s->last_zxid = sc.last_seen;
    pthread_mutex_lock(&s->mu);
    s->durable = s->last_zxid;
    pthread_mutex_unlock(&s->mu);
    *last_zxid = sc.have_prev ? sc.prev : 0;
    log_info("store: recovered snapshot=0x%" PRIx64 " last_zxid=0x%" PRIx64,
             (uint64_t)sc.snap_zxid, (uint64_t)*last_zxid);

err_free_segs:
    free(segs);
err_free_snaps:
    free(snaps);
    return rc;
}

/* ---- what an ensemble needs: truncation, installed snapshots, epochs ---- */

/* Blocks until the writer has made everything appended durable (or failed);
 * returns with mu held and the writer idle. */
static int lock_idle(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    while (!s->failed && (s->open->len > 0 || !s->writer_idle)) {
        pthread_mutex_unlock(&s->mu);
        usleep(200);
        pthread_mutex_lock(&s->mu);
    }
    return s->failed ? COORD_EIO : 0;
}

/* Offset of the first record above zxid in a mapped segment, and the zxid of
 * the record before it (or -1). */
static uint64_t seg_cut_point(const struct map *m, int64_t zxid,
                              int64_t *kept_last)
{
    uint64_t p = SEG_HDR;
    *kept_last = -1;
    while (p + REC_HDR <= m->size) {
        uint32_t len = get32(m->p + p);
        if (len < 8 || len > m->size - p - 8)
            break;
        int64_t z = (int64_t)get64(m->p + p + 8);
        if (z > zxid)
            break;
        *kept_last = z;
        p += 8 + (uint64_t)len;
    }
    return p;
}

/* Removes records above zxid: newer segments go first, newest first, so a
 * crash at any point leaves a prefix of the log. With mu held, writer idle.
 * *last is the zxid of the last record kept (-1 if none). */
static int truncate_locked(struct store *s, int64_t zxid, int64_t *last)
{
    *last = -1;
    if (s->seg_fd >= 0) {
        close(s->seg_fd);
        s->seg_fd = -1;
    }
    int64_t *segs;
    size_t n;
    int rc = list_files(s->log_dirfd, "log.", &segs, &n);
    if (rc != 0)
        return rc;
    char name[NAME_MAX_LEN];
    for (size_t i = n; i-- > 0 && rc == 0;) {
        name_of(name, "log.", segs[i]);
        if (segs[i] > zxid) {
            if (unlinkat(s->log_dirfd, name, 0) != 0 && errno != ENOENT)
                rc = COORD_EIO;
            continue;
        }
        struct map m;
        if (map_open(s->log_dirfd, name, &m) != 0) {
            rc = COORD_EIO;
            break;
        }
        uint64_t cut = m.size >= SEG_HDR ? seg_cut_point(&m, zxid, last)
                                         : 0;
        uint64_t size = m.size;
        map_close(&m);
        int fd = openat(s->log_dirfd, name, O_RDWR | O_CLOEXEC);
        if (fd < 0 || (cut < size && ftruncate(fd, (off_t)cut) != 0) ||
            (s->fsync && fsync(fd) != 0)) {
            if (fd >= 0)
                close(fd);
            rc = COORD_EIO;
            break;
        }
        if (cut < SEG_HDR) {
            close(fd);
            unlinkat(s->log_dirfd, name, 0);
            continue;
        }
        /* The writer continues in this segment, right after what is kept. */
        memcpy(s->seg_name, name, sizeof name);
        s->seg_fd = fd;
        s->seg_off = cut;
        s->seg_alloc = cut;
        break;
    }
    free(segs);
    if (rc == 0 && sync_dir(s, s->log_dirfd) != 0)
        rc = COORD_EIO;
    if (rc != 0) {
        log_error("store: cannot truncate the log zxid=0x%" PRIx64
                  " error=\"%s\"",
                  (uint64_t)zxid, strerror(errno));
        s->failed = true;
        return rc;
    }
    s->last_zxid = *last > 0 ? *last : 0;
    s->durable = s->last_zxid;
    return 0;
}

int store_truncate(struct store *s, int64_t zxid)
{
    assert(s->recovered);
    int rc = lock_idle(s);
    int64_t last = -1;
    if (rc == 0)
        rc = truncate_locked(s, zxid, &last);
    pthread_mutex_unlock(&s->mu);
    if (rc == 0)
        log_info("store: log truncated zxid=0x%" PRIx64 " last=0x%" PRIx64,
                 (uint64_t)zxid, (uint64_t)(last > 0 ? last : 0));
    return rc;
}

/* Unlinks every segment, newest first. With mu held, writer idle. */
static int drop_log_locked(struct store *s)
{
    int64_t last;
    return truncate_locked(s, -1, &last);
}

int store_install_snapshot(struct store *s, int64_t zxid,
                           int (*save)(void *ctx, store_out_fn out,
                                       void *out_ctx),
                           void *ctx)
{
    assert(s->recovered);
    uint8_t *buf = malloc(SNAP_BUF);
    if (buf == NULL)
        return COORD_ENOMEM;
    int rc = lock_idle(s);
    int64_t last = -1;
    /* First the log loses what the image replaces (a prefix remains at any
     * crash), then the image is written; a log left ending below it would
     * leave a hole once appends resume after it, so it goes too. */
    if (rc == 0)
        rc = truncate_locked(s, zxid, &last);
    if (rc == 0 && snap_write(s, zxid, buf, save, ctx, false) != 0)
        rc = COORD_EIO;
    if (rc == 0 && last != zxid)
        rc = drop_log_locked(s);
    if (rc == 0) {
        s->last_zxid = zxid;
        s->durable = zxid;
        s->last_snap = zxid;
    } else {
        s->failed = true;
    }
    pthread_mutex_unlock(&s->mu);
    free(buf);
    if (rc != 0)
        log_error("store: cannot install snapshot zxid=0x%" PRIx64
                  " error=\"%s\"",
                  (uint64_t)zxid, strerror(errno));
    else
        log_info("store: installed snapshot zxid=0x%" PRIx64
                 " log_kept=%s",
                 (uint64_t)zxid, last == zxid ? "yes" : "no");
    return rc;
}

int store_read_epoch(struct store *s, const char *name, uint32_t *epoch)
{
    *epoch = 0;
    int fd = openat(s->data_dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : COORD_EIO;
    char text[32];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return COORD_ECORRUPT;
    text[n] = '\0';
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || (*end != '\0' && *end != '\n') || v > UINT32_MAX) {
        log_error("store: bad epoch file=%s", name);
        return COORD_ECORRUPT;
    }
    *epoch = (uint32_t)v;
    return 0;
}

int store_write_epoch(struct store *s, const char *name, uint32_t epoch)
{
    char text[32];
    int len = snprintf(text, sizeof text, "%u\n", epoch);
    return store_write_file(s, name, text, (size_t)len);
}

int store_read_file(struct store *s, const char *name, char **data,
                    size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = openat(s->data_dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? COORD_ENONODE : COORD_EIO;
    struct stat st;
    char *p = NULL;
    bool ok = fstat(fd, &st) == 0 && st.st_size >= 0 &&
              st.st_size < (off_t)1 << 24 &&
              (p = malloc((size_t)st.st_size + 1)) != NULL;
    size_t got = 0;
    while (ok && got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            ok = false;
        else
            got += (size_t)r;
    }
    close(fd);
    if (!ok) {
        free(p);
        log_error("store: cannot read file=%s", name);
        return COORD_EIO;
    }
    p[got] = '\0';
    *data = p;
    *len = got;
    return 0;
}

int store_remove_file(struct store *s, const char *name)
{
    if (unlinkat(s->data_dirfd, name, 0) != 0 && errno != ENOENT) {
        log_error("store: cannot remove file=%s error=\"%s\"", name,
                  strerror(errno));
        return COORD_EIO;
    }
    return sync_dir(s, s->data_dirfd) == 0 ? 0 : COORD_EIO;
}

int store_write_file(struct store *s, const char *name, const void *data,
                     size_t len)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    int fd = openat(s->data_dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0644);
    bool ok = fd >= 0 && write_all(fd, data, len, -1) == 0 &&
              (!s->fsync || fsync(fd) == 0);
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || renameat(s->data_dirfd, tmp, s->data_dirfd, name) != 0 ||
        sync_dir(s, s->data_dirfd) != 0) {
        log_error("store: cannot write file=%s error=\"%s\"", name,
                  strerror(errno));
        return COORD_EIO;
    }
    return 0;
}

int64_t store_last_appended(const struct store *s)
{
    return s->last_zxid;
}
