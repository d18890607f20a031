/* Counter, barriers, queues and semaphore under several contending sessions. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/check.h"
#include "tests/recipes/recipes.h"

#define T 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int errors;

static void *adder(void *arg)
{
    (void)arg;
    struct coord *c = rclient(4000);
    for (int i = 0; c && i < 25; i++)
        if (coord_counter_add(c, "/cnt", 1, NULL) != 0)
            __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
    coord_free(c);
    return NULL;
}

/* Concurrent adds lose no increment; cas applies only on a match. */
static void counter_adds_are_atomic(void)
{
    pthread_t t[T];
    errors = 0;
    for (int i = 0; i < T; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < T; i++)
        pthread_join(t[i], NULL);
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int64_t v = 0;
    CHECK_EQ_INT(errors, 0);
    CHECK_EQ_INT(coord_counter_get(c, "/cnt", &v, NULL), 0);
    CHECK_EQ_INT(v, T * 25);
    CHECK_EQ_INT(coord_counter_cas(c, "/cnt", 7, 1), COORD_EBADVERSION);
    CHECK_EQ_INT(coord_counter_cas(c, "/cnt", T * 25, -3), 0);
    CHECK_EQ_INT(coord_counter_add(c, "/cnt", 10, &v), 0);
    CHECK_EQ_INT(v, 7);
    char *data = NULL;
    CHECK_EQ_INT(coord_get_sync(c, "/cnt", NULL, NULL, &data, NULL, NULL), 0);
    CHECK_EQ_STR(data, "7"); /* kazoo's format */
    free(data);
    coord_free(c);
}

struct bw {
    const char *path;
    int rc;
};

static void *barrier_waiter(void *arg)
{
    struct bw *w = arg;
    struct coord *c = rclient(4000);
    w->rc = c ? coord_barrier_wait(c, w->path, 5000) : -1;
    coord_free(c);
    return NULL;
}

/* Waiters block while the barrier exists and pass once it is removed. */
static void barrier_holds_until_removed(void)
{
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT(coord_barrier_wait(c, "/bar/b", 0), 0);
    CHECK_EQ_INT(coord_barrier_create(c, "/bar/b"), 0);
    CHECK_EQ_INT(coord_barrier_wait(c, "/bar/b", 0), COORD_EAGAIN);
    CHECK_EQ_INT(coord_barrier_wait(c, "/bar/b", 200), COORD_EOPERATIONTIMEOUT);
    struct bw w = {"/bar/b", -99};
    pthread_t t;
    pthread_create(&t, NULL, barrier_waiter, &w);
    sleep_ms(200);
    CHECK_EQ_INT(__atomic_load_n(&w.rc, __ATOMIC_SEQ_CST), -99);
    CHECK_EQ_INT(coord_barrier_remove(c, "/bar/b"), 0);
    pthread_join(t, NULL);
    CHECK_EQ_INT(w.rc, 0);
    coord_free(c);
}

static int entered, left_early;

static void *participant(void *arg)
{
    (void)arg;
    struct coord *c = rclient(4000);
    struct coord_dbarrier *b = NULL;
    int rc = c ? coord_dbarrier_new(c, "/bar/d", 3, "p", &b) : -1;
    if (rc == 0)
        rc = coord_dbarrier_enter(b, 5000);
    if (rc == 0) {
        pthread_mutex_lock(&mu);
        entered++;
        pthread_mutex_unlock(&mu);
        sleep_ms(50);
        rc = coord_dbarrier_leave(b, 5000);
    }
    if (rc)
        __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
    coord_dbarrier_free(b);
    coord_free(c);
    return NULL;
}

/* Nobody enters before all three arrive; all leave together. */
static void double_barrier_waits_for_all(void)
{
    pthread_t t[3];
    errors = entered = left_early = 0;
    pthread_create(&t[0], NULL, participant, NULL);
    pthread_create(&t[1], NULL, participant, NULL);
    sleep_ms(300);
    pthread_mutex_lock(&mu);
    CHECK_EQ_INT(entered, 0);
    pthread_mutex_unlock(&mu);
    pthread_create(&t[2], NULL, participant, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(entered, 3);
    CHECK_EQ_INT(errors, 0);
}

#define ITEMS 30
static unsigned char seen[T][ITEMS];
static int taken;

static void *producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    struct coord *c = rclient(4000);
    for (int i = 0; c && i < ITEMS; i++) {
        char item[16];
        int n = snprintf(item, sizeof item, "%d:%d", p, i);
        if (coord_queue_put(c, "/q/work", item, n, COORD_QUEUE_FIFO))
            __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
    }
    coord_free(c);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    struct coord *c = rclient(4000);
    int last[T];
    memset(last, -1, sizeof last);
    while (c && __atomic_load_n(&taken, __ATOMIC_SEQ_CST) < T * ITEMS) {
        char *d = NULL;
        int rc = coord_queue_take(c, "/q/work", 300, &d, NULL);
        if (rc == COORD_EOPERATIONTIMEOUT)
            continue;
        int p, i;
        if (rc || sscanf(d, "%d:%d", &p, &i) != 2 || p < 0 || p >= T ||
            i < 0 || i >= ITEMS || i <= last[p]) {
            __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST); /* or FIFO */
            free(d);
            break;
        }
        last[p] = i;
        pthread_mutex_lock(&mu);
        seen[p][i]++;
        pthread_mutex_unlock(&mu);
        __atomic_add_fetch(&taken, 1, __ATOMIC_SEQ_CST);
        free(d);
    }
    coord_free(c);
    return NULL;
}

