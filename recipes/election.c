/* Leader election and leader latch on the lock's layout (kazoo Election). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recipes/internal.h"

struct coord_election {
    struct coord *c;
    struct coord_lock *lock;
    coord_gain_fn on_gain;
    coord_lose_fn on_lose;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool started, stop, leader, lost;
    bool thread_done;
    int final_rc; /* a final state's code, seen by a latch's listener */
};

struct coord_latch {
    struct coord_election *e;
};

int coord_election_new(struct coord *c, const char *path, const char *id,
                       coord_gain_fn on_gain, coord_lose_fn on_lose,
                       void *ctx, struct coord_election **out)
{
    if (out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_election *e = calloc(1, sizeof *e);
    if (e == NULL)
        return COORD_ENOMEM;
    int rc = coord_lock_new(c, path, id, &e->lock);
    if (rc) {
        free(e);
        return rc;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    e->c = c;
    e->on_gain = on_gain;
    e->on_lose = on_lose;
    e->ctx = ctx;
    *out = e;
    return 0;
}

static void on_lock_lost(void *ctx)
{
    struct coord_election *e = ctx;
    pthread_mutex_lock(&e->mu);
    e->lost = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static bool stopping(struct coord_election *e)
{
    pthread_mutex_lock(&e->mu);
    bool s = e->stop;
    pthread_mutex_unlock(&e->mu);
    return s;
}

static void *run(void *arg)
{
    struct coord_election *e = arg;
    while (!stopping(e)) {
        int rc = coord_lock_acquire(e->lock, -1);
        if (rc == COORD_ECLOSED)
            continue; /* cancelled: look at stop */
        if (rc) {
            if (final_code(e->c))
                break;
            struct timespec ts = {0, 200 * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        pthread_mutex_lock(&e->mu);
        e->lost = false;
        if (coord_lock_state(e->lock) == COORD_LOCK_LOST)
            e->lost = true; /* lost before on_lost was armed */
        e->leader = !e->stop && !e->lost;
        bool lead = e->leader;
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
        if (lead && e->on_gain)
            e->on_gain(e, coord_lock_token(e->lock), e->ctx);
        pthread_mutex_lock(&e->mu);
        while (!e->stop && !e->lost)
            pthread_cond_wait(&e->cv, &e->mu);
        bool lost = e->lost;
        e->leader = false;
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
        /* A leader that steps down says so before its node goes, so the
         * next leader never overlaps with it. */
        if (lead && e->on_lose) {
            int reason = 0;
            if (lost)
                reason = final_code(e->c) ? COORD_ESESSIONEXPIRED
                                          : COORD_ENONODE;
            e->on_lose(e, reason, e->ctx);
        }
        coord_lock_release(e->lock);
        if (lost && final_code(e->c))
            break;
    }
    pthread_mutex_lock(&e->mu);
    e->thread_done = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int coord_election_start(struct coord_election *e)
{
    pthread_mutex_lock(&e->mu);
    if (e->started) {
        pthread_mutex_unlock(&e->mu);
        return COORD_EINVAL;
    }
    e->stop = e->lost = e->leader = e->thread_done = false;
    coord_lock_on_lost(e->lock, on_lock_lost, e);
    int rc = pthread_create(&e->th, NULL, run, e) == 0 ? 0 : COORD_ENOMEM;
    e->started = rc == 0;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

void coord_election_stop(struct coord_election *e)
{
    pthread_mutex_lock(&e->mu);
    if (!e->started) {
        pthread_mutex_unlock(&e->mu);
        return;
    }
    e->stop = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    coord_lock_cancel(e->lock);
    /* The cancel may land between the thread's checks: repeat it. */
    pthread_mutex_lock(&e->mu);
    while (!e->thread_done) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 50 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        if (!e->thread_done) {
            pthread_mutex_unlock(&e->mu);
            coord_lock_cancel(e->lock);
            pthread_mutex_lock(&e->mu);
        }
    }
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->th, NULL);
    pthread_mutex_lock(&e->mu);
    e->started = false;
    pthread_mutex_unlock(&e->mu);
}

void coord_election_free(struct coord_election *e)
{
    if (e == NULL)
        return;
    coord_election_stop(e);
    coord_lock_free(e->lock);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}

bool coord_election_is_leader(struct coord_election *e)
{
    pthread_mutex_lock(&e->mu);
    bool l = e->leader;
    pthread_mutex_unlock(&e->mu);
    return l && coord_lock_state(e->lock) != COORD_LOCK_LOST;
}

struct coord_lock *coord_election_lock(struct coord_election *e)
{
    return e->lock;
}

int coord_election_leader(struct coord *c, const char *path, char **id)
{
    struct coord_strings *ids = NULL;
    int rc = coord_lock_contenders(c, path, &ids);
    if (rc)
        return rc;
    if (ids->count == 0) {
        rc = COORD_ENONODE;
    } else if (id) {
        *id = ids->data[0];
        ids->data[0] = NULL;
    }
    coord_recipes_strings_free(ids);
    return rc;
}

int coord_latch_new(struct coord *c, const char *path, const char *id,
                    struct coord_latch **out)
{
    if (out == NULL)
        return COORD_EBADARGUMENTS;
    struct coord_latch *l = calloc(1, sizeof *l);
    if (l == NULL)
        return COORD_ENOMEM;
    int rc = coord_election_new(c, path, id, NULL, NULL, NULL, &l->e);
    if (rc) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int coord_latch_start(struct coord_latch *l)
{
    return coord_election_start(l->e);
}

/* A state listener of an awaiting latch: records a final state and wakes
 * the waiters. It runs with the handle's mutex held and takes only e->mu;
 * no libcoord call is ever made with e->mu held. */
static void latch_on_state(struct coord *c, int state, void *ctx)
{
    (void)c;
    struct coord_election *e = ctx;
    pthread_mutex_lock(&e->mu);
    if (state == COORD_LOST)
        e->final_rc = COORD_ESESSIONEXPIRED;
    else if (state == COORD_AUTH_FAILED)
        e->final_rc = COORD_EAUTHFAILED;
    else if (state == COORD_CLOSED)
        e->final_rc = COORD_ECLOSED;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/*
 * Sleeps on e->cv until something changes, with no periodic wake-up: the
 * election thread broadcasts when leadership is taken (its lock waits on a
 * watch of the predecessor's node) and when it ends, and the state listener
 * when the handle's state changes.
 */
int coord_latch_await(struct coord_latch *l, int timeout_ms)
{
    struct coord_election *e = l->e;
    int64_t deadline = deadline_after(timeout_ms);
    int id = 0;
    int rc = coord_add_state_listener(e->c, latch_on_state, e, &id);
    if (rc)
        return rc;
    int final = final_code(e->c); /* a final state reached before */
    pthread_mutex_lock(&e->mu);
    if (final)
        e->final_rc = final;
    while (!e->leader) {
        if ((rc = e->final_rc) != 0)
            break;
        if (e->thread_done || !e->started) {
            rc = COORD_ECLOSED;
            break;
        }
        int64_t now = mono_ms();
        if (deadline >= 0 && now >= deadline) {
            rc = timeout_ms == 0 ? COORD_EAGAIN : COORD_EOPERATIONTIMEOUT;
            break;
        }
        if (deadline < 0) {
            pthread_cond_wait(&e->cv, &e->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (deadline - now) * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
    pthread_mutex_unlock(&e->mu);
    coord_remove_state_listener(e->c, id);
    if (rc == COORD_ECLOSED) {
        /* The election thread ended because the session did. */
        int f = final_code(e->c);
        if (f)
            rc = f;
    }
    return rc;
}

bool coord_latch_has_leadership(struct coord_latch *l)
{
    return coord_election_is_leader(l->e);
}

void coord_latch_free(struct coord_latch *l)
{
    if (l == NULL)
        return;
    coord_election_free(l->e);
    free(l);
}
