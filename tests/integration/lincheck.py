"""Linearizability checking of concurrent histories over a key/value view of znodes.

A history is a list of Op, one per operation a client issued:

    Op(kind, key, value=..., ...)   kind is 'read', 'write' or 'cas'
      read(key)            -> value observed (and, optionally, the znode version seen)
      write(key, value)    unconditional set; optionally the version it produced
      cas(key, expected_version=v or expected=x, value=new)
                           swapped=True: it replaced the value (optionally: version produced)
                           swapped=False: it completed without effect because the
                           precondition did not hold (BadVersion) -- a constraint too
    status 'ok'      completed with the recorded result
           'fail'    definitely did not take effect (dropped before checking)
           'unknown' timeout / connection loss: may or may not have taken effect,
                     at any point after its invocation (completion = +infinity);
                     unknown reads carry no information and are dropped

The model of one key is a register whose state is (value, version): a write
or a successful cas sets the value and adds one to the version (ZooKeeper's
setData).  Linearizability is compositional, so check() splits the history by
key and searches each key separately: Wing & Gong's search over the entry list
with Lowe's memoisation of (set of linearized ops, state), iteratively, with a
time and state budget.  check() returns a CheckResult that is true when every
key is linearizable; its explanation() names, for a failing key, the longest
linearizable prefix found, the state after it, the op that cannot be placed
next and why, and the other candidate ops at that point.

Recorder collects ops from many threads; run_workload() drives a bounded
concurrent kazoo load (reads, writes, version-cas) and returns the History.
Note that ZooKeeper (and so coordd) only promises linearizable *writes*: a
plain read served by a lagging follower may be stale.  Use read_mode='sync'
(sync() before each read, part of the op) or 'none' against an ensemble.
"""

import collections
import math
import random
import threading
import time

INF = math.inf
State = collections.namedtuple("State", "value version")
_NOTHING = object()


class Op:
    """One operation of a history (see the module doc)."""

    __slots__ = ("id", "process", "kind", "key", "value", "expected", "expected_version",
                 "swapped", "version", "status", "invoke", "complete", "error")

    def __init__(self, kind, key, value=None, *, expected=_NOTHING, expected_version=None,
                 swapped=None, version=None, status="ok", invoke=0.0, complete=None,
                 process=None, id=None, error=None):
        if kind not in ("read", "write", "cas"):
            raise ValueError("op kind must be read, write or cas, not %r" % (kind,))
        if status not in ("ok", "fail", "unknown"):
            raise ValueError("op status must be ok, fail or unknown, not %r" % (status,))
        if kind == "cas" and expected is _NOTHING and expected_version is None:
            raise ValueError("cas needs expected= or expected_version=")
        self.id = id
        self.process = process
        self.kind = kind
        self.key = key
        self.value = value
        self.expected = expected
        self.expected_version = expected_version
        self.swapped = swapped
        self.version = version
        self.status = status
        self.invoke = invoke
        self.complete = INF if status == "unknown" or complete is None else complete
        self.error = error

    def __repr__(self):
        if self.kind == "read":
            what = "read(%s) -> %r" % (self.key, self.value)
        elif self.kind == "write":
            what = "write(%s, %r)" % (self.key, self.value)
        else:
            pre = ("version==%d" % self.expected_version if self.expected_version is not None
                   else "value==%r" % (self.expected,))
            what = "cas(%s, %s, %r)%s" % (self.key, pre, self.value,
                                          "" if self.status != "ok" else
                                          " -> %s" % ("swapped" if self.swapped is not False
                                                      else "no swap"))
        if self.version is not None:
            what += " [version %d]" % self.version
        when = "[%.4f, %s]" % (self.invoke, "inf" if self.complete == INF
                               else "%.4f" % self.complete)
        proc = "" if self.process is None else " p%s" % (self.process,)
        err = "" if not self.error else " (%s)" % self.error
        return "#%s%s %s %s %s%s" % (self.id, proc, what, self.status, when, err)


class History(list):
    """A list of Op plus .initial: {key: value or State(value, version)}."""

    def __init__(self, ops=(), initial=None):
        super().__init__(ops)
        self.initial = dict(initial or {})


# --------------------------------------------------------------------------
# the register model

def _initial_state(initial, key):
    v = initial.get(key) if initial else None
    if isinstance(v, State):
        return v
    return State(v, 0)


def _cas_pre(state, op):
    if op.expected_version is not None:
        return state.version is None or state.version == op.expected_version
    return state.value == op.expected


