/* test_store: the log, group commit, torn tails, corruption, snapshots. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto/err.h"
#include "server/crc32c.h"
#include "server/log.h"
#include "server/store.h"
#include "tests/lib/check.h"

#define Z(n) ((int64_t)1 << 32 | (int64_t)(n))
#define MAXREC 20000
#define BLOB (300 * 1024) /* snapshot filler, more than one write buffer */

static char dir[PATH_MAX];
static struct store_config cfg;
static struct store *st;

/* ---- records: payload n of zxid z is a function of (z, salt) ---- */

static size_t payload(int64_t zxid, int salt, uint8_t *buf)
{
    size_t len = (size_t)((zxid * 7 + salt) % 61);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(zxid * 31 + (int64_t)i * 7 + salt);
    return len;
}

static int append(int64_t zxid, int salt)
{
    uint8_t buf[64];
    size_t len = payload(zxid, salt, buf);
    return store_append(st, zxid, buf, len);
}

static void append_range(int from, int to)
{
    for (int i = from; i <= to; i++)
        CHECK_EQ_INT_FATAL(append(Z(i), 0), 0);
}

/* ---- what recovery hands back: a tiny state machine plus a record list ---- */

static struct {
    int64_t last;
    uint64_t count;
    uint32_t digest;
} state;
static int64_t seen_zxid[MAXREC];
static uint32_t seen_crc[MAXREC];
static size_t seen_n;
static int64_t loaded_zxid;
static int loads;
static int save_result;      /* what the save callback returns */
static useconds_t save_delay; /* how long the save callback sleeps */

static int replay_cb(void *ctx, int64_t zxid, const void *rec, size_t len)
{
    (void)ctx;
    if (seen_n < MAXREC) {
        seen_zxid[seen_n] = zxid;
        seen_crc[seen_n] = crc32c_update(0, rec, len);
        seen_n++;
    }
    state.last = zxid;
    state.count++;
    state.digest = crc32c_update(state.digest, rec, len);
    return 0;
}

static int save_cb(void *ctx, store_out_fn out, void *out_ctx)
{
    (void)ctx;
    if (save_delay)
        usleep(save_delay);
    if (save_result != 0)
        return save_result;
    int rc = out(out_ctx, &state, sizeof state);
    static uint8_t blob[BLOB];
    for (size_t i = 0; i < BLOB; i++)
        blob[i] = (uint8_t)(i * 13 + (size_t)state.count);
    for (size_t off = 0; rc == 0 && off < BLOB; off += 1000)
        rc = out(out_ctx, blob + off, BLOB - off < 1000 ? BLOB - off : 1000);
    return rc;
}

static int load_cb(void *ctx, store_in_fn in, void *in_ctx, int64_t zxid)
{
    (void)ctx;
    loads++;
    loaded_zxid = zxid;
    int rc = in(in_ctx, &state, sizeof state);
    static uint8_t blob[BLOB];
    if (rc == 0)
        rc = in(in_ctx, blob, BLOB);
    for (size_t i = 0; rc == 0 && i < BLOB; i++)
        if (blob[i] != (uint8_t)(i * 13 + (size_t)state.count))
            rc = COORD_ECORRUPT;
    uint8_t extra;
    if (rc == 0 && in(in_ctx, &extra, 1) != COORD_ECORRUPT)
        rc = COORD_EPROTO; /* reading past the payload must fail */
    return rc;
}

/* Resets what recovery reports and recovers the open store. */
static int recover(int64_t *last)
{
    memset(&state, 0, sizeof state);
    seen_n = 0;
    loads = 0;
    loaded_zxid = -1;
    return store_recover(st, load_cb, replay_cb, NULL, last);
}

/* Whether the i-th replayed record is zxid with the payload of salt. */
static void check_seen(size_t i, int64_t zxid, int salt)
{
    uint8_t buf[64];
    size_t len = payload(zxid, salt, buf);
    CHECK_EQ_INT(seen_zxid[i], zxid);
    CHECK_EQ_INT(seen_crc[i], crc32c_update(0, buf, len));
}

static void check_seen_range(size_t at, int from, int to)
{
    CHECK_EQ_INT_FATAL(seen_n >= at + (size_t)(to - from + 1), 1);
    for (int z = from; z <= to; z++)
        check_seen(at + (size_t)(z - from), Z(z), 0);
}

/* ---- the store and its directory ---- */

