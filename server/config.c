/* zoo.cfg parsing: Java-properties lines into a checked struct coord_config. */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/err.h"
#include "server/log.h"

const char *const coord_config_4lw_names[] = {
    "ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "wchs",
    "wchc", "wchp", "dump", "envi", "isro", "dirs", "gtmk", "stmk", "hash",
    NULL,
};

/* Where a setting comes from, for error messages. */
struct ctx {
    const char *path; /* NULL for coord_config_set() */
    int line;
    const char *key;  /* as the user wrote it */
    const char *value;
    char *err;
    size_t errlen;
};

struct key;
typedef int (*set_fn)(struct coord_config *cfg, const struct key *k,
                      struct ctx *c);

struct key {
    const char *name;
    const char *alias; /* usually the Java system property spelling */
    set_fn set;
    size_t off;
    long min, max;
};

static int fail(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Formats `path:line: key: <message>` into c->err; returns COORD_EINVAL. */
static int fail(struct ctx *c, const char *fmt, ...)
{
    if (c->errlen == 0)
        return COORD_EINVAL;
    int n = 0;
    if (c->path != NULL)
        n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, c->line);
    if (n >= 0 && (size_t)n < c->errlen)
        n += snprintf(c->err + n, c->errlen - n, "%s: ", c->key);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - n, fmt, ap);
        va_end(ap);
    }
    return COORD_EINVAL;
}

char *coord_config_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* Replaces an owned string field. */
static int put_str(char **field, const char *s)
{
    char *p = NULL;
    if (s != NULL && (p = coord_config_strdup(s)) == NULL)
        return COORD_ENOMEM;
    free(*field);
    *field = p;
    return 0;
}

/* A whole-string integer; base 0 also takes 0x... (as Java's decode). */
static bool parse_long(const char *s, int base, long *out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, base);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static int bad_range(struct ctx *c, long min, long max)
{
    if (min == 1 && (max == INT_MAX || max == LONG_MAX))
        return fail(c, "expected a positive integer, got \"%s\"", c->value);
    if (min == 0 && (max == INT_MAX || max == LONG_MAX))
        return fail(c, "expected a non-negative integer, got \"%s\"",
                    c->value);
    return fail(c, "expected an integer from %ld to %ld, got \"%s\"", min,
                max, c->value);
}

static int get_ranged(const struct key *k, struct ctx *c, int base, long *v)
{
    if (!parse_long(c->value, base, v) || *v < k->min || *v > k->max)
        return bad_range(c, k->min, k->max);
    return 0;
}

static int set_int(struct coord_config *cfg, const struct key *k,
                   struct ctx *c)
{
    long v;
    int rc = get_ranged(k, c, 10, &v);
    if (rc == 0)
        *(int *)((char *)cfg + k->off) = (int)v;
    return rc;
}

static int set_long(struct coord_config *cfg, const struct key *k,
                    struct ctx *c)
{
    long v;
    int rc = get_ranged(k, c, 10, &v);
    if (rc == 0)
        *(long *)((char *)cfg + k->off) = v;
    return rc;
}

/* jute.maxbuffer is read with Integer.getInteger, which takes hex too. */
static int set_long_any_base(struct coord_config *cfg, const struct key *k,
                             struct ctx *c)
{
    long v;
    int rc = get_ranged(k, c, 0, &v);
    if (rc == 0)
        *(long *)((char *)cfg + k->off) = v;
    return rc;
}

static int set_port(struct coord_config *cfg, const struct key *k,
                    struct ctx *c)
{
    long v;
    if (!parse_long(c->value, 10, &v) || v < k->min || v > 65535)
        return fail(c, "expected a port number from %ld to 65535, got \"%s\"",
                    k->min, c->value);
    *(int *)((char *)cfg + k->off) = (int)v;
    return 0;
}

