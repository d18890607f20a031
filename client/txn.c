/* The multi / multiRead builder: ops in, per-op results out. */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "proto/path.h"

struct txn_op {
    int32_t type;
    char *path; /* user path */
    uint8_t *data;
    int32_t len;
    int32_t version;
    int32_t flags;
    int64_t ttl; /* createTTL only */
    struct coord_acl_entry *acl; /* deep copy; NULL = open */
    int32_t nacl;
};

struct coord_txn {
    struct txn_op *ops;
    size_t n;
    struct coord_op_result *res; /* n entries once completed */
};


int coord_txn_new(struct coord_txn **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : COORD_ENOMEM;
}

void txn_clear_results(struct coord_txn *t)
{
    if (t->res == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->res[i].path);
        free(t->res[i].data);
        if (t->res[i].children.data)
            free((struct coord_strings *)t->res[i].children.data - 1);
    }
    free(t->res);
    t->res = NULL;
}

static void op_free(struct txn_op *op)
{
    free(op->path);
    free(op->data);
    for (int32_t i = 0; i < op->nacl; i++) {
        free((char *)op->acl[i].scheme);
        free((char *)op->acl[i].id);
    }
    free(op->acl);
}

void coord_txn_free(struct coord_txn *t)
{
    if (t == NULL)
        return;
    txn_clear_results(t);
    for (size_t i = 0; i < t->n; i++)
        op_free(&t->ops[i]);
    free(t->ops);
    free(t);
}

static int add(struct coord_txn *t, int32_t type, const char *path, bool seq,
               const void *data, int32_t len, int32_t version)
{
    if (path == NULL || (data == NULL && len > 0) || len < -1)
        return COORD_EINVAL;
    size_t plen = strlen(path);
    bool slash_ok = seq && plen > 1 && path[plen - 1] == '/';
    if (coord_path_validate(path, slash_ok ? plen - 1 : plen) != 0)
        return COORD_EBADARGUMENTS;
    struct txn_op *grown = realloc(t->ops, (t->n + 1) * sizeof *grown);
    if (grown == NULL)
        return COORD_ENOMEM;
    t->ops = grown;
    struct txn_op *op = &t->ops[t->n];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->len = len;
    op->version = version;
    op->path = strdup(path);
    if (len > 0) {
        op->data = malloc((size_t)len);
        if (op->data)
            memcpy(op->data, data, (size_t)len);
    }
    if (op->path == NULL || (len > 0 && op->data == NULL)) {
        op_free(op);
        return COORD_ENOMEM;
    }
    txn_clear_results(t);
    t->n++;
    return 0;
}

static bool is_ttl(int flags)
{
    return flags == COORD_PERSISTENT_WITH_TTL ||
           flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL;
}

static int create_op(struct coord_txn *t, const char *path, const void *data,
                     int32_t len, const struct coord_acl_list *acl, int flags,
                     int64_t ttl)
{
    if (acl && (acl->count <= 0 || acl->entries == NULL))
        return COORD_EINVAL;
    bool seq = flags == COORD_PERSISTENT_SEQUENTIAL ||
               flags == COORD_EPHEMERAL_SEQUENTIAL ||
               flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL;
    int32_t type = is_ttl(flags)               ? COORD_OP_CREATETTL
                   : flags == COORD_CONTAINER ? COORD_OP_CREATECONTAINER
                                              : COORD_OP_CREATE2;
    int rc = add(t, type, path, seq, data, len, -1);
    if (rc)
        return rc;
    struct txn_op *op = &t->ops[t->n - 1];
    op->flags = flags;
    op->ttl = ttl;
    if (acl) {
        op->acl = calloc((size_t)acl->count, sizeof *op->acl);
        if (op->acl == NULL)
            goto err_op;
        op->nacl = acl->count;
        for (int32_t i = 0; i < acl->count; i++) {
            op->acl[i].perms = acl->entries[i].perms;
            op->acl[i].scheme = strdup(acl->entries[i].scheme ?
                                       acl->entries[i].scheme : "");
            op->acl[i].id = strdup(acl->entries[i].id ? acl->entries[i].id
                                                      : "");
            if (op->acl[i].scheme == NULL || op->acl[i].id == NULL)
                goto err_op;
        }
    }
    return 0;

err_op:
    op_free(op);
    t->n--;
    return COORD_ENOMEM;
}

int coord_txn_create(struct coord_txn *t, const char *path, const void *data,
                     int32_t len, const struct coord_acl_list *acl, int flags)
{
    if (flags < 0 || flags > COORD_CONTAINER)
        return COORD_EINVAL;
    return create_op(t, path, data, len, acl, flags, 0);
}

int coord_txn_create_ttl(struct coord_txn *t, const char *path,
                         const void *data, int32_t len,
                         const struct coord_acl_list *acl, int flags,
                         int64_t ttl)
{
    if (!is_ttl(flags))
        return COORD_EINVAL;
    return create_op(t, path, data, len, acl, flags, ttl);
}

int coord_txn_delete(struct coord_txn *t, const char *path, int32_t version)
{
    return add(t, COORD_OP_DELETE, path, false, NULL, -1, version);
}

int coord_txn_set(struct coord_txn *t, const char *path, const void *data,
                  int32_t len, int32_t version)
{
    return add(t, COORD_OP_SETDATA, path, false, data, len, version);
}

int coord_txn_check(struct coord_txn *t, const char *path, int32_t version)
{
    return add(t, COORD_OP_CHECK, path, false, NULL, -1, version);
}

int coord_txn_get(struct coord_txn *t, const char *path)
{
    return add(t, COORD_OP_GETDATA, path, false, NULL, -1, -1);
}

