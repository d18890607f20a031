/* The REST/JSON gateway: libmicrohttpd inside coordd's epoll loop (STYLE 3.13). */
#include "server/rest.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/err.h"
#include "proto/path.h"
#include "server/ensemble.h"
#include "proto/records.h"
#include "server/log.h"
#include "server/server.h"

#define KEEPALIVE_MS 15000
/* Each connection's pool in the daemon, for its request line, headers and
 * read buffer (bodies are handed over in pieces). The daemon zeroes the
 * whole pool between requests: at 64 KiB that memset was a tenth of the
 * CPU of a keep-alive GET. 16 KiB holds any sane header block (nginx's
 * default is 8 KiB per line). */
#define CONN_MEMORY 16384
#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 100000
#define WAIT_MAX_S 300

struct hist_ev {
    int64_t zxid;
    int32_t type;
    char *path;
};

/* A watch stream (SSE) or the watch of one long poll. */
struct stream {
    struct rest *rest;
    struct stream *prev, *next;
    struct MHD_Connection *mc;
    struct hreq *poll;   /* long poll: the request waiting on it */
    char *path;
    size_t plen;
    bool recursive;
    bool suspended;      /* SSE reader parked, waiting for events */
    bool dropped;        /* too slow or shutting down: end the stream */
    struct buf q;        /* SSE bytes not yet handed to the daemon */
    json_t *events;      /* long poll: events seen so far */
    size_t ev_bytes;     /* long poll: about what they take as JSON */
    int64_t last_send_ms;
    int64_t deadline_ms; /* long poll */
};

enum hkind {
    K_NONE,
    K_CREATE,
    K_SET,
    K_SETACL,
    K_DELETE,
    K_MULTI,
    K_SESSION_NEW,
    K_SESSION_CLOSE,
    K_POLL,
};

/* One HTTP request, from its headers to its response. */
struct hreq {
    struct rest *rest;
    struct hreq *prev, *next; /* suspended requests */
    struct MHD_Connection *mc;
    struct buf body;
    bool too_big;
    bool waiting;             /* suspended for a write or a long poll */
    bool ready;               /* resumed: answer from the results below */
    enum hkind kind;
    struct req *req;          /* the write in flight */
    int err;
    uint8_t *reply;
    size_t reply_len;
    int64_t zxid;
    int64_t sid;
    int32_t timeout;
    size_t deleted;
    char *path;
    struct rest_parsed parsed;
    struct stream *poll;
    /* identities for ACLs: ip and the Basic digest */
    struct buf ids;
    int32_t n_ids;
    bool super;
    bool admin;               /* Basic credentials of the superDigest user */
    bool creds;               /* an Authorization header was sent */
    /* Without a daemon (rest_request_new): the request as given, and the
     * answer kept rather than queued on a connection. */
    const struct rest_http_req *in;
    struct rest_http_resp resp;
    bool answered;
};

struct rest {
    struct server *srv;
    struct MHD_Daemon *d;
    struct source src;
    int listen_fd;
    bool dirty;               /* something resumed: run the daemon */
    bool stopping;
    struct hreq *waiting;
    struct stream *streams;
    uint64_t ring_watcher;
    struct hist_ev *ring;
    size_t cap, head, n;
    int64_t floor_zxid;       /* resuming from below this may have lost events */
    const char *adding_x509;  /* rest_add_connection: for on_connection */
    bool adding;              /* ... and admitted already (on_accept_policy) */
    size_t n_conns;           /* open HTTP(S) connections */
    size_t queue_max;         /* httpMaxQueuedBytes */
    uint64_t streams_dropped; /* coord_http_streams_dropped */
    uint64_t throttled;       /* coord_http_connections_throttled */
    double tokens;            /* connectionThrottleRate's bucket, ours */
    int64_t tokens_ms;        /* when it was last filled */
    bool bucket_started;
    struct log_burst refused_log;
    struct log_burst throttle_log;
};

static void rest_on_event(struct server *srv, struct source *src,
                          uint32_t events);

/* --- small helpers ------------------------------------------------------ */

static const char *ev_name(int32_t type)
{
    switch (type) {
    case COORD_EV_CREATED: return "created";
    case COORD_EV_DELETED: return "deleted";
    case COORD_EV_CHANGED: return "changed";
    case COORD_EV_CHILD: return "children";
    }
    return "unknown";
}

static unsigned status_of(int code, bool creds)
{
    switch (code) {
    case 0: return MHD_HTTP_OK;
    case COORD_ENONODE: return MHD_HTTP_NOT_FOUND;
    case COORD_ENODEEXISTS:
    case COORD_ENOTEMPTY: return MHD_HTTP_CONFLICT;
    case COORD_EBADVERSION: return MHD_HTTP_PRECONDITION_FAILED;
    case COORD_ENOAUTH: return creds ? MHD_HTTP_FORBIDDEN : MHD_HTTP_UNAUTHORIZED;
    case COORD_EAUTHFAILED: return MHD_HTTP_UNAUTHORIZED;
    case COORD_EINVALIDACL:
    case COORD_EBADARGUMENTS:
    case COORD_EMARSHALLING:
    case COORD_ENOCHILDRENFOREPHEMERALS:
    case COORD_EEPHEMERALONLOCALSESSION: return MHD_HTTP_BAD_REQUEST;
    case COORD_ETOOBIG: return MHD_HTTP_CONTENT_TOO_LARGE;
    case COORD_ESESSIONEXPIRED:
    case COORD_EUNKNOWNSESSION: return MHD_HTTP_GONE;
    case COORD_ENOTREADONLY:
    case COORD_ECONNECTIONLOSS: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case COORD_EUNIMPLEMENTED: return MHD_HTTP_NOT_IMPLEMENTED;
    case COORD_EQUOTAEXCEEDED: return MHD_HTTP_FORBIDDEN;
    }
    return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* The wire code a local error is reported as. */
static int wire_code(int code)
{
    switch (code) {
    case COORD_ETOOBIG:
    case COORD_EPROTO: return COORD_EMARSHALLING;
    case COORD_ENOMEM:
    case COORD_EIO: return COORD_ESYSTEM;
    }
    return code;
}

/*
 * Every answer goes through here: body (malloc'd, taken; NULL when len is
 * 0) with its type (NULL: no Content-Type) and an optional Location. On a
 * connection it is queued; without one (rest_request_new) it is kept in
 * hr->resp. A 401 asks for Basic credentials.
 */
static enum MHD_Result respond(struct hreq *hr, unsigned status,
                               const char *type, char *body, size_t len,
                               const char *location)
{
    if (hr->mc == NULL) {
        struct rest_http_resp *o = &hr->resp;
        free(o->body);
        free(o->location);
        *o = (struct rest_http_resp){.status = status,
                                     .content_type = type,
                                     .body = body,
                                     .len = len,
                                     .www_authenticate =
                                         status == MHD_HTTP_UNAUTHORIZED};
        if (location && (o->location = strdup(location)) == NULL)
            return MHD_NO;
        hr->answered = true;
        return MHD_YES;
    }
    struct MHD_Response *resp =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    if (type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"coord\"");
    enum MHD_Result rv = MHD_queue_response(hr->mc, status, resp);
    MHD_destroy_response(resp);
    return rv;
}

static enum MHD_Result send_text(struct hreq *hr, unsigned status,
                                 const char *type, char *text, size_t len)
{
    return respond(hr, status, type, text, len, NULL);
}

/* Queues j (consumed) as the response, with an optional Location. */
static enum MHD_Result send_json_loc(struct hreq *hr, unsigned status,
                                     json_t *j, const char *location)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (s == NULL)
        return MHD_NO;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (t == NULL) {
        free(s);
        return MHD_NO;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return respond(hr, status, "application/json", t, n + 1, location);
}

static enum MHD_Result send_json(struct hreq *hr, unsigned status, json_t *j)
{
    return send_json_loc(hr, status, j, NULL);
}

static json_t *error_json(int code, const char *msg)
{
    code = wire_code(code);
    const char *name = coord_err_zkname(code);
    return json_pack("{s:i, s:s, s:s}", "code", code, "name",
                     name ? name : "Unknown", "message",
                     msg && *msg ? msg : coord_strerror(code));
}

/* status 0: the code's own mapping. */
static enum MHD_Result send_error_status(struct hreq *hr, unsigned status,
                                         int code, const char *msg)
{
    if (status == 0)
        status = status_of(code, hr->creds);
    json_t *j = error_json(code, msg);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (s == NULL)
        return MHD_NO;
    return respond(hr, status, "application/json", s, strlen(s), NULL);
}

static enum MHD_Result send_error(struct hreq *hr, int code, const char *msg)
{
    return send_error_status(hr, 0, code, msg);
}

/* A query argument: true when present, *v its value (NULL for "?key"). */
static bool lookup_arg(struct hreq *hr, const char *key, const char **v)
{
    *v = NULL;
    if (hr->in) {
        for (size_t i = 0; i < hr->in->n_args; i++) {
            if (strcmp(hr->in->args[i].key, key) == 0) {
                *v = hr->in->args[i].value;
                return true;
            }
        }
        return false;
    }
    size_t n = 0;
    return MHD_lookup_connection_value_n(hr->mc, MHD_GET_ARGUMENT_KIND, key,
                                         strlen(key), v, &n) == MHD_YES;
}

static bool has_arg(struct hreq *hr, const char *key)
{
    const char *v;
    if (!lookup_arg(hr, key, &v))
        return false;
    return v == NULL || (strcmp(v, "false") != 0 && strcmp(v, "0") != 0);
}

static const char *arg(struct hreq *hr, const char *key)
{
    const char *v;
    return lookup_arg(hr, key, &v) ? v : NULL;
}

/* A request header (names are case-insensitive), or NULL. */
static const char *header(struct hreq *hr, const char *name)
{
    if (hr->in == NULL)
        return MHD_lookup_connection_value(hr->mc, MHD_HEADER_KIND, name);
    for (size_t i = 0; i < hr->in->n_headers; i++)
        if (strcasecmp(hr->in->headers[i].key, name) == 0)
            return hr->in->headers[i].value;
    return NULL;
}

/* An integer argument: 0 (absent leaves *v), or -1 when it does not parse. */
static int int_arg(struct hreq *hr, const char *key, long long lo,
                   long long hi, long long *v)
{
    const char *s = arg(hr, key);
    if (s == NULL)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 0);
    if (*s == '\0' || *end != '\0' || errno != 0 || x < lo || x > hi)
        return -1;
    *v = x;
    return 0;
}

static json_t *stat_json(const struct coord_stat *st)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:I, s:i, s:i, s:I}",
                     "czxid", (json_int_t)st->czxid, "mzxid",
                     (json_int_t)st->mzxid, "ctime", (json_int_t)st->ctime,
                     "mtime", (json_int_t)st->mtime, "version", st->version,
                     "cversion", st->cversion, "aversion", st->aversion,
                     "ephemeralOwner", (json_int_t)st->ephemeral_owner,
                     "dataLength", st->data_length, "numChildren",
                     st->num_children, "pzxid", (json_int_t)st->pzxid);
}

/*
 * A direct JSON writer for the answers every client makes most (getData,
 * exists, setData): building and dumping jansson objects for them was a
 * fifth of the gateway's CPU per request. Output as jansson's compact
 * dump: same keys, same order, same escapes (", \\, control characters).
 */
static void jw_int(struct buf *b, int64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--n] = '-';
    buf_append(b, tmp + n, sizeof tmp - n);
}