/* Producers and consumers in parallel: every item comes out once, each
 * producer's items in order. */
static void queue_loses_and_duplicates_nothing(void)
{
    pthread_t pt[T], ct[3];
    memset(seen, 0, sizeof seen);
    errors = taken = 0;
    for (int i = 0; i < 3; i++)
        pthread_create(&ct[i], NULL, consumer, NULL);
    for (int i = 0; i < T; i++)
        pthread_create(&pt[i], NULL, producer, (void *)(intptr_t)i);
    for (int i = 0; i < T; i++)
        pthread_join(pt[i], NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(ct[i], NULL);
    CHECK_EQ_INT(errors, 0);
    int once = 0;
    for (int p = 0; p < T; p++)
        for (int i = 0; i < ITEMS; i++)
            once += seen[p][i] == 1;
    CHECK_EQ_INT(once, T * ITEMS);
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int32_t n = -1;
    CHECK_EQ_INT(coord_queue_size(c, "/q/work", &n), 0);
    CHECK_EQ_INT(n, 0);
    coord_free(c);
}

/* Lower priority numbers come out first, FIFO within one priority. */
static void priority_queue_orders_by_priority(void)
{
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CHECK_EQ_INT(coord_queue_put(c, "/q/prio", "c", 1, 500), 0);
    CHECK_EQ_INT(coord_queue_put(c, "/q/prio", "a", 1, 1), 0);
    CHECK_EQ_INT(coord_queue_put(c, "/q/prio", "d", 1, 500), 0);
    CHECK_EQ_INT(coord_queue_put(c, "/q/prio", "b", 1, 20), 0);
    CHECK_EQ_INT(coord_queue_put(c, "/q/prio", "x", 1, 1000),
                 COORD_EBADARGUMENTS);
    const char *want[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        char *d = NULL;
        CHECK_EQ_INT(coord_queue_take(c, "/q/prio", 0, &d, NULL), 0);
        CHECK_EQ_STR(d, want[i]);
        free(d);
    }
    CHECK_EQ_INT(coord_queue_take(c, "/q/prio", 0, NULL, NULL), COORD_EAGAIN);
    coord_free(c);
}

static int holding, most;

static void *leaser(void *arg)
{
    (void)arg;
    struct coord *c = rclient(4000);
    struct coord_semaphore *s = NULL;
    int rc = c ? coord_semaphore_new(c, "/sem/a", "t", 2, &s) : -1;
    for (int i = 0; rc == 0 && i < 4; i++) {
        if ((rc = coord_semaphore_acquire(s, 10000)) != 0)
            break;
        pthread_mutex_lock(&mu);
        if (++holding > most)
            most = holding;
        pthread_mutex_unlock(&mu);
        sleep_ms(20);
        pthread_mutex_lock(&mu);
        holding--;
        pthread_mutex_unlock(&mu);
        rc = coord_semaphore_release(s);
    }
    if (rc)
        __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
    coord_semaphore_free(s);
    coord_free(c);
    return NULL;
}

/* At most two of four contenders hold a lease at once. */
static void semaphore_caps_holders(void)
{
    pthread_t t[T];
    errors = holding = most = 0;
    for (int i = 0; i < T; i++)
        pthread_create(&t[i], NULL, leaser, NULL);
    for (int i = 0; i < T; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(errors, 0);
    CHECK_EQ_INT(most, 2);
    struct coord *c = rclient(4000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct coord_semaphore *s, *s2, *bad;
    CHECK_EQ_INT(coord_semaphore_new(c, "/sem/a", "x", 3, &bad), 0);
    CHECK_EQ_INT(coord_semaphore_acquire(bad, 0), COORD_EINVAL);
    coord_semaphore_free(bad);
    CHECK_EQ_INT(coord_semaphore_new(c, "/sem/b", "one", 1, &s), 0);
    CHECK_EQ_INT(coord_semaphore_new(c, "/sem/b", "two", 1, &s2), 0);
    CHECK_EQ_INT(coord_semaphore_acquire(s, 0), 0);
    CHECK_EQ_INT(coord_semaphore_acquire(s2, 0), COORD_EAGAIN);
    struct coord_strings *ids = NULL;
    CHECK_EQ_INT(coord_semaphore_holders(c, "/sem/b", &ids), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CHECK_EQ_INT(ids->count, 1);
    if (ids->count == 1)
        CHECK_EQ_STR(ids->data[0], "one");
    coord_recipes_strings_free(ids);
    coord_semaphore_free(s);
    CHECK_EQ_INT(coord_semaphore_acquire(s2, 1000), 0);
    coord_semaphore_free(s2);
    coord_free(c);
}

CU_TestInfo prims_tests[] = {
    {"counter adds are atomic", counter_adds_are_atomic},
    {"barrier holds until removed", barrier_holds_until_removed},
    {"double barrier waits for all", double_barrier_waits_for_all},
    {"queue loses and duplicates nothing", queue_loses_and_duplicates_nothing},
    {"priority queue orders by priority", priority_queue_orders_by_priority},
    {"semaphore caps holders", semaphore_caps_holders},
    CU_TEST_INFO_NULL,
};
