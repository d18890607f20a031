/* ZooKeeper's dynamic configuration: the text of /zookeeper/config, parsed,
 * formatted, and changed by a reconfig request (opcode 16). Pure: no I/O. */
#ifndef COORD_SERVER_DYNCONFIG_H
#define COORD_SERVER_DYNCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"
#include "server/config.h"

/*
 * An ensemble's membership. s[] is sorted by id and the ids are unique; every
 * string is owned (malloc'd). Hosts are spelled as ZooKeeper writes them:
 * host names as given, IPv6 literals as Java prints them (0:0:0:0:0:0:0:1,
 * without brackets; an IPv4-mapped one as the IPv4 address). A server with a
 * client port always has a client_host ("0.0.0.0" when none was written, as
 * ZooKeeper records it); client_port 0 means no client address (client_host
 * NULL). dyncfg_parse() and dyncfg_apply() refuse a host with a blank, a
 * control character or any of []=,; so that the text dyncfg_format()
 * writes always parses back to the same membership.
 */
struct dyncfg {
    struct coord_config_server *s;
    size_t n;
};

/* Frees the servers and empties c. NULL and an empty c do nothing. */
void dyncfg_free(struct dyncfg *c);

/*
 * Copies zoo.cfg's server.N lines (cfg->servers, any order) into out, which
 * the caller frees with dyncfg_free(). 0 or COORD_ENOMEM (out empty).
 */
int dyncfg_from_config(const struct coord_config *cfg, struct dyncfg *out);

/*
 * Parses the text of /zookeeper/config (len bytes, need not be
 * NUL-terminated): lines
 * `server.N=host:peer:election[:participant|:observer][;[clientHost:]clientPort]`
 * and at most one `version=<hex>`, whose value goes to *version when version
 * is non-NULL (0 when absent). Blank lines are skipped and blanks around keys
 * and values ignored; a repeated server.N replaces the earlier line. Anything
 * else is COORD_EBADARGUMENTS with a one-line reason in err (always
 * NUL-terminated when errlen > 0); COORD_ENOMEM. On failure out is empty;
 * on success the caller frees it with dyncfg_free().
 */
int dyncfg_parse(const char *text, size_t len, struct dyncfg *out,
                 uint64_t *version, char *err, size_t errlen);

/*
 * Appends the canonical text to out, byte for byte as ZooKeeper 3.8's
 * QuorumMaj.toString() writes it before its version line: one
 * `server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n` per server by
 * increasing id, the role always written, IPv6 hosts in brackets
 * (`[0:0:0:0:0:0:0:1]`), no `;` part without a client port. The caller
 * appends `version=<hex zxid>`. Returns out->err (0, COORD_ENOMEM or
 * COORD_ETOOBIG).
 */
int dyncfg_format(const struct dyncfg *c, struct buf *out);

/*
 * Applies a reconfig request to cur, as ZooKeeper 3.8's
 * PrepRequestProcessor does, writing the new membership to out (freed by the
 * caller with dyncfg_free(); empty on failure). An argument that is NULL or
 * blank is absent.
 *
 * Bulk (new_members): the whole new list of `server.N=spec` entries, comma- or
 * newline-separated; `version=...` entries are ignored. As in ZooKeeper,
 * new_members wins: joining and leaving given with it are ignored.
 *
 * Incremental (joining and/or leaving): leaving is a comma-separated list of
 * server ids, read as Java's Long.parseLong does (an id not in cur is
 * ignored; one that is not a number is COORD_EMARSHALLING, ZooKeeper's
 * MarshallingError); joining a comma-separated list of `server.N=spec` (any
 * key: the id is the text after its last '.'), each with peer, election and
 * client ports. Leavers go first, then each joiner replaces a server with its
 * id (how a participant becomes an observer) or is added; a joiner whose
 * peer, election or client address equals any address of another server
 * (same host, same port; wildcard hosts excepted) is refused. ZooKeeper
 * skips loopback addresses in that check; we do not, deliberately, so two
 * servers on 127.0.0.1 cannot be given one port.
 *
 * Neither (all three absent): out is a copy of cur, as ZooKeeper accepts
 * such a request as a reconfig that changes nothing (the caller still gives
 * it a new version).
 *
 * A malformed entry or a result without a participant: COORD_EBADARGUMENTS
 * with a one-line reason in err (also set for COORD_EMARSHALLING). Also
 * COORD_ENOMEM. ZooKeeper, with standaloneEnabled=true (its default), also
 * refuses a result with fewer than 2 participants: the caller checks that
 * with dyncfg_voters().
 */
int dyncfg_apply(const struct dyncfg *cur, const char *joining,
                 const char *leaving, const char *new_members,
                 struct dyncfg *out, char *err, size_t errlen);

/* True when a and b hold the same servers with the same addresses and roles. */
bool dyncfg_equal(const struct dyncfg *a, const struct dyncfg *b);

/* The server with this id, or NULL; borrowed from c. */
const struct coord_config_server *dyncfg_find(const struct dyncfg *c,
                                              int64_t id);

/* The number of participants (voting members). */
size_t dyncfg_voters(const struct dyncfg *c);

#endif
