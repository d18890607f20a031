/* The REST/JSON gateway: HTTP on httpPort, driven from coordd's own loop. */
#ifndef COORD_SERVER_REST_H
#define COORD_SERVER_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/buf.h"

struct server;

/*
 * --- the loop's side (rest.c) ---
 * rest_start listens on httpPort (nothing when it is 0) and adds the HTTP
 * daemon's epoll fd to the server's epoll. rest_timeout_ms folds the
 * daemon's own timers into epoll_wait's timeout (-1: none). rest_after_events
 * runs the daemon when something was resumed or a timer is due; rest_tick
 * sends keep-alives and ends long polls whose time is up.
 */
int rest_start(struct server *srv);
void rest_stop(struct server *srv);
int rest_timeout_ms(struct server *srv);
void rest_after_events(struct server *srv);
void rest_tick(struct server *srv, int64_t now_ms);
/* The ensemble replaced the tree with the leader's snapshot: watch streams
 * end, and resuming from before it gets a resync event. */
void rest_tree_replaced(struct server *srv);
/* Open HTTP(S) connections and watch streams (SSE and long polls), for
 * mntr; both 0 when the gateway is off. */
void rest_counts(const struct server *srv, size_t *conns, size_t *streams);
/* A watch event for a gateway watcher (watcher ids with the low bit set). */
void rest_notify(struct server *srv, uint64_t watcher, int32_t type,
                 const char *path, size_t len, int64_t zxid);
/* A listening socket for host:port (host NULL or "0.0.0.0": any), or -1
 * after a log line naming `key`. */
int rest_listen(const char *host, int port, const char *key);
/* Hands the daemon the plaintext end of a proxied HTTPS connection, with
 * the client's address for its ip identity and the subject of its verified
 * certificate (NULL: none) for an x509 one. 0, or -1 with fd closed. */
int rest_add_connection(struct server *srv, int fd, const struct sockaddr *sa,
                        socklen_t salen, const char *x509);
/* connectionThrottleRate for a new HTTP or HTTPS connection: true when it
 * may go on; false counts it (coord_connections_throttled and
 * coord_http_connections_throttled) and the caller closes it. The
 * gateway's ports share a bucket of their own, with the client port's
 * rate and burst. */
bool rest_throttle_admit(struct server *srv);

/*
 * --- one request without a connection (tests, the fuzz target) ---
 * The gateway's dispatcher takes a request as a struct as well as from
 * libmicrohttpd: the same routing, identities, handlers and answers, with
 * the answer kept instead of queued. MHD has already split and
 * percent-decoded the URL and the query in the daemon's path, so the struct
 * holds those parts.
 */
struct rest_kv {
    const char *key;
    const char *value; /* NULL: "?key" with no "=" */
};

struct rest_http_req {
    const char *method;          /* "GET", "PUT", ... */
    const char *url;             /* the decoded path, without the query */
    const struct rest_kv *args;  /* query arguments, in order */
    size_t n_args;
    const struct rest_kv *headers;
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
    const struct sockaddr *peer; /* NULL: unknown ("ip:?") */
    const char *x509;            /* a verified certificate's subject, or NULL */
};

struct rest_http_resp {
    unsigned status;
    const char *content_type;    /* static text, or NULL */
    char *body;                  /* owned by the request */
    size_t len;
    char *location;              /* Location header, or NULL */
    bool www_authenticate;       /* 401: asks for Basic */
};

struct rest;
struct hreq;
/* A gateway with no daemon, no listener and no watch history, over srv
 * (whose cfg and tree must be set): for rest_request_*. Free with
 * rest_free_detached after every request on it is freed. */
struct rest *rest_new_detached(struct server *srv);
void rest_free_detached(struct rest *r);
/* Starts a request (in and what it points to are borrowed until
 * rest_request_free). NULL when out of memory. */
struct hreq *rest_request_new(struct rest *r, const struct rest_http_req *in);
/* Runs it: true with the answer in *out (owned by the request), false when
 * it is parked, a write submitted with server_submit or session_create (or
 * a long poll waiting). Once the req's done callback has run, or to end a
 * long poll as if its time were up, run it again. */
