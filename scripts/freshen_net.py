"""The local servers freshen is measured and tested against (docs/freshen.md), on 127.0.0.1 unless given
another address (`host`: e.g. the address of a server network namespace):

  HttpServer    an HTTP server (http.server) that serves /data?bytes=N (N zero bytes, at most 64 MiB),
                /slow?ms=M (a small body after M ms, at most 10 s) and /count (how many /data and /slow
                requests it has served, their bytes and, with a TlsEndpoint attached as `.tls`, how
                many TLS connections that one accepted: "REQUESTS BYTES [TLS]"), counting every request
  TlsEndpoint   a TLS server (ssl, with a certificate openssl generates into a temp directory) that
                answers each line "GET n" on a connection with n bytes, many requests per connection
  DelayRelay    a TCP relay that adds a round-trip time: bytes in each direction are held for half the
                RTT, and a new connection's first client bytes no earlier than one RTT after it was
                accepted (the SYN/SYN-ACK round trip the loopback handshake does not pay), so connection
                set-up, requests and TLS handshakes pay the delay as on a wide-area link. (This kernel has
                no netem: CONFIG_NET_SCH_NETEM is not set.)

Each runs on its own thread and stops with close(). As a program (for tests written in other languages):
  python3 freshen_net.py http [--relay-rtt-ms R] [--host H]
prints "PORT" (the relay's when R > 0) and serves until its stdin closes;
  python3 freshen_net.py serve HOST RTT[,RTT...] CERT_DIR
serves HTTP and TLS on HOST, each behind one relay per RTT (also on HOST), prints one JSON line {"http": P, "tls": P, "cert": PATH, "relays": {"RTT": {"http": P,
"tls": P}}} (/count on "http" counts the TLS connections too) and serves until its stdin closes.
"""
import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 64 << 20
MAX_SLOW_MS = 10000
MAX_LINE = 256


class HttpServer:
    def __init__(self, host="127.0.0.1"):
        self.requests = 0
        self.bytes = 0
        self.tls = None
        self._mu = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(url.query)
                try:
                    if url.path == "/count":
                        with outer._mu:
                            body = ("%d %d" % (outer.requests, outer.bytes)).encode()
                        if outer.tls is not None:
                            body += b" %d" % outer.tls.connections
                    elif url.path == "/data":
                        n = int(q.get("bytes", ["1024"])[0])
                        if not 0 <= n <= MAX_BODY:
                            raise ValueError("bytes must be in [0, %d]" % MAX_BODY)
                        body = bytes(n)
                        outer._served(n)
                    elif url.path == "/slow":
                        ms = int(q.get("ms", ["100"])[0])
                        if not 0 <= ms <= MAX_SLOW_MS:
                            raise ValueError("ms must be in [0, %d]" % MAX_SLOW_MS)
                        outer._served(0)
                        time.sleep(ms / 1000.0)
                        body = b"slow"
                    else:
                        self.send_error(404)
                        return
                except ValueError as e:
                    self.send_error(400, str(e))
                    return
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a hook past its time limit)

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # close() does not wait for a /slow answer
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _served(self, n):
        with self._mu:
            self.requests += 1
            self.bytes += n

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def make_certificate(directory, host="127.0.0.1"):
    """A self-signed P-256 certificate for 127.0.0.1 and `host` (openssl); returns (cert, key) paths."""
    cert, key = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
    names = "IP:127.0.0.1" + ("" if host == "127.0.0.1" else ",IP:" + host)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", "/CN=" + host, "-addext", "subjectAltName=" + names,
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    return cert, key


