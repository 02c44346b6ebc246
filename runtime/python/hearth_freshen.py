"""freshen for Python functions (docs/freshen.md; seed 004, Pseudocode 2-5): a hook the platform runs
before a predicted invocation, and the wrappers that let the hook and the function share its work.

A function may define `freshen(state)`. The runtime runs it on a thread when the platform sends
{"op": "freshen", "timeout_ms": T}; it has T ms (at most MAX_HOOK_MS). The function and the hook use the
same wrappers, which the runtime puts in the function's globals (and this module exports):
  FrFetch(id, source, ttl=60, cafile=None)  the bytes of `source` (an http(s) URL, a file path or
      file:// URL, or a callable returning the data), cached under `id` for `ttl` seconds
  FrWarm(id, opener, ttl=60)  the object `opener()` returns (an open connection), kept under `id`
  fr_state                     the FrState both use (the hook's `state` argument is the same object)
Each id is an fr_state entry: idle -> running -> finished (Pseudocode 4/5). A caller that finds it
finished (and within its TTL) takes the result; one that finds it running waits for it, at most until
the hook's deadline when the hook holds it, and then does the work itself; otherwise it runs the work
and caches the result. So an invocation that arrives while the hook still fetches waits for that fetch
instead of repeating it, and a hook that hangs delays an invocation by at most its time limit.
Bounded: at most MAX_ENTRIES ids, fetches of at most MAX_FETCH_BYTES, network waits within the hook's
remaining time. Thread-safe (one lock; the work itself runs outside it).
"""
import os
import threading
import time

MAX_ENTRIES = 64
MAX_FETCH_BYTES = 64 << 20
MAX_HOOK_MS = 30000
DEFAULT_TTL_S = 60.0
FETCH_TIMEOUT_S = 30.0  # a fetch outside the hook (the function's own)

IDLE, RUNNING, FINISHED = "idle", "running", "finished"


class _Entry:
    __slots__ = ("state", "result", "expires", "done", "deadline")

    def __init__(self, deadline):
        self.state = RUNNING
        self.result = None
        self.expires = 0.0
        self.done = threading.Event()
        self.deadline = deadline  # monotonic time a waiter stops waiting (the hook's deadline), or None


def read_source(source, cafile=None, timeout=FETCH_TIMEOUT_S):
    """The bytes of an http(s) URL or a file (path or file:// URL), at most MAX_FETCH_BYTES."""
    if not isinstance(source, str):
        raise TypeError("FrFetch: source must be a URL, a file path or a callable, not %s" % type(source).__name__)
    if source.startswith(("http://", "https://")):
        import ssl  # here, not at the top: a runtime whose function never fetches a URL starts without them
        import urllib.request
        context = ssl.create_default_context(cafile=cafile) if source.startswith("https://") else None
        with urllib.request.urlopen(source, timeout=max(timeout, 0.001), context=context) as response:
            data = response.read(MAX_FETCH_BYTES + 1)
    else:
        path = source[len("file://"):] if source.startswith("file://") else source
        if not os.path.isabs(path):
            raise ValueError("FrFetch: %r is neither an http(s) URL nor an absolute file path" % source)
        with open(path, "rb") as f:
            data = f.read(MAX_FETCH_BYTES + 1)
    if len(data) > MAX_FETCH_BYTES:
        raise ValueError("FrFetch: %s is larger than %d bytes" % (source, MAX_FETCH_BYTES))
    return data