def _bump(state):
    return None if state.version is None else state.version + 1


def _step(state, op):
    """The state after op, or None if op cannot happen (with its result) in state."""
    kind = op.kind
    if kind == "read":
        if op.value != state.value:
            return None
        if op.version is not None and state.version is not None and op.version != state.version:
            return None
        return state
    if kind == "write":
        nv = _bump(state)
        if op.version is not None and nv is not None and op.version != nv:
            return None
        return State(op.value, nv)
    pre = _cas_pre(state, op)
    if op.status == "unknown":
        if not pre:
            return None           # it ran and did nothing: same as never placing it
        swapped = True
    else:
        swapped = op.swapped is not False
    if swapped:
        if not pre:
            return None
        nv = _bump(state)
        if op.version is not None and nv is not None and op.version != nv:
            return None
        return State(op.value, nv)
    if pre and not (state.version is None and op.expected_version is not None):
        return None
    return state


def _why_not(state, op):
    """Why _step(state, op) is None, in words."""
    if op.kind == "read":
        if op.value != state.value:
            return "it read %r but the value is %r" % (op.value, state.value)
        return "it read version %s but the version is %s" % (op.version, state.version)
    if op.kind == "write" or op.swapped is not False:
        if op.kind == "cas" and not _cas_pre(state, op):
            return ("it swapped, but its precondition does not hold (value %r, version %s)"
                    % (state.value, state.version))
        return "it produced version %s but that would be version %s" % (op.version,
                                                                         _bump(state))
    return ("it reported no swap, but its precondition holds (value %r, version %s)"
            % (state.value, state.version))


def _fmt_state(state):
    return "value=%r version=%s" % (state.value, state.version)


# --------------------------------------------------------------------------
# the search

class KeyResult:
    def __init__(self, key, ok, explanation="", ops=0, states=0, seconds=0.0,
                 linearization=None):
        self.key = key
        self.ok = ok                      # True, False, or None (budget exhausted)
        self.explanation = explanation
        self.ops = ops
        self.states = states
        self.seconds = seconds
        self.linearization = linearization  # list of Op, when ok

    def __repr__(self):
        return "<KeyResult %r ok=%s ops=%d states=%d %.2fs>" % (
            self.key, self.ok, self.ops, self.states, self.seconds)


class CheckResult:
    """Truthy iff every key is linearizable; .ok is True, False or None
    (inconclusive: a key ran out of budget and none failed)."""

    def __init__(self, keys):
        self.keys = keys                  # {key: KeyResult}
        if any(r.ok is False for r in keys.values()):
            self.ok = False
        elif any(r.ok is None for r in keys.values()):
            self.ok = None
        else:
            self.ok = True

    def __bool__(self):
        return self.ok is True

    def explanation(self):
        """Why not (every failing or inconclusive key), or a one-line summary."""
        bad = [r for r in self.keys.values() if r.ok is not True]
        if not bad:
            return "linearizable: %d keys, %d ops" % (len(self.keys),
                                                       sum(r.ops for r in self.keys.values()))
        return "\n\n".join(r.explanation for r in bad)

    def __str__(self):
        return self.explanation()

    def __repr__(self):
        return "<CheckResult ok=%s %s>" % (self.ok, list(self.keys.values()))


class _Unobserved:
    """The value of an unknown write that no read or cas ever observed."""

    def __repr__(self):
        return "<value of an unknown, unobserved write>"


UNOBSERVED = _Unobserved()


def _copy(op, **changes):
    c = Op.__new__(Op)
    for f in Op.__slots__:
        setattr(c, f, getattr(op, f))
    for k, v in changes.items():
        setattr(c, k, v)
    return c