static void open_store(void)
{
    CHECK_EQ_INT_FATAL(store_open(&cfg, &st), 0);
}

static void close_store(void)
{
    store_close(st);
    st = NULL;
}

static void reopen(void)
{
    close_store();
    open_store();
}

static bool wait_durable(int64_t zxid)
{
    for (int i = 0; i < 1000; i++) {
        struct pollfd p = {.fd = store_fd(st), .events = POLLIN};
        poll(&p, 1, 10);
        int64_t d = store_durable(st);
        if (d < 0)
            return false;
        if (d >= zxid)
            return true;
    }
    return false;
}

static bool wait_snapshot(int64_t zxid)
{
    for (int i = 0; i < 10000; i++) {
        store_poll(st);
        if (store_last_snapshot(st) >= zxid)
            return true;
        usleep(1000);
    }
    return false;
}

static void snapshot_at(int64_t zxid)
{
    CHECK_EQ_INT_FATAL(store_snapshot(st, zxid, save_cb, NULL), 0);
    CHECK_EQ_INT_FATAL(wait_snapshot(zxid), 1);
}

static char *path_of(const char *name)
{
    static char p[PATH_MAX + 512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static uint8_t *read_file(const char *name, size_t *len)
{
    int fd = open(path_of(name), O_RDONLY);
    CHECK_TRUE(fd >= 0);
    if (fd < 0)
        return NULL;
    struct stat sb;
    fstat(fd, &sb);
    *len = (size_t)sb.st_size;
    uint8_t *b = malloc(*len + 1);
    CHECK_EQ_INT((ssize_t)*len, pread(fd, b, *len, 0));
    close(fd);
    return b;
}

static void write_file(const char *name, const void *b, size_t len)
{
    int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_TRUE(fd >= 0);
    CHECK_EQ_INT((ssize_t)len, pwrite(fd, b, len, 0));
    close(fd);
}

static bool exists(const char *name)
{
    return access(path_of(name), F_OK) == 0;
}

static int count_files(const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d != NULL)
        closedir(d);
    return n;
}

/* Byte offset of the record of Z(k) in a segment starting at Z(first). */
static size_t offset_of(int first, int k)
{
    uint8_t buf[64];
    size_t off = 16;
    for (int i = first; i < k; i++)
        off += 16 + payload(Z(i), 0, buf);
    return off;
}

/* ---- stderr capture, to check the log lines the store writes ---- */

static int saved_stderr = -1;
static char captured[64 * 1024];

static void capture_begin(void)
{
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(path_of("stderr.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
}

/* What has been logged since capture_begin(), without ending the capture. */
static const char *capture_peek(void)
{
    int fd = open(path_of("stderr.txt"), O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, captured, sizeof captured - 1) : 0;
    captured[n > 0 ? n : 0] = '\0';
    if (fd >= 0)
        close(fd);
    return captured;
}

static const char *capture_end(void)
{
    if (saved_stderr < 0)
        return "";
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    capture_peek();
    unlink(path_of("stderr.txt"));
    return captured;
}

static int rm_entry(const char *p, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void setup(void)
{
    const char *base = getenv("COORD_BUILDDIR");
    snprintf(dir, sizeof dir, "%s/test_store.XXXXXX", base ? base : "/tmp");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    cfg = (struct store_config){
        .data_dir = dir,
        .fsync = false,
        .prealloc_bytes = 4096,
        .snap_retain_count = 3,
        .purge = false,
    };
    save_result = 0;
    save_delay = 0;
    open_store();
}

static void teardown(void)
{
    capture_end();
    if (st != NULL)
        close_store();
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- crc32c ---- */

static void crc32c_of_123456789_is_the_standard_check_value(void)
{
    CHECK_EQ_INT(crc32c_update(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(crc32c_update_portable(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(crc32c_update(0, "", 0), 0);
}

static void crc32c_is_the_same_chained_or_whole_at_any_alignment(void)
{
    static uint8_t buf[1100];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t off = 0; off < 9; off++) {
        for (size_t n = 0; n + off <= sizeof buf; n += 37) {
            uint32_t whole = crc32c_update_portable(0, buf + off, n);
            CHECK_EQ_INT(crc32c_update(0, buf + off, n), whole);
            size_t h = n / 3;
            CHECK_EQ_INT(crc32c_update(crc32c_update(0, buf + off, h),
                                       buf + off + h, n - h),
                         whole);
        }
    }
}

static CU_TestInfo crc_tests[] = {
    {"crc32c of 123456789 is the standard check value",
     crc32c_of_123456789_is_the_standard_check_value},
    {"crc32c is the same chained or whole at any alignment",
     crc32c_is_the_same_chained_or_whole_at_any_alignment},
    CU_TEST_INFO_NULL,
};

/* ---- the log ---- */

static void an_empty_store_recovers_nothing(void)
{
    int64_t last = -1;
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, 0);
    CHECK_EQ_INT(seen_n, 0);
    CHECK_EQ_INT(loads, 0);
    CHECK_EQ_INT(store_last_snapshot(st), 0);
}

static void appended_records_are_durable_and_recovered_after_reopen(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 100);
    CHECK_TRUE(wait_durable(Z(100)));
    CHECK_EQ_INT(store_durable(st), Z(100));
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(100));
    CHECK_EQ_INT(seen_n, 100);
    check_seen_range(0, 1, 100);
    CHECK_EQ_INT(store_durable(st), Z(100));
    CHECK_TRUE(store_log_bytes(st) >= offset_of(1, 101));
}

static void records_appended_after_recovery_continue_the_same_segment(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 10);
    reopen();
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(11, 20);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(20));
    check_seen_range(0, 1, 20);
    CHECK_EQ_INT(count_files("log."), 1);
}

/* Group commit: many appends share one write and one fdatasync. */
static void group_commit_syncs_far_fewer_times_than_records(void)
{
    cfg.fsync = true;
    cfg.prealloc_bytes = 0;
    reopen();
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    uint8_t rec[100];
    memset(rec, 'r', sizeof rec);
    for (int i = 1; i <= 10000; i++)
        CHECK_EQ_INT_FATAL(store_append(st, Z(i), rec, sizeof rec), 0);
    CHECK_TRUE(wait_durable(Z(10000)));
    uint64_t syncs = store_sync_count(st);
    CHECK_TRUE(syncs >= 1);
    CHECK_TRUE(syncs <= 1000);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(10000));
    CHECK_EQ_INT(seen_n, 10000);
}

static void store_fd_is_readable_once_records_are_durable(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    struct pollfd p = {.fd = store_fd(st), .events = POLLIN};
    CHECK_EQ_INT(poll(&p, 1, 0), 0);
    CHECK_EQ_INT(append(Z(1), 0), 0);
    CHECK_EQ_INT(poll(&p, 1, 5000), 1);
    CHECK_EQ_INT(store_durable(st), Z(1));
    CHECK_EQ_INT(poll(&p, 1, 0), 0); /* store_durable cleared it */
}

static void a_new_epoch_may_restart_the_counter(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 3);
    CHECK_EQ_INT(store_append(st, (int64_t)2 << 32 | 1, "x", 1), 0);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, (int64_t)2 << 32 | 1);
    CHECK_EQ_INT(seen_n, 4);
}

