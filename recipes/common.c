/* Shared recipe plumbing: wake-up points, retries, path helpers, random names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "recipes/internal.h"

struct sig *sig_new(void)
{
    struct sig *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->refs = 1;
    return s;
}

void sig_hold(struct sig *s)
{
    pthread_mutex_lock(&s->mu);
    s->refs++;
    pthread_mutex_unlock(&s->mu);
}

void sig_drop(struct sig *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left > 0)
        return;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->guard_path);
    free(s);
}

void sig_kick(struct sig *s)
{
    pthread_mutex_lock(&s->mu);
    s->gen++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void sig_wake(struct coord *c, int type, const char *path, void *ctx)
{
    (void)c;
    (void)type;
    (void)path;
    sig_kick(ctx);
    sig_drop(ctx);
}

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
}


static int code_of(int state)
{
    switch (state) {
    case COORD_LOST:
        return COORD_ESESSIONEXPIRED;
    case COORD_AUTH_FAILED:
        return COORD_EAUTHFAILED;
    case COORD_CLOSED:
        return COORD_ECLOSED;
    default:
        return 0;
    }
}

int final_code(struct coord *c)
{
    return code_of(coord_state(c));
}

/* cv waits until the absolute monotonic deadline (-1 = none). */
static void cv_wait(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline)
{
    if (deadline < 0) {
        pthread_cond_wait(cv, mu);
        return;
    }
    int64_t left = deadline - mono_ms();
    if (left <= 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + left * 1000000;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(cv, mu, &ts);
}

/* A waiter's view of the handle's state, fed by a state listener (on
 * libcoord's thread, its mutex held: so only mu is taken here). */
struct state_wait {
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int state; /* the last state heard, 0 before any */
};

static void on_state(struct coord *c, int state, void *ctx)
{
    (void)c;
    struct state_wait *w = ctx;
    pthread_mutex_lock(w->mu);
    w->state = state;
    pthread_cond_broadcast(w->cv);
    pthread_mutex_unlock(w->mu);
}

/*
 * Listens to c's state while waiting. No recipe lock may be held while
 * calling into libcoord (its callbacks take ours), so mu is released
 * around adding and removing the listener; gen and the state carry what
 * happened meanwhile.
 */
static int listen_state(struct coord *c, struct state_wait *w, int *id)
{
    pthread_mutex_unlock(w->mu);
    int rc = coord_add_state_listener(c, on_state, w, id);
    int st = coord_state(c); /* after adding: no change is missed */
    pthread_mutex_lock(w->mu);
    if (w->state == 0)
        w->state = st;
    return rc;
}

static void unlisten_state(struct coord *c, struct state_wait *w, int id)
{
    pthread_mutex_unlock(w->mu);
    coord_remove_state_listener(c, id);
    pthread_mutex_lock(w->mu);
}

bool is_retryable(int rc)
{
    return rc == COORD_ECONNECTIONLOSS || rc == COORD_EOPERATIONTIMEOUT ||
           rc == COORD_EREQUESTTIMEOUT;
}

int sig_wait(struct sig *s, struct coord *c, unsigned gen, int64_t deadline)
{
    if (s->gen != gen)
        return 0;
    struct state_wait w = {&s->mu, &s->cv, 0};
    int id = 0;
    bool listening = listen_state(c, &w, &id) == 0;
    int rc = 0;
    while (s->gen == gen) {
        if (!listening)
            w.state = coord_state(c); /* no listener: look every 100 ms */
        if ((rc = code_of(w.state)) != 0)
            break;
        int64_t now = mono_ms();
        if (deadline >= 0 && now >= deadline) {
            rc = COORD_EOPERATIONTIMEOUT;
            break;
        }
        int64_t until = deadline;
        if (!listening && (until < 0 || until > now + 100))
            until = now + 100;
        cv_wait(&s->cv, &s->mu, until);
    }
    if (listening)
        unlisten_state(c, &w, id);
    return rc;
}

int wait_connected(struct coord *c, int64_t deadline)
{
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&mu, NULL);
    pthread_cond_init(&cv, &ca);
    pthread_condattr_destroy(&ca);
    struct state_wait w = {&mu, &cv, 0};
    int id = 0;
    pthread_mutex_lock(&mu);
    bool listening = listen_state(c, &w, &id) == 0;
    int rc;
    for (;;) {
        if (!listening)
            w.state = coord_state(c);
        if ((rc = code_of(w.state)) != 0 || w.state == COORD_CONNECTED)
            break;
        int64_t now = mono_ms();
        if (deadline >= 0 && now >= deadline) {
            rc = COORD_EOPERATIONTIMEOUT;
            break;
        }
        int64_t until = deadline;
        if (!listening && (until < 0 || until > now + 20))
            until = now + 20;
        cv_wait(&cv, &mu, until);
    }
    if (listening)
        unlisten_state(c, &w, id);
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&cv);
    pthread_mutex_destroy(&mu);
    return rc;
}

