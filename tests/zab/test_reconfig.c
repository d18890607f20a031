/* Dynamic reconfiguration (spec 8) and replaced disks (R-FLE-1) over the
 * simulator: one rule per test. */
#include <stdio.h>

#include "proto/err.h"
#include "tests/zab/suites.h"
#include "zab/wire.h"

static struct sim *s;

static void make(unsigned voters, unsigned observers, unsigned spares)
{
    struct sim_options o;
    sim_options_defaults(&o);
    o.voters = voters;
    o.observers = observers;
    o.spares = spares;
    o.keep_trace = true;
    s = sim_new(&o, test_seed());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
}

static int elect(void)
{
    return zab_elect(s);
}

static void teardown_sim(void)
{
    sim_free(s);
    s = NULL;
}

static void submit_n(unsigned n, const char *tag)
{
    zab_submit_n(s, n, tag);
}

static uint64_t active_version(unsigned i)
{
    return zab_active_config(sim_zab(s, i))->m.version;
}

static unsigned active_voters(unsigned i)
{
    const struct zab_membership *m = &zab_active_config(sim_zab(s, i))->m;
    unsigned n = 0;
    for (unsigned k = 0; k < m->n; k++)
        n += m->members[k].role == ZAB_VOTER;
    return n;
}

static uint64_t settle_above;

/* Every live server has the active configuration of server i, newer than
 * settle_above, and has delivered it. */
static bool settled_on(unsigned i)
{
    uint64_t v = active_version(i);
    if (v <= settle_above)
        return false;
    for (unsigned k = 0; k < sim_size(s); k++)
        if (sim_alive(s, k) &&
            (active_version(k) != v || sim_last_delivered(s, k) < v))
            return false;
    return true;
}

static unsigned settle_from;

static bool settled(struct sim *sim)
{
    (void)sim;
    return settled_on(settle_from);
}

/* Two servers in no configuration follow without a vote, and become
 * voters; the ensemble then survives losing two of the three original
 * servers, which the old configuration could not. */
static void spare_servers_join_as_voters(void)
{
    make(3, 0, 2);
    int l = elect();
    submit_n(5, "before");
    sim_run_for(s, 300);
    /* the spares already follow the leader and deliver */
    CHECK_TRUE(sim_delivered(s, 3) == sim_delivered(s, (unsigned)l));
    CHECK_TRUE(sim_delivered(s, 4) == sim_delivered(s, (unsigned)l));
    CHECK_EQ_INT(sim_sent(s, 3, ZAB_MSG_FOLLOWERINFO) > 0, 1);
    int roles[] = {ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, ZAB_VOTER};
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, roles), 0);
    settle_from = (unsigned)l;
    settle_above = active_version((unsigned)l);
    CHECK_TRUE(sim_run_until(s, settled, 3000));
    CHECK_EQ_INT(active_voters(3), 5);
    CHECK_EQ_INT(sim_reconfigs(s), 1);
    /* lose two of the first three, the leader among them */
    unsigned other = l == 0 ? 1 : 0;
    sim_crash(s, (unsigned)l);
    sim_crash(s, other);
    size_t before = sim_history(s);
    sim_run_for(s, 3000);
    CHECK_TRUE(sim_has_leader(s));
    submit_n(5, "after");
    sim_run_for(s, 500);
    CHECK_TRUE(sim_history(s) >= before + 5);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* A leader the new configuration leaves out commits it, then steps down;
 * the remaining voters elect one of theirs, and the removed server keeps
 * following without a vote. */
