/* The tree's CUnit suites. */
#include "tests/tree/helpers.h"

extern CU_TestInfo *test_nodes_tests, *test_ttl_tests, *test_watch_tests,
    *test_watch_acl_tests, *test_acl_tests, *test_snapshot_tests;
extern CU_SuiteInfo test_multi_suite;

int main(int argc, char **argv)
{
    CU_SuiteInfo suites[] = {
        {"nodes", NULL, NULL, tree_setup, tree_teardown, test_nodes_tests},
        {"ttl", NULL, NULL, tree_setup_ttl, tree_teardown, test_ttl_tests},
        {"watch", NULL, NULL, tree_setup, tree_teardown, test_watch_tests},
        {"watch_acl", NULL, NULL, tree_setup, tree_teardown,
         test_watch_acl_tests},
        {"acl", NULL, NULL, tree_setup, tree_teardown, test_acl_tests},
        test_multi_suite,
        {"snapshot", NULL, NULL, tree_setup, tree_teardown,
         test_snapshot_tests},
        CU_SUITE_INFO_NULL,
    };
    return check_main(argc, argv, suites);
}
