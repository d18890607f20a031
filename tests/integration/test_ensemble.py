"""A replicated coordd: 3- and 5-server ensembles on loopback under faults.

Every test starts real coordd processes (ensemble.py), drives them with kazoo
and checks, after the faults heal, that every acknowledged write is on every
server and that all trees are identical (data and Stat of every node, read
from each server alone).  Election and failover times are printed.
"""

import os
import shutil
import threading
import time
import unittest

import harness
from ensemble import Ensemble
from harness import IS_ZK, wait_until

import lincheck


class WriteLoad:
    """Bounded concurrent writers (each its own kazoo client on every server);
    remembers what was acknowledged.  Stops by itself after max_ops per thread
    or max_seconds."""

    def __init__(self, ens, threads=4, max_ops=400, max_seconds=30.0, base="/load",
                 hosts=None, pace=0.0):
        self.pace = pace  # seconds between one thread's writes
        self.ens = ens
        self.base = base
        self.acked = set()
        self.errors = 0
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.hosts = hosts or ens.connect_string()
        setup = ens.client()
        setup.ensure_path(base)
        ens.drop_client(setup)
        self.threads = [threading.Thread(target=self._run, args=(t, max_ops, max_seconds),
                                         daemon=True) for t in range(threads)]

    def _run(self, t, max_ops, max_seconds):
        from kazoo.client import KazooClient
        c = KazooClient(hosts=self.hosts, timeout=10.0,
                        connection_retry=dict(max_tries=-1, delay=0.05, backoff=1.5,
                                              max_delay=0.5))
        deadline = time.monotonic() + max_seconds
        try:
            c.start(timeout=15)
            for i in range(max_ops):
                if self.stop_ev.is_set() or time.monotonic() > deadline:
                    break
                path = "%s/t%d-%05d" % (self.base, t, i)
                try:
                    c.create_async(path, b"%d" % i).get(timeout=5)
                    with self.lock:
                        self.acked.add(path)
                    if self.pace:
                        time.sleep(self.pace)
                except Exception:   # noqa: BLE001 - unknown outcome, not acked
                    with self.lock:
                        self.errors += 1
                    time.sleep(0.02)
        finally:
            try:
                c.stop()
                c.close()
            except Exception:
                pass

    def start(self):
        for th in self.threads:
            th.start()
        return self

    def count(self):
        with self.lock:
            return len(self.acked)

    def join(self):
        self.stop_ev.set()
        for th in self.threads:
            th.join(60)

    def assert_all_present(self, testcase, tree):
        missing = sorted(p for p in self.acked if p not in tree)
        testcase.assertEqual(missing, [], "acknowledged writes lost: %d of %d"
                             % (len(missing), len(self.acked)))


def first_write_after(ens, indices, t0, timeout=60.0, path="/probe"):
    """Seconds from t0 until a create through `indices` succeeds."""
    from kazoo.client import KazooClient
    c = KazooClient(hosts=ens.connect_string(indices), timeout=10.0,
                    connection_retry=dict(max_tries=-1, delay=0.02, backoff=1.2,
                                          max_delay=0.2))
    c.start(timeout=timeout)
    try:
        deadline = time.monotonic() + timeout
        n = 0
        while time.monotonic() < deadline:
            n += 1
            try:
                c.create_async("%s-%d-%d" % (path, os.getpid(), n), b"").get(timeout=2)
                return time.monotonic() - t0
            except Exception:   # noqa: BLE001
                time.sleep(0.01)
        raise AssertionError("no write succeeded within %.0fs" % timeout)
    finally:
        c.stop()
        c.close()


class EnsembleCase(unittest.TestCase):
    def ensemble(self, **kw):
        ens = Ensemble(**kw)
        self.addCleanup(ens.cleanup)
        ens.start()
        return ens


