"""Watches: one-shot, persistent, recursive, removeWatches, ordering (spec 3.2, 8)."""

import queue
import time

from kazoo.protocol.states import EventType

import harness
from harness import OP, W, ServerTestCase

CREATED, DELETED, CHANGED, CHILD = 1, 2, 3, 4
SYNC_CONNECTED = 3


class KazooWatches(ServerTestCase):

    def collect(self):
        q = queue.Queue()
        return q, q.put

    def drain(self, q, wait=0.5):
        time.sleep(wait)
        out = []
        while not q.empty():
            out.append(q.get_nowait())
        return out

    def test_data_watch_fires_once(self):
        a, b = self.client(), self.client()
        a.create(self.base, b"0")
        q, cb = self.collect()
        b.get(self.base, watch=cb)
        a.set(self.base, b"1")
        a.set(self.base, b"2")
        ev = q.get(timeout=5)
        self.assertEqual((ev.type, ev.path), (EventType.CHANGED, self.base))
        self.assertEqual(self.drain(q), [], "one-shot watch fired twice")

    def test_child_watch_fires_once(self):
        a, b = self.client(), self.client()
        a.create(self.base)
        q, cb = self.collect()
        b.get_children(self.base, watch=cb)
        a.create(self.base + "/x")
        a.create(self.base + "/y")
        ev = q.get(timeout=5)
        self.assertEqual((ev.type, ev.path), (EventType.CHILD, self.base))
        self.assertEqual(self.drain(q), [])

    def test_exists_watch_sees_create_then_delete(self):
        a, b = self.client(), self.client()
        q, cb = self.collect()
        self.assertIsNone(b.exists(self.base, watch=cb))
        a.create(self.base)
        ev = q.get(timeout=5)
        self.assertEqual((ev.type, ev.path), (EventType.CREATED, self.base))
        self.assertIsNotNone(b.exists(self.base, watch=cb))
        a.delete(self.base)
        ev = q.get(timeout=5)
        self.assertEqual((ev.type, ev.path), (EventType.DELETED, self.base))
        self.assertEqual(self.drain(q), [])

    def test_set_acl_fires_nothing(self):
        a, b = self.client(), self.client()
        a.create(self.base)
        q, cb = self.collect()
        b.get(self.base, watch=cb)
        a.set_acls(self.base, harness_open_acl())
        self.assertEqual(self.drain(q), [])
        a.set(self.base, b"x")
        self.assertEqual(q.get(timeout=5).type, EventType.CHANGED)

    def test_events_arrive_in_change_order(self):
        a, b = self.client(), self.client()
        paths = ["%s-%d" % (self.base, i) for i in range(5)]
        for p in paths:
            a.create(p)
        q, cb = self.collect()
        for p in paths:
            b.get(p, watch=cb)
        for p in reversed(paths):
            a.set(p, b"x")
        got = [q.get(timeout=5).path for _ in paths]
        self.assertEqual(got, list(reversed(paths)))

    def test_kazoo_datawatch_and_childrenwatch_recipes(self):
        a, b = self.client(), self.client()
        a.create(self.base, b"v0")
        seen_data, seen_children = [], []
        b.DataWatch(self.base, lambda data, stat: seen_data.append(data))
        b.ChildrenWatch(self.base, lambda children: seen_children.append(sorted(children)))
        for i in range(1, 4):
            a.set(self.base, b"v%d" % i)
            self.assertTrue(harness.wait_until(lambda: seen_data[-1:] == [b"v%d" % i], 5))
        a.create(self.base + "/k1")
        a.create(self.base + "/k2")
        self.assertTrue(harness.wait_until(lambda: seen_children[-1:] == [["k1", "k2"]], 5))
        self.assertEqual(seen_data[0], b"v0")


def harness_open_acl():
    from kazoo.security import OPEN_ACL_UNSAFE
    return OPEN_ACL_UNSAFE


