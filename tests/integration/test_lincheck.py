"""lincheck.py, the linearizability checker used by the ensemble tests.

Hand-made histories it must accept (concurrent writes seen in either order,
unknown writes that did or did not happen, failed cas), histories broken on
purpose it must reject with a useful explanation (stale read after an
acknowledged write, lost write, a value never written, a cas that succeeds
twice, a read of a write that definitely failed), large synthetic histories
made by a simulated linearizable register (accepted within seconds; rejected
once a stale read is planted), and a history recorded from a real standalone
server under a concurrent kazoo load (accepted; rejected once corrupted).
"""

import random
import threading
import time
import unittest

import harness
from lincheck import INF, History, Op, Recorder, State, check, run_workload


def W(v, a, b, key="x", **kw):
    return Op("write", key, v, invoke=a, complete=b, **kw)


def R(v, a, b, key="x", **kw):
    return Op("read", key, v, invoke=a, complete=b, **kw)


def CAS(ver, v, a, b, swapped=True, key="x", **kw):
    return Op("cas", key, v, expected_version=ver, swapped=swapped, invoke=a, complete=b, **kw)


def simulate(procs=8, per_proc=400, keys=5, seed=1, unknown_rate=0.02):
    """A valid history: each op takes effect at a random point of its interval
    (an unknown one maybe never), results computed from that order."""
    rng = random.Random(seed)
    names = ["k%d" % i for i in range(keys)]
    plan = []   # (lin point or None, op)
    for p in range(procs):
        t = rng.random()
        for n in range(per_proc):
            inv = t + rng.random() * 0.5
            lin = inv + rng.random() * 1.0
            comp = lin + rng.random() * 1.0
            t = comp
            key = rng.choice(names)
            kind = rng.choice(("read", "read", "write", "cas"))
            op = Op(kind, key, "p%d-%d" % (p, n) if kind != "read" else None,
                    expected_version=0 if kind == "cas" else None,
                    invoke=inv, complete=comp, process=p)
            if kind != "read" and rng.random() < unknown_rate:
                op.status = "unknown"
                op.complete = INF
                t = comp + 0.5
                if rng.random() < 0.5:
                    lin = None          # it never took effect
            plan.append((lin, op))
    state = {k: State("init", 0) for k in names}
    for lin, op in sorted((x for x in plan if x[0] is not None), key=lambda x: x[0]):
        s = state[op.key]
        if op.kind == "read":
            op.value, op.version = s.value, s.version
        elif op.kind == "write":
            state[op.key] = State(op.value, s.version + 1)
            if op.status == "ok":
                op.version = s.version + 1
        else:
            # expect the current version half of the time, else a stale one
            op.expected_version = s.version if rng.random() < 0.5 else max(0, s.version - 1)
            if op.expected_version == s.version:
                state[op.key] = State(op.value, s.version + 1)
                op.swapped = True
                if op.status == "ok":
                    op.version = s.version + 1
            else:
                op.swapped = False
    ops = [op for _, op in plan]
    for i, op in enumerate(ops):
        op.id = i
    return History(ops, {k: State("init", 0) for k in names})


def plant_stale_read(history, rng):
    """Make one read return a value overwritten before it began: w1 acked, then
    w2 invoked and acked, then the read invoked -- and it sees w1.  Returns the read."""
    by_key = {}
    for op in history:
        by_key.setdefault(op.key, []).append(op)
    cands = []
    for key, ops in by_key.items():
        writes = [o for o in ops if o.status == "ok" and (o.kind == "write" or
                                                          (o.kind == "cas" and o.swapped))]
        reads = [o for o in ops if o.kind == "read" and o.status == "ok"]
        for w1 in writes:
            w2 = next((w for w in writes if w.invoke > w1.complete), None)
            if w2 is None:
                continue
            rd = next((r for r in reads if r.invoke > w2.complete and r.value != w1.value), None)
            if rd is not None:
                cands.append((w1, rd))
    if not cands:
        return None
    w1, rd = rng.choice(cands)
    rd.value, rd.version = w1.value, None
    return rd


