/* The dynamic configuration (/zookeeper/config): parse, format, reconfig. */
#include "server/dynconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "proto/err.h"

/* Longest piece of user text quoted back in an error message. */
#define QUOTE_MAX 80

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return COORD_EBADARGUMENTS;
}


static char *dup_mem(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}


/*
 * An IPv6 literal as Java's InetAddress spells it, which is how ZooKeeper
 * writes it back: eight groups in lower-case hex without leading zeros or
 * "::" (0:0:0:0:0:0:0:1), and an IPv4-mapped address as plain IPv4. Names
 * and IPv4 text are kept as written. Returns 0 or COORD_ENOMEM.
 */
static int java_host(char **host)
{
    struct in6_addr a;
    if (*host == NULL || strchr(*host, ':') == NULL ||
        inet_pton(AF_INET6, *host, &a) != 1)
        return 0;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const uint8_t *b = a.s6_addr;
    char tmp[48];
    int n = 0;
    if (memcmp(b, mapped, sizeof mapped) == 0)
        n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", b[12], b[13], b[14],
                     b[15]);
    else
        for (int i = 0; i < 16; i += 2)
            n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%s%x",
                          i > 0 ? ":" : "", (unsigned)(b[i] << 8 | b[i + 1]));
    char *p = coord_config_strdup(tmp);
    if (p == NULL)
        return COORD_ENOMEM;
    free(*host);
    *host = p;
    return 0;
}

/* ZooKeeper records a client port written without a host as 0.0.0.0. */
static int normalise(struct coord_config_server *s)
{
    if (java_host(&s->host) != 0 || java_host(&s->client_host) != 0)
        return COORD_ENOMEM;
    if (s->client_port != 0 && s->client_host == NULL &&
        (s->client_host = coord_config_strdup("0.0.0.0")) == NULL)
        return COORD_ENOMEM;
    if (s->client_port == 0) {
        free(s->client_host);
        s->client_host = NULL;
    }
    return 0;
}

static int server_copy(struct coord_config_server *dst,
                       const struct coord_config_server *src)
{
    *dst = *src;
    dst->host = NULL;
    dst->client_host = NULL;
    if ((dst->host = coord_config_strdup(src->host)) == NULL ||
        (src->client_host != NULL &&
         (dst->client_host = coord_config_strdup(src->client_host)) == NULL) ||
        normalise(dst) != 0) {
        coord_config_server_clear(dst);
        return COORD_ENOMEM;
    }
    return 0;
}

void dyncfg_free(struct dyncfg *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        coord_config_server_clear(&c->s[i]);
    free(c->s);
    c->s = NULL;
    c->n = 0;
}

/* The index of id in c, or where it would go to keep c sorted. */
static size_t position(const struct dyncfg *c, int64_t id, bool *found)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->s[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < c->n && c->s[lo].id == id;
    return lo;
}

/* Takes srv's strings: replaces the server with its id, or inserts it in
 * order. On COORD_ENOMEM srv's strings are freed. */
static int put_take(struct dyncfg *c, struct coord_config_server *srv)
{
    bool found;
    size_t i = position(c, srv->id, &found);
    if (found) {
        coord_config_server_clear(&c->s[i]);
        c->s[i] = *srv;
        return 0;
    }
    struct coord_config_server *v = realloc(c->s, (c->n + 1) * sizeof *v);
    if (v == NULL) {
        coord_config_server_clear(srv);
        return COORD_ENOMEM;
    }
    c->s = v;
    memmove(&v[i + 1], &v[i], (c->n - i) * sizeof *v);
    v[i] = *srv;
    c->n++;
    return 0;
}

static void remove_id(struct dyncfg *c, int64_t id)
{
    bool found;
    size_t i = position(c, id, &found);
    if (!found)
        return;
    coord_config_server_clear(&c->s[i]);
    memmove(&c->s[i], &c->s[i + 1], (c->n - i - 1) * sizeof *c->s);
    c->n--;
}

