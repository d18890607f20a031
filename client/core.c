/* The connection state machine: connect, handshake, frames, timers, reconnect. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "client/internal.h"

#define OUT_MAX (64u << 20)
#define OUT_HIGH (16u << 20)
#define IN_MAX (2u * (COORD_MAX_FRAME + 4) + 65536u)
#define BACKOFF_MIN 50
#define BACKOFF_MAX 1000

static void fail_conn(struct coord *c);

int64_t coord_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void core_lock(struct coord *c)
{
    pthread_mutex_lock(&c->mu);
}

void core_unlock(struct coord *c)
{
    pthread_mutex_unlock(&c->mu);
}

int core_dead_code(const struct coord *c)
{
    switch (c->state) {
    case COORD_LOST: return COORD_ESESSIONEXPIRED;
    case COORD_AUTH_FAILED: return COORD_EAUTHFAILED;
    case COORD_CLOSED: return COORD_ECLOSED;
    default: return c->closing ? COORD_ECLOSED : 0;
    }
}

void core_wake(struct coord *c)
{
    if (c->thread_on) {
        char b = 1;
        ssize_t n = write(c->wake[1], &b, 1);
        (void)n; /* a full pipe already means "wake up" */
    }
}

/* Unlinks the listeners removed during a walk (fn NULL). */
static void sweep_listeners(struct coord *c)
{
    struct state_listener **pp = &c->listeners;
    c->listeners_tail = NULL;
    while (*pp) {
        struct state_listener *l = *pp;
        if (l->fn == NULL) {
            *pp = l->next;
            free(l);
        } else {
            c->listeners_tail = l;
            pp = &l->next;
        }
    }
}

void core_set_state(struct coord *c, int state)
{
    if (c->state == state)
        return;
    c->state = state;
    if (c->state_cb)
        CALLBACK(c, c->state_cb(c, state, c->state_ctx));
    /* Listeners added during the walk hear from the next change on. */
    int last = c->listener_next_id;
    c->notifying++;
    for (struct state_listener *l = c->listeners; l; l = l->next) {
        if (l->id > last)
            break;
        if (l->fn)
            CALLBACK(c, l->fn(c, state, l->ctx));
    }
    if (--c->notifying == 0)
        sweep_listeners(c);
}

void core_free_listeners(struct coord *c)
{
    while (c->listeners) {
        struct state_listener *l = c->listeners;
        c->listeners = l->next;
        free(l);
    }
    c->listeners_tail = NULL;
}

int coord_add_state_listener(struct coord *c, coord_state_fn fn, void *ctx,
                             int *id_out)
{
    if (c == NULL || fn == NULL)
        return COORD_EINVAL;
    struct state_listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return COORD_ENOMEM;
    core_lock(c);
    if (c->listener_next_id == INT_MAX) {
        core_unlock(c);
        free(l);
        return COORD_ENOMEM;
    }
    l->id = ++c->listener_next_id;
    l->fn = fn;
    l->ctx = ctx;
    if (c->listeners_tail)
        c->listeners_tail->next = l;
    else
        c->listeners = l;
    c->listeners_tail = l;
    if (id_out)
        *id_out = l->id;
    core_unlock(c);
    return 0;
}

int coord_remove_state_listener(struct coord *c, int id)
{
    if (c == NULL)
        return COORD_EINVAL;
    core_lock(c);
    int rc = COORD_EINVAL;
    for (struct state_listener *l = c->listeners; l; l = l->next) {
        if (l->id == id && l->fn) {
            l->fn = NULL;
            rc = 0;
            break;
        }
    }
    if (rc == 0 && c->notifying == 0)
        sweep_listeners(c);
    core_unlock(c);
    return rc;
}

struct req *req_new(struct coord *c, int32_t type, req_done_fn done, void *cb,
                    void *ctx)
{
    struct req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->type = type;
    r->done = done;
    r->cb = cb;
    r->ctx = ctx;
    r->wkind = -1;
    r->deadline = coord_now_ms() + c->call_timeout;
    buf_init(&r->body, COORD_MAX_FRAME - 8);
    return r;
}

void req_free(struct req *r)
{
    if (r == NULL)
        return;
    buf_close(&r->body);
    free(r->spath);
    free(r);
}

