/* The simulator: network, disks and clock for zab engines, with invariant
 * checks after every step (spec/zab.md 11.1). */
#include "tests/sim/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "zab/wire.h"

enum { K_MSG = 1, K_SNAP, K_FSYNC, K_TICK, K_FAULT, K_LINKUP, K_RESTART,
       K_CLIENT, K_DOWN, K_UP, K_RECONFIG };

/* Configuration txns: "CFG:" then "<sid><v|o>" items joined by commas. */
#define CFG_PREFIX "CFG:"
#define CFG_PREFIX_LEN 4
#define INITIAL_VERSION 1

struct ev {
    uint64_t t, seq;
    int kind, node, peer;
    unsigned gen;
    uint64_t n; /* K_FSYNC: op sequence to sync up to */
    uint8_t *bytes;
    size_t len;
    zab_zxid snap;
    struct item *image; /* K_SNAP */
    size_t n_image;
};

struct item {
    zab_zxid zxid;
    uint64_t hash;
};

struct rec {
    zab_zxid zxid;
    uint8_t *data;
    size_t len;
};

struct op {
    int kind;
    zab_zxid zxid;
    zab_epoch epoch;
    uint8_t *data;
    size_t len;
};

struct disk {
    struct rec *log; /* durable */
    size_t n_log, cap_log;
    zab_epoch accepted, current;
    struct item *snap;
    size_t n_snap;
    zab_zxid snap_tag;
    /* The active configuration, kept as coordd keeps it in a file written
     * whenever it changes; empty: the initial one. */
    char *cfg_text;
    uint64_t cfg_version;
    bool initialized; /* R-FLE-1: a new ensemble's first boot marker */
    struct op *ops; /* written, not yet synced */
    size_t n_ops, cap_ops;
    uint64_t ops_base; /* sequence number of ops[0] */
    bool inflight, hold, slow;
    unsigned gen;
};

struct node {
    struct zab z;
    bool alive;
    unsigned inc;
    struct disk d;
    struct item *applied;
    size_t n_applied, cap_applied;
    zab_zxid log_tip;
    unsigned sent[256];
};

struct sim {
    struct sim_options o;
    unsigned n;
    uint64_t seed, prng, now, seq;
    struct ev *heap;
    size_t n_heap, cap_heap;
    struct node nodes[SIM_MAX_NODES];
    bool cut[SIM_MAX_NODES][SIM_MAX_NODES];
    bool conn[SIM_MAX_NODES][SIM_MAX_NODES];
    unsigned gen[SIM_MAX_NODES][SIM_MAX_NODES];
    uint64_t fifo[SIM_MAX_NODES][SIM_MAX_NODES];
    struct item *hist;
    size_t n_hist, cap_hist;
    /* zxid -> hash of every txn ever logged (I2). */
    struct item *map;
    size_t map_cap, map_n;
    zab_sid leader_of[1024];
    zab_epoch max_established;
    char violation[512];
    bool quiet;
    uint64_t client_k;
    int cur; /* node being traced */
    char *trace;
    size_t trace_len, trace_cap;
    bool print_trace;
    unsigned reconfigs; /* config txns delivered (first delivery each) */
};

