/* Allocation fault injection for torture tests (STYLE 3.8). */
#ifndef COORD_TESTS_ALLOC_H
#define COORD_TESTS_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A program that links tests/lib/alloc.c with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,
 *   --wrap=strdup,--wrap=strndup
 * routes every allocation its own objects (and the static libraries it
 * links, such as libtree and libproto) make through these wrappers, which
 * stay thin so that ASan still sees every block. Shared libraries (libc
 * itself, CUnit) are not affected. Single-threaded.
 *
 * Unarmed, the wrappers only count. Armed, allocation calls are numbered
 * from 1 and the chosen one fails (returns NULL, as on a full heap).
 */

/* Fails only the nth allocation call from now on (n >= 1). */
void alloc_fail_nth(unsigned long n);
/* Fails the nth allocation call and every later one. */
void alloc_fail_from(unsigned long n);
/* Stops failing; the counters keep their values until the next arm. */
void alloc_disarm(void);
/* Allocation calls since the last arm, failed ones included. */
unsigned long alloc_calls(void);
/* Whether an allocation was made to fail since the last arm. */
bool alloc_fault_hit(void);
/* Blocks obtained through the wrappers and not yet freed through them. */
long alloc_live(void);

#endif
