/* ACL lists: fix-up at create/setACL, interning, and permission checks. */
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "tree/internal.h"

/* --- ip addresses, parsed by hand (wire spec 10.2) --- */

static int parse_v4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > 255)
                return -1;
            i++;
        }
        if (i == start)
            return -1;
        out[part] = (uint8_t)v;
    }
    return i == len ? 0 : -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_v6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t g[8];
    int ng = 0, gap = -1;
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len >= 1 && s[0] == ':') {
        return -1;
    }
    while (i < len) {
        /* an embedded IPv4 address ends the text */
        size_t j = i;
        while (j < len && s[j] != ':' && s[j] != '.')
            j++;
        if (j < len && s[j] == '.') {
            uint8_t v4[4];
            if (ng > 6 || parse_v4(s + i, len - i, v4) != 0)
                return -1;
            g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
            g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = len;
            break;
        }
        if (j == i || j - i > 4 || ng >= 8)
            return -1;
        unsigned v = 0;
        for (size_t k = i; k < j; k++) {
            int h = hexval(s[k]);
            if (h < 0)
                return -1;
            v = v << 4 | (unsigned)h;
        }
        g[ng++] = (uint16_t)v;
        i = j;
        if (i == len)
            break;
        i++; /* the ':' */
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return -1;
            gap = ng;
            i++;
        } else if (i == len) {
            return -1; /* trailing single ':' */
        }
    }
    if (gap < 0 && ng != 8)
        return -1;
    if (gap >= 0 && ng > 7)
        return -1;
    int fill = 8 - ng;
    memset(out, 0, 16);
    for (int k = 0; k < ng; k++) {
        int pos = gap >= 0 && k >= gap ? k + fill : k;
        out[2 * pos] = (uint8_t)(g[k] >> 8);
        out[2 * pos + 1] = (uint8_t)g[k];
    }
    return 0;
}

/* Parses "addr[/bits]"; returns the address length (4 or 16) or -1. */
static int parse_ip(const char *s, size_t len, uint8_t addr[16], int *bits)
{
    size_t alen = len;
    const char *slash = memchr(s, '/', len);
    if (slash)
        alen = (size_t)(slash - s);
    int n;
    if (memchr(s, ':', alen)) {
        if (parse_v6(s, alen, addr) != 0)
            return -1;
        n = 16;
    } else {
        if (parse_v4(s, alen, addr) != 0)
            return -1;
        n = 4;
    }
    *bits = n * 8;
    if (slash) {
        size_t i = alen + 1;
        if (i == len)
            return -1;
        int v = 0;
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            v = v * 10 + (s[i] - '0');
            if (v > n * 8)
                return -1;
        }
        *bits = v;
    }
    return n;
}

static bool ip_matches(struct jute_str acl, struct jute_str id)
{
    uint8_t a[16], b[16];
    int abits, bbits;
    int an = parse_ip(acl.p, (size_t)acl.len, a, &abits);
    int bn = parse_ip(id.p, (size_t)id.len, b, &bbits);
    if (an < 0 || bn != an)
        return false;
    for (int i = 0; i < an; i++) {
        int left = abits - i * 8;
        uint8_t mask = left >= 8 ? 0xFF : left <= 0 ? 0 : (uint8_t)(0xFF << (8 - left));
        if ((a[i] & mask) != (b[i] & mask))
            return false;
    }
    return true;
}

/* Java's id.split(":").length == 2: trailing empty parts are dropped. */
static bool digest_valid(struct jute_str id)
{
    size_t len = (size_t)id.len;
    while (len > 0 && id.p[len - 1] == ':')
        len--;
    if (len == 0)
        return false;
    size_t colons = 0;
    for (size_t i = 0; i < len; i++)
        colons += id.p[i] == ':';
    return colons == 1;
}

/* ZooKeeper's SASL provider accepts what its KerberosName parses: a name
 * without '@', or exactly primary[/instance]@REALM (no other '/' or '@'). */