static void a_removed_leader_steps_down(void)
{
    make(3, 0, 0);
    int l = elect();
    submit_n(3, "a");
    int roles[3] = {ZAB_VOTER, ZAB_VOTER, ZAB_VOTER};
    roles[l] = 0;
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, roles), 0);
    sim_run_for(s, 3000);
    CHECK_TRUE(sim_traced(s, "not a voter in the new configuration") >= 1);
    int nl = sim_leader(s);
    CHECK_TRUE(nl >= 0 && nl != l);
    CHECK_EQ_INT(active_voters((unsigned)l), 2);
    size_t before = sim_delivered(s, (unsigned)l);
    submit_n(4, "b");
    sim_run_for(s, 500);
    CHECK_TRUE(sim_delivered(s, (unsigned)l) >= before + 4);
    CHECK_EQ_INT(zab_role(sim_zab(s, (unsigned)l)), ZAB_FOLLOWING);
    /* the removed server cannot take part in a quorum: with one of the
     * two voters gone, nothing commits */
    unsigned other = nl == 0 || (unsigned)nl == (unsigned)l ? 1 : 0;
    if ((int)other == l || (int)other == nl)
        other = 2;
    sim_crash(s, other);
    sim_run_for(s, 2000);
    CHECK_TRUE(!sim_has_leader(s));
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* An observer made a voter rejoins as a follower and acks; made an
 * observer again it rejoins as one. */
static void an_observer_becomes_a_voter_and_back(void)
{
    make(3, 1, 0);
    int l = elect();
    submit_n(3, "a");
    CHECK_EQ_INT(zab_role(sim_zab(s, 3)), ZAB_OBSERVING);
    int up[] = {ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, ZAB_VOTER};
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, up), 0);
    settle_from = (unsigned)l;
    settle_above = active_version((unsigned)l);
    CHECK_TRUE(sim_run_until(s, settled, 3000));
    sim_run_for(s, 1000);
    CHECK_TRUE(sim_traced(s, "reason=a voter in the new configuration") >= 1);
    CHECK_EQ_INT(zab_role(sim_zab(s, 3)), ZAB_FOLLOWING);
    unsigned acks = sim_sent(s, 3, ZAB_MSG_ACK);
    submit_n(3, "b");
    sim_run_for(s, 300);
    CHECK_TRUE(sim_sent(s, 3, ZAB_MSG_ACK) > acks);
    l = sim_leader(s);
    CHECK_TRUE(l >= 0);
    int down[] = {ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, ZAB_OBSERVER};
    if (l == 3)
        down[3] = ZAB_VOTER, down[0] = ZAB_OBSERVER;
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, down), 0);
    settle_from = (unsigned)l;
    settle_above = active_version((unsigned)l);
    CHECK_TRUE(sim_run_until(s, settled, 3000));
    sim_run_for(s, 1000);
    unsigned demoted = l == 3 ? 0 : 3;
    CHECK_EQ_INT(zab_role(sim_zab(s, demoted)), ZAB_OBSERVING);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* ZooKeeper's rule: a configuration whose voters have no quorum in sync
 * with the leader now is refused (NewConfigNoQuorum); one at a time. */
static void a_new_config_needs_a_synced_quorum_and_waits_for_the_last(void)
{
    make(3, 0, 2);
    int l = elect();
    submit_n(2, "a");
    sim_run_for(s, 300);
    sim_crash(s, 3);
    sim_crash(s, 4);
    sim_run_for(s, 100);
    int roles[5] = {ZAB_OBSERVER, ZAB_OBSERVER, ZAB_OBSERVER, ZAB_VOTER,
                    ZAB_VOTER};
    roles[l] = ZAB_VOTER;
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, roles),
                 COORD_ENEWCONFIGNOQUORUM);
    /* one in flight at a time: hold every follower's disk so the first
     * cannot commit, then try a second */
    for (unsigned k = 0; k < 3; k++)
        if ((int)k != l)
            sim_hold_fsync(s, k, true);
    int three[5] = {ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, 0, 0};
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, three), 0);
    CHECK_TRUE(zab_pending_config(sim_zab(s, (unsigned)l)) != NULL);
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, three),
                 COORD_ERECONFIGINPROGRESS);
    for (unsigned k = 0; k < 3; k++)
        sim_hold_fsync(s, k, false);
    sim_run_for(s, 500);
    CHECK_TRUE(zab_pending_config(sim_zab(s, (unsigned)l)) == NULL);
    CHECK_EQ_INT(active_voters((unsigned)l), 3);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

