/* JSON request bodies of the REST gateway turned into ZooKeeper records. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/records.h"
#include "server/rest.h"

/* More ops than this in one multi is refused before anything is encoded. */
#define MULTI_MAX_OPS 10000

void rest_parsed_free(struct rest_parsed *p)
{
    free(p->types);
    p->types = NULL;
}

static int fail(struct rest_parsed *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct rest_parsed *out, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->msg, sizeof out->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* --- base64 and UTF-8 --------------------------------------------------- */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void rest_b64_encode(struct buf *out, const uint8_t *p, size_t n)
{
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        q[0] = B64[(v >> 18) & 63];
        q[1] = B64[(v >> 12) & 63];
        q[2] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? B64[v & 63] : '=';
        buf_append(out, q, 4);
    }
}

static int b64_val(char c)
{
    const char *k = memchr(B64, c, 64);
    return c && k ? (int)(k - B64) : -1;
}

int rest_b64_decode(struct buf *out, const char *s, size_t n)
{
    if (n % 4 != 0)
        return COORD_EBADARGUMENTS;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad || (v[k] = b64_val(s[i + k])) < 0)
                return COORD_EBADARGUMENTS;
        }
        uint32_t x = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) |
                     ((uint32_t)v[2] << 6) | (uint32_t)v[3];
        uint8_t b[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
        buf_append(out, b, (size_t)(3 - pad));
    }
    return out->err;
}

bool rest_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* --- pieces ------------------------------------------------------------- */

static json_t *load(const char *body, size_t len, struct rest_parsed *out,
                    int *err)
{
    *err = 0;
    if (len == 0)
        return json_object();
    json_error_t je;
    /* \u0000 is valid JSON, and GET writes it for data holding NUL
     * bytes: what the gateway writes it must read back */
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                           &je);
    if (j == NULL) {
        snprintf(out->msg, sizeof out->msg, "malformed JSON: %.100s at %d",
                 je.text, je.position);
        *err = COORD_EMARSHALLING;
    }
    return j;
}

/* Reads an optional boolean member; a present non-boolean is an error. */
static int get_bool(json_t *o, const char *key, bool *v,
                    struct rest_parsed *out)
{
    json_t *m = json_object_get(o, key);
    *v = false;
    if (m == NULL || json_is_null(m))
        return 0;
    if (!json_is_boolean(m))
        return fail(out, COORD_EBADARGUMENTS, "\"%s\" must be a boolean", key);
    *v = json_is_true(m);
    return 0;
}

static int get_int(json_t *o, const char *key, int64_t lo, int64_t hi,
                   int64_t *v, struct rest_parsed *out)
{
    json_t *m = json_object_get(o, key);
    if (m == NULL || json_is_null(m))
        return 0;
    if (!json_is_integer(m) || json_integer_value(m) < lo ||
        json_integer_value(m) > hi)
        return fail(out, COORD_EBADARGUMENTS, "\"%s\" must be an integer in range",
                    key);
    *v = json_integer_value(m);
    return 0;
}

/* A string member as a jute string; absent gives `dflt`. */
static int get_str(json_t *o, const char *key, struct jute_str *s,
                   struct jute_str dflt, struct rest_parsed *out)
{
    json_t *m = json_object_get(o, key);
    *s = dflt;
    if (m == NULL)
        return 0;
    if (json_is_null(m)) {
        *s = JUTE_NULL;
        return 0;
    }
    if (!json_is_string(m) || json_string_length(m) > COORD_MAX_FRAME)
        return fail(out, COORD_EBADARGUMENTS, "\"%s\" must be a string", key);
    s->p = json_string_value(m);
    s->len = (int32_t)json_string_length(m);
    return 0;
}

/* "data" with its "encoding" (utf8 by default, or base64). The decoded bytes
 * may live in `tmp`, which must outlive the use of *data. */