/* -1 asks for the value derived from tickTime. */
static int set_session(struct coord_config *cfg, const struct key *k,
                       struct ctx *c)
{
    long v;
    if (!parse_long(c->value, 10, &v) || v == 0 || v < -1 || v > INT_MAX)
        return fail(c, "expected a positive integer or -1, got \"%s\"",
                    c->value);
    *(int *)((char *)cfg + k->off) = (int)v;
    return 0;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static int set_bool(struct coord_config *cfg, const struct key *k,
                    struct ctx *c)
{
    bool v;
    if (!parse_bool(c->value, &v))
        return fail(c, "expected true or false (yes or no), got \"%s\"",
                    c->value);
    *(bool *)((char *)cfg + k->off) = v;
    return 0;
}

static int set_str(struct coord_config *cfg, const struct key *k,
                   struct ctx *c)
{
    if (c->value[0] == '\0')
        return fail(c, "expected a value, got an empty string");
    return put_str((char **)((char *)cfg + k->off), c->value);
}

static int set_ignore(struct coord_config *cfg, const struct key *k,
                      struct ctx *c)
{
    return 0;
}

static int add_warning(struct coord_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int add_warning(struct coord_config *cfg, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **w = realloc(cfg->warnings, (cfg->n_warnings + 1) * sizeof *w);
    if (w == NULL)
        return COORD_ENOMEM;
    cfg->warnings = w;
    if ((w[cfg->n_warnings] = coord_config_strdup(line)) == NULL)
        return COORD_ENOMEM;
    cfg->n_warnings++;
    return 0;
}

/* Without fsync an acknowledged write can vanish in a crash: say so. */
static int set_force_sync(struct coord_config *cfg, const struct key *k,
                          struct ctx *c)
{
    int rc = set_bool(cfg, k, c);
    if (rc != 0 || cfg->force_sync)
        return rc;
    return add_warning(cfg,
                       "config: fsync disabled key=%s line=%d, acknowledged "
                       "writes can be lost if the machine crashes",
                       c->key, c->line);
}

/* ZooKeeper raises a retain count below 3 to 3 rather than refusing it. */
static int set_retain(struct coord_config *cfg, const struct key *k,
                      struct ctx *c)
{
    long v;
    if (!parse_long(c->value, 10, &v) || v < 0 || v > INT_MAX)
        return bad_range(c, 0, INT_MAX);
    cfg->snap_retain_count = v < 3 ? 3 : (int)v;
    if (v < 3)
        return add_warning(cfg,
                           "config: value raised key=%s value=%ld line=%d "
                           "min=3",
                           c->key, v, c->line);
    return 0;
}

static int set_log_level(struct coord_config *cfg, const struct key *k,
                         struct ctx *c)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    static const int levels[] = {LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(c->value, names[i]) == 0) {
            cfg->log_level = levels[i];
            return 0;
        }
    }
    return fail(c, "expected error, warn, info or debug, got \"%s\"",
                c->value);
}

static int set_peer_type(struct coord_config *cfg, const struct key *k,
                         struct ctx *c)
{
    if (strcasecmp(c->value, "participant") == 0)
        cfg->observer = false;
    else if (strcasecmp(c->value, "observer") == 0)
        cfg->observer = true;
    else
        return fail(c, "expected participant or observer, got \"%s\"",
                    c->value);
    return 0;
}

static int set_client_auth(struct coord_config *cfg, const struct key *k,
                           struct ctx *c)
{
    static const char *const names[] = {"none", "want", "need"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(c->value, names[i]) == 0) {
            cfg->ssl_client_auth = i;
            return 0;
        }
    }
    return fail(c, "expected none, want or need, got \"%s\"", c->value);
}

/* The oldest TLS version accepted; "TLS" is ZooKeeper's any-version. */
static int set_ssl_protocol(struct coord_config *cfg, const struct key *k,
                            struct ctx *c)
{
    if (strcasecmp(c->value, "TLSv1.2") == 0 ||
        strcasecmp(c->value, "TLS") == 0)
        cfg->ssl_min_protocol = 12;
    else if (strcasecmp(c->value, "TLSv1.3") == 0)
        cfg->ssl_min_protocol = 13;
    else
        return fail(c, "expected TLSv1.2 or TLSv1.3, got \"%s\"",
                    c->value);
    return 0;
}

/* ZooKeeper's key and trust stores: usable when they are PEM files (its
 * ssl.keyStore.type=PEM); a JKS or PKCS12 store is ignored with a warning,
 * and a TLS listener then lacks its certificate and refuses to start. */
static int set_pem_store(struct coord_config *cfg, const struct key *k,
                         struct ctx *c)
{
    size_t n = strlen(c->value);
    if (n < 4 || strcasecmp(c->value + n - 4, ".pem") != 0)
        return add_warning(cfg,
                           "config: ignored key=%s line=%d, only PEM files "
                           "(*.pem) are supported",
                           c->key, c->line);
    return set_str(cfg, k, c);
}

/* Only the fast leader election (3) survives in current ZooKeeper. */
static int set_election_alg(struct coord_config *cfg, const struct key *k,
                            struct ctx *c)
{
    if (strcmp(c->value, "3") != 0)
        return fail(c, "only 3 (fast leader election) is supported, got "
                       "\"%s\"",
                    c->value);
    cfg->election_alg = 3;
    return 0;
}

uint32_t coord_config_4lw_bit(const char *word)
{
    for (size_t i = 0; coord_config_4lw_names[i] != NULL; i++)
        if (strcmp(word, coord_config_4lw_names[i]) == 0)
            return 1u << i;
    return 0;
}

