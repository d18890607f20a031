/* Every record of ZooKeeper's client protocol: structs, encoders, decoders. */
#ifndef COORD_PROTO_RECORDS_H
#define COORD_PROTO_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/jute.h"

/* Opcodes (RequestHeader.type, MultiHeader.type). */
enum coord_op {
    COORD_OP_NOTIFICATION = 0,
    COORD_OP_CREATE = 1,
    COORD_OP_DELETE = 2,
    COORD_OP_EXISTS = 3,
    COORD_OP_GETDATA = 4,
    COORD_OP_SETDATA = 5,
    COORD_OP_GETACL = 6,
    COORD_OP_SETACL = 7,
    COORD_OP_GETCHILDREN = 8,
    COORD_OP_SYNC = 9,
    COORD_OP_PING = 11,
    COORD_OP_GETCHILDREN2 = 12,
    COORD_OP_CHECK = 13,
    COORD_OP_MULTI = 14,
    COORD_OP_CREATE2 = 15,
    COORD_OP_RECONFIG = 16,
    COORD_OP_CHECKWATCHES = 17,
    COORD_OP_REMOVEWATCHES = 18,
    COORD_OP_CREATECONTAINER = 19,
    COORD_OP_DELETECONTAINER = 20,
    COORD_OP_CREATETTL = 21,
    COORD_OP_MULTIREAD = 22,
    COORD_OP_AUTH = 100,
    COORD_OP_SETWATCHES = 101,
    COORD_OP_SASL = 102,
    COORD_OP_GETEPHEMERALS = 103,
    COORD_OP_GETALLCHILDRENNUMBER = 104,
    COORD_OP_SETWATCHES2 = 105,
    COORD_OP_ADDWATCH = 106,
    COORD_OP_WHOAMI = 107,
    COORD_OP_CREATESESSION = -10,
    COORD_OP_CLOSESESSION = -11,
    COORD_OP_ERROR = -1,
};

/* Special xids. */
#define COORD_XID_NOTIFICATION (-1)
#define COORD_XID_PING (-2)
#define COORD_XID_AUTH (-4)
#define COORD_XID_SETWATCHES (-8)

/* Permission bits. */
#define COORD_PERM_READ 1
#define COORD_PERM_WRITE 2
#define COORD_PERM_CREATE 4
#define COORD_PERM_DELETE 8
#define COORD_PERM_ADMIN 16
#define COORD_PERM_ALL 31

/* CreateMode flags. */
#define COORD_PERSISTENT 0
#define COORD_EPHEMERAL 1
#define COORD_PERSISTENT_SEQUENTIAL 2
#define COORD_EPHEMERAL_SEQUENTIAL 3
#define COORD_CONTAINER 4
#define COORD_PERSISTENT_WITH_TTL 5
#define COORD_PERSISTENT_SEQUENTIAL_WITH_TTL 6

/* Watch event types and the one state the server sends. */
#define COORD_EV_CREATED 1
#define COORD_EV_DELETED 2
#define COORD_EV_CHANGED 3
#define COORD_EV_CHILD 4
#define COORD_STATE_SYNC_CONNECTED 3

/* WatcherType for checkWatches/removeWatches. */
#define COORD_WT_CHILDREN 1
#define COORD_WT_DATA 2
#define COORD_WT_ANY 3
#define COORD_WT_PERSISTENT 4
#define COORD_WT_PERSISTENT_RECURSIVE 5

/* addWatch modes. */
#define COORD_ADDWATCH_PERSISTENT 0
#define COORD_ADDWATCH_PERSISTENT_RECURSIVE 1

/*
 * A vector still lying in the input: `count` elements (-1 = null vector)
 * occupying `len` bytes at `p`. Decoders validate every element before
 * returning one, so iterating with the matching getter cannot run past `p+len`.
 */
struct jute_vec {
    int32_t count;
    const uint8_t *p;
    size_t len;
};

/* Starts a reader over a vector's elements. */
void jute_vec_iter(const struct jute_vec *v, struct jute_r *it);

struct coord_id {
    struct jute_str scheme;
    struct jute_str id;
};

struct coord_acl {
    int32_t perms;
    struct coord_id id;
};

