/* A scripted fake server: malformed frames make the client reconnect. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

struct fake {
    int lfd;
    int port;
    int script; /* 0: huge frame length; 1: reply with a wrong xid */
    int accepted;
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

CU_TestInfo badserver_tests[] = {
    {"oversized frame reconnects", oversized_frame_reconnects},
    {"wrong xid drops connection", wrong_xid_drops_connection},
    CU_TEST_INFO_NULL,
};
