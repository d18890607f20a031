/* coordctl: a zkCli-style shell and one-shot command runner on libcoord.
 *
 * Only the public API (include/coord.h) is used. libcoord runs in thread
 * mode; commands use the blocking wrappers from the main thread, and watch
 * events arrive on the library's thread, where they are printed whole under
 * out_lock so they never interleave with a command's own lines. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>
#include <jansson.h>

#include "coord.h"

/* Exit statuses (coordctl(1)). */
#define ST_OK 0
#define ST_SERVER 1
#define ST_USAGE 2
#define ST_CONN 3
/* Not an exit status: the shell's quit command. */
#define ST_QUIT (-1)

#define DEFAULT_HOSTS "127.0.0.1:2181"
#define DEFAULT_TIMEOUT_MS 10000
#define MAX_DATA (16u << 20)
#define HISTORY_MAX 1000

struct ctl {
    struct coord *c;
    const char *hosts;
    int timeout_ms;
    bool json;        /* --json given on the command line */
    bool debug;
    bool tls;         /* --tls or any --tls-* file */
    bool tls_skip_name;
    const char *tls_ca, *tls_cert, *tls_key;
    bool tty;         /* the shell reads a terminal through libedit */
    char *histfile;
    int ncmds;        /* commands run, shown in the prompt */
    pthread_mutex_t lock; /* guards state */
    pthread_cond_t cond;
    int state;
    int wake[2];      /* self-pipe: SIGINT and final states end `watch` */
};

static struct ctl g = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .wake = {-1, -1},
};
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
/* Watch contexts: which format the event line is printed in. */
static int watch_text = 0, watch_json = 1;

/* Parsed arguments of one command. Flags are single letters; `--json` and
 * `--force` are the only long ones; `--` ends the options. */
struct args {
    bool flag[128];
    const char *val[128];
    int argc;
    char **argv;
    bool json;
    bool force;
};

struct cmd {
    const char *name;
    /* getopt style: a letter, ':' if it takes a value; NULL: every word but
     * --json goes to argv and the command parses its own (long) options */
    const char *opts;
    int min_args, max_args;
    const char *usage;
    int (*fn)(struct args *a);
};

/* --- output helpers --- */

__attribute__((format(printf, 1, 2)))
static void err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&out_lock);
    fflush(stdout);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&out_lock);
    va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static void debug(const char *fmt, ...)
{
    va_list ap;
    if (!g.debug)
        return;
    va_start(ap, fmt);
    pthread_mutex_lock(&out_lock);
    fputs("coordctl: debug: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&out_lock);
    va_end(ap);
}

static bool is_conn_error(int rc)
{
    return rc == COORD_ECONNECTIONLOSS || rc == COORD_EOPERATIONTIMEOUT ||
           rc == COORD_ESESSIONEXPIRED || rc == COORD_ECLOSED ||
           rc == COORD_EREQUESTTIMEOUT || rc == COORD_ESESSIONMOVED ||
           (rc == COORD_EAUTHFAILED && g.c != NULL &&
            coord_state(g.c) == COORD_AUTH_FAILED);
}

/* Reports a failed call on `path` in one line and returns the exit status. */
static int fail(int rc, const char *path)
{
    if (path == NULL)
        path = "";
    switch (rc) {
    case COORD_ENONODE:
        err("Node does not exist: %s", path);
        return ST_SERVER;
    case COORD_ENODEEXISTS:
        err("Node already exists: %s", path);
        return ST_SERVER;
    case COORD_EBADVERSION:
        err("version No is not valid : %s", path);
        return ST_SERVER;
    case COORD_ENOAUTH:
        err("Insufficient permission : %s", path);
        return ST_SERVER;
    case COORD_ENOTEMPTY:
        err("Node not empty: %s", path);
        return ST_SERVER;
    case COORD_ENOCHILDRENFOREPHEMERALS:
        err("Ephemerals cannot have children: %s", path);
        return ST_SERVER;
    case COORD_EINVALIDACL:
        err("Acl is not valid : %s", path);
        return ST_SERVER;
    case COORD_ENOWATCHER:
        err("No watcher of that type on: %s", path);
        return ST_SERVER;
    case COORD_EBADARGUMENTS:
        err("Path is not valid: %s", path);
        return ST_USAGE;
    case COORD_EUNIMPLEMENTED:
        err("Not supported by the server: %s", path);
        return ST_SERVER;
    default:
        break;
    }
    if (rc == COORD_ESESSIONEXPIRED) {
        err("Session expired: connection to %s lost", g.hosts);
        return ST_CONN;
    }
    if (rc == COORD_EAUTHFAILED) {
        err("Authentication failed: the server closed the session");
        return is_conn_error(rc) ? ST_CONN : ST_SERVER;
    }
    if (is_conn_error(rc)) {
        err("Connection lost: %s (%s) on %s", coord_strerror(rc),
            g.hosts, path);
        return ST_CONN;
    }
    err("Error: %s (%s): %s", coord_strerror(rc),
        coord_errname(rc) ? coord_errname(rc) : "?", path);
    return ST_SERVER;
}

static void emit_json(json_t *o, size_t flags)
{
    char *s = json_dumps(o, flags ? flags : JSON_COMPACT);
    json_decref(o);
    if (s == NULL) {
        err("Error: out of memory");
        return;
    }
    pthread_mutex_lock(&out_lock);
    puts(s);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    free(s);
}

static const char base64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const unsigned char *p, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1);
    char *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = base64_chars[(v >> 18) & 63];
        *o++ = base64_chars[(v >> 12) & 63];
        *o++ = i + 1 < n ? base64_chars[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? base64_chars[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Decodes into a malloc'd buffer; -1 on a malformed string. */
static int base64_decode(const char *s, char **out, size_t *len)
{
    size_t n = strlen(s), k = 0;
    uint32_t v = 0;
    int bits = 0;
    char *buf = malloc(n / 4 * 3 + 3);
    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *q;
        if (s[i] == '=')
            break;
        q = strchr(base64_chars, s[i]);
        if (q == NULL || s[i] == '\0') {
            free(buf);
            return -1;
        }
        v = (v << 6) | (uint32_t)(q - base64_chars);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[k++] = (char)((v >> bits) & 0xff);
        }
    }
    *out = buf;
    *len = k;
    return 0;
}

/* Sets "data" (and "encoding" when not UTF-8) on o. */
static void json_set_data(json_t *o, const char *data, int32_t len)
{
    json_t *s;
    if (data == NULL || len < 0) {
        json_object_set_new(o, "data", json_null());
        return;
    }
    s = json_stringn(data, (size_t)len);
    if (s == NULL) {
        char *b = base64_encode((const unsigned char *)data, (size_t)len);
        json_object_set_new(o, "data", json_string(b ? b : ""));
        json_object_set_new(o, "encoding", json_string("base64"));
        free(b);
        return;
    }
    json_object_set_new(o, "data", s);
}

static json_t *stat_json(const struct coord_stat *st)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:I,s:i,s:i}",
                     "czxid", (json_int_t)st->czxid,
                     "mzxid", (json_int_t)st->mzxid,
                     "pzxid", (json_int_t)st->pzxid,
                     "ctime", (json_int_t)st->ctime,
                     "mtime", (json_int_t)st->mtime,
                     "version", (int)st->version,
                     "cversion", (int)st->cversion,
                     "aversion", (int)st->aversion,
                     "ephemeralOwner", (json_int_t)st->ephemeral_owner,
                     "dataLength", (int)st->data_length,
                     "numChildren", (int)st->num_children);
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL ||
        strftime(buf, n, "%a %b %d %H:%M:%S %Z %Y", &tm) == 0)
        snprintf(buf, n, "%lld", (long long)ms);
}

