"""The REST gateway over TLS on httpsPort (STYLE 3.13): coordd terminates
TLS with the secure client port's OpenSSL settings and proxies the plaintext
to the same gateway. Certificates come from test_tls.Certs (openssl CLI).
coordd only.
"""

import http.client
import json
import socket
import ssl
import unittest

from kazoo.security import make_acl

import harness
from harness import HOST

if harness.IS_ZK:
    raise unittest.SkipTest("the REST gateway is coordd's")

from test_rest import SSE, Http  # noqa: E402
from test_tls import ALICE, Certs  # noqa: E402


class Https(Http):
    """test_rest.Http over HTTPSConnection with a client context."""

    def __init__(self, port, ctx):
        super().__init__(port)
        self.ctx = ctx

    def call(self, method, url, body=None, headers=None, raw=False):
        c = http.client.HTTPSConnection(HOST, self.port, timeout=20, context=self.ctx)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        c.request(method, url, body=body, headers=dict(headers or {}))
        r = c.getresponse()
        data = r.read()
        c.close()
        if raw:
            return r.status, dict(r.getheaders()), data
        doc = json.loads(data) if data and r.getheader("Content-Type", "").startswith(
            "application/json") else data
        return r.status, dict(r.getheaders()), doc


class TlsSSE(SSE):
    """test_rest.SSE on a TLS socket."""

    def __init__(self, port, url, ctx):
        raw = socket.create_connection((HOST, port), timeout=10)
        self.s = ctx.wrap_socket(raw)
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
                        % url).encode())
        self.buf = b""
        self.head = self._until(b"\r\n\r\n")
        self.chunked = b"chunked" in self.head.lower()
        self.text = ""


class HttpsCase(harness.ServerTestCase):
    client_auth = None  # ssl.clientAuth, None = the default (need)

    @classmethod
    def setUpClass(cls):
        cls.certs = Certs()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.http_port = harness.free_port()
        cls.https_port = harness.free_port()
        cfg = {
            "httpPort": cls.http_port,
            "httpsPort": cls.https_port,
            "ssl.certFile": cls.certs.path("server"),
            "ssl.keyFile": cls.certs.path("server", "key"),
            "ssl.caFile": cls.certs.path("ca"),
        }
        if cls.client_auth:
            cfg["ssl.clientAuth"] = cls.client_auth
        cls.server_options = {"extra_cfg": cfg}
        super().setUpClass()

    def url(self, path, q=""):
        return "/v1/znodes" + path + (("?" + q) if q else "")

    def https(self, who="alice"):
        return Https(self.https_port, self.certs.context(who))


class Gateway(HttpsCase):

    def test_crud_over_https(self):
        h = self.https()
        st, hd, doc = h.post(self.url(self.base), {"data": "hello"})
        self.assertEqual(st, 201, doc)
        self.assertEqual(hd["Location"], self.url(self.base))
        st, _, doc = h.get(self.url(self.base))
        self.assertEqual((st, doc["data"]), (200, "hello"))
        st, _, doc = h.put(self.url(self.base, "version=0"), {"data": "v1"})
        self.assertEqual((st, doc["stat"]["version"]), (200, 1))
        self.assertEqual(self.client().get(self.base)[0], b"v1")
        st, _, doc = h.delete(self.url(self.base, "version=1"))
        self.assertEqual(st, 200, doc)
        st, _, doc = h.get(self.url(self.base))
        self.assertEqual((st, doc["name"]), (404, "NoNode"))

    def test_large_value_both_ways(self):
        h = self.https()
        big = "x" * 300000  # bigger than the proxy's buffers, both ways
        self.assertEqual(h.post(self.url(self.base), {"data": big})[0], 201)
        st, _, doc = h.get(self.url(self.base))
        self.assertEqual((st, doc["data"]), (200, big))

    def test_keep_alive_requests_on_one_connection(self):
        c = http.client.HTTPSConnection(HOST, self.https_port, timeout=20,
                                        context=self.certs.context("alice"))
        try:
            for _ in range(5):
                c.request("GET", "/health")
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read())["status"], "serving")
        finally:
            c.close()

    def test_plain_http_alongside(self):
        self.assertEqual(self.https().post(self.url(self.base), {"data": "a"})[0], 201)
        st, _, doc = Http(self.http_port).get(self.url(self.base))
        self.assertEqual((st, doc["data"]), (200, "a"))

    def test_no_client_certificate_is_refused(self):
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            self.https(who=None).get("/health")
        # an untrusted certificate neither
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            self.https(who="mallory").get("/health")
        self.assertEqual(self.https().get("/health")[0], 200)

    def test_x509_identity_for_acls(self):
        self.client().create(self.base, b"secret",
                             acl=[make_acl("x509", ALICE, all=True)])
        st, _, doc = self.https("alice").get(self.url(self.base))
        self.assertEqual((st, doc["data"]), (200, "secret"))
        self.assertEqual(self.https("bob").get(self.url(self.base))[0], 401)
        self.assertEqual(Http(self.http_port).get(self.url(self.base))[0], 401)
        self.assertEqual(self.https("alice").delete(self.url(self.base))[0], 200)

    def test_sse_watch_over_https(self):
        s = TlsSSE(self.https_port, "/v1/watch?path=%s&recursive" % self.base,
                   self.certs.context("alice"))
        try:
            k = self.client()
            k.create(self.base, b"")
            k.set(self.base, b"1")
            got = [s.event() for _ in range(2)]
            self.assertEqual([(e["event"], e["data"]["path"]) for e in got],
                             [("created", self.base), ("changed", self.base)])
        finally:
            s.close()

    def test_garbage_and_silence_do_not_stall(self):
        silent = socket.create_connection((HOST, self.https_port))
        junk = socket.create_connection((HOST, self.https_port))
        junk.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\0" * 5000)
        half = socket.create_connection((HOST, self.https_port))
        half.sendall(b"\x16\x03\x01\x02\x00")  # a record header, then nothing
        try:
            self.assertEqual(self.https().get("/health")[0], 200)
            self.assertEqual(Http(self.http_port).get("/health")[0], 200)
            junk.settimeout(10)  # the failed handshake closes it
            try:
                while junk.recv(4096):
                    pass
            except ConnectionError:
                pass
        finally:
            silent.close()
            junk.close()
            half.close()
        self.assertEqual(self.client().get("/")[1].czxid, 0)


class ClientAuthNone(HttpsCase):
    client_auth = "none"

    def test_no_certificate_needed(self):
        st, _, doc = self.https(who=None).post(self.url(self.base), {"data": "n"})
        self.assertEqual(st, 201, doc)


class HttpsOnly(harness.ServerTestCase):
    """httpsPort without httpPort: the daemon has no socket of its own."""

    @classmethod
    def setUpClass(cls):
        cls.certs = Certs()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.https_port = harness.free_port()
        cls.server_options = {"extra_cfg": {
            "httpsPort": cls.https_port,
            "ssl.certFile": cls.certs.path("server"),
            "ssl.keyFile": cls.certs.path("server", "key"),
            "ssl.caFile": cls.certs.path("ca"),
        }}
        super().setUpClass()

    def test_gateway_served(self):
        h = Https(self.https_port, self.certs.context("alice"))
        self.assertEqual(h.post("/v1/znodes" + self.base, {"data": "o"})[0], 201)
        self.assertEqual(self.client().get(self.base)[0], b"o")


if __name__ == "__main__":
    unittest.main()
