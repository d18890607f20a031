/* Client connections: framing, the handshake, request order, replies. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
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

#include "proto/err.h"
#include "server/log.h"
#include "server/sasl.h"
#include "server/server.h"
#include "server/tls.h"

/* Stop reading a connection with this much queued, until it drains; a
 * client that never reads stalls only itself. */
#define QUEUE_PAUSE 1024
#define OUT_PAUSE (4u << 20)
/* Past this much unsent output (notifications keep coming while reading is
 * paused) the client is dropped rather than buffered forever. */
#define OUT_MAX (64u << 20)

static void on_conn_event(struct server *srv, struct source *src,
                          uint32_t events);
static void process_input(struct conn *c);
static void drain(struct conn *c);
static void read_input(struct conn *c);

void req_free(struct req *req)
{
    if (req == NULL)
        return;
    free(req->data);
    free(req);
}

static struct req *req_new(struct conn *c, enum req_kind kind, int32_t xid,
                           int32_t type)
{
    struct req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->conn = c;
    r->kind = kind;
    r->xid = xid;
    r->type = type;
    r->start_us = server_mono_us();
    return r;
}

static void enqueue(struct conn *c, struct req *r)
{
    r->next = NULL;
    if (c->q_tail)
        c->q_tail->next = r;
    else
        c->q_head = r;
    c->q_tail = r;
    c->q_len++;
}

static struct req *dequeue(struct conn *c)
{
    struct req *r = c->q_head;
    if (r) {
        c->q_head = r->next;
        if (c->q_head == NULL)
            c->q_tail = NULL;
        c->q_len--;
        r->next = NULL;
    }
    return r;
}

static void caller_of(const struct conn *c, struct tree_caller *who)
{
    who->session_id = c->session_id;
    who->watcher = (uint64_t)(uintptr_t)c;
    who->super = c->super || c->srv->cfg->skip_acl;
    who->ids.count = (int32_t)jute_be32(c->ids.base);
    who->ids.p = c->ids.base + 4;
    who->ids.len = c->ids.len - 4;
}

void conn_mark_dirty(struct conn *c)
{
    if (c->dirty || c->state == CONN_DEAD)
        return;
    c->dirty = true;
    c->dirty_next = c->srv->dirty;
    c->srv->dirty = c;
}

static void set_events(struct conn *c)
{
    uint32_t ev = 0;
    if (c->tls_handshaking) {
        ev = c->read_wants;
    } else {
        if (!c->reading_paused && c->state != CONN_CLOSING)
            ev |= c->read_wants;
        if (c->out_sent < c->out.len)
            ev |= c->write_wants;
    }
    if (ev != c->epoll_events) {
        c->epoll_events = ev;
        server_watch(c->srv, &c->src, ev, false);
    }
}

static void conn_free(struct conn *c)
{
    SSL_free(c->ssl);
    buf_close(&c->in);
    buf_close(&c->out);
    buf_close(&c->ids);
    free(c);
}

/* --- socket or TLS ------------------------------------------------------ */

/* tls_io_status, remembering a failure (then no close_notify is owed). */
static ssize_t tls_result(struct conn *c, int r, uint32_t *wants)
{
    ssize_t v = tls_io_status(c->ssl, r, wants);
    if (v < 0 && errno != EAGAIN)
        c->tls_failed = true;
    return v;
}

/* Like recv(2): bytes, 0 at the end, or -1 with errno (EAGAIN: not yet). */
static ssize_t conn_recv(struct conn *c, void *p, size_t n)
{
    if (c->ssl == NULL) {
        ssize_t r;
        do
            r = recv(c->src.fd, p, n, 0);
        while (r < 0 && errno == EINTR);
        return r;
    }
    ERR_clear_error();
    int r = SSL_read(c->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) {
        c->read_wants = EPOLLIN;
        return r;
    }
    return tls_result(c, r, &c->read_wants);
}

/* Like send(2), same results as conn_recv. With TLS an unfinished write is
 * retried with the same bytes still at the head of c->out (the context
 * allows the buffer to move and grow in between). */
