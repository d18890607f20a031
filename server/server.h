/* coordd's internal state, shared by the files of server/ (not installed). */
#ifndef COORD_SERVER_SERVER_H
#define COORD_SERVER_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/buf.h"
#include "proto/records.h"
#include "server/config.h"
#include "server/store.h"
#include "tree/tree.h"

struct server;
struct ssl_st;     /* OpenSSL's SSL */
struct ssl_ctx_st; /* OpenSSL's SSL_CTX */

/* Anything registered with epoll: the handler gets the ready events. */
struct source {
    int fd;
    void (*on_event)(struct server *srv, struct source *src, uint32_t events);
};

enum req_kind {
    REQ_WRITE,   /* a txn; completes when applied after it is durable */
    REQ_CONNECT, /* createSession txn; completes with the ConnectResponse */
    REQ_LOCAL,   /* anything else: runs when it reaches the queue's head */
};

/*
 * One request of a connection, kept in arrival order until its reply is
 * written (wire spec 3.2). Writes are also on the server's txn queue in
 * zxid order; a write whose connection closed stays there with conn NULL.
 */
struct req {
    struct req *next;     /* the connection's queue */
    struct req *txn_next; /* the server's txn queue (writes) */
    struct conn *conn;    /* NULL once the connection is gone */
    enum req_kind kind;
    int32_t xid;
    int32_t type;
    int64_t zxid;  /* writes */
    uint8_t *data; /* writes: encoded txn; locals: request body copy */
    size_t len;
    int64_t start_us; /* for latency statistics */
    /* REQ_LOCAL: the error to answer with instead of running (e.g.
     * SessionExpired once the session is closing), or 0 */
    int32_t preset_err;
    /* REQ_CONNECT only */
    int32_t timeout;
    bool has_readonly;
    /* A write without a connection (the REST gateway): called when it is
     * applied, with the reply body (srv->scratch, valid only during the
     * call); the req is freed after it returns. */
    void (*done)(struct req *req, int err, const struct buf *body);
    void *done_ctx;
};

enum conn_state {
    CONN_NEW,         /* nothing received yet: 4lw or ConnectRequest */
    CONN_CONNECTING,  /* ConnectRequest seen, session being created */
    CONN_OPEN,        /* session established */
    CONN_CLOSING,     /* flush what is queued, then close */
    CONN_DEAD,        /* closed; freed at the end of the loop iteration */
};

struct conn {
    struct source src;
    struct server *srv;
    struct conn *prev, *next; /* all connections */
    struct conn *dirty_next;  /* connections with output to flush */
    bool dirty;
    enum conn_state state;
    uint64_t id;
    struct sockaddr_storage peer;
    char peer_text[64];       /* "127.0.0.1:43210" */
    char addr_text[48];       /* "127.0.0.1" */
    struct buf in;
    struct buf out;
    size_t out_sent;          /* bytes of out already written */
    bool reading_paused;      /* EPOLLIN off: too much queued */
    uint32_t epoll_events;
    /* The epoll events reading and writing wait for: EPOLLIN and EPOLLOUT,
     * except that TLS may need to write to read and the reverse. */
    uint32_t read_wants, write_wants;
    struct ssl_st *ssl;       /* NULL on the plain port */
    bool tls_handshaking;     /* TLS: application data not flowing yet */
    bool tls_failed;          /* TLS: a fatal error, no close_notify */
    struct req *q_head, *q_tail;
    size_t q_len;
    int64_t session_id;
    struct session *session;
    bool super;
    bool readonly;            /* served by a server without a quorum */
    struct buf ids;           /* vector<Id>: count then ids */
    struct sasl_state *sasl;  /* a SASL exchange in progress (sasl.c) */
    int64_t created_ms;
    int64_t last_zxid;        /* last zxid in a reply */
    int32_t last_xid;
    int32_t last_op;
    int64_t last_latency_us;
    uint64_t received, sent;
    int64_t lat_min_us, lat_max_us, lat_sum_us;
    uint64_t lat_count;
};