static int get_data(json_t *o, struct buf *tmp, struct jute_str *data,
                    struct rest_parsed *out)
{
    int rv = get_str(o, "data", data, (struct jute_str){"", 0}, out);
    if (rv != 0)
        return rv;
    struct jute_str enc;
    if ((rv = get_str(o, "encoding", &enc, jute_cstr("utf8"), out)) != 0)
        return rv;
    if (jute_str_eq(enc, jute_cstr("utf8")) || jute_str_eq(enc, jute_cstr("utf-8")))
        return 0;
    if (!jute_str_eq(enc, jute_cstr("base64")))
        return fail(out, COORD_EBADARGUMENTS, "%s", "encoding must be utf8 or base64");
    if (data->len <= 0)
        return 0;
    buf_reset(tmp);
    if (rest_b64_decode(tmp, data->p, (size_t)data->len) != 0)
        return fail(out, COORD_EBADARGUMENTS, "%s", "data is not valid base64");
    data->p = (const char *)tmp->base;
    data->len = (int32_t)tmp->len;
    return 0;
}

static int perms_of(json_t *m, int32_t *perms)
{
    if (json_is_integer(m)) {
        json_int_t v = json_integer_value(m);
        if (v < 0 || v > COORD_PERM_ALL)
            return -1;
        *perms = (int32_t)v;
        return 0;
    }
    if (!json_is_string(m))
        return -1;
    *perms = 0;
    const char *p = json_string_value(m);
    for (size_t i = 0; i < json_string_length(m); i++) {
        const char *k = p[i] ? strchr("rwcda", p[i]) : NULL;
        if (k == NULL)
            return -1;
        *perms |= 1 << (k - "rwcda");
    }
    return 0;
}

/* "acl": [{perms, scheme, id}], open (world:anyone, all) when absent. */
static int put_acl(json_t *o, struct buf *rec, struct rest_parsed *out)
{
    json_t *a = json_object_get(o, "acl");
    if (a == NULL || json_is_null(a)) {
        struct coord_acl open = {COORD_PERM_ALL,
                                 {jute_cstr("world"), jute_cstr("anyone")}};
        coord_put_acl_array(rec, &open, 1);
        return 0;
    }
    if (!json_is_array(a) || json_array_size(a) > 1024)
        return fail(out, COORD_EINVALIDACL, "%s", "acl must be an array");
    jute_put_int(rec, (int32_t)json_array_size(a));
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        struct coord_acl acl;
        json_t *scheme = json_object_get(e, "scheme");
        json_t *id = json_object_get(e, "id");
        if (!json_is_object(e) || perms_of(json_object_get(e, "perms"),
                                           &acl.perms) != 0 ||
            !json_is_string(scheme) || !json_is_string(id))
            return fail(out, COORD_EINVALIDACL, "%s",
                        "acl entries are {perms, scheme, id}");
        acl.id.scheme.p = json_string_value(scheme);
        acl.id.scheme.len = (int32_t)json_string_length(scheme);
        acl.id.id.p = json_string_value(id);
        acl.id.id.len = (int32_t)json_string_length(id);
        coord_put_acl(rec, &acl);
    }
    return 0;
}

static int get_session(json_t *o, struct rest_parsed *out)
{
    json_t *m = json_object_get(o, "session");
    if (m == NULL || json_is_null(m))
        return 0;
    if (!json_is_string(m) || json_string_length(m) >= REST_CRED_MAX)
        return fail(out, COORD_EBADARGUMENTS, "%s", "session must be a string");
    snprintf(out->session, sizeof out->session, "%s", json_string_value(m));
    out->has_session = true;
    return 0;
}

static int finish(struct buf *rec, struct rest_parsed *out)
{
    if (rec->err == COORD_ETOOBIG)
        return fail(out, COORD_ETOOBIG, "%s", "request too large");
    if (rec->err)
        return fail(out, rec->err, "%s", "out of memory");
    return 0;
}