/* Comma-separated words; blanks around them and empty items are ignored. */
static int set_whitelist(struct coord_config *cfg, const struct key *k,
                         struct ctx *c)
{
    uint32_t bits = 0;
    const char *p = c->value;
    while (*p != '\0') {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ',' && !isspace((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0)
            continue;
        char word[8];
        if (n == 1 && *start == '*') {
            bits |= COORD_4LW_ALL;
            continue;
        }
        uint32_t bit = 0;
        if (n < sizeof word) {
            memcpy(word, start, n);
            word[n] = '\0';
            bit = coord_config_4lw_bit(word);
        }
        if (bit == 0)
            return fail(c, "unknown four-letter word \"%.*s\" (known: ruok "
                           "srvr stat mntr conf cons crst srst wchs wchc wchp "
                           "dump envi isro dirs gtmk stmk hash, or *)",
                        (int)(n > 40 ? 40 : n), start);
        bits |= bit;
    }
    cfg->four_letter_words = bits;
    cfg->four_letter_words_set = true;
    return 0;
}

/* A SHA-1 digest in base64 is 27 alphabet characters and one '='. */
static bool is_digest_b64(const char *s)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (strlen(s) != 28 || s[27] != '=')
        return false;
    for (size_t i = 0; i < 27; i++)
        if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
            return false;
    /* the last character carries 2 bits of padding, which must be zero */
    size_t last = (size_t)(strchr(alphabet, s[26]) - alphabet);
    return (last & 3) == 0;
}

static int set_super_digest(struct coord_config *cfg, const struct key *k,
                            struct ctx *c)
{
    const char *colon = strchr(c->value, ':');
    if (colon == NULL || colon == c->value || !is_digest_b64(colon + 1))
        return fail(c, "expected user:BASE64 with the base64 of a 20-byte "
                       "SHA-1 digest, got \"%s\"",
                    c->value);
    return put_str(&cfg->super_digest, c->value);
}

static void sasl_users_clear(struct coord_config *cfg)
{
    for (size_t i = 0; i < cfg->n_sasl_users; i++) {
        free(cfg->sasl_users[i].user);
        free(cfg->sasl_users[i].password);
    }
    free(cfg->sasl_users);
    cfg->sasl_users = NULL;
    cfg->n_sasl_users = 0;
}

/*
 * sasl.digest.users=user:password[,user:password...]: blanks around an entry
 * are dropped, the password runs from the first ':' to the next ','. Errors
 * name the entry by number, never echo a password. A later line replaces
 * the whole list.
 */