/* p must be valid UTF-8 (it is copied as it is, as jansson does). */
static void jw_str(struct buf *b, const char *p, size_t n)
{
    static const char HEX[] = "0123456789ABCDEF";
    buf_append(b, "\"", 1);
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        buf_append(b, p + i - run, run);
        run = 0;
        char e[6] = {'\\', 0};
        size_t el = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = HEX[c >> 4];
            e[5] = HEX[c & 15];
            el = 6;
        }
        buf_append(b, e, el);
    }
    buf_append(b, p + n - run, run);
    buf_append(b, "\"", 1);
}

static void jw_key(struct buf *b, const char *key)
{
    buf_printf(b, "\"%s\":", key);
}

static void jw_stat(struct buf *b, const struct coord_stat *st)
{
    const struct {
        const char *key;
        int64_t v;
    } F[] = {{"{\"czxid\":", st->czxid},
             {",\"mzxid\":", st->mzxid},
             {",\"ctime\":", st->ctime},
             {",\"mtime\":", st->mtime},
             {",\"version\":", st->version},
             {",\"cversion\":", st->cversion},
             {",\"aversion\":", st->aversion},
             {",\"ephemeralOwner\":", st->ephemeral_owner},
             {",\"dataLength\":", st->data_length},
             {",\"numChildren\":", st->num_children},
             {",\"pzxid\":", st->pzxid}};
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        buf_append(b, F[i].key, strlen(F[i].key));
        jw_int(b, F[i].v);
    }
    buf_append(b, "}", 1);
}

/* {"path":..., "stat":{...}} */
static void jw_path_stat(struct buf *b, const char *path,
                         const struct coord_stat *st)
{
    buf_append(b, "{", 1);
    jw_key(b, "path");
    jw_str(b, path, strlen(path));
    buf_append(b, ",", 1);
    jw_key(b, "stat");
    jw_stat(b, st);
    buf_append(b, "}", 1);
}

/* Answers b's JSON (the storage is taken). */
static enum MHD_Result send_jw(struct hreq *hr, unsigned status, struct buf *b)
{
    buf_append(b, "\n", 1);
    if (b->err) {
        buf_close(b);
        return MHD_NO;
    }
    size_t n;
    char *s = (char *)buf_take(b, &n);
    return respond(hr, status, "application/json", s, n, NULL);
}

static json_t *jstr(struct jute_str s)
{
    return s.len < 0 ? json_null() : json_stringn(s.p, (size_t)s.len);
}

/* "/v1/znodes" + path, percent-encoded for a Location header. */
static char *location_of(struct jute_str path)
{
    struct buf b;
    buf_init(&b, (size_t)COORD_MAX_FRAME * 3 + 64);
    buf_printf(&b, "/v1/znodes");
    for (int32_t i = 0; i < path.len; i++) {
        unsigned char c = (unsigned char)path.p[i];
        if (isalnum(c) || strchr("/-._~", c))
            buf_append(&b, &c, 1);
        else
            buf_printf(&b, "%%%02X", c);
    }
    buf_append(&b, "", 1);
    if (b.err) {
        buf_close(&b);
        return NULL;
    }
    size_t n;
    return (char *)buf_take(&b, &n);
}

/* --- identities --------------------------------------------------------- */

static void add_id(struct hreq *hr, const char *scheme, const char *id)
{
    jute_put_cstr(&hr->ids, scheme);
    jute_put_cstr(&hr->ids, id);
    hr->n_ids++;
}

/*
 * "Basic BASE64(user:password)" (RFC 7617) as the "user:password" text
 * addauth digest takes, into cred (NUL-terminated); false when the header
 * is not that: another scheme, bad base64, no colon, an empty user or a
 * NUL byte.
 */
static bool basic_credentials(const char *h, struct buf *cred)
{
    if (h == NULL || strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' &&
                                                         h[5] != '\t'))
        return false;
    h += 5;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (rest_b64_decode(cred, h, n) != 0 || cred->len == 0)
        return false;
    const char *c = memchr(cred->base, ':', cred->len);
    if (c == NULL || c == (const char *)cred->base ||
        memchr(cred->base, '\0', cred->len) != NULL)
        return false;
    return buf_append(cred, "", 1) == 0;
}

/* ip:<peer> always; x509:<subject> over HTTPS with a verified client
 * certificate; digest:user:BASE64(SHA1(user:password)) with Basic. */
static void identify(struct hreq *hr)
{
    struct server *srv = hr->rest->srv;
    const struct sockaddr *peer = NULL;
    const char *x509 = NULL;
    if (hr->in) {
        peer = hr->in->peer;
        x509 = hr->in->x509;
    } else {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
            hr->mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci)
            peer = ci->client_addr;
        /* HTTPS (rest_tls.c): the verified client certificate's subject */
        ci = MHD_get_connection_info(hr->mc,
                                     MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci)
            x509 = ci->socket_context;
    }
    char addr[64] = "?";
    if (peer)
        server_addr_text(peer, addr, sizeof addr);
    add_id(hr, "ip", addr);
    if (x509)
        add_id(hr, "x509", x509);
    hr->super = srv->cfg->skip_acl;
    const char *auth = header(hr, MHD_HTTP_HEADER_AUTHORIZATION);
    hr->creds = auth != NULL;
    struct buf cred;
    buf_init(&cred, 4096);
    char id[1024];
    if (basic_credentials(auth, &cred) &&
        auth_digest((const char *)cred.base, cred.len - 1, id, sizeof id) ==
            0) {
        add_id(hr, "digest", id);
        const char *sd = srv->cfg->super_digest;
        if (sd && strcmp(sd, id) == 0)
            hr->super = hr->admin = true;
    }
    buf_close(&cred);
}

static void caller_of(struct hreq *hr, struct tree_caller *who, uint64_t watcher)
{
    who->session_id = 0;
    who->watcher = watcher;
    who->super = hr->super;
    who->ids.count = hr->n_ids;
    who->ids.p = hr->ids.base;
    who->ids.len = hr->ids.len;
}

/* --- reads -------------------------------------------------------------- */

static int read_op(struct hreq *hr, int32_t op, const struct buf *rec,
                   struct buf *out, uint64_t watcher)
{
    struct tree_caller who;
    caller_of(hr, &who, watcher);
    buf_reset(out);
    if (rec->err)
        return rec->err;
    return tree_read(hr->rest->srv->tree, op,
                     (struct jute_str){(const char *)rec->base,
                                       (int32_t)rec->len},
                     &who, out);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a),
                  json_string_value(*(json_t *const *)b));
}

/* Children of a GetChildren2 response as a sorted JSON array. */
static json_t *children_json(struct jute_r *r)
{
    int32_t n = jute_get_int(r);
    json_t *a = json_array();
    if (n < 0 || r->err)
        return a;
    json_t **v = calloc((size_t)n + 1, sizeof *v);
    int32_t k = 0;
    for (; v && k < n && r->err == 0; k++)
        v[k] = jstr(jute_get_str(r));
    if (v) {
        qsort(v, (size_t)k, sizeof *v, cmp_str);
        for (int32_t i = 0; i < k; i++)
            json_array_append_new(a, v[i]);
    }
    free(v);
    return a;
}

/* GET /v1/znodes{path}?recursive: the subtree, breadth first, with Stats. */
static enum MHD_Result list_subtree(struct hreq *hr, const char *root,
                                    long long limit)
{
    struct buf rec, out;
    buf_init(&rec, (size_t)COORD_MAX_FRAME + 64);
    buf_init(&out, (size_t)1 << 30);
    json_t *nodes = json_array();
    json_t *queue = json_array();
    json_array_append_new(queue, json_string(root));
    bool truncated = false;
    int first_err = 0;
    for (size_t qi = 0; qi < json_array_size(queue); qi++) {
        if ((long long)json_array_size(nodes) >= limit) {
            truncated = true;
            break;
        }
        const char *p = json_string_value(json_array_get(queue, qi));
        buf_reset(&rec);
        coord_put_path_watch_req(&rec, &(struct coord_path_watch_req){
                                           jute_cstr(p), false});
        int err = read_op(hr, COORD_OP_GETCHILDREN2, &rec, &out, 0);
        if (err != 0) {
            if (qi == 0)
                first_err = err;
            continue; /* gone meanwhile or not ours to read */
        }
        struct jute_r r;
        jute_r_init(&r, out.base, out.len);
        json_t *kids = children_json(&r);
        struct coord_stat st;
        coord_get_stat(&r, &st);
        json_array_append_new(nodes, json_pack("{s:s, s:o}", "path", p, "stat",
                                               stat_json(&st)));
        size_t i;
        json_t *k;
        json_array_foreach(kids, i, k) {
            char *child = NULL;
            if (asprintf(&child, "%s/%s", strcmp(p, "/") == 0 ? "" : p,
                         json_string_value(k)) > 0)
                json_array_append_new(queue, json_string(child));
            free(child);
        }
        json_decref(kids);
    }
    json_decref(queue);
    buf_close(&rec);
    buf_close(&out);
    if (first_err) {
        json_decref(nodes);
        return send_error(hr, first_err, NULL);
    }
    return send_json(hr, MHD_HTTP_OK,
                     json_pack("{s:s, s:o, s:b}", "path", root, "nodes", nodes,
                               "truncated", truncated));
}

static enum MHD_Result get_znode(struct hreq *hr, const char *path, bool head)
{
    struct buf rec, out;
    buf_init(&rec, (size_t)COORD_MAX_FRAME + 64);
    buf_init(&out, (size_t)1 << 30);
    struct coord_path_watch_req pw = {jute_cstr(path), false};
    coord_put_path_watch_req(&rec, &pw);
    enum MHD_Result res;
    const char *enc = arg(hr, "encoding");
    if (enc && strcmp(enc, "utf8") != 0 && strcmp(enc, "base64") != 0) {
        res = send_error(hr, COORD_EBADARGUMENTS,
                         "encoding must be utf8 or base64");
    } else if (!head && has_arg(hr, "recursive")) {
        long long limit = LIST_LIMIT_DEFAULT;
        if (int_arg(hr, "limit", 1, LIST_LIMIT_MAX, &limit) != 0)
            res = send_error(hr, COORD_EBADARGUMENTS, "bad limit");
        else
            res = list_subtree(hr, path, limit);
    } else if (head || has_arg(hr, "stat")) {
        int err = read_op(hr, COORD_OP_EXISTS, &rec, &out, 0);
        struct coord_stat st;
        struct jute_r r;
        jute_r_init(&r, out.base, out.len);
        if (err != 0 || coord_get_stat(&r, &st) != 0) {
            if (head) {
                res = respond(hr,
                              status_of(err ? err : COORD_ENONODE, hr->creds),
                              NULL, NULL, 0, NULL);
            } else {
                res = send_error(hr, err ? err : COORD_ESYSTEM, NULL);
            }
        } else {
            struct buf b;
            buf_init(&b, (size_t)COORD_MAX_FRAME * 8 + 4096);
            jw_path_stat(&b, path, &st);
            res = send_jw(hr, MHD_HTTP_OK, &b);
        }
    } else if (has_arg(hr, "children")) {
        int err = read_op(hr, COORD_OP_GETCHILDREN2, &rec, &out, 0);
        if (err != 0) {
            res = send_error(hr, err, NULL);
        } else {
            struct jute_r r;
            jute_r_init(&r, out.base, out.len);
            json_t *kids = children_json(&r);
            struct coord_stat st;
            coord_get_stat(&r, &st);
            res = send_json(hr, MHD_HTTP_OK,
                            json_pack("{s:s, s:o, s:o}", "path", path,
                                      "children", kids, "stat", stat_json(&st)));
        }
    } else {
        int err = read_op(hr, COORD_OP_GETDATA, &rec, &out, 0);
        if (err != 0) {
            res = send_error(hr, err, NULL);
        } else {
            struct jute_r r;
            jute_r_init(&r, out.base, out.len);
            struct jute_str data = jute_get_buffer(&r);
            struct coord_stat st;
            coord_get_stat(&r, &st);
            bool utf8 = data.len < 0 || rest_utf8_valid((const uint8_t *)data.p,
                                                        (size_t)data.len);
            bool b64 = enc ? strcmp(enc, "base64") == 0 : !utf8;
            if (!b64 && !utf8) {
                res = send_error(hr, COORD_EBADARGUMENTS,
                                 "data is not valid UTF-8; use encoding=base64");
            } else {
                struct buf b;
                buf_init(&b, (size_t)COORD_MAX_FRAME * 8 + 4096);
                buf_append(&b, "{", 1);
                jw_key(&b, "path");
                jw_str(&b, path, strlen(path));
                buf_append(&b, ",", 1);
                jw_key(&b, "data");
                if (data.len < 0) {
                    buf_append(&b, "null", 4);
                } else if (b64) {
                    buf_append(&b, "\"", 1);
                    rest_b64_encode(&b, (const uint8_t *)data.p,
                                    (size_t)data.len);
                    buf_append(&b, "\"", 1);
                } else {
                    jw_str(&b, data.p, (size_t)data.len);
                }
                buf_printf(&b, ",\"encoding\":\"%s\",",
                           b64 ? "base64" : "utf8");
                jw_key(&b, "stat");
                jw_stat(&b, &st);
                buf_append(&b, "}", 1);
                res = send_jw(hr, MHD_HTTP_OK, &b);
            }
        }
    }
    buf_close(&rec);
    buf_close(&out);
    return res;
}