static ssize_t conn_send(struct conn *c, const void *p, size_t n)
{
    if (c->ssl == NULL) {
        ssize_t r;
        do
            r = send(c->src.fd, p, n, MSG_NOSIGNAL);
        while (r < 0 && errno == EINTR);
        return r;
    }
    ERR_clear_error();
    int r = SSL_write(c->ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) {
        c->write_wants = EPOLLOUT;
        return r;
    }
    if (tls_result(c, r, &c->write_wants) == 0)
        errno = EPIPE; /* close_notify while we write */
    return -1;
}

/* Advances the TLS handshake; true once application data can flow. The
 * client's verified certificate becomes its x509 identity. */
static bool tls_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->tls_handshaking = false;
        c->read_wants = EPOLLIN;
        char subject[1024];
        if (tls_peer_subject(c->ssl, subject, sizeof subject) == 0) {
            if (auth_add_x509(c, subject) != 0) {
                conn_close(c, "out of memory");
                return false;
            }
            log_debug("conn: tls client peer=%s x509=%s", c->peer_text,
                      subject);
        }
        set_events(c);
        return true;
    }
    if (tls_result(c, r, &c->read_wants) < 0 && errno == EAGAIN) {
        set_events(c);
        return false;
    }
    char why[256];
    log_info("conn: tls handshake failed peer=%s reason=%s", c->peer_text,
             tls_last_error(why, sizeof why));
    conn_close(c, "tls handshake failed");
    return false;
}

/* --- accept and close --------------------------------------------------- */

void conn_accept(struct server *srv, int fd, const struct sockaddr_storage *ss,
                 struct ssl_ctx_st *tls)
{
    char addr[48];
    int port = server_addr_text((const struct sockaddr *)ss, addr, sizeof addr);
    if (srv->cfg->max_client_cnxns > 0) {
        int same = 0;
        for (struct conn *o = srv->conns; o; o = o->next)
            if (strcmp(o->addr_text, addr) == 0)
                same++;
        if (same >= srv->cfg->max_client_cnxns) {
            uint64_t n;
            if (log_burst_due(&srv->cnxns_log, &n))
                log_warn("conn: too many connections from addr=%s max=%d "
                         "refused=%llu", addr, srv->cfg->max_client_cnxns,
                         (unsigned long long)n);
            close(fd);
            return;
        }
    }
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        close(fd);
        return;
    }
    c->srv = srv;
    c->src.fd = fd;
    c->src.on_event = on_conn_event;
    c->id = ++srv->next_conn_id;
    c->peer = *ss;
    snprintf(c->addr_text, sizeof c->addr_text, "%s", addr);
    snprintf(c->peer_text, sizeof c->peer_text, "%s:%d", addr, port);
    c->created_ms = server_mono_ms();
    c->lat_min_us = -1;
    buf_init(&c->in, (size_t)srv->cfg->jute_maxbuffer + 4 + 65536);
    buf_init(&c->out, OUT_MAX);
    buf_init(&c->ids, 1u << 20);
    if (auth_init_conn(c) != 0) {
        conn_free(c);
        close(fd);
        return;
    }
    c->read_wants = EPOLLIN;
    c->write_wants = EPOLLOUT;
    if (tls != NULL) {
        /* holds a reference to its context: a reload leaves it alone */
        c->ssl = SSL_new(tls);
        if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
            char why[256];
            log_warn("conn: cannot start tls peer=%s reason=%s", c->peer_text,
                     tls_last_error(why, sizeof why));
            conn_free(c);
            close(fd);
            return;
        }
        SSL_set_accept_state(c->ssl);
        c->tls_handshaking = true;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->n_conns++;
    c->epoll_events = EPOLLIN;
    server_watch(srv, &c->src, EPOLLIN, true);
    log_debug("conn: accepted peer=%s tls=%d", c->peer_text, c->ssl != NULL);
}

/* The free is deferred to conn_flush_dirty: a closing connection may still
 * be on the stack of its own event handler. */