static void records_of_every_size_up_to_a_megabyte_round_trip(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    static uint8_t big[1 << 20];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i ^ (i >> 9));
    size_t sizes[] = {0, 1, 7, 8, 4095, 4096, 4097, 100000, sizeof big};
    for (int i = 0; i < 9; i++)
        CHECK_EQ_INT(store_append(st, Z(i + 1), big, sizes[i]), 0);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT_FATAL(seen_n, 9);
    for (int i = 0; i < 9; i++)
        CHECK_EQ_INT(seen_crc[i], crc32c_update(0, big, sizes[i]));
}

static CU_TestInfo log_tests[] = {
    {"an empty store recovers nothing", an_empty_store_recovers_nothing},
    {"appended records are durable and recovered after reopen",
     appended_records_are_durable_and_recovered_after_reopen},
    {"records appended after recovery continue the same segment",
     records_appended_after_recovery_continue_the_same_segment},
    {"group commit syncs far fewer times than records",
     group_commit_syncs_far_fewer_times_than_records},
    {"store_fd is readable once records are durable",
     store_fd_is_readable_once_records_are_durable},
    {"a new epoch may restart the counter",
     a_new_epoch_may_restart_the_counter},
    {"records of every size up to a megabyte round trip",
     records_of_every_size_up_to_a_megabyte_round_trip},
    CU_TEST_INFO_NULL,
};

/* ---- torn tails ---- */

#define SEG1 "log.100000001"

/*
 * A crash while the last record was being written can leave any prefix of it
 * on disk, followed by the preallocated zeros or by the end of the file.
 */