/* One create record from an object: flags, then the opcode. */
static int put_create(json_t *o, struct jute_str path, struct buf *rec,
                      struct buf *tmp, struct rest_parsed *out, int32_t *op)
{
    bool eph, seq, container;
    int64_t ttl = -1;
    struct jute_str data;
    int rv;
    if ((rv = get_bool(o, "ephemeral", &eph, out)) != 0 ||
        (rv = get_bool(o, "sequential", &seq, out)) != 0 ||
        (rv = get_bool(o, "container", &container, out)) != 0 ||
        (rv = get_int(o, "ttl", 1, INT64_MAX, &ttl, out)) != 0 ||
        (rv = get_data(o, tmp, &data, out)) != 0)
        return rv;
    int32_t flags = (eph ? COORD_EPHEMERAL : 0) |
                    (seq ? COORD_PERSISTENT_SEQUENTIAL : 0);
    *op = COORD_OP_CREATE2;
    if (container) {
        if (eph || seq || ttl > 0)
            return fail(out, COORD_EBADARGUMENTS, "%s",
                        "a container is neither ephemeral, sequential nor ttl");
        flags = COORD_CONTAINER;
        *op = COORD_OP_CREATECONTAINER;
    } else if (ttl > 0) {
        if (eph)
            return fail(out, COORD_EBADARGUMENTS, "%s",
                        "an ephemeral node cannot have a ttl");
        flags = seq ? COORD_PERSISTENT_SEQUENTIAL_WITH_TTL
                    : COORD_PERSISTENT_WITH_TTL;
        *op = COORD_OP_CREATETTL;
    }
    out->ephemeral = out->ephemeral || eph;
    jute_put_str(rec, path);
    jute_put_str(rec, data);
    if ((rv = put_acl(o, rec, out)) != 0)
        return rv;
    jute_put_int(rec, flags);
    if (*op == COORD_OP_CREATETTL)
        jute_put_long(rec, ttl);
    return 0;
}

/* --- the bodies --------------------------------------------------------- */

int rest_json_create(const char *body, size_t len, const char *path,
                     struct buf *rec, struct rest_parsed *out)
{
    int rv;
    json_t *j = load(body, len, out, &rv);
    if (j == NULL)
        return rv;
    struct buf tmp;
    buf_init(&tmp, (size_t)COORD_MAX_FRAME + 1);
    if (!json_is_object(j))
        rv = fail(out, COORD_EBADARGUMENTS, "%s", "body must be a JSON object");
    else if ((rv = get_session(j, out)) == 0 &&
             (rv = put_create(j, jute_cstr(path), rec, &tmp, out, &out->op)) == 0)
        rv = finish(rec, out);
    buf_close(&tmp);
    json_decref(j);
    return rv;
}

int rest_json_set(const char *body, size_t len, const char *path,
                  int32_t version, struct buf *rec, struct rest_parsed *out)
{
    int rv;
    json_t *j = load(body, len, out, &rv);
    if (j == NULL)
        return rv;
    struct buf tmp;
    buf_init(&tmp, (size_t)COORD_MAX_FRAME + 1);
    int64_t v = version;
    struct jute_str data;
    if (!json_is_object(j))
        rv = fail(out, COORD_EBADARGUMENTS, "%s", "body must be a JSON object");
    else if ((rv = get_int(j, "version", -1, INT32_MAX, &v, out)) == 0 &&
             (rv = get_session(j, out)) == 0 &&
             (rv = get_data(j, &tmp, &data, out)) == 0) {
        out->op = COORD_OP_SETDATA;
        struct coord_setdata_req sr = {jute_cstr(path), data, (int32_t)v};
        coord_put_setdata_req(rec, &sr);
        rv = finish(rec, out);
    }
    buf_close(&tmp);
    json_decref(j);
    return rv;
}

static int put_op(json_t *o, struct buf *rec, struct buf *tmp,
                  struct rest_parsed *out, int32_t *type)
{
    if (!json_is_object(o))
        return fail(out, COORD_EBADARGUMENTS, "%s", "each op must be an object");
    struct jute_str name, path;
    int64_t version = -1;
    int rv;
    if ((rv = get_str(o, "op", &name, JUTE_NULL, out)) != 0 ||
        (rv = get_str(o, "path", &path, JUTE_NULL, out)) != 0 ||
        (rv = get_int(o, "version", -1, INT32_MAX, &version, out)) != 0)
        return rv;
    if (name.len < 0 || path.len < 0)
        return fail(out, COORD_EBADARGUMENTS, "%s", "each op needs op and path");
    /* Every op starts with its MultiHeader; create's type is known only once
     * its flags are read, so it is patched afterwards. */
    size_t hdr = rec->len;
    struct coord_multi_header mh = {0, false, -1};
    coord_put_multi_header(rec, &mh);
    if (jute_str_eq(name, jute_cstr("create"))) {
        rv = put_create(o, path, rec, tmp, out, type);
    } else if (jute_str_eq(name, jute_cstr("set"))) {
        struct jute_str data;
        if ((rv = get_data(o, tmp, &data, out)) == 0) {
            struct coord_setdata_req sr = {path, data, (int32_t)version};
            coord_put_setdata_req(rec, &sr);
            *type = COORD_OP_SETDATA;
        }
    } else if (jute_str_eq(name, jute_cstr("delete"))) {
        struct coord_delete_req dr = {path, (int32_t)version};
        coord_put_delete_req(rec, &dr);
        *type = COORD_OP_DELETE;
    } else if (jute_str_eq(name, jute_cstr("check"))) {
        struct coord_check_req cr = {path, (int32_t)version};
        coord_put_check_req(rec, &cr);
        *type = COORD_OP_CHECK;
    } else {
        return fail(out, COORD_EBADARGUMENTS, "%s",
                    "op must be create, set, delete or check");
    }
    if (rv == 0 && rec->err == 0)
        jute_wbe32(rec->base + hdr, (uint32_t)*type);
    return rv;
}