void conn_close(struct conn *c, const char *why)
{
    struct server *srv = c->srv;
    if (c->src.fd < 0)
        return;
    log_debug("conn: closed peer=%s sid=0x%llx why=%s", c->peer_text,
              (unsigned long long)c->session_id, why);
    epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
    if (c->ssl && !c->tls_handshaking && !c->tls_failed) {
        /* best effort: a client reading to the end sees a clean close */
        ERR_clear_error();
        SSL_shutdown(c->ssl);
        ERR_clear_error();
    }
    close(c->src.fd);
    c->src.fd = -1;
    tree_watches_drop(srv->tree, (uint64_t)(uintptr_t)c);
    if (c->session && c->session->conn == c)
        c->session->conn = NULL;
    c->session = NULL;
    /* Writes already in the log stay on the txn queue without a reply. */
    struct req *r;
    while ((r = dequeue(c)) != NULL) {
        if (r->kind == REQ_LOCAL)
            req_free(r);
        else
            r->conn = NULL;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->n_conns--;
    c->state = CONN_DEAD;
    c->next = srv->graveyard;
    srv->graveyard = c;
}


/* --- output ------------------------------------------------------------- */

static void account_reply(struct conn *c, struct req *r, int32_t op)
{
    c->sent++;
    c->srv->stats.packets_sent++;
    c->last_op = op;
    if (r == NULL)
        return;
    int64_t lat = server_mono_us() - r->start_us;
    c->last_latency_us = lat;
    c->last_xid = r->xid;
    c->lat_sum_us += lat;
    c->lat_count++;
    if (c->lat_min_us < 0 || lat < c->lat_min_us)
        c->lat_min_us = lat;
    if (lat > c->lat_max_us)
        c->lat_max_us = lat;
    struct server_stats *st = &c->srv->stats;
    st->lat_sum_us += lat;
    st->lat_count++;
    if (st->lat_min_us < 0 || lat < st->lat_min_us)
        st->lat_min_us = lat;
    if (lat > st->lat_max_us)
        st->lat_max_us = lat;
}

/* Appends a reply frame: header, then body (when err == 0). */
static void reply(struct conn *c, struct req *r, int32_t xid, int64_t zxid,
                  int32_t err, const struct buf *body, int32_t op)
{
    if (zxid > c->last_zxid)
        c->last_zxid = zxid;
    size_t off = coord_frame_reply(&c->out, xid, zxid, err);
    if (err == 0 && body && body->len)
        buf_append(&c->out, body->base, body->len);
    jute_frame_end(&c->out, off);
    account_reply(c, r, op);
    conn_mark_dirty(c);
}

void conn_notify(struct conn *c, int32_t type, const char *path, size_t len,
                 int64_t zxid)
{
    if (c->src.fd < 0)
        return;
    coord_frame_notification(&c->out, zxid, type,
                             (struct jute_str){path, (int32_t)len});
    c->sent++;
    c->srv->stats.packets_sent++;
    conn_mark_dirty(c);
}

static void flush(struct conn *c)
{
    while (c->out_sent < c->out.len) {
        ssize_t n = conn_send(c, c->out.base + c->out_sent,
                              c->out.len - c->out_sent);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(c, "write failed");
            return;
        }
        c->out_sent += (size_t)n;
    }
    if (c->out_sent == c->out.len) {
        c->out.len = 0;
        c->out_sent = 0;
        if (c->state == CONN_CLOSING) {
            conn_close(c, "closing");
            return;
        }
    } else if (c->out_sent > c->out.len / 2) {
        buf_consume(&c->out, c->out_sent);
        c->out_sent = 0;
    }
    if (c->out.err) {
        log_warn("conn: dropping slow client peer=%s unsent=%zu", c->peer_text,
                 c->out.len - c->out_sent);
        conn_close(c, "output limit");
        return;
    }
    bool pause = c->q_len >= QUEUE_PAUSE || c->out.len >= OUT_PAUSE;
    if (c->reading_paused && !pause) {
        c->reading_paused = false;
        set_events(c);
        process_input(c); /* frames may be waiting in c->in already */
        if (c->src.fd < 0)
            return;
        /* ... and decrypted bytes inside OpenSSL, which epoll cannot see */
        if (c->ssl && SSL_has_pending(c->ssl)) {
            read_input(c);
            if (c->src.fd < 0)
                return;
        }
    } else if (pause && !c->reading_paused) {
        c->reading_paused = true;
    }
    set_events(c);
}

