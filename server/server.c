/* coordd's core: the epoll loop, recovery, the txn queue, commits, ticks. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto/err.h"
#include "server/ensemble.h"
#include "server/log.h"
#include "server/rest.h"
#include "server/tls.h"

int64_t server_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int server_addr_text(const struct sockaddr *sa, char *addr, size_t len)
{
    snprintf(addr, len, "?");
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)len);
        return ntohs(in->sin_port);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)len);
        return ntohs(in6->sin6_port);
    }
    return 0;
}

int64_t server_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool log_burst_due(struct log_burst *b, uint64_t *n)
{
    int64_t now = server_mono_ms();
    b->pending++;
    if (b->started && now - b->last_ms < 1000)
        return false;
    b->started = true;
    b->last_ms = now;
    *n = b->pending;
    b->pending = 0;
    return true;
}

int64_t server_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void server_watch(struct server *srv, struct source *src, uint32_t events,
                  bool add)
{
    struct epoll_event ev = {.events = events, .data.ptr = src};
    if (epoll_ctl(srv->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, src->fd,
                  &ev) != 0)
        log_error("loop: epoll_ctl failed fd=%d errno=%d", src->fd, errno);
}

int64_t server_last_zxid(const struct server *srv)
{
    return tree_last_zxid(srv->tree);
}

/* The tree hands every watch event here; the watcher id is the conn, or a
 * gateway object with the low bit set. */
static void on_notify(void *ctx, uint64_t watcher, int32_t type,
                      const char *path, size_t len, int64_t zxid)
{
    if (watcher & 1) {
        rest_notify(ctx, watcher, type, path, len, zxid);
        return;
    }
    struct conn *c = (struct conn *)(uintptr_t)watcher;
    if (c != NULL)
        conn_notify(c, type, path, len, zxid);
}

/* --- recovery ----------------------------------------------------------- */

static int load_snapshot(void *ctx, store_in_fn in, void *in_ctx,
                         int64_t snap_zxid)
{
    struct server *srv = ctx;
    int rv = tree_snapshot_load(srv->tree, (tree_in_fn)in, in_ctx);
    if (rv == 0)
        log_info("store: loaded snapshot zxid=0x%llx",
                 (unsigned long long)snap_zxid);
    return rv;
}

static int replay(void *ctx, int64_t zxid, const void *rec, size_t len)
{
    struct server *srv = ctx;
    struct tree_txn txn;
    /* A txn written by an ensemble has zxid 0 inside (it was encoded
     * before the leader gave it one): the log record's zxid is the one;
     * such a data dir may also be started standalone later. */
    if (tree_txn_decode(rec, len, &txn) != 0 ||
        (txn.zxid != zxid && txn.zxid != 0))
        return COORD_ECORRUPT;
    txn.zxid = zxid;
    if (srv->ens) {
        /* Not known to be committed: the engine delivers it once the
         * ensemble says so. */
        if (zxid <= tree_last_zxid(srv->tree))
            return 0;
        return ensemble_recovered_record(srv->ens, zxid, rec, len);
    }
    if (txn.zxid <= tree_last_zxid(srv->tree))
        return 0; /* already in the snapshot */
    int rv = tree_apply(srv->tree, &txn, NULL);
    return rv == COORD_ENOMEM ? rv : 0;
}

static void add_recovered_session(void *ctx, int64_t sid, int32_t timeout)
{
    struct server *srv = ctx;
    session_add(srv, sid, timeout);
}

static int save_snapshot(void *ctx, store_out_fn out, void *out_ctx)
{
    struct server *srv = ctx;
    return tree_snapshot_save(srv->tree, (tree_out_fn)out, out_ctx);
}

/* Roughly the bytes a snapshot of the tree takes. */
static uint64_t snapshot_estimate(const struct server *srv)
{
    struct tree_stats ts;
    tree_get_stats(srv->tree, &ts);
    return ts.data_bytes + ts.nodes * 48;
}

