/* tree_apply(): transactions, validated in ZooKeeper's order, with undo. */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/path.h"
#include "tree/internal.h"

enum { U_CREATE, U_DELETE, U_SETDATA, U_SETACL };

/* How to reverse one mutation, and what to release once it is final. */
struct undo {
    int kind;
    struct node *node;
    struct node *after; /* U_DELETE: previous sibling, NULL if it was first */
    int64_t zxid;       /* parent's pzxid, or the node's mzxid */
    int64_t mtime;
    int32_t count; /* parent's creates, version or aversion */
    int32_t data_len;
    uint8_t *data;
    struct acl *acl;
};

enum { EV_CREATED, EV_DELETED, EV_CHANGED };

/* An event to fire at commit. It holds references to the ACLs that decide
 * who may see it (wire spec 10.5): the node's, as it was when the op ran,
 * and its parent's; the nodes themselves may be gone by then. */
struct event {
    int kind;
    char *path;
    size_t len;
    struct acl *acl, *pacl;
};

/* One transaction in progress. */
struct app {
    struct tree *t;
    const struct tree_txn *txn;
    struct who who;
    bool sess_ok;
    struct undo *u;
    size_t nu, ucap;
    struct event *ev;
    size_t nev, evcap;
    uint64_t data_bytes;
    struct buf path; /* scratch: the final path of a create */
};

