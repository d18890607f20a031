"""Ensemble harness: several coordd (or ZooKeeper) servers replicating on loopback.

    ens = Ensemble(n=3, observers=0, proxied=True, tick_time=200)
    ens.start()                      # launches every server, waits until all serve
    L = ens.wait_for_leader()        # 0-based index; server id is index + 1
    ens.isolate(L)                   # cut every peer link to and from server L
    ens.wait_for_leader(among=ens.others(L))
    ens.heal()
    ens.assert_same_dumps()          # every server's tree, read from it alone
    ens.cleanup()                    # or use it as a context manager

Servers are harness.Server subclasses, so they follow harness.py's rules: a
free port below the ephemeral range for every listener, SIGTERM then SIGKILL by
PID only, coordd must exit 0 on SIGTERM, PIDs recorded for runner.py, stopped
at exit.  Indices are 0-based: voters first (ids 1..n), then observers.

Each server i gets its own directory <tmp>/s<id>/ with zoo.cfg, server.log and
data/ (holding myid).  Its zoo.cfg has the usual harness settings plus
initLimit, syncLimit (peerType=observer for an observer) and one line per
server, ZooKeeper style:

    server.<id>=127.0.0.1:<peerPort>:<electionPort>:participant|observer;127.0.0.1:<clientPort>

With proxied=True, server i's line for another server j names the ports of two
netproxy.Proxy objects dedicated to the directed link i -> j (one for the peer
port, one for the election port), so each server has its own view of the
others' addresses and identity is only the server id.  isolate(), partition(),
block_link(), heal() and delay_link() act on those proxies; the client ports are
never proxied.

On any failed assertion of this module (AssertionError from a wait_*/assert_*
method) the message carries every server's mode, the blocked links and the tail
of every server's log, and the temp directory is kept (its path is printed);
COORD_TEST_KEEP=1 keeps it always.

The ZooKeeper flavour runs QuorumPeerMain with the same classpath and -D
settings as harness.py's standalone ZooKeeper.
"""

import os
import re
import shutil
import signal
import tempfile
import threading
import time

import harness
from harness import HOST, four_letter, wait_until
from netproxy import Proxy

SERVING_MODES = ("leader", "follower", "observer", "standalone")
_MODE_RE = re.compile(r"^Mode:\s*(\S+)", re.M)


def _take_port(used):
    for _ in range(100):
        p = harness.free_port()
        if p not in used:
            used.add(p)
            return p
    raise RuntimeError("no free port")


