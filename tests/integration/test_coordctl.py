"""coordctl(1): every command in one-shot mode, --json, dump/load, errors and
exit statuses, the piped shell, and the interactive shell through a pty
(history recall with the up arrow, tab completion of paths).

coordctl is $COORDCTL, else $COORD_BUILDDIR/client/coordctl.
"""

import base64
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from harness import ServerTestCase


def coordctl_binary():
    if os.environ.get("COORDCTL"):
        return os.environ["COORDCTL"]
    bd = os.environ.get("COORD_BUILDDIR")
    if bd:
        return os.path.join(bd, "client", "coordctl")
    return os.path.abspath(os.path.join("client", "coordctl"))


class CtlTestCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.bin = coordctl_binary()
        if not os.access(cls.bin, os.X_OK):
            raise unittest.SkipTest("no coordctl binary at %s" % cls.bin)
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="citest-ctl-home-")
        cls.addClassCleanup(shutil.rmtree, cls.home, True)

    def env(self):
        e = dict(os.environ)
        e["HOME"] = self.home
        e["TZ"] = "UTC"
        return e

    def ctl(self, *args, input=None, json_out=False, timeout=30):
        argv = [self.bin, "-s", self.server.hosts]
        if json_out:
            argv.append("--json")
        r = subprocess.run(argv + list(args), input=input, capture_output=True,
                           timeout=timeout, env=self.env())
        return r

    def ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.returncode, 0, "%s: %r" % (args, r.stderr))
        return r.stdout.decode()

    def fails(self, status, message, *args, **kw):
        r = self.ctl(*args, **kw)
        self.assertEqual(r.returncode, status, "%s: %r %r" % (args, r.stdout, r.stderr))
        self.assertIn(message, r.stderr.decode())
        return r

    def js(self, *args, **kw):
        out = self.ok(*args, json_out=True, **kw)
        return json.loads(out)