static int set_sasl_users(struct coord_config *cfg, const struct key *k,
                          struct ctx *c)
{
    struct coord_config_sasl_user *list = NULL;
    size_t n = 0;
    int rc = 0;
    const char *p = c->value;
    for (size_t entry = 1;; entry++) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        const char *colon = memchr(b, ':', (size_t)(e - b));
        if (colon == NULL || colon == b || colon + 1 == e) {
            rc = fail(c, "entry %zu: expected user:password (a non-empty "
                         "user and password), entries separated by ','",
                      entry);
            goto out;
        }
        size_t ulen = (size_t)(colon - b);
        for (size_t i = 0; i < n; i++) {
            if (strlen(list[i].user) == ulen &&
                memcmp(list[i].user, b, ulen) == 0) {
                rc = fail(c, "entry %zu: user \"%.*s\" given twice", entry,
                          (int)ulen, b);
                goto out;
            }
        }
        struct coord_config_sasl_user *grown =
            realloc(list, (n + 1) * sizeof *list);
        if (grown == NULL) {
            rc = COORD_ENOMEM;
            goto out;
        }
        list = grown;
        list[n].user = strndup(b, ulen);
        list[n].password = strndup(colon + 1, (size_t)(e - colon - 1));
        n++;
        if (list[n - 1].user == NULL || list[n - 1].password == NULL) {
            rc = COORD_ENOMEM;
            goto out;
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    sasl_users_clear(cfg);
    cfg->sasl_users = list;
    cfg->n_sasl_users = n;
    return 0;
out:
    for (size_t i = 0; i < n; i++) {
        free(list[i].user);
        free(list[i].password);
    }
    free(list);
    return rc;
}

/* sasl.gssapi.principal=service/host@REALM: all three parts are needed
 * (the service and host name the acceptor, the realm completes the
 * identity of a client of that realm; see sasl.c). */
static int set_sasl_principal(struct coord_config *cfg, const struct key *k,
                              struct ctx *c)
{
    const char *v = c->value, *slash = strchr(v, '/'), *at = strrchr(v, '@');
    if (slash == NULL || slash == v || at == NULL || at < slash ||
        at == slash + 1 || at[1] == '\0' || strchr(slash + 1, '/') != NULL)
        return fail(c, "expected service/host@REALM, got \"%s\"", v);
    return set_str(cfg, k, c);
}

static const struct key keys[] = {
#define OFF(f) offsetof(struct coord_config, f)
    {"tickTime", NULL, set_int, OFF(tick_time), 1, INT_MAX},
    {"initLimit", NULL, set_int, OFF(init_limit), 1, INT_MAX},
    {"syncLimit", NULL, set_int, OFF(sync_limit), 1, INT_MAX},
    {"minSessionTimeout", NULL, set_session, OFF(min_session_timeout), 0, 0},
    {"maxSessionTimeout", NULL, set_session, OFF(max_session_timeout), 0, 0},
    {"dataDir", NULL, set_str, OFF(data_dir), 0, 0},
    {"dataLogDir", NULL, set_str, OFF(data_log_dir), 0, 0},
    {"snapCount", "zookeeper.snapCount", set_long, OFF(snap_count), 2,
     LONG_MAX},
    {"autopurge.snapRetainCount", NULL, set_retain, 0, 0, 0},
    {"autopurge.purgeInterval", NULL, set_int, OFF(purge_interval), 0,
     INT_MAX},
    {"forceSync", "zookeeper.forceSync", set_force_sync, OFF(force_sync), 0,
     0},
    {"preAllocSize", "zookeeper.preAllocSize", set_long,
     OFF(pre_alloc_size_kb), 1, LONG_MAX / 1024},
    {"clientPort", NULL, set_port, OFF(client_port), 1, 0},
    {"clientPortAddress", NULL, set_str, OFF(client_port_address), 0, 0},
    {"secureClientPort", NULL, set_port, OFF(secure_client_port), 0, 0},
    {"secureClientPortAddress", NULL, set_str,
     OFF(secure_client_port_address), 0, 0},
    {"ssl.certFile", NULL, set_str, OFF(ssl_cert_file), 0, 0},
    {"ssl.keyFile", NULL, set_str, OFF(ssl_key_file), 0, 0},
    {"ssl.caFile", NULL, set_str, OFF(ssl_ca_file), 0, 0},
    {"ssl.keyStore.location", "zookeeper.ssl.keyStore.location",
     set_pem_store, OFF(ssl_key_store), 0, 0},
    {"ssl.trustStore.location", "zookeeper.ssl.trustStore.location",
     set_pem_store, OFF(ssl_trust_store), 0, 0},
    {"ssl.keyStore.password", "zookeeper.ssl.keyStore.password", set_str,
     OFF(ssl_key_password), 0, 0},
    {"ssl.clientAuth", "zookeeper.ssl.clientAuth", set_client_auth, 0, 0, 0},
    {"ssl.protocol", "zookeeper.ssl.protocol", set_ssl_protocol, 0, 0, 0},
    {"sslQuorum", NULL, set_bool, OFF(ssl_quorum), 0, 0},
    {"clientPortListenBacklog", NULL, set_int,
     OFF(client_port_listen_backlog), -1, INT_MAX},
    {"maxClientCnxns", NULL, set_int, OFF(max_client_cnxns), 0, INT_MAX},
    {"connectionThrottleRate", NULL, set_int, OFF(connection_throttle_rate), 0,
     INT_MAX},
    {"connectionThrottleBurst", NULL, set_int, OFF(connection_throttle_burst),
     1, INT_MAX},
    {"httpPort", NULL, set_port, OFF(http_port), 0, 0},
    {"httpPortAddress", NULL, set_str, OFF(http_port_address), 0, 0},
    {"httpsPort", NULL, set_port, OFF(https_port), 0, 0},
    {"httpsPortAddress", NULL, set_str, OFF(https_port_address), 0, 0},
    {"httpHistorySize", NULL, set_int, OFF(http_history_size), 0, 10000000},
    {"httpMaxQueuedBytes", NULL, set_long_any_base,
     OFF(http_max_queued_bytes), 4096, INT_MAX},
    {"jute.maxbuffer", "zookeeper.jute.maxbuffer", set_long_any_base,
     OFF(jute_maxbuffer), 1, INT_MAX},
    {"4lw.commands.whitelist", "zookeeper.4lw.commands.whitelist",
     set_whitelist, 0, 0, 0},
    {"reconfigEnabled", NULL, set_bool, OFF(reconfig_enabled), 0, 0},
    {"readonlymode.enabled", NULL, set_bool, OFF(readonly_enabled), 0, 0},
    {"extendedTypesEnabled", "zookeeper.extendedTypesEnabled", set_bool,
     OFF(extended_types_enabled), 0, 0},
    {"skipACL", "zookeeper.skipACL", set_bool, OFF(skip_acl), 0, 0},
    {"DigestAuthenticationProvider.superDigest",
     "zookeeper.DigestAuthenticationProvider.superDigest", set_super_digest,
     0, 0, 0},
    {"sasl.digest.users", NULL, set_sasl_users, 0, 0, 0},
    {"sasl.gssapi.keytab", NULL, set_str, OFF(sasl_gssapi_keytab), 0, 0},
    {"sasl.gssapi.principal", NULL, set_sasl_principal,
     OFF(sasl_gssapi_principal), 0, 0},
    {"znode.container.checkIntervalMs",
     "zookeeper.znode.container.checkIntervalMs", set_long,
     OFF(container_check_interval_ms), 1, LONG_MAX},
    {"znode.container.maxPerMinute", "zookeeper.znode.container.maxPerMinute",
     set_long, OFF(container_max_per_minute), 1, LONG_MAX},
    {"znode.container.maxNeverUsedIntervalMs",
     "zookeeper.znode.container.maxNeverUsedIntervalMs", set_long,
     OFF(container_max_never_used_interval_ms), 0, LONG_MAX},
    {"standaloneEnabled", NULL, set_bool, OFF(standalone_enabled), 0, 0},
    {"quorumListenOnAllIPs", NULL, set_bool, OFF(quorum_listen_on_all_ips),
     0, 0},
    {"syncEnabled", NULL, set_bool, OFF(sync_enabled), 0, 0},
    {"peerType", NULL, set_peer_type, 0, 0, 0},
    {"electionAlg", NULL, set_election_alg, 0, 0, 0},
    {"logLevel", NULL, set_log_level, 0, 0, 0},
    /* common in existing zoo.cfg files; nothing in coord uses them */
    {"dynamicConfigFile", NULL, set_ignore, 0, 0, 0},
    {"localSessionsEnabled", NULL, set_ignore, 0, 0, 0},
    {"localSessionsUpgradingEnabled", NULL, set_ignore, 0, 0, 0},
    {"maxCnxns", NULL, set_ignore, 0, 0, 0},
    {"globalOutstandingLimit", NULL, set_ignore, 0, 0, 0},
    {"serverCnxnFactory", "zookeeper.serverCnxnFactory", set_ignore, 0, 0, 0},
    {"portUnification", NULL, set_ignore, 0, 0, 0},
    {"leaderServes", NULL, set_ignore, 0, 0, 0},
    {"cnxTimeout", NULL, set_ignore, 0, 0, 0},
    {"connectToLearnerMasterLimit", NULL, set_ignore, 0, 0, 0},
    {"electionPortBindRetry", NULL, set_ignore, 0, 0, 0},
    {"snapSizeLimitInKb", NULL, set_ignore, 0, 0, 0},
    {"txnLogSizeLimitInKb", NULL, set_ignore, 0, 0, 0},
    {"commitLogCount", NULL, set_ignore, 0, 0, 0},
    {"fsync.warningthresholdms", "zookeeper.fsync.warningthresholdms",
     set_ignore, 0, 0, 0},
    {"audit.enable", NULL, set_ignore, 0, 0, 0},
#undef OFF
};

/* Families of keys accepted and ignored without a warning. */
static const char *const ignored_prefixes[] = {
    "admin.", "metricsProvider.", "ssl.", "zookeeper.ssl.", "group.",
    "weight.", "authProvider.", "quorum.", "multiAddress.", NULL,
};

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(name, keys[i].name) == 0 ||
            (keys[i].alias != NULL && strcmp(name, keys[i].alias) == 0))
            return &keys[i];
    return NULL;
}

