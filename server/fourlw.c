/* Four-letter words on the client port (wire spec section 11). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "server/rest.h"
#include "server/ensemble.h"
#include "server/server.h"

/* The version clients see: kazoo and Curator switch features on it. */
#define ZK_COMPAT_VERSION "3.9.2"
#define VERSION_LINE                                                           \
    ZK_COMPAT_VERSION "-coord-" PACKAGE_VERSION ", built on " __DATE__

static void latency(const struct server *srv, struct buf *o, bool mntr)
{
    const struct server_stats *st = &srv->stats;
    double avg = st->lat_count ? (double)st->lat_sum_us / st->lat_count / 1000.0
                               : 0.0;
    long long mn = st->lat_min_us < 0 ? 0 : st->lat_min_us / 1000;
    long long mx = st->lat_max_us / 1000;
    if (mntr)
        buf_printf(o,
                   "zk_avg_latency\t%.4f\nzk_max_latency\t%lld\n"
                   "zk_min_latency\t%lld\n",
                   avg, mx, mn);
    else
        buf_printf(o, "Latency min/avg/max: %lld/%.4f/%lld\n", mn, avg, mx);
}

static size_t outstanding(const struct server *srv)
{
    size_t n = 0;
    for (const struct conn *c = srv->conns; c; c = c->next)
        n += c->q_len;
    return n;
}

static void conn_line(const struct conn *c, struct buf *o, bool full)
{
    buf_printf(o, " /%s[%x](queued=%zu,recved=%llu,sent=%llu", c->peer_text,
               c->epoll_events & 1u, c->q_len,
               (unsigned long long)c->received, (unsigned long long)c->sent);
    if (full && c->session_id) {
        long long avg_ms = c->lat_count
                               ? (long long)(c->lat_sum_us / (int64_t)c->lat_count)
                               : 0;
        buf_printf(o,
                   ",sid=0x%llx,lop=%s,est=%lld,to=%d,lcxid=0x%x,lzxid=0x%llx,"
                   "lresp=%lld,llat=%lld,minlat=%lld,avglat=%lld.%03lld,"
                   "maxlat=%lld",
                   (unsigned long long)c->session_id, coord_op_name(c->last_op),
                   (long long)c->created_ms,
                   c->session ? c->session->timeout : 0, (unsigned)c->last_xid,
                   (unsigned long long)c->last_zxid, (long long)c->created_ms,
                   (long long)(c->last_latency_us / 1000),
                   (long long)(c->lat_min_us < 0 ? 0 : c->lat_min_us / 1000),
                   avg_ms / 1000, avg_ms % 1000,
                   (long long)(c->lat_max_us / 1000));
    }
    buf_printf(o, ")\n");
}

static const char *mode(const struct server *srv)
{
    return srv->ens ? ensemble_mode(srv->ens) : "standalone";
}

static void srvr(const struct server *srv, struct buf *o, bool stat)
{
    if (!server_serving(srv)) {
        /* ZooKeeper's words for a member without a quorum */
        buf_printf(o, "This ZooKeeper instance is not currently serving "
                      "requests\n");
        return;
    }
    struct tree_stats ts;
    tree_get_stats(srv->tree, &ts);
    buf_printf(o, "Zookeeper version: " VERSION_LINE "\n");
    if (stat) {
        buf_printf(o, "Clients:\n");
        for (const struct conn *c = srv->conns; c; c = c->next)
            conn_line(c, o, false);
        buf_printf(o, "\n");
    }
    latency(srv, o, false);
    buf_printf(o,
               "Received: %llu\nSent: %llu\nConnections: %zu\nOutstanding: "
               "%zu\nZxid: 0x%llx\nMode: %s\nNode count: %llu\n",
               (unsigned long long)srv->stats.packets_received,
               (unsigned long long)srv->stats.packets_sent, srv->n_conns,
               outstanding(srv),
               (unsigned long long)server_last_zxid(srv), mode(srv),
               (unsigned long long)ts.nodes);
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

static void mntr(const struct server *srv, struct buf *o)
{
    struct tree_stats ts;
    tree_get_stats(srv->tree, &ts);
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_NOFILE, &rl);
    buf_printf(o, "zk_version\t" VERSION_LINE "\n");
    latency(srv, o, true);
    buf_printf(
        o,
        "zk_packets_received\t%llu\nzk_packets_sent\t%llu\n"
        "zk_num_alive_connections\t%zu\nzk_outstanding_requests\t%zu\n"
        "zk_server_state\t%s\nzk_znode_count\t%llu\nzk_watch_count\t%llu\n"
        "zk_ephemerals_count\t%llu\nzk_approximate_data_size\t%llu\n"
        "zk_open_file_descriptor_count\t%ld\n"
        "zk_max_file_descriptor_count\t%llu\nzk_uptime\t%lld\n"
        "zk_global_sessions\t%zu\nzk_local_sessions\t0\n"
        "zk_last_proposal_size\t-1\nzk_txns_applied\t%llu\n"
        "zk_pending_txns\t%zu\n",
        (unsigned long long)srv->stats.packets_received,
        (unsigned long long)srv->stats.packets_sent, srv->n_conns,
        outstanding(srv), mode(srv), (unsigned long long)ts.nodes,
        (unsigned long long)ts.watches, (unsigned long long)ts.ephemerals,
        (unsigned long long)ts.data_bytes, count_fds(),
        (unsigned long long)rl.rlim_cur,
        (long long)(server_mono_ms() - srv->start_ms), srv->n_sessions,
        (unsigned long long)srv->stats.txns_applied, srv->txn_len);
    /* coord's own: the gateway is not in zk_num_alive_connections */
    size_t http = 0, streams = 0;
    rest_counts(srv, &http, &streams);
    buf_printf(o,
               "coord_http_connections\t%zu\ncoord_http_streams\t%zu\n"
               "coord_connections_throttled\t%llu\n",
               http, streams, (unsigned long long)srv->conns_throttled);
    if (srv->ens)
        ensemble_mntr(srv->ens, o);
}

