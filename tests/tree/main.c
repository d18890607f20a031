/* The tree's CUnit suites. */
#include "tests/tree/helpers.h"

extern CU_TestInfo *test_nodes_tests, *test_ttl_tests;

int main(int argc, char **argv)
{
    CU_SuiteInfo suites[] = {
        {"nodes", NULL, NULL, tree_setup,
         tree_teardown, test_nodes_tests},
        {"ttl", NULL, NULL, tree_setup_ttl,
         tree_teardown, test_ttl_tests},
        CU_SUITE_INFO_NULL,
    };
    return check_main(argc, argv, suites);
}
