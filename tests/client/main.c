/* test_client: libcoord against real coordd processes. */
#include <signal.h>

#include "tests/client/server.h"
#include "tests/lib/check.h"

static CU_SuiteInfo suites[] = {
    {"ops", shared_start, shared_stop, NULL, NULL, ops_tests},
    {"watch", shared_start, shared_stop, NULL, NULL, watch_tests},
    {"session", NULL, NULL, NULL, session_teardown, session_tests},
    {"badserver", NULL, NULL, NULL, NULL, badserver_tests},
    {"tls", tls_suite_start, tls_suite_stop, NULL, NULL, tls_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    return check_main(argc, argv, suites);
}
