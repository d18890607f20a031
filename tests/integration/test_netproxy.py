"""netproxy.py, the loopback TCP proxy the ensemble tests cut links with.

Against a local echo server: bytes both ways (large, many connections, half
close), block() closes live connections and new ones, unblock(), the silent
black hole, delay(), a target that is down, loopback only, stop().  Against a
real server: block() cuts a live kazoo session's connection (SUSPENDED,
ConnectionLoss), unblock() lets it reconnect and resume the same session.
"""

import hashlib
import os
import socket
import threading
import time
import unittest

import harness
from harness import HOST, wait_until
from netproxy import Proxy


class EchoServer:
    """Echoes every byte back; at most 64 connections, each in a daemon thread."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while len(self.conns) < 64:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c):
        c.settimeout(30)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    c.shutdown(socket.SHUT_WR)
                    break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def roundtrip(port, payload, timeout=20):
    """Send payload through port (then half-close); return everything read back."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        def send():
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        t = threading.Thread(target=send, daemon=True)
        t.start()
        out = bytearray()
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
        t.join(timeout)
        return bytes(out)
    finally:
        s.close()


def closed_soon(s, timeout=3.0):
    """True if the peer closes s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(10) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


class ProxyBasics(unittest.TestCase):

    def setUp(self):
        self.echo = EchoServer()
        self.addCleanup(self.echo.close)
        self.proxy = Proxy(0, HOST, self.echo.port).start()
        self.addCleanup(self.proxy.stop)

    def test_forwards_both_ways(self):
        payload = os.urandom(3 * 1024 * 1024)
        got = roundtrip(self.proxy.port, payload)
        self.assertEqual(len(got), len(payload))
        self.assertEqual(hashlib.sha1(got).digest(), hashlib.sha1(payload).digest())
        self.assertEqual(self.proxy.bytes_up, len(payload))
        self.assertEqual(self.proxy.bytes_down, len(payload))
        self.assertTrue(wait_until(lambda: self.proxy.connections() == 0, 5))

    def test_many_connections_at_once(self):
        results = {}

        def one(i):
            payload = ("%d:" % i).encode() * 20000
            results[i] = roundtrip(self.proxy.port, payload) == payload

        ts = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        self.assertEqual(results, {i: True for i in range(12)})

    def test_block_closes_live_connections_and_new_ones(self):
        s = socket.create_connection((HOST, self.proxy.port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(b"ping")
        self.assertEqual(s.recv(10), b"ping")
        self.assertEqual(self.proxy.connections(), 1)
        self.proxy.block()
        self.assertTrue(self.proxy.blocked)
        self.assertTrue(closed_soon(s), "a live connection survived block()")
        self.assertEqual(self.proxy.connections(), 0)
        # new connections: accepted (the port stays ours) and closed at once
        s2 = socket.create_connection((HOST, self.proxy.port), timeout=5)
        self.addCleanup(s2.close)
        self.assertTrue(closed_soon(s2), "a new connection was forwarded while blocked")
        self.assertGreaterEqual(self.proxy.refused, 1)
        self.proxy.unblock()
        self.assertFalse(self.proxy.blocked)
        self.assertEqual(roundtrip(self.proxy.port, b"again"), b"again")

    def test_silent_block_is_a_black_hole(self):
        s = socket.create_connection((HOST, self.proxy.port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(b"a")
        self.assertEqual(s.recv(10), b"a")
        self.proxy.block(silent=True)
        s.sendall(b"lost")
        self.assertFalse(closed_soon(s, 0.5), "black hole answered or closed")
        s2 = socket.create_connection((HOST, self.proxy.port), timeout=5)
        self.addCleanup(s2.close)
        s2.sendall(b"x")
        self.assertFalse(closed_soon(s2, 0.5))
        self.proxy.unblock()
        # the black-holed connections lost bytes: they are closed, new ones work
        self.assertTrue(closed_soon(s))
        self.assertEqual(roundtrip(self.proxy.port, b"after"), b"after")

    def test_delay(self):
        s = socket.create_connection((HOST, self.proxy.port), timeout=5)
        self.addCleanup(s.close)
        self.proxy.delay(150)
        t = time.monotonic()
        s.sendall(b"slow")
        self.assertEqual(s.recv(10), b"slow")
        took = time.monotonic() - t
        self.assertGreaterEqual(took, 0.29, "150 ms each way, got %.3fs" % took)
        self.proxy.delay(0)
        t = time.monotonic()
        s.sendall(b"fast")
        self.assertEqual(s.recv(10), b"fast")
        self.assertLess(time.monotonic() - t, 0.25)

    def test_target_down(self):
        port = harness.free_port()
        p = Proxy(0, HOST, port).start()
        self.addCleanup(p.stop)
        s = socket.create_connection((HOST, p.port), timeout=5)
        self.addCleanup(s.close)
        self.assertTrue(closed_soon(s), "connection to a dead target not closed")

    def test_loopback_only(self):
        with self.assertRaises(ValueError):
            Proxy(0, "192.0.2.1", 80)
        with self.assertRaises(ValueError):
            Proxy(0, HOST, 80, listen_host="0.0.0.0")

    def test_stop_ends_everything(self):
        p = Proxy(0, HOST, self.echo.port).start()
        s = socket.create_connection((HOST, p.port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(b"x")
        self.assertEqual(s.recv(10), b"x")
        thread = p._thread
        p.stop()
        self.assertFalse(thread.is_alive())
        self.assertTrue(closed_soon(s))
        with self.assertRaises(OSError):
            socket.create_connection((HOST, p.port), timeout=2).close()
        p.stop()    # twice is fine


class ProxyKazoo(harness.ServerTestCase):
    """A kazoo session through a proxy to a real server."""

    def test_block_cuts_the_session_and_unblock_resumes_it(self):
        from kazoo.protocol.states import KazooState
        proxy = Proxy(0, HOST, self.server.port).start()
        self.addCleanup(proxy.stop)
        c = harness.kazoo_client("%s:%d" % (HOST, proxy.port), timeout=10.0,
                                 connection_retry=dict(max_tries=-1, delay=0.1, backoff=1.5,
                                                       max_delay=0.5))
        self._clients.append(c)
        states = []
        c.add_listener(states.append)
        c.start(timeout=15)
        sid = c.client_id[0]
        c.create(self.base, b"before")
        self.assertEqual(proxy.connections(), 1)
        self.assertGreater(proxy.bytes_up, 0)

        proxy.block()
        self.assertTrue(wait_until(lambda: KazooState.SUSPENDED in states, 5),
                        "kazoo did not notice the cut: %s" % states)
        # a request now waits for the connection (kazoo queues it) and gets no answer
        pending = c.get_async(self.base)
        self.assertFalse(pending.wait(1.0), "answered through a blocked proxy")
        self.assertFalse(c.connected)
        self.assertEqual(proxy.connections(), 0)
        self.assertGreater(proxy.refused, 0, "kazoo did not try to reconnect")

        # meanwhile the server itself is fine
        other = self.client()
        other.set(self.base, b"during")

        proxy.unblock()
        self.assertTrue(wait_until(lambda: c.connected, 10), "kazoo did not reconnect")
        self.assertEqual(c.client_id[0], sid, "the session was not resumed")
        self.assertEqual(c.get(self.base)[0], b"during")
        # the queued request went out after the reconnect
        self.assertTrue(pending.wait(10))
        self.assertIn(pending.get()[0], (b"before", b"during"))
        self.assertNotIn(KazooState.LOST, states)
        self.assertEqual(states[-1], KazooState.CONNECTED)


if __name__ == "__main__":
    harness.main()