struct coord_stat {
    int64_t czxid;
    int64_t mzxid;
    int64_t ctime;
    int64_t mtime;
    int32_t version;
    int32_t cversion;
    int32_t aversion;
    int64_t ephemeral_owner;
    int32_t data_length;
    int32_t num_children;
    int64_t pzxid;
};
#define COORD_STAT_SIZE 68

struct coord_connect_req {
    int32_t protocol_version;
    int64_t last_zxid_seen;
    int32_t timeout;
    int64_t session_id;
    struct jute_str passwd;
    bool has_readonly; /* the optional trailing byte was present */
    bool readonly;
};

struct coord_connect_resp {
    int32_t protocol_version;
    int32_t timeout;
    int64_t session_id;
    struct jute_str passwd;
    bool has_readonly;
    bool readonly;
};

struct coord_request_header {
    int32_t xid;
    int32_t type;
};

struct coord_reply_header {
    int32_t xid;
    int64_t zxid;
    int32_t err;
};

struct coord_multi_header {
    int32_t type;
    bool done;
    int32_t err;
};

struct coord_auth_packet {
    int32_t type;
    struct jute_str scheme;
    struct jute_str auth;
};

struct coord_watcher_event {
    int32_t type;
    int32_t state;
    struct jute_str path;
};

/* create (1), create2 (15), createContainer (19); createTTL (21) adds ttl. */
struct coord_create_req {
    struct jute_str path;
    struct jute_str data;
    struct jute_vec acl; /* of struct coord_acl */
    int32_t flags;
    int64_t ttl; /* only on the wire for createTTL; else -1 */
};

struct coord_delete_req {
    struct jute_str path;
    int32_t version;
};

/* exists (3), getData (4), getChildren (8), getChildren2 (12). */
struct coord_path_watch_req {
    struct jute_str path;
    bool watch;
};

struct coord_setdata_req {
    struct jute_str path;
    struct jute_str data;
    int32_t version;
};

/* getACL (6), sync (9), deleteContainer (20), getEphemerals (103),
 * getAllChildrenNumber (104); also SyncResponse, CreateResponse. */
struct coord_path_req {
    struct jute_str path;
};

struct coord_setacl_req {
    struct jute_str path;
    struct jute_vec acl;
    int32_t version;
};

struct coord_check_req {
    struct jute_str path;
    int32_t version;
};

struct coord_reconfig_req {
    struct jute_str joining;
    struct jute_str leaving;
    struct jute_str new_members;
    int64_t cur_config_id;
};

/* setWatches (101) has the first four lists; setWatches2 (105) all six. */
struct coord_setwatches_req {
    int64_t relative_zxid;
    struct jute_vec data;       /* of ustring */
    struct jute_vec exist;      /* of ustring */
    struct jute_vec child;      /* of ustring */
    struct jute_vec persistent; /* of ustring; count 0 for setWatches */
    struct jute_vec recursive;  /* of ustring; count 0 for setWatches */
};

/* checkWatches (17), removeWatches (18). */
struct coord_watches_req {
    struct jute_str path;
    int32_t type;
};

struct coord_addwatch_req {
    struct jute_str path;
    int32_t mode;
};

/*
 * Decoders read one record from `r` and return r->err (0 or COORD_EPROTO).
 * Strings and vectors in `out` borrow from r's bytes. A decoder does not
 * require the cursor to be exhausted; callers that need "nothing after"
 * check jute_r_done().
 */
int coord_get_id(struct jute_r *r, struct coord_id *out);
int coord_get_acl(struct jute_r *r, struct coord_acl *out);
int coord_get_stat(struct jute_r *r, struct coord_stat *out);
int coord_get_acl_vec(struct jute_r *r, struct jute_vec *out);
int coord_get_str_vec(struct jute_r *r, struct jute_vec *out);

/* The readOnly byte is read if one byte remains after passwd. */
int coord_get_connect_req(struct jute_r *r, struct coord_connect_req *out);
int coord_get_connect_resp(struct jute_r *r, struct coord_connect_resp *out);
int coord_get_request_header(struct jute_r *r, struct coord_request_header *out);
int coord_get_reply_header(struct jute_r *r, struct coord_reply_header *out);
int coord_get_multi_header(struct jute_r *r, struct coord_multi_header *out);
int coord_get_auth_packet(struct jute_r *r, struct coord_auth_packet *out);
int coord_get_watcher_event(struct jute_r *r, struct coord_watcher_event *out);
/* with_ttl: the CreateTTLRequest form (trailing long ttl). */
int coord_get_create_req(struct jute_r *r, struct coord_create_req *out,
                         bool with_ttl);
