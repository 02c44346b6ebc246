"""freshen-bench --live: freshen measured through the real platform (docs/freshen.md "Through hearth up").

Root only. Two `hearth up --network particle` run side by side, one with `--freshen on`, one with
`--freshen off` (own subnets and data directories), and every sample is taken on both, alternating which
goes first, so each ratio compares cells of the same run. The servers (scripts/freshen_net.py `serve`:
an HTTP server and a TLS endpoint, each behind one delaying relay per RTT) run in a network namespace of
their own, joined to the host by a veth pair; the functions reach them from their tenant namespace
through the bridge and the host's routing (egress NAT), as a remote service.

Functions (Python, sandboxed; the URL and RTT are in the code, as the hook takes no arguments):
  fetch  FrFetch(0, http://server:relay/data?bytes=B, ttl) and returns its length
  conn   FrWarm(1, open a TLS connection, ttl), sends "GET 1024" and reads the answer
Triggers:
  chain      a sequence [lead, B]: `lead` sleeps LEAD ms (the upstream function), B's hook is asked as
             lead is dispatched. Each sample starts after B's cached state has expired (ttl 2 s), so B's
             run is its first with the data: its run time (the record's hearth.run_us) is the cell.
  predicted  `--pool-manager hotc:interval=2s` with a 6 s keep-alive: B is invoked every 10 s, its
             container expires in between, HotC's forecast (after the first minute) prewarms one again,
             and with --freshen on the prewarmed container runs the hook: the next invocation's run time.
  wasted     a sequence [fail, B] whose first component fails: B's hook was asked and B never runs.
             The server's bytes (fetch) or TLS connections (conn) it cost, and the hook's own time
             (reported by B's next run, here a {"report_only": true} run that uses nothing).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hearth_api  # noqa: E402

SERVER_IP, HOST_IP = "10.228.0.2", "10.228.0.1"
SUBNETS = {"on": "10.241.0.0/24", "off": "10.242.0.0/24"}
TTL_S = 2


def sh(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))
    return r


class ServerNamespace:
    """freshen_net.py `serve` in a network namespace of its own (SERVER_IP), the host at HOST_IP."""

    def __init__(self, rtts, tmp):
        self.ns, self.veth = "fbs%x" % os.getpid(), "fbh%x" % os.getpid()
        self.proc = None
        try:
            sh("ip", "netns", "add", self.ns)
            sh("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
            sh("ip", "addr", "add", HOST_IP + "/30", "dev", self.veth)
            sh("ip", "link", "set", self.veth, "up")
            for cmd in (["link", "set", "lo", "up"], ["link", "set", "eth0", "up"], ["addr", "add", SERVER_IP + "/30", "dev", "eth0"],
                        ["route", "add", "default", "via", HOST_IP]):
                sh("ip", "-n", self.ns, *cmd)
            self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, os.path.join(HERE, "freshen_net.py"), "serve",
                                          SERVER_IP, ",".join(map(str, rtts)), tmp], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the servers did not start in namespace " + self.ns)
            self.info = json.loads(line)
            with open(self.info["cert"]) as f:
                self.cert_pem = f.read()
        except BaseException:
            self.close()
            raise

    def count(self):
        """(HTTP requests, HTTP bytes, TLS connections) served so far."""
        with urllib.request.urlopen("http://%s:%d/count" % (SERVER_IP, self.info["http"]), timeout=10) as r:
            requests, nbytes, tls = (int(x) for x in r.read().split())
        return requests, nbytes, tls

    def close(self):
        if self.proc:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        sh("ip", "link", "del", self.veth, check=False)
        sh("ip", "netns", "del", self.ns, check=False)


def b_code(kind, server, rtt, nbytes, ttl):
    relay = server.info["relays"][str(rtt)]
    if kind == "fetch":
        url = "http://%s:%d/data?bytes=%d" % (SERVER_IP, relay["http"], nbytes)
        return f"""import urllib.request
URL = {url!r}

def freshen(state):
    FrFetch(0, URL, ttl={ttl})

def main(args):
    if args.get("report_only"):
        return {{}}
    return {{"bytes": len(FrFetch(0, URL, ttl={ttl}))}}
"""
    return f"""import socket, ssl
CTX = ssl.create_default_context(cadata={server.cert_pem!r})

def connect():
    return CTX.wrap_socket(socket.create_connection(({SERVER_IP!r}, {relay["tls"]}), timeout=10), server_hostname={SERVER_IP!r})

def freshen(state):
    FrWarm(1, connect, ttl={ttl})

def main(args):
    if args.get("report_only"):
        return {{}}
    conn = FrWarm(1, connect, ttl={ttl})
    conn.sendall(b"GET 1024\\n")
    f = conn.makefile("rb")
    n = int(f.readline())
    return {{"bytes": len(f.read(n))}}