def check_key(key, ops, initial_state=State(None, 0), time_limit=60.0, max_states=2000000):
    """Check the ops of one key; returns a KeyResult.

    Two reductions keep the search small, both exact: an op that leaves the
    state unchanged (a read, a no-swap cas) and fits the current state is
    placed at once, never tried later (any linearization can be changed to
    place it there); and unknown writes/cas whose value nobody observed are
    interchangeable within a class (same kind and precondition), so only the
    earliest-invoked unplaced one of a class may be placed next."""
    t0 = time.monotonic()
    ops = [op for op in ops if op.status != "fail"
           and not (op.kind == "read" and op.status == "unknown")]
    n = len(ops)
    if n == 0:
        return KeyResult(key, True, ops=0, linearization=[])
    observed = set()
    for op in ops:
        if op.kind == "read":
            observed.add(op.value)
        elif op.kind == "cas" and op.expected_version is None:
            observed.add(op.expected)
    observed.add(initial_state.value)
    sops = list(ops)                 # what the search steps: unobserved values canonical
    klass = [None] * n               # interchangeable class of unknown unobserved ops
    rank = [0] * n
    classes = {}
    for i, op in enumerate(ops):
        if op.status == "unknown" and op.kind in ("write", "cas"):
            try:
                seen = op.value in observed
            except TypeError:
                seen = True
            if not seen:
                sops[i] = _copy(op, value=UNOBSERVED)
                c = ("write",) if op.kind == "write" else (
                    "cas", op.expected_version, repr(op.expected))
                klass[i] = c
                classes.setdefault(c, []).append(i)
    for c, members in classes.items():
        members.sort(key=lambda i: (ops[i].invoke, i))
        for r, i in enumerate(members):
            rank[i] = r
    placed = {c: 0 for c in classes}   # how many of each class are linearized (a prefix)
    # entries: 0..n-1 calls, n..2n-1 returns; sorted by time, calls first on ties
    order = sorted(range(2 * n), key=lambda e: (ops[e].invoke, 0, e) if e < n
                   else (ops[e - n].complete, 1, e))
    head = 2 * n                     # sentinel; nxt[head] is the first live entry
    nxt = [0] * (2 * n + 1)
    prv = [0] * (2 * n + 1)
    last = head
    for e in order:
        nxt[last] = e
        prv[e] = last
        last = e
    nxt[last] = -1
    end = -1

    def lift(e):                     # unlink call e and its return
        for x in (e, e + n):
            p, q = prv[x], nxt[x]
            nxt[p] = q
            if q != end:
                prv[q] = p

    def unlift(e):                   # relink, in reverse order
        for x in (e + n, e):
            p, q = prv[x], nxt[x]
            nxt[p] = x
            if q != end:
                prv[q] = x

    state = initial_state
    linearized = 0
    stack = []                       # (call entry, state before it, forced)
    cache = set()
    best_depth = 0
    best_prefix = []
    best_state = state
    blocked = None                   # (op index, state) at the deepest point
    entry = nxt[head]
    steps = 0
    failed = False
    while entry != end:
        steps += 1
        if steps & 0xFFF == 0:
            if time.monotonic() - t0 > time_limit or len(cache) > max_states:
                return KeyResult(key, None,
                                 "key %r: inconclusive: search budget exhausted after %.1fs, "
                                 "%d states (%d ops; longest linearizable prefix %d ops)"
                                 % (key, time.monotonic() - t0, len(cache), n, best_depth),
                                 ops=n, states=len(cache), seconds=time.monotonic() - t0)
        if entry < n:
            c = klass[entry]
            if c is not None and rank[entry] != placed[c]:
                entry = nxt[entry]
                continue
            new = _step(state, sops[entry])
            if new is not None:
                lin2 = linearized | (1 << entry)
                memo = (lin2, new)
                if memo not in cache:
                    cache.add(memo)
                    stack.append((entry, state, new == state and c is None))
                    state = new
                    linearized = lin2
                    if c is not None:
                        placed[c] += 1
                    lift(entry)
                    if len(stack) > best_depth:
                        best_depth = len(stack)
                        best_prefix = [e for e, _, _ in stack]
                        best_state = state
                        blocked = None
                    entry = nxt[head]
                    continue
            entry = nxt[entry]
        else:
            k = entry - n
            if ops[k].complete == INF:
                break                    # only open-ended (unknown) ops remain
            if blocked is None and len(stack) == best_depth:
                blocked = (k, state)
            while True:
                if not stack:
                    failed = True
                    break
                e, state, forced = stack.pop()
                linearized &= ~(1 << e)
                if klass[e] is not None:
                    placed[klass[e]] -= 1
                unlift(e)
                if not forced:
                    break
            if failed:
                break
            entry = nxt[e]
    if not failed:
        lin = [ops[e] for e, _, _ in stack]
        return KeyResult(key, True, ops=n, states=len(cache),
                         seconds=time.monotonic() - t0, linearization=lin)
    return KeyResult(key, False, _explain(key, ops, initial_state, best_prefix, best_state,
                                          blocked),
                     ops=n, states=len(cache), seconds=time.monotonic() - t0)