struct wch_ctx {
    struct buf *o;
    const struct conn *c;
    bool by_path;
};

static void wch_session(void *ctx, uint64_t watcher, const char *path,
                        size_t len)
{
    struct wch_ctx *w = ctx;
    if ((uint64_t)(uintptr_t)w->c == watcher)
        buf_printf(w->o, "\t%.*s\n", (int)len, path);
}

static void wchc(const struct server *srv, struct buf *o)
{
    for (const struct conn *c = srv->conns; c; c = c->next) {
        if (c->session_id == 0)
            continue;
        buf_printf(o, "0x%llx\n", (unsigned long long)c->session_id);
        struct wch_ctx w = {o, c, false};
        tree_watches_foreach(srv->tree, wch_session, &w);
    }
    buf_printf(o, "\n");
}

static void wchp_one(void *ctx, uint64_t watcher, const char *path, size_t len)
{
    struct buf *o = ctx;
    /* Gateway watchers (low bit set) are not connections: no session. */
    const struct conn *c = (const struct conn *)(uintptr_t)watcher;
    buf_printf(o, "%.*s\n\t0x%llx\n", (int)len, path,
               (unsigned long long)(watcher & 1 ? 0 : c->session_id));
}

static void dump_ephemeral(void *ctx, const char *path, size_t len)
{
    buf_printf(ctx, "\t%.*s\n", (int)len, path);
}

struct dump_ctx {
    const struct server *srv;
    struct buf *o;
    size_t with;
    bool print;
};

static void dump_session(void *ctx, int64_t sid, int32_t timeout)
{
    struct dump_ctx *d = ctx;
    (void)timeout;
    struct buf tmp;
    buf_init(&tmp, 1u << 26);
    tree_ephemerals_foreach(d->srv->tree, sid, dump_ephemeral, &tmp);
    if (tmp.len) {
        d->with++;
        if (d->print) {
            buf_printf(d->o, "0x%llx:\n", (unsigned long long)sid);
            buf_append(d->o, tmp.base, tmp.len);
        }
    }
    buf_close(&tmp);
}

static void dump(const struct server *srv, struct buf *o)
{
    buf_printf(o, "SessionTracker dump:\nSession Sets (%zu)/(%zu):\n",
               srv->n_sessions, srv->n_sessions);
    int64_t now = server_mono_ms();
    for (size_t i = 0; i < srv->sessions_cap; i++)
        for (const struct session *s = srv->sessions[i]; s; s = s->hash_next)
            buf_printf(o, "1 expire in %lld ms:\n\t0x%llx\n",
                       (long long)(s->expire_ms - now),
                       (unsigned long long)s->id);
    struct dump_ctx d = {srv, o, 0, false};
    tree_session_foreach(srv->tree, dump_session, &d);
    buf_printf(o, "ephemeral nodes dump:\nSessions with Ephemerals (%zu):\n",
               d.with);
    d.print = true;
    tree_session_foreach(srv->tree, dump_session, &d);
    buf_printf(o, "Connections dump:\nConnections Sets (1)/(%zu)\n",
               srv->n_conns);
    for (const struct conn *c = srv->conns; c; c = c->next)
        if (c->session_id)
            buf_printf(o, "0x%llx\n", (unsigned long long)c->session_id);
}

