"""coordd recovery: torn final record, corruption mid-log, sessions, snapshots.

coordd-only (it reads coordd's log format): test_durability covers the same
promises black-box on both servers; these tests cut inside real records
rather than the preallocated padding.

Log segment format (server/store.h): a 16-byte header ("CLOG", u32 version,
i64 first zxid), then records {u32 len, u32 crc32c, i64 zxid, payload} with
little-endian integers, len counting zxid + payload; a zero len ends the data.
"""

import glob
import os
import struct
import subprocess
import time
import unittest

import harness
from harness import kazoo_client

if harness.IS_ZK:
    raise unittest.SkipTest("coordd's on-disk format")


def records(path):
    """[(offset, length_in_file, zxid)] of every record in a segment."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"CLOG", path
    out = []
    off = 16
    while off + 16 <= len(data):
        n, _crc = struct.unpack_from("<II", data, off)
        if n == 0 or off + 8 + n > len(data):
            break
        (zxid,) = struct.unpack_from("<q", data, off + 8)
        out.append((off, 8 + n, zxid))
        off += 8 + n
    return out


def newest_log(data_dir):
    logs = glob.glob(os.path.join(data_dir, "log.*"))
    return max(logs, key=lambda p: int(os.path.basename(p)[4:], 16))


class Recovery(unittest.TestCase):

    def start(self, **kw):
        self.server = harness.Server(**kw)
        self.addCleanup(self.server.cleanup)
        self.server.start()

    def client(self, **kw):
        c = kazoo_client(self.server.hosts, **kw)
        c.start(timeout=15)
        self.addCleanup(lambda: (c.stop(), c.close()))
        return c

    def create_many(self, prefix, n):
        c = self.client()
        c.ensure_path(prefix)
        for i in range(n):
            c.create("%s/n%04d" % (prefix, i), b"v%d" % i)
        c.stop()
        c.close()

    def test_torn_final_record_is_truncated_and_the_rest_survives(self):
        self.start()
        self.create_many("/torn", 50)
        self.server.kill9()
        log = newest_log(self.server.data_dir)
        recs = records(log)
        self.assertGreater(len(recs), 50)
        off, length, last_zxid = recs[-1]
        # Cut the final record in half, as a crash in mid-write would, and
        # leave garbage-free zeros after it (the preallocated tail).
        with open(log, "r+b") as f:
            f.seek(off + length // 2)
            f.write(b"\0" * (length - length // 2))
        self.server.start()
        self.assertIn("torn", self.server.log_tail(200))
        c = self.client()
        kids = c.get_children("/torn")
        # The last acknowledged txn was the client's closeSession; every
        # create before it is intact.
        self.assertEqual(len(kids), 50)
        self.assertEqual(c.get("/torn/n0049")[0], b"v49")
        # The log accepts new writes after the cut, and they survive too.
        c.create("/torn/after", b"x")
        zxid = c.exists("/torn/after").czxid
        self.assertGreaterEqual(zxid, last_zxid)
        self.server.kill9()
        self.server.start()
        c2 = self.client()
        self.assertEqual(c2.get("/torn/after")[0], b"x")

    def test_corruption_in_the_middle_stops_startup_and_changes_nothing(self):
        self.start()
        self.create_many("/bad", 30)
        self.server.kill9()
        log = newest_log(self.server.data_dir)
        recs = records(log)
        off, length, zxid = recs[len(recs) // 2]
        with open(log, "r+b") as f:
            f.seek(off + length - 2)
            b = f.read(1)
            f.seek(off + length - 2)
            f.write(bytes([b[0] ^ 0x55]))
        with open(log, "rb") as f:
            before = f.read()
        proc = subprocess.run(self.server.command(), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30, cwd=self.server.dir)
        err = proc.stderr.decode("utf-8", "replace")
        self.assertNotEqual(proc.returncode, 0, err)
        self.assertIn(os.path.basename(log), err)
        self.assertIn("corrupt", err.lower())
        with open(log, "rb") as f:
            self.assertEqual(f.read(), before, "recovery modified a corrupt log")

    def test_sessions_and_ephemerals_survive_a_restart(self):
        self.start()
        raw = harness.RawClient(self.server.port)
        _, sid, passwd = raw.connect(timeout_ms=30000)
        err, _ = raw.create("/eph", b"e", flags=1)
        self.assertEqual(err, 0)
        raw.close()  # TCP gone, session left to live until it expires
        self.server.stop()
        self.server.start()
        b = kazoo_client(self.server.hosts, client_id=(sid, passwd), timeout=30.0)
        b.start(timeout=15)
        self.addCleanup(lambda: (b.stop(), b.close()))
        self.assertEqual(b.client_id[0], sid)
        self.assertEqual(b.get("/eph")[0], b"e")
        self.assertEqual(b.exists("/eph").ephemeralOwner, sid)

    def test_snapshot_plus_log_recovers_and_purge_keeps_three(self):
        self.start(extra_cfg={"snapCount": 40, "autopurge.snapRetainCount": 3})
        c = self.client()
        c.ensure_path("/snap")
        for i in range(400):
            c.create("/snap/n%04d" % i, b"%d" % i)
            if i % 50 == 0:
                c.set("/snap", b"%d" % i)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            snaps = glob.glob(os.path.join(self.server.data_dir, "snapshot.*"))
            if len(snaps) >= 3:
                break
            time.sleep(0.1)
        snaps = [s for s in glob.glob(os.path.join(self.server.data_dir, "snapshot.*"))
                 if not s.endswith(".tmp")]
        self.assertGreaterEqual(len(snaps), 1)
        self.assertLessEqual(len(snaps), 3)
        stat_before = c.exists("/snap")
        c.stop()
        c.close()
        self.server.kill9()
        self.server.start()
        c2 = self.client()
        self.assertEqual(len(c2.get_children("/snap")), 400)
        data, st = c2.get("/snap")
        self.assertEqual(st.version, stat_before.version)
        self.assertEqual(st.cversion, stat_before.cversion)
        self.assertEqual(st.pzxid, stat_before.pzxid)


if __name__ == "__main__":
    unittest.main()