int coord_get_delete_req(struct jute_r *r, struct coord_delete_req *out);
int coord_get_path_watch_req(struct jute_r *r, struct coord_path_watch_req *out);
int coord_get_setdata_req(struct jute_r *r, struct coord_setdata_req *out);
int coord_get_path_req(struct jute_r *r, struct coord_path_req *out);
int coord_get_setacl_req(struct jute_r *r, struct coord_setacl_req *out);
int coord_get_check_req(struct jute_r *r, struct coord_check_req *out);
int coord_get_reconfig_req(struct jute_r *r, struct coord_reconfig_req *out);
/* v2: the SetWatches2 form with the two persistent lists. */
int coord_get_setwatches_req(struct jute_r *r, struct coord_setwatches_req *out,
                             bool v2);
int coord_get_watches_req(struct jute_r *r, struct coord_watches_req *out);
int coord_get_addwatch_req(struct jute_r *r, struct coord_addwatch_req *out);

/*
 * Encoders append one record to `b` (errors stick in b->err). Vectors are
 * written from arrays; a NULL array with n == -1 writes a null vector.
 */
void coord_put_id(struct buf *b, const struct coord_id *id);
void coord_put_acl(struct buf *b, const struct coord_acl *acl);
void coord_put_acl_array(struct buf *b, const struct coord_acl *acl, int32_t n);
void coord_put_str_array(struct buf *b, const struct jute_str *s, int32_t n);
/* Copies a still-encoded vector verbatim (count + elements). */
void coord_put_vec(struct buf *b, const struct jute_vec *v);
void coord_put_stat(struct buf *b, const struct coord_stat *st);
void coord_put_connect_req(struct buf *b, const struct coord_connect_req *in);
void coord_put_connect_resp(struct buf *b, const struct coord_connect_resp *in);
void coord_put_request_header(struct buf *b,
                              const struct coord_request_header *in);
void coord_put_reply_header(struct buf *b, const struct coord_reply_header *in);
void coord_put_multi_header(struct buf *b, const struct coord_multi_header *in);
void coord_put_auth_packet(struct buf *b, const struct coord_auth_packet *in);
void coord_put_watcher_event(struct buf *b,
                             const struct coord_watcher_event *in);
void coord_put_create_req(struct buf *b, const struct coord_create_req *in,
                          bool with_ttl);
void coord_put_delete_req(struct buf *b, const struct coord_delete_req *in);
void coord_put_path_watch_req(struct buf *b,
                              const struct coord_path_watch_req *in);
void coord_put_setdata_req(struct buf *b, const struct coord_setdata_req *in);
void coord_put_path_req(struct buf *b, const struct coord_path_req *in);
void coord_put_setacl_req(struct buf *b, const struct coord_setacl_req *in);
void coord_put_check_req(struct buf *b, const struct coord_check_req *in);
void coord_put_reconfig_req(struct buf *b, const struct coord_reconfig_req *in);
void coord_put_setwatches_req(struct buf *b,
                              const struct coord_setwatches_req *in, bool v2);
void coord_put_watches_req(struct buf *b, const struct coord_watches_req *in);
void coord_put_addwatch_req(struct buf *b, const struct coord_addwatch_req *in);

/*
 * Frame helpers: a whole length-prefixed frame. coord_frame_reply writes the
 * 4-byte length and the ReplyHeader and returns the length offset; append the
 * body, then call jute_frame_end(b, off).
 */
size_t coord_frame_reply(struct buf *b, int32_t xid, int64_t zxid, int32_t err);
/* A complete notification frame (xid -1). */
void coord_frame_notification(struct buf *b, int64_t zxid, int32_t type,
                              struct jute_str path);

/* True for opcodes that change replicated state (become transactions). */
bool coord_op_is_write(int32_t op);
/* Lower-case operation name for logs and 4lw ("getData"), or "unknown". */
const char *coord_op_name(int32_t op);

#endif
