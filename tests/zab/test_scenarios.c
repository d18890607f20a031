/* Targeted scenarios over the simulator: one protocol rule per test. */
#include <stdio.h>

#include "proto/err.h"
#include "tests/zab/suites.h"
#include "zab/wire.h"

static struct sim *s;

static struct sim *make(unsigned voters, unsigned observers, unsigned window,
                        uint32_t counter_max)
{
    struct sim_options o;
    sim_options_defaults(&o);
    o.voters = voters;
    o.observers = observers;
    o.window = window;
    o.counter_max = counter_max;
    o.keep_trace = true;
    s = sim_new(&o, test_seed());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

int zab_elect(struct sim *sim)
{
    CHECK_TRUE(sim_run_until(sim, sim_has_leader, 5000));
    return sim_leader(sim);
}

void zab_submit_n(struct sim *sim, unsigned n, const char *tag)
{
    for (unsigned k = 0; k < n; k++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s-%u", tag, k);
        int l = sim_leader(sim);
        if (l >= 0)
            sim_submit(sim, (unsigned)l, buf);
        sim_run_for(sim, 20);
    }
}

static int elect(void)
{
    return zab_elect(s);
}

static void submit_n(unsigned n, const char *tag)
{
    zab_submit_n(s, n, tag);
}

static void teardown_sim(void)
{
    sim_free(s);
    s = NULL;
}

/* --- election --- */

/* Spec 2.1: with equal (epoch, zxid) the highest sid wins. */
static void election_picks_the_highest_sid_among_equal_logs(void)
{
    make(3, 0, 16, 0);
    CHECK_EQ_INT(elect(), 2);
    CHECK_TRUE(sim_traced(s, "zab: elected leader sid=3 epoch=1 "
                             "zxid=0x100000000") == 1);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* Spec 2.1: the epoch and zxid come before the sid: a server that missed
 * txns never beats one that has them. */
static void election_prefers_the_longer_history_over_a_higher_sid(void)
{
    make(3, 0, 16, 0);
    elect();
    sim_isolate(s, 2);
    sim_crash(s, 2);
    CHECK_TRUE(sim_run_until(s, sim_has_leader, 5000));
    CHECK_EQ_INT(sim_leader(s), 1); /* sid 2 over sid 1 */
    submit_n(5, "a");
    sim_run_for(s, 200);
    sim_crash(s, 1);
    sim_heal(s);
    sim_restart(s, 2);
    sim_run_for(s, 300);
    sim_restart(s, 1);
    /* sid 3 missed epoch 2; sid 1 and 2 hold it, so sid 2 must lead. */
    CHECK_TRUE(sim_run_until(s, sim_has_leader, 5000));
    sim_run_for(s, 2000);
    int l = sim_leader(s);
    CHECK_TRUE(l == 1 || l == 0);
    CHECK_EQ_INT(sim_delivered(s, 2), sim_delivered(s, (unsigned)l));
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* Spec 2.6: a server joining a stable ensemble follows its leader without
 * a new epoch. */
static void a_joining_server_finds_the_established_leader(void)
{
    make(3, 0, 16, 0);
    sim_crash(s, 0);
    int l = elect();
    zab_epoch e = zab_epoch_of(sim_zab(s, (unsigned)l));
    submit_n(5, "j");
    sim_restart(s, 0);
    sim_run_for(s, 1500);
    CHECK_EQ_INT(sim_leader(s), l);
    CHECK_EQ_INT(zab_epoch_of(sim_zab(s, (unsigned)l)), e);
    CHECK_EQ_INT(zab_role(sim_zab(s, 0)), ZAB_FOLLOWING);
    CHECK_EQ_INT(zab_leader_id(sim_zab(s, 0)), l + 1);
    CHECK_EQ_INT(sim_delivered(s, 0), 5);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* --- broadcast --- */

/* R-DUR-1: a follower acknowledges a proposal only once it is on disk. */
static void a_follower_acks_a_proposal_only_after_it_is_persisted(void)
{
    make(3, 0, 16, 0);
    int l = elect();
    sim_run_for(s, 200);
    unsigned f = (unsigned)(l + 1) % 3;
    sim_hold_fsync(s, f, true);
    unsigned acks = sim_sent(s, f, ZAB_MSG_ACK);
    CHECK_EQ_INT(sim_submit(s, (unsigned)l, "held"), 0);
    sim_run_for(s, 300);
    CHECK_EQ_INT(sim_sent(s, f, ZAB_MSG_ACK), acks); /* unsynced: no ack */
    sim_hold_fsync(s, f, false);
    sim_run_for(s, 100);
    CHECK_EQ_INT(sim_sent(s, f, ZAB_MSG_ACK), acks + 1);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* R-BC-3: many proposals in flight commit in zxid order everywhere. */
static void commits_arrive_in_zxid_order_with_many_in_flight(void)
{
    make(5, 0, 16, 0);
    int l = elect();
    for (unsigned k = 0; k < 40; k++) {
        char buf[16];
        snprintf(buf, sizeof buf, "p%u", k);
        CHECK_EQ_INT(sim_submit(s, (unsigned)l, buf), 0);
    }
    sim_run_for(s, 500);
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ_INT(sim_delivered(s, i), 40);
    CHECK_EQ_INT(sim_last_delivered(s, 0), ZAB_ZXID(1, 40));
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* A follower refuses to propose: the driver forwards to the leader. */
static void a_follower_refuses_a_submit_and_names_the_leader(void)
{
    make(3, 0, 16, 0);
    int l = elect();
    sim_run_for(s, 300);
    unsigned f = (unsigned)(l + 1) % 3;
    CHECK_EQ_INT(sim_submit(s, f, "x"), COORD_EAGAIN);
    CHECK_EQ_INT(zab_leader_id(sim_zab(s, f)), l + 1);
    teardown_sim();
}

/* Spec 8: observers get INFORM, never vote and never lead. */
static void an_observer_receives_inform_and_never_votes(void)
{
    make(3, 1, 16, 0);
    int l = elect();
    CHECK_TRUE(l < 3);
    sim_run_for(s, 500); /* the observer joins after the voters */
    submit_n(5, "o");
    sim_run_for(s, 300);
    CHECK_EQ_INT(zab_role(sim_zab(s, 3)), ZAB_OBSERVING);
    CHECK_EQ_INT(sim_delivered(s, 3), 5);
    CHECK_TRUE(sim_sent(s, (unsigned)l, ZAB_MSG_INFORM) >= 5);
    /* Its only ACK is the NEWLEADER one, which does not count. */
    CHECK_EQ_INT(sim_sent(s, 3, ZAB_MSG_ACK), 1);
    /* With two voters down the observer cannot make a quorum. */
    sim_crash(s, (unsigned)(l + 1) % 3);
    sim_crash(s, (unsigned)(l + 2) % 3);
    sim_run_for(s, 3000);
    CHECK_EQ_INT(sim_leader(s), -1);
    CHECK_TRUE(zab_role(sim_zab(s, 3)) != ZAB_LEADING);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* --- sync --- */

/* Spec 4.2 case 3 (ZOOKEEPER-1154): a deposed leader's uncommitted
 * suffix is truncated when it rejoins. */
static void a_deposed_leader_truncates_its_uncommitted_suffix(void)
{
    make(3, 0, 16, 0);
    int l = elect();
    submit_n(3, "c");
    sim_isolate(s, (unsigned)l);
    for (unsigned k = 0; k < 3; k++)
        sim_submit(s, (unsigned)l, "lost"); /* never reaches a quorum */
    sim_run_for(s, 3000);
    int l2 = sim_leader(s);
    CHECK_TRUE(l2 >= 0 && l2 != l);
    submit_n(4, "n");
    sim_heal(s);
    sim_run_for(s, 3000);
    CHECK_TRUE(sim_traced(s, "mode=trunc") >= 1);
    CHECK_EQ_INT(sim_delivered(s, (unsigned)l), 7);
    CHECK_EQ_INT(sim_last_delivered(s, (unsigned)l),
                 sim_last_delivered(s, (unsigned)l2));
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* Spec 4.2: a short lag is a DIFF; a lag beyond the window is a SNAP. */
static void a_short_lag_is_a_diff_and_a_long_one_a_snap(void)
{
    make(3, 0, 4, 0);
    int l = elect();
    unsigned f = (unsigned)(l + 1) % 3;
    sim_isolate(s, f);
    submit_n(2, "d");
    unsigned snaps = sim_traced(s, "mode=snap");
    sim_heal(s);
    sim_run_for(s, 2000);
    CHECK_EQ_INT(sim_traced(s, "mode=snap"), snaps);
    CHECK_EQ_INT(sim_delivered(s, f), 2);
    sim_isolate(s, f);
    submit_n(20, "s");
    sim_heal(s);
    sim_run_for(s, 2000);
    CHECK_TRUE(sim_traced(s, "mode=snap") > snaps);
    CHECK_EQ_INT(sim_delivered(s, f), 22);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* The window is also bounded in payload bytes: with room for a few
 * entries' bytes only, a lag well inside the entry count is a SNAP, and
 * the leader keeps no more than the byte budget (plus one entry). */
static void the_window_is_bounded_in_bytes_too(void)
{
    struct sim_options o;
    sim_options_defaults(&o);
    o.voters = 3;
    o.window = 64;
    o.window_bytes = 24; /* payloads "b-N" are 3-4 bytes: ~6 entries */
    o.keep_trace = true;
    s = sim_new(&o, test_seed());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    int l = elect();
    unsigned f = (unsigned)(l + 1) % 3;
    sim_isolate(s, f);
    submit_n(20, "b");
    const struct zab *lz = sim_zab(s, (unsigned)l);
    CHECK_TRUE(lz->window_used <= 24 + 8);
    CHECK_TRUE(lz->n <= 16);
    unsigned snaps = sim_traced(s, "mode=snap");
    sim_heal(s);
    sim_run_for(s, 2000);
    CHECK_TRUE(sim_traced(s, "mode=snap") > snaps);
    CHECK_EQ_INT(sim_delivered(s, f), 20);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* --- faults --- */

/* R-BC-7: a leader cut off from its quorum steps down within ~syncLimit. */
static void a_leader_without_a_quorum_steps_down(void)
{
    make(5, 0, 16, 0);
    int l = elect();
    sim_isolate(s, (unsigned)l);
    sim_run_for(s, 1000);
    CHECK_TRUE(zab_role(sim_zab(s, (unsigned)l)) != ZAB_LEADING ||
               !zab_is_established(sim_zab(s, (unsigned)l)) ||
               zab_epoch_of(sim_zab(s, (unsigned)l)) <
                   zab_epoch_of(sim_zab(s, (unsigned)sim_leader(s))));
    CHECK_TRUE(sim_traced(s, "reason=leader lost its quorum") >= 1);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* R-BC-6: a follower that stops acknowledging (its disk stalls) is dropped
 * once its oldest unacked proposal is syncLimit ticks old; the others go on
 * committing, and it comes back through a sync when its disk recovers. */
static void a_follower_that_stops_acking_is_dropped(void)
{
    make(3, 0, 16, 0);
    int l = elect();
    unsigned slow = (unsigned)(l == 0 ? 1 : 0);
    sim_hold_fsync(s, slow, true);
    size_t before = sim_delivered(s, (unsigned)l);
    submit_n(10, "slow");
    sim_run_for(s, 12000); /* syncLimit 5 x tick 2000 */
    CHECK_TRUE(sim_delivered(s, (unsigned)l) >= before + 10);
    char needle[64];
    snprintf(needle, sizeof needle, "zab: learner too slow sid=%u", slow + 1);
    CHECK_TRUE(sim_traced(s, needle) >= 1);
    CHECK_TRUE(sim_leader(s) == l);
    sim_hold_fsync(s, slow, false);
    CHECK_TRUE(sim_converge(s, 60000));
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* R-ZXID-2: at the end of the counter the leader steps down and a new
 * epoch starts. */
static void counter_roll_over_starts_a_new_epoch(void)
{
    make(3, 0, 16, 5);
    int l = elect();
    zab_epoch e = zab_epoch_of(sim_zab(s, (unsigned)l));
    submit_n(5, "r");
    CHECK_EQ_INT(sim_submit(s, (unsigned)l, "over"), COORD_EAGAIN);
    CHECK_TRUE(sim_traced(s, "zxid counter exhausted") == 1);
    CHECK_TRUE(sim_run_until(s, sim_has_leader, 5000));
    int l2 = sim_leader(s);
    CHECK_TRUE(zab_epoch_of(sim_zab(s, (unsigned)l2)) > e);
    CHECK_EQ_INT(sim_submit(s, (unsigned)l2, "next"), 0);
    sim_run_for(s, 300);
    CHECK_EQ_INT(sim_delivered(s, 0), 6);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* Spec 11.2 #4: a whole-ensemble power loss loses nothing committed. */
static void a_power_loss_of_every_server_keeps_committed_txns(void)
{
    make(3, 0, 16, 0);
    elect();
    submit_n(10, "w");
    sim_run_for(s, 200);
    size_t committed = sim_history(s);
    for (unsigned i = 0; i < 3; i++)
        sim_crash(s, i);
    for (unsigned i = 0; i < 3; i++)
        sim_restart(s, i);
    elect();
    submit_n(1, "after");
    sim_run_for(s, 1000);
    CHECK_EQ_INT(sim_history(s), committed + 1);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

CU_TestInfo election_tests[] = {
    {"election picks the highest sid among equal logs",
     election_picks_the_highest_sid_among_equal_logs},
    {"election prefers the longer history over a higher sid",
     election_prefers_the_longer_history_over_a_higher_sid},
    {"a joining server finds the established leader",
     a_joining_server_finds_the_established_leader},
    CU_TEST_INFO_NULL,
};

CU_TestInfo broadcast_tests[] = {
    {"a follower acks a proposal only after it is persisted",
     a_follower_acks_a_proposal_only_after_it_is_persisted},
    {"commits arrive in zxid order with many in flight",
     commits_arrive_in_zxid_order_with_many_in_flight},
    {"a follower refuses a submit and names the leader",
     a_follower_refuses_a_submit_and_names_the_leader},
    {"an observer receives inform and never votes",
     an_observer_receives_inform_and_never_votes},
    CU_TEST_INFO_NULL,
};

CU_TestInfo sync_tests[] = {
    {"a deposed leader truncates its uncommitted suffix",
     a_deposed_leader_truncates_its_uncommitted_suffix},
    {"a short lag is a diff and a long one a snap",
     a_short_lag_is_a_diff_and_a_long_one_a_snap},
    {"the window is bounded in bytes too", the_window_is_bounded_in_bytes_too},
    CU_TEST_INFO_NULL,
};

CU_TestInfo fault_tests[] = {
    {"a follower that stops acking is dropped",
     a_follower_that_stops_acking_is_dropped},
    {"a leader without a quorum steps down",
     a_leader_without_a_quorum_steps_down},
    {"counter roll-over starts a new epoch",
     counter_roll_over_starts_a_new_epoch},
    {"a power loss of every server keeps committed txns",
     a_power_loss_of_every_server_keeps_committed_txns},
    CU_TEST_INFO_NULL,
};