/* --- writes ------------------------------------------------------------- */

static void hreq_unlink(struct hreq *hr)
{
    struct rest *r = hr->rest;
    if (!hr->waiting)
        return;
    if (hr->prev)
        hr->prev->next = hr->next;
    else
        r->waiting = hr->next;
    if (hr->next)
        hr->next->prev = hr->prev;
    hr->prev = hr->next = NULL;
    hr->waiting = false;
}

static void hreq_park(struct hreq *hr)
{
    struct rest *r = hr->rest;
    hr->waiting = true;
    hr->prev = NULL;
    hr->next = r->waiting;
    if (r->waiting)
        r->waiting->prev = hr;
    r->waiting = hr;
    if (hr->mc)
        MHD_suspend_connection(hr->mc);
}

static void hreq_wake(struct hreq *hr)
{
    hreq_unlink(hr);
    hr->ready = true;
    if (hr->mc) {
        MHD_resume_connection(hr->mc);
        hr->rest->dirty = true;
    }
}

/* The server applied our write: keep its result, wake the request. */
static void write_done(struct req *req, int err, const struct buf *body)
{
    struct hreq *hr = req->done_ctx;
    hr->req = NULL;
    hr->err = err;
    hr->zxid = req->zxid;
    free(hr->reply);
    hr->reply = NULL;
    hr->reply_len = 0;
    if (err == 0 && body->len) {
        hr->reply = malloc(body->len);
        if (hr->reply) {
            memcpy(hr->reply, body->base, body->len);
            hr->reply_len = body->len;
        } else {
            hr->err = COORD_ENOMEM;
        }
    }
    hreq_wake(hr);
}

static struct req *new_req(struct hreq *hr, int32_t type)
{
    struct req *req = calloc(1, sizeof *req);
    if (req == NULL)
        return NULL;
    req->kind = REQ_WRITE;
    req->type = type;
    req->start_us = server_mono_us();
    req->done = write_done;
    req->done_ctx = hr;
    return req;
}

static void fatal_log(struct server *srv, int rv)
{
    if (rv == COORD_ECONNECTIONLOSS)
        return; /* an ensemble server without a quorum: not fatal */
    log_error("rest: cannot log txn err=%s", coord_strerror(rv));
    srv->running = false;
    srv->exit_code = 1;
}

/* Submits the record as a txn and suspends the request until it applies. */
static enum MHD_Result submit(struct hreq *hr, enum hkind kind, int64_t sid,
                              int32_t type, const struct buf *rec)
{
    struct server *srv = hr->rest->srv;
    if (rec->err)
        return send_error(hr, rec->err, NULL);
    struct req *req = new_req(hr, type);
    if (req == NULL)
        return send_error(hr, COORD_ENOMEM, NULL);
    struct tree_caller who;
    caller_of(hr, &who, 0);
    int rv = server_submit(srv, req, sid, type, &who,
                           (struct jute_str){rec->len ? (const char *)rec->base
                                                      : "",
                                             (int32_t)rec->len});
    if (rv != 0) {
        free(req);
        fatal_log(srv, rv);
        return send_error(hr, rv, NULL);
    }
    hr->kind = kind;
    hr->req = req;
    hreq_park(hr);
    return MHD_YES;
}

/* Parses "<16 hex id>-<32 hex password>" and checks it against the tree. */
static int session_of(struct rest *r, const char *cred, int64_t *sid,
                      struct session **sp)
{
    size_t n = strlen(cred);
    if (n != 16 + 1 + 32 || cred[16] != '-')
        return COORD_ESESSIONEXPIRED;
    uint64_t id = 0;
    uint8_t pw[16];
    for (size_t i = 0; i < n; i++) {
        if (i == 16)
            continue;
        int c = tolower((unsigned char)cred[i]);
        int v = isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (v < 0)
            return COORD_ESESSIONEXPIRED;
        if (i < 16) {
            id = id << 4 | (uint64_t)v;
        } else {
            size_t k = (i - 17) / 2;
            pw[k] = (uint8_t)((i - 17) % 2 ? (pw[k] | v) : v << 4);
        }
    }
    uint8_t have[16];
    int32_t t;
    struct session *s = session_find(r->srv, (int64_t)id);
    if (s == NULL || s->closing ||
        tree_session_get(r->srv->tree, (int64_t)id, &t, have) != 0 ||
        memcmp(have, pw, 16) != 0)
        return COORD_ESESSIONEXPIRED;
    *sid = (int64_t)id;
    if (sp)
        *sp = s;
    return 0;
}

static enum MHD_Result post_znode(struct hreq *hr, const char *path)
{
    struct buf rec;
    buf_init(&rec, (size_t)hr->rest->srv->cfg->jute_maxbuffer);
    int err = rest_json_create((const char *)hr->body.base, hr->body.len, path,
                               &rec, &hr->parsed);
    int64_t sid = 0;
    enum MHD_Result res;
    if (err == 0 && hr->parsed.has_session)
        err = session_of(hr->rest, hr->parsed.session, &sid, NULL);
    if (err != 0) {
        res = send_error(hr, err, hr->parsed.msg);
    } else if (hr->parsed.ephemeral && sid == 0) {
        res = send_error(hr, COORD_EBADARGUMENTS,
                         "an ephemeral node needs a session");
    } else {
        res = submit(hr, K_CREATE, sid, hr->parsed.op, &rec);
    }
    buf_close(&rec);
    return res;
}

static enum MHD_Result put_znode(struct hreq *hr, const char *path)
{
    long long version = -1;
    if (int_arg(hr, "version", -1, INT32_MAX, &version) != 0)
        return send_error(hr, COORD_EBADARGUMENTS, "bad version");
    struct buf rec;
    buf_init(&rec, (size_t)hr->rest->srv->cfg->jute_maxbuffer);
    const char *ct = header(hr, MHD_HTTP_HEADER_CONTENT_TYPE);
    int err = 0;
    if (ct && strncmp(ct, "application/octet-stream", 24) == 0) {
        struct coord_setdata_req sr = {
            jute_cstr(path),
            {(const char *)hr->body.base, (int32_t)hr->body.len},
            (int32_t)version};
        if (sr.data.p == NULL)
            sr.data.p = "";
        coord_put_setdata_req(&rec, &sr);
    } else {
        err = rest_json_set((const char *)hr->body.base, hr->body.len, path,
                            (int32_t)version, &rec, &hr->parsed);
    }
    int64_t sid = 0;
    if (err == 0 && hr->parsed.has_session)
        err = session_of(hr->rest, hr->parsed.session, &sid, NULL);
    enum MHD_Result res = err != 0 ? send_error(hr, err, hr->parsed.msg)
                                   : submit(hr, K_SET, sid, COORD_OP_SETDATA,
                                            &rec);
    buf_close(&rec);
    return res;
}

/* --- ACLs ---------------------------------------------------------------- */

/* Permission bits as zkCli prints them ("cdrwa" order). */
static json_t *perms_json(int32_t perms)
{
    static const struct {
        int32_t bit;
        char c;
    } ORDER[] = {{COORD_PERM_CREATE, 'c'}, {COORD_PERM_DELETE, 'd'},
                 {COORD_PERM_READ, 'r'},   {COORD_PERM_WRITE, 'w'},
                 {COORD_PERM_ADMIN, 'a'}};
    char s[8];
    size_t n = 0;
    for (size_t i = 0; i < sizeof ORDER / sizeof ORDER[0]; i++)
        if (perms & ORDER[i].bit)
            s[n++] = ORDER[i].c;
    return json_stringn(s, n);
}

/* GET /v1/acl{path}: {path, acl: [{scheme, id, perms}], stat}. */
static enum MHD_Result get_acl(struct hreq *hr, const char *path)
{
    struct buf rec, out;
    buf_init(&rec, (size_t)COORD_MAX_FRAME + 64);
    buf_init(&out, (size_t)1 << 30);
    jute_put_str(&rec, jute_cstr(path));
    int err = read_op(hr, COORD_OP_GETACL, &rec, &out, 0);
    enum MHD_Result res;
    if (err != 0) {
        res = send_error(hr, err, NULL);
    } else {
        struct jute_r r;
        jute_r_init(&r, out.base, out.len);
        json_t *a = json_array();
        int32_t n = jute_get_int(&r);
        for (int32_t i = 0; i < n && r.err == 0; i++) {
            struct coord_acl acl;
            if (coord_get_acl(&r, &acl) != 0)
                break;
            json_array_append_new(
                a, json_pack("{s:o, s:o, s:o}", "scheme", jstr(acl.id.scheme),
                             "id", jstr(acl.id.id), "perms",
                             perms_json(acl.perms)));
        }
        struct coord_stat st;
        if (r.err != 0 || coord_get_stat(&r, &st) != 0) {
            json_decref(a);
            res = send_error(hr, COORD_ESYSTEM, NULL);
        } else {
            res = send_json(hr, MHD_HTTP_OK,
                            json_pack("{s:s, s:o, s:o}", "path", path, "acl", a,
                                      "stat", stat_json(&st)));
        }
    }
    buf_close(&rec);
    buf_close(&out);
    return res;
}

