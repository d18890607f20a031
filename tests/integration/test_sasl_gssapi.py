"""SASL GSSAPI (Kerberos) with sasl.gssapi.keytab, against a real KDC.

The module makes its own realm on loopback: a KDC database under a
temporary directory (kdb5_util with its own KRB5_CONFIG and
KRB5_KDC_PROFILE), the service and client principals and their keytabs
(kadmin.local), krb5kdc on a free 127.0.0.1 port (ended by its PID at the
end), and tickets got with kinit -kt into temporary credential caches.
kazoo drives GSSAPI through pure-sasl and python3-kerberos. DIGEST-MD5 is
configured on the same server to check that both work side by side.

Skipped, with the reason, when the Kerberos tools, the Cyrus GSSAPI plugin
or the Python modules are missing (coord.sh test installs them).
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from kazoo.exceptions import AuthFailedError, NoAuthError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.security import make_acl

import harness
from harness import OP, ServerTestCase

try:
    import kerberos  # python3-kerberos, what pure-sasl's GSSAPI uses
    import puresasl.client
except ImportError:
    kerberos = puresasl = None

REALM = "COORD.TEST"
SERVICE_HOST = harness.HOST  # kazoo names the service zookeeper@<its host>
SERVICE = "zookeeper/%s@%s" % (SERVICE_HOST, REALM)
ALICE = "alice@" + REALM
BOB = "bob/client.example@" + REALM  # a two-part principal keeps its host


def missing():
    """Why the module cannot run, or None."""
    if harness.IS_ZK:
        return "coordd only (the ZooKeeper run would need a JAAS Kerberos setup)"
    if puresasl is None:
        return "python3-kerberos or python3-pure-sasl is not installed"
    for tool in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit"):
        if shutil.which(tool, path=os.environ.get("PATH", "") +
                        ":/usr/sbin:/sbin") is None:
            return "%s is not installed (krb5-kdc, krb5-admin-server, krb5-user)" % tool
    if not glob.glob("/usr/lib/*/sasl2/libgssapiv2.so*") and \
            not glob.glob("/usr/lib/sasl2/libgssapiv2.so*"):
        return "the Cyrus GSSAPI plugin is not installed (libsasl2-modules-gssapi-mit)"
    return None


def sbin(tool):
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


class Kdc:
    """A throwaway realm on 127.0.0.1."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="citest-krb5-")
        self.port = harness.free_port()
        self.proc = None
        self.conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        with open(self.conf, "w") as f:
            f.write("[libdefaults]\n default_realm = %s\n"
                    " dns_lookup_kdc = false\n dns_lookup_realm = false\n"
                    " dns_canonicalize_hostname = false\n rdns = false\n"
                    " udp_preference_limit = 1\n"
                    "[realms]\n %s = {\n  kdc = 127.0.0.1:%d\n }\n"
                    % (REALM, REALM, self.port))
        with open(self.kdc_conf, "w") as f:
            f.write("[kdcdefaults]\n kdc_ports = %d\n kdc_tcp_ports = %d\n"
                    "[realms]\n %s = {\n  database_name = %s\n"
                    "  key_stash_file = %s\n  acl_file = %s\n"
                    "  kdc_ports = %d\n  kdc_tcp_ports = %d\n }\n"
                    "[logging]\n kdc = FILE:%s\n"
                    % (self.port, self.port, REALM,
                       os.path.join(self.dir, "principal"),
                       os.path.join(self.dir, "stash"),
                       os.path.join(self.dir, "kadm5.acl"),
                       self.port, self.port, os.path.join(self.dir, "kdc.log")))
        self.env = dict(os.environ, KRB5_CONFIG=self.conf,
                        KRB5_KDC_PROFILE=self.kdc_conf)

    def run(self, *cmd):
        r = subprocess.run(list(cmd), env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if r.returncode != 0:
            raise AssertionError("%s failed (%d): %s"
                                 % (" ".join(cmd), r.returncode,
                                    r.stdout.decode(errors="replace")))
        return r.stdout

    def start(self):
        self.run(sbin("kdb5_util"), "create", "-s", "-r", REALM,
                 "-P", "coord-test-master")
        self.proc = subprocess.Popen(
            [sbin("krb5kdc"), "-n", "-r", REALM], env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:  # ready when it answers a kinit
            if self.proc.poll() is not None:
                raise AssertionError("krb5kdc exited (%s)" % self.proc.returncode)
            r = subprocess.run([sbin("kinit"), "-k", "-t", "/nonexistent",
                                "nobody@" + REALM], env=self.env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out = r.stdout.decode(errors="replace")
            if "Cannot contact" not in out:
                return
            time.sleep(0.2)
        raise AssertionError("krb5kdc did not answer on port %d" % self.port)

    def keytab(self, principal, name):
        path = os.path.join(self.dir, name)
        self.run(sbin("kadmin.local"), "-r", REALM, "-q",
                 "addprinc -randkey %s" % principal)
        self.run(sbin("kadmin.local"), "-r", REALM, "-q",
                 "ktadd -k %s %s" % (path, principal))
        return path

    def kinit(self, principal, keytab, name):
        cache = "FILE:" + os.path.join(self.dir, name)
        self.run(sbin("kinit"), "-k", "-t", keytab, "-c", cache, principal)
        return cache

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM, by its PID
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        if not os.environ.get("COORD_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def gssapi_options():
    return {"mechanism": "GSSAPI"}


@unittest.skipIf(missing() is not None, missing() or "")
class SaslGssapi(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.kdc = Kdc()
        cls.addClassCleanup(cls.kdc.cleanup)
        cls.kdc.start()
        # coordd (a child) and the GSSAPI library in this process both
        # read the test realm's configuration
        cls.saved_env = {k: os.environ.get(k) for k in ("KRB5_CONFIG", "KRB5CCNAME")}
        cls.addClassCleanup(cls.restore_env)
        os.environ["KRB5_CONFIG"] = cls.kdc.conf
        server_kt = cls.kdc.keytab(SERVICE, "zookeeper.keytab")
        alice_kt = cls.kdc.keytab(ALICE, "alice.keytab")
        bob_kt = cls.kdc.keytab(BOB, "bob.keytab")
        cls.alice_cc = cls.kdc.kinit(ALICE, alice_kt, "alice.cc")
        cls.bob_cc = cls.kdc.kinit(BOB, bob_kt, "bob.cc")
        cls.empty_cc = "FILE:" + os.path.join(cls.kdc.dir, "nobody.cc")
        cls.server = harness.Server(extra_cfg={
            "sasl.gssapi.keytab": server_kt,
            "sasl.gssapi.principal": SERVICE,
            "sasl.digest.users": "dave:d4ve",
        })
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()

    @classmethod
    def restore_env(cls):
        for k, v in cls.saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def as_principal(self, cache, **kw):
        """A kazoo client authenticated with the tickets of cache (the
        GSSAPI library reads KRB5CCNAME when kazoo's thread starts the
        exchange, so it stays set until start() returns)."""
        os.environ["KRB5CCNAME"] = cache
        c = self.client(start=False, sasl_options=gssapi_options(), **kw)
        c.start(timeout=15)
        c.exists("/")  # the exchange finished
        return c

    def raw_whoami(self, cache):
        """whoAmI over a raw connection after a GSSAPI exchange by hand."""
        os.environ["KRB5CCNAME"] = cache
        raw = self.raw()
        cli = puresasl.client.SASLClient(SERVICE_HOST, service="zookeeper",
                                         mechanism="GSSAPI")
        challenge = None
        while not cli.complete:
            resp = cli.process(challenge)
            if cli.complete and not resp:
                break
            xid = raw.send(OP["sasl"], harness.W().buffer(resp or b"").bytes())
            _, _, err, r = raw.read_reply(xid)
            self.assertEqual(err, 0, "the GSSAPI exchange failed: %d" % err)
            challenge = r.buffer()
        err, _, r = raw.request(OP["whoAmI"])
        self.assertEqual(err, 0)
        return sorted((r.string(), r.string()) for _ in range(r.int()))

    def test_whoami_shows_the_full_principal(self):
        self.assertIn(("sasl", ALICE), self.raw_whoami(self.alice_cc))

    def test_a_principal_with_a_host_keeps_it(self):
        self.assertIn(("sasl", BOB), self.raw_whoami(self.bob_cc))

    def test_kazoo_gssapi_opens_a_sasl_acl_and_anonymous_is_refused(self):
        alice = self.as_principal(self.alice_cc)
        alice.create(self.base, b"for alice",
                     acl=[make_acl("sasl", ALICE, all=True)])
        self.assertEqual(alice.get(self.base)[0], b"for alice")
        acl, _ = alice.get_acls(self.base)
        self.assertEqual([(a.id.scheme, a.id.id) for a in acl], [("sasl", ALICE)])
        anon = self.client()
        with self.assertRaises(NoAuthError):
            anon.get(self.base)
        bob = self.as_principal(self.bob_cc)
        with self.assertRaises(NoAuthError):
            bob.get(self.base)
        # the auth scheme stands for the GSSAPI identity too
        alice.create(self.base + "-auth", b"", acl=[make_acl("auth", "", all=True)])
        acl, _ = alice.get_acls(self.base + "-auth")
        self.assertEqual([(a.id.scheme, a.id.id) for a in acl], [("sasl", ALICE)])

    def test_a_client_without_a_ticket_fails(self):
        os.environ["KRB5CCNAME"] = self.empty_cc
        c = self.client(start=False, sasl_options=gssapi_options())
        # no ticket: the GSSAPI library fails on the client before anything
        # is sent, and kazoo reports it as an authentication failure
        with self.assertRaises((AuthFailedError, KazooTimeoutError)):
            c.start(timeout=15)
            c.exists("/")

    def test_a_bad_token_answers_auth_failed_and_closes(self):
        raw = self.raw()
        xid = raw.send(OP["sasl"], harness.W().buffer(b"\x60\x05garbage").bytes())
        _, _, err, _ = raw.read_reply(xid)
        self.assertEqual(err, -115)
        self.assertTrue(raw.expect_closed())
        self.assertIn("authentication failed", self.server.log_tail())

    def test_digest_md5_still_works_beside_gssapi(self):
        dave = self.client(sasl_options={"mechanism": "DIGEST-MD5",
                                         "username": "dave", "password": "d4ve"})
        dave.create(self.base, b"d", acl=[make_acl("sasl", "dave", all=True)])
        self.assertEqual(dave.get(self.base)[0], b"d")
        with self.assertRaises(NoAuthError):
            self.as_principal(self.alice_cc).get(self.base)


if __name__ == "__main__":
    harness.main()