class HandMade(unittest.TestCase):

    def assertLinearizable(self, ops, initial=None):
        r = check(ops, initial)
        self.assertTrue(r, r.explanation())
        return r

    def assertNotLinearizable(self, ops, initial=None, *expect):
        r = check(ops, initial)
        self.assertIs(r.ok, False, "accepted a broken history: %r" % ops)
        text = r.explanation()
        self.assertIn("NOT linearizable", text)
        for e in expect:
            self.assertIn(e, text)
        return r

    def test_empty_and_sequential(self):
        self.assertLinearizable([])
        self.assertLinearizable([R(None, 0, 1), W(1, 2, 3), R(1, 4, 5), W(2, 6, 7), R(2, 8, 9)])

    def test_concurrent_writes_either_order(self):
        for final in (1, 2):
            self.assertLinearizable([W(1, 0, 10), W(2, 1, 9), R(final, 11, 12)])

    def test_read_concurrent_with_write_sees_old_or_new(self):
        self.assertLinearizable([W(1, 0, 1), W(2, 2, 6), R(1, 3, 4), R(2, 5, 7)])
        self.assertLinearizable([W(1, 0, 1), W(2, 2, 6), R(2, 3, 4), R(2, 5, 7)])

    def test_versions(self):
        self.assertLinearizable([W("a", 0, 1, version=1), R("a", 2, 3, version=1),
                                 W("b", 4, 5, version=2)])
        self.assertNotLinearizable([W("a", 0, 1, version=1), R("a", 2, 3, version=2)], None,
                                   "version")

    def test_initial_state(self):
        self.assertLinearizable([R("init", 0, 1, version=3), CAS(3, "v", 2, 3)],
                                {"x": State("init", 3)})
        self.assertNotLinearizable([R(None, 0, 1)], {"x": "init"}, "read None")

    def test_unknown_write_may_happen_late(self):
        # it may take effect long after it was invoked...
        self.assertLinearizable([W(1, 0, 1, status="unknown"), R(None, 2, 3), R(1, 10, 11)])
        # ...or never
        self.assertLinearizable([W(1, 0, 1, status="unknown"), R(None, 2, 3), R(None, 10, 11)])
        # but not before it was invoked
        self.assertNotLinearizable([R(1, 0, 1), W(1, 2, 3, status="unknown")])

    def test_failed_ops_did_not_happen(self):
        self.assertLinearizable([W(1, 0, 1, status="fail"), R(None, 2, 3)])
        self.assertNotLinearizable([W(1, 0, 1, status="fail"), R(1, 2, 3)], None,
                                   "read 1", "no write or cas")

    def test_cas(self):
        self.assertLinearizable([CAS(0, "a", 0, 1), CAS(0, "b", 2, 3, swapped=False),
                                 CAS(1, "c", 4, 5), R("c", 6, 7, version=2)])
        # a concurrent pair: exactly one may win
        self.assertLinearizable([CAS(0, "a", 0, 3), CAS(0, "b", 1, 2, swapped=False),
                                 R("a", 4, 5)])
        # a no-swap whose precondition held at every possible point
        self.assertNotLinearizable([CAS(0, "a", 0, 1, swapped=False)], None,
                                   "reported no swap")

    def test_cas_by_value(self):
        ops = [W("a", 0, 1), Op("cas", "x", "b", expected="a", swapped=True, invoke=2, complete=3),
               Op("cas", "x", "c", expected="a", swapped=False, invoke=4, complete=5),
               R("b", 6, 7)]
        self.assertLinearizable(ops)

    # ----- broken on purpose
    def test_rejects_stale_read_after_acknowledged_write(self):
        r = self.assertNotLinearizable([W(1, 0, 1), W(2, 2, 3), R(1, 4, 5)], None,
                                       "read(x) -> 1", "it read 1 but the value is 2",
                                       "longest linearizable prefix found: 2 ops",
                                       "value=2 version=2")
        self.assertEqual(r.keys["x"].ok, False)

    def test_rejects_lost_write(self):
        # an acknowledged write that a later read does not see
        self.assertNotLinearizable([W(1, 0, 1), R(None, 2, 3)], None, "read None")
        # one of two acknowledged concurrent writes vanishes between two reads
        self.assertNotLinearizable([W(1, 0, 2), W(2, 0, 2), R(2, 3, 4), R(1, 5, 6), R(2, 7, 8)])

    def test_rejects_value_never_written(self):
        self.assertNotLinearizable([W(1, 0, 1), R(7, 0.5, 2)], None, "read 7",
                                   "no write or cas of this key")

    def test_rejects_cas_succeeding_twice(self):
        self.assertNotLinearizable([CAS(0, "a", 0, 2), CAS(0, "b", 1, 3)], None,
                                   "precondition does not hold")
        self.assertNotLinearizable([
            Op("cas", "x", "b", expected="a", swapped=True, invoke=1, complete=3),
            Op("cas", "x", "c", expected="a", swapped=True, invoke=2, complete=4),
            W("a", 0, 0.5)])

    def test_keys_are_independent(self):
        ops = [W(1, 0, 1, key="a"), W(2, 0, 1, key="b"), R(1, 2, 3, key="a"),
               R(1, 2, 3, key="b")]
        r = check(ops)
        self.assertIs(r.ok, False)
        self.assertTrue(r.keys["a"].ok)
        self.assertFalse(r.keys["b"].ok)
        self.assertIn("key 'b'", r.explanation())
        self.assertNotIn("key 'a'", r.explanation())

    def test_recorder_threads(self):
        rec = Recorder({"x": "init"})

        def worker(p):
            for i in range(200):
                op = rec.invoke(p, "write", "x", value="%d-%d" % (p, i))
                if i % 50 == 7:
                    rec.unknown(op, error="ConnectionLoss")
                else:
                    rec.ok(op)

        ts = [threading.Thread(target=worker, args=(p,)) for p in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        h = rec.history()
        self.assertEqual(len(h), 800)
        self.assertEqual(sorted(op.id for op in h), list(range(800)))
        self.assertTrue(all(op.invoke <= op.complete for op in h))
        self.assertEqual(sum(op.complete == INF for op in h), 16)
        self.assertTrue(check(h))


def brute_force(ops, init):
    """Linearizable? by trying every order of every allowed subset (tiny histories only)."""
    import itertools
    from lincheck import _step
    ops = [o for o in ops if o.status != "fail" and not (o.kind == "read" and o.status == "unknown")]
    must = [o for o in ops if o.status == "ok"]
    maybe = [o for o in ops if o.status == "unknown"]
    for r in range(len(maybe) + 1):
        for extra in itertools.combinations(maybe, r):
            chosen = must + list(extra)
            for perm in itertools.permutations(chosen):
                if any(perm[j].complete < perm[i].invoke
                       for i in range(len(perm)) for j in range(i + 1, len(perm))):
                    continue
                s = init
                for o in perm:
                    s = _step(s, o)
                    if s is None:
                        break
                if s is not None:
                    return True
    return False


def random_small_history(rng):
    ops = []
    for i in range(rng.randint(1, 6)):
        a = rng.uniform(0, 10)
        b = a + rng.uniform(0, 4)
        kind = rng.choice(("read", "write", "cas"))
        status = rng.choice(("ok", "ok", "ok", "unknown", "fail"))
        v = rng.choice("ab")
        kw = dict(invoke=a, complete=b, status=status)
        if rng.random() < 0.5 and kind != "read":
            kw["version"] = rng.randint(1, 3) if status == "ok" else None
        if kind == "read":
            if rng.random() < 0.5:
                kw["version"] = rng.randint(0, 3)
            ops.append(Op("read", "x", rng.choice([None, "a", "b"]), **kw))
        elif kind == "write":
            ops.append(Op("write", "x", v, **kw))
        elif rng.random() < 0.5:
            ops.append(Op("cas", "x", v, expected_version=rng.randint(0, 2),
                          swapped=rng.random() < 0.6, **kw))
        else:
            ops.append(Op("cas", "x", v, expected=rng.choice([None, "a", "b"]),
                          swapped=rng.random() < 0.6, **kw))
        if status == "unknown":
            ops[-1].version = None
    return ops


class AgainstBruteForce(unittest.TestCase):
    """The search (with its reductions) agrees with trying every order."""

    def test_random_small_histories(self):
        rng = random.Random(42)
        seen = {True: 0, False: 0}
        for case in range(3000):
            ops = random_small_history(rng)
            want = brute_force(ops, State(None, 0))
            got = check(ops).ok
            self.assertEqual(got, want, "case %d: checker %s, brute force %s:\n%s" % (
                case, got, want, "\n".join(repr(o) for o in ops)))
            seen[want] += 1
        print("  %d linearizable, %d not" % (seen[True], seen[False]))
        self.assertGreater(min(seen.values()), 100)


class Synthetic(unittest.TestCase):

    def test_large_valid_histories_check_quickly(self):
        for seed, procs, per, keys, unknown in ((1, 8, 400, 5, 0.02), (2, 16, 200, 3, 0.05),
                                                (3, 32, 100, 2, 0.0)):
            h = simulate(procs=procs, per_proc=per, keys=keys, seed=seed, unknown_rate=unknown)
            t = time.monotonic()
            r = check(h, time_limit=60)
            took = time.monotonic() - t
            self.assertTrue(r, r.explanation())
            print("  %d processes, %d keys, %d ops (%d unknown): %d states, %.2fs" % (
                procs, keys, len(h), sum(op.status == "unknown" for op in h),
                sum(k.states for k in r.keys.values()), took))
            self.assertLess(took, 30.0)

    def test_large_history_with_planted_stale_read(self):
        h = simulate(procs=8, per_proc=300, keys=4, seed=3, unknown_rate=0.05)
        rd = plant_stale_read(h, random.Random(3))
        self.assertIsNotNone(rd)
        t = time.monotonic()
        r = check(h, time_limit=60)
        self.assertIs(r.ok, False, "missed a planted stale read")
        self.assertIn("key %r" % rd.key, r.explanation())
        self.assertLess(time.monotonic() - t, 30.0)


class RealServer(harness.ServerTestCase):
    """A history recorded under a concurrent kazoo load on one real server."""

    def test_standalone_history_is_linearizable(self):
        h = run_workload(self.server.hosts, keys=4, threads=6, ops_per_thread=250,
                         time_limit=25.0, base=self.base, seed=7)
        kinds = {}
        for op in h:
            kinds[(op.kind, op.status, op.swapped)] = kinds.get((op.kind, op.status,
                                                                 op.swapped), 0) + 1
        print("  recorded %d ops: %s" % (len(h), sorted(kinds.items(), key=str)))
        self.assertGreater(len(h), 300)
        self.assertEqual(len([op for op in h if op.status != "ok"]), 0,
                         "ops failed against a healthy server")
        self.assertTrue(any(op.kind == "cas" and op.swapped for op in h))
        t = time.monotonic()
        r = check(h, time_limit=60)
        print("  checked in %.2fs" % (time.monotonic() - t))
        self.assertTrue(r, r.explanation())

        # the same history with one stale read planted must be rejected
        rd = plant_stale_read(h, random.Random(1))
        if rd is None:
            self.skipTest("no stale-read candidate in this history")
        r = check(h, time_limit=60)
        self.assertIs(r.ok, False, "missed a planted stale read")
        self.assertIn("key %r" % rd.key, r.explanation())


if __name__ == "__main__":
    harness.main()