struct session {
    int64_t id;
    int32_t timeout;
    int64_t expire_ms;        /* monotonic clock */
    bool closing;             /* closeSession txn issued */
    bool touched;             /* activity since the leader last heard */
    bool readonly;            /* a read-only server's local session: not
                               * replicated, gone when a quorum returns */
    struct conn *conn;        /* the connection bound to it, if any */
    struct session *hash_next;
};

struct server_stats {
    uint64_t packets_received;
    uint64_t packets_sent;
    int64_t lat_min_us, lat_max_us, lat_sum_us;
    uint64_t lat_count;
    uint64_t txns_applied;
};

/* A warning repeated in a burst (refused connections): one line, then at
 * most one a second with how many happened since. */
struct log_burst {
    int64_t last_ms;
    uint64_t pending;
    bool started;
};

struct server {
    struct coord_config *cfg;
    int epfd;
    struct source listener;
    struct source tls_listener; /* secureClientPort, fd -1 when off */
    struct ssl_ctx_st *tls_ctx; /* for new TLS connections; reloaded on HUP */
    struct source signals;
    struct source store_src;
    struct tree *tree;
    struct store *store;
    bool running;
    int exit_code;

    int64_t next_zxid;        /* zxid of the next txn */
    int64_t durable_zxid;
    struct req *txn_head, *txn_tail; /* appended, awaiting durability */
    size_t txn_len;
    int64_t last_snap_zxid;
    long snap_threshold;      /* txns after the last snapshot before the next */
    uint64_t log_bytes_since_snap; /* appended since the last snapshot */
    uint64_t snap_min_log_bytes;   /* ... before the next one pays off */

    struct conn *conns;       /* list of all connections */
    size_t n_conns;
    struct conn *dirty;       /* list of connections to flush */
    struct conn *graveyard;   /* closed connections, freed after the loop turn */
    uint64_t next_conn_id;

    struct session **sessions; /* hash table by id */
    size_t sessions_cap;
    size_t n_sessions;
    int64_t next_session_id;

    int64_t start_ms;          /* monotonic */
    int64_t next_tick_ms;
    int64_t next_reap_ms;
    struct buf scratch;        /* reply bodies being built */
    struct server_stats stats;
    struct ensemble *ens;      /* Zab driver, NULL when standalone */
    struct rest *rest;         /* the HTTP gateway, NULL when off */
    struct rest_tls *rest_tls; /* its HTTPS listener (rest_tls.c), or NULL */
    /* connectionThrottleRate: a token bucket on the client ports */
    double throttle_tokens;
    int64_t throttle_ms;       /* when the bucket was last filled */
    uint64_t conns_throttled;  /* coord_connections_throttled */
    struct log_burst throttle_log;
    struct log_burst cnxns_log; /* maxClientCnxns refusals, client port */
};

/* Clocks: wall time for Stat times, monotonic for timers. */
int64_t server_wall_ms(void);
/* The address of sa as text into addr ("?" for other families); returns
 * its port (0 if none). */
int server_addr_text(const struct sockaddr *sa, char *addr, size_t len);
int64_t server_mono_ms(void);
int64_t server_mono_us(void);
/* Counts one occurrence; true when a line is due, with *n the occurrences
 * it reports (this one and those not logged since the last line). */
bool log_burst_due(struct log_burst *b, uint64_t *n);

/* server.c */
int server_init(struct server *srv, struct coord_config *cfg);
/* A listening, non-blocking socket on address:port_num (all addresses for
 * NULL, "" or 0.0.0.0); key names the setting in messages. The fd, or
 * COORD_EINVAL (no such address) or COORD_EIO, logged. */
int server_listen_fd(const char *address, int port_num, int backlog,
                     const char *key);
int server_run(struct server *srv);
void server_close(struct server *srv);
void server_watch(struct server *srv, struct source *src, uint32_t events,
                  bool add);
/* Assigns a zxid, encodes and appends the txn; links req (may have conn NULL)
 * on the txn queue. 0 or a code (COORD_EIO stops the server). */
int server_submit(struct server *srv, struct req *req, int64_t session_id,
                  int32_t type, const struct tree_caller *who,
                  struct jute_str body);
