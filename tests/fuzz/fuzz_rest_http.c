/* Fuzz target: the REST gateway's request handling (routing, query
 * arguments, headers, Basic credentials, bodies, answers) without sockets,
 * over a real tree. The rest of coordd is replaced by the stubs below: a
 * write is applied to the tree at once and answered when the request is run
 * again, as the loop would once the write is durable. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/records.h"
#include "server/log.h"
#include "server/rest.h"
#include "server/ensemble.h"
#include "server/server.h"
#include "tests/fuzz/fuzz.h"

/*
 * The input is up to MAX_REQS requests separated by a line "--". Each is
 * HTTP-like text:
 *   METHOD /url?key=value&flag
 *   Header: value
 *   (blank line)
 *   body
 * The URL and query are split and percent-decoded here, as libmicrohttpd
 * does before the gateway sees them. Requests of one input share the tree,
 * so a create can be followed by a read, a session by an ephemeral.
 */
#define MAX_REQS 8
#define MAX_KV 16

static struct coord_config cfg;
static struct server srv;
static int64_t zxid;

/* --- stubs for the rest of coordd --------------------------------------- */

#define MAX_SESSIONS 8
static struct session sessions[MAX_SESSIONS];
static size_t n_sessions;

static struct req *pending[MAX_REQS * 4];
static struct buf pending_reply[MAX_REQS * 4];
static int pending_err[MAX_REQS * 4];
static size_t n_pending;

int64_t server_wall_ms(void) { return 1700000000000; }
int64_t server_mono_ms(void) { return 1000000; }
int64_t server_mono_us(void) { return 1000000000; }
int64_t server_last_zxid(const struct server *s) { return tree_last_zxid(s->tree); }
/* standalone: the ensemble accessors are never reached (srv->ens is NULL) */
bool server_serving(const struct server *s) { (void)s; return true; }
int server_listen_fd(const char *address, int port, int backlog,
                     const char *key)
{
    (void)address, (void)port, (void)backlog, (void)key;
    return -1; /* no sockets here */
}
bool server_readonly(const struct server *s) { (void)s; return false; }
bool ensemble_leading(const struct ensemble *e) { (void)e; return false; }
int64_t ensemble_leader_id(const struct ensemble *e) { (void)e; return 0; }
const char *ensemble_mode(const struct ensemble *e) { (void)e; return "?"; }
const char *ensemble_phase(const struct ensemble *e) { (void)e; return "?"; }
void server_watch(struct server *s, struct source *src, uint32_t ev, bool add)
{
    (void)s, (void)src, (void)ev, (void)add;
}
bool log_burst_due(struct log_burst *b, uint64_t *n)
{
    (void)b;
    *n = 1;
    return false;
}
int server_addr_text(const struct sockaddr *sa, char *addr, size_t len)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    if (sa->sa_family != AF_INET || inet_ntop(AF_INET, &in->sin_addr, addr,
                                              (socklen_t)len) == NULL) {
        snprintf(addr, len, "?");
        return 0;
    }
    return ntohs(in->sin_port);
}
int64_t store_last_snapshot(const struct store *s) { (void)s; return 0; }
void fourlw_render(struct server *s, const char *name, struct buf *out)
{
    (void)s;
    buf_printf(out, "zk_version\tfuzz\nzk_znode_count\t4\nZxid: 0x1\n"
                    "key=value\nname %s\n", name);
}
int rest_tls_start(struct server *s) { (void)s; return 0; }
void rest_tls_stop(struct server *s) { (void)s; }
void rest_tls_reap(struct server *s) { (void)s; }
void rest_tls_tick(struct server *s, int64_t now) { (void)s, (void)now; }

struct session *session_find(struct server *s, int64_t id)
{
    (void)s;
    for (size_t i = 0; i < n_sessions; i++)
        if (sessions[i].id == id)
            return &sessions[i];
    return NULL;
}
void session_touch(struct server *s, struct session *ss) { (void)s, (void)ss; }
int32_t session_negotiate(const struct server *s, int32_t t)
{
    (void)s;
    return t < 2000 ? 2000 : t > 40000 ? 40000 : t;
}

/* Applies the txn now; the request hears of it when the harness says. */
static int apply(struct req *req, int64_t sid, int32_t type, bool super,
                 struct jute_vec ids, struct jute_str body)
{
    if (n_pending == sizeof pending / sizeof pending[0])
        return COORD_EIO;
    struct tree_txn txn = {++zxid, server_wall_ms(), sid, type, super, ids,
                           body};
    struct buf *reply = &pending_reply[n_pending];
    buf_init(reply, (size_t)1 << 24);
    int err = tree_apply(srv.tree, &txn, reply);
    REQUIRE(err != COORD_ENOMEM || reply->len == 0);
    if (type == COORD_OP_CLOSESESSION && err == 0) {
        for (size_t i = 0; i < n_sessions; i++)
            if (sessions[i].id == sid)
                sessions[i] = sessions[--n_sessions];
    }
    req->zxid = txn.zxid;
    pending_err[n_pending] = err;
    pending[n_pending++] = req;
    return 0;
}