/* PUT /v1/acl{path}?version=N: setACL, compare-and-set on aversion. */
static enum MHD_Result put_acl(struct hreq *hr, const char *path)
{
    long long version = -1;
    if (int_arg(hr, "version", -1, INT32_MAX, &version) != 0)
        return send_error(hr, COORD_EBADARGUMENTS, "bad version");
    struct buf rec;
    buf_init(&rec, (size_t)hr->rest->srv->cfg->jute_maxbuffer);
    int err = rest_json_setacl((const char *)hr->body.base, hr->body.len, path,
                               (int32_t)version, &rec, &hr->parsed);
    enum MHD_Result res = err != 0 ? send_error(hr, err, hr->parsed.msg)
                                   : submit(hr, K_SETACL, 0, COORD_OP_SETACL,
                                            &rec);
    buf_close(&rec);
    return res;
}

struct walk {
    struct hreq *hr;
    struct buf *rec;
    struct buf out;
    size_t n;
    int err;
};

/* Appends deletes for the subtree under p, children first. */
static void walk_delete(struct walk *w, const char *p, int32_t version,
                        int depth)
{
    if (w->err || depth > 1000)
        return;
    struct buf q;
    buf_init(&q, (size_t)COORD_MAX_FRAME + 64);
    coord_put_path_watch_req(&q, &(struct coord_path_watch_req){jute_cstr(p),
                                                                false});
    int err = read_op(w->hr, COORD_OP_GETCHILDREN, &q, &w->out, 0);
    buf_close(&q);
    if (err != 0) {
        w->err = err;
        return;
    }
    struct jute_r r;
    jute_r_init(&r, w->out.base, w->out.len);
    json_t *kids = children_json(&r);
    size_t i;
    json_t *k;
    json_array_foreach(kids, i, k) {
        char *child = NULL;
        if (asprintf(&child, "%s/%s", strcmp(p, "/") == 0 ? "" : p,
                     json_string_value(k)) < 0) {
            w->err = COORD_ENOMEM;
            break;
        }
        walk_delete(w, child, -1, depth + 1);
        free(child);
    }
    json_decref(kids);
    if (w->err)
        return;
    struct coord_multi_header mh = {COORD_OP_DELETE, false, -1};
    coord_put_multi_header(w->rec, &mh);
    coord_put_delete_req(w->rec, &(struct coord_delete_req){jute_cstr(p),
                                                            version});
    w->n++;
}

static enum MHD_Result delete_znode(struct hreq *hr, const char *path)
{
    long long version = -1;
    if (int_arg(hr, "version", -1, INT32_MAX, &version) != 0)
        return send_error(hr, COORD_EBADARGUMENTS, "bad version");
    struct buf rec;
    buf_init(&rec, (size_t)hr->rest->srv->cfg->jute_maxbuffer);
    enum MHD_Result res;
    if (has_arg(hr, "recursive")) {
        struct walk w = {.hr = hr, .rec = &rec};
        buf_init(&w.out, (size_t)1 << 30);
        walk_delete(&w, path, (int32_t)version, 0);
        buf_close(&w.out);
        struct coord_multi_header end = {-1, true, -1};
        coord_put_multi_header(&rec, &end);
        hr->deleted = w.n;
        if (w.err)
            res = send_error(hr, w.err, NULL);
        else if (rec.err)
            res = send_error(hr, rec.err, "subtree too large for one transaction");
        else
            res = submit(hr, K_DELETE, 0, COORD_OP_MULTI, &rec);
    } else {
        coord_put_delete_req(&rec, &(struct coord_delete_req){jute_cstr(path),
                                                              (int32_t)version});
        hr->deleted = 1;
        res = submit(hr, K_DELETE, 0, COORD_OP_DELETE, &rec);
    }
    buf_close(&rec);
    return res;
}

/* Per-op results of a multi response; *first gets the first failure. */
static json_t *multi_results(struct hreq *hr, int *first)
{
    json_t *a = json_array();
    struct jute_r r;
    jute_r_init(&r, hr->reply, hr->reply_len);
    *first = 0;
    for (int32_t i = 0;; i++) {
        struct coord_multi_header mh;
        if (coord_get_multi_header(&r, &mh) != 0 || mh.done)
            break;
        int32_t t = i < hr->parsed.n_ops && hr->parsed.types
                        ? hr->parsed.types[i]
                        : mh.type;
        const char *op = t == COORD_OP_SETDATA ? "set"
                         : t == COORD_OP_DELETE ? "delete"
                         : t == COORD_OP_CHECK  ? "check"
                                                : "create";
        json_t *o = json_pack("{s:s}", "op", op);
        struct coord_stat st;
        switch (mh.type) {
        case COORD_OP_CREATE:
            json_object_set_new(o, "path", jstr(jute_get_str(&r)));
            break;
        case COORD_OP_CREATE2:
            json_object_set_new(o, "path", jstr(jute_get_str(&r)));
            if (coord_get_stat(&r, &st) == 0)
                json_object_set_new(o, "stat", stat_json(&st));
            break;
        case COORD_OP_SETDATA:
            if (coord_get_stat(&r, &st) == 0)
                json_object_set_new(o, "stat", stat_json(&st));
            break;
        case COORD_OP_ERROR: {
            int32_t code = jute_get_int(&r);
            if (*first == 0 && code != 0 &&
                code != COORD_ERUNTIMEINCONSISTENCY)
                *first = code;
            const char *name = coord_err_zkname(code);
            json_object_set_new(o, "code", json_integer(code));
            json_object_set_new(o, "name", json_string(name ? name : "Unknown"));
            break;
        }
        default:
            break;
        }
        json_array_append_new(a, o);
    }
    return a;
}

static enum MHD_Result post_multi(struct hreq *hr)
{
    struct buf rec;
    buf_init(&rec, (size_t)hr->rest->srv->cfg->jute_maxbuffer);
    int err = rest_json_multi((const char *)hr->body.base, hr->body.len, &rec,
                              &hr->parsed);
    int64_t sid = 0;
    if (err == 0 && hr->parsed.has_session)
        err = session_of(hr->rest, hr->parsed.session, &sid, NULL);
    enum MHD_Result res;
    if (err != 0)
        res = send_error(hr, err, hr->parsed.msg);
    else if (hr->parsed.ephemeral && sid == 0)
        res = send_error(hr, COORD_EBADARGUMENTS,
                         "an ephemeral node needs a session");
    else
        res = submit(hr, K_MULTI, sid, COORD_OP_MULTI, &rec);
    buf_close(&rec);
    return res;
}

/* --- sessions ----------------------------------------------------------- */

static enum MHD_Result post_session(struct hreq *hr)
{
    struct server *srv = hr->rest->srv;
    int err = rest_json_session((const char *)hr->body.base, hr->body.len,
                                &hr->parsed);
    if (err != 0)
        return send_error(hr, err, hr->parsed.msg);
    int32_t want = hr->parsed.timeout >= 0 ? hr->parsed.timeout : 30000;
    hr->timeout = session_negotiate(srv, want);
    struct req *req = new_req(hr, COORD_OP_CREATESESSION);
    if (req == NULL)
        return send_error(hr, COORD_ENOMEM, NULL);
    int64_t sid = 0;
    int rv = session_create(srv, hr->timeout, req, &sid);
    if (rv != 0) {
        free(req);
        if (sid != 0)
            fatal_log(srv, rv);
        return send_error(hr, rv, NULL);
    }
    hr->sid = sid;
    hr->kind = K_SESSION_NEW;
    hr->req = req;
    hreq_park(hr);
    return MHD_YES;
}

static enum MHD_Result session_op(struct hreq *hr, const char *cred,
                                  const char *method)
{
    struct server *srv = hr->rest->srv;
    int64_t sid;
    struct session *s;
    int err = session_of(hr->rest, cred, &sid, &s);
    if (err != 0)
        return send_error(hr, err, "no such session");
    char id[32];
    snprintf(id, sizeof id, "0x%" PRIx64, (uint64_t)sid);
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
        strcmp(method, MHD_HTTP_METHOD_PUT) == 0) {
        if (method[0] == 'P')
            session_touch(srv, s);
        return send_json(hr, MHD_HTTP_OK,
                         json_pack("{s:s, s:i, s:I}", "id", id, "timeout",
                                   s->timeout, "expiresInMs",
                                   (json_int_t)(s->expire_ms -
                                                server_mono_ms())));
    }
    if (strcmp(method, MHD_HTTP_METHOD_DELETE) != 0)
        return send_error_status(hr, MHD_HTTP_METHOD_NOT_ALLOWED,
                                 COORD_EUNIMPLEMENTED, "method not allowed");
    s->closing = true;
    hr->sid = sid;
    struct buf empty;
    buf_init(&empty, 16);
    enum MHD_Result res = submit(hr, K_SESSION_CLOSE, sid,
                                 COORD_OP_CLOSESESSION, &empty);
    buf_close(&empty);
    return res;
}

/* --- answers to writes once applied ------------------------------------- */

static enum MHD_Result answer(struct hreq *hr)
{
    struct jute_r r;
    jute_r_init(&r, hr->reply, hr->reply_len);
    if (hr->kind == K_MULTI || (hr->kind == K_DELETE && hr->deleted > 1) ||
        (hr->kind == K_DELETE && hr->err == 0 && hr->reply_len > 0)) {
        if (hr->err != 0)
            return send_error(hr, hr->err, NULL);
        int first;
        json_t *res = multi_results(hr, &first);
        if (hr->kind == K_DELETE) {
            json_decref(res);
            if (first)
                return send_error(hr, first, NULL);
            return send_json(hr, MHD_HTTP_OK,
                             json_pack("{s:s, s:I, s:I}", "path", hr->path,
                                       "deleted", (json_int_t)hr->deleted,
                                       "zxid", (json_int_t)hr->zxid));
        }
        if (first) {
            json_t *e = error_json(first, "transaction rolled back");
            json_object_set_new(e, "results", res);
            return send_json(hr, status_of(first, hr->creds), e);
        }
        return send_json(hr, MHD_HTTP_OK,
                         json_pack("{s:o, s:I}", "results", res, "zxid",
                                   (json_int_t)hr->zxid));
    }
    if (hr->err != 0)
        return send_error(hr, hr->err, NULL);
    struct coord_stat st;
    switch (hr->kind) {
    case K_CREATE: {
        struct jute_str p = jute_get_str(&r);
        json_t *o = json_pack("{s:o}", "path", jstr(p));
        if (coord_get_stat(&r, &st) == 0)
            json_object_set_new(o, "stat", stat_json(&st));
        char *loc = location_of(p);
        enum MHD_Result rv = send_json_loc(hr, MHD_HTTP_CREATED, o, loc);
        free(loc);
        return rv;
    }
    case K_SET:
    case K_SETACL: {
        coord_get_stat(&r, &st);
        struct buf b;
        buf_init(&b, (size_t)COORD_MAX_FRAME * 8 + 4096);
        jw_path_stat(&b, hr->path, &st);
        return send_jw(hr, MHD_HTTP_OK, &b);
    }
    case K_DELETE:
        return send_json(hr, MHD_HTTP_OK,
                         json_pack("{s:s, s:i, s:I}", "path", hr->path,
                                   "deleted", 1, "zxid", (json_int_t)hr->zxid));
    case K_SESSION_NEW: {
        uint8_t pw[16];
        int32_t t;
        if (tree_session_get(hr->rest->srv->tree, hr->sid, &t, pw) != 0)
            return send_error(hr, COORD_ESESSIONEXPIRED, NULL);
        char cred[REST_CRED_MAX], id[32];
        int n = snprintf(cred, sizeof cred, "%016" PRIx64 "-",
                         (uint64_t)hr->sid);
        for (int i = 0; i < 16; i++)
            n += snprintf(cred + n, sizeof cred - (size_t)n, "%02x", pw[i]);
        snprintf(id, sizeof id, "0x%" PRIx64, (uint64_t)hr->sid);
        log_debug("rest: session created sid=%s timeout=%d", id, t);
        char loc[96];
        snprintf(loc, sizeof loc, "/v1/sessions/%s", cred);
        return send_json_loc(hr, MHD_HTTP_CREATED,
                             json_pack("{s:s, s:s, s:i}", "session", cred,
                                       "id", id, "timeout", hr->timeout),
                             loc);
    }
    case K_SESSION_CLOSE:
        return send_json(hr, MHD_HTTP_OK,
                         json_pack("{s:b}", "closed", true));
    default:
        return send_error(hr, COORD_ESYSTEM, NULL);
    }
}

