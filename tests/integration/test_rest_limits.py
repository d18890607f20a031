"""Limits on the gateway's connections: the bounded outgoing queue of a watch
stream (httpMaxQueuedBytes), prompt notice of a watcher that closed, and
connectionThrottleRate on httpPort and httpsPort. coordd only.
"""
import http.client
import socket
import ssl
import time
import unittest

import harness
from harness import HOST, wait_until

if harness.IS_ZK:
    raise unittest.SkipTest("the REST gateway is coordd's")

from test_rest import Http, RestCase  # noqa: E402
from test_tls import Certs  # noqa: E402


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sanitized(pid):
    """ASan keeps freed memory in quarantine: RSS says nothing then."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def open_sse(port, path, rcvbuf=None):
    """A watch stream on a raw socket whose reply is never read past the
    headers (rcvbuf small: the kernel holds little for it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect((HOST, port))
    s.sendall(("GET /v1/watch?path=%s&recursive HTTP/1.1\r\nHost: x\r\n"
               "Accept: text/event-stream\r\n\r\n" % path).encode())
    head = s.recv(256)
    assert b" 200 " in head, head
    return s


class SlowWatcher(RestCase):
    """A watcher that never reads is dropped once httpMaxQueuedBytes is
    unsent; the server's memory stays bounded and others are served."""

    QMAX = 65536
    extra_cfg = {"httpMaxQueuedBytes": QMAX}

    def mntr(self):
        return self.h.get("/commands/mntr")[2]

    def writes(self, n_batches, per_batch=200, size=200):
        data = "x" * size
        for b in range(n_batches):
            ops = [{"op": "set", "path": "/slow/n%d" % (i % 10), "data": data}
                   for i in range(per_batch)]
            st, _, doc = self.h.post("/v1/multi", ops)
            self.assertEqual(st, 200, doc)

    def test_never_reading_watcher_is_dropped(self):
        self.h.post(self.url("/slow"))
        for i in range(10):
            self.h.post(self.url("/slow/n%d" % i))
        pid = self.server.proc.pid
        s = open_sse(self.http_port, "/slow", rcvbuf=4096)
        try:
            self.assertTrue(wait_until(
                lambda: self.mntr()["coord_http_streams"] == 1, timeout=10))
            base = rss_kb(pid)
            before = self.mntr()["coord_http_streams_dropped"]
            # ~20000 events of ~300 bytes: 6 MB were it all kept
            peak = base
            for _ in range(10):
                self.writes(10)
                peak = max(peak, rss_kb(pid))
                # others keep being served meanwhile
                self.assertEqual(self.h.get("/health")[0], 200)
            self.assertTrue(wait_until(
                lambda: self.mntr()["coord_http_streams_dropped"] == before + 1,
                timeout=10))
            self.assertTrue(wait_until(
                lambda: self.mntr()["coord_http_streams"] == 0, timeout=10))
            # bounded: the queue, the daemon's buffer and the socket's, not
            # every event (allow for the multis' own transient buffers)
            if not sanitized(pid):
                self.assertLess(peak - base, 24 * 1024, (base, peak))
            self.assertIn("dropping slow watch stream", self.server.log_tail(400))
            # the stream was closed: what is left to read ends
            s.settimeout(10)
            got = 0
            while True:
                try:
                    d = s.recv(65536)
                except ConnectionError:
                    break
                if not d:
                    break
                got += len(d)
            self.assertLess(got, 8 * 1024 * 1024)
        finally:
            s.close()
        d = self.mntr()
        self.assertEqual(d["coord_http_streams"], 0)
        text = self.h.get("/metrics", raw=True)[2].decode()
        self.assertIn("# TYPE coord_http_streams_dropped gauge\n", text)

    def test_reading_watcher_is_kept(self):
        """A watcher that reads is not dropped by the same load."""
        self.h.post(self.url("/slow"))
        for i in range(10):
            self.h.post(self.url("/slow/n%d" % i))
        before = self.mntr()["coord_http_streams_dropped"]
        s = open_sse(self.http_port, "/slow")
        got = [0]
        stop = [False]
        import threading

        def reader():
            s.settimeout(1)
            while not stop[0]:
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not d:
                    return
                got[0] += d.count(b"event: changed")
        t = threading.Thread(target=reader)
        t.start()
        try:
            self.writes(5, per_batch=100)
            self.assertTrue(wait_until(lambda: got[0] >= 500, timeout=15), got)
            self.assertEqual(self.mntr()["coord_http_streams_dropped"], before)
        finally:
            stop[0] = True
            t.join()
            s.close()

    def test_closed_watcher_noticed_promptly(self):
        """A parked stream whose client closes ends within a tick or two,
        not at the 15 s keep-alive, and its watch goes with it."""
        s = open_sse(self.http_port, "/")
        self.assertTrue(wait_until(
            lambda: self.mntr()["coord_http_streams"] == 1, timeout=10))
        watches = self.mntr()["zk_watch_count"]
        s.close()
        t0 = time.monotonic()
        self.assertTrue(wait_until(
            lambda: self.mntr()["coord_http_streams"] == 0, timeout=10))
        self.assertLess(time.monotonic() - t0, 5)
        self.assertLess(self.mntr()["zk_watch_count"], watches)

    def test_long_poll_client_gone(self):
        """A long poll whose client closes is ended before its deadline."""
        c = http.client.HTTPConnection(HOST, self.http_port, timeout=5)
        c.putrequest("GET", "/v1/watch?path=/&wait=120")
        c.endheaders()
        self.assertTrue(wait_until(
            lambda: self.mntr()["coord_http_streams"] == 1, timeout=10))
        c.close()
        self.assertTrue(wait_until(
            lambda: self.mntr()["coord_http_streams"] == 0, timeout=5))


class HttpThrottle(RestCase):
    """connectionThrottleRate covers httpPort: beyond the bucket a new
    connection is closed at once; the gateway has a bucket of its own."""

    RATE, BURST = 2, 5
    extra_cfg = {"connectionThrottleRate": RATE, "connectionThrottleBurst": BURST}

    def mntr_http(self):
        out = []

        def get():
            try:
                out.append(Http(self.http_port).get("/commands/mntr")[2])
                return True
            except (ConnectionError, http.client.HTTPException, OSError):
                return False
        self.assertTrue(wait_until(get, timeout=10))
        return out[0]

    def served(self):
        try:
            return Http(self.http_port).get("/health")[0] == 200
        except (ConnectionError, http.client.HTTPException, OSError):
            return False

    def test_burst_beyond_the_bucket(self):
        time.sleep(self.BURST / self.RATE + 0.5)  # a full bucket
        socks = [socket.create_connection((HOST, self.http_port), timeout=5)
                 for _ in range(15)]
        time.sleep(0.3)
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except ConnectionError:
                closed += 1
        for s in socks:
            s.close()
        self.assertGreaterEqual(closed, 15 - self.BURST - 2)
        self.assertLessEqual(closed, 15 - self.BURST)
        self.assertIn("http connections throttled", self.server.log_tail(400))
        # tokens come back: served again
        self.assertTrue(wait_until(self.served, timeout=10))
        self.assertTrue(wait_until(self.served, timeout=10))
        doc = self.mntr_http()
        self.assertGreaterEqual(doc["coord_http_connections_throttled"], closed)
        self.assertGreaterEqual(doc["coord_connections_throttled"],
                                doc["coord_http_connections_throttled"])

    def test_gateway_bucket_is_its_own(self):
        """Emptying the gateway's bucket leaves the client port's alone, so
        a flood of HTTP connections does not lock out ZooKeeper clients."""
        time.sleep(self.BURST / self.RATE + 0.5)
        socks = [socket.create_connection((HOST, self.http_port), timeout=5)
                 for _ in range(self.BURST + 5)]
        try:
            time.sleep(0.2)
            self.assertTrue(harness.four_letter(self.server.port,
                                                "ruok").startswith("imok"))
        finally:
            for s in socks:
                s.close()


class HttpsThrottle(harness.ServerTestCase):
    """connectionThrottleRate covers httpsPort, before the handshake."""

    RATE, BURST = 2, 3

    @classmethod
    def setUpClass(cls):
        cls.certs = Certs()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.https_port = harness.free_port()
        cls.http_port = harness.free_port()
        cls.server_options = {"extra_cfg": {
            "httpsPort": cls.https_port,
            "httpPort": cls.http_port,
            "connectionThrottleRate": cls.RATE,
            "connectionThrottleBurst": cls.BURST,
            "ssl.certFile": cls.certs.path("server"),
            "ssl.keyFile": cls.certs.path("server", "key"),
            "ssl.caFile": cls.certs.path("ca"),
            "ssl.clientAuth": "none",
        }}
        super().setUpClass()

    def get(self):
        ctx = ssl.create_default_context(cafile=self.certs.path("ca"))
        ctx.check_hostname = False
        c = http.client.HTTPSConnection(HOST, self.https_port, timeout=5,
                                        context=ctx)
        try:
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            return r.status
        except (ssl.SSLError, ConnectionError, http.client.HTTPException, OSError):
            return None
        finally:
            c.close()

    def test_https_throttled(self):
        time.sleep(self.BURST / self.RATE + 0.5)
        statuses = [self.get() for _ in range(self.BURST + 4)]
        ok = statuses.count(200)
        self.assertGreaterEqual(ok, self.BURST)
        self.assertLess(ok, len(statuses))
        self.assertTrue(wait_until(lambda: self.get() == 200, timeout=10))
        self.assertIn("http connections throttled", self.server.log_tail(400))


if __name__ == "__main__":
    harness.main()