static void maybe_snapshot(struct server *srv)
{
    int64_t applied = tree_last_zxid(srv->tree);
    if (applied - srv->last_snap_zxid < srv->snap_threshold)
        return;
    /* A snapshot costs a fork and a write of the whole tree; it pays off
     * only once replaying the log since the last one would cost about as
     * much as loading a new one. Without this a large tree is snapshotted
     * every second under load, stalling the loop on fork each time. */
    if (srv->log_bytes_since_snap < srv->snap_min_log_bytes)
        return;
    int64_t t0 = server_mono_us();
    int rv = store_snapshot(srv->store, applied, save_snapshot, srv);
    if (rv == 0) {
        srv->last_snap_zxid = applied;
        srv->log_bytes_since_snap = 0;
        srv->snap_min_log_bytes = snapshot_estimate(srv) / 2;
        /* ZooKeeper randomises the interval so that an ensemble's members
         * do not all snapshot at once. */
        long half = srv->cfg->snap_count / 2;
        srv->snap_threshold = half + (half > 0 ? random() % half : 0) + 1;
        log_info("store: snapshot started zxid=0x%llx fork_us=%lld",
                 (unsigned long long)applied,
                 (long long)(server_mono_us() - t0));
    } else if (rv != COORD_EAGAIN) {
        log_error("store: snapshot failed to start err=%s",
                  coord_strerror(rv));
    }
}

/* --- the txn queue ------------------------------------------------------ */

/* Appends req to the txn queue (zxid order is the caller's). */
static void txn_push(struct server *srv, struct req *req)
{
    req->txn_next = NULL;
    if (srv->txn_tail)
        srv->txn_tail->txn_next = req;
    else
        srv->txn_head = req;
    srv->txn_tail = req;
    srv->txn_len++;
}

int server_submit(struct server *srv, struct req *req, int64_t session_id,
                  int32_t type, const struct tree_caller *who,
                  struct jute_str body)
{
    struct tree_txn txn = {
        .zxid = srv->ens ? 0 : srv->next_zxid,
        .time_ms = server_wall_ms(),
        .session_id = session_id,
        .type = type,
        .super = who ? who->super : true,
        .ids = who ? who->ids : (struct jute_vec){0, NULL, 0},
        .body = body,
    };
    struct buf rec;
    buf_init(&rec, (size_t)srv->cfg->jute_maxbuffer * 2 + 4096);
    tree_txn_encode(&rec, &txn);
    if (rec.err) {
        int err = rec.err;
        buf_close(&rec);
        return err;
    }
    if (srv->ens) {
        req->data = buf_take(&rec, &req->len);
        int rv = ensemble_submit(srv->ens, req);
        if (rv != 0) {
            free(req->data);
            req->data = NULL;
            req->len = 0;
        }
        return rv;
    }
    int rv = store_append(srv->store, txn.zxid, rec.base, rec.len);
    if (rv != 0) {
        buf_close(&rec);
        return rv;
    }
    srv->next_zxid++;
    srv->log_bytes_since_snap += rec.len + 16;
    req->zxid = txn.zxid;
    req->data = buf_take(&rec, &req->len);
    txn_push(srv, req);
    return 0;
}

/* Applies one committed txn; its reply body is left in srv->scratch. own
 * is the request that submitted it here, if any. */
static int apply_one(struct server *srv, int64_t zxid, const uint8_t *data,
                     size_t len, const struct req *own)
{
    struct tree_txn txn;
    int rv = tree_txn_decode(data, len, &txn);
    if (rv != 0 || (txn.zxid != 0 && txn.zxid != zxid)) {
        log_error("server: undecodable txn zxid=0x%llx",
                  (unsigned long long)zxid);
        abort(); /* encoded by a server of ours and checksummed: a bug */
    }
    txn.zxid = zxid;
    buf_reset(&srv->scratch);
    rv = tree_apply(srv->tree, &txn, &srv->scratch);
    if (rv == COORD_ENOMEM) {
        log_error("server: out of memory applying zxid=0x%llx",
                  (unsigned long long)zxid);
        exit(70);
    }
    srv->stats.txns_applied++;
    if (txn.type == COORD_OP_CREATESESSION && rv == 0) {
        /* Sessions are global: every server learns of it here. */
        int32_t timeout;
        uint8_t pw[16];
        if (session_find(srv, txn.session_id) == NULL &&
            tree_session_get(srv->tree, txn.session_id, &timeout, pw) == 0)
            session_add(srv, txn.session_id, timeout);
    } else if (txn.type == COORD_OP_CLOSESESSION) {
        struct session *s = session_find(srv, txn.session_id);
        /* A client connected here whose session the leader expired. */
        if (s && s->conn && (own == NULL || own->conn != s->conn)) {
            buf_reset(&srv->scratch);
            conn_close(s->conn, "session expired");
        }
        session_remove(srv, txn.session_id);
    }
    return rv;
}

