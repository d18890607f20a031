#!/usr/bin/python3
"""kazoo and coord recipes on the same paths exclude each other.

Runs against a fresh coordd: kazoo's Lock and Election (threads here) and
recipe_tool processes (coord's lock and latch) contend on one path and log
enter/exit records to one file; the records must never interleave. Also
checks that each side sees the other's contenders and honours a held lock,
and the read-write lock against kazoo's ReadLock/WriteLock.
Exits 77 (skip) when /usr/bin/python3 has no kazoo.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    from kazoo.client import KazooClient
    from kazoo.exceptions import LockTimeout
except ImportError:
    print("kazoo not installed: skipped")
    sys.exit(77)

BUILD = os.environ.get("COORD_BUILDDIR", ".")
TOOL = os.path.join(BUILD, "tests/recipes/recipe_tool")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def note(log, what, who):
    with open(log, "a") as f:
        f.write("%s %s\n" % (what, who))


def interleaves(log):
    """Number of enter records while someone held, and enters seen."""
    holder, bad, n = None, 0, 0
    with open(log) as f:
        for line in f:
            what, who = line.split()
            if what == "enter":
                n += 1
                if holder is not None:
                    bad += 1
                holder = who
            else:
                if holder != who:
                    bad += 1
                holder = None
    return bad, n


def try_acquire(lock, timeout):
    """kazoo raises LockTimeout where a bool is wanted here."""
    try:
        return lock.acquire(timeout=timeout)
    except LockTimeout:
        return False


def client(hosts):
    zk = KazooClient(hosts=hosts, timeout=4.0)
    zk.start(timeout=10)
    return zk


def run(hosts, tmp, procs):
    def tool(*args, **kw):
        p = subprocess.Popen([TOOL] + [str(a) for a in args], **kw)
        procs.append(p)
        return p

    # 1. Locks: two coord processes and two kazoo threads, 5 rounds each.
    log = os.path.join(tmp, "lock.log")
    cs = [tool("lock", hosts, "/x/lock", "c%d" % i, 5, log) for i in range(2)]

    def kazoo_rounds(name):
        zk = client(hosts)
        lock = zk.Lock("/x/lock", name)
        for _ in range(5):
            with lock:
                note(log, "enter", name)
                time.sleep(0.01)
                note(log, "exit", name)
        zk.stop()
        zk.close()

    ts = [threading.Thread(target=kazoo_rounds, args=("k%d" % i,))
          for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    for p in cs:
        check(p.wait(60) == 0, "coord lock process exits 0")
    bad, n = interleaves(log)
    check(n == 20, "lock: 20 critical sections (got %d)" % n)
    check(bad == 0, "lock: coord and kazoo never hold it together")

    # 2. A coord holder blocks kazoo and shows in kazoo's contenders.
    zk = client(hosts)
    p = tool("hold", hosts, "/x/held", "coord-holder", 1500,
             stdout=subprocess.PIPE)
    check(p.stdout.readline().startswith(b"held"), "coord holds /x/held")
    lock = zk.Lock("/x/held", "kazoo")
    check(lock.contenders() == ["coord-holder"],
          "kazoo sees the coord holder: %r" % lock.contenders())
    t0 = time.time()
    check(not try_acquire(lock, 0.3), "kazoo cannot take a held lock")
    check(try_acquire(lock, 10), "kazoo gets it after coord releases")
    check(time.time() - t0 >= 1.0, "... and not before")
    p2 = tool("hold", hosts, "/x/held", "coord-2", 10,
              stdout=subprocess.PIPE)
    time.sleep(0.5)
    check(p2.poll() is None, "coord waits while kazoo holds")
    lock.release()
    check(p2.wait(10) == 0, "coord gets it after kazoo releases")
    check(p.wait(10) == 0, "coord holder exits 0")

    # 3. Read-write: a coord writer excludes kazoo readers; kazoo readers
    # share with coord readers; a kazoo writer waits for a coord reader.
    p = tool("write", hosts, "/x/rw", "cw", 2000, stdout=subprocess.PIPE)
    check(p.stdout.readline().startswith(b"held"), "coord writer holds")
    r = zk.ReadLock("/x/rw", "kr")
    check(not try_acquire(r, 0.3), "kazoo reader waits for coord writer")
    check(p.wait(10) == 0, "coord writer exits 0")
    check(try_acquire(r, 5), "kazoo reader gets it after")
    p = tool("read", hosts, "/x/rw", "cr", 3000, stdout=subprocess.PIPE)
    check(p.stdout.readline().startswith(b"held"),
          "coord reader shares with kazoo reader")
    r.release()
    w = zk.WriteLock("/x/rw", "kw")
    check(not try_acquire(w, 0.3), "kazoo writer waits for coord reader")
    check(p.wait(10) == 0, "coord reader exits 0")
    check(try_acquire(w, 5), "kazoo writer gets it after")
    w.release()

    # 4. Election: kazoo Election and coord latches lead one at a time.
    log = os.path.join(tmp, "elect.log")
    cs = [tool("elect", hosts, "/x/elect", "c%d" % i, 150, log)
          for i in range(2)]

    def kazoo_leader(name):
        kz = client(hosts)

        def lead():
            note(log, "enter", name)
            time.sleep(0.15)
            note(log, "exit", name)
        kz.Election("/x/elect", name).run(lead)
        kz.stop()
        kz.close()

    ts = [threading.Thread(target=kazoo_leader, args=("k%d" % i,))
          for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    for p in cs:
        check(p.wait(60) == 0, "coord election process exits 0")
    bad, n = interleaves(log)
    check(n == 4, "election: every contender led once (got %d)" % n)
    check(bad == 0, "election: one leader at a time")
    zk.stop()
    zk.close()


def main():
    tmp = tempfile.mkdtemp(prefix="kazoo-", dir=os.path.join(BUILD, "tests/recipes"))
    port = free_port()
    log = open(os.path.join(tmp, "coordd.log"), "w")
    srv = subprocess.Popen(
        [os.path.join(BUILD, "server/coordd"), "-p", str(port), "-d", tmp,
         "-a", "127.0.0.1", "-o", "tickTime=200",
         "-o", "minSessionTimeout=400"], stdout=log, stderr=log)
    procs = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        run("127.0.0.1:%d" % port, tmp, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        log.close()
        if not failures:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    signal.alarm(240)
    sys.exit(main())
