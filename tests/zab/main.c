/* The Zab engine's CUnit suites; `--seeds A-B` sets the randomized range. */
#include <stdlib.h>

#include "tests/zab/suites.h"

unsigned long zab_seed_first = 1, zab_seed_last = 0;

int main(int argc, char **argv)
{
    /* Strip --seeds A-B (check_main knows only --seed). */
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            char *end;
            zab_seed_first = strtoul(argv[++i], &end, 10);
            zab_seed_last =
                *end == '-' ? strtoul(end + 1, NULL, 10) : zab_seed_first;
            continue;
        }
        argv[out++] = argv[i];
    }
    argc = out;
    CU_SuiteInfo suites[] = {
        {"wire", NULL, NULL, NULL, NULL, wire_tests},
        {"election", NULL, NULL, NULL, NULL, election_tests},
        {"broadcast", NULL, NULL, NULL, NULL, broadcast_tests},
        {"sync", NULL, NULL, NULL, NULL, sync_tests},
        {"faults", NULL, NULL, NULL, NULL, fault_tests},
        {"reconfig", NULL, NULL, NULL, NULL, reconfig_tests},
        {"random", NULL, NULL, NULL, NULL, random_tests},
        CU_SUITE_INFO_NULL,
    };
    return check_main(argc, argv, suites);
}