static bool is_ignored(const char *name)
{
    for (size_t i = 0; ignored_prefixes[i] != NULL; i++)
        if (strncmp(name, ignored_prefixes[i], strlen(ignored_prefixes[i])) ==
            0)
            return true;
    return false;
}

/* A port in [1, 65535] from the n bytes at s. */
static bool parse_port(const char *s, size_t n, int *out)
{
    char tmp[8];
    long v;
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (!parse_long(tmp, 10, &v) || v < 1 || v > 65535)
        return false;
    *out = (int)v;
    return true;
}

/* "host" or "[v6]" up to the next ':' (or end); *end is past the host. */
static char *parse_host(const char *s, const char **end)
{
    const char *h = s, *e;
    if (*s == '[') {
        h = s + 1;
        e = strchr(h, ']');
        if (e == NULL)
            return NULL;
        *end = e + 1;
    } else {
        e = s + strcspn(s, ":");
        *end = e;
    }
    if (e == h)
        return NULL;
    char *p = malloc((size_t)(e - h) + 1);
    if (p != NULL) {
        memcpy(p, h, (size_t)(e - h));
        p[e - h] = '\0';
    }
    return p;
}

void coord_config_server_clear(struct coord_config_server *s)
{
    free(s->host);
    free(s->client_host);
    s->host = NULL;
    s->client_host = NULL;
}

/* The `[clientHost:]clientPort` after ';'. */
static bool parse_client(const char *s, struct coord_config_server *srv)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL)
        return parse_port(s, strlen(s), &srv->client_port);
    const char *end;
    srv->client_host = parse_host(s, &end);
    return srv->client_host != NULL && end == colon &&
           parse_port(colon + 1, strlen(colon + 1), &srv->client_port);
}