void conn_flush_dirty(struct server *srv)
{
    while (srv->dirty) {
        struct conn *c = srv->dirty;
        srv->dirty = c->dirty_next;
        c->dirty = false;
        if (c->src.fd >= 0)
            flush(c);
    }
    while (srv->graveyard) {
        struct conn *c = srv->graveyard;
        srv->graveyard = c->next;
        if (c->dirty) {
            /* still linked on the dirty list: unlink first */
            struct conn **pp = &srv->dirty;
            while (*pp && *pp != c)
                pp = &(*pp)->dirty_next;
            if (*pp)
                *pp = c->dirty_next;
        }
        conn_free(c);
    }
}

/* --- the handshake ------------------------------------------------------ */

static void connect_response(struct conn *c, int32_t timeout, int64_t sid,
                             const uint8_t passwd[16], bool has_readonly)
{
    struct coord_connect_resp resp = {
        .protocol_version = 0,
        .timeout = timeout,
        .session_id = sid,
        .passwd = {(const char *)passwd, 16},
        .has_readonly = has_readonly,
        .readonly = false,
    };
    size_t off = jute_frame_begin(&c->out);
    coord_put_connect_resp(&c->out, &resp);
    jute_frame_end(&c->out, off);
    c->sent++;
    conn_mark_dirty(c);
}

static void refuse_session(struct conn *c, bool has_readonly)
{
    static const uint8_t zero[16];
    connect_response(c, 0, 0, zero, has_readonly);
    c->state = CONN_CLOSING;
}

/* readonlymode.enabled, no quorum, and a client that accepts a read-only
 * server: a session of this server alone, as ZooKeeper's read-only server
 * gives (the client keeps looking for a read-write server meanwhile). */
static void readonly_connect(struct conn *c, const struct coord_connect_req *req)
{
    struct server *srv = c->srv;
    static const uint8_t zero[16];
    int32_t timeout = session_negotiate(srv, req->timeout);
    c->received++;
    srv->stats.packets_received++;
    struct session *s = NULL;
    if (req->session_id != 0) {
        s = session_find(srv, req->session_id);
        if (s && s->readonly) {
            if (s->conn && s->conn != c)
                conn_close(s->conn, "session moved to another connection");
        } else {
            s = NULL;
        }
    }
    if (s == NULL) {
        s = session_add(srv, session_new_id(srv), timeout);
        if (s == NULL) {
            conn_close(c, "out of memory");
            return;
        }
        s->readonly = true;
    }
    s->conn = c;
    s->timeout = timeout;
    session_touch(srv, s);
    c->session = s;
    c->session_id = s->id;
    c->readonly = true;
    c->state = CONN_OPEN;
    struct coord_connect_resp resp = {
        .protocol_version = 0,
        .timeout = timeout,
        .session_id = s->id,
        .passwd = {(const char *)zero, 16},
        .has_readonly = true,
        .readonly = true,
    };
    size_t off = jute_frame_begin(&c->out);
    coord_put_connect_resp(&c->out, &resp);
    jute_frame_end(&c->out, off);
    c->sent++;
    conn_mark_dirty(c);
    log_info("conn: read-only session sid=0x%llx peer=%s",
             (unsigned long long)s->id, c->peer_text);
}