static struct req *txn_pop(struct server *srv)
{
    struct req *req = srv->txn_head;
    srv->txn_head = req->txn_next;
    if (srv->txn_head == NULL)
        srv->txn_tail = NULL;
    srv->txn_len--;
    return req;
}

static void complete(struct server *srv, struct req *req, int rv)
{
    if (req->conn) {
        conn_complete_write(req->conn, req, rv);
    } else {
        if (req->done)
            req->done(req, rv, &srv->scratch);
        req_free(req);
    }
}

/* Applies every durable txn in zxid order and completes its request. */
static void apply_durable(struct server *srv)
{
    while (srv->txn_head && srv->txn_head->zxid <= srv->durable_zxid) {
        struct req *req = txn_pop(srv);
        int rv = apply_one(srv, req->zxid, req->data, req->len, req);
        complete(srv, req, rv);
    }
    maybe_snapshot(srv);
}

/* Ensemble: answers syncs whose point is applied (and drops anything the
 * ensemble passed by, which only a bug can leave). */
static void complete_ready(struct server *srv, int64_t applied)
{
    while (srv->txn_head && srv->txn_head->zxid <= applied) {
        struct req *req = txn_pop(srv);
        if (req->type == COORD_OP_SYNC) {
            buf_reset(&srv->scratch);
            buf_append(&srv->scratch, req->data, req->len);
            req->zxid = applied;
            complete(srv, req, 0);
        } else {
            log_warn("server: request passed by zxid=0x%llx applied=0x%llx",
                     (unsigned long long)req->zxid,
                     (unsigned long long)applied);
            server_req_abort(srv, req);
        }
    }
}

void server_deliver(struct server *srv, int64_t zxid, const uint8_t *data,
                    size_t len)
{
    complete_ready(srv, zxid - 1);
    struct req *own = NULL;
    if (srv->txn_head && srv->txn_head->zxid == zxid &&
        srv->txn_head->type != COORD_OP_SYNC)
        own = txn_pop(srv);
    int rv = apply_one(srv, zxid, data, len, own);
    if (own)
        complete(srv, own, rv);
    complete_ready(srv, zxid);
    maybe_snapshot(srv);
}

void server_txn_link(struct server *srv, struct req *req)
{
    if (srv->txn_tail && srv->txn_tail->zxid > req->zxid)
        log_error("server: txn queue out of order zxid=0x%llx after 0x%llx",
                  (unsigned long long)req->zxid,
                  (unsigned long long)srv->txn_tail->zxid);
    txn_push(srv, req);
    complete_ready(srv, tree_last_zxid(srv->tree));
}

void server_req_abort(struct server *srv, struct req *req)
{
    if (req->conn)
        conn_close(req->conn, "lost contact with the leader");
    if (req->done) {
        buf_reset(&srv->scratch);
        req->done(req, COORD_ECONNECTIONLOSS, &srv->scratch);
    }
    req_free(req);
}

bool server_readonly(const struct server *srv)
{
    return srv->ens && srv->cfg->readonly_enabled &&
           !ensemble_serving(srv->ens);
}

/* Read-only sessions live only here: they expire here, and all go once the
 * server is back with a quorum (their clients then find a read-write one). */
static void readonly_sessions_tick(struct server *srv, int64_t now)
{
    bool back = server_serving(srv);
    for (size_t i = 0; i < srv->sessions_cap; i++) {
        for (struct session *s = srv->sessions[i], *n; s; s = n) {
            n = s->hash_next;
            if (!s->readonly || (!back && s->expire_ms > now))
                continue;
            if (s->conn)
                conn_close(s->conn, back ? "quorum is back"
                                         : "read-only session expired");
            session_remove(srv, s->id);
        }
    }
}

bool server_serving(const struct server *srv)
{
    return srv->ens == NULL || ensemble_serving(srv->ens);
}

int server_sync(struct server *srv, struct req *req)
{
    return ensemble_sync(srv->ens, req);
}