static void push(struct req **head, struct req **tail, struct req *r)
{
    r->next = NULL;
    if (*tail)
        (*tail)->next = r;
    else
        *head = r;
    *tail = r;
}

static struct req *pop(struct req **head, struct req **tail)
{
    struct req *r = *head;
    if (r) {
        *head = r->next;
        if (*head == NULL)
            *tail = NULL;
        r->next = NULL;
    }
    return r;
}

static int finish(struct coord *c, struct req *r, int rc, struct jute_r *body)
{
    int out = 0;
    if (!r->abandoned && r->done)
        out = r->done(c, r, rc, body);
    req_free(r);
    return out;
}

/* --- output --- */

static void put_frame(struct coord *c, int32_t xid, int32_t type,
                      const struct buf *body)
{
    size_t off = jute_frame_begin(&c->out);
    jute_put_int(&c->out, xid);
    jute_put_int(&c->out, type);
    if (body && body->len)
        buf_append(&c->out, body->base, body->len);
    jute_frame_end(&c->out, off);
}

static int flush(struct coord *c)
{
    if (c->fd < 0 || c->phase == PH_TCP || c->phase == PH_TLS)
        return 0;
    while (c->out.len > 0) {
        ssize_t n = conn_send(c, c->out.base, c->out.len);
        if (n == -1)
            return 0;
        if (n < 0)
            return COORD_EIO;
        buf_consume(&c->out, (size_t)n);
        c->last_send = coord_now_ms();
    }
    return 0;
}

/* Moves queued requests into the output while there is room. */
static void send_queued(struct coord *c)
{
    while (c->queue && c->out.len < OUT_HIGH) {
        struct req *r = pop(&c->queue, &c->queue_tail);
        r->xid = c->next_xid;
        c->next_xid = c->next_xid == INT32_MAX ? 1 : c->next_xid + 1;
        put_frame(c, r->xid, r->type, &r->body);
        push(&c->pending, &c->pending_tail, r);
    }
}

void core_submit(struct coord *c, struct req *r)
{
    push(&c->queue, &c->queue_tail, r);
    if (c->phase == PH_OPEN) {
        send_queued(c);
        int rc = flush(c);
        (void)rc; /* a broken socket shows up as readable in the loop */
        if (c->out.len > 0)
            core_wake(c);
    } else {
        core_wake(c);
    }
}

/* --- connection lifecycle --- */

static void close_fd(struct coord *c)
{
    tls_close(c);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->phase = PH_IDLE;
    c->gen++;
    c->ping_out = false;
    buf_reset(&c->in);
    buf_reset(&c->out);
}

static int backoff_cap(const struct coord *c)
{
    int cap = BACKOFF_MAX;
    int t = c->timeout_neg ? c->timeout_neg : c->timeout_req;
    if (t / 3 < cap)
        cap = t / 3 > BACKOFF_MIN ? t / 3 : BACKOFF_MIN;
    return cap;
}

/* After a failed attempt: the next host at once, or after a full round of
 * failures a jittered, doubling pause. */
static void schedule_reconnect(struct coord *c)
{
    int64_t now = coord_now_ms();
    c->failures++;
    c->host_next = (c->host_next + 1) % c->hl.n;
    if (c->failures % c->hl.n != 0) {
        c->next_connect = now;
        return;
    }
    int b = c->backoff_ms;
    int jitter = (int)(rng_next(&c->rng) % (uint64_t)(b / 2 + 1));
    c->next_connect = now + b - jitter;
    c->backoff_ms = b * 2 > backoff_cap(c) ? backoff_cap(c) : b * 2;
}

/* Fails every call of a list already detached from the handle. */
static void fail_reqs(struct coord *c, struct req *list, int code)
{
    while (list) {
        struct req *r = list;
        list = r->next;
        finish(c, r, code, NULL);
    }
}

/* Fails every pending auth reply of a detached list, and frees it. */
static void fail_awaits(struct coord *c, struct auth_wait *aw, int code)
{
    while (aw) {
        struct auth_wait *a = aw;
        aw = a->next;
        if (a->cb)
            CALLBACK(c, a->cb(code, a->ctx));
        free(a);
    }
}