static uint64_t rnd(struct sim *s)
{
    uint64_t x = (s->prng += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t between(struct sim *s, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + rnd(s) % (hi - lo + 1);
}

static bool chance(struct sim *s, unsigned permille)
{
    return rnd(s) % 1000 < permille;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        abort();
    return q;
}

#define GROW(arr, n, cap)                                                      \
    do {                                                                       \
        if ((n) >= (cap)) {                                                    \
            (cap) = (cap) ? (cap)*2 : 16;                                      \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                    \
        }                                                                      \
    } while (0)

static void violate(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void violate(struct sim *s, const char *fmt, ...)
{
    if (s->violation[0])
        return;
    int off = snprintf(s->violation, sizeof s->violation, "t=%llu: ",
                       (unsigned long long)s->now);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->violation + off, sizeof s->violation - (size_t)off, fmt, ap);
    va_end(ap);
}

/* --- event heap ordered by (t, seq) --- */

static bool before(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct sim *s, struct ev e)
{
    e.seq = s->seq++;
    GROW(s->heap, s->n_heap, s->cap_heap);
    size_t i = s->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&e, &s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = e;
}

static struct ev pop(struct sim *s)
{
    struct ev top = s->heap[0];
    struct ev last = s->heap[--s->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap)
            break;
        if (c + 1 < s->n_heap && before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap > 0)
        s->heap[i] = last;
    return top;
}

static void free_ev(struct ev *e)
{
    free(e->bytes);
    free(e->image);
}

/* --- tracing --- */

static void tracer(void *ctx, const char *line)
{
    struct sim *s = ctx;
    if (s->print_trace)
        fprintf(stderr, "%8llu n%d %s\n", (unsigned long long)s->now, s->cur,
                line);
    if (s->o.keep_trace) {
        size_t n = strlen(line);
        while (s->trace_len + n + 2 > s->trace_cap) {
            s->trace_cap = s->trace_cap ? s->trace_cap * 2 : 4096;
            s->trace = xrealloc(s->trace, s->trace_cap);
        }
        memcpy(s->trace + s->trace_len, line, n);
        s->trace_len += n;
        s->trace[s->trace_len++] = '\n';
        s->trace[s->trace_len] = '\0';
    }
}

/* --- invariants --- */

static zab_sid sid_of(unsigned i)
{
    return i + 1;
}

/* I2: one payload per zxid anywhere. */
static void check_unique(struct sim *s, zab_zxid zxid, uint64_t hash)
{
    if (s->map_n * 2 >= s->map_cap) {
        size_t old = s->map_cap;
        struct item *m = s->map;
        s->map_cap = old ? old * 2 : 1024;
        s->map = calloc(s->map_cap, sizeof *s->map);
        if (s->map == NULL)
            abort();
        s->map_n = 0;
        for (size_t i = 0; i < old; i++)
            if (m[i].zxid)
                check_unique(s, m[i].zxid, m[i].hash);
        free(m);
    }
    size_t i = (size_t)(zxid * 0x9e3779b97f4a7c15ull) & (s->map_cap - 1);
    while (s->map[i].zxid && s->map[i].zxid != zxid)
        i = (i + 1) & (s->map_cap - 1);
    if (s->map[i].zxid == 0) {
        s->map[i] = (struct item){zxid, hash};
        s->map_n++;
    } else if (s->map[i].hash != hash) {
        violate(s, "I2: two payloads for zxid 0x%llx",
                (unsigned long long)zxid);
    }
}

/* I3/I5/I6 and "no committed txn lost or reordered": every delivered
 * sequence is a prefix of one global history, and zxids only increase. */
static void check_apply(struct sim *s, unsigned i, zab_zxid zxid,
                        uint64_t hash)
{
    struct node *nd = &s->nodes[i];
    if (nd->n_applied > 0 && zxid <= nd->applied[nd->n_applied - 1].zxid)
        violate(s, "n%u delivered 0x%llx after 0x%llx", i,
                (unsigned long long)zxid,
                (unsigned long long)nd->applied[nd->n_applied - 1].zxid);
    size_t pos = nd->n_applied;
    if (s->print_trace)
        fprintf(stderr, "%8llu n%u sim: deliver 0x%llx at %zu\n",
                (unsigned long long)s->now, i, (unsigned long long)zxid, pos);
    if (pos < s->n_hist) {
        if (s->hist[pos].zxid != zxid || s->hist[pos].hash != hash)
            violate(s,
                    "I3: n%u delivered 0x%llx at position %zu where "
                    "0x%llx was delivered",
                    i, (unsigned long long)zxid, pos,
                    (unsigned long long)s->hist[pos].zxid);
    } else {
        GROW(s->hist, s->n_hist, s->cap_hist);
        s->hist[s->n_hist++] = (struct item){zxid, hash};
    }
    GROW(nd->applied, nd->n_applied, nd->cap_applied);
    nd->applied[nd->n_applied++] = (struct item){zxid, hash};
}

static bool durable_has(const struct disk *d, zab_zxid zxid)
{
    size_t lo = 0, hi = d->n_log;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->log[mid].zxid < zxid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n_log && d->log[lo].zxid == zxid;
}

/* --- connections --- */

static bool link_ok(const struct sim *s, unsigned a, unsigned b)
{
    return s->nodes[a].alive && s->nodes[b].alive && !s->cut[a][b];
}

static void conn_down(struct sim *s, unsigned a, unsigned b)
{
    if (!s->conn[a][b])
        return;
    s->conn[a][b] = s->conn[b][a] = false;
    s->gen[a][b]++;
    s->gen[b][a] = s->gen[a][b];
    if (s->nodes[a].alive)
        push(s, (struct ev){.t = s->now, .kind = K_DOWN, .node = (int)a,
                            .peer = (int)b, .gen = s->nodes[a].inc});
    if (s->nodes[b].alive)
        push(s, (struct ev){.t = s->now, .kind = K_DOWN, .node = (int)b,
                            .peer = (int)a, .gen = s->nodes[b].inc});
}

static void schedule_linkup(struct sim *s, unsigned a, unsigned b)
{
    push(s, (struct ev){.t = s->now + between(s, 5, 200), .kind = K_LINKUP,
                        .node = (int)a, .peer = (int)b});
}

static void conn_up(struct sim *s, unsigned a, unsigned b)
{
    if (s->conn[a][b] || !link_ok(s, a, b))
        return;
    s->conn[a][b] = s->conn[b][a] = true;
    s->fifo[a][b] = s->fifo[b][a] = s->now;
    push(s, (struct ev){.t = s->now, .kind = K_UP, .node = (int)a,
                        .peer = (int)b, .gen = s->nodes[a].inc});
    push(s, (struct ev){.t = s->now, .kind = K_UP, .node = (int)b,
                        .peer = (int)a, .gen = s->nodes[b].inc});
}

/* --- disk --- */

static void schedule_fsync(struct sim *s, unsigned i)
{
    struct disk *d = &s->nodes[i].d;
    if (d->inflight || d->hold || d->n_ops == 0)
        return;
    uint64_t delay = between(s, s->o.fsync_min_ms, s->o.fsync_max_ms);
    if (d->slow)
        delay *= 20;
    d->inflight = true;
    push(s, (struct ev){.t = s->now + delay, .kind = K_FSYNC, .node = (int)i,
                        .gen = d->gen, .n = d->ops_base + d->n_ops});
}

static void disk_apply(struct disk *d, struct op *op)
{
    switch (op->kind) {
    case ZAB_PERSIST_APPEND:
        GROW(d->log, d->n_log, d->cap_log);
        d->log[d->n_log++] = (struct rec){op->zxid, op->data, op->len};
        op->data = NULL;
        break;
    case ZAB_PERSIST_TRUNCATE:
        while (d->n_log > 0 && d->log[d->n_log - 1].zxid > op->zxid)
            free(d->log[--d->n_log].data);
        break;
    case ZAB_PERSIST_ACCEPTED_EPOCH:
        d->accepted = op->epoch;
        break;
    case ZAB_PERSIST_CURRENT_EPOCH:
        d->current = op->epoch;
        break;
    }
    free(op->data);
    op->data = NULL;
}

static void disk_close(struct disk *d)
{
    for (size_t i = 0; i < d->n_log; i++)
        free(d->log[i].data);
    for (size_t i = 0; i < d->n_ops; i++)
        free(d->ops[i].data);
    free(d->log);
    free(d->ops);
    free(d->snap);
    free(d->cfg_text);
    memset(d, 0, sizeof *d);
}

static void drop_ops(struct disk *d)
{
    for (size_t i = 0; i < d->n_ops; i++)
        free(d->ops[i].data);
    d->ops_base += d->n_ops;
    d->n_ops = 0;
    d->inflight = false;
    d->gen++;
}

/* --- stepping an engine and carrying out its update --- */

/* --- configurations --- */

static bool txn_config(void *ctx, const uint8_t *txn, size_t len,
                       const uint8_t **text, size_t *text_len)
{
    (void)ctx;
    if (len < CFG_PREFIX_LEN || memcmp(txn, CFG_PREFIX, CFG_PREFIX_LEN) != 0)
        return false;
    *text = txn + CFG_PREFIX_LEN;
    *text_len = len - CFG_PREFIX_LEN;
    return true;
}

static int parse_config(void *ctx, const uint8_t *text, size_t len,
                        struct zab_membership *out)
{
    (void)ctx;
    size_t i = 0;
    out->n = 0;
    while (i < len) {
        zab_sid id = 0;
        size_t d = i;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            id = id * 10 + (zab_sid)(text[i++] - '0');
        if (i == d || i >= len || id == 0 || out->n == ZAB_MAX_MEMBERS ||
            (text[i] != 'v' && text[i] != 'o'))
            return -1;
        out->members[out->n++] = (struct zab_member){
            id, text[i++] == 'v' ? ZAB_VOTER : ZAB_OBSERVER};
        if (i < len && text[i++] != ',')
            return -1;
    }
    return out->n ? 0 : -1;
}

/* Writes roles (ZAB_VOTER / ZAB_OBSERVER / 0 per server) as a text. */
static void config_text(const struct sim *s, const int *roles, char *buf,
                        size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned j = 0; j < s->n; j++) {
        if (roles[j] == 0)
            continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu%c", n ? "," : "",
                              (unsigned long long)sid_of(j),
                              roles[j] == ZAB_VOTER ? 'v' : 'o');
    }
}

