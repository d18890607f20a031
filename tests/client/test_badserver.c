/* A scripted fake server: malformed frames make the client reconnect;
 * canned replies check how requests are encoded and replies parsed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

struct fake {
    int lfd;
    int port;
    /* 0: huge frame length; 1: reply with a wrong xid; 2: answer
     * reconfig (see serve_reconfig) */
    int script;
    int accepted;
    unsigned char req[512]; /* script 2: the last request frame */
    size_t req_len;         /* written (atomically) after req */
    int reconfigs;
    volatile int stop;
    pthread_t th;
};

static bool read_n(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* The config text and Stat of the canned reconfig reply. */
static const char new_config[] =
    "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
    "server.4=127.0.0.1:2889:3889:observer;0.0.0.0:2182\n"
    "version=100000003";
static const struct coord_stat new_config_stat = {
    .czxid = 0, .mzxid = 0x100000003, .ctime = 0, .mtime = 1700000000123,
    .version = 3, .cversion = 0, .aversion = -1, .ephemeral_owner = 0,
    .data_length = (int32_t)sizeof new_config - 1, .num_children = 0,
    .pzxid = 0};

/* Script 2, after the handshake: records each request frame; pings get
 * their reply; the first reconfig gets a GetDataResponse (new_config and
 * new_config_stat), the second ReconfigInProgress, the third BadVersion. */
static void serve_reconfig(struct fake *f, int fd)
{
    for (;;) {
        unsigned char len4[4], frame[512];
        if (!read_n(fd, len4, 4))
            return;
        size_t len = (size_t)len4[0] << 24 | len4[1] << 16 | len4[2] << 8 |
                     len4[3];
        if (len < 8 || len > sizeof f->req - 4 || !read_n(fd, frame, len))
            return;
        memcpy(f->req, len4, 4);
        memcpy(f->req + 4, frame, len);
        __atomic_store_n(&f->req_len, len + 4, __ATOMIC_SEQ_CST);
        int32_t type = (int32_t)((uint32_t)frame[4] << 24 | frame[5] << 16 |
                                 frame[6] << 8 | frame[7]);
        unsigned char rep[512];
        size_t n = 20;
        memcpy(rep + 4, frame, 4); /* xid */
        put64(rep + 8, 0x100000003);
        put32(rep + 16, 0);
        if (type == 16) {
            int k = __atomic_add_fetch(&f->reconfigs, 1, __ATOMIC_SEQ_CST);
            if (k == 1) {
                const struct coord_stat *st = &new_config_stat;
                put32(rep + n, (uint32_t)st->data_length);
                memcpy(rep + n + 4, new_config, sizeof new_config - 1);
                n += 4 + sizeof new_config - 1;
                put64(rep + n, (uint64_t)st->czxid);
                put64(rep + n + 8, (uint64_t)st->mzxid);
                put64(rep + n + 16, (uint64_t)st->ctime);
                put64(rep + n + 24, (uint64_t)st->mtime);
                put32(rep + n + 32, (uint32_t)st->version);
                put32(rep + n + 36, (uint32_t)st->cversion);
                put32(rep + n + 40, (uint32_t)st->aversion);
                put64(rep + n + 44, (uint64_t)st->ephemeral_owner);
                put32(rep + n + 52, (uint32_t)st->data_length);
                put32(rep + n + 56, (uint32_t)st->num_children);
                put64(rep + n + 60, (uint64_t)st->pzxid);
                n += 68;
            } else {
                put32(rep + 16, (uint32_t)(k == 2 ? COORD_ERECONFIGINPROGRESS
                                                  : COORD_EBADVERSION));
            }
        } else if (type != 11) { /* anything but a ping: not expected */
            put32(rep + 16, (uint32_t)COORD_EUNIMPLEMENTED);
        }
        put32(rep, (uint32_t)(n - 4));
        if (write(fd, rep, n) != (ssize_t)n)
            return;
    }
}

static void serve_one(struct fake *f, int fd)
{
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned char req[49];
    if (!read_n(fd, req, sizeof req))
        return;
    if (f->script == 0) {
        static const unsigned char huge[] = {0x7f, 0xff, 0xff, 0xff, 0, 0};
        if (write(fd, huge, sizeof huge) < 0)
            return;
    } else {
        /* A valid ConnectResponse: timeout 3000, session 1, passwd 0..15. */
        unsigned char resp[41] = {0, 0, 0, 37, 0, 0, 0, 0, 0, 0, 0x0b, 0xb8,
                                  0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 16};
        for (int i = 0; i < 16; i++)
            resp[24 + i] = (unsigned char)i;
        if (write(fd, resp, sizeof resp) < 0)
            return;
        if (f->script == 2) {
            serve_reconfig(f, fd);
            return;
        }
        unsigned char hdr[12];
        if (!read_n(fd, hdr, sizeof hdr))
            return;
        size_t len = (size_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
        unsigned char skip[256];
        if (len < 8 || len - 8 > sizeof skip || !read_n(fd, skip, len - 8))
            return;
        /* Reply header with xid + 1000: out of order. */
        unsigned char rep[20] = {0, 0, 0, 16, hdr[4], (unsigned char)(hdr[5] + 3),
                                 hdr[6], hdr[7]};
        if (write(fd, rep, sizeof rep) < 0)
            return;
    }
    /* Hold the connection until the client drops it. */
    char sink[64];
    while (!f->stop && read(fd, sink, sizeof sink) > 0)
        ;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    while (!f->stop) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        __atomic_add_fetch(&f->accepted, 1, __ATOMIC_SEQ_CST);
        serve_one(f, fd);
        close(fd);
    }
    return NULL;
}

static int fake_start(struct fake *f, int script)
{
    memset(f, 0, sizeof *f);
    f->script = script;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(f->lfd, 8) != 0 ||
        getsockname(f->lfd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    f->port = ntohs(a.sin_port);
    return pthread_create(&f->th, NULL, fake_main, f) == 0 ? 0 : -1;
}

static void fake_stop(struct fake *f)
{
    f->stop = 1;
    pthread_join(f->th, NULL);
    close(f->lfd);
}

/* A frame longer than jute.maxbuffer closes the connection; the client
 * tries again and never crashes. */
static void oversized_frame_reconnects(void)
{
    struct fake f;
    CHECK_EQ_INT_FATAL(fake_start(&f, 0), 0);
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%d", f.port);
    struct coord *c = client_new(hosts, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    drive(c, NULL, 600);
    CU_ASSERT(__atomic_load_n(&f.accepted, __ATOMIC_SEQ_CST) >= 2);
    CHECK_EQ_INT(coord_state(c), COORD_CONNECTING);
    coord_free(c);
    fake_stop(&f);
}

/* A reply whose xid is not the oldest request's is a protocol error: the
 * connection drops (SUSPENDED) and the call fails with connection loss. */
static int xid_rc = 1;
static void xid_cb(int rc, const struct coord_stat *st, void *ctx)
{
    (void)st;
    (void)ctx;
    xid_rc = rc;
}

static void wrong_xid_drops_connection(void)
{
    struct fake f;
    CHECK_EQ_INT_FATAL(fake_start(&f, 1), 0);
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%d", f.port);
    struct coord *c = client_new(hosts, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(wait_state(c, COORD_CONNECTED, 3000));
    CHECK_EQ_INT(coord_exists(c, "/x", NULL, NULL, xid_cb, NULL), 0);
    CU_ASSERT(wait_state(c, COORD_SUSPENDED, 3000));
    CHECK_EQ_INT(xid_rc, COORD_ECONNECTIONLOSS);
    coord_free(c);
    fake_stop(&f);
}

static size_t put_ustring(unsigned char *p, const char *s)
{
    if (s == NULL) {
        put32(p, UINT32_MAX);
        return 4;
    }
    put32(p, (uint32_t)strlen(s));
    memcpy(p + 4, s, strlen(s));
    return 4 + strlen(s);
}

/* The ReconfigRequest frame coord_reconfig should send. */
static size_t reconfig_frame(unsigned char *p, int32_t xid, const char *join,
                             const char *leave, const char *members,
                             int64_t from)
{
    size_t n = 12;
    put32(p + 4, (uint32_t)xid);
    put32(p + 8, 16);
    n += put_ustring(p + n, join);
    n += put_ustring(p + n, leave);
    n += put_ustring(p + n, members);
    put64(p + n, (uint64_t)from);
    n += 8;
    put32(p, (uint32_t)(n - 4));
    return n;
}

static int32_t req_xid(const struct fake *f)
{
    return (int32_t)((uint32_t)f->req[4] << 24 | f->req[5] << 16 |
                     f->req[6] << 8 | f->req[7]);
}

static int async_rc = 1, async_done;
static void reconfig_cb(int rc, const char *data, int32_t len,
                        const struct coord_stat *st, void *ctx)
{
    (void)ctx;
    CU_ASSERT(rc != 0 || (data != NULL && len >= 0 && st != NULL));
    async_rc = rc;
    async_done = 1;
}

static void check_stat(const struct coord_stat *a, const struct coord_stat *b)
{
    CHECK_EQ_INT(a->czxid, b->czxid);
    CHECK_EQ_INT(a->mzxid, b->mzxid);
    CHECK_EQ_INT(a->ctime, b->ctime);
    CHECK_EQ_INT(a->mtime, b->mtime);
    CHECK_EQ_INT(a->version, b->version);
    CHECK_EQ_INT(a->cversion, b->cversion);
    CHECK_EQ_INT(a->aversion, b->aversion);
    CHECK_EQ_INT(a->ephemeral_owner, b->ephemeral_owner);
    CHECK_EQ_INT(a->data_length, b->data_length);
    CHECK_EQ_INT(a->num_children, b->num_children);
    CHECK_EQ_INT(a->pzxid, b->pzxid);
}

/* reconfig (16): joining, leaving and newMembers as ustrings (NULL as -1)
 * then the config id; the GetDataResponse reply gives the config text and
 * Stat; error replies reach the caller unchanged. */
static void reconfig_encodes_and_parses(void)
{
    struct fake f;
    CHECK_EQ_INT_FATAL(fake_start(&f, 2), 0);
    char hosts[64];
    snprintf(hosts, sizeof hosts, "127.0.0.1:%d/chroot", f.port);
    struct coord *c = client_new(hosts, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_FATAL(wait_state(c, COORD_CONNECTED, 3000));

    const char *join = "server.4=127.0.0.1:2889:3889:observer;2182";
    char *data = NULL;
    int32_t len = 0;
    struct coord_stat st;
    memset(&st, 0, sizeof st);
    CHECK_EQ_INT(coord_reconfig_sync(c, join, "2,3", NULL, 0x100000002LL,
                                     &data, &len, &st), 0);
    unsigned char want[512];
    size_t n = reconfig_frame(want, req_xid(&f), join, "2,3", NULL,
                              0x100000002LL);
    CHECK_EQ_INT(__atomic_load_n(&f.req_len, __ATOMIC_SEQ_CST), n);
    CHECK_EQ_MEM(f.req, want, n);
    CHECK_EQ_STR(data, new_config); /* no chroot stripping or prefixing */
    CHECK_EQ_INT(len, (int32_t)sizeof new_config - 1);
    check_stat(&st, &new_config_stat);
    free(data);

    /* Asynchronous, every string null, any config: ReconfigInProgress. */
    CHECK_EQ_INT(coord_reconfig(c, NULL, NULL, NULL, -1, reconfig_cb, NULL), 0);
    n = reconfig_frame(want, 0, NULL, NULL, NULL, -1);
    CU_ASSERT(drive(c, &async_done, 3000));
    CHECK_EQ_INT(async_rc, COORD_ERECONFIGINPROGRESS);
    CHECK_EQ_INT(__atomic_load_n(&f.req_len, __ATOMIC_SEQ_CST), n);
    CHECK_EQ_MEM(f.req + 8, want + 8, n - 8);

    /* Non-incremental, from config 7: BadVersion. */
    CHECK_EQ_INT(coord_reconfig_sync(c, NULL, NULL,
                                     "server.1=a:1:2;3,server.2=b:1:2;3", 7,
                                     NULL, NULL, NULL), COORD_EBADVERSION);
    n = reconfig_frame(want, req_xid(&f), NULL, NULL,
                       "server.1=a:1:2;3,server.2=b:1:2;3", 7);
    CHECK_EQ_MEM(f.req, want, n);
    coord_free(c);
    fake_stop(&f);
}

CU_TestInfo badserver_tests[] = {
    {"oversized frame reconnects", oversized_frame_reconnects},
    {"wrong xid drops connection", wrong_xid_drops_connection},
    {"reconfig encodes and parses", reconfig_encodes_and_parses},
    CU_TEST_INFO_NULL,
};