/* Fails the in-flight calls of a dropped connection; queued ones wait. */
static void fail_conn(struct coord *c)
{
    close_fd(c);
    struct req *list = c->pending;
    struct auth_wait *aw = c->awaits;
    c->pending = c->pending_tail = NULL;
    c->awaits = c->awaits_tail = NULL;
    if (c->closing) {
        c->state = COORD_CLOSED;
    } else {
        schedule_reconnect(c);
        if (c->state == COORD_CONNECTED)
            core_set_state(c, COORD_SUSPENDED);
    }
    fail_reqs(c, list, COORD_ECONNECTIONLOSS);
    fail_awaits(c, aw, COORD_ECONNECTIONLOSS);
}

/* Enters a final state: nothing is retried, everything fails with code. */
static void go_final(struct coord *c, int state, int code)
{
    close_fd(c);
    struct req *p = c->pending, *q = c->queue;
    struct auth_wait *aw = c->awaits;
    c->pending = c->pending_tail = c->queue = c->queue_tail = NULL;
    c->awaits = c->awaits_tail = NULL;
    core_set_state(c, state);
    fail_reqs(c, p, code);
    fail_reqs(c, q, code);
    fail_awaits(c, aw, code);
    for (struct auth *a = c->auths; a; a = a->next) {
        coord_void_cb cb = a->cb;
        a->cb = NULL;
        if (cb)
            CALLBACK(c, cb(code, a->ctx));
    }
    watch_cancel_all(c);
}

