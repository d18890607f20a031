/* The gateway's structured admin commands (cons, wchc, wchp, dump): JSON
 * built from the server's state, named as ZooKeeper's AdminServer names it,
 * rather than the four-letter words' text. Reads only; no state changes. */
#include "server/rest.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "proto/records.h"
#include "server/server.h"

static json_t *hex(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "0x%" PRIx64, v);
    return json_string(s);
}

/* The decimal text of a session id, as Java's Map<Long, ...> keys print. */
static void key_of(int64_t sid, char *s, size_t n)
{
    snprintf(s, n, "%" PRId64, sid);
}

/* A client connection as ServerCnxn.getConnectionInfo(false) has it. */
static json_t *conn_json(const struct conn *c, int64_t now_mono,
                         int64_t now_wall)
{
    json_t *o = json_pack(
        "{s:s, s:i, s:I, s:I, s:I, s:b}", "remote_socket_address",
        c->peer_text, "interest_ops", (int)(c->epoll_events & 1u),
        "outstanding_requests", (json_int_t)c->q_len, "packets_received",
        (json_int_t)c->received, "packets_sent", (json_int_t)c->sent,
        "secure", c->ssl != NULL);
    if (o == NULL || c->session_id == 0)
        return o;
    int64_t avg_us = c->lat_count ? c->lat_sum_us / (int64_t)c->lat_count : 0;
    json_object_set_new(o, "session_id", json_integer(c->session_id));
    json_object_set_new(o, "session_id_hex", hex((uint64_t)c->session_id));
    json_object_set_new(o, "last_operation",
                        json_string(coord_op_name(c->last_op)));
    json_object_set_new(o, "session_timeout",
                        json_integer(c->session ? c->session->timeout : 0));
    json_object_set_new(o, "last_cxid", json_integer(c->last_xid));
    json_object_set_new(o, "last_zxid", json_integer(c->last_zxid));
    /* wall-clock milliseconds, from the monotonic creation time */
    json_object_set_new(o, "established",
                        json_integer(now_wall - (now_mono - c->created_ms)));
    json_object_set_new(o, "last_latency",
                        json_integer(c->last_latency_us / 1000));
    json_object_set_new(o, "min_latency",
                        json_integer(c->lat_min_us < 0 ? 0
                                                       : c->lat_min_us / 1000));
    json_object_set_new(o, "avg_latency", json_real((double)avg_us / 1000.0));
    json_object_set_new(o, "max_latency",
                        json_integer(c->lat_max_us / 1000));
    return o;
}

void rest_admin_cons(struct server *srv, json_t *o)
{
    json_t *plain = json_array(), *secure = json_array();
    int64_t mono = server_mono_ms(), wall = server_wall_ms();
    for (const struct conn *c = srv->conns; c; c = c->next) {
        if (c->state == CONN_DEAD)
            continue;
        json_array_append_new(c->ssl ? secure : plain,
                              conn_json(c, mono, wall));
    }
    json_object_set_new(o, "connections", plain);
    json_object_set_new(o, "secure_connections", secure);
}

/* Watcher ids are connections, or gateway objects with the low bit set
 * (no session: left out, as the four-letter words leave them). */
static int64_t session_of_watcher(uint64_t watcher)
{
    if (watcher & 1)
        return 0;
    return ((const struct conn *)(uintptr_t)watcher)->session_id;
}

static void add_to_set(json_t *map, const char *key, json_t *v)
{
    json_t *a = json_object_get(map, key);
    if (a == NULL) {
        a = json_array();
        json_object_set_new(map, key, a);
    }
    json_array_append_new(a, v);
}

static void wchc_one(void *ctx, uint64_t watcher, const char *path, size_t len)
{
    int64_t sid = session_of_watcher(watcher);
    if (sid == 0)
        return;
    char key[32];
    key_of(sid, key, sizeof key);
    add_to_set(ctx, key, json_stringn(path, len));
}

void rest_admin_wchc(struct server *srv, json_t *o)
{
    json_t *map = json_object();
    tree_watches_foreach(srv->tree, wchc_one, map);
    json_object_set_new(o, "session_id_to_watched_paths", map);
}

static void wchp_one(void *ctx, uint64_t watcher, const char *path, size_t len)
{
    int64_t sid = session_of_watcher(watcher);
    char key[4096];
    if (len >= sizeof key)
        return;
    memcpy(key, path, len);
    key[len] = '\0';
    add_to_set(ctx, key, json_integer(sid));
}

void rest_admin_wchp(struct server *srv, json_t *o)
{
    json_t *map = json_object();
    tree_watches_foreach(srv->tree, wchp_one, map);
    json_object_set_new(o, "path_to_session_ids", map);
}

struct eph_ctx {
    const struct server *srv;
    json_t *map;
};

static void eph_path(void *ctx, const char *path, size_t len)
{
    json_array_append_new(ctx, json_stringn(path, len));
}

static void eph_session(void *ctx, int64_t sid, int32_t timeout)
{
    (void)timeout;
    struct eph_ctx *e = ctx;
    json_t *a = json_array();
    tree_ephemerals_foreach(e->srv->tree, sid, eph_path, a);
    if (json_array_size(a) == 0) {
        json_decref(a);
        return;
    }
    char key[32];
    key_of(sid, key, sizeof key);
    json_object_set_new(e->map, key, a);
}

void rest_admin_dump(struct server *srv, json_t *o)
{
    /* expiry times as wall-clock milliseconds, each with its sessions */
    json_t *expiry = json_object();
    int64_t mono = server_mono_ms(), wall = server_wall_ms();
    for (size_t i = 0; i < srv->sessions_cap; i++) {
        for (const struct session *s = srv->sessions[i]; s; s = s->hash_next) {
            char key[32];
            snprintf(key, sizeof key, "%" PRId64, wall + (s->expire_ms - mono));
            add_to_set(expiry, key, json_integer(s->id));
        }
    }
    struct eph_ctx e = {srv, json_object()};
    tree_session_foreach(srv->tree, eph_session, &e);
    json_object_set_new(o, "expiry_time_to_session_ids", expiry);
    json_object_set_new(o, "session_id_to_ephemeral_paths", e.map);
}