static int copy_all(const struct dyncfg *src, struct dyncfg *out)
{
    *out = (struct dyncfg){0};
    if (src->n == 0)
        return 0;
    if ((out->s = calloc(src->n, sizeof *out->s)) == NULL)
        return COORD_ENOMEM;
    for (; out->n < src->n; out->n++) {
        if (server_copy(&out->s[out->n], &src->s[out->n]) != 0) {
            dyncfg_free(out);
            return COORD_ENOMEM;
        }
    }
    return 0;
}

int dyncfg_from_config(const struct coord_config *cfg, struct dyncfg *out)
{
    *out = (struct dyncfg){0};
    for (size_t i = 0; i < cfg->n_servers; i++) {
        struct coord_config_server srv;
        if (server_copy(&srv, &cfg->servers[i]) != 0 ||
            put_take(out, &srv) != 0) {
            dyncfg_free(out);
            return COORD_ENOMEM;
        }
    }
    return 0;
}

/* Narrows [*s, *s + *n) to exclude blanks at both ends. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static bool is_blank(const char *s)
{
    if (s == NULL)
        return true;
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/*
 * The next item of a list separated by any of seps, trimmed; empty items are
 * skipped (as ZooKeeper's StringUtils.split does). False at the end.
 */
static bool next_item(const char **p, const char *seps, const char **item,
                      size_t *len)
{
    while (**p != '\0') {
        const char *s = *p;
        size_t n = strcspn(s, seps);
        *p = s[n] != '\0' ? s + n + 1 : s + n;
        trim(&s, &n);
        if (n > 0) {
            *item = s;
            *len = n;
            return true;
        }
    }
    return false;
}

/* A server id: decimal digits only, within int64_t. */
static bool parse_id(const char *s, size_t n, int64_t *id)
{
    char tmp[24];
    if (n == 0 || n >= sizeof tmp)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    long long v = strtoll(tmp, NULL, 10);
    if (errno != 0)
        return false;
    *id = v;
    return true;
}

/* Java's Long.parseLong: an optional sign, then decimal digits, within
 * int64_t. */
static bool parse_long(const char *s, size_t n, int64_t *id)
{
    bool neg = n > 0 && s[0] == '-';
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        s++;
        n--;
    }
    uint64_t v = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *id = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/*
 * A host name or IP literal has no blank, control character, bracket, or
 * any of the separators of the config text and of reconfig lists (a host
 * "a\nb" or "[x" would not read back from the text we write).
 */
static bool host_ok(const char *h)
{
    if (h == NULL)
        return true;
    for (; *h != '\0'; h++)
        if (isspace((unsigned char)*h) || iscntrl((unsigned char)*h) ||
            strchr("[],;=", *h) != NULL)
            return false;
    return true;
}

/*
 * One server's spec (already trimmed, n bytes) into srv. ZooKeeper's
 * QuorumServer also refuses a peer port equal to the election port.
 */
static int parse_spec(int64_t id, const char *spec, size_t n,
                      struct coord_config_server *srv, char *err,
                      size_t errlen)
{
    char *tmp = dup_mem(spec, n);
    if (tmp == NULL)
        return COORD_ENOMEM;
    int rc = coord_config_parse_server(id, tmp, srv);
    free(tmp);
    if (rc != 0)
        return bad(err, errlen,
                   "server.%lld: expected host:port:port[:participant|"
                   ":observer][;[host:]port], got \"%.*s\"",
                   (long long)id, (int)(n < QUOTE_MAX ? n : QUOTE_MAX), spec);
    if (srv->peer_port == srv->election_port) {
        coord_config_server_clear(srv);
        return bad(err, errlen,
                   "server.%lld: the peer and election ports must differ",
                   (long long)id);
    }
    if (!host_ok(srv->host) || !host_ok(srv->client_host)) {
        coord_config_server_clear(srv);
        return bad(err, errlen,
                   "server.%lld: a host may not contain blanks, control "
                   "characters or any of []=,;",
                   (long long)id);
    }
    if (normalise(srv) != 0) {
        coord_config_server_clear(srv);
        return COORD_ENOMEM;
    }
    return 0;
}

