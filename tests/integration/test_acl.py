"""ACLs and authentication: digest, auth scheme, ip, super, getACL masking (spec 10)."""

from kazoo.exceptions import AuthFailedError, InvalidACLError, NoAuthError
from kazoo.security import (CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_acl,
                            make_digest_acl, make_digest_acl_credential)

import harness
from harness import OP, W, ServerTestCase


def triples(acls):
    return sorted((a.perms, a.id.scheme, a.id.id) for a in acls)


class Acl(ServerTestCase):

    def test_digest_credential_matches_spec_vectors(self):
        self.assertEqual(make_digest_acl_credential("user", "password"),
                         "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")
        self.assertEqual(harness.digest("bob", "secret"), "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")

    def test_creator_all_acl_with_digest_auth(self):
        bob = self.client(auth_data=[("digest", "bob:secret")])
        bob.create(self.base, b"secret", acl=CREATOR_ALL_ACL)
        acl, _ = bob.get_acls(self.base)
        self.assertEqual(triples(acl), [(31, "digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")])
        anon = self.client()
        with self.assertRaises(NoAuthError):
            anon.get(self.base)
        with self.assertRaises(NoAuthError):
            anon.set(self.base, b"x")
        with self.assertRaises(NoAuthError):
            anon.get_children(self.base)
        with self.assertRaises(NoAuthError):
            anon.create(self.base + "/c")
        anon.add_auth("digest", "bob:secret")
        self.assertEqual(anon.get(self.base)[0], b"secret")
        anon.create(self.base + "/c", acl=CREATOR_ALL_ACL)

    def test_creator_all_acl_without_auth_is_invalid(self):
        c = self.client()
        with self.assertRaises(InvalidACLError):
            c.create(self.base, acl=CREATOR_ALL_ACL)

    def test_wrong_password_authenticates_but_gets_no_auth(self):
        owner = self.client(auth_data=[("digest", "bob:secret")])
        owner.create(self.base, acl=CREATOR_ALL_ACL)
        mallory = self.client(auth_data=[("digest", "bob:wrong")])
        with self.assertRaises(NoAuthError):
            mallory.get(self.base)

    def test_make_digest_acl_permissions(self):
        c = self.client()
        acl = [make_digest_acl("alice", "pw", read=True),
               make_digest_acl("admin", "pw", all=True)]
        c.create(self.base, b"d", acl=acl)
        alice = self.client(auth_data=[("digest", "alice:pw")])
        self.assertEqual(alice.get(self.base)[0], b"d")
        with self.assertRaises(NoAuthError):
            alice.set(self.base, b"x")
        with self.assertRaises(NoAuthError):
            alice.set_acls(self.base, OPEN_ACL_UNSAFE)
        admin = self.client(auth_data=[("digest", "admin:pw")])
        admin.set(self.base, b"e")
        admin.set_acls(self.base, OPEN_ACL_UNSAFE)
        self.assertEqual(c.get(self.base)[0], b"e")

    def test_create_and_delete_checked_on_parent(self):
        c = self.client()
        c.create(self.base, acl=[make_acl("world", "anyone", read=True, create=True)])
        c.create(self.base + "/kid", acl=OPEN_ACL_UNSAFE)
        with self.assertRaises(NoAuthError):
            c.delete(self.base + "/kid")
        c.create(self.base + "-d", acl=[make_acl("world", "anyone", read=True, delete=True)])
        with self.assertRaises(NoAuthError):
            c.create(self.base + "-d/kid")
        self.assertEqual(c.get_children(self.base), ["kid"])
        c.set(self.base + "/kid", b"child ACL is open")

    def test_get_acl_masks_digests_without_admin(self):
        c = self.client()
        bob_id = harness.digest("bob", "secret")
        c.create(self.base, acl=[make_acl("world", "anyone", read=True),
                                 make_acl("digest", bob_id, all=True)])
        acl, st = c.get_acls(self.base)
        self.assertEqual(triples(acl), [(1, "world", "anyone"), (31, "digest", "bob:x")])
        self.assertEqual(st.aversion, 0)
        bob = self.client(auth_data=[("digest", "bob:secret")])
        self.assertEqual(triples(bob.get_acls(self.base)[0]),
                         [(1, "world", "anyone"), (31, "digest", bob_id)])
        # neither READ nor ADMIN: no getACL at all
        c.create(self.base + "-hidden", acl=[make_acl("digest", bob_id, all=True)])
        with self.assertRaises(NoAuthError):
            c.get_acls(self.base + "-hidden")

    def test_ip_acl_for_loopback(self):
        c = self.client()
        c.create(self.base + "-lo", b"ok", acl=[make_acl("ip", "127.0.0.1", all=True)])
        c.create(self.base + "-net", b"ok", acl=[make_acl("ip", "127.0.0.0/8", read=True)])
        c.create(self.base + "-other", b"no", acl=[make_acl("ip", "10.1.2.3", all=True)])
        other = self.client()
        self.assertEqual(other.get(self.base + "-lo")[0], b"ok")
        other.set(self.base + "-lo", b"changed")
        self.assertEqual(other.get(self.base + "-net")[0], b"ok")
        with self.assertRaises(NoAuthError):
            other.set(self.base + "-net", b"x")
        with self.assertRaises(NoAuthError):
            other.get(self.base + "-other")

    def test_super_digest_bypasses_acls(self):
        bob = self.client(auth_data=[("digest", "bob:secret")])
        bob.create(self.base, b"mine", acl=CREATOR_ALL_ACL)
        bob.create(self.base + "/kid", acl=CREATOR_ALL_ACL)
        root = self.client(auth_data=[("digest", "%s:%s" % (harness.SUPER_USER,
                                                             harness.SUPER_PASSWORD))])
        self.assertEqual(root.get(self.base)[0], b"mine")
        root.set(self.base, b"root was here")
        self.assertEqual(triples(root.get_acls(self.base)[0]),
                         [(31, "digest", harness.digest("bob", "secret"))])
        root.delete(self.base + "/kid")
        root.set_acls(self.base, READ_ACL_UNSAFE)
        self.assertEqual(self.client().get(self.base)[0], b"root was here")

    def test_unknown_auth_scheme_fails_and_closes(self):
        r = self.raw()
        self.assertEqual(r.auth("nosuchscheme", b"x"), -115)
        self.assertTrue(r.expect_closed(5), "connection not closed after AuthFailed")
        c = self.client(start=False)
        c.start(timeout=15)
        self.assertRaises(AuthFailedError, c.add_auth, "nosuchscheme", "x")

    def test_ip_auth_packet_succeeds(self):
        r = self.raw()
        self.assertEqual(r.auth("ip", b"127.0.0.1"), 0)
        self.assertEqual(r.ping()[0], 0)

    def test_who_am_i(self):
        r = self.raw()
        self.assertEqual(r.auth("digest", b"bob:secret"), 0)
        err, _, rd = r.request(OP["whoAmI"])
        self.assertEqual(err, 0)
        n = rd.int()
        ids = sorted((rd.string(), rd.string()) for _ in range(n))
        self.assertEqual(ids, [("digest", "bob"), ("ip", "127.0.0.1")])

    def test_auth_is_per_connection_and_accumulates(self):
        r = self.raw()
        r.auth("digest", b"a:1")
        r.auth("digest", b"b:2")
        acl = [(31, "auth", "")]
        self.assertEqual(r.create(self.base, acl=acl)[0], 0)
        err, _, rd = r.request(OP["getACL"], W().string(self.base).bytes())
        self.assertEqual(err, 0)
        self.assertEqual(sorted(rd.acls()), sorted([(31, "digest", harness.digest("a", "1")),
                                                    (31, "digest", harness.digest("b", "2"))]))
        r2 = self.raw(session_id=r.session_id, passwd=r.passwd)
        self.assertEqual(r2.get_data(self.base)[0], -102, "auth leaked into a new connection")
        r2.auth("digest", b"b:2")
        self.assertEqual(r2.get_data(self.base)[0], 0)


if __name__ == "__main__":
    harness.main()