static void a_torn_last_record_is_cut_at_every_length_and_appendable(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 5);
    close_store();
    size_t len;
    uint8_t *orig = read_file(SEG1, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
    size_t at = offset_of(1, 5), end = offset_of(1, 6);
    char want[128];
    snprintf(want, sizeof want,
             "store: truncated torn tail file=" SEG1 " offset=%zu", at);
    for (int zeros = 0; zeros <= 1; zeros++) {
        for (size_t k = 0; k < end - at; k++) {
            uint8_t *b = malloc(len);
            memcpy(b, orig, len);
            if (zeros)
                memset(b + at + k, 0, len - at - k);
            write_file(SEG1, b, zeros ? len : at + k);
            free(b);

            open_store();
            capture_begin();
            int rc = recover(&last);
            const char *log = capture_end();
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(last, Z(4));
            CHECK_EQ_INT(seen_n, 4);
            if (k > 0 && strstr(log, want) == NULL)
                check_fail(__LINE__, __FILE__, 0, "k=%zu log: %s", k, log);
            /* The same zxid may be written again, with other content. */
            CHECK_EQ_INT(append(Z(5), 1), 0);
            CHECK_EQ_INT(append(Z(6), 0), 0);
            reopen();
            CHECK_EQ_INT(recover(&last), 0);
            CHECK_EQ_INT(last, Z(6));
            CHECK_EQ_INT_FATAL(seen_n, 6);
            check_seen(4, Z(5), 1);
            check_seen(5, Z(6), 0);
            close_store();
        }
    }
    free(orig);
}

static void garbage_after_the_last_record_is_cut(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 5);
    close_store();
    int fd = open(path_of(SEG1), O_WRONLY);
    CHECK_EQ_INT(pwrite(fd, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9,
                        (off_t)offset_of(1, 6) + 100),
                 9);
    close(fd);
    open_store();
    capture_begin();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_TRUE(strstr(capture_end(), "truncated torn tail") != NULL);
    CHECK_EQ_INT(last, Z(5));
    append_range(6, 7);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    check_seen_range(0, 1, 7);
}

static void a_segment_with_a_torn_header_is_removed(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 5);
    close_store();
    write_file("log.100000006", "CLO\0\0\0\0", 7);
    open_store();
    capture_begin();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_TRUE(strstr(capture_end(), "removed torn segment "
                                     "file=log.100000006") != NULL);
    CHECK_EQ_INT(last, Z(5));
    CHECK_TRUE(!exists("log.100000006"));
    append_range(6, 8);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(8));
    check_seen_range(0, 1, 8);
}

/* Recovery can cut a segment back to its header; its name is then a zxid
 * that was never kept, and the next record may be lower. */
static void a_segment_cut_back_to_its_header_is_replaced(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 3);
    close_store();
    uint8_t h[16] = "CLOG\1\0\0\0";
    int64_t z = Z(9);
    memcpy(h + 8, &z, 8);
    write_file("log.100000009", h, sizeof h);
    open_store();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(3));
    CHECK_TRUE(!exists("log.100000009"));
    append_range(4, 5);
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(5));
    check_seen_range(0, 1, 5);
}

static CU_TestInfo torn_tests[] = {
    {"a torn last record is cut at every length and the log stays appendable",
     a_torn_last_record_is_cut_at_every_length_and_appendable},
    {"garbage after the last record is cut",
     garbage_after_the_last_record_is_cut},
    {"a segment with a torn header is removed",
     a_segment_with_a_torn_header_is_removed},
    {"a segment cut back to its header is replaced",
     a_segment_cut_back_to_its_header_is_replaced},
    CU_TEST_INFO_NULL,
};

/* ---- corruption ---- */

/* Recovers a freshly opened store and expects COORD_ECORRUPT, with a log line
 * containing want and the file left exactly as it was. */
static void expect_corrupt(const char *file, const char *want)
{
    size_t len0, len1;
    uint8_t *before = read_file(file, &len0);
    open_store();
    capture_begin();
    int64_t last;
    int rc = recover(&last);
    const char *log = capture_end();
    CHECK_EQ_INT(rc, COORD_ECORRUPT);
    if (strstr(log, want) == NULL)
        check_fail(__LINE__, __FILE__, 0, "want \"%s\" in log: %s", want, log);
    close_store();
    uint8_t *after = read_file(file, &len1);
    CHECK_EQ_INT(len1, len0);
    if (before != NULL && after != NULL && len0 == len1)
        CHECK_TRUE(memcmp(before, after, len0) == 0);
    free(before);
    free(after);
}

