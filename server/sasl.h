/* SASL (opcode 102) through Cyrus SASL: DIGEST-MD5 with the users of
 * sasl.digest.users, each giving its connection the identity sasl:<user>,
 * and GSSAPI (Kerberos) with sasl.gssapi.keytab, giving sasl:<principal>. */
#ifndef COORD_SERVER_SASL_H
#define COORD_SERVER_SASL_H

#include <stdbool.h>

#include "proto/buf.h"
#include "proto/jute.h"

struct conn;
struct sasl_state; /* an exchange in progress, hung on its connection */

/*
 * One GetSASLRequest body: the next step of c's exchange. 0 with the
 * SetSASLResponse body appended to out (and, once the exchange completes,
 * sasl:<user> among c's ids), or COORD_EAUTHFAILED: the caller answers with
 * it and closes the connection, as ZooKeeper does.
 */
int sasl_step(struct conn *c, struct jute_str body, struct buf *out);

/* auth.c: adds sasl:<user> to c's ids (once); 0 or a code. */
int auth_add_sasl(struct conn *c, const char *user);
/* auth.c: whether c holds an id of that scheme. */
bool auth_has_scheme(const struct conn *c, const char *scheme);

#endif