class TestBasics(EnsembleCase):
    def test_writes_through_every_server_reach_all(self):
        ens = self.ensemble(n=3)
        self.assertEqual(len(ens.leaders()), 1, ens.modes())
        mntr = dict(line.split("\t", 1) for line in harness.four_letter(
            ens.members[ens.leader()].port, "mntr").splitlines() if "\t" in line)
        self.assertEqual(mntr["zk_server_state"], "leader")
        self.assertTrue(wait_until(lambda: dict(
            line.split("\t", 1) for line in harness.four_letter(
                ens.members[ens.leader()].port, "mntr").splitlines()
            if "\t" in line).get("zk_synced_followers") == "2", timeout=10))
        clients = [ens.client(i) for i in range(3)]
        for k in range(60):
            clients[k % 3].create("/w%02d" % k, b"v%d" % k)
        for i, c in enumerate(clients):
            c.sync("/")
            self.assertEqual(len([x for x in c.get_children("/") if x.startswith("w")]), 60,
                             "server %d" % i)
            self.assertEqual(c.get("/w59")[0], b"v59")
        tree = ens.assert_same_dumps()
        self.assertIn("/w00", tree)

    def test_read_your_writes_on_a_follower(self):
        ens = self.ensemble(n=3)
        f = [i for i in range(3) if ens.mode(i) == "follower"][0]
        c = ens.client(f)
        for k in range(50):
            c.create("/ryw%d" % k, b"a")
            c.set("/ryw%d" % k, b"b")
            # a read right behind the session's own write sees it
            self.assertEqual(c.get("/ryw%d" % k)[0], b"b")

    def test_ephemerals_and_sessions_are_global(self):
        ens = self.ensemble(n=3)
        f = [i for i in range(3) if ens.mode(i) == "follower"]
        owner = ens.client(f[0])
        owner.create("/eph", b"x", ephemeral=True)
        watcher = ens.client(f[1])
        watcher.sync("/")
        gone = threading.Event()
        watcher.exists("/eph", watch=lambda ev: gone.set())
        self.assertIsNotNone(watcher.exists("/eph"))
        # the session moves to another server with its id and password
        from kazoo.client import KazooClient
        sid, pw = owner.client_id
        moved = KazooClient(hosts=ens.connect_string(f[1]), client_id=(sid, pw), timeout=10)
        moved.start(timeout=15)
        self.assertEqual(moved.client_id[0], sid)
        self.assertIsNotNone(moved.exists("/eph"))
        moved.stop()        # closes the session: the ephemeral goes everywhere
        moved.close()
        self.assertTrue(gone.wait(10), "no NodeDeleted on another server")
        for i in range(3):
            c = ens.client(i)
            c.sync("/")
            self.assertIsNone(c.exists("/eph"), "server %d" % i)

    def test_session_expired_by_the_leader_everywhere(self):
        ens = self.ensemble(n=3)
        f = [i for i in range(3) if ens.mode(i) == "follower"]
        # a raw client: its socket just goes, no closeSession; only the
        # leader's expiry can end the session it opened on a follower
        raw = harness.RawClient(ens.members[f[0]].port)
        raw.connect(timeout_ms=4000)
        xid = raw.send(1, harness.create_body("/doomed", b"", flags=1))
        _, _, err, _ = raw.read_reply(xid)
        self.assertEqual(err, 0)
        other = ens.client(f[1])
        other.sync("/")
        self.assertIsNotNone(other.exists("/doomed"))
        gone = threading.Event()
        other.exists("/doomed", watch=lambda ev: gone.set())
        t0 = time.monotonic()
        raw.close()
        self.assertTrue(gone.wait(20), "ephemeral of an expired session still there")
        print("\nsession of 4000 ms expired after %.1f s" % (time.monotonic() - t0))
        ens.assert_same_dumps()

    def test_a_silent_client_on_a_follower_expires(self):
        # its TCP connection stays open, but it sends nothing, not even pings
        ens = self.ensemble(n=3)
        f = [i for i in range(3) if ens.mode(i) == "follower"]
        raw = harness.RawClient(ens.members[f[0]].port)
        self.addCleanup(raw.close)
        raw.connect(timeout_ms=4000)
        xid = raw.send(1, harness.create_body("/silent", b"", flags=1))
        self.assertEqual(raw.read_reply(xid)[2], 0)
        other = ens.client(f[1])
        other.sync("/")
        gone = threading.Event()
        self.assertIsNotNone(other.exists("/silent", watch=lambda ev: gone.set()))
        t0 = time.monotonic()
        self.assertTrue(gone.wait(15), "a silent session outlived its timeout")
        self.assertLess(time.monotonic() - t0, 8.0)

    def test_sync_and_version_checks(self):
        ens = self.ensemble(n=3)
        from kazoo.exceptions import BadVersionError, NodeExistsError
        a, b = ens.client(0), ens.client(1)
        a.create("/cas", b"0")
        with self.assertRaises(NodeExistsError):
            b.create("/cas", b"1")
        b.sync("/cas")
        _, st = b.get("/cas")
        b.set("/cas", b"1", version=st.version)
        with self.assertRaises(BadVersionError):
            a.set("/cas", b"2", version=st.version)
        a.sync("/cas")
        self.assertEqual(a.get("/cas")[0], b"1")

    def test_observer_serves_and_does_not_vote(self):
        ens = self.ensemble(n=3, observers=1)
        obs = ens.observers[0]
        self.assertEqual(ens.mode(obs), "observer")
        c = ens.client(obs)
        c.create("/via-observer", b"o")
        for i in range(4):
            d = ens.client(i)
            d.sync("/")
            self.assertEqual(d.get("/via-observer")[0], b"o")
        # two voters down: no quorum even with the observer up
        followers = [i for i in ens.voters if ens.mode(i) == "follower"]
        ens.kill9(followers[0])
        ens.kill9(followers[1])
        self.assertTrue(wait_until(lambda: ens.mode(obs) not in ("observer",), timeout=20),
                        "observer still serving without a quorum")
        ens.start_server(followers[0])
        ens.wait_serving(indices=[i for i in range(4) if i != followers[1]], timeout=30)
        ens.start_server(followers[1])
        ens.wait_serving(timeout=30)
        ens.assert_same_dumps()


