/* libcoord internals shared by the files of client/; never installed. */
#ifndef COORD_CLIENT_INTERNAL_H
#define COORD_CLIENT_INTERNAL_H

/* proto's records must come before coord.h: both define struct coord_stat
 * and the error table, and coord.h skips its copies when proto's are in. */
#include "proto/buf.h"
#include "proto/err.h"
#include "proto/jute.h"
#include "proto/records.h"

#include "coord.h"

#include <pthread.h>
#include <sys/socket.h>

/* A host of the connect string, resolved once at coord_new. */
struct host {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char name[256];  /* as written in the connect string (TLS name check) */
    char label[280]; /* "name:port" for error messages */
};

/* Parsed connect string: hosts (shuffled) and chroot ("" for none). */
struct hostlist {
    struct host *hosts;
    size_t n;
    char *chroot;
    size_t chroot_len;
};

int hosts_parse(const char *spec, struct hostlist *out, uint64_t *rng);
void hosts_free(struct hostlist *hl);

/* xorshift64*: jitter and shuffles. */
uint64_t rng_next(uint64_t *s);

struct req;
/* Completes a request: rc is the reply's err (0: body holds the reply
 * body), or a local code with body NULL. Runs the user callback; returns
 * COORD_EPROTO when the body does not decode (the connection is dropped). */
typedef int (*req_done_fn)(struct coord *c, struct req *r, int rc,
                           struct jute_r *body);

enum watch_kind { W_DATA, W_EXIST, W_CHILD, W_PERSISTENT, W_RECURSIVE };

struct req {
    struct req *next;
    int32_t xid;
    int32_t type;
    struct buf body;   /* encoded request body, chroot applied */
    int64_t deadline;  /* monotonic ms */
    bool abandoned;    /* timed out after sending: drop its reply */
    req_done_fn done;
    void *cb;          /* the user callback, cast back by done */
    void *ctx;
    /* A watch to register when the reply is in. */
    coord_watch_fn w;
    void *wctx;
    int wkind; /* enum watch_kind, or -1 */
    char *spath; /* server path (watches, removeWatches) */
    int32_t wtype;
    struct coord_txn *txn;
};

struct watch {
    struct watch *next;
    int kind;     /* enum watch_kind */
    char *spath;  /* server path */
    coord_watch_fn cb;
    void *ctx;
};

struct auth {
    struct auth *next;
    char *scheme;
    struct buf data;
    coord_void_cb cb; /* add_auth made while disconnected: runs on reply */
    void *ctx;
};

/* An auth request waiting for its -4 reply. */
struct auth_wait {
    struct auth_wait *next;
    coord_void_cb cb;
    void *ctx;
};

/* A listener added with coord_add_state_listener. fn is NULL once removed
 * during a notification; it is unlinked when the outermost one ends. */
struct state_listener {
    struct state_listener *next;
    int id;
    coord_state_fn fn;
    void *ctx;
};

/* PH_TLS: TCP is up, the TLS handshake runs; the connect request waits in
 * `out` until it completes. */
enum phase { PH_IDLE, PH_TCP, PH_TLS, PH_HANDSHAKE, PH_OPEN };

struct ssl_st;
struct ssl_ctx_st;
struct bio_method_st;

struct coord {
    pthread_mutex_t mu; /* recursive: callbacks may call back in */
    pthread_cond_t cv;  /* sync wrappers wait here in thread mode */
    int state;
    struct hostlist hl;
    size_t host_next;
    size_t failures; /* connect attempts since the last success */
    int backoff_ms;
    int64_t next_connect;

    int timeout_req;
    int timeout_neg;
    int call_timeout;
    coord_state_fn state_cb;
    void *state_ctx;
    struct state_listener *listeners, *listeners_tail;
    int listener_next_id;
    int notifying; /* depth of state listener walks */
    bool read_only;
    int64_t session_id;
    uint8_t passwd[16];
    int64_t last_zxid;
    uint64_t rng;

    int fd;
    int phase;
    int64_t conn_deadline;
    int64_t last_send;
    int64_t last_recv;
    bool ping_out;
    struct buf out;
    struct buf in;
    int32_t next_xid;
    unsigned gen; /* bumped on every disconnect */

    struct req *queue, *queue_tail;     /* not yet sent */
    struct req *pending, *pending_tail; /* sent, awaiting replies */
    struct auth *auths, *auths_tail;
    struct auth_wait *awaits, *awaits_tail;
    struct watch *watches;
    bool closing;

    /* TLS (tls.c); tls_ctx NULL = plain TCP. */
    struct ssl_ctx_st *tls_ctx;
    struct bio_method_st *tls_meth;
    struct ssl_st *ssl; /* the connection's, while fd >= 0 */
    bool tls_verify_name;
    bool tls_want_write; /* the last SSL call wants the socket writable */
    char last_err[320];  /* why the last connection attempt or link failed */

