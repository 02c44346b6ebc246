// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, serving an Api. Connections are handled
// asynchronously on `io_threads` threads (one io_context each would be the next step; one shared
// io_context with a thread per core today); each request's handler runs on a worker pool of
// `worker_threads`, because a blocking invoke may wait for its function. Requests whose body exceeds
// `max_body_bytes` are answered 413 without reading the body. Binds only where told (tests: 127.0.0.1).
// stop() closes the acceptor and open connections and joins every thread; the destructor calls it.
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
  int worker_threads = 16;
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
