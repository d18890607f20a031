/* SASL (opcode 102): not configured yet, every attempt fails. */
#include "server/sasl.h"

#include "proto/err.h"
#include "server/server.h"

int sasl_step(struct conn *c, struct jute_str body, struct buf *out)
{
    (void)c;
    (void)body;
    (void)out;
    return COORD_EAUTHFAILED;
}
