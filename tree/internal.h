/* Private structures and helpers shared by the tree's source files. */
#ifndef COORD_TREE_INTERNAL_H
#define COORD_TREE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/jute.h"
#include "proto/records.h"
#include "tree/tree.h"

/* ephemeralOwner markers (wire spec 6.3, 6.4). */
#define OWNER_CONTAINER ((int64_t)UINT64_C(0x8000000000000000))
#define OWNER_TTL_BITS UINT64_C(0xFF00000000000000)
#define TTL_MAX ((INT64_C(1) << 40) - 1)

enum node_kind { KIND_PLAIN, KIND_EPHEMERAL, KIND_CONTAINER, KIND_TTL };

static inline enum node_kind owner_kind(int64_t owner)
{
    if (owner == 0)
        return KIND_PLAIN;
    if (owner == OWNER_CONTAINER)
        return KIND_CONTAINER;
    if (((uint64_t)owner & OWNER_TTL_BITS) == OWNER_TTL_BITS)
        return KIND_TTL;
    return KIND_EPHEMERAL;
}

/* One entry of an interned ACL list; offsets point into acl->bytes. */
struct acl_ent {
    int32_t perms;
    uint32_t scheme_off, scheme_len;
    uint32_t id_off, id_len;
};

/*
 * An interned, reference-counted ACL list. `bytes` is the encoded
 * vector<ACL> (count included) exactly as getACL returns it to an admin.
 */
struct acl {
    struct acl *hnext;
    uint32_t hash;
    uint32_t refs;
    uint32_t n;
    uint32_t len;
    uint8_t *bytes; /* points into the same allocation, after ents */
    struct acl_ent ents[];
};

/*
 * A znode. Only its own name is stored; the full path is rebuilt from the
 * parent chain when needed. Nodes live in one hash table keyed by
 * (parent, name) and in their parent's intrusive child list, whose first
 * element's `prev` points at the last one so appending is O(1).
 */
struct node {
    struct node *parent;
    struct node *hnext;
    struct node *child;
    struct node *next;
    struct node *prev;
    struct acl *acl;
    uint8_t *data; /* NULL when data_len <= 0 */
    int64_t czxid, mzxid, ctime, mtime, pzxid;
    int64_t owner; /* session id, or a container/TTL marker, or 0 */
    int32_t data_len; /* -1 for null data */
    int32_t version, aversion;
    int32_t creates; /* children ever created (cversion is derived) */
    int32_t nchild;
    uint32_t aux;    /* index in the session's or the reaper's array */
    uint32_t hash;
    uint32_t name_len;
    char name[];
};

struct session {
    struct session *hnext;
    int64_t sid;
    int32_t timeout;
    uint8_t passwd[16];
    struct node **eph;
    uint32_t neph, cap;
};

/* Watch modes, a bit set per (path, watcher, table). */
#define WM_STANDARD 1u
#define WM_PERSISTENT 2u
#define WM_RECURSIVE 4u

struct wentry {
    struct wentry *next;
    uint64_t watcher;
    unsigned modes;
};

struct wpath {
    struct wpath *hnext;
    struct wentry *list;
    uint32_t hash;
    uint32_t len;
    char path[];
};

struct wtable {
    struct wpath **b;
    size_t nb, n;
};

/*
 * The identities a watcher last registered a watch with (wire spec 10.5,
 * "watch delivery"): one copy per watcher, shared by all its watches,
 * replaced by each later registration (a connection's ids only grow, via
 * addauth) and forgotten by tree_watches_drop().
 */
struct wident {
    struct wident *hnext;
    uint64_t watcher;
    bool super;
    int32_t count; /* ids: `count` encoded Id records, `len` bytes */
    uint32_t len;
    uint8_t ids[];
};

/* Watcher ids selected by one firing. Registration keeps `cap` at least
 * the largest selection possible, so firing never allocates. */
struct idset {
    uint64_t *v;
    size_t n, cap;
};

struct tree {
    struct tree_config cfg;
    tree_notify_fn notify;
    void *ctx;
    int64_t last_zxid;

    struct node *root;
    struct node **nb; /* node hash buckets */
    size_t nnb, nnodes; /* nnodes excludes the root */

    struct acl **ab;
    size_t nab, nacls;
    struct acl *open_acl; /* world:anyone ALL, for the initial nodes */

    struct session **sb;
    size_t nsb, nsessions;

    struct node **special; /* container and TTL nodes, for the reaper */
    uint32_t nspecial, special_cap;

    uint64_t nephemerals;
    uint64_t data_bytes;

    struct wtable wdata, wchild;
    size_t nrecursive; /* registrations holding WM_RECURSIVE */
    size_t wmax;       /* longest per-path watcher list ever registered */
    struct idset sel[2];
    struct wident **ib; /* watcher identities, by watcher id */
    size_t nib, nident;
};

/* The identity a request runs with. */
struct who {
    int64_t sid;
    bool super;
    struct jute_vec ids;
};

static inline uint32_t hash_bytes(const void *p, size_t n, uint32_t h)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 16777619u;
    }
    return h;
}
#define HASH_SEED 2166136261u

static inline bool str_is(struct jute_str s, const char *lit, size_t n)
{
    return s.len == (int32_t)n && (n == 0 || __builtin_memcmp(s.p, lit, n) == 0);
}