/* Every active configuration is the initial one or a delivered txn that
 * carried exactly that text (configurations come only from commits). */
static void check_config(struct sim *s, unsigned i)
{
    const struct zab_cfgstate *a = zab_active_config(&s->nodes[i].z);
    if (a->m.version == INITIAL_VERSION)
        return;
    size_t lo = 0, hi = s->n_hist;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->hist[mid].zxid < a->m.version)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint8_t buf[512];
    if (a->len + CFG_PREFIX_LEN > sizeof buf) {
        violate(s, "n%u: configuration text too long", i);
        return;
    }
    memcpy(buf, CFG_PREFIX, CFG_PREFIX_LEN);
    memcpy(buf + CFG_PREFIX_LEN, a->text, a->len);
    if (lo >= s->n_hist || s->hist[lo].zxid != a->m.version ||
        s->hist[lo].hash != fnv(buf, a->len + CFG_PREFIX_LEN))
        violate(s, "n%u: active configuration 0x%llx was never committed",
                i, (unsigned long long)a->m.version);
}

/* coordd writes its active configuration to a file when it changes. */
static void save_config(struct sim *s, unsigned i)
{
    struct node *nd = &s->nodes[i];
    const struct zab_cfgstate *a = zab_active_config(&nd->z);
    if (a->m.version == nd->d.cfg_version)
        return;
    free(nd->d.cfg_text);
    nd->d.cfg_text = xrealloc(NULL, a->len + 1);
    memcpy(nd->d.cfg_text, a->text, a->len);
    nd->d.cfg_text[a->len] = '\0';
    nd->d.cfg_version = a->m.version;
    if (s->print_trace)
        fprintf(stderr, "%8llu n%u sim: config 0x%llx %s\n",
                (unsigned long long)s->now, i,
                (unsigned long long)a->m.version, nd->d.cfg_text);
}

static void step(struct sim *s, unsigned i, const struct zab_event *ev);

static void send_bytes(struct sim *s, unsigned from, unsigned to,
                       const uint8_t *p, size_t len, int kind,
                       zab_zxid snap)
{
    if (!s->conn[from][to])
        return;
    if (kind == K_MSG && chance(s, s->o.drop_permille)) {
        conn_down(s, from, to); /* lost bytes break the TCP connection */
        schedule_linkup(s, from, to);
        return;
    }
    uint64_t t = s->now + between(s, s->o.delay_min_ms, s->o.delay_max_ms);
    if (t < s->fifo[from][to])
        t = s->fifo[from][to];
    s->fifo[from][to] = t;
    struct ev e = {.t = t, .kind = kind, .node = (int)to, .peer = (int)from,
                   .gen = s->gen[from][to], .snap = snap};
    if (kind == K_MSG) {
        e.bytes = xrealloc(NULL, len);
        memcpy(e.bytes, p, len);
        e.len = len;
        if (len >= 4 && p[3] == ZAB_MSG_NOTIFICATION && p[0] == 0 &&
            chance(s, s->o.dup_permille)) {
            struct ev d = e;
            d.bytes = xrealloc(NULL, len);
            memcpy(d.bytes, p, len);
            push(s, d);
        }
    } else {
        /* The image of the sender's state as of snap. */
        const struct node *nd = &s->nodes[from];
        size_t n = 0;
        while (n < nd->n_applied && nd->applied[n].zxid <= snap)
            n++;
        if (n == 0 || nd->applied[n - 1].zxid != snap) {
            if (snap != 0)
                violate(s, "n%u asked to send a snapshot at 0x%llx it does "
                           "not hold", from, (unsigned long long)snap);
        }
        e.image = xrealloc(NULL, (n ? n : 1) * sizeof *e.image);
        memcpy(e.image, nd->applied, n * sizeof *e.image);
        e.n_image = n;
    }
    push(s, e);
}

