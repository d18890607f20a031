/* The Zab driver: peer links, ticks, persistence and delivery around zab/. */
#include "server/ensemble.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "proto/err.h"
#include "proto/jute.h"
#include "proto/records.h"
#include "server/dynconfig.h"
#include "server/log.h"
#include "server/server.h"
#include "server/tls.h"
#include "zab/zab.h"

enum {
    F_HELLO = 1, /* "CZAB", u32 version, u64 sid */
    F_ZAB,       /* an engine message */
    F_SNAP,      /* u64 zxid, the tree image at it */
    F_FWD,       /* learner -> leader: u64 tag, encoded txn */
    F_FWD_ACK,   /* leader -> learner: u64 tag, u64 zxid given to it */
    F_FWD_ERR,   /* leader -> learner: u64 tag, i32 error */
    F_TOUCH,     /* learner -> leader: i64 session ids with activity */
    F_SYNC,      /* learner -> leader: u64 tag */
    F_SYNC_OK,   /* leader -> learner: u64 tag, u64 zxid to wait for */
};

#define PEER_VERSION 1
#define HELLO_LEN 17
/* A peer that stops reading (stopped, partitioned) is cut off past this. */
#define OUT_MAX ((size_t)256 << 20)
#define RETRY_MS 200
/* A server dials the peers with higher ids; one with a lower id that has
 * not dialed it this long may not know it yet (a server joining by
 * reconfig is in no one's configuration): then it dials that one too. */
#define DIAL_GRACE_MS 2000
/* The active configuration, as ZooKeeper keeps zoo.cfg.dynamic: its text
 * and a version line, replaced whenever it changes. */
#define CONFIG_FILE "dynamicConfig"
/* R-FLE-1: an empty dataDir votes only with this marker (a new ensemble's
 * first start, as ZooKeeper's zkServer-initialize.sh writes it); removed
 * once the server has served, when its disk holds an epoch anyway. */
#define INIT_FILE "initialize"

struct link {
    struct source src; /* first: the loop hands us the source */
    struct ensemble *e;
    int idx;           /* member index, -1 until its HELLO */
    bool connecting;   /* outgoing, connect() in progress */
    bool dialed;       /* I made it (else accepted) */
    bool up;           /* PEER_UP reported */
    struct buf in, out;
    size_t out_sent;
    uint32_t events;
    struct link *next; /* all links */
    /* sslQuorum: the frames go through TLS. OpenSSL may need to write to
     * read or the reverse; plain links keep EPOLLIN and EPOLLOUT here. */
    SSL *ssl;
    bool handshaking;     /* no frames flow until it is done */
    bool sniffed;         /* accepted: its first byte was looked at */
    uint32_t read_wants;  /* the event the next read waits for */
    uint32_t write_wants; /* ... and the next write */
    int64_t deadline_ms;  /* the handshake is given up past this */
    char addr[64];        /* the peer's address, for log lines */
};

struct member {
    zab_sid id;
    bool listed;       /* in the active or pending configuration: dialed */
    char *host;        /* where this server reaches it; NULL: a server that
                        * dialed in and is in no configuration (yet) */
    int port;
    struct link *link; /* the established link, if any */
    int64_t retry_ms;
    int64_t unlinked_ms; /* without a link since */
};

struct pend {
    int kind;
    zab_zxid zxid;
    zab_epoch epoch;
    uint8_t *data; /* an append not yet handed to the store */
    size_t len;
};

/* Leader: writes and syncs waiting to be proposed, in arrival order. */
struct work {
    struct work *next;
    struct req *req;  /* a local request, or NULL */
    zab_sid from;     /* a learner's, with its tag */
    uint64_t tag;
    bool sync;
    uint8_t *data;    /* remote writes: the txn */
    size_t len;
};

/* Learner: requests sent to the leader, awaiting their zxid. */
struct fwd {
    struct fwd *next;
    struct req *req;
    uint64_t tag;
    bool sync;
};

struct deferred {
    int type;
    zab_zxid zxid;
};

struct ensemble {
    struct server *srv;
    struct zab z;
    struct zab_config zc;
    bool started;
    struct source listener;
    struct member m[ZAB_MAX_MEMBERS];
    size_t n;
    int me;
    /* the active configuration's text (no version line) until zab_init
     * copies it; then the version last written to CONFIG_FILE */
    struct buf cfg_text;
    uint64_t cfg_version;
    bool init_removed; /* INIT_FILE gone (R-FLE-1) */
    struct link *links;

    /* boot */
    struct zab_record *boot;
    size_t n_boot, cap_boot;
    uint32_t accepted_epoch, current_epoch;

    /* persist requests, oldest first */
    struct pend *pq;
    size_t pq_head, pq_n, pq_cap;
    size_t pq_issued; /* the first pq_issued are appends the store has */
    int64_t durable;

    bool in_step;
    struct deferred *defer;
    size_t defer_head, n_defer, cap_defer; /* defer[head..n) wait */

    struct work *work_head, *work_tail;
    struct fwd *fwd_head, *fwd_tail;
    uint64_t next_tag;

    int64_t next_tick_ms;
    int64_t next_touch_ms;
    bool serving;
    int role;
    zab_sid leader;
    int64_t looking_since_ms;
    uint64_t elections;
    int64_t last_election_ms; /* how long the last one took */
    int64_t refused_log_ms;   /* refused links: next warning line at */
    unsigned refused_quiet;   /* ... and how many since the last one */
};

/* --- helpers ------------------------------------------------------------ */

static void tracer(void *ctx, const char *line)
{
    (void)ctx;
    log_info("%s", line);
}

static struct member *member_of(struct ensemble *e, zab_sid id)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->m[i].id == id)
            return &e->m[i];
    return NULL;
}

/* The member with this id, added (unlisted, no address) if new; NULL when
 * the table is full. */
static struct member *member_add(struct ensemble *e, zab_sid id)
{
    struct member *m = member_of(e, id);
    if (m != NULL)
        return m;
    if (e->n < ZAB_MAX_MEMBERS) {
        m = &e->m[e->n++];
    } else {
        /* full: reuse a server in no configuration and without a link (one
         * that dialed in once, say) */
        for (size_t i = 0; i < e->n && m == NULL; i++)
            if ((int)i != e->me && !e->m[i].listed && e->m[i].link == NULL)
                m = &e->m[i];
        if (m == NULL)
            return NULL;
        for (struct link *l = e->links; l; l = l->next)
            if (l->idx == (int)(m - e->m))
                l->idx = -1; /* closed already; reaped later */
        free(m->host);
    }
    memset(m, 0, sizeof *m);
    m->id = id;
    m->unlinked_ms = server_mono_ms();
    return m;
}

/* Points m at a server line's peer address (keeping its link). */
static int member_address(struct member *m,
                          const struct coord_config_server *s)
{
    if (m->host != NULL && strcmp(m->host, s->host) == 0 &&
        m->port == s->peer_port)
        return 0;
    char *h = strdup(s->host);
    if (h == NULL)
        return COORD_ENOMEM;
    free(m->host);
    m->host = h;
    m->port = s->peer_port;
    return 0;
}

/* Lists (for dialing) the servers of one configuration text. */
static int members_list(struct ensemble *e, const uint8_t *text, size_t len)
{
    struct dyncfg d;
    char err[160];
    int rc = dyncfg_parse((const char *)text, len, &d, NULL, err, sizeof err);
    if (rc != 0) {
        log_error("ensemble: bad configuration text err=\"%s\"", err);
        return rc;
    }
    for (size_t i = 0; i < d.n && rc == 0; i++) {
        struct member *m = member_add(e, (zab_sid)d.s[i].id);
        if (m == NULL) {
            rc = COORD_EINVAL;
            break;
        }
        m->listed = true;
        /* my own address is where I listen: never moved under me */
        if (m != &e->m[e->me] || m->host == NULL)
            rc = member_address(m, &d.s[i]);
    }
    dyncfg_free(&d);
    return rc;
}

/* The engine's configurations moved: dial who they list, and keep the
 * active one in CONFIG_FILE (read back at the next start). */
static void config_update(struct ensemble *e)
{
    const struct zab_cfgstate *a = zab_active_config(&e->z);
    const struct zab_cfgstate *p = zab_pending_config(&e->z);
    for (size_t i = 0; i < e->n; i++)
        e->m[i].listed = false;
    e->m[e->me].listed = true;
    if (members_list(e, a->text, a->len) != 0 ||
        (p != NULL && members_list(e, p->text, p->len) != 0))
        log_error("ensemble: cannot take the new configuration's servers");
    if (a->m.version == e->cfg_version)
        return;
    struct buf b;
    buf_init(&b, SIZE_MAX);
    buf_append(&b, a->text, a->len);
    buf_printf(&b, "version=%llx\n", (unsigned long long)a->m.version);
    if (b.err == 0 &&
        store_write_file(e->srv->store, CONFIG_FILE, b.base, b.len) == 0)
        e->cfg_version = a->m.version;
    buf_close(&b);
    log_info("ensemble: configuration version=0x%llx members=%u%s",
             (unsigned long long)a->m.version, a->m.n,
             p ? " (another pending)" : "");
}