static inline bool is_system_path(const char *p, size_t len)
{
    return (len == 1 && p[0] == '/') ||
           (len == 10 && __builtin_memcmp(p, "/zookeeper", 10) == 0) ||
           (len == 16 && __builtin_memcmp(p, "/zookeeper/quota", 16) == 0) ||
           (len == 17 && __builtin_memcmp(p, "/zookeeper/config", 17) == 0);
}

/* node.c */
struct node *node_new(const char *name, size_t len);
void node_free(struct node *n);
struct node *node_child(const struct tree *t, const struct node *parent,
                        const char *name, size_t len);
/* The same lookup with the hash node_hash_of() gave for (parent, name). */
uint32_t node_hash_of(const struct node *parent, const char *name, size_t len);
struct node *node_child_h(const struct tree *t, const struct node *parent,
                          const char *name, size_t len, uint32_t h);
/* Sizes the node table for n nodes at once (snapshot load). */
void node_table_reserve(struct tree *t, size_t n);
/* Looks a path up without validating it: anything malformed is not found. */
struct node *node_lookup(const struct tree *t, const char *p, size_t len);
/* Inserts n as parent's child after `after` (NULL: append at the end, or
 * `first` true: at the head), indexes it, and counts it. The caller reserved
 * room in the session/reaper arrays (node_reserve), so this cannot fail. */
void node_link(struct tree *t, struct node *parent, struct node *n,
               struct node *after, bool first);
/* Reverses node_link; the node keeps its fields and may be relinked. */
void node_unlink(struct tree *t, struct node *n);
/* Makes room so that linking a node with this owner cannot fail. */
int node_reserve(struct tree *t, int64_t owner);
void node_stat(const struct node *n, struct coord_stat *st);
/* Appends the full path of n to b (no NUL). */
void node_path(const struct node *n, struct buf *b);
size_t node_path_len(const struct node *n);
int32_t node_version_next(int32_t v);
struct session *node_session_find(const struct tree *t, int64_t sid);
int node_session_put(struct tree *t, int64_t sid, int32_t timeout,
                const uint8_t passwd[16]);
void node_session_remove(struct tree *t, int64_t sid);
/* Frees every node (including the root) and resets the node counters. */
void node_free_all(struct tree *t);

/* acl.c */
/* Fixes up a requested ACL list (wire spec 10.3) and interns it, taking a
 * reference: 0, COORD_EINVALIDACL, COORD_EMARSHALLING or COORD_ENOMEM. */
int acl_fixup(struct tree *t, const struct jute_vec *req, const struct who *w,
              struct acl **out);
/* Interns an encoded vector<ACL>, validating it; takes a reference. */
int acl_intern(struct tree *t, const uint8_t *bytes, size_t len,
               struct acl **out);
void acl_ref(struct acl *a);
void acl_unref(struct tree *t, struct acl *a);
void acl_free_all(struct tree *t);
bool acl_allows(const struct acl *a, int32_t perm, const struct who *w);
/* Writes the list for getACL, masking digest ids unless `admin`. */
void acl_put(const struct acl *a, bool admin, struct buf *b);

/* apply.c */
/* Checks a MultiOperationRecord: every op allowed (reads for multiRead,
 * writes for multi) and decodable (wire spec 9.1). 0 and the op count, or
 * COORD_EMARSHALLING. */
int apply_multi_scan(struct jute_str body, bool read, size_t *nops);

/* watch.c */
void watch_init(struct tree *t);
void watch_free_all(struct tree *t);
/* Registers `mode` for (table, path, watcher); watcher 0 registers nothing.
 * *added receives the mode bits that were not set before, for watch_undo.
 * 0, or COORD_ENOMEM with nothing changed. */
int watch_add(struct tree *t, bool child, const char *p, size_t len,
              uint64_t watcher, unsigned mode, unsigned *added);
/* Reverses a watch_add that reported `added` (and nothing since). */
void watch_undo(struct tree *t, bool child, const char *p, size_t len,
                uint64_t watcher, unsigned added);
/* Recording a watcher's identities, in two steps so that a registration
 * is all-or-nothing: prepare may fail (COORD_ENOMEM, nothing changed) and
 * gives NULL when the stored copy is already current; commit cannot fail
 * and takes the record (NULL: nothing to do); abort frees it. */
int watch_ident_prepare(struct tree *t, uint64_t watcher, const struct who *w,
                        struct wident **out);
void watch_ident_commit(struct tree *t, struct wident *id);
void watch_ident_abort(struct wident *id);
/*
 * Fires (table, path, type) per wire spec 8.3; when `suppress`, skips the
 * watchers selected into t->sel[0]; the selected set (filtered or not) is
 * left in t->sel[slot]. A watcher is told only if its identities grant
 * READ on `acl`, the ACL of the node the event names (NULL: no node, tell
 * everyone).
 */
void watch_fire(struct tree *t, bool child, const char *p, size_t len,
                int32_t type, int64_t zxid, const struct acl *acl, int slot,
                bool suppress);
/* Mutation events: `acl` is the node's ACL (before a delete), `pacl` its
 * parent's, which governs NodeChildrenChanged. */
void watch_created(struct tree *t, const char *p, size_t len,
                   const struct acl *acl, const struct acl *pacl,
                   int64_t zxid);
void watch_deleted(struct tree *t, const char *p, size_t len,
                   const struct acl *acl, const struct acl *pacl,
                   int64_t zxid);
void watch_changed(struct tree *t, const char *p, size_t len,
                   const struct acl *acl, int64_t zxid);
int watch_check(struct tree *t, const char *p, size_t len, uint64_t watcher,
                int32_t type, bool remove);

#endif
