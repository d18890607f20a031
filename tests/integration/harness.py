"""Integration-test harness: start/stop a coordd or ZooKeeper server on loopback.

Server selection: COORD_TEST_SERVER=coordd (default) or zookeeper.
coordd binary: $COORDD, else $COORD_BUILDDIR/server/coordd, else ./server/coordd.
Every server runs on 127.0.0.1 with a free port and a fresh temporary data
directory; it is stopped (SIGTERM, then SIGKILL, by its own PID only) in the
test's class cleanup, even when the test fails.  Also provides RawClient, a
minimal jute/ZooKeeper wire client over a plain socket, for the operations and
malformed input that kazoo 2.8 cannot produce.
"""

import atexit
import hashlib
import base64
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

KIND = os.environ.get("COORD_TEST_SERVER", "coordd")
if KIND not in ("coordd", "zookeeper"):
    raise SystemExit("COORD_TEST_SERVER must be coordd or zookeeper, not %r" % KIND)
IS_ZK = KIND == "zookeeper"

SUPER_USER = "super"
SUPER_PASSWORD = "superpw"
HOST = "127.0.0.1"

if not os.environ.get("COORD_TEST_VERBOSE"):
    logging.getLogger("kazoo").setLevel(logging.CRITICAL)
    logging.getLogger("kazoo").addHandler(logging.NullHandler())


def digest(user, password):
    """Return the digest ACL id user:BASE64(SHA1(user:password))."""
    h = hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()
    return "%s:%s" % (user, base64.b64encode(h).decode())


SUPER_DIGEST = digest(SUPER_USER, SUPER_PASSWORD)


def wait_until(pred, timeout=10.0, interval=0.05):
    """Poll pred() until it is true or timeout seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


_EPHEMERAL = _ephemeral_range()


def free_port():
    """A port for a test server: below the kernel's ephemeral range, which
    every client socket (kazoo's included) draws its local port from, so a
    client of a parallel test cannot take it between here and the server's
    bind; checked free by binding it."""
    import random
    top = min(_EPHEMERAL[0], 32768)
    for _ in range(200):
        port = random.randrange(max(1024, top - 12000), top)
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((HOST, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def four_letter(port, cmd, timeout=5.0):
    """Send a four-letter word and return the whole text answer ('' if none)."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(cmd.encode() if isinstance(cmd, str) else cmd)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out.decode("utf-8", "replace")


def coordd_binary():
    if os.environ.get("COORDD"):
        return os.environ["COORDD"]
    bd = os.environ.get("COORD_BUILDDIR")
    if bd:
        return os.path.join(bd, "server", "coordd")
    return os.path.abspath(os.path.join("server", "coordd"))


ZK_CLASSPATH = ":".join([
    "/etc/zookeeper/conf",
    "/usr/share/java/zookeeper.jar",
    "/usr/share/java/slf4j-simple.jar",
])

# Live servers of this process, stopped at exit or on SIGTERM from the runner.
_LIVE = set()
_LIVE_LOCK = threading.Lock()


def _stop_all():
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for s in servers:
        try:
            s.stop()
        except Exception:
            pass


atexit.register(_stop_all)


def _on_sigterm(signum, frame):
    _stop_all()
    os._exit(143)


if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _on_sigterm)