class Member(harness.Server):
    """One server of an Ensemble (see the module doc)."""

    def __init__(self, ens, index, sid, observer, directory, client_port, peer_port,
                 election_port, spare=False):
        super().__init__(tick_time=ens.tick_time,
                         min_session_timeout=ens.min_session_timeout,
                         max_session_timeout=ens.max_session_timeout,
                         max_client_cnxns=ens.max_client_cnxns,
                         extra_cfg=ens.extra_cfg)
        shutil.rmtree(self.dir, ignore_errors=True)    # harness made its own; use ours
        self.ens = ens
        self.index = index
        self.sid = sid
        self.observer = observer
        self.dir = directory
        self.data_dir = os.path.join(directory, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.cfg_path = os.path.join(directory, "zoo.cfg")
        self.log_path = os.path.join(directory, "server.log")
        self.port = client_port
        self.peer_port = peer_port
        self.election_port = election_port
        self.sigstopped = False
        self._wait_launch_only = False
        # a spare is in no initial configuration: the others' zoo.cfg leave it
        # out, its own lists them and itself (how a server joins by reconfig)
        self.spare = spare

    def config_line(self, observer=None):
        """This server's server.N line as reconfig takes it (no proxies)."""
        obs = self.observer if observer is None else observer
        return "server.%d=%s:%d:%d:%s;%s:%d" % (
            self.sid, HOST, self.peer_port, self.election_port,
            "observer" if obs else "participant", HOST, self.port)

    def __repr__(self):
        return "<Member %d sid=%d %s port=%d pid=%s>" % (
            self.index, self.sid, "observer" if self.observer else "voter", self.port,
            self.proc.pid if self.proc else None)

    def _write_cfg(self):
        super()._write_cfg()
        ens = self.ens
        lines = ["initLimit=%d" % ens.init_limit, "syncLimit=%d" % ens.sync_limit]
        if self.observer:
            lines.append("peerType=observer")
        for m in ens.members:
            if m.spare and m is not self:
                continue
            if m is self or not ens.proxied:
                peer, election = m.peer_port, m.election_port
            else:
                peer, election = (p.port for p in ens.links[(self.index, m.index)])
            lines.append("server.%d=%s:%d:%d:%s;%s:%d" % (
                m.sid, HOST, peer, election, "observer" if m.observer else "participant",
                HOST, m.port))
        with open(self.cfg_path, "a") as f:
            f.write("\n".join(lines) + "\n")
        myid = os.path.join(self.data_dir, "myid")
        if (not os.path.exists(myid) and not self.spare
                and self.ens.kind != "zookeeper"):
            # a new ensemble's first start (R-FLE-1; ZooKeeper's
            # zkServer-initialize.sh): coordd removes it once it has served
            open(os.path.join(self.data_dir, "initialize"), "w").close()
        with open(myid, "w") as f:
            f.write("%d\n" % self.sid)

    def command(self):
        cmd = super().command()
        if self.kind != "zookeeper":
            return cmd
        main = cmd.index("org.apache.zookeeper.server.ZooKeeperServerMain")
        cmd[main] = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
        # runner.py's leftover-server sweep matches "ZooKeeperServerMain" in
        # /proc/PID/cmdline; this marker makes it match quorum peers too.
        cmd[1:1] = ["-Dcoordtest.marker=ZooKeeperServerMain-quorum-peer",
                    "-Dzookeeper.fastleader.minNotificationInterval=%d" % self.ens.tick_time,
                    "-Dzookeeper.fastleader.maxNotificationInterval=%d"
                    % max(1000, 5 * self.ens.tick_time),
                    "-Dzookeeper.cnxTimeout=%d" % max(1000, 5 * self.ens.tick_time),
                    "-Dzookeeper.electionPortBindRetry=10"]
        return cmd

    def launch(self, timeout=40.0):
        """Start the process and wait only until it answers ruok (not until it serves)."""
        self.sigstopped = False
        self._wait_launch_only = True
        try:
            harness.Server.start(self, timeout)
        finally:
            self._wait_launch_only = False

    def wait_ready(self, timeout):
        if not self._wait_launch_only:
            return self.wait_serving(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if four_letter(self.port, "ruok", timeout=2).startswith("imok"):
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def mode(self):
        """The Mode: line of srvr ('leader', 'follower', 'observer', 'standalone'),
        or None if the server does not answer or does not serve."""
        if self.proc is None or self.proc.poll() is not None or self.sigstopped:
            return None
        try:
            m = _MODE_RE.search(four_letter(self.port, "srvr", timeout=2))
        except OSError:
            return None
        return m.group(1) if m else None

    def wait_serving(self, timeout):
        """True once srvr reports a serving mode and a ConnectRequest gets a session."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            if self.mode() in SERVING_MODES:
                c = None
                try:
                    c = harness.RawClient(self.port, timeout=5)
                    t, _, _ = c.connect(timeout_ms=10000)
                    if t > 0:
                        c.close_session()
                        return True
                except (OSError, harness.ProtocolError):
                    pass
                finally:
                    if c is not None:
                        c.close()
            time.sleep(0.1)
        return False

    def stop(self, grace=8.0):
        if self.proc is not None and self.proc.poll() is None and self.sigstopped:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.sigstopped = False
        super().stop(grace)

    def kill9(self):
        self.sigstopped = False
        super().kill9()


class Ensemble:
    """n voters (ids 1..n) plus `observers` observers on loopback; see the module doc.

    tick_time/init_limit/sync_limit go to every zoo.cfg; extra_cfg is a dict of
    further zoo.cfg settings; the session-timeout bounds and max_client_cnxns
    are passed to harness.Server.  Nothing runs until start().
    """

    def __init__(self, n=3, observers=0, proxied=False, tick_time=200, init_limit=10,
                 sync_limit=5, extra_cfg=None, min_session_timeout=None,
                 max_session_timeout=None, max_client_cnxns=60, spares=0):
        if n < 1 or observers < 0:
            raise ValueError("need at least one voter")
        self.kind = harness.KIND
        self.n = n
        self.n_observers = observers
        self.proxied = proxied
        self.tick_time = tick_time
        self.init_limit = init_limit
        self.sync_limit = sync_limit
        self.extra_cfg = dict(extra_cfg or {})
        self.min_session_timeout = min_session_timeout
        self.max_session_timeout = max_session_timeout
        self.max_client_cnxns = max_client_cnxns
        self.dir = tempfile.mkdtemp(prefix="citest-ens-")
        self.keep = bool(os.environ.get("COORD_TEST_KEEP"))
        self.members = []
        self.links = {}           # (i, j) -> (peer Proxy, election Proxy), i's view of j
        self._clients = []
        self._clients_lock = threading.Lock()
        self._started = False
        used = set()
        try:
            for index in range(n + observers + spares):
                sid = index + 1
                d = os.path.join(self.dir, "s%d" % sid)
                os.makedirs(d)
                spare = index >= n + observers
                self.members.append(Member(self, index, sid, n <= index < n + observers,
                                           d, _take_port(used), _take_port(used),
                                           _take_port(used), spare=spare))
        except BaseException:
            for m in self.members:
                m.cleanup()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        if proxied:
            for i in range(len(self.members)):
                for j in range(len(self.members)):
                    if i != j:
                        mj = self.members[j]
                        self.links[(i, j)] = tuple(
                            Proxy(_take_port(used), HOST, target,
                                  name="link%d->%d:%s" % (i, j, what))
                            for what, target in (("peer", mj.peer_port),
                                                 ("election", mj.election_port)))

    # ------------------------------------------------------------ lifecycle
    def __enter__(self):
        if not self._started:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.keep = True
            print(self.report("ensemble: exception %s: %s" % (exc_type.__name__, exc)))
        self.cleanup()

    def __len__(self):
        return len(self.members)

    @property
    def voters(self):
        return list(range(self.n))

    @property
    def observers(self):
        return list(range(self.n, len(self.members)))

    def others(self, *indices):
        """Every index except the given ones."""
        return [i for i in range(len(self.members)) if i not in indices]

    def start(self, timeout=90.0):
        """Start the proxies and every server; wait until all serve and there is a leader."""
        for (i, j), proxies in sorted(self.links.items()):
            for p in proxies:
                if p._thread is None:
                    self._start_proxy(p)
        try:
            for m in self.members:
                if not m.spare:
                    m.launch(timeout)
        except AssertionError as e:
            self._fail("ensemble: a server did not start: %s" % e)
        self._started = True
        self.wait_serving(indices=[m.index for m in self.members if not m.spare],
                          timeout=timeout)
        self.wait_for_leader(timeout=timeout)
        return self

    def _start_proxy(self, p):
        try:
            p.start()
        except OSError:
            # the port went to someone else since free_port(): take another
            p.listen_port = harness.free_port()
            p.start()

    def stop(self):
        """Close the clients, stop every server (SIGTERM; coordd must exit 0), stop the
        proxies.  Raises one AssertionError naming every server that did not stop cleanly."""
        for i, m in enumerate(self.members):
            if m.sigstopped:
                self.sigcont(i)          # or closing its clients' sessions would hang
        self.heal()
        self.close_clients()
        errors = []
        for m in self.members:
            try:
                m.stop()
            except AssertionError as e:
                errors.append("server %d (sid %d): %s" % (m.index, m.sid, e))
        for proxies in self.links.values():
            for p in proxies:
                p.stop()
        self._started = False
        if errors:
            self.keep = True
            raise AssertionError("ensemble stop:\n" + "\n".join(errors)
                                 + "\n(kept %s)" % self.dir)

    def cleanup(self):
        """stop(), then remove the temp dir unless kept (failure or COORD_TEST_KEEP)."""
        try:
            self.stop()
        finally:
            if self.keep:
                print("ensemble: kept %s" % self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    # ---------------------------------------------------- one server at a time
    def start_server(self, i, wait=True, timeout=60.0):
        """Start server i again (same data dir and ports); wait until it serves."""
        m = self.members[i]
        m.launch(timeout)
        if wait and not m.wait_serving(timeout):
            self._fail("server %d did not serve again within %.0fs" % (i, timeout))

    def stop_server(self, i):
        """SIGTERM server i (coordd must exit 0)."""
        self.members[i].stop()

    def restart(self, i, wait=True, timeout=60.0):
        """Clean stop (SIGTERM) and start of server i on the same data dir."""
        self.stop_server(i)
        self.start_server(i, wait=wait, timeout=timeout)

    def kill9(self, i):
        """SIGKILL server i; start_server(i) brings it back on the same data dir."""
        self.members[i].kill9()

    def sigstop(self, i):
        m = self.members[i]
        if m.is_running():
            os.kill(m.proc.pid, signal.SIGSTOP)
            m.sigstopped = True

    def sigcont(self, i):
        m = self.members[i]
        if m.is_running():
            os.kill(m.proc.pid, signal.SIGCONT)
        m.sigstopped = False

    def pid(self, i):
        m = self.members[i]
        return m.proc.pid if m.is_running() else None

    # ------------------------------------------------------------ observing
    def mode(self, i):
        """srvr's Mode of server i, or None (down, stopped, not serving)."""
        return self.members[i].mode()

    def modes(self):
        return [m.mode() for m in self.members]

    def leaders(self, among=None):
        """Indices (of `among`, default all) whose srvr says leader."""
        among = range(len(self.members)) if among is None else among
        return [i for i in among if self.mode(i) == "leader"]

    def leader(self, among=None):
        """The index whose srvr says leader; None if none (or, transiently, several)."""
        ls = self.leaders(among)
        return ls[0] if len(ls) == 1 else None

    def wait_for_leader(self, timeout=30.0, among=None, not_=None):
        """Wait until exactly one server of `among` says leader (and it is not `not_`);
        return its index.  Fails with every mode and log tail on timeout."""
        def ok():
            ls = self.leaders(among)
            if len(ls) == 1 and ls[0] != not_:
                return ls[0]
            return None
        got = wait_until(ok, timeout=timeout, interval=0.1)
        if got is None:
            self._fail("no single leader among %s within %.0fs%s"
                       % (list(among) if among is not None else "all", timeout,
                          "" if not_ is None else " (other than %d)" % not_))
        return got

    def wait_serving(self, indices=None, timeout=30.0):
        """Wait until every server of `indices` (default all) serves clients."""
        indices = range(len(self.members)) if indices is None else indices
        deadline = time.monotonic() + timeout
        for i in indices:
            m = self.members[i]
            if not m.is_running():
                self._fail("server %d is not running (exit %s), so it cannot serve"
                           % (i, m.proc.returncode if m.proc else "never started"))
            if not m.wait_serving(max(1.0, deadline - time.monotonic())):
                if not m.is_running():
                    self._fail("server %d exited (%s) while waiting for it to serve"
                               % (i, m.proc.returncode))
                self._fail("server %d did not serve within %.0fs" % (i, timeout))

    def wait_mode(self, i, modes, timeout=30.0):
        """Wait until server i's mode is one of `modes` (a string or a tuple)."""
        modes = (modes,) if isinstance(modes, str) else tuple(modes)
        if not wait_until(lambda: self.mode(i) in modes, timeout=timeout, interval=0.1):
            self._fail("server %d not in mode %s within %.0fs" % (i, "/".join(
                str(m) for m in modes), timeout))

    # ------------------------------------------------------------ partitions
    def _link_proxies(self, i, j):
        if not self.proxied:
            raise RuntimeError("partitions need Ensemble(proxied=True)")
        return self.links[(i, j)]

    def block_link(self, i, j, silent=False):
        """Cut the directed link i -> j (i's connections to j's peer and election ports)."""
        for p in self._link_proxies(i, j):
            p.block(silent=silent)

    def unblock_link(self, i, j):
        for p in self._link_proxies(i, j):
            p.unblock()

    def delay_link(self, i, j, ms):
        for p in self._link_proxies(i, j):
            p.delay(ms)

    def isolate(self, i, silent=False):
        """Block every proxied link to and from server i."""
        for j in self.others(i):
            self.block_link(i, j, silent)
            self.block_link(j, i, silent)

    def partition(self, groups, silent=False):
        """Block every link between servers of different groups and unblock links
        inside a group; a server in no group is alone.  Replaces any previous
        partition (links are recomputed from scratch)."""
        group_of = {}
        for g, members in enumerate(groups):
            for i in members:
                if i in group_of:
                    raise ValueError("server %d in two groups" % i)
                group_of[i] = g
        for i in range(len(self.members)):
            group_of.setdefault(i, ("alone", i))
        for (i, j) in self.links:
            if group_of[i] == group_of[j]:
                self.unblock_link(i, j)
            else:
                self.block_link(i, j, silent)

    def heal(self):
        """Unblock every link and remove every delay."""
        for proxies in self.links.values():
            for p in proxies:
                p.unblock()
                p.delay(0)

    def blocked_links(self):
        return sorted(k for k, ps in self.links.items() if any(p.blocked for p in ps))

    # ------------------------------------------------------------- clients
    def connect_string(self, indices=None):
        indices = range(len(self.members)) if indices is None else indices
        if isinstance(indices, int):
            indices = [indices]
        return ",".join("%s:%d" % (HOST, self.members[i].port) for i in indices)

    def client(self, i=None, start=True, **kw):
        """A kazoo client to server i alone (default: every server); closed by stop()."""
        c = harness.kazoo_client(self.connect_string(i), **kw)
        with self._clients_lock:
            self._clients.append(c)
        if start:
            c.start(timeout=kw.get("timeout", 15))
        return c

    def close_clients(self):
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for c in clients:
            try:
                c.stop()
                c.close()
            except Exception:
                pass

    def drop_client(self, c):
        with self._clients_lock:
            if c in self._clients:
                self._clients.remove(c)
        try:
            c.stop()
            c.close()
        except Exception:
            pass

    # ---------------------------------------------------------------- trees
    def dump(self, i, sync=False, timeout=15.0):
        """{path: (data, stat tuple)} of the whole tree as server i alone serves it
        (the /zookeeper subtree is skipped).  sync=True first syncs i with the leader."""
        from kazoo.exceptions import NoNodeError
        c = harness.kazoo_client(self.connect_string(i), timeout=timeout)
        try:
            c.start(timeout=timeout)
            if sync:
                c.sync("/")
            out = {}
            todo = ["/"]
            while todo:
                path = todo.pop()
                try:
                    data, stat = c.get(path)
                    kids = c.get_children(path)
                except NoNodeError:
                    continue
                out[path] = (data, tuple(stat))
                for k in kids:
                    child = (path.rstrip("/") + "/" + k)
                    if child != "/zookeeper":
                        todo.append(child)
            return out
        finally:
            try:
                c.stop()
                c.close()
            except Exception:
                pass

    def assert_same_dumps(self, indices=None, timeout=30.0, sync=True):
        """Wait until every server of `indices` (default all) has the same tree;
        return it.  On timeout fail with the paths that differ and the log tails."""
        indices = list(range(len(self.members)) if indices is None else indices)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            dumps = {}
            errors = {}
            for i in indices:
                try:
                    dumps[i] = self.dump(i, sync=sync,
                                         timeout=max(2.0, min(15.0, deadline - time.monotonic())))
                except Exception as e:   # noqa: BLE001 — reported below
                    errors[i] = "%s: %s" % (type(e).__name__, e)
            if not errors and all(dumps[i] == dumps[indices[0]] for i in indices):
                return dumps[indices[0]]
            last = (dumps, errors)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.3)
        self._fail("trees differ after %.0fs:\n%s" % (timeout, describe_dump_diff(*last)))

    # ------------------------------------------------------------- failures
    def report(self, headline=""):
        """Modes, blocked links and the log tail of every server, as text."""
        out = [headline] if headline else []
        out.append("ensemble %s (%s, %d voters, %d observers, proxied=%s, tick %d ms)"
                   % (self.dir, self.kind, self.n, self.n_observers, self.proxied,
                      self.tick_time))
        for m in self.members:
            out.append("  server %d sid %d %s: client %d peer %d election %d, pid %s, "
                       "exit %s, mode %s%s" % (
                           m.index, m.sid, "observer" if m.observer else "voter", m.port,
                           m.peer_port, m.election_port,
                           m.proc.pid if m.proc else None,
                           m.proc.poll() if m.proc else None, m.mode(),
                           " (SIGSTOPped)" if m.sigstopped else ""))
        if self.proxied:
            out.append("  blocked links: %s" % (self.blocked_links() or "none"))
        for m in self.members:
            out.append("---- server %d (sid %d) %s, last lines:" % (m.index, m.sid, m.log_path))
            out.append(m.log_tail(30).rstrip())
        return "\n".join(out)

    def _fail(self, msg):
        self.keep = True
        raise AssertionError(self.report(msg))

    def fail(self, msg):
        """Raise AssertionError(msg + report()) and keep the temp dir."""
        self._fail(msg)


def describe_dump_diff(dumps, errors=None, limit=20):
    """Human-readable differences between {index: dump} maps."""
    out = []
    for i, e in sorted((errors or {}).items()):
        out.append("  server %d: could not dump: %s" % (i, e))
    if not dumps:
        return "\n".join(out)
    idx = sorted(dumps)
    paths = sorted(set().union(*(d.keys() for d in dumps.values())))
    shown = 0
    for p in paths:
        vals = [dumps[i].get(p) for i in idx]
        if all(v == vals[0] for v in vals):
            continue
        shown += 1
        if shown > limit:
            out.append("  ... more paths differ")
            break
        out.append("  %s:" % p)
        for i, v in zip(idx, vals):
            out.append("    server %d: %s" % (i, "absent" if v is None else
                                               "data=%r stat=%s" % (v[0][:60], v[1])))
    for i in idx:
        out.append("  server %d: %d znodes" % (i, len(dumps[i])))
    return "\n".join(out)