class TestFaults(EnsembleCase):
    def test_kill9_leader_under_load(self):
        ens = self.ensemble(n=3)
        load = WriteLoad(ens, threads=4, max_ops=1500, max_seconds=40, pace=0.02).start()
        wait_until(lambda: load.count() > 150, timeout=20)
        old = ens.leader()
        # a client on the leader keeps its session (and ephemeral) across
        from kazoo.client import KazooClient
        from kazoo.protocol.states import KazooState
        mover = KazooClient(hosts=ens.connect_string([old] + ens.others(old)),
                            timeout=6.0, randomize_hosts=False)
        mover.start(timeout=15)
        self.addCleanup(mover.close)
        self.addCleanup(mover.stop)
        mover.create("/mover", b"", ephemeral=True)
        sid = mover.client_id[0]
        states = []
        mover.add_listener(states.append)
        t0 = time.monotonic()
        ens.kill9(old)
        new = ens.wait_for_leader(among=ens.others(old), timeout=30)
        elected = time.monotonic() - t0
        failover = first_write_after(ens, ens.others(old), t0)
        print("\n3 servers: leader killed -> new leader in %.3f s, first write in %.3f s"
              % (elected, failover))
        self.assertNotEqual(new, old)
        self.assertTrue(wait_until(lambda: mover.state == KazooState.CONNECTED
                                   and KazooState.SUSPENDED in states, timeout=20), states)
        self.assertNotIn(KazooState.LOST, states)
        self.assertEqual(mover.client_id[0], sid)
        self.assertIsNotNone(mover.exists("/mover"))
        wait_until(lambda: load.count() > 400, timeout=20)
        ens.start_server(old)
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)
        self.assertGreater(len(load.acked), 200)

    def test_followers_killed_and_restarted(self):
        ens = self.ensemble(n=3)
        load = WriteLoad(ens, threads=3, max_ops=1500, max_seconds=40, pace=0.02).start()
        for _ in range(2):
            f = [i for i in range(3) if ens.mode(i) == "follower"][0]
            n0 = load.count()
            ens.kill9(f)
            self.assertTrue(wait_until(lambda: load.count() > n0 + 50, timeout=20),
                            "writes stopped with one follower down")
            ens.start_server(f)
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)

    def test_sigstop_leader_past_session_timeout(self):
        ens = self.ensemble(n=3)
        load = WriteLoad(ens, threads=3, max_ops=1500, max_seconds=40, pace=0.02).start()
        wait_until(lambda: load.count() > 100, timeout=20)
        old = ens.leader()
        t0 = time.monotonic()
        ens.sigstop(old)
        try:
            new = ens.wait_for_leader(among=ens.others(old), timeout=30)
            print("\nleader stopped -> new leader in %.3f s" % (time.monotonic() - t0))
            n0 = load.count()
            self.assertTrue(wait_until(lambda: load.count() > n0 + 50, timeout=20))
            time.sleep(4.5)   # past the load clients' session timeout on the old leader
        finally:
            ens.sigcont(old)
        self.assertNotEqual(new, old)
        self.assertTrue(wait_until(lambda: ens.mode(old) == "follower", timeout=30),
                        ens.modes())
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)

    def test_restart_every_server_in_turn(self):
        ens = self.ensemble(n=3)
        load = WriteLoad(ens, threads=3, max_ops=1500, max_seconds=60, pace=0.02).start()
        for i in range(3):
            n0 = load.count()
            wait_until(lambda: load.count() > n0 + 30, timeout=20)
            ens.restart(i)
            ens.wait_serving(timeout=30)
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)

    def test_five_servers_survive_two_failures(self):
        ens = self.ensemble(n=5)
        load = WriteLoad(ens, threads=4, max_ops=1500, max_seconds=50, pace=0.02).start()
        wait_until(lambda: load.count() > 100, timeout=20)
        old = ens.leader()
        victims = [old, [i for i in ens.others(old)][0]]
        t0 = time.monotonic()
        for v in victims:
            ens.kill9(v)
        ens.wait_for_leader(among=ens.others(*victims), timeout=30)
        failover = first_write_after(ens, ens.others(*victims), t0)
        print("\n5 servers: leader and a follower killed -> first write in %.3f s" % failover)
        n0 = load.count()
        self.assertTrue(wait_until(lambda: load.count() > n0 + 50, timeout=20))
        for v in victims:
            ens.start_server(v)
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)

    @unittest.skipIf(IS_ZK, "ZooKeeper lets a wiped server vote (ZOOKEEPER-261)")
    def test_wiped_server_does_not_vote_until_synced(self):
        """R-FLE-1: a server whose disk was replaced (empty dataDir, no
        initialize marker) must not help elect a server that may lack what
        the lost disk held.  With it and one healthy server up and the third
        down, nobody leads; with the third back they elect one of the two
        healthy ones and the wiped one syncs."""
        ens = self.ensemble(n=3)
        load = WriteLoad(ens, threads=2, max_ops=150, max_seconds=20).start()
        self.assertTrue(wait_until(lambda: load.count() >= 200, timeout=30))
        load.join()
        for i in range(3):
            ens.stop_server(i)
        data = ens.members[0].data_dir
        for name in os.listdir(data):
            if name != "myid":
                path = os.path.join(data, name)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
        ens.start_server(0, wait=False)
        ens.start_server(1, wait=False)
        time.sleep(3.0)
        self.assertEqual([ens.mode(0), ens.mode(1)], [None, None],
                         "a leader was elected with a wiped server's vote")
        with open(ens.members[0].log_path, errors="replace") as f:
            self.assertIn("not voting until synced", f.read())
        ens.start_server(2, wait=False)
        leader = ens.wait_for_leader(timeout=30)
        self.assertIn(leader, (1, 2))
        ens.wait_serving(timeout=30)
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)
        self.assertFalse(os.path.exists(os.path.join(data, "initialize")))


