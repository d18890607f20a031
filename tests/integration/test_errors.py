"""Error codes and their precedence (spec 7.2 worked examples, 7.3 path rules)."""

from kazoo.exceptions import (BadArgumentsError, BadVersionError, InvalidACLError,
                              NoAuthError, NoChildrenForEphemeralsError, NoNodeError,
                              NodeExistsError, NotEmptyError)
from kazoo.security import make_digest_acl, make_acl

import harness
from harness import OP, W, ServerTestCase

NONODE, NOAUTH, BADVERSION, NOCHILDEPH, EXISTS, NOTEMPTY, INVALIDACL, BADARGS = \
    -101, -102, -103, -108, -110, -111, -114, -8


class Errors(ServerTestCase):

    def test_kazoo_exceptions_for_common_errors(self):
        c = self.client()
        with self.assertRaises(NoNodeError):
            c.get(self.base)
        with self.assertRaises(NoNodeError):
            c.set(self.base, b"x")
        with self.assertRaises(NoNodeError):
            c.delete(self.base)
        with self.assertRaises(NoNodeError):
            c.create(self.base + "/a/b")
        with self.assertRaises(NoNodeError):
            c.get_children(self.base)
        with self.assertRaises(NoNodeError):
            c.get_acls(self.base)
        self.assertIsNone(c.exists(self.base))
        c.create(self.base)
        with self.assertRaises(NodeExistsError):
            c.create(self.base)
        c.create(self.base + "/kid")
        with self.assertRaises(NotEmptyError):
            c.delete(self.base)
        with self.assertRaises(BadVersionError):
            c.set(self.base, b"", version=7)
        c.create(self.base + "/eph", ephemeral=True)
        with self.assertRaises(NoChildrenForEphemeralsError):
            c.create(self.base + "/eph/x")
        with self.assertRaises(InvalidACLError):
            c.create(self.base + "/bad", acl=[make_acl("world", "nobody", all=True)])
        # the connection is still fine after all those errors
        self.assertEqual(c.get(self.base)[0], b"")

    def test_worked_examples_of_spec_7_2(self):
        r = self.raw()
        # empty ACL wins over missing parent
        self.assertEqual(r.create("/missing-%s/x" % self.base[1:], acl=[])[0], INVALIDACL)
        self.assertEqual(r.create(self.base)[0], 0)
        # //: the parent "/p/" does not exist
        self.assertEqual(r.create(self.base + "//x")[0], NONODE)
        # trailing slash with the parent present: bad path
        self.assertEqual(r.create(self.base + "/")[0], BADARGS)
        # version is checked before children
        self.assertEqual(r.create(self.base + "/d")[0], 0)
        self.assertEqual(r.create(self.base + "/d/c")[0], 0)
        self.assertEqual(r.delete(self.base + "/d", version=5), BADVERSION)
        self.assertEqual(r.delete(self.base + "/d", version=0), NOTEMPTY)
        # create "/" exists; delete "/" bad args
        self.assertEqual(r.create("/")[0], EXISTS)
        self.assertEqual(r.delete("/"), BADARGS)
        # ephemeral parent: NodeExists beats NoChildrenForEphemerals
        self.assertEqual(r.create(self.base + "/e", flags=1)[0], 0)
        self.assertEqual(r.create(self.base + "/e/x")[0], NOCHILDEPH)
        self.assertEqual(r.create(self.base + "/e", flags=1)[0], EXISTS)

    def test_acl_checks_come_before_existence_and_version(self):
        owner = self.raw()
        self.assertEqual(owner.auth("digest", b"bob:secret"), 0)
        bob_all = [(31, "digest", harness.digest("bob", "secret")), (1, "world", "anyone")]
        self.assertEqual(owner.create(self.base, acl=bob_all)[0], 0)
        self.assertEqual(owner.create(self.base + "/n", acl=bob_all)[0], 0)
        other = self.raw()
        # delete under a parent without DELETE: NoAuth even for a missing child
        self.assertEqual(other.delete(self.base + "/nothere"), NOAUTH)
        # setData with a wrong version on a node without WRITE: NoAuth
        self.assertEqual(other.set_data(self.base + "/n", b"x", version=9)[0], NOAUTH)
        # create without CREATE on the parent: NoAuth, even if it would exist
        self.assertEqual(other.create(self.base + "/n")[0], NOAUTH)
        # reads are allowed by world READ
        self.assertEqual(other.get_data(self.base + "/n")[0], 0)
        # setACL needs ADMIN
        err, _, _ = other.request(OP["setACL"], W().string(self.base + "/n")
                                  .acls(harness.OPEN_ACL).int(-1).bytes())
        self.assertEqual(err, NOAUTH)

    def test_bad_paths_in_writes_are_bad_arguments(self):
        r = self.raw()
        r.create(self.base)
        bad = ["noslash", "", self.base + "/a/", self.base + "//b", self.base + "/.",
               self.base + "/..", self.base + "/./x", self.base + "/../x",
               self.base + "/a\x00b", self.base + "/a\x01b", self.base + "/a\x7fb",
               self.base + "/a\u0085b", self.base + "/\ue000", self.base + "/\U0001F600",
               self.base + "/\ufff5"]
        for p in bad:
            err, _ = r.create(p)
            # "/p//b" and "/p/./x"-style paths may fail on the missing parent first
            allowed = (BADARGS, NONODE) if p.count("/") > self.base.count("/") + 1 else (BADARGS,)
            self.assertIn(err, allowed, "create %r gave %d" % (p, err))
        self.assertEqual(r.create(self.base + "/ok...")[0], 0)
        self.assertEqual(r.create(self.base + "/.hidden")[0], 0)
        for p in [self.base + "/a/", self.base + "/.", self.base + "/\ue000"]:
            self.assertEqual(r.set_data(p, b"")[0], BADARGS, p)
        # reads do not validate: a malformed path is simply not found
        for p in [self.base + "/a/", self.base + "//x", self.base + "/."]:
            self.assertEqual(r.get_data(p)[0], NONODE, p)
            self.assertEqual(r.get_children(p)[0], NONODE, p)
        # exists rejects NUL
        self.assertEqual(r.exists(self.base + "/a\x00b")[0], BADARGS)
        # connection still usable
        self.assertEqual(r.exists(self.base)[0], 0)

    def test_bad_flags_are_bad_arguments(self):
        r = self.raw()
        for flags in (7, 8, -1, 100):
            self.assertEqual(r.create(self.base, flags=flags)[0], BADARGS, flags)
        self.assertEqual(r.exists(self.base)[0], NONODE)

    def test_invalid_acls(self):
        r = self.raw()
        cases = [
            [],
            [(31, "foo", "bar")],
            [(31, "digest", "nocolon")],
            [(31, "digest", "user:")],
            [(31, "ip", "notanip")],
            [(31, "super", "")],
            [(31, "world", "nobody")],
            [(31, "auth", "")],          # no authenticated identity on this connection
            [(31, "auth", None)],
            [(31, None, "anyone")],
        ]
        for acl in cases:
            self.assertEqual(r.create(self.base, acl=acl)[0], INVALIDACL, acl)
        self.assertEqual(r.exists(self.base)[0], NONODE)
        # the same checks apply to setACL
        r.create(self.base)
        err, _, _ = r.request(OP["setACL"], W().string(self.base).acls([]).int(-1).bytes())
        self.assertEqual(err, INVALIDACL)
        err, _, _ = r.request(OP["setACL"], W().string(self.base + "-none").acls([]).int(-1).bytes())
        self.assertEqual(err, INVALIDACL, "ACL validity is checked before existence")

    def test_valid_unusual_acls_are_accepted(self):
        r = self.raw()
        ok = [
            [(0, "world", "anyone")],            # perms 0: accepted, grants nothing
            [(31, "ip", "127.0.0.1")],
            [(31, "ip", "10.0.0.0/8")],
            [(31, "digest", harness.digest("u", "p"))],
            [(31, "world", "anyone"), (31, "world", "anyone")],   # duplicate removed
        ]
        for i, acl in enumerate(ok):
            self.assertEqual(r.create("%s-%d" % (self.base, i), acl=acl)[0], 0, acl)
        err, _, rd = r.request(OP["getACL"], W().string(self.base + "-4").bytes())
        self.assertEqual(err, 0)
        self.assertEqual(rd.acls(), [(31, "world", "anyone")])
        self.assertEqual(r.get_data(self.base + "-0")[0], NOAUTH)

    def test_kazoo_bad_arguments_for_system_node_delete(self):
        c = self.client()
        with self.assertRaises(BadArgumentsError):
            c.delete("/zookeeper/quota")
        with self.assertRaises(NoAuthError):
            c.set("/zookeeper/config", b"x")  # world READ only


if __name__ == "__main__":
    harness.main()
