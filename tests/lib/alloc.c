/* Fault-injecting allocator wrappers, installed with the linker's --wrap. */
#include "tests/lib/alloc.h"

#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static bool armed;
static bool persistent; /* fail from `target` on, not only at it */
static bool hit;
static unsigned long calls, target;
static long live;

void alloc_fail_nth(unsigned long n)
{
    armed = n > 0;
    persistent = false;
    target = n;
    calls = 0;
    hit = false;
}

void alloc_fail_from(unsigned long n)
{
    alloc_fail_nth(n);
    persistent = true;
}

void alloc_disarm(void)
{
    armed = false;
}

unsigned long alloc_calls(void)
{
    return calls;
}

bool alloc_fault_hit(void)
{
    return hit;
}

long alloc_live(void)
{
    return live;
}

/* Counts one allocation call; true if it is to fail. */
static bool fail_now(void)
{
    calls++;
    if (!armed || calls < target || (calls > target && !persistent))
        return false;
    hit = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    if (fail_now())
        return NULL;
    void *p = __real_malloc(n);
    live += p != NULL;
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (fail_now())
        return NULL;
    void *p = __real_calloc(n, size);
    live += p != NULL;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (p != NULL && n == 0) { /* glibc frees p */
        live--;
        return __real_realloc(p, n);
    }
    if (fail_now())
        return NULL; /* p stays valid, as after a real failure */
    void *q = __real_realloc(p, n);
    live += p == NULL && q != NULL;
    return q;
}

void __wrap_free(void *p)
{
    live -= p != NULL;
    __real_free(p);
}

char *__wrap_strdup(const char *s)
{
    return __wrap_strndup(s, strlen(s));
}

char *__wrap_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *c = __wrap_malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = 0;
    }
    return c;
}