static void flip(const char *file, size_t off)
{
    int fd = open(path_of(file), O_RDWR);
    uint8_t c = 0;
    CHECK_EQ_INT(pread(fd, &c, 1, (off_t)off), 1);
    c ^= 0x40;
    CHECK_EQ_INT(pwrite(fd, &c, 1, (off_t)off), 1);
    close(fd);
}

static void a_flipped_byte_in_a_middle_record_is_corruption(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 10);
    close_store();
    size_t at = offset_of(1, 5);
    char want[128];
    snprintf(want, sizeof want, "file=" SEG1 " offset=%zu", at);
    /* In the length, the checksum, the zxid and the payload. */
    size_t where[] = {0, 1, 4, 7, 8, 12, 16, 16 + 3};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        if (at + where[i] >= offset_of(1, 6))
            continue; /* the payload is shorter */
        flip(SEG1, at + where[i]);
        expect_corrupt(SEG1, want);
        flip(SEG1, at + where[i]);
    }
    open_store();
    CHECK_EQ_INT(recover(&last), 0); /* and it was left as it was */
    CHECK_EQ_INT(last, Z(10));
}

static void a_zxid_gap_within_an_epoch_is_corruption(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 3);
    append_range(5, 6);
    close_store();
    expect_corrupt(SEG1, "reason=\"zxid gap\"");
}

/* Builds a segment by hand, as the store would write it. */
static size_t put_record(uint8_t *b, int64_t zxid, const char *payload)
{
    uint32_t len = (uint32_t)strlen(payload) + 8;
    uint64_t z = (uint64_t)zxid;
    memcpy(b + 8, &z, 8);
    memcpy(b + 16, payload, len - 8);
    uint32_t crc = crc32c_update(0, b + 8, len);
    memcpy(b, &len, 4);
    memcpy(b + 4, &crc, 4);
    return 8 + len;
}

static void a_decreasing_zxid_is_corruption(void)
{
    uint8_t b[256] = "CLOG\1\0\0\0";
    uint64_t z = (uint64_t)Z(1);
    memcpy(b + 8, &z, 8);
    size_t n = 16;
    n += put_record(b + n, Z(1), "one");
    n += put_record(b + n, Z(2), "two");
    n += put_record(b + n, Z(3), "three");
    n += put_record(b + n, Z(2), "two again");
    write_file(SEG1, b, n);
    close_store();
    expect_corrupt(SEG1, "reason=\"zxid not increasing\"");
}

/* Older segments were synced before the next one was created, so even their
 * last record cannot be torn. */
static void a_bad_record_at_the_end_of_an_older_segment_is_corruption(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 5);
    save_result = COORD_EIO; /* the log rolls, but no snapshot is kept */
    CHECK_EQ_INT(store_snapshot(st, Z(5), save_cb, NULL), 0);
    append_range(6, 10);
    CHECK_TRUE(wait_durable(Z(10)));
    close_store();
    CHECK_TRUE(exists("log.100000006"));
    CHECK_EQ_INT(count_files("snapshot."), 0);
    flip(SEG1, offset_of(1, 5) + 12);
    expect_corrupt(SEG1, "file=" SEG1);
}

static CU_TestInfo corrupt_tests[] = {
    {"a flipped byte in a middle record is corruption",
     a_flipped_byte_in_a_middle_record_is_corruption},
    {"a zxid gap within an epoch is corruption",
     a_zxid_gap_within_an_epoch_is_corruption},
    {"a decreasing zxid is corruption", a_decreasing_zxid_is_corruption},
    {"a bad record at the end of an older segment is corruption",
     a_bad_record_at_the_end_of_an_older_segment_is_corruption},
    CU_TEST_INFO_NULL,
};

/* ---- snapshots ---- */

/* Appends and applies Z(from..to), as the server would. */
static void apply_range(int from, int to)
{
    uint8_t buf[64];
    for (int i = from; i <= to; i++) {
        CHECK_EQ_INT_FATAL(append(Z(i), 0), 0);
        replay_cb(NULL, Z(i), buf, payload(Z(i), 0, buf));
    }
}

static void recover_empty(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
}