void server_stop_serving(struct server *srv)
{
    for (struct conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->state != CONN_NEW)
            conn_close(c, "server left the quorum");
    }
    while (srv->txn_head)
        server_req_abort(srv, txn_pop(srv));
    /* Sessions whose creation never committed exist only here. */
    for (size_t i = 0; i < srv->sessions_cap; i++) {
        for (struct session *s = srv->sessions[i], *n; s; s = n) {
            n = s->hash_next;
            int32_t t;
            uint8_t pw[16];
            if (tree_session_get(srv->tree, s->id, &t, pw) != 0)
                session_remove(srv, s->id);
        }
    }
}

void server_sessions_renew(struct server *srv)
{
    for (size_t i = 0; i < srv->sessions_cap; i++)
        for (struct session *s = srv->sessions[i]; s; s = s->hash_next) {
            s->closing = false;
            session_touch(srv, s);
        }
}

struct tree *server_tree_new(struct server *srv)
{
    struct tree_config tc = {
        .ttl_enabled = srv->cfg->extended_types_enabled,
        .container_never_used_ms =
            srv->cfg->container_max_never_used_interval_ms,
    };
    return tree_new(&tc, on_notify, srv);
}

static void sessions_clear(struct server *srv)
{
    for (size_t i = 0; i < srv->sessions_cap; i++) {
        struct session *s = srv->sessions[i];
        while (s) {
            struct session *n = s->hash_next;
            if (s->conn && s->conn->session == s)
                s->conn->session = NULL;
            free(s);
            s = n;
        }
        srv->sessions[i] = NULL;
    }
    srv->n_sessions = 0;
}

void server_tree_replace(struct server *srv, struct tree *t)
{
    struct tree *old = srv->tree;
    srv->tree = t;
    tree_free(old);
    sessions_clear(srv);
    tree_session_foreach(srv->tree, add_recovered_session, srv);
    rest_tree_replaced(srv);
}

static void on_store(struct server *srv, struct source *src, uint32_t events)
{
    (void)src;
    (void)events;
    int64_t d = store_durable(srv->store);
    if (d < 0) {
        log_error("store: log writer failed, stopping err=%s",
                  coord_strerror((int)d));
        srv->running = false;
        srv->exit_code = 1;
        return;
    }
    if (srv->ens) {
        ensemble_store_durable(srv->ens, d);
        return;
    }
    if (d > srv->durable_zxid)
        srv->durable_zxid = d;
    apply_durable(srv);
}

/* --- listener, signals, ticks ------------------------------------------- */

/* connectionThrottleRate: true when a new connection may go on. Refused
 * ones are still accepted (and closed) so the backlog does not fill up
 * with connections nobody will serve. */
static bool throttle_admit(struct server *srv)
{
    const struct coord_config *cfg = srv->cfg;
    if (cfg->connection_throttle_rate <= 0)
        return true;
    int64_t now = server_mono_ms();
    double burst = cfg->connection_throttle_burst;
    if (srv->throttle_ms == 0) {
        srv->throttle_tokens = burst;
    } else {
        srv->throttle_tokens += (double)(now - srv->throttle_ms) *
                                cfg->connection_throttle_rate / 1000.0;
        if (srv->throttle_tokens > burst)
            srv->throttle_tokens = burst;
    }
    srv->throttle_ms = now;
    if (srv->throttle_tokens >= 1.0) {
        srv->throttle_tokens -= 1.0;
        return true;
    }
    srv->conns_throttled++;
    uint64_t n;
    if (log_burst_due(&srv->throttle_log, &n))
        log_warn("server: connections throttled n=%llu rate=%d burst=%d",
                 (unsigned long long)n, cfg->connection_throttle_rate,
                 cfg->connection_throttle_burst);
    return false;
}

static void on_accept(struct server *srv, struct source *src, uint32_t events)
{
    (void)events;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(src->fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                log_warn("server: accept failed, out of descriptors");
            return;
        }
        if (!throttle_admit(srv)) {
            close(fd);
            continue;
        }
        conn_accept(srv, fd, &ss,
                    src == &srv->tls_listener ? srv->tls_ctx : NULL);
    }
}

/* SIGHUP: the certificate, key and CA files are read again into a new
 * context for new connections; open ones keep the context they started
 * with. A file that does not load leaves the old context serving. */