/* host:peerPort:electionPort[:participant|:observer] */
static bool parse_peer(const char *s, size_t len, struct coord_config_server *srv)
{
    char *tmp = malloc(len + 1);
    if (tmp == NULL)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    const char *p;
    bool ok = false;
    srv->host = parse_host(tmp, &p);
    if (srv->host == NULL || *p != ':')
        goto out_free;
    const char *q = strchr(++p, ':');
    if (q == NULL || !parse_port(p, (size_t)(q - p), &srv->peer_port))
        goto out_free;
    p = q + 1;
    q = p + strcspn(p, ":");
    if (!parse_port(p, (size_t)(q - p), &srv->election_port))
        goto out_free;
    if (*q == '\0')
        ok = true;
    else if (strcmp(q + 1, "participant") == 0)
        ok = true;
    else if (strcmp(q + 1, "observer") == 0)
        ok = srv->observer = true;
out_free:
    free(tmp);
    return ok;
}

int coord_config_parse_server(int64_t id, const char *value,
                              struct coord_config_server *out)
{
    *out = (struct coord_config_server){.id = id};
    const char *semi = strchr(value, ';');
    size_t peer_len = semi ? (size_t)(semi - value) : strlen(value);
    if (!parse_peer(value, peer_len, out) ||
        (semi != NULL && !parse_client(semi + 1, out))) {
        coord_config_server_clear(out);
        *out = (struct coord_config_server){.id = id};
        return COORD_EINVAL;
    }
    return 0;
}

static int set_server(struct coord_config *cfg, struct ctx *c)
{
    const char *num = c->key + strlen("server.");
    char *end;
    errno = 0;
    long long id = strtoll(num, &end, 10);
    if (*num < '0' || *num > '9' || *end != '\0' || errno != 0)
        return fail(c, "expected server.N with N a non-negative integer");
    if (strchr(c->value, '|') != NULL)
        return fail(c, "several addresses per server are not supported, got "
                       "\"%s\"",
                    c->value);

    struct coord_config_server srv;
    if (coord_config_parse_server(id, c->value, &srv) != 0)
        return fail(c, "expected host:port:port[:participant|:observer]"
                       "[;[host:]port], got \"%s\"",
                    c->value);

    /* a repeated key replaces the earlier line, as in Java properties */
    for (size_t i = 0; i < cfg->n_servers; i++) {
        if (cfg->servers[i].id == srv.id) {
            coord_config_server_clear(&cfg->servers[i]);
            cfg->servers[i] = srv;
            return 0;
        }
    }
    struct coord_config_server *v =
        realloc(cfg->servers, (cfg->n_servers + 1) * sizeof *v);
    if (v == NULL) {
        coord_config_server_clear(&srv);
        return COORD_ENOMEM;
    }
    cfg->servers = v;
    v[cfg->n_servers++] = srv;
    return 0;
}

static int add_unknown(struct coord_config *cfg, const char *key, int line)
{
    struct coord_config_unknown *u =
        realloc(cfg->unknown, (cfg->n_unknown + 1) * sizeof *u);
    if (u == NULL)
        return COORD_ENOMEM;
    cfg->unknown = u;
    if ((u[cfg->n_unknown].key = coord_config_strdup(key)) == NULL)
        return COORD_ENOMEM;
    u[cfg->n_unknown++].line = line;
    return 0;
}

static int set_one(struct coord_config *cfg, struct ctx *c)
{
    if (strncmp(c->key, "server.", 7) == 0)
        return set_server(cfg, c);
    const struct key *k = find_key(c->key);
    if (k != NULL)
        return k->set(cfg, k, c);
    /* ZooKeeper's separate quorum TLS section: coord has one for all */
    if (strncmp(c->key, "ssl.quorum.", 11) == 0 ||
        strncmp(c->key, "zookeeper.ssl.quorum.", 21) == 0)
        return add_warning(cfg,
                           "config: ignored key=%s line=%d, peer links use "
                           "the ssl.* keys (one TLS section for every "
                           "listener)",
                           c->key, c->line);
    if (is_ignored(c->key))
        return 0;
    return add_unknown(cfg, c->key, c->line);
}