static void envi(struct buf *o)
{
    struct utsname u;
    char host[256] = "";
    char cwd[1024] = "";
    gethostname(host, sizeof host - 1);
    if (getcwd(cwd, sizeof cwd) == NULL)
        cwd[0] = '\0';
    uname(&u);
    buf_printf(o,
               "Environment:\nzookeeper.version=" VERSION_LINE "\n"
               "host.name=%s\ncoord.version=" PACKAGE_VERSION "\n"
               "os.name=%s\nos.arch=%s\nos.version=%s\nuser.name=%s\n"
               "user.home=%s\nuser.dir=%s\n",
               host, u.sysname, u.machine, u.release,
               getenv("USER") ? getenv("USER") : "?",
               getenv("HOME") ? getenv("HOME") : "?", cwd);
}

static uint32_t code(const char *w)
{
    return jute_be32((const uint8_t *)w);
}

void fourlw_render(struct server *srv, const char *name, struct buf *o)
{
    if (strcmp(name, "ruok") == 0) {
        buf_printf(o, "imok");
    } else if (strcmp(name, "isro") == 0) {
        buf_printf(o, server_readonly(srv) ? "ro" : "rw");
    } else if (strcmp(name, "srvr") == 0) {
        srvr(srv, o, false);
    } else if (strcmp(name, "stat") == 0) {
        srvr(srv, o, true);
    } else if (strcmp(name, "mntr") == 0) {
        mntr(srv, o);
    } else if (strcmp(name, "conf") == 0) {
        coord_config_write(srv->cfg, o);
    } else if (strcmp(name, "cons") == 0) {
        for (const struct conn *k = srv->conns; k; k = k->next)
            conn_line(k, o, true);
        buf_printf(o, "\n");
    } else if (strcmp(name, "wchs") == 0) {
        struct tree_stats ts;
        tree_get_stats(srv->tree, &ts);
        buf_printf(o, "%llu connections watching %llu paths\nTotal watches:%llu\n",
                   (unsigned long long)ts.watchers,
                   (unsigned long long)ts.watch_paths,
                   (unsigned long long)ts.watches);
    } else if (strcmp(name, "wchc") == 0) {
        wchc(srv, o);
    } else if (strcmp(name, "wchp") == 0) {
        tree_watches_foreach(srv->tree, wchp_one, o);
        buf_printf(o, "\n");
    } else if (strcmp(name, "dump") == 0) {
        dump(srv, o);
    } else if (strcmp(name, "envi") == 0) {
        envi(o);
    } else if (strcmp(name, "dirs") == 0) {
        buf_printf(o, "datadir_size: %llu\nlogdir_size: %llu\n",
                   (unsigned long long)store_data_bytes(srv->store),
                   (unsigned long long)store_log_bytes(srv->store));
    } else if (strcmp(name, "crst") == 0) {
        for (struct conn *k = srv->conns; k; k = k->next) {
            k->received = k->sent = 0;
            k->lat_min_us = -1;
            k->lat_max_us = k->lat_sum_us = 0;
            k->lat_count = 0;
        }
        buf_printf(o, "Connection stats reset.\n");
    } else if (strcmp(name, "srst") == 0) {
        memset(&srv->stats, 0, sizeof srv->stats);
        srv->stats.lat_min_us = -1;
        buf_printf(o, "Server stats reset.\n");
    } else if (strcmp(name, "gtmk") == 0) {
        buf_printf(o, "0");
    } else if (strcmp(name, "hash") == 0) {
        buf_printf(o, "No digest in the history\n");
    } else {
        /* stmk: trace masks do not exist here */
        buf_printf(o, "0");
    }
}

bool fourlw_handle(struct conn *c, uint32_t word)
{
    const char *const *names = coord_config_4lw_names;
    const char *name = NULL;
    for (size_t i = 0; names[i]; i++)
        if (code(names[i]) == word)
            name = names[i];
    if (name == NULL)
        return false;
    struct server *srv = c->srv;
    if (!coord_config_4lw_allowed(srv->cfg, name))
        buf_printf(&c->out,
                   "%s is not executed because it is not in the whitelist.\n",
                   name);
    else
        fourlw_render(srv, name, &c->out);
    conn_mark_dirty(c);
    return true;
}