static void check_role(struct sim *s, unsigned i, const struct zab_update *u)
{
    if (u->role != ZAB_LEADING || u->phase < ZAB_SYNC)
        return;
    zab_epoch e = u->epoch;
    if (e < 1024) {
        if (s->leader_of[e] == 0)
            s->leader_of[e] = sid_of(i);
        else if (s->leader_of[e] != sid_of(i))
            violate(s, "I1: two leaders for epoch %u: sid %llu and %llu", e,
                    (unsigned long long)s->leader_of[e],
                    (unsigned long long)sid_of(i));
    }
    if (u->phase == ZAB_BROADCAST && u->changed) {
        if (e < s->max_established)
            violate(s, "I1: epoch %u established after %u", e,
                    s->max_established);
        s->max_established = e;
    }
}

static void carry_out(struct sim *s, unsigned i, const struct zab_update *u)
{
    struct node *nd = &s->nodes[i];
    check_role(s, i, u);
    for (size_t k = 0; k < u->n_deliver; k++) {
        const struct zab_delivery *d = &u->deliver[k];
        bool fresh = nd->n_applied >= s->n_hist;
        check_apply(s, i, d->zxid, fnv(d->data, d->len));
        if (fresh && d->len >= CFG_PREFIX_LEN &&
            memcmp(d->data, CFG_PREFIX, CFG_PREFIX_LEN) == 0)
            s->reconfigs++;
    }
    if (u->config_changed) {
        check_config(s, i);
        save_config(s, i);
    }
    if (u->n_deliver > 0 && s->o.snapshot_every &&
        rnd(s) % s->o.snapshot_every == 0) {
        /* R-PERS-7: snapshots hold delivered (committed) state only. */
        free(nd->d.snap);
        nd->d.snap = xrealloc(NULL, nd->n_applied * sizeof *nd->d.snap);
        memcpy(nd->d.snap, nd->applied, nd->n_applied * sizeof *nd->d.snap);
        nd->d.n_snap = nd->n_applied;
        nd->d.snap_tag = nd->applied[nd->n_applied - 1].zxid;
    }
    for (size_t k = 0; k < u->n_send; k++) {
        const struct zab_send *sd = &u->send[k];
        if (sd->to < 1 || sd->to > s->n || sd->to == sid_of(i)) {
            violate(s, "n%u sent to bad sid %llu", i,
                    (unsigned long long)sd->to);
            continue;
        }
        unsigned to = (unsigned)sd->to - 1;
        if (sd->kind == ZAB_SEND_SNAPSHOT) {
            send_bytes(s, i, to, NULL, 0, K_SNAP, sd->snap_zxid);
            continue;
        }
        struct zab_msg m;
        if (zab_msg_decode(sd->data, sd->len, &m) != 0) {
            violate(s, "n%u sent an undecodable message", i);
            continue;
        }
        nd->sent[m.type & 0xff]++;
        /* I11: ACK(z) only once z is durable. */
        if (m.type == ZAB_MSG_ACK && ZAB_COUNTER(m.zxid) != 0 &&
            !durable_has(&nd->d, m.zxid))
            violate(s, "I11: n%u acked 0x%llx before it was durable", i,
                    (unsigned long long)m.zxid);
        if (m.type == ZAB_MSG_ACKEPOCH && m.current_epoch >= 0 &&
            nd->d.accepted < nd->z.epoch)
            violate(s, "R-DUR-4: n%u sent ACKEPOCH before acceptedEpoch "
                       "was durable", i);
        send_bytes(s, i, to, sd->data, sd->len, K_MSG, 0);
    }
    struct disk *d = &nd->d;
    for (size_t k = 0; k < u->n_persist; k++) {
        const struct zab_persist *p = &u->persist[k];
        struct op op = {.kind = p->kind, .zxid = p->zxid, .epoch = p->epoch};
        if (p->kind == ZAB_PERSIST_APPEND) {
            check_unique(s, p->zxid, fnv(p->data, p->len));
            if (p->zxid <= nd->log_tip)
                violate(s, "n%u appended 0x%llx after 0x%llx", i,
                        (unsigned long long)p->zxid,
                        (unsigned long long)nd->log_tip);
            nd->log_tip = p->zxid;
            op.data = xrealloc(NULL, p->len);
            memcpy(op.data, p->data, p->len);
            op.len = p->len;
        } else if (p->kind == ZAB_PERSIST_TRUNCATE) {
            /* I9: TRUNC never removes a delivered (committed) txn. */
            if (nd->n_applied > 0 &&
                p->zxid < nd->applied[nd->n_applied - 1].zxid)
                violate(s, "I9: n%u truncates to 0x%llx below delivered "
                           "0x%llx", i, (unsigned long long)p->zxid,
                        (unsigned long long)nd->applied[nd->n_applied - 1]
                            .zxid);
            if (p->zxid < nd->log_tip)
                nd->log_tip = p->zxid;
        }
        GROW(d->ops, d->n_ops, d->cap_ops);
        d->ops[d->n_ops++] = op;
    }
    schedule_fsync(s, i);
}

static void step(struct sim *s, unsigned i, const struct zab_event *ev)
{
    struct node *nd = &s->nodes[i];
    struct zab_update u;
    int prev = s->cur;
    s->cur = (int)i;
    int rc = zab_step(&nd->z, ev, &u);
    s->cur = prev;
    if (rc == COORD_ENOMEM)
        violate(s, "n%u: out of memory", i);
    carry_out(s, i, &u);
}