static bool sasl_valid(struct jute_str id)
{
    const char *at = id.len > 0 ? memchr(id.p, '@', (size_t)id.len) : NULL;
    if (at == NULL)
        return true;
    size_t before = (size_t)(at - id.p), after = (size_t)id.len - before - 1;
    if (memchr(at + 1, '@', after) || memchr(at + 1, '/', after))
        return false;
    const char *slash = memchr(id.p, '/', before);
    return slash == NULL ||
           memchr(slash + 1, '/', (size_t)(at - slash - 1)) == NULL;
}

static bool scheme_authenticated(struct jute_str s)
{
    return str_is(s, "digest", 6) || str_is(s, "sasl", 4) ||
           str_is(s, "x509", 4);
}

/* --- interning --- */

static int parse_list(const uint8_t *bytes, size_t len, struct acl *into)
{
    struct jute_r r;
    jute_r_init(&r, bytes, len);
    int32_t n = jute_get_int(&r);
    if (r.err || n < 0)
        return COORD_ECORRUPT;
    for (int32_t i = 0; i < n; i++) {
        int32_t perms = jute_get_int(&r);
        struct jute_str scheme = jute_get_str(&r);
        struct jute_str id = jute_get_str(&r);
        if (r.err || scheme.len < 0 || id.len < 0)
            return COORD_ECORRUPT;
        if (into) {
            struct acl_ent *e = &into->ents[i];
            e->perms = perms;
            e->scheme_len = (uint32_t)scheme.len;
            e->scheme_off = scheme.len
                ? (uint32_t)((const uint8_t *)scheme.p - bytes) : 0;
            e->id_len = (uint32_t)id.len;
            e->id_off = id.len ? (uint32_t)((const uint8_t *)id.p - bytes) : 0;
        }
    }
    if (!jute_r_done(&r))
        return COORD_ECORRUPT;
    if (into)
        into->n = (uint32_t)n;
    return 0;
}

static void grow_acls(struct tree *t)
{
    size_t nn = t->nab ? t->nab * 2 : 64;
    struct acl **b = calloc(nn, sizeof *b);
    if (b == NULL)
        return;
    for (size_t i = 0; i < t->nab; i++) {
        struct acl *a = t->ab[i];
        while (a) {
            struct acl *next = a->hnext;
            a->hnext = b[a->hash & (nn - 1)];
            b[a->hash & (nn - 1)] = a;
            a = next;
        }
    }
    free(t->ab);
    t->ab = b;
    t->nab = nn;
}

int acl_intern(struct tree *t, const uint8_t *bytes, size_t len,
               struct acl **out)
{
    uint32_t h = hash_bytes(bytes, len, HASH_SEED);
    if (t->nab) {
        for (struct acl *a = t->ab[h & (t->nab - 1)]; a; a = a->hnext) {
            if (a->hash == h && a->len == len &&
                memcmp(a->bytes, bytes, len) == 0) {
                a->refs++;
                *out = a;
                return 0;
            }
        }
    }
    if (len < 4 || len > COORD_MAX_FRAME)
        return COORD_ECORRUPT;
    int rc = parse_list(bytes, len, NULL);
    if (rc)
        return rc;
    uint32_t n = jute_be32(bytes);
    struct acl *a = malloc(sizeof *a + n * sizeof(struct acl_ent) + len);
    if (a == NULL)
        return COORD_ENOMEM;
    a->bytes = (uint8_t *)&a->ents[n];
    memcpy(a->bytes, bytes, len);
    parse_list(a->bytes, len, a);
    a->len = (uint32_t)len;
    a->hash = h;
    a->refs = 1;
    if (t->nacls >= t->nab)
        grow_acls(t);
    if (t->nab == 0) {
        free(a);
        return COORD_ENOMEM;
    }
    a->hnext = t->ab[h & (t->nab - 1)];
    t->ab[h & (t->nab - 1)] = a;
    t->nacls++;
    *out = a;
    return 0;
}

void acl_ref(struct acl *a)
{
    a->refs++;
}

void acl_unref(struct tree *t, struct acl *a)
{
    if (a == NULL || --a->refs > 0)
        return;
    struct acl **pp = &t->ab[a->hash & (t->nab - 1)];
    while (*pp && *pp != a)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = a->hnext;
    t->nacls--;
    free(a);
}