static void print_stat(const struct coord_stat *st)
{
    char ct[64], mt[64];
    fmt_time(st->ctime, ct, sizeof ct);
    fmt_time(st->mtime, mt, sizeof mt);
    pthread_mutex_lock(&out_lock);
    printf("cZxid = 0x%llx\nctime = %s\nmZxid = 0x%llx\nmtime = %s\n"
           "pZxid = 0x%llx\ncversion = %d\ndataVersion = %d\n"
           "aclVersion = %d\nephemeralOwner = 0x%llx\ndataLength = %d\n"
           "numChildren = %d\n",
           (unsigned long long)st->czxid, ct, (unsigned long long)st->mzxid,
           mt, (unsigned long long)st->pzxid, (int)st->cversion,
           (int)st->version, (int)st->aversion,
           (unsigned long long)st->ephemeral_owner, (int)st->data_length,
           (int)st->num_children);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

/* Prints `[a, b]` as zkCli does. */
static void print_list(char **items, int n)
{
    pthread_mutex_lock(&out_lock);
    putchar('[');
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", items[i]);
    puts("]");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static json_t *strings_json(char **items, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    return a;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* --- watches and connection state --- */

static const char *event_name(int type)
{
    switch (type) {
    case COORD_EV_CREATED: return "NodeCreated";
    case COORD_EV_DELETED: return "NodeDeleted";
    case COORD_EV_CHANGED: return "NodeDataChanged";
    case COORD_EV_CHILD: return "NodeChildrenChanged";
    case COORD_EV_DATA_WATCH_REMOVED: return "DataWatchRemoved";
    case COORD_EV_CHILD_WATCH_REMOVED: return "ChildWatchRemoved";
    case COORD_EV_PERSISTENT_WATCH_REMOVED: return "PersistentWatchRemoved";
    default: return "None";
    }
}

/* On the library's thread: one whole line per event. */
static void on_watch(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    if (type == COORD_EV_CANCELLED)
        return;
    if (*(const int *)ctx) {
        emit_json(json_pack("{s:s,s:s,s:s}", "event", event_name(type),
                            "state", "SyncConnected", "path", path),
                  0);
        return;
    }
    pthread_mutex_lock(&out_lock);
    printf("\nWATCHER::\n\nWatchedEvent state:SyncConnected type:%s "
           "path:%s\n", event_name(type), path);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static void *watch_ctx(const struct args *a)
{
    return a->json ? &watch_json : &watch_text;
}

static void on_state(struct coord *c, int state, void *ctx)
{
    (void)c;
    (void)ctx;
    pthread_mutex_lock(&g.lock);
    g.state = state;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    debug("state %s", coord_state_name(state));
    if (state == COORD_LOST || state == COORD_AUTH_FAILED) {
        char b = 's';
        if (g.wake[1] >= 0 && write(g.wake[1], &b, 1) < 0) {
            /* the pipe is full: a wake-up is already pending */
        }
    }
}

static void on_signal(int sig)
{
    char b = 'i';
    int saved = errno;
    (void)sig;
    if (g.wake[1] >= 0 && write(g.wake[1], &b, 1) < 0) {
        /* full: already woken */
    }
    errno = saved;
}

static const char *state_label(int state)
{
    switch (state) {
    case COORD_CONNECTED: return "CONNECTED";
    case COORD_CONNECTING: return "CONNECTING";
    case COORD_SUSPENDED: return "SUSPENDED";
    case COORD_LOST: return "EXPIRED";
    case COORD_AUTH_FAILED: return "AUTH_FAILED";
    default: return "CLOSED";
    }
}

/* Starts the session and waits up to the timeout for it to connect. */
static int connect_server(void)
{
    struct coord_options o;
    struct timespec until;
    int rc, state;

    coord_options_init(&o);
    o.hosts = g.hosts;
    o.session_timeout_ms = g.timeout_ms;
    o.call_timeout_ms = g.timeout_ms;
    o.state_cb = on_state;
    char tls_why[400] = "";
    o.tls = g.tls;
    o.tls_ca_file = g.tls_ca;
    o.tls_cert_file = g.tls_cert;
    o.tls_key_file = g.tls_key;
    o.tls_skip_name_check = g.tls_skip_name;
    o.tls_error = tls_why;
    o.tls_error_len = sizeof tls_why;
    rc = coord_new(&o, &g.c);
    if (rc != 0) {
        if (tls_why[0])
            err("%s", tls_why);
        else
            err("Invalid connect string \"%s\": %s", g.hosts,
                coord_strerror(rc));
        return rc == COORD_EINVAL ? ST_USAGE : ST_CONN;
    }
    rc = coord_start_thread(g.c);
    if (rc != 0) {
        err("Cannot start the client thread: %s", coord_strerror(rc));
        return ST_CONN;
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += g.timeout_ms / 1000;
    until.tv_nsec += (long)(g.timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g.lock);
    while (g.state != COORD_CONNECTED && g.state != COORD_LOST &&
           g.state != COORD_AUTH_FAILED && g.state != COORD_CLOSED) {
        if (pthread_cond_timedwait(&g.cond, &g.lock, &until) == ETIMEDOUT)
            break;
    }
    state = g.state;
    pthread_mutex_unlock(&g.lock);
    if (state != COORD_CONNECTED) {
        char why[400];
        if (state != COORD_AUTH_FAILED &&
            coord_last_error(g.c, why, sizeof why) > 0)
            err("Connection to %s failed after %d ms: %s", g.hosts,
                g.timeout_ms, why);
        else
            err("Connection to %s failed: %s after %d ms", g.hosts,
                state == COORD_AUTH_FAILED ? "authentication failed"
                                           : "no server answered",
                g.timeout_ms);
        return ST_CONN;
    }
    debug("connected, session 0x%llx, timeout %d ms",
          (unsigned long long)coord_session_id(g.c, NULL),
          coord_session_timeout(g.c));
    return ST_OK;
}

/* --- argument helpers --- */

static int usage_of(const struct cmd *cmd)
{
    err("usage: %s", cmd->usage);
    return ST_USAGE;
}

/* Parses argv (without the command name) into a; returns ST_OK or prints
 * the problem and returns ST_USAGE. */
static int parse_args(const struct cmd *cmd, int argc, char **argv,
                      struct args *a)
{
    bool opts_done = false;
    memset(a, 0, sizeof *a);
    a->argv = calloc((size_t)argc + 1, sizeof *a->argv);
    if (a->argv == NULL)
        return ST_USAGE;
    a->json = g.json;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (cmd->opts == NULL && strcmp(s, "--json") != 0) {
            a->argv[a->argc++] = argv[i]; /* the command parses them */
            continue;
        }
        if (opts_done || s[0] != '-' || s[1] == '\0') {
            a->argv[a->argc++] = argv[i];
            continue;
        }
        if (strcmp(s, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (strcmp(s, "--json") == 0) {
            a->json = true;
            continue;
        }
        if (strcmp(s, "--force") == 0 && strcmp(cmd->name, "load") == 0) {
            a->force = true;
            continue;
        }
        for (const char *p = s + 1; *p; p++) {
            const char *o = (unsigned char)*p < 128 && *p != ':'
                                ? strchr(cmd->opts, *p) : NULL;
            if (o == NULL) {
                err("%s: unknown option -%c", cmd->name, *p);
                return usage_of(cmd);
            }
            a->flag[(unsigned char)*p] = true;
            if (o[1] == ':') {
                if (p[1] != '\0') {
                    a->val[(unsigned char)*p] = p + 1;
                } else if (i + 1 < argc) {
                    a->val[(unsigned char)*p] = argv[++i];
                } else {
                    err("%s: option -%c needs a value", cmd->name, *p);
                    return usage_of(cmd);
                }
                break;
            }
        }
    }
    if (a->argc < cmd->min_args || a->argc > cmd->max_args)
        return usage_of(cmd);
    return ST_OK;
}

static int parse_int(const char *s, long long lo, long long hi,
                     long long *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_version(const struct args *a, int32_t *version)
{
    long long v = -1;
    *version = -1;
    if (!a->flag['v'])
        return 0;
    if (parse_int(a->val['v'], -1, INT32_MAX, &v) != 0) {
        err("Invalid version: %s", a->val['v']);
        return -1;
    }
    *version = (int32_t)v;
    return 0;
}

/* Reads a whole file ("-" = stdin) into a malloc'd buffer. */
static int read_file(const char *name, char **out, size_t *len)
{
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
    size_t cap = 4096, n = 0;
    char *buf;
    if (f == NULL) {
        err("Cannot read %s: %s", name, strerror(errno));
        return -1;
    }
    buf = malloc(cap);
    while (buf != NULL) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            char *nb = cap >= MAX_DATA ? NULL : realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf == NULL || ferror(f)) {
        err("Cannot read %s: %s", name,
            buf == NULL ? "too large" : strerror(errno));
        free(buf);
        if (f != stdin)
            fclose(f);
        return -1;
    }
    if (f != stdin)
        fclose(f);
    *out = buf;
    *len = n;
    return 0;
}

/* --- ACLs --- */

struct acl {
    struct coord_acl_list list;
    struct coord_acl_entry *entries;
    char *text;
};

static void acl_free(struct acl *acl)
{
    free(acl->entries);
    free(acl->text);
    memset(acl, 0, sizeof *acl);
}

static int perms_parse(const char *s, int32_t *perms)
{
    *perms = 0;
    for (; *s; s++) {
        switch (*s) {
        case 'r': *perms |= COORD_PERM_READ; break;
        case 'w': *perms |= COORD_PERM_WRITE; break;
        case 'c': *perms |= COORD_PERM_CREATE; break;
        case 'd': *perms |= COORD_PERM_DELETE; break;
        case 'a': *perms |= COORD_PERM_ADMIN; break;
        default: return -1;
        }
    }
    return 0;
}

static void perms_format(int32_t perms, char out[6])
{
    char *o = out;
    if (perms & COORD_PERM_CREATE) *o++ = 'c';
    if (perms & COORD_PERM_DELETE) *o++ = 'd';
    if (perms & COORD_PERM_READ) *o++ = 'r';
    if (perms & COORD_PERM_WRITE) *o++ = 'w';
    if (perms & COORD_PERM_ADMIN) *o++ = 'a';
    *o = '\0';
}

/* "scheme:id:perms[,...]": the id may itself hold colons (digest, ipv6). */
static int acl_parse(const char *s, struct acl *acl)
{
    size_t n = 1;
    char *save = NULL, *tok;
    memset(acl, 0, sizeof *acl);
    for (const char *p = s; *p; p++)
        n += *p == ',';
    acl->text = strdup(s);
    acl->entries = calloc(n, sizeof *acl->entries);
    if (acl->text == NULL || acl->entries == NULL)
        goto err_free;
    n = 0;
    for (tok = strtok_r(acl->text, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        char *first = strchr(tok, ':'), *last = strrchr(tok, ':');
        if (first == NULL || first == last || first == tok)
            goto err_bad;
        *first = '\0';
        *last = '\0';
        if (perms_parse(last + 1, &acl->entries[n].perms) != 0)
            goto err_bad;
        acl->entries[n].scheme = tok;
        acl->entries[n].id = first + 1;
        n++;
    }
    if (n == 0)
        goto err_bad;
    acl->list.count = (int32_t)n;
    acl->list.entries = acl->entries;
    return 0;
err_bad:
    err("Invalid ACL: %s (expected scheme:id:perms, perms from cdrwa)", s);
err_free:
    acl_free(acl);
    return -1;
}

static json_t *acl_json(const struct coord_acl_list *acl)
{
    json_t *arr = json_array();
    for (int32_t i = 0; i < acl->count; i++) {
        char p[6];
        perms_format(acl->entries[i].perms, p);
        json_array_append_new(arr, json_pack(
            "{s:s,s:s,s:s}", "scheme", acl->entries[i].scheme,
            "id", acl->entries[i].id, "perms", p));
    }
    return arr;
}

/* --- commands --- */

static int cmd_ls_tree(const char *path, json_t *paths)
{
    struct coord_strings *kids = NULL;
    int rc = coord_get_children_sync(g.c, path, NULL, NULL, &kids, NULL);
    if (rc != 0)
        return rc;
    qsort(kids->data, (size_t)kids->count, sizeof *kids->data, cmp_str);
    for (int32_t i = 0; i < kids->count && rc == 0; i++) {
        size_t n = strlen(path) + strlen(kids->data[i]) + 2;
        char *child = malloc(n);
        if (child == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        snprintf(child, n, "%s%s%s", path, strcmp(path, "/") ? "/" : "",
                 kids->data[i]);
        if (paths)
            json_array_append_new(paths, json_string(child));
        else
            printf("%s\n", child);
        rc = cmd_ls_tree(child, paths);
        if (rc == COORD_ENONODE)
            rc = 0; /* deleted meanwhile */
        free(child);
    }
    free(kids);
    return rc;
}

static int cmd_ls(struct args *a)
{
    const char *path = a->argv[0];
    struct coord_strings *kids = NULL;
    struct coord_stat st;
    int rc;

    if (a->flag['R']) {
        json_t *paths = a->json ? json_array() : NULL;
        rc = coord_exists_sync(g.c, path, NULL, NULL, NULL);
        if (rc != 0)
            return fail(rc, path);
        if (!a->json)
            printf("%s\n", path);
        else
            json_array_append_new(paths, json_string(path));
        rc = cmd_ls_tree(path, paths);
        fflush(stdout);
        if (rc != 0) {
            json_decref(paths);
            return fail(rc, path);
        }
        if (a->json)
            emit_json(json_pack("{s:s,s:o}", "path", path, "paths", paths),
                      0);
        return ST_OK;
    }
    rc = coord_get_children_sync(g.c, path,
                                 a->flag['w'] ? on_watch : NULL,
                                 watch_ctx(a), &kids, &st);
    if (rc != 0)
        return fail(rc, path);
    qsort(kids->data, (size_t)kids->count, sizeof *kids->data, cmp_str);
    if (a->json) {
        emit_json(json_pack("{s:s,s:o,s:o}", "path", path, "children",
                            strings_json(kids->data, kids->count),
                            "stat", stat_json(&st)), 0);
    } else {
        print_list(kids->data, kids->count);
        if (a->flag['s'])
            print_stat(&st);
    }
    free(kids);
    return ST_OK;
}

/* Data for create/set: -f FILE (or - for stdin), else the argument. */
static int get_data(struct args *a, int idx, char **owned, const char **data,
                    int32_t *len)
{
    *owned = NULL;
    if (a->flag['f']) {
        size_t n;
        if (read_file(a->val['f'], owned, &n) != 0)
            return -1;
        *data = *owned;
        *len = (int32_t)n;
        return 0;
    }
    if (idx < a->argc) {
        *data = a->argv[idx];
        *len = (int32_t)strlen(a->argv[idx]);
    } else {
        *data = NULL;
        *len = -1;
    }
    return 0;
}

static int cmd_create(struct args *a)
{
    const char *path = a->argv[0], *data;
    char *owned = NULL, *created = NULL;
    int acl_idx = a->flag['f'] ? 1 : 2;
    int flags = COORD_PERSISTENT, rc;
    long long ttl = 0;
    int32_t len;
    struct acl acl = {0};

    if (a->flag['c'] && (a->flag['s'] || a->flag['e'] || a->flag['t'])) {
        err("create: -c cannot be combined with -s, -e or -t");
        return ST_USAGE;
    }
    if (a->flag['t']) {
        if (a->flag['e']) {
            err("create: -t cannot be combined with -e");
            return ST_USAGE;
        }
        if (parse_int(a->val['t'], 1, INT64_MAX, &ttl) != 0) {
            err("create: invalid ttl: %s", a->val['t']);
            return ST_USAGE;
        }
        flags = a->flag['s'] ? COORD_PERSISTENT_SEQUENTIAL_WITH_TTL
                             : COORD_PERSISTENT_WITH_TTL;
    } else if (a->flag['c']) {
        flags = COORD_CONTAINER;
    } else {
        flags = (a->flag['e'] ? COORD_EPHEMERAL : 0) |
                (a->flag['s'] ? COORD_PERSISTENT_SEQUENTIAL : 0);
    }
    if (a->argc > acl_idx + 1) {
        err("create: too many arguments");
        return ST_USAGE;
    }
    if (a->argc > acl_idx && acl_parse(a->argv[acl_idx], &acl) != 0)
        return ST_USAGE;
    if (get_data(a, 1, &owned, &data, &len) != 0) {
        acl_free(&acl);
        return ST_USAGE;
    }
    rc = coord_create_sync(g.c, path, data, len,
                           acl.list.count ? &acl.list : NULL, flags,
                           (int64_t)ttl, &created, NULL);
    free(owned);
    acl_free(&acl);
    if (rc != 0)
        return fail(rc, path);
    if (a->json)
        emit_json(json_pack("{s:s}", "created", created), 0);
    else
        printf("Created %s\n", created);
    free(created);
    return ST_OK;
}

static int cmd_get(struct args *a)
{
    const char *path = a->argv[0];
    char *data = NULL;
    int32_t len = -1;
    struct coord_stat st;
    int rc = coord_get_sync(g.c, path, a->flag['w'] ? on_watch : NULL,
                            watch_ctx(a), &data, &len, &st);
    if (rc != 0)
        return fail(rc, path);
    if (a->json) {
        json_t *o = json_pack("{s:s}", "path", path);
        json_set_data(o, data, len);
        json_object_set_new(o, "stat", stat_json(&st));
        emit_json(o, 0);
    } else {
        pthread_mutex_lock(&out_lock);
        if (data == NULL)
            fputs("null", stdout);
        else
            fwrite(data, 1, (size_t)len, stdout);
        putchar('\n');
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
        if (a->flag['s'])
            print_stat(&st);
    }
    free(data);
    return ST_OK;
}

static int cmd_set(struct args *a)
{
    const char *path = a->argv[0], *data;
    char *owned = NULL;
    int32_t len, version;
    struct coord_stat st;
    int rc;

    if (parse_version(a, &version) != 0)
        return ST_USAGE;
    if (a->flag['f'] ? a->argc != 1 : a->argc != 2) {
        err("usage: set [-s] [-v version] path data|-f file");
        return ST_USAGE;
    }
    if (get_data(a, 1, &owned, &data, &len) != 0)
        return ST_USAGE;
    rc = coord_set_sync(g.c, path, data, len, version, &st);
    free(owned);
    if (rc != 0)
        return fail(rc, path);
    if (a->flag['s']) {
        if (a->json)
            emit_json(json_pack("{s:s,s:o}", "path", path, "stat",
                                stat_json(&st)), 0);
        else
            print_stat(&st);
    }
    return ST_OK;
}

static int cmd_stat(struct args *a)
{
    const char *path = a->argv[0];
    struct coord_stat st;
    int rc = coord_exists_sync(g.c, path, a->flag['w'] ? on_watch : NULL,
                               watch_ctx(a), &st);
    if (rc != 0)
        return fail(rc, path);
    if (a->json)
        emit_json(json_pack("{s:s,s:o}", "path", path, "stat",
                            stat_json(&st)), 0);
    else
        print_stat(&st);
    return ST_OK;
}

static int cmd_delete(struct args *a)
{
    int32_t version;
    int rc;
    if (parse_version(a, &version) != 0)
        return ST_USAGE;
    rc = coord_delete_sync(g.c, a->argv[0], version);
    return rc == 0 ? ST_OK : fail(rc, a->argv[0]);
}

/* Deletes path and everything below it, children first. *where names the
 * node that failed. */
static int delete_tree(const char *path, char **where)
{
    struct coord_strings *kids = NULL;
    int rc = coord_get_children_sync(g.c, path, NULL, NULL, &kids, NULL);
    if (rc != 0) {
        *where = strdup(path);
        return rc;
    }
    for (int32_t i = 0; i < kids->count; i++) {
        size_t n = strlen(path) + strlen(kids->data[i]) + 2;
        char *child = malloc(n);
        if (child == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        snprintf(child, n, "%s%s%s", path, strcmp(path, "/") ? "/" : "",
                 kids->data[i]);
        if (strcmp(child, "/zookeeper") == 0) {
            free(child);
            continue;
        }
        rc = delete_tree(child, where);
        free(child);
        if (rc == COORD_ENONODE)
            rc = 0;
        if (rc != 0)
            break;
    }
    free(kids);
    if (rc != 0)
        return rc;
    if (strcmp(path, "/") == 0)
        return 0;
    rc = coord_delete_sync(g.c, path, -1);
    if (rc != 0)
        *where = strdup(path);
    return rc;
}

static int cmd_deleteall(struct args *a)
{
    char *where = NULL;
    int rc = delete_tree(a->argv[0], &where), st = ST_OK;
    if (rc != 0)
        st = fail(rc, where ? where : a->argv[0]);
    free(where);
    return st;
}

static int cmd_sync(struct args *a)
{
    int rc = coord_sync_sync(g.c, a->argv[0]);
    if (rc != 0)
        return fail(rc, a->argv[0]);
    printf("Sync is OK\n");
    return ST_OK;
}

static int cmd_addauth(struct args *a)
{
    const char *auth = a->argc > 1 ? a->argv[1] : "";
    int rc = coord_add_auth_sync(g.c, a->argv[0], auth,
                                 (int32_t)strlen(auth));
    if (rc == COORD_EAUTHFAILED || coord_state(g.c) == COORD_AUTH_FAILED) {
        err("Authentication failed for scheme %s: the server closed the "
            "session", a->argv[0]);
        return ST_SERVER;
    }
    return rc == 0 ? ST_OK : fail(rc, a->argv[0]);
}

static int cmd_getacl(struct args *a)
{
    const char *path = a->argv[0];
    struct coord_acl_list *acl = NULL;
    struct coord_stat st;
    int rc = coord_acl_get_sync(g.c, path, &acl, &st);
    if (rc != 0)
        return fail(rc, path);
    if (a->json) {
        emit_json(json_pack("{s:s,s:o,s:o}", "path", path, "acl",
                            acl_json(acl), "stat", stat_json(&st)), 0);
    } else {
        pthread_mutex_lock(&out_lock);
        for (int32_t i = 0; i < acl->count; i++) {
            char p[6];
            perms_format(acl->entries[i].perms, p);
            printf("'%s,'%s\n: %s\n", acl->entries[i].scheme,
                   acl->entries[i].id, p);
        }
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
        if (a->flag['s'])
            print_stat(&st);
    }
    free(acl);
    return ST_OK;
}

static int setacl_tree(const char *path, int32_t version,
                       const struct acl *acl, bool recurse, char **where)
{
    struct coord_strings *kids = NULL;
    int rc = coord_acl_set_sync(g.c, path, version, &acl->list, NULL);
    if (rc != 0 || !recurse) {
        if (rc != 0)
            *where = strdup(path);
        return rc;
    }
    rc = coord_get_children_sync(g.c, path, NULL, NULL, &kids, NULL);
    if (rc != 0) {
        *where = strdup(path);
        return rc;
    }
    for (int32_t i = 0; i < kids->count && rc == 0; i++) {
        size_t n = strlen(path) + strlen(kids->data[i]) + 2;
        char *child = malloc(n);
        if (child == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        snprintf(child, n, "%s%s%s", path, strcmp(path, "/") ? "/" : "",
                 kids->data[i]);
        rc = setacl_tree(child, -1, acl, true, where);
        free(child);
    }
    free(kids);
    return rc;
}

static int cmd_setacl(struct args *a)
{
    const char *path = a->argv[0];
    struct acl acl;
    struct coord_stat st;
    char *where = NULL;
    int32_t version;
    int rc, status = ST_OK;

    if (parse_version(a, &version) != 0)
        return ST_USAGE;
    if (acl_parse(a->argv[1], &acl) != 0)
        return ST_USAGE;
    rc = setacl_tree(path, version, &acl, a->flag['R'], &where);
    acl_free(&acl);
    if (rc != 0) {
        status = fail(rc, where ? where : path);
        free(where);
        return status;
    }
    if (a->flag['s']) {
        rc = coord_exists_sync(g.c, path, NULL, NULL, &st);
        if (rc != 0)
            return fail(rc, path);
        if (a->json)
            emit_json(json_pack("{s:s,s:o}", "path", path, "stat",
                                stat_json(&st)), 0);
        else
            print_stat(&st);
    }
    return ST_OK;
}

static int cmd_whoami(struct args *a)
{
    struct coord_client_info *ids = NULL;
    int32_t n = 0;
    int rc = coord_whoami_sync(g.c, &ids, &n);
    if (rc != 0)
        return fail(rc, "whoami");
    if (a->json) {
        json_t *arr = json_array();
        for (int32_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack(
                "{s:s,s:s}", "scheme", ids[i].scheme, "user", ids[i].user));
        emit_json(json_pack("{s:o}", "identities", arr), 0);
    } else {
        pthread_mutex_lock(&out_lock);
        printf("Auth scheme: User\n");
        for (int32_t i = 0; i < n; i++)
            printf("%s: %s\n", ids[i].scheme, ids[i].user);
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
    }
    free(ids);
    return ST_OK;
}

static int cmd_getephemerals(struct args *a)
{
    const char *prefix = a->argc ? a->argv[0] : "/";
    struct coord_strings *paths = NULL;
    int rc = coord_get_ephemerals_sync(g.c, prefix, &paths);
    if (rc != 0)
        return fail(rc, prefix);
    qsort(paths->data, (size_t)paths->count, sizeof *paths->data, cmp_str);
    if (a->json)
        emit_json(json_pack("{s:s,s:o}", "prefix", prefix, "paths",
                            strings_json(paths->data, paths->count)), 0);
    else
        print_list(paths->data, paths->count);
    free(paths);
    return ST_OK;
}

static int cmd_getallchildrennumber(struct args *a)
{
    const char *path = a->argc ? a->argv[0] : "/";
    int32_t n = 0;
    int rc = coord_get_all_children_number_sync(g.c, path, &n);
    if (rc != 0)
        return fail(rc, path);
    if (a->json)
        emit_json(json_pack("{s:s,s:i}", "path", path, "count", (int)n), 0);
    else
        printf("%d\n", (int)n);
    return ST_OK;
}

static int watch_mode(const char *s, int *mode)
{
    if (s == NULL || strcasecmp(s, "persistent_recursive") == 0)
        *mode = COORD_ADDWATCH_PERSISTENT_RECURSIVE;
    else if (strcasecmp(s, "persistent") == 0)
        *mode = COORD_ADDWATCH_PERSISTENT;
    else
        return -1;
    return 0;
}

static int cmd_addwatch(struct args *a)
{
    int mode, rc;
    if (watch_mode(a->val['m'], &mode) != 0) {
        err("addWatch: mode must be persistent or persistent_recursive, "
            "not %s", a->val['m']);
        return ST_USAGE;
    }
    rc = coord_add_watch_sync(g.c, a->argv[0], mode, on_watch, watch_ctx(a));
    return rc == 0 ? ST_OK : fail(rc, a->argv[0]);
}

static int cmd_removewatches(struct args *a)
{
    int type = COORD_WT_ANY, rc;
    if (a->flag['l']) {
        err("removewatches: -l (local removal) is not supported: libcoord "
            "has no local-only removal");
        return ST_USAGE;
    }
    if (a->flag['c'])
        type = COORD_WT_CHILDREN;
    else if (a->flag['d'])
        type = COORD_WT_DATA;
    else if (a->flag['p'])
        type = COORD_WT_PERSISTENT;
    else if (a->flag['r'])
        type = COORD_WT_PERSISTENT_RECURSIVE;
    rc = coord_remove_watches_sync(g.c, a->argv[0], type);
    return rc == 0 ? ST_OK : fail(rc, a->argv[0]);
}

/* The configuration text (after a heading line, if any) and, with
 * show_stat, its Stat; or one JSON object {data, stat}: config and
 * reconfig print the same. */
static void print_config(bool json, const char *heading, const char *data,
                         int32_t len, const struct coord_stat *st,
                         bool show_stat)
{
    if (json) {
        json_t *o = json_object();
        json_set_data(o, data, len);
        json_object_set_new(o, "stat", stat_json(st));
        emit_json(o, 0);
        return;
    }
    pthread_mutex_lock(&out_lock);
    if (heading != NULL)
        puts(heading);
    if (data != NULL && len > 0) {
        fwrite(data, 1, (size_t)len, stdout);
        if (data[len - 1] != '\n')
            putchar('\n');
    }
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    if (show_stat)
        print_stat(st);
}

static int cmd_config(struct args *a)
{
    const char *path = "/zookeeper/config";
    char *data = NULL;
    int32_t len = -1;
    struct coord_stat st;
    /* getConfig: outside any chroot of the connect string. */
    int rc = coord_get_config_sync(g.c, a->flag['w'] ? on_watch : NULL,
                                   watch_ctx(a), &data, &len, &st);
    if (rc != 0)
        return fail(rc, path);
    print_config(a->json, NULL, data, len, &st, a->flag['s']);
    free(data);
    return ST_OK;
}

static const struct cmd *find_cmd(const char *name);

/* Appends s to *list, a comma between; 0 or -1 (out of memory). */
static int list_append(char **list, const char *s)
{
    size_t old = *list ? strlen(*list) : 0, n = strlen(s);
    char *p = realloc(*list, old + n + 2);
    if (p == NULL)
        return -1;
    if (old)
        p[old++] = ',';
    memcpy(p + old, s, n + 1);
    *list = p;
    return 0;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static char *trim(char *s)
{
    char *e = s + strlen(s);
    while (isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Reads a dynamic config file (server.N=..., group.N=..., weight.N=...
 * lines; blank, '#'/'!' comment and version= lines skipped) into one
 * comma-separated membership, as zkCli's -file does. */
static int members_from_file(const char *name, char **out)
{
    char *text, *line, *save = NULL;
    size_t len;
    int lineno = 0, rc = 0;
    *out = NULL;
    if (read_file(name, &text, &len) != 0)
        return -1;
    if (memchr(text, '\0', len) != NULL) {
        err("Error processing %s: not a text file", name);
        free(text);
        return -1;
    }
    char *nt = realloc(text, len + 1);
    if (nt == NULL) {
        free(text);
        return -1;
    }
    text = nt;
    text[len] = '\0';
    for (line = strtok_r(text, "\r\n", &save); line != NULL && rc == 0;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *l = trim(line), *eq = strchr(l, '=');
        lineno++;
        if (*l == '\0' || *l == '#' || *l == '!')
            continue;
        if (eq == NULL) {
            err("Error processing %s: line %d is not key=value", name, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(l), *val = trim(eq + 1);
        if (strcmp(key, "version") == 0)
            continue;
        if (strncmp(key, "server.", 7) != 0 && strncmp(key, "group.", 6) != 0 &&
            strncmp(key, "weight.", 7) != 0) {
            err("Error processing %s: unrecognised parameter %s", name, key);
            rc = -1;
            break;
        }
        size_t n = strlen(key) + strlen(val) + 2;
        char *kv = malloc(n);
        if (kv == NULL || (snprintf(kv, n, "%s=%s", key, val),
                           list_append(out, kv) != 0)) {
            err("Error: out of memory");
            rc = -1;
        }
        free(kv);
    }
    free(text);
    if (rc == 0 && *out == NULL) {
        err("Error processing %s: no server lines", name);
        rc = -1;
    }
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static int reconfig_fail(int rc)
{
    const char *msg;
    switch (rc) {
    case COORD_ERECONFIGDISABLED:
        msg = "reconfig is disabled on the server";
        break;
    case COORD_EUNIMPLEMENTED:
        msg = "reconfig is not supported by a standalone server";
        break;
    case COORD_ERECONFIGINPROGRESS:
        msg = "another reconfiguration is in progress -- concurrent "
              "reconfigs not supported (yet)";
        break;
    case COORD_ENEWCONFIGNOQUORUM:
        msg = "no quorum of the new config is connected and up-to-date with "
              "the leader of the last committed config - try again after the "
              "new servers are connected and synced";
        break;
    case COORD_EBADVERSION:
        msg = "the current config version is not the one given with -v";
        break;
    case COORD_EBADARGUMENTS:
        msg = "the server rejected the new membership";
        break;
    default:
        return fail(rc, "/zookeeper/config");
    }
    err("Error: %s (%s)", msg, coord_err_zkname(rc));
    return ST_SERVER;
}

/* zkCli's reconfig: -s, -v <hex version>, and either -file path or
 * -members list (non-incremental), or -add and -remove lists
 * (incremental; each may repeat, the lists are joined with commas). Like
 * zkCli, -add, -remove and -members are lower-cased. */
static int cmd_reconfig(struct args *a)
{
    const struct cmd *self = find_cmd("reconfig");
    const char *vtext = NULL, *file = NULL, *members_arg = NULL;
    char *joining = NULL, *leaving = NULL, *members = NULL, *data = NULL;
    bool show_stat = false;
    int64_t version = -1;
    int32_t len = -1;
    struct coord_stat st;
    int status = ST_USAGE, rc;

    for (int i = 0; i < a->argc; i++) {
        const char *o = a->argv[i];
        const char **slot = NULL;
        char **list = NULL;
        if (strcmp(o, "-s") == 0) {
            show_stat = true;
            continue;
        }
        if (strcmp(o, "-v") == 0)
            slot = &vtext;
        else if (strcmp(o, "-file") == 0)
            slot = &file;
        else if (strcmp(o, "-members") == 0)
            slot = &members_arg;
        else if (strcmp(o, "-add") == 0)
            list = &joining;
        else if (strcmp(o, "-remove") == 0)
            list = &leaving;
        else {
            err("reconfig: unknown option or argument: %s", o);
            goto usage;
        }
        if (i + 1 >= a->argc) {
            err("reconfig: option %s needs a value", o);
            goto usage;
        }
        if (slot)
            *slot = a->argv[++i];
        else if (list_append(list, a->argv[++i]) != 0)
            goto oom;
    }
    if (file == NULL && members_arg == NULL && joining == NULL &&
        leaving == NULL)
        goto usage;
    if (vtext != NULL) {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(vtext, &end, 16);
        if (errno != 0 || end == vtext || *end != '\0') {
            err("-v must be followed by a long (configuration version)");
            goto usage;
        }
        version = v;
    }
    if ((file || members_arg) && (joining || leaving)) {
        err("Can't use -file or -members together with -add or -remove "
            "(mixing incremental and non-incremental modes is not allowed)");
        goto usage;
    }
    if (file && members_arg) {
        err("Can't use -file and -members together (conflicting "
            "non-incremental modes)");
        goto usage;
    }
    if (members_arg && (members = strdup(members_arg)) == NULL)
        goto oom;
    if (joining)
        lower(joining);
    if (leaving)
        lower(leaving);
    if (members)
        lower(members);
    if (file && members_from_file(file, &members) != 0) {
        status = ST_USAGE;
        goto out;
    }
    debug("reconfig joining=%s leaving=%s members=%s from=%lld",
          joining ? joining : "(null)", leaving ? leaving : "(null)",
          members ? members : "(null)", (long long)version);
    rc = coord_reconfig_sync(g.c, joining, leaving, members, version, &data,
                             &len, &st);
    if (rc != 0) {
        status = reconfig_fail(rc);
        goto out;
    }
    print_config(a->json, "Committed new configuration:", data, len, &st,
                 show_stat);
    status = ST_OK;
    goto out;
oom:
    err("Error: out of memory");
    status = ST_SERVER;
    goto out;
usage:
    status = usage_of(self);
out:
    free(joining);
    free(leaving);
    free(members);
    free(data);
    return status;
}

static int cmd_history(struct args *a)
{
    json_t *arr = a->json ? json_array() : NULL;
    for (int i = history_base; i < history_base + history_length; i++) {
        HIST_ENTRY *h = history_get(i);
        if (h == NULL)
            continue;
        if (arr)
            json_array_append_new(arr, json_string(h->line));
        else
            printf("%d - %s\n", i - history_base, h->line);
    }
    if (arr)
        emit_json(json_pack("{s:o}", "history", arr), 0);
    return ST_OK;
}

static int cmd_quit(struct args *a)
{
    (void)a;
    return ST_QUIT;
}

/* Streams events under path until SIGINT/SIGTERM or the session ends. */
static int cmd_watch(struct args *a)
{
    const char *path = a->argv[0];
    int mode = a->flag['R'] ? COORD_ADDWATCH_PERSISTENT_RECURSIVE
                            : COORD_ADDWATCH_PERSISTENT;
    struct sigaction sa, old_int, old_term;
    struct pollfd pfd;
    char why = 0;
    int rc;

    rc = coord_add_watch_sync(g.c, path, mode, on_watch, watch_ctx(a));
    if (rc != 0)
        return fail(rc, path);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    err("Watching %s%s; Ctrl-C stops", path, a->flag['R'] ? " recursively" : "");
    pfd.fd = g.wake[0];
    pfd.events = POLLIN;
    while (why == 0) {
        int state = coord_state(g.c);
        if (state == COORD_LOST || state == COORD_AUTH_FAILED)
            break;
        if (poll(&pfd, 1, -1) > 0 && read(g.wake[0], &why, 1) != 1)
            why = 0;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (why != 'i') {
        err("Connection lost: the session with %s ended", g.hosts);
        return ST_CONN;
    }
    rc = coord_remove_watches_sync(g.c, path,
                                   a->flag['R'] ? COORD_WT_PERSISTENT_RECURSIVE
                                                : COORD_WT_PERSISTENT);
    if (rc != 0 && rc != COORD_ENOWATCHER && is_conn_error(rc))
        return fail(rc, path);
    return ST_OK;
}

/* --- dump and load --- */

static char *child_path(const char *parent, const char *name)
{
    size_t n = strlen(parent) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "",
                 name);
    return p;
}

static int dump_node(const char *path, json_t *nodes, char **where)
{
    struct coord_strings *kids = NULL;
    struct coord_acl_list *acl = NULL;
    struct coord_stat st;
    char *data = NULL;
    int32_t len = -1;
    int rc;

    if (strcmp(path, "/zookeeper") == 0)
        return 0;
    rc = coord_get_sync(g.c, path, NULL, NULL, &data, &len, &st);
    if (rc == 0 && st.ephemeral_owner != 0) {
        free(data);
        return 0;
    }
    if (rc == 0)
        rc = coord_acl_get_sync(g.c, path, &acl, NULL);
    if (rc == 0)
        rc = coord_get_children_sync(g.c, path, NULL, NULL, &kids, NULL);
    if (rc != 0) {
        free(data);
        free(acl);
        *where = strdup(path);
        return rc;
    }
    if (strcmp(path, "/") != 0) {
        json_t *o = json_pack("{s:s}", "path", path);
        json_set_data(o, data, len);
        json_object_set_new(o, "acl", acl_json(acl));
        json_array_append_new(nodes, o);
    }
    free(data);
    free(acl);
    qsort(kids->data, (size_t)kids->count, sizeof *kids->data, cmp_str);
    for (int32_t i = 0; i < kids->count && rc == 0; i++) {
        char *child = child_path(path, kids->data[i]);
        if (child == NULL) {
            rc = COORD_ENOMEM;
            break;
        }
        rc = dump_node(child, nodes, where);
        if (rc == COORD_ENONODE) {
            free(*where);
            *where = NULL;
            rc = 0; /* deleted while we walked */
        }
        free(child);
    }
    free(kids);
    return rc;
}

static int cmd_dump(struct args *a)
{
    const char *path = a->argv[0];
    json_t *nodes = json_array();
    char *where = NULL;
    int rc = dump_node(path, nodes, &where), status;
    if (rc != 0) {
        json_decref(nodes);
        status = fail(rc, where ? where : path);
        free(where);
        return status;
    }
    emit_json(json_pack("{s:i,s:s,s:o}", "coordctl_dump", 1, "root", path,
                        "nodes", nodes), JSON_INDENT(2));
    return ST_OK;
}

struct load_node {
    char *path;
    char *data; /* NULL = null data */
    size_t len;
    struct acl acl;
};

static void load_nodes_free(struct load_node *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].path);
        free(v[i].data);
        acl_free(&v[i].acl);
    }
    free(v);
}

/* Turns the dump document into nodes, moved from its root to `to` if set. */
static int load_parse(json_t *doc, const char *to, struct load_node **out,
                      size_t *count)
{
    json_t *nodes = json_object_get(doc, "nodes"), *n;
    const char *root = json_string_value(json_object_get(doc, "root"));
    struct load_node *v;
    size_t i;

    if (!json_is_array(nodes) || root == NULL)
        return -1;
    v = calloc(json_array_size(nodes) + 1, sizeof *v);
    if (v == NULL)
        return -1;
    json_array_foreach(nodes, i, n) {
        const char *p = json_string_value(json_object_get(n, "path"));
        const char *enc = json_string_value(json_object_get(n, "encoding"));
        json_t *d = json_object_get(n, "data"), *acl = json_object_get(n, "acl");
        size_t rl = strlen(root), k;
        json_t *e;

        if (p == NULL || strncmp(p, root, rl) != 0 ||
            (strcmp(root, "/") != 0 && p[rl] != '\0' && p[rl] != '/'))
            goto err_bad;
        if (to) {
            const char *rest = strcmp(root, "/") == 0 ? p : p + rl;
            size_t len = strlen(to) + strlen(rest) + 1;
            v[i].path = malloc(len);
            if (v[i].path)
                snprintf(v[i].path, len, "%s%s",
                         strcmp(to, "/") == 0 && rest[0] ? "" : to, rest);
        } else {
            v[i].path = strdup(p);
        }
        if (v[i].path == NULL)
            goto err_bad;
        if (json_is_string(d)) {
            if (enc && strcmp(enc, "base64") == 0) {
                if (base64_decode(json_string_value(d), &v[i].data,
                                  &v[i].len) != 0)
                    goto err_bad;
            } else {
                v[i].len = json_string_length(d);
                v[i].data = malloc(v[i].len + 1);
                if (v[i].data == NULL)
                    goto err_bad;
                memcpy(v[i].data, json_string_value(d), v[i].len);
            }
        } else if (!json_is_null(d) && d != NULL) {
            goto err_bad;
        }
        if (json_is_array(acl) && json_array_size(acl) > 0) {
            v[i].acl.entries = calloc(json_array_size(acl),
                                      sizeof *v[i].acl.entries);
            if (v[i].acl.entries == NULL)
                goto err_bad;
            json_array_foreach(acl, k, e) {
                const char *s = json_string_value(json_object_get(e, "scheme"));
                const char *id = json_string_value(json_object_get(e, "id"));
                const char *pm = json_string_value(json_object_get(e, "perms"));
                if (s == NULL || id == NULL || pm == NULL ||
                    perms_parse(pm, &v[i].acl.entries[k].perms) != 0)
                    goto err_bad;
                /* borrowed from doc, which outlives the load */
                v[i].acl.entries[k].scheme = s;
                v[i].acl.entries[k].id = id;
            }
            v[i].acl.list.count = (int32_t)json_array_size(acl);
            v[i].acl.list.entries = v[i].acl.entries;
        }
    }
    *out = v;
    *count = json_array_size(nodes);
    return 0;
err_bad:
    load_nodes_free(v, json_array_size(nodes));
    return -1;
}

static int cmd_load(struct args *a)
{
    const char *file = a->argv[0], *to = a->argc > 1 ? a->argv[1] : NULL;
    struct load_node *v = NULL;
    size_t n = 0, len, created = 0;
    char *text;
    json_t *doc;
    json_error_t jerr;
    int rc = 0, status = ST_OK;

    if (read_file(file, &text, &len) != 0)
        return ST_USAGE;
    doc = json_loadb(text, len, 0, &jerr);
    free(text);
    if (doc == NULL) {
        err("Invalid dump file %s: line %d: %s", file, jerr.line, jerr.text);
        return ST_USAGE;
    }
    if (load_parse(doc, to, &v, &n) != 0) {
        err("Invalid dump file %s: expected {\"root\", \"nodes\": [{\"path\", "
            "\"data\", \"acl\"}]} with every path under root", file);
        json_decref(doc);
        return ST_USAGE;
    }
    /* Without --force, refuse before changing anything. */
    for (size_t i = 0; i < n && !a->force; i++) {
        rc = coord_exists_sync(g.c, v[i].path, NULL, NULL, NULL);
        if (rc == 0) {
            err("Node already exists: %s (load --force overwrites)",
                v[i].path);
            status = ST_SERVER;
            goto out;
        }
        if (rc != COORD_ENONODE) {
            status = fail(rc, v[i].path);
            goto out;
        }
    }
    /* Create open first, so a restrictive ACL cannot block its own
     * children; then set the ACLs, children first. */
    for (size_t i = 0; i < n; i++) {
        /* A parent without CREATE answers NoAuth before NodeExists, so
         * --force looks first. */
        rc = a->force ? coord_exists_sync(g.c, v[i].path, NULL, NULL, NULL)
                      : COORD_ENONODE;
        if (rc == COORD_ENONODE)
            rc = coord_create_sync(g.c, v[i].path, v[i].data,
                                   v[i].data ? (int32_t)v[i].len : -1, NULL,
                                   COORD_PERSISTENT, 0, NULL, NULL);
        else if (rc == 0)
            rc = COORD_ENODEEXISTS;
        if (rc == COORD_ENODEEXISTS && a->force)
            rc = coord_set_sync(g.c, v[i].path, v[i].data,
                                v[i].data ? (int32_t)v[i].len : -1, -1, NULL);
        else if (rc == 0)
            created++;
        if (rc != 0) {
            status = fail(rc, v[i].path);
            goto out;
        }
    }
    for (size_t i = n; i-- > 0;) {
        const struct coord_acl_list *acl =
            v[i].acl.list.count ? &v[i].acl.list : coord_acl_open();
        rc = coord_acl_set_sync(g.c, v[i].path, -1, acl, NULL);
        if (rc != 0) {
            status = fail(rc, v[i].path);
            goto out;
        }
    }
    if (a->json)
        emit_json(json_pack("{s:i,s:i}", "loaded", (int)n, "created",
                            (int)created), 0);
    else
        printf("Loaded %zu nodes (%zu created)\n", n, created);
out:
    load_nodes_free(v, n);
    json_decref(doc);
    return status;
}

static int cmd_help(struct args *a);

static const struct cmd cmds[] = {
    {"addauth", "", 1, 2, "addauth scheme auth", cmd_addauth},
    {"addWatch", "m:", 1, 1, "addWatch [-m mode] path  "
     "(mode: persistent | persistent_recursive, the default)", cmd_addwatch},
    {"config", "csw", 0, 0, "config [-s] [-w]", cmd_config},
    {"create", "sect:f:", 1, 3, "create [-s] [-e] [-c] [-t ttl] path "
     "[data] [acl]  (-f file|- reads the data)", cmd_create},
    {"delete", "v:", 1, 1, "delete [-v version] path", cmd_delete},
    {"deleteall", "b:", 1, 1, "deleteall path [-b batch size]",
     cmd_deleteall},
    {"dump", "", 1, 1, "dump path  (JSON of the subtree on stdout)",
     cmd_dump},
    {"get", "sw", 1, 1, "get [-s] [-w] path", cmd_get},
    {"getAcl", "s", 1, 1, "getAcl [-s] path", cmd_getacl},
    {"getAllChildrenNumber", "", 0, 1, "getAllChildrenNumber path",
     cmd_getallchildrennumber},
    {"getEphemerals", "", 0, 1, "getEphemerals [path]", cmd_getephemerals},
    {"help", "", 0, 1, "help [command]", cmd_help},
    {"history", "", 0, 0, "history", cmd_history},
    {"load", "", 1, 2, "load [--force] file|- [path]", cmd_load},
    {"ls", "swR", 1, 1, "ls [-s] [-w] [-R] path", cmd_ls},
    {"quit", "", 0, 0, "quit", cmd_quit},
    {"reconfig", NULL, 0, INT_MAX, "reconfig [-s] [-v version] "
     "[[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | "
     "[-add serverId=host:port1:port2;port3[,...]]* "
     "[-remove serverId[,...]*]", cmd_reconfig},
    {"removewatches", "cdaprl", 1, 1, "removewatches path [-c|-d|-a|-p|-r]",
     cmd_removewatches},
    {"set", "sv:f:", 1, 2, "set [-s] [-v version] path data|-f file",
     cmd_set},
    {"setAcl", "sv:R", 2, 2, "setAcl [-s] [-v version] [-R] path acl",
     cmd_setacl},
    {"stat", "w", 1, 1, "stat [-w] path", cmd_stat},
    {"sync", "", 1, 1, "sync path", cmd_sync},
    {"watch", "R", 1, 1, "watch path [-R]  (streams events until Ctrl-C)",
     cmd_watch},
    {"whoami", "", 0, 0, "whoami", cmd_whoami},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    /* zkCli accepts a few case variants; so do we. */
    for (size_t i = 0; i < NCMDS; i++)
        if (strcasecmp(cmds[i].name, name) == 0)
            return &cmds[i];
    if (strcmp(name, "exit") == 0)
        return find_cmd("quit");
    return NULL;
}

static int cmd_help(struct args *a)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (a->argc == 0 || strcasecmp(a->argv[0], cmds[i].name) == 0)
            printf("\t%s\n", cmds[i].usage);
    return ST_OK;
}

static int run_command(int argc, char **argv)
{
    const struct cmd *cmd = find_cmd(argv[0]);
    struct args a;
    int rc;

    if (cmd == NULL) {
        err("Unknown command: %s (help lists them)", argv[0]);
        return ST_USAGE;
    }
    rc = parse_args(cmd, argc - 1, argv + 1, &a);
    if (rc == ST_OK) {
        debug("run %s with %d argument(s)", cmd->name, a.argc);
        rc = cmd->fn(&a);
    }
    free(a.argv);
    fflush(stdout);
    return rc;
}

/* --- the shell --- */

/* Splits a line into words: whitespace separates, '...' and "..." quote,
 * backslash escapes. Returns the count, or -1 on an unclosed quote. */
static int split_line(const char *line, char ***out)
{
    size_t cap = 8, n = 0, len = strlen(line);
    char **v = calloc(cap, sizeof *v);
    const char *p = line;
    if (v == NULL)
        return -1;
    for (;;) {
        char *w, *o;
        char q = 0;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        w = malloc(len + 1);
        if (w == NULL)
            goto err_free;
        o = w;
        while (*p && (q || !isspace((unsigned char)*p))) {
            if (q && *p == q) {
                q = 0;
                p++;
            } else if (!q && (*p == '\'' || *p == '"')) {
                q = *p++;
            } else if (*p == '\\' && q != '\'' && p[1]) {
                *o++ = p[1];
                p += 2;
            } else {
                *o++ = *p++;
            }
        }
        *o = '\0';
        if (n + 1 >= cap) {
            char **nv = realloc(v, cap * 2 * sizeof *v);
            if (nv == NULL) {
                free(w);
                goto err_free;
            }
            v = nv;
            cap *= 2;
        }
        v[n++] = w;
        v[n] = NULL;
        if (q) {
            err("Unclosed quote");
            goto err_free;
        }
    }
    *out = v;
    return (int)n;
err_free:
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return -1;
}

static void free_words(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Completion candidates, computed when the generator starts. */
static char **cands;
static int ncands, next_cand;

static void cands_clear(void)
{
    for (int i = 0; i < ncands; i++)
        free(cands[i]);
    free(cands);
    cands = NULL;
    ncands = next_cand = 0;
}

static char *cand_gen(const char *text, int state)
{
    (void)text;
    if (state == 0)
        next_cand = 0;
    if (next_cand < ncands)
        return strdup(cands[next_cand++]);
    return NULL;
}

static void cands_add(char *s)
{
    char **nv = realloc(cands, (size_t)(ncands + 1) * sizeof *cands);
    if (nv == NULL || s == NULL) {
        free(s);
        if (nv)
            cands = nv;
        return;
    }
    cands = nv;
    cands[ncands++] = s;
}

/* The first word of the line and the word before `start`, split on
 * blanks only (enough for choosing what to complete). */
static void line_words(int start, char *first, char *prev, size_t n)
{
    char *copy = strndup(rl_line_buffer, (size_t)start), *save = NULL;
    first[0] = prev[0] = '\0';
    if (copy == NULL)
        return;
    for (char *w = strtok_r(copy, " \t", &save); w != NULL;
         w = strtok_r(NULL, " \t", &save)) {
        if (first[0] == '\0')
            snprintf(first, n, "%s", w);
        snprintf(prev, n, "%s", w);
    }
    free(copy);
}

static const char *const reconfig_opts[] = {"-s", "-v", "-file", "-members",
                                            "-add", "-remove", NULL};

/* Completes command names in the first word, znode paths elsewhere: the
 * typed parent's children are listed and those with the typed prefix kept.
 * reconfig's arguments are its options, and a local file after -file. */
static char **complete(const char *text, int start, int end)
{
    char first[64], prev[64];
    (void)end;
    rl_attempted_completion_over = 1;
    cands_clear();
    line_words(start, first, prev, sizeof first);
    if (start > 0 && strcasecmp(first, "reconfig") == 0) {
        if (strcmp(prev, "-file") == 0)
            return rl_completion_matches(text,
                                         rl_filename_completion_function);
        if (text[0] == '-' || text[0] == '\0')
            for (int i = 0; reconfig_opts[i]; i++)
                if (strncmp(reconfig_opts[i], text, strlen(text)) == 0)
                    cands_add(strdup(reconfig_opts[i]));
        rl_completion_append_character = ' ';
    } else if (start == 0) {
        for (size_t i = 0; i < NCMDS; i++)
            if (strncmp(cmds[i].name, text, strlen(text)) == 0)
                cands_add(strdup(cmds[i].name));
        rl_completion_append_character = ' ';
    } else if (text[0] == '/') {
        const char *slash = strrchr(text, '/');
        size_t plen = (size_t)(slash - text);
        char *parent = plen ? strndup(text, plen) : strdup("/");
        struct coord_strings *kids = NULL;
        if (parent != NULL &&
            coord_get_children_sync(g.c, parent, NULL, NULL, &kids,
                                    NULL) == 0) {
            qsort(kids->data, (size_t)kids->count, sizeof *kids->data,
                  cmp_str);
            for (int32_t i = 0; i < kids->count; i++) {
                if (strncmp(kids->data[i], slash + 1, strlen(slash + 1)) != 0)
                    continue;
                size_t n = plen + strlen(kids->data[i]) + 2;
                char *s = malloc(n);
                if (s)
                    snprintf(s, n, "%.*s/%s", (int)plen, text, kids->data[i]);
                cands_add(s);
            }
        }
        free(kids);
        free(parent);
        rl_completion_append_character = '\0';
    }
    if (ncands == 0)
        return NULL;
    return rl_completion_matches(text, cand_gen);
}

static char *history_path(void)
{
    const char *home = getenv("HOME");
    size_t n;
    char *p;
    if (home == NULL || home[0] == '\0')
        return NULL;
    n = strlen(home) + sizeof "/.coordctl_history";
    p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.coordctl_history", home);
    return p;
}

static char *read_plain_line(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n')
        line[n - 1] = '\0';
    return line;
}

/* Without a terminal the shell reads commands one a line, prints no
 * prompt and exits with the status of the last command. */
static int shell(void)
{
    int status = ST_OK;
    char prompt[512];

    g.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (g.tty) {
        rl_readline_name = "coordctl";
        rl_attempted_completion_function = complete;
        if (g.histfile)
            read_history(g.histfile);
        stifle_history(HISTORY_MAX);
    }
    for (;;) {
        char *line, **words = NULL;
        int n;
        if (g.tty) {
            snprintf(prompt, sizeof prompt, "[coord: %s(%s) %d] ", g.hosts,
                     state_label(coord_state(g.c)), g.ncmds);
            line = readline(prompt);
        } else {
            line = read_plain_line();
        }
        if (line == NULL) {
            if (g.tty)
                putchar('\n');
            break;
        }
        n = split_line(line, &words);
        if (n <= 0) {
            if (n < 0)
                status = ST_USAGE;
            free(line);
            continue;
        }
        add_history(line);
        if (g.tty && g.histfile)
            write_history(g.histfile);
        free(line);
        g.ncmds++;
        status = run_command(n, words);
        free_words(words, n);
        if (status == ST_QUIT) {
            status = ST_OK;
            break;
        }
    }
    return status;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: coordctl [-s hosts] [--timeout ms] [--json] [-d] [--tls...] "
            "[command [args...]]\n"
            "  -s, --server HOSTS  connect string (default " DEFAULT_HOSTS
            ")\n"
            "  --timeout MS        session and call timeout (default %d)\n"
            "  --json              JSON output for read commands\n"
            "  -d, --debug         log connection states to stderr\n"
            "  --tls               connect with TLS (CAs: the system's)\n"
            "  --tls-ca FILE       TLS, trusting the CAs of this PEM file\n"
            "  --tls-cert FILE     TLS client certificate (PEM)\n"
            "  --tls-key FILE      its private key (default: in --tls-cert)\n"
            "  --tls-skip-name-check  accept a certificate that does not "
            "name the host\n"
            "Without a command, an interactive shell starts; "
            "`coordctl help` lists commands.\n",
            DEFAULT_TIMEOUT_MS);
}

int main(int argc, char **argv)
{
    int i, status;
    long long t;

    g.hosts = DEFAULT_HOSTS;
    g.timeout_ms = DEFAULT_TIMEOUT_MS;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        } else if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return ST_OK;
        } else if (strcmp(o, "--json") == 0) {
            g.json = true;
        } else if (strcmp(o, "-d") == 0 || strcmp(o, "--debug") == 0) {
            g.debug = true;
        } else if ((strcmp(o, "-s") == 0 || strcmp(o, "--server") == 0 ||
                    strcmp(o, "-server") == 0) && i + 1 < argc) {
            g.hosts = argv[++i];
        } else if (strcmp(o, "--tls") == 0) {
            g.tls = true;
        } else if (strcmp(o, "--tls-skip-name-check") == 0) {
            g.tls = g.tls_skip_name = true;
        } else if (strcmp(o, "--tls-ca") == 0 && i + 1 < argc) {
            g.tls = true;
            g.tls_ca = argv[++i];
        } else if (strcmp(o, "--tls-cert") == 0 && i + 1 < argc) {
            g.tls = true;
            g.tls_cert = argv[++i];
        } else if (strcmp(o, "--tls-key") == 0 && i + 1 < argc) {
            g.tls = true;
            g.tls_key = argv[++i];
        } else if (strcmp(o, "--timeout") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 1, INT_MAX / 2, &t) != 0) {
                fprintf(stderr, "coordctl: invalid timeout: %s\n", argv[i]);
                return ST_USAGE;
            }
            g.timeout_ms = (int)t;
        } else {
            fprintf(stderr, "coordctl: unknown or incomplete option: %s\n", o);
            usage(stderr);
            return ST_USAGE;
        }
    }
    if (i < argc && find_cmd(argv[i]) == NULL) {
        err("Unknown command: %s (coordctl help lists them)", argv[i]);
        return ST_USAGE;
    }
    if (i < argc && strcmp(find_cmd(argv[i])->name, "help") == 0) {
        return run_command(argc - i, argv + i);
    }
    if (pipe(g.wake) != 0) {
        perror("coordctl: pipe");
        return ST_CONN;
    }
    fcntl(g.wake[0], F_SETFL, O_NONBLOCK);
    fcntl(g.wake[1], F_SETFL, O_NONBLOCK);
    g.histfile = history_path();
    using_history();
    status = connect_server();
    if (status == ST_OK) {
        if (i < argc) {
            if (strcmp(find_cmd(argv[i])->name, "history") == 0 && g.histfile)
                read_history(g.histfile);
            status = run_command(argc - i, argv + i);
            if (status == ST_QUIT)
                status = ST_OK;
        } else {
            status = shell();
        }
    }
    fflush(stdout);
    coord_free(g.c);
    g.c = NULL;
    cands_clear();
    free(g.histfile);
    close(g.wake[0]);
    close(g.wake[1]);
    return status;
}
