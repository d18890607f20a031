"""coordctl(1) reconfig: zkCli's syntax, what is sent, what is printed.

- Standalone: against the harness server (coordd, or ZooKeeper with
  COORD_TEST_SERVER=zookeeper) reconfig answers ReconfigDisabled, or
  Unimplemented with reconfigEnabled=true, and coordctl exits 1; usage
  errors exit 2.
- Scripted: against a fake server in this process, the ReconfigRequest
  coordctl sends (joined -add/-remove lists, lower-casing, -file, -v in hex,
  null strings) and the printing of a canned reply (text, -s, --json); usage
  errors send nothing.
- ZooKeeper: a real ZooKeeper 3.8 ensemble of three voters with
  reconfigEnabled=true, started here whatever COORD_TEST_SERVER says (skipped
  when ZooKeeper is not installed): coordctl, authenticated as the super user,
  removes server 3 and adds it back as an observer; the printed configs are
  what ZooKeeper then reports in /zookeeper/config.  coordd's own ensemble
  reconfig is not tested here.
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import unittest

import harness
from harness import HOST, SUPER_PASSWORD, SUPER_USER
from test_coordctl import CtlTestCase, coordctl_binary

RECONFIG = 16
PING = 11
CLOSE = -11


class Standalone(CtlTestCase):

    def test_add_is_refused_reconfig_disabled(self):
        r = self.fails(1, "ReconfigDisabled", "reconfig", "-add",
                       "server.4=127.0.0.1:2890:3890;2184")
        self.assertEqual(r.stdout, b"")

    def test_remove_members_file_and_json_are_refused(self):
        self.fails(1, "ReconfigDisabled", "reconfig", "-s", "-v", "100000000",
                   "-remove", "2")
        self.fails(1, "ReconfigDisabled", "reconfig", "-members",
                   "server.1=127.0.0.1:2888:3888;2181", json_out=True)
        with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
            f.write("server.1=127.0.0.1:2888:3888;2181\nversion=0\n")
            f.flush()
            self.fails(1, "ReconfigDisabled", "reconfig", "-file", f.name)

    def test_piped_shell_keeps_going(self):
        r = self.ctl(input=b"reconfig -remove 3\nconfig\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"ReconfigDisabled", r.stderr)

    def test_usage_errors(self):
        self.fails(2, "usage: reconfig", "reconfig")
        self.fails(2, "usage: reconfig", "reconfig", "-s")
        self.fails(2, "Can't use -file or -members together with -add or -remove",
                   "reconfig", "-members", "server.1=a:1:2;3", "-add", "server.2=b:1:2;3")
        self.fails(2, "Can't use -file and -members together",
                   "reconfig", "-members", "server.1=a:1:2;3", "-file", "/dev/null")
        self.fails(2, "-v must be followed by a long", "reconfig", "-v", "xyz",
                   "-remove", "2")
        self.fails(2, "needs a value", "reconfig", "-remove")
        self.fails(2, "unknown option", "reconfig", "-remove", "2", "-x")
        self.fails(2, "unknown option", "reconfig", "-remove", "2", "extra")

    def test_enabled_standalone_is_unimplemented(self):
        s = harness.Server(extra_cfg={"reconfigEnabled": "true"})
        self.addCleanup(s.cleanup)
        s.start()
        script = "addauth digest %s:%s\nreconfig -remove 2\n" % (SUPER_USER, SUPER_PASSWORD)
        r = subprocess.run([self.bin, "-s", s.hosts], input=script.encode(),
                           capture_output=True, timeout=30, env=self.env())
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(b"(Unimplemented)", r.stderr)

    def test_help_lists_it(self):
        out = self.ok("help", "reconfig")
        self.assertIn("reconfig [-s] [-v version] [[-file path] | [-members", out)


class FakeServer:
    """Accepts sessions, records every request frame (opcode, body) and
    answers reconfig with self.reply: ("ok", data, stat_tuple) or
    ("err", code)."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind((HOST, 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.requests = []
        self.reply = ("err", -123)
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def hosts(self):
        return "%s:%d" % (HOST, self.port)

    def close(self):
        self.stop = True
        self.lsock.close()
        self.thread.join(5)

    def opcodes(self):
        return [op for op, _ in self.requests]

    def _run(self):
        self.lsock.settimeout(0.2)
        while not self.stop:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                continue
            with s:
                try:
                    self._serve(s)
                except (OSError, struct.error):
                    pass

    @staticmethod
    def _read(s, n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise OSError("closed")
            b += c
        return b

    def _frame(self, s):
        (n,) = struct.unpack(">i", self._read(s, 4))
        return self._read(s, n)

    def _serve(self, s):
        s.settimeout(20)
        self._frame(s)   # ConnectRequest
        resp = struct.pack(">iiqi", 0, 10000, 0x1234, 16) + bytes(16) + b"\0"
        s.sendall(struct.pack(">i", len(resp)) + resp)
        while True:
            f = self._frame(s)
            xid, op = struct.unpack(">ii", f[:8])
            self.requests.append((op, f[8:]))
            err, body = 0, b""
            if op == RECONFIG:
                if self.reply[0] == "ok":
                    data, stat = self.reply[1], self.reply[2]
                    body = struct.pack(">i", len(data)) + data + struct.pack(
                        ">qqqqiiiqiiq", *stat)
                else:
                    err = self.reply[1]
            elif op not in (PING, CLOSE):
                err = -6
            rep = struct.pack(">iqi", xid, 0x100000005, err) + body
            s.sendall(struct.pack(">i", len(rep)) + rep)
            if op == CLOSE:
                return


def parse_reconfig(body):
    """ReconfigRequest -> (joining, leaving, newMembers, curConfigId)."""
    out, off = [], 0
    for _ in range(3):
        (n,) = struct.unpack_from(">i", body, off)
        off += 4
        if n < 0:
            out.append(None)
        else:
            out.append(body[off:off + n].decode())
            off += n
    (cid,) = struct.unpack_from(">q", body, off)
    assert off + 8 == len(body), "trailing bytes in %r" % body
    return tuple(out) + (cid,)


CONFIG = (b"server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
          b"server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2182\n"
          b"version=100000004")
# czxid mzxid ctime mtime version cversion aversion ephemeralOwner
# dataLength numChildren pzxid
STAT = (0, 0x100000004, 0, 1700000000000, 4, 0, -1, 0, len(CONFIG), 0, 0)


class Scripted(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.bin = coordctl_binary()
        if not os.access(cls.bin, os.X_OK):
            raise unittest.SkipTest("no coordctl binary at %s" % cls.bin)
        cls.home = tempfile.mkdtemp(prefix="citest-ctlrc-")
        cls.addClassCleanup(shutil.rmtree, cls.home, True)

    def setUp(self):
        self.fake = FakeServer()
        self.addCleanup(self.fake.close)

    def ctl(self, *args, json_out=False):
        env = dict(os.environ, HOME=self.home, TZ="UTC")
        argv = [self.bin, "-s", self.fake.hosts] + (["--json"] if json_out else [])
        return subprocess.run(argv + list(args), capture_output=True, timeout=30,
                              env=env)

    def sent(self):
        rc = [b for op, b in self.fake.requests if op == RECONFIG]
        self.assertEqual(len(rc), 1, self.fake.opcodes())
        return parse_reconfig(rc[0])

    def test_incremental_lists_are_joined_and_lower_cased(self):
        self.fake.reply = ("ok", CONFIG, STAT)
        r = self.ctl("reconfig", "-add", "server.4=Host4:1:2;3", "-remove", "2",
                     "-add", "server.5=h5:1:2:OBSERVER;3", "-remove", "3,6")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.sent(), ("server.4=host4:1:2;3,server.5=h5:1:2:observer;3",
                                       "2,3,6", None, -1))
        self.assertEqual(r.stdout, b"Committed new configuration:\n" + CONFIG + b"\n")

    def test_version_is_hex_and_stat_printed(self):
        self.fake.reply = ("ok", CONFIG, STAT)
        r = self.ctl("reconfig", "-s", "-v", "100000003", "-remove", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.sent(), (None, "2", None, 0x100000003))
        out = r.stdout.decode()
        self.assertTrue(out.startswith("Committed new configuration:\n" + CONFIG.decode()
                                       + "\n"), out)
        self.assertIn("mZxid = 0x100000004", out)
        self.assertIn("dataVersion = 4", out)
        self.assertIn("aclVersion = -1", out)
        self.assertIn("dataLength = %d" % len(CONFIG), out)

    def test_members_and_file(self):
        self.fake.reply = ("ok", CONFIG, STAT)
        r = self.ctl("reconfig", "-members", "server.1=A:1:2;3,server.2=b:1:2;3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.sent(), (None, None, "server.1=a:1:2;3,server.2=b:1:2;3", -1))
        self.fake.requests.clear()
        with tempfile.NamedTemporaryFile("w", suffix=".dynamic") as f:
            f.write("# the new membership\n\nserver.1=Host1:2888:3888:participant;2181\n"
                    "version=100000000\n  server.2 = h2:2889:3889;2182  \n")
            f.flush()
            r = self.ctl("reconfig", "-file", f.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.sent(), (None, None, "server.1=Host1:2888:3888:participant;2181,"
                                       "server.2=h2:2889:3889;2182", -1))

    def test_json(self):
        self.fake.reply = ("ok", CONFIG, STAT)
        r = self.ctl("reconfig", "-remove", "3", json_out=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        o = json.loads(r.stdout)
        self.assertEqual(o["data"], CONFIG.decode())
        self.assertEqual(o["stat"]["version"], 4)
        self.assertEqual(o["stat"]["mzxid"], 0x100000004)

    def test_server_errors(self):
        for code, text in ((-123, "ReconfigDisabled"), (-6, "Unimplemented"),
                           (-13, "NewConfigNoQuorum"), (-14, "ReconfigInProgress"),
                           (-103, "BadVersion"), (-8, "BadArguments"),
                           (-102, "Insufficient permission")):
            self.fake.requests.clear()
            self.fake.reply = ("err", code)
            r = self.ctl("reconfig", "-remove", "3")
            self.assertEqual(r.returncode, 1, (code, r.stderr))
            self.assertIn(text, r.stderr.decode())
            self.assertEqual(r.stdout, b"")

    def test_usage_errors_send_nothing(self):
        for args in (["reconfig"], ["reconfig", "-members", "server.1=a:1:2;3", "-add", "x"],
                     ["reconfig", "-file", "/nonexistent/dyn.cfg"],
                     ["reconfig", "-v", "0x1g", "-remove", "1"]):
            r = self.ctl(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertNotIn(RECONFIG, self.fake.opcodes())
        with tempfile.NamedTemporaryFile("w") as f:
            f.write("clientPort=2181\nserver.1=a:1:2;3\n")
            f.flush()
            r = self.ctl("reconfig", "-file", f.name)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("unrecognised parameter clientPort", r.stderr.decode())
        self.assertNotIn(RECONFIG, self.fake.opcodes())


def zookeeper_installed():
    return shutil.which("java") is not None and os.path.exists("/usr/share/java/zookeeper.jar")


@unittest.skipUnless(zookeeper_installed(),
                     "ZooKeeper is not installed (apt-get install -y zookeeper)")
class ZooKeeperEnsemble(unittest.TestCase):
    """coordctl against a real ZooKeeper 3.8 ensemble with reconfig enabled."""

    @classmethod
    def setUpClass(cls):
        cls.bin = coordctl_binary()
        if not os.access(cls.bin, os.X_OK):
            raise unittest.SkipTest("no coordctl binary at %s" % cls.bin)
        from ensemble import Ensemble
        cls.home = tempfile.mkdtemp(prefix="citest-ctlrc-")
        cls.addClassCleanup(shutil.rmtree, cls.home, True)
        kind = harness.KIND
        harness.KIND = "zookeeper"   # Ensemble and its Members read it when made
        try:
            cls.ens = Ensemble(n=3, proxied=False,
                               extra_cfg={"reconfigEnabled": "true",
                                          "standaloneEnabled": "false"})
        finally:
            harness.KIND = kind
        cls.addClassCleanup(cls.ens.cleanup)
        cls.ens.start()

    def ctl(self, script, hosts=None):
        env = dict(os.environ, HOME=self.home, TZ="UTC")
        argv = [self.bin, "-s", hosts or self.ens.connect_string([0, 1])]
        return subprocess.run(argv, input=script.encode(), capture_output=True,
                              timeout=60, env=env)

    def su(self, command, hosts=None):
        return self.ctl("addauth digest %s:%s\n%s\n" % (SUPER_USER, SUPER_PASSWORD, command),
                        hosts)

    def zk_config(self, i=0):
        c = self.ens.client(i)
        try:
            c.sync("/zookeeper/config")
            data, stat = c.get("/zookeeper/config")
        finally:
            self.ens.drop_client(c)
        return data.decode(), stat

    @staticmethod
    def dropped(r):
        """ZooKeeper may drop a client while the ensemble reconfigures, before
        answering (ConnectionLoss, exit 3): the outcome is then read back."""
        return r.returncode == 3 and b"Connection lost" in r.stderr

    def committed(self, r):
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))
        out = r.stdout.decode()
        head = "Committed new configuration:\n"
        self.assertTrue(out.startswith(head), out)
        return out[len(head):]

    def test_remove_and_add_back_as_observer(self):
        ens = self.ens
        # a follower: ZooKeeper's followers drop their clients, before
        # answering, when the leader is the one removed
        idx = [i for i in range(3) if ens.mode(i) == "follower"][-1]
        m3 = ens.members[idx]
        sid = m3.sid
        # every request and read goes through the two others: the server
        # whose role changes restarts its part in the ensemble, dropping
        # its clients (ZooKeeper)
        rest = [i for i in range(3) if i != idx]
        others = ens.connect_string(rest)
        before, st0 = self.zk_config(rest[0])
        line3 = [l for l in before.splitlines() if l.startswith("server.%d=" % sid)]
        self.assertEqual(len(line3), 1, before)

        # Without the super user: no WRITE on /zookeeper/config.
        r = self.ctl("reconfig -remove %d\n" % sid, others)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("Insufficient permission", r.stderr.decode())

        # A stale -v: BadVersion, nothing changes.
        r = self.su("reconfig -v 1 -remove %d" % sid, others)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("not the one given with -v", r.stderr.decode())
        self.assertEqual(self.zk_config(rest[0])[0], before)

        version = [l for l in before.splitlines() if l.startswith("version=")][0][8:]
        r = self.su("reconfig -s -v %s -remove %d" % (version, sid), others)
        if self.dropped(r):
            self.assertTrue(harness.wait_until(lambda: "server.%d=" % sid not in
                                               self.zk_config(rest[0])[0], timeout=30))
        else:
            out = self.committed(r)
            cfg, stat = self.zk_config(rest[0])
            self.assertEqual(out.split("cZxid")[0].rstrip("\n"), cfg)
            self.assertNotIn("server.%d=" % sid, cfg)
            self.assertIn("mZxid = 0x%x" % stat.mzxid, out)
            self.assertGreater(stat.mzxid, st0.mzxid)

        obs = "server.%d=%s:%d:%d:observer;%s:%d" % (sid, HOST, m3.peer_port,
                                                     m3.election_port, HOST, m3.port)
        r = self.ctl("addauth digest %s:%s\nreconfig --json -add %s\n"
                     % (SUPER_USER, SUPER_PASSWORD, obs), others)
        if self.dropped(r):
            self.assertTrue(harness.wait_until(lambda: obs in self.zk_config(
                rest[0])[0].splitlines(), timeout=30))
            cfg = self.zk_config(rest[0])[0]
        else:
            self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))
            o = json.loads(r.stdout)
            cfg, stat = self.zk_config(rest[0])
            self.assertEqual(o["data"], cfg)
            self.assertEqual(o["stat"]["mzxid"], stat.mzxid)
            self.assertEqual(o["stat"]["version"], stat.version)
            self.assertIn(obs, cfg.splitlines())
        ens.wait_mode(idx, "observer", timeout=60)

        # coordctl's config reads back the same text.
        r = self.ctl("config\n", others)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().rstrip("\n"), cfg)


if __name__ == "__main__":
    harness.main()
