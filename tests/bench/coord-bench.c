/* Load generator for ZooKeeper-protocol servers: pipelined raw connections on
 * one epoll thread, or the official C client as a cross-check. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto/buf.h"
#include "proto/err.h"
#include "proto/jute.h"
#include "proto/records.h"

#if defined(__has_include)
#if __has_include(<zookeeper/zookeeper.h>)
#define HAVE_ZKC 1
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <zookeeper/zookeeper.h>
#pragma GCC diagnostic pop
#endif
#endif

/* Parents that --load spreads its znodes under. */
#define LOAD_PARENTS 1000
/* Servers --hosts and --server-pid may name. */
#define MAX_SERVERS 16

enum workload { W_CREATE, W_SET, W_GET, W_MIXED, W_LOAD, W_PROBE, W_WPROBE };
static const char *const workload_names[] = {
    "create", "set", "get", "mixed", "load", "probe", "write-probe"};

/* One server address; client i talks to endpoint i % nendpoints. */
struct endpoint {
    char host[64];
    int port;
};

struct opts {
    const char *host;
    int port;
    struct endpoint ep[MAX_SERVERS];
    int neps;
    const char *label;
    enum workload op;
    int clients;
    int outstanding;
    int size;
    double duration;
    double warmup;
    uint64_t max_ops;
    const char *prefix;
    int server_pid[MAX_SERVERS];
    int npids;
    uint64_t load;
    int64_t since_ns; /* write-probe: CLOCK_REALTIME origin, or 0 */
    const char *path; /* probe target */
    bool zkc;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t self_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* utime + stime of a process (all its threads) in µs, or -1. */
static double one_proc_cpu_us(int pid)
{
    char path[64], text[1024];
    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* The command name may hold spaces; fields resume after the last ')'. */
    char *p = strrchr(text, ')');
    if (p == NULL)
        return -1;
    unsigned long long utime, stime;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* The summed CPU µs of every --server-pid, or -1 if any is unreadable. */
static double proc_cpu_us(const struct opts *o)
{
    if (o->npids == 0)
        return -1;
    double sum = 0;
    for (int i = 0; i < o->npids; i++) {
        double v = one_proc_cpu_us(o->server_pid[i]);
        if (v < 0)
            return -1;
        sum += v;
    }
    return sum;
}

/*
 * Latency histogram with log-linear buckets: exact below 32 ns, then 32
 * buckets per power of two (at most 3% error), so recording is a shift and
 * an increment.
 */
#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
    uint64_t n;
    uint64_t b[HIST_BUCKETS];
};

static unsigned hist_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - HIST_SUB_BITS;
    return (shift + 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
}

static void hist_add(struct hist *h, uint64_t v)
{
    h->b[hist_index(v)]++;
    h->n++;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->b[i] += h->b[i];
    into->n += h->n;
}

/* The value at quantile q (0..1), as the middle of its bucket. */
static uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->n);
    if (want >= h->n)
        want = h->n - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > want) {
            if (i < HIST_SUB)
                return i;
            unsigned shift = i / HIST_SUB - 1;
            uint64_t low = (uint64_t)(i % HIST_SUB + HIST_SUB) << shift;
            return low + ((1ull << shift) >> 1);
        }
    }
    return 0;
}

/* --- request encoding (spec §4.2), through proto/records.h --- */

/* OPEN_ACL_UNSAFE (one ACL: perms ALL, world:anyone), encoded once. */
static uint8_t open_acl_bytes[64];
static struct jute_vec open_acl;

static void init_open_acl(void)
{
    struct coord_acl acl = {
        .perms = COORD_PERM_ALL,
        .id = {jute_cstr("world"), jute_cstr("anyone")},
    };
    struct buf b;
    buf_init(&b, sizeof(open_acl_bytes));
    coord_put_acl(&b, &acl);
    memcpy(open_acl_bytes, b.base, b.len);
    open_acl = (struct jute_vec){1, open_acl_bytes, b.len};
    buf_close(&b);
}

static size_t begin_request(struct buf *b, int32_t xid, int32_t type)
{
    size_t off = jute_frame_begin(b);
    coord_put_request_header(b, &(struct coord_request_header){xid, type});
    return off;
}

static struct jute_str data_str(const void *data, int32_t len)
{
    return (struct jute_str){data, len};
}

static void put_create(struct buf *b, int32_t xid, const char *path,
                       const void *data, int32_t len)
{
    size_t off = begin_request(b, xid, COORD_OP_CREATE);
    struct coord_create_req req = {
        .path = jute_cstr(path),
        .data = data_str(data, len),
        .acl = open_acl,
        .flags = COORD_PERSISTENT,
        .ttl = -1,
    };
    coord_put_create_req(b, &req, false);
    jute_frame_end(b, off);
}

static void put_setdata(struct buf *b, int32_t xid, const char *path,
                        const void *data, int32_t len)
{
    size_t off = begin_request(b, xid, COORD_OP_SETDATA);
    struct coord_setdata_req req = {
        .path = jute_cstr(path),
        .data = data_str(data, len),
        .version = -1,
    };
    coord_put_setdata_req(b, &req);
    jute_frame_end(b, off);
}

static void put_getdata(struct buf *b, int32_t xid, const char *path)
{
    size_t off = begin_request(b, xid, COORD_OP_GETDATA);
    struct coord_path_watch_req req = {.path = jute_cstr(path), .watch = false};
    coord_put_path_watch_req(b, &req);
    jute_frame_end(b, off);
}

static void put_close(struct buf *b, int32_t xid)
{
    size_t off = begin_request(b, xid, COORD_OP_CLOSESESSION);
    jute_frame_end(b, off);
}

static void put_connect(struct buf *b)
{
    static const char zero_passwd[16];
    size_t off = jute_frame_begin(b);
    struct coord_connect_req req = {
        .timeout = 30000,
        .passwd = {zero_passwd, 16},
        .has_readonly = true,
        .readonly = false,
    };
    coord_put_connect_req(b, &req);
    jute_frame_end(b, off);
}