/* An encoded tree_txn of type RECONFIG? Its type sits at a fixed offset
 * (tree/txn.c): most txns need no decoding to tell. */
static bool is_reconfig_txn(const uint8_t *txn, size_t len)
{
    return len >= 29 && jute_be32(txn + 25) == (uint32_t)COORD_OP_RECONFIG;
}

/* txn_config for the engine: a leader's reconfig txn that passed its
 * checks (tree.h: body = {int err = 0; text}). */
static bool txn_config(void *ctx, const uint8_t *txn, size_t len,
                       const uint8_t **text, size_t *text_len)
{
    (void)ctx;
    if (!is_reconfig_txn(txn, len))
        return false;
    struct tree_txn t;
    if (tree_txn_decode(txn, len, &t) != 0 || t.type != COORD_OP_RECONFIG ||
        t.body.len < 4 || jute_be32((const uint8_t *)t.body.p) != 0)
        return false;
    *text = (const uint8_t *)t.body.p + 4;
    *text_len = (size_t)t.body.len - 4;
    return true;
}

/* The engine's view of a configuration: ids and roles; -1 if it has no
 * member or more than the engine takes. */
static int members_of(const struct dyncfg *d, struct zab_membership *out)
{
    if (d->n == 0 || d->n > ZAB_MAX_MEMBERS)
        return -1;
    out->n = 0;
    for (size_t i = 0; i < d->n; i++)
        out->members[out->n++] = (struct zab_member){
            (zab_sid)d->s[i].id, d->s[i].observer ? ZAB_OBSERVER : ZAB_VOTER};
    return 0;
}

static int parse_members(const uint8_t *text, size_t len,
                         struct zab_membership *out)
{
    struct dyncfg d;
    char err[160];
    if (dyncfg_parse((const char *)text, len, &d, NULL, err, sizeof err) != 0)
        return -1;
    int rc = members_of(&d, out);
    dyncfg_free(&d);
    return rc;
}

static int parse_config(void *ctx, const uint8_t *text, size_t len,
                        struct zab_membership *out)
{
    (void)ctx;
    return parse_members(text, len, out);
}

static void put_frame_head(struct buf *b, uint8_t type, size_t len)
{
    uint8_t h[5];
    jute_wbe32(h, (uint32_t)(len + 1));
    h[4] = type;
    buf_append(b, h, 5);
}

static void link_close(struct link *l, const char *why);
static void link_flush(struct link *l);
static void step(struct ensemble *e, const struct zab_event *ev);
static void carry_out(struct ensemble *e, const struct zab_update *u);
static void after_step(struct ensemble *e);

static void link_want(struct link *l)
{
    uint32_t ev;
    if (l->connecting) {
        ev = EPOLLIN | EPOLLOUT;
    } else if (l->handshaking) {
        ev = l->read_wants;
    } else {
        ev = EPOLLIN | l->read_wants;
        if (l->out_sent < l->out.len)
            ev |= l->write_wants;
    }
    if (ev != l->events) {
        l->events = ev;
        server_watch(l->e->srv, &l->src, ev, false);
    }
}

/* Queues a frame (and writes what the socket takes now). */
static void send_frame(struct ensemble *e, zab_sid to, uint8_t type,
                       const void *a, size_t alen, const void *b, size_t blen)
{
    struct member *m = member_of(e, to);
    if (m == NULL || m->link == NULL || !m->link->up)
        return; /* the engine resends what matters after PEER_UP */
    struct link *l = m->link;
    if (l->out.len - l->out_sent + alen + blen > OUT_MAX) {
        log_warn("ensemble: peer not reading, dropping link sid=%llu",
                 (unsigned long long)to);
        link_close(l, "output full");
        return;
    }
    put_frame_head(&l->out, type, alen + blen);
    if (alen)
        buf_append(&l->out, a, alen);
    if (blen)
        buf_append(&l->out, b, blen);
    if (l->out.err) {
        link_close(l, "out of memory");
        return;
    }
    /* Written at the end of the loop turn (ensemble_flush), so a turn's
     * proposals, commits and answers to one peer share a send; a large
     * backlog goes at once. */
    if (l->out.len - l->out_sent >= (256u << 10))
        link_flush(l);
}

static void send_tag(struct ensemble *e, zab_sid to, uint8_t type,
                     uint64_t tag, uint64_t v, size_t vlen)
{
    uint8_t p[16];
    jute_wbe64(p, tag);
    if (vlen == 8)
        jute_wbe64(p + 8, v);
    else
        jute_wbe32(p + 8, (uint32_t)v);
    send_frame(e, to, type, p, 8 + vlen, NULL, 0);
}

/* --- links ---------------------------------------------------------------- */

static void peer_event(struct ensemble *e, int type, zab_sid id)
{
    struct zab_event ev = {.type = type};
    ev.peer.id = id;
    step(e, &ev);
}

static void fail_forwarded(struct ensemble *e);

static void link_close(struct link *l, const char *why)
{
    struct ensemble *e = l->e;
    if (l->src.fd < 0)
        return;
    epoll_ctl(e->srv->epfd, EPOLL_CTL_DEL, l->src.fd, NULL);
    close(l->src.fd);
    l->src.fd = -1;
    struct member *m = l->idx >= 0 ? &e->m[l->idx] : NULL;
    bool was_up = l->up;
    l->up = false;
    if (m && m->link == l) {
        m->link = NULL;
        m->retry_ms = server_mono_ms() + RETRY_MS;
        m->unlinked_ms = server_mono_ms();
    }
    if (m && was_up)
        log_info("ensemble: link down sid=%llu why=%s",
                 (unsigned long long)m->id, why);
    if (was_up && m) {
        if (m->id == zab_leader_id(&e->z) && !ensemble_leading(e))
            fail_forwarded(e);
        peer_event(e, ZAB_EV_PEER_DOWN, m->id);
    }
}

/* Frees links closed earlier (never while one of them is being handled). */
static void links_reap(struct ensemble *e)
{
    for (struct link **pp = &e->links; *pp;) {
        struct link *l = *pp;
        if (l->src.fd >= 0) {
            pp = &l->next;
            continue;
        }
        *pp = l->next;
        SSL_free(l->ssl);
        buf_close(&l->in);
        buf_close(&l->out);
        free(l);
    }
}

/* --- TLS (sslQuorum) ------------------------------------------------------- */


/* Like recv(2) and send(2), through TLS when the link has it. */
static ssize_t link_recv(struct link *l, void *p, size_t n)
{
    if (l->ssl == NULL)
        return recv(l->src.fd, p, n, 0);
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(l->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) {
        l->read_wants = EPOLLIN;
        return r;
    }
    return tls_io_status(l->ssl, r, &l->read_wants);
}

/* An unfinished TLS write is retried with the same bytes at the head of
 * l->out, which may have grown or moved (the context allows both). */
static ssize_t link_send(struct link *l, const void *p, size_t n)
{
    if (l->ssl == NULL)
        return send(l->src.fd, p, n, MSG_NOSIGNAL);
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(l->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) {
        l->write_wants = EPOLLOUT;
        return r;
    }
    if (tls_io_status(l->ssl, r, &l->write_wants) == 0)
        errno = EPIPE;
    return -1;
}

/* Who is at the other end, for a log line. */
static const char *link_name(struct link *l, char *buf, size_t len)
{
    if (l->idx >= 0)
        snprintf(buf, len, "sid=%llu peer=%s",
                 (unsigned long long)l->e->m[l->idx].id, l->addr);
    else
        snprintf(buf, len, "peer=%s", l->addr);
    return buf;
}

/* Closes a link that could not be set up, saying why: a warning line at
 * most once a second (a misconfigured peer fails at every retry), debug
 * lines for the rest. */
static void link_refuse(struct link *l, const char *fmt, ...)
{
    struct ensemble *e = l->e;
    char msg[512], name[128], more[64] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    link_name(l, name, sizeof name);
    int64_t now = server_mono_ms();
    if (now >= e->refused_log_ms) {
        if (e->refused_quiet > 0)
            snprintf(more, sizeof more, " (%u more since the last line)",
                     e->refused_quiet);
        log_warn("ensemble: peer link refused %s %s%s", name, msg, more);
        e->refused_log_ms = now + 1000;
        e->refused_quiet = 0;
    } else {
        log_debug("ensemble: peer link refused %s %s", name, msg);
        e->refused_quiet++;
    }
    link_close(l, "refused");
}

static int64_t handshake_ms(const struct ensemble *e)
{
    int64_t t = (int64_t)e->zc.tick_ms * e->zc.sync_limit;
    return t < 2000 ? 2000 : t;
}

