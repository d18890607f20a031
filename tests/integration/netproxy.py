"""A small loopback TCP proxy for fault injection in integration tests.

One Proxy forwards every connection accepted on 127.0.0.1:listen_port to
target_host:target_port (loopback only) and back.  Tests put one Proxy on each
directed link they want to cut:

    p = Proxy(0, "127.0.0.1", server_port).start()   # p.port is the bound port
    ...connect clients to p.port...
    p.block()      # closes every current connection (both sides); new ones are
                   # accepted and closed at once, so the port stays reserved
    p.unblock()    # new connections are forwarded again
    p.block(silent=True)   # a "black hole": connections stay open, every byte
                           # is dropped both ways, new ones are accepted but
                           # never forwarded (what a real partition looks like)
    p.delay(50)    # every chunk is held 50 ms before it is forwarded, in each
                   # direction (a round trip gains 100 ms); delay(0) ends it
    p.stop()       # closes everything; the thread ends on its own

Pure stdlib: one thread per Proxy runs a selectors loop over the listening
socket and every connection pair; the upstream connect is non-blocking, so a
SIGSTOPped target cannot stall the loop.  Per direction at most MAX_BUFFER
bytes are held (beyond that the proxy stops reading that side: back-pressure),
so memory stays bounded.  block()/unblock()/delay()/stop() are synchronous:
when they return, the loop has applied them.
"""

import collections
import ipaddress
import selectors
import socket
import threading
import time

MAX_BUFFER = 4 * 1024 * 1024
CHUNK = 65536
CONNECT_TIMEOUT = 5.0


def _is_loopback(host):
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Pipe:
    """One direction of a connection pair: bytes read from src, written to dst."""

    __slots__ = ("src", "dst", "queue", "queued", "eof")

    def __init__(self, src, dst):
        self.src = src
        self.dst = dst
        self.queue = collections.deque()   # (release time, bytes)
        self.queued = 0
        self.eof = False                   # src said EOF; shut dst's write side once drained


class _Pair:
    __slots__ = ("client", "upstream", "connected", "up", "down", "started")

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.connected = False
        self.up = _Pipe(client, upstream)      # client -> target
        self.down = _Pipe(upstream, client)    # target -> client
        self.started = time.monotonic()