def _explain(key, ops, initial_state, prefix, state, blocked, show=8):
    out = ["key %r: NOT linearizable (%d ops, initial %s)" % (key, len(ops),
                                                             _fmt_state(initial_state))]
    out.append("  longest linearizable prefix found: %d ops%s" % (
        len(prefix), "; its last %d:" % min(show, len(prefix)) if prefix else ""))
    for e in prefix[-show:]:
        out.append("    %r" % ops[e])
    out.append("  state after that prefix: %s" % _fmt_state(state))
    if blocked is None:
        return "\n".join(out)
    k, bstate = blocked
    bop = ops[k]
    out.append("  it cannot be extended to include this op, which completed at %.4f:"
               % bop.complete)
    out.append("    %r" % bop)
    if _step(bstate, bop) is None:
        out.append("    because %s" % _why_not(bstate, bop))
    done = set(prefix)
    cands = [i for i, op in enumerate(ops)
             if i not in done and i != k and op.invoke <= bop.complete]
    if cands:
        out.append("  other ops invoked by then and not in the prefix (%d):" % len(cands))
        for i in cands[:show]:
            if _step(state, ops[i]) is None:
                out.append("    %r -- cannot go next: %s" % (ops[i], _why_not(state, ops[i])))
            else:
                out.append("    %r -- could go next" % (ops[i],))
        if len(cands) > show:
            out.append("    ...")
    written = {op.value for op in ops if op.kind in ("write", "cas")}
    if bop.kind == "read" and bop.value not in written and bop.value != initial_state.value:
        out.append("  note: no write or cas of this key (other than failed ones) wrote %r"
                   % (bop.value,))
    return "\n".join(out)


def check(history, initial=None, time_limit=60.0, max_states=2000000):
    """Check a whole history (list of Op, or History), key by key.

    initial: {key: value or State(value, version)}; defaults to history.initial,
    and a key missing there starts as State(None, 0).  time_limit and
    max_states bound each key's search.  Returns a CheckResult."""
    if initial is None:
        initial = getattr(history, "initial", None) or {}
    by_key = collections.OrderedDict()
    for i, op in enumerate(history):
        if op.id is None:
            op.id = i
        by_key.setdefault(op.key, []).append(op)
    results = collections.OrderedDict()
    for key, ops in by_key.items():
        results[key] = check_key(key, ops, _initial_state(initial, key), time_limit,
                                 max_states)
    return CheckResult(results)


# --------------------------------------------------------------------------
# recording

class Recorder:
    """Thread-safe history recording.

        op = rec.invoke(process, 'write', key, value=v)   # stamps the invoke time
        ...the request...
        rec.ok(op, version=stat.version)  /  rec.fail(op)  /  rec.unknown(op, error)

    Times are seconds since the Recorder was made (time.monotonic based).  An op
    never completed counts as unknown."""

    def __init__(self, initial=None):
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self._ops = []
        self.initial = dict(initial or {})

    def now(self):
        return time.monotonic() - self._t0

    def invoke(self, process, kind, key, **fields):
        op = Op(kind, key, status="unknown", process=process, **fields)
        with self._lock:
            op.id = len(self._ops)
            self._ops.append(op)
            op.invoke = self.now()
        return op

    def complete(self, op, status, **fields):
        t = self.now()
        with self._lock:
            for k, v in fields.items():
                setattr(op, k, v)
            op.status = status
            op.complete = INF if status == "unknown" else t

    def ok(self, op, **fields):
        self.complete(op, "ok", **fields)

    def fail(self, op, error=None, **fields):
        self.complete(op, "fail", error=error, **fields)

    def unknown(self, op, error=None, **fields):
        self.complete(op, "unknown", error=error, **fields)

    def history(self):
        with self._lock:
            return History(list(self._ops), self.initial)


# --------------------------------------------------------------------------
# a kazoo workload

def _decode(data):
    return None if data is None else data.decode("utf-8", "replace")