int64_t server_last_zxid(const struct server *srv);
/* Whether client requests may be served now (always when standalone; in an
 * ensemble while this server is in Zab's broadcast phase). */
bool server_serving(const struct server *srv);
/* A sync request (req->data holds its reply body): answered once every
 * write committed before it is applied here. 0 or COORD_ECONNECTIONLOSS. */
int server_sync(struct server *srv, struct req *req);

/* Ensemble support (ensemble.c calls these). */
/* A committed txn, in zxid order: applied, and its request answered. */
void server_deliver(struct server *srv, int64_t zxid, const uint8_t *data,
                    size_t len);
/* A request whose zxid is now known joins the txn queue (zxid order). */
void server_txn_link(struct server *srv, struct req *req);
/* Gives up on a request: its connection is closed (the client sees a
 * connection loss), a gateway request is answered with ConnectionLoss. */
void server_req_abort(struct server *srv, struct req *req);
/* The server left Zab's broadcast phase: clients go, pending requests fail. */
void server_stop_serving(struct server *srv);
/* readonlymode.enabled and no quorum: read-only clients are served. */
bool server_readonly(const struct server *srv);
/* A new leader: every session gets a full timeout from now. */
void server_sessions_renew(struct server *srv);
struct tree *server_tree_new(struct server *srv);
/* Replaces the tree (a snapshot from the leader); sessions follow it. */
void server_tree_replace(struct server *srv, struct tree *t);

/* conn.c */
/* tls is the context for a connection of the TLS port, else NULL. */
void conn_accept(struct server *srv, int fd, const struct sockaddr_storage *ss,
                 struct ssl_ctx_st *tls);
void conn_close(struct conn *c, const char *why);
/* Called after txn req applied with err/reply body in srv->scratch. */
void conn_complete_write(struct conn *c, struct req *req, int err);
void conn_mark_dirty(struct conn *c);
void conn_flush_dirty(struct server *srv);
/* Appends a notification frame (tree notify callback). */
void conn_notify(struct conn *c, int32_t type, const char *path, size_t len,
                 int64_t zxid);
void req_free(struct req *req);

/* session.c */
struct session *session_find(struct server *srv, int64_t id);
struct session *session_add(struct server *srv, int64_t id, int32_t timeout);
void session_remove(struct server *srv, int64_t id);
void session_touch(struct server *srv, struct session *s);
int64_t session_new_id(struct server *srv);
/* Issues closeSession txns for expired sessions. */
void session_expire_due(struct server *srv, int64_t now_ms);
int32_t session_negotiate(const struct server *srv, int32_t requested);
/* Starts a new session: a fresh id and random password, added to the table,
 * and its createSession txn submitted with req. 0 (*sid set) or a code; on
 * COORD_EIO or COORD_ENOMEM from the log the caller stops the server. */
int session_create(struct server *srv, int32_t timeout, struct req *req,
                   int64_t *sid);

/* auth.c */
/* Resets a connection's identities to ip:<addr>. */
int auth_init_conn(struct conn *c);
/* Adds x509:<subject> for a verified client certificate; 0 or a code. */
int auth_add_x509(struct conn *c, const char *subject);
/* Handles an auth packet; 0 or COORD_EAUTHFAILED. */
int auth_add(struct conn *c, struct jute_str scheme, struct jute_str auth);
/* digest id "user:BASE64(SHA1(user:password))" of credentials "user:password" */
int auth_digest(const char *cred, size_t len, char *out, size_t outlen);
/* Appends a WhoAmIResponse body. */
void auth_whoami(const struct conn *c, struct buf *out);

/* fourlw.c */
/* If the 4 bytes are a known four-letter word, answers into c->out and
 * returns true (the caller closes after flushing). */
bool fourlw_handle(struct conn *c, uint32_t word);
/* Appends the text answer of the command `name` (a four-letter word, e.g.
 * "mntr"), whitelist not consulted. */
void fourlw_render(struct server *srv, const char *name, struct buf *out);

#endif
