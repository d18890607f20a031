"""/commands/cons, wchc, wchp and dump as structured JSON, shaped as
ZooKeeper's AdminServer answers. coordd only.
"""
import time
import unittest

import harness

if harness.IS_ZK:
    raise unittest.SkipTest("the REST gateway is coordd's")

from test_rest import RestCase  # noqa: E402


class AdminJson(RestCase):

    def setUp(self):
        super().setUp()
        self.k = self.client()
        self.sid = self.k.client_id[0]
        self.p = "/adm-" + self._testMethodName
        self.k.create(self.p, b"")
        self.k.create(self.p + "/eph", b"", ephemeral=True)
        self.k.get(self.p, watch=lambda e: None)
        self.k.get_children(self.p, watch=lambda e: None)
        self.k.exists(self.p + "/none", watch=lambda e: None)

    def cmd(self, name):
        st, _, doc = self.h.get("/commands/" + name)
        self.assertEqual(st, 200, doc)
        self.assertIsNone(doc["error"])
        return doc

    def test_cons(self):
        for name in ("cons", "connections"):
            doc = self.cmd(name)
            self.assertIsInstance(doc["connections"], list)
            self.assertEqual(doc["secure_connections"], [])
            mine = [c for c in doc["connections"] if c.get("session_id") == self.sid]
            self.assertEqual(len(mine), 1, doc)
            c = mine[0]
            self.assertEqual(c["session_id_hex"], "0x%x" % self.sid)
            self.assertRegex(c["remote_socket_address"], r"^127\.0\.0\.1:\d+$")
            self.assertGreater(c["packets_received"], 3)
            self.assertGreater(c["packets_sent"], 3)
            self.assertGreater(c["session_timeout"], 0)
            self.assertIsInstance(c["last_operation"], str)
            self.assertIsInstance(c["avg_latency"], (int, float))
            self.assertLess(abs(c["established"] / 1000 - time.time()), 120)

    def test_wchc(self):
        for name in ("wchc", "watches"):
            m = self.cmd(name)["session_id_to_watched_paths"]
            self.assertEqual(sorted(set(m[str(self.sid)])),
                             [self.p, self.p + "/none"])

    def test_wchp(self):
        m = self.cmd("wchp")["path_to_session_ids"]
        self.assertIn(self.sid, m[self.p])
        self.assertIn(self.sid, m[self.p + "/none"])
        self.assertEqual(self.cmd("watches_by_path")["path_to_session_ids"].keys(),
                         m.keys())

    def test_dump(self):
        d = self.cmd("dump")
        exp = d["expiry_time_to_session_ids"]
        sids = [s for v in exp.values() for s in v]
        self.assertIn(self.sid, sids)
        for key in exp:
            self.assertLess(abs(int(key) / 1000 - time.time()), 300)
        self.assertEqual(d["session_id_to_ephemeral_paths"][str(self.sid)],
                         [self.p + "/eph"])

    def test_http_watchers_have_no_session(self):
        """A gateway watch appears by path with session 0, not by session."""
        import socket
        s = socket.create_connection((harness.HOST, self.http_port), timeout=10)
        try:
            s.sendall(("GET /v1/watch?path=%s/sse HTTP/1.1\r\nHost: x\r\n\r\n"
                       % self.p).encode())
            self.assertIn(b"200", s.recv(4096))
            self.assertTrue(harness.wait_until(
                lambda: self.p + "/sse" in self.cmd("wchp")["path_to_session_ids"],
                timeout=10))
            self.assertEqual(self.cmd("wchp")["path_to_session_ids"][self.p + "/sse"],
                             [0])
            self.assertNotIn("0", self.cmd("wchc")["session_id_to_watched_paths"])
        finally:
            s.close()


if __name__ == "__main__":
    harness.main()
