"""Hearth's Python runtime: one persistent process per container (OpenWhisk init/run semantics).

Protocol (docs/runtimes.md): frames of a 4-byte little-endian length followed by UTF-8 JSON, requests on
fd 3, responses on fd 4 (stdout/stderr stay free for the function and are captured into its logs).
  {"op": "init", "path": "/code/main.py", "main": "main"}  -> {"ok": true} | {"ok": false, "error": ...}
  {"op": "init", "path": ..., "main": ..., "paths": [dir, ...]}  (the declared libraries' dist-packages
      directories, put first on sys.path before the code loads: docs/libraries.md)
  {"op": "init", "code": "def main(a): ...", "main": "main"}  (inline source: stem-cell specialisation)
  {"op": "run", "args": {...}}                             -> {"ok": bool, "result"|"error": ..., "logs": [...]}
  {"op": "workers", "count": k}                            -> {"ok": true, "workers": k}
  {"op": "freshen", "timeout_ms": t}  (after init)         -> {"ok": true, "started": bool[, "reason": ...]}
      starts the function's `freshen(state)` hook on a thread with t ms (1..MAX_HOOK_MS) and answers at
      once; a run's reply then carries "freshen": what the wrappers did since the last run (hits, waits,
      misses, the hook's time) when anything happened (hearth_freshen.py, docs/freshen.md)
  {"op": "ping"}                                            -> {"ok": true}  (a restored runtime answers)
Workers (concurrency > 1 in one container): a runtime started with more channels serves worker i on fds
3 + 2i / 4 + 2i. "workers" (after init, on channel 0) forks children that serve channels 1..k with the
code already loaded (copy-on-write: no second init), so scaling up costs a fork. The parent then only
takes control requests and never runs the function, so it is single-threaded whenever it forks.
"""
import io
import json
import os
import signal
import struct
import sys
import traceback

import hearth_freshen

LOG_LIMIT = 64 * 1024  # bytes of captured output per activation


def read_frame(fd):
    # One request at a time: whatever the pipe holds belongs to this frame, so a small one costs one read.
    data = b""
    while len(data) < 4:
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        data += chunk
    (length,) = struct.unpack_from("<I", data)
    if len(data) - 4 < length:
        buf = bytearray(data)
        while len(buf) - 4 < length:
            chunk = os.read(fd, min(length + 4 - len(buf), 1 << 20))
            if not chunk:
                return None
            buf += chunk
        data = bytes(buf)
    return json.loads(data[4:4 + length])