    int in_cb; /* callback depth (for misuse checks) */
    bool thread_on;
    bool thread_stop;
    pthread_t thread;
    int wake[2];
};

/* core.c */
int64_t coord_now_ms(void);
void core_lock(struct coord *c);
void core_unlock(struct coord *c);
/* Final states make every call fail with this code (0 otherwise). */
int core_dead_code(const struct coord *c);
/* Queues a built request (takes r) and sends it if connected. */
void core_submit(struct coord *c, struct req *r);
struct req *req_new(struct coord *c, int32_t type, req_done_fn done, void *cb,
                    void *ctx);
void req_free(struct req *r);
int core_process_locked(struct coord *c, unsigned events);
void core_wake(struct coord *c);
void core_set_state(struct coord *c, int state);
void core_free_listeners(struct coord *c);
int core_send_auth(struct coord *c, const struct auth *a, coord_void_cb cb,
                   void *ctx);
int core_add_auth(struct coord *c, const char *scheme, const void *data,
                  int32_t len, struct auth **out);
/* Event-loop mode: runs the loop until *done or the deadline. */
int core_drive(struct coord *c, bool *done, int64_t deadline);

/* tls.c: TLS, and the socket I/O of every connection. */
void core_error(struct coord *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tls_ctx_new(struct coord *c, const struct coord_options *o);
void tls_ctx_free(struct coord *c);
/* A new SSL on c->fd for host h (name checks, SNI). */
int tls_start(struct coord *c, const struct host *h);
/* 1 done, 0 in progress (see tls_want_write), -1 failed (last_err set). */
int tls_handshake(struct coord *c);
void tls_close(struct coord *c);
/* Decrypted bytes wait inside OpenSSL (poll will not show them). */
bool tls_pending(const struct coord *c);
/* > 0 bytes, -1 would block, 0 closed or failed (last_err set). */
ssize_t conn_recv(struct coord *c, void *p, size_t n);
/* > 0 bytes, -1 would block, -2 failed (last_err set). */
ssize_t conn_send(struct coord *c, const void *p, size_t n);

/* path.c: chroot handling. */
/* Checks a user path and writes the server path to b. `seq`: allow the
 * trailing '/' of a sequential create. */
int path_to_server(const struct coord *c, const char *path, bool seq,
                   struct buf *b);
char *path_to_server_dup(const struct coord *c, const char *path);
/* getConfig's node: read outside any chroot, as ZooKeeper's clients do. */
#define CONFIG_PATH "/zookeeper/config"
/* Strips the chroot into a malloc'd string; NULL if outside it (except
 * CONFIG_PATH, kept as is) or OOM. */
char *path_from_server(const struct coord *c, const char *p, size_t len);

/* watch.c */
int watch_add(struct coord *c, int kind, const char *spath, coord_watch_fn cb,
              void *ctx);
void watch_dispatch(struct coord *c, int type, const char *spath, size_t len);
void watch_remove(struct coord *c, const char *spath, int32_t wtype);
/* The same for the watches whose callback is cb (NULL: any) with ctx;
 * returns how many went. */
int watch_remove_matching(struct coord *c, const char *spath, int32_t wtype,
                          coord_watch_fn cb, void *ctx);
void watch_cancel_all(struct coord *c);
/* Appends setWatches2 frames to b for every watch, each holding at most
 * WATCH_SET_MAX bytes of path text (one path more if a single one is
 * longer), as the Java client splits them; the server answers each with
 * xid -8, in order. */
#define WATCH_SET_MAX (128u * 1024u)
void watch_put_set(struct coord *c, struct buf *b);

/* ops.c: shared with txn.c */
void acl_put(struct buf *b, const struct coord_acl_list *acl);
/* A decoded string vector as one malloc'd block (free the struct); strip:
 * the elements are full paths to take the chroot off. */
struct coord_strings *strings_from_vec(struct coord *c,
                                       const struct jute_vec *v, bool strip);

/* txn.c */
void txn_encode(const struct coord_txn *t, const struct coord *c,
                struct buf *b);
int txn_check_kind(const struct coord_txn *t, bool read);
int txn_decode(struct coord_txn *t, const struct coord *c, struct jute_r *r);
void txn_clear_results(struct coord_txn *t);

/* Helper: the user callback runs with in_cb counted. */
#define CALLBACK(c, call)                                                      \
    do {                                                                       \
        (c)->in_cb++;                                                          \
        call;                                                                  \
        (c)->in_cb--;                                                          \
    } while (0)

#endif
