"""CRUD through kazoo and raw frames, with the Stat rules of spec section 5."""

import unittest

from kazoo.exceptions import BadArgumentsError, BadVersionError, NoNodeError
from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_acl

import harness
from harness import OP, W, ServerTestCase


class InitialTree(ServerTestCase):
    """A fresh server: the tree of spec 5.5, before anything else touches it."""

    def test_fresh_tree_has_system_nodes_with_their_stats(self):
        c = self.client()
        self.assertEqual(c.get_children("/"), ["zookeeper"])
        _, root = c.get("/")
        self.assertEqual(root.cversion, -1)
        self.assertEqual(root.numChildren, 1)
        self.assertEqual((root.czxid, root.mzxid, root.version, root.aversion,
                          root.ephemeralOwner, root.dataLength), (0, 0, 0, 0, 0, 0))
        self.assertEqual(sorted(c.get_children("/zookeeper")), ["config", "quota"])
        data, zk = c.get("/zookeeper")
        self.assertEqual(data, b"")
        self.assertEqual(zk.cversion, -2)
        self.assertEqual(zk.numChildren, 2)
        data, quota = c.get("/zookeeper/quota")
        self.assertEqual(data, b"")
        self.assertEqual((quota.version, quota.cversion, quota.aversion, quota.numChildren),
                         (0, 0, 0, 0))
        data, config = c.get("/zookeeper/config")
        self.assertEqual(data, b"")
        self.assertEqual(config.aversion, -1)
        acl, _ = c.get_acls("/zookeeper/config")
        self.assertEqual([(a.perms, a.id.scheme, a.id.id) for a in acl], [(1, "world", "anyone")])
        acl, _ = c.get_acls("/")
        self.assertEqual([(a.perms, a.id.scheme, a.id.id) for a in acl], [(31, "world", "anyone")])

    def test_system_nodes_cannot_be_deleted(self):
        c = self.client()
        for p in ("/zookeeper/config", "/zookeeper/quota", "/zookeeper", "/"):
            with self.assertRaises(BadArgumentsError, msg=p):
                c.delete(p)
        self.assertTrue(c.exists("/zookeeper/config"))