def write_frame(fd, obj):
    data = json.dumps(obj).encode()
    view = memoryview(struct.pack("<I", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def bounded_logs(text):
    if len(text) > LOG_LIMIT:
        text = text[:LOG_LIMIT] + "\n[hearth: logs truncated at %d bytes]" % LOG_LIMIT
    return [line for line in text.split("\n") if line]


def open_channels():
    """How many channels the platform opened (fd pairs 3 + 2i / 4 + 2i), counted before any code runs."""
    channels = 0
    while True:
        try:
            os.fstat(3 + 2 * channels)
            os.fstat(4 + 2 * channels)
        except OSError:
            return channels
        channels += 1


CHANNELS = open_channels()


def fork_workers(count, served, entry):
    """Forks workers for channels len(served)+1 .. count, appending their pids to `served`.

    Each channel's ends live in its worker alone: the worker closes every other channel and the parent
    closes the worker's, so a worker that dies is EOF on its channel at once (a crash, not a timeout)."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps exited workers
    for channel in range(len(served) + 1, count + 1):
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the function's own children report their status
                for other in range(CHANNELS):
                    if other != channel:
                        for fd in (3 + 2 * other, 4 + 2 * other):
                            try:
                                os.close(fd)
                            except OSError:
                                pass  # already handed to an earlier worker and closed here
                serve(3 + 2 * channel, 4 + 2 * channel, entry)
            finally:
                os._exit(0)
        served.append(pid)
        if channel < CHANNELS:
            os.close(3 + 2 * channel)
            os.close(4 + 2 * channel)


def start_freshen(request, entry, hook):
    """The reply to a freshen request: the hook started on its thread, or why not."""
    timeout_ms = request.get("timeout_ms")
    if entry is None:
        return {"ok": False, "error": "freshen before a successful init"}
    if not isinstance(timeout_ms, int) or isinstance(timeout_ms, bool) or not 1 <= timeout_ms <= hearth_freshen.MAX_HOOK_MS:
        return {"ok": False, "error": "freshen: timeout_ms must be an integer in [1, %d]" % hearth_freshen.MAX_HOOK_MS}
    if hook is None:
        return {"ok": True, "started": False, "reason": "the function defines no freshen hook"}
    if not hearth_freshen.fr_state.start_hook(hook, timeout_ms):
        return {"ok": True, "started": False, "reason": "the previous freshen is still running"}
    return {"ok": True, "started": True}


def serve(fd_in, fd_out, entry):
    served = []  # worker pids, channel i at index i - 1
    hook = None  # the function's freshen(state), if it defines one
    while True:
        request = read_frame(fd_in)
        if request is None:
            return
        op = request.get("op")
        if op == "workers" and fd_in == 3:
            count = request.get("count")
            if entry is None or not isinstance(count, int) or count < 1:
                write_frame(fd_out, {"ok": False, "error": "workers needs a successful init and a count >= 1"})
                continue
            try:
                fork_workers(count, served, entry)
                write_frame(fd_out, {"ok": True, "workers": max(count, len(served))})
            except OSError as e:
                write_frame(fd_out, {"ok": False, "error": "cannot start workers: %s" % e})
            continue
        if op == "init":
            try:
                scope = {"__name__": "__hearth_action__", "FrFetch": hearth_freshen.FrFetch,
                         "FrWarm": hearth_freshen.FrWarm, "fr_state": hearth_freshen.fr_state}
                paths = request.get("paths") or []
                if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                    raise TypeError("init: paths must be a list of strings")
                sys.path[0:0] = [p for p in paths if p not in sys.path]
                if "code" in request:  # a generic (stem-cell) runtime specialised with inline source
                    exec(compile(request["code"], "<action>", "exec"), scope)
                else:
                    with open(request["path"]) as f:
                        exec(compile(f.read(), request["path"], "exec"), scope)
                entry = scope.get(request.get("main") or "main")
                if not callable(entry):
                    raise NameError("the code defines no function '%s'" % (request.get("main") or "main"))
                hook = scope.get("freshen") if callable(scope.get("freshen")) else None
                write_frame(fd_out, {"ok": True})
            except BaseException:
                write_frame(fd_out, {"ok": False, "error": traceback.format_exc(limit=5)})
        elif op == "run":
            captured = io.StringIO()
            sys.stdout, sys.stderr = captured, captured
            try:
                result = entry(request.get("args") or {})
                if result is None:
                    result = {}
                if not isinstance(result, dict):
                    raise TypeError("main must return a dict, not %s" % type(result).__name__)
                reply = {"ok": True, "result": result}
            except BaseException:
                reply = {"ok": False, "error": traceback.format_exc(limit=5)}
            finally:
                sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            reply["logs"] = bounded_logs(captured.getvalue())
            counts = hearth_freshen.fr_state.take_counts()
            if counts:
                reply["freshen"] = counts
            try:
                write_frame(fd_out, reply)
            except (TypeError, ValueError) as e:  # a result that is not JSON-serialisable
                write_frame(fd_out, {"ok": False, "error": "result is not JSON: %s" % e, "logs": reply["logs"]})
        elif op == "freshen":
            write_frame(fd_out, start_freshen(request, entry, hook))
        elif op == "ping":  # a restored runtime (snapshot/) answering: it runs again
            write_frame(fd_out, {"ok": True})
        else:
            write_frame(fd_out, {"ok": False, "error": "unknown op %r" % op})


if __name__ == "__main__":
    serve(3, 4, None)