class FrState:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._mu = threading.Lock()
        self._entries = {}
        self._local = threading.local()  # .hook_deadline on the hook's thread
        self._hook = None  # the hook's thread while it runs
        self._counts = {}
        self._last_hook = None

    # -- the wrappers ------------------------------------------------------------------------------
    def fetch(self, id, source, ttl=DEFAULT_TTL_S, cafile=None):
        if callable(source):
            return self._use(id, source, ttl)
        return self._use(id, lambda: read_source(source, cafile, self._time_left()), ttl)

    def warm(self, id, opener, ttl=DEFAULT_TTL_S):
        if not callable(opener):
            raise TypeError("FrWarm: the resource must be a callable that opens it")
        return self._use(id, opener, ttl)

    def state(self, id):
        """The entry's state: idle, running or finished (an expired result is idle)."""
        with self._mu:
            e = self._entries.get(id)
            if e is None or (e.state == FINISHED and self._clock() >= e.expires):
                return IDLE
            return e.state

    # -- the hook -----------------------------------------------------------------------------------
    def start_hook(self, hook, timeout_ms):
        """Runs hook(self) on a thread with `timeout_ms`; False if one is still running."""
        with self._mu:
            if self._hook is not None and self._hook.is_alive():
                return False
            deadline = self._clock() + timeout_ms / 1000.0
            thread = threading.Thread(target=self._run_hook, args=(hook, deadline), daemon=True)
            self._hook = thread
        thread.start()
        return True

    def wait_hook(self, timeout_s):
        """Waits for a running hook at most `timeout_s` (tests, shutdown); True if none runs now."""
        thread = self._hook
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True

    def take_counts(self):
        """What happened since the last call: hits, waits (and wait_ms), misses, the last hook's run."""
        with self._mu:
            counts, self._counts = self._counts, {}
            if self._last_hook is not None:
                counts["hook"], self._last_hook = self._last_hook, None
        return counts

    # -- inside -------------------------------------------------------------------------------------
    def _run_hook(self, hook, deadline):
        self._local.hook_deadline = deadline
        started = self._clock()
        error = None
        try:
            hook(self)
        except BaseException as e:  # the hook's failure is reported, never the invocation's
            error = "%s: %s" % (type(e).__name__, e)
        took_ms = (self._clock() - started) * 1000.0
        with self._mu:
            self._last_hook = {"ms": round(took_ms, 3), "late": self._clock() > deadline}
            if error:
                self._last_hook["error"] = error[:500]

    def _time_left(self):
        deadline = getattr(self._local, "hook_deadline", None)
        return FETCH_TIMEOUT_S if deadline is None else deadline - self._clock()

    def _count(self, key, by=1):
        self._counts[key] = self._counts.get(key, 0) + by

    def _use(self, id, work, ttl):
        in_hook = getattr(self._local, "hook_deadline", None) is not None
        with self._mu:
            e = self._entries.get(id)
            if e is not None and e.state == FINISHED and self._clock() < e.expires:
                if not in_hook:
                    self._count("hits")
                return e.result
            if e is not None and e.state == RUNNING:
                waiting = e
            else:
                if e is None and len(self._entries) >= MAX_ENTRIES:
                    raise ValueError("fr_state holds %d ids already (at most %d)" % (len(self._entries), MAX_ENTRIES))
                waiting = None
                e = _Entry(self._local.hook_deadline if in_hook else None)
                self._entries[id] = e
        if waiting is not None:
            started = self._clock()
            limit = None if waiting.deadline is None else max(0.0, waiting.deadline - started)
            waiting.done.wait(limit)
            with self._mu:
                if waiting.state == FINISHED:
                    self._count("waits")
                    self._count("wait_ms", round((self._clock() - started) * 1000.0, 3))
                    return waiting.result
                self._count("misses")  # the hook failed or is late: do it here, uncached
            return work()
        try:
            result = work()
        except BaseException:
            with self._mu:
                if self._entries.get(id) is e:
                    del self._entries[id]
            e.done.set()
            raise
        with self._mu:
            e.state, e.result, e.expires = FINISHED, result, self._clock() + ttl
            self._count("hook_fetches" if in_hook else "misses")
        e.done.set()
        return result


fr_state = FrState()


def FrFetch(id, source, ttl=DEFAULT_TTL_S, cafile=None):
    return fr_state.fetch(id, source, ttl, cafile)


def FrWarm(id, opener, ttl=DEFAULT_TTL_S):
    return fr_state.warm(id, opener, ttl)