@unittest.skipIf(IS_ZK and not os.environ.get("COORD_TEST_ZK_PROXY"), "proxied ZK runs are slow")
class TestPartitions(EnsembleCase):
    def test_leader_cut_off_from_the_majority(self):
        ens = self.ensemble(n=3, proxied=True)
        load = WriteLoad(ens, threads=3, max_ops=1500, max_seconds=50, pace=0.02).start()
        wait_until(lambda: load.count() > 100, timeout=20)
        old = ens.leader()
        t0 = time.monotonic()
        ens.isolate(old)
        ens.wait_for_leader(among=ens.others(old), timeout=30)
        print("\nleader isolated -> new leader in %.3f s" % (time.monotonic() - t0))
        # the old leader gives up: it may not serve without a quorum
        self.assertTrue(wait_until(lambda: ens.mode(old) not in ("leader", "follower"),
                                   timeout=20), ens.modes())
        n0 = load.count()
        self.assertTrue(wait_until(lambda: load.count() > n0 + 50, timeout=20))
        ens.heal()
        self.assertTrue(wait_until(lambda: ens.mode(old) == "follower", timeout=30),
                        ens.modes())
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)

    def test_five_servers_split_two_three_with_the_leader_in_the_minority(self):
        ens = self.ensemble(n=5, proxied=True)
        # paced, so that it still writes when the partition comes
        load = WriteLoad(ens, threads=3, max_ops=1500, max_seconds=50,
                         pace=0.02).start()
        wait_until(lambda: load.count() > 80, timeout=20)
        old = ens.leader()
        minority = [old, ens.others(old)[0]]
        majority = ens.others(*minority)
        t0 = time.monotonic()
        ens.partition([minority, majority])
        ens.wait_for_leader(among=majority, timeout=30)
        print("\n5 servers split 2/3 -> new leader in the majority in %.3f s"
              % (time.monotonic() - t0))
        # the minority serves nobody: no quorum there
        self.assertTrue(wait_until(lambda: all(ens.mode(i) not in ("leader", "follower")
                                               for i in minority), timeout=20), ens.modes())
        n0 = load.count()
        self.assertTrue(wait_until(lambda: load.count() > n0 + 50, timeout=20))
        ens.heal()
        ens.wait_serving(timeout=30)
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)

    def test_follower_cut_off_from_everyone(self):
        ens = self.ensemble(n=3, proxied=True)
        load = WriteLoad(ens, threads=3, max_ops=1500, max_seconds=40, pace=0.02).start()
        wait_until(lambda: load.count() > 80, timeout=20)
        f = [i for i in range(3) if ens.mode(i) == "follower"][0]
        ens.isolate(f)
        self.assertTrue(wait_until(lambda: ens.mode(f) != "follower", timeout=20),
                        ens.modes())
        n0 = load.count()
        self.assertTrue(wait_until(lambda: load.count() > n0 + 100, timeout=20),
                        "the majority stopped taking writes")
        ens.heal()
        ens.wait_serving(timeout=30)
        load.join()
        tree = ens.assert_same_dumps()
        load.assert_all_present(self, tree)