/* The ReplyHeader at the start of a reply payload of len >= 16 bytes. */
static struct coord_reply_header reply_header(const uint8_t *p, size_t len)
{
    struct coord_reply_header h = {0, 0, COORD_EMARSHALLING};
    struct jute_r r;
    jute_r_init(&r, p, len);
    coord_get_reply_header(&r, &h);
    return h;
}

/* --- blocking helpers for the handshake and untimed setup --- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one frame into f (resized as needed); returns its length or -1. */
static int read_frame(int fd, struct buf *f)
{
    uint8_t len4[4];
    if (read_all(fd, len4, 4) != 0)
        return -1;
    uint32_t len = jute_be32(len4);
    if (len > COORD_MAX_FRAME)
        return -1;
    buf_reset(f);
    if (buf_reserve(f, len) != 0 || read_all(fd, f->base, len) != 0)
        return -1;
    f->len = len;
    return (int)len;
}

/*
 * A TCP connection with an established session, still in blocking mode with
 * send/receive timeouts of timeout_ms, or -1.
 */
static int open_session(const char *host, int port, int timeout_ms)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto err_close_fd;

    struct buf b;
    buf_init(&b, 4096);
    put_connect(&b);
    int rc = b.err ? -1 : write_all(fd, b.base, b.len);
    if (rc == 0 && read_frame(fd, &b) < 0)
        rc = -1;
    if (rc == 0) {
        /* A negotiated timeout of 0 means the session was refused. */
        struct coord_connect_resp resp;
        struct jute_r r;
        jute_r_init(&r, b.base, b.len);
        if (coord_get_connect_resp(&r, &resp) != 0 || resp.timeout == 0)
            rc = -1;
    }
    buf_close(&b);
    if (rc != 0)
        goto err_close_fd;
    return fd;

err_close_fd:
    close(fd);
    return -1;
}

/*
 * Untimed setup on a blocking session: queue creates, then send them in
 * pipelined chunks. "Node exists" is fine (a parent made by an earlier run).
 */
struct setup {
    int fd;
    struct buf out;
    struct buf in;
    int queued;
    int32_t xid;
    int failed;
};

static int setup_flush(struct setup *s)
{
    if (s->queued == 0)
        return 0;
    if (s->out.err || write_all(s->fd, s->out.base, s->out.len) != 0)
        return -1;
    for (; s->queued > 0; s->queued--) {
        if (read_frame(s->fd, &s->in) < 16)
            return -1;
        int32_t err = reply_header(s->in.base, s->in.len).err;
        if (err != 0 && err != COORD_ENODEEXISTS) {
            fprintf(stderr, "coord-bench: setup create failed err=%d\n", err);
            s->failed++;
        }
    }
    buf_reset(&s->out);
    return s->failed ? -1 : 0;
}

static int setup_create(struct setup *s, const char *path, const void *data,
                        int32_t len)
{
    put_create(&s->out, ++s->xid, path, data, len);
    if (++s->queued >= 256)
        return setup_flush(s);
    return 0;
}

/* Creates every ancestor of prefix and prefix itself. */
static int setup_prefix(struct setup *s, const char *prefix)
{
    char path[512];
    size_t n = strlen(prefix);
    if (n == 0 || n >= sizeof(path) || prefix[0] != '/')
        return -1;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || prefix[i] == '/') {
            memcpy(path, prefix, i);
            path[i] = '\0';
            if (setup_create(s, path, NULL, -1) != 0)
                return -1;
        }
    }
    return setup_flush(s);
}

/*
 * The part of the tree endpoint ep makes: the prefix (and the --load
 * parents) on endpoint 0, then one node per client through the server that
 * client will use, so the client's own server has applied it before the
 * run (a follower may lag behind another server's writes).
 */
static int prepare_on(const struct opts *o, int ep, const uint8_t *data)
{
    const struct endpoint *e = &o->ep[ep];
    int fd = open_session(e->host, e->port, 10000);
    if (fd < 0) {
        fprintf(stderr, "coord-bench: cannot open a session on %s:%d\n",
                e->host, e->port);
        return -1;
    }
    struct setup s = {.fd = fd};
    buf_init(&s.out, 64u << 20);
    buf_init(&s.in, COORD_MAX_FRAME + 16);
    char path[512];
    int rc = ep == 0 ? setup_prefix(&s, o->prefix) : 0;
    if (o->op == W_LOAD) {
        for (int i = 0; rc == 0 && i < LOAD_PARENTS; i++) {
            snprintf(path, sizeof(path), "%s/p%03d", o->prefix, i);
            rc = setup_create(&s, path, NULL, -1);
        }
    } else {
        /* One node per client: the create parent, and the set/get target. */
        for (int i = ep; rc == 0 && i < o->clients; i += o->neps) {
            snprintf(path, sizeof(path), "%s/c%d", o->prefix, i);
            rc = setup_create(&s, path, data, o->size);
        }
    }
    if (rc == 0)
        rc = setup_flush(&s);
    buf_reset(&s.out);
    put_close(&s.out, ++s.xid);
    write_all(fd, s.out.base, s.out.len);
    read_frame(fd, &s.in);
    buf_close(&s.out);
    buf_close(&s.in);
    close(fd);
    return rc;
}

/* The tree each workload needs, made before anything is timed. */
static int prepare_tree(const struct opts *o, const uint8_t *data)
{
    int last = o->op == W_LOAD           ? 1
               : o->clients < o->neps    ? o->clients
                                         : o->neps;
    for (int ep = 0; ep < last; ep++)
        if (prepare_on(o, ep, data) != 0)
            return -1;
    return 0;
}

/* --- the raw engine: one thread, epoll, K requests in flight per conn --- */

enum phase { PH_WARMUP, PH_RUN, PH_DRAIN, PH_CLOSE };

struct conn {
    int fd;
    int idx;
    struct buf w;
    size_t wpos;
    uint8_t *r;
    size_t rlen;
    size_t rcap;
    uint64_t *sent; /* ring of send times, oldest at head */
    unsigned head;
    unsigned inflight;
    int32_t next_xid;
    int32_t expect_xid;
    uint64_t seq;
    uint32_t rng;
    bool want_out;
    bool dead;
    bool close_sent;
};

