/* A deterministic simulator driving zab engines over a simulated network,
 * disk and clock, checking the invariants of spec/zab.md 11.1 every step. */
#ifndef COORD_TESTS_SIM_H
#define COORD_TESTS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zab/zab.h"

#define SIM_MAX_NODES 8

struct sim_options {
    unsigned voters, observers;
    unsigned spares;         /* servers in no initial configuration */
    unsigned reconfig_ms;    /* mean gap between reconfigurations; 0: none */
    unsigned delay_min_ms, delay_max_ms;  /* one-way message delay */
    unsigned drop_permille;  /* a send breaks its connection (TCP loss) */
    unsigned dup_permille;   /* notifications delivered twice */
    unsigned fsync_min_ms, fsync_max_ms;
    bool faults;             /* random crashes, partitions, slow disks */
    unsigned fault_min_ms, fault_max_ms; /* gap between faults */
    unsigned client_ms;      /* mean gap between submits; 0: none */
    unsigned window;         /* committed-log window of each engine */
    uint64_t window_bytes;   /* ... its payload bytes (0: no cap) */
    uint32_t counter_max;    /* R-ZXID-2 limit (small to force roll-over) */
    unsigned snapshot_every; /* take a snapshot ~1 in N delivery batches */
    bool keep_trace;         /* keep trace lines for sim_traced */
};

/* Sensible defaults for 3 voters, no faults. */
void sim_options_defaults(struct sim_options *o);

struct sim;

/* A new cluster whose servers all boot empty; NULL on ENOMEM. */
struct sim *sim_new(const struct sim_options *o, uint64_t seed);
void sim_free(struct sim *s);

/* Runs events for ms of virtual time, or until a violation. */
void sim_run_for(struct sim *s, uint64_t ms);
/* Runs until pred(s) holds (checked after every event) or max_ms passed;
 * returns whether it holds. */
bool sim_run_until(struct sim *s, bool (*pred)(struct sim *), uint64_t max_ms);

/* The first invariant violation, or NULL. */
const char *sim_violation(const struct sim *s);

uint64_t sim_now(const struct sim *s);
unsigned sim_size(const struct sim *s);
bool sim_alive(const struct sim *s, unsigned i);
const struct zab *sim_zab(const struct sim *s, unsigned i);
/* Index of a server that leads in BROADCAST (the newest epoch), or -1. */
int sim_leader(const struct sim *s);
bool sim_has_leader(struct sim *s);

/* Submits a txn with the given payload at server i; zab_step's code. */
int sim_submit(struct sim *s, unsigned i, const char *payload);
/* Asks server i (a leader) to change the membership: roles[j] is
 * ZAB_VOTER, ZAB_OBSERVER or 0 (absent) for server j. Refused with
 * COORD_ENEWCONFIGNOQUORUM unless the new voters have a synced quorum
 * (ZooKeeper's check); otherwise zab_step's code. */
int sim_reconfig(struct sim *s, unsigned i, const int *roles);
/* Prints every server's state (role, round, vote, configurations) to
 * stderr: the end of a failed schedule. */
void sim_dump(const struct sim *s);
/* Reconfigurations delivered anywhere so far. */
unsigned sim_reconfigs(const struct sim *s);

void sim_crash(struct sim *s, unsigned i);
/* Crashes server i and empties its disk (a replaced disk: no log, no
 * snapshot, no epochs, no first-boot marker); sim_restart brings it back. */
void sim_wipe(struct sim *s, unsigned i);
void sim_restart(struct sim *s, unsigned i);
/* Cuts (or restores) the link between i and j. */
void sim_cut(struct sim *s, unsigned i, unsigned j, bool cut);
void sim_isolate(struct sim *s, unsigned i);
void sim_heal(struct sim *s);
/* Holds fsyncs of server i (writes stay unsynced) until released. */
void sim_hold_fsync(struct sim *s, unsigned i, bool hold);
/* Stops (or resumes) the random faults and the client load. */
void sim_quiet(struct sim *s, bool quiet);

/* Messages of a type server i has sent; txns it delivered; the last zxid
 * it delivered; its durable log length. */
unsigned sim_sent(const struct sim *s, unsigned i, int type);
size_t sim_delivered(const struct sim *s, unsigned i);
zab_zxid sim_last_delivered(const struct sim *s, unsigned i);
size_t sim_durable_records(const struct sim *s, unsigned i);
/* Length of the longest delivered history seen anywhere. */
size_t sim_history(const struct sim *s);
/* Counts of trace lines containing `needle` so far. */
unsigned sim_traced(const struct sim *s, const char *needle);
/* Liveness after the faults: heal, restart, quiet; a leader must emerge and
 * commit a txn on every server within max_ms. */
bool sim_converge(struct sim *s, uint64_t max_ms);

#endif
