"""Hearth's Python zygote (docs/zygotes.md): SOCK's import cache. A sandboxed interpreter that has imported
a library set and forks sandboxes from itself, so a cold start skips the interpreter's start and the
imports. Function code never runs here: a fork first becomes an isolated sandbox (hearth_zygote.so,
sandbox.h enter_forked_sandbox) and only then loads the function, as hearth_runtime.py does.

  hearth_zygote.py <hearth_zygote.so> [--path DIR]... [--import MODULE]...

Control channel: fd 3, a SOCK_SEQPACKET socket from the platform; one JSON message per request.
  at start                                  -> {"ok": true, "imported": [...]} | {"ok": false, "error": ...}
  {"op": "fork"} + 1 fd (report socket)     -> {"ok": true}: a fork parked on that socket (it reports its
                                               pid there and waits for its sandbox spec)
  {"op": "zygote", "path": [...], "import": [...]} + 1 fd (a new control socket)
                                            -> {"ok": true}: a child zygote (this set plus more) serving
                                               that socket; it answers there as at start
"""
import ctypes
import gc
import json
import os
import signal
import socket
import sys
import traceback

MAX_REQUEST = 64 * 1024


def send(ctl, obj):
    ctl.send(json.dumps(obj).encode())


def load(paths, imports):
    """Puts `paths` on sys.path and imports `imports`; returns the names imported."""
    for p in paths:
        if p not in sys.path:
            sys.path.insert(0, p)
    done = []
    for name in imports:
        __import__(name)
        done.append(name)
    return done


WARM_UP = [{"op": "init", "code": "def main(a):\n    print('w')\n    return {'x': a.get('x')}\n", "main": "main"},
           {"op": "run", "args": {"x": 1}}]


def warm_up(hearth_runtime):
    """Serves one init and one run of a constant function (Hearth's, never a user's) on private pipes: the
    interpreter pages that path writes (reference counts, caches) are copied into this fork now, while it
    is parked (isolated, in its own cgroup), instead of on a cold start's path."""
    r_in, w_in = os.pipe()
    r_out, w_out = os.pipe()
    for request in WARM_UP:
        hearth_runtime.write_frame(w_in, request)
    os.close(w_in)
    hearth_runtime.serve(r_in, w_out, None)  # returns at the end of its input
    for fd in (r_in, w_out, r_out):
        os.close(fd)


def park(lib, report, ctl):
    """In a fresh fork: keep only `report`, then become a sandbox and serve the function there."""
    os.close(ctl.detach())
    os.closerange(3, report)
    os.closerange(report + 1, 1 << 16)
    import hearth_runtime  # imported by the zygote already: a dictionary look-up
    # The warm-up runs in the sandbox's PID 1 once it is isolated (its pages PID 1's own, in its cgroup).
    callback = ctypes.CFUNCTYPE(None)(lambda: warm_up(hearth_runtime))
    if lib.hearth_zygote_enter(report, callback) != 0:
        os._exit(121)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the function's own children report their status
    hearth_runtime.CHANNELS = 1
    hearth_runtime.serve(3, 4, None)
    os._exit(0)


def serve(lib, ctl):
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctl, MAX_REQUEST, 1)
        except OSError:
            os._exit(0)
        if not msg:
            os._exit(0)  # the platform let this zygote go
        try:
            request = json.loads(msg)
            op = request.get("op") if isinstance(request, dict) else None
            if len(fds) != 1 or op not in ("fork", "zygote"):
                raise ValueError("expected op fork or zygote with one descriptor, got %r with %d" % (op, len(fds)))
        except ValueError as e:
            for fd in fds:
                os.close(fd)
            send(ctl, {"ok": False, "error": str(e)})
            continue
        pid = os.fork()
        if pid == 0:
            if op == "fork":
                park(lib, fds[0], ctl)
            # A child zygote: the same sandbox, this zygote's imports plus more, its own control socket.
            child = socket.socket(fileno=fds[0])
            os.close(ctl.detach())
            try:
                paths = [str(p) for p in request.get("path") or []]
                imported = load(paths, [str(m) for m in request.get("import") or []])
                gc.freeze()  # what it imported too: see main()
                send(child, {"ok": True, "imported": imported})
            except BaseException:
                send(child, {"ok": False, "error": traceback.format_exc(limit=5)})
                os._exit(1)
            serve(lib, child)
        os.close(fds[0])
        send(ctl, {"ok": True})


def main():
    ctl = socket.socket(fileno=3)
    try:
        args = sys.argv[1:]
        if not args:
            raise ValueError("usage: hearth_zygote.py <hearth_zygote.so> [--path DIR]... [--import MODULE]...")
        lib = ctypes.CDLL(args[0])
        paths, imports = [], []
        rest = args[1:]
        while rest:
            if len(rest) < 2 or rest[0] not in ("--path", "--import"):
                raise ValueError("unexpected argument %r" % rest[0])
            (paths if rest[0] == "--path" else imports).append(rest[1])
            rest = rest[2:]
        rc = lib.hearth_zygote_prepare()
        if rc != 0:
            raise OSError(-rc, "cannot compile the seccomp profile")
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import hearth_runtime  # noqa: F401  (loaded once here, shared by every fork)
        imported = load(paths, imports)
    except BaseException:
        send(ctl, {"ok": False, "error": traceback.format_exc(limit=5)})
        os._exit(1)
    # Everything allocated so far moves to the collector's permanent generation: a fork's collections
    # never walk (and so never copy-on-write) the zygote's objects (CPython's advice for pre-fork servers).
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps forks and child zygotes
    send(ctl, {"ok": True, "imported": imported})
    serve(lib, ctl)


if __name__ == "__main__":
    main()
