"""Interop with the official C client: cclient.c (libzookeeper_mt) and cli_mt."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import ServerTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"


def build_cclient(outdir):
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc or not os.path.exists("/usr/include/zookeeper/zookeeper.h"):
        raise unittest.SkipTest("no C compiler or libzookeeper-mt-dev")
    exe = os.path.join(outdir, "cclient")
    p = subprocess.run([cc, "-O0", "-g", "-o", exe, os.path.join(HERE, "cclient.c"),
                        "-lzookeeper_mt", "-lpthread"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    if p.returncode != 0:
        raise unittest.SkipTest("cclient.c does not build here:\n" + p.stdout.decode())
    return exe


class CClient(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="citest-cc-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.exe = build_cclient(cls.tmp)
        super().setUpClass()

    def test_c_client_session(self):
        p = subprocess.run([self.exe, self.server.hosts, self.base], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("ALL OK", out)
        self.assertIsNone(self.client().exists(self.base))

    def cli(self, cmd):
        if not os.access(CLI_MT, os.X_OK):
            self.skipTest("cli_mt (zookeeper-bin) not installed")
        p = subprocess.run([CLI_MT, "-h", self.server.hosts, "-c", cmd], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def test_cli_mt_batch_commands(self):
        rc, out = self.cli("create %s" % self.base)
        self.assertEqual(rc, 0, out)
        self.assertIn("[%s]: rc = 0" % self.base, out)
        rc, out = self.cli("set %s world" % self.base)
        self.assertIn("%s: rc = 0" % self.base, out)
        rc, out = self.cli("get %s" % self.base)
        self.assertIn("value_len = 5", out)
        self.assertIn("world", out)
        self.assertIn("version=1", out)
        rc, out = self.cli("create +e %s/eph" % self.base)
        self.assertIn("mode: 1", out)
        rc, out = self.cli("ls %s" % self.base)
        self.assertIn("%s: rc = 0" % self.base, out)
        self.assertNotIn("eph", out.split("rc = 0", 1)[1], "ephemeral outlived cli_mt's session")
        rc, out = self.cli("delete %s" % self.base)
        self.assertIn("%s: rc = 0" % self.base, out)
        self.assertIsNone(self.client().exists(self.base))


if __name__ == "__main__":
    harness.main()