/* Splits "key=value" at the first '=' into trimmed parts. */
static bool split_eq(const char *s, size_t n, const char **key, size_t *klen,
                     const char **val, size_t *vlen)
{
    const char *eq = memchr(s, '=', n);
    if (eq == NULL)
        return false;
    *key = s;
    *klen = (size_t)(eq - s);
    *val = eq + 1;
    *vlen = n - *klen - 1;
    trim(key, klen);
    trim(val, vlen);
    return true;
}

static bool key_is(const char *key, size_t klen, const char *word)
{
    return klen == strlen(word) && memcmp(key, word, klen) == 0;
}

static bool starts_with(const char *key, size_t klen, const char *prefix)
{
    size_t n = strlen(prefix);
    return klen >= n && memcmp(key, prefix, n) == 0;
}

static int parse_line(const char *line, size_t n, int lineno,
                      struct dyncfg *out, uint64_t *version, bool *seen_version,
                      char *err, size_t errlen)
{
    const char *key, *val;
    size_t klen, vlen;
    int q = (int)(n < QUOTE_MAX ? n : QUOTE_MAX);
    if (!split_eq(line, n, &key, &klen, &val, &vlen))
        return bad(err, errlen,
                   "line %d: expected server.N=... or version=..., got "
                   "\"%.*s\"",
                   lineno, q, line);
    if (key_is(key, klen, "version")) {
        char tmp[20];
        char *end;
        if (*seen_version)
            return bad(err, errlen, "line %d: a second version line", lineno);
        if (vlen == 0 || vlen >= sizeof tmp ||
            !isxdigit((unsigned char)val[0]))
            return bad(err, errlen, "line %d: expected version=<hex>, got "
                       "\"%.*s\"", lineno, q, line);
        memcpy(tmp, val, vlen);
        tmp[vlen] = '\0';
        errno = 0;
        unsigned long long v = strtoull(tmp, &end, 16);
        if (errno != 0 || *end != '\0')
            return bad(err, errlen, "line %d: expected version=<hex>, got "
                       "\"%.*s\"", lineno, q, line);
        *seen_version = true;
        if (version != NULL)
            *version = v;
        return 0;
    }
    int64_t id;
    if (!starts_with(key, klen, "server.") ||
        !parse_id(key + 7, klen - 7, &id))
        return bad(err, errlen,
                   "line %d: expected server.N=... or version=..., got "
                   "\"%.*s\"",
                   lineno, q, line);
    struct coord_config_server srv;
    int rc = parse_spec(id, val, vlen, &srv, err, errlen);
    if (rc != 0)
        return rc;
    return put_take(out, &srv);
}

int dyncfg_parse(const char *text, size_t len, struct dyncfg *out,
                 uint64_t *version, char *err, size_t errlen)
{
    *out = (struct dyncfg){0};
    if (errlen > 0)
        err[0] = '\0';
    if (version != NULL)
        *version = 0;
    if (len == 0)
        return 0; /* text may be NULL then, as an empty buffer's base is */
    bool seen_version = false;
    int lineno = 0, rc = 0;
    const char *p = text, *end = text + len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line = p;
        size_t n = (size_t)((nl != NULL ? nl : end) - p);
        p = nl != NULL ? nl + 1 : end;
        lineno++;
        trim(&line, &n);
        if (n == 0)
            continue;
        if (memchr(line, '\0', n) != NULL)
            rc = bad(err, errlen, "line %d: a NUL byte", lineno);
        else
            rc = parse_line(line, n, lineno, out, version, &seen_version, err,
                            errlen);
    }
    if (rc != 0)
        dyncfg_free(out);
    return rc;
}

/* Writes host, in brackets when it is an IPv6 literal. */
static void put_host(struct buf *out, const char *host)
{
    if (strchr(host, ':') != NULL)
        buf_printf(out, "[%s]", host);
    else
        buf_printf(out, "%s", host);
}

int dyncfg_format(const struct dyncfg *c, struct buf *out)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct coord_config_server *s = &c->s[i];
        buf_printf(out, "server.%lld=", (long long)s->id);
        put_host(out, s->host);
        buf_printf(out, ":%d:%d:%s", s->peer_port, s->election_port,
                   s->observer ? "observer" : "participant");
        if (s->client_port != 0) {
            buf_printf(out, ";");
            put_host(out, s->client_host != NULL ? s->client_host : "0.0.0.0");
            buf_printf(out, ":%d", s->client_port);
        }
        buf_printf(out, "\n");
    }
    return out->err;
}

