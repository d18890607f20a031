"""Node types: ephemeral, sequential, ephemeral sequential, container, TTL (spec 6)."""

import time

from kazoo.exceptions import NoChildrenForEphemeralsError

import harness
from harness import ServerTestCase, wait_until

# Reaper interval is 500 ms in both servers (see harness); allow generous slack.
REAP_WAIT = 15.0


class NodeTypes(ServerTestCase):

    def test_ephemeral_is_owned_and_removed_with_session(self):
        a, b = self.client(), self.client()
        a.create(self.base, b"e", ephemeral=True)
        _, st = b.get(self.base)
        self.assertEqual(st.ephemeralOwner, a.client_id[0])
        a.stop()
        self.assertIsNone(b.exists(self.base))

    def test_ephemeral_cannot_have_children(self):
        c = self.client()
        c.create(self.base, ephemeral=True)
        with self.assertRaises(NoChildrenForEphemeralsError):
            c.create(self.base + "/x")
        with self.assertRaises(NoChildrenForEphemeralsError):
            c.create(self.base + "/s", sequence=True)

    def test_sequential_names_are_ten_digit_per_parent_counter(self):
        c = self.client()
        c.create(self.base)
        self.assertEqual(c.create(self.base + "/q-", sequence=True), self.base + "/q-0000000000")
        self.assertEqual(c.create(self.base + "/q-", sequence=True), self.base + "/q-0000000001")
        c.create(self.base + "/plain")  # plain creates advance the counter too
        self.assertEqual(c.create(self.base + "/r", sequence=True), self.base + "/r0000000003")
        c.delete(self.base + "/plain")  # deletes do not rewind it
        self.assertEqual(c.create(self.base + "/q-", sequence=True), self.base + "/q-0000000004")
        c.create(self.base + "/other")
        self.assertEqual(c.create(self.base + "/other/", sequence=True),
                         self.base + "/other/0000000000")

    def test_sequential_collision_is_node_exists(self):
        c = self.client()
        c.create(self.base)
        c.create(self.base + "/n0000000001")  # counter now 1: next suffix collides
        from kazoo.exceptions import NodeExistsError
        with self.assertRaises(NodeExistsError):
            c.create(self.base + "/n", sequence=True)
        # the failed create did not consume the counter
        self.assertEqual(c.create(self.base + "/m", sequence=True), self.base + "/m0000000001")

    def test_ephemeral_sequential(self):
        a, b = self.client(), self.client()
        a.create(self.base)
        p1 = a.create(self.base + "/es-", ephemeral=True, sequence=True)
        p2 = a.create(self.base + "/es-", ephemeral=True, sequence=True)
        self.assertEqual((p1, p2), (self.base + "/es-0000000000", self.base + "/es-0000000001"))
        self.assertEqual(b.get(p1)[1].ephemeralOwner, a.client_id[0])
        a.stop()
        self.assertEqual(b.get_children(self.base), [])

    def test_container_is_reaped_after_its_last_child_goes(self):
        r = self.raw()
        err, (path, st) = r.create_container(self.base)
        self.assertEqual((err, path), (0, self.base))
        self.assertEqual(st["ephemeralOwner"], 0)
        self.assertEqual(r.create(self.base + "/child"), (0, self.base + "/child"))
        self.assertEqual(r.create(self.base + "/child/grand"), (0, self.base + "/child/grand"))
        self.assertEqual(r.delete(self.base + "/child/grand"), 0)
        self.assertEqual(r.delete(self.base + "/child"), 0)
        c = self.client()
        gone = wait_until(lambda: c.exists(self.base) is None, REAP_WAIT)
        self.assertTrue(gone, "container not reaped within %.0fs" % REAP_WAIT)

    def test_container_never_used_and_with_children_stay(self):
        r = self.raw()
        self.assertEqual(r.create_container(self.base + "-empty")[0], 0)
        self.assertEqual(r.create_container(self.base + "-full")[0], 0)
        self.assertEqual(r.create(self.base + "-full/c")[0], 0)
        time.sleep(2.0)  # four reaper passes
        c = self.client()
        self.assertIsNotNone(c.exists(self.base + "-empty"))
        self.assertIsNotNone(c.exists(self.base + "-full"))
        self.assertEqual(c.exists(self.base + "-full").ephemeralOwner, 0)

    def test_container_may_have_children_and_ephemeral_children(self):
        r = self.raw()
        r.create_container(self.base)
        self.assertEqual(r.create(self.base + "/e", flags=1)[0], 0)
        self.assertEqual(r.create(self.base + "/s", flags=3)[0], 0)

    def test_ttl_node_expires_when_unmodified(self):
        r = self.raw()
        err, res = r.create_ttl(self.base, 500, b"t")
        self.assertEqual(err, 0)
        self.assertEqual(res[0], self.base)
        self.assertEqual(res[1]["ephemeralOwner"], 0)
        c = self.client()
        self.assertEqual(c.get(self.base)[0], b"t")
        gone = wait_until(lambda: c.exists(self.base) is None, REAP_WAIT)
        self.assertTrue(gone, "TTL node not reaped within %.0fs" % REAP_WAIT)

    def test_ttl_sequential_and_ttl_node_with_child_survives(self):
        r = self.raw()
        err, res = r.create_ttl(self.base + "-s", 100000, flags=6)
        self.assertEqual(err, 0)
        self.assertRegex(res[0], r"-s\d{10}$")
        err, _ = r.create_ttl(self.base, 300)
        self.assertEqual(err, 0)
        self.assertEqual(r.create(self.base + "/child")[0], 0)
        time.sleep(1.5)
        self.assertEqual(r.exists(self.base)[0], 0, "TTL node with a child was reaped")
        self.assertEqual(r.delete(self.base + "/child"), 0)
        c = self.client()
        gone = wait_until(lambda: c.exists(self.base) is None, REAP_WAIT)
        self.assertTrue(gone)

    def test_ttl_argument_checks(self):
        r = self.raw()
        self.assertEqual(r.create_ttl(self.base + "-0", 0)[0], -8)
        self.assertEqual(r.create_ttl(self.base + "-big", 1 << 40)[0], -8)
        self.assertEqual(r.create_ttl(self.base + "-max", (1 << 40) - 1)[0], 0)
        self.assertEqual(r.create_ttl(self.base + "-flag0", 1000, flags=0)[0], -8)
        # TTL flags through a plain create (no ttl field) are rejected
        self.assertEqual(r.create(self.base + "-f5", flags=5)[0], -8)
        self.assertEqual(r.create(self.base + "-f7", flags=7)[0], -8)
        self.assertEqual(r.exists(self.base + "-max")[0], 0)
        for p in ("-0", "-big", "-flag0", "-f5", "-f7"):
            self.assertEqual(r.exists(self.base + p)[0], -101)

    def test_ttl_node_can_have_children(self):
        r = self.raw()
        r.create_ttl(self.base, 100000)
        self.assertEqual(r.create(self.base + "/e", flags=1)[0], 0)


if __name__ == "__main__":
    harness.main()