int server_submit(struct server *s, struct req *req, int64_t sid, int32_t type,
                  const struct tree_caller *who, struct jute_str body)
{
    (void)s;
    return apply(req, sid, type, who ? who->super : true,
                 who ? who->ids : (struct jute_vec){0, NULL, 0}, body);
}

int session_create(struct server *s, int32_t timeout, struct req *req,
                   int64_t *sid)
{
    (void)s;
    if (n_sessions == MAX_SESSIONS)
        return COORD_EIO;
    int64_t id = 0x100 + zxid;
    struct buf body;
    buf_init(&body, 64);
    jute_put_int(&body, timeout);
    jute_put_buffer(&body, "0123456789abcdef", 16);
    int rv = apply(req, id, COORD_OP_CREATESESSION, true,
                   (struct jute_vec){0, NULL, 0},
                   (struct jute_str){(const char *)body.base,
                                     (int32_t)body.len});
    buf_close(&body);
    if (rv != 0)
        return rv;
    sessions[n_sessions++] = (struct session){.id = id, .timeout = timeout,
                                              .expire_ms = 2000000};
    *sid = id;
    return 0;
}

/* Hands every applied write its result, as the loop does once durable. */
static void complete_pending(void)
{
    for (size_t i = 0; i < n_pending; i++) {
        struct req *req = pending[i];
        if (req->done)
            req->done(req, pending_err[i], &pending_reply[i]);
        buf_close(&pending_reply[i]);
        free(req->data);
        free(req);
    }
    n_pending = 0;
}

static void notify(void *ctx, uint64_t watcher, int32_t type, const char *path,
                   size_t len, int64_t z)
{
    if (watcher & 1)
        rest_notify(ctx, watcher, type, path, len, z);
}

/* --- the input ----------------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decodes [p, p+n) into a new string ("+" stays, as in MHD's path;
 * a decoded NUL ends it, as a C string would). */
static char *decode(const char *p, size_t n)
{
    char *out = malloc(n + 1);
    REQUIRE(out != NULL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
            hexval(p[i + 2]) >= 0) {
            out[k++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        } else {
            out[k++] = p[i];
        }
    }
    out[k] = '\0';
    return out;
}

struct parsed {
    char *method, *url;
    struct rest_kv args[MAX_KV], headers[MAX_KV];
    size_t n_args, n_headers;
    char *strings[4 * MAX_KV + 4];
    size_t n_strings;
};

static char *keep(struct parsed *q, char *s)
{
    q->strings[q->n_strings++] = s;
    return s;
}

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

/* One request from [p, end): 0, or -1 when its first line is unusable. */
static int parse(struct parsed *q, const char *p, const char *end,
                 struct rest_http_req *in)
{
    memset(q, 0, sizeof *q);
    const char *e = line_end(p, end);
    const char *sp = memchr(p, ' ', (size_t)(e - p));
    if (sp == NULL || sp == p)
        return -1;
    q->method = keep(q, decode(p, (size_t)(sp - p)));
    const char *u = sp + 1;
    size_t ul = (size_t)(e - u);
    if (ul > 0 && u[ul - 1] == '\r')
        ul--;
    const char *qm = memchr(u, '?', ul);
    q->url = keep(q, decode(u, qm ? (size_t)(qm - u) : ul));
    if (qm) {
        const char *a = qm + 1, *ae = u + ul;
        while (a < ae && q->n_args < MAX_KV) {
            const char *amp = memchr(a, '&', (size_t)(ae - a));
            const char *ke = amp ? amp : ae;
            const char *eq = memchr(a, '=', (size_t)(ke - a));
            struct rest_kv *kv = &q->args[q->n_args++];
            kv->key = keep(q, decode(a, (size_t)((eq ? eq : ke) - a)));
            kv->value = eq ? keep(q, decode(eq + 1, (size_t)(ke - eq - 1)))
                           : NULL;
            a = ke + 1;
        }
    }
    p = e < end ? e + 1 : end;
    while (p < end) {
        e = line_end(p, end);
        const char *h = p;
        size_t n = (size_t)(e - h);
        if (n > 0 && h[n - 1] == '\r')
            n--;
        p = e < end ? e + 1 : end;
        if (n == 0)
            break; /* the body follows */
        const char *c = memchr(h, ':', n);
        if (c == NULL || q->n_headers == MAX_KV)
            continue;
        const char *v = c + 1;
        while (v < h + n && (*v == ' ' || *v == '\t'))
            v++;
        struct rest_kv *kv = &q->headers[q->n_headers++];
        kv->key = keep(q, decode(h, (size_t)(c - h)));
        size_t vl = (size_t)(h + n - v);
        char *val = malloc(vl + 1);
        REQUIRE(val != NULL);
        memcpy(val, v, vl);
        val[vl] = '\0';
        kv->value = keep(q, val);
    }
    static const struct sockaddr_in peer = {.sin_family = AF_INET,
                                            .sin_port = 0x3930,
                                            .sin_addr = {0x0100007f}};
    *in = (struct rest_http_req){
        .method = q->method,
        .url = q->url,
        .args = q->args,
        .n_args = q->n_args,
        .headers = q->headers,
        .n_headers = q->n_headers,
        .body = (const uint8_t *)p,
        .body_len = (size_t)(end - p),
        .peer = (const struct sockaddr *)&peer,
        .x509 = NULL,
    };
    return 0;
}

