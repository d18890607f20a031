/* HTTPS for the REST gateway (STYLE 3.13): TLS is accepted and terminated
 * in coordd's loop with OpenSSL, and the plaintext is pumped through a
 * socketpair whose other end libmicrohttpd serves like any HTTP client. */
#include "server/rest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
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
#include "server/server.h"
#include "server/tls.h"

/* Bytes held each way per connection; a full buffer stops the reads that
 * fill it until the other side takes some (back-pressure). */
#define PIPE_BUF_SIZE 16384
#define HANDSHAKE_MS 10000
#define LINGER_MS 30000 /* the daemon is done: for the client to take the rest */
#define PROXIES_MAX 4096

/* One HTTPS client: its TLS socket and our end of the socketpair. */
struct proxy {
    struct rest_tls *rt;
    struct proxy *prev, *next;
    struct proxy *dead_next;
    struct source net;        /* the client's TCP socket, TLS */
    struct source app;        /* our end of the socketpair, plaintext */
    SSL *ssl;
    bool handshaking;
    bool dead;
    bool tls_failed;          /* no close_notify owed */
    bool app_eof;             /* the daemon closed: flush down, then close */
    int64_t eof_ms;
    uint32_t read_wants, write_wants;
    uint32_t net_events, app_events;
    int64_t start_ms;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[64];
    char addr[48];            /* the client's address, for maxClientCnxns */
    char *subject;            /* verified client certificate, or NULL */
    uint8_t up[PIPE_BUF_SIZE];   /* decrypted, not yet given to the daemon */
    size_t up_len;
    uint8_t down[PIPE_BUF_SIZE]; /* from the daemon, not yet encrypted */
    size_t down_off, down_len;
};

struct rest_tls {
    struct server *srv;
    struct source listener;
    struct proxy *proxies;
    struct proxy *graveyard;  /* closed, freed after the loop turn */
    size_t n;
    struct log_burst refused_log;
};

static void on_net(struct server *srv, struct source *src, uint32_t events);
static void on_app(struct server *srv, struct source *src, uint32_t events);

static void set_events(struct proxy *p)
{
    struct server *srv = p->rt->srv;
    uint32_t ev = 0;
    if (p->handshaking) {
        ev = p->read_wants;
    } else {
        if (p->up_len < sizeof p->up && !p->app_eof)
            ev |= p->read_wants;
        if (p->down_off < p->down_len)
            ev |= p->write_wants;
    }
    if (ev != p->net_events) {
        p->net_events = ev;
        server_watch(srv, &p->net, ev, false);
    }
    if (p->app.fd < 0)
        return;
    ev = 0;
    if (p->down_len < sizeof p->down && !p->app_eof)
        ev |= EPOLLIN;
    if (p->up_len > 0 && !p->app_eof)
        ev |= EPOLLOUT;
    if (ev != p->app_events) {
        p->app_events = ev;
        server_watch(srv, &p->app, ev, false);
    }
}

/* Closes both sides; the memory goes after the loop turn, since events
 * for it may still be in the batch being handled. */
static void proxy_close(struct proxy *p, const char *why)
{
    if (p->dead)
        return;
    p->dead = true;
    log_debug("rest: https close peer=%s why=%s", p->peer_text, why);
    if (p->ssl && !p->handshaking && !p->tls_failed) {
        ERR_clear_error();
        SSL_shutdown(p->ssl); /* best effort close_notify */
    }
    ERR_clear_error();
    close(p->net.fd);
    if (p->app.fd >= 0)
        close(p->app.fd);
    struct rest_tls *rt = p->rt;
    if (p->prev)
        p->prev->next = p->next;
    else
        rt->proxies = p->next;
    if (p->next)
        p->next->prev = p->prev;
    rt->n--;
    p->dead_next = rt->graveyard;
    rt->graveyard = p;
}

static void proxy_free(struct proxy *p)
{
    SSL_free(p->ssl);
    free(p->subject);
    free(p);
}

/* After an SSL call returned r <= 0: 1 when OpenSSL waits for the socket
 * (*wants set), 0 when the client closed, -1 on a failure. */
static int tls_result(struct proxy *p, int r, uint32_t *wants)
{
    int e = SSL_get_error(p->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        *wants = EPOLLIN;
        return 1;
    case SSL_ERROR_WANT_WRITE:
        *wants = EPOLLOUT;
        return 1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        p->tls_failed = true;
        return -1;
    }
}

/* The handshake is done: the socketpair, and its far end to the daemon. */
static bool proxy_open(struct proxy *p)
{
    char subject[1024];
    if (tls_peer_subject(p->ssl, subject, sizeof subject) == 0) {
        p->subject = strdup(subject);
        if (p->subject == NULL) {
            proxy_close(p, "out of memory");
            return false;
        }
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0) {
        log_warn("rest: https socketpair failed peer=%s: %s", p->peer_text,
                 strerror(errno));
        proxy_close(p, "socketpair failed");
        return false;
    }
    p->app.fd = sv[0];
    p->app.on_event = on_app;
    p->app_events = EPOLLIN;
    server_watch(p->rt->srv, &p->app, EPOLLIN, true);
    if (rest_add_connection(p->rt->srv, sv[1], (struct sockaddr *)&p->peer,
                            p->peer_len, p->subject) != 0) {
        log_warn("rest: https client refused by the HTTP daemon peer=%s",
                 p->peer_text);
        proxy_close(p, "daemon refused");
        return false;
    }
    log_debug("rest: https client peer=%s x509=%s", p->peer_text,
              p->subject ? p->subject : "-");
    return true;
}