class Server:
    """One coordd or ZooKeeper standalone server on 127.0.0.1.

    start() writes the config and launches the process; kill9() and start()
    again reuse the same data directory and port; stop() ends it; cleanup()
    also removes the temporary directory (kept if COORD_TEST_KEEP is set).
    """

    def __init__(self, tick_time=2000, min_session_timeout=None,
                 max_session_timeout=None, max_client_cnxns=60,
                 jute_maxbuffer=None, container_check_ms=500, extra_cfg=None):
        self.kind = KIND
        if self.kind == "coordd" and not os.access(coordd_binary(), os.X_OK):
            raise unittest.SkipTest("coordd binary not found at %s" % coordd_binary())
        self.tick_time = tick_time
        self.min_session_timeout = min_session_timeout
        self.max_session_timeout = max_session_timeout
        self.max_client_cnxns = max_client_cnxns
        self.jute_maxbuffer = jute_maxbuffer
        self.container_check_ms = container_check_ms
        self.extra_cfg = dict(extra_cfg or {})
        self.dir = tempfile.mkdtemp(prefix="citest-")
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir)
        self.cfg_path = os.path.join(self.dir, "zoo.cfg")
        self.log_path = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.proc = None
        self._logf = None

    @property
    def hosts(self):
        return "%s:%d" % (HOST, self.port)

    def _write_cfg(self):
        cfg = [
            ("tickTime", self.tick_time),
            ("dataDir", self.data_dir),
            ("clientPort", self.port),
            ("clientPortAddress", HOST),
            ("4lw.commands.whitelist", "*"),
            ("extendedTypesEnabled", "true"),
            ("DigestAuthenticationProvider.superDigest", SUPER_DIGEST),
            ("maxClientCnxns", self.max_client_cnxns),
            ("admin.enableServer", "false"),
        ]
        if self.min_session_timeout:
            cfg.append(("minSessionTimeout", self.min_session_timeout))
        if self.max_session_timeout:
            cfg.append(("maxSessionTimeout", self.max_session_timeout))
        if self.kind == "coordd":
            cfg.append(("znode.container.checkIntervalMs", self.container_check_ms))
            if self.jute_maxbuffer:
                cfg.append(("jute.maxbuffer", self.jute_maxbuffer))
        cfg.extend(self.extra_cfg.items())
        with open(self.cfg_path, "w") as f:
            for k, v in cfg:
                f.write("%s=%s\n" % (k, v))

    def command(self):
        if self.kind == "coordd":
            return [coordd_binary(), "-c", self.cfg_path]
        props = [
            "-Dzookeeper.extendedTypesEnabled=true",
            "-Dzookeeper.DigestAuthenticationProvider.superDigest=" + SUPER_DIGEST,
            "-Dzookeeper.4lw.commands.whitelist=*",
            "-Dzookeeper.admin.enableServer=false",
            "-Dznode.container.checkIntervalMs=%d" % self.container_check_ms,
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        ]
        if self.jute_maxbuffer:
            props.append("-Djute.maxbuffer=%d" % self.jute_maxbuffer)
        return ["java"] + props + ["-cp", ZK_CLASSPATH,
                                   "org.apache.zookeeper.server.ZooKeeperServerMain",
                                   self.cfg_path]

    def start(self, timeout=40.0):
        """Launch the server and wait until it answers ruok and a connect."""
        assert self.proc is None or self.proc.poll() is not None
        if self.kind == "coordd" and not os.access(coordd_binary(), os.X_OK):
            raise unittest.SkipTest("coordd binary not found at %s" % coordd_binary())
        self._write_cfg()
        self._logf = open(self.log_path, "ab")
        self._logf.write(("--- start %s\n" % " ".join(self.command())).encode())
        self._logf.flush()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        with _LIVE_LOCK:
            _LIVE.add(self)
        piddir = os.environ.get("COORD_TEST_PIDDIR")
        if piddir:
            try:
                with open(os.path.join(piddir, str(self.proc.pid)), "w") as f:
                    f.write(str(self.proc.pid))
            except OSError:
                pass
        if not self.wait_ready(timeout):
            rc = self.proc.poll()
            self.stop()
            raise AssertionError("server did not become ready in %.0fs (exit=%s); log tail:\n%s"
                                 % (timeout, rc, self.log_tail()))

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if four_letter(self.port, "ruok", timeout=2).startswith("imok"):
                    c = RawClient(self.port, timeout=5)
                    try:
                        c.connect(timeout_ms=10000)
                        c.close_session()
                        return True
                    finally:
                        c.close()
            except (OSError, ProtocolError):
                pass
            time.sleep(0.1)
        return False

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def _forget(self):
        with _LIVE_LOCK:
            _LIVE.discard(self)
        piddir = os.environ.get("COORD_TEST_PIDDIR")
        if piddir and self.proc is not None:
            try:
                os.unlink(os.path.join(piddir, str(self.proc.pid)))
            except OSError:
                pass
        if self._logf:
            self._logf.close()
            self._logf = None

    def stop(self, grace=8.0):
        """SIGTERM, then SIGKILL after grace seconds; only our own PID."""
        if self.proc is None:
            return
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                killed = True
            # coordd(8): SIGTERM is a clean shutdown with status 0 (under
            # ASan this also catches leaks at exit). A server that already
            # died on its own is reported by the test that saw it die.
            rc = self.proc.returncode
            if self.kind == "coordd" and (killed or rc != 0):
                self._forget()
                raise AssertionError("coordd did not shut down cleanly on SIGTERM "
                                     "(exit %s%s); log tail:\n%s"
                                     % (rc, ", killed after %.0fs" % grace if killed else "",
                                        self.log_tail()))
        self._forget()

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._forget()

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        self.stop()
        if not os.environ.get("COORD_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def txn_logs(self):
        """Paths of the transaction-log files named log.*, oldest first by name."""
        d = os.path.join(self.data_dir, "version-2") if self.kind == "zookeeper" else self.data_dir
        if not os.path.isdir(d):
            return []
        names = [n for n in os.listdir(d) if n.startswith("log.")]
        return [os.path.join(d, n) for n in sorted(names, key=lambda n: (len(n), n))]


# --------------------------------------------------------------------------
# Raw wire client (jute)

OP = dict(notification=0, create=1, delete=2, exists=3, getData=4, setData=5,
          getACL=6, setACL=7, getChildren=8, sync=9, ping=11, getChildren2=12,
          check=13, multi=14, create2=15, reconfig=16, checkWatches=17,
          removeWatches=18, createContainer=19, deleteContainer=20, createTTL=21,
          multiRead=22, auth=100, setWatches=101, sasl=102, getEphemerals=103,
          getAllChildrenNumber=104, setWatches2=105, addWatch=106, whoAmI=107,
          closeSession=-11)

OPEN_ACL = [(31, "world", "anyone")]


class ProtocolError(Exception):
    pass


class W:
    """Jute writer."""

    def __init__(self):
        self.b = bytearray()

    def int(self, v):
        self.b += struct.pack(">i", v)
        return self

    def long(self, v):
        self.b += struct.pack(">q", v)
        return self

    def bool(self, v):
        self.b += b"\x01" if v else b"\x00"
        return self

    def buffer(self, v):
        if v is None:
            return self.int(-1)
        self.int(len(v))
        self.b += v
        return self

    def string(self, v):
        return self.buffer(None if v is None else (v.encode() if isinstance(v, str) else v))

    def acls(self, acls):
        if acls is None:
            return self.int(-1)
        self.int(len(acls))
        for perms, scheme, ident in acls:
            self.int(perms).string(scheme).string(ident)
        return self

    def bytes(self):
        return bytes(self.b)


class R:
    """Jute reader."""

    def __init__(self, b):
        self.b = b
        self.o = 0

    def _take(self, n):
        if self.o + n > len(self.b):
            raise ProtocolError("short record")
        v = self.b[self.o:self.o + n]
        self.o += n
        return v

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def long(self):
        return struct.unpack(">q", self._take(8))[0]

    def bool(self):
        return self._take(1) != b"\x00"

    def buffer(self):
        n = self.int()
        return None if n < 0 else self._take(n)

    def string(self):
        v = self.buffer()
        return None if v is None else v.decode("utf-8", "replace")

    def stat(self):
        names = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
                 "ephemeralOwner", "dataLength", "numChildren", "pzxid")
        vals = [self.long(), self.long(), self.long(), self.long(), self.int(), self.int(),
                self.int(), self.long(), self.int(), self.int(), self.long()]
        return dict(zip(names, vals))

    def strings(self):
        n = self.int()
        return None if n < 0 else [self.string() for _ in range(n)]

    def acls(self):
        n = self.int()
        return [(self.int(), self.string(), self.string()) for _ in range(n)]

    def left(self):
        return len(self.b) - self.o