static void start_connect(struct coord *c, int64_t now)
{
    const struct host *h = &c->hl.hosts[c->host_next];
    int fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (fd < 0) {
        core_error(c, "socket: %s", strerror(errno));
        schedule_reconnect(c);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->gen++;
    if (connect(fd, (const struct sockaddr *)&h->addr, h->addrlen) != 0 &&
        errno != EINPROGRESS) {
        core_error(c, "connect to %s: %s", h->label, strerror(errno));
        close_fd(c);
        schedule_reconnect(c);
        return;
    }
    c->phase = PH_TCP;
    int t = c->timeout_neg ? c->timeout_neg : c->timeout_req;
    int per = t / (int)c->hl.n;
    c->conn_deadline = now + (per < 200 ? 200 : per);
    c->last_recv = c->last_send = now;

    struct coord_connect_req req = {
        .protocol_version = 0,
        .last_zxid_seen = c->last_zxid,
        .timeout = c->timeout_req,
        .session_id = c->session_id,
        .passwd = {(const char *)c->passwd, 16},
        .has_readonly = true,
        .readonly = c->read_only,
    };
    size_t off = jute_frame_begin(&c->out);
    coord_put_connect_req(&c->out, &req);
    jute_frame_end(&c->out, off);
}

static void put_auth(struct coord *c, const struct auth *a)
{
    struct coord_auth_packet p = {
        0, jute_cstr(a->scheme), {(const char *)a->data.base,
                                  (int32_t)a->data.len}};
    size_t off = jute_frame_begin(&c->out);
    jute_put_int(&c->out, COORD_XID_AUTH);
    jute_put_int(&c->out, COORD_OP_AUTH);
    coord_put_auth_packet(&c->out, &p);
    jute_frame_end(&c->out, off);
}

/* Queues the auth packet of a and the waiter its reply pops. */
static int queue_auth(struct coord *c, const struct auth *a, coord_void_cb cb,
                      void *ctx)
{
    struct auth_wait *w = calloc(1, sizeof *w);
    if (w == NULL)
        return COORD_ENOMEM;
    w->cb = cb;
    w->ctx = ctx;
    if (c->awaits_tail)
        c->awaits_tail->next = w;
    else
        c->awaits = w;
    c->awaits_tail = w;
    put_auth(c, a);
    return 0;
}

/* Queues an auth packet now if connected; its reply pops an auth_wait.
 * Returns 1 if sent (cb will run), 0 if it waits for the next connect. */
int core_send_auth(struct coord *c, const struct auth *a, coord_void_cb cb,
                   void *ctx)
{
    if (c->phase != PH_OPEN)
        return 0; /* sent with the others on connect; no waiter */
    if (queue_auth(c, a, cb, ctx) != 0)
        return COORD_ENOMEM;
    int rc = flush(c);
    (void)rc;
    if (c->out.len)
        core_wake(c);
    return 1;
}

static int on_connect_resp(struct coord *c, const uint8_t *p, size_t n)
{
    struct jute_r r;
    struct coord_connect_resp resp;
    jute_r_init(&r, p, n);
    if (coord_get_connect_resp(&r, &resp) != 0)
        return COORD_EPROTO;
    if (resp.timeout <= 0) {
        go_final(c, COORD_LOST, COORD_ESESSIONEXPIRED);
        return 0;
    }
    if (resp.passwd.len != 16 || resp.session_id == 0)
        return COORD_EPROTO;
    c->session_id = resp.session_id;
    memcpy(c->passwd, resp.passwd.p, 16);
    c->timeout_neg = resp.timeout;
    c->phase = PH_OPEN;
    c->failures = 0;
    c->backoff_ms = BACKOFF_MIN;
    /* Auth first, then the watches, then what waited (wire spec 2.1). */
    for (struct auth *a = c->auths; a; a = a->next) {
        if (queue_auth(c, a, a->cb, a->ctx) != 0)
            return COORD_ENOMEM;
        a->cb = NULL;
    }
    watch_put_set(c, &c->out);
    send_queued(c);
    if (c->out.err)
        return c->out.err;
    core_set_state(c, COORD_CONNECTED);
    return 0;
}

static int on_reply(struct coord *c, const uint8_t *p, size_t n)
{
    struct jute_r r;
    struct coord_reply_header h;
    jute_r_init(&r, p, n);
    if (coord_get_reply_header(&r, &h) != 0)
        return COORD_EPROTO;
    if (h.xid != COORD_XID_NOTIFICATION && h.zxid > c->last_zxid)
        c->last_zxid = h.zxid;
    switch (h.xid) {
    case COORD_XID_NOTIFICATION: {
        struct coord_watcher_event ev;
        if (coord_get_watcher_event(&r, &ev) != 0 || ev.path.len < 0)
            return COORD_EPROTO;
        watch_dispatch(c, ev.type, ev.path.p, (size_t)ev.path.len);
        return 0;
    }
    case COORD_XID_PING:
        c->ping_out = false;
        return 0;
    case COORD_XID_SETWATCHES:
        return 0;
    case COORD_XID_AUTH: {
        struct auth_wait *w = c->awaits;
        if (w) {
            c->awaits = w->next;
            if (c->awaits == NULL)
                c->awaits_tail = NULL;
        }
        if (h.err == COORD_EAUTHFAILED) {
            if (w && w->cb)
                CALLBACK(c, w->cb(h.err, w->ctx));
            free(w);
            go_final(c, COORD_AUTH_FAILED, COORD_EAUTHFAILED);
            return 0;
        }
        if (w && w->cb)
            CALLBACK(c, w->cb(h.err, w->ctx));
        free(w);
        return 0;
    }
    default:
        break;
    }
    struct req *req = c->pending;
    if (req == NULL || req->xid != h.xid)
        return COORD_EPROTO; /* out of order: drop the connection */
    pop(&c->pending, &c->pending_tail);
    return finish(c, req, h.err, h.err == 0 ? &r : NULL);
}

static void read_input(struct coord *c)
{
    for (int round = 0; round < 16; round++) {
        size_t room = 65536;
        if (buf_reserve(&c->in, room) != 0) {
            fail_conn(c);
            return;
        }
        ssize_t n = conn_recv(c, c->in.base + c->in.len, room);
        if (n < 0)
            return;
        if (n == 0) {
            fail_conn(c);
            return;
        }
        c->in.len += (size_t)n;
        c->last_recv = coord_now_ms();
        unsigned gen = c->gen;
        size_t off = 0;
        while (c->in.len - off >= 4) {
            uint32_t len = jute_be32(c->in.base + off);
            if (len > COORD_MAX_FRAME) {
                fail_conn(c);
                return;
            }
            if (c->in.len - off - 4 < len)
                break;
            const uint8_t *frame = c->in.base + off + 4;
            int rc = c->phase == PH_HANDSHAKE ? on_connect_resp(c, frame, len)
                                              : on_reply(c, frame, len);
            if (c->gen != gen)
                return; /* the connection went away under the frame */
            if (rc != 0) {
                fail_conn(c);
                return;
            }
            off += 4 + len;
        }
        buf_consume(&c->in, off);
        /* TLS hands out a record at a time: read until it would block. */
        if ((size_t)n < room && c->ssl == NULL)
            return;
    }
}

static void tcp_ready(struct coord *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        core_error(c, "connect to %s: %s", c->hl.hosts[c->host_next].label,
                   strerror(err ? err : errno));
        fail_conn(c);
        return;
    }
    if (c->tls_ctx == NULL) {
        c->phase = PH_HANDSHAKE;
        return;
    }
    if (tls_start(c, &c->hl.hosts[c->host_next]) != 0) {
        fail_conn(c);
        return;
    }
    c->phase = PH_TLS;
}

