/* test_recipes: the recipes against a real coordd on loopback. */
#include <signal.h>

#include "tests/lib/check.h"
#include "tests/recipes/recipes.h"

static CU_SuiteInfo suites[] = {
    {"lock", rsrv_start, rsrv_stop, NULL, NULL, lock_tests},
    {"election", rsrv_start, rsrv_stop, NULL, NULL, election_tests},
    {"prims", rsrv_start, rsrv_stop, NULL, NULL, prims_tests},
    {"cache", rsrv_start, rsrv_stop, NULL, NULL, cache_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    return check_main(argc, argv, suites);
}