static void a_snapshot_then_recover_loads_it_and_replays_later_records(void)
{
    cfg.fsync = true; /* the child's fsyncs and rename too */
    reopen();
    recover_empty();
    apply_range(1, 50);
    snapshot_at(Z(50));
    CHECK_EQ_INT(store_last_snapshot(st), Z(50));
    CHECK_TRUE(exists("snapshot.100000032"));
    CHECK_TRUE(store_data_bytes(st) > BLOB);
    apply_range(51, 80);
    reopen();
    int64_t last;
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(loads, 1);
    CHECK_EQ_INT(loaded_zxid, Z(50));
    CHECK_EQ_INT(store_last_snapshot(st), Z(50));
    CHECK_EQ_INT(seen_n, 30);
    check_seen_range(0, 51, 80);
    CHECK_EQ_INT(last, Z(80));
    CHECK_EQ_INT(state.count, 80);
    CHECK_EQ_INT(state.last, Z(80));
    CHECK_EQ_INT(count_files("log."), 2);
}

static void a_corrupt_newest_snapshot_falls_back_to_the_older_one(void)
{
    recover_empty();
    apply_range(1, 10);
    snapshot_at(Z(10));
    apply_range(11, 20);
    snapshot_at(Z(20));
    apply_range(21, 30);
    uint32_t digest = state.digest;
    close_store();
    flip("snapshot.100000014", 1000);
    open_store();
    capture_begin();
    int64_t last;
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_TRUE(strstr(capture_end(), "skipping bad snapshot "
                                     "file=snapshot.100000014") != NULL);
    CHECK_EQ_INT(loaded_zxid, Z(10));
    check_seen_range(0, 11, 30);
    CHECK_EQ_INT(seen_n, 20);
    CHECK_EQ_INT(last, Z(30));
    CHECK_EQ_INT(state.count, 30);
    CHECK_EQ_INT(state.digest, digest);
}

static void a_store_whose_only_snapshot_is_bad_is_corruption(void)
{
    recover_empty();
    apply_range(1, 10);
    snapshot_at(Z(10));
    close_store();
    flip("snapshot.10000000a", 20);
    expect_corrupt("snapshot.10000000a", "no snapshot verifies");
}

static void a_failed_save_leaves_no_snapshot(void)
{
    recover_empty();
    apply_range(1, 10);
    save_result = COORD_EIO;
    capture_begin();
    CHECK_EQ_INT(store_snapshot(st, Z(10), save_cb, NULL), 0);
    for (int i = 0; i < 5000 && !strstr(capture_peek(), "snapshot failed");
         i++) {
        usleep(1000);
        store_poll(st);
    }
    CHECK_TRUE(strstr(capture_end(), "snapshot failed zxid=0x10000000a") !=
               NULL);
    CHECK_EQ_INT(count_files("snapshot."), 0);
    CHECK_EQ_INT(store_last_snapshot(st), 0);
}

static void only_one_snapshot_runs_at_a_time(void)
{
    recover_empty();
    apply_range(1, 10);
    save_delay = 200 * 1000;
    CHECK_EQ_INT(store_snapshot(st, Z(10), save_cb, NULL), 0);
    CHECK_EQ_INT(store_snapshot(st, Z(10), save_cb, NULL), COORD_EAGAIN);
    CHECK_TRUE(wait_snapshot(Z(10)));
}

static void an_unfinished_snapshot_is_removed_at_recovery(void)
{
    write_file("snapshot.100000005.tmp", "CSNP", 4);
    recover_empty();
    CHECK_TRUE(!exists("snapshot.100000005.tmp"));
    CHECK_EQ_INT(loads, 0);
}

/* Ten records between snapshots: segments log.1, .b, .15, ... */
static void purge_keeps_the_newest_snapshots_and_the_logs_they_need(void)
{
    cfg.purge = true;
    reopen();
    recover_empty();
    for (int i = 0; i < 6; i++) {
        apply_range(i * 10 + 1, i * 10 + 10);
        snapshot_at(Z(i * 10 + 10));
    }
    CHECK_EQ_INT(count_files("snapshot."), 3);
    CHECK_TRUE(exists("snapshot.100000028"));
    CHECK_TRUE(exists("snapshot.100000032"));
    CHECK_TRUE(exists("snapshot.10000003c"));
    /* Replaying from snapshot 40 needs log.29 (41..50) and log.33 (51..60). */
    CHECK_EQ_INT(count_files("log."), 2);
    CHECK_TRUE(exists("log.100000029"));
    CHECK_TRUE(exists("log.100000033"));
    close_store();

    /* And they are enough: with both newer snapshots bad, 40 + log works. */
    flip("snapshot.10000003c", 100);
    flip("snapshot.100000032", 100);
    open_store();
    capture_begin();
    int64_t last;
    CHECK_EQ_INT(recover(&last), 0);
    capture_end();
    CHECK_EQ_INT(loaded_zxid, Z(40));
    check_seen_range(0, 41, 60);
    CHECK_EQ_INT(last, Z(60));
    CHECK_EQ_INT(state.count, 60);
}

