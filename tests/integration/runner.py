"""Run the integration suite: each test_*.py module in its own process, a few at a time.

Usage: runner.py [-j N] [module-or-module.Class.test ...]
Environment: COORD_TEST_SERVER=coordd|zookeeper, COORD_TEST_JOBS (default 2),
COORD_TEST_TIMEOUT (seconds per module, default 240).
The last line printed is "N passed, N failed[, N skipped]"; exit status 1 on
any failure or error, 0 otherwise (77, automake's "skipped", if kazoo is
missing or every test was skipped, e.g. no coordd binary).
"""

import faulthandler
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT_RE = re.compile(r"^@@RESULT passed=(\d+) failed=(\d+) skipped=(\d+)$", re.M)

# Slowest first, so two workers finish together.
ORDER = ["test_durability", "test_sessions", "test_recovery", "test_recipes", "test_badinput", "test_nodes",
         "test_watches", "test_cclient", "test_errors", "test_crud", "test_4lw", "test_acl",
         "test_multi", "test_rest", "test_coordctl", "test_tls"]
ORDER += ["test_https"]
ORDER += ["test_hardening"]


class EagerResult(unittest.TextTestResult):
    """Prints each traceback as it happens, so a later hang cannot hide it."""

    def _now(self, flavour, test, err):
        self.stream.writeln("")
        self.stream.writeln("%s: %s" % (flavour, self.getDescription(test)))
        self.stream.writeln(self._exc_info_to_string(err, test))
        self.stream.flush()

    successes = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.successes += 1

    def addError(self, test, err):
        super().addError(test, err)
        self._now("ERROR", test, err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._now("FAIL", test, err)


def run_child(names, timeout):
    """In the child: run the given test names, print a machine-readable tally."""
    sys.path.insert(0, HERE)
    faulthandler.dump_traceback_later(max(5, timeout - 15), exit=False)
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=EagerResult).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.successes + len(result.expectedFailures)
    sys.stdout.flush()
    print("@@RESULT passed=%d failed=%d skipped=%d" % (passed, failed, skipped))
    return 0 if failed == 0 else 1


def kill_leftover_servers(piddir):
    try:
        names = os.listdir(piddir)
    except OSError:
        names = []
    for name in names:
        try:
            pid = int(name)
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read()
            if b"coordd" in cmd or b"ZooKeeperServerMain" in cmd:
                os.kill(pid, signal.SIGKILL)
                print("runner: killed leftover server pid %d" % pid)
        except (ValueError, OSError):
            pass
        try:
            os.unlink(os.path.join(piddir, name))
        except OSError:
            pass


def main(argv):
    jobs = int(os.environ.get("COORD_TEST_JOBS", "2"))
    timeout = int(os.environ.get("COORD_TEST_TIMEOUT", "240"))
    args = list(argv)
    if args[:1] == ["--child"]:
        return run_child(args[1:], timeout)
    if args[:1] == ["-j"]:
        jobs = int(args[1])
        args = args[2:]
    try:
        import kazoo.client  # noqa: F401
    except ImportError:
        print("runner: kazoo is not importable by %s; install python3-kazoo" % sys.executable)
        print("0 passed, 0 failed, 1 skipped")
        return 77
    if args:
        work = [[a] for a in args]
    else:
        found = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "test_*.py")))
        mods = [m for m in ORDER if m in found] + [m for m in found if m not in ORDER]
        work = [[m] for m in mods]
    server = os.environ.get("COORD_TEST_SERVER", "coordd")
    print("runner: server=%s jobs=%d modules=%d" % (server, jobs, len(work)))
    sys.stdout.flush()

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    piddir = tempfile.mkdtemp(prefix="citest-pids-")
    running = []  # (names, proc, outfile, start)
    totals = [0, 0, 0]
    failures = []
    t_start = time.monotonic()

    def finish(names, proc, out, started, timed_out):
        kill_leftover_servers(proc.piddir)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        out.close()
        m = None
        for m in RESULT_RE.finditer(text):
            pass
        print("=" * 70)
        print("%s (%.1fs, exit %s)" % (" ".join(names), time.monotonic() - started, proc.returncode))
        print(RESULT_RE.sub("", text).rstrip())
        if m and not timed_out:
            p, f, s = (int(x) for x in m.groups())
        else:
            # no tally: count the per-test lines seen so far, plus one for the crash
            p = len(re.findall(r" \.\.\. ok$", text, re.M))
            s = len(re.findall(r" \.\.\. skipped", text, re.M))
            f = 1 + len(re.findall(r" \.\.\. (?:FAIL|ERROR)$", text, re.M))
            print("runner: %s %s" % (" ".join(names),
                                     "timed out after %ds" % timeout if timed_out
                                     else "crashed without a result"))
        if f:
            failures.append(" ".join(names))
        totals[0] += p
        totals[1] += f
        totals[2] += s
        sys.stdout.flush()

    try:
        while work or running:
            while work and len(running) < jobs:
                names = work.pop(0)
                out = tempfile.TemporaryFile()
                # each child records its servers' PIDs in its own directory, so
                # cleaning up after one module never touches another's servers
                cdir = os.path.join(piddir, str(len(os.listdir(piddir))))
                os.mkdir(cdir)
                cenv = dict(env, COORD_TEST_PIDDIR=cdir)
                proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child"] + names,
                                        stdout=out, stderr=subprocess.STDOUT, env=cenv, cwd=HERE)
                proc.piddir = cdir
                running.append((names, proc, out, time.monotonic()))
            time.sleep(0.1)
            for item in list(running):
                names, proc, out, started = item
                timed_out = False
                if proc.poll() is None:
                    if time.monotonic() - started < timeout:
                        continue
                    timed_out = True
                    proc.send_signal(signal.SIGTERM)  # the child stops its servers
                    try:
                        proc.wait(20)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                running.remove(item)
                finish(names, proc, out, started, timed_out)
    finally:
        for names, proc, out, started in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            kill_leftover_servers(proc.piddir)
        shutil.rmtree(piddir, ignore_errors=True)

    print("=" * 70)
    print("runner: server=%s wall time %.1fs" % (server, time.monotonic() - t_start))
    if failures:
        print("runner: modules with failures: %s" % ", ".join(failures))
    line = "%d passed, %d failed" % (totals[0], totals[1])
    if totals[2]:
        line += ", %d skipped" % totals[2]
    print(line)
    if totals[1]:
        return 1
    return 77 if totals[0] == 0 and totals[2] else 0  # 77: automake's "skipped"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