class RawWatches(ServerTestCase):
    """Exact frames: notifications versus replies on one connection."""

    def test_own_write_event_precedes_its_reply(self):
        r = self.raw()
        r.create(self.base, b"a")
        self.assertEqual(r.get_data(self.base, watch=True)[0], 0)
        r.log.clear()
        err, _ = r.set_data(self.base, b"b")
        self.assertEqual(err, 0)
        self.assertEqual(len(r.log), 2, r.log)
        self.assertEqual(r.log[0][:4], ("event", CHANGED, SYNC_CONNECTED, self.base))
        self.assertEqual(r.log[1][0], "reply")

    def test_other_clients_event_precedes_later_read_reply(self):
        w, o = self.raw(), self.raw()
        w.create(self.base, b"a")
        self.assertEqual(w.get_data(self.base, watch=True)[0], 0)
        self.assertEqual(o.set_data(self.base, b"b")[0], 0)
        w.log.clear()
        err, (data, _) = w.get_data(self.base)
        self.assertEqual(data, b"b")
        self.assertEqual(w.log[0][:4], ("event", CHANGED, SYNC_CONNECTED, self.base), w.log)
        self.assertEqual(w.log[-1][0], "reply")

    def test_notification_zxid_is_minus_one_or_triggering_zxid(self):
        w, o = self.raw(), self.raw()
        w.create(self.base)
        w.exists(self.base, watch=True)
        xid = o.send(OP["setData"], W().string(self.base).buffer(b"z").int(-1).bytes())
        _, zxid, err, _ = o.read_reply(xid)
        self.assertEqual(err, 0)
        ev = w.read_event()
        self.assertEqual(ev[:3], (CHANGED, SYNC_CONNECTED, self.base))
        self.assertIn(ev[3], (-1, zxid))

    def test_delete_with_data_and_child_watch_gives_one_event(self):
        w, o = self.raw(), self.raw()
        w.create(self.base)
        w.create(self.base + "/n")
        w.get_data(self.base + "/n", watch=True)
        w.get_children(self.base + "/n", watch=True)
        w.get_children(self.base, watch=True)
        w.exists(self.base + "/n", watch=True)
        self.assertEqual(o.delete(self.base + "/n"), 0)
        w.ping()
        got = [e[:3] for e in w.events]
        self.assertEqual(sorted(got), sorted([(DELETED, SYNC_CONNECTED, self.base + "/n"),
                                              (CHILD, SYNC_CONNECTED, self.base)]))

    def test_exists_watch_on_missing_node_is_set(self):
        w, o = self.raw(), self.raw()
        self.assertEqual(w.exists(self.base, watch=True)[0], -101)
        o.create(self.base)
        self.assertEqual(w.read_event()[:3], (CREATED, SYNC_CONNECTED, self.base))

    def test_get_data_on_missing_node_sets_no_watch(self):
        w, o = self.raw(), self.raw()
        self.assertEqual(w.get_data(self.base, watch=True)[0], -101)
        self.assertEqual(w.get_children(self.base, watch=True)[0], -101)
        o.create(self.base)
        o.set_data(self.base, b"x")
        w.ping()
        self.assertEqual(w.events, [])

    def test_persistent_watch(self):
        w, o = self.raw(), self.raw()
        self.assertEqual(w.add_watch(self.base, 0), 0)  # node need not exist
        o.create(self.base)
        o.set_data(self.base, b"1")
        o.set_data(self.base, b"2")
        o.create(self.base + "/c")
        o.create(self.base + "/c/deep")
        o.set_data(self.base + "/c", b"x")
        o.delete(self.base + "/c/deep")
        o.delete(self.base + "/c")
        o.delete(self.base)
        o.create(self.base)  # survives deletion of its node
        w.ping()
        got = [e[:3] for e in w.events]
        b = self.base
        self.assertEqual(got, [(CREATED, 3, b), (CHANGED, 3, b), (CHANGED, 3, b),
                               (CHILD, 3, b), (CHILD, 3, b), (DELETED, 3, b), (CREATED, 3, b)])

    def test_persistent_recursive_watch_never_sends_children_changed(self):
        w, o = self.raw(), self.raw()
        self.assertEqual(w.add_watch(self.base, 1), 0)
        b = self.base
        o.create(b)
        o.create(b + "/c")
        o.create(b + "/c/d")
        o.set_data(b + "/c/d", b"x")
        o.delete(b + "/c/d")
        o.create(b + "-sibling")  # not below the watched path
        o.set_data(b + "-sibling", b"y")
        w.ping()
        got = [e[:3] for e in w.events]
        self.assertEqual(got, [(CREATED, 3, b), (CREATED, 3, b + "/c"), (CREATED, 3, b + "/c/d"),
                               (CHANGED, 3, b + "/c/d"), (DELETED, 3, b + "/c/d")])

    def test_recursive_watch_on_root_and_one_shot_coexist(self):
        w, o = self.raw(), self.raw()
        o.create(self.base)
        self.assertEqual(w.add_watch("/", 1), 0)
        o.set_data(self.base, b"1")
        self.assertEqual(w.read_event()[:3], (CHANGED, 3, self.base))
        self.assertEqual(w.remove_watches("/", 3), 0)
        o.set_data(self.base, b"2")
        w.ping()
        self.assertEqual(w.events, [])

    def test_add_watch_invalid_mode_is_marshalling_error(self):
        w = self.raw()
        self.assertEqual(w.add_watch(self.base, 7), -5)
        self.assertEqual(w.ping()[0], 0)

    def test_remove_watches(self):
        w, o = self.raw(), self.raw()
        o.create(self.base)
        self.assertEqual(w.remove_watches(self.base, 3), -121)  # nothing to remove
        w.get_data(self.base, watch=True)
        w.get_children(self.base, watch=True)
        self.assertEqual(w.remove_watches(self.base, 2), 0)  # data
        self.assertEqual(w.remove_watches(self.base, 2), -121)
        o.set_data(self.base, b"x")
        o.create(self.base + "/k")
        self.assertEqual(w.read_event()[:3], (CHILD, 3, self.base))
        w.get_children(self.base, watch=True)
        self.assertEqual(w.remove_watches(self.base, 1), 0)  # children
        w.add_watch(self.base, 0)
        self.assertEqual(w.remove_watches(self.base, 3), 0)  # any
        o.set_data(self.base, b"y")
        o.delete(self.base + "/k")
        w.ping()
        self.assertEqual(w.events, [])
        err, _, _ = w.request(OP["checkWatches"], W().string(self.base).int(3).bytes())
        self.assertEqual(err, -121)

    def test_multi_fires_per_op_events_in_order(self):
        w, o = self.raw(), self.raw()
        o.create(self.base)
        o.create(self.base + "/a")
        w.get_data(self.base + "/a", watch=True)
        w.get_children(self.base, watch=True)
        w.exists(self.base + "/b", watch=True)
        body = (W().int(5).bool(False).int(-1).string(self.base + "/a").buffer(b"1").int(-1)
                .int(1).bool(False).int(-1).string(self.base + "/b").buffer(b"").acls(harness.OPEN_ACL).int(0)
                .int(-1).bool(True).int(-1).bytes())
        err, _, _ = o.request(OP["multi"], body)
        self.assertEqual(err, 0)
        w.ping()
        self.assertEqual([e[:3] for e in w.events],
                         [(CHANGED, 3, self.base + "/a"), (CREATED, 3, self.base + "/b"),
                          (CHILD, 3, self.base)])

    def test_watches_are_per_connection(self):
        w, o = self.raw(), self.raw()
        o.create(self.base)
        w.get_data(self.base, watch=True)
        w.close()
        w2 = self.raw(session_id=w.session_id, passwd=w.passwd)
        o.set_data(self.base, b"x")
        w2.ping()
        self.assertEqual(w2.events, [], "watch survived its connection")


if __name__ == "__main__":
    harness.main()