static void the_log_rolls_to_a_new_segment_at_every_snapshot(void)
{
    recover_empty();
    for (int i = 0; i < 40; i++) {
        apply_range(i * 5 + 1, i * 5 + 5);
        snapshot_at(Z(i * 5 + 5));
    }
    apply_range(201, 203);
    CHECK_TRUE(wait_durable(Z(203)));
    CHECK_EQ_INT(count_files("log."), 41);
    CHECK_EQ_INT(count_files("snapshot."), 40);
    uint32_t digest = state.digest;
    reopen();
    int64_t last;
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(loaded_zxid, Z(200));
    check_seen_range(0, 201, 203);
    CHECK_EQ_INT(last, Z(203));
    CHECK_EQ_INT(state.digest, digest);
    close_store();

    /* Without any snapshot the whole log replays, across all 41 segments. */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "snapshot.", 9) == 0)
            unlink(path_of(e->d_name));
    closedir(d);
    open_store();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(loads, 0);
    CHECK_EQ_INT(seen_n, 203);
    check_seen_range(0, 1, 203);
    CHECK_EQ_INT(state.digest, digest);
}

static CU_TestInfo snapshot_tests[] = {
    {"a snapshot then recover loads it and replays only later records",
     a_snapshot_then_recover_loads_it_and_replays_later_records},
    {"a corrupt newest snapshot falls back to the older one",
     a_corrupt_newest_snapshot_falls_back_to_the_older_one},
    {"a store whose only snapshot is bad is corruption",
     a_store_whose_only_snapshot_is_bad_is_corruption},
    {"a failed save leaves no snapshot", a_failed_save_leaves_no_snapshot},
    {"only one snapshot runs at a time", only_one_snapshot_runs_at_a_time},
    {"an unfinished snapshot is removed at recovery",
     an_unfinished_snapshot_is_removed_at_recovery},
    {"purge keeps the newest snapshots and the logs they need",
     purge_keeps_the_newest_snapshots_and_the_logs_they_need},
    {"the log rolls to a new segment at every snapshot",
     the_log_rolls_to_a_new_segment_at_every_snapshot},
    CU_TEST_INFO_NULL,
};

/* ---- what an ensemble needs ---- */

/* TRUNC: records above the point go, across segments; appends may then
 * reuse the zxids, and recovery sees exactly the new history. */
static void truncation_drops_the_records_above_and_appends_continue(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 30);
    CHECK_TRUE(wait_durable(Z(30)));
    snapshot_at(Z(30)); /* rolls: later records go to a new segment */
    append_range(31, 60);
    CHECK_TRUE(wait_durable(Z(60)));
    CHECK_EQ_INT(count_files("log."), 2);
    CHECK_EQ_INT_FATAL(store_truncate(st, Z(20)), 0);
    CHECK_EQ_INT(count_files("log."), 1); /* the newer segment is gone */
    CHECK_EQ_INT(store_last_appended(st), Z(20));
    for (int i = 21; i <= 25; i++)
        CHECK_EQ_INT_FATAL(append(Z(i), 7), 0); /* another history */
    CHECK_TRUE(wait_durable(Z(25)));
    reopen();
    unlink(path_of("snapshot.10000001e")); /* replay the whole log */
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(last, Z(25));
    CHECK_EQ_INT(seen_n, 25);
    check_seen_range(0, 1, 20);
    for (int i = 21; i <= 25; i++)
        check_seen((size_t)(i - 1), Z(i), 7);
}

/* SNAP: the image becomes the newest snapshot; a log ending below it is
 * dropped, so appends continue right after the image with no hole. */