"""


class Platform:
    def __init__(self, name, flags, tmp):
        self.name = name
        self.log = os.path.join(tmp, "hearth-%s.log" % name)
        with open(self.log, "w") as log:
            try:
                self.proc, self.base, self.auth = hearth_api.start_up(
                    ["--data-dir", os.path.join(tmp, "data-" + name), "--prewarm", "none", "--network", "particle",
                     "--network-subnet", SUBNETS[name.split("-")[0]], "--freshen", name.split("-")[0]] + flags, stderr=log)
            except RuntimeError as e:
                raise RuntimeError("%s; its stderr: %s" % (e, open(self.log).read()[-2000:]))

    def call(self, method, path, body):
        return hearth_api.request(self.base, self.auth, method, path, body)

    def put(self, name, exec_):
        return self.call("PUT", "/api/v1/namespaces/_/actions/%s?overwrite=true" % name, {"exec": exec_})

    def invoke(self, name, args=None):
        try:
            return self.call("POST", "/api/v1/namespaces/_/actions/%s?blocking=true" % name, args or {})
        except urllib.error.HTTPError as e:
            return hearth_api.error_body(e)

    def record(self, activation_id):
        for _ in range(500):
            try:
                return self.call("GET", "/api/v1/namespaces/_/activations/" + activation_id, None)
            except urllib.error.HTTPError:
                time.sleep(0.02)
        raise RuntimeError("no record of " + activation_id)

    def stop(self):
        hearth_api.stop(self.proc)


def annotation(record, key):
    for a in record.get("annotations", []):
        if a["key"] == key:
            return a["value"]
    return None


def run_ms(record):
    return record["hearth"]["run_us"] / 1000.0


def chain_phase(plats, server, a, cells):
    for p in plats.values():
        p.put("lead", {"kind": "python:3", "code": "import time\ndef main(a):\n    time.sleep(%g)\n    return {}\n" % (a.lead_ms / 1000.0)})
        p.put("fail", {"kind": "python:3", "code": "import time\ndef main(a):\n    time.sleep(%g)\n    raise ValueError('no')\n" % (a.lead_ms / 1000.0)})
        for rtt in a.rtts:
            for kind in ("fetch", "conn"):
                b = "%s%d" % (kind, rtt)
                p.put(b, {"kind": "python:3", "code": b_code(kind, server, rtt, a.bytes, TTL_S)})
                p.put("seq-" + b, {"kind": "sequence", "components": ["/_/lead", "/_/" + b]})
                p.put("bad-" + b, {"kind": "sequence", "components": ["/_/fail", "/_/" + b]})
                p.invoke("seq-" + b)  # cold starts: every container exists from here on
    order = list(plats.values())
    for i in range(a.runs):
        time.sleep(TTL_S + 0.2)
        for rtt in a.rtts:
            for kind in ("fetch", "conn"):
                for p in (order if i % 2 == 0 else order[::-1]):
                    seq = p.invoke("seq-%s%d" % (kind, rtt))
                    if len(seq.get("logs", [])) != 2:
                        raise RuntimeError("%s: sequence failed: %s" % (p.name, json.dumps(seq)[:400]))
                    rec = p.record(seq["logs"][1])
                    if rec["hearth"]["start_kind"] != "warm":
                        raise RuntimeError("%s: B started %s" % (p.name, rec["hearth"]["start_kind"]))
                    cells.setdefault(("chain", rtt, kind, p.name), []).append(run_ms(rec))
                    fr = annotation(rec, "freshen") or {}
                    if os.environ.get("FRESHEN_LIVE_DEBUG"):
                        print(p.name, rtt, kind, run_ms(rec), json.dumps(fr), json.dumps(rec["hearth"]), file=sys.stderr)
                    cells.setdefault(("chain-used", rtt, kind, p.name), []).append(1 if fr.get("hits") or fr.get("waits") else 0)
    # Wasted: the hook of a B that never runs ([fail, B]); then B's report_only run reads its report.
    for i in range(a.runs):
        time.sleep(TTL_S + 0.2)  # B's cached state has expired: its hook fetches again
        for rtt in a.rtts:
            for kind in ("fetch", "conn"):
                for p in (order if i % 2 == 0 else order[::-1]):
                    before = server.count()
                    seq = p.invoke("bad-%s%d" % (kind, rtt))
                    if len(seq.get("logs", [])) != 1:
                        raise RuntimeError("the failing sequence ran B: " + json.dumps(seq)[:400])
                    time.sleep(0.5)  # a hook still running finishes
                    after = server.count()
                    used = p.invoke("%s%d" % (kind, rtt), {"report_only": True})
                    fr = annotation(p.record(used["activationId"]), "freshen") or {}
                    hook_ms = (fr.get("hook") or {}).get("ms", 0.0)
                    waste = after[1] - before[1] if kind == "fetch" else after[2] - before[2]
                    cells.setdefault(("waste", rtt, kind, p.name), []).append((hook_ms, waste))


def predicted_phase(plats, server, a, cells):
    for p in plats.values():
        for rtt in a.rtts:
            for kind in ("fetch", "conn"):
                p.put("p%s%d" % (kind, rtt), {"kind": "python:3", "code": b_code(kind, server, rtt, a.bytes, 30)})
    names = ["p%s%d" % (kind, rtt) for rtt in a.rtts for kind in ("fetch", "conn")]
    start = time.monotonic()
    cycle, period = 0, 10.0
    warmup_cycles = 7  # HotC forecasts from complete minutes: the first minute only teaches it
    while cycle < warmup_cycles + a.runs:
        for p in (list(plats.values()) if cycle % 2 == 0 else list(plats.values())[::-1]):
            for name in names:
                rec_id = p.invoke(name)["activationId"]
                if cycle < warmup_cycles:
                    continue
                rec = p.record(rec_id)
                fr = annotation(rec, "freshen") or {}
                if os.environ.get("FRESHEN_LIVE_DEBUG"):
                    print(p.name, name, run_ms(rec), json.dumps(fr), json.dumps(rec["hearth"]), file=sys.stderr)
                cells.setdefault(("predicted", name, p.name), []).append(
                    (run_ms(rec), rec["hearth"]["start_kind"], 1 if fr.get("hits") or fr.get("waits") else 0))
        cycle += 1
        time.sleep(max(0.0, start + cycle * period - time.monotonic()))


def print_tables(a, cells, uptime):
    med = statistics.median
    print("freshen-bench --live: through hearth up --network particle, servers in their own namespace behind "
          "the delaying relay; median of %d, ms (object %d bytes, lead %d ms; %s)" % (a.runs, a.bytes, a.lead_ms, uptime))
    print()
    print("| RTT ms | function | trigger | without freshen | with freshen | ratio |")
    print("|---:|---|---|---:|---:|---:|")
    for rtt in a.rtts:
        for kind in ("fetch", "conn"):
            label = "data fetch" if kind == "fetch" else "TLS connection"
            off, on = med(cells[("chain", rtt, kind, "off")]), med(cells[("chain", rtt, kind, "on")])
            used = cells[("chain-used", rtt, kind, "on")]
            print("| %d | %s | chain (sequence A->B; hook's work used %d/%d) | %.1f | %.1f | %.2f |" % (
                rtt, label, sum(used), len(used), off, on, on / off))
    for rtt in a.rtts:
        for kind in ("fetch", "conn"):
            key = "p%s%d" % (kind, rtt)
            if ("predicted", key, "on-p") not in cells:
                continue
            off = [c[0] for c in cells[("predicted", key, "off-p")]]
            on = [c[0] for c in cells[("predicted", key, "on-p")]]
            kinds = sorted({c[1] for c in cells[("predicted", key, "on-p")] + cells[("predicted", key, "off-p")]})
            used = [c[2] for c in cells[("predicted", key, "on-p")]]
            label = "data fetch" if kind == "fetch" else "TLS connection"
            print("| %d | %s | predicted arrival (hotc; starts %s; hook's work used %d/%d) | %.1f | %.1f | %.2f |" % (
                rtt, label, "/".join(kinds), sum(used), len(used), med(off), med(on), med(on) / med(off)))
    print()
    print("Mispredicted hooks (sequence [fail, B]: B's hook asked, B never runs), median per sequence:")
    print()
    print("| RTT ms | function | hook ms (on) | server bytes / TLS connections (on) | (off) |")
    print("|---:|---|---:|---:|---:|")
    for rtt in a.rtts:
        for kind in ("fetch", "conn"):
            on, off = cells[("waste", rtt, kind, "on")], cells[("waste", rtt, kind, "off")]
            print("| %d | %s | %.1f | %d | %d |" % (rtt, "data fetch" if kind == "fetch" else "TLS connection",
                                                   med(c[0] for c in on), med(c[1] for c in on), med(c[1] for c in off)))


def run_live(a):
    if os.geteuid() != 0:
        sys.exit("freshen-bench --live: needs root (network namespaces, hearth up --network particle)")
    cells = {}
    with tempfile.TemporaryDirectory(prefix="freshen-live-") as tmp:
        server = ServerNamespace(a.rtts, tmp)
        try:
            for phase, flags in (("chain", []), ("predicted", ["--pool-manager", "hotc:interval=2s", "--keepalive", "ttl:ttl=6s"])):
                if phase not in a.phases:
                    continue
                suffix = "" if phase == "chain" else "-p"
                plats = {}
                try:
                    for name in ("on", "off"):
                        plats[name + suffix] = Platform(name + suffix, flags, tmp)
                    print("freshen-bench --live: %s phase" % phase, file=sys.stderr, flush=True)
                    (chain_phase if phase == "chain" else predicted_phase)(plats, server, a, cells)
                finally:
                    for p in plats.values():
                        p.stop()
        finally:
            server.close()
    print_tables(a, cells, "load average " + open("/proc/loadavg").read().split()[0])