class TestLinearizable(EnsembleCase):
    def test_history_across_a_leader_kill_is_linearizable(self):
        ens = self.ensemble(n=3)
        box = {}

        def work():
            box["h"] = lincheck.run_workload(ens.connect_string(), keys=3, threads=5,
                                             ops_per_thread=150, time_limit=30.0,
                                             read_mode="sync", seed=7)

        th = threading.Thread(target=work, daemon=True)
        th.start()
        time.sleep(2.0)
        ens.kill9(ens.leader())
        th.join(90)
        self.assertFalse(th.is_alive(), "workload did not stop")
        h = box["h"]
        ok = sum(1 for op in h if op.status == "ok")
        self.assertGreater(ok, 200, "too little of the history completed")
        res = lincheck.check(h)
        self.assertTrue(res, res.explanation())
        # the checker is not blind: a stale read appended on purpose fails it
        broken = lincheck.History(list(h), h.initial)
        key = sorted(h.initial)[0]
        last = max((op for op in h if op.key == key and op.kind == "write"
                    and op.status == "ok"), key=lambda op: op.complete, default=None)
        if last is not None:
            t = max(op.complete for op in h if op.status == "ok") + 1
            stale = lincheck.Op("read", key, status="ok", process=999, value="never-written")
            stale.invoke, stale.complete, stale.id = t, t + 0.1, len(broken)
            broken.append(stale)
            self.assertFalse(lincheck.check(broken))