/* fsync completes: apply the synced ops, report them in order. */
static void on_fsync(struct sim *s, struct ev *e)
{
    unsigned i = (unsigned)e->node;
    struct node *nd = &s->nodes[i];
    struct disk *d = &nd->d;
    if (!nd->alive || e->gen != d->gen)
        return;
    d->inflight = false;
    size_t k = (size_t)(e->n - d->ops_base);
    if (k > d->n_ops)
        k = d->n_ops;
    struct op *done = xrealloc(NULL, (k ? k : 1) * sizeof *done);
    memcpy(done, d->ops, k * sizeof *done);
    memmove(d->ops, d->ops + k, (d->n_ops - k) * sizeof *d->ops);
    d->n_ops -= k;
    d->ops_base += k;
    zab_epoch acc = d->accepted, cur = d->current;
    for (size_t j = 0; j < k; j++)
        disk_apply(d, &done[j]);
    if (d->current > d->accepted || d->accepted < acc || d->current < cur)
        violate(s, "I12: n%u epochs accepted=%u current=%u (were %u %u)", i,
                d->accepted, d->current, acc, cur);
    unsigned inc = nd->inc;
    unsigned gen = d->gen;
    bool have_log = false;
    zab_zxid last = 0;
    for (size_t j = 0; j < k && nd->alive && nd->inc == inc && d->gen == gen;
         j++) {
        struct op *op = &done[j];
        if (op->kind == ZAB_PERSIST_APPEND || op->kind == ZAB_PERSIST_TRUNCATE) {
            have_log = true;
            last = op->zxid;
            continue;
        }
        if (have_log) {
            step(s, i, &(struct zab_event){.type = ZAB_EV_PERSISTED,
                                           .persisted.zxid = last});
            have_log = false;
        }
        step(s, i, &(struct zab_event){.type = ZAB_EV_EPOCH_PERSISTED});
    }
    if (have_log && nd->alive && nd->inc == inc && d->gen == gen)
        step(s, i, &(struct zab_event){.type = ZAB_EV_PERSISTED,
                                       .persisted.zxid = last});
    free(done);
    schedule_fsync(s, i);
}

/* --- nodes --- */

static void boot(struct sim *s, unsigned i)
{
    struct node *nd = &s->nodes[i];
    struct zab_config cfg;
    zab_config_defaults(&cfg);
    cfg.my_id = sid_of(i);
    char text[256];
    if (nd->d.cfg_text != NULL) {
        snprintf(text, sizeof text, "%s", nd->d.cfg_text);
    } else {
        int roles[SIM_MAX_NODES] = {0};
        for (unsigned j = 0; j < s->o.voters + s->o.observers; j++)
            roles[j] = j < s->o.voters ? ZAB_VOTER : ZAB_OBSERVER;
        config_text(s, roles, text, sizeof text);
    }
    if (parse_config(NULL, (const uint8_t *)text, strlen(text),
                     &cfg.members) != 0) {
        violate(s, "n%u: bad stored configuration", i);
        return;
    }
    cfg.members.version =
        nd->d.cfg_text != NULL ? nd->d.cfg_version : INITIAL_VERSION;
    cfg.config_text = (const uint8_t *)text;
    cfg.config_len = strlen(text);
    cfg.txn_config = txn_config;
    cfg.parse_config = parse_config;
    cfg.tick_ms = 100;
    cfg.init_limit = 10;
    cfg.sync_limit = 5;
    cfg.election_min_ms = 50;
    cfg.election_max_ms = 800;
    cfg.finalize_ms = 30;
    cfg.window = s->o.window;
    cfg.window_bytes = s->o.window_bytes;
    cfg.max_outstanding = 64;
    cfg.counter_max = s->o.counter_max;
    cfg.tracer = tracer;
    cfg.tracer_ctx = s;
    struct disk *d = &nd->d;
    /* Recovery (spec 9.5): the snapshot, then the log above it. A log that
     * ends below the snapshot is wholly inside it; later appends must not
     * leave a hole after it, so start a new log generation (as a SNAP
     * sync does). */
    if (d->n_log > 0 && d->log[d->n_log - 1].zxid < d->snap_tag) {
        for (size_t k = 0; k < d->n_log; k++)
            free(d->log[k].data);
        d->n_log = 0;
    }
    struct zab_record *recs =
        xrealloc(NULL, (d->n_log ? d->n_log : 1) * sizeof *recs);
    for (size_t k = 0; k < d->n_log; k++)
        recs[k] = (struct zab_record){d->log[k].zxid, d->log[k].data,
                                      d->log[k].len};
    struct zab_persisted b = {.accepted_epoch = d->accepted,
                              .current_epoch = d->current,
                              .last_committed = d->snap_tag,
                              .log = recs,
                              .n_log = d->n_log,
                              .abstain = !d->initialized && d->n_log == 0 &&
                                         d->n_snap == 0 && d->current == 0};
    int rc = zab_init(&nd->z, &cfg, &b, s->seed * 31 + i + nd->inc * 7919);
    free(recs);
    if (rc != 0) {
        violate(s, "n%u: zab_init failed %d", i, rc);
        return;
    }
    nd->alive = true;
    nd->n_applied = 0;
    for (size_t k = 0; k < d->n_snap; k++) {
        GROW(nd->applied, nd->n_applied, nd->cap_applied);
        nd->applied[nd->n_applied++] = d->snap[k];
    }
    nd->log_tip = d->n_log ? d->log[d->n_log - 1].zxid : 0;
    if (s->print_trace)
        fprintf(stderr,
                "%8llu n%u sim: boot accepted=%u current=%u snap=0x%llx "
                "records=%zu last=0x%llx\n",
                (unsigned long long)s->now, i, d->accepted, d->current,
                (unsigned long long)d->snap_tag, d->n_log,
                (unsigned long long)nd->log_tip);
    /* The first event a driver feeds is a tick: the engine's clock. */
    push(s, (struct ev){.t = s->now, .kind = K_TICK, .node = (int)i,
                        .gen = nd->inc});
    for (unsigned j = 0; j < s->n; j++)
        if (j != i)
            conn_up(s, i, j);
}