/* --- watches: history ring, SSE streams, long polls ---------------------- */

static void ring_push(struct rest *r, int32_t type, const char *path,
                      size_t len, int64_t zxid)
{
    if (r->cap == 0)
        return;
    char *p = malloc(len + 1);
    if (p == NULL) {
        r->floor_zxid = zxid; /* lost one: resuming from before must resync */
        return;
    }
    memcpy(p, path, len);
    p[len] = '\0';
    size_t slot = (r->head + r->n) % r->cap;
    if (r->n == r->cap) {
        struct hist_ev *old = &r->ring[r->head];
        if (old->zxid > r->floor_zxid)
            r->floor_zxid = old->zxid;
        free(old->path);
        r->head = (r->head + 1) % r->cap;
        slot = (r->head + r->n - 1) % r->cap;
    } else {
        r->n++;
    }
    r->ring[slot] = (struct hist_ev){zxid, type, p};
}

static bool under(const char *root, size_t rlen, const char *p, size_t plen)
{
    if (rlen == 1)
        return true; /* "/" */
    return plen > rlen && memcmp(p, root, rlen) == 0 && p[rlen] == '/';
}

/* Whether an event at p concerns the stream, and as what type: persistent
 * watches see p itself and children events; recursive ones the subtree. */
static int32_t event_for(const struct stream *st, int32_t type, const char *p,
                         size_t plen, const char **out, size_t *outlen)
{
    *out = p;
    *outlen = plen;
    if (plen == st->plen && memcmp(p, st->path, plen) == 0)
        return type;
    if (st->recursive)
        return under(st->path, st->plen, p, plen) && type != COORD_EV_CHILD
                   ? type
                   : 0;
    /* history holds no children events: derive them from a child's
     * creation or deletion */
    if ((type == COORD_EV_CREATED || type == COORD_EV_DELETED) &&
        coord_path_parent_len(p, plen) == (st->plen == 1 ? 1 : st->plen) &&
        under(st->path, st->plen, p, plen)) {
        *out = st->path;
        *outlen = st->plen;
        return COORD_EV_CHILD;
    }
    return 0;
}

static json_t *event_json(int32_t type, const char *p, size_t len, int64_t zxid)
{
    return json_pack("{s:s, s:s%, s:I}", "type", ev_name(type), "path", p, len,
                     "zxid", (json_int_t)zxid);
}

static void stream_wake(struct stream *st)
{
    if (st->poll) {
        if (st->poll->waiting)
            hreq_wake(st->poll);
        return;
    }
    if (st->suspended && st->mc) {
        st->suspended = false;
        MHD_resume_connection(st->mc);
        st->rest->dirty = true;
    }
}

static uint64_t stream_id(const struct stream *st)
{
    return (uint64_t)(uintptr_t)st | 1u;
}

static void stream_drop_watch(struct stream *st)
{
    tree_watches_drop(st->rest->srv->tree, stream_id(st));
}

/* Cuts the connection under a stream: the daemon sees the socket fail at
 * its next turn and closes it, whether or not the client reads. */
static void stream_cut(struct stream *st)
{
    const union MHD_ConnectionInfo *ci =
        st->mc ? MHD_get_connection_info(st->mc,
                                         MHD_CONNECTION_INFO_CONNECTION_FD)
               : NULL;
    if (ci)
        shutdown(ci->connect_fd, SHUT_RDWR);
}

/* What a stream has that its client has not taken: our queue and the
 * socket's send queue (the kernel's can hold megabytes on its own). */
static size_t stream_unsent(const struct stream *st)
{
    size_t n = st->q.len;
    const union MHD_ConnectionInfo *ci =
        st->mc ? MHD_get_connection_info(st->mc,
                                         MHD_CONNECTION_INFO_CONNECTION_FD)
               : NULL;
    int outq = 0;
    if (ci && ioctl(ci->connect_fd, SIOCOUTQ, &outq) == 0 && outq > 0)
        n += (size_t)outq;
    return n;
}

/* httpMaxQueuedBytes passed: a client that does not read is dropped, not
 * buffered for ever. The queue goes now; the connection at the daemon's
 * next turn. A long poll answers with a resync instead. */
static void stream_overflow(struct stream *st)
{
    struct rest *r = st->rest;
    uint64_t sid = (uint64_t)(uintptr_t)st;
    log_warn("rest: dropping slow watch stream path=%s unsent=%zu max=%zu "
             "stream=%" PRIx64,
             st->path, st->poll ? st->ev_bytes : stream_unsent(st), r->queue_max,
             sid);
    r->streams_dropped++;
    st->dropped = true;
    stream_drop_watch(st);
    buf_close(&st->q);
    if (st->poll) {
        st->poll->err = COORD_EAGAIN; /* events lost: the client resyncs */
        json_array_clear(st->events);
    } else {
        stream_cut(st);
    }
}

/* The tree was replaced by a snapshot from the ensemble's leader: the
 * streams' watches went with the old tree and the events between its state
 * and the image are not known. Every stream ends (a long poll answers with a
 * resync), and resuming from any earlier zxid gets the explicit resync. */
void rest_tree_replaced(struct server *srv)
{
    struct rest *r = srv->rest;
    if (r == NULL)
        return;
    int64_t z = server_last_zxid(srv);
    if (z > r->floor_zxid)
        r->floor_zxid = z;
    size_t n = 0;
    for (struct stream *st = r->streams; st; st = st->next) {
        if (st->dropped)
            continue;
        n++;
        st->dropped = true;
        if (st->poll) {
            st->poll->err = COORD_EAGAIN;
            json_array_clear(st->events);
        } else {
            stream_cut(st);
        }
        stream_wake(st);
    }
    if (n)
        log_info("rest: tree replaced by a snapshot, %zu watch streams "
                 "ended (they resync) zxid=0x%" PRIx64,
                 n, (uint64_t)z);
}

static void stream_emit(struct stream *st, int32_t type, const char *p,
                        size_t len, int64_t zxid)
{
    if (st->dropped)
        return;
    if (st->poll) {
        st->ev_bytes += len + 64;
        if (st->ev_bytes > st->rest->queue_max)
            stream_overflow(st);
        else
            json_array_append_new(st->events, event_json(type, p, len, zxid));
        stream_wake(st);
        return;
    }
    json_t *j = event_json(type, p, len, zxid);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (s == NULL)
        return;
    buf_printf(&st->q, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n", zxid,
               ev_name(type), s);
    free(s);
    if (st->q.err || stream_unsent(st) > st->rest->queue_max)
        stream_overflow(st);
    stream_wake(st);
}

void rest_notify(struct server *srv, uint64_t watcher, int32_t type,
                 const char *path, size_t len, int64_t zxid)
{
    struct rest *r = srv->rest;
    if (r == NULL)
        return;
    if (watcher == r->ring_watcher) {
        ring_push(r, type, path, len, zxid);
        return;
    }
    struct stream *st = (struct stream *)(uintptr_t)(watcher & ~(uint64_t)1);
    const char *p;
    size_t pl;
    int32_t t = event_for(st, type, path, len, &p, &pl);
    if (t)
        stream_emit(st, t, p, pl, zxid);
}

/*
 * May the caller see a replayed event about path? Live events are filtered by
 * the tree as they fire (READ on the node, or on the parent for a children
 * event, whose path is the parent). History was recorded as super, so replay
 * asks now: READ on the node if it still exists, else on its nearest existing
 * ancestor, so that a name is never shown to a caller who could not have
 * listed it.
 */
static bool replay_visible(struct hreq *hr, const char *path, size_t len)
{
    if (hr->super)
        return true;
    struct buf rec, out;
    buf_init(&rec, len + 16);
    buf_init(&out, 256);
    bool ok = false;
    for (;;) {
        buf_reset(&rec);
        struct coord_path_watch_req q = {{path, (int32_t)len}, false};
        coord_put_path_watch_req(&rec, &q);
        int rv = read_op(hr, COORD_OP_EXISTS, &rec, &out, 0);
        if (rv == 0) {
            ok = true;
            break;
        }
        if (rv != COORD_ENONODE || len <= 1)
            break;
        len = coord_path_parent_len(path, len);
        if (len == 0)
            len = 1; /* the root */
    }
    buf_close(&rec);
    buf_close(&out);
    return ok;
}

/* Replays history after `since`; false when it does not reach back. */
static bool replay(struct hreq *hr, struct stream *st, int64_t since)
{
    struct rest *r = st->rest;
    if (since < r->floor_zxid)
        return false;
    for (size_t i = 0; i < r->n; i++) {
        const struct hist_ev *e = &r->ring[(r->head + i) % r->cap];
        if (e->zxid <= since)
            continue;
        const char *p;
        size_t pl;
        size_t elen = strlen(e->path);
        int32_t t = event_for(st, e->type, e->path, elen, &p, &pl);
        if (t && replay_visible(hr, e->path, elen))
            stream_emit(st, t, p, pl, e->zxid);
    }
    return true;
}

static void stream_free(struct stream *st)
{
    struct rest *r = st->rest;
    stream_drop_watch(st);
    if (st->prev)
        st->prev->next = st->next;
    else if (r->streams == st)
        r->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    buf_close(&st->q);
    json_decref(st->events);
    free(st->path);
    free(st);
}

static void sse_free(void *cls)
{
    stream_free(cls);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    if (st->q.len > 0) {
        size_t n = st->q.len < max ? st->q.len : max;
        memcpy(out, st->q.base, n);
        buf_consume(&st->q, n);
        st->last_send_ms = server_mono_ms();
        return (ssize_t)n;
    }
    if (st->dropped)
        return st->rest->stopping ? MHD_CONTENT_READER_END_OF_STREAM
                                  : MHD_CONTENT_READER_END_WITH_ERROR;
    st->suspended = true;
    MHD_suspend_connection(st->mc);
    return 0;
}

static struct stream *stream_new(struct hreq *hr, const char *path,
                                 bool recursive, int *err)
{
    struct rest *r = hr->rest;
    struct stream *st = calloc(1, sizeof *st);
    if (st == NULL || (st->path = strdup(path)) == NULL) {
        free(st);
        *err = COORD_ENOMEM;
        return NULL;
    }
    st->rest = r;
    st->mc = hr->mc;
    st->plen = strlen(path);
    st->recursive = recursive;
    st->last_send_ms = server_mono_ms();
    buf_init(&st->q, r->queue_max);
    struct buf rec, out;
    buf_init(&rec, (size_t)COORD_MAX_FRAME + 64);
    buf_init(&out, 4096);
    coord_put_addwatch_req(&rec, &(struct coord_addwatch_req){
                                     jute_cstr(path),
                                     recursive
                                         ? COORD_ADDWATCH_PERSISTENT_RECURSIVE
                                         : COORD_ADDWATCH_PERSISTENT});
    *err = read_op(hr, COORD_OP_ADDWATCH, &rec, &out, stream_id(st));
    buf_close(&rec);
    buf_close(&out);
    if (*err != 0) {
        stream_drop_watch(st);
        buf_close(&st->q);
        free(st->path);
        free(st);
        return NULL;
    }
    st->next = r->streams;
    if (r->streams)
        r->streams->prev = st;
    r->streams = st;
    return st;
}