static void reload_tls(struct server *srv)
{
    if (srv->tls_ctx == NULL) {
        log_info("server: SIGHUP ignored, no TLS listener");
        return;
    }
    char err[512];
    SSL_CTX *ctx = tls_ctx_new(srv->cfg, err, sizeof err);
    if (ctx == NULL) {
        log_error("server: tls reload failed, keeping the old certificates "
                  "err=\"%s\"", err);
        return;
    }
    SSL_CTX_free(srv->tls_ctx);
    srv->tls_ctx = ctx;
    log_info("server: tls certificates reloaded");
}

static void on_signal(struct server *srv, struct source *src, uint32_t events)
{
    (void)events;
    struct signalfd_siginfo si;
    while (read(src->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            log_info("server: shutting down signal=%u", si.ssi_signo);
            srv->running = false;
        } else if (si.ssi_signo == SIGHUP) {
            reload_tls(srv);
        }
    }
}

struct reap_ctx {
    struct server *srv;
    size_t n;
};

static void reap_one(void *ctx, const char *path, size_t len)
{
    struct reap_ctx *rc = ctx;
    struct server *srv = rc->srv;
    struct buf body;
    buf_init(&body, len + 16);
    jute_put_str(&body, (struct jute_str){path, (int32_t)len});
    struct req *req = calloc(1, sizeof *req);
    if (req && body.err == 0) {
        req->kind = REQ_WRITE;
        req->type = COORD_OP_DELETECONTAINER;
        if (server_submit(srv, req, 0, COORD_OP_DELETECONTAINER, NULL,
                          (struct jute_str){(const char *)body.base,
                                            (int32_t)body.len}) == 0)
            rc->n++;
        else
            free(req);
    } else {
        free(req);
    }
    buf_close(&body);
}

static void tick(struct server *srv, int64_t now)
{
    /* In an ensemble only the leader expires sessions and reaps. */
    bool lead = srv->ens == NULL ||
                (ensemble_leading(srv->ens) && ensemble_serving(srv->ens));
    if (lead)
        session_expire_due(srv, now);
    if (srv->ens && srv->cfg->readonly_enabled)
        readonly_sessions_tick(srv, now);
    /* Connections that never sent a ConnectRequest go after 10 s, as in
     * ZooKeeper (zookeeper.nio.sessionlessCnxnTimeout). */
    for (struct conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == CONN_NEW && now - c->created_ms > 10000)
            conn_close(c, "no connect request");
    }
    if (lead && now >= srv->next_reap_ms) {
        /* The reaper only proposes; deletion happens when the txn applies
         * and is checked again there. Skip while earlier ones are pending. */
        if (srv->txn_len == 0) {
            struct reap_ctx rc = {srv, 0};
            long per_run = srv->cfg->container_max_per_minute *
                           srv->cfg->container_check_interval_ms / 60000;
            if (per_run < 1)
                per_run = 1;
            tree_reap_candidates(srv->tree, server_wall_ms(), (size_t)per_run,
                                 reap_one, &rc);
            if (rc.n)
                log_debug("server: reaping containers count=%zu", rc.n);
        }
        srv->next_reap_ms = now + srv->cfg->container_check_interval_ms;
    }
    rest_tick(srv, now);
    store_poll(srv->store);
}

/* --- setup -------------------------------------------------------------- */

/* A listening, non-blocking socket on address:port_num (all addresses for
 * NULL, "" or 0.0.0.0); key names the setting in messages. The fd, or
 * COORD_EINVAL (address does not resolve) or COORD_EIO, logged. */
int server_listen_fd(const char *address, int port_num, int backlog,
                     const char *key)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char port[16];
    snprintf(port, sizeof port, "%d", port_num);
    struct addrinfo *ai = NULL;
    const char *host = address;
    if (host && (strcmp(host, "0.0.0.0") == 0 || *host == '\0'))
        host = NULL;
    int rv = getaddrinfo(host, port, &hints, &ai);
    if (rv != 0) {
        log_error("server: cannot resolve %s=%s: %s", key, address,
                  gai_strerror(rv));
        return COORD_EINVAL;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
            listen(fd, backlog) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        log_error("server: cannot listen on %s:%d (%s): %s",
                  address ? address : "*", port_num, key, strerror(errno));
        return COORD_EIO;
    }
    return fd;
}

/* Listens on address:port_num for src; key names the address setting in
 * messages (clientPortAddress, secureClientPortAddress). */