void sim_wipe(struct sim *s, unsigned i)
{
    sim_crash(s, i);
    disk_close(&s->nodes[i].d); /* everything, the marker too */
    s->nodes[i].n_applied = 0;
}

void sim_crash(struct sim *s, unsigned i)
{
    struct node *nd = &s->nodes[i];
    if (!nd->alive)
        return;
    nd->alive = false;
    nd->inc++;
    struct disk *d = &nd->d;
    /* Unsynced writes: a random prefix reached the platter, the rest is
     * lost, and the last surviving record may be torn (then recovery
     * drops it, which is the same as losing it). */
    size_t keep = d->n_ops ? (size_t)between(s, 0, d->n_ops) : 0;
    if (keep > 0 && d->ops[keep - 1].kind == ZAB_PERSIST_APPEND &&
        chance(s, 500))
        keep--;
    zab_epoch acc = d->accepted, cur = d->current;
    for (size_t k = 0; k < keep; k++)
        disk_apply(d, &d->ops[k]);
    for (size_t k = keep; k < d->n_ops; k++)
        free(d->ops[k].data);
    if (d->current > d->accepted || d->accepted < acc || d->current < cur)
        violate(s, "I12: n%u epochs after crash accepted=%u current=%u", i,
                d->accepted, d->current);
    d->ops_base += d->n_ops;
    d->n_ops = 0;
    d->inflight = false;
    d->gen++;
    zab_close(&nd->z);
    for (unsigned j = 0; j < s->n; j++)
        if (j != i)
            conn_down(s, i, j);
}

void sim_restart(struct sim *s, unsigned i)
{
    if (!s->nodes[i].alive)
        boot(s, i);
}

void sim_cut(struct sim *s, unsigned i, unsigned j, bool cut)
{
    s->cut[i][j] = s->cut[j][i] = cut;
    if (cut)
        conn_down(s, i, j);
    else
        conn_up(s, i, j);
}

void sim_isolate(struct sim *s, unsigned i)
{
    for (unsigned j = 0; j < s->n; j++)
        if (j != i)
            sim_cut(s, i, j, true);
}

void sim_heal(struct sim *s)
{
    for (unsigned i = 0; i < s->n; i++)
        for (unsigned j = 0; j < s->n; j++)
            if (i != j)
                sim_cut(s, i, j, false);
}

void sim_hold_fsync(struct sim *s, unsigned i, bool hold)
{
    s->nodes[i].d.hold = hold;
    if (!hold)
        schedule_fsync(s, i);
}

void sim_quiet(struct sim *s, bool quiet)
{
    s->quiet = quiet;
}

/* --- random schedule --- */

static void fault(struct sim *s)
{
    unsigned i = (unsigned)between(s, 0, s->n - 1);
    switch (rnd(s) % 8) {
    case 0:
    case 1:
        if (s->nodes[i].alive) {
            sim_crash(s, i);
            push(s, (struct ev){.t = s->now + between(s, 50, 1500),
                                .kind = K_RESTART, .node = (int)i});
        }
        break;
    case 2:
        sim_isolate(s, i);
        break;
    case 3: {
        /* Split into two random sides. */
        uint64_t side = rnd(s);
        for (unsigned a = 0; a < s->n; a++)
            for (unsigned b = a + 1; b < s->n; b++)
                sim_cut(s, a, b, ((side >> a) & 1) != ((side >> b) & 1));
        break;
    }
    case 4:
        sim_cut(s, i, (unsigned)between(s, 0, s->n - 1) % s->n, true);
        break;
    case 5:
        s->nodes[i].d.slow = !s->nodes[i].d.slow;
        break;
    default:
        sim_heal(s);
        break;
    }
}

static void client(struct sim *s)
{
    int l = sim_leader(s);
    if (l < 0) {
        /* Maybe a stale leader still takes writes: pick any server. */
        l = (int)between(s, 0, s->n - 1);
    }
    char buf[64];
    snprintf(buf, sizeof buf, "s%llu-k%llu", (unsigned long long)s->seed,
             (unsigned long long)s->client_k++);
    if (s->nodes[l].alive)
        sim_submit(s, (unsigned)l, buf);
}

/* A random membership over every server, with at least two voters (coordd
 * refuses fewer, as ZooKeeper does with standaloneEnabled). */
static void reconfig(struct sim *s)
{
    int l = sim_leader(s);
    if (l < 0)
        return;
    int roles[SIM_MAX_NODES];
    unsigned voters = 0;
    for (unsigned j = 0; j < s->n; j++) {
        unsigned r = (unsigned)(rnd(s) % 10);
        roles[j] = r < 6 ? ZAB_VOTER : r < 8 ? ZAB_OBSERVER : 0;
        voters += roles[j] == ZAB_VOTER;
    }
    while (voters < 2 && s->n >= 2) {
        unsigned j = (unsigned)between(s, 0, s->n - 1);
        if (roles[j] != ZAB_VOTER) {
            roles[j] = ZAB_VOTER;
            voters++;
        }
    }
    sim_reconfig(s, (unsigned)l, roles);
}