int ensure_path(struct coord *c, const char *path)
{
    if (strcmp(path, "/") == 0)
        return 0;
    int rc = coord_exists_sync(c, path, NULL, NULL, NULL);
    if (rc != COORD_ENONODE)
        return rc;
    rc = ensure_parent(c, path);
    if (rc)
        return rc;
    rc = coord_create_sync(c, path, NULL, -1, NULL, COORD_PERSISTENT, 0, NULL,
                           NULL);
    return rc == COORD_ENODEEXISTS ? 0 : rc;
}

int ensure_parent(struct coord *c, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return 0;
    char *parent = strndup(path, (size_t)(slash - path));
    if (parent == NULL)
        return COORD_ENOMEM;
    int rc = ensure_path(c, parent);
    free(parent);
    return rc;
}

char *path_join(const char *dir, const char *name)
{
    size_t d = strlen(dir), n = strlen(name);
    if (d > 0 && dir[d - 1] == '/')
        d--;
    char *p = malloc(d + n + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, d);
    p[d] = '/';
    memcpy(p + d + 1, name, n + 1);
    return p;
}

int children_data(struct coord *c, const char *path, char *const *names,
                  size_t n, struct coord_strings **ids)
{
    struct coord_strings *out = calloc(1, sizeof *out);
    if (out == NULL || (out->data = calloc(n + 1, sizeof(char *))) == NULL) {
        free(out);
        return COORD_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *full = path_join(path, names[i]), *data = NULL;
        int r = full ? coord_get_sync(c, full, NULL, NULL, &data, NULL, NULL)
                     : COORD_ENOMEM;
        free(full);
        if (r == 0 && data == NULL && (data = strdup("")) == NULL)
            r = COORD_ENOMEM;
        if (r == 0)
            out->data[out->count++] = data;
        else if (r != COORD_ENONODE)
            rc = r;
    }
    if (rc) {
        coord_recipes_strings_free(out);
        return rc;
    }
    *ids = out;
    return 0;
}

void random_hex(char out[33])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* No entropy source: time and address still make clashes rare. */
            uint64_t x = (uint64_t)mono_ms() ^ (uint64_t)(uintptr_t)out;
            for (; got < sizeof b; got++, x = x * 6364136223846793005u + 1)
                b[got] = (unsigned char)(x >> 56);
            break;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof b; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[32] = '\0';
}

int watch_get(struct coord *c, const char *path, struct sig *s)
{
    sig_hold(s);
    int rc = coord_get_sync(c, path, sig_wake, s, NULL, NULL, NULL);
    if (rc != 0)
        sig_drop(s); /* the server set no watch */
    return rc;
}

int watch_children(struct coord *c, const char *path, struct sig *s,
                   struct coord_strings **names)
{
    sig_hold(s);
    int rc = coord_get_children_sync(c, path, sig_wake, s, names, NULL);
    if (rc != 0)
        sig_drop(s);
    return rc;
}

int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}
