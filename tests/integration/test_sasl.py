"""SASL (opcode 102): DIGEST-MD5 with the users of sasl.digest.users.

kazoo's sasl_options (pure-sasl) for the client's view; the same exchange by
hand over RawClient for what kazoo hides: the replies' zxid, whoAmI, the
connection closing after a failure, malformed and abandoned exchanges.
With COORD_TEST_SERVER=zookeeper the same users come from a JAAS file
(DigestLoginModule), so the shared cases check ZooKeeper's behaviour too.
"""

import hashlib
import os
import re
import socket
import unittest

from kazoo.exceptions import AuthFailedError, NoAuthError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.security import CREATOR_ALL_ACL, make_acl

import harness
from harness import OP, W, ServerTestCase

try:
    import puresasl.client
except ImportError:  # python3-pure-sasl
    puresasl = None

AUTH_FAILED = -115
USERS = {"bob": "s3cret", "carol": "c:ar ol", "super": "superpw"}


class SaslServer(harness.Server):
    """The server with USERS: sasl.digest.users for coordd, a JAAS Server
    section and the SASL provider for ZooKeeper."""

    def __init__(self, **kw):
        kw["extra_cfg"] = {"sasl.digest.users": ",".join(
            "%s:%s" % kv for kv in USERS.items())}
        super().__init__(**kw)
        self.jaas = os.path.join(self.dir, "jaas.conf")
        with open(self.jaas, "w") as f:
            f.write("Server {\n org.apache.zookeeper.server.auth.DigestLoginModule"
                    " required\n")
            f.write("".join(' user_%s="%s"\n' % kv for kv in USERS.items()))
            f.write(";\n};\n")

    def command(self):
        cmd = super().command()
        if self.kind == "zookeeper":
            cmd[1:1] = [
                "-Djava.security.auth.login.config=" + self.jaas,
                "-Dzookeeper.authProvider.sasl="
                "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"]
        return cmd


def sasl_options(user, password, mechanism="DIGEST-MD5"):
    return {"mechanism": mechanism, "username": user, "password": password}


def raw_sasl(raw, user, password, mechanism="DIGEST-MD5"):
    """Runs a SASL exchange over raw as kazoo does; returns (err, zxids)."""
    cli = puresasl.client.SASLClient("zk-sasl-md5", service="zookeeper",
                                     mechanism=mechanism, username=user,
                                     password=password)
    challenge, zxids = None, []
    while True:
        resp = cli.process(challenge)
        if cli.complete and not resp:
            return 0, zxids
        xid = raw.send(OP["sasl"], W().buffer(resp or b"").bytes())
        _, zxid, err, r = raw.read_reply(xid)
        zxids.append(zxid)
        if err:
            return err, zxids
        challenge = r.buffer()


def digest_md5_response(challenge, user, password, authzid):
    """RFC 2831 by hand: pure-sasl cannot send an authzid."""
    fields = dict(re.findall(rb'([a-z-]+)="?([^",]*)"?', challenge))
    realm, nonce = fields[b"realm"], fields[b"nonce"]
    cnonce, nc, uri = b"Y29vcmRjbm9uY2U", b"00000001", b"zookeeper/zk-sasl-md5"
    md5 = hashlib.md5
    ha1 = md5(md5(b"%s:%s:%s" % (user, realm, password)).digest()
              + b":%s:%s:%s" % (nonce, cnonce, authzid)).hexdigest().encode()
    ha2 = md5(b"AUTHENTICATE:" + uri).hexdigest().encode()
    resp = md5(b":".join([ha1, nonce, nc, cnonce, b"auth", ha2])).hexdigest()
    return (b'charset=utf-8,username="%s",realm="%s",nonce="%s",nc=%s,'
            b'cnonce="%s",digest-uri="%s",response=%s,qop=auth,authzid="%s"'
            % (user, realm, nonce, nc, cnonce, uri, resp.encode(), authzid))


def whoami(raw):
    err, _, r = raw.request(OP["whoAmI"])
    assert err == 0, err
    return sorted((r.string(), r.string()) for _ in range(r.int()))