static int listen_on(struct server *srv, struct source *src,
                     const char *address, int port_num, const char *key)
{
    int backlog = srv->cfg->client_port_listen_backlog > 0
                      ? srv->cfg->client_port_listen_backlog
                      : 1024;
    int fd = server_listen_fd(address, port_num, backlog, key);
    if (fd < 0)
        return fd;
    src->fd = fd;
    src->on_event = on_accept;
    server_watch(srv, src, EPOLLIN, true);
    return 0;
}

/* The secure client port, when configured: its context, then its socket.
 * The context is also the HTTPS gateway's (rest_tls.c), so httpsPort alone
 * builds it too. */
static int listen_tls(struct server *srv)
{
    const struct coord_config *cfg = srv->cfg;
    if (cfg->secure_client_port <= 0 && cfg->https_port <= 0)
        return 0;
    char err[512];
    srv->tls_ctx = tls_ctx_new(cfg, err, sizeof err);
    if (srv->tls_ctx == NULL) {
        log_error("server: cannot set up TLS err=\"%s\"", err);
        return COORD_EINVAL;
    }
    if (cfg->secure_client_port <= 0)
        return 0;
    const char *address = cfg->secure_client_port_address
                              ? cfg->secure_client_port_address
                              : cfg->client_port_address;
    int rv = listen_on(srv, &srv->tls_listener, address,
                       cfg->secure_client_port,
                       cfg->secure_client_port_address
                           ? "secureClientPortAddress"
                           : "clientPortAddress");
    if (rv != 0)
        return rv;
    log_info("server: serving TLS secureClientPort=%d address=%s "
             "clientAuth=%s",
             cfg->secure_client_port, address ? address : "*",
             cfg->ssl_client_auth == COORD_SSL_AUTH_NEED   ? "need"
             : cfg->ssl_client_auth == COORD_SSL_AUTH_WANT ? "want"
                                                           : "none");
    return 0;
}

int server_init(struct server *srv, struct coord_config *cfg)
{
    memset(srv, 0, sizeof *srv);
    srv->cfg = cfg;
    srv->listener.fd = -1;
    srv->tls_listener.fd = -1;
    srv->signals.fd = -1;
    srv->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (srv->epfd < 0)
        return COORD_EIO;
    buf_init(&srv->scratch, (size_t)1 << 31);
    srv->stats.lat_min_us = -1;
    srv->start_ms = server_mono_ms();
    srandom((unsigned)server_wall_ms());

    srv->tree = server_tree_new(srv);
    if (srv->tree == NULL)
        return COORD_ENOMEM;

    struct store_config sc = {
        .data_dir = cfg->data_dir,
        .log_dir = cfg->data_log_dir,
        .fsync = cfg->force_sync,
        .prealloc_bytes = (size_t)cfg->pre_alloc_size_kb * 1024,
        .snap_retain_count = cfg->snap_retain_count,
        .purge = cfg->purge_interval > 0,
    };
    int rv = store_open(&sc, &srv->store);
    if (rv != 0) {
        log_error("store: cannot open dataDir=%s err=%s", cfg->data_dir,
                  coord_strerror(rv));
        return rv;
    }
    if (cfg->n_servers > 1) {
        rv = ensemble_open(srv, &srv->ens);
        if (rv != 0) {
            log_error("ensemble: cannot start err=%s", coord_strerror(rv));
            return rv;
        }
    }
    int64_t t0 = server_mono_ms();
    int64_t last = 0;
    rv = store_recover(srv->store, load_snapshot, replay, srv, &last);
    if (rv != 0) {
        log_error("store: recovery failed dataDir=%s err=%s", cfg->data_dir,
                  coord_strerror(rv));
        return rv;
    }
    if (tree_last_zxid(srv->tree) > last)
        last = tree_last_zxid(srv->tree);
    srv->next_zxid = last + 1;
    srv->durable_zxid = last;
    srv->last_snap_zxid = store_last_snapshot(srv->store);
    srv->snap_threshold = cfg->snap_count;
    srv->snap_min_log_bytes = snapshot_estimate(srv) / 2;
    tree_session_foreach(srv->tree, add_recovered_session, srv);
    struct tree_stats ts;
    tree_get_stats(srv->tree, &ts);
    log_info("store: recovered zxid=0x%llx nodes=%llu sessions=%llu ms=%lld",
             (unsigned long long)last, (unsigned long long)ts.nodes,
             (unsigned long long)ts.sessions,
             (long long)(server_mono_ms() - t0));

    /* Session ids: top byte is the server id (1 standalone), the rest
     * starts from the clock so ids are not reused across restarts. */
    int64_t sid_base = cfg->server_id > 0 ? cfg->server_id : 1;
    srv->next_session_id =
        (int64_t)(((uint64_t)sid_base << 56) |
                  (((uint64_t)server_wall_ms() << 24) >> 8));

    srv->store_src.fd = store_fd(srv->store);
    srv->store_src.on_event = on_store;
    server_watch(srv, &srv->store_src, EPOLLIN, true);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    srv->signals.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    srv->signals.on_event = on_signal;
    if (srv->signals.fd >= 0)
        server_watch(srv, &srv->signals, EPOLLIN, true);

    rv = listen_on(srv, &srv->listener, cfg->client_port_address,
                   cfg->client_port, "clientPortAddress");
    if (rv != 0)
        return rv;
    rv = listen_tls(srv);
    if (rv != 0)
        return rv;
    rv = rest_start(srv);
    if (rv != 0)
        return rv;
    if (srv->ens && (rv = ensemble_start(srv->ens)) != 0)
        return rv;
    log_info("server: serving clientPort=%d address=%s dataDir=%s zxid=0x%llx",
             cfg->client_port,
             cfg->client_port_address ? cfg->client_port_address : "*",
             cfg->data_dir, (unsigned long long)last);
    return 0;
}