/* Drives the TLS handshake; once done the connect request goes out. */
static void tls_ready(struct coord *c)
{
    int rc = tls_handshake(c);
    if (rc < 0)
        fail_conn(c);
    else if (rc > 0)
        c->phase = PH_HANDSHAKE;
}

/* Calls past their deadline fail with COORD_EOPERATIONTIMEOUT. Sent ones
 * stay in the pending list (their replies keep the xid order) but are
 * marked abandoned so the reply is dropped. */
static void expire_calls(struct coord *c, int64_t now)
{
    struct req *expired = NULL, **tail = &expired;
    struct req **pp = &c->queue;
    c->queue_tail = NULL;
    while (*pp) {
        struct req *r = *pp;
        if (r->deadline <= now) {
            *pp = r->next;
            r->next = NULL;
            *tail = r;
            tail = &r->next;
        } else {
            c->queue_tail = r;
            pp = &r->next;
        }
    }
    for (struct req *r = c->pending; r; r = r->next) {
        if (!r->abandoned && r->deadline <= now && r->done) {
            req_done_fn done = r->done;
            r->done = NULL;
            r->w = NULL; /* its watch, if any, is never registered */
            unsigned gen = c->gen;
            (void)done(c, r, COORD_EOPERATIONTIMEOUT, NULL);
            r->abandoned = true;
            if (gen != c->gen)
                break; /* the list was failed under us */
        }
    }
    while (expired) {
        struct req *r = expired;
        expired = r->next;
        finish(c, r, COORD_EOPERATIONTIMEOUT, NULL);
    }
}

static int64_t earliest_deadline(const struct coord *c)
{
    int64_t d = INT64_MAX;
    for (const struct req *r = c->queue; r; r = r->next)
        if (r->deadline < d)
            d = r->deadline;
    for (const struct req *r = c->pending; r; r = r->next)
        if (!r->abandoned && r->done && r->deadline < d)
            d = r->deadline;
    return d;
}

static void send_ping(struct coord *c)
{
    put_frame(c, COORD_XID_PING, COORD_OP_PING, NULL);
    c->ping_out = true;
}

int core_process_locked(struct coord *c, unsigned events)
{
    int dead = core_dead_code(c);
    if (dead && !c->closing)
        return dead;
    int64_t now = coord_now_ms();
    if (c->fd < 0 && !c->closing && now >= c->next_connect)
        start_connect(c, now);
    if (c->fd >= 0 && c->phase == PH_TCP && (events & (COORD_WRITE | COORD_READ)))
        tcp_ready(c);
    if (c->fd >= 0 && c->phase == PH_TLS)
        tls_ready(c);
    if (c->fd >= 0 && c->phase != PH_TCP && c->phase != PH_TLS &&
        ((events & COORD_READ) || tls_pending(c) ||
         (c->tls_want_write && (events & COORD_WRITE))))
        read_input(c);
    now = coord_now_ms();
    if (c->fd >= 0 && c->phase != PH_OPEN && now >= c->conn_deadline) {
        core_error(c, "%s with %s timed out",
                   c->phase == PH_TCP   ? "connect"
                   : c->phase == PH_TLS ? "TLS handshake"
                                        : "session handshake",
                   c->hl.hosts[c->host_next].label);
        fail_conn(c);
    }
    if (c->fd >= 0 && c->phase == PH_OPEN) {
        int t = c->timeout_neg;
        if (now - c->last_recv >= t * 2 / 3) {
            core_error(c, "no reply from %s for %d ms",
                       c->hl.hosts[c->host_next].label, t * 2 / 3);
            fail_conn(c);
        } else if (now - c->last_send >= t / 3 && !c->ping_out) {
            send_ping(c);
        }
    }
    if (c->fd >= 0 && flush(c) != 0)
        fail_conn(c);
    expire_calls(c, coord_now_ms());
    if (c->fd >= 0 && c->phase == PH_OPEN && c->out.len > 0 && flush(c) != 0)
        fail_conn(c);
    dead = core_dead_code(c);
    return c->closing ? 0 : dead;
}

