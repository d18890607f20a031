/* coord's error codes: one table of name, ZooKeeper wire code and message. */
#ifndef COORD_ERR_H
#define COORD_ERR_H

/*
 * Every fallible function of coord returns 0 on success or a negative
 * COORD_E* code. Codes in the ZooKeeper range (-1 .. -127) are sent on the
 * wire unchanged and mean what they mean there; codes below -1000 are local
 * to a process and never cross the wire (the server maps them first:
 * COORD_EPROTO becomes COORD_EMARSHALLING, and so on).
 *
 * Installed with libcoord (coord.h includes it) and used by the server's
 * proto/ module, so client and server share one table.
 */
#define COORD_ERRORS(X)                                                        \
    X(OK, 0, "ok")                                                             \
    X(ESYSTEM, -1, "system error")                                             \
    X(ERUNTIMEINCONSISTENCY, -2, "runtime inconsistency")                      \
    X(EDATAINCONSISTENCY, -3, "data inconsistency")                            \
    X(ECONNECTIONLOSS, -4, "connection loss")                                  \
    X(EMARSHALLING, -5, "marshalling error")                                   \
    X(EUNIMPLEMENTED, -6, "unimplemented")                                     \
    X(EOPERATIONTIMEOUT, -7, "operation timeout")                              \
    X(EBADARGUMENTS, -8, "bad arguments")                                      \
    X(EUNKNOWNSESSION, -12, "unknown session")                                 \
    X(ENEWCONFIGNOQUORUM, -13, "new config has no quorum")                     \
    X(ERECONFIGINPROGRESS, -14, "reconfig in progress")                        \
    X(EAPI, -100, "api error")                                                 \
    X(ENONODE, -101, "no node")                                                \
    X(ENOAUTH, -102, "not authorized")                                         \
    X(EBADVERSION, -103, "bad version")                                        \
    X(ENOCHILDRENFOREPHEMERALS, -108, "ephemeral nodes may not have children") \
    X(ENODEEXISTS, -110, "node exists")                                        \
    X(ENOTEMPTY, -111, "node has children")                                    \
    X(ESESSIONEXPIRED, -112, "session expired")                                \
    X(EINVALIDCALLBACK, -113, "invalid callback")                              \
    X(EINVALIDACL, -114, "invalid acl")                                        \
    X(EAUTHFAILED, -115, "authentication failed")                              \
    X(ESESSIONMOVED, -118, "session moved")                                    \
    X(ENOTREADONLY, -119, "not a read-only call")                              \
    X(EEPHEMERALONLOCALSESSION, -120, "ephemeral on local session")            \
    X(ENOWATCHER, -121, "no such watcher")                                     \
    X(EREQUESTTIMEOUT, -122, "request timeout")                                \
    X(ERECONFIGDISABLED, -123, "reconfig disabled")                            \
    X(ESESSIONCLOSEDREQUIRESASL, -124, "session closed: sasl required")        \
    X(EQUOTAEXCEEDED, -125, "quota exceeded")                                  \
    X(ETHROTTLED, -127, "request throttled")                                   \
    X(ENOMEM, -1000, "out of memory")                                          \
    X(EPROTO, -1001, "malformed input")                                        \
    X(ETOOBIG, -1002, "size limit exceeded")                                   \
    X(EIO, -1003, "i/o error")                                                 \
    X(ECORRUPT, -1004, "corrupt data on disk")                                 \
    X(EINVAL, -1005, "invalid argument")                                       \
    X(EAGAIN, -1006, "try again")                                              \
    X(ECLOSED, -1007, "closed")

enum coord_err {
#define COORD_ERR_ENUM(name, code, msg) COORD_##name = (code),
    COORD_ERRORS(COORD_ERR_ENUM)
#undef COORD_ERR_ENUM
};

/* Human-readable message for a code; never NULL. Thread-safe. */
const char *coord_strerror(int code);
/* Symbolic name without the COORD_ prefix ("ENONODE"), or NULL. Thread-safe. */
const char *coord_errname(int code);
/* ZooKeeper's exception name for a wire code ("NoNode"). Thread-safe. */
const char *coord_err_zkname(int code);

#endif
