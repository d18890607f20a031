"""Hardening of the listeners: new-connection throttling on the client port
(connectionThrottleRate/connectionThrottleBurst) and maxClientCnxns per
address on the HTTPS gateway. coordd only.
"""
import http.client
import socket
import ssl
import time
import unittest

import harness
from harness import HOST, wait_until

if harness.IS_ZK:
    raise unittest.SkipTest("connection throttling and the gateway are coordd's")

from test_rest import Http  # noqa: E402
from test_tls import Certs  # noqa: E402


def connect_all(port, n):
    """Opens n connections at once, then says for each whether the server
    closed it unasked: [(closed, socket)]."""
    socks = [socket.create_connection((HOST, port), timeout=5) for _ in range(n)]
    time.sleep(0.3)
    out = []
    for s in socks:
        s.setblocking(False)
        try:
            closed = s.recv(1) == b""
        except BlockingIOError:
            closed = False
        except ConnectionError:
            closed = True
        out.append((closed, s))
    return out


class Throttle(harness.ServerTestCase):
    """A token bucket on new client connections: beyond it, connections are
    accepted and closed at once; later ones succeed again."""

    RATE, BURST = 2, 5

    @classmethod
    def setUpClass(cls):
        cls.http_port = harness.free_port()
        cls.server_options = {"extra_cfg": {
            "httpPort": cls.http_port,
            "connectionThrottleRate": cls.RATE,
            "connectionThrottleBurst": cls.BURST,
        }}
        super().setUpClass()

    def mntr(self):
        # over HTTP: a four-letter word would take a token itself
        return Http(self.http_port).get("/commands/mntr")[2]

    def test_burst_beyond_the_bucket(self):
        time.sleep(self.BURST / self.RATE + 0.5)  # a full bucket
        before = self.mntr()["coord_connections_throttled"]
        results = connect_all(self.server.port, 15)
        kept = [s for closed, s in results if not closed]
        refused = [s for closed, s in results if closed]
        try:
            self.assertGreaterEqual(len(kept), self.BURST)
            self.assertLessEqual(len(kept), self.BURST + 2)
            self.assertGreaterEqual(len(refused), 15 - self.BURST - 2)
            after = self.mntr()["coord_connections_throttled"]
            self.assertEqual(after - before, len(refused))
        finally:
            for _, s in results:
                s.close()
        time.sleep(1.0)  # two tokens back
        self.assertTrue(harness.four_letter(self.server.port, "ruok").startswith("imok"))
        self.assertIn("connections throttled", self.server.log_tail(400))

    def test_counter_in_mntr(self):
        d = self.mntr()
        self.assertIn("coord_connections_throttled", d)


class Unthrottled(harness.ServerTestCase):
    """connectionThrottleRate=0 (the default): no connection is refused."""

    def test_many_connections(self):
        results = connect_all(self.server.port, 30)
        try:
            self.assertEqual([c for c, _ in results], [False] * 30)
        finally:
            for _, s in results:
                s.close()


class HttpsPerAddress(harness.ServerTestCase):
    """maxClientCnxns per address on httpsPort: the connection over the limit
    is closed before any TLS work; others are served once those close."""

    @classmethod
    def setUpClass(cls):
        cls.certs = Certs()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.https_port = harness.free_port()
        cls.server_options = {"extra_cfg": {
            "httpsPort": cls.https_port,
            "maxClientCnxns": 2,
            "ssl.certFile": cls.certs.path("server"),
            "ssl.keyFile": cls.certs.path("server", "key"),
            "ssl.caFile": cls.certs.path("ca"),
        }}
        super().setUpClass()

    def ctx(self):
        c = ssl.create_default_context(cafile=self.certs.path("ca"))
        c.check_hostname = False
        c.load_cert_chain(self.certs.path("alice"), self.certs.path("alice", "key"))
        return c

    def get(self, c):
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        return r.status

    def test_limit(self):
        conns = []
        for _ in range(2):
            c = http.client.HTTPSConnection(HOST, self.https_port, timeout=5,
                                            context=self.ctx())
            self.assertEqual(self.get(c), 200)
            conns.append(c)
        extra = http.client.HTTPSConnection(HOST, self.https_port, timeout=5,
                                            context=self.ctx())
        with self.assertRaises((ssl.SSLError, ConnectionError,
                                http.client.HTTPException, OSError)):
            self.get(extra)
        extra.close()
        for c in conns:
            c.close()

        def served():
            c = http.client.HTTPSConnection(HOST, self.https_port, timeout=5,
                                            context=self.ctx())
            try:
                return self.get(c) == 200
            except (ssl.SSLError, ConnectionError, http.client.HTTPException):
                return False
            finally:
                c.close()
        self.assertTrue(wait_until(served, timeout=10))
        self.assertIn("too many https connections", self.server.log_tail(400))


if __name__ == "__main__":
    harness.main()
