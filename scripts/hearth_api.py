"""What the measurement scripts need to drive a `hearth up` they start themselves (scripts/zygote-live-bench,
scripts/scorpius-live):

  start_up(args, **popen)   starts `build/hearth up --port 0 ARGS` on 127.0.0.1 and reads the two lines it
                            prints first (its address, then `export ... HEARTH_AUTH=UUID:KEY`); returns
                            (process, base URL, key). Raises RuntimeError when it did not start.
  request(base, auth, method, path, body)
                            one REST call with basic auth and a JSON body; returns the parsed answer and
                            raises urllib.error.HTTPError on a 4xx/5xx answer, as urllib does.
  error_body(e)             the parsed JSON of such an answer (an activation record for a failed invoke).
  stop(proc)                SIGTERM, then SIGKILL after `timeout` seconds.
"""
import base64
import json
import os
import re
import subprocess
import urllib.request

HEARTH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "hearth")


def start_up(args, **popen):
    proc = subprocess.Popen([HEARTH, "up", "--port", "0"] + args, stdout=subprocess.PIPE, text=True, **popen)
    first = proc.stdout.readline()
    second = proc.stdout.readline()
    if "127.0.0.1:" not in first or "HEARTH_AUTH=" not in second:
        stop(proc)
        raise RuntimeError("hearth up did not start: %r %r" % (first, second))
    port = int(re.search(r"127\.0\.0\.1:(\d+)", first).group(1))
    auth = second.split("HEARTH_AUTH=")[1].split()[0]
    return proc, "http://127.0.0.1:%d" % port, auth


def request(base, auth, method, path, body, timeout=60):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method)
    req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def error_body(e):
    return json.loads(e.read())


def stop(proc, timeout=20):
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