static void an_installed_snapshot_replaces_a_log_that_ends_below_it(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 10);
    CHECK_TRUE(wait_durable(Z(10)));
    state.count = 4242;
    CHECK_EQ_INT_FATAL(store_install_snapshot(st, Z(50), save_cb, NULL), 0);
    CHECK_EQ_INT(store_last_snapshot(st), Z(50));
    CHECK_EQ_INT(count_files("log."), 0);
    append_range(51, 55);
    CHECK_TRUE(wait_durable(Z(55)));
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(loaded_zxid, Z(50));
    CHECK_EQ_INT(state.count, 4242 + 5); /* the image, then 51..55 */
    CHECK_EQ_INT(last, Z(55));
    CHECK_EQ_INT(seen_n, 5);
    check_seen_range(0, 51, 55);
}

/* The same when the log reaches past the image: what is above goes, what
 * leads up to it stays (it is the same history). */
static void an_installed_snapshot_keeps_a_log_that_reaches_it(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 20);
    CHECK_TRUE(wait_durable(Z(20)));
    CHECK_EQ_INT_FATAL(store_install_snapshot(st, Z(15), save_cb, NULL), 0);
    CHECK_EQ_INT(store_last_appended(st), Z(15));
    append_range(16, 18);
    CHECK_TRUE(wait_durable(Z(18)));
    reopen();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(loaded_zxid, Z(15));
    CHECK_EQ_INT(last, Z(18));
    CHECK_EQ_INT(seen_n, 3);
    check_seen_range(0, 16, 18);
}

/* A crash between writing an image and dropping the old log: recovery
 * itself starts a new log when the log ends below the snapshot. */
static void recovery_drops_a_log_that_ends_below_the_snapshot(void)
{
    int64_t last;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    append_range(1, 10);
    CHECK_TRUE(wait_durable(Z(10)));
    size_t len;
    uint8_t *seg = read_file("log.100000001", &len);
    CHECK_EQ_INT_FATAL(store_install_snapshot(st, Z(20), save_cb, NULL), 0);
    close_store();
    /* as if the crash came between the image and dropping the old log */
    write_file("log.100000001", seg, len);
    free(seg);
    open_store();
    CHECK_EQ_INT(recover(&last), 0);
    CHECK_EQ_INT(loaded_zxid, Z(20));
    CHECK_EQ_INT(seen_n, 0);
    CHECK_EQ_INT(count_files("log."), 0);
    append_range(21, 22);
    CHECK_TRUE(wait_durable(Z(22)));
}

static void epochs_are_zero_until_written_and_survive_a_reopen(void)
{
    int64_t last;
    uint32_t e = 99;
    CHECK_EQ_INT_FATAL(recover(&last), 0);
    CHECK_EQ_INT(store_read_epoch(st, "acceptedEpoch", &e), 0);
    CHECK_EQ_INT(e, 0);
    CHECK_EQ_INT(store_write_epoch(st, "acceptedEpoch", 7), 0);
    CHECK_EQ_INT(store_write_epoch(st, "acceptedEpoch", 4294967295u), 0);
    reopen();
    CHECK_EQ_INT(store_read_epoch(st, "acceptedEpoch", &e), 0);
    CHECK_EQ_INT(e, 4294967295u);
    CHECK_TRUE(!exists("acceptedEpoch.tmp"));
    write_file("currentEpoch", "12x\n", 4);
    CHECK_EQ_INT(store_read_epoch(st, "currentEpoch", &e), COORD_ECORRUPT);
}

static CU_TestInfo ensemble_tests[] = {
    {"truncation drops the records above and appends continue",
     truncation_drops_the_records_above_and_appends_continue},
    {"an installed snapshot replaces a log that ends below it",
     an_installed_snapshot_replaces_a_log_that_ends_below_it},
    {"an installed snapshot keeps a log that reaches it",
     an_installed_snapshot_keeps_a_log_that_reaches_it},
    {"recovery drops a log that ends below the snapshot",
     recovery_drops_a_log_that_ends_below_the_snapshot},
    {"epochs are zero until written and survive a reopen",
     epochs_are_zero_until_written_and_survive_a_reopen},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"crc32c", NULL, NULL, NULL, NULL, crc_tests},
    {"log", NULL, NULL, setup, teardown, log_tests},
    {"torn", NULL, NULL, setup, teardown, torn_tests},
    {"corrupt", NULL, NULL, setup, teardown, corrupt_tests},
    {"snapshot", NULL, NULL, setup, teardown, snapshot_tests},
    {"ensemble", NULL, NULL, setup, teardown, ensemble_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    log_set_level(LOG_WARN);
    return check_main(argc, argv, suites);
}