void acl_free_all(struct tree *t)
{
    for (size_t i = 0; i < t->nab; i++) {
        struct acl *a = t->ab[i];
        while (a) {
            struct acl *next = a->hnext;
            free(a);
            a = next;
        }
    }
    free(t->ab);
    t->ab = NULL;
    t->nab = t->nacls = 0;
}

/* --- fix-up (wire spec 10.3) --- */

static uint32_t acl_entry_hash(const struct coord_acl *e)
{
    uint32_t h = hash_bytes(&e->perms, sizeof e->perms, HASH_SEED);
    if (e->id.scheme.len > 0)
        h = hash_bytes(e->id.scheme.p, (size_t)e->id.scheme.len, h);
    h = hash_bytes("|", 1, h);
    if (e->id.id.len > 0)
        h = hash_bytes(e->id.id.p, (size_t)e->id.id.len, h);
    return h;
}

static bool acl_entry_eq(const struct coord_acl *a, const struct coord_acl *b)
{
    return a->perms == b->perms && jute_str_eq(a->id.scheme, b->id.scheme) &&
           jute_str_eq(a->id.id, b->id.id);
}

static void put_entry(struct buf *b, int32_t perms, struct jute_str scheme,
                      struct jute_str id)
{
    jute_put_int(b, perms);
    jute_put_str(b, scheme);
    jute_put_str(b, id);
}

int acl_fixup(struct tree *t, const struct jute_vec *req, const struct who *w,
              struct acl **out)
{
    if (req->count <= 0)
        return COORD_EINVALIDACL;
    size_t n = (size_t)req->count;
    size_t nslots = 16;
    while (nslots < 2 * n)
        nslots *= 2;
    struct coord_acl *in = malloc(n * sizeof *in);
    uint32_t *slots = calloc(nslots, sizeof *slots);
    struct buf b;
    buf_init(&b, COORD_MAX_FRAME * 4);
    int rc = 0;
    if (in == NULL || slots == NULL) {
        rc = COORD_ENOMEM;
        goto done;
    }
    struct jute_r it;
    jute_vec_iter(req, &it);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct coord_acl e;
        if (coord_get_acl(&it, &e) != 0) {
            rc = COORD_EMARSHALLING;
            goto done;
        }
        /* drop exact duplicates, keeping the first */
        uint32_t h = acl_entry_hash(&e);
        size_t s = h & (nslots - 1);
        bool dup = false;
        while (slots[s]) {
            if (acl_entry_eq(&in[slots[s] - 1], &e)) {
                dup = true;
                break;
            }
            s = (s + 1) & (nslots - 1);
        }
        if (dup)
            continue;
        in[kept] = e;
        slots[s] = (uint32_t)++kept;
    }

    int32_t count = 0;
    jute_put_int(&b, 0);
    for (size_t i = 0; i < kept; i++) {
        const struct coord_acl *e = &in[i];
        struct jute_str scheme = e->id.scheme, id = e->id.id;
        if (scheme.len < 0) {
            rc = COORD_EINVALIDACL;
            goto done;
        }
        if (str_is(scheme, "world", 5)) {
            if (id.len < 0) {
                rc = COORD_EMARSHALLING;
                goto done;
            }
            if (!str_is(id, "anyone", 6)) {
                rc = COORD_EINVALIDACL;
                goto done;
            }
        } else if (str_is(scheme, "auth", 4)) {
            bool any = false;
            struct jute_r ids;
            jute_vec_iter(&w->ids, &ids);
            for (int32_t k = 0; k < w->ids.count; k++) {
                struct coord_id cid;
                if (coord_get_id(&ids, &cid) != 0)
                    break;
                if (!scheme_authenticated(cid.scheme) || cid.id.len < 0)
                    continue;
                put_entry(&b, e->perms, cid.scheme, cid.id);
                count++;
                any = true;
            }
            if (!any) {
                rc = COORD_EINVALIDACL;
                goto done;
            }
            continue;
        } else if (str_is(scheme, "digest", 6)) {
            if (id.len < 0 || !digest_valid(id)) {
                rc = COORD_EINVALIDACL;
                goto done;
            }
        } else if (str_is(scheme, "ip", 2)) {
            uint8_t addr[16];
            int bits;
            if (id.len < 0 || parse_ip(id.p, (size_t)id.len, addr, &bits) < 0) {
                rc = COORD_EINVALIDACL;
                goto done;
            }
        } else if (str_is(scheme, "x509", 4)) {
            if (id.len < 0) {
                rc = COORD_EINVALIDACL;
                goto done;
            }
        } else if (str_is(scheme, "sasl", 4)) {
            if (id.len < 0 || !sasl_valid(id)) {
                rc = COORD_EINVALIDACL;
                goto done;
            }
        } else {
            rc = COORD_EINVALIDACL;
            goto done;
        }
        put_entry(&b, e->perms, scheme, id);
        count++;
    }
    if (b.err) {
        rc = b.err == COORD_ENOMEM ? COORD_ENOMEM : COORD_EINVALIDACL;
        goto done;
    }
    jute_wbe32(b.base, (uint32_t)count);
    rc = acl_intern(t, b.base, b.len, out);
    if (rc == COORD_ECORRUPT)
        rc = COORD_EINVALIDACL;
