/* Private helpers shared by the recipes: wake-ups, retries, paths, names. */
#ifndef COORD_RECIPES_INTERNAL_H
#define COORD_RECIPES_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "coord.h"
#include "coord_recipes.h"

/*
 * A reference-counted wake-up point. Watches outlive the recipe call that
 * set them (a one-shot watch fires once, or with COORD_EV_CANCELLED when
 * the handle ends), so each registered watch holds a reference and the
 * recipe object holds one more. Every watch bumps `gen` and broadcasts
 * `cv`; waiters re-check their condition when `gen` moves.
 *
 * The guard fields serve a lock holder: an exists watch on its own node
 * reports the node's deletion or the session's end as a loss.
 */
struct sig {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    unsigned gen;
    char *guard_path; /* the held node, or NULL */
    bool lost;
    coord_lost_fn lost_fn;
    void *lost_ctx;
};

struct sig *sig_new(void);
void sig_hold(struct sig *s);
void sig_drop(struct sig *s);
/* Bumps gen and wakes every waiter. */
void sig_kick(struct sig *s);
/* A coord_watch_fn whose ctx is a held struct sig: kicks, then drops. */
void sig_wake(struct coord *c, int type, const char *path, void *ctx);

/* Absolute deadline in ms for a timeout (-1 = never, returns -1). */
int64_t deadline_after(int timeout_ms);
int64_t mono_ms(void);
/*
 * Waits on s->cv (s->mu held) until gen differs from `gen`, the deadline
 * passes or the handle reaches a final state; a state listener on the
 * handle wakes it on every state change. Returns 0 when gen moved (or to re-check), COORD_EOPERATIONTIMEOUT
 * past the deadline, or the final state's code.
 */
int sig_wait(struct sig *s, struct coord *c, unsigned gen, int64_t deadline);

/* The code that every call on a handle in a final state returns, else 0. */
int final_code(struct coord *c);
/* True for errors after which the same step may be retried once the
 * connection is back (connection loss, call timeout). */
bool is_retryable(int rc);
/* Sleeps until c is CONNECTED, its state is final or the deadline passes;
 * 0, COORD_EOPERATIONTIMEOUT or the final code. */
int wait_connected(struct coord *c, int64_t deadline);

/* Creates path and its missing parents as persistent empty nodes. */
int ensure_path(struct coord *c, const char *path);
/* Creates the parents of path (not path itself). */
int ensure_parent(struct coord *c, const char *path);
/* malloc'd "dir/name"; NULL on ENOMEM. */
char *path_join(const char *dir, const char *name);
/* The data of path's children names[0..n), in that order, as a list freed
 * with coord_recipes_strings_free (null data as ""); a child gone by the
 * time it is read is left out. */
int children_data(struct coord *c, const char *path, char *const *names,
                  size_t n, struct coord_strings **ids);
/* 32 random lower-case hex digits and a NUL into out[33]. */
void random_hex(char out[33]);

/* Sets a one-shot watch of `type` (COORD_WT_DATA via get, COORD_WT_CHILDREN
 * via get_children) that kicks s; rc as the sync call returns it. The
 * reference is handed to the watch only if the server took it. */
int watch_get(struct coord *c, const char *path, struct sig *s);
int watch_children(struct coord *c, const char *path, struct sig *s,
                   struct coord_strings **names);

/* qsort comparator for char * arrays. */
int cmp_str(const void *a, const void *b);

#endif