int rest_json_multi(const char *body, size_t len, struct buf *rec,
                    struct rest_parsed *out)
{
    int rv;
    json_t *j = load(body, len, out, &rv);
    if (j == NULL)
        return rv;
    json_t *ops = j;
    if (json_is_object(j)) {
        ops = json_object_get(j, "ops");
        rv = get_session(j, out);
    }
    if (rv == 0 && (!json_is_array(ops) || json_array_size(ops) > MULTI_MAX_OPS))
        rv = fail(out, COORD_EBADARGUMENTS, "%s",
                  "body must be {\"ops\": [...]} or an array of ops");
    if (rv == 0) {
        size_t n = json_array_size(ops);
        out->types = calloc(n ? n : 1, sizeof *out->types);
        if (out->types == NULL)
            rv = fail(out, COORD_ENOMEM, "%s", "out of memory");
    }
    struct buf tmp;
    buf_init(&tmp, (size_t)COORD_MAX_FRAME + 1);
    if (rv == 0) {
        out->op = COORD_OP_MULTI;
        size_t i;
        json_t *e;
        json_array_foreach(ops, i, e) {
            if ((rv = put_op(e, rec, &tmp, out, &out->types[i])) != 0)
                break;
            out->n_ops = (int32_t)i + 1;
            if (rec->err)
                break;
        }
        if (rv == 0) {
            struct coord_multi_header end = {-1, true, -1};
            coord_put_multi_header(rec, &end);
            rv = finish(rec, out);
        }
    }
    buf_close(&tmp);
    json_decref(j);
    return rv;
}

int rest_json_session(const char *body, size_t len, struct rest_parsed *out)
{
    int rv;
    json_t *j = load(body, len, out, &rv);
    if (j == NULL)
        return rv;
    int64_t t = -1;
    out->timeout = -1;
    if (!json_is_object(j))
        rv = fail(out, COORD_EBADARGUMENTS, "%s", "body must be a JSON object");
    else if ((rv = get_int(j, "timeout", 0, INT32_MAX, &t, out)) == 0)
        out->timeout = (int32_t)t;
    json_decref(j);
    return rv;
}

int rest_json_setacl(const char *body, size_t len, const char *path,
                     int32_t version, struct buf *rec, struct rest_parsed *out)
{
    int rv;
    json_t *j = load(body, len, out, &rv);
    if (j == NULL)
        return rv;
    /* a bare array is the ACL; an object gives it as "acl" */
    json_t *o = json_is_array(j) ? json_pack("{s:O}", "acl", j) : json_incref(j);
    int64_t v = version;
    if (o == NULL) {
        rv = fail(out, COORD_ENOMEM, "%s", "out of memory");
    } else if (!json_is_object(o)) {
        rv = fail(out, COORD_EBADARGUMENTS, "%s",
                  "body must be an ACL array or {acl, version}");
    } else if (!json_is_array(json_object_get(o, "acl"))) {
        rv = fail(out, COORD_EINVALIDACL, "%s", "acl must be an array");
    } else if ((rv = get_int(o, "version", -1, INT32_MAX, &v, out)) == 0) {
        out->op = COORD_OP_SETACL;
        jute_put_str(rec, jute_cstr(path));
        if ((rv = put_acl(o, rec, out)) == 0) {
            jute_put_int(rec, (int32_t)v);
            rv = finish(rec, out);
        }
    }
    json_decref(o);
    json_decref(j);
    return rv;
}