class TestReadOnlyMode(EnsembleCase):
    def test_read_only_server_without_a_quorum(self):
        from kazoo.client import KazooClient
        from kazoo.exceptions import NotReadOnlyCallError
        ens = self.ensemble(n=3, extra_cfg={"readonlymode.enabled": "true"})
        w = ens.client()
        w.create("/ro", b"before")
        survivor = [i for i in range(3) if ens.mode(i) == "follower"][0]
        ens.client(survivor).sync("/")
        others = ens.others(survivor)
        for i in others:
            ens.kill9(i)
        port = ens.members[survivor].port
        self.assertTrue(wait_until(
            lambda: harness.four_letter(port, "isro").strip() == "ro", timeout=20),
            "isro never said ro")
        # a client that does not accept read-only is refused ...
        raw = harness.RawClient(port)
        with self.assertRaises((ConnectionError, OSError, Exception)):
            raw.connect(timeout_ms=4000, readonly_byte=True)
            raw.read_frame()
        raw.close()
        # ... one that does reads, and its writes fail with NotReadOnly
        ro = KazooClient(hosts=ens.connect_string(survivor), read_only=True, timeout=4)
        ro.start(timeout=15)
        self.addCleanup(ro.close)
        self.addCleanup(ro.stop)
        self.assertEqual(ro.get("/ro")[0], b"before")
        with self.assertRaises(NotReadOnlyCallError):
            ro.create("/ro2", b"")
        # the quorum returns: the server is read-write again
        for i in others:
            ens.start_server(i, wait=False)
        ens.wait_serving(timeout=30)
        self.assertEqual(harness.four_letter(port, "isro").strip(), "rw")
        c = ens.client(survivor)
        c.create("/ro2", b"after")
        ens.assert_same_dumps()


@unittest.skipIf(IS_ZK, "coordd's REST gateway")
class TestRestOnEnsemble(unittest.TestCase):
    def test_gateway_on_every_member(self):
        from test_rest import Http
        ens = Ensemble(n=3)
        self.addCleanup(ens.cleanup)
        for m in ens.members:
            m.extra_cfg["httpPort"] = str(harness.free_port())
        ens.start()
        https = [Http(int(m.extra_cfg["httpPort"])) for m in ens.members]
        for h in https:
            st, _, doc = h.get("/health")
            self.assertEqual(st, 200, doc)
        lead = ens.leader()
        f = [i for i in range(3) if i != lead]
        # a write through a follower's gateway is forwarded and committed
        st, _, doc = https[f[0]].post("/v1/znodes/viahttp", {"data": "x"})
        self.assertEqual(st, 201, doc)
        st, _, doc = https[lead].get("/commands/leader")
        self.assertTrue(doc["is_leader"], doc)
        st, _, doc = https[f[1]].get("/commands/zabstate")
        self.assertEqual(doc["zabstate"], "broadcast", doc)
        # an HTTP session on a follower: its ephemeral goes everywhere with it
        st, _, doc = https[f[1]].post("/v1/sessions", {"timeout": 4000})
        self.assertEqual(st, 201, doc)
        cred = doc["session"]
        st, _, doc = https[f[1]].post("/v1/znodes/httpeph", {"ephemeral": True,
                                                            "session": cred})
        self.assertEqual(st, 201, doc)
        k = ens.client(f[0])
        k.sync("/")
        gone = threading.Event()
        self.assertIsNotNone(k.exists("/httpeph", watch=lambda ev: gone.set()))
        st, _, doc = https[f[1]].delete("/v1/sessions/" + cred)
        self.assertIn(st, (200, 204), doc)
        self.assertTrue(gone.wait(10), "kazoo on another server saw no NodeDeleted")
        ens.assert_same_dumps()
        # without a quorum the survivor's /health says so
        for i in f:
            ens.kill9(i)
        self.assertTrue(wait_until(lambda: https[lead].get("/health")[0] == 503,
                                   timeout=20))


@unittest.skipIf(IS_ZK, "coordd's REST gateway")
class TestRestAcrossSnapshotSync(unittest.TestCase):
    def test_a_watch_stream_resyncs_when_its_member_installs_a_snapshot(self):
        from test_rest import SSE
        ens = Ensemble(n=3, proxied=True)
        self.addCleanup(ens.cleanup)
        for m in ens.members:
            m.extra_cfg["httpPort"] = str(harness.free_port())
        ens.start()
        w = ens.client(ens.leader())
        w.create("/w", b"")
        f = [i for i in range(3) if ens.mode(i) == "follower"][0]
        port = int(ens.members[f].extra_cfg["httpPort"])
        w.create("/w/first", b"")
        ens.client(f).sync("/")
        sse = SSE(port, "/v1/watch?path=/w&recursive")
        self.addCleanup(sse.close)
        w.set("/w/first", b"x")
        first = sse.event()
        while first.get("event") in (None, "ready"):
            first = sse.event()
        last_id = first.get("id")
        # more than the leader's 5000-txn window while f is cut off: SNAP
        ens.isolate(f)
        others = ens.others(f)
        c = ens.client(others)
        results = [c.create_async("/w/n%05d" % k, b"") for k in range(5200)]
        for r in results:
            r.get(timeout=60)
        ens.heal()
        ens.wait_serving(timeout=60)
        # the stream ends (its watch went with the old tree) ...
        ended = False
        try:
            for _ in range(10000):
                ev = sse.event(timeout=15)
                if ev.get("event") == "resync":
                    ended = True
                    break
        except (EOFError, ConnectionError):
            ended = True  # closed; a timeout (no end, no event) fails
        self.assertTrue(ended, "the watch stream went on silently")
        # ... and resuming from before the snapshot says resync
        again = SSE(port, "/v1/watch?path=/w&recursive", last_id=last_id)
        self.addCleanup(again.close)
        ev = again.event(timeout=15)
        while ev.get("event") not in ("resync",) and ev.get("data", {}).get("type") != "resync":
            ev = again.event(timeout=15)
        self.assertEqual(ev["data"]["type"], "resync")
        leader_log = open(ens.members[ens.leader()].log_path).read()
        self.assertIn("mode=snap", leader_log)