struct engine {
    const struct opts *o;
    const uint8_t *data;
    struct conn *conns;
    int epfd;
    enum phase phase;
    uint64_t load_issued;
    uint64_t window_issued;
    uint64_t window_done;
    uint64_t inflight;
    uint64_t errors;
    int32_t first_err;
    uint64_t protocol_errors;
    uint64_t conn_failures;
    int live;
    struct hist h;
};

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static bool may_issue(const struct engine *e)
{
    switch (e->phase) {
    case PH_WARMUP:
        return e->o->op != W_LOAD || e->load_issued < e->o->load;
    case PH_RUN:
        if (e->o->op == W_LOAD)
            return e->load_issued < e->o->load;
        return e->window_issued < e->o->max_ops;
    default:
        return false;
    }
}

static void encode_one(struct engine *e, struct conn *c)
{
    const struct opts *o = e->o;
    char path[512];
    int32_t xid = c->next_xid++;
    switch (o->op) {
    case W_CREATE:
        snprintf(path, sizeof(path), "%s/c%d/n%" PRIu64, o->prefix, c->idx,
                 c->seq++);
        put_create(&c->w, xid, path, e->data, o->size);
        break;
    case W_LOAD: {
        uint64_t i = e->load_issued++;
        snprintf(path, sizeof(path), "%s/p%03u/m%07" PRIu64, o->prefix,
                 (unsigned)(i % LOAD_PARENTS), i);
        put_create(&c->w, xid, path, e->data, o->size);
        break;
    }
    case W_SET:
    case W_GET:
    case W_MIXED: {
        snprintf(path, sizeof(path), "%s/c%d", o->prefix, c->idx);
        bool set = o->op == W_SET ||
                   (o->op == W_MIXED && xorshift(&c->rng) % 10 == 0);
        if (set)
            put_setdata(&c->w, xid, path, e->data, o->size);
        else
            put_getdata(&c->w, xid, path);
        break;
    }
    case W_PROBE:
    case W_WPROBE:
        break;
    }
}

static void conn_fail(struct engine *e, struct conn *c, const char *why)
{
    if (c->dead)
        return;
    fprintf(stderr, "coord-bench: connection %d: %s\n", c->idx, why);
    e->conn_failures++;
    c->dead = true;
    e->inflight -= c->inflight;
    c->inflight = 0;
    e->live--;
    epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
}

static void set_want_out(struct engine *e, struct conn *c, bool want)
{
    if (c->want_out == want)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0u),
                             .data.ptr = c};
    epoll_ctl(e->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

/* One send() for everything queued; the rest waits for EPOLLOUT. */
static void conn_flush(struct engine *e, struct conn *c)
{
    while (c->wpos < c->w.len) {
        ssize_t n = send(c->fd, c->w.base + c->wpos, c->w.len - c->wpos,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_fail(e, c, "send failed");
            return;
        }
        c->wpos += (size_t)n;
    }
    if (c->wpos == c->w.len) {
        buf_reset(&c->w);
        c->wpos = 0;
    }
    set_want_out(e, c, c->wpos < c->w.len);
}

/* Tops the pipeline up to K requests, all stamped with one clock read. */
static void conn_fill(struct engine *e, struct conn *c, uint64_t now)
{
    unsigned k = (unsigned)e->o->outstanding;
    bool any = false;
    while (!c->dead && c->inflight < k && may_issue(e)) {
        encode_one(e, c);
        c->sent[(c->head + c->inflight) % k] = now;
        c->inflight++;
        e->inflight++;
        if (e->phase == PH_RUN)
            e->window_issued++;
        any = true;
    }
    if (c->w.err) {
        conn_fail(e, c, "request encoding failed");
        return;
    }
    if (any)
        conn_flush(e, c);
}

static void on_reply(struct engine *e, struct conn *c, const uint8_t *p,
                     uint32_t len, uint64_t now)
{
    if (len < 16) {
        e->protocol_errors++;
        return;
    }
    struct coord_reply_header h = reply_header(p, len);
    int32_t xid = h.xid;
    int32_t err = h.err;
    if (xid == COORD_XID_NOTIFICATION)
        return; /* a notification; none are expected */
    if (c->close_sent) {
        c->close_sent = false;
        c->dead = true;
        e->live--;
        return;
    }
    if (c->inflight == 0 || xid != c->expect_xid) {
        e->protocol_errors++;
        conn_fail(e, c, "reply xid out of order");
        return;
    }
    unsigned k = (unsigned)e->o->outstanding;
    uint64_t sent = c->sent[c->head];
    c->head = (c->head + 1) % k;
    c->inflight--;
    e->inflight--;
    c->expect_xid++;
    if (err != 0) {
        if (e->errors++ == 0)
            e->first_err = err;
    }
    if (e->phase == PH_RUN) {
        hist_add(&e->h, now - sent);
        e->window_done++;
    }
}

static void conn_read(struct engine *e, struct conn *c)
{
    ssize_t n = recv(c->fd, c->r + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_fail(e, c, n == 0 ? "closed by server" : "recv failed");
        return;
    }
    uint64_t now = now_ns();
    c->rlen += (size_t)n;
    size_t off = 0;
    while (c->rlen - off >= 4) {
        uint32_t len = jute_be32(c->r + off);
        if (len > c->rcap - 4) {
            conn_fail(e, c, "reply frame too large");
            return;
        }
        if (c->rlen - off - 4 < len)
            break;
        on_reply(e, c, c->r + off + 4, len, now);
        off += 4 + (size_t)len;
        if (c->dead)
            return;
    }
    memmove(c->r, c->r + off, c->rlen - off);
    c->rlen -= off;
}

static int engine_open(struct engine *e)
{
    const struct opts *o = e->o;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0)
        return -1;
    e->conns = calloc((size_t)o->clients, sizeof(*e->conns));
    if (e->conns == NULL)
        return -1;
    size_t rcap = (256u << 10) + (size_t)o->size * 2 + 1024;
    for (int i = 0; i < o->clients; i++) {
        struct conn *c = &e->conns[i];
        c->idx = i;
        c->fd = -1;
        c->next_xid = c->expect_xid = 1;
        c->rng = 2463534242u + (uint32_t)i * 7919u;
        buf_init(&c->w, 64u << 20);
        c->rcap = rcap;
        c->r = malloc(rcap);
        c->sent = calloc((size_t)o->outstanding, sizeof(*c->sent));
        if (c->r == NULL || c->sent == NULL)
            return -1;
        const struct endpoint *ep = &o->ep[i % o->neps];
        c->fd = open_session(ep->host, ep->port, 10000);
        if (c->fd < 0) {
            fprintf(stderr, "coord-bench: session %d failed on %s:%d\n", i,
                    ep->host, ep->port);
            return -1;
        }
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            return -1;
        e->live++;
    }
    return 0;
}

