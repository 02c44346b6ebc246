// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, serving an Api. Connections are handled
// asynchronously on `io_threads` threads, each running its own io_context (connections are assigned
// round-robin and stay on theirs, so a connection's handlers never run concurrently). Every
// request is handled on its I/O thread through Api::handle_async: a blocking invoke's response is written
// by the thread that completes it (the invoker's; the connection is idle meanwhile) when the socket takes
// it whole, else on the connection's I/O thread, so no thread waits for a function and a warm invoke costs
// no hop to a worker pool nor back to an I/O thread. Requests whose body exceeds `max_body_bytes`
// are answered 413 without reading the body. Binds only where told (tests: 127.0.0.1).
// stop() closes the acceptor, waits until every blocking invoke in flight has been answered (its
// response or its 202), then closes the connections and joins every thread; the destructor calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "live/api.h"

namespace hearth::live {

struct HttpServerConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port (see HttpServer::port())
  int io_threads = 2;
  int worker_threads = 16;  // unused since handlers no longer block; kept for source compatibility
  std::size_t max_body_bytes = 50 << 20;
};

class HttpServer {
 public:
  HttpServer(Api& api, HttpServerConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::live