@unittest.skipIf(IS_ZK, "coordd's own messages")
class TestConfiguration(unittest.TestCase):
    def run_coordd(self, cfg_lines, myid=None):
        import subprocess
        import tempfile
        d = tempfile.mkdtemp(prefix="citest-cfg-")
        self.addCleanup(__import__("shutil").rmtree, d, True)
        if myid is not None:
            with open(os.path.join(d, "myid"), "w") as f:
                f.write(myid)
        cfg = os.path.join(d, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("dataDir=%s\nclientPort=%d\n" % (d, harness.free_port()))
            f.write("\n".join(cfg_lines) + "\n")
        p = subprocess.run([harness.coordd_binary(), "-c", cfg], capture_output=True,
                           text=True, timeout=20)
        return p.returncode, p.stdout + p.stderr

    def test_a_members_data_starts_standalone(self):
        # an ensemble's log records carry their zxid outside the txn
        import subprocess
        ens = Ensemble(n=3)
        self.addCleanup(ens.cleanup)
        ens.start()
        c = ens.client()
        for k in range(20):
            c.create("/kept%02d" % k, b"v%d" % k)
        c.sync("/")
        ens.drop_client(c)
        ens.stop()
        port = harness.free_port()
        proc = subprocess.Popen(
            [harness.coordd_binary(), "-d", ens.members[0].data_dir,
             "-o", "clientPort=%d" % port, "-o", "4lw.commands.whitelist=*"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        try:
            def ok():
                try:
                    return harness.four_letter(port, "ruok") == "imok"
                except OSError:
                    return False
            self.assertTrue(wait_until(ok, timeout=20), "not serving standalone")
            k = harness.kazoo_client("127.0.0.1:%d" % port)
            k.start(timeout=15)
            self.assertEqual(len([x for x in k.get_children("/") if x.startswith("kept")]), 20)
            self.assertEqual(k.get("/kept19")[0], b"v19")
            k.stop()
            k.close()
        finally:
            proc.terminate()
            err = proc.communicate(timeout=20)[1]
        self.assertEqual(proc.returncode, 0, err[-2000:])

    def test_refuses_without_myid(self):
        rc, out = self.run_coordd(["server.1=127.0.0.1:1:2", "server.2=127.0.0.1:3:4"])
        self.assertNotEqual(rc, 0)
        self.assertIn("myid", out)

    def test_refuses_a_server_not_listed(self):
        rc, out = self.run_coordd(["server.1=127.0.0.1:1:2", "server.2=127.0.0.1:3:4"], "7")
        self.assertNotEqual(rc, 0)
        self.assertIn("no server.7 line", out)

    def test_refuses_without_participants(self):
        rc, out = self.run_coordd(["server.1=127.0.0.1:1:2:observer",
                                   "server.2=127.0.0.1:3:4:observer", "peerType=observer"], "1")
        self.assertNotEqual(rc, 0)
        self.assertIn("no quorum", out)

    def test_refuses_clashing_ports(self):
        rc, out = self.run_coordd(["server.1=127.0.0.1:5:6", "server.2=127.0.0.1:6:7"], "1")
        self.assertNotEqual(rc, 0)
        self.assertIn("share a port", out)


if __name__ == "__main__":
    unittest.main()