static enum MHD_Result get_watch(struct hreq *hr)
{
    struct MHD_Connection *mc = hr->mc;
    const char *path = arg(hr, "path");
    if (path == NULL)
        path = "/";
    if (coord_path_validate(path, strlen(path)) != 0)
        return send_error(hr, COORD_EBADARGUMENTS, "bad path");
    long long since = -1, wait = -1;
    const char *last = header(hr, "Last-Event-ID");
    if (int_arg(hr, "since", 0, INT64_MAX, &since) != 0 ||
        int_arg(hr, "wait", 0, WAIT_MAX_S, &wait) != 0)
        return send_error(hr, COORD_EBADARGUMENTS, "bad since or wait");
    if (last && *last) {
        char *end;
        errno = 0;
        long long v = strtoll(last, &end, 0);
        if (*end != '\0' || errno != 0 || v < 0)
            return send_error(hr, COORD_EBADARGUMENTS, "bad Last-Event-ID");
        since = v;
    }
    int err;
    struct stream *st = stream_new(hr, path, has_arg(hr, "recursive"), &err);
    if (st == NULL)
        return send_error(hr, err, NULL);
    if (wait >= 0) {
        st->poll = hr;
        st->events = json_array();
        hr->poll = st;
        hr->kind = K_POLL;
    }
    bool resync = since >= 0 && !replay(hr, st, since);
    if (wait >= 0) {
        /* long poll: answer now if history had something, else park */
        if (resync || st->dropped || json_array_size(st->events) > 0 ||
            wait == 0) {
            hr->err = resync || st->dropped ? COORD_EAGAIN : 0;
            hr->ready = true;
            return MHD_YES; /* answered below, from the access handler */
        }
        st->deadline_ms = server_mono_ms() + wait * 1000;
        hreq_park(hr);
        return MHD_YES;
    }
    if (resync) {
        buf_printf(&st->q,
                   "event: resync\ndata: {\"type\":\"resync\",\"zxid\":%" PRId64
                   "}\n\n",
                   server_last_zxid(hr->rest->srv));
    }
    /* replayed events were queued before the stream had its comment line */
    struct buf head;
    buf_init(&head, hr->rest->queue_max);
    buf_printf(&head, ": coord watch path=%.*s zxid=%" PRId64 "\n\n", 200,
               path, server_last_zxid(hr->rest->srv));
    if (st->q.len)
        buf_append(&head, st->q.base, st->q.len);
    if (head.err == 0 && !st->dropped) {
        buf_reset(&st->q);
        buf_append(&st->q, head.base, head.len);
    }
    buf_close(&head);
    if (mc == NULL) {
        /* no connection (rest_request_new): the stream's first bytes are
         * the answer, and the stream ends with it */
        size_t n = st->q.len;
        char *body = n ? malloc(n) : NULL;
        if (body)
            memcpy(body, st->q.base, n);
        stream_free(st);
        return respond(hr, MHD_HTTP_OK, "text/event-stream", body,
                       body ? n : 0, NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16384, sse_read, st, sse_free);
    if (resp == NULL) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result rv = MHD_queue_response(mc, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rv;
}

static enum MHD_Result answer_poll(struct hreq *hr)
{
    struct stream *st = hr->poll;
    json_t *events = st ? json_incref(st->events) : json_array();
    bool resync = hr->err == COORD_EAGAIN;
    if (st) {
        hr->poll = NULL;
        stream_free(st);
    }
    int64_t zxid = server_last_zxid(hr->rest->srv);
    size_t n = json_array_size(events);
    if (n > 0)
        zxid = json_integer_value(
            json_object_get(json_array_get(events, n - 1), "zxid"));
    return send_json(hr, MHD_HTTP_OK,
                     json_pack("{s:o, s:I, s:b}", "events", events, "zxid",
                               (json_int_t)zxid, "resync", resync));
}

/* --- operations: /commands, /metrics, /health ---------------------------- */

static const struct {
    const char *name;
    const char *word; /* four-letter word it renders, NULL: special */
} COMMANDS[] = {
    {"ruok", "ruok"},         {"srvr", "srvr"},
    {"server_stats", "srvr"}, {"stat", "stat"},
    {"stats", "stat"},        {"mntr", "mntr"},
    {"monitor", "mntr"},      {"conf", "conf"},
    {"configuration", "conf"}, {"cons", "cons"},
    {"connections", "cons"},  {"wchs", "wchs"},
    {"watch_summary", "wchs"}, {"wchc", "wchc"},
    {"watches", "wchc"},      {"wchp", "wchp"},
    {"watches_by_path", "wchp"}, {"dump", "dump"},
    {"envi", "envi"},         {"environment", "envi"},
    {"isro", "isro"},         {"is_read_only", "isro"},
    {"dirs", "dirs"},         {"crst", "crst"},
    {"connection_stat_reset", "crst"}, {"srst", "srst"},
    {"stat_reset", "srst"},   {"hash", "hash"},
    {"leader", NULL},         {"lead", NULL},
    {"zabstate", NULL},       {"last_snapshot", NULL},
    {"snapshot", NULL},
};

static json_t *scalar(const char *v, size_t n)
{
    char tmp[64];
    if (n > 0 && n < sizeof tmp) {
        memcpy(tmp, v, n);
        tmp[n] = '\0';
        char *end;
        errno = 0;
        long long i = strtoll(tmp, &end, 10);
        if (*end == '\0' && errno == 0)
            return json_integer(i);
        double d = strtod(tmp, &end);
        if (*end == '\0' && strchr(tmp, 'x') == NULL)
            return json_real(d);
    }
    return json_stringn(v, n);
}

/* "key\tvalue", "key=value" or "Key: value" lines as an object; lines that
 * are none of these go to "lines". */
static void parse_lines(json_t *o, const char *text, size_t len)
{
    json_t *lines = NULL;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(e - p));
        const char *colon = NULL;
        for (const char *q = p; q + 1 < e; q++)
            if (q[0] == ':' && q[1] == ' ') {
                colon = q;
                break;
            }
        const char *eq = memchr(p, '=', (size_t)(e - p));
        const char *sep = tab && tab > p ? tab : colon ? colon : eq;
        if (sep && sep > p && memchr(p, ' ', (size_t)(sep - p)) == NULL &&
            !(tab && tab == p)) {
            char key[128];
            size_t kl = (size_t)(sep - p) < sizeof key - 1 ? (size_t)(sep - p)
                                                           : sizeof key - 1;
            for (size_t i = 0; i < kl; i++)
                key[i] = (char)tolower((unsigned char)p[i]);
            key[kl] = '\0';
            const char *v = sep + (sep == colon ? 2 : 1);
            json_object_set_new(o, key, scalar(v, (size_t)(e - v)));
        } else if (e > p) {
            if (sep == colon && colon && colon > p) {
                /* "Zookeeper version: ..." style keys with spaces */
                char key[128];
                size_t kl = (size_t)(colon - p) < sizeof key - 1
                                ? (size_t)(colon - p)
                                : sizeof key - 1;
                for (size_t i = 0; i < kl; i++)
                    key[i] = p[i] == ' ' ? '_'
                                         : (char)tolower((unsigned char)p[i]);
                key[kl] = '\0';
                json_object_set_new(o, key,
                                    scalar(colon + 2, (size_t)(e - colon - 2)));
            } else {
                if (lines == NULL)
                    lines = json_array();
                json_array_append_new(lines, json_stringn(p, (size_t)(e - p)));
            }
        }
        p = e + 1;
    }
    if (lines)
        json_object_set_new(o, "lines", lines);
}

static enum MHD_Result snapshot_stream(struct hreq *hr)
{
    struct server *srv = hr->rest->srv;
    int64_t z = store_last_snapshot(srv->store);
    char name[4096];
    snprintf(name, sizeof name, "%s/snapshot.%" PRIx64, srv->cfg->data_dir,
             (uint64_t)z);
    int fd = z > 0 && hr->mc ? open(name, O_RDONLY | O_CLOEXEC) : -1;
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (fd < 0 || size < 0) {
        if (fd >= 0)
            close(fd);
        return send_error_status(hr, MHD_HTTP_NOT_FOUND, COORD_ENONODE,
                                 "no snapshot yet");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_fd_at_offset64(fd, (uint64_t)size, 0);
    if (resp == NULL) {
        close(fd);
        return MHD_NO;
    }
    char zx[32];
    snprintf(zx, sizeof zx, "0x%" PRIx64, (uint64_t)z);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/octet-stream");
    MHD_add_response_header(resp, "last_zxid", zx);
    enum MHD_Result rv = MHD_queue_response(hr->mc, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rv;
}

/* mntr as the gateway renders it: the server's lines, then the gateway's
 * own counters (the client port's mntr does not know them). */
static void render_word(struct rest *r, const char *word, struct buf *text)
{
    fourlw_render(r->srv, word, text);
    if (strcmp(word, "mntr") == 0)
        buf_printf(text,
                   "coord_http_streams_dropped\t%llu\n"
                   "coord_http_connections_throttled\t%llu\n",
                   (unsigned long long)r->streams_dropped,
                   (unsigned long long)r->throttled);
}

static enum MHD_Result command(struct hreq *hr, const char *name)
{
    struct server *srv = hr->rest->srv;
    if (*name == '\0') {
        json_t *a = json_array();
        for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
            json_array_append_new(a, json_string(COMMANDS[i].name));
        return send_json(hr, MHD_HTTP_OK, json_pack("{s:o}", "commands", a));
    }
    size_t i = 0;
    while (i < sizeof COMMANDS / sizeof COMMANDS[0] &&
           strcmp(COMMANDS[i].name, name) != 0)
        i++;
    if (i == sizeof COMMANDS / sizeof COMMANDS[0])
        return send_error_status(hr, MHD_HTTP_NOT_FOUND, COORD_EUNIMPLEMENTED,
                                 "unknown command");
    const char *word = COMMANDS[i].word;
    /* Commands that change state (the stat resets) are the operator's:
     * Basic credentials matching superDigest, skipACL or not. */
    if (word && (strcmp(word, "crst") == 0 || strcmp(word, "srst") == 0) &&
        !hr->admin)
        return send_error_status(hr,
                                 hr->creds ? MHD_HTTP_FORBIDDEN
                                           : MHD_HTTP_UNAUTHORIZED,
                                 COORD_ENOAUTH,
                                 "command needs the super user");
    if (word && !coord_config_4lw_allowed(srv->cfg, word))
        return send_error_status(hr, MHD_HTTP_FORBIDDEN, COORD_ENOAUTH,
                                 "command not in 4lw.commands.whitelist");
    json_t *o = json_pack("{s:s, s:n}", "command", name, "error");
    char zx[32];
    snprintf(zx, sizeof zx, "0x%" PRIx64, (uint64_t)server_last_zxid(srv));
    if (word == NULL) {
        struct ensemble *ens = srv->ens;
        if (strcmp(name, "leader") == 0 || strcmp(name, "lead") == 0) {
            int64_t lid = ens && server_serving(srv) ? ensemble_leader_id(ens)
                                                     : 0;
            json_object_set_new(o, "is_leader",
                                json_boolean(ens && server_serving(srv) &&
                                             ensemble_leading(ens)));
            json_object_set_new(o, "leader_id",
                                lid ? json_integer(lid) : json_null());
            json_object_set_new(o, "leader_ip", json_null());
        } else if (strcmp(name, "zabstate") == 0) {
            /* AdminServer's names: the Zab phase this server is in */
            json_object_set_new(o, "voting", json_boolean(ens != NULL));
            json_object_set_new(o, "zabstate",
                                json_string(ens ? ensemble_phase(ens)
                                                : "standalone"));
        } else if (strcmp(name, "last_snapshot") == 0) {
            int64_t z = store_last_snapshot(srv->store);
            snprintf(zx, sizeof zx, "0x%" PRIx64, (uint64_t)z);
            json_object_set_new(o, "zxid", json_string(zx));
        } else {
            json_decref(o);
            return snapshot_stream(hr);
        }
        return send_json(hr, MHD_HTTP_OK, o);
    }
    /* structured from the server's state, not the words' text */
    if (strcmp(word, "cons") == 0) {
        rest_admin_cons(srv, o);
    } else if (strcmp(word, "wchc") == 0) {
        rest_admin_wchc(srv, o);
    } else if (strcmp(word, "wchp") == 0) {
        rest_admin_wchp(srv, o);
    } else if (strcmp(word, "dump") == 0) {
        rest_admin_dump(srv, o);
    } else if (strcmp(word, "ruok") == 0) {
        /* nothing more: the answer is that there was one */
    } else if (strcmp(word, "isro") == 0) {
        json_object_set_new(o, "read_only", json_boolean(server_readonly(srv)));
    } else {
        struct buf text;
        buf_init(&text, (size_t)1 << 28);
        render_word(hr->rest, word, &text);
        parse_lines(o, (const char *)text.base, text.len);
        buf_close(&text);
    }
    return send_json(hr, MHD_HTTP_OK, o);
}

static enum MHD_Result metrics(struct hreq *hr)
{
    struct buf text, out;
    buf_init(&text, (size_t)1 << 24);
    buf_init(&out, (size_t)1 << 24);
    render_word(hr->rest, "mntr", &text);
    const char *p = (const char *)text.base, *end = p + text.len;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(e - p));
        if (tab) {
            char v[64];
            size_t vl = (size_t)(e - tab - 1);
            char *x;
            if (vl > 0 && vl < sizeof v) {
                memcpy(v, tab + 1, vl);
                v[vl] = '\0';
                strtod(v, &x);
                if (*x == '\0')
                    buf_printf(&out, "# TYPE %.*s gauge\n%.*s %s\n",
                               (int)(tab - p), p, (int)(tab - p), p, v);
            }
        }
        p = e + 1;
    }
    buf_close(&text);
    size_t n;
    char *s = out.err ? NULL : (char *)buf_take(&out, &n);
    buf_close(&out);
    if (s == NULL)
        return send_error(hr, COORD_ENOMEM, NULL);
    return send_text(hr, MHD_HTTP_OK, "text/plain; version=0.0.4", s, n);
}

