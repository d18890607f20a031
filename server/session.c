/* Sessions: the live table (timeouts, owners) and expiry. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "proto/err.h"
#include "server/log.h"
#include "server/server.h"

static size_t slot(const struct server *srv, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (srv->sessions_cap - 1);
}

struct session *session_find(struct server *srv, int64_t id)
{
    if (srv->sessions_cap == 0)
        return NULL;
    for (struct session *s = srv->sessions[slot(srv, id)]; s; s = s->hash_next)
        if (s->id == id)
            return s;
    return NULL;
}

static int grow(struct server *srv)
{
    size_t cap = srv->sessions_cap ? srv->sessions_cap * 2 : 64;
    struct session **t = calloc(cap, sizeof *t);
    if (t == NULL)
        return COORD_ENOMEM;
    struct session **old = srv->sessions;
    size_t old_cap = srv->sessions_cap;
    srv->sessions = t;
    srv->sessions_cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        struct session *s = old[i];
        while (s) {
            struct session *n = s->hash_next;
            size_t k = slot(srv, s->id);
            s->hash_next = t[k];
            t[k] = s;
            s = n;
        }
    }
    free(old);
    return 0;
}

struct session *session_add(struct server *srv, int64_t id, int32_t timeout)
{
    struct session *s = session_find(srv, id);
    if (s) {
        s->timeout = timeout;
        session_touch(srv, s);
        return s;
    }
    if (srv->n_sessions + 1 > srv->sessions_cap * 3 / 4 && grow(srv) != 0)
        return NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->id = id;
    s->timeout = timeout;
    session_touch(srv, s);
    size_t k = slot(srv, id);
    s->hash_next = srv->sessions[k];
    srv->sessions[k] = s;
    srv->n_sessions++;
    return s;
}

void session_remove(struct server *srv, int64_t id)
{
    if (srv->sessions_cap == 0)
        return;
    struct session **pp = &srv->sessions[slot(srv, id)];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->hash_next;
    struct session *s = *pp;
    if (s == NULL)
        return;
    *pp = s->hash_next;
    if (s->conn && s->conn->session == s)
        s->conn->session = NULL;
    srv->n_sessions--;
    free(s);
}

void session_touch(struct server *srv, struct session *s)
{
    (void)srv;
    s->expire_ms = server_mono_ms() + s->timeout;
    s->touched = true;
}

int64_t session_new_id(struct server *srv)
{
    for (;;) {
        int64_t id = srv->next_session_id++;
        /* Never 0, never the container marker; the top byte is the
         * server id, so never the TTL marker either (ids <= 254). */
        if (id == 0 || (uint64_t)id == 0x8000000000000000ull)
            continue;
        uint8_t pw[16];
        int32_t t;
        if (session_find(srv, id) == NULL &&
            tree_session_get(srv->tree, id, &t, pw) != 0)
            return id;
    }
}

int session_create(struct server *srv, int32_t timeout, struct req *req,
                   int64_t *sid)
{
    uint8_t pw[16];
    if (getrandom(pw, sizeof pw, 0) != (ssize_t)sizeof pw)
        return COORD_EAGAIN;
    int64_t id = session_new_id(srv);
    if (session_add(srv, id, timeout) == NULL)
        return COORD_ENOMEM;
    uint8_t body[4 + 4 + 16];
    jute_wbe32(body, (uint32_t)timeout);
    jute_wbe32(body + 4, 16);
    memcpy(body + 8, pw, 16);
    *sid = id;
    int rv = server_submit(srv, req, id, COORD_OP_CREATESESSION, NULL,
                           (struct jute_str){(const char *)body, sizeof body});
    if (rv == COORD_ECONNECTIONLOSS) {
        session_remove(srv, id); /* nothing was submitted */
        *sid = 0;
    }
    return rv;
}

int32_t session_negotiate(const struct server *srv, int32_t requested)
{
    int32_t lo = srv->cfg->min_session_timeout;
    int32_t hi = srv->cfg->max_session_timeout;
    if (requested < lo)
        return lo;
    if (requested > hi)
        return hi;
    return requested;
}

void session_expire_due(struct server *srv, int64_t now_ms)
{
    for (size_t i = 0; i < srv->sessions_cap; i++) {
        for (struct session *s = srv->sessions[i]; s; s = s->hash_next) {
            if (s->closing || s->expire_ms > now_ms)
                continue;
            struct req *r = calloc(1, sizeof *r);
            if (r == NULL)
                return; /* try again at the next tick */
            r->kind = REQ_WRITE;
            r->type = COORD_OP_CLOSESESSION;
            int rv = server_submit(srv, r, s->id, COORD_OP_CLOSESESSION, NULL,
                                   (struct jute_str){"", 0});
            if (rv != 0) {
                free(r);
                return;
            }
            s->closing = true;
            log_info("session: expired sid=0x%llx timeout=%d",
                     (unsigned long long)s->id, s->timeout);
            if (s->conn)
                conn_close(s->conn, "session expired");
        }
    }
}