bool rest_request_run(struct hreq *hr, const struct rest_http_resp **out);
/* Frees it; a write still in flight applies without it. */
void rest_request_free(struct hreq *hr);

/*
 * --- structured admin commands (rest_admin.c) ---
 * Each adds its members to o (a jansson object), from the server's state,
 * as ZooKeeper's AdminServer names them: cons {connections,
 * secure_connections}, wchc {session_id_to_watched_paths}, wchp
 * {path_to_session_ids}, dump {expiry_time_to_session_ids,
 * session_id_to_ephemeral_paths}.
 */
struct json_t;
void rest_admin_cons(struct server *srv, struct json_t *o);
void rest_admin_wchc(struct server *srv, struct json_t *o);
void rest_admin_wchp(struct server *srv, struct json_t *o);
void rest_admin_dump(struct server *srv, struct json_t *o);

/*
 * --- HTTPS on httpsPort (rest_tls.c, STYLE 3.13) ---
 * TLS is accepted and terminated in coordd's loop with the server's OpenSSL
 * context (srv->tls_ctx, the secure client port's; a SIGHUP reload applies
 * to new connections); the plaintext goes to the daemon through a
 * socketpair. rest_tls_start listens (nothing when httpsPort is 0);
 * rest_tls_reap frees proxies closed during the loop turn; rest_tls_tick
 * drops handshakes that take too long.
 */
int rest_tls_start(struct server *srv);
void rest_tls_stop(struct server *srv);
void rest_tls_reap(struct server *srv);
void rest_tls_tick(struct server *srv, int64_t now_ms);

/*
 * --- JSON bodies to ZooKeeper request records (rest_json.c) ---
 * Pure functions, no server state: the fuzz target calls them directly.
 * Each returns 0 with the request record appended to `rec`, or a ZooKeeper
 * code (COORD_EBADARGUMENTS, COORD_EINVALIDACL, COORD_EMARSHALLING for JSON
 * that does not parse, COORD_ETOOBIG) with a reason in out->msg.
 */
#define REST_CRED_MAX 64

struct rest_parsed {
    int32_t op;                   /* opcode of the record in rec */
    bool ephemeral;               /* create: needs a session */
    bool has_session;
    char session[REST_CRED_MAX];  /* "session" credential as given */
    int32_t timeout;              /* POST /v1/sessions; -1 when absent */
    int32_t n_ops;                /* multi */
    int32_t *types;               /* multi: each op's opcode (malloc'd) */
    char msg[160];
};

void rest_parsed_free(struct rest_parsed *p);
/* POST /v1/znodes{path}: {data, encoding, ephemeral, sequential, container,
 * ttl, acl, session}; an empty body creates a persistent, open node. */
int rest_json_create(const char *body, size_t len, const char *path,
                     struct buf *rec, struct rest_parsed *out);
/* PUT /v1/znodes{path}: {data, encoding[, version]}; `version` (-1 any) is the
 * query's unless the body gives one. */
int rest_json_set(const char *body, size_t len, const char *path,
                  int32_t version, struct buf *rec, struct rest_parsed *out);
/* POST /v1/multi: {"ops": [...], "session": ...} or a bare array of ops
 * {op: create|set|delete|check, path, ...}. */
int rest_json_multi(const char *body, size_t len, struct buf *rec,
                    struct rest_parsed *out);
/* PUT /v1/acl{path}: [{perms, scheme, id}] or {acl: [...], version}; the
 * query's version (-1 any) unless the body gives one. */
int rest_json_setacl(const char *body, size_t len, const char *path,
                     int32_t version, struct buf *rec, struct rest_parsed *out);
/* POST /v1/sessions: {timeout} (optional). */
int rest_json_session(const char *body, size_t len, struct rest_parsed *out);

/* Base64 (RFC 4648, padded). Decoding is strict: 0 or COORD_EBADARGUMENTS. */
void rest_b64_encode(struct buf *out, const uint8_t *p, size_t n);
int rest_b64_decode(struct buf *out, const char *s, size_t n);
/* True when the bytes are valid UTF-8 (no overlongs, no surrogates). */
bool rest_utf8_valid(const uint8_t *p, size_t n);

#endif
