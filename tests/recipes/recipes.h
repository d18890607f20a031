/* Shared support of the recipe tests: one coordd per suite, thread-mode handles. */
#ifndef COORD_TESTS_RECIPES_H
#define COORD_TESTS_RECIPES_H

#include <CUnit/CUnit.h>

#include "coord.h"
#include "coord_recipes.h"
#include "tests/client/server.h"

/* The coordd of the running suite. */
extern struct srv rsrv;
int rsrv_start(void);
int rsrv_stop(void);
/* A connected handle in thread mode on rsrv, or NULL. */
struct coord *rclient(int timeout_ms);
/* Ends c's session from a second handle that resumes it and closes it:
 * the server drops its ephemerals at once and c then sees LOST. */
void expire_session(struct coord *c);
long rnow_ms(void);
void sleep_ms(int ms);

extern CU_TestInfo lock_tests[];
extern CU_TestInfo election_tests[];
extern CU_TestInfo prims_tests[];
extern CU_TestInfo cache_tests[];

#endif