static void handle_connect(struct conn *c, const uint8_t *p, size_t n)
{
    struct server *srv = c->srv;
    struct jute_r r;
    jute_r_init(&r, p, n);
    struct coord_connect_req req;
    if (coord_get_connect_req(&r, &req) != 0) {
        conn_close(c, "malformed connect request");
        return;
    }
    /* wire spec 2.6 step 3: the client has seen a newer state than ours */
    if (req.last_zxid_seen > server_last_zxid(srv)) {
        log_info("conn: refused client ahead of server peer=%s "
                 "client_zxid=0x%llx server_zxid=0x%llx",
                 c->peer_text, (unsigned long long)req.last_zxid_seen,
                 (unsigned long long)server_last_zxid(srv));
        conn_close(c, "client zxid ahead");
        return;
    }
    if (!server_serving(srv)) {
        if (server_readonly(srv) && req.has_readonly && req.readonly) {
            readonly_connect(c, &req);
            return;
        }
        /* An ensemble member without a leader: ZooKeeper drops the
         * connection too, and the client tries another server. */
        log_debug("conn: refused, not serving peer=%s", c->peer_text);
        conn_close(c, "not serving");
        return;
    }
    int32_t timeout = session_negotiate(srv, req.timeout);
    c->received++;
    srv->stats.packets_received++;

    if (req.session_id != 0) {
        /* Check the password before touching the session's current
         * connection (ZooKeeper evicts first; a wrong guess must not be
         * able to kick the owner off). */
        struct session *s = session_find(srv, req.session_id);
        uint8_t pw[16];
        int32_t t0;
        if (s == NULL || s->closing || req.passwd.len != 16 ||
            tree_session_get(srv->tree, req.session_id, &t0, pw) != 0 ||
            memcmp(pw, req.passwd.p, 16) != 0) {
            log_info("conn: session refused sid=0x%llx peer=%s",
                     (unsigned long long)req.session_id, c->peer_text);
            refuse_session(c, req.has_readonly);
            return;
        }
        if (s->conn && s->conn != c)
            conn_close(s->conn, "session moved to another connection");
        s->conn = c;
        s->timeout = timeout;
        session_touch(srv, s);
        c->session = s;
        c->session_id = s->id;
        c->state = CONN_OPEN;
        connect_response(c, timeout, s->id, pw, req.has_readonly);
        log_debug("conn: session resumed sid=0x%llx peer=%s",
                  (unsigned long long)s->id, c->peer_text);
        return;
    }

    struct req *rq = req_new(c, REQ_CONNECT, 0, COORD_OP_CREATESESSION);
    if (rq == NULL) {
        conn_close(c, "out of memory");
        return;
    }
    rq->timeout = timeout;
    rq->has_readonly = req.has_readonly;
    enqueue(c, rq);
    c->state = CONN_CONNECTING;
    int64_t sid = 0;
    int rv = session_create(srv, timeout, rq, &sid);
    if (rv == COORD_EAGAIN || rv == COORD_ECONNECTIONLOSS ||
        (rv == COORD_ENOMEM && sid == 0)) {
        /* nothing was submitted: the req is still only ours */
        dequeue(c);
        req_free(rq);
        conn_close(c, rv == COORD_EAGAIN           ? "no randomness"
                      : rv == COORD_ECONNECTIONLOSS ? "not serving"
                                                    : "out of memory");
        return;
    }
    struct session *s = session_find(srv, sid);
    if (s) {
        s->conn = c;
        c->session = s;
    }
    c->session_id = sid;
    if (rv != 0) {
        log_error("server: cannot log txn err=%s", coord_strerror(rv));
        srv->running = false;
        srv->exit_code = 1;
    }
}

/* --- requests ----------------------------------------------------------- */

static bool is_tree_read(int32_t type)
{
    switch (type) {
    case COORD_OP_EXISTS:
    case COORD_OP_GETDATA:
    case COORD_OP_GETACL:
    case COORD_OP_GETCHILDREN:
    case COORD_OP_GETCHILDREN2:
    case COORD_OP_GETALLCHILDRENNUMBER:
    case COORD_OP_GETEPHEMERALS:
    case COORD_OP_MULTIREAD:
    case COORD_OP_CHECKWATCHES:
    case COORD_OP_REMOVEWATCHES:
    case COORD_OP_SETWATCHES:
    case COORD_OP_SETWATCHES2:
    case COORD_OP_ADDWATCH:
        return true;
    }
    return false;
}

/* Replicated requests. reconfig is one on an ensemble with
 * reconfigEnabled; elsewhere run_local answers it (ReconfigDisabled, or
 * Unimplemented when standalone, as ZooKeeper does). */
static bool is_client_write(const struct server *srv, int32_t type)
{
    switch (type) {
    case COORD_OP_RECONFIG:
        return srv->ens != NULL && srv->cfg->reconfig_enabled;
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
    case COORD_OP_CREATETTL:
    case COORD_OP_DELETE:
    case COORD_OP_SETDATA:
    case COORD_OP_SETACL:
    case COORD_OP_MULTI:
    case COORD_OP_CLOSESESSION:
        return true;
    }
    return false;
}

