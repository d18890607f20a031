"""multi / transactions and multiRead (spec 9)."""

from kazoo.exceptions import (BadVersionError, NoNodeError, NodeExistsError,
                              RolledBackError, RuntimeInconsistency)

import harness
from harness import OP, W, R, ServerTestCase


def multi_body(ops):
    """ops: list of (type, body bytes); returns a MultiOperationRecord."""
    w = W()
    for t, body in ops:
        w.int(t).bool(False).int(-1)
        w.b += body
    w.int(-1).bool(True).int(-1)
    return w.bytes()


def parse_multi(r):
    out = []
    while True:
        t, done, err = r.int(), r.bool(), r.int()
        if done:
            return out
        if t == -1:
            out.append((t, r.int()))
        elif t == 1:
            out.append((t, r.string()))
        elif t == 15:
            out.append((t, r.string(), r.stat()))
        elif t == 5:
            out.append((t, r.stat()))
        else:
            out.append((t,))


class Multi(ServerTestCase):

    def test_transaction_success(self):
        c = self.client()
        c.create(self.base, b"old")
        c.create(self.base + "-del")
        t = c.transaction()
        t.check(self.base, 0)
        t.create(self.base + "/a", b"A")
        t.set_data(self.base, b"new")
        t.delete(self.base + "-del")
        t.create(self.base + "/s-", sequence=True)
        res = t.commit()
        self.assertEqual(res[0], True)
        self.assertEqual(res[1], self.base + "/a")
        self.assertEqual(res[2].version, 1)
        self.assertEqual(res[3], True)
        self.assertEqual(res[4], self.base + "/s-0000000001")
        self.assertEqual(c.get(self.base)[0], b"new")
        self.assertIsNone(c.exists(self.base + "-del"))

    def test_all_ops_share_one_zxid(self):
        c = self.client()
        t = c.transaction()
        t.create(self.base)
        t.create(self.base + "/child", b"x")
        t.create(self.base + "/child/grand")
        t.set_data(self.base + "/child", b"y")
        res = t.commit()
        self.assertEqual(res[:3], [self.base, self.base + "/child", self.base + "/child/grand"])
        _, p = c.get(self.base)
        _, ch = c.get(self.base + "/child")
        _, g = c.get(self.base + "/child/grand")
        self.assertEqual(len({p.czxid, ch.czxid, g.czxid, ch.mzxid, p.pzxid, ch.pzxid}), 1)
        self.assertEqual(ch.version, 1)
        self.assertEqual(p.cversion, 1)

    def test_failed_op_rolls_back_everything(self):
        c = self.client()
        c.create(self.base, b"v")
        t = c.transaction()
        t.create(self.base + "/new")
        t.check(self.base, 5)
        t.set_data(self.base, b"never")
        t.delete(self.base)
        res = t.commit()
        self.assertIsInstance(res[0], RolledBackError)
        self.assertIsInstance(res[1], BadVersionError)
        self.assertIsInstance(res[2], RuntimeInconsistency)
        self.assertIsInstance(res[3], RuntimeInconsistency)
        self.assertIsNone(c.exists(self.base + "/new"))
        data, st = c.get(self.base)
        self.assertEqual((data, st.version, st.cversion), (b"v", 0, 0))

    def test_failures_of_each_kind(self):
        c = self.client()
        c.create(self.base)
        t = c.transaction()
        t.create(self.base)
        self.assertIsInstance(t.commit()[0], NodeExistsError)
        t = c.transaction()
        t.delete(self.base + "/nope")
        self.assertIsInstance(t.commit()[0], NoNodeError)
        t = c.transaction()
        t.set_data(self.base, b"", version=3)
        self.assertIsInstance(t.commit()[0], BadVersionError)

    def test_delete_then_recreate_and_sequence_advances_within_multi(self):
        c = self.client()
        c.create(self.base)
        c.create(self.base + "/x", b"1")
        t = c.transaction()
        t.delete(self.base + "/x")
        t.create(self.base + "/x", b"2")
        t.create(self.base + "/q", sequence=True)
        t.create(self.base + "/q", sequence=True)
        res = t.commit()
        self.assertEqual(res, [True, self.base + "/x", self.base + "/q0000000002",
                               self.base + "/q0000000003"])
        self.assertEqual(c.get(self.base + "/x")[0], b"2")

    def test_failed_multi_fires_no_watch(self):
        a, b = self.client(), self.client()
        a.create(self.base)
        fired = []
        b.get(self.base, watch=fired.append)
        t = a.transaction()
        t.set_data(self.base, b"x")
        t.check(self.base, 0)  # version is now 1 inside the multi
        res = t.commit()
        self.assertIsInstance(res[1], BadVersionError)
        a.set(self.base + "", b"real")
        self.assertTrue(harness.wait_until(lambda: len(fired) == 1, 5))
        self.assertEqual(len(fired), 1)

    def test_raw_vectors_tv12_tv13_tv14(self):
        r = self.raw()
        r.create(self.base, b"x")
        ops = [(1, harness.create_body(self.base + "-b", b"")),
               (13, W().string(self.base).int(0).bytes())]
        err, zxid, rd = r.request(OP["multi"], multi_body(ops))
        self.assertEqual(err, 0)
        self.assertEqual(parse_multi(rd), [(1, self.base + "-b"), (13,)])
        self.assertEqual(rd.left(), 0)
        ops = [(1, harness.create_body(self.base + "-c", b"")),
               (13, W().string(self.base).int(7).bytes()),
               (2, W().string(self.base).int(-1).bytes())]
        err, zxid2, rd = r.request(OP["multi"], multi_body(ops))
        self.assertEqual(err, 0)
        self.assertEqual(parse_multi(rd), [(-1, 0), (-1, -103), (-1, -2)])
        self.assertGreaterEqual(zxid2, zxid)

    def test_empty_multi_is_accepted(self):
        r = self.raw()
        err, _, rd = r.request(OP["multi"], multi_body([]))
        self.assertEqual(err, 0)
        self.assertEqual(parse_multi(rd), [])

    def test_read_op_in_multi_is_marshalling_error(self):
        r = self.raw()
        r.create(self.base)
        ops = [(1, harness.create_body(self.base + "/a")),
               (4, W().string(self.base).bool(False).bytes())]
        err, _, _ = r.request(OP["multi"], multi_body(ops))
        self.assertEqual(err, -5)
        self.assertEqual(r.exists(self.base + "/a")[0], -101)
        self.assertEqual(r.ping()[0], 0)

    def test_multi_read(self):
        r = self.raw()
        r.create(self.base, b"d")
        r.create(self.base + "/k")
        ops = [(4, W().string(self.base).bool(False).bytes()),
               (8, W().string(self.base).bool(False).bytes()),
               (4, W().string(self.base + "/missing").bool(False).bytes())]
        err, _, rd = r.request(OP["multiRead"], multi_body(ops))
        self.assertEqual(err, 0)
        t, done, e = rd.int(), rd.bool(), rd.int()
        self.assertEqual((t, done, e), (4, False, 0))
        self.assertEqual(rd.buffer(), b"d")
        rd.stat()
        t, done, e = rd.int(), rd.bool(), rd.int()
        self.assertEqual((t, done, e), (8, False, 0))
        self.assertEqual(rd.strings(), ["k"])
        t, done, e = rd.int(), rd.bool(), rd.int()
        self.assertEqual((t, e), (-1, -101))
        self.assertEqual(rd.int(), -101)
        self.assertEqual((rd.int(), rd.bool(), rd.int()), (-1, True, -1))

    def test_container_and_ttl_in_multi(self):
        r = self.raw()
        ops = [(19, harness.create_body(self.base + "-c", b"", flags=4)),
               (21, harness.create_body(self.base + "-t", b"", flags=5, ttl=100000))]
        err, _, rd = r.request(OP["multi"], multi_body(ops))
        self.assertEqual(err, 0)
        res = parse_multi(rd)
        self.assertEqual([x[:2] for x in res], [(15, self.base + "-c"), (15, self.base + "-t")])


if __name__ == "__main__":
    harness.main()