int coord_config_defaults(struct coord_config *cfg)
{
    *cfg = (struct coord_config){
        .tick_time = 2000,
        .init_limit = 10,
        .sync_limit = 5,
        .min_session_timeout = -1,
        .max_session_timeout = -1,
        .snap_count = 100000,
        .snap_retain_count = 3,
        .purge_interval = 1,
        .force_sync = true,
        .pre_alloc_size_kb = 65536,
        .client_port = 2181,
        .secure_client_port = 0,
        .https_port = 0,
        .client_port_listen_backlog = -1,
        .max_client_cnxns = 60,
        .connection_throttle_burst = 100,
        .ssl_client_auth = COORD_SSL_AUTH_NEED,
        .ssl_min_protocol = 12,
        .http_history_size = 10000,
        .http_max_queued_bytes = 1048576,
        .jute_maxbuffer = 1048575,
        .four_letter_words = COORD_4LW_SRVR,
        .extended_types_enabled = true,
        .container_check_interval_ms = 60000,
        .container_max_per_minute = 10000,
        .container_max_never_used_interval_ms = 0,
        .standalone_enabled = true,
        .sync_enabled = true,
        .election_alg = 3,
        .log_level = LOG_INFO,
    };
    if (put_str(&cfg->data_dir, "./coord-data") != 0 ||
        put_str(&cfg->client_port_address, "127.0.0.1") != 0)
        return COORD_ENOMEM;
    return 0;
}

void coord_config_free(struct coord_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->data_dir);
    free(cfg->data_log_dir);
    free(cfg->client_port_address);
    free(cfg->secure_client_port_address);
    free(cfg->http_port_address);
    free(cfg->https_port_address);
    free(cfg->ssl_cert_file);
    free(cfg->ssl_key_file);
    free(cfg->ssl_ca_file);
    free(cfg->ssl_key_store);
    free(cfg->ssl_trust_store);
    free(cfg->ssl_key_password);
    free(cfg->super_digest);
    sasl_users_clear(cfg);
    free(cfg->sasl_gssapi_keytab);
    free(cfg->sasl_gssapi_principal);
    for (size_t i = 0; i < cfg->n_servers; i++)
        coord_config_server_clear(&cfg->servers[i]);
    free(cfg->servers);
    for (size_t i = 0; i < cfg->n_unknown; i++)
        free(cfg->unknown[i].key);
    free(cfg->unknown);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    memset(cfg, 0, sizeof *cfg);
}

int coord_config_set(struct coord_config *cfg, const char *key,
                     const char *value, char *err, size_t errlen)
{
    struct ctx c = {NULL, 0, key, value, err, errlen};
    if (errlen > 0)
        err[0] = '\0';
    return set_one(cfg, &c);
}

/*
 * Java properties escapes, in place: \t \n \r \f, and \X for any other X
 * (\uXXXX is kept as written; zoo.cfg files do not use it).
 */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r != '\0'; r++) {
        if (*r != '\\' || r[1] == '\0' || r[1] == 'u') {
            *w++ = *r;
            continue;
        }
        r++;
        *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r'
             : *r == 'f' ? '\f' : *r;
    }
    *w = '\0';
}

/* True when the line ends in an odd number of backslashes (continued). */
static bool is_continued(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && s[len - 1 - n] == '\\')
        n++;
    return n % 2 == 1;
}

static void chomp(char *s, size_t *len)
{
    while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
        s[--*len] = '\0';
}

/*
 * Splits one logical line into key and value, in place. Returns false for
 * blank and comment lines. The key ends at the first unescaped '=', ':' or
 * blank; then blanks, at most one '=' or ':', and blanks are skipped.
 */
static bool split_line(char *s, char **key, char **value)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0' || *s == '#' || *s == '!')
        return false;
    char *k = s;
    while (*s != '\0' && *s != '=' && *s != ':' && !isspace((unsigned char)*s))
        s += (*s == '\\' && s[1] != '\0') ? 2 : 1;
    char *kend = s;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '=' || *s == ':')
        s++;
    while (isspace((unsigned char)*s))
        s++;
    *kend = '\0';
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    unescape(k);
    unescape(s);
    *key = k;
    *value = s;
    return true;
}

static int effective_min(const struct coord_config *cfg)
{
    return cfg->min_session_timeout >= 0 ? cfg->min_session_timeout
                                         : 2 * cfg->tick_time;
}

static int effective_max(const struct coord_config *cfg)
{
    return cfg->max_session_timeout >= 0 ? cfg->max_session_timeout
                                         : 20 * cfg->tick_time;
}

/* Checks min <= max session timeout, blaming the key set on the later line. */
static int check_sessions(const struct coord_config *cfg, struct ctx *c,
                          int min_line, int max_line)
{
    int lo = effective_min(cfg), hi = effective_max(cfg);
    if (lo <= hi)
        return 0;
    if (min_line > max_line) {
        c->key = "minSessionTimeout";
        c->line = min_line;
        return fail(c, "%d is larger than maxSessionTimeout %d", lo, hi);
    }
    c->key = "maxSessionTimeout";
    c->line = max_line;
    return fail(c, "%d is smaller than minSessionTimeout %d", hi, lo);
}

int coord_config_check(const struct coord_config *cfg, char *err,
                       size_t errlen)
{
    struct ctx c = {NULL, 0, "", "", err, errlen};
    if (errlen > 0)
        err[0] = '\0';
    if (cfg->sasl_gssapi_keytab != NULL && cfg->sasl_gssapi_principal == NULL) {
        c.key = "sasl.gssapi.keytab";
        return fail(&c, "needs sasl.gssapi.principal (service/host@REALM)");
    }
    return check_sessions(cfg, &c, 0, 0);
}