static void engine_close(struct engine *e)
{
    if (e->conns != NULL) {
        for (int i = 0; i < e->o->clients; i++) {
            struct conn *c = &e->conns[i];
            if (c->fd >= 0)
                close(c->fd);
            buf_close(&c->w);
            free(c->r);
            free(c->sent);
        }
    }
    free(e->conns);
    if (e->epfd >= 0)
        close(e->epfd);
}

/* Runs epoll until `until` (monotonic ns) or until stop() says so. */
static void engine_poll(struct engine *e, uint64_t until,
                        bool (*stop)(const struct engine *))
{
    struct epoll_event evs[64];
    for (;;) {
        uint64_t now = now_ns();
        if (now >= until || stop(e) || e->live == 0)
            return;
        uint64_t left_ms = (until - now) / 1000000u;
        int timeout = left_ms > 10 ? 10 : (int)left_ms;
        int n = epoll_wait(e->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR)
            return;
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                conn_read(e, c);
            if (!c->dead && (evs[i].events & EPOLLOUT))
                conn_flush(e, c);
        }
        /* Refill after the whole batch, so each conn writes once. */
        if (e->phase <= PH_RUN) {
            now = now_ns();
            for (int i = 0; i < n; i++) {
                struct conn *c = evs[i].data.ptr;
                if (!c->dead)
                    conn_fill(e, c, now);
            }
        }
    }
}

static bool never(const struct engine *e)
{
    (void)e;
    return false;
}

static bool run_done(const struct engine *e)
{
    if (e->o->op == W_LOAD)
        return e->load_issued >= e->o->load && e->inflight == 0;
    return e->window_done >= e->o->max_ops;
}

static bool drained(const struct engine *e)
{
    return e->inflight == 0;
}

static bool all_closed(const struct engine *e)
{
    return e->live == 0;
}

static void print_result(const struct opts *o, const char *mode, uint64_t ops,
                         double secs, const struct hist *h, double srv_cpu_us,
                         double self_cpu_us, uint64_t errors, int32_t first_err)
{
    char label[128];
    if (o->label != NULL)
        snprintf(label, sizeof(label), "%s", o->label);
    else
        snprintf(label, sizeof(label), "%s:%d%s", o->ep[0].host,
                 o->ep[0].port, o->neps > 1 ? ",..." : "");
    printf("server=%s mode=%s op=%s clients=%d outstanding=%d size=%d "
           "ops=%" PRIu64 " secs=%.3f ops_per_s=%.0f p50_us=%.1f "
           "p99_us=%.1f p999_us=%.1f",
           label, mode, workload_names[o->op], o->clients, o->outstanding,
           o->size, ops, secs, secs > 0 ? (double)ops / secs : 0.0,
           (double)hist_quantile(h, 0.50) / 1e3,
           (double)hist_quantile(h, 0.99) / 1e3,
           (double)hist_quantile(h, 0.999) / 1e3);
    if (srv_cpu_us >= 0 && ops > 0)
        printf(" cpu_us_per_op=%.2f", srv_cpu_us / (double)ops);
    else
        printf(" cpu_us_per_op=NA");
    printf(" bench_cpu_us_per_op=%.2f errors=%" PRIu64,
           ops > 0 ? self_cpu_us / (double)ops : 0.0, errors);
    if (errors > 0)
        printf(" first_err=%d(%s)", first_err, coord_strerror(first_err));
    printf("\n");
    fflush(stdout);
}

static int run_raw(const struct opts *o, const uint8_t *data)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return 1;
    e->o = o;
    e->data = data;
    e->epfd = -1;
    int rc = 1;
    if (engine_open(e) != 0)
        goto out_close;

    uint64_t start = now_ns();
    e->phase = o->op == W_LOAD ? PH_RUN : PH_WARMUP;
    for (int i = 0; i < o->clients; i++)
        conn_fill(e, &e->conns[i], start);
    if (e->phase == PH_WARMUP)
        engine_poll(e, start + (uint64_t)(o->warmup * 1e9), never);

    e->phase = PH_RUN;
    double cpu0 = proc_cpu_us(o);
    uint64_t self0 = self_cpu_ns();
    uint64_t t0 = now_ns();
    /* Pipelines are full from warmup; a load run starts them here. */
    for (int i = 0; i < o->clients; i++)
        conn_fill(e, &e->conns[i], t0);
    engine_poll(e, t0 + (uint64_t)(o->duration * 1e9), run_done);
    uint64_t t1 = now_ns();
    double cpu1 = proc_cpu_us(o);
    uint64_t self1 = self_cpu_ns();
    e->phase = PH_DRAIN;

    uint64_t ops = o->op == W_LOAD ? e->load_issued - e->inflight
                                   : e->window_done;
    print_result(o, "raw", ops, (double)(t1 - t0) / 1e9, &e->h,
                 cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1,
                 (double)(self1 - self0) / 1e3, e->errors, e->first_err);
    if (e->protocol_errors)
        fprintf(stderr, "coord-bench: %" PRIu64 " malformed replies\n",
                e->protocol_errors);

    /* Untimed: let in-flight requests finish, then close the sessions. */
    engine_poll(e, now_ns() + 10000000000u, drained);
    e->phase = PH_CLOSE;
    for (int i = 0; i < o->clients; i++) {
        struct conn *c = &e->conns[i];
        if (c->dead || c->inflight > 0)
            continue;
        put_close(&c->w, c->next_xid++);
        c->close_sent = true;
        conn_flush(e, c);
    }
    engine_poll(e, now_ns() + 5000000000u, all_closed);
    rc = e->errors || e->protocol_errors || e->conn_failures ||
         (o->op == W_LOAD && ops < o->load);

