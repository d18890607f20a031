/* The Zab engine's dispatcher: init, step, the phase table, log and outbox. */
#include "zab/internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 65536

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    uint8_t data[];
};

/* Phase transition table (dqlite sm style): allowed[from][to]. */
static const bool allowed[4][4] = {
    /* to:        ELECTION DISCOVERY SYNC   BROADCAST */
    [ZAB_ELECTION] = {false, true, false, false},
    [ZAB_DISCOVERY] = {true, false, true, false},
    [ZAB_SYNC] = {true, false, false, true},
    [ZAB_BROADCAST] = {true, false, false, false},
};

void zab_config_defaults(struct zab_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tick_ms = 2000;
    cfg->init_limit = 10;
    cfg->sync_limit = 5;
    cfg->election_min_ms = 200;
    cfg->election_max_ms = 10000;
    cfg->finalize_ms = 200;
    cfg->window = 500;
    cfg->max_outstanding = 1000;
    cfg->counter_max = 0xfffffffeu;
}

const char *zab_phase_name(int phase)
{
    static const char *names[] = {"election", "discovery", "sync",
                                  "broadcast"};
    return phase >= 0 && phase < 4 ? names[phase] : "?";
}

const char *zab_role_name(int role)
{
    static const char *names[] = {"looking", "following", "leading",
                                  "observing"};
    return role >= 0 && role < 4 ? names[role] : "?";
}

/* --- tracing: a printf subset (%s %d %u %llu %llx), no stdio here --- */

static void put_str(char *buf, size_t *n, size_t cap, const char *s)
{
    while (*s && *n + 1 < cap)
        buf[(*n)++] = *s++;
}

static void put_num(char *buf, size_t *n, size_t cap, unsigned long long v,
                    unsigned base, bool neg)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg && *n + 1 < cap)
        buf[(*n)++] = '-';
    while (i > 0 && *n + 1 < cap)
        buf[(*n)++] = tmp[--i];
}

void zab_trace(struct zab *z, const char *fmt, ...)
{
    if (z->cfg.tracer == NULL)
        return;
    char buf[256];
    size_t n = 0, cap = sizeof buf;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            if (n + 1 < cap)
                buf[n++] = *p;
            continue;
        }
        p++;
        if (*p == 's') {
            put_str(buf, &n, cap, va_arg(ap, const char *));
        } else if (*p == 'd') {
            int v = va_arg(ap, int);
            put_num(buf, &n, cap, v < 0 ? -(unsigned long long)v : (unsigned)v,
                    10, v < 0);
        } else if (*p == 'u') {
            put_num(buf, &n, cap, va_arg(ap, unsigned), 10, false);
        } else if (p[0] == 'l' && p[1] == 'l' && (p[2] == 'u' || p[2] == 'x')) {
            put_num(buf, &n, cap, va_arg(ap, unsigned long long),
                    p[2] == 'u' ? 10 : 16, false);
            p += 2;
        } else if (*p == '\0') {
            break;
        }
    }
    va_end(ap);
    buf[n] = '\0';
    z->cfg.tracer(z->cfg.tracer_ctx, buf);
}

/* --- PRNG: splitmix64, seeded in zab_init --- */

