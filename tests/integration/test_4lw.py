"""Four-letter words on the client port (spec 11): key lines only, not exact layout."""

import re

import harness
from harness import ServerTestCase, four_letter


class FourLetterWords(ServerTestCase):

    def word(self, cmd):
        return four_letter(self.server.port, cmd)

    def test_ruok(self):
        self.assertEqual(self.word("ruok"), "imok")

    def test_isro(self):
        self.assertEqual(self.word("isro"), "rw")

    def test_srvr(self):
        c = self.client()
        c.create(self.base)
        out = self.word("srvr")
        self.assertTrue(out.startswith("Zookeeper version: "), out)
        self.assertIn("Mode: standalone\n", out)
        m = re.search(r"^Node count: (\d+)$", out, re.M)
        self.assertTrue(m, out)
        self.assertGreaterEqual(int(m.group(1)), 5)
        self.assertRegex(out, r"(?m)^Zxid: 0x[0-9a-f]+$")
        self.assertRegex(out, r"(?m)^Connections: \d+$")
        self.assertRegex(out, r"(?m)^Latency min/avg/max: ")

    def test_stat_lists_clients(self):
        self.client()
        out = self.word("stat")
        self.assertTrue(out.startswith("Zookeeper version: "), out)
        self.assertIn("Clients:\n", out)
        self.assertRegex(out, r"/127\.0\.0\.1:\d+\[")
        self.assertIn("Mode: standalone\n", out)

    def test_mntr(self):
        c = self.client()
        c.create(self.base)
        c.create(self.base + "/e", ephemeral=True)
        c.get(self.base, watch=lambda e: None)
        out = self.word("mntr")
        kv = dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)
        for key in ("zk_version", "zk_server_state", "zk_avg_latency", "zk_max_latency",
                    "zk_min_latency", "zk_packets_received", "zk_packets_sent",
                    "zk_num_alive_connections", "zk_outstanding_requests", "zk_znode_count",
                    "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size"):
            self.assertIn(key, kv, out)
        self.assertEqual(kv["zk_server_state"], "standalone")
        self.assertGreaterEqual(int(kv["zk_znode_count"]), 6)
        self.assertGreaterEqual(int(kv["zk_ephemerals_count"]), 1)
        self.assertGreaterEqual(int(kv["zk_watch_count"]), 1)
        self.assertGreaterEqual(int(kv["zk_num_alive_connections"]), 1)

    def test_conf(self):
        out = self.word("conf")
        kv = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.assertEqual(kv.get("clientPort"), str(self.server.port), out)
        self.assertEqual(kv.get("tickTime"), str(self.server.tick_time))
        self.assertIn("dataDir", kv)
        self.assertIn("maxSessionTimeout", kv)
        self.assertIn("minSessionTimeout", kv)

    def test_cons_shows_session(self):
        c = self.client()
        out = self.word("cons")
        self.assertIn("sid=0x%x" % c.client_id[0], out)
        self.assertRegex(out, r"/127\.0\.0\.1:\d+\[")

    def test_wchs_wchc_wchp(self):
        c = self.client()
        c.create(self.base)
        c.get(self.base, watch=lambda e: None)
        out = self.word("wchs")
        self.assertRegex(out, r"\d+ connections watching \d+ paths\nTotal watches:\d+")
        self.assertIn(self.base, self.word("wchp"))
        self.assertIn("0x%x" % c.client_id[0], self.word("wchc"))

    def test_envi(self):
        out = self.word("envi")
        self.assertTrue(out.startswith("Environment:\n"), out)
        self.assertIn("zookeeper.version=", out)
        self.assertIn("host.name=", out)

    def test_dump_lists_ephemerals(self):
        c = self.client()
        c.create(self.base, ephemeral=True)
        out = self.word("dump")
        self.assertIn("SessionTracker dump:", out)
        self.assertIn("ephemeral nodes dump:", out)
        self.assertIn(self.base, out)
        self.assertIn("0x%x" % c.client_id[0], out)

    def test_dirs_crst_srst(self):
        self.assertIn("datadir_size:", self.word("dirs"))
        self.assertIn("reset", self.word("crst").lower())
        self.assertIn("reset", self.word("srst").lower())

    def test_word_is_only_recognised_first(self):
        r = self.raw()
        r.sendall(b"ruok")   # inside a session it is a 1.9 GB frame length
        self.assertTrue(r.expect_closed(5))
        self.assertEqual(self.word("ruok"), "imok")


if __name__ == "__main__":
    harness.main()
