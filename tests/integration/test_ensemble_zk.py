"""The ensemble harness (ensemble.py) against a real replicated ZooKeeper 3.8.

Runs only with COORD_TEST_SERVER=zookeeper (skipped otherwise): coordd does
not replicate yet and refuses a zoo.cfg with several server lines.  Once it
does, COORD_TEST_ENSEMBLE=1 runs these same tests against coordd.

- three voters behind per-link proxies: find the leader, isolate it, a new
  leader is elected among the other two and takes writes, the old one stops
  leading; heal, it rejoins as a follower and every server's tree (data and
  Stat, read from each server alone) is identical;
- three voters and an observer: a partition that leaves the observer with
  the majority, kill -9 and restart of a follower, SIGSTOP of the leader;
- a concurrent kazoo load (sync before each read) while the leader is
  isolated and healed: the recorded history must be linearizable (lincheck).
"""

import os
import threading
import time
import unittest

import harness
from ensemble import Ensemble
from lincheck import check, run_workload

ENABLED = harness.IS_ZK or os.environ.get("COORD_TEST_ENSEMBLE") == "1"
WHY = ("ensemble tests need COORD_TEST_SERVER=zookeeper (or COORD_TEST_ENSEMBLE=1 once "
       "coordd replicates)")


@unittest.skipUnless(ENABLED, WHY)
class EnsembleTest(unittest.TestCase):

    def make(self, **kw):
        kw.setdefault("proxied", True)
        ens = Ensemble(**kw)
        self.addCleanup(ens.cleanup)
        ens.start()
        return ens

    def check_that(self, ens, cond, msg):
        if not cond:
            ens.fail(msg)

    def test_isolated_leader_is_replaced_and_rejoins(self):
        ens = self.make(n=3)
        leader = ens.wait_for_leader()
        self.check_that(ens, sorted(ens.modes()) == ["follower", "follower", "leader"],
                        "modes %s" % ens.modes())
        c = ens.client()
        c.create("/ens", b"")
        for i in range(20):
            c.create("/ens/a%02d" % i, b"v%d" % i)

        ens.isolate(leader)
        t = time.monotonic()
        new = ens.wait_for_leader(timeout=30, among=ens.others(leader))
        took = time.monotonic() - t
        print("  leader %d isolated; %d elected in %.2fs" % (leader, new, took))
        # the isolated one cannot keep leading without a quorum
        ens.wait_mode(leader, (None, "follower", "observer"), timeout=15)
        self.check_that(ens, ens.leaders() == [new], "leaders %s" % ens.leaders())

        # the majority takes writes; a client of the isolated server cannot
        c2 = ens.client(ens.others(leader)[0])
        c2.set("/ens/a00", b"changed")
        for i in range(20, 30):
            c2.create("/ens/a%02d" % i, b"v%d" % i)
        c2.delete("/ens/a01")

        ens.heal()
        ens.wait_mode(leader, "follower", timeout=30)
        ens.wait_serving()
        tree = ens.assert_same_dumps()
        self.check_that(ens, tree["/ens/a00"][0] == b"changed" and "/ens/a01" not in tree
                        and "/ens/a29" in tree, "tree after heal: %s" % sorted(tree))

    def test_observer_partition_kill_and_stop(self):
        ens = self.make(n=3, observers=1)
        obs = ens.observers[0]
        self.check_that(ens, ens.mode(obs) == "observer", "modes %s" % ens.modes())
        leader = ens.wait_for_leader()
        f1, f2 = [i for i in ens.voters if i != leader]
        c = ens.client(obs)
        c.create("/obs", b"x")

        # the leader alone on one side; two voters and the observer on the other
        ens.partition([[leader], [f1, f2, obs]])
        new = ens.wait_for_leader(among=[f1, f2])
        ens.wait_serving([obs], timeout=30)
        ens.client(obs).set("/obs", b"y")
        ens.heal()
        ens.wait_serving()

        # kill -9 a follower, write, bring it back on the same data dir
        follower = [i for i in ens.voters if i != new][0]
        ens.kill9(follower)
        ens.client(new).create("/obs/k", b"while down")
        ens.start_server(follower)

        # SIGSTOP the leader: the others elect a new one; SIGCONT, it rejoins
        ens.sigstop(new)
        third = ens.wait_for_leader(among=[i for i in ens.voters if i != new])
        ens.sigcont(new)
        ens.wait_mode(new, "follower", timeout=30)
        ens.restart(third)
        ens.wait_serving()
        ens.wait_for_leader()
        tree = ens.assert_same_dumps()
        self.check_that(ens, tree.get("/obs", (None,))[0] == b"y" and "/obs/k" in tree,
                        "tree %s" % sorted(tree))

    def test_linearizable_while_the_leader_is_isolated(self):
        ens = self.make(n=3)
        leader = ens.wait_for_leader()
        done = threading.Event()

        def faults():
            time.sleep(3)
            ens.isolate(leader)
            if done.wait(6):
                return
            ens.heal()

        t = threading.Thread(target=faults, daemon=True)
        t.start()
        try:
            h = run_workload(ens.connect_string(), keys=3, threads=5, ops_per_thread=400,
                             time_limit=15.0, base="/lin", read_mode="sync", op_timeout=4.0,
                             session_timeout=6.0, seed=11)
        finally:
            done.set()
            t.join(10)
            ens.heal()
        counts = {}
        for op in h:
            counts[op.status] = counts.get(op.status, 0) + 1
        r = check(h, time_limit=60)
        print("  %d ops %s; check: %s" % (len(h), counts, r.ok))
        self.check_that(ens, len(h) > 100, "only %d ops recorded" % len(h))
        self.check_that(ens, r.ok is True, "history not linearizable:\n" + r.explanation())
        ens.wait_serving()
        ens.assert_same_dumps()


if __name__ == "__main__":
    harness.main()