class Crud(ServerTestCase):

    def test_create_sets_initial_stat(self):
        c = self.client()
        path, st = c.create(self.base, b"hello", include_data=True)
        self.assertEqual(path, self.base)
        self.assertEqual(st.czxid, st.mzxid)
        self.assertEqual(st.czxid, st.pzxid)
        self.assertGreater(st.czxid, 0)
        self.assertEqual(st.ctime, st.mtime)
        self.assertEqual((st.version, st.cversion, st.aversion), (0, 0, 0))
        self.assertEqual(st.ephemeralOwner, 0)
        self.assertEqual(st.dataLength, 5)
        self.assertEqual(st.numChildren, 0)
        data, st2 = c.get(self.base)
        self.assertEqual(data, b"hello")
        self.assertEqual(st2, st)

    def test_set_data_bumps_version_and_mzxid_only(self):
        c = self.client()
        _, st0 = c.create(self.base, b"a", include_data=True)
        st1 = c.set(self.base, b"bbb")
        self.assertEqual(st1.version, 1)
        self.assertGreater(st1.mzxid, st0.mzxid)
        self.assertEqual(st1.czxid, st0.czxid)
        self.assertEqual(st1.pzxid, st0.pzxid)
        self.assertEqual(st1.ctime, st0.ctime)
        self.assertGreaterEqual(st1.mtime, st0.mtime)
        self.assertEqual(st1.dataLength, 3)
        st2 = c.set(self.base, b"bbb", version=1)
        self.assertEqual(st2.version, 2)
        with self.assertRaises(BadVersionError):
            c.set(self.base, b"x", version=1)
        self.assertEqual(c.get(self.base)[0], b"bbb")

    def test_set_acl_bumps_aversion_not_mzxid(self):
        c = self.client()
        _, st0 = c.create(self.base, b"a", include_data=True)
        st1 = c.set_acls(self.base, READ_ACL_UNSAFE + [make_acl("world", "anyone", all=True)])
        self.assertEqual(st1.aversion, 1)
        self.assertEqual(st1.version, 0)
        self.assertEqual(st1.mzxid, st0.mzxid)
        self.assertEqual(st1.mtime, st0.mtime)
        with self.assertRaises(BadVersionError):
            c.set_acls(self.base, OPEN_ACL_UNSAFE, version=0)
        st2 = c.set_acls(self.base, OPEN_ACL_UNSAFE, version=1)
        self.assertEqual(st2.aversion, 2)

    def test_cversion_counts_creates_and_deletes(self):
        c = self.client()
        c.create(self.base)
        _, sa = c.create(self.base + "/a", include_data=True)
        seq, ss = c.create(self.base + "/s-", sequence=True, include_data=True)
        self.assertEqual(seq, self.base + "/s-0000000001")
        _, st = c.get(self.base)
        self.assertEqual(st.cversion, 2)
        self.assertEqual(st.numChildren, 2)
        self.assertEqual(st.pzxid, ss.czxid)
        self.assertEqual(st.mzxid, st.czxid, "child changes must not touch mzxid")
        self.assertEqual(st.version, 0)
        c.delete(self.base + "/a")
        _, st2 = c.get(self.base)
        self.assertEqual(st2.cversion, 3)
        self.assertEqual(st2.numChildren, 1)
        self.assertGreater(st2.pzxid, st.pzxid)
        seq2 = c.create(self.base + "/s-", sequence=True)
        self.assertEqual(seq2, self.base + "/s-0000000002")

    def test_delete_with_version(self):
        c = self.client()
        c.create(self.base, b"x")
        c.set(self.base, b"y")
        with self.assertRaises(BadVersionError):
            c.delete(self.base, version=0)
        c.delete(self.base, version=1)
        self.assertIsNone(c.exists(self.base))
        with self.assertRaises(NoNodeError):
            c.delete(self.base)

    def test_null_and_empty_data_are_distinct(self):
        r = self.raw()
        self.assertEqual(r.create(self.base + "-null", None), (0, self.base + "-null"))
        self.assertEqual(r.create(self.base + "-empty", b""), (0, self.base + "-empty"))
        err, (data, st) = r.get_data(self.base + "-null")
        self.assertEqual(err, 0)
        self.assertIsNone(data)
        self.assertEqual(st["dataLength"], 0)
        err, (data, st) = r.get_data(self.base + "-empty")
        self.assertEqual(data, b"")
        self.assertEqual(st["dataLength"], 0)
        c = self.client()
        self.assertIsNone(c.get(self.base + "-null")[0])
        self.assertEqual(c.get(self.base + "-empty")[0], b"")
        # setData with null data keeps it null
        err, _ = r.set_data(self.base + "-empty", None)
        self.assertEqual(err, 0)
        self.assertIsNone(r.get_data(self.base + "-empty")[1][0])

    def test_binary_and_large_data_round_trip(self):
        c = self.client()
        blob = bytes(range(256)) * 4
        c.create(self.base, blob)
        self.assertEqual(c.get(self.base)[0], blob)
        big = b"\xab" * 1000000
        st = c.set(self.base, big)
        self.assertEqual(st.dataLength, len(big))
        self.assertEqual(c.get(self.base)[0], big)

    def test_get_children_returns_names_and_children2_stat(self):
        c = self.client()
        c.create(self.base)
        names = ["x%d" % i for i in range(20)] + ["...", ".a", "n\u00e9"]
        for n in names:
            c.create(self.base + "/" + n)
        self.assertEqual(sorted(c.get_children(self.base)), sorted(names))
        children, st = c.get_children(self.base, include_data=True)
        self.assertEqual(sorted(children), sorted(names))
        self.assertEqual(st.numChildren, len(names))
        self.assertEqual(st.cversion, len(names))

    def test_makepath_and_ensure_path(self):
        c = self.client()
        c.create(self.base + "/a/b/c", b"leaf", makepath=True)
        self.assertEqual(c.get(self.base + "/a/b/c")[0], b"leaf")
        c.ensure_path(self.base + "/a/b/d")
        self.assertEqual(sorted(c.get_children(self.base + "/a/b")), ["c", "d"])

    def test_sync_returns_path_and_reads_follow(self):
        c = self.client()
        c.create(self.base, b"1")
        self.assertEqual(c.sync(self.base), self.base)
        self.assertEqual(c.sync(self.base + "/does/not/exist"), self.base + "/does/not/exist")
        self.assertEqual(c.get(self.base)[0], b"1")

    def test_zxids_increase_and_reply_zxid_non_decreasing(self):
        r = self.raw()
        last = 0
        for i in range(10):
            xid = r.send(OP["create"], harness.create_body("%s-%d" % (self.base, i)))
            _, zxid, err, _ = r.read_reply(xid)
            self.assertEqual(err, 0)
            self.assertGreater(zxid, last)
            last = zxid
            err, pz = r.ping()
            self.assertEqual(err, 0)
            self.assertGreaterEqual(pz, last)
        err, (_, st) = r.get_data("%s-9" % self.base)
        self.assertEqual(st["czxid"], last)

    def test_second_client_sees_writes(self):
        a, b = self.client(), self.client()
        a.create(self.base, b"v1")
        b.sync(self.base)
        self.assertEqual(b.get(self.base)[0], b"v1")
        b.set(self.base, b"v2")
        a.sync(self.base)
        self.assertEqual(a.get(self.base)[0], b"v2")

    def test_create2_reply_has_stat(self):
        r = self.raw()
        err, _, rd = r.request(OP["create2"], harness.create_body(self.base, b"abc"))
        self.assertEqual(err, 0)
        self.assertEqual(rd.string(), self.base)
        st = rd.stat()
        self.assertEqual(st["dataLength"], 3)
        self.assertEqual(st["czxid"], st["pzxid"])

    def test_get_all_children_number_and_ephemerals(self):
        r = self.raw()
        r.create(self.base)
        r.create(self.base + "/a")
        r.create(self.base + "/a/b")
        r.create(self.base + "/e", flags=1)
        err, _, rd = r.request(OP["getAllChildrenNumber"], W().string(self.base).bytes())
        self.assertEqual(err, 0)
        self.assertEqual(rd.int(), 3)
        err, _, rd = r.request(OP["getEphemerals"], W().string(self.base).bytes())
        self.assertEqual(err, 0)
        self.assertEqual(rd.strings(), [self.base + "/e"])


if __name__ == "__main__":
    harness.main()
