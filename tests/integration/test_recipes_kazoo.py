"""coord's recipes and kazoo's on the same paths: Semaphore, Queue, Barrier,
DoubleBarrier, Counter and Party share kazoo's node layouts, so a coord
participant (a recipe_tool process, the C recipes of libcoord_recipes) and
kazoo clients (threads here) cooperate on one path. Shared log files record
enter/exit events of both sides in one order.

kazoo's LockingQueue (entries under path/entries, claims under path/taken)
has no coord counterpart: it is only checked to work beside a coord queue
on a neighbouring path, untouched by it. See coord-recipes(3).

recipe_tool is $COORD_BUILDDIR/tests/recipes/recipe_tool. coordd and
ZooKeeper alike (the recipes only use the client protocol).
"""

import os
import subprocess
import tempfile
import threading
import time
import unittest

from kazoo.exceptions import LockTimeout

import harness
from harness import ServerTestCase, wait_until


def recipe_tool():
    bd = os.environ.get("COORD_BUILDDIR", ".")
    return os.path.join(bd, "tests", "recipes", "recipe_tool")


def note(log, what, who):
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, ("%s %s\n" % (what, who)).encode())
    finally:
        os.close(fd)


def records(log):
    with open(log) as f:
        return [tuple(line.split(None, 1)) for line in f.read().splitlines()]


