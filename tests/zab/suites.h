/* The Zab test suites and what they share. */
#ifndef COORD_TESTS_ZAB_SUITES_H
#define COORD_TESTS_ZAB_SUITES_H

#include "tests/lib/check.h"
#include "tests/sim/sim.h"

extern CU_TestInfo wire_tests[], election_tests[], broadcast_tests[],
    sync_tests[], fault_tests[], random_tests[], reconfig_tests[];

/* The seed range of the randomized suites (--seeds A-B or the default). */
extern unsigned long zab_seed_first, zab_seed_last;

/* test_scenarios.c: waits (5 s) for an established leader and returns its
 * index; submits n txns at whoever leads, letting each settle (20 ms). */
int zab_elect(struct sim *sim);
void zab_submit_n(struct sim *sim, unsigned n, const char *tag);

/* Fails the current test with the simulator's violation and seed. */
#define CHECK_SIM(s, seed)                                                     \
    do {                                                                       \
        const char *v_ = sim_violation(s);                                     \
        if (v_ != NULL)                                                        \
            check_fail(__LINE__, __FILE__, 0, "seed %lu: %s",                  \
                       (unsigned long)(seed), v_);                             \
        else                                                                   \
            CU_PASS("invariants hold");                                        \
    } while (0)

#endif
