/* Fuzz target: recovery over an arbitrary log segment, then an append. */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/err.h"
#include "server/log.h"
#include "server/store.h"
#include "tests/fuzz/fuzz.h"

static int64_t replayed_last;

static int replay(void *ctx, int64_t zxid, const void *rec, size_t len)
{
    (void)ctx;
    /* Touch every byte so ASan sees a record that overruns the file. */
    const volatile uint8_t *p = rec;
    uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= p[i];
    (void)x;
    REQUIRE(zxid > replayed_last);
    replayed_last = zxid;
    return 0;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX + 256];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

static int recover(const struct store_config *cfg, struct store **s,
                   int64_t *last)
{
    replayed_last = -1;
    REQUIRE(store_open(cfg, s) == 0);
    return store_recover(*s, NULL, replay, NULL, last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_ERROR);
        quiet = true;
    }
    char dir[PATH_MAX];
    const char *base = getenv("COORD_BUILDDIR");
    snprintf(dir, sizeof dir, "%s/fuzz_log.XXXXXX", base ? base : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 0;

    /* Name the segment after the zxid in its header, so the fuzzer can get
     * past the header check and into the records. */
    uint64_t zxid = 1;
    if (size >= 16) {
        memcpy(&zxid, data + 8, 8);
        zxid = le64toh(zxid);
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/log.%" PRIx64, dir, zxid);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        remove_dir(dir);
        return 0;
    }
    close(fd);

    struct store_config cfg = {
        .data_dir = dir, .fsync = false, .prealloc_bytes = 4096};
    struct store *s;
    int64_t last;
    int rc = recover(&cfg, &s, &last);
    if (rc == 0 && last < INT64_MAX) {
        /* Whatever recovery kept or cut, the log must take a record and
         * give everything back on the next start. */
        REQUIRE(last == (replayed_last < 0 ? 0 : replayed_last));
        REQUIRE(store_append(s, last + 1, "fuzz", 4) == 0);
        store_close(s);
        int64_t again;
        REQUIRE(recover(&cfg, &s, &again) == 0);
        REQUIRE(again == last + 1);
    }
    store_close(s);
    remove_dir(dir);
    return 0;
}