/* --- routing ------------------------------------------------------------ */

static bool is(const char *method, const char *m)
{
    return strcmp(method, m) == 0;
}

static enum MHD_Result not_allowed(struct hreq *hr)
{
    return send_error_status(hr, MHD_HTTP_METHOD_NOT_ALLOWED,
                             COORD_EUNIMPLEMENTED, "method not allowed");
}

static enum MHD_Result route(struct hreq *hr, const char *url,
                             const char *method)
{
    if (strncmp(url, "/v1/znodes", 10) == 0 &&
        (url[10] == '\0' || url[10] == '/')) {
        const char *path = url[10] && url[11] ? url + 10 : "/";
        if (coord_path_validate(path, strlen(path)) != 0 &&
            !(is(method, MHD_HTTP_METHOD_POST) &&
              coord_path_validate(path, strlen(path) - 1) == 0 &&
              path[strlen(path) - 1] == '/'))
            return send_error(hr, COORD_EBADARGUMENTS, "bad path");
        free(hr->path);
        hr->path = strdup(path);
        if (hr->path == NULL)
            return MHD_NO;
        if (is(method, MHD_HTTP_METHOD_GET))
            return get_znode(hr, path, false);
        if (is(method, MHD_HTTP_METHOD_HEAD))
            return get_znode(hr, path, true);
        if (is(method, MHD_HTTP_METHOD_PUT))
            return put_znode(hr, path);
        if (is(method, MHD_HTTP_METHOD_POST))
            return post_znode(hr, path);
        if (is(method, MHD_HTTP_METHOD_DELETE))
            return delete_znode(hr, path);
        return not_allowed(hr);
    }
    if (strncmp(url, "/v1/acl", 7) == 0 && (url[7] == '\0' || url[7] == '/')) {
        const char *path = url[7] && url[8] ? url + 7 : "/";
        if (coord_path_validate(path, strlen(path)) != 0)
            return send_error(hr, COORD_EBADARGUMENTS, "bad path");
        free(hr->path);
        hr->path = strdup(path);
        if (hr->path == NULL)
            return MHD_NO;
        if (is(method, MHD_HTTP_METHOD_GET))
            return get_acl(hr, path);
        if (is(method, MHD_HTTP_METHOD_PUT))
            return put_acl(hr, path);
        return not_allowed(hr);
    }
    if (strcmp(url, "/v1/sessions") == 0)
        return is(method, MHD_HTTP_METHOD_POST) ? post_session(hr)
                                                : not_allowed(hr);
    if (strncmp(url, "/v1/sessions/", 13) == 0)
        return session_op(hr, url + 13, method);
    if (strcmp(url, "/v1/multi") == 0)
        return is(method, MHD_HTTP_METHOD_POST) ? post_multi(hr)
                                                : not_allowed(hr);
    if (strcmp(url, "/v1/watch") == 0)
        return is(method, MHD_HTTP_METHOD_GET) ? get_watch(hr) : not_allowed(hr);
    if (!is(method, MHD_HTTP_METHOD_GET) && !is(method, MHD_HTTP_METHOD_HEAD))
        return not_allowed(hr);
    if (strcmp(url, "/commands") == 0 || strcmp(url, "/commands/") == 0)
        return command(hr, "");
    if (strncmp(url, "/commands/", 10) == 0)
        return command(hr, url + 10);
    if (strcmp(url, "/metrics") == 0)
        return metrics(hr);
    if (strcmp(url, "/health") == 0) {
        /* 200 only while this server serves with a quorum */
        struct server *srv = hr->rest->srv;
        const char *mode = srv->ens ? ensemble_mode(srv->ens) : "standalone";
        if (!server_serving(srv))
            return send_json(hr, MHD_HTTP_SERVICE_UNAVAILABLE,
                             json_pack("{s:s, s:s}", "status",
                                       server_readonly(srv) ? "read-only"
                                                            : "no quorum",
                                       "mode", mode));
        return send_json(hr, MHD_HTTP_OK,
                         json_pack("{s:s, s:s}", "status", "serving", "mode",
                                   mode));
    }
    return send_error_status(hr, MHD_HTTP_NOT_FOUND, COORD_EUNIMPLEMENTED,
                             "no such endpoint");
}

static struct hreq *hreq_new(struct rest *r, struct MHD_Connection *mc)
{
    struct hreq *hr = calloc(1, sizeof *hr);
    if (hr == NULL)
        return NULL;
    hr->rest = r;
    hr->mc = mc;
    buf_init(&hr->body, (size_t)r->srv->cfg->jute_maxbuffer);
    buf_init(&hr->ids, 4096);
    return hr;
}

static void hreq_free(struct hreq *hr)
{
    if (hr == NULL)
        return;
    hreq_unlink(hr);
    if (hr->req) {
        hr->req->done = NULL; /* still in the log: applies without us */
        hr->req->done_ctx = NULL;
    }
    if (hr->poll)
        stream_free(hr->poll);
    buf_close(&hr->body);
    buf_close(&hr->ids);
    rest_parsed_free(&hr->parsed);
    free(hr->reply);
    free(hr->path);
    free(hr->resp.body);
    free(hr->resp.location);
    free(hr);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    struct rest *r = cls;
    struct hreq *hr = *con_cls;
    size_t max = (size_t)r->srv->cfg->jute_maxbuffer;
    if (hr == NULL) {
        hr = hreq_new(r, mc);
        if (hr == NULL)
            return MHD_NO;
        *con_cls = hr;
        identify(hr);
        const char *cl = MHD_lookup_connection_value(
            mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > max)
            return send_error_status(hr, MHD_HTTP_CONTENT_TOO_LARGE,
                                     COORD_ETOOBIG,
                                     "body larger than jute.maxbuffer");
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!hr->too_big && buf_append(&hr->body, upload, *upload_size) != 0)
            hr->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (hr->ready) {
        hr->ready = false;
        return hr->kind == K_POLL ? answer_poll(hr) : answer(hr);
    }
    if (hr->waiting)
        return MHD_YES; /* spurious call while parked */
    if (hr->too_big)
        return send_error_status(hr, MHD_HTTP_CONTENT_TOO_LARGE, COORD_ETOOBIG,
                                 "body larger than jute.maxbuffer");
    enum MHD_Result rv = route(hr, url, method);
    if (hr->ready && !hr->waiting && hr->kind == K_POLL) {
        hr->ready = false;
        return answer_poll(hr);
    }
    return rv;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)mc;
    (void)toe;
    hreq_free(*con_cls);
    *con_cls = NULL;
}

/* --- one request without a connection ------------------------------------ */

struct rest *rest_new_detached(struct server *srv)
{
    struct rest *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->srv = srv;
    r->listen_fd = -1;
    r->queue_max = (size_t)srv->cfg->http_max_queued_bytes;
    return r;
}

void rest_free_detached(struct rest *r)
{
    if (r == NULL)
        return;
    while (r->streams)
        stream_free(r->streams);
    free(r);
}

struct hreq *rest_request_new(struct rest *r, const struct rest_http_req *in)
{
    struct hreq *hr = hreq_new(r, NULL);
    if (hr == NULL)
        return NULL;
    hr->in = in;
    identify(hr);
    if (in->body_len > 0 && buf_append(&hr->body, in->body, in->body_len) != 0)
        hr->too_big = true;
    return hr;
}

bool rest_request_run(struct hreq *hr, const struct rest_http_resp **out)
{
    *out = &hr->resp;
    if (hr->answered)
        return true;
    if (hr->waiting && hr->kind == K_POLL)
        hreq_wake(hr); /* its time is up */
    enum MHD_Result rv;
    if (hr->ready) {
        hr->ready = false;
        rv = hr->kind == K_POLL ? answer_poll(hr) : answer(hr);
    } else if (hr->waiting) {
        return false;
    } else if (hr->too_big) {
        rv = send_error_status(hr, MHD_HTTP_CONTENT_TOO_LARGE, COORD_ETOOBIG,
                               "body larger than jute.maxbuffer");
    } else {
        rv = route(hr, hr->in->url, hr->in->method);
        if (hr->ready && !hr->waiting && hr->kind == K_POLL) {
            hr->ready = false;
            rv = answer_poll(hr);
        }
    }
    if (hr->answered)
        return true;
    if (hr->waiting)
        return false;
    /* MHD_NO: the daemon would close the connection; say so */
    (void)rv;
    hr->resp = (struct rest_http_resp){.status = 0};
    hr->answered = true;
    return true;
}

