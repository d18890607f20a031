"""Peer links over TLS (sslQuorum=true): a 3-server ensemble whose servers
authenticate each other with certificates from one CA.

The test makes its PKI with the openssl command: a CA, a certificate per
server (serverAuth and clientAuth, since a server both dials and accepts peer
links), and a second CA with a certificate of its own.  coordd only: ZooKeeper
configures quorum TLS with key stores and its ssl.quorum.* keys.
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import harness
from ensemble import Ensemble
from harness import HOST, IS_ZK, wait_until


def _openssl(cwd, *args):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class PeerCerts:
    """CAs and peer certificates in a temporary directory."""

    def __init__(self):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl command not found")
        self.dir = tempfile.mkdtemp(prefix="citest-peertls-")
        self.serial = 100
        for ca in ("ca", "otherca"):
            self._key(ca)
            _openssl(self.dir, "req", "-x509", "-new", "-key", ca + ".key", "-out",
                     ca + ".pem", "-days", "2", "-subj", "/CN=coord-test-" + ca)

    def _key(self, name):
        _openssl(self.dir, "genpkey", "-algorithm", "EC", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-out", name + ".key")

    def peer(self, name, ca="ca"):
        """name.pem/name.key: a certificate signed by ca for both TLS roles."""
        self._key(name)
        _openssl(self.dir, "req", "-new", "-key", name + ".key", "-out", name + ".csr",
                 "-subj", "/O=coord-test/CN=" + name)
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n")
        self.serial += 1
        _openssl(self.dir, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
                 "-CAkey", ca + ".key", "-set_serial", str(self.serial), "-days", "2",
                 "-extfile", ext, "-out", name + ".pem")
        return self

    def path(self, name, ext="pem"):
        return os.path.join(self.dir, "%s.%s" % (name, ext))

    def cfg(self, name, ca="ca"):
        """The zoo.cfg keys of a server presenting name's certificate."""
        return {"sslQuorum": "true", "ssl.certFile": self.path(name),
                "ssl.keyFile": self.path(name, "key"), "ssl.caFile": self.path(ca)}

    def cleanup(self):
        if not os.environ.get("COORD_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def log_of(ens, i):
    with open(ens.members[i].log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


@unittest.skipIf(IS_ZK, "coordd's sslQuorum with PEM files")
class TestEnsembleTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = PeerCerts()
        for i in (1, 2, 3):
            cls.certs.peer("s%d" % i)
        cls.certs.peer("stranger", ca="otherca")

    @classmethod
    def tearDownClass(cls):
        cls.certs.cleanup()

    def ensemble(self, cfgs):
        """A 3-server Ensemble, server i with the zoo.cfg keys cfgs[i]; not started."""
        ens = Ensemble(n=3)
        self.addCleanup(ens.cleanup)
        for m, cfg in zip(ens.members, cfgs):
            m.extra_cfg.update(cfg)
        return ens

    def write_and_read_back(self, ens, writer, readers, path):
        c = ens.client(writer)
        c.create(path, b"over tls", makepath=True)
        for r in readers:
            rc = ens.client(r)
            rc.sync(path)
            self.assertEqual(rc.get(path)[0], b"over tls")

    def assert_refuses_plaintext(self, port):
        """A plaintext HELLO to a TLS peer port: the connection is closed."""
        with socket.create_connection((HOST, port), timeout=5) as s:
            hello = b"CZAB" + struct.pack(">IQ", 1, 1)
            s.sendall(struct.pack(">IB", len(hello) + 1, 1) + hello)
            s.settimeout(5)
            try:
                self.assertEqual(s.recv(100), b"")
            except ConnectionResetError:
                pass

    def test_elects_replicates_and_survives_leader_kill9(self):
        ens = self.ensemble([self.certs.cfg("s%d" % (i + 1)) for i in range(3)])
        ens.start()
        leader = ens.wait_for_leader()
        for i in range(3):
            self.assertIn("sslQuorum=true", log_of(ens, i))
            self.assertIn("ensemble: tls link", log_of(ens, i))
        self.write_and_read_back(ens, ens.others(leader)[0], range(3), "/tls/a")

        ens.kill9(leader)
        new = ens.wait_for_leader(among=ens.others(leader), timeout=30)
        self.assertNotEqual(new, leader)
        self.write_and_read_back(ens, new, ens.others(leader), "/tls/b")
        ens.start_server(leader)
        self.write_and_read_back(ens, leader, range(3), "/tls/c")
        ens.assert_same_dumps()

        self.assert_refuses_plaintext(ens.members[new].peer_port)
        self.assertTrue(wait_until(lambda: "plaintext peer" in log_of(ens, new),
                                   timeout=5), log_of(ens, new)[-2000:])
        self.write_and_read_back(ens, new, range(3), "/tls/d")

    def test_certificate_of_another_ca_cannot_join_until_reload(self):
        certs = self.certs
        cfgs = [certs.cfg("s1"), certs.cfg("s2"), certs.cfg("s3")]
        # server 3 presents a certificate the ensemble's CA never signed;
        # its files are copies, replaced by good ones before the SIGHUP
        d = tempfile.mkdtemp(prefix="citest-peertls-s3-")
        self.addCleanup(shutil.rmtree, d, True)
        cert, key = os.path.join(d, "s3.pem"), os.path.join(d, "s3.key")
        shutil.copy(certs.path("stranger"), cert)
        shutil.copy(certs.path("stranger", "key"), key)
        cfgs[2].update({"ssl.certFile": cert, "ssl.keyFile": key})
        ens = self.ensemble(cfgs)
        for m in ens.members:
            m.launch()
        ens.wait_serving([0, 1])
        ens.wait_for_leader(among=[0, 1])

        # the good servers refuse it (they verify its certificate) and it
        # says why: they alerted it that its CA is unknown
        self.assertTrue(wait_until(
            lambda: "certificate verify failed" in log_of(ens, 0)
            or "certificate verify failed" in log_of(ens, 1), timeout=10))
        self.assertTrue(wait_until(lambda: "tls handshake failed" in log_of(ens, 2),
                                   timeout=10), log_of(ens, 2)[-3000:])
        self.assertIn("unknown ca", log_of(ens, 2))
        time.sleep(2.0)   # many retries later ...
        self.assertIsNone(ens.mode(2))
        self.assertTrue(ens.members[2].is_running())
        self.write_and_read_back(ens, 0, [0, 1], "/other-ca")

        # SIGHUP: the reloaded certificate serves the next peer links
        shutil.copy(certs.path("s3"), cert)
        shutil.copy(certs.path("s3", "key"), key)
        os.kill(ens.members[2].proc.pid, signal.SIGHUP)
        self.assertTrue(wait_until(
            lambda: "tls certificates reloaded" in log_of(ens, 2), timeout=10))
        ens.wait_serving([2], timeout=30)
        self.write_and_read_back(ens, 2, range(3), "/after-reload")
        ens.assert_same_dumps()

    def test_plaintext_server_cannot_join(self):
        # the plaintext server as the one that accepts the others' links
        # (highest id) and as the one that dials them (lowest id)
        for plain, msg in ((2, "peer speaks TLS"), (0, None)):
            with self.subTest(plaintext_server=plain):
                cfgs = [self.certs.cfg("s%d" % (i + 1)) for i in range(3)]
                cfgs[plain] = {}
                ens = self.ensemble(cfgs)
                for m in ens.members:
                    m.launch()
                tls = ens.others(plain)
                ens.wait_serving(tls)
                ens.wait_for_leader(among=tls)
                self.assertTrue(wait_until(
                    lambda: all("plaintext peer" in log_of(ens, i) for i in tls)
                    if msg is None else msg in log_of(ens, plain), timeout=10),
                    [log_of(ens, i)[-2000:] for i in range(3)])
                time.sleep(2.0)
                self.assertIsNone(ens.mode(plain))
                self.assertTrue(ens.members[plain].is_running())
                self.write_and_read_back(ens, tls[0], tls, "/plain")
                ens.cleanup()


if __name__ == "__main__":
    unittest.main()