class TlsEndpoint:
    def __init__(self, directory, host="127.0.0.1"):
        self.cert, key = make_certificate(directory, host)
        self.connections = 0
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.cert, key)
        self._listener = socket.create_server((host, 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(30)
            with self._context.wrap_socket(conn, server_side=True) as tls:
                f = tls.makefile("rb")
                while True:
                    line = f.readline(MAX_LINE)
                    if not line:
                        return
                    parts = line.split()
                    n = int(parts[1]) if len(parts) == 2 and parts[0] == b"GET" and parts[1].isdigit() else -1
                    if not 0 <= n <= MAX_BODY:
                        tls.sendall(b"ERR\n")
                        return
                    tls.sendall(b"%d\n" % n + bytes(n))
        except (OSError, ssl.SSLError, ValueError):
            pass

    def close(self):
        self._closed = True
        self._listener.close()


class DelayRelay:
    """host:port -> host:target with `rtt_ms` added (see the module's note)."""

    def __init__(self, target_port, rtt_ms, host="127.0.0.1"):
        self.rtt = rtt_ms / 1000.0
        self.host = host
        self.target_port = target_port
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._relay, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    async def _pipe(self, reader, writer, delay, not_before):
        queue = asyncio.Queue(maxsize=1024)  # bounded: a fast sender waits for the delayed writer

        async def forward():
            while True:
                due, chunk = await queue.get()
                wait = due - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if chunk is None:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(chunk)
                await writer.drain()

        task = asyncio.ensure_future(forward())
        try:
            while True:
                chunk = await reader.read(65536)
                due = max(self._loop.time() + delay, not_before)
                await queue.put((due, chunk or None))
                if not chunk:
                    break
            await task
        except (ConnectionError, OSError):
            task.cancel()

    async def _relay(self, client_reader, client_writer):
        accepted = self._loop.time()
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            client_writer.close()
            return
        half = self.rtt / 2
        try:
            await asyncio.gather(self._pipe(client_reader, up_writer, half, accepted + self.rtt + half),
                                 self._pipe(up_reader, client_writer, half, 0.0))
        finally:
            for w in (up_writer, client_writer):
                w.close()

    def close(self):
        async def stop():
            self._server.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in others:
                t.cancel()
            await asyncio.gather(*others, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def serve(host, rtts, cert_dir):
    http = HttpServer(host)
    tls = TlsEndpoint(cert_dir, host)
    http.tls = tls
    relays = {}
    for rtt in rtts:
        relays[str(rtt)] = {"http": DelayRelay(http.port, rtt, host), "tls": DelayRelay(tls.port, rtt, host)}
    print(json.dumps({"http": http.port, "tls": tls.port, "cert": tls.cert,
                      "relays": {k: {n: r.port for n, r in v.items()} for k, v in relays.items()}}), flush=True)
    sys.stdin.read()  # until the caller closes our stdin (or exits)
    for pair in relays.values():
        for r in pair.values():
            r.close()
    tls.close()
    http.close()


def main(argv):
    usage = "usage: freshen_net.py http [--relay-rtt-ms R] [--host H] | serve HOST RTT[,RTT...] CERT_DIR"
    if len(argv) == 4 and argv[0] == "serve":
        try:
            rtts = [int(x) for x in argv[2].split(",")]
        except ValueError:
            sys.exit("freshen_net.py serve: RTTs must be integers, got %r" % argv[2])
        return serve(argv[1], rtts, argv[3])
    if len(argv) < 1 or argv[0] != "http" or len(argv) % 2 != 1:
        sys.exit(usage)
    options = dict(zip(argv[1::2], argv[2::2]))
    if set(options) - {"--relay-rtt-ms", "--host"} or not options.get("--relay-rtt-ms", "0").isdigit():
        sys.exit(usage)
    rtt = int(options.get("--relay-rtt-ms", "0"))
    host = options.get("--host", "127.0.0.1")
    server = HttpServer(host)
    relay = DelayRelay(server.port, rtt, host) if rtt > 0 else None
    print(relay.port if relay else server.port, flush=True)
    sys.stdin.read()  # until the caller closes our stdin (or exits)
    if relay:
        relay.close()
    server.close()


if __name__ == "__main__":
    main(sys.argv[1:])
