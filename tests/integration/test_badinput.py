"""Malformed and hostile input over raw sockets (spec 1.3, 4.1, 13).

In every case a second, well-behaved kazoo client must keep being served.
"""

import os
import socket
import struct
import threading
import time

import harness
from harness import OP, W, RawClient, ServerTestCase


class BadInput(ServerTestCase):
    server_options = dict(max_client_cnxns=200)

    def setUp(self):
        super().setUp()
        self.good = self.client()
        self.good.create(self.base, b"ok")

    def assert_good_client_served(self):
        self.assertEqual(self.good.get(self.base)[0], b"ok")
        self.good.set(self.base, b"ok")
        other = self.client()
        self.assertEqual(other.get(self.base)[0], b"ok")

    def test_oversized_frame_closes_connection(self):
        r = self.raw()
        r.sendall(struct.pack(">i", 0x7FFFFFF0) + b"\0" * 64)
        self.assertTrue(r.expect_closed(5))
        self.assert_good_client_served()

    def test_oversized_frame_before_handshake_closes(self):
        r = RawClient(self.server.port)
        self._raws.append(r)
        r.sendall(struct.pack(">i", 1048576 * 4) + b"\0" * 16)
        self.assertTrue(r.expect_closed(5))
        self.assert_good_client_served()

    def test_data_just_over_one_mebibyte_closes(self):
        r = self.raw()
        try:
            r.send(OP["create"], harness.create_body(self.base + "/big", b"x" * 1048576))
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed as soon as the length was read: fine
        else:
            self.assertTrue(r.expect_closed(10))
        self.assertIsNone(self.good.exists(self.base + "/big"))
        self.assert_good_client_served()

    def test_negative_length_closes(self):
        r = self.raw()
        r.sendall(struct.pack(">i", -5) + b"\0" * 16)
        self.assertTrue(r.expect_closed(5))
        r = RawClient(self.server.port)
        self._raws.append(r)
        r.sendall(struct.pack(">i", -1))
        self.assertTrue(r.expect_closed(5))
        self.assert_good_client_served()

    def test_garbage_after_handshake(self):
        rnd = os.urandom(4096)
        for i in range(4):
            r = self.raw()
            chunk = rnd[i * 1000:(i + 1) * 1000]
            # a well-framed header whose body is noise
            r.send_frame(struct.pack(">ii", 77, OP["create"]) + chunk[: 50 + i * 200])
            try:
                _, _, err, _ = r.read_reply()
                self.assertNotEqual(err, 0)
            except (ConnectionError, socket.timeout, harness.ProtocolError):
                pass  # closing is acceptable too
            r.close()
        r = self.raw()
        r.sendall(rnd)  # unframed noise
        r.close()
        self.assert_good_client_served()

    def test_unknown_opcode_answers_unimplemented_then_closes(self):
        r = self.raw()
        r.send(55, b"", xid=1)
        rxid, zxid, err, body = r.read_reply()
        self.assertEqual((rxid, zxid, err), (1, -1, -6))
        self.assertEqual(body.left(), 0)
        self.assertTrue(r.expect_closed(5))
        for op in (0, 10, 23, 99, 200):
            r = self.raw()
            r.send(op, harness.path_body(self.base, False), xid=9)
            self.assertEqual(r.read_reply()[2], -6, "opcode %d" % op)
            self.assertTrue(r.expect_closed(5))
        self.assert_good_client_served()

    def test_delete_container_from_client_is_refused(self):
        r = self.raw()
        r.create(self.base + "/victim")
        r.send(OP["deleteContainer"], W().string(self.base + "/victim").bytes())
        try:
            err = r.read_reply()[2]
            self.assertNotEqual(err, 0)
        except ConnectionError:
            pass
        self.assertIsNotNone(self.good.exists(self.base + "/victim"))

    def test_truncated_body_is_marshalling_error_and_connection_stays(self):
        r = self.raw()
        body = harness.path_body(self.base, True)[:-1]  # getData without the watch byte
        err = r.request(OP["getData"], body)[0]
        self.assertEqual(err, -5)
        err = r.request(OP["create"], W().string(self.base + "/t").int(1000).bytes())[0]
        self.assertEqual(err, -5)
        err = r.request(OP["setData"], W().string(self.base).int(-7).bytes())[0]
        self.assertEqual(err, -5)
        err, (data, _) = r.get_data(self.base)
        self.assertEqual((err, data), (0, b"ok"))
        self.assertIsNone(self.good.exists(self.base + "/t"))
        self.assert_good_client_served()

    def test_bad_vector_count_and_string_length(self):
        r = self.raw()
        body = W().string(self.base + "/v").buffer(b"").int(1000000).bytes()  # ACL count lies
        self.assertEqual(r.request(OP["create"], body)[0], -5)
        body = W().int(-7).bytes()  # string length < -1
        self.assertIn(r.request(OP["getData"], body + b"\0")[0], (-5,))
        self.assertEqual(r.ping()[0], 0)
        self.assert_good_client_served()

    def test_half_a_frame_then_disconnect(self):
        for n in (1, 3, 7):
            r = self.raw()
            r.sendall(struct.pack(">i", 100)[:n] if n < 4 else struct.pack(">i", 100) + b"x" * n)
            r.close()
        r = RawClient(self.server.port)
        r.sendall(b"\0\0\0\x2d\0\0")  # half a ConnectRequest
        r.close()
        self.assert_good_client_served()

    def test_client_that_never_reads(self):
        # Bounded so that a server which buffers every reply (ZooKeeper does)
        # needs at most ~3000 x 20 KB; coordd should stop reading us instead.
        payload = b"y" * 20000
        self.good.create(self.base + "/fat", payload)
        hog = self.raw()
        hog.sock.settimeout(2.0)
        body = harness.path_body(self.base + "/fat", False)
        frame = struct.pack(">iii", 8 + len(body), 1, OP["getData"]) + body
        stop = threading.Event()
        sent = [0]

        def flood():
            deadline = time.monotonic() + 6
            try:
                while not stop.is_set() and time.monotonic() < deadline and sent[0] < 3000:
                    hog.sock.sendall(frame * 50)
                    sent[0] += 50
            except (socket.timeout, OSError):
                pass  # the server stopped reading from us (or dropped us): fine

        t = threading.Thread(target=flood)
        t.start()
        try:
            deadline = time.monotonic() + 6
            n = 0
            while time.monotonic() < deadline and n < 200:
                t0 = time.monotonic()
                self.assertEqual(self.good.get(self.base)[0], b"ok")
                self.assertLess(time.monotonic() - t0, 3.0, "server stalled by a non-reading client")
                n += 1
                time.sleep(0.02)
        finally:
            stop.set()
            t.join(15)
        self.assertGreater(sent[0], 0)
        hog.close()
        self.assert_good_client_served()

    def test_many_connections_open_and_drop(self):
        socks = []
        try:
            for _ in range(50):
                socks.append(socket.create_connection((harness.HOST, self.server.port), 5))
            self.assert_good_client_served()
        finally:
            for s in socks:
                s.close()
        self.assert_good_client_served()


if __name__ == "__main__":
    harness.main()