/* One of a server's addresses, as compared for clashes. */
struct addr {
    const char *host;
    int port;
};

/* Its peer, election and client addresses; returns how many. */
static size_t addrs_of(const struct coord_config_server *s, struct addr a[3])
{
    size_t n = 0;
    a[n++] = (struct addr){s->host, s->peer_port};
    a[n++] = (struct addr){s->host, s->election_port};
    if (s->client_port != 0)
        a[n++] = (struct addr){s->client_host ? s->client_host : "0.0.0.0",
                               s->client_port};
    return n;
}

/* Wildcard addresses are shared by design (every ";2181" client port). */
static bool is_wildcard(const char *host)
{
    return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "0:0:0:0:0:0:0:0") == 0;
}

/*
 * ZooKeeper's QuorumServer.checkAddressDuplicate: any address of the joiner
 * against any address of every other server.
 */
static int check_clash(const struct dyncfg *c,
                       const struct coord_config_server *j, char *err,
                       size_t errlen)
{
    struct addr mine[3], theirs[3];
    size_t nm = addrs_of(j, mine);
    for (size_t i = 0; i < c->n; i++) {
        if (c->s[i].id == j->id)
            continue;
        size_t nt = addrs_of(&c->s[i], theirs);
        for (size_t a = 0; a < nm; a++) {
            if (is_wildcard(mine[a].host))
                continue;
            for (size_t b = 0; b < nt; b++) {
                if (mine[a].port == theirs[b].port &&
                    strcasecmp(mine[a].host, theirs[b].host) == 0) {
                    bool v6 = strchr(mine[a].host, ':') != NULL;
                    return bad(err, errlen,
                               "%s%s%s:%d of server.%lld conflicts with "
                               "server.%lld",
                               v6 ? "[" : "", mine[a].host, v6 ? "]" : "",
                               mine[a].port, (long long)j->id,
                               (long long)c->s[i].id);
                }
            }
        }
    }
    return 0;
}

static int apply_leaving(struct dyncfg *next, const char *leaving, char *err,
                         size_t errlen)
{
    const char *p = leaving, *item;
    size_t n;
    while (next_item(&p, ",", &item, &n)) {
        int64_t id;
        if (!parse_long(item, n, &id)) {
            /* Long.parseLong's NumberFormatException reaches the catch-all
             * in PrepRequestProcessor, which answers MarshallingError */
            bad(err, errlen,
                "leaving servers: expected a server id, got \"%.*s\"",
                (int)(n < QUOTE_MAX ? n : QUOTE_MAX), item);
            return COORD_EMARSHALLING;
        }
        remove_id(next, id); /* an unknown id is no error in ZooKeeper */
    }
    return 0;
}

static int apply_joining(struct dyncfg *next, const char *joining, char *err,
                         size_t errlen)
{
    const char *p = joining, *item;
    size_t n;
    while (next_item(&p, ",", &item, &n)) {
        int q = (int)(n < QUOTE_MAX ? n : QUOTE_MAX);
        const char *key, *val, *dot;
        size_t klen, vlen;
        int64_t id;
        if (!split_eq(item, n, &key, &klen, &val, &vlen) || klen == 0 ||
            vlen == 0 || memchr(val, '=', vlen) != NULL)
            return bad(err, errlen,
                       "joining servers: expected server.N=spec, got "
                       "\"%.*s\"",
                       q, item);
        /* ZooKeeper takes the id after the key's last '.' */
        for (dot = key + klen; dot > key && dot[-1] != '.'; dot--)
            ;
        if (!parse_id(dot, klen - (size_t)(dot - key), &id))
            return bad(err, errlen,
                       "joining servers: expected server.N=spec, got "
                       "\"%.*s\"",
                       q, item);
        struct coord_config_server srv;
        int rc = parse_spec(id, val, vlen, &srv, err, errlen);
        if (rc != 0)
            return rc;
        if (srv.client_port == 0) {
            coord_config_server_clear(&srv);
            return bad(err, errlen,
                       "server.%lld: each server should have 3 ports "
                       "specified (peer, election and client)",
                       (long long)id);
        }
        if ((rc = check_clash(next, &srv, err, errlen)) != 0) {
            coord_config_server_clear(&srv);
            return rc;
        }
        if ((rc = put_take(next, &srv)) != 0)
            return rc;
    }
    return 0;
}