/* Runs a non-replicated request now that everything before it is answered. */
static void run_local(struct conn *c, struct req *r, int32_t xid, int32_t type,
                      struct jute_str body, int32_t preset)
{
    struct server *srv = c->srv;
    struct buf *out = &srv->scratch;
    int64_t zxid = server_last_zxid(srv);
    buf_reset(out);
    if (preset != 0) {
        reply(c, r, xid, zxid, preset, NULL, type);
        return;
    }
    if (is_tree_read(type)) {
        struct tree_caller who;
        caller_of(c, &who);
        int err = tree_read(srv->tree, type, body, &who, out);
        if (err == COORD_ENOMEM) {
            conn_close(c, "out of memory");
            return;
        }
        if (type == COORD_OP_SETWATCHES || type == COORD_OP_SETWATCHES2)
            xid = COORD_XID_SETWATCHES;
        reply(c, r, xid, zxid, err, out, type);
        return;
    }
    struct jute_r rd;
    jute_r_init(&rd, body.p, body.len > 0 ? (size_t)body.len : 0);
    switch (type) {
    case COORD_OP_PING:
        reply(c, r, COORD_XID_PING, zxid, 0, NULL, type);
        return;
    case COORD_OP_SYNC: {
        /* Standalone: every committed write is already applied here. */
        struct coord_path_req pr;
        if (coord_get_path_req(&rd, &pr) != 0) {
            reply(c, r, xid, zxid, COORD_EMARSHALLING, NULL, type);
            return;
        }
        coord_put_path_req(out, &pr);
        reply(c, r, xid, zxid, 0, out, type);
        return;
    }
    case COORD_OP_AUTH: {
        struct coord_auth_packet ap;
        int err = coord_get_auth_packet(&rd, &ap) != 0
                      ? COORD_EAUTHFAILED
                      : auth_add(c, ap.scheme, ap.auth);
        reply(c, r, COORD_XID_AUTH, 0, err, NULL, type);
        if (err != 0) {
            log_info("conn: auth failed peer=%s", c->peer_text);
            c->state = CONN_CLOSING;
        }
        return;
    }
    case COORD_OP_WHOAMI:
        auth_whoami(c, out);
        reply(c, r, xid, zxid, 0, out, type);
        return;
    case COORD_OP_SASL: {
        /* sasl.c; ZooKeeper answers a step with zxid 0, closes on failure */
        int err = sasl_step(c, body, out);
        reply(c, r, xid, 0, err, out, type);
        if (err != 0)
            c->state = CONN_CLOSING;
        return;
    }
    case COORD_OP_RECONFIG:
        reply(c, r, xid, zxid,
              srv->cfg->reconfig_enabled ? COORD_EUNIMPLEMENTED
                                         : COORD_ERECONFIGDISABLED,
              NULL, type);
        return;
    default:
        /* Unknown or not valid from a client (check outside multi,
         * deleteContainer, createSession): ZooKeeper answers and closes. */
        log_info("conn: unimplemented opcode peer=%s type=%d", c->peer_text,
                 type);
        reply(c, r, xid, -1, COORD_EUNIMPLEMENTED, NULL, type);
        c->state = CONN_CLOSING;
        return;
    }
}

/* Answers what can be answered at the head of the queue. */
static void drain(struct conn *c)
{
    while (c->q_head && c->q_head->kind == REQ_LOCAL && c->src.fd >= 0 &&
           c->state != CONN_CLOSING) {
        struct req *r = dequeue(c);
        run_local(c, r, r->xid, r->type,
                  (struct jute_str){(const char *)r->data, (int32_t)r->len},
                  r->preset_err);
        req_free(r);
    }
}

void conn_complete_write(struct conn *c, struct req *req, int err)
{
    struct server *srv = c->srv;
    /* Everything before a write was answered when the write before it was
     * applied, so it is at the head. */
    if (c->q_head != req) {
        log_error("conn: reply out of order peer=%s xid=%d", c->peer_text,
                  req->xid);
        abort();
    }
    dequeue(c);
    if (req->kind == REQ_CONNECT) {
        uint8_t pw[16];
        int32_t t0;
        if (err != 0 ||
            tree_session_get(srv->tree, c->session_id, &t0, pw) != 0) {
            refuse_session(c, req->has_readonly);
        } else {
            connect_response(c, req->timeout, c->session_id, pw,
                             req->has_readonly);
            if (c->state == CONN_CONNECTING)
                c->state = CONN_OPEN;
            log_debug("conn: session created sid=0x%llx peer=%s timeout=%d",
                      (unsigned long long)c->session_id, c->peer_text,
                      req->timeout);
        }
    } else {
        reply(c, req, req->xid, req->zxid, err, &srv->scratch, req->type);
        if (req->type == COORD_OP_CLOSESESSION)
            c->state = CONN_CLOSING;
    }
    req_free(req);
    drain(c);
}