void rest_request_free(struct hreq *hr)
{
    hreq_free(hr);
}

/* --- the loop's side ---------------------------------------------------- */

int rest_listen(const char *host, int port_num, const char *key)
{
    int fd = server_listen_fd(host, port_num, 1024, key);
    return fd < 0 ? -1 : fd;
}

static int listen_http(struct server *srv)
{
    const struct coord_config *cfg = srv->cfg;
    const char *host = cfg->http_port_address ? cfg->http_port_address
                                              : cfg->client_port_address;
    return rest_listen(host, cfg->http_port, "httpPortAddress");
}

/* An HTTPS connection carries its certificate subject as the socket
 * context: set while rest_add_connection runs, which starts the
 * connection (and calls this) before it returns. */
static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)mc;
    struct rest *r = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        r->n_conns++;
        *socket_context = r->adding_x509 ? strdup(r->adding_x509) : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        r->n_conns--;
        free(*socket_context);
        *socket_context = NULL;
    }
}

int rest_add_connection(struct server *srv, int fd, const struct sockaddr *sa,
                        socklen_t salen, const char *x509)
{
    struct rest *r = srv->rest;
    if (r == NULL) {
        close(fd);
        return -1;
    }
    r->adding_x509 = x509;
    r->adding = true;
    enum MHD_Result rv = MHD_add_connection(r->d, fd, sa, salen);
    r->adding = false;
    r->adding_x509 = NULL;
    r->dirty = true;
    return rv == MHD_YES ? 0 : -1; /* the daemon closed fd on failure */
}

/*
 * connectionThrottleRate on the gateway's ports: a bucket of their own
 * (httpPort and httpsPort share it) with the client port's rate and
 * burst. Not the client port's bucket: a reconnect storm of ZooKeeper
 * clients, just when throttling matters, must not make /health and
 * /metrics fail and leave the operator blind, and scrapes and probes must
 * not take ZooKeeper clients' tokens. Refusals count in the server's
 * coord_connections_throttled as well as the gateway's own counter.
 */
bool rest_throttle_admit(struct server *srv)
{
    const struct coord_config *cfg = srv->cfg;
    struct rest *r = srv->rest;
    if (cfg->connection_throttle_rate <= 0 || r == NULL)
        return true;
    int64_t now = server_mono_ms();
    double burst = cfg->connection_throttle_burst;
    if (!r->bucket_started) {
        r->tokens = burst;
        r->bucket_started = true;
    } else {
        r->tokens += (double)(now - r->tokens_ms) *
                     cfg->connection_throttle_rate / 1000.0;
        if (r->tokens > burst)
            r->tokens = burst;
    }
    r->tokens_ms = now;
    if (r->tokens >= 1.0) {
        r->tokens -= 1.0;
        return true;
    }
    srv->conns_throttled++;
    r->throttled++;
    uint64_t n;
    if (log_burst_due(&r->throttle_log, &n))
        log_warn("rest: http connections throttled n=%llu rate=%d burst=%d",
                 (unsigned long long)n, cfg->connection_throttle_rate,
                 cfg->connection_throttle_burst);
    return false;
}

/* The daemon accepted a connection on httpPort: refused (closed at once)
 * when the bucket is empty. HTTPS ones were admitted before their
 * handshake (rest_tls.c). */
static enum MHD_Result on_accept_policy(void *cls, const struct sockaddr *sa,
                                        socklen_t salen)
{
    (void)sa;
    (void)salen;
    struct rest *r = cls;
    if (r->adding)
        return MHD_YES;
    return rest_throttle_admit(r->srv) ? MHD_YES : MHD_NO;
}

static void run_daemon(struct rest *r)
{
    r->dirty = false;
    MHD_run(r->d);
}

static void rest_on_event(struct server *srv, struct source *src,
                          uint32_t events)
{
    (void)src;
    (void)events;
    run_daemon(srv->rest);
}

/* The daemon's own messages. It refuses a connection over
 * MHD_OPTION_PER_IP_CONNECTION_LIMIT (maxClientCnxns) or the connection
 * limit with this one: closed at once, a warning once per burst. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct rest *r = cls;
    if (strstr(fmt, "connection limit") != NULL) {
        uint64_t n;
        if (log_burst_due(&r->refused_log, &n))
            log_warn("rest: http connections refused n=%llu "
                     "maxClientCnxns=%d",
                     (unsigned long long)n, r->srv->cfg->max_client_cnxns);
        return;
    }
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_debug("rest: daemon: %s", msg);
}

void rest_counts(const struct server *srv, size_t *conns, size_t *streams)
{
    const struct rest *r = srv->rest;
    *conns = r ? r->n_conns : 0;
    *streams = 0;
    for (const struct stream *st = r ? r->streams : NULL; st; st = st->next)
        if (!st->dropped)
            (*streams)++;
}

int rest_start(struct server *srv)
{
    if (srv->cfg->http_port <= 0 && srv->cfg->https_port <= 0)
        return 0;
    struct rest *r = calloc(1, sizeof *r);
    if (r == NULL)
        return COORD_ENOMEM;
    r->srv = srv;
    r->listen_fd = -1;
    r->queue_max = (size_t)srv->cfg->http_max_queued_bytes;
    /* httpsPort alone: a daemon with no socket of its own */
    unsigned int flags =
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (srv->cfg->http_port > 0) {
        r->listen_fd = listen_http(srv);
        if (r->listen_fd < 0) {
            free(r);
            return COORD_EIO;
        }
    } else {
        flags |= MHD_USE_NO_LISTEN_SOCKET;
    }
    struct MHD_OptionItem listen_opt[] = {
        {r->listen_fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END,
         r->listen_fd, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    r->d = MHD_start_daemon(
        flags, 0, on_accept_policy, r, on_access, r,
        MHD_OPTION_ARRAY, listen_opt, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, r, MHD_OPTION_NOTIFY_CONNECTION, on_connection, r,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)srv->cfg->max_client_cnxns,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, r,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_END);
    const union MHD_DaemonInfo *di =
        r->d ? MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (di == NULL) {
        log_error("rest: cannot start the HTTP daemon httpPort=%d",
                  srv->cfg->http_port);
        if (r->d)
            MHD_stop_daemon(r->d);
        if (r->listen_fd >= 0)
            close(r->listen_fd);
        free(r);
        return COORD_EIO;
    }
    r->src.fd = di->epoll_fd;
    r->src.on_event = rest_on_event;
    server_watch(srv, &r->src, EPOLLIN, true);
    r->cap = (size_t)srv->cfg->http_history_size;
    if (r->cap > 0 && (r->ring = calloc(r->cap, sizeof *r->ring)) == NULL)
        r->cap = 0;
    r->floor_zxid = server_last_zxid(srv);
    srv->rest = r;
    /* The history: every change under / (super, so nothing is hidden). */
    r->ring_watcher = (uint64_t)(uintptr_t)&r->ring | 1u;
    struct buf rec, out;
    buf_init(&rec, 64);
    buf_init(&out, 64);
    coord_put_addwatch_req(&rec, &(struct coord_addwatch_req){
                                     jute_cstr("/"),
                                     COORD_ADDWATCH_PERSISTENT_RECURSIVE});
    struct tree_caller who = {0, r->ring_watcher, true, {0, NULL, 0}};
    int rv = tree_read(srv->tree, COORD_OP_ADDWATCH,
                       (struct jute_str){(const char *)rec.base,
                                         (int32_t)rec.len},
                       &who, &out);
    buf_close(&rec);
    buf_close(&out);
    if (rv != 0)
        log_warn("rest: no watch history err=%s", coord_strerror(rv));
    log_info("rest: serving httpPort=%d address=%s history=%zu",
             srv->cfg->http_port,
             srv->cfg->http_port_address ? srv->cfg->http_port_address
             : srv->cfg->client_port_address ? srv->cfg->client_port_address
                                              : "*",
             r->cap);
    int trv = rest_tls_start(srv);
    if (trv != 0)
        rest_stop(srv);
    return trv;
}

void rest_stop(struct server *srv)
{
    struct rest *r = srv->rest;
    if (r == NULL)
        return;
    r->stopping = true;
    rest_tls_stop(srv);
    /* MHD must not be stopped with suspended connections: wake them all. */
    while (r->waiting) {
        struct hreq *hr = r->waiting;
        if (hr->req) {
            hr->req->done = NULL;
            hr->req->done_ctx = NULL;
            hr->req = NULL;
        }
        hr->err = COORD_ECONNECTIONLOSS;
        hreq_wake(hr);
    }
    for (struct stream *st = r->streams; st; st = st->next) {
        st->dropped = true;
        stream_wake(st);
    }
    for (int i = 0; i < 3; i++)
        MHD_run(r->d);
    MHD_stop_daemon(r->d); /* frees the streams through sse_free */
    if (r->listen_fd >= 0)
        close(r->listen_fd);
    while (r->streams)
        stream_free(r->streams);
    tree_watches_drop(srv->tree, r->ring_watcher);
    for (size_t i = 0; i < r->n; i++)
        free(r->ring[(r->head + i) % r->cap].path);
    free(r->ring);
    free(r);
    srv->rest = NULL;
}

int rest_timeout_ms(struct server *srv)
{
    struct rest *r = srv->rest;
    if (r == NULL)
        return -1;
    if (r->dirty)
        return 0;
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout(r->d, &t) != MHD_YES)
        return -1;
    return t > 1000 ? 1000 : (int)t;
}

void rest_after_events(struct server *srv)
{
    struct rest *r = srv->rest;
    if (r == NULL)
        return;
    rest_tls_reap(srv);
    MHD_UNSIGNED_LONG_LONG t;
    if (r->dirty || (MHD_get_timeout(r->d, &t) == MHD_YES && t == 0))
        run_daemon(r);
}

/* Whether the client of a parked connection has gone: the daemon does not
 * watch suspended sockets, so a watcher that closes while nothing is sent
 * would otherwise be noticed only by the next keep-alive or deadline. A
 * byte it sent (pipelining) is left for the daemon. */
static bool client_gone(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci == NULL)
        return false;
    char c;
    ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 ||
           (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Each tick: parked watch streams and long polls whose client closed end
 * now, and their watches go with them. */
static void notice_closed(struct rest *r)
{
    for (struct stream *st = r->streams; st; st = st->next) {
        if (st->dropped)
            continue;
        if (st->poll) {
            if (st->poll->waiting && client_gone(st->mc)) {
                st->dropped = true;
                stream_drop_watch(st);
                hreq_wake(st->poll);
            }
        } else if (st->suspended && client_gone(st->mc)) {
            log_debug("rest: watch stream client gone path=%s", st->path);
            st->dropped = true;
            stream_drop_watch(st);
            buf_close(&st->q);
            stream_wake(st);
        }
    }
}

void rest_tick(struct server *srv, int64_t now)
{
    struct rest *r = srv->rest;
    if (r == NULL)
        return;
    rest_tls_tick(srv, now);
    for (struct stream *st = r->streams; st; st = st->next) {
        if (st->poll) {
            if (now >= st->deadline_ms && st->poll->waiting)
                hreq_wake(st->poll);
        } else if (!st->dropped && now - st->last_send_ms >= KEEPALIVE_MS) {
            buf_printf(&st->q, ": keepalive\n\n");
            st->last_send_ms = now;
            if (st->q.err)
                stream_overflow(st);
            stream_wake(st);
        }
    }
    notice_closed(r);
    run_daemon(r);
}