def create_body(path, data=b"", acl=OPEN_ACL, flags=0, ttl=None):
    w = W().string(path).buffer(data).acls(acl).int(flags)
    if ttl is not None:
        w.long(ttl)
    return w.bytes()


def path_body(path, watch=None):
    w = W().string(path)
    if watch is not None:
        w.bool(watch)
    return w.bytes()


class RawClient:
    """A blocking, single-connection client speaking the wire protocol by hand.

    request() sends one request and returns (err, zxid, body_reader), collecting
    any notification frames that arrive before the reply in self.events as
    (type, state, path, zxid) tuples; self.log records every frame read, in
    order, as ('event', ...) or ('reply', xid, err).
    """

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.xid = 0
        self.events = []
        self.log = []
        self.session_id = 0
        self.passwd = b"\0" * 16
        self.neg_timeout = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def sendall(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def _recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionResetError("server closed the connection")
            out += chunk
        return out

    def read_frame(self):
        (n,) = struct.unpack(">i", self._recv_exact(4))
        if n < 0 or n > 64 * 1024 * 1024:
            raise ProtocolError("bad frame length %d" % n)
        return self._recv_exact(n)

    def connect(self, timeout_ms=10000, session_id=0, passwd=None, readonly_byte=True,
                last_zxid=0):
        """Handshake; returns (negotiated timeout, session id, passwd)."""
        w = W().int(0).long(last_zxid).int(timeout_ms).long(session_id)
        w.buffer(passwd if passwd is not None else b"\0" * 16)
        if readonly_byte:
            w.bool(False)
        self.send_frame(w.bytes())
        r = R(self.read_frame())
        r.int()
        self.neg_timeout = r.int()
        self.session_id = r.long()
        self.passwd = r.buffer()
        return self.neg_timeout, self.session_id, self.passwd

    def next_xid(self):
        self.xid += 1
        return self.xid

    def send(self, op, body=b"", xid=None):
        if xid is None:
            xid = self.next_xid()
        self.send_frame(struct.pack(">ii", xid, op) + body)
        return xid

    def read_reply(self, xid=None):
        """Read frames until a non-notification reply; return (xid, zxid, err, R)."""
        while True:
            r = R(self.read_frame())
            rxid, zxid, err = r.int(), r.long(), r.int()
            if rxid == -1:
                ev = (r.int(), r.int(), r.string(), zxid)
                self.events.append(ev)
                self.log.append(("event",) + ev)
                continue
            self.log.append(("reply", rxid, err))
            if xid is not None and rxid != xid:
                raise ProtocolError("reply xid %d, expected %d" % (rxid, xid))
            return rxid, zxid, err, r

    def read_event(self):
        """Read one frame that must be a notification; returns (type, state, path, zxid)."""
        if self.events:
            return self.events.pop(0)
        r = R(self.read_frame())
        rxid, zxid, err = r.int(), r.long(), r.int()
        if rxid != -1:
            raise ProtocolError("expected a notification, got xid %d err %d" % (rxid, err))
        ev = (r.int(), r.int(), r.string(), zxid)
        self.log.append(("event",) + ev)
        return ev

    def request(self, op, body=b""):
        xid = self.send(op, body)
        _, zxid, err, r = self.read_reply(xid)
        return err, zxid, r

    # convenience wrappers -------------------------------------------------
    def create(self, path, data=b"", acl=OPEN_ACL, flags=0):
        err, _, r = self.request(OP["create"], create_body(path, data, acl, flags))
        return err, (r.string() if err == 0 else None)

    def create_ttl(self, path, ttl, data=b"", flags=5, acl=OPEN_ACL):
        err, _, r = self.request(OP["createTTL"], create_body(path, data, acl, flags, ttl))
        return err, ((r.string(), r.stat()) if err == 0 else None)

    def create_container(self, path, data=b"", acl=OPEN_ACL):
        err, _, r = self.request(OP["createContainer"], create_body(path, data, acl, 4))
        return err, ((r.string(), r.stat()) if err == 0 else None)

    def get_data(self, path, watch=False):
        err, _, r = self.request(OP["getData"], path_body(path, watch))
        return err, ((r.buffer(), r.stat()) if err == 0 else None)

    def set_data(self, path, data, version=-1):
        err, _, r = self.request(OP["setData"], W().string(path).buffer(data).int(version).bytes())
        return err, (r.stat() if err == 0 else None)

    def exists(self, path, watch=False):
        err, _, r = self.request(OP["exists"], path_body(path, watch))
        return err, (r.stat() if err == 0 else None)

    def delete(self, path, version=-1):
        err, _, _ = self.request(OP["delete"], W().string(path).int(version).bytes())
        return err

    def get_children(self, path, watch=False):
        err, _, r = self.request(OP["getChildren"], path_body(path, watch))
        return err, (r.strings() if err == 0 else None)

    def add_watch(self, path, mode):
        err, _, r = self.request(OP["addWatch"], W().string(path).int(mode).bytes())
        return err

    def remove_watches(self, path, wtype):
        err, _, _ = self.request(OP["removeWatches"], W().string(path).int(wtype).bytes())
        return err

    def auth(self, scheme, cred):
        self.send(OP["auth"], W().int(0).string(scheme).buffer(cred).bytes(), xid=-4)
        _, _, err, _ = self.read_reply(-4)
        return err

    def ping(self):
        self.send(OP["ping"], b"", xid=-2)
        _, zxid, err, _ = self.read_reply(-2)
        return err, zxid

    def close_session(self):
        err, zxid, _ = self.request(OP["closeSession"])
        return err

    def expect_closed(self, timeout=5.0):
        """True if the server closes the connection within timeout (no more frames)."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.sock.recv(65536):
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True
        return False


# --------------------------------------------------------------------------
# unittest base class

def kazoo_client(hosts, **kw):
    from kazoo.client import KazooClient
    kw.setdefault("timeout", 10.0)
    return KazooClient(hosts=hosts, **kw)


class ServerTestCase(unittest.TestCase):
    """One server per test class; kazoo/raw clients per test, all closed in teardown."""

    server_options = {}
    _seq = 0

    @classmethod
    def setUpClass(cls):
        cls.server = Server(**cls.server_options)
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()

    def setUp(self):
        self._clients = []
        self._raws = []
        ServerTestCase._seq += 1
        self.base = "/%s-%d" % (self._testMethodName, ServerTestCase._seq)

    def tearDown(self):
        for c in self._clients:
            try:
                c.stop()
                c.close()
            except Exception:
                pass
        for r in self._raws:
            r.close()
        if self.server.proc is not None and self.server.proc.poll() is not None \
                and self.server.proc.returncode not in (0, -9, -15, 143):
            self.fail("server died (exit %s); log tail:\n%s"
                      % (self.server.proc.returncode, self.server.log_tail()))

    def client(self, start=True, **kw):
        c = kazoo_client(self.server.hosts, **kw)
        self._clients.append(c)
        if start:
            c.start(timeout=15)
        return c

    def raw(self, connect=True, timeout_ms=10000, **kw):
        r = RawClient(self.server.port)
        self._raws.append(r)
        if connect:
            t, sid, _ = r.connect(timeout_ms=timeout_ms, **kw)
            self.assertGreater(t, 0, "ConnectResponse refused the session")
            self.assertNotEqual(sid, 0)
        return r


def main():
    unittest.main(verbosity=2)