/*
 * One Java-properties entry of a bulk list: the key ends at the first '=',
 * ':' or blank, then blanks and at most one '=' or ':' are skipped.
 */
static int apply_bulk_entry(struct dyncfg *next, const char *item, size_t n,
                            char *err, size_t errlen)
{
    int q = (int)(n < QUOTE_MAX ? n : QUOTE_MAX);
    if (item[0] == '#' || item[0] == '!')
        return 0; /* a comment line */
    size_t klen = 0;
    while (klen < n && item[klen] != '=' && item[klen] != ':' &&
           !isspace((unsigned char)item[klen]))
        klen++;
    const char *val = item + klen;
    size_t vlen = n - klen;
    trim(&val, &vlen);
    if (vlen > 0 && (val[0] == '=' || val[0] == ':')) {
        val++;
        vlen--;
        trim(&val, &vlen);
    }
    if (key_is(item, klen, "version"))
        return 0;
    int64_t id;
    if (!starts_with(item, klen, "server.") ||
        !parse_id(item + 7, klen - 7, &id))
        return bad(err, errlen,
                   "new members: expected server.N=spec, got \"%.*s\"", q,
                   item);
    struct coord_config_server srv;
    int rc = parse_spec(id, val, vlen, &srv, err, errlen);
    if (rc != 0)
        return rc;
    return put_take(next, &srv); /* a repeated key wins, as in Java */
}

static int apply_bulk(struct dyncfg *next, const char *members, char *err,
                      size_t errlen)
{
    const char *p = members, *item;
    size_t n;
    while (next_item(&p, ",\n", &item, &n)) {
        int rc = apply_bulk_entry(next, item, n, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

size_t dyncfg_voters(const struct dyncfg *c)
{
    size_t v = 0;
    for (size_t i = 0; i < c->n; i++)
        v += !c->s[i].observer;
    return v;
}

int dyncfg_apply(const struct dyncfg *cur, const char *joining,
                 const char *leaving, const char *new_members,
                 struct dyncfg *out, char *err, size_t errlen)
{
    *out = (struct dyncfg){0};
    if (errlen > 0)
        err[0] = '\0';
    int rc;
    if (!is_blank(new_members)) {
        /* ZooKeeper looks at newMembers first and then ignores the rest */
        rc = apply_bulk(out, new_members, err, errlen);
    } else if ((rc = copy_all(cur, out)) == 0) {
        /* leavers first, then joiners, as PrepRequestProcessor does; with
         * neither, the membership stays as it is */
        if (!is_blank(leaving))
            rc = apply_leaving(out, leaving, err, errlen);
        if (rc == 0 && !is_blank(joining))
            rc = apply_joining(out, joining, err, errlen);
    }
    if (rc == 0 && dyncfg_voters(out) == 0)
        rc = bad(err, errlen, "the new configuration must include at least "
                              "one participant");
    if (rc != 0)
        dyncfg_free(out);
    return rc;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool dyncfg_equal(const struct dyncfg *a, const struct dyncfg *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct coord_config_server *x = &a->s[i], *y = &b->s[i];
        if (x->id != y->id || !same_str(x->host, y->host) ||
            x->peer_port != y->peer_port ||
            x->election_port != y->election_port ||
            x->observer != y->observer || x->client_port != y->client_port ||
            (x->client_port != 0 &&
             !same_str(x->client_host ? x->client_host : "0.0.0.0",
                       y->client_host ? y->client_host : "0.0.0.0")))
            return false;
    }
    return true;
}

const struct coord_config_server *dyncfg_find(const struct dyncfg *c,
                                              int64_t id)
{
    bool found;
    size_t i = position(c, id, &found);
    return found ? &c->s[i] : NULL;
}