class OneShot(CtlTestCase):

    def test_create_get_set_delete(self):
        b = self.base
        self.assertEqual(self.ok("create", b, "hello"), "Created %s\n" % b)
        self.assertEqual(self.ok("get", b), "hello\n")
        self.assertEqual(self.ok("set", b, "world"), "")
        out = self.ok("get", "-s", b)
        self.assertTrue(out.startswith("world\ncZxid = 0x"), out)
        self.assertIn("\ndataVersion = 1\n", out)
        self.assertIn("\ndataLength = 5\n", out)
        self.assertIn("\nnumChildren = 0\n", out)
        self.assertRegex(out, r"ctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}")
        out = self.ok("set", "-s", "-v", "1", b, "again")
        self.assertIn("dataVersion = 2\n", out)
        self.ok("delete", "-v", "2", b)
        self.fails(1, "Node does not exist: %s" % b, "get", b)

    def test_null_and_empty_data(self):
        b = self.base
        self.ok("create", b)
        self.assertEqual(self.ok("get", b), "null\n")
        self.assertIsNone(self.js("get", b)["data"])
        self.ok("set", b, "")
        self.assertEqual(self.ok("get", b), "\n")
        self.assertEqual(self.js("get", b)["data"], "")

    def test_ls(self):
        b = self.base
        self.ok("create", b)
        for c in ("b", "a", "c"):
            self.ok("create", "%s/%s" % (b, c), c)
        self.ok("create", "%s/a/x" % b)
        self.assertEqual(self.ok("ls", b), "[a, b, c]\n")
        out = self.ok("ls", "-s", b)
        self.assertTrue(out.startswith("[a, b, c]\ncZxid = "), out)
        self.assertIn("numChildren = 3\n", out)
        self.assertEqual(self.ok("ls", "-R", b).splitlines(),
                         [b, b + "/a", b + "/a/x", b + "/b", b + "/c"])
        self.assertIn("zookeeper", self.ok("ls", "/"))
        j = self.js("ls", b)
        self.assertEqual(j["children"], ["a", "b", "c"])
        self.assertEqual(j["stat"]["numChildren"], 3)
        self.assertEqual(self.js("ls", "-R", b)["paths"][-1], b + "/c")
        self.fails(1, "Node does not exist: /no-such", "ls", "/no-such")
        self.fails(1, "Node does not exist: /no-such", "ls", "-R", "/no-such")

    def test_create_modes(self):
        b = self.base
        self.ok("create", b)
        out = self.ok("create", "-s", b + "/q-", "x")
        self.assertRegex(out, r"^Created %s/q-\d{10}\n$" % b)
        # An ephemeral is gone when the one-shot session closes.
        self.assertEqual(self.ok("create", "-e", b + "/e"), "Created %s/e\n" % b)
        self.fails(1, "Node does not exist", "stat", b + "/e")
        self.assertRegex(self.ok("create", "-e", "-s", b + "/es-"), r"es-\d{10}")
        self.ok("create", "-c", b + "/cont")
        self.ok("create", "-t", "60000", b + "/ttl", "x")
        self.assertEqual(self.ok("get", b + "/ttl"), "x\n")
        self.assertEqual(self.js("create", b + "/j")["created"], b + "/j")
        self.fails(2, "invalid ttl: nope", "create", "-t", "nope", b + "/t2")
        self.fails(2, "-t cannot be combined with -e", "create", "-e", "-t", "5", b + "/t3")
        self.fails(2, "-c cannot be combined", "create", "-c", "-s", b + "/t4")
        self.fails(1, "Node already exists: %s" % b, "create", b)
        self.fails(1, "Node does not exist: %s/no/child" % b, "create", b + "/no/child")

    def test_data_from_file_and_stdin(self):
        b = self.base
        blob = bytes(range(256))
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(blob)
        self.addCleanup(os.unlink, f.name)
        self.ok("create", "-f", f.name, b)
        r = self.ctl("get", b)
        self.assertEqual(r.stdout, blob + b"\n")
        j = self.js("get", b)
        self.assertEqual(j["encoding"], "base64")
        self.assertEqual(base64.b64decode(j["data"]), blob)
        self.ok("set", "-f", "-", b, input="from stdin\u00e9".encode())
        self.assertEqual(self.js("get", b)["data"], "from stdin\u00e9")
        self.ok("create", "-f", "-", b + "/c", input=b"piped")
        self.assertEqual(self.ok("get", b + "/c"), "piped\n")
        self.fails(2, "Cannot read /no/such/file", "set", "-f", "/no/such/file", b)

    def test_stat(self):
        b = self.base
        self.ok("create", b, "abc")
        out = self.ok("stat", b)
        self.assertTrue(out.startswith("cZxid = 0x"), out)
        for key in ("ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion",
                    "aclVersion", "ephemeralOwner", "dataLength", "numChildren"):
            self.assertIn("\n%s = " % key, out)
        self.assertEqual(len(out.splitlines()), 11)
        j = self.js("stat", b)
        self.assertEqual(j["stat"]["dataLength"], 3)
        self.assertEqual(j["stat"]["version"], 0)
        self.ok("stat", "-w", b)
        self.fails(1, "Node does not exist: /nothing-here", "stat", "/nothing-here")

    def test_versions_and_errors(self):
        b = self.base
        self.ok("create", b, "x")
        self.fails(1, "version No is not valid : %s" % b, "set", "-v", "5", b, "y")
        self.fails(1, "version No is not valid : %s" % b, "delete", "-v", "5", b)
        self.ok("create", b + "/kid")
        self.fails(1, "Node not empty: %s" % b, "delete", b)
        self.fails(2, "Invalid version", "delete", "-v", "abc", b)
        self.fails(2, "Path is not valid: nopath", "get", "nopath")
        self.fails(2, "Unknown command", "frobnicate")
        self.fails(2, "usage: get", "get")
        self.fails(2, "unknown option -q", "get", "-q", b)
        self.fails(1, "Node does not exist: /missing", "delete", "/missing")

    def test_deleteall(self):
        b = self.base
        self.ok("create", b)
        for p in ("/a", "/a/b", "/a/b/c", "/d"):
            self.ok("create", b + p)
        self.ok("deleteall", b)
        self.fails(1, "Node does not exist", "ls", b)
        self.fails(1, "Node does not exist: %s" % b, "deleteall", b)

    def test_sync_and_counts(self):
        b = self.base
        self.ok("create", b)
        self.ok("create", b + "/a")
        self.ok("create", b + "/a/b")
        self.assertEqual(self.ok("sync", b), "Sync is OK\n")
        self.assertEqual(self.ok("getAllChildrenNumber", b), "2\n")
        self.assertEqual(self.js("getAllChildrenNumber", b)["count"], 2)
        self.fails(1, "Node does not exist", "getAllChildrenNumber", "/none")
        # A one-shot session owns no ephemerals.
        self.assertEqual(self.ok("getEphemerals"), "[]\n")
        self.assertEqual(self.js("getEphemerals", b)["paths"], [])

    def test_acls(self):
        b = self.base
        self.ok("create", b, "x", "world:anyone:cdrwa")
        self.assertEqual(self.ok("getAcl", b), "'world,'anyone\n: cdrwa\n")
        self.ok("setAcl", b, "world:anyone:r,ip:127.0.0.1:cdrwa")
        self.assertEqual(self.ok("getAcl", b),
                         "'world,'anyone\n: r\n'ip,'127.0.0.1\n: cdrwa\n")
        j = self.js("getAcl", b)
        self.assertEqual(j["acl"][0], {"scheme": "world", "id": "anyone", "perms": "r"})
        self.assertEqual(j["stat"]["aversion"], 1)
        self.fails(1, "version No is not valid", "setAcl", "-v", "0", b, "world:anyone:r")
        out = self.ok("setAcl", "-s", "-v", "1", b, "world:anyone:r")
        self.assertIn("aclVersion = 2\n", out)
        self.fails(1, "Insufficient permission : %s" % b, "set", b, "y")
        self.fails(2, "Invalid ACL", "setAcl", b, "world:anyone:xyz")
        self.fails(2, "Invalid ACL", "setAcl", b, "nonsense")
        # setAcl -R reaches the children.
        self.ok("create", b + "2")
        self.ok("create", b + "2/kid")
        self.ok("setAcl", "-R", b + "2", "world:anyone:cdra")
        self.assertEqual(self.ok("getAcl", b + "2/kid"), "'world,'anyone\n: cdra\n")
        self.fails(1, "Insufficient permission", "set", b + "2/kid", "y")

    def test_digest_auth_and_whoami(self):
        b = self.base
        who = self.ok("whoami")
        self.assertIn("Auth scheme: User\n", who)
        self.assertIn("ip: 127.0.0.1\n", who)
        self.assertEqual(self.js("whoami")["identities"][0]["scheme"], "ip")
        # addauth in one-shot mode: accepted, exit 0.
        self.ok("addauth", "digest", "u1:pw")
        acl = "digest:%s:cdrwa" % harness.digest("u1", "pw")
        self.ok("create", b, "secret", acl)
        self.fails(1, "Insufficient permission : %s" % b, "get", b)
        # The shell keeps its credential across commands.
        r = self.ctl(input=("addauth digest u1:pw\nget %s\nwhoami\n" % b).encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("secret\n", r.stdout.decode())
        self.assertIn("digest: u1\n", r.stdout.decode())
        r = self.ctl(input=("addauth digest u1:pw\ncreate %s/c x auth::cdrwa\n"
                            "getAcl %s/c\n" % (b, b)).encode())
        self.assertIn("'digest,'%s\n: cdrwa" % harness.digest("u1", "pw"),
                      r.stdout.decode())

    def test_watch_flags_in_the_shell(self):
        b = self.base
        self.ok("create", b, "1")
        script = ("get -w %s\nset %s 2\nls -w %s\ncreate %s/k\nstat -w %s\ndelete %s/k\n"
                  "delete %s\n" % ((b,) * 7))
        r = self.ctl(input=script.encode())
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("WATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged "
                      "path:%s\n" % b, out)
        self.assertIn("type:NodeChildrenChanged path:%s\n" % b, out)
        self.assertIn("type:NodeDeleted path:%s\n" % b, out)

    def test_addwatch_removewatches_ephemerals_in_the_shell(self):
        b = self.base
        self.ok("create", b)
        script = ("addWatch %s\ncreate %s/a\ncreate -e %s/a/e\ngetEphemerals %s\n"
                  "removewatches %s\nset %s x\naddWatch -m persistent %s\nset %s y\n"
                  "removewatches %s -p\nhistory\n" % ((b,) * 9))
        r = self.ctl(input=script.encode())
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("type:NodeCreated path:%s/a\n" % b, out)
        self.assertIn("type:NodeCreated path:%s/a/e\n" % b, out)
        self.assertIn("[%s/a/e]\n" % b, out)
        self.assertIn("type:PersistentWatchRemoved path:%s\n" % b, out)
        self.assertIn("type:NodeDataChanged path:%s\n" % b, out)
        self.assertIn("0 - addWatch %s\n" % b, out)
        self.assertIn("9 - history\n", out)
        self.fails(1, "No watcher of that type on: %s" % b, "removewatches", b)
        self.fails(2, "mode must be", "addWatch", "-m", "sometimes", b)
        self.fails(2, "not supported", "removewatches", "-l", b)

    def test_watch_streams_until_interrupted(self):
        b = self.base
        self.ok("create", b)
        p = subprocess.Popen([self.bin, "-s", self.server.hosts, "--json", "watch", "-R", b],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        try:
            self.assertIn(b"Watching", p.stderr.readline())
            self.ok("create", b + "/x")
            self.ok("set", b + "/x", "v")
            ev1 = json.loads(p.stdout.readline())
            ev2 = json.loads(p.stdout.readline())
            self.assertEqual(ev1, {"event": "NodeCreated", "state": "SyncConnected",
                                   "path": b + "/x"})
            self.assertEqual(ev2["event"], "NodeDataChanged")
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(timeout=15), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()

    def test_config(self):
        r = self.ctl("config")
        # Standalone servers may or may not publish a dynamic config.
        self.assertIn(r.returncode, (0, 1))
        if r.returncode == 0:
            self.assertIn("stat", self.js("config"))
        else:
            self.assertIn(b"/zookeeper/config", r.stderr)

    def test_help(self):
        r = subprocess.run([self.bin, "help"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        for name in ("ls [-s] [-w] [-R] path", "create [-s] [-e] [-c] [-t ttl]",
                     "getAllChildrenNumber", "addWatch [-m mode]", "dump path",
                     "load [--force]"):
            self.assertIn(name, r.stdout.decode())
        r = subprocess.run([self.bin, "--no-such-flag"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2)

    def test_dump_and_load_round_trip(self):
        b = self.base
        self.ok("create", b, "root")
        self.ok("create", b + "/text", "h\u00e9llo")
        self.ok("create", "-f", "-", b + "/bin", input=b"\xff\x00\x01")
        self.ok("create", b + "/text/null")
        # No CREATE on /acl: load must still create its child.
        self.ok("create", b + "/acl", "r")
        self.ok("create", b + "/acl/kid")
        self.ok("setAcl", b + "/acl", "world:anyone:drwa")
        r = self.ctl(input=("create -e %s/eph\ndump %s\n" % (b, b)).encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout.decode().split("\n", 1)[1])
        paths = [n["path"] for n in doc["nodes"]]
        self.assertEqual(paths, [b, b + "/acl", b + "/acl/kid", b + "/bin", b + "/text",
                                 b + "/text/null"])
        dump = self.ok("dump", b)
        nodes = {n["path"]: n for n in json.loads(dump)["nodes"]}
        self.assertEqual(nodes[b + "/bin"]["encoding"], "base64")
        self.assertEqual(nodes[b + "/text"]["data"], "h\u00e9llo")
        self.assertIsNone(nodes[b + "/text/null"]["data"])
        self.assertEqual(nodes[b + "/acl"]["acl"],
                         [{"scheme": "world", "id": "anyone", "perms": "drwa"}])
        f = os.path.join(self.home, "dump-%s.json" % self._testMethodName)
        with open(f, "w") as fh:
            fh.write(dump)
        # Loading over the original conflicts unless --force.
        self.fails(1, "Node already exists: %s" % b, "load", f)
        self.ok("set", b + "/text", "changed")
        self.assertEqual(self.ok("load", "--force", f), "Loaded 6 nodes (0 created)\n")
        self.assertEqual(self.ok("get", b + "/text"), "h\u00e9llo\n")
        # Elsewhere, then into an empty place from stdin.
        self.assertEqual(self.ok("load", f, b + "-copy"), "Loaded 6 nodes (6 created)\n")
        self.assertEqual(self.ok("dump", b + "-copy").replace(b + "-copy", b), dump)
        self.ok("deleteall", b)
        self.assertEqual(self.js("load", "-", input=dump.encode()),
                         {"loaded": 6, "created": 6})
        self.assertEqual(self.ok("dump", b), dump)
        r = self.ctl("get", b + "/bin")
        self.assertEqual(r.stdout, b"\xff\x00\x01\n")
        self.fails(2, "Invalid dump file", "load", "-", input=b"{\"nodes\": 3}")
        self.fails(2, "Invalid dump file", "load", "-", input=b"not json")


class Connection(CtlTestCase):

    def test_no_server_exits_three(self):
        port = harness.free_port()
        r = subprocess.run([self.bin, "-s", "127.0.0.1:%d" % port, "--timeout", "1000",
                            "ls", "/"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 3)
        self.assertIn(b"Connection to 127.0.0.1:%d failed" % port, r.stderr)
        r = subprocess.run([self.bin, "-s", "", "ls", "/"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"Invalid connect string", r.stderr)

    def test_lost_connection_mid_shell_exits_three(self):
        p = subprocess.Popen([self.bin, "-s", self.server.hosts, "--timeout", "4000"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env())
        try:
            p.stdin.write(b"ls /\n")
            p.stdin.flush()
            self.assertIn(b"zookeeper", p.stdout.readline())
            self.server.stop()
            p.stdin.write(b"ls /\n")
            p.stdin.close()
            self.assertEqual(p.wait(timeout=60), 3)
            self.assertIn(b"Connection lost", p.stderr.read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
            if not self.server.is_running():
                self.server.start()


class Interactive(CtlTestCase):
    """The libedit shell on a pseudo-terminal."""

    def spawn(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(self.env())
            os.environ["TERM"] = "xterm"
            os.execv(self.bin, [self.bin, "-s", self.server.hosts])
        self.addCleanup(self.reap, pid, fd)
        self.buf = b""
        return pid, fd

    def reap(self, pid, fd):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)

    def expect(self, fd, needle, timeout=15):
        deadline = time.monotonic() + timeout
        while needle not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("no %r in %r" % (needle, self.buf[-600:]))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    self.fail("shell exited; no %r in %r" % (needle, self.buf[-600:]))
                self.buf += chunk
        i = self.buf.index(needle) + len(needle)
        seen, self.buf = self.buf[:i], self.buf[i:]
        return seen

    def test_history_completion_and_quit(self):
        b = self.base
        self.ok("create", b, "v1")
        self.ok("create", b + "/completion-target", "found-it")
        pid, fd = self.spawn()
        self.expect(fd, b"(CONNECTED) 0] ")
        os.write(fd, ("get %s\r" % b).encode())
        self.expect(fd, b"v1\r\n")
        self.expect(fd, b"(CONNECTED) 1] ")
        # Up arrow recalls the last command.
        self.ok("set", b, "v2")
        os.write(fd, b"\x1b[A\r")
        self.expect(fd, b"v2\r\n")
        self.expect(fd, b"(CONNECTED) 2] ")
        # Tab completes the unique child of the typed parent.
        os.write(fd, ("get %s/compl\t" % b).encode())
        self.expect(fd, b"etion-target")
        os.write(fd, b"\r")
        self.expect(fd, b"found-it\r\n")
        self.expect(fd, b"] ")
        # And command names.
        os.write(fd, ("getAllCh\t%s\r" % b).encode())
        self.expect(fd, b"ildrenNumber")
        self.assertRegex(self.expect(fd, b"] "), rb"\r\n1\r\n\[coord: ")
        # Errors are reported and the shell carries on.
        os.write(fd, b"get /definitely-not-there\r")
        self.expect(fd, b"Node does not exist: /definitely-not-there")
        self.expect(fd, b"] ")
        os.write(fd, b"quit\r")
        _, status = os.waitpid(pid, 0)
        self.assertTrue(os.WIFEXITED(status))
        self.assertEqual(os.WEXITSTATUS(status), 0)
        # The history file survives: a later `history` lists these commands.
        out = self.ok("history")
        self.assertIn("get %s/completion-target\n" % b, out)
        self.assertIn("quit\n", out)


if __name__ == "__main__":
    unittest.main()
