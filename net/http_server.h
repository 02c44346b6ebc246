// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, serving an Api. Connections are handled
// asynchronously on `io_threads` threads, each running its own io_context (connections are assigned
// round-robin and stay on theirs, so a connection's handlers never run concurrently). Every
// request is handled on its I/O thread through Api::handle_async: a blocking invoke's response is written
// by the thread that completes it (the invoker's; the connection is idle meanwhile) when the socket takes
// it whole, else on the connection's I/O thread, so no thread waits for a function and a warm invoke costs
// no hop to a worker pool nor back to an I/O thread. Binds only where told (tests: 127.0.0.1).
// Hostile clients (issue 11): the header is read first, and the body only up to Api::body_limit for that
// request (at most `max_body_bytes`; past 64 KiB only for an authenticated caller): a longer
// Content-Length is answered 413 before a byte of the body is read. A keep-alive connection waits
// `idle_timeout_ms` for a request, a request's header must arrive within `header_timeout_ms` of its first
// byte and its body within `body_timeout_ms`, each response write too; then the connection is closed
// (deadlines are atomic stores swept by each I/O thread every quarter of the shortest timeout, 10 ms to
// 1 s: no timer operation per request).
// Past `max_connections` open connections a new one is answered 503 and closed. Accept errors (EMFILE,
// ENFILE, ENOBUFS…) are logged and retried with a backoff (10 ms doubling to 1 s), never the end of
// accepting.
// stop() closes the acceptor, waits until every blocking invoke in flight has been answered (its
// response or its 202), then closes the connections and joins every thread; the destructor calls it.
// stop(drain_until) waits for those answers only until then (a shutdown's drain timeout): a blocking
// invoke still running loses its connection, and its completion, when it comes, writes to nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "net/http_handler.h"

namespace hearth::net {

struct HttpServerConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port (see HttpServer::port())
  int io_threads = 2;
  int worker_threads = 16;  // unused since handlers no longer block; kept for source compatibility
  std::size_t max_body_bytes = 50 << 20;   // ceiling over Api::body_limit (OpenWhisk's max-content-length)
  std::int64_t idle_timeout_ms = 60'000;   // a keep-alive connection's wait for its next request
  std::int64_t header_timeout_ms = 10'000; // first byte of a request → end of its header
  std::int64_t body_timeout_ms = 60'000;   // end of the header → end of the body; and each response write
  int max_connections = 16'384;            // open connections; past it 503 (OpenWhisk's akka: 8192)
};

// Counters since start (GET /metrics can show them).
struct HttpServerStats {
  std::uint64_t accepted = 0, refused_over_cap = 0, accept_errors = 0, timed_out = 0, bodies_refused = 0;
  std::int64_t open = 0;
};

class HttpServer {
 public:
  HttpServer(HttpHandler& api, HttpServerConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  HttpServerStats stats() const;
  void stop();
  void stop(std::chrono::steady_clock::time_point drain_until);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::net