out_close:
    engine_close(e);
    free(e);
    return rc;
}

/* Time until a getData of o->path succeeds, retrying connections. */
static int run_probe(const struct opts *o)
{
    uint64_t start = now_ns();
    uint64_t until = start + (uint64_t)(o->duration * 1e9);
    unsigned attempts = 0;
    struct buf b;
    buf_init(&b, COORD_MAX_FRAME + 16);
    while (now_ns() < until) {
        attempts++;
        const struct endpoint *ep = &o->ep[(attempts - 1) % (unsigned)o->neps];
        int fd = open_session(ep->host, ep->port, 2000);
        if (fd >= 0) {
            buf_reset(&b);
            put_getdata(&b, 1, o->path);
            bool ok = write_all(fd, b.base, b.len) == 0 &&
                      read_frame(fd, &b) >= 16 &&
                      reply_header(b.base, b.len).err == 0;
            close(fd);
            if (ok) {
                printf("server=%s op=probe path=%s ms=%.1f attempts=%u\n",
                       o->label ? o->label : ep->host, o->path,
                       (double)(now_ns() - start) / 1e6, attempts);
                buf_close(&b);
                return 0;
            }
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    buf_close(&b);
    fprintf(stderr, "coord-bench: probe of %s timed out\n", o->path);
    return 1;
}

/*
 * write-probe: the time until a write succeeds through any of --hosts (the
 * survivors of a failover). Every endpoint runs its own attempt at once:
 * connect, ConnectRequest, then a create of o->path; an attempt that fails
 * (refused, closed, session refused, error reply, or no answer within
 * 2 s) is retried on that endpoint 2 ms later. "Node exists" counts as
 * success: the path is fresh, so an earlier attempt's create committed.
 */
enum wp_state { WP_IDLE, WP_CONNECTING, WP_SESSION, WP_CREATE };

struct wprobe {
    int fd;
    enum wp_state st;
    uint64_t deadline;
    uint64_t retry_at;
    uint8_t in[4096];
    size_t inlen;
};

static void wp_fail(struct wprobe *w, uint64_t now)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->st = WP_IDLE;
    w->inlen = 0;
    w->retry_at = now + 2000000u;
}

/* Sends a whole small frame on a connected non-blocking socket. */
static int wp_send(int fd, const struct buf *b)
{
    if (b->err)
        return -1;
    ssize_t n = send(fd, b->base, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n == (ssize_t)b->len ? 0 : -1;
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int run_wprobe(const struct opts *o, const uint8_t *data)
{
    int64_t origin = o->since_ns > 0 ? o->since_ns : realtime_ns();
    uint64_t until = now_ns() + (uint64_t)(o->duration * 1e9);
    struct wprobe w[MAX_SERVERS];
    struct pollfd pfd[MAX_SERVERS];
    unsigned attempts = 0;
    struct buf b;
    buf_init(&b, 4096);
    for (int i = 0; i < o->neps; i++)
        w[i] = (struct wprobe){.fd = -1, .st = WP_IDLE};
    for (;;) {
        uint64_t now = now_ns();
        if (now >= until)
            break;
        int next_ms = 10;
        for (int i = 0; i < o->neps; i++) {
            struct wprobe *p = &w[i];
            if (p->st != WP_IDLE && now >= p->deadline)
                wp_fail(p, now);
            if (p->st == WP_IDLE && now >= p->retry_at) {
                struct sockaddr_in sa = {.sin_family = AF_INET,
                                         .sin_port = htons(o->ep[i].port)};
                inet_pton(AF_INET, o->ep[i].host, &sa.sin_addr);
                attempts++;
                p->fd = socket(AF_INET,
                               SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                int one = 1;
                setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                p->deadline = now + 2000000000u;
                p->st = WP_CONNECTING;
                if (p->fd < 0 ||
                    (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
                     errno != EINPROGRESS))
                    wp_fail(p, now);
            }
            if (p->st == WP_IDLE) {
                int ms = (int)((p->retry_at - now) / 1000000u) + 1;
                if (ms < next_ms)
                    next_ms = ms;
            }
            pfd[i] = (struct pollfd){
                .fd = p->st == WP_IDLE ? -1 : p->fd,
                .events = p->st == WP_CONNECTING ? POLLOUT : POLLIN};
        }
        int n = poll(pfd, (nfds_t)o->neps, next_ms);
        if (n < 0 && errno != EINTR)
            break;
        now = now_ns();
        for (int i = 0; n > 0 && i < o->neps; i++) {
            struct wprobe *p = &w[i];
            if (pfd[i].fd < 0 || pfd[i].revents == 0)
                continue;
            if (p->st == WP_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);
                getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                buf_reset(&b);
                put_connect(&b);
                if (err != 0 || wp_send(p->fd, &b) != 0) {
                    wp_fail(p, now);
                    continue;
                }
                p->st = WP_SESSION;
                continue;
            }
            ssize_t r = recv(p->fd, p->in + p->inlen, sizeof(p->in) - p->inlen,
                             MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0) {
                wp_fail(p, now);
                continue;
            }
            p->inlen += (size_t)r;
            while (p->st != WP_IDLE && p->inlen >= 4) {
                uint32_t len = jute_be32(p->in);
                if (len > sizeof(p->in) - 4) {
                    wp_fail(p, now);
                    break;
                }
                if (p->inlen - 4 < len)
                    break;
                const uint8_t *f = p->in + 4;
                bool ok = false, done = false;
                if (p->st == WP_SESSION) {
                    struct coord_connect_resp resp;
                    struct jute_r jr;
                    jute_r_init(&jr, f, len);
                    if (coord_get_connect_resp(&jr, &resp) == 0 &&
                        resp.timeout > 0) {
                        buf_reset(&b);
                        put_create(&b, 1, o->path, data, 10);
                        ok = wp_send(p->fd, &b) == 0;
                        if (ok)
                            p->st = WP_CREATE;
                    }
                } else if (len >= 16) {
                    struct coord_reply_header h = reply_header(f, len);
                    if (h.xid == COORD_XID_NOTIFICATION) {
                        ok = true;
                    } else if (h.xid == 1 && (h.err == 0 ||
                                              h.err == COORD_ENODEEXISTS)) {
                        ok = done = true;
                    }
                }
                if (done) {
                    printf("server=%s op=write-probe path=%s ms=%.1f "
                           "attempts=%u via=%s:%d\n",
                           o->label ? o->label : o->ep[i].host, o->path,
                           (double)(realtime_ns() - origin) / 1e6, attempts,
                           o->ep[i].host, o->ep[i].port);
                    fflush(stdout);
                    for (int j = 0; j < o->neps; j++)
                        if (w[j].fd >= 0)
                            close(w[j].fd);
                    buf_close(&b);
                    return 0;
                }
                if (!ok) {
                    wp_fail(p, now);
                    break;
                }
                memmove(p->in, p->in + 4 + len, p->inlen - 4 - len);
                p->inlen -= 4 + len;
            }
        }
    }
    for (int j = 0; j < o->neps; j++)
        if (w[j].fd >= 0)
            close(w[j].fd);
    buf_close(&b);
    fprintf(stderr, "coord-bench: no write of %s succeeded in %.0f s "
            "(%u attempts)\n", o->path, o->duration, attempts);
    return 1;
}

#ifdef HAVE_ZKC
/*
 * Cross-check mode on the official C client (libzookeeper_mt), loaded with
 * dlopen so the bench builds and runs without it. Each handle has its own
 * I/O and completion threads; completions arrive in request order, so a
 * ring of send times per handle suffices, as in the raw engine.
 */
struct zkc_api {
    __typeof__(zookeeper_init) *init;
    __typeof__(zookeeper_close) *close;
    __typeof__(zoo_state) *state;
    __typeof__(zoo_acreate) *acreate;
    __typeof__(zoo_aset) *aset;
    __typeof__(zoo_aget) *aget;
    __typeof__(zoo_set_debug_level) *set_debug_level;
    struct ACL_vector *open_acl;
    const int *connected_state;
};

struct zclient {
    const struct opts *o;
    const struct zkc_api *api;
    const uint8_t *data;
    zhandle_t *zh;
    int idx;
    pthread_mutex_t mu;
    uint64_t *sent;
    unsigned head;
    unsigned inflight;
    uint64_t seq;
    uint32_t rng;
    struct hist h;
    uint64_t errors;
    int first_err;
    _Atomic uint64_t done;
    _Atomic unsigned live_inflight;
};

static _Atomic int zkc_phase;
static _Atomic uint64_t zkc_window_issued;

static int zkc_load(struct zkc_api *a)
{
    void *so = dlopen("libzookeeper_mt.so.2", RTLD_NOW);
    if (so == NULL)
        so = dlopen("libzookeeper_mt.so", RTLD_NOW);
    if (so == NULL) {
        fprintf(stderr, "coord-bench: %s\n", dlerror());
        return -1;
    }
    /* POSIX makes void* to function pointer conversion through dlsym valid. */
#define ZSYM(field, name)                                                      \
    do {                                                                       \
        *(void **)&a->field = dlsym(so, name);                                 \
        if (a->field == NULL)                                                  \
            return -1;                                                         \
    } while (0)
    ZSYM(init, "zookeeper_init");
    ZSYM(close, "zookeeper_close");
    ZSYM(state, "zoo_state");
    ZSYM(acreate, "zoo_acreate");
    ZSYM(aset, "zoo_aset");
    ZSYM(aget, "zoo_aget");
    ZSYM(set_debug_level, "zoo_set_debug_level");
    ZSYM(open_acl, "ZOO_OPEN_ACL_UNSAFE");
    ZSYM(connected_state, "ZOO_CONNECTED_STATE");
#undef ZSYM
    return 0;
}

static void zkc_done(struct zclient *z, int rc);

static void zkc_string_cb(int rc, const char *value, const void *data)
{
    (void)value;
    zkc_done((struct zclient *)data, rc);
}

static void zkc_stat_cb(int rc, const struct Stat *stat, const void *data)
{
    (void)stat;
    zkc_done((struct zclient *)data, rc);
}

static void zkc_data_cb(int rc, const char *value, int len,
                        const struct Stat *stat, const void *data)
{
    (void)value;
    (void)len;
    (void)stat;
    zkc_done((struct zclient *)data, rc);
}

static bool zkc_may_issue(const struct zclient *z)
{
    int ph = atomic_load_explicit(&zkc_phase, memory_order_relaxed);
    if (ph == PH_WARMUP)
        return true;
    return ph == PH_RUN &&
           atomic_load_explicit(&zkc_window_issued, memory_order_relaxed) <
               z->o->max_ops;
}

/* Called with z->mu held. */
static void zkc_fill(struct zclient *z)
{
    const struct opts *o = z->o;
    unsigned k = (unsigned)o->outstanding;
    char path[512];
    while (z->inflight < k && zkc_may_issue(z)) {
        int rc;
        unsigned slot = (z->head + z->inflight) % k;
        z->sent[slot] = now_ns();
        if (o->op == W_CREATE) {
            snprintf(path, sizeof(path), "%s/c%d/n%" PRIu64, o->prefix,
                     z->idx, z->seq++);
            rc = z->api->acreate(z->zh, path, (const char *)z->data, o->size,
                                 z->api->open_acl, 0, zkc_string_cb, z);
        } else {
            snprintf(path, sizeof(path), "%s/c%d", o->prefix, z->idx);
            bool set = o->op == W_SET ||
                       (o->op == W_MIXED && xorshift(&z->rng) % 10 == 0);
            if (set)
                rc = z->api->aset(z->zh, path, (const char *)z->data, o->size,
                                  -1, zkc_stat_cb, z);
            else
                rc = z->api->aget(z->zh, path, 0, zkc_data_cb, z);
        }
        if (rc != ZOK) {
            if (z->errors++ == 0)
                z->first_err = rc;
            return;
        }
        z->inflight++;
        atomic_fetch_add(&z->live_inflight, 1);
        if (atomic_load(&zkc_phase) == PH_RUN)
            atomic_fetch_add(&zkc_window_issued, 1);
    }
}

static void zkc_done(struct zclient *z, int rc)
{
    uint64_t now = now_ns();
    pthread_mutex_lock(&z->mu);
    unsigned k = (unsigned)z->o->outstanding;
    uint64_t sent = z->sent[z->head];
    z->head = (z->head + 1) % k;
    z->inflight--;
    if (rc != ZOK && z->errors++ == 0)
        z->first_err = rc;
    if (atomic_load_explicit(&zkc_phase, memory_order_relaxed) == PH_RUN) {
        hist_add(&z->h, now - sent);
        atomic_fetch_add_explicit(&z->done, 1, memory_order_relaxed);
    }
    zkc_fill(z);
    pthread_mutex_unlock(&z->mu);
    atomic_fetch_sub(&z->live_inflight, 1);
}

static void zkc_watcher(zhandle_t *zh, int type, int state, const char *path,
                        void *ctx)
{
    (void)zh;
    (void)type;
    (void)state;
    (void)path;
    (void)ctx;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int run_zkc(const struct opts *o, const uint8_t *data)
{
    struct zkc_api api;
    if (zkc_load(&api) != 0) {
        fprintf(stderr, "coord-bench: libzookeeper_mt not usable\n");
        return 1;
    }
    api.set_debug_level(ZOO_LOG_LEVEL_ERROR);
    struct zclient *zs = calloc((size_t)o->clients, sizeof(*zs));
    if (zs == NULL)
        return 1;
    int rc = 1;
    int opened = 0;
    for (; opened < o->clients; opened++) {
        struct zclient *z = &zs[opened];
        z->o = o;
        z->api = &api;
        z->data = data;
        z->idx = opened;
        z->rng = 2463534242u + (uint32_t)opened * 7919u;
        pthread_mutex_init(&z->mu, NULL);
        z->sent = calloc((size_t)o->outstanding, sizeof(*z->sent));
        char hostport[128];
        snprintf(hostport, sizeof(hostport), "%s:%d",
                 o->ep[opened % o->neps].host, o->ep[opened % o->neps].port);
        z->zh = api.init(hostport, zkc_watcher, 30000, NULL, NULL, 0);
        if (z->sent == NULL || z->zh == NULL)
            goto out_close;
    }
    for (int i = 0; i < o->clients; i++) {
        unsigned waited = 0;
        while (api.state(zs[i].zh) != *api.connected_state) {
            if (waited++ > 10000) {
                fprintf(stderr, "coord-bench: zkc session %d failed\n", i);
                goto out_close;
            }
            sleep_ms(1);
        }
    }

    atomic_store(&zkc_phase, o->warmup > 0 ? PH_WARMUP : PH_RUN);
    for (int i = 0; i < o->clients; i++) {
        pthread_mutex_lock(&zs[i].mu);
        zkc_fill(&zs[i]);
        pthread_mutex_unlock(&zs[i].mu);
    }
    if (o->warmup > 0) {
        sleep_ms((unsigned)(o->warmup * 1000));
        atomic_store(&zkc_phase, PH_RUN);
    }
    double cpu0 = proc_cpu_us(o);
    uint64_t self0 = self_cpu_ns();
    uint64_t t0 = now_ns();
    uint64_t until = t0 + (uint64_t)(o->duration * 1e9);
    while (now_ns() < until) {
        uint64_t done = 0;
        for (int i = 0; i < o->clients; i++)
            done += atomic_load_explicit(&zs[i].done, memory_order_relaxed);
        if (done >= o->max_ops)
            break;
        sleep_ms(1);
    }
    atomic_store(&zkc_phase, PH_DRAIN);
    uint64_t t1 = now_ns();
    double cpu1 = proc_cpu_us(o);
    uint64_t self1 = self_cpu_ns();

    /* Untimed: wait (bounded) for in-flight completions before closing. */
    for (unsigned waited = 0; waited < 10000; waited++) {
        unsigned left = 0;
        for (int i = 0; i < o->clients; i++)
            left += atomic_load(&zs[i].live_inflight);
        if (left == 0)
            break;
        sleep_ms(1);
    }
    struct hist *h = calloc(1, sizeof(*h));
    uint64_t ops = 0, errors = 0;
    int first_err = 0;
    for (int i = 0; h != NULL && i < o->clients; i++) {
        pthread_mutex_lock(&zs[i].mu);
        hist_merge(h, &zs[i].h);
        ops += atomic_load(&zs[i].done);
        if (zs[i].errors && errors == 0)
            first_err = zs[i].first_err;
        errors += zs[i].errors;
        pthread_mutex_unlock(&zs[i].mu);
    }
    if (h != NULL)
        print_result(o, "zkc", ops, (double)(t1 - t0) / 1e9, h,
                     cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1,
                     (double)(self1 - self0) / 1e3, errors, first_err);
    free(h);
    rc = errors != 0;

out_close:
    for (int i = 0; i < opened; i++) {
        if (zs[i].zh != NULL)
            api.close(zs[i].zh);
        free(zs[i].sent);
        pthread_mutex_destroy(&zs[i].mu);
    }
    free(zs);
    return rc;
}
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: coord-bench [options]\n"
            "  --host ADDR          server address (127.0.0.1)\n"
            "  --port N             server port (2181)\n"
            "  --hosts LIST         several servers, [ADDR:]PORT,...: client i\n"
            "                       uses entry i %% n (replaces --host/--port)\n"
            "  --label NAME         name printed as server= (host:port)\n"
            "  --op OP              create|set|get|mixed|probe|write-probe\n"
            "                       (create)\n"
            "  --clients N          sessions, one connection each (1)\n"
            "  --outstanding K      requests in flight per connection (1)\n"
            "  --size BYTES         data size for create/set (100)\n"
            "  --duration S         timed window, or probe/load timeout (5)\n"
            "  --max-ops N          stop the window after N replies (10^9)\n"
            "  --warmup S           untimed load before the window (1)\n"
            "  --prefix PATH        fresh parent path for this run "
            "(/coord-bench-PID)\n"
            "  --server-pid PID[,PID...]  report the servers' summed CPU µs "
            "per op\n"
            "  --load N             create N znodes under PREFIX/pNNN/mNNNNNNN\n"
            "  --path PATH          node a probe reads, or write-probe creates\n"
            "  --since-ns NS        write-probe: count ms from this "
            "CLOCK_REALTIME\n"
            "                       (date +%%s%%N), not from its own start\n"
            "  --mode raw|zkc       raw connections or the C client (raw)\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static char default_prefix[64];
    static const struct option longs[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"label", required_argument, NULL, 'L'},
        {"op", required_argument, NULL, 'o'},
        {"clients", required_argument, NULL, 'c'},
        {"outstanding", required_argument, NULL, 'k'},
        {"size", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"max-ops", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'},
        {"prefix", required_argument, NULL, 'P'},
        {"server-pid", required_argument, NULL, 'S'},
        {"load", required_argument, NULL, 'l'},
        {"path", required_argument, NULL, 'r'},
        {"mode", required_argument, NULL, 'm'},
        {"hosts", required_argument, NULL, 'E'},
        {"since-ns", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct opts){.host = "127.0.0.1",
                       .port = 2181,
                       .op = W_CREATE,
                       .clients = 1,
                       .outstanding = 1,
                       .size = 100,
                       .duration = 5,
                       .warmup = 1,
                       .max_ops = 1000000000u};
    snprintf(default_prefix, sizeof(default_prefix), "/coord-bench-%d",
             (int)getpid());
    o->prefix = default_prefix;
    bool op_set = false;
    const char *hosts = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'h': o->host = optarg; break;
        case 'p': o->port = atoi(optarg); break;
        case 'L': o->label = optarg; break;
        case 'o': {
            int i;
            for (i = 0; i < W_WPROBE + 1; i++)
                if (strcmp(optarg, workload_names[i]) == 0)
                    break;
            if (i > W_WPROBE || i == W_LOAD) {
                fprintf(stderr, "coord-bench: unknown --op %s\n", optarg);
                return -1;
            }
            o->op = (enum workload)i;
            op_set = true;
            break;
        }
        case 'c': o->clients = atoi(optarg); break;
        case 'k': o->outstanding = atoi(optarg); break;
        case 's': o->size = atoi(optarg); break;
        case 'd': o->duration = atof(optarg); break;
        case 'n': o->max_ops = strtoull(optarg, NULL, 10); break;
        case 'w': o->warmup = atof(optarg); break;
        case 'P': o->prefix = optarg; break;
        case 'S': {
            char *p = optarg, *end;
            for (o->npids = 0; o->npids < MAX_SERVERS; o->npids++) {
                long v = strtol(p, &end, 10);
                if (end == p || v <= 0)
                    return -1;
                o->server_pid[o->npids] = (int)v;
                if (*end != ',')
                    break;
                p = end + 1;
            }
            if (*end != '\0')
                return -1;
            o->npids++;
            break;
        }
        case 'E': hosts = optarg; break;
        case 'T': o->since_ns = strtoll(optarg, NULL, 10); break;
        case 'l': o->load = strtoull(optarg, NULL, 10); break;
        case 'r': o->path = optarg; break;
        case 'm':
            if (strcmp(optarg, "raw") == 0)
                o->zkc = false;
            else if (strcmp(optarg, "zkc") == 0)
                o->zkc = true;
            else
                return -1;
            break;
        case 'H': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (hosts == NULL) {
        if (strlen(o->host) >= sizeof(o->ep[0].host))
            return -1;
        strcpy(o->ep[0].host, o->host);
        o->ep[0].port = o->port;
        o->neps = 1;
    } else {
        /* [ADDR:]PORT,[ADDR:]PORT,... */
        const char *p = hosts;
        for (o->neps = 0; *p != '\0'; o->neps++) {
            if (o->neps == MAX_SERVERS)
                return -1;
            struct endpoint *e = &o->ep[o->neps];
            size_t n = strcspn(p, ",");
            const char *colon = memchr(p, ':', n);
            size_t hl = colon ? (size_t)(colon - p) : strlen(o->host);
            if (hl == 0 || hl >= sizeof(e->host))
                return -1;
            memcpy(e->host, colon ? p : o->host, hl);
            e->host[hl] = '\0';
            char *end;
            long port = strtol(colon ? colon + 1 : p, &end, 10);
            if (end != p + n || port <= 0 || port > 65535)
                return -1;
            e->port = (int)port;
            p += n;
            if (*p == ',')
                p++;
        }
        if (o->neps == 0)
            return -1;
    }
    for (int i = 0; i < o->neps; i++) {
        struct in_addr a;
        if (inet_pton(AF_INET, o->ep[i].host, &a) != 1)
            return -1;
    }
    if (o->load > 0) {
        if (op_set) {
            fprintf(stderr, "coord-bench: --load replaces --op\n");
            return -1;
        }
        o->op = W_LOAD;
    }
    if (optind != argc || o->port <= 0 || o->port > 65535 ||
        o->clients < 1 || o->clients > 10000 || o->outstanding < 1 ||
        o->outstanding > 100000 || o->size < 0 || o->size > 1000000 ||
        o->duration <= 0 || o->warmup < 0 || o->max_ops == 0 ||
        o->prefix[0] != '/' ||
        ((o->op == W_PROBE || o->op == W_WPROBE) && o->path == NULL) ||
        (o->zkc && (o->op == W_LOAD || o->op >= W_PROBE)))
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_opts(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    init_open_acl();
    if (o.op == W_PROBE)
        return run_probe(&o);

    uint8_t *data = malloc((size_t)o.size + 16);
    if (data == NULL)
        return 1;
    memset(data, 'x', (size_t)o.size + 16);
    int rc;
    if (o.op == W_WPROBE) {
        rc = run_wprobe(&o, data);
    } else if (prepare_tree(&o, data) != 0) {
        rc = 1;
    } else if (o.zkc) {
#ifdef HAVE_ZKC
        rc = run_zkc(&o, data);
#else
        fprintf(stderr, "coord-bench: built without zookeeper/zookeeper.h\n");
        rc = 2;
#endif
    } else {
        rc = run_raw(&o, data);
    }
    free(data);
    return rc;
}