int server_run(struct server *srv)
{
    srv->running = true;
    int64_t tick_ms = srv->cfg->tick_time;
    if (tick_ms > 1000)
        tick_ms = 1000;
    srv->next_tick_ms = server_mono_ms() + tick_ms;
    srv->next_reap_ms = server_mono_ms() + srv->cfg->container_check_interval_ms;
    struct epoll_event evs[256];
    while (srv->running) {
        int64_t now = server_mono_ms();
        int timeout = (int)(srv->next_tick_ms > now ? srv->next_tick_ms - now
                                                     : 0);
        int http = rest_timeout_ms(srv);
        if (http >= 0 && http < timeout)
            timeout = http;
        int zab = srv->ens ? ensemble_timeout_ms(srv->ens, now) : -1;
        if (zab >= 0 && zab < timeout)
            timeout = zab;
        int n = epoll_wait(srv->epfd, evs, 256, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("loop: epoll_wait failed errno=%d", errno);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct source *src = evs[i].data.ptr;
            src->on_event(srv, src, evs[i].events);
        }
        now = server_mono_ms();
        if (srv->ens)
            ensemble_tick(srv->ens, now);
        if (now >= srv->next_tick_ms) {
            tick(srv, now);
            srv->next_tick_ms = now + tick_ms;
        }
        rest_after_events(srv);
        if (srv->ens)
            ensemble_flush(srv->ens);
        conn_flush_dirty(srv);
    }
    return srv->exit_code;
}

void server_close(struct server *srv)
{
    rest_stop(srv);
    while (srv->conns)
        conn_close(srv->conns, "shutdown");
    conn_flush_dirty(srv); /* frees the closed connections */
    ensemble_close(srv->ens);
    srv->ens = NULL;
    if (srv->store) {
        store_close(srv->store); /* syncs what was appended */
        srv->store = NULL;
    }
    while (srv->txn_head) {
        struct req *r = srv->txn_head;
        srv->txn_head = r->txn_next;
        req_free(r);
    }
    for (size_t i = 0; i < srv->sessions_cap; i++) {
        struct session *s = srv->sessions[i];
        while (s) {
            struct session *n = s->hash_next;
            free(s);
            s = n;
        }
    }
    free(srv->sessions);
    tree_free(srv->tree);
    buf_close(&srv->scratch);
    if (srv->listener.fd >= 0)
        close(srv->listener.fd);
    if (srv->tls_listener.fd >= 0)
        close(srv->tls_listener.fd);
    SSL_CTX_free(srv->tls_ctx);
    if (srv->signals.fd >= 0)
        close(srv->signals.fd);
    if (srv->epfd >= 0)
        close(srv->epfd);
}