class Proxy:
    """Forward 127.0.0.1:listen_port to target_host:target_port; see the module doc."""

    def __init__(self, listen_port, target_host, target_port, listen_host="127.0.0.1",
                 name=None):
        if not _is_loopback(listen_host) or not _is_loopback(target_host):
            raise ValueError("netproxy: loopback addresses only (%s -> %s)"
                             % (listen_host, target_host))
        self.listen_host = listen_host
        self.listen_port = int(listen_port or 0)
        self.target_host = target_host
        self.target_port = int(target_port)
        self.name = name or "proxy:%s->%s" % (listen_port, target_port)
        self._lsock = None
        self._sel = None
        self._thread = None
        self._wake_r = self._wake_w = None
        self._lock = threading.Lock()
        self._cmds = []                    # (callable, threading.Event)
        self._pairs = set()
        self._by_sock = {}                 # socket -> _Pair
        self._blocked = None               # None, "close" or "silent"
        self._delay = 0.0
        self._running = False
        # counters, for tests and failure messages
        self.accepted = 0
        self.refused = 0
        self.bytes_up = 0
        self.bytes_down = 0

    # ------------------------------------------------------------------ API
    @property
    def port(self):
        return self.listen_port

    def start(self):
        """Bind, listen and start the forwarding thread; returns self."""
        assert self._thread is None, "already started"
        ls = socket.socket(socket.AF_INET6 if ":" in self.listen_host else socket.AF_INET)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            ls.bind((self.listen_host, self.listen_port))
        except OSError:
            ls.close()
            raise
        ls.listen(128)
        ls.setblocking(False)
        self._lsock = ls
        self.listen_port = ls.getsockname()[1]
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(ls, selectors.EVENT_READ, "listen")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=5.0):
        """Close the listener and every connection; joins the thread (bounded)."""
        if self._thread is None:
            return
        if self._thread.is_alive():
            self._call(self._do_stop, timeout)
            self._thread.join(timeout)
        self._thread = None

    def block(self, silent=False):
        """Cut the link.  silent=False: close every current connection both ways
        and close new ones right after accepting them.  silent=True: keep the
        connections but drop every byte (a black hole); new connections are
        accepted and never forwarded."""
        self._call(lambda: self._do_block("silent" if silent else "close"))

    def unblock(self):
        """Forward again.  Connections black-holed by block(silent=True) are
        closed (their byte streams have holes), new ones are forwarded."""
        self._call(self._do_unblock)

    def delay(self, ms):
        """Hold every chunk ms milliseconds before forwarding it (0: no delay)."""
        def apply():
            self._delay = max(0.0, float(ms) / 1000.0)
        self._call(apply)

    @property
    def blocked(self):
        return self._blocked is not None

    def connections(self):
        """Number of open connection pairs."""
        with self._lock:
            return len(self._pairs)

    def __repr__(self):
        return "<Proxy %s %d->%s:%d%s>" % (self.name, self.listen_port, self.target_host,
                                          self.target_port,
                                          " blocked(%s)" % self._blocked if self._blocked else "")

    def __enter__(self):
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # ----------------------------------------------------------- internals
    def _call(self, fn, timeout=5.0):
        """Run fn in the loop thread and wait for it (or run it here if the loop is gone)."""
        if self._thread is None or not self._thread.is_alive():
            fn()
            return
        done = threading.Event()
        with self._lock:
            self._cmds.append((fn, done))
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if not done.wait(timeout):
            raise RuntimeError("%s: loop did not answer in %.0fs" % (self.name, timeout))

    def _do_stop(self):
        self._running = False
        for pair in list(self._pairs):
            self._close_pair(pair)

    def _do_block(self, mode):
        self._blocked = mode
        if mode == "close":
            for pair in list(self._pairs):
                self._close_pair(pair)
        else:
            for pair in self._pairs:
                for pipe in (pair.up, pair.down):
                    pipe.queue.clear()
                    pipe.queued = 0
                self._update(pair)

    def _do_unblock(self):
        if self._blocked == "silent":
            for pair in list(self._pairs):
                self._close_pair(pair)
        self._blocked = None

    def _loop(self):
        try:
            while self._running:
                timeout = 0.5
                now = time.monotonic()
                for pair in list(self._pairs):
                    if not pair.connected and now - pair.started > CONNECT_TIMEOUT:
                        self._close_pair(pair)
                        continue
                    for pipe in (pair.up, pair.down):
                        if pipe.queue:
                            timeout = min(timeout, max(0.0, pipe.queue[0][0] - now))
                for key, mask in self._sel.select(timeout):
                    tag = key.data
                    if tag == "listen":
                        self._accept()
                    elif tag == "wake":
                        self._run_cmds()
                    else:
                        pair = self._by_sock.get(key.fileobj)
                        if pair is not None and pair in self._pairs:
                            self._service(pair, key.fileobj, mask)
                if not self._running:
                    break
                # release delayed chunks whose time has come
                now = time.monotonic()
                for pair in list(self._pairs):
                    for pipe in (pair.up, pair.down):
                        if pipe.queue and pipe.queue[0][0] <= now and pair.connected:
                            self._flush(pair, pipe)
                    if pair in self._pairs:
                        self._update(pair)
        finally:
            self._running = False
            for pair in list(self._pairs):
                self._close_pair(pair)
            self._run_cmds()   # anyone waiting is released
            for s in (self._lsock, self._wake_r, self._wake_w):
                try:
                    self._sel.unregister(s)
                except (KeyError, ValueError, OSError):
                    pass
                try:
                    s.close()
                except OSError:
                    pass
            self._sel.close()

    def _run_cmds(self):
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        with self._lock:
            cmds, self._cmds = self._cmds, []
        for fn, done in cmds:
            try:
                fn()
            finally:
                done.set()

    def _accept(self):
        for _ in range(64):
            try:
                c, _addr = self._lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if self._blocked == "close":
                self.refused += 1
                _abort(c)
                continue
            self.accepted += 1
            c.setblocking(False)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._blocked == "silent":
                # accepted, never forwarded: the peer's connect "succeeds" and then hangs
                u = None
            else:
                u = socket.socket(socket.AF_INET6 if ":" in self.target_host else socket.AF_INET)
                u.setblocking(False)
                u.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                err = u.connect_ex((self.target_host, self.target_port))
                if err not in (0, 115, 11, 36):   # 0, EINPROGRESS, EAGAIN, EALREADY
                    self.refused += 1
                    u.close()
                    _abort(c)
                    continue
            pair = _Pair(c, u)
            with self._lock:
                self._pairs.add(pair)
            self._by_sock[c] = pair
            if u is not None:
                self._by_sock[u] = pair
            else:
                pair.connected = True   # nothing to wait for; bytes are dropped
            self._update(pair)

    def _update(self, pair):
        """Recompute the selector interest of both sockets of pair."""
        now = time.monotonic()
        for s, rd_pipe, wr_pipe in ((pair.client, pair.up, pair.down),
                                    (pair.upstream, pair.down, pair.up)):
            if s is None:
                continue
            if s is pair.upstream and not pair.connected:
                ev = selectors.EVENT_WRITE      # waiting for the connect to finish
            else:
                ev = 0
                if not rd_pipe.eof and rd_pipe.queued < MAX_BUFFER:
                    ev |= selectors.EVENT_READ
                if pair.connected and wr_pipe.queue and wr_pipe.queue[0][0] <= now:
                    ev |= selectors.EVENT_WRITE
            key = self._sel.get_map().get(s)
            try:
                if key is None:
                    if ev:
                        self._sel.register(s, ev, pair)
                elif ev == 0:
                    self._sel.unregister(s)
                elif key.events != ev:
                    self._sel.modify(s, ev, pair)
            except (ValueError, OSError):
                pass

    def _service(self, pair, s, mask):
        if s is pair.upstream and not pair.connected:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.refused += 1
                self._close_pair(pair)
                return
            pair.connected = True
            for pipe in (pair.up, pair.down):
                self._flush(pair, pipe)
                if pair not in self._pairs:
                    return
            self._update(pair)
            return
        if mask & selectors.EVENT_READ:
            pipe = pair.up if s is pair.client else pair.down
            try:
                data = s.recv(CHUNK)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                self._close_pair(pair)
                return
            if data == b"":
                pipe.eof = True
                if pipe.dst is None:
                    # a black-holed connection whose client went away
                    self._close_pair(pair)
                    return
                if self._blocked != "silent" and not pipe.queue and pair.connected:
                    _shut_wr(pipe.dst)
                if self._drained(pair):
                    self._close_pair(pair)
                    return
            elif data:
                if self._blocked is None:
                    if pipe is pair.up:
                        self.bytes_up += len(data)
                    else:
                        self.bytes_down += len(data)
                    pipe.queue.append((time.monotonic() + self._delay, data))
                    pipe.queued += len(data)
                    if pair.connected:
                        self._flush(pair, pipe)
                        if pair not in self._pairs:
                            return
                # blocked silently: dropped
        if mask & selectors.EVENT_WRITE:
            pipe = pair.down if s is pair.client else pair.up
            self._flush(pair, pipe)
            if pair not in self._pairs:
                return
        self._update(pair)

    def _flush(self, pair, pipe):
        now = time.monotonic()
        while pipe.queue and pipe.queue[0][0] <= now:
            when, data = pipe.queue[0]
            try:
                n = pipe.dst.send(data)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._close_pair(pair)
                return
            pipe.queued -= n
            if n < len(data):
                pipe.queue[0] = (when, data[n:])
                return
            pipe.queue.popleft()
        if pipe.eof and not pipe.queue and pipe.dst is not None:
            _shut_wr(pipe.dst)
            if self._drained(pair):
                self._close_pair(pair)

    @staticmethod
    def _drained(pair):
        """Both sides said EOF and everything read was delivered."""
        return (pair.up.eof and pair.down.eof and not pair.up.queue
                and not pair.down.queue)

    def _close_pair(self, pair):
        with self._lock:
            self._pairs.discard(pair)
        for s in (pair.client, pair.upstream):
            if s is None:
                continue
            self._by_sock.pop(s, None)
            try:
                self._sel.unregister(s)
            except (KeyError, ValueError, OSError):
                pass
            _abort(s)


def _shut_wr(s):
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _abort(s):
    """Close at once: both ends see the connection end now (a reset if bytes are unread)."""
    try:
        s.close()
    except OSError:
        pass