done:
    buf_close(&b);
    free(slots);
    free(in);
    return rc;
}

/* --- checks (wire spec 10.5) --- */

static struct jute_str ent_str(const struct acl *a, uint32_t off, uint32_t len)
{
    return (struct jute_str){(const char *)a->bytes + off, (int32_t)len};
}

bool acl_allows(const struct acl *a, int32_t perm, const struct who *w)
{
    if (w->super)
        return true;
    struct jute_r it;
    struct coord_id cid;
    jute_vec_iter(&w->ids, &it);
    for (int32_t k = 0; k < w->ids.count; k++) {
        if (coord_get_id(&it, &cid) != 0)
            break;
        if (str_is(cid.scheme, "super", 5))
            return true;
    }
    if (a == NULL || a->n == 0)
        return true;
    for (uint32_t i = 0; i < a->n; i++) {
        const struct acl_ent *e = &a->ents[i];
        if ((e->perms & perm) == 0)
            continue;
        struct jute_str scheme = ent_str(a, e->scheme_off, e->scheme_len);
        struct jute_str id = ent_str(a, e->id_off, e->id_len);
        if (str_is(scheme, "world", 5) && str_is(id, "anyone", 6))
            return true;
        bool ip = str_is(scheme, "ip", 2);
        /* ZooKeeper's SASL provider: the identity sasl:super matches every
         * sasl entry */
        bool sasl = str_is(scheme, "sasl", 4);
        jute_vec_iter(&w->ids, &it);
        for (int32_t k = 0; k < w->ids.count; k++) {
            if (coord_get_id(&it, &cid) != 0)
                break;
            if (!jute_str_eq(cid.scheme, scheme) || cid.id.len < 0)
                continue;
            if (ip ? ip_matches(id, cid.id) : jute_str_eq(cid.id, id))
                return true;
            if (sasl && str_is(cid.id, "super", 5))
                return true;
        }
    }
    return false;
}

void acl_put(const struct acl *a, bool admin, struct buf *b)
{
    if (admin) {
        buf_append(b, a->bytes, a->len);
        return;
    }
    jute_put_int(b, (int32_t)a->n);
    for (uint32_t i = 0; i < a->n; i++) {
        const struct acl_ent *e = &a->ents[i];
        struct jute_str scheme = ent_str(a, e->scheme_off, e->scheme_len);
        struct jute_str id = ent_str(a, e->id_off, e->id_len);
        jute_put_int(b, e->perms);
        jute_put_str(b, scheme);
        if (!str_is(scheme, "digest", 6)) {
            jute_put_str(b, id);
            continue;
        }
        /* Without ADMIN a digest shows as user:x (wire spec 4.3). */
        const char *colon = id.len ? memchr(id.p, ':', (size_t)id.len) : NULL;
        int32_t user = colon ? (int32_t)(colon - id.p) : id.len;
        jute_put_int(b, user + 2);
        buf_append(b, id.p, (size_t)user);
        buf_append(b, ":x", 2);
    }
}