static void parsed_free(struct parsed *q)
{
    for (size_t i = 0; i < q->n_strings; i++)
        free(q->strings[i]);
}

/* What every answer must be: a status, JSON that parses when it says JSON.
 * FUZZ_REST_VERBOSE=1 prints each one (for writing corpus files). */
static void check_answer(const struct rest_http_req *in,
                         const struct rest_http_resp *a)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_REST_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "%s %s -> %u %.*s\n", in->method, in->url, a->status,
                (int)(a->len > 300 ? 300 : a->len), a->body ? a->body : "");
    if (a->status == 0)
        return; /* the daemon would have closed the connection */
    REQUIRE(a->status >= 200 && a->status < 600);
    REQUIRE(a->len == 0 || a->body != NULL);
    REQUIRE((a->status == 401) == a->www_authenticate);
    if (a->content_type && strcmp(a->content_type, "application/json") == 0) {
        json_error_t je;
        json_t *j = json_loadb(a->body, a->len, JSON_ALLOW_NUL, &je);
        REQUIRE(j != NULL);
        if (a->status >= 400) {
            REQUIRE(json_is_integer(json_object_get(j, "code")) ||
                    json_object_get(j, "results") != NULL);
            REQUIRE(json_is_string(json_object_get(j, "name")));
        }
        json_decref(j);
    }
}

static void init(void)
{
    REQUIRE(coord_config_defaults(&cfg) == 0);
    char err[256];
    REQUIRE(coord_config_set(&cfg, "4lw.commands.whitelist", "*", err,
                             sizeof err) == 0);
    REQUIRE(coord_config_set(&cfg, "jute.maxbuffer", "65536", err,
                             sizeof err) == 0);
    char id[256];
    REQUIRE(auth_digest("super:pw", 8, id, sizeof id) == 0);
    REQUIRE(coord_config_set(&cfg, "DigestAuthenticationProvider.superDigest",
                             id, err, sizeof err) == 0);
    coord_config_finish(&cfg);
    srv.cfg = &cfg;
    log_set_level(LOG_ERROR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        init();
        ready = true;
    }
    struct tree_config tc = {true, 0};
    srv.tree = tree_new(&tc, notify, &srv);
    REQUIRE(srv.tree != NULL);
    zxid = 0;
    n_sessions = 0;
    struct rest *r = rest_new_detached(&srv);
    REQUIRE(r != NULL);
    srv.rest = r;

    const char *p = (const char *)data, *end = p + size;
    struct hreq *open[MAX_REQS];
    struct parsed qs[MAX_REQS];
    struct rest_http_req ins[MAX_REQS];
    size_t n = 0;
    while (p < end && n < MAX_REQS) {
        const char *sep = NULL;
        for (const char *s = p; s + 4 <= end; s++)
            if (memcmp(s, "\n--\n", 4) == 0) {
                sep = s;
                break;
            }
        const char *e = sep ? sep : end;
        if (parse(&qs[n], p, e, &ins[n]) == 0) {
            struct hreq *hr = rest_request_new(r, &ins[n]);
            REQUIRE(hr != NULL);
            const struct rest_http_resp *a;
            if (!rest_request_run(hr, &a)) {
                if (n_pending == 0) {
                    /* a long poll: a later write may wake it */
                    open[n] = hr;
                    n++;
                    p = sep ? sep + 4 : end;
                    continue;
                }
                /* a write: applied already, so answered once told */
                complete_pending();
                REQUIRE(rest_request_run(hr, &a));
            }
            check_answer(&ins[n], a);
            rest_request_free(hr);
            open[n] = NULL;
            n++;
        } else {
            parsed_free(&qs[n]);
        }
        p = sep ? sep + 4 : end;
    }
    for (size_t i = 0; i < n; i++) {
        if (open[i]) {
            const struct rest_http_resp *a;
            REQUIRE(rest_request_run(open[i], &a));
            check_answer(&ins[i], a);
            rest_request_free(open[i]);
        }
        parsed_free(&qs[i]);
    }
    complete_pending();
    srv.rest = NULL;
    rest_free_detached(r);
    tree_free(srv.tree);
    srv.tree = NULL;
    return 0;
}