/* Room for one more undo record and event, so mutations cannot fail. */
static int reserve(struct app *a)
{
    if (a->nu == a->ucap) {
        size_t nc = a->ucap ? a->ucap * 2 : 8;
        struct undo *v = realloc(a->u, nc * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        a->u = v;
        a->ucap = nc;
    }
    if (a->nev == a->evcap) {
        size_t nc = a->evcap ? a->evcap * 2 : 8;
        struct event *v = realloc(a->ev, nc * sizeof *v);
        if (v == NULL)
            return COORD_ENOMEM;
        a->ev = v;
        a->evcap = nc;
    }
    return 0;
}

static void add_event(struct app *a, int kind, char *path, size_t len,
                      struct acl *acl, struct acl *pacl)
{
    acl_ref(acl);
    if (pacl)
        acl_ref(pacl);
    a->ev[a->nev++] = (struct event){kind, path, len, acl, pacl};
}

static void event_free(struct tree *t, struct event *e)
{
    free(e->path);
    acl_unref(t, e->acl);
    acl_unref(t, e->pacl);
}

static char *dup_path(const char *p, size_t len)
{
    char *c = malloc(len ? len : 1);
    if (c && len)
        memcpy(c, p, len);
    return c;
}

static void rollback(struct app *a)
{
    struct tree *t = a->t;
    while (a->nu > 0) {
        struct undo *u = &a->u[--a->nu];
        struct node *n = u->node;
        switch (u->kind) {
        case U_CREATE: {
            struct node *p = n->parent;
            node_unlink(t, n);
            p->pzxid = u->zxid;
            p->creates = u->count;
            acl_unref(t, n->acl);
            node_free(n);
            break;
        }
        case U_DELETE:
            node_link(t, n->parent, n, u->after, u->after == NULL);
            n->parent->pzxid = u->zxid;
            break;
        case U_SETDATA:
            free(n->data);
            n->data = u->data;
            n->data_len = u->data_len;
            n->version = u->count;
            n->mzxid = u->zxid;
            n->mtime = u->mtime;
            break;
        case U_SETACL:
            acl_unref(t, n->acl);
            n->acl = u->acl;
            n->aversion = u->count;
            break;
        }
    }
    t->data_bytes = a->data_bytes;
    for (size_t i = 0; i < a->nev; i++)
        event_free(t, &a->ev[i]);
    a->nev = 0;
}

static void commit(struct app *a)
{
    struct tree *t = a->t;
    for (size_t i = 0; i < a->nu; i++) {
        struct undo *u = &a->u[i];
        switch (u->kind) {
        case U_DELETE:
            acl_unref(t, u->node->acl);
            node_free(u->node);
            break;
        case U_SETDATA:
            free(u->data);
            break;
        case U_SETACL:
            acl_unref(t, u->acl);
            break;
        }
    }
    a->nu = 0;
    int64_t zxid = a->txn->zxid;
    /* Wire spec 8.3: events per sub-op, in op order, after the change. */
    for (size_t i = 0; i < a->nev; i++) {
        struct event *e = &a->ev[i];
        if (e->kind == EV_CREATED)
            watch_created(t, e->path, e->len, e->acl, e->pacl, zxid);
        else if (e->kind == EV_DELETED)
            watch_deleted(t, e->path, e->len, e->acl, e->pacl, zxid);
        else
            watch_changed(t, e->path, e->len, e->acl, zxid);
        event_free(t, e);
    }
    a->nev = 0;
}

static int marshal(int rc)
{
    return rc == COORD_EPROTO ? COORD_EMARSHALLING : rc;
}

static size_t last_slash(const char *p, size_t len)
{
    size_t k = len;
    while (k > 0 && p[k - 1] != '/')
        k--;
    return k ? k - 1 : 0;
}

/* The parent of a path that holds a '/' (not validated further). */
static struct node *parent_of(struct tree *t, const char *p, size_t len,
                              size_t *slash)
{
    size_t k = last_slash(p, len);
    *slash = k;
    return node_lookup(t, p, k == 0 ? 1 : k);
}

/* printf("%010d", v) without stdio (wire spec 5.3). */
static size_t fmt_seq(char *out, int32_t v)
{
    uint32_t m = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    char d[10];
    size_t nd = 0, k = 0;
    do {
        d[nd++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    size_t width = v < 0 ? 9 : 10;
    if (v < 0)
        out[k++] = '-';
    for (size_t i = nd; i < width; i++)
        out[k++] = '0';
    while (nd)
        out[k++] = d[--nd];
    return k;
}

static void put_stat(struct buf *b, const struct node *n)
{
    struct coord_stat st;
    node_stat(n, &st);
    coord_put_stat(b, &st);
}

static bool allows(struct app *a, const struct node *n, int32_t perm)
{
    return acl_allows(n->acl, perm, &a->who);
}

static int op_create(struct app *a, int32_t op, struct jute_r *r,
                     struct buf *res)
{
    struct tree *t = a->t;
    struct coord_create_req req;
    if (coord_get_create_req(r, &req, op == COORD_OP_CREATETTL) != 0)
        return COORD_EMARSHALLING;
    int32_t flags = req.flags;
    if (flags < 0 || flags > COORD_PERSISTENT_SEQUENTIAL_WITH_TTL)
        return COORD_EBADARGUMENTS;
    bool container = op == COORD_OP_CREATECONTAINER || flags == COORD_CONTAINER;
    bool ttl = !container && (flags == COORD_PERSISTENT_WITH_TTL ||
                              flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL);
    if (!container) {
        if ((ttl || op == COORD_OP_CREATETTL) && !t->cfg.ttl_enabled)
            return COORD_EUNIMPLEMENTED;
        if (ttl && (req.ttl <= 0 || req.ttl > TTL_MAX))
            return COORD_EBADARGUMENTS;
        if (!ttl && op == COORD_OP_CREATETTL && req.ttl >= 0)
            return COORD_EBADARGUMENTS;
    }
    /* An ephemeral needs a session to belong to; session 0 has none. */
    bool ephemeral = !container && (flags == COORD_EPHEMERAL ||
                                    flags == COORD_EPHEMERAL_SEQUENTIAL);
    if (!a->sess_ok || (ephemeral && a->txn->session_id == 0))
        return COORD_ESESSIONEXPIRED;
    if (req.path.len < 0 ||
        !coord_path_simple_ok(req.path.p, (size_t)req.path.len))
        return COORD_EBADARGUMENTS;
    struct acl *acl;
    int rc = acl_fixup(t, &req.acl, &a->who, &acl);
    if (rc)
        return rc;

    size_t slash;
    struct node *parent =
        parent_of(t, req.path.p, (size_t)req.path.len, &slash);
    struct node *n = NULL;
    char *evpath = NULL;
    int64_t owner = 0;
    if (parent == NULL) {
        rc = COORD_ENONODE;
        goto err_acl;
    }
    if (!allows(a, parent, COORD_PERM_CREATE)) {
        rc = COORD_ENOAUTH;
        goto err_acl;
    }
    bool seq = flags == COORD_PERSISTENT_SEQUENTIAL ||
               flags == COORD_EPHEMERAL_SEQUENTIAL ||
               flags == COORD_PERSISTENT_SEQUENTIAL_WITH_TTL;
    struct buf *fp = &a->path;
    buf_reset(fp);
    buf_append(fp, req.path.p, (size_t)req.path.len);
    if (seq && !container) {
        char s[12];
        buf_append(fp, s, fmt_seq(s, parent->creates));
    }
    if (fp->err) {
        rc = COORD_ENOMEM;
        goto err_acl;
    }
    const char *path = (const char *)fp->base;
    size_t len = fp->len;
    if (coord_path_validate(path, len) != 0) {
        rc = COORD_EBADARGUMENTS;
        goto err_acl;
    }
    const char *name = path + slash + 1;
    size_t name_len = len - slash - 1;
    if (name_len == 0 || node_child(t, parent, name, name_len)) {
        rc = COORD_ENODEEXISTS; /* "/" itself lands here */
        goto err_acl;
    }
    if (owner_kind(parent->owner) == KIND_EPHEMERAL) {
        rc = COORD_ENOCHILDRENFOREPHEMERALS;
        goto err_acl;
    }

    if (container)
        owner = OWNER_CONTAINER;
    else if (ttl)
        owner = (int64_t)(OWNER_TTL_BITS | (uint64_t)req.ttl);
    else if (flags == COORD_EPHEMERAL || flags == COORD_EPHEMERAL_SEQUENTIAL)
        owner = a->txn->session_id;
    rc = COORD_ENOMEM;
    if (node_reserve(t, owner) != 0 || reserve(a) != 0)
        goto err_acl;
    n = node_new(name, name_len);
    evpath = dup_path(path, len);
    if (n == NULL || evpath == NULL)
        goto err_free;
    if (req.data.len > 0) {
        n->data = malloc((size_t)req.data.len);
        if (n->data == NULL)
            goto err_free;
        memcpy(n->data, req.data.p, (size_t)req.data.len);
    }
    n->data_len = req.data.len < 0 ? -1 : req.data.len;
    n->acl = acl;
    int64_t zxid = a->txn->zxid;
    n->czxid = n->mzxid = n->pzxid = zxid;
    n->ctime = n->mtime = a->txn->time_ms;
    n->owner = owner;

    a->u[a->nu++] = (struct undo){.kind = U_CREATE,
                                  .node = n,
                                  .zxid = parent->pzxid,
                                  .count = parent->creates};
    node_link(t, parent, n, NULL, false);
    parent->pzxid = zxid;
    parent->creates = (int32_t)((uint32_t)parent->creates + 1u);
    t->data_bytes += len + (size_t)(n->data_len > 0 ? n->data_len : 0);
    add_event(a, EV_CREATED, evpath, len, n->acl, parent->acl);

    jute_put_buffer(res, path, (int32_t)len);
    if (op != COORD_OP_CREATE)
        put_stat(res, n);
    return 0;

err_free:
    free(evpath);
    node_free(n);
err_acl:
    acl_unref(t, acl);
    return rc;
}

/* Removes a childless node (validated by the caller). */
static int delete_node(struct app *a, struct node *n, const char *path,
                       size_t len)
{
    struct tree *t = a->t;
    char *evpath;
    if (reserve(a) != 0 || (evpath = dup_path(path, len)) == NULL)
        return COORD_ENOMEM;
    struct node *p = n->parent;
    a->u[a->nu++] = (struct undo){.kind = U_DELETE,
                                  .node = n,
                                  .after = p->child == n ? NULL : n->prev,
                                  .zxid = p->pzxid};
    node_unlink(t, n);
    if (a->txn->zxid > p->pzxid)
        p->pzxid = a->txn->zxid;
    t->data_bytes -= len + (size_t)(n->data_len > 0 ? n->data_len : 0);
    add_event(a, EV_DELETED, evpath, len, n->acl, p->acl);
    return 0;
}

static int op_delete(struct app *a, struct jute_r *r)
{
    struct coord_delete_req req;
    if (coord_get_delete_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    if (!a->sess_ok)
        return COORD_ESESSIONEXPIRED;
    const char *p = req.path.p;
    size_t len = req.path.len < 0 ? 0 : (size_t)req.path.len;
    if (req.path.len < 0 || !coord_path_simple_ok(p, len) ||
        is_system_path(p, len))
        return COORD_EBADARGUMENTS;
    size_t slash;
    struct node *parent = parent_of(a->t, p, len, &slash);
    if (parent == NULL)
        return COORD_ENONODE;
    if (!allows(a, parent, COORD_PERM_DELETE))
        return COORD_ENOAUTH;
    struct node *n = node_child(a->t, parent, p + slash + 1, len - slash - 1);
    if (n == NULL)
        return COORD_ENONODE;
    if (req.version != -1 && req.version != n->version)
        return COORD_EBADVERSION;
    if (n->nchild > 0)
        return COORD_ENOTEMPTY;
    return delete_node(a, n, p, len);
}

/* Lookup after the full path check, as setData/setACL/check do. */
static int find_valid(struct app *a, struct jute_str path, struct node **out)
{
    if (path.len < 0 || coord_path_validate(path.p, (size_t)path.len) != 0)
        return COORD_EBADARGUMENTS;
    *out = node_lookup(a->t, path.p, (size_t)path.len);
    return *out ? 0 : COORD_ENONODE;
}

/* Gives n new data (owned; freed on failure) and data version, undoably,
 * with a changed event for path; reserve() was called. */
static int replace_data(struct app *a, struct node *n, struct jute_str path,
                        uint8_t *data, int32_t len, int32_t version)
{
    char *evpath = dup_path(path.p, (size_t)path.len);
    if (evpath == NULL) {
        free(data);
        return COORD_ENOMEM;
    }
    a->u[a->nu++] = (struct undo){.kind = U_SETDATA,
                                  .node = n,
                                  .zxid = n->mzxid,
                                  .mtime = n->mtime,
                                  .count = n->version,
                                  .data_len = n->data_len,
                                  .data = n->data};
    a->t->data_bytes -= (size_t)(n->data_len > 0 ? n->data_len : 0);
    n->data = data;
    n->data_len = len;
    a->t->data_bytes += (size_t)(len > 0 ? len : 0);
    n->version = version;
    n->mzxid = a->txn->zxid;
    n->mtime = a->txn->time_ms;
    add_event(a, EV_CHANGED, evpath, (size_t)path.len, n->acl, NULL);
    return 0;
}

static int op_setdata(struct app *a, struct jute_r *r, struct buf *res)
{
    struct coord_setdata_req req;
    if (coord_get_setdata_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    if (!a->sess_ok)
        return COORD_ESESSIONEXPIRED;
    struct node *n;
    int rc = find_valid(a, req.path, &n);
    if (rc)
        return rc;
    if (!allows(a, n, COORD_PERM_WRITE))
        return COORD_ENOAUTH;
    if (req.version != -1 && req.version != n->version)
        return COORD_EBADVERSION;
    uint8_t *data = NULL;
    if (reserve(a) != 0)
        return COORD_ENOMEM;
    if (req.data.len > 0) {
        data = malloc((size_t)req.data.len);
        if (data == NULL)
            return COORD_ENOMEM;
        memcpy(data, req.data.p, (size_t)req.data.len);
    }
    rc = replace_data(a, n, req.path, data,
                      req.data.len < 0 ? -1 : req.data.len,
                      node_version_next(n->version));
    if (rc != 0)
        return rc;
    put_stat(res, n);
    return 0;
}

/* Writes the configuration text and its version line into n. */
static int config_data(struct node *n, const void *text, size_t len,
                       int64_t zxid, uint8_t **out, int32_t *out_len)
{
    /* "version=" and the zxid in lower-case hex, as ZooKeeper writes it */
    char ver[32] = "version=";
    char hex[17];
    int h = 0;
    uint64_t v = (uint64_t)zxid;
    do {
        hex[h++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    int vn = 8;
    while (h > 0)
        ver[vn++] = hex[--h];
    size_t total = len + (size_t)vn;
    uint8_t *d = malloc(total);
    if (d == NULL)
        return COORD_ENOMEM;
    if (len)
        memcpy(d, text, len);
    memcpy(d + len, ver, (size_t)vn);
    (void)n;
    *out = d;
    *out_len = (int32_t)total;
    return 0;
}

/* The leader's reconfig txn (tree.h): /zookeeper/config gets the new
 * text; ZooKeeper writes it as setData with version -1, so the node's
 * version reads -1 afterwards. */
static int op_reconfig(struct app *a, struct jute_r *r, struct buf *res)
{
    int32_t err = jute_get_int(r);
    if (r->err)
        return COORD_EMARSHALLING;
    if (err != 0)
        return err;
    struct node *n = node_lookup(a->t, "/zookeeper/config", 17);
    if (n == NULL)
        return COORD_ENONODE;
    uint8_t *data;
    int32_t len;
    if (reserve(a) != 0 ||
        config_data(n, r->p, r->left, a->txn->zxid, &data, &len) != 0)
        return COORD_ENOMEM;
    int rc = replace_data(a, n, jute_cstr("/zookeeper/config"), data, len,
                          -1);
    if (rc != 0)
        return rc;
    jute_put_buffer(res, n->data, n->data_len);
    put_stat(res, n);
    return 0;
}

int tree_config_set(struct tree *t, const void *text, size_t len,
                    int64_t version, int64_t time_ms)
{
    struct node *n = node_lookup(t, "/zookeeper/config", 17);
    if (n == NULL)
        return 0;
    if (n->data_len > 0 && n->mzxid >= version)
        return 0;
    uint8_t *data;
    int32_t dlen;
    if (config_data(n, text, len, version, &data, &dlen) != 0)
        return COORD_ENOMEM;
    t->data_bytes -= (size_t)(n->data_len > 0 ? n->data_len : 0);
    free(n->data);
    n->data = data;
    n->data_len = dlen;
    t->data_bytes += (size_t)dlen;
    n->version = -1;
    n->mzxid = version;
    n->mtime = time_ms;
    return 0;
}

static int op_setacl(struct app *a, struct jute_r *r, struct buf *res)
{
    struct coord_setacl_req req;
    if (coord_get_setacl_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    if (!a->sess_ok)
        return COORD_ESESSIONEXPIRED;
    if (req.path.len < 0 ||
        coord_path_validate(req.path.p, (size_t)req.path.len) != 0)
        return COORD_EBADARGUMENTS;
    struct acl *acl;
    int rc = acl_fixup(a->t, &req.acl, &a->who, &acl);
    if (rc)
        return rc;
    struct node *n = node_lookup(a->t, req.path.p, (size_t)req.path.len);
    if (n == NULL)
        rc = COORD_ENONODE;
    else if (!allows(a, n, COORD_PERM_ADMIN))
        rc = COORD_ENOAUTH;
    else if (req.version != -1 && req.version != n->aversion)
        rc = COORD_EBADVERSION;
    else if (reserve(a) != 0)
        rc = COORD_ENOMEM;
    if (rc) {
        acl_unref(a->t, acl);
        return rc;
    }
    a->u[a->nu++] = (struct undo){
        .kind = U_SETACL, .node = n, .count = n->aversion, .acl = n->acl};
    n->acl = acl;
    n->aversion = node_version_next(n->aversion);
    put_stat(res, n);
    return 0;
}

static int op_check(struct app *a, struct jute_r *r)
{
    struct coord_check_req req;
    if (coord_get_check_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    if (!a->sess_ok)
        return COORD_ESESSIONEXPIRED;
    struct node *n;
    int rc = find_valid(a, req.path, &n);
    if (rc)
        return rc;
    if (!allows(a, n, COORD_PERM_READ))
        return COORD_ENOAUTH;
    if (req.version != -1 && req.version != n->version)
        return COORD_EBADVERSION;
    return 0;
}

static int op_delete_container(struct app *a, struct jute_r *r)
{
    struct coord_path_req req;
    if (coord_get_path_req(r, &req) != 0)
        return COORD_EMARSHALLING;
    if (!a->sess_ok)
        return COORD_ESESSIONEXPIRED;
    const char *p = req.path.p;
    size_t len = req.path.len < 0 ? 0 : (size_t)req.path.len;
    if (req.path.len < 0 || is_system_path(p, len))
        return COORD_EBADARGUMENTS;
    struct node *n = node_lookup(a->t, p, len);
    if (n == NULL)
        return COORD_ENONODE;
    if (n->nchild > 0)
        return COORD_ENOTEMPTY;
    if (owner_kind(n->owner) == KIND_EPHEMERAL)
        return COORD_EBADVERSION;
    return delete_node(a, n, p, len);
}

static int by_creation(const void *x, const void *y)
{
    const struct node *a = *(struct node *const *)x;
    const struct node *b = *(struct node *const *)y;
    if (a->czxid != b->czxid)
        return a->czxid < b->czxid ? -1 : 1;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    if (c)
        return c;
    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

static int op_close_session(struct app *a)
{
    struct session *s = node_session_find(a->t, a->txn->session_id);
    if (s == NULL || a->txn->session_id == 0)
        return COORD_ESESSIONEXPIRED;
    uint32_t n = s->neph;
    if (n == 0)
        return 0;
    struct node **v = malloc(n * sizeof *v);
    if (v == NULL)
        return COORD_ENOMEM;
    memcpy(v, s->eph, n * sizeof *v);
    /* A fixed order, the same on every replica however it was built. */
    qsort(v, n, sizeof *v, by_creation);
    struct buf b;
    buf_init(&b, SIZE_MAX);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        buf_reset(&b);
        node_path(v[i], &b);
        rc = b.err ? COORD_ENOMEM
                   : delete_node(a, v[i], (const char *)b.base, b.len);
    }
    buf_close(&b);
    free(v);
    return rc;
}

static int op_create_session(struct app *a, struct jute_r *r)
{
    int32_t timeout = jute_get_int(r);
    struct jute_str pw = jute_get_buffer(r);
    if (r->err)
        return COORD_EMARSHALLING;
    uint8_t passwd[16] = {0};
    if (pw.len > 0)
        memcpy(passwd, pw.p, pw.len > 16 ? 16 : (size_t)pw.len);
    return node_session_put(a->t, a->txn->session_id, timeout, passwd);
}

static bool multi_op_ok(int32_t type)
{
    switch (type) {
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
    case COORD_OP_CREATETTL:
    case COORD_OP_DELETE:
    case COORD_OP_SETDATA:
    case COORD_OP_CHECK:
        return true;
    }
    return false;
}

/* Skips one op record of a known type; 0 or COORD_EPROTO. */
static int skip_op(struct jute_r *r, int32_t type)
{
    switch (type) {
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
    case COORD_OP_CREATETTL: {
        struct coord_create_req q;
        return coord_get_create_req(r, &q, type == COORD_OP_CREATETTL);
    }
    case COORD_OP_DELETE: {
        struct coord_delete_req q;
        return coord_get_delete_req(r, &q);
    }
    case COORD_OP_SETDATA: {
        struct coord_setdata_req q;
        return coord_get_setdata_req(r, &q);
    }
    case COORD_OP_CHECK: {
        struct coord_check_req q;
        return coord_get_check_req(r, &q);
    }
    case COORD_OP_GETDATA:
    case COORD_OP_GETCHILDREN: {
        struct coord_path_watch_req q;
        return coord_get_path_watch_req(r, &q);
    }
    }
    return COORD_EPROTO;
}

int apply_multi_scan(struct jute_str body, bool read, size_t *nops)
{
    struct jute_r r;
    jute_r_init(&r, body.p, body.len < 0 ? 0 : (size_t)body.len);
    size_t n = 0;
    for (;;) {
        struct coord_multi_header h;
        if (coord_get_multi_header(&r, &h) != 0)
            return COORD_EMARSHALLING;
        if (h.done)
            break;
        bool ok = read ? h.type == COORD_OP_GETDATA ||
                             h.type == COORD_OP_GETCHILDREN
                       : multi_op_ok(h.type);
        if (!ok || skip_op(&r, h.type) != 0)
            return COORD_EMARSHALLING;
        n++;
    }
    *nops = n;
    return 0;
}

static void put_mh(struct buf *b, int32_t type, bool done, int32_t err)
{
    struct coord_multi_header h = {type, done, err};
    coord_put_multi_header(b, &h);
}

static int op_multi(struct app *a, struct buf *out)
{
    size_t nops;
    int rc = apply_multi_scan(a->txn->body, false, &nops);
    if (rc)
        return rc;
    struct jute_r r;
    jute_r_init(&r, a->txn->body.p, (size_t)a->txn->body.len);
    size_t failed = 0;
    int code = 0;
    for (size_t i = 0; i < nops; i++) {
        struct coord_multi_header h;
        coord_get_multi_header(&r, &h);
        int32_t restype = h.type;
        size_t hdr = out->len;
        put_mh(out, 0, false, 0);
        switch (h.type) {
        case COORD_OP_CREATE:
        case COORD_OP_CREATE2:
        case COORD_OP_CREATECONTAINER:
        case COORD_OP_CREATETTL:
            /* kazoo parses a create only as type 1 with a path (9.3) */
            restype = h.type == COORD_OP_CREATE ? COORD_OP_CREATE
                                                : COORD_OP_CREATE2;
            rc = op_create(a, h.type, &r, out);
            break;
        case COORD_OP_DELETE:
            rc = op_delete(a, &r);
            break;
        case COORD_OP_SETDATA:
            rc = op_setdata(a, &r, out);
            break;
        default:
            rc = op_check(a, &r);
            break;
        }
        if (rc == COORD_ENOMEM || out->err)
            return COORD_ENOMEM;
        if (rc) {
            failed = i;
            code = rc;
            break;
        }
        if (out->len >= hdr + 9)
            jute_wbe32(out->base + hdr, (uint32_t)restype);
    }
    if (code) {
        /* Wire spec 9.2: nothing applied; 0 before, the code, then -2. */
        rollback(a);
        buf_reset(out);
        for (size_t i = 0; i < nops; i++) {
            int32_t e = i < failed ? 0 : i == failed
                                              ? code
                                              : COORD_ERUNTIMEINCONSISTENCY;
            put_mh(out, COORD_OP_ERROR, false, e);
            jute_put_int(out, e);
        }
    }
    put_mh(out, COORD_OP_ERROR, true, -1);
    return out->err ? COORD_ENOMEM : 0;
}

int tree_apply(struct tree *t, const struct tree_txn *txn, struct buf *reply)
{
    struct app a = {.t = t, .txn = txn, .data_bytes = t->data_bytes};
    /* Session 0 means "no session" (the server's own txns, sessionless
     * gateway writes): no session check, but ACLs apply unless super. */
    a.who = (struct who){txn->session_id, txn->super, txn->ids};
    a.sess_ok = txn->session_id == 0 || node_session_find(t, txn->session_id);
    buf_init(&a.path, COORD_MAX_FRAME * 2);
    struct buf out;
    buf_init(&out, SIZE_MAX);
    struct jute_r r;
    jute_r_init(&r, txn->body.p, txn->body.len < 0 ? 0 : (size_t)txn->body.len);

    int rc;
    switch (txn->type) {
    case COORD_OP_CREATE:
    case COORD_OP_CREATE2:
    case COORD_OP_CREATECONTAINER:
    case COORD_OP_CREATETTL:
        rc = op_create(&a, txn->type, &r, &out);
        break;
    case COORD_OP_DELETE:
        rc = op_delete(&a, &r);
        break;
    case COORD_OP_SETDATA:
        rc = op_setdata(&a, &r, &out);
        break;
    case COORD_OP_SETACL:
        rc = op_setacl(&a, &r, &out);
        break;
    case COORD_OP_MULTI:
        rc = op_multi(&a, &out);
        break;
    case COORD_OP_DELETECONTAINER:
        rc = op_delete_container(&a, &r);
        break;
    case COORD_OP_CREATESESSION:
        rc = op_create_session(&a, &r);
        break;
    case COORD_OP_CLOSESESSION:
        rc = op_close_session(&a);
        break;
    case COORD_OP_RECONFIG:
        rc = op_reconfig(&a, &r, &out);
        break;
    default:
        rc = COORD_EUNIMPLEMENTED;
        break;
    }
    if (rc == 0 && out.err)
        rc = COORD_ENOMEM;
    rc = marshal(rc);
    /* Room for the reply before anything is final: ENOMEM must mean
     * "unchanged", never "applied but the answer was lost". */
    if (rc == 0 && reply && out.len &&
        buf_reserve(reply, out.len) == COORD_ENOMEM)
        rc = COORD_ENOMEM;
    if (rc == COORD_ENOMEM) {
        rollback(&a);
    } else if (rc) {
        rollback(&a);
        if (txn->zxid > t->last_zxid)
            t->last_zxid = txn->zxid;
    } else {
        commit(&a);
        if (txn->type == COORD_OP_CLOSESESSION)
            node_session_remove(t, txn->session_id);
        if (txn->zxid > t->last_zxid)
            t->last_zxid = txn->zxid;
        if (reply && out.len)
            buf_append(reply, out.base, out.len);
    }
    free(a.u);
    free(a.ev);
    buf_close(&a.path);
    buf_close(&out);
    return rc;
}