/* Reads one physical line with getline(); joins continued lines. */
static int read_logical(FILE *f, char **line, size_t *cap, int *lineno,
                        size_t *len_out)
{
    ssize_t n = getline(line, cap, f);
    if (n < 0)
        return ferror(f) ? COORD_EIO : 1;
    (*lineno)++;
    size_t len = (size_t)n;
    chomp(*line, &len);
    while (is_continued(*line, len)) {
        (*line)[--len] = '\0';
        char *next = NULL;
        size_t ncap = 0;
        ssize_t m = getline(&next, &ncap, f);
        if (m < 0) {
            free(next);
            break;
        }
        (*lineno)++;
        size_t mlen = (size_t)m;
        chomp(next, &mlen);
        char *t = next;
        while (isspace((unsigned char)*t))
            t++;
        size_t tlen = strlen(t);
        if (len + tlen + 1 > *cap) {
            char *grown = realloc(*line, len + tlen + 1);
            if (grown == NULL) {
                free(next);
                return COORD_ENOMEM;
            }
            *line = grown;
            *cap = len + tlen + 1;
        }
        memcpy(*line + len, t, tlen + 1);
        len += tlen;
        free(next);
    }
    *len_out = len;
    return 0;
}

int coord_config_load(struct coord_config *cfg, const char *path, char *err,
                      size_t errlen)
{
    struct ctx c = {path, 0, "", "", err, errlen};
    if (errlen > 0)
        err[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errlen > 0)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return COORD_EIO;
    }
    char *line = NULL;
    size_t cap = 0, len;
    int lineno = 0, min_line = 0, max_line = 0, rc;
    for (;;) {
        int first = lineno + 1;
        rc = read_logical(f, &line, &cap, &lineno, &len);
        if (rc != 0)
            break;
        char *key, *value;
        if (!split_line(line, &key, &value))
            continue;
        c.line = first;
        c.key = key;
        c.value = value;
        if ((rc = set_one(cfg, &c)) != 0)
            break;
        const struct key *k = find_key(key);
        if (k != NULL && k->set == set_session)
            *(k->off == offsetof(struct coord_config, min_session_timeout)
                  ? &min_line
                  : &max_line) = first;
    }
    if (rc == COORD_EIO && errlen > 0)
        snprintf(err, errlen, "%s:%d: read error: %s", path, lineno + 1,
                 strerror(errno));
    else if (rc == COORD_ENOMEM && errlen > 0)
        snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
    free(line);
    fclose(f);
    if (rc < 0)
        return rc;
    return check_sessions(cfg, &c, min_line, max_line);
}

void coord_config_finish(struct coord_config *cfg)
{
    cfg->min_session_timeout = effective_min(cfg);
    cfg->max_session_timeout = effective_max(cfg);
    if (!cfg->four_letter_words_set)
        cfg->four_letter_words =
            COORD_4LW_SRVR | (cfg->readonly_enabled ? COORD_4LW_ISRO : 0);
    /* ZooKeeper keeps srvr on whatever the whitelist says */
    cfg->four_letter_words |= COORD_4LW_SRVR;
}

bool coord_config_4lw_allowed(const struct coord_config *cfg,
                              const char *word)
{
    uint32_t bit = coord_config_4lw_bit(word);
    return bit != 0 && (cfg->four_letter_words & bit) != 0;
}

int coord_config_write(const struct coord_config *cfg, struct buf *out)
{
    buf_printf(out, "clientPort=%d\n", cfg->client_port);
    if (cfg->secure_client_port > 0)
        buf_printf(out, "secureClientPort=%d\n", cfg->secure_client_port);
    if (cfg->http_port > 0)
        buf_printf(out, "httpPort=%d\n", cfg->http_port);
    if (cfg->https_port > 0)
        buf_printf(out, "httpsPort=%d\n", cfg->https_port);
    buf_printf(out, "dataDir=%s\n", cfg->data_dir);
    buf_printf(out, "dataLogDir=%s\n",
               cfg->data_log_dir ? cfg->data_log_dir : cfg->data_dir);
    buf_printf(out, "tickTime=%d\n", cfg->tick_time);
    buf_printf(out, "maxClientCnxns=%d\n", cfg->max_client_cnxns);
    buf_printf(out, "minSessionTimeout=%d\n", effective_min(cfg));
    buf_printf(out, "maxSessionTimeout=%d\n", effective_max(cfg));
    buf_printf(out, "clientPortListenBacklog=%d\n",
               cfg->client_port_listen_backlog);
    buf_printf(out, "serverId=%lld\n", (long long)cfg->server_id);
    return out->err;
}