/* --- public: handle lifetime and event-loop mode --- */

void coord_options_init(struct coord_options *o)
{
    memset(o, 0, sizeof *o);
}

int core_add_auth(struct coord *c, const char *scheme, const void *data,
                  int32_t len, struct auth **out)
{
    struct auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return COORD_ENOMEM;
    a->scheme = strdup(scheme);
    buf_init(&a->data, COORD_MAX_FRAME / 2);
    if (len > 0)
        buf_append(&a->data, data, (size_t)len);
    if (a->scheme == NULL || a->data.err) {
        int rc = a->data.err ? a->data.err : COORD_ENOMEM;
        free(a->scheme);
        buf_close(&a->data);
        free(a);
        return rc;
    }
    if (c->auths_tail)
        c->auths_tail->next = a;
    else
        c->auths = a;
    c->auths_tail = a;
    if (out)
        *out = a;
    return 0;
}

int coord_new(const struct coord_options *opts, struct coord **out)
{
    if (opts == NULL || out == NULL || opts->session_timeout_ms < 0 ||
        opts->call_timeout_ms < 0 ||
        (opts->session_id != 0 && opts->session_passwd == NULL) ||
        (opts->auth_scheme == NULL) != (opts->auth_data == NULL))
        return COORD_EINVAL;
    struct coord *c = calloc(1, sizeof *c);
    if (c == NULL)
        return COORD_ENOMEM;
    if (opts->tls || opts->tls_ca_file || opts->tls_cert_file ||
        opts->tls_key_file) {
        int trc = tls_ctx_new(c, opts);
        if (trc != 0) {
            if (opts->tls_error && opts->tls_error_len)
                snprintf(opts->tls_error, opts->tls_error_len, "%s",
                         c->last_err);
            free(c);
            return trc;
        }
    }
    c->rng = opts->seed;
    if (c->rng == 0 && getrandom(&c->rng, sizeof c->rng, GRND_NONBLOCK) !=
                           (ssize_t)sizeof c->rng)
        c->rng = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    int rc = hosts_parse(opts->hosts, &c->hl, &c->rng);
    if (rc != 0)
        goto err_free;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&c->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_cond_init(&c->cv, NULL);
    c->state = COORD_CONNECTING;
    c->timeout_req = opts->session_timeout_ms ? opts->session_timeout_ms
                                              : 10000;
    c->call_timeout = opts->call_timeout_ms ? opts->call_timeout_ms
                                            : 2 * c->timeout_req;
    c->state_cb = opts->state_cb;
    c->state_ctx = opts->state_ctx;
    c->read_only = opts->read_only;
    c->session_id = opts->session_id;
    if (opts->session_id)
        memcpy(c->passwd, opts->session_passwd, 16);
    c->fd = -1;
    c->wake[0] = c->wake[1] = -1;
    c->backoff_ms = BACKOFF_MIN;
    c->next_xid = 1;
    c->next_connect = coord_now_ms();
    buf_init(&c->out, OUT_MAX);
    buf_init(&c->in, IN_MAX);
    if (opts->auth_scheme) {
        rc = core_add_auth(c, opts->auth_scheme, opts->auth_data,
                                   (int32_t)strlen(opts->auth_data), NULL);
        if (rc != 0)
            goto err_hosts;
    }
    *out = c;
    return 0;

err_hosts:
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    hosts_free(&c->hl);
err_free:
    tls_ctx_free(c);
    free(c);
    return rc;
}

static int close_done(struct coord *c, struct req *r, int rc,
                      struct jute_r *body)
{
    (void)r;
    (void)rc;
    (void)body;
    c->state = COORD_CLOSED;
    return 0;
}

