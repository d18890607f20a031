"""coordctl(1) over TLS: --tls-ca, --tls-cert, --tls-key and
--tls-skip-name-check in one-shot mode against coordd's secureClientPort
(ssl.clientAuth=need), with the test PKI of test_tls (made by the openssl
command). Output, exit statuses and the error text of refused connections.

coordctl is $COORDCTL, else $COORD_BUILDDIR/client/coordctl. coordd only.
"""

import os
import subprocess
import unittest

import test_tls
from test_coordctl import coordctl_binary


class CoordctlTls(test_tls.TlsCase):

    @classmethod
    def setUpClass(cls):
        cls.bin = coordctl_binary()
        if not os.access(cls.bin, os.X_OK):
            raise unittest.SkipTest("no coordctl binary at %s" % cls.bin)
        super().setUpClass()

    def ctl(self, *args, who="alice", ca="ca", hosts=None, extra=()):
        argv = [self.bin, "-s", hosts or self.tls_hosts, "--timeout", "3000"]
        if ca:
            argv += ["--tls-ca", self.certs.path(ca)]
        if who:
            argv += ["--tls-cert", self.certs.path(who),
                     "--tls-key", self.certs.path(who, "key")]
        argv += list(extra)
        env = dict(os.environ, HOME=self.certs.dir)
        return subprocess.run(argv + list(args), capture_output=True,
                              timeout=30, env=env)

    def ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.returncode, 0, "%s: %r" % (args, r.stderr))
        return r.stdout.decode()

    def fails(self, status, message, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.returncode, status,
                         "%s: %r %r" % (args, r.stdout, r.stderr))
        self.assertIn(message, r.stderr.decode())
        return r.stderr.decode()

    def test_crud_over_tls(self):
        b = self.base
        self.assertEqual(self.ok("create", b, "hello"), "Created %s\n" % b)
        self.assertEqual(self.ok("get", b), "hello\n")
        self.assertEqual(self.ok("set", b, "world"), "")
        self.assertEqual(self.ok("get", b), "world\n")
        # the same node is visible to a plain-port client
        self.assertEqual(self.client().get(b)[0], b"world")
        self.assertEqual(self.ok("delete", b), "")
        self.fails(1, "Node does not exist", "get", b)

    def test_whoami_shows_the_certificate(self):
        out = self.ok("whoami")
        self.assertIn("x509: %s\n" % test_tls.ALICE, out)
        out = self.ok("whoami", who="bob")
        self.assertIn("x509: %s\n" % test_tls.BOB, out)

    def test_key_inside_the_certificate_file(self):
        both = os.path.join(self.certs.dir, "alice-both.pem")
        with open(both, "w") as f:
            for name in (self.certs.path("alice"), self.certs.path("alice", "key")):
                with open(name) as g:
                    f.write(g.read())
        out = self.ok("whoami", who=None, extra=("--tls-cert", both))
        self.assertIn("x509: %s\n" % test_tls.ALICE, out)

    def test_no_client_certificate_is_refused_clearly(self):
        err = self.fails(3, "client certificate", "ls", "/", who=None)
        self.assertIn("TLS", err)

    def test_wrong_ca_fails_verification(self):
        self.fails(3, "certificate verify failed", "ls", "/", ca="mallory")

    def test_name_check_and_skip(self):
        hosts = "localhost:%d" % self.tls_port
        self.fails(3, "hostname mismatch", "ls", "/", hosts=hosts)
        self.ok("ls", "/", hosts=hosts, extra=("--tls-skip-name-check",))

    def test_missing_file_is_a_usage_error(self):
        missing = os.path.join(self.certs.dir, "nope.pem")
        self.fails(2, "nope.pem", "ls", "/", ca=None,
                   extra=("--tls-ca", missing))

    def test_plain_client_on_the_tls_port_fails(self):
        r = subprocess.run([self.bin, "-s", self.tls_hosts, "--timeout", "1500",
                            "ls", "/"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 3, r.stderr)


if __name__ == "__main__":
    unittest.main()
