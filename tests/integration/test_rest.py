"""The REST/JSON gateway on httpPort: znodes, sessions, multi, watches, ACLs, admin."""

import base64
import http.client
import json
import os
import socket
import threading
import time
import unittest

from kazoo.protocol.states import EventType
from kazoo.security import make_digest_acl

import harness
from harness import HOST, ServerTestCase, wait_until

if harness.IS_ZK:
    raise unittest.SkipTest("the REST gateway is coordd's")


class Http:
    """A tiny JSON client over http.client (a new connection per call)."""

    def __init__(self, port, user=None, password=None):
        self.port = port
        self.auth = None
        if user is not None:
            tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            self.auth = "Basic " + tok

    def call(self, method, url, body=None, headers=None, raw=False):
        c = http.client.HTTPConnection(HOST, self.port, timeout=20)
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        c.request(method, url, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        if raw:
            return r.status, dict(r.getheaders()), data
        doc = json.loads(data) if data and r.getheader("Content-Type", "").startswith(
            "application/json") else data
        return r.status, dict(r.getheaders()), doc

    def get(self, url, **kw):
        return self.call("GET", url, **kw)

    def post(self, url, body=None, **kw):
        return self.call("POST", url, body if body is not None else {}, **kw)

    def put(self, url, body=None, **kw):
        return self.call("PUT", url, body if body is not None else {}, **kw)

    def delete(self, url, **kw):
        return self.call("DELETE", url, **kw)


class SSE:
    """Reads a Server-Sent Events stream on a raw socket."""

    def __init__(self, port, url, last_id=None):
        self.s = socket.create_connection((HOST, port), timeout=10)
        extra = "Last-Event-ID: %s\r\n" % last_id if last_id is not None else ""
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n%s\r\n"
                        % (url, extra)).encode())
        self.buf = b""
        self.head = self._until(b"\r\n\r\n")
        self.chunked = b"chunked" in self.head.lower()
        self.text = ""

    def _until(self, sep):
        while sep not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        i = self.buf.index(sep)
        out, self.buf = self.buf[:i], self.buf[i + len(sep):]
        return out

    def _more(self):
        if self.chunked:
            n = int(self._until(b"\r\n").split(b";")[0], 16)
            while len(self.buf) < n + 2:
                d = self.s.recv(65536)
                if not d:
                    raise EOFError
                self.buf += d
            chunk, self.buf = self.buf[:n], self.buf[n + 2:]
            if n == 0:
                raise EOFError
            self.text += chunk.decode()
        else:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.text += d.decode()

    def event(self, timeout=10):
        """Next event as a dict {id, event, data}; comments are skipped."""
        self.s.settimeout(timeout)
        while True:
            while "\n\n" not in self.text:
                self._more()
            block, self.text = self.text.split("\n\n", 1)
            ev = {}
            for line in block.split("\n"):
                if line.startswith(":") or not line:
                    continue
                k, _, v = line.partition(": ")
                ev[k] = v
            if ev:
                if "data" in ev:
                    ev["data"] = json.loads(ev["data"])
                return ev

    def close(self):
        self.s.close()


class RestCase(ServerTestCase):
    extra_cfg = {}

    @classmethod
    def setUpClass(cls):
        cls.http_port = harness.free_port()
        cls.server_options = dict(extra_cfg=dict(cls.extra_cfg, httpPort=cls.http_port),
                                  min_session_timeout=1000)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.h = Http(self.http_port)

    def url(self, path, q=""):
        return "/v1/znodes" + path + (("?" + q) if q else "")