void coord_free(struct coord *c)
{
    if (c == NULL)
        return;
    if (c->thread_on)
        coord_stop_thread(c);
    core_lock(c);
    if (core_dead_code(c) == 0 && c->phase == PH_OPEN) {
        struct req *r = req_new(c, COORD_OP_CLOSESESSION, close_done, NULL,
                                NULL);
        if (r) {
            c->closing = true;
            bool never = false;
            core_submit(c, r);
            /* A second at most: then the session just times out. */
            int64_t until = coord_now_ms() + 1000;
            while (c->state != COORD_CLOSED && c->fd >= 0 &&
                   coord_now_ms() < until)
                core_drive(c, &never, coord_now_ms() + 50);
        }
    }
    c->closing = false;
    c->state = COORD_CONNECTING; /* so the CLOSED transition is reported */
    go_final(c, COORD_CLOSED, COORD_ECLOSED);
    core_free_listeners(c);
    while (c->auths) {
        struct auth *a = c->auths;
        c->auths = a->next;
        free(a->scheme);
        buf_close(&a->data);
        free(a);
    }
    buf_close(&c->in);
    buf_close(&c->out);
    hosts_free(&c->hl);
    tls_ctx_free(c);
    core_unlock(c);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int coord_state(struct coord *c)
{
    core_lock(c);
    int s = c->state;
    core_unlock(c);
    return s;
}

const char *coord_state_name(int state)
{
    switch (state) {
    case COORD_CONNECTING: return "connecting";
    case COORD_CONNECTED: return "connected";
    case COORD_SUSPENDED: return "suspended";
    case COORD_LOST: return "lost";
    case COORD_AUTH_FAILED: return "auth_failed";
    case COORD_CLOSED: return "closed";
    default: return "unknown";
    }
}

int64_t coord_session_id(struct coord *c, unsigned char *passwd)
{
    core_lock(c);
    int64_t id = c->session_id;
    if (passwd)
        memcpy(passwd, c->passwd, 16);
    core_unlock(c);
    return id;
}

int coord_session_timeout(struct coord *c)
{
    core_lock(c);
    int t = c->timeout_neg;
    core_unlock(c);
    return t;
}

int coord_set_call_timeout(struct coord *c, int ms)
{
    core_lock(c);
    int old = c->call_timeout;
    if (ms > 0)
        c->call_timeout = ms;
    core_unlock(c);
    return old;
}

int coord_is_threaded(struct coord *c)
{
    core_lock(c);
    int on = c->thread_on;
    core_unlock(c);
    return on;
}

int coord_fd(struct coord *c)
{
    core_lock(c);
    int fd = c->fd;
    core_unlock(c);
    return fd;
}

unsigned coord_interest(struct coord *c)
{
    core_lock(c);
    unsigned ev = 0;
    if (c->fd >= 0) {
        if (c->phase == PH_TCP)
            ev = COORD_WRITE;
        else if (c->phase == PH_TLS)
            ev = COORD_READ | (c->tls_want_write ? COORD_WRITE : 0);
        else
            ev = COORD_READ |
                 (c->out.len || c->tls_want_write ? COORD_WRITE : 0);
    }
    core_unlock(c);
    return ev;
}

int coord_timeout_ms(struct coord *c)
{
    core_lock(c);
    int64_t now = coord_now_ms();
    int64_t d = earliest_deadline(c);
    if (core_dead_code(c) != 0 && !c->closing) {
        d = now + 1000;
    } else if (c->fd < 0) {
        if (c->next_connect < d)
            d = c->next_connect;
    } else if (tls_pending(c)) {
        d = now;
    } else if (c->phase != PH_OPEN) {
        if (c->conn_deadline < d)
            d = c->conn_deadline;
    } else {
        int t = c->timeout_neg;
        int64_t ping = c->ping_out ? INT64_MAX : c->last_send + t / 3;
        int64_t dead = c->last_recv + t * 2 / 3;
        if (ping < d)
            d = ping;
        if (dead < d)
            d = dead;
    }
    core_unlock(c);
    int64_t ms = d - now;
    if (ms < 0)
        ms = 0;
    return ms > 60000 ? 60000 : (int)ms;
}

int coord_last_error(struct coord *c, char *buf, size_t len)
{
    if (c == NULL)
        return COORD_EINVAL;
    core_lock(c);
    int n = (int)strlen(c->last_err);
    if (buf && len)
        snprintf(buf, len, "%s", c->last_err);
    core_unlock(c);
    return n;
}

int coord_process(struct coord *c, unsigned events)
{
    core_lock(c);
    int rc;
    if (c->in_cb || (c->thread_on && !pthread_equal(pthread_self(), c->thread)))
        rc = COORD_EINVAL;
    else
        rc = core_process_locked(c, events);
    core_unlock(c);
    return rc;
}
