"""coordd's command line: options, --help/--version, exit codes (coordd(8)).

coordd-only. The harness starts coordd with -c FILE; these tests start it
the other ways a person would, as the quick start does.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness

if harness.IS_ZK:
    raise unittest.SkipTest("coordd's command line")


class CommandLine(unittest.TestCase):

    def setUp(self):
        self.bin = harness.coordd_binary()
        if not os.access(self.bin, os.X_OK):
            self.skipTest("no coordd binary")
        self.dir = tempfile.mkdtemp(prefix="citest-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_coordd(self, *args, timeout=20):
        return subprocess.run([self.bin] + list(args), capture_output=True,
                              timeout=timeout, cwd=self.dir, stdin=subprocess.DEVNULL)

    def test_help_and_version_exit_zero(self):
        r = self.run_coordd("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"usage: coordd", r.stdout)
        r = self.run_coordd("--version")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith(b"coordd "))

    def test_bad_command_line_exits_two(self):
        self.assertEqual(self.run_coordd("--no-such-option").returncode, 2)
        self.assertEqual(self.run_coordd("-o", "novalue").returncode, 2)

    def test_bad_configuration_exits_one_naming_the_key(self):
        cfg = os.path.join(self.dir, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("tickTime=2000\nclientPort=notaport\n")
        r = self.run_coordd("-c", cfg)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"zoo.cfg:2: clientPort", r.stderr)
        r = self.run_coordd("-o", "tickTime=-5")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"tickTime", r.stderr)

    def test_options_reach_the_server(self):
        port = harness.free_port()
        data = os.path.join(self.dir, "data")
        proc = subprocess.Popen(
            [self.bin, "-p", str(port), "-a", "127.0.0.1", "-d", data,
             "-o", "4lw.commands.whitelist=*", "-o", "tickTime=1000",
             "-o", "maxClientCnxns=7"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, cwd=self.dir)
        try:
            conf = ""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "tickTime" not in conf:
                try:
                    conf = harness.four_letter(port, "conf", timeout=2)
                except OSError:
                    time.sleep(0.1)
            self.assertIn("tickTime=1000", conf)
            self.assertIn("maxClientCnxns=7", conf)
            self.assertIn("dataDir=" + data, conf)
            self.assertTrue(os.path.isdir(data))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err.decode("utf-8", "replace"))


if __name__ == "__main__":
    unittest.main()