class Znodes(RestCase):

    def test_crud_round_trip(self):
        st, hd, doc = self.h.post(self.url(self.base), {"data": "hello"})
        self.assertEqual(st, 201, doc)
        self.assertEqual(hd["Location"], self.url(self.base))
        self.assertEqual(doc["path"], self.base)
        st, _, doc = self.h.get(self.url(self.base))
        self.assertEqual(st, 200)
        self.assertEqual((doc["data"], doc["encoding"]), ("hello", "utf8"))
        self.assertEqual(doc["stat"]["version"], 0)
        st, _, doc = self.h.put(self.url(self.base, "version=0"), {"data": "v1"})
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["stat"]["version"], 1)
        st, _, doc = self.h.put(self.url(self.base, "version=0"), {"data": "v2"})
        self.assertEqual((st, doc["code"], doc["name"]), (412, -103, "BadVersion"))
        st, _, doc = self.h.put(self.url(self.base), {"data": "v2"})
        self.assertEqual(st, 200)
        # a TCP client sees what HTTP wrote
        k = self.client()
        self.assertEqual(k.get(self.base)[0], b"v2")
        st, _, doc = self.h.delete(self.url(self.base, "version=5"))
        self.assertEqual(st, 412)
        st, _, doc = self.h.delete(self.url(self.base, "version=2"))
        self.assertEqual(st, 200, doc)
        self.assertIsNone(k.exists(self.base))
        st, _, doc = self.h.get(self.url(self.base))
        self.assertEqual((st, doc["code"], doc["name"]), (404, -101, "NoNode"))

    def test_head_stat_children_and_root(self):
        self.h.post(self.url(self.base))
        for c in ("b", "a", "c"):
            self.h.post(self.url(self.base + "/" + c))
        st, hd, body = self.h.call("HEAD", self.url(self.base), raw=True)
        self.assertEqual((st, body), (200, b""))
        st, _, _ = self.h.call("HEAD", self.url(self.base + "/zz"), raw=True)
        self.assertEqual(st, 404)
        st, _, doc = self.h.get(self.url(self.base, "stat"))
        self.assertEqual(doc["stat"]["numChildren"], 3)
        self.assertNotIn("data", doc)
        st, _, doc = self.h.get(self.url(self.base, "children"))
        self.assertEqual(doc["children"], ["a", "b", "c"])
        for root in ("/v1/znodes", "/v1/znodes/"):
            st, _, doc = self.h.get(root + "?children")
            self.assertEqual(st, 200)
            self.assertIn("zookeeper", doc["children"])

    def test_recursive_listing_with_limit(self):
        k = self.client()
        for p in ("/a/x", "/a/y", "/b"):
            k.create(self.base + p, makepath=True)
        st, _, doc = self.h.get(self.url(self.base, "recursive"))
        self.assertEqual(st, 200)
        paths = sorted(n["path"] for n in doc["nodes"])
        self.assertEqual(paths, sorted(self.base + p for p in ("", "/a", "/a/x", "/a/y", "/b")))
        self.assertFalse(doc["truncated"])
        st, _, doc = self.h.get(self.url(self.base, "recursive&limit=2"))
        self.assertEqual(len(doc["nodes"]), 2)
        self.assertTrue(doc["truncated"])
        st, _, doc = self.h.get(self.url(self.base, "recursive&limit=0"))
        self.assertEqual(st, 400)

    def test_encodings(self):
        raw = bytes([0, 1, 0xff, 0xfe])
        k = self.client()
        k.create(self.base, raw)
        st, _, doc = self.h.get(self.url(self.base))
        self.assertEqual(doc["encoding"], "base64")
        self.assertEqual(base64.b64decode(doc["data"]), raw)
        st, _, doc = self.h.get(self.url(self.base, "encoding=utf8"))
        self.assertEqual(st, 400)
        self.h.put(self.url(self.base), {"data": "aGk=", "encoding": "base64"})
        self.assertEqual(k.get(self.base)[0], b"hi")
        st, _, doc = self.h.get(self.url(self.base, "encoding=base64"))
        self.assertEqual((doc["data"], doc["encoding"]), ("aGk=", "base64"))
        st, _, doc = self.h.put(self.url(self.base), {"data": "a*b", "encoding": "base64"})
        self.assertEqual(st, 400)
        st, _, doc = self.h.call("PUT", self.url(self.base), body=b"\x00raw",
                                 headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 200)
        self.assertEqual(k.get(self.base)[0], b"\x00raw")
        self.h.put(self.url(self.base), {"data": None})
        st, _, doc = self.h.get(self.url(self.base))
        self.assertIsNone(doc["data"])
        self.h.put(self.url(self.base), {"data": "h\u00e9llo \u2603"})
        self.assertEqual(k.get(self.base)[0], "h\u00e9llo \u2603".encode())

    def test_create_modes(self):
        self.h.post(self.url(self.base))
        st, hd, doc = self.h.post(self.url(self.base + "/s-"), {"sequential": True})
        self.assertEqual(st, 201)
        self.assertEqual(doc["path"], self.base + "/s-0000000000")
        self.assertEqual(hd["Location"], self.url(self.base + "/s-0000000000"))
        st, _, doc = self.h.post(self.url(self.base + "/c"), {"container": True})
        self.assertEqual(st, 201, doc)
        st, _, doc = self.h.post(self.url(self.base + "/t"), {"ttl": 60000})
        self.assertEqual(st, 201, doc)
        st, _, doc = self.h.post(self.url(self.base + "/bad"), {"container": True,
                                                               "sequential": True})
        self.assertEqual(st, 400)
        st, _, doc = self.h.post(self.url(self.base + "/bad"), {"ttl": "x"})
        self.assertEqual(st, 400)
        st, _, doc = self.h.post(self.url(self.base))
        self.assertEqual((st, doc["code"], doc["name"]), (409, -110, "NodeExists"))
        st, _, doc = self.h.post(self.url(self.base + "/no/parent"))
        self.assertEqual((st, doc["code"]), (404, -101))
        st, _, doc = self.h.delete(self.url(self.base))
        self.assertEqual((st, doc["code"], doc["name"]), (409, -111, "NotEmpty"))
        st, _, doc = self.h.delete(self.url(self.base, "recursive"))
        self.assertEqual(st, 200, doc)
        self.assertEqual(doc["deleted"], 4)
        self.assertIsNone(self.client().exists(self.base))

    def test_nul_bytes_round_trip_as_utf8(self):
        """Data with NUL bytes is valid UTF-8: GET gives it as \\u0000 and
        the same JSON is accepted back."""
        self.assertEqual(self.h.post(self.url("/nul"), {"data": "a\u0000b"})[0], 201)
        st, _, doc = self.h.get(self.url("/nul"))
        self.assertEqual((st, doc["data"], doc["encoding"]), (200, "a\u0000b", "utf8"))
        self.assertEqual(self.h.put(self.url("/nul"), {"data": doc["data"] + "\u0000"})[0],
                         200)
        k = self.client()
        self.assertEqual(k.get("/nul")[0], b"a\x00b\x00")
        st, _, doc = self.h.post(self.url("/nul2"), {
            "acl": [{"scheme": "world", "id": "anyone", "perms": "r\u0000w"}]})
        self.assertEqual((st, doc["name"]), (400, "InvalidACL"))

    def test_bad_inputs(self):
        for body in ('{"data":', "[1,2]", "\x00\xff", '{"data": 5}', '{"acl": "x"}',
                     '{"acl": [{"perms": 99, "scheme": "world", "id": "anyone"}]}',
                     '{"ephemeral": "yes"}', '{"data": "x", "encoding": "rot13"}',
                     "9" * 5000, "[" * 100000):
            st, _, doc = self.h.call("POST", self.url(self.base), body=body)
            self.assertEqual(st, 400, (body[:40], doc))
            self.assertIn(doc["code"], (-5, -8, -114))
        for p in ("/v1/znodes//x", "/v1/znodes/a/", "/v1/znodes/a/../b", "/v1/znodes/a/./b"):
            st, _, doc = self.h.get(p)
            self.assertEqual(st, 400, p)
            self.assertEqual(doc["name"], "BadArguments")
        st, _, doc = self.h.post("/v1/znodes/zookeeper/x/../y")
        self.assertEqual(st, 400)
        st, _, doc = self.h.get(self.url("/x", "version=abc"))
        st, _, doc = self.h.put(self.url("/x", "version=abc"))
        self.assertEqual(st, 400)
        st, _, doc = self.h.get("/v1/nothing")
        self.assertEqual(st, 404)
        st, _, doc = self.h.call("PATCH", self.url("/x"))
        self.assertEqual(st, 405)
        st, _, doc = self.h.call("POST", "/v1/watch")
        self.assertEqual(st, 405)
        # unknown fields are tolerated
        st, _, doc = self.h.post(self.url(self.base), {"data": "d", "colour": "blue"})
        self.assertEqual(st, 201)

    def test_huge_body_is_413_and_server_lives(self):
        # refused from the headers alone, before the body is sent
        s = socket.create_connection((HOST, self.http_port), timeout=10)
        s.sendall(b"POST /v1/znodes/big HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 2097152\r\n\r\n")
        head = s.recv(4096)
        s.close()
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
        # chunked, without Content-Length
        c = http.client.HTTPConnection(HOST, self.http_port, timeout=20)

        def gen():
            for _ in range(40):
                yield b"y" * 65536
        try:
            c.request("POST", self.url(self.base), body=gen(), encode_chunked=True,
                      headers={"Transfer-Encoding": "chunked"})
            r = c.getresponse()
            self.assertEqual(r.status, 413)
        except (ConnectionError, BrokenPipeError):
            pass
        c.close()
        st, _, _ = self.h.get(self.url("/"))
        self.assertEqual(st, 200)

    def test_slow_and_garbage_clients_do_not_stall(self):
        slow = socket.create_connection((HOST, self.http_port))
        slow.sendall(b"GET /v1/znodes/ HTTP/1.1\r\nHost: x\r\n")  # never finished
        junk = socket.create_connection((HOST, self.http_port))
        junk.sendall(b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        st, _, _ = self.h.get(self.url("/"))
        self.assertEqual(st, 200)
        slow.close()
        junk.close()
        self.assertEqual(self.client().get("/")[1].czxid, 0)


class Sessions(RestCase):

    def test_session_lifecycle_and_ephemerals(self):
        st, hd, doc = self.h.post("/v1/sessions", {"timeout": 5000})
        self.assertEqual(st, 201, doc)
        cred, sid = doc["session"], int(doc["id"], 16)
        self.assertEqual(doc["timeout"], 5000)
        self.assertEqual(len(cred), 16 + 1 + 32)
        st, _, doc = self.h.post(self.url(self.base), {"ephemeral": True, "session": cred})
        self.assertEqual(st, 201, doc)
        self.assertEqual(doc["stat"]["ephemeralOwner"], sid)
        st, _, doc = self.h.put("/v1/sessions/" + cred)
        self.assertEqual(st, 200)
        st, _, doc = self.h.delete("/v1/sessions/" + cred)
        self.assertEqual(st, 200)
        self.assertIsNone(self.client().exists(self.base))
        st, _, doc = self.h.put("/v1/sessions/" + cred)
        self.assertEqual((st, doc["code"]), (410, -112))

    def test_ephemeral_needs_valid_session(self):
        st, _, doc = self.h.post(self.url(self.base), {"ephemeral": True})
        self.assertEqual((st, doc["code"]), (400, -8))
        st, _, doc = self.h.post("/v1/sessions", {"timeout": 5000})
        cred = doc["session"]
        forged = cred[:17] + ("0" if cred[17] != "0" else "1") + cred[18:]
        st, _, doc = self.h.post(self.url(self.base), {"ephemeral": True, "session": forged})
        self.assertEqual((st, doc["code"]), (410, -112))
        st, _, doc = self.h.put("/v1/sessions/" + forged)
        self.assertEqual(st, 410)
        st, _, doc = self.h.put("/v1/sessions/nonsense")
        self.assertEqual(st, 410)
        st, _, doc = self.h.post("/v1/sessions", {"timeout": "long"})
        self.assertEqual(st, 400)
        self.h.delete("/v1/sessions/" + cred)

    def test_expiry_deletes_ephemeral_seen_by_kazoo_watch(self):
        st, _, doc = self.h.post("/v1/sessions", {"timeout": 2000})
        cred = doc["session"]
        st, _, doc = self.h.post(self.url(self.base), {"ephemeral": True, "session": cred,
                                                       "data": "mine"})
        self.assertEqual(st, 201)
        k = self.client()
        events = []
        got = threading.Event()

        def watch(ev):
            events.append(ev)
            got.set()
        self.assertEqual(k.get(self.base, watch=watch)[0], b"mine")
        # keep-alives hold it
        for _ in range(3):
            time.sleep(0.8)
            self.assertEqual(self.h.put("/v1/sessions/" + cred)[0], 200)
        self.assertIsNotNone(k.exists(self.base))
        t0 = time.monotonic()
        self.assertTrue(got.wait(15), "no NodeDeleted after the HTTP session expired")
        self.assertGreater(time.monotonic() - t0, 1.0)
        self.assertEqual(events[0].type, EventType.DELETED)
        self.assertEqual(events[0].path, self.base)
        self.assertEqual(self.h.put("/v1/sessions/" + cred)[0], 410)


class Multi(RestCase):

    def test_multi_success_and_rollback(self):
        ops = [{"op": "create", "path": self.base, "data": "p"},
               {"op": "create", "path": self.base + "/s-", "sequential": True},
               {"op": "set", "path": self.base, "data": "q", "version": 0},
               {"op": "check", "path": self.base, "version": 1}]
        st, _, doc = self.h.post("/v1/multi", {"ops": ops})
        self.assertEqual(st, 200, doc)
        res = doc["results"]
        self.assertEqual([r["op"] for r in res], ["create", "create", "set", "check"])
        self.assertEqual(res[1]["path"], self.base + "/s-0000000000")
        self.assertEqual(res[2]["stat"]["version"], 1)
        k = self.client()
        self.assertEqual(k.get(self.base)[0], b"q")
        ops = [{"op": "delete", "path": self.base + "/s-0000000000"},
               {"op": "check", "path": self.base, "version": 7},
               {"op": "create", "path": self.base + "/z"}]
        st, _, doc = self.h.post("/v1/multi", ops)  # bare array form
        self.assertEqual((st, doc["code"], doc["name"]), (412, -103, "BadVersion"))
        self.assertEqual([r["code"] for r in doc["results"]], [0, -103, -2])
        self.assertIsNotNone(k.exists(self.base + "/s-0000000000"))
        st, _, doc = self.h.post("/v1/multi", {"ops": [{"op": "frobnicate", "path": "/"}]})
        self.assertEqual(st, 400)
        st, _, doc = self.h.post("/v1/multi", {"ops": [{"op": "create"}]})
        self.assertEqual(st, 400)
        st, _, doc = self.h.post("/v1/multi", {"ops": [{"op": "create", "path": "/e",
                                                        "ephemeral": True}]})
        self.assertEqual(st, 400)
        st, _, doc = self.h.post("/v1/multi", {"ops": []})
        self.assertEqual(st, 200)
        self.assertEqual(doc["results"], [])


class Acls(RestCase):

    def test_basic_auth_is_digest_identity(self):
        bob = Http(self.http_port, "bob", "secret")
        acl = [{"perms": "rwcda", "scheme": "digest", "id": harness.digest("bob", "secret")}]
        st, _, doc = bob.post(self.url(self.base), {"data": "s", "acl": acl})
        self.assertEqual(st, 201, doc)
        st, hd, doc = self.h.get(self.url(self.base))
        self.assertEqual((st, doc["code"], doc["name"]), (401, -102, "NoAuth"))
        self.assertIn("Basic", hd.get("WWW-Authenticate", ""))
        st, _, doc = Http(self.http_port, "bob", "wrong").get(self.url(self.base))
        self.assertEqual(st, 403)
        self.assertEqual(bob.get(self.url(self.base))[2]["data"], "s")
        # the same identity over TCP
        k = self.client(auth_data=[("digest", "bob:secret")])
        self.assertEqual(k.get(self.base)[0], b"s")
        su = Http(self.http_port, harness.SUPER_USER, harness.SUPER_PASSWORD)
        self.assertEqual(su.get(self.url(self.base))[0], 200)

    def test_acl_applies_to_http_writes(self):
        k = self.client()
        k.create(self.base, b"r", acl=[make_digest_acl("alice", "pw", read=True),
                                       make_digest_acl("admin", "pw", all=True)])
        alice = Http(self.http_port, "alice", "pw")
        self.assertEqual(alice.get(self.url(self.base))[0], 200)
        st, _, doc = alice.put(self.url(self.base), {"data": "x"})
        self.assertEqual((st, doc["code"]), (403, -102))
        st, _, doc = self.h.put(self.url(self.base), {"data": "x"})
        self.assertEqual((st, doc["code"]), (401, -102))
        st, _, doc = self.h.post(self.url(self.base + "/c"))
        self.assertEqual(st, 401)
        su = Http(self.http_port, harness.SUPER_USER, harness.SUPER_PASSWORD)
        self.assertEqual(su.post(self.url(self.base + "/c"))[0], 201)
        st, _, doc = self.h.delete(self.url(self.base + "/c"))
        self.assertEqual(st, 401)  # delete needs DELETE on the parent
        st, _, doc = self.h.post("/v1/multi", {"ops": [{"op": "set", "path": self.base}]})
        self.assertEqual(st, 401)
        admin = Http(self.http_port, "admin", "pw")
        self.assertEqual(admin.put(self.url(self.base), {"data": "x"})[0], 200)
        self.assertEqual(admin.delete(self.url(self.base + "/c"))[0], 200)
        self.assertEqual(su.delete(self.url(self.base))[0], 200)

    def test_auth_acl_scheme_and_invalid_acl(self):
        bob = Http(self.http_port, "bob", "secret")
        st, _, doc = bob.post(self.url(self.base), {"acl": [{"perms": 31, "scheme": "auth",
                                                             "id": ""}]})
        self.assertEqual(st, 201, doc)
        k = self.client(auth_data=[("digest", "bob:secret")])
        acl, _ = k.get_acls(self.base)
        self.assertEqual(acl[0].id.scheme, "digest")
        st, _, doc = self.h.post(self.url(self.base + "x"), {"acl": [{"perms": 31,
                                                                       "scheme": "auth",
                                                                       "id": ""}]})
        self.assertEqual((st, doc["code"]), (400, -114))


class Watches(RestCase):

    def test_sse_live_events(self):
        s = SSE(self.http_port, "/v1/watch?path=%s&recursive" % self.base)
        try:
            k = self.client()
            k.create(self.base + "/a", b"", makepath=True)
            k.set(self.base + "/a", b"1")
            k.delete(self.base + "/a")
            got = [s.event() for _ in range(4)]
            self.assertEqual([(e["event"], e["data"]["path"]) for e in got],
                             [("created", self.base), ("created", self.base + "/a"),
                              ("changed", self.base + "/a"), ("deleted", self.base + "/a")])
            self.assertEqual([int(e["id"]) for e in got],
                             sorted(int(e["id"]) for e in got))
        finally:
            s.close()

    def test_sse_non_recursive_children(self):
        k = self.client()
        k.create(self.base)
        s = SSE(self.http_port, "/v1/watch?path=%s" % self.base)
        try:
            k.create(self.base + "/c")
            k.create(self.base + "/c/deep")
            k.set(self.base, b"x")
            e1, e2 = s.event(), s.event()
            self.assertEqual((e1["event"], e1["data"]["path"]), ("children", self.base))
            self.assertEqual((e2["event"], e2["data"]["path"]), ("changed", self.base))
        finally:
            s.close()

    def test_sse_resume_gets_every_event_once_in_order(self):
        k = self.client()
        s = SSE(self.http_port, "/v1/watch?path=%s&recursive" % self.base)
        k.create(self.base)
        for i in range(5):
            k.create("%s/n%d" % (self.base, i))
        seen = [s.event() for _ in range(3)]
        s.close()  # disconnect mid-way
        for i in range(5, 10):
            k.create("%s/n%d" % (self.base, i))
        k.set(self.base, b"after")
        s = SSE(self.http_port, "/v1/watch?path=%s&recursive" % self.base,
                last_id=seen[-1]["id"])
        try:
            k.create(self.base + "/live")
            rest = [s.event() for _ in range(10)]
        finally:
            s.close()
        paths = [e["data"]["path"] for e in seen + rest]
        want = ([self.base] + ["%s/n%d" % (self.base, i) for i in range(10)]
                + [self.base, self.base + "/live"])
        self.assertEqual(paths, want)
        zx = [int(e["id"]) for e in seen + rest]
        self.assertEqual(zx, sorted(set(zx)))

    def test_history_replay_hides_what_the_caller_cannot_read(self):
        # Live events are filtered by READ as they fire; replayed history
        # must be too, or resuming would reveal protected paths.
        k = self.client()
        k.add_auth("digest", "bob:secret")
        k.create(self.base)
        zx0 = k.exists(self.base).czxid
        bob = make_digest_acl("bob", "secret", all=True)
        k.create(self.base + "/secret", b"s", acl=[bob])
        k.create(self.base + "/hidden", b"", acl=[bob])
        k.create(self.base + "/hidden/gone", b"")
        k.delete(self.base + "/hidden/gone")  # deleted: checked on /hidden
        k.create(self.base + "/open", b"o")
        url = "/v1/watch?path=%s&recursive&since=%d&wait=0" % (self.base, zx0)
        st, _, doc = self.h.get(url)
        self.assertEqual(st, 200)
        self.assertEqual([(e["type"], e["path"]) for e in doc["events"]],
                         [("created", self.base + "/open")])
        st, _, doc = Http(self.http_port, "bob", "secret").get(url)
        self.assertEqual(st, 200)
        self.assertEqual([e["path"] for e in doc["events"]],
                         [self.base + "/secret", self.base + "/hidden",
                          self.base + "/hidden/gone", self.base + "/hidden/gone",
                          self.base + "/open"])

    def test_since_query_and_long_poll(self):
        k = self.client()
        k.create(self.base)
        zx0 = k.exists(self.base).czxid
        k.set(self.base, b"1")
        st, _, doc = self.h.get("/v1/watch?path=%s&since=%d&wait=5" % (self.base, zx0))
        self.assertEqual(st, 200)
        self.assertEqual([(e["type"], e["path"]) for e in doc["events"]],
                         [("changed", self.base)])
        last = doc["zxid"]
        # nothing newer: waits, then returns the change that happens meanwhile
        threading.Timer(0.5, lambda: k.set(self.base, b"2")).start()
        t0 = time.monotonic()
        st, _, doc = self.h.get("/v1/watch?path=%s&since=%d&wait=10" % (self.base, last))
        self.assertLess(time.monotonic() - t0, 8)
        self.assertEqual([e["type"] for e in doc["events"]], ["changed"])
        self.assertFalse(doc["resync"])
        # timeout: empty
        t0 = time.monotonic()
        st, _, doc = self.h.get("/v1/watch?path=%s&wait=1" % self.base)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.assertEqual(doc["events"], [])
        st, _, doc = self.h.get("/v1/watch?path=bad&wait=1")
        self.assertEqual(st, 400)
        st, _, doc = self.h.get("/v1/watch?path=/&wait=abc")
        self.assertEqual(st, 400)

    def test_watch_needs_read_permission(self):
        k = self.client()
        k.create(self.base, acl=[make_digest_acl("alice", "pw", all=True)])
        st, _, doc = self.h.get("/v1/watch?path=%s&wait=1" % self.base)
        self.assertIn(st, (200, 401))


class WatchHistory(RestCase):
    """A small history: resuming from before it gives an explicit resync."""

    extra_cfg = {"httpHistorySize": 20}

    def test_resync_when_too_old(self):
        k = self.client()
        k.create(self.base)
        zx0 = k.exists(self.base).czxid
        for i in range(40):
            k.create("%s/n%d" % (self.base, i))
        s = SSE(self.http_port, "/v1/watch?path=%s&recursive" % self.base, last_id=zx0)
        try:
            e = s.event()
            self.assertEqual(e["event"], "resync")
            k.create(self.base + "/live")
            e = s.event()
            self.assertEqual(e["data"]["path"], self.base + "/live")
        finally:
            s.close()
        st, _, doc = self.h.get("/v1/watch?path=%s&since=%d&wait=1" % (self.base, zx0))
        self.assertTrue(doc["resync"])
        # recent enough: replayed
        zx = k.exists(self.base + "/n35").czxid
        st, _, doc = self.h.get("/v1/watch?path=%s&recursive&since=%d&wait=1"
                                % (self.base, zx))
        self.assertFalse(doc["resync"])
        self.assertEqual([e["path"] for e in doc["events"]][:4],
                         ["%s/n%d" % (self.base, i) for i in range(36, 40)])


class Admin(RestCase):

    def test_commands(self):
        st, _, doc = self.h.get("/commands")
        self.assertEqual(st, 200)
        for name in ("ruok", "srvr", "stat", "mntr", "monitor", "conf", "cons", "wchs",
                     "wchc", "wchp", "dump", "envi", "isro", "leader", "zabstate", "dirs",
                     "last_snapshot", "snapshot"):
            self.assertIn(name, doc["commands"])
        for name in doc["commands"]:
            if name in ("snapshot", "crst", "srst", "connection_stat_reset",
                        "stat_reset"):
                continue  # the resets need the super user (Hardening)
            st, _, d = self.h.get("/commands/" + name)
            self.assertEqual(st, 200, name)
            self.assertIsNone(d["error"])
        d = self.h.get("/commands/mntr")[2]
        self.assertIsInstance(d["zk_znode_count"], int)
        self.assertEqual(d["zk_server_state"], "standalone")
        d = self.h.get("/commands/conf")[2]
        self.assertEqual(d["clientport"] if "clientport" in d else d.get("clientPort"),
                         self.server.port)
        d = self.h.get("/commands/srvr")[2]
        self.assertEqual(d["mode"], "standalone")
        self.assertEqual(self.h.get("/commands/zabstate")[2]["zabstate"], "standalone")
        self.assertFalse(self.h.get("/commands/leader")[2]["is_leader"])
        self.assertEqual(self.h.get("/commands/nope")[0], 404)

    def test_metrics_and_health(self):
        st, hd, body = self.h.get("/metrics", raw=True)
        self.assertEqual(st, 200)
        text = body.decode()
        self.assertIn("# TYPE zk_znode_count gauge\n", text)
        n = [l for l in text.splitlines() if l.startswith("zk_znode_count ")]
        self.assertEqual(len(n), 1)
        self.assertGreaterEqual(int(n[0].split()[1]), 4)
        st, _, doc = self.h.get("/health")
        self.assertEqual((st, doc["status"]), (200, "serving"))


class HttpLimit(RestCase):
    """maxClientCnxns per address applies to the gateway too."""

    extra_cfg = {"maxClientCnxns": 3}

    def keepalive(self):
        c = http.client.HTTPConnection(HOST, self.http_port, timeout=5)
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        return c

    def test_per_ip_limit(self):
        conns = [self.keepalive() for _ in range(3)]
        extra = http.client.HTTPConnection(HOST, self.http_port, timeout=5)
        with self.assertRaises((ConnectionError, http.client.HTTPException,
                                socket.timeout, OSError)):
            extra.request("GET", "/health")
            extra.getresponse().read()
        extra.close()
        for c in conns:
            c.close()

        def served():
            try:
                return self.h.get("/health")[0] == 200
            except (ConnectionError, http.client.HTTPException):
                return False
        self.assertTrue(wait_until(served, timeout=10))
        st, _, doc = self.h.get("/health")
        self.assertEqual((st, doc["status"]), (200, "serving"))


class Hardening(RestCase):
    """The super user for the resets; the gateway's gauges in mntr and
    /metrics."""

    def mntr(self):
        return self.h.get("/commands/mntr")[2]

    def test_resets_need_super(self):
        for name in ("crst", "srst", "connection_stat_reset", "stat_reset"):
            st, hd, doc = self.h.get("/commands/" + name)
            self.assertEqual(st, 401, name)
            self.assertIn("Basic", hd.get("WWW-Authenticate", ""))
            self.assertEqual(doc["name"], "NoAuth")
            st, _, _ = Http(self.http_port, "super", "wrong").get("/commands/" + name)
            self.assertEqual(st, 403, name)
            st, _, _ = Http(self.http_port, "alice", "pw").get("/commands/" + name)
            self.assertEqual(st, 403, name)
            st, _, doc = Http(self.http_port, harness.SUPER_USER,
                              harness.SUPER_PASSWORD).get("/commands/" + name)
            self.assertEqual(st, 200, name)
            self.assertIsNone(doc["error"])
        for name in ("ruok", "mntr", "srvr", "cons"):
            self.assertEqual(self.h.get("/commands/" + name)[0], 200, name)

    def test_gauges(self):
        d = self.mntr()
        self.assertGreaterEqual(d["coord_http_connections"], 1)
        self.assertEqual(d["coord_http_streams"], 0)
        self.assertEqual(d["coord_connections_throttled"], 0)
        sse = socket.create_connection((HOST, self.http_port), timeout=10)
        try:
            sse.sendall(b"GET /v1/watch?path=/&recursive HTTP/1.1\r\n"
                        b"Host: x\r\nAccept: text/event-stream\r\n\r\n")
            self.assertIn(b"200", sse.recv(4096))
            self.assertTrue(wait_until(
                lambda: self.mntr()["coord_http_streams"] == 1, timeout=10))
            d = self.mntr()
            self.assertGreaterEqual(d["coord_http_connections"], 2)
        finally:
            sse.close()
        text = self.h.get("/metrics", raw=True)[2].decode()
        for key in ("coord_http_connections", "coord_http_streams",
                    "coord_connections_throttled"):
            self.assertIn("# TYPE %s gauge\n" % key, text)


if __name__ == "__main__":
    harness.main()