/* Ensemble: a sync waits, in the connection's order, until everything the
 * leader committed before it is applied here. */
static void handle_sync(struct conn *c, int32_t xid, struct jute_str body)
{
    struct jute_r rd;
    jute_r_init(&rd, body.p, body.len > 0 ? (size_t)body.len : 0);
    struct coord_path_req pr;
    if (coord_get_path_req(&rd, &pr) != 0) {
        conn_close(c, "malformed sync");
        return;
    }
    struct req *r = req_new(c, REQ_WRITE, xid, COORD_OP_SYNC);
    struct buf out;
    buf_init(&out, SIZE_MAX);
    coord_put_path_req(&out, &pr);
    if (r == NULL || out.err) {
        buf_close(&out);
        free(r);
        conn_close(c, "out of memory");
        return;
    }
    r->data = buf_take(&out, &r->len);
    enqueue(c, r);
    if (server_sync(c->srv, r) != 0) {
        conn_close(c, "not serving"); /* r is ours again: free it */
        req_free(r);
    }
}

static void handle_request(struct conn *c, const uint8_t *p, size_t n)
{
    struct server *srv = c->srv;
    struct jute_r rd;
    jute_r_init(&rd, p, n);
    struct coord_request_header h;
    if (coord_get_request_header(&rd, &h) != 0) {
        conn_close(c, "malformed request header");
        return;
    }
    c->received++;
    srv->stats.packets_received++;
    if (c->session)
        session_touch(srv, c->session);
    struct jute_str body = {(const char *)rd.p, (int32_t)rd.left};
    bool closing = c->session == NULL || c->session->closing;

    if (c->readonly) {
        if (server_serving(srv)) {
            conn_close(c, "quorum is back");
            return;
        }
        /* closeSession just ends the local session; other writes and
         * sync (which needs a leader) are refused, as ZooKeeper does */
        if (h.type == COORD_OP_CLOSESESSION) {
            struct req tmp = {.xid = h.xid, .type = h.type,
                              .start_us = server_mono_us()};
            if (c->q_head == NULL) {
                reply(c, &tmp, h.xid, server_last_zxid(srv), 0, NULL, h.type);
                c->state = CONN_CLOSING;
                if (c->session)
                    c->session->expire_ms = 0;
            }
            return;
        }
        if (is_client_write(srv, h.type) || h.type == COORD_OP_SYNC) {
            struct req tmp = {.xid = h.xid, .type = h.type,
                              .start_us = server_mono_us()};
            if (c->q_head == NULL) {
                reply(c, &tmp, h.xid, server_last_zxid(srv),
                      COORD_ENOTREADONLY, NULL, h.type);
                return;
            }
        }
    }
    if ((is_client_write(srv, h.type) ||
         (h.type == COORD_OP_SYNC && srv->ens)) &&
        !closing && !server_serving(srv)) {
        conn_close(c, "not serving");
        return;
    }
    if (h.type == COORD_OP_SYNC && srv->ens && !closing) {
        handle_sync(c, h.xid, body);
        return;
    }
    if (is_client_write(srv, h.type) && !closing) {
        struct req *r = req_new(c, REQ_WRITE, h.xid, h.type);
        if (r == NULL) {
            conn_close(c, "out of memory");
            return;
        }
        struct tree_caller who;
        caller_of(c, &who);
        enqueue(c, r);
        if (h.type == COORD_OP_CLOSESESSION)
            c->session->closing = true;
        int rv = server_submit(srv, r, c->session_id, h.type, &who, body);
        if (rv == COORD_ECONNECTIONLOSS) {
            /* the leader is gone: r was not taken */
            conn_close(c, "not serving");
            req_free(r);
        } else if (rv != 0) {
            /* Only the log failing or memory running out get here. */
            log_error("server: cannot log txn err=%s", coord_strerror(rv));
            srv->running = false;
            srv->exit_code = 1;
        }
        return;
    }
    int32_t preset = 0;
    if (closing && h.type != COORD_OP_PING && h.type != COORD_OP_AUTH)
        preset = COORD_ESESSIONEXPIRED;
    if (c->q_head == NULL) {
        struct req tmp = {.xid = h.xid, .type = h.type,
                          .start_us = server_mono_us()};
        run_local(c, &tmp, h.xid, h.type, body, preset);
        return;
    }
    struct req *r = req_new(c, REQ_LOCAL, h.xid, h.type);
    if (r == NULL) {
        conn_close(c, "out of memory");
        return;
    }
    r->preset_err = preset;
    if (body.len > 0) {
        r->data = malloc((size_t)body.len);
        if (r->data == NULL) {
            free(r);
            conn_close(c, "out of memory");
            return;
        }
        memcpy(r->data, body.p, (size_t)body.len);
        r->len = (size_t)body.len;
    }
    enqueue(c, r);
}