@unittest.skipIf(puresasl is None, "python3-pure-sasl is not installed")
class Sasl(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = SaslServer()
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()

    def kazoo_sasl(self, user, password, mechanism="DIGEST-MD5"):
        return self.client(sasl_options=sasl_options(user, password, mechanism))

    def expect_kazoo_refused(self, user, password, mechanism="DIGEST-MD5"):
        """kazoo reports CONNECTED before its SASL exchange: the failure
        surfaces on start() if it loses the race, else on the next request."""
        c = self.client(start=False,
                        sasl_options=sasl_options(user, password, mechanism))
        with self.assertRaises((AuthFailedError, KazooTimeoutError)):
            c.start(timeout=15)
            c.exists("/")

    # --- kazoo ---------------------------------------------------------------

    def test_kazoo_digest_md5_reads_a_sasl_acl_node(self):
        bob = self.kazoo_sasl("bob", USERS["bob"])
        bob.create(self.base, b"for bob", acl=[make_acl("sasl", "bob", all=True)])
        self.assertEqual(bob.get(self.base)[0], b"for bob")
        acl, _ = bob.get_acls(self.base)
        self.assertEqual([(a.perms, a.id.scheme, a.id.id) for a in acl],
                         [(31, "sasl", "bob")])
        anon = self.client()
        with self.assertRaises(NoAuthError):
            anon.get(self.base)
        carol = self.kazoo_sasl("carol", USERS["carol"])
        with self.assertRaises(NoAuthError):
            carol.get(self.base)
        with self.assertRaises(NoAuthError):
            carol.set(self.base, b"x")

    def test_auth_scheme_takes_the_sasl_identity(self):
        bob = self.kazoo_sasl("bob", USERS["bob"])
        bob.create(self.base, acl=CREATOR_ALL_ACL)
        acl, _ = bob.get_acls(self.base)
        self.assertEqual([(a.perms, a.id.scheme, a.id.id) for a in acl],
                         [(31, "sasl", "bob")])

    def test_sasl_super_reads_every_sasl_node(self):
        bob = self.kazoo_sasl("bob", USERS["bob"])
        bob.create(self.base, b"x", acl=[make_acl("sasl", "bob", all=True)])
        sup = self.kazoo_sasl("super", USERS["super"])
        self.assertEqual(sup.get(self.base)[0], b"x")

    def test_kazoo_wrong_password_fails(self):
        self.expect_kazoo_refused("bob", "wrong")

    def test_kazoo_unknown_user_fails(self):
        self.expect_kazoo_refused("mallory", "s3cret")

    @unittest.skipIf(harness.IS_ZK, "ZooKeeper answers PLAIN's initial response "
                     "with its DIGEST-MD5 challenge; kazoo then carries on unauthenticated")
    def test_kazoo_mechanism_not_offered_fails(self):
        self.expect_kazoo_refused("bob", USERS["bob"], mechanism="PLAIN")
        self.expect_kazoo_refused("bob", USERS["bob"], mechanism="CRAM-MD5")

    def test_client_without_sasl_is_unaffected(self):
        anon = self.client()
        anon.create(self.base, b"open")
        self.assertEqual(anon.get(self.base)[0], b"open")
        raw = self.raw()
        self.assertEqual(whoami(raw), [("ip", "127.0.0.1")])
        self.assertEqual(raw.get_data(self.base)[0], 0)

    # --- by hand -------------------------------------------------------------

    def test_whoami_shows_the_sasl_user_and_replies_carry_zxid_0(self):
        raw = self.raw()
        err, zxids = raw_sasl(raw, "bob", USERS["bob"])
        self.assertEqual(err, 0)
        self.assertEqual(zxids, [0, 0])  # challenge, then rspauth (as ZooKeeper)
        self.assertEqual(whoami(raw), [("ip", "127.0.0.1"), ("sasl", "bob")])
        # one exchange per connection: a second one fails and closes
        self.assertEqual(raw_sasl(raw, "carol", USERS["carol"]),
                         (AUTH_FAILED, [0]))
        self.assertTrue(raw.expect_closed())

    def test_an_authorization_id_is_accepted_and_ignored(self):
        # as ZooKeeper's SaslServerCallbackHandler: the identity is the
        # authenticated user, whatever authzid the client names
        raw = self.raw()
        xid = raw.send(OP["sasl"], W().buffer(b"").bytes())
        _, _, err, r = raw.read_reply(xid)
        self.assertEqual(err, 0)
        resp = digest_md5_response(r.buffer(), b"bob", USERS["bob"].encode(),
                                   b"carol")
        err, _, r = raw.request(OP["sasl"], W().buffer(resp).bytes())
        self.assertEqual(err, 0)
        self.assertTrue(r.buffer().startswith(b"rspauth="))
        self.assertEqual(whoami(raw), [("ip", "127.0.0.1"), ("sasl", "bob")])
        # the same by hand with a wrong password fails: the helper is right
        raw = self.raw()
        xid = raw.send(OP["sasl"], W().buffer(b"").bytes())
        resp = digest_md5_response(raw.read_reply(xid)[3].buffer(), b"bob",
                                   b"wrong", b"carol")
        self.assertEqual(raw.request(OP["sasl"], W().buffer(resp).bytes())[0],
                         AUTH_FAILED)

    def test_wrong_password_answers_auth_failed_and_closes(self):
        raw = self.raw()
        err, zxids = raw_sasl(raw, "bob", "wrong")
        self.assertEqual((err, zxids[-1]), (AUTH_FAILED, 0))
        self.assertTrue(raw.expect_closed())

    def test_plain_fails(self):
        raw = self.raw()
        err, _ = raw_sasl(raw, "bob", USERS["bob"], mechanism="PLAIN")
        self.assertEqual(err, AUTH_FAILED)
        self.assertTrue(raw.expect_closed())

    @unittest.skipIf(harness.IS_ZK, "ZooKeeper ignores an initial response")
    def test_an_initial_response_is_refused_at_once(self):
        raw = self.raw()
        err, _, _ = raw.request(OP["sasl"], W().buffer(b"\0bob\0s3cret").bytes())
        self.assertEqual(err, AUTH_FAILED)
        self.assertTrue(raw.expect_closed())

    @unittest.skipIf(harness.IS_ZK, "coordd only: malformed records")
    def test_malformed_sasl_request_fails(self):
        for body in (b"", b"\x00\x00", b"\x00\x00\x00\x05abc",
                     W().buffer(b"").bytes() + b"extra"):
            raw = self.raw()
            err, _, _ = raw.request(OP["sasl"], body)
            self.assertEqual(err, AUTH_FAILED, body)
            self.assertTrue(raw.expect_closed())

    def test_garbage_response_to_the_challenge_fails(self):
        raw = self.raw()
        xid = raw.send(OP["sasl"], W().buffer(b"").bytes())
        _, _, err, r = raw.read_reply(xid)
        self.assertEqual(err, 0)
        self.assertIn(b"realm=\"zk-sasl-md5\"", r.buffer())
        err, _, _ = raw.request(OP["sasl"], W().buffer(b"\xff" * 5000).bytes())
        self.assertEqual(err, AUTH_FAILED)
        self.assertTrue(raw.expect_closed())

    def test_abandoned_exchanges_do_not_hurt(self):
        # more than the first sweep's threshold, each closed mid-exchange
        for _ in range(150):
            raw = harness.RawClient(self.server.port)
            try:
                raw.connect()
                xid = raw.send(OP["sasl"], W().buffer(b"").bytes())
                self.assertEqual(raw.read_reply(xid)[2], 0)
            finally:
                raw.sock.shutdown(socket.SHUT_RDWR)
                raw.close()
        raw = self.raw()
        self.assertEqual(raw_sasl(raw, "bob", USERS["bob"])[0], 0)
        self.assertEqual(whoami(raw), [("ip", "127.0.0.1"), ("sasl", "bob")])


@unittest.skipIf(harness.IS_ZK, "coordd only")
class SaslNotConfigured(ServerTestCase):

    def test_sasl_without_users_fails(self):
        raw = self.raw()
        err, _, _ = raw.request(OP["sasl"], W().buffer(b"").bytes())
        self.assertEqual(err, AUTH_FAILED)
        self.assertTrue(raw.expect_closed())


if __name__ == "__main__":
    unittest.main()