class RecipesKazoo(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tool = recipe_tool()
        if not os.access(cls.tool, os.X_OK):
            raise unittest.SkipTest("no recipe_tool at %s" % cls.tool)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        fd, self.log = tempfile.mkstemp(prefix="citest-recipes-")
        os.close(fd)
        self.addCleanup(os.unlink, self.log)
        self._procs = []
        self.addCleanup(self._reap)

    def _reap(self):
        for p in self._procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()

    def spawn(self, *args):
        p = subprocess.Popen([self.tool, args[0], self.server.hosts] + list(args[1:]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._procs.append(p)
        return p

    def finish(self, p, timeout=60):
        out, err = p.communicate(timeout=timeout)
        self.assertEqual(p.returncode, 0, "recipe_tool: %r" % err)
        return out.decode()

    def run_tool(self, *args, timeout=60):
        return self.finish(self.spawn(*args), timeout)

    def threads(self, fns):
        ts = [threading.Thread(target=f) for f in fns]
        for t in ts:
            t.start()
        return ts

    def join(self, ts, timeout=60):
        for t in ts:
            t.join(timeout)
        self.assertFalse(any(t.is_alive() for t in ts), "kazoo workers hung")

    # --- Semaphore: path holds max_leases, leases are <hex> children ---

    def test_semaphore_leases_shared_with_kazoo(self):
        errors = []

        def kz(i):
            def run():
                try:
                    sem = self.client().Semaphore(self.base, "kz%d" % i, max_leases=2)
                    for _ in range(4):
                        self.assertTrue(sem.acquire(timeout=30))
                        note(self.log, "enter", "kz%d" % i)
                        time.sleep(0.02)
                        note(self.log, "exit", "kz%d" % i)
                        sem.release()
                except Exception as e:  # reported below
                    errors.append(e)
            return run

        procs = [self.spawn("sem", self.base, "co%d" % i, "2", "4", "20", self.log)
                 for i in range(2)]
        ts = self.threads([kz(i) for i in range(2)])
        for p in procs:
            self.finish(p)
        self.join(ts)
        self.assertEqual(errors, [])
        inside, most, count = set(), 0, 0
        for what, who in records(self.log):
            if what == "enter":
                inside.add(who)
                count += 1
                most = max(most, len(inside))
            else:
                inside.discard(who)
        self.assertEqual(count, 16)
        self.assertEqual(most, 2, "leases held at once")

    def test_semaphore_holders_and_max_agree(self):
        k = self.client()
        sem = k.Semaphore(self.base, "kazoo-holder", max_leases=2)
        self.assertTrue(sem.acquire(timeout=5))
        self.assertEqual(self.run_tool("sem-holders", self.base), "kazoo-holder\n")
        p = self.spawn("sem", self.base, "coord-holder", "2", "1", "1500", self.log)
        wait_until(lambda: ("enter", "coord-holder") in records(self.log), 10)
        self.assertEqual(sorted(sem.lease_holders()), ["coord-holder", "kazoo-holder"])
        # Full: a third kazoo contender waits for a lease.
        third = k.Semaphore(self.base, "third", max_leases=2)
        with self.assertRaises(LockTimeout):
            third.acquire(timeout=0.3)
        self.finish(p)
        self.assertTrue(third.acquire(timeout=10))
        third.release()
        sem.release()
        # A different max_leases is refused by coord, as kazoo refuses it.
        r = self.spawn("sem", self.base, "wrong", "3", "1", "0", self.log)
        r.communicate(timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(k.get(self.base)[0], b"2")

    # --- Queue: entry-PPP-<seq> children, lowest name first ---

    def test_queue_kazoo_puts_coord_takes(self):
        q = self.client().Queue(self.base)
        for i in range(3):
            q.put(b"k%d" % i)
        q.put(b"urgent", priority=5)
        q.put(b"late", priority=900)
        self.assertEqual(self.run_tool("qsize", self.base), "5\n")
        out = self.run_tool("qtake", self.base, "5", "5000")
        self.assertEqual(out.split(), ["urgent", "k0", "k1", "k2", "late"])
        self.assertEqual(len(q), 0)

    def test_queue_coord_puts_kazoo_takes(self):
        self.run_tool("qput", self.base, "100", "c0", "c1")
        self.run_tool("qput", self.base, "3", "first")
        q = self.client().Queue(self.base)
        self.assertEqual(len(q), 3)
        self.assertEqual([q.get() for _ in range(4)], [b"first", b"c0", b"c1", None])

    def test_queue_mixed_consumers_lose_and_duplicate_nothing(self):
        n = 120
        items = ["i%03d" % i for i in range(n)]
        half = n // 2
        producer = self.client().Queue(self.base)
        for it in items[:half]:
            producer.put(it.encode())
        self.run_tool("qput", self.base, "100", *items[half:])
        got, errors = [], []
        lock = threading.Lock()

        def kz():
            try:
                q = self.client().Queue(self.base)
                while True:
                    v = q.get()
                    if v is None:
                        return
                    with lock:
                        got.append(v.decode())
            except Exception as e:  # reported below
                errors.append(e)

        procs = [self.spawn("qtake", self.base, "1000", "300") for _ in range(2)]
        ts = self.threads([kz, kz])
        outs = []
        for p in procs:
            out, _ = p.communicate(timeout=60)
            # the tool stops at its first empty take (timeout): expected
            outs.extend(out.decode().split())
        self.join(ts)
        self.assertEqual(errors, [])
        taken = got + outs
        self.assertEqual(sorted(taken), items, "lost or duplicated items")
        self.assertGreater(len(outs), 0, "coord consumers got nothing")

    def test_locking_queue_is_not_shared(self):
        # kazoo's LockingQueue keeps items under path/entries with claims
        # under path/taken; coord has no such recipe. Each works beside the
        # other's queue.
        k = self.client()
        lq = k.LockingQueue(self.base + "/lq")
        lq.put(b"locked-item")
        self.run_tool("qput", self.base + "/cq", "100", "coord-item")
        # A coord queue on the LockingQueue's path finds no entry-* child
        # there (its items are one level down): nothing is taken.
        r = self.spawn("qtake", self.base + "/lq", "1", "300")
        out, _ = r.communicate(timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(out, b"")
        self.assertEqual(lq.get(5), b"locked-item")
        self.assertTrue(lq.consume())
        self.assertEqual(self.run_tool("qtake", self.base + "/cq", "1", "1000"),
                         "coord-item\n")

    # --- Barrier: closed while the node exists ---

    def test_barrier_both_ways(self):
        k = self.client()
        k.Barrier(self.base).create()
        p = self.spawn("barrier-wait", self.base, "20000")
        self.assertEqual(p.stdout.readline(), b"waiting\n")
        time.sleep(0.3)
        self.assertIsNone(p.poll(), "coord passed a closed kazoo barrier")
        k.Barrier(self.base).remove()
        self.assertEqual(self.finish(p, 15), "released\n")

        self.run_tool("barrier-create", self.base)
        self.assertFalse(k.Barrier(self.base).wait(0.3))
        passed = []
        t = threading.Thread(target=lambda: passed.append(k.Barrier(self.base).wait(15)))
        t.start()
        time.sleep(0.2)
        self.run_tool("barrier-remove", self.base)
        t.join(20)
        self.assertEqual(passed, [True])

    # --- DoubleBarrier: <hex> ephemeral children and `ready` ---

    def test_double_barrier_mixed(self):
        count = 4
        errors = []

        def kz(i):
            def run():
                who = "kz%d" % i
                try:
                    db = self.client().DoubleBarrier(self.base, count, identifier=who)
                    note(self.log, "arrive", who)
                    db.enter()
                    note(self.log, "entered", who)
                    time.sleep(0.05)
                    note(self.log, "leaving", who)
                    db.leave()
                    note(self.log, "left", who)
                except Exception as e:  # reported below
                    errors.append(e)
            return run

        ts = self.threads([kz(0)])
        time.sleep(0.3)  # one kazoo member waits alone first
        procs = [self.spawn("dbarrier", self.base, str(count), "co%d" % i, "50", self.log)
                 for i in range(2)]
        time.sleep(0.3)
        self.assertFalse(any(w == "entered" for w, _ in records(self.log)),
                         "entered before everyone arrived")
        ts += self.threads([kz(1)])
        for p in procs:
            self.finish(p)
        self.join(ts)
        self.assertEqual(errors, [])
        recs = records(self.log)
        pos = {}
        for i, (what, who) in enumerate(recs):
            pos.setdefault(what, []).append(i)
        for what in ("arrive", "entered", "leaving", "left"):
            self.assertEqual(len(pos.get(what, [])), count, what)
        self.assertLess(max(pos["arrive"]), min(pos["entered"]))
        self.assertLess(max(pos["leaving"]), min(pos["left"]))
        self.assertEqual(self.client().get_children(self.base), [])

    # --- Counter: ASCII decimal data, compare-and-set on the version ---

    def test_counter_mixed_increments(self):
        k = self.client()
        errors = []

        def kz():
            try:
                c = self.client().Counter(self.base)
                for _ in range(15):
                    c += 1
            except Exception as e:  # reported below
                errors.append(e)

        procs = [self.spawn("counter-add", self.base, "1", "15") for _ in range(2)]
        ts = self.threads([kz, kz])
        for p in procs:
            self.finish(p)
        self.join(ts)
        self.assertEqual(errors, [])
        self.assertEqual(k.Counter(self.base).value, 60)
        self.assertEqual(self.run_tool("counter-get", self.base), "60\n")
        self.assertEqual(k.get(self.base)[0], b"60")
        self.run_tool("counter-add", self.base, "-75", "1")
        self.assertEqual(k.Counter(self.base).value, -15)
        c = k.Counter(self.base)
        c -= 5
        self.assertEqual(self.run_tool("counter-get", self.base), "-20\n")

    def test_counter_empty_node_is_zero(self):
        k = self.client()
        k.create(self.base, b"")
        self.assertEqual(self.run_tool("counter-get", self.base), "0\n")
        self.run_tool("counter-add", self.base, "7", "1")
        self.assertEqual(k.Counter(self.base).value, 7)

    # --- Party: ephemeral <hex>__party__ children, the id as data ---

    def test_party_members_seen_both_ways(self):
        k = self.client()
        kp = k.Party(self.base, "kazoo-member")
        kp.join()
        p = self.spawn("party-join", self.base, "coord-member", "20000")
        self.assertEqual(p.stdout.readline(), b"joined\n")
        self.assertEqual(sorted(k.Party(self.base)), ["coord-member", "kazoo-member"])
        self.assertEqual(len(k.Party(self.base)), 2)
        self.assertEqual(sorted(self.run_tool("party-members", self.base).split()),
                         ["coord-member", "kazoo-member"])
        kp.leave()
        self.assertEqual(self.run_tool("party-members", self.base), "coord-member\n")
        p.kill()
        p.wait()
        # the coord member's session ends (closed socket, then expiry)
        self.assertTrue(wait_until(lambda: list(k.Party(self.base)) == [], 15))


if __name__ == "__main__":
    harness.main()