static void run_event(struct sim *s, struct ev *e)
{
    s->now = e->t;
    unsigned i = (unsigned)e->node;
    struct node *nd = &s->nodes[i];
    switch (e->kind) {
    case K_MSG:
        if (nd->alive && s->conn[e->peer][i] && e->gen == s->gen[e->peer][i])
            step(s, i, &(struct zab_event){
                           .type = ZAB_EV_MSG,
                           .msg = {sid_of((unsigned)e->peer), e->bytes,
                                   e->len}});
        break;
    case K_SNAP: {
        zab_zxid want;
        if (!nd->alive || !s->conn[e->peer][i] ||
            e->gen != s->gen[e->peer][i] ||
            !zab_snapshot_wanted(&nd->z, &want) || want != e->snap)
            break;
        /* The image must not roll the state back. */
        if (nd->n_applied > e->n_image)
            violate(s, "n%u: snapshot at 0x%llx older than its state", i,
                    (unsigned long long)e->snap);
        nd->n_applied = 0;
        for (size_t k = 0; k < e->n_image; k++)
            check_apply(s, i, e->image[k].zxid, e->image[k].hash);
        struct disk *d = &nd->d;
        drop_ops(d);
        for (size_t k = 0; k < d->n_log; k++)
            free(d->log[k].data);
        d->n_log = 0;
        free(d->snap);
        d->snap = e->image;
        e->image = NULL;
        d->n_snap = e->n_image;
        d->snap_tag = e->snap;
        nd->log_tip = e->snap;
        step(s, i, &(struct zab_event){.type = ZAB_EV_SNAPSHOT_LOADED,
                                       .snapshot.zxid = e->snap});
        break;
    }
    case K_FSYNC:
        on_fsync(s, e);
        break;
    case K_TICK:
        if (!nd->alive || e->gen != nd->inc)
            break;
        step(s, i, &(struct zab_event){.type = ZAB_EV_TICK,
                                       .tick.now_ms = s->now});
        push(s, (struct ev){.t = s->now + 50, .kind = K_TICK, .node = (int)i,
                            .gen = nd->inc});
        break;
    case K_DOWN:
    case K_UP:
        if (nd->alive && e->gen == nd->inc)
            step(s, i, &(struct zab_event){
                           .type = e->kind == K_UP ? ZAB_EV_PEER_UP
                                                   : ZAB_EV_PEER_DOWN,
                           .peer.id = sid_of((unsigned)e->peer)});
        break;
    case K_LINKUP:
        conn_up(s, i, (unsigned)e->peer);
        break;
    case K_RESTART:
        if (!s->quiet || !nd->alive)
            sim_restart(s, i);
        break;
    case K_FAULT:
        if (!s->quiet && s->o.faults) {
            fault(s);
            push(s, (struct ev){.t = s->now + between(s, s->o.fault_min_ms,
                                                      s->o.fault_max_ms),
                                .kind = K_FAULT});
        }
        break;
    case K_RECONFIG:
        if (!s->quiet && s->o.reconfig_ms) {
            reconfig(s);
            push(s, (struct ev){.t = s->now +
                                     between(s, 1, 2 * s->o.reconfig_ms),
                                .kind = K_RECONFIG});
        }
        break;
    case K_CLIENT:
        if (!s->quiet && s->o.client_ms) {
            client(s);
            push(s, (struct ev){.t = s->now +
                                     between(s, 1, 2 * s->o.client_ms),
                                .kind = K_CLIENT});
        }
        break;
    }
}

/* --- public --- */

void sim_options_defaults(struct sim_options *o)
{
    memset(o, 0, sizeof *o);
    o->voters = 3;
    o->delay_min_ms = 1;
    o->delay_max_ms = 10;
    o->fsync_min_ms = 1;
    o->fsync_max_ms = 8;
    o->fault_min_ms = 100;
    o->fault_max_ms = 1200;
    o->window = 16;
    o->counter_max = 0xfffffffeu;
    o->snapshot_every = 8;
}

struct sim *sim_new(const struct sim_options *o, uint64_t seed)
{
    struct sim *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->o = *o;
    s->n = o->voters + o->observers + o->spares;
    if (s->n == 0 || s->n > SIM_MAX_NODES) {
        free(s);
        return NULL;
    }
    s->seed = seed;
    s->prng = seed * 0x2545f4914f6cdd1dull + 1;
    s->cur = -1;
    const char *env = getenv("COORD_SIM_TRACE");
    s->print_trace = env != NULL && env[0] == '1';
    for (unsigned i = 0; i < s->n; i++) {
        /* the first boot of the configured servers is marked as such;
         * spares start unmarked and abstain until they have synced */
        s->nodes[i].d.initialized = i < o->voters + o->observers;
        boot(s, i);
    }
    if (o->faults)
        push(s, (struct ev){.t = between(s, o->fault_min_ms, o->fault_max_ms),
                            .kind = K_FAULT});
    if (o->client_ms)
        push(s, (struct ev){.t = between(s, 1, o->client_ms),
                            .kind = K_CLIENT});
    if (o->reconfig_ms)
        push(s, (struct ev){.t = between(s, 1, 2 * o->reconfig_ms),
                            .kind = K_RECONFIG});
    return s;
}

void sim_free(struct sim *s)
{
    if (s == NULL)
        return;
    for (size_t k = 0; k < s->n_heap; k++)
        free_ev(&s->heap[k]);
    free(s->heap);
    for (unsigned i = 0; i < s->n; i++) {
        if (s->nodes[i].alive)
            zab_close(&s->nodes[i].z);
        disk_close(&s->nodes[i].d);
        free(s->nodes[i].applied);
    }
    free(s->hist);
    free(s->map);
    free(s->trace);
    free(s);
}

void sim_run_for(struct sim *s, uint64_t ms)
{
    uint64_t end = s->now + ms;
    while (s->n_heap > 0 && s->heap[0].t <= end && !s->violation[0]) {
        struct ev e = pop(s);
        run_event(s, &e);
        free_ev(&e);
    }
    if (s->now < end)
        s->now = end;
}

bool sim_run_until(struct sim *s, bool (*pred)(struct sim *), uint64_t max_ms)
{
    uint64_t end = s->now + max_ms;
    while (!pred(s)) {
        if (s->n_heap == 0 || s->heap[0].t > end || s->violation[0])
            return false;
        struct ev e = pop(s);
        run_event(s, &e);
        free_ev(&e);
    }
    return true;
}

