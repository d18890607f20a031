"""Sessions: negotiation, expiry, resume, bad password, close (spec 2)."""

import queue
import time

from kazoo.protocol.states import EventType, KazooState

import harness
from harness import OP, RawClient, ServerTestCase, wait_until

MIN_TO, MAX_TO = 1000, 10000


class Sessions(ServerTestCase):
    server_options = dict(tick_time=250, min_session_timeout=MIN_TO,
                          max_session_timeout=MAX_TO)

    def test_timeout_is_clamped(self):
        r = self.raw(timeout_ms=100)
        self.assertEqual(r.neg_timeout, MIN_TO)
        r = self.raw(timeout_ms=1000000)
        self.assertEqual(r.neg_timeout, MAX_TO)
        r = self.raw(timeout_ms=3000)
        self.assertEqual(r.neg_timeout, 3000)

    def test_session_ids_are_distinct_and_nonzero(self):
        ids = set()
        for _ in range(5):
            r = self.raw()
            self.assertNotEqual(r.session_id, 0)
            self.assertNotEqual(r.session_id & (1 << 64) - 1, 0x8000000000000000)
            self.assertEqual(len(r.passwd), 16)
            ids.add(r.session_id)
        self.assertEqual(len(ids), 5)

    def test_old_client_without_readonly_byte(self):
        r = RawClient(self.server.port)
        self._raws.append(r)
        r.send_frame(harness.W().int(0).long(0).int(5000).long(0).buffer(b"\0" * 16).bytes())
        resp = r.read_frame()
        self.assertEqual(len(resp), 36)
        self.assertEqual(r.ping()[0], 0)

    def test_expiry_deletes_ephemerals_and_notifies_other_client(self):
        r = self.raw(timeout_ms=MIN_TO)
        self.assertEqual(r.create(self.base, b"e", flags=1)[0], 0)
        watcher = self.client()
        q = queue.Queue()
        self.assertIsNotNone(watcher.exists(self.base, watch=q.put))
        t0 = time.monotonic()
        r.close()  # drop TCP without closeSession: the session must expire
        ev = q.get(timeout=15)
        elapsed = time.monotonic() - t0
        self.assertEqual((ev.type, ev.path), (EventType.DELETED, self.base))
        self.assertGreater(elapsed, 0.5, "session expired too early")
        self.assertIsNone(watcher.exists(self.base))
        # the expired session cannot be resumed
        r2 = RawClient(self.server.port)
        self._raws.append(r2)
        t, sid, pw = r2.connect(timeout_ms=MIN_TO, session_id=r.session_id, passwd=r.passwd)
        self.assertEqual((t, sid, pw), (0, 0, b"\0" * 16))
        self.assertTrue(r2.expect_closed(5))

    def test_pings_keep_a_session_alive(self):
        r = self.raw(timeout_ms=MIN_TO)
        r.create(self.base, flags=1)
        deadline = time.monotonic() + 3.0
        n = 0
        while time.monotonic() < deadline and n < 100:
            self.assertEqual(r.ping()[0], 0)
            time.sleep(0.2)
            n += 1
        self.assertEqual(self.client().exists(self.base).ephemeralOwner, r.session_id)

    def test_resume_with_same_id_and_password_keeps_ephemerals(self):
        r = self.raw(timeout_ms=5000)
        r.create(self.base, b"keep", flags=1)
        sid, pw = r.session_id, r.passwd
        r.close()
        c = self.client(client_id=(sid, pw), timeout=5.0)
        self.assertEqual(c.client_id[0], sid)
        data, st = c.get(self.base)
        self.assertEqual((data, st.ephemeralOwner), (b"keep", sid))
        # still the same session: closing it deletes the node
        c.stop()
        self.assertIsNone(self.client().exists(self.base))

    def test_wrong_password_is_session_expired(self):
        r = self.raw(timeout_ms=5000)
        r.create(self.base, flags=1)
        bad = bytes(b ^ 0xFF for b in r.passwd)
        r2 = RawClient(self.server.port)
        self._raws.append(r2)
        t, sid, pw = r2.connect(timeout_ms=5000, session_id=r.session_id, passwd=bad)
        self.assertEqual((t, sid, pw), (0, 0, b"\0" * 16))
        self.assertTrue(r2.expect_closed(5))
        # the session itself still exists (ZK may have dropped r's connection)
        r3 = self.raw(timeout_ms=5000, session_id=r.session_id, passwd=r.passwd)
        self.assertEqual(r3.session_id, r.session_id)
        self.assertEqual(r3.exists(self.base)[1]["ephemeralOwner"], r.session_id)

    def test_kazoo_with_wrong_password_gets_a_new_session(self):
        # kazoo sees SessionExpired on its first connect and silently starts
        # a fresh session (it only reports LOST once it had been connected).
        r = self.raw(timeout_ms=5000)
        r.create(self.base, flags=1)
        c = self.client(start=False, client_id=(r.session_id, b"\x01" * 16), timeout=5.0)
        c.start(timeout=15)
        self.assertTrue(c.connected)
        self.assertNotEqual(c.client_id[0], r.session_id)
        self.assertEqual(c.exists(self.base).ephemeralOwner, r.session_id)

    def test_close_session_deletes_ephemerals_at_once(self):
        a, b = self.client(), self.client()
        a.create(self.base + "-1", ephemeral=True)
        a.create(self.base + "-2", ephemeral=True, sequence=True)
        fired = []
        b.exists(self.base + "-1", watch=fired.append)
        a.stop()
        self.assertIsNone(b.exists(self.base + "-1"))
        self.assertEqual([n for n in b.get_children("/") if n.startswith(self.base[1:] + "-")], [])
        self.assertTrue(wait_until(lambda: fired, 5))
        self.assertEqual(fired[0].type, EventType.DELETED)

    def test_close_session_raw_reply_then_close(self):
        r = self.raw()
        r.create(self.base, flags=1)
        xid = r.send(OP["closeSession"])
        rxid, zxid, err, _ = r.read_reply(xid)
        self.assertEqual((rxid, err), (xid, 0))
        self.assertGreater(zxid, 0)
        self.assertTrue(r.expect_closed(5))
        self.assertEqual(self.raw().exists(self.base)[0], -101)

    def test_requests_pipelined_behind_connect_request(self):
        r = RawClient(self.server.port)
        self._raws.append(r)
        conn = harness.W().int(0).long(0).int(5000).long(0).buffer(b"\0" * 16).bool(False).bytes()
        import struct
        frames = struct.pack(">i", len(conn)) + conn
        for xid, op, body in [(1, OP["create"], harness.create_body(self.base, b"p")),
                              (2, OP["getData"], harness.path_body(self.base, False)),
                              (3, OP["exists"], harness.path_body(self.base + "/no", False))]:
            payload = struct.pack(">ii", xid, op) + body
            frames += struct.pack(">i", len(payload)) + payload
        r.sendall(frames)
        resp = harness.R(r.read_frame())
        resp.int()
        self.assertGreater(resp.int(), 0)
        got = [r.read_reply()[::2] for _ in range(3)]
        self.assertEqual([(x, e) for x, e in got], [(1, 0), (2, 0), (3, -101)])

    def test_ephemeral_owner_survives_many_clients(self):
        clients = [self.client() for _ in range(5)]
        for i, c in enumerate(clients):
            c.create("%s-%d" % (self.base, i), ephemeral=True)
        for i, c in enumerate(clients):
            self.assertEqual(clients[0].exists("%s-%d" % (self.base, i)).ephemeralOwner,
                             c.client_id[0])


if __name__ == "__main__":
    harness.main()