static bool handshake(struct proxy *p)
{
    ERR_clear_error();
    int r = SSL_do_handshake(p->ssl);
    if (r == 1) {
        p->handshaking = false;
        p->read_wants = EPOLLIN;
        p->write_wants = EPOLLOUT;
        return proxy_open(p);
    }
    if (tls_result(p, r, &p->read_wants) > 0) {
        set_events(p);
        return false;
    }
    char why[256];
    log_info("rest: https handshake failed peer=%s reason=%s", p->peer_text,
             tls_last_error(why, sizeof why));
    proxy_close(p, "tls handshake failed");
    return false;
}

/*
 * Moves what can move, both ways, until nothing does: client -> up ->
 * daemon, daemon -> down -> client. Every step is bounded by a buffer or a
 * socket buffer, and the daemon only runs between loop turns, so this ends.
 * Either side closing (or failing) closes both.
 */
static void pump(struct proxy *p)
{
    if (p->dead)
        return;
    if (p->handshaking && !handshake(p))
        return;
    bool moved = true;
    while (moved && !p->dead) {
        moved = false;
        /* client -> up */
        while (p->up_len < sizeof p->up && !p->app_eof) {
            ERR_clear_error();
            size_t room = sizeof p->up - p->up_len;
            int r = SSL_read(p->ssl, p->up + p->up_len, (int)room);
            if (r > 0) {
                p->read_wants = EPOLLIN;
                p->up_len += (size_t)r;
                moved = true;
                continue;
            }
            int t = tls_result(p, r, &p->read_wants);
            if (t == 0) {
                proxy_close(p, "client closed");
                return;
            }
            if (t < 0) {
                char why[256];
                log_debug("rest: https read failed peer=%s reason=%s",
                          p->peer_text, tls_last_error(why, sizeof why));
                proxy_close(p, "tls read failed");
                return;
            }
            break;
        }
        /* up -> daemon */
        while (p->up_len > 0 && !p->app_eof) {
            ssize_t n = send(p->app.fd, p->up, p->up_len, MSG_NOSIGNAL);
            if (n > 0) {
                memmove(p->up, p->up + n, p->up_len - (size_t)n);
                p->up_len -= (size_t)n;
                moved = true;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            proxy_close(p, "daemon closed");
            return;
        }
        /* daemon -> down; the bytes an unfinished SSL_write retries stay
         * at the head (the context allows the buffer to move) */
        if (p->down_off > 0) {
            memmove(p->down, p->down + p->down_off,
                    p->down_len - p->down_off);
            p->down_len -= p->down_off;
            p->down_off = 0;
        }
        while (p->down_len < sizeof p->down && !p->app_eof) {
            ssize_t n = recv(p->app.fd, p->down + p->down_len,
                             sizeof p->down - p->down_len, 0);
            if (n > 0) {
                p->down_len += (size_t)n;
                moved = true;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            /* the daemon closed: what the client sends is dropped, what
             * the daemon said is still delivered */
            p->app_eof = true;
            p->eof_ms = server_mono_ms();
            p->up_len = 0;
            moved = true;
            break;
        }
        /* down -> client */
        while (p->down_off < p->down_len) {
            ERR_clear_error();
            int r = SSL_write(p->ssl, p->down + p->down_off,
                              (int)(p->down_len - p->down_off));
            if (r > 0) {
                p->write_wants = EPOLLOUT;
                p->down_off += (size_t)r;
                moved = true;
                continue;
            }
            int t = tls_result(p, r, &p->write_wants);
            if (t <= 0) {
                proxy_close(p, "tls write failed");
                return;
            }
            break;
        }
        if (p->down_off == p->down_len) {
            p->down_off = p->down_len = 0;
            if (p->app_eof) {
                proxy_close(p, "daemon closed");
                return;
            }
        }
    }
    set_events(p);
}

static void on_net(struct server *srv, struct source *src, uint32_t events)
{
    (void)srv;
    (void)events;
    struct proxy *p = (struct proxy *)((char *)src - offsetof(struct proxy, net));
    pump(p);
}

static void on_app(struct server *srv, struct source *src, uint32_t events)
{
    (void)srv;
    (void)events;
    struct proxy *p = (struct proxy *)((char *)src - offsetof(struct proxy, app));
    pump(p);
}

static void proxy_accept(struct rest_tls *rt, int fd,
                         const struct sockaddr_storage *ss, socklen_t sl)
{
    struct server *srv = rt->srv;
    if (rt->n >= PROXIES_MAX || srv->tls_ctx == NULL) {
        log_warn("rest: https connection refused, %zu open", rt->n);
        close(fd);
        return;
    }
    /* connectionThrottleRate: before any TLS work, as on the client port */
    if (!rest_throttle_admit(srv)) {
        close(fd);
        return;
    }
    struct proxy *p = calloc(1, sizeof *p);
    if (p == NULL) {
        close(fd);
        return;
    }
    p->rt = rt;
    p->net.fd = fd;
    p->net.on_event = on_net;
    p->app.fd = -1;
    p->peer = *ss;
    p->peer_len = sl;
    p->start_ms = server_mono_ms();
    char addr[48];
    int port = server_addr_text((const struct sockaddr *)ss, addr, sizeof addr);
    snprintf(p->peer_text, sizeof p->peer_text, "%s:%d", addr, port);
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    /* maxClientCnxns: refused before any TLS work */
    int max = srv->cfg->max_client_cnxns;
    if (max > 0) {
        int same = 0;
        for (const struct proxy *o = rt->proxies; o; o = o->next)
            if (strcmp(o->addr, addr) == 0)
                same++;
        if (same >= max) {
            uint64_t n;
            if (log_burst_due(&rt->refused_log, &n))
                log_warn("rest: too many https connections from addr=%s "
                         "max=%d refused=%llu", addr, max,
                         (unsigned long long)n);
            free(p);
            close(fd);
            return;
        }
    }
    ERR_clear_error();
    /* the context current now: a SIGHUP reload applies from here on */
    p->ssl = SSL_new(srv->tls_ctx);
    if (p->ssl == NULL || SSL_set_fd(p->ssl, fd) != 1) {
        char why[256];
        log_warn("rest: cannot start tls peer=%s reason=%s", p->peer_text,
                 tls_last_error(why, sizeof why));
        SSL_free(p->ssl);
        free(p);
        close(fd);
        return;
    }
    SSL_set_accept_state(p->ssl);
    p->handshaking = true;
    p->read_wants = EPOLLIN;
    p->net_events = EPOLLIN;
    p->next = rt->proxies;
    if (rt->proxies)
        rt->proxies->prev = p;
    rt->proxies = p;
    rt->n++;
    server_watch(srv, &p->net, EPOLLIN, true);
    log_debug("rest: https accepted peer=%s", p->peer_text);
}

static void on_accept(struct server *srv, struct source *src, uint32_t events)
{
    (void)events;
    struct rest_tls *rt = srv->rest_tls;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(src->fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                log_warn("rest: https accept failed, out of descriptors");
            return;
        }
        proxy_accept(rt, fd, &ss, sl);
    }
}

int rest_tls_start(struct server *srv)
{
    const struct coord_config *cfg = srv->cfg;
    if (cfg->https_port <= 0)
        return 0;
    if (srv->tls_ctx == NULL) {
        log_error("rest: httpsPort=%d without a TLS context", cfg->https_port);
        return COORD_EINVAL;
    }
    const char *host = cfg->https_port_address ? cfg->https_port_address
                       : cfg->http_port_address ? cfg->http_port_address
                                                : cfg->client_port_address;
    struct rest_tls *rt = calloc(1, sizeof *rt);
    if (rt == NULL)
        return COORD_ENOMEM;
    rt->srv = srv;
    rt->listener.fd = rest_listen(host, cfg->https_port, "httpsPortAddress");
    if (rt->listener.fd < 0) {
        free(rt);
        return COORD_EIO;
    }
    rt->listener.on_event = on_accept;
    srv->rest_tls = rt;
    server_watch(srv, &rt->listener, EPOLLIN, true);
    log_info("rest: serving httpsPort=%d address=%s clientAuth=%s",
             cfg->https_port, host ? host : "*",
             cfg->ssl_client_auth == COORD_SSL_AUTH_NEED   ? "need"
             : cfg->ssl_client_auth == COORD_SSL_AUTH_WANT ? "want"
                                                           : "none");
    return 0;
}

void rest_tls_reap(struct server *srv)
{
    struct rest_tls *rt = srv->rest_tls;
    if (rt == NULL)
        return;
    while (rt->graveyard) {
        struct proxy *p = rt->graveyard;
        rt->graveyard = p->dead_next;
        proxy_free(p);
    }
}

void rest_tls_stop(struct server *srv)
{
    struct rest_tls *rt = srv->rest_tls;
    if (rt == NULL)
        return;
    while (rt->proxies)
        proxy_close(rt->proxies, "shutdown");
    rest_tls_reap(srv);
    close(rt->listener.fd);
    free(rt);
    srv->rest_tls = NULL;
}

void rest_tls_tick(struct server *srv, int64_t now_ms)
{
    struct rest_tls *rt = srv->rest_tls;
    if (rt == NULL)
        return;
    struct proxy *next;
    for (struct proxy *p = rt->proxies; p; p = next) {
        next = p->next;
        if (p->handshaking && now_ms - p->start_ms >= HANDSHAKE_MS) {
            log_info("rest: https handshake timed out peer=%s", p->peer_text);
            proxy_close(p, "handshake timeout");
        } else if (p->app_eof && now_ms - p->eof_ms >= LINGER_MS) {
            proxy_close(p, "client does not read");
        }
    }
}