uint64_t zab_rand(struct zab *z)
{
    uint64_t x = (z->prng += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

zab_sid zab_sid_at(const struct zab *z, int idx)
{
    return z->peers[idx];
}

/* --- the per-step arena: blocks never move, so pointers stay valid --- */

static struct arena_block *arena_head(struct zab *z)
{
    return (struct arena_block *)z->arena;
}

static uint8_t *arena_alloc(struct zab *z, size_t n)
{
    struct arena_block *b = arena_head(z);
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        struct arena_block *nb = malloc(sizeof *nb + cap);
        if (nb == NULL) {
            z->err = COORD_ENOMEM;
            return NULL;
        }
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        z->arena = (uint8_t *)nb;
        b = nb;
    }
    uint8_t *p = b->data + b->used;
    b->used += (n + 7) & ~(size_t)7;
    if (b->used > b->cap)
        b->used = b->cap;
    return p;
}

static void arena_reset(struct zab *z, bool all)
{
    struct arena_block *b = arena_head(z);
    while (b != NULL && (all || b->next != NULL)) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    if (b != NULL)
        b->used = 0;
    z->arena = (uint8_t *)b;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, nc * size);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

/* --- outbox --- */

void zab_send(struct zab *z, zab_sid to, const struct zab_msg *m)
{
    if (!grow((void **)&z->out_send, &z->cap_send, z->n_send + 1,
              sizeof *z->out_send)) {
        z->err = COORD_ENOMEM;
        return;
    }
    size_t len = zab_msg_size(m);
    uint8_t *p = arena_alloc(z, len);
    if (p == NULL)
        return;
    zab_msg_encode(m, p);
    z->out_send[z->n_send++] = (struct zab_send){
        .kind = ZAB_SEND_MSG, .to = to, .data = p, .len = len};
}

void zab_send_snapshot(struct zab *z, zab_sid to, zab_zxid zxid)
{
    if (!grow((void **)&z->out_send, &z->cap_send, z->n_send + 1,
              sizeof *z->out_send)) {
        z->err = COORD_ENOMEM;
        return;
    }
    z->out_send[z->n_send++] = (struct zab_send){
        .kind = ZAB_SEND_SNAPSHOT, .to = to, .snap_zxid = zxid};
}

static bool pending_push(struct zab *z, int kind, zab_zxid zxid, int purpose)
{
    if (z->p_head + z->p_n == z->p_cap && z->p_head > 0) {
        memmove(z->pending, z->pending + z->p_head,
                z->p_n * sizeof *z->pending);
        z->p_head = 0;
    }
    if (!grow((void **)&z->pending, &z->p_cap, z->p_head + z->p_n + 1,
              sizeof *z->pending)) {
        z->err = COORD_ENOMEM;
        return false;
    }
    z->pending[z->p_head + z->p_n++] = (struct zab_pending){
        .kind = kind, .zxid = zxid, .era = z->era, .purpose = purpose};
    return true;
}

static struct zab_persist *persist_push(struct zab *z)
{
    if (!grow((void **)&z->out_persist, &z->cap_persist, z->n_persist + 1,
              sizeof *z->out_persist)) {
        z->err = COORD_ENOMEM;
        return NULL;
    }
    struct zab_persist *p = &z->out_persist[z->n_persist++];
    memset(p, 0, sizeof *p);
    return p;
}

static void persist_append(struct zab *z, const struct zab_entry *e)
{
    uint8_t *copy = arena_alloc(z, e->len ? e->len : 1);
    if (copy == NULL || !pending_push(z, ZAB_PERSIST_APPEND, e->zxid, 0))
        return;
    struct zab_persist *p = persist_push(z);
    if (p == NULL)
        return;
    if (e->len)
        memcpy(copy, e->data, e->len);
    p->kind = ZAB_PERSIST_APPEND;
    p->zxid = e->zxid;
    p->data = copy;
    p->len = e->len;
}

void zab_persist_epoch(struct zab *z, int kind, zab_epoch e, int purpose)
{
    if (!pending_push(z, kind, e, purpose))
        return;
    struct zab_persist *p = persist_push(z);
    if (p == NULL)
        return;
    p->kind = kind;
    p->epoch = e;
    if (kind == ZAB_PERSIST_ACCEPTED_EPOCH)
        z->pending_accepted = e;
    else
        z->pending_current = e;
}

bool zab_pending_empty(const struct zab *z)
{
    return z->p_n == 0;
}

void zab_pending_clear(struct zab *z)
{
    z->p_head = z->p_n = 0;
}

/* Hands out every log entry up to zxid that was not delivered yet, in
 * order: the single apply path that also feeds the window (spec 10 #21). */
void zab_deliver_upto(struct zab *z, zab_zxid zxid)
{
    long i = zab_log_upper(z, z->delivered);
    for (; i >= 0 && (size_t)i < z->n; i++) {
        struct zab_entry *e = zab_log_at(z, (size_t)i);
        if (e->zxid > zxid)
            break;
        if (!grow((void **)&z->out_deliver, &z->cap_deliver,
                  z->n_deliver + 1, sizeof *z->out_deliver)) {
            z->err = COORD_ENOMEM;
            return;
        }
        uint8_t *copy = arena_alloc(z, e->len ? e->len : 1);
        if (copy == NULL)
            return;
        if (e->len)
            memcpy(copy, e->data, e->len);
        z->out_deliver[z->n_deliver++] =
            (struct zab_delivery){.zxid = e->zxid, .data = copy, .len = e->len};
        z->delivered = e->zxid;
        z->window_used += e->len;
        if (e->config)
            config_delivered(z, e);
    }
    if (z->committed < z->delivered)
        z->committed = z->delivered;
    /* Keep at most `window` delivered entries (spec 4.2), and at most
     * window_bytes of their payloads: large txns must not make the window
     * a copy of the whole history in memory. */
    while (z->n > 0) {
        struct zab_entry *h = &z->entries[z->head];
        long up = zab_log_upper(z, z->delivered);
        size_t n_deliv = up < 0 ? z->n : (size_t)up;
        bool over_bytes = z->cfg.window_bytes != 0 &&
                          z->window_used > z->cfg.window_bytes;
        if ((n_deliv <= z->cfg.window && !over_bytes) ||
            h->zxid > z->delivered)
            break;
        z->base = h->zxid;
        z->window_used -= h->len;
        free(h->data);
        h->data = NULL;
        z->head++;
        z->n--;
    }
}

/* --- the log: entries[head .. head+n) --- */

zab_zxid zab_log_last(const struct zab *z)
{
    return z->n ? z->entries[z->head + z->n - 1].zxid : z->base;
}

struct zab_entry *zab_log_at(const struct zab *z, size_t i)
{
    assert(i < z->n);
    return &z->entries[z->head + i];
}

/* Index of the first entry with zxid > x (n if none). */
long zab_log_upper(const struct zab *z, zab_zxid x)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (z->entries[z->head + mid].zxid <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo;
}

long zab_log_find(const struct zab *z, zab_zxid x)
{
    long i = zab_log_upper(z, x) - 1;
    if (i >= 0 && z->entries[z->head + (size_t)i].zxid == x)
        return i;
    return -1;
}

/* Appends an entry (zxid above the last) and asks the driver to persist it. */
int zab_log_append(struct zab *z, zab_zxid zxid, const uint8_t *data,
                   size_t len)
{
    assert(zxid > zab_log_last(z));
    if (z->head + z->n == z->cap && z->head > 0) {
        memmove(z->entries, z->entries + z->head, z->n * sizeof *z->entries);
        z->head = 0;
    }
    if (!grow((void **)&z->entries, &z->cap, z->head + z->n + 1,
              sizeof *z->entries))
        return z->err = COORD_ENOMEM;
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return z->err = COORD_ENOMEM;
    if (len)
        memcpy(copy, data, len);
    struct zab_entry *e = &z->entries[z->head + z->n++];
    *e = (struct zab_entry){.zxid = zxid, .data = copy, .len = len};
    config_logged(z, e);
    persist_append(z, e);
    return 0;
}

/* R-DUR-6: keep entries <= zxid, and ask the driver to do the same. */
void zab_log_truncate(struct zab *z, zab_zxid zxid)
{
    assert(zxid >= z->delivered);
    if (zxid >= zab_log_last(z))
        return;
    long keep = zab_log_upper(z, zxid);
    for (size_t i = (size_t)keep; i < z->n; i++) {
        free(z->entries[z->head + i].data);
        z->entries[z->head + i].data = NULL;
    }
    z->n = (size_t)keep;
    if (z->has_next && z->next.m.version > zxid)
        config_rescan(z);
    if (!pending_push(z, ZAB_PERSIST_TRUNCATE, zxid, 0))
        return;
    struct zab_persist *p = persist_push(z);
    if (p == NULL)
        return;
    p->kind = ZAB_PERSIST_TRUNCATE;
    p->zxid = zxid;
}

/* Forgets every entry: the state is now the image at base. */
void zab_log_reset(struct zab *z, zab_zxid base)
{
    for (size_t i = 0; i < z->n; i++)
        free(z->entries[z->head + i].data);
    z->head = z->n = 0;
    z->base = base;
    z->window_used = 0;
    if (z->has_next) {
        z->has_next = false;
        z->config_changed = true;
    }
}

/* --- phases --- */

void zab_move(struct zab *z, int role, int phase)
{
    assert(phase == z->phase || allowed[z->phase][phase]);
    if (role != z->role)
        z->era++;
    z->role = role;
    z->phase = phase;
    z->changed = true;
}

/* Spec 2.3: any failure outside ELECTION sends the server back to LOOKING. */
void zab_go_looking(struct zab *z, const char *reason)
{
    zab_trace(z, "zab: looking sid=%llu was=%s/%s reason=%s",
              (unsigned long long)z->cfg.my_id, zab_role_name(z->role),
              zab_phase_name(z->phase), reason);
    if (z->phase != ZAB_ELECTION)
        zab_move(z, ZAB_LOOKING, ZAB_ELECTION);
    z->role = ZAB_LOOKING;
    z->era++;
    z->leader = 0;
    memset(z->learners, 0, sizeof z->learners);
    z->epoch_fixed = z->epoch_ready = z->current_requested = false;
    z->fetching = false;
    z->got_leaderinfo = z->acked_epoch = false;
    z->newleader_seen = z->newleader_acked = false;
    z->snap_waiting = false;
    z->sync_mode = 0;
    /* Deferred sync commits die with the connection (R-SYNC-7). */
    z->committed = z->delivered;
    election_start(z);
}

/* --- init / close --- */

int zab_init(struct zab *z, const struct zab_config *cfg,
             const struct zab_persisted *boot, uint64_t seed)
{
    memset(z, 0, sizeof *z);
    if (cfg->members.n == 0 || cfg->members.n > ZAB_MAX_MEMBERS ||
        cfg->tick_ms == 0 || cfg->init_limit == 0 || cfg->sync_limit == 0 ||
        cfg->window == 0 || cfg->max_outstanding == 0 || cfg->my_id == 0)
        return COORD_EINVAL;
    z->cfg = *cfg;
    z->cfg.config_text = NULL; /* the copy lives in z->active */
    z->me = peer_add(z, cfg->my_id);
    int crc = config_init(z, cfg);
    if (crc != 0) {
        config_free(z);
        return crc;
    }
    if (z->cfg.election_min_ms == 0)
        z->cfg.election_min_ms = 200;
    if (z->cfg.election_max_ms < z->cfg.election_min_ms)
        z->cfg.election_max_ms = z->cfg.election_min_ms;
    if (z->cfg.counter_max == 0 || z->cfg.counter_max == 0xffffffffu)
        z->cfg.counter_max = 0xfffffffeu;
    z->prng = seed ^ (cfg->my_id * 0x2545f4914f6cdd1dull);
    z->role = ZAB_LOOKING;
    z->phase = ZAB_ELECTION;
    if (boot != NULL) {
        bool ok = boot->current_epoch <= boot->accepted_epoch;
        for (size_t i = 1; i < boot->n_log; i++)
            if (boot->log[i].zxid <= boot->log[i - 1].zxid)
                ok = false;
        if (!ok) {
            config_free(z);
            return COORD_EINVAL;
        }
        z->abstain = boot->abstain;
        z->accepted_epoch = z->pending_accepted = boot->accepted_epoch;
        z->current_epoch = z->pending_current = boot->current_epoch;
        zab_zxid lc = boot->last_committed;
        z->base = lc;
        size_t from = 0;
        if (boot->n_log > 0 && boot->log[0].zxid <= lc) {
            z->base = boot->log[0].zxid;
            from = 1;
        }
        if (boot->n_log > 0 && boot->log[boot->n_log - 1].zxid < lc)
            from = boot->n_log; /* the image is newer than the log */
        z->base = from == boot->n_log ? lc : z->base;
        for (size_t i = from; i < boot->n_log; i++) {
            const struct zab_record *r = &boot->log[i];
            if (zab_log_append(z, r->zxid, r->data, r->len) != 0) {
                zab_close(z);
                return COORD_ENOMEM;
            }
        }
        z->delivered = z->committed = lc;
        for (size_t i = 0; i < z->n && z->entries[z->head + i].zxid <= lc;
             i++) {
            z->window_used += z->entries[z->head + i].len;
            /* committed before the crash: active (if newer) */
            if (z->entries[z->head + i].config)
                config_delivered(z, &z->entries[z->head + i]);
        }
        config_rescan(z); /* the pending one is above lc, if any */
    }
    /* The records came from disk: nothing is pending. */
    z->n_persist = 0;
    zab_pending_clear(z);
    arena_reset(z, true);
    z->durable_tip = zab_log_last(z);
    return 0;
}

void zab_close(struct zab *z)
{
    zab_log_reset(z, 0);
    config_free(z);
    free(z->entries);
    free(z->pending);
    free(z->out_send);
    free(z->out_persist);
    free(z->out_deliver);
    arena_reset(z, true);
    memset(z, 0, sizeof *z);
}

/* --- step --- */

/* Pops the persist requests a report covers, oldest first; `epoch` selects
 * which report: the first epoch write, or the log position zxid. */
static int on_persisted(struct zab *z, bool epoch, zab_zxid zxid)
{
    zab_zxid acked = 0;
    bool found = false;
    while (z->p_n > 0 && !found) {
        struct zab_pending p = z->pending[z->p_head];
        z->p_head++;
        z->p_n--;
        switch (p.kind) {
        case ZAB_PERSIST_APPEND:
            z->durable_tip = p.zxid;
            if (p.era == z->era)
                acked = p.zxid;
            found = !epoch && p.zxid == zxid;
            break;
        case ZAB_PERSIST_TRUNCATE:
            if (z->durable_tip > p.zxid)
                z->durable_tip = p.zxid;
            found = !epoch && p.zxid == zxid;
            break;
        default:
            /* R-DUR-5: the in-memory copy follows the disk. */
            if (p.kind == ZAB_PERSIST_ACCEPTED_EPOCH)
                z->accepted_epoch = (zab_epoch)p.zxid;
            else
                z->current_epoch = (zab_epoch)p.zxid;
            if (acked) {
                broadcast_persisted(z, acked);
                acked = 0;
            }
            if (p.era == z->era && p.purpose != PURPOSE_NONE)
                discovery_epoch_persisted(z, p.purpose);
            found = epoch;
            break;
        }
    }
    if (acked)
        broadcast_persisted(z, acked);
    if (z->role == ZAB_LOOKING && !z->voting && zab_pending_empty(z))
        election_start(z);
    return found ? 0 : COORD_EPROTO;
}

static void on_msg(struct zab *z, const struct zab_event *ev)
{
    struct zab_msg m;
    if (ev->msg.from == z->cfg.my_id ||
        zab_msg_decode(ev->msg.data, ev->msg.len, &m) != 0) {
        z->err = COORD_EPROTO;
        return;
    }
    /* A server in no configuration I know may be joining (spec 8). */
    int from = peer_add(z, ev->msg.from);
    if (from < 0)
        return; /* no room: ignored, like a message never sent */
    if (m.type == ZAB_MSG_NOTIFICATION) {
        election_on_msg(z, from, &m);
        return;
    }
    switch (z->role) {
    case ZAB_LEADING:
        if (z->learners[from].state != LEARNER_NONE)
            z->learners[from].last_heard_ms = z->now_ms;
        switch (m.type) {
        case ZAB_MSG_FOLLOWERINFO:
        case ZAB_MSG_OBSERVERINFO:
        case ZAB_MSG_ACKEPOCH:
        case ZAB_MSG_FETCHED:
            discovery_on_msg(z, from, &m);
            break;
        case ZAB_MSG_ACK:
            if (ZAB_COUNTER(m.zxid) == 0 &&
                z->learners[from].state == LEARNER_SYNCING &&
                m.zxid == ZAB_ZXID(z->epoch, 0))
                sync_on_newleader_ack(z, from);
            else
                broadcast_on_msg(z, from, &m);
            break;
        default:
            break; /* PING replies only refresh last_heard */
        }
        break;
    case ZAB_FOLLOWING:
    case ZAB_OBSERVING:
        /* R-DISC-5: messages from anyone but my leader are discarded. */
        if (ev->msg.from != z->leader)
            return;
        /* Only what a leader sends shows that it leads. Two servers that
         * each decided to follow the other (stale votes) send each other
         * FOLLOWERINFO every tick; counting that as hearing the leader
         * kept both in DISCOVERY forever (spec 3: "no quorum within
         * initLimit -> LOOKING"; in ZK the connect to a non-leader fails). */
        if (m.type == ZAB_MSG_FOLLOWERINFO || m.type == ZAB_MSG_OBSERVERINFO ||
            m.type == ZAB_MSG_ACKEPOCH || m.type == ZAB_MSG_ACK ||
            m.type == ZAB_MSG_FETCHED)
            return;
        z->leader_heard_ms = z->now_ms;
        if (m.type == ZAB_MSG_LEADERINFO)
            discovery_on_msg(z, from, &m);
        else if (m.type == ZAB_MSG_PING)
            broadcast_on_msg(z, from, &m);
        else if (z->phase == ZAB_SYNC)
            sync_on_msg(z, &m);
        else if (z->phase == ZAB_BROADCAST)
            broadcast_on_msg(z, from, &m);
        break;
    default:
        break; /* LOOKING: only notifications matter */
    }
}

static void on_peer(struct zab *z, const struct zab_event *ev, bool up)
{
    int idx = up ? peer_add(z, ev->peer.id) : peer_find(z, ev->peer.id);
    if (idx < 0 || idx == z->me)
        return;
    if (!up) {
        if ((z->role == ZAB_FOLLOWING || z->role == ZAB_OBSERVING) &&
            ev->peer.id == z->leader) {
            zab_go_looking(z, "leader connection lost");
        } else if (z->role == ZAB_LEADING &&
                   z->learners[idx].state != LEARNER_NONE) {
            zab_trace(z, "zab: learner gone sid=%llu",
                      (unsigned long long)ev->peer.id);
            memset(&z->learners[idx], 0, sizeof z->learners[idx]);
        }
        return;
    }
    /* A new connection: re-announce what the peer needs from me. */
    if (z->role == ZAB_LOOKING && z->voting) {
        election_tick(z); /* may decide */
        if (z->role == ZAB_LOOKING) {
            election_notify(z, ev->peer.id);
        }
    } else if (z->role != ZAB_LEADING && z->role != ZAB_LOOKING &&
               z->phase == ZAB_DISCOVERY && ev->peer.id == z->leader) {
        discovery_tick(z);
    }
}

int zab_step(struct zab *z, const struct zab_event *ev,
             struct zab_update *out)
{
    z->n_send = z->n_persist = z->n_deliver = 0;
    arena_reset(z, false);
    z->err = 0;
    z->changed = false;
    z->config_changed = false;
    z->submitted = 0;
    int rc = 0;
    if (!z->started) {
        z->started = true;
        if (ev->type == ZAB_EV_TICK)
            z->now_ms = ev->tick.now_ms;
        election_start(z);
    }
    switch (ev->type) {
    case ZAB_EV_TICK:
        if (ev->tick.now_ms > z->now_ms)
            z->now_ms = ev->tick.now_ms;
        if (z->role == ZAB_LOOKING)
            election_tick(z);
        else if (z->phase == ZAB_DISCOVERY)
            discovery_tick(z);
        else
            broadcast_tick(z);
        break;
    case ZAB_EV_MSG:
        on_msg(z, ev);
        break;
    case ZAB_EV_PERSISTED:
        rc = on_persisted(z, false, ev->persisted.zxid);
        break;
    case ZAB_EV_EPOCH_PERSISTED:
        rc = on_persisted(z, true, 0);
        break;
    case ZAB_EV_SUBMIT:
        rc = broadcast_submit(z, ev->submit.data, ev->submit.len);
        break;
    case ZAB_EV_SNAPSHOT_LOADED:
        rc = sync_snapshot_loaded(z, ev->snapshot.zxid);
        break;
    case ZAB_EV_PEER_DOWN:
    case ZAB_EV_PEER_UP:
        on_peer(z, ev, ev->type == ZAB_EV_PEER_UP);
        break;
    default:
        rc = COORD_EINVAL;
        break;
    }
    config_check_role(z);
    if (rc == 0 && z->err != 0)
        rc = z->err;
    out->send = z->out_send;
    out->n_send = z->n_send;
    out->persist = z->out_persist;
    out->n_persist = z->n_persist;
    out->deliver = z->out_deliver;
    out->n_deliver = z->n_deliver;
    out->changed = z->changed;
    out->role = z->role;
    out->phase = z->phase;
    out->leader = z->leader;
    out->epoch = z->epoch;
    out->submitted = z->submitted;
    out->config_changed = z->config_changed;
    return rc;
}

/* --- accessors --- */

bool zab_is_leader(const struct zab *z)
{
    return z->role == ZAB_LEADING;
}

bool zab_is_established(const struct zab *z)
{
    return z->phase == ZAB_BROADCAST;
}

zab_sid zab_leader_id(const struct zab *z)
{
    return z->leader;
}

int zab_role(const struct zab *z)
{
    return z->role;
}

int zab_phase(const struct zab *z)
{
    return z->phase;
}

zab_epoch zab_epoch_of(const struct zab *z)
{
    return z->epoch;
}

zab_zxid zab_last_committed(const struct zab *z)
{
    return z->delivered;
}

zab_zxid zab_last_logged(const struct zab *z)
{
    return zab_log_last(z);
}

const struct zab_cfgstate *zab_active_config(const struct zab *z)
{
    return &z->active;
}

const struct zab_cfgstate *zab_pending_config(const struct zab *z)
{
    return z->has_next ? &z->next : NULL;
}

bool zab_abstains(const struct zab *z)
{
    return z->abstain;
}

bool zab_snapshot_wanted(const struct zab *z, zab_zxid *zxid)
{
    if (z->snap_waiting && zxid != NULL)
        *zxid = z->snap_wanted;
    return z->snap_waiting;
}

unsigned zab_learners(const struct zab *z, unsigned *synced)
{
    unsigned n = 0, k = 0;
    if (z->role == ZAB_LEADING)
        for (unsigned i = 0; i < z->n_peers; i++) {
            if ((int)i == z->me || z->learners[i].state == LEARNER_NONE)
                continue;
            n++;
            if (z->learners[i].state == LEARNER_SYNCED)
                k++;
        }
    if (synced)
        *synced = k;
    return n;
}