const char *sim_violation(const struct sim *s)
{
    return s->violation[0] ? s->violation : NULL;
}

uint64_t sim_now(const struct sim *s)
{
    return s->now;
}

unsigned sim_size(const struct sim *s)
{
    return s->n;
}

bool sim_alive(const struct sim *s, unsigned i)
{
    return s->nodes[i].alive;
}

const struct zab *sim_zab(const struct sim *s, unsigned i)
{
    return &s->nodes[i].z;
}

int sim_leader(const struct sim *s)
{
    int best = -1;
    for (unsigned i = 0; i < s->n; i++) {
        const struct node *nd = &s->nodes[i];
        if (!nd->alive || !zab_is_leader(&nd->z) ||
            !zab_is_established(&nd->z))
            continue;
        if (best < 0 ||
            zab_epoch_of(&nd->z) > zab_epoch_of(&s->nodes[best].z))
            best = (int)i;
    }
    return best;
}

bool sim_has_leader(struct sim *s)
{
    return sim_leader(s) >= 0;
}

int sim_submit(struct sim *s, unsigned i, const char *payload)
{
    if (!s->nodes[i].alive)
        return COORD_ECLOSED;
    struct zab_update u;
    int prev = s->cur;
    s->cur = (int)i;
    int rc = zab_step(&s->nodes[i].z,
                      &(struct zab_event){
                          .type = ZAB_EV_SUBMIT,
                          .submit = {(const uint8_t *)payload,
                                     strlen(payload)}},
                      &u);
    s->cur = prev;
    carry_out(s, i, &u);
    return rc;
}

int sim_reconfig(struct sim *s, unsigned i, const int *roles)
{
    char text[256];
    config_text(s, roles, text, sizeof text);
    struct zab_membership m;
    if (parse_config(NULL, (const uint8_t *)text, strlen(text), &m) != 0)
        return COORD_EBADARGUMENTS;
    if (!s->nodes[i].alive || !zab_quorum_synced(&s->nodes[i].z, &m))
        return COORD_ENEWCONFIGNOQUORUM;
    char payload[300];
    snprintf(payload, sizeof payload, "%s%s", CFG_PREFIX, text);
    if (s->print_trace)
        fprintf(stderr, "%8llu n%u sim: reconfig %s\n",
                (unsigned long long)s->now, i, text);
    return sim_submit(s, i, payload);
}

void sim_dump(const struct sim *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        const struct zab *z = &s->nodes[i].z;
        if (!s->nodes[i].alive) {
            fprintf(stderr, "  n%u down\n", i);
            continue;
        }
        const struct zab_cfgstate *a = zab_active_config(z);
        const struct zab_cfgstate *p = zab_pending_config(z);
        fprintf(stderr,
                "  n%u %s/%s leader=%llu round=%llu vote=%llu/0x%llx/%u "
                "voting=%d logged=0x%llx delivered=0x%llx cfg=0x%llx %.*s "
                "pending=0x%llx %.*s\n",
                i, zab_role_name(z->role), zab_phase_name(z->phase),
                (unsigned long long)z->leader, (unsigned long long)z->round,
                (unsigned long long)z->proposal.leader,
                (unsigned long long)z->proposal.zxid, z->proposal.epoch,
                z->voting, (unsigned long long)zab_last_logged(z),
                (unsigned long long)zab_last_committed(z),
                (unsigned long long)a->m.version, (int)a->len,
                (const char *)a->text,
                (unsigned long long)(p ? p->m.version : 0),
                p ? (int)p->len : 0, p ? (const char *)p->text : "");
    }
}

unsigned sim_reconfigs(const struct sim *s)
{
    return s->reconfigs;
}

unsigned sim_sent(const struct sim *s, unsigned i, int type)
{
    return s->nodes[i].sent[type & 0xff];
}

size_t sim_delivered(const struct sim *s, unsigned i)
{
    return s->nodes[i].n_applied;
}

zab_zxid sim_last_delivered(const struct sim *s, unsigned i)
{
    const struct node *nd = &s->nodes[i];
    return nd->n_applied ? nd->applied[nd->n_applied - 1].zxid : 0;
}

size_t sim_durable_records(const struct sim *s, unsigned i)
{
    return s->nodes[i].d.n_log;
}

size_t sim_history(const struct sim *s)
{
    return s->n_hist;
}

unsigned sim_traced(const struct sim *s, const char *needle)
{
    unsigned n = 0;
    for (const char *p = s->trace; p && (p = strstr(p, needle)) != NULL;
         p += strlen(needle))
        n++;
    return n;
}

static struct sim *conv_sim;
static size_t conv_want;

static bool all_caught_up(struct sim *s)
{
    (void)conv_sim;
    for (unsigned i = 0; i < s->n; i++)
        if (s->nodes[i].n_applied < conv_want)
            return false;
    return true;
}

bool sim_converge(struct sim *s, uint64_t max_ms)
{
    sim_quiet(s, true);
    for (unsigned i = 0; i < s->n; i++) {
        s->nodes[i].d.slow = false;
        sim_restart(s, i);
    }
    sim_heal(s);
    uint64_t end = s->now + max_ms;
    while (s->now < end && !s->violation[0]) {
        if (!sim_run_until(s, sim_has_leader, end - s->now))
            return false;
        int l = sim_leader(s);
        if (sim_submit(s, (unsigned)l, "final") != 0) {
            sim_run_for(s, 50);
            continue;
        }
        conv_want = s->nodes[l].n_applied + 1;
        conv_sim = s;
        /* Every server must deliver it; a stale leader's txn may be
         * truncated away, so retry with whoever leads after a while. */
        uint64_t wait = end - s->now < 3000 ? end - s->now : 3000;
        if (sim_run_until(s, all_caught_up, wait))
            return true;
    }
    return false;
}
