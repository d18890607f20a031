/* Shared fixture for the tree tests: a tree, a notify log, txn builders. */
#ifndef COORD_TESTS_TREE_HELPERS_H
#define COORD_TESTS_TREE_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/err.h"
#include "proto/records.h"
#include "tests/lib/check.h"
#include "tree/tree.h"

extern struct tree *t;

/* Every notification, in order. */
struct ev {
    uint64_t watcher;
    int32_t type;
    char path[256];
    int64_t zxid;
};
extern struct ev evs[256];
extern int nev;

/* Who the next txn/read runs as. */
/* A session every fixture opens (without consuming a zxid). */
#define TEST_SID 0x5e55
extern int64_t cur_sid;
extern bool cur_super;
extern uint64_t cur_watcher;

void tree_setup(void);
void tree_setup_ttl(void);
void tree_teardown(void);

/* The caller's identities: "scheme:id" strings, e.g. "digest:bob:x". */
void ids_set(const char *const *ids, int n);

/* Applies a txn with the next zxid; body/reply may be NULL. */
int apply_txn(int32_t type, const struct buf *body, struct buf *reply);
/* Applies a txn with the given zxid (a retry can reuse one); later
 * apply_txn calls continue after the highest zxid used. */
int apply_txn_at(int64_t zxid, int32_t type, const struct buf *body,
                 struct buf *reply);
int64_t last_zxid_used(void);
void set_time(int64_t ms);

int open_session(int64_t sid);
int close_session(int64_t sid);

/* Create with OPEN_ACL_UNSAFE; data NULL is null data. */
int create(const char *path, const char *data, int32_t flags);
/* Create returning the actual path (into out, up to cap). */
int create_path(const char *path, int32_t flags, char *out, size_t cap);
int create_op(int32_t op, const char *path, const char *data, int32_t flags,
              int64_t ttl, const struct coord_acl *acl, int32_t nacl,
              struct buf *reply);
int del(const char *path, int32_t version);
int set(const char *path, const char *data, int32_t version);
int setacl(const char *path, const struct coord_acl *acl, int32_t n,
           int32_t version);

/* Reads. */
int stat_of(const char *path, struct coord_stat *st);
int exists_w(const char *path, bool watch);
int get_data_w(const char *path, bool watch, char *out, size_t cap,
               int32_t *len);
/* Sorted, comma-joined child names. */
int children_w(const char *path, bool watch, char *out, size_t cap);
int read_op(int32_t op, const struct buf *body, struct buf *reply);
int add_watch(const char *path, int32_t mode);
int watches_op(int32_t op, const char *path, int32_t type);

/* True when s holds exactly the C string c. */
bool jstr_is(struct jute_str s, const char *c);

/* Builders. */
struct coord_acl acl_of(int32_t perms, const char *scheme, const char *id);
void put_create(struct buf *b, const char *path, const char *data,
                int32_t flags);

#endif