/* Puts a new link under TLS: a dialed one verifies the peer's certificate
 * against ssl.caFile, an accepted one requires one (whatever
 * ssl.clientAuth says); both present ours. The context is the current
 * srv->tls_ctx, so a SIGHUP reload applies to the next links. */
static bool link_tls(struct link *l, bool dialed)
{
    l->ssl = SSL_new(l->e->srv->tls_ctx);
    if (l->ssl == NULL || SSL_set_fd(l->ssl, l->src.fd) != 1) {
        char why[256];
        log_warn("ensemble: cannot start tls reason=%s",
                 tls_last_error(why, sizeof why));
        return false;
    }
    if (dialed) {
        SSL_set_connect_state(l->ssl);
        SSL_set_verify(l->ssl, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_set_accept_state(l->ssl);
        SSL_set_verify(l->ssl,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    }
    l->handshaking = true;
    l->deadline_ms = server_mono_ms() + handshake_ms(l->e);
    return true;
}

static void link_up(struct link *l, struct member *m);

/* Advances the TLS handshake; true once frames can flow. A dialed link
 * comes up here; an accepted one, as without TLS, with its HELLO. */
static bool link_handshake(struct link *l)
{
    bool dialed = l->idx >= 0;
    if (!dialed && !l->sniffed) {
        uint8_t b;
        if (recv(l->src.fd, &b, 1, MSG_PEEK) == 1) {
            l->sniffed = true;
            if (b != 0x16) { /* a TLS record starts with 0x16 (handshake) */
                link_refuse(l, "reason=\"plaintext peer (sslQuorum=true "
                               "here, every server needs it)\"");
                return false;
            }
        }
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(l->ssl);
    char name[128];
    if (r == 1) {
        l->handshaking = false;
        l->read_wants = EPOLLIN;
        log_info("ensemble: tls link %s %s version=%s cipher=%s",
                 dialed ? "to" : "from", link_name(l, name, sizeof name),
                 SSL_get_version(l->ssl), SSL_get_cipher_name(l->ssl));
        if (dialed) {
            link_up(l, &l->e->m[l->idx]);
            link_flush(l); /* our HELLO, queued by dial() */
        } else {
            link_want(l);
        }
        return l->src.fd >= 0;
    }
    if (tls_io_status(l->ssl, r, &l->read_wants) < 0 && errno == EAGAIN) {
        link_want(l);
        return false;
    }
    char why[256];
    bool queued = ERR_peek_last_error() != 0;
    tls_last_error(why, sizeof why);
    long v = SSL_get_verify_result(l->ssl);
    link_refuse(l, "reason=\"tls handshake failed: %s\"%s%s%s",
                queued ? why : "connection closed by the peer",
                v != X509_V_OK ? " verify=\"" : "",
                v != X509_V_OK ? X509_verify_cert_error_string(v) : "",
                v != X509_V_OK ? "\"" : "");
    return false;
}

/* --- links, continued -------------------------------------------------------- */

static void link_flush(struct link *l)
{
    while (l->src.fd >= 0 && !l->connecting && !l->handshaking &&
           l->out_sent < l->out.len) {
        ssize_t n = link_send(l, l->out.base + l->out_sent,
                              l->out.len - l->out_sent);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                link_close(l, l->ssl ? "tls write failed" : "write failed");
            break;
        }
        l->out_sent += (size_t)n;
    }
    if (l->src.fd < 0)
        return;
    if (l->out_sent == l->out.len) {
        buf_reset(&l->out);
        l->out_sent = 0;
    } else if (l->out_sent > (1u << 20)) {
        buf_consume(&l->out, l->out_sent);
        l->out_sent = 0;
    }
    link_want(l);
}

static void link_up(struct link *l, struct member *m)
{
    struct ensemble *e = l->e;
    if (m->link && m->link != l)
        link_close(m->link, "replaced by a new connection");
    m->link = l;
    l->idx = (int)(m - e->m);
    l->up = true;
    log_info("ensemble: link up sid=%llu", (unsigned long long)m->id);
    peer_event(e, ZAB_EV_PEER_UP, m->id);
}

static void on_link(struct server *srv, struct source *src, uint32_t events);

static struct link *link_new(struct ensemble *e, int fd)
{
    struct link *l = calloc(1, sizeof *l);
    if (l == NULL) {
        close(fd);
        return NULL;
    }
    l->e = e;
    l->idx = -1;
    l->src.fd = fd;
    l->src.on_event = on_link;
    l->read_wants = EPOLLIN;
    l->write_wants = EPOLLOUT;
    buf_init(&l->in, (size_t)UINT32_MAX + 64);
    buf_init(&l->out, SIZE_MAX);
    l->next = e->links;
    e->links = l;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return l;
}

static void dial(struct ensemble *e, struct member *m, int64_t now)
{
    m->retry_ms = now + RETRY_MS;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    char port[16];
    snprintf(port, sizeof port, "%d", m->port);
    struct addrinfo *ai = NULL;
    if (getaddrinfo(m->host, port, &hints, &ai) != 0 || ai == NULL)
        return;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno != EINPROGRESS) {
        close(fd);
        return;
    }
    struct link *l = link_new(e, fd);
    if (l == NULL)
        return;
    if (e->srv->cfg->ssl_quorum && !link_tls(l, true)) {
        close(fd);
        l->src.fd = -1; /* reaped */
        return;
    }
    l->idx = (int)(m - e->m);
    l->connecting = true;
    l->dialed = true;
    snprintf(l->addr, sizeof l->addr, "%s:%d", m->host, m->port);
    m->link = l;
    uint8_t h[HELLO_LEN - 1];
    memcpy(h, "CZAB", 4);
    jute_wbe32(h + 4, PEER_VERSION);
    jute_wbe64(h + 8, e->m[e->me].id);
    put_frame_head(&l->out, F_HELLO, sizeof h);
    buf_append(&l->out, h, sizeof h);
    l->events = EPOLLIN | EPOLLOUT;
    struct epoll_event ev = {.events = l->events, .data.ptr = &l->src};
    epoll_ctl(e->srv->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void on_peer_accept(struct server *srv, struct source *src,
                           uint32_t events)
{
    (void)events;
    struct ensemble *e = srv->ens;
    for (int i = 0; i < 16; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(src->fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct link *l = link_new(e, fd);
        if (l == NULL)
            continue;
        char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv,
                    sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(l->addr, sizeof l->addr, "%s:%s", host, serv);
        if (e->srv->cfg->ssl_quorum && !link_tls(l, false)) {
            close(fd);
            l->src.fd = -1; /* reaped */
            continue;
        }
        l->events = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->src};
        epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void handle_frame(struct link *l, uint8_t type, const uint8_t *p,
                         size_t n);

static void link_read(struct link *l)
{
    /* epoll reports the socket again, but not what OpenSSL holds */
    for (int rounds = 0;
         (rounds < 64 || (l->ssl && SSL_has_pending(l->ssl))) &&
         l->src.fd >= 0;
         rounds++) {
        if (buf_reserve(&l->in, 1 << 16) != 0) {
            link_close(l, "input too large");
            return;
        }
        ssize_t n = link_recv(l, l->in.base + l->in.len,
                              l->in.cap - l->in.len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                char why[300], err[256];
                snprintf(why, sizeof why, "tls read failed: %s",
                         tls_last_error(err, sizeof err));
                link_close(l, l->ssl ? why : "read failed");
            } else if (l->ssl) {
                link_want(l); /* OpenSSL may wait for writability */
            }
            return;
        }
        if (n == 0) {
            link_close(l, "closed by peer");
            return;
        }
        l->in.len += (size_t)n;
        if (l->ssl == NULL && l->idx < 0 && l->in.base[0] == 0x16) {
            /* a TLS record where a HELLO frame (00 00 00 11 01) belongs */
            link_refuse(l, "reason=\"peer speaks TLS (sslQuorum=true "
                           "there, not here)\"");
            return;
        }
        size_t off = 0;
        while (l->src.fd >= 0 && l->in.len - off >= 4) {
            uint32_t len = jute_be32(l->in.base + off);
            if (len == 0) {
                link_close(l, "empty frame");
                return;
            }
            if (l->in.len - off - 4 < len) {
                /* make room for the whole frame at once */
                if (buf_reserve(&l->in, (size_t)len + 4 - (l->in.len - off)) !=
                    0) {
                    link_close(l, "frame too large");
                    return;
                }
                break;
            }
            const uint8_t *f = l->in.base + off + 4;
            off += 4 + (size_t)len;
            handle_frame(l, f[0], f + 1, len - 1);
        }
        if (l->src.fd < 0)
            return;
        buf_consume(&l->in, off);
    }
}

static void on_link(struct server *srv, struct source *src, uint32_t events)
{
    (void)srv;
    struct link *l = (struct link *)src;
    if (l->connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t sl = sizeof err;
        getsockopt(l->src.fd, SOL_SOCKET, SO_ERROR, &err, &sl);
        if (err != 0) {
            struct member *m = &l->e->m[l->idx];
            if (m->link == l)
                m->link = NULL;
            l->idx = -1; /* never up: nothing to report */
            epoll_ctl(l->e->srv->epfd, EPOLL_CTL_DEL, l->src.fd, NULL);
            close(l->src.fd);
            l->src.fd = -1;
            return;
        }
        l->connecting = false;
        if (l->ssl == NULL) {
            link_up(l, &l->e->m[l->idx]);
            link_flush(l);
            if (l->src.fd < 0)
                return;
            events &= ~(uint32_t)EPOLLOUT; /* just flushed */
        } /* with TLS, the handshake starts below */
    }
    if (l->ssl) {
        if (l->handshaking && !link_handshake(l))
            return;
        /* OpenSSL may write to read or read to write: try both ways */
        events |= EPOLLIN;
        if (l->out_sent < l->out.len)
            events |= EPOLLOUT;
    }
    if (events & EPOLLOUT)
        link_flush(l);
    if (l->src.fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        link_read(l);
}

/* --- the persist stream --------------------------------------------------- */

static void defer_event(struct ensemble *e, int type, zab_zxid zxid)
{
    if (e->defer_head > 0 && e->defer_head == e->n_defer)
        e->defer_head = e->n_defer = 0;
    if (e->n_defer == e->cap_defer && e->defer_head > 0) {
        memmove(e->defer, e->defer + e->defer_head,
                (e->n_defer - e->defer_head) * sizeof *e->defer);
        e->n_defer -= e->defer_head;
        e->defer_head = 0;
    }
    if (e->n_defer == e->cap_defer) {
        size_t cap = e->cap_defer ? e->cap_defer * 2 : 16;
        struct deferred *d = realloc(e->defer, cap * sizeof *d);
        if (d == NULL) {
            log_error("ensemble: out of memory");
            exit(70);
        }
        e->defer = d;
        e->cap_defer = cap;
    }
    e->defer[e->n_defer++] = (struct deferred){type, zxid};
}

static void fatal_store(struct ensemble *e, int rc)
{
    log_error("ensemble: the store failed, stopping err=%s",
              coord_strerror(rc));
    e->srv->running = false;
    e->srv->exit_code = 1;
}

/* Hands a log record to the store's writer. zxids only increase there: a
 * lower one is a bug of this file's ordering, not bad input. */
static bool append_to_store(struct ensemble *e, zab_zxid zxid,
                            const uint8_t *data, size_t len)
{
    int64_t last = store_last_appended(e->srv->store);
    if ((int64_t)zxid <= last) {
        log_error("ensemble: append zxid=0x%llx after 0x%llx",
                  (unsigned long long)zxid, (unsigned long long)last);
        abort();
    }
    int rc = store_append(e->srv->store, (int64_t)zxid, data, len);
    if (rc != 0) {
        fatal_store(e, rc);
        return false;
    }
    e->srv->log_bytes_since_snap += len + 16;
    return true;
}

/* A queued append goes to the store; its copy is no longer needed. */
static bool issue(struct ensemble *e, struct pend *p)
{
    if (!append_to_store(e, p->zxid, p->data, p->len))
        return false;
    free(p->data);
    p->data = NULL;
    return true;
}

/* Carries out what is at the head of the persist stream as far as it can,
 * queuing the reports (in order) as deferred events. */
static void pq_advance(struct ensemble *e)
{
    while (e->pq_n > 0 && e->srv->running) {
        struct pend *p = &e->pq[e->pq_head];
        if (p->kind == ZAB_PERSIST_APPEND) {
            /* The run of appends at the head may all go to the store
             * (each is issued once: issued ones are a prefix). */
            while (e->pq_issued < e->pq_n &&
                   e->pq[e->pq_head + e->pq_issued].kind ==
                       ZAB_PERSIST_APPEND) {
                if (!issue(e, &e->pq[e->pq_head + e->pq_issued]))
                    return;
                e->pq_issued++;
            }
            if ((int64_t)p->zxid > e->durable)
                return;
            zab_zxid z = p->zxid;
            e->pq_head++;
            e->pq_n--;
            e->pq_issued--;
            /* one report covers a run of appends */
            if (e->pq_n == 0 || e->pq[e->pq_head].kind != ZAB_PERSIST_APPEND ||
                (int64_t)e->pq[e->pq_head].zxid > e->durable)
                defer_event(e, ZAB_EV_PERSISTED, z);
            continue;
        }
        /* Everything before is durable: carry this out now. */
        int rc = 0;
        struct store *st = e->srv->store;
        if (p->kind == ZAB_PERSIST_TRUNCATE) {
            rc = store_truncate(st, (int64_t)p->zxid);
            e->durable = store_last_appended(st);
            if (rc == 0)
                defer_event(e, ZAB_EV_PERSISTED, p->zxid);
        } else {
            bool acc = p->kind == ZAB_PERSIST_ACCEPTED_EPOCH;
            rc = store_write_epoch(st, acc ? "acceptedEpoch" : "currentEpoch",
                                   p->epoch);
            if (rc == 0) {
                if (acc)
                    e->accepted_epoch = p->epoch;
                else
                    e->current_epoch = p->epoch;
                defer_event(e, ZAB_EV_EPOCH_PERSISTED, 0);
            }
        }
        if (rc != 0) {
            fatal_store(e, rc);
            return;
        }
        e->pq_head++;
        e->pq_n--;
    }
    if (e->pq_n == 0)
        e->pq_head = 0;
}

static void pq_push(struct ensemble *e, const struct zab_persist *p)
{
    if (e->pq_head + e->pq_n == e->pq_cap) {
        if (e->pq_head > 0) {
            memmove(e->pq, e->pq + e->pq_head, e->pq_n * sizeof *e->pq);
            e->pq_head = 0;
        }
        if (e->pq_n == e->pq_cap) {
            size_t cap = e->pq_cap ? e->pq_cap * 2 : 256;
            struct pend *v = realloc(e->pq, cap * sizeof *v);
            if (v == NULL) {
                log_error("ensemble: out of memory");
                exit(70);
            }
            e->pq = v;
            e->pq_cap = cap;
        }
    }
    struct pend *q = &e->pq[e->pq_head + e->pq_n];
    *q = (struct pend){.kind = p->kind, .zxid = p->zxid, .epoch = p->epoch};
    /* An append goes to the store at once when nothing but appends is
     * ahead of it; otherwise it waits, with its own copy. */
    bool direct = p->kind == ZAB_PERSIST_APPEND && e->pq_issued == e->pq_n;
    e->pq_n++;
    if (p->kind != ZAB_PERSIST_APPEND)
        return;
    if (direct) {
        if (!append_to_store(e, p->zxid, p->data, p->len))
            return;
        e->pq_issued++;
        return;
    }
    q->data = malloc(p->len ? p->len : 1);
    if (q->data == NULL) {
        log_error("ensemble: out of memory");
        exit(70);
    }
    memcpy(q->data, p->data, p->len);
    q->len = p->len;
}

static void pq_clear(struct ensemble *e)
{
    for (size_t i = 0; i < e->pq_n; i++)
        free(e->pq[e->pq_head + i].data);
    e->pq_head = e->pq_n = e->pq_issued = 0;
}

/* --- snapshots ------------------------------------------------------------ */

static int image_put(void *ctx, const void *p, size_t n)
{
    struct buf *b = ctx;
    return buf_append(b, p, n);
}

static void send_snapshot(struct ensemble *e, zab_sid to, zab_zxid zxid)
{
    struct server *srv = e->srv;
    if ((zab_zxid)tree_last_zxid(srv->tree) != zxid)
        log_warn("ensemble: snapshot for sid=%llu at zxid=0x%llx but the "
                 "tree is at 0x%llx",
                 (unsigned long long)to, (unsigned long long)zxid,
                 (unsigned long long)tree_last_zxid(srv->tree));
    struct buf img;
    buf_init(&img, UINT32_MAX - 64);
    uint8_t h[8];
    jute_wbe64(h, zxid);
    buf_append(&img, h, 8);
    int rc = tree_snapshot_save(srv->tree, image_put, &img);
    if (rc != 0 || img.err != 0) {
        log_error("ensemble: cannot build snapshot for sid=%llu err=%s",
                  (unsigned long long)to,
                  coord_strerror(rc ? rc : img.err));
        buf_close(&img);
        struct member *m = member_of(e, to);
        if (m && m->link)
            link_close(m->link, "snapshot failed");
        return;
    }
    log_info("ensemble: sending snapshot sid=%llu zxid=0x%llx bytes=%zu",
             (unsigned long long)to, (unsigned long long)zxid, img.len);
    send_frame(e, to, F_SNAP, img.base, img.len, NULL, 0);
    buf_close(&img);
}

struct image_in {
    const uint8_t *p;
    size_t left;
};

static int image_get(void *ctx, void *p, size_t n)
{
    struct image_in *in = ctx;
    if (n > in->left)
        return COORD_ECORRUPT;
    memcpy(p, in->p, n);
    in->p += n;
    in->left -= n;
    return 0;
}

static int image_save(void *ctx, store_out_fn out, void *out_ctx)
{
    const struct image_in *img = ctx;
    return out(out_ctx, img->p, img->left);
}

/* SNAP sync: the leader's state replaces ours. */
static void receive_snapshot(struct ensemble *e, struct link *l,
                             const uint8_t *p, size_t n)
{
    struct server *srv = e->srv;
    zab_zxid want;
    if (n < 8 || !zab_snapshot_wanted(&e->z, &want) ||
        jute_be64(p) != want) {
        log_warn("ensemble: unexpected snapshot ignored");
        return;
    }
    struct image_in in = {p + 8, n - 8};
    struct tree *t = server_tree_new(srv);
    if (t == NULL || tree_snapshot_load(t, image_get, &in) != 0 ||
        (zab_zxid)tree_last_zxid(t) != want) {
        log_error("ensemble: bad snapshot from sid=%llu",
                  (unsigned long long)e->m[l->idx].id);
        if (t)
            tree_free(t);
        link_close(l, "bad snapshot");
        return;
    }
    server_tree_replace(srv, t);
    /* What the engine asked to persist and was not told about is void. */
    pq_clear(e);
    struct image_in img = {p + 8, n - 8};
    int rc = store_install_snapshot(srv->store, (int64_t)want, image_save,
                                    &img);
    if (rc != 0) {
        fatal_store(e, rc);
        return;
    }
    srv->last_snap_zxid = (int64_t)want;
    srv->log_bytes_since_snap = 0;
    e->durable = (int64_t)want;
    log_info("ensemble: installed snapshot zxid=0x%llx bytes=%zu",
             (unsigned long long)want, n - 8);
    struct zab_event ev = {.type = ZAB_EV_SNAPSHOT_LOADED};
    ev.snapshot.zxid = want;
    step(e, &ev);
}

/* --- requests --------------------------------------------------------------- */

static void work_push(struct ensemble *e, struct work *w)
{
    w->next = NULL;
    if (e->work_tail)
        e->work_tail->next = w;
    else
        e->work_head = w;
    e->work_tail = w;
}

static void fwd_push(struct ensemble *e, struct req *req, bool sync,
                     uint64_t tag)
{
    struct fwd *f = calloc(1, sizeof *f);
    if (f == NULL) {
        log_error("ensemble: out of memory");
        exit(70);
    }
    f->req = req;
    f->sync = sync;
    f->tag = tag;
    if (e->fwd_tail)
        e->fwd_tail->next = f;
    else
        e->fwd_head = f;
    e->fwd_tail = f;
}

/* Takes the head of the work queue: a local request joins the txn queue
 * with its zxid, a learner is answered with it (type); err != 0 fails it. */
static void work_finish(struct ensemble *e, uint8_t type, zab_zxid zxid,
                        int err)
{
    struct work *w = e->work_head;
    e->work_head = w->next;
    if (e->work_head == NULL)
        e->work_tail = NULL;
    if (w->req && err != 0) {
        server_req_abort(e->srv, w->req);
    } else if (w->req) {
        w->req->zxid = (int64_t)zxid;
        server_txn_link(e->srv, w->req);
    } else if (err != 0) {
        send_tag(e, w->from, F_FWD_ERR, w->tag, (uint32_t)err, 4);
    } else {
        send_tag(e, w->from, type, w->tag, zxid, 8);
    }
    free(w->data);
    free(w);
}

/*
 * Leader: a reconfig request becomes the txn tree.h describes, checked in
 * ZooKeeper's order (PrepRequestProcessor): WRITE on /zookeeper/config,
 * none in flight, the request well formed, its expected version, and a
 * quorum of the new voters in sync with me now. A refused one still
 * becomes a txn (with its error), so the client's answers stay in order.
 * Fills out with the txn; 0 or COORD_ENOMEM.
 */
static int reconfig_prepare(struct ensemble *e, const uint8_t *in, size_t len,
                            struct buf *out)
{
    struct tree_txn t;
    if (tree_txn_decode(in, len, &t) != 0)
        return COORD_EMARSHALLING;
    struct tree_caller who = {.session_id = t.session_id,
                              .super = t.super,
                              .ids = t.ids};
    struct buf text;
    buf_init(&text, SIZE_MAX);
    int32_t err = e->srv->cfg->reconfig_enabled
                      ? tree_check_perm(e->srv->tree, "/zookeeper/config", 17,
                                        COORD_PERM_WRITE, &who)
                      : COORD_ERECONFIGDISABLED;
    if (err == 0 && zab_pending_config(&e->z) != NULL)
        err = COORD_ERECONFIGINPROGRESS;
    struct coord_reconfig_req rq;
    struct jute_r r;
    jute_r_init(&r, t.body.p, t.body.len < 0 ? 0 : (size_t)t.body.len);
    if (err == 0 && coord_get_reconfig_req(&r, &rq) != 0)
        err = COORD_EMARSHALLING;
    const struct zab_cfgstate *a = zab_active_config(&e->z);
    struct dyncfg cur = {0}, next = {0};
    char why[200] = "";
    if (err == 0 && dyncfg_parse((const char *)a->text, a->len, &cur, NULL,
                                 why, sizeof why) != 0)
        err = COORD_ERUNTIMEINCONSISTENCY;
    if (err == 0) {
        /* ustrings to C strings; null or empty means not given */
        struct jute_str in3[3] = {rq.joining, rq.leaving, rq.new_members};
        char *s[3] = {NULL, NULL, NULL};
        for (int k = 0; k < 3 && err == 0; k++)
            if (in3[k].len > 0 &&
                (s[k] = strndup(in3[k].p, (size_t)in3[k].len)) == NULL)
                err = COORD_ENOMEM;
        if (err == 0)
            err = dyncfg_apply(&cur, s[0], s[1], s[2], &next, why,
                               sizeof why);
        if (err == 0 && dyncfg_voters(&next) < 2 &&
            e->srv->cfg->standalone_enabled) {
            snprintf(why, sizeof why, "the new configuration must have at "
                                      "least 2 participants "
                                      "(standaloneEnabled=true)");
            err = COORD_EBADARGUMENTS;
        }
        for (int k = 0; k < 3; k++)
            free(s[k]);
    }
    if (err == 0 && rq.cur_config_id != -1 &&
        (uint64_t)rq.cur_config_id != a->m.version)
        err = COORD_EBADVERSION;
    struct zab_membership nm;
    if (err == 0 && members_of(&next, &nm) != 0)
        err = COORD_EBADARGUMENTS;
    if (err == 0 && dyncfg_format(&next, &text) != 0)
        err = COORD_ENOMEM;
    if (err == 0 && !zab_quorum_synced(&e->z, &nm))
        err = COORD_ENEWCONFIGNOQUORUM;
    dyncfg_free(&cur);
    dyncfg_free(&next);
    if (err == COORD_ENOMEM) {
        buf_close(&text);
        return err;
    }
    if (err != 0)
        log_info("ensemble: reconfig refused session=0x%llx err=%s%s%s",
                 (unsigned long long)t.session_id, coord_strerror(err),
                 why[0] ? " why=" : "", why);
    else
        log_info("ensemble: reconfig proposed session=0x%llx from=0x%llx",
                 (unsigned long long)t.session_id,
                 (unsigned long long)a->m.version);
    struct buf body;
    buf_init(&body, SIZE_MAX);
    jute_put_int(&body, err);
    if (err == 0)
        buf_append(&body, text.base, text.len);
    buf_close(&text);
    t.body = (struct jute_str){(const char *)body.base, (int32_t)body.len};
    tree_txn_encode(out, &t);
    buf_close(&body);
    return out->err;
}

/* Leader: proposes queued work while the engine takes it. */
static void pump(struct ensemble *e)
{
    while (e->work_head && !e->in_step && e->srv->running) {
        struct work *w = e->work_head;
        if (!zab_is_leader(&e->z) || !zab_is_established(&e->z)) {
            /* lost leadership: learners hear it from their own engines */
            work_finish(e, 0, 0, COORD_ECONNECTIONLOSS);
            continue;
        }
        if (w->sync) {
            work_finish(e, F_SYNC_OK, zab_last_logged(&e->z), 0);
            continue;
        }
        struct zab_event ev = {.type = ZAB_EV_SUBMIT};
        ev.submit.data = w->req ? w->req->data : w->data;
        ev.submit.len = w->req ? w->req->len : w->len;
        struct buf alt;
        buf_init(&alt, SIZE_MAX);
        if (is_reconfig_txn(ev.submit.data, ev.submit.len)) {
            int prc = reconfig_prepare(e, ev.submit.data, ev.submit.len,
                                       &alt);
            if (prc != 0) {
                buf_close(&alt);
                work_finish(e, 0, 0, prc);
                continue;
            }
            ev.submit.data = alt.base;
            ev.submit.len = alt.len;
        }
        struct zab_update u;
        e->in_step = true;
        int rc = zab_step(&e->z, &ev, &u);
        buf_close(&alt);
        if (rc == COORD_ETHROTTLED) {
            e->in_step = false;
            return; /* retried after the next commits */
        }
        if (rc != 0) {
            e->in_step = false;
            log_error("ensemble: submit failed err=%s", coord_strerror(rc));
            work_finish(e, 0, 0, rc);
            continue;
        }
        /* The learner learns its zxid before the proposal's commit can
         * reach it: same link, queued before anything of this step. */
        work_finish(e, F_FWD_ACK, u.submitted, 0);
        carry_out(e, &u);
        e->in_step = false;
        after_step(e);
    }
}

static int queue_request(struct ensemble *e, struct req *req, bool sync)
{
    if (!e->serving)
        return COORD_ECONNECTIONLOSS;
    if (ensemble_leading(e)) {
        struct work *w = calloc(1, sizeof *w);
        if (w == NULL)
            return COORD_ENOMEM;
        w->req = req;
        w->sync = sync;
        work_push(e, w);
        pump(e);
        return 0;
    }
    zab_sid leader = zab_leader_id(&e->z);
    struct member *m = member_of(e, leader);
    if (m == NULL || m->link == NULL || !m->link->up)
        return COORD_ECONNECTIONLOSS;
    uint64_t tag = ++e->next_tag;
    uint8_t t[8];
    jute_wbe64(t, tag);
    fwd_push(e, req, sync, tag);
    if (sync)
        send_frame(e, leader, F_SYNC, t, 8, NULL, 0);
    else
        send_frame(e, leader, F_FWD, t, 8, req->data, req->len);
    return 0;
}

int ensemble_submit(struct ensemble *e, struct req *req)
{
    return queue_request(e, req, false);
}

int ensemble_sync(struct ensemble *e, struct req *req)
{
    return queue_request(e, req, true);
}

/* Learner: the leader answered the oldest forwarded request. */
static void forwarded_answer(struct ensemble *e, struct link *l, uint8_t type,
                             const uint8_t *p, size_t n)
{
    struct fwd *f = e->fwd_head;
    if (n < 12 || f == NULL || jute_be64(p) != f->tag) {
        log_warn("ensemble: answer to an unknown forwarded request");
        link_close(l, "protocol error");
        return;
    }
    e->fwd_head = f->next;
    if (e->fwd_head == NULL)
        e->fwd_tail = NULL;
    struct req *req = f->req;
    free(f);
    if (type == F_FWD_ERR || n < 16) {
        server_req_abort(e->srv, req);
        return;
    }
    req->zxid = (int64_t)jute_be64(p + 8);
    server_txn_link(e->srv, req);
}

static void fail_forwarded(struct ensemble *e)
{
    while (e->fwd_head) {
        struct fwd *f = e->fwd_head;
        e->fwd_head = f->next;
        server_req_abort(e->srv, f->req);
        free(f);
    }
    e->fwd_tail = NULL;
}

static void remote_work(struct ensemble *e, struct link *l, uint8_t type,
                        const uint8_t *p, size_t n)
{
    if (n < 8) {
        link_close(l, "protocol error");
        return;
    }
    zab_sid from = e->m[l->idx].id;
    uint64_t tag = jute_be64(p);
    if (!ensemble_leading(e) || !e->serving) {
        send_tag(e, from, F_FWD_ERR, tag, (uint32_t)COORD_ECONNECTIONLOSS, 4);
        return;
    }
    struct work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        log_error("ensemble: out of memory");
        exit(70);
    }
    w->from = from;
    w->tag = tag;
    w->sync = type == F_SYNC;
    if (!w->sync) {
        w->len = n - 8;
        w->data = malloc(w->len ? w->len : 1);
        if (w->data == NULL) {
            log_error("ensemble: out of memory");
            exit(70);
        }
        memcpy(w->data, p + 8, w->len);
    }
    work_push(e, w);
    pump(e);
}

static void touch_sessions(struct ensemble *e, const uint8_t *p, size_t n)
{
    if (!ensemble_leading(e))
        return;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        struct session *s = session_find(e->srv, (int64_t)jute_be64(p + i));
        if (s)
            session_touch(e->srv, s);
    }
}

static void handle_frame(struct link *l, uint8_t type, const uint8_t *p,
                         size_t n)
{
    struct ensemble *e = l->e;
    if (l->idx < 0 || !l->up) {
        /* an accepted link: its first frame names the peer */
        if (type != F_HELLO || n != HELLO_LEN - 1 ||
            memcmp(p, "CZAB", 4) != 0 || jute_be32(p + 4) != PEER_VERSION) {
            link_close(l, "bad hello");
            return;
        }
        zab_sid id = jute_be64(p + 8);
        zab_sid me = e->m[e->me].id;
        /* A server in no configuration I know may be joining: it gets a
         * link (and follows without a vote until one lists it). */
        struct member *m = id == me || id == 0 ? NULL : member_add(e, id);
        if (m == NULL) {
            log_warn("ensemble: refused peer connection sid=%llu (%s)",
                     (unsigned long long)id,
                     id == me ? "my own id" : "no room for more peers");
            link_close(l, "unknown peer");
            return;
        }
        /* One link per pair: the one the lower id dialed wins. A higher id
         * dials only when the lower did not (it may not know it), so a
         * link I dialed stays; one it dialed before is replaced (it
         * restarted). */
        if (id > me && m->link != NULL && m->link != l && m->link->dialed) {
            link_close(l, "duplicate link");
            return;
        }
        link_up(l, m);
        return;
    }
    switch (type) {
    case F_ZAB: {
        struct zab_event ev = {.type = ZAB_EV_MSG};
        ev.msg.from = e->m[l->idx].id;
        ev.msg.data = p;
        ev.msg.len = n;
        step(e, &ev);
        return;
    }
    case F_SNAP:
        receive_snapshot(e, l, p, n);
        return;
    case F_FWD:
    case F_SYNC:
        remote_work(e, l, type, p, n);
        return;
    case F_FWD_ACK:
    case F_FWD_ERR:
    case F_SYNC_OK:
        forwarded_answer(e, l, type, p, n);
        return;
    case F_TOUCH:
        touch_sessions(e, p, n);
        return;
    default:
        link_close(l, "unknown frame");
        return;
    }
}

/* --- stepping the engine ----------------------------------------------------- */

static void carry_out(struct ensemble *e, const struct zab_update *u)
{
    struct server *srv = e->srv;
    for (size_t i = 0; i < u->n_deliver; i++)
        server_deliver(srv, (int64_t)u->deliver[i].zxid, u->deliver[i].data,
                       u->deliver[i].len);
    for (size_t i = 0; i < u->n_send; i++) {
        const struct zab_send *s = &u->send[i];
        if (s->kind == ZAB_SEND_SNAPSHOT)
            send_snapshot(e, s->to, s->snap_zxid);
        else
            send_frame(e, s->to, F_ZAB, s->data, s->len, NULL, 0);
    }
    for (size_t i = 0; i < u->n_persist; i++)
        pq_push(e, &u->persist[i]);
    pq_advance(e);
    if (u->config_changed)
        config_update(e);
}

static void leave_service(struct ensemble *e)
{
    struct server *srv = e->srv;
    e->serving = false;
    fail_forwarded(e);
    server_stop_serving(srv);
}

static void enter_service(struct ensemble *e)
{
    struct server *srv = e->srv;
    e->serving = true;
    if (ensemble_leading(e))
        server_sessions_renew(srv);
    /* the epochs on disk now say this server has been part of it */
    if (!e->init_removed && store_remove_file(srv->store, INIT_FILE) == 0)
        e->init_removed = true;
    int64_t now = server_mono_ms();
    if (e->looking_since_ms > 0) {
        e->last_election_ms = now - e->looking_since_ms;
        e->looking_since_ms = 0;
    }
    log_info("ensemble: serving role=%s leader=%llu epoch=%u zxid=0x%llx "
             "election_ms=%lld",
             zab_role_name(zab_role(&e->z)),
             (unsigned long long)zab_leader_id(&e->z), zab_epoch_of(&e->z),
             (unsigned long long)tree_last_zxid(srv->tree),
             (long long)e->last_election_ms);
}

/* Role changes, then the reports the step's persists produced. */
static void after_step(struct ensemble *e)
{
    bool established = zab_is_established(&e->z);
    if (e->serving && (!established || zab_leader_id(&e->z) != e->leader ||
                       zab_role(&e->z) != e->role))
        leave_service(e);
    if (!established && e->looking_since_ms == 0) {
        e->looking_since_ms = server_mono_ms();
        e->elections++;
    }
    if (!e->serving && established)
        enter_service(e);
    e->role = zab_role(&e->z);
    e->leader = zab_leader_id(&e->z);
    while (e->defer_head < e->n_defer && !e->in_step) {
        struct deferred d = e->defer[e->defer_head++];
        if (e->defer_head == e->n_defer)
            e->defer_head = e->n_defer = 0;
        struct zab_event ev = {.type = d.type};
        if (d.type == ZAB_EV_PEER_DOWN || d.type == ZAB_EV_PEER_UP)
            ev.peer.id = d.zxid;
        else
            ev.persisted.zxid = d.zxid;
        step(e, &ev);
    }
}

static void step(struct ensemble *e, const struct zab_event *ev)
{
    if (e->in_step) {
        /* only link events can nest (a send closing a link) */
        if (ev->type == ZAB_EV_PEER_DOWN || ev->type == ZAB_EV_PEER_UP) {
            defer_event(e, ev->type, ev->peer.id);
            return;
        }
        log_error("ensemble: nested engine step type=%d", ev->type);
        abort();
    }
    struct zab_event copy;
    if (ev->type == ZAB_EV_PEER_DOWN || ev->type == ZAB_EV_PEER_UP) {
        copy = *ev;
        ev = &copy;
    }
    struct zab_update u;
    e->in_step = true;
    int rc = zab_step(&e->z, ev, &u);
    if (rc == COORD_ENOMEM) {
        log_error("ensemble: out of memory in the engine");
        exit(70);
    }
    carry_out(e, &u);
    e->in_step = false;
    after_step(e);
    pump(e);
}

/* --- ticks ------------------------------------------------------------------- */

static unsigned tick_period(const struct ensemble *e)
{
    unsigned t = e->zc.tick_ms / 4;
    return t < 10 ? 10 : t > 100 ? 100 : t;
}

int ensemble_timeout_ms(struct ensemble *e, int64_t now_ms)
{
    if (!e->started)
        return -1;
    return e->next_tick_ms > now_ms ? (int)(e->next_tick_ms - now_ms) : 0;
}

/* Learner: the sessions that had activity here since the last report keep
 * living on the leader, which alone expires sessions. */
static void send_touches(struct ensemble *e)
{
    struct server *srv = e->srv;
    zab_sid leader = zab_leader_id(&e->z);
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (size_t i = 0; i < srv->sessions_cap; i++)
        for (struct session *s = srv->sessions[i]; s; s = s->hash_next) {
            /* only sessions that sent something: a client that went
             * silent on an open connection must still expire */
            if (!s->touched)
                continue;
            s->touched = false;
            uint8_t v[8];
            jute_wbe64(v, (uint64_t)s->id);
            buf_append(&b, v, 8);
        }
    if (b.len > 0 && b.err == 0)
        send_frame(e, leader, F_TOUCH, b.base, b.len, NULL, 0);
    buf_close(&b);
}

void ensemble_tick(struct ensemble *e, int64_t now)
{
    if (!e->started || now < e->next_tick_ms)
        return;
    e->next_tick_ms = now + tick_period(e);
    for (size_t i = 0; i < e->n; i++) {
        struct member *m = &e->m[i];
        if ((int)i == e->me || m->link != NULL || !m->listed ||
            m->host == NULL || now < m->retry_ms)
            continue;
        if (m->id > e->m[e->me].id || now >= m->unlinked_ms + DIAL_GRACE_MS)
            dial(e, m, now);
    }
    struct zab_event ev = {.type = ZAB_EV_TICK};
    ev.tick.now_ms = (uint64_t)now;
    step(e, &ev);
    if (e->serving && !ensemble_leading(e) && now >= e->next_touch_ms) {
        send_touches(e);
        e->next_touch_ms = now + e->zc.tick_ms / 2;
    }
    for (struct link *l = e->links; l; l = l->next)
        if (l->src.fd >= 0 && l->handshaking && now >= l->deadline_ms)
            link_refuse(l, "reason=\"tls handshake timed out\"");
    links_reap(e);
}

void ensemble_store_durable(struct ensemble *e, int64_t durable)
{
    if (durable > e->durable)
        e->durable = durable;
    if (e->in_step)
        return;
    pq_advance(e);
    after_step(e);
    pump(e);
}

/* --- setup ------------------------------------------------------------------- */

/*
 * The configuration to start with: the one in CONFIG_FILE (the last active
 * one this server knew), else zoo.cfg's server lines (version 0). My own
 * entry comes from zoo.cfg when a reconfiguration left me out.
 */
static int config_load(struct ensemble *e)
{
    const struct coord_config *cfg = e->srv->cfg;
    struct dyncfg d;
    uint64_t version = 0;
    char *file = NULL, err[160];
    size_t flen;
    int rc = store_read_file(e->srv->store, CONFIG_FILE, &file, &flen);
    if (rc == 0) {
        rc = dyncfg_parse(file, flen, &d, &version, err, sizeof err);
        if (rc != 0)
            log_error("ensemble: bad %s err=\"%s\"", CONFIG_FILE, err);
        else
            log_info("ensemble: configuration from %s version=0x%llx",
                     CONFIG_FILE, (unsigned long long)version);
    } else if (rc == COORD_ENONODE) {
        rc = dyncfg_from_config(cfg, &d);
    }
    free(file);
    if (rc != 0)
        return rc;
    rc = dyncfg_format(&d, &e->cfg_text);
    if (rc == 0 && parse_members(e->cfg_text.base, e->cfg_text.len,
                                 &e->zc.members) != 0)
        rc = COORD_EINVAL;
    dyncfg_free(&d);
    if (rc != 0)
        return rc;
    e->zc.members.version = version;
    e->cfg_version = version;
    for (size_t i = 0; i < cfg->n_servers; i++)
        if (cfg->servers[i].id == (int64_t)e->zc.my_id) {
            struct member *m = member_add(e, e->zc.my_id);
            if (m == NULL || member_address(m, &cfg->servers[i]) != 0)
                return COORD_ENOMEM;
            e->me = (int)(m - e->m);
        }
    /* main checked that zoo.cfg lists me; the others are listed (and
     * dialed) from the engine's configuration once it starts */
    return e->me < 0 ? COORD_EINVAL : 0;
}

int ensemble_open(struct server *srv, struct ensemble **out)
{
    const struct coord_config *cfg = srv->cfg;
    *out = NULL;
    struct ensemble *e = calloc(1, sizeof *e);
    if (e == NULL)
        return COORD_ENOMEM;
    e->srv = srv;
    e->me = -1;
    e->listener.fd = -1;
    zab_config_defaults(&e->zc);
    e->zc.my_id = (zab_sid)cfg->server_id;
    e->zc.tick_ms = (unsigned)cfg->tick_time;
    e->zc.init_limit = (unsigned)cfg->init_limit;
    e->zc.sync_limit = (unsigned)cfg->sync_limit;
    /* DIFF sync reaches back 5000 txns, or 64 MiB of them when they are
     * large: the window is kept in memory. */
    e->zc.window = 5000;
    e->zc.window_bytes = (uint64_t)64 << 20;
    e->zc.tracer = tracer;
    if (e->zc.tick_ms < 1000) {
        /* elections should not outpace a fast tick by too much either */
        e->zc.election_min_ms = e->zc.tick_ms / 2 > 50 ? e->zc.tick_ms / 2
                                                       : 50;
        e->zc.finalize_ms = e->zc.election_min_ms;
    }
    /* Notification resends double up to this: a few ticks, so a server
     * that fell out of step hears the others again soon. */
    unsigned cap = 5 * e->zc.tick_ms;
    e->zc.election_max_ms = cap < 1000 ? 1000 : cap > 10000 ? 10000 : cap;
    e->zc.txn_config = txn_config;
    e->zc.parse_config = parse_config;
    buf_init(&e->cfg_text, ZAB_MAX_CONFIG);
    int rc = config_load(e);
    if (rc != 0) {
        ensemble_close(e);
        return rc;
    }
    rc = store_read_epoch(srv->store, "acceptedEpoch", &e->accepted_epoch);
    if (rc == 0)
        rc = store_read_epoch(srv->store, "currentEpoch", &e->current_epoch);
    if (rc != 0) {
        ensemble_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

int ensemble_recovered_record(struct ensemble *e, int64_t zxid,
                              const void *rec, size_t len)
{
    if (e->n_boot == e->cap_boot) {
        size_t cap = e->cap_boot ? e->cap_boot * 2 : 1024;
        struct zab_record *v = realloc(e->boot, cap * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        e->boot = v;
        e->cap_boot = cap;
    }
    uint8_t *d = malloc(len ? len : 1);
    if (d == NULL)
        return COORD_ENOMEM;
    memcpy(d, rec, len);
    e->boot[e->n_boot++] = (struct zab_record){(zab_zxid)zxid, d, len};
    return 0;
}

static void free_boot(struct ensemble *e)
{
    for (size_t i = 0; i < e->n_boot; i++)
        free((void *)e->boot[i].data);
    free(e->boot);
    e->boot = NULL;
    e->n_boot = e->cap_boot = 0;
}

static int listen_peers(struct ensemble *e)
{
    struct member *me = &e->m[e->me];
    int fd = server_listen_fd(me->host, me->port, 64, "peerPort");
    if (fd < 0)
        return fd;
    e->listener.fd = fd;
    e->listener.on_event = on_peer_accept;
    server_watch(e->srv, &e->listener, EPOLLIN, true);
    return 0;
}

/* sslQuorum: peer links use the ssl.* context, made here when no TLS
 * listener made it (server_close frees it, SIGHUP replaces it). */
static int quorum_tls(struct ensemble *e)
{
    struct server *srv = e->srv;
    const struct coord_config *cfg = srv->cfg;
    if (cfg->ssl_ca_file == NULL && cfg->ssl_trust_store == NULL) {
        log_error("ensemble: sslQuorum=true needs ssl.caFile, the CA that "
                  "every server's certificate chains to");
        return COORD_EINVAL;
    }
    if (srv->tls_ctx != NULL)
        return 0;
    char err[512];
    srv->tls_ctx = tls_ctx_new(cfg, err, sizeof err);
    if (srv->tls_ctx == NULL) {
        log_error("ensemble: cannot set up TLS for the peer links err=\"%s\"",
                  err);
        return COORD_EINVAL;
    }
    return 0;
}

int ensemble_start(struct ensemble *e)
{
    struct server *srv = e->srv;
    struct zab_persisted boot = {
        .accepted_epoch = e->accepted_epoch,
        .current_epoch = e->current_epoch,
        .last_committed = (zab_zxid)tree_last_zxid(srv->tree),
        .log = e->boot,
        .n_log = e->n_boot,
    };
    /* R-FLE-1: nothing on disk and never synced: a wiped or new disk. */
    if (e->n_boot == 0 && tree_last_zxid(srv->tree) == 0 &&
        e->current_epoch == 0 && e->accepted_epoch == 0) {
        char *marker = NULL;
        size_t mlen;
        int mrc = store_read_file(srv->store, INIT_FILE, &marker, &mlen);
        free(marker);
        if (mrc == COORD_ENONODE) {
            boot.abstain = true;
            log_warn("ensemble: empty dataDir and no %s file: not voting "
                     "until synced with a leader (a new ensemble needs "
                     "dataDir/%s on each of its first servers; see "
                     "coordd(8))",
                     INIT_FILE, INIT_FILE);
        } else if (mrc != 0) {
            return mrc;
        }
    }
    uint64_t seed = (uint64_t)server_wall_ms() ^ ((uint64_t)getpid() << 32);
    e->zc.config_text = e->cfg_text.base;
    e->zc.config_len = e->cfg_text.len;
    int rc = zab_init(&e->z, &e->zc, &boot, seed);
    e->zc.config_text = NULL;
    free_boot(e);
    if (rc != 0) {
        log_error("ensemble: cannot start the engine err=%s "
                  "acceptedEpoch=%u currentEpoch=%u",
                  coord_strerror(rc), e->accepted_epoch, e->current_epoch);
        return rc;
    }
    e->started = true;
    /* /zookeeper/config shows the configuration I start with (the log may
     * hold a newer one, delivered once a leader commits it) */
    const struct zab_cfgstate *a = zab_active_config(&e->z);
    if (tree_config_set(srv->tree, a->text, a->len, (int64_t)a->m.version,
                        server_wall_ms()) != 0)
        return COORD_ENOMEM;
    config_update(e);
    e->durable = store_last_appended(srv->store);
    if (srv->cfg->ssl_quorum && (rc = quorum_tls(e)) != 0)
        return rc;
    rc = listen_peers(e);
    if (rc != 0)
        return rc;
    e->looking_since_ms = server_mono_ms();
    e->role = -1;
    log_info("ensemble: started sid=%llu members=%zu peerPort=%d "
             "sslQuorum=%s acceptedEpoch=%u currentEpoch=%u zxid=0x%llx",
             (unsigned long long)e->zc.my_id, e->n, e->m[e->me].port,
             srv->cfg->ssl_quorum ? "true" : "false",
             e->accepted_epoch, e->current_epoch,
             (unsigned long long)tree_last_zxid(srv->tree));
    ensemble_tick(e, server_mono_ms());
    return 0;
}

void ensemble_close(struct ensemble *e)
{
    if (e == NULL)
        return;
    for (struct link *l = e->links; l; l = l->next)
        if (l->src.fd >= 0) {
            close(l->src.fd);
            l->src.fd = -1;
        }
    links_reap(e);
    if (e->listener.fd >= 0)
        close(e->listener.fd);
    while (e->work_head) {
        struct work *w = e->work_head;
        e->work_head = w->next;
        req_free(w->req);
        free(w->data);
        free(w);
    }
    while (e->fwd_head) {
        struct fwd *f = e->fwd_head;
        e->fwd_head = f->next;
        req_free(f->req);
        free(f);
    }
    pq_clear(e);
    free(e->pq);
    free(e->defer);
    free_boot(e);
    for (size_t i = 0; i < e->n; i++)
        free(e->m[i].host);
    buf_close(&e->cfg_text);
    if (e->started)
        zab_close(&e->z);
    free(e);
}

/* --- state for the operators ------------------------------------------------- */

bool ensemble_serving(const struct ensemble *e)
{
    return e->serving;
}

bool ensemble_leading(const struct ensemble *e)
{
    return e->started && zab_is_leader(&e->z);
}

const char *ensemble_mode(const struct ensemble *e)
{
    if (!e->serving)
        return "looking";
    switch (zab_role(&e->z)) {
    case ZAB_LEADING:
        return "leader";
    case ZAB_FOLLOWING:
        return "follower";
    case ZAB_OBSERVING:
        return "observer";
    }
    return "looking";
}

int64_t ensemble_leader_id(const struct ensemble *e)
{
    return (int64_t)zab_leader_id(&e->z);
}

int64_t ensemble_epoch(const struct ensemble *e)
{
    return zab_epoch_of(&e->z);
}

void ensemble_mntr(const struct ensemble *e, struct buf *out)
{
    size_t up = 0, voters = 0;
    const struct zab_membership *am = &zab_active_config(&e->z)->m;
    for (unsigned i = 0; i < am->n; i++)
        voters += am->members[i].role == ZAB_VOTER;
    for (size_t i = 0; i < e->n; i++)
        if ((int)i != e->me && e->m[i].link && e->m[i].link->up)
            up++;
    buf_printf(out, "zk_peer_state\t%s - %s\n",
               zab_role_name(zab_role(&e->z)), zab_phase_name(zab_phase(&e->z)));
    buf_printf(out, "zk_quorum_size\t%zu\n", voters / 2 + 1);
    buf_printf(out, "zk_ensemble_members\t%u\n", am->n);
    buf_printf(out, "zk_config_version\t0x%llx\n",
               (unsigned long long)zab_active_config(&e->z)->m.version);
    buf_printf(out, "zk_reconfig_pending\t%d\n",
               zab_pending_config(&e->z) != NULL);
    buf_printf(out, "zk_peer_links_up\t%zu\n", up);
    buf_printf(out, "zk_leader_id\t%llu\n",
               (unsigned long long)zab_leader_id(&e->z));
    buf_printf(out, "zk_epoch\t%u\n", zab_epoch_of(&e->z));
    buf_printf(out, "zk_elections\t%llu\n", (unsigned long long)e->elections);
    buf_printf(out, "zk_last_election_ms\t%lld\n",
               (long long)e->last_election_ms);
    if (zab_role(&e->z) == ZAB_LEADING) {
        unsigned synced;
        unsigned learners = zab_learners(&e->z, &synced);
        buf_printf(out, "zk_learners\t%u\n", learners);
        buf_printf(out, "zk_followers\t%u\n", learners);
        buf_printf(out, "zk_synced_followers\t%u\n", synced);
        buf_printf(out, "zk_pending_syncs\t%u\n", learners - synced);
    }
}

const char *ensemble_phase(const struct ensemble *e)
{
    static const char *names[] = {"election", "discovery", "synchronization",
                                  "broadcast"};
    int p = zab_phase(&e->z);
    return p >= 0 && p < 4 ? names[p] : "election";
}

void ensemble_flush(struct ensemble *e)
{
    for (struct link *l = e->links; l; l = l->next)
        if (l->src.fd >= 0 && l->out_sent < l->out.len)
            link_flush(l);
}
