// HttpHandler: what an HttpServer serves. handle_async answers a request at once or later through a
// PendingReply (a blocking invoke's completion races its wait's deadline; the first send wins);
// body_limit bounds a request's body from its method and target before it is read; authenticates lets the
// server read a body above kSmallBodyBytes only for an authenticated caller. Implementations are
// thread-safe: the server calls them from several I/O threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "net/http_types.h"

namespace hearth::net {

inline constexpr std::size_t kSmallBodyBytes = 64 * 1024;  // what any request may carry

// A response that arrives later (a blocking invoke): the invocation's completion and the wait's deadline
// race to send it; the first send() delivers, later ones are ignored. Thread-safe.
class PendingReply {
 public:
  explicit PendingReply(std::function<void(HttpResponse)> deliver) : deliver_(std::move(deliver)) {}
  // Delivers `response` unless a response was delivered already; true if this call delivered it.
  bool send(HttpResponse response);

 private:
  std::mutex mu_;
  std::function<void(HttpResponse)> deliver_;  // released once delivered
};

// handle_async's answer: either `now`, or a pending reply that delivers the completion's response,
// unless `wait_ms` passes first: then the caller sends `timeout` (202 with the activation id) through it.
struct AsyncAnswer {
  AsyncAnswer(HttpResponse response) : now(std::move(response)) {}  // NOLINT: routes return responses
  AsyncAnswer(std::shared_ptr<PendingReply> reply, std::int64_t wait, HttpResponse on_timeout)
      : pending(std::move(reply)), wait_ms(wait), timeout(std::move(on_timeout)) {}
  std::optional<HttpResponse> now;
  std::shared_ptr<PendingReply> pending;
  std::int64_t wait_ms = 0;
  HttpResponse timeout;
};

// Whether the request handle_async is handling on this thread came on its I/O thread's only open
// connection (HttpServer sets it around each call): no other connection's request can then be waiting
// for this thread, so a handler may hold it briefly for this request (a blocking invoke reading its own
// result, docs/warm-path.md). False outside an HttpServer's call.
class SoleConnection {
 public:
  explicit SoleConnection(bool sole) { flag() = sole; }
  ~SoleConnection() { flag() = false; }
  SoleConnection(const SoleConnection&) = delete;
  SoleConnection& operator=(const SoleConnection&) = delete;
  static bool here() { return flag(); }

 private:
  static bool& flag() {
    thread_local bool sole = false;
    return sole;
  }
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The answer to `request`: now, or later through `deliver` (see AsyncAnswer). Called on an I/O thread.
  virtual AsyncAnswer handle_async(const HttpRequest& request, std::function<void(HttpResponse)> deliver) = 0;
  // The largest body this request may carry, from its method and target alone.
  virtual std::size_t body_limit(const std::string& method, const std::string& target) const = 0;
  // Whether `authorization` (the header's value) names a valid caller.
  virtual bool authenticates(const std::string& authorization) = 0;
};

}  // namespace hearth::net
