"""ACLs over HTTP: GET and PUT /v1/acl/{path}, and the digest (HTTP Basic),
ip and super identities on every gateway operation. coordd only.
"""
import unittest

from kazoo.security import make_digest_acl, make_acl

import harness

if harness.IS_ZK:
    raise unittest.SkipTest("the REST gateway is coordd's")

from test_rest import Http, RestCase  # noqa: E402


def acl(scheme, ident, perms):
    return {"scheme": scheme, "id": ident, "perms": perms}


def digest_id(user, password):
    return make_digest_acl(user, password, all=True).id.id


class AclEndpoint(RestCase):

    def setUp(self):
        super().setUp()
        self.alice = Http(self.http_port, "alice", "apw")
        self.bob = Http(self.http_port, "bob", "bpw")
        self.root = Http(self.http_port, harness.SUPER_USER, harness.SUPER_PASSWORD)

    def aurl(self, path, q=""):
        return "/v1/acl" + path + (("?" + q) if q else "")

    def test_get_open_node(self):
        self.assertEqual(self.h.post(self.url("/open"))[0], 201)
        st, _, doc = self.h.get(self.aurl("/open"))
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["path"], "/open")
        self.assertEqual(doc["acl"], [acl("world", "anyone", "cdrwa")])
        self.assertEqual(doc["stat"]["aversion"], 0)
        # the root and a missing node
        self.assertEqual(self.h.get("/v1/acl")[0], 200)
        self.assertEqual(self.h.get("/v1/acl/")[0], 200)
        st, _, doc = self.h.get(self.aurl("/missing"))
        self.assertEqual((st, doc["name"]), (404, "NoNode"))

    def test_set_with_version_and_kazoo_sees_it(self):
        self.h.post(self.url("/cas"))
        new = [acl("digest", digest_id("alice", "apw"), "cdrwa"),
               acl("world", "anyone", "r")]
        st, _, doc = self.h.put(self.aurl("/cas", "version=3"), new)
        self.assertEqual((st, doc["name"]), (412, "BadVersion"))
        st, _, doc = self.h.put(self.aurl("/cas", "version=0"), new)
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["stat"]["aversion"], 1)
        acls, stat = self.client().get_acls("/cas")
        self.assertEqual(stat.aversion, 1)
        # a caller without ADMIN sees digests masked, as in ZooKeeper
        self.assertEqual({(a.id.scheme, a.id.id, a.perms) for a in acls},
                         {("digest", "alice:x", 31), ("world", "anyone", 1)})
        self.assertEqual(self.h.get(self.aurl("/cas"))[2]["acl"][0]["id"],
                         "alice:x")
        self.assertEqual(self.alice.get(self.aurl("/cas"))[2]["acl"],
                         [acl("digest", digest_id("alice", "apw"), "cdrwa"),
                          acl("world", "anyone", "r")])
        # the object form, version in the body; perms in any order
        st, _, doc = self.alice.put(self.aurl("/cas"), {
            "acl": [acl("world", "anyone", "awrdc")], "version": 1})
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.h.get(self.aurl("/cas"))[2]["acl"],
                         [acl("world", "anyone", "cdrwa")])

    def test_bad_bodies(self):
        self.h.post(self.url("/bad"))
        cases = [
            (b"[{", "MarshallingError"),
            ([acl("nosuch", "x", "r")], "InvalidACL"),
            ([{"scheme": "world", "id": "anyone", "perms": "rwz"}], "InvalidACL"),
            ([{"scheme": "world", "perms": "r"}], "InvalidACL"),
            ({"acl": "world:anyone"}, "InvalidACL"),
            ("3", "MarshallingError"),
            ({"acl": [acl("world", "anyone", "r")], "version": "x"},
             "BadArguments"),
            ([], "InvalidACL"),
            ([acl("digest", "nocolon", "r")], "InvalidACL"),
        ]
        for body, name in cases:
            st, _, doc = self.h.put(self.aurl("/bad"), body)
            self.assertEqual((st, doc["name"]), (400, name), body)
        st, _, doc = self.h.put(self.aurl("/bad", "version=x"),
                                [acl("world", "anyone", "r")])
        self.assertEqual((st, doc["name"]), (400, "BadArguments"))
        self.assertEqual(self.h.call("POST", self.aurl("/bad"), body="[]")[0], 405)
        self.assertEqual(self.h.delete(self.aurl("/bad"))[0], 405)
        self.assertEqual(self.h.get("/v1/acl/bad/")[0], 400)
        # unchanged through all that
        self.assertEqual(self.h.get(self.aurl("/bad"))[2]["stat"]["aversion"], 0)

    def test_digest_identity_from_basic(self):
        """A node only alice may touch: alice over Basic reads and changes
        its ACL; bob is 403, no credentials 401, on every operation."""
        self.alice.post(self.url("/d"), {
            "acl": [acl("digest", digest_id("alice", "apw"), "cdrwa")]})
        st, _, doc = self.alice.get(self.aurl("/d"))
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["acl"], [acl("digest", digest_id("alice", "apw"),
                                          "cdrwa")])
        for who, status in ((self.bob, 403), (self.h, 401)):
            self.assertEqual(who.get(self.aurl("/d"))[0], status)
            self.assertEqual(who.put(self.aurl("/d"),
                                     [acl("world", "anyone", "cdrwa")])[0], status)
            self.assertEqual(who.get(self.url("/d"))[0], status)
            self.assertEqual(who.put(self.url("/d"), {"data": "x"})[0], status)
            self.assertEqual(who.post(self.url("/d/c"))[0], status)
        self.assertEqual(self.alice.post(self.url("/d/c"))[0], 201)
        self.assertEqual(self.bob.delete(self.url("/d/c"))[0], 403)
        # admin only: alice can hand it to bob, then she is out
        st, _, _ = self.alice.put(self.aurl("/d"), [
            acl("digest", digest_id("bob", "bpw"), "cdrwa")])
        self.assertEqual(st, 200)
        self.assertEqual(self.alice.get(self.url("/d"))[0], 403)
        self.assertEqual(self.bob.get(self.url("/d"))[0], 200)
        # read without admin: data yes, ACL change no
        self.bob.put(self.aurl("/d"), [
            acl("digest", digest_id("bob", "bpw"), "r"),
            acl("digest", digest_id("alice", "apw"), "r")])
        self.assertEqual(self.alice.get(self.url("/d"))[0], 200)
        self.assertEqual(self.alice.put(self.aurl("/d"), [
            acl("world", "anyone", "cdrwa")])[0], 403)
        self.assertEqual(self.bob.put(self.aurl("/d"), [
            acl("world", "anyone", "cdrwa")])[0], 403)

    def test_ip_identity(self):
        """The peer address is an ip identity: 127.0.0.1 passes, a node for
        another address (or subnet) does not."""
        self.h.post(self.url("/ip"), {"acl": [acl("ip", "127.0.0.1", "cdrwa")]})
        self.assertEqual(self.h.get(self.url("/ip"))[0], 200)
        self.assertEqual(self.h.get(self.aurl("/ip"))[2]["acl"],
                         [acl("ip", "127.0.0.1", "cdrwa")])
        st, _, _ = self.h.put(self.aurl("/ip"), [acl("ip", "127.0.0.0/8", "cdrwa")])
        self.assertEqual(st, 200)
        self.assertEqual(self.h.get(self.url("/ip"))[0], 200)
        st, _, _ = self.h.put(self.aurl("/ip"), [acl("ip", "10.1.2.3", "cdrwa")])
        self.assertEqual(st, 200)
        self.assertEqual(self.h.get(self.url("/ip"))[0], 401)
        self.assertEqual(self.alice.get(self.url("/ip"))[0], 403)
        self.assertEqual(self.h.get(self.aurl("/ip"))[0], 401)
        self.assertEqual(self.h.put(self.aurl("/ip"), [
            acl("world", "anyone", "cdrwa")])[0], 401)
        self.assertEqual(self.root.get(self.url("/ip"))[0], 200)

    def test_super_passes_every_acl(self):
        self.client().create("/locked", b"v", acl=[make_acl("digest", digest_id("x", "y"),
                                                          all=True)])
        self.assertEqual(self.h.get(self.url("/locked"))[0], 401)
        self.assertEqual(self.alice.get(self.url("/locked"))[0], 403)
        st, _, doc = self.root.get(self.url("/locked"))
        self.assertEqual((st, doc["data"]), (200, "v"))
        self.assertEqual(self.root.get(self.aurl("/locked"))[0], 200)
        self.assertEqual(self.root.post(self.url("/locked/kid"))[0], 201)
        self.assertEqual(self.root.put(self.url("/locked"), {"data": "w"})[0], 200)
        st, _, doc = self.root.put(self.aurl("/locked", "version=0"), [
            acl("world", "anyone", "r")])
        self.assertEqual(st, 200, doc)
        self.assertEqual(self.h.get(self.url("/locked"))[0], 200)
        self.assertEqual(self.h.put(self.url("/locked"), {"data": "z"})[0], 401)
        self.assertEqual(self.root.delete(self.url("/locked", "recursive"))[0], 200)
        # wrong super password is just another digest
        self.assertEqual(Http(self.http_port, harness.SUPER_USER, "nope").get(
            self.aurl("/open-missing"))[0], 404)


if __name__ == "__main__":
    harness.main()