static unsigned watched;
static uint64_t watched_version;

static bool adopted(struct sim *sim)
{
    (void)sim;
    return active_version(watched) == watched_version;
}

/* A server that was down through a reconfiguration takes the newer
 * configuration from the others' notifications, before it syncs. */
static void a_server_that_missed_a_reconfig_adopts_it(void)
{
    make(3, 0, 2);
    int l = elect();
    submit_n(2, "a");
    sim_run_for(s, 500); /* the spares join (they wait for a leader) */
    watched = l == 0 ? 1 : 0;
    sim_crash(s, watched);
    int roles[] = {ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, ZAB_VOTER, ZAB_VOTER};
    CHECK_EQ_INT(sim_reconfig(s, (unsigned)l, roles), 0);
    sim_run_for(s, 500);
    watched_version = active_version((unsigned)l);
    CHECK_TRUE(watched_version > 1);
    submit_n(3, "b");
    sim_restart(s, watched);
    CHECK_TRUE(sim_run_until(s, adopted, 3000));
    /* adopted from a notification: nothing of the reconfiguration was
     * delivered there yet */
    CHECK_TRUE(sim_last_delivered(s, watched) < watched_version);
    sim_run_for(s, 1000);
    CHECK_TRUE(sim_last_delivered(s, watched) >= watched_version);
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

/* R-FLE-1: a replaced (empty, unmarked) disk must not help elect a
 * server that may lack what it held. With one server wiped and another
 * down, the third cannot lead (what the two others committed may not be on
 * it); once the other is back they elect one of themselves, the wiped one
 * syncs from it and votes again. */
static void a_wiped_server_does_not_vote_until_synced(void)
{
    make(3, 0, 0);
    int l = elect();
    submit_n(10, "kept");
    sim_run_for(s, 300);
    size_t kept = sim_delivered(s, (unsigned)l);
    CHECK_TRUE(kept >= 10);
    unsigned wiped = 0, down = 1, third = 2;
    sim_crash(s, down);
    sim_crash(s, third);
    sim_wipe(s, wiped);
    sim_restart(s, wiped);
    sim_restart(s, third);
    sim_run_for(s, 5000);
    CHECK_TRUE(!sim_has_leader(s));
    CHECK_TRUE(zab_abstains(sim_zab(s, wiped)));
    sim_restart(s, down);
    CHECK_TRUE(sim_run_until(s, sim_has_leader, 5000));
    CHECK_TRUE(sim_leader(s) != (int)wiped);
    submit_n(3, "after");
    sim_run_for(s, 1000);
    for (unsigned i = 0; i < 3; i++)
        CHECK_TRUE(sim_delivered(s, i) >= kept + 3);
    CHECK_TRUE(!zab_abstains(sim_zab(s, wiped)));
    CHECK_TRUE(sim_traced(s, "zab: synced, votes again sid=1") == 1);
    /* it votes now: with the leader gone it and the other elect */
    sim_crash(s, (unsigned)sim_leader(s));
    CHECK_TRUE(sim_run_until(s, sim_has_leader, 5000));
    CHECK_SIM(s, test_seed());
    teardown_sim();
}

CU_TestInfo reconfig_tests[] = {
    {"a wiped server does not vote until synced",
     a_wiped_server_does_not_vote_until_synced},
    {"spare servers join as voters", spare_servers_join_as_voters},
    {"a removed leader steps down", a_removed_leader_steps_down},
    {"an observer becomes a voter and back",
     an_observer_becomes_a_voter_and_back},
    {"a new config needs a synced quorum and waits for the last",
     a_new_config_needs_a_synced_quorum_and_waits_for_the_last},
    {"a server that missed a reconfig adopts it",
     a_server_that_missed_a_reconfig_adopts_it},
    CU_TEST_INFO_NULL,
};