/* Parses every complete frame in c->in. */
static void process_input(struct conn *c)
{
    size_t off = 0;
    long max = c->srv->cfg->jute_maxbuffer;
    while (c->src.fd >= 0 && c->state != CONN_CLOSING && !c->reading_paused) {
        size_t have = c->in.len - off;
        if (have < 4)
            break;
        const uint8_t *p = c->in.base + off;
        uint32_t word = jute_be32(p);
        if (c->state == CONN_NEW && fourlw_handle(c, word)) {
            c->state = CONN_CLOSING;
            off = c->in.len;
            break;
        }
        int32_t len = (int32_t)word;
        if (len < 0 || len > max) {
            log_info("conn: frame length out of range peer=%s len=%d max=%ld",
                     c->peer_text, len, max);
            conn_close(c, "frame length out of range");
            return;
        }
        if (have - 4 < (size_t)len)
            break;
        off += 4 + (size_t)len;
        if (c->state == CONN_NEW)
            handle_connect(c, p + 4, (size_t)len);
        else
            handle_request(c, p + 4, (size_t)len);
        if (c->q_len >= QUEUE_PAUSE || c->out.len >= OUT_PAUSE)
            c->reading_paused = true;
    }
    if (c->src.fd < 0)
        return;
    if (c->state == CONN_CLOSING)
        off = c->in.len;
    buf_consume(&c->in, off);
    if (c->reading_paused)
        set_events(c);
}

/* Reads what the socket has (a bounded amount per call) and processes it. */
static void read_input(struct conn *c)
{
    for (int rounds = 0;; rounds++) {
        if (c->reading_paused || c->state == CONN_CLOSING)
            return;
        /* Leave the rest for the next loop turn: epoll reports the socket
         * again, but not bytes OpenSSL already holds, so those go first. */
        if (rounds >= 16 && !(c->ssl && SSL_has_pending(c->ssl)))
            return;
        if (buf_reserve(&c->in, 65536) != 0) {
            /* Only reachable with a partial frame larger than the cap,
             * which the length check already refused. */
            conn_close(c, "input buffer full");
            return;
        }
        ssize_t n = conn_recv(c, c->in.base + c->in.len,
                              c->in.cap - c->in.len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_close(c, "read failed");
            else if (c->ssl)
                set_events(c); /* OpenSSL may now wait for writability */
            return;
        }
        if (n == 0) {
            conn_close(c, "client closed");
            return;
        }
        c->in.len += (size_t)n;
        process_input(c);
        if (c->src.fd < 0)
            return;
        /* a short plain read emptied the socket; TLS reads one record */
        if (c->ssl == NULL && (size_t)n < 65536)
            return;
    }
}

static void on_conn_event(struct server *srv, struct source *src,
                          uint32_t events)
{
    (void)srv;
    struct conn *c = (struct conn *)src;
    if (c->ssl) {
        if (c->tls_handshaking && !tls_handshake(c))
            return;
        /* OpenSSL may write to read or read to write: try both ways */
        if (c->out_sent < c->out.len)
            events |= EPOLLOUT;
        events |= EPOLLIN;
    }
    if (events & EPOLLOUT) {
        flush(c);
        if (c->src.fd < 0)
            return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    read_input(c);
}