int coord_txn_get_children(struct coord_txn *t, const char *path)
{
    return add(t, COORD_OP_GETCHILDREN, path, false, NULL, -1, -1);
}

size_t coord_txn_count(const struct coord_txn *t)
{
    return t->n;
}

const struct coord_op_result *coord_txn_result(const struct coord_txn *t,
                                               size_t i)
{
    return t->res && i < t->n ? &t->res[i] : NULL;
}

int txn_check_kind(const struct coord_txn *t, bool read)
{
    for (size_t i = 0; i < t->n; i++) {
        bool is_read = t->ops[i].type == COORD_OP_GETDATA ||
                       t->ops[i].type == COORD_OP_GETCHILDREN;
        if (is_read != read)
            return COORD_EINVAL;
    }
    return 0;
}

void txn_encode(const struct coord_txn *t, const struct coord *c,
                struct buf *b)
{
    struct buf pb;
    buf_init(&pb, COORD_MAX_FRAME);
    for (size_t i = 0; i < t->n && b->err == 0; i++) {
        const struct txn_op *op = &t->ops[i];
        struct coord_multi_header h = {op->type, false, -1};
        coord_put_multi_header(b, &h);
        bool seq = op->flags == COORD_PERSISTENT_SEQUENTIAL ||
                   op->flags == COORD_EPHEMERAL_SEQUENTIAL ||
                   op->flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL;
        int rc = path_to_server(c, op->path, seq, &pb);
        if (rc) {
            b->err = rc;
            break;
        }
        jute_put_cstr(b, (const char *)pb.base);
        switch (op->type) {
        case COORD_OP_CREATE2:
        case COORD_OP_CREATECONTAINER:
        case COORD_OP_CREATETTL: {
            struct coord_acl_list l = {op->nacl, op->acl};
            jute_put_buffer(b, op->data, op->len);
            acl_put(b, op->nacl ? &l : NULL);
            jute_put_int(b, op->flags);
            if (op->type == COORD_OP_CREATETTL)
                jute_put_long(b, op->ttl);
            break;
        }
        case COORD_OP_SETDATA:
            jute_put_buffer(b, op->data, op->len);
            jute_put_int(b, op->version);
            break;
        case COORD_OP_DELETE:
        case COORD_OP_CHECK:
            jute_put_int(b, op->version);
            break;
        default: /* reads: the watch flag, ignored by the server */
            jute_put_bool(b, false);
            break;
        }
    }
    struct coord_multi_header end = {-1, true, -1};
    coord_put_multi_header(b, &end);
    buf_close(&pb);
}

static char *copy_str(struct jute_str s)
{
    if (s.len < 0)
        return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (p) {
        memcpy(p, s.p, (size_t)s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* Reads one result record into res; 0, COORD_EPROTO or COORD_ENOMEM. */
static int decode_one(struct coord *c, struct jute_r *r,
                      const struct coord_multi_header *h,
                      struct coord_op_result *res)
{
    res->type = h->type;
    res->data_len = -1;
    switch (h->type) {
    case COORD_OP_ERROR:
        res->err = jute_get_int(r);
        break;
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
    case COORD_OP_CREATETTL: {
        struct jute_str p = jute_get_str(r);
        if (h->type != COORD_OP_CREATE)
            coord_get_stat(r, &res->stat);
        if (r->err || p.len < 0)
            return COORD_EPROTO;
        res->path = path_from_server(c, p.p, (size_t)p.len);
        if (res->path == NULL)
            return COORD_ENOMEM;
        break;
    }
    case COORD_OP_SETDATA:
        coord_get_stat(r, &res->stat);
        break;
    case COORD_OP_DELETE:
    case COORD_OP_CHECK:
        break;
    case COORD_OP_GETDATA: {
        struct jute_str d = jute_get_buffer(r);
        coord_get_stat(r, &res->stat);
        if (r->err)
            return COORD_EPROTO;
        res->data_len = d.len;
        if (d.len >= 0 && (res->data = copy_str(d)) == NULL)
            return COORD_ENOMEM;
        break;
    }
    case COORD_OP_GETCHILDREN: {
        struct jute_vec v;
        if (coord_get_str_vec(r, &v) != 0)
            return COORD_EPROTO;
        struct coord_strings *s = strings_from_vec(c, &v, false);
        if (s == NULL)
            return COORD_ENOMEM;
        /* data points just past the block's header: freed through it. */
        res->children = *s;
        break;
    }
    default:
        return COORD_EPROTO;
    }
    return r->err ? COORD_EPROTO : 0;
}

int txn_decode(struct coord_txn *t, const struct coord *cc, struct jute_r *r)
{
    struct coord *c = (struct coord *)cc;
    t->res = calloc(t->n ? t->n : 1, sizeof *t->res);
    if (t->res == NULL)
        return COORD_ENOMEM;
    int first = 0;
    for (size_t i = 0;; i++) {
        struct coord_multi_header h;
        if (coord_get_multi_header(r, &h) != 0)
            goto err_proto;
        if (h.done)
            break;
        if (i >= t->n)
            goto err_proto;
        int rc = decode_one(c, r, &h, &t->res[i]);
        if (rc == COORD_EPROTO)
            goto err_proto;
        if (rc && t->res[i].err == 0)
            t->res[i].err = rc;
        if (first == 0 && t->res[i].err != 0 &&
            t->res[i].err != COORD_ERUNTIMEINCONSISTENCY)
            first = t->res[i].err;
    }
    return first;

err_proto:
    txn_clear_results(t);
    return COORD_EPROTO;
}
