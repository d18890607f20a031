"""TLS on the secure client port: kazoo over TLS, client certificates, the
x509 ACL scheme, ssl.clientAuth, four-letter words, SIGHUP reload (spec 10.2).

Certificates are made by the test with the openssl command in a temporary
directory: a CA, a server certificate for 127.0.0.1, client certificates for
alice and bob, and a self-signed one the CA never saw. coordd only.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import warnings

from kazoo.exceptions import NoAuthError
from kazoo.security import OPEN_ACL_UNSAFE, make_acl

import harness
from harness import HOST, OP, W

# kazoo 2.8 builds its context with ssl.PROTOCOL_SSLv23
warnings.filterwarnings("ignore", category=DeprecationWarning, module="kazoo")

ALICE = "CN=alice,O=coord-test"
BOB = "CN=bob,O=coord-test"


def _openssl(cwd, *args):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Certs:
    """Test PKI in a temporary directory; path(name) gives name.pem/.key."""

    def __init__(self):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl command not found")
        self.dir = tempfile.mkdtemp(prefix="citest-tls-")
        self._key("ca")
        _openssl(self.dir, "req", "-x509", "-new", "-key", "ca.key", "-out", "ca.pem",
                 "-days", "2", "-subj", "/CN=coord-test-ca")
        self.leaf("server", "/CN=coord-test-server", serial=1001, server=True)
        self.leaf("alice", "/O=coord-test/CN=alice", serial=2001)
        self.leaf("bob", "/O=coord-test/CN=bob", serial=2002)
        self._key("mallory")
        _openssl(self.dir, "req", "-x509", "-new", "-key", "mallory.key",
                 "-out", "mallory.pem", "-days", "2", "-subj", "/O=coord-test/CN=alice")

    def _key(self, name):
        _openssl(self.dir, "genpkey", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", name + ".key")

    def leaf(self, name, subj, serial, server=False):
        """A certificate signed by the CA, as name.pem and name.key."""
        self._key(name)
        _openssl(self.dir, "req", "-new", "-key", name + ".key", "-out", name + ".csr",
                 "-subj", subj)
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        _openssl(self.dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-set_serial", str(serial), "-days", "2",
                 "-extfile", ext, "-out", name + ".pem")

    def path(self, name, ext="pem"):
        return os.path.join(self.dir, "%s.%s" % (name, ext))

    def context(self, client=None):
        """A client context trusting the CA, presenting client's certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(self.path("ca"))
        if client:
            ctx.load_cert_chain(self.path(client), self.path(client, "key"))
        return ctx

    def cleanup(self):
        if not os.environ.get("COORD_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class TlsRaw(harness.RawClient):
    """harness.RawClient over a TLS socket."""

    def __init__(self, port, ctx, timeout=10.0):
        raw = socket.create_connection((HOST, port), timeout=timeout)
        try:
            self.sock = ctx.wrap_socket(raw)
        except Exception:
            raw.close()
            raise
        self.sock.settimeout(timeout)
        self.xid = 0
        self.events = []
        self.log = []
        self.session_id = 0
        self.passwd = b"\0" * 16
        self.neg_timeout = 0


def tls_four_letter(port, ctx, word, timeout=5.0):
    with socket.create_connection((HOST, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(word.encode())
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode("utf-8", "replace")
                out += chunk


class TlsCase(harness.ServerTestCase):
    client_auth = None  # ssl.clientAuth, None = the default (need)

    @classmethod
    def setUpClass(cls):
        if harness.IS_ZK:
            raise unittest.SkipTest("coordd-only: ZooKeeper needs key stores")
        cls.certs = Certs()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.tls_port = harness.free_port()
        cfg = {
            "secureClientPort": cls.tls_port,
            "ssl.certFile": cls.certs.path("server"),
            "ssl.keyFile": cls.certs.path("server", "key"),
            "ssl.caFile": cls.certs.path("ca"),
        }
        if cls.client_auth:
            cfg["ssl.clientAuth"] = cls.client_auth
        cls.server_options = {"extra_cfg": cfg}
        super().setUpClass()

    @property
    def tls_hosts(self):
        return "%s:%d" % (HOST, self.tls_port)

    def tls_client(self, who=None, start=True):
        kw = dict(use_ssl=True, ca=self.certs.path("ca"), verify_certs=True)
        if who:
            kw.update(certfile=self.certs.path(who), keyfile=self.certs.path(who, "key"))
        c = harness.kazoo_client(self.tls_hosts, **kw)
        self._clients.append(c)
        if start:
            c.start(timeout=15)
        return c

    def tls_raw(self, who=None):
        r = TlsRaw(self.tls_port, self.certs.context(who))
        self._raws.append(r)
        return r

    def assert_refused(self, who):
        """The handshake or the first exchange fails; no session is made."""
        try:
            r = self.tls_raw(who)
            r.connect()
        except (ssl.SSLError, ConnectionError, harness.ProtocolError, OSError):
            return
        self.fail("a client with certificate %r got a session" % who)


class TlsNeed(TlsCase):

    def test_kazoo_crud_and_watch_over_tls(self):
        c = self.tls_client("alice")
        c.create(self.base, b"one")
        self.assertEqual(c.get(self.base)[0], b"one")
        seen = threading.Event()
        c.get(self.base, watch=lambda ev: seen.set())
        other = self.tls_client("bob")
        other.set(self.base, b"two")
        self.assertTrue(seen.wait(10), "no watch event over TLS")
        self.assertEqual(c.get(self.base)[0], b"two")
        c.create(self.base + "/kid", b"k")
        self.assertEqual(c.get_children(self.base), ["kid"])
        c.delete(self.base, recursive=True)
        self.assertIsNone(c.exists(self.base))

    def test_large_values_cross_many_records(self):
        c = self.tls_client("alice")
        blob = os.urandom(900 * 1024)
        c.create(self.base, blob)
        for _ in range(3):
            self.assertEqual(c.get(self.base)[0], blob)

    def test_client_without_certificate_is_refused(self):
        self.assert_refused(None)

    def test_client_with_untrusted_certificate_is_refused(self):
        self.assert_refused("mallory")

    def test_x509_acl_admits_only_the_matching_certificate(self):
        alice = self.tls_client("alice")
        alice.create(self.base, b"mine", acl=[make_acl("x509", ALICE, all=True)])
        self.assertEqual(alice.get(self.base)[0], b"mine")
        alice.set(self.base, b"still mine")
        acl, _ = alice.get_acls(self.base)
        self.assertEqual([(a.id.scheme, a.id.id) for a in acl], [("x509", ALICE)])
        bob = self.tls_client("bob")
        with self.assertRaises(NoAuthError):
            bob.get(self.base)
        with self.assertRaises(NoAuthError):
            bob.set(self.base, b"x")
        plain = self.client()
        with self.assertRaises(NoAuthError):
            plain.get(self.base)

    def test_auth_acl_takes_the_certificate_identity(self):
        bob = self.tls_client("bob")
        bob.create(self.base, acl=[make_acl("auth", "", all=True)])
        acl, _ = bob.get_acls(self.base)
        self.assertEqual([(a.id.scheme, a.id.id) for a in acl], [("x509", BOB)])

    def test_whoami_lists_the_x509_identity(self):
        r = self.tls_raw("alice")
        r.connect()
        xid = r.send(OP["whoAmI"])
        _, _, err, rd = r.read_reply(xid)
        self.assertEqual(err, 0)
        ids = [(rd.string(), rd.string()) for _ in range(rd.int())]
        self.assertIn(("x509", ALICE), ids)
        self.assertIn(("ip", HOST), ids)

    def test_plain_port_still_works(self):
        c = self.client()
        c.create(self.base, b"plain")
        self.assertEqual(c.get(self.base)[0], b"plain")
        t = self.tls_client("alice")
        self.assertEqual(t.get(self.base)[0], b"plain")

    def test_four_letter_words_over_tls(self):
        ctx = self.certs.context("alice")
        self.assertEqual(tls_four_letter(self.tls_port, ctx, "ruok"), "imok")
        self.assertIn("Zxid", tls_four_letter(self.tls_port, ctx, "srvr"))

    def test_garbage_on_the_tls_port_stalls_nobody(self):
        c = self.tls_client("alice")
        c.create(self.base)
        junk = []
        for payload in (b"GET / HTTP/1.0\r\n\r\n", b"\x16\x03\x01\xff\xff" + b"x" * 64,
                        b"ruok", b""):
            s = socket.create_connection((HOST, self.tls_port), timeout=10)
            junk.append(s)
            if payload:
                s.sendall(payload)
        try:
            # silent and half-finished handshakes do not hold up others
            for i in range(20):
                c.set(self.base, str(i).encode())
            # refused at once; "ruok" is less than a record header and
            # waits, like a silent client, for the 10 s connect deadline
            for s in junk[:2]:
                try:
                    rest = s.recv(4096)
                    while rest:
                        rest = s.recv(4096)
                except ConnectionResetError:
                    pass
        finally:
            for s in junk:
                s.close()
        self.assertEqual(c.get(self.base)[0], b"19")
        self.assertTrue(self.server.is_running())
        self.assertEqual(harness.four_letter(self.server.port, "ruok"), "imok")


class TlsClientAuthNone(TlsCase):
    client_auth = "none"

    def test_client_without_certificate_is_accepted(self):
        c = self.tls_client(None)
        c.create(self.base, b"anon")
        self.assertEqual(c.get(self.base)[0], b"anon")

    def test_certificate_is_not_asked_for_so_no_x509_identity(self):
        r = self.tls_raw("alice")
        r.connect()
        xid = r.send(OP["whoAmI"])
        _, _, err, rd = r.read_reply(xid)
        self.assertEqual(err, 0)
        ids = [(rd.string(), rd.string()) for _ in range(rd.int())]
        self.assertEqual(ids, [("ip", HOST)])


class TlsClientAuthWant(TlsCase):
    client_auth = "want"

    def test_certificate_optional_but_verified_when_given(self):
        anon = self.tls_client(None)
        alice = self.tls_client("alice")
        alice.create(self.base, acl=[make_acl("x509", ALICE, all=True)])
        with self.assertRaises(NoAuthError):
            anon.get(self.base)
        self.assertEqual(alice.get(self.base)[0], b"")
        self.assert_refused("mallory")


class TlsReload(TlsCase):

    def peer_serial(self):
        with socket.create_connection((HOST, self.tls_port), timeout=10) as raw:
            with self.certs.context("alice").wrap_socket(raw) as s:
                return int(s.getpeercert()["serialNumber"], 16)

    def test_sighup_loads_a_new_certificate(self):
        self.assertEqual(self.peer_serial(), 1001)
        old = self.tls_client("alice")
        old.create(self.base, b"before")
        # replace the files in place, as a certificate renewal would
        self.certs.leaf("server", "/CN=coord-test-server-2", serial=1002, server=True)
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: self.peer_serial() == 1002),
                        "new connections still see the old certificate")
        self.assertEqual(old.get(self.base)[0], b"before")
        old.set(self.base, b"after")
        new = self.tls_client("bob")
        self.assertEqual(new.get(self.base)[0], b"after")

        # a broken file is refused and the last good certificate stays
        with open(self.certs.path("server"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(
            lambda: "tls reload failed" in self.server.log_tail(200)))
        self.assertEqual(self.peer_serial(), 1002)
        self.assertEqual(old.get(self.base)[0], b"after")
        self.assertTrue(self.server.is_running())


class TlsConfig(unittest.TestCase):

    def test_missing_certificate_stops_startup(self):
        if harness.IS_ZK:
            raise unittest.SkipTest("coordd-only")
        s = harness.Server(extra_cfg={"secureClientPort": harness.free_port(),
                                      "ssl.certFile": "/nonexistent/server.pem",
                                      "ssl.clientAuth": "none"})
        self.addCleanup(s.cleanup)
        with self.assertRaises(AssertionError):
            s.start(timeout=5)
        self.assertIn("ssl.certFile", s.log_tail())


if __name__ == "__main__":
    harness.main()
