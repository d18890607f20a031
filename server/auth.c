/* Connection identities: the automatic ip id, digest auth, super, sasl,
 * whoAmI. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "proto/err.h"
#include "server/sasl.h"
#include "server/server.h"

int auth_digest(const char *cred, size_t len, char *out, size_t outlen)
{
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)cred, len, md);
    char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)b64, md, SHA_DIGEST_LENGTH);
    const char *colon = memchr(cred, ':', len);
    size_t ulen = colon ? (size_t)(colon - cred) : len;
    if (ulen + 1 + strlen(b64) + 1 > outlen)
        return COORD_ETOOBIG;
    memcpy(out, cred, ulen);
    out[ulen] = ':';
    strcpy(out + ulen + 1, b64);
    return 0;
}

/* Rewrites c->ids with one more (scheme, id), unless already held. */
static int add_id(struct conn *c, const char *scheme, const char *id)
{
    struct jute_str s = jute_cstr(scheme), i = jute_cstr(id);
    int32_t count = (int32_t)jute_be32(c->ids.base);
    struct jute_r r;
    jute_r_init(&r, c->ids.base + 4, c->ids.len - 4);
    for (int32_t k = 0; k < count; k++) {
        struct jute_str ks = jute_get_str(&r), ki = jute_get_str(&r);
        if (jute_str_eq(ks, s) && jute_str_eq(ki, i))
            return 0;
    }
    jute_put_str(&c->ids, s);
    jute_put_str(&c->ids, i);
    if (c->ids.err)
        return c->ids.err;
    jute_wbe32(c->ids.base, (uint32_t)(count + 1));
    return 0;
}

int auth_init_conn(struct conn *c)
{
    buf_reset(&c->ids);
    jute_put_int(&c->ids, 0);
    if (c->ids.err)
        return c->ids.err;
    return add_id(c, "ip", c->addr_text);
}

int auth_add_x509(struct conn *c, const char *subject)
{
    return add_id(c, "x509", subject);
}

int auth_add_sasl(struct conn *c, const char *user)
{
    return add_id(c, "sasl", user);
}

bool auth_has_scheme(const struct conn *c, const char *scheme)
{
    struct jute_str s = jute_cstr(scheme);
    int32_t count = (int32_t)jute_be32(c->ids.base);
    struct jute_r r;
    jute_r_init(&r, c->ids.base + 4, c->ids.len - 4);
    for (int32_t k = 0; k < count; k++) {
        struct jute_str ks = jute_get_str(&r);
        jute_get_str(&r);
        if (jute_str_eq(ks, s))
            return true;
    }
    return false;
}

int auth_add(struct conn *c, struct jute_str scheme, struct jute_str auth)
{
    if (jute_str_eq(scheme, jute_cstr("ip")))
        return 0; /* the ip id was added at accept */
    if (!jute_str_eq(scheme, jute_cstr("digest")))
        return COORD_EAUTHFAILED;
    /* ids are kept as C strings: credentials with a NUL are refused */
    if (auth.len < 0 || memchr(auth.p, '\0', (size_t)auth.len) != NULL)
        return COORD_EAUTHFAILED;
    char id[1024];
    if (auth_digest(auth.p, (size_t)auth.len, id, sizeof id) != 0)
        return COORD_EAUTHFAILED;
    const char *super = c->srv->cfg->super_digest;
    if (super && strcmp(super, id) == 0)
        c->super = true;
    return add_id(c, "digest", id) == 0 ? 0 : COORD_EAUTHFAILED;
}

void auth_whoami(const struct conn *c, struct buf *out)
{
    int32_t count = (int32_t)jute_be32(c->ids.base);
    jute_put_int(out, count);
    struct jute_r r;
    jute_r_init(&r, c->ids.base + 4, c->ids.len - 4);
    for (int32_t k = 0; k < count; k++) {
        struct jute_str scheme = jute_get_str(&r), id = jute_get_str(&r);
        jute_put_str(out, scheme);
        if (jute_str_eq(scheme, jute_cstr("digest")) && id.len > 0) {
            const char *colon = memchr(id.p, ':', (size_t)id.len);
            if (colon)
                id.len = (int32_t)(colon - id.p);
        }
        jute_put_str(out, id);
    }
}
