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

int final_code(struct coord *c)
{
    switch (coord_state(c)) {
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

bool is_retryable(int rc)
{
    return rc == COORD_ECONNECTIONLOSS || rc == COORD_EOPERATIONTIMEOUT ||
           rc == COORD_EREQUESTTIMEOUT;
}

int sig_wait(struct sig *s, struct coord *c, unsigned gen, int64_t deadline)
{
    while (s->gen == gen) {
        int rc = final_code(c);
        if (rc)
            return rc;
        int64_t now = mono_ms();
        if (deadline >= 0 && now >= deadline)
            return COORD_EOPERATIONTIMEOUT;
        int64_t until = now + 100;
        if (deadline >= 0 && deadline < until)
            until = deadline;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (until - now) * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    return 0;
}

int wait_connected(struct coord *c, int64_t deadline)
{
    for (;;) {
        int rc = final_code(c);
        if (rc)
            return rc;
        if (coord_state(c) == COORD_CONNECTED)
            return 0;
        if (deadline >= 0 && mono_ms() >= deadline)
            return COORD_EOPERATIONTIMEOUT;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
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