def run_workload(hosts, keys=4, threads=4, ops_per_thread=200, time_limit=20.0,
                 base="/lincheck", mix=(0.4, 0.3, 0.3), read_mode="plain", op_timeout=5.0,
                 session_timeout=10.0, seed=None, client_factory=None, recorder=None,
                 stop_event=None):
    """Run `threads` kazoo clients, each doing at most ops_per_thread operations
    and stopping after time_limit seconds, over `keys` znodes base/k0.. (created
    or reset to "init" first); return the History (with .initial from the
    znodes' state after the reset).

    mix = (reads, writes, cas) weights; a cas reads the znode (a recorded read)
    then sets it with that version.  read_mode: 'plain', 'sync' (sync() then
    get, one op) or 'none'.  Each op waits at most op_timeout seconds; a
    timeout, connection loss or session expiry makes it 'unknown', after which
    the thread waits (bounded) for its client to reconnect.  client_factory(hosts)
    -> unstarted KazooClient, default harness-like KazooClient(hosts, timeout=
    session_timeout).  stop_event (a threading.Event) ends the load early."""
    from kazoo.client import KazooClient
    from kazoo.exceptions import BadVersionError, NoNodeError, NodeExistsError

    def make_client():
        if client_factory is not None:
            return client_factory(hosts)
        return KazooClient(hosts=hosts, timeout=session_timeout,
                           connection_retry=dict(max_tries=-1, delay=0.1, backoff=1.5,
                                                 max_delay=1.0))

    rng0 = random.Random(seed)
    paths = ["%s/k%d" % (base.rstrip("/"), i) for i in range(keys)]
    setup = make_client()
    setup.start(timeout=30)
    initial = {}
    try:
        setup.ensure_path(base)
        for p in paths:
            try:
                setup.create(p, b"init")
            except NodeExistsError:
                setup.set(p, b"init")
            data, stat = setup.get(p)
            initial[p] = State(_decode(data), stat.version)
    finally:
        setup.stop()
        setup.close()
    rec = recorder or Recorder()
    rec.initial.update(initial)
    deadline = time.monotonic() + time_limit
    weights = list(mix)
    if read_mode == "none":
        weights[0] = 0
    stop = stop_event or threading.Event()

    def worker(pid, rng):
        c = make_client()
        try:
            try:
                c.start(timeout=min(15.0, max(1.0, deadline - time.monotonic())))
            except Exception:
                return
            n = 0

            def settle():
                left = deadline - time.monotonic()
                t_end = time.monotonic() + max(0.0, min(left, 2 * op_timeout))
                while not c.connected and time.monotonic() < t_end and not stop.is_set():
                    time.sleep(0.05)

            def do_read(path):
                op = rec.invoke(pid, "read", path)
                try:
                    if read_mode == "sync":
                        c.sync_async(path).get(timeout=op_timeout)
                    data, stat = c.get_async(path).get(timeout=op_timeout)
                except NoNodeError:
                    rec.ok(op, value=None)
                    return None
                except Exception as e:   # noqa: BLE001 - any failure: we learnt nothing
                    rec.unknown(op, error=type(e).__name__)
                    settle()
                    return None
                rec.ok(op, value=_decode(data), version=stat.version)
                return stat.version

            while n < ops_per_thread and time.monotonic() < deadline and not stop.is_set():
                n += 1
                path = rng.choice(paths)
                kind = rng.choices(("read", "write", "cas"), weights)[0]
                if kind == "read":
                    do_read(path)
                    continue
                value = "p%d-%d" % (pid, n)
                if kind == "write":
                    op = rec.invoke(pid, "write", path, value=value)
                    try:
                        stat = c.set_async(path, value.encode(), -1).get(timeout=op_timeout)
                    except NoNodeError:
                        rec.fail(op, error="NoNode")
                        continue
                    except Exception as e:   # noqa: BLE001 - timeout, loss, expiry
                        rec.unknown(op, error=type(e).__name__)
                        settle()
                        continue
                    rec.ok(op, version=stat.version)
                    continue
                if read_mode == "none":
                    try:
                        ver = c.exists_async(path).get(timeout=op_timeout).version
                    except Exception:   # noqa: BLE001
                        settle()
                        continue
                else:
                    ver = do_read(path)
                if ver is None:
                    continue
                op = rec.invoke(pid, "cas", path, value=value, expected_version=ver)
                try:
                    stat = c.set_async(path, value.encode(), ver).get(timeout=op_timeout)
                except BadVersionError:
                    rec.ok(op, swapped=False)
                    continue
                except NoNodeError:
                    rec.fail(op, error="NoNode")
                    continue
                except Exception as e:   # noqa: BLE001
                    rec.unknown(op, error=type(e).__name__)
                    settle()
                    continue
                rec.ok(op, swapped=True, version=stat.version)
        finally:
            try:
                c.stop()
                c.close()
            except Exception:
                pass

    ts = [threading.Thread(target=worker, args=(i, random.Random(rng0.random())),
                           name="lincheck-%d" % i, daemon=True) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(max(1.0, deadline - time.monotonic()) + 2 * op_timeout + 20)
    stop.set()
    return rec.history()
