#include "net/http_server.h"

#include "net/end_of_pass.h"

#include <sys/socket.h>

#include <optional>
#include <string>
#include <utility>  // before Boost 1.74 asio, which uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Counts responses still owed to clients (blocking invokes in flight), so stop() can wait for them while
// the I/O threads still run. The count is an atomic (every request adds and settles one, from the I/O
// threads and the completing thread: no lock shared between them per request); only the settlement that
// reaches zero takes the lock, to wake a waiter — which checks the count under that lock before it sleeps,
// so the wake-up cannot be lost.
class Outstanding {
 public:
  void add() { n_.fetch_add(1, std::memory_order_relaxed); }
  void done() {
    if (n_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  // Waits until none is owed, or until `deadline` (time_point::max(): no deadline).
  void wait_zero(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    const auto zero = [this] { return n_.load(std::memory_order_acquire) == 0; };
    if (deadline == std::chrono::steady_clock::time_point::max())
      cv_.wait(lock, zero);
    else
      cv_.wait_until(lock, deadline, zero);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<long> n_{0};
};

// Shared by the server and its sessions: its config and counters (atomics: sessions on every I/O thread).
struct Shared {
  Shared(HttpHandler& a, const HttpServerConfig& c)
      : api(a), config(c), open_on(std::make_unique<std::atomic<int>[]>(std::max(1, c.io_threads))) {}
  HttpHandler& api;
  const HttpServerConfig& config;
  Outstanding outstanding;
  std::atomic<std::int64_t> open{0};
  std::unique_ptr<std::atomic<int>[]> open_on;  // open connections per I/O thread (SoleConnection)
  std::atomic<std::uint64_t> accepted{0}, refused_over_cap{0}, accept_errors{0}, timed_out{0}, bodies_refused{0};
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
constexpr std::int64_t kNoDeadlineNs = INT64_MAX;

class Session;
// The sessions of one I/O thread, swept by that thread's timer for passed deadlines: a deadline is an
// atomic store per phase (no timer, no syscall per request); a connection is closed at most one sweep
// period after its deadline.
struct SessionRegistry {
  std::mutex mu;
  std::vector<std::weak_ptr<Session>> sessions;
};

std::string error_body(const std::string& message) { return nlohmann::json{{"error", message}}.dump(); }

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared, SessionRegistry& registry, std::size_t io_index)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), api_(shared.api), outstanding_(shared.outstanding),
        shared_(shared), registry_(registry), open_here_(shared.open_on[io_index]) {
    ++shared_.open;
    ++open_here_;
  }
  ~Session() {
    --shared_.open;
    --open_here_;
  }

  void start() {
    {
      std::lock_guard lock(registry_.mu);
      registry_.sessions.push_back(weak_from_this());
    }
    read();
  }
  bool overdue(std::int64_t now) const { return now > deadline_ns_.load(std::memory_order_relaxed); }
  // Called by the sweep on the session's I/O thread.
  void expire() {
    if (deadline_ns_.load(std::memory_order_relaxed) == kNoDeadlineNs) return;
    ++shared_.timed_out;
    close();
  }

 private:
  void arm(std::int64_t ms) { deadline_ns_.store(now_ns() + ms * 1'000'000, std::memory_order_relaxed); }
  void disarm() { deadline_ns_.store(kNoDeadlineNs, std::memory_order_relaxed); }

  // The next request: wait (idle timeout) for its first byte unless bytes are already buffered, then its
  // header (header timeout), then — within the limit for that request — its body (body timeout).
  void read() {
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(shared_.config.max_body_bytes);
    if (buffer_.size() > 0) {
      read_header();
      return;
    }
    arm(shared_.config.idle_timeout_ms);
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec) {
        self->on_read(ec);
        return;
      }
      self->read_header();
    });
  }

  // Runs on the connection's I/O thread only (handlers and the API run there): a request already buffered
  // is parsed right here, not by an asynchronous read, whose completion without I/O is a post — one more trip
  // through the scheduler, and asio's zero-timeout epoll_wait, per header and per body.
  void read_header() {
    arm(shared_.config.header_timeout_ms);
    beast::error_code ec;
    if (parse_buffered(ec, /*whole=*/false)) {
      on_header(ec);
      return;
    }
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  // Feeds the parser the bytes buffered so far: true when that finished the header (`whole`: the whole
  // request) or failed (`ec`: the same errors an asynchronous read reports — limits, malformed input), false
  // when more bytes must be read (the parser keeps its state: an asynchronous read goes on from there).
  bool parse_buffered(beast::error_code& ec, bool whole) {
    while (buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        return false;
      }
      if (ec || (whole ? parser_->is_done() : parser_->is_header_done())) return true;
      if (used == 0) return false;
    }
    return false;
  }

  void on_header(beast::error_code ec) {
    if (ec) {
      on_read(ec);
      return;
    }
    const auto& h = parser_->get();
    const std::string method(h.method_string()), target(h.target());
    std::size_t limit = std::min(shared_.config.max_body_bytes, api_.body_limit(method, target));
    const auto length = parser_->content_length();
    const bool large = (length && *length > kSmallBodyBytes) || (!length && parser_->chunked());
    if (limit > kSmallBodyBytes && large && !api_.authenticates(std::string(h[http::field::authorization]))) {
      // Only a known caller may send more than a small body: answer 401 now, without reading it.
      ++shared_.bodies_refused;
      write(HttpResponse{401, "application/json", error_body("The supplied authentication is invalid.")}, false, h.version());
      return;
    }
    if (length && *length > limit) {  // refused before a byte of the body is read or buffered
      ++shared_.bodies_refused;
      write(HttpResponse{413, "application/json",
                         error_body("The request content was malformed:\nrequest entity too large (" +
                                    std::to_string(*length) + " bytes > " + std::to_string(limit) + ")")},
            false, h.version());
      return;
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      on_read({});
      return;
    }
    arm(shared_.config.body_timeout_ms);
    beast::error_code body_ec;
    if (parse_buffered(body_ec, /*whole=*/true)) {  // the body arrived with its header (the usual case)
      on_read(body_ec);
      return;
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    disarm();  // a blocking invoke may wait for its function now; its own timer bounds that
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted) {
      close();
      return;
    }
    if (ec == http::error::body_limit) {
      ++shared_.bodies_refused;
      HttpResponse r{413, "application/json", R"({"error":"The request content was malformed:\nrequest entity too large"})"};
      write(r, /*keep_alive=*/false, 11);
      return;
    }
    if (ec) {
      if (ec == http::error::bad_target || ec == http::error::bad_method || ec == http::error::bad_version) {
        write(HttpResponse{400, "application/json", R"({"error":"malformed HTTP request"})"}, false, 11);
      } else {
        close();
      }
      return;
    }
    http::request<http::string_body> req = parser_->release();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    HttpRequest in{std::string(req.method_string()), std::string(req.target()),
                   std::string(req[http::field::authorization]), std::move(req.body())};
    // Every request is handled on this I/O thread; a blocking invoke's response comes later from the
    // dispatcher's completion (no thread waits for a function). The response is owed until it is written
    // (outstanding_.done() then): stop() waits for it while the I/O threads still run.
    outstanding_.add();
    early_.store(kNoEarlyRead);  // the previous request's early read, if any, has completed
    // Read now: once handle_async runs, a completing thread may start the next read (and touch the buffer).
    const bool pipelined = buffer_.size() > 0;
    const SoleConnection sole(open_here_.load(std::memory_order_relaxed) == 1);
    AsyncAnswer answer = api_.handle_async(in, [self = shared_from_this(), keep_alive, version](HttpResponse r) mutable {
      Outstanding& outstanding = self->outstanding_;  // the server's: outlives every session
      const bool written = self->deliver(r, keep_alive, version);
      self.reset();  // before done(): once stop() may finish, nothing here holds the session
      if (written) outstanding.done();
    });
    if (answer.now) {
      outstanding_.done();  // `deliver` is never called
      write(*answer.now, keep_alive, version);
      return;
    }
    // The wait's deadline. One lazily armed timer per connection, not one per invoke: deadlines on a
    // connection only grow, so an armed timer fires no later than the newest one and re-arms for it.
    pending_ = std::move(answer.pending);
    timeout_ = std::move(answer.timeout);
    deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(answer.wait_ms);
    if (!timer_armed_) arm_timer();
    if (keep_alive && !pipelined) arm_early_read();
  }

  // While a blocking invoke's response is owed, the next request's read is armed here, on the I/O thread:
  // the thread that writes the response (the wire reader, usually) then only writes it — no asio call, no
  // lock of the socket's reactor state shared with this thread, no speculative read on its side. Bytes
  // (or an end of stream) arriving before the response went out are kept until it has (after_response).
  // Not armed when the response went out already (the invoke's own read answered it inside handle_async:
  // that thread started the next read itself).
  void arm_early_read() {
    int expected = kNoEarlyRead;
    if (!early_.compare_exchange_strong(expected, kEarlyReadArmed)) return;
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      self->early_ec_ = ec;
      int armed = kEarlyReadArmed;
      if (self->early_.compare_exchange_strong(armed, kEarlyReadDone)) return;  // the response is still owed
      self->continue_after_early_read();
    });
  }

  // The response is out, the early read has completed: the next request (or the end of the stream).
  void continue_after_early_read() {
    early_.store(kNoEarlyRead);
    if (early_ec_) {
      on_read(early_ec_);
      return;
    }
    read();  // parses what the early read brought in
  }

  // The response went out whole (any thread): the connection waits for its next request. With an early read
  // armed, it goes on where that read is (now, if it has completed); without one, the next read starts here
  // — on the connection's I/O thread if a pipelined request is already buffered (handlers run there).
  void after_response() {
    int expected = kNoEarlyRead;
    if (early_.compare_exchange_strong(expected, kResponded)) {  // none armed, and none will be for this request
      if (buffer_.size() > 0)
        asio::post(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
      else
        read();  // arms the read only: its completion runs on the I/O thread
      return;
    }
    arm(shared_.config.idle_timeout_ms);
    if (early_.exchange(kResponded) == kEarlyReadDone)
      asio::post(stream_.get_executor(), [self = shared_from_this()] { self->continue_after_early_read(); });
  }

  void arm_timer() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      const auto self = weak.lock();
      if (!self) return;
      self->timer_armed_ = false;
      if (ec || !self->pending_) return;
      if (std::chrono::steady_clock::now() < self->deadline_) {
        self->arm_timer();  // a newer invoke's deadline
        return;
      }
      // The function outlived the wait: 202 + activation id (a no-op if its response went out already).
      std::shared_ptr<PendingReply> pending = std::move(self->pending_);
      pending->send(std::move(self->timeout_));
    });
  }

  // Sends a blocking invoke's response from whichever thread completes it (the invoker's, usually): the
  // connection is idle meanwhile — its next read starts only after this response — so when the socket
  // takes the whole response at once it is written right here and the next read is started, with no hop
  // to an I/O thread (true: written). Otherwise (a full socket buffer, an error) the rest is written
  // asynchronously on the connection's I/O thread, which settles the debt (false). The wait's timer is
  // left alone: it is only ever touched on that thread, and its late expiry finds the reply sent.
  bool deliver(const HttpResponse& r, bool keep_alive, unsigned version) {
    std::string bytes;
    bytes.reserve(160 + r.content_type.size() + r.body.size());  // the whole response: one allocation
    bytes += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    bytes += std::to_string(r.status);
    bytes += ' ';
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
    bytes.append(reason.data(), reason.size());
    bytes += "\r\nServer: hearth\r\nContent-Type: ";
    bytes += r.content_type;
    bytes += "\r\nContent-Length: ";
    bytes += std::to_string(r.body.size());
    if (version == 10 && keep_alive) bytes += "\r\nConnection: keep-alive";
    if (version != 10 && !keep_alive) bytes += "\r\nConnection: close";
    bytes += "\r\n\r\n";
    bytes += r.body;
    const ssize_t n = ::send(stream_.socket().native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(bytes.size())) {
      // The next read (and its idle timer) starts right here: nothing else touches the stream meanwhile
      // (on_read disarmed its timer before the invoke, and a cancelled timer's handler touches nothing).
      if (keep_alive) {
        after_response();
      } else {
        close();
      }
      return true;
    }
    const std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    asio::post(stream_.get_executor(), [self = shared_from_this(), bytes = std::move(bytes), sent, keep_alive]() mutable {
      auto data = std::make_shared<std::string>(std::move(bytes));
      self->arm(self->shared_.config.body_timeout_ms);  // a client that stops reading
      asio::async_write(self->stream_, asio::buffer(*data) + sent,
                        [self, data, keep_alive](beast::error_code ec, std::size_t) {
                          self->outstanding_.done();
                          if (ec || !keep_alive) {
                            self->close();
                            return;
                          }
                          self->after_response();
                        });
    });
    return false;
  }

  void write(const HttpResponse& r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "hearth");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    arm(shared_.config.body_timeout_ms);  // a client that stops reading
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) {
        self->close();
        return;
      }
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  // The last blocking invoke's wait: its reply, the 202 to send at its deadline, and the timer. Touched
  // only on the connection's I/O thread (the completing thread uses the reply object alone).
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::shared_ptr<PendingReply> pending_;
  HttpResponse timeout_;
  std::chrono::steady_clock::time_point deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpHandler& api_;
  Outstanding& outstanding_;
  Shared& shared_;
  SessionRegistry& registry_;
  std::atomic<int>& open_here_;  // this I/O thread's open connections (the server's Shared outlives sessions)
  std::atomic<std::int64_t> deadline_ns_{kNoDeadlineNs};
  // The next request's early read while a response is owed (arm_early_read, after_response).
  static constexpr int kNoEarlyRead = 0, kEarlyReadArmed = 1, kEarlyReadDone = 2, kResponded = 3;
  std::atomic<int> early_{kNoEarlyRead};
  beast::error_code early_ec_;  // the early read's outcome (its I/O thread only)
};

// Answers 503 on a connection past the cap without a session: one non-blocking send, then close.
void refuse(tcp::socket& socket) {
  static const std::string kBusy = [] {
    const std::string body = error_body("Too many open connections; try again later.");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: hearth\r\nContent-Type: application/json\r\nRetry-After: 1"
           "\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  (void)::send(socket.native_handle(), kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

// One io_context per I/O thread (each run by that thread alone, so no handler ever hands the reactor to
// another thread, which on a shared io_context costs a futex wake per event); connections are spread
// over them round-robin and stay on theirs, which serialises each connection's handlers.
struct HttpServer::Impl {
  Impl(HttpHandler& api, HttpServerConfig c) : config(std::move(c)), shared(api, config) {
    const int n = std::max(1, config.io_threads);
    for (int i = 0; i < n; ++i) ios.push_back(std::make_unique<asio::io_context>(1));
    acceptor.emplace(*ios[0]);
    retry.emplace(*ios[0]);
    const tcp::endpoint endpoint(asio::ip::make_address(config.address), config.port);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    for (auto& io : ios) guards.emplace_back(asio::make_work_guard(*io));  // run() until stop()
    const std::int64_t shortest = std::min({config.idle_timeout_ms, config.header_timeout_ms, config.body_timeout_ms});
    sweep_every = std::chrono::milliseconds(std::clamp<std::int64_t>(shortest / 4, 10, 1000));
    for (auto& io : ios) {
      registries.push_back(std::make_unique<SessionRegistry>());
      sweepers.push_back(std::make_unique<asio::steady_timer>(*io));
    }
    for (std::size_t i = 0; i < ios.size(); ++i) sweep(i);
    accept();
    // Work deferred to the end of a pass (EndOfPass) is a handler posted behind those already queued.
    for (auto& io : ios)
      threads.emplace_back([io = io.get()] {
        const EndOfPass::Install loop([io](std::function<void()> fn) { asio::post(*io, std::move(fn)); });
        io->run();
      });
  }

  // Closes the sessions of I/O thread `i` whose deadline passed, then again in sweep_every.
  void sweep(std::size_t i) {
    sweepers[i]->expires_after(sweep_every);
    sweepers[i]->async_wait([this, i](beast::error_code ec) {
      if (ec) return;  // stopping
      std::vector<std::shared_ptr<Session>> overdue;
      const std::int64_t now = now_ns();
      {
        SessionRegistry& r = *registries[i];
        std::lock_guard lock(r.mu);
        for (std::size_t k = 0; k < r.sessions.size();) {
          auto s = r.sessions[k].lock();
          if (!s) {
            r.sessions[k] = std::move(r.sessions.back());
            r.sessions.pop_back();
            continue;
          }
          if (s->overdue(now)) overdue.push_back(std::move(s));
          ++k;
        }
      }
      for (auto& s : overdue) s->expire();
      sweep(i);
    });
  }

  void accept() {
    const std::size_t index = next_io++ % ios.size();
    asio::io_context& io = *ios[index];
    acceptor->async_accept(io, [this, index](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;  // stopping
      if (ec) {  // EMFILE, ENFILE, ENOBUFS, …: the listener is fine, the moment is not. Back off, retry.
        ++shared.accept_errors;
        backoff_ms = std::clamp<std::int64_t>(backoff_ms * 2, 10, 1000);
        std::fprintf(stderr, "hearth http: accept failed: %s; retrying in %lld ms\n", ec.message().c_str(),
                     static_cast<long long>(backoff_ms));
        retry->expires_after(std::chrono::milliseconds(backoff_ms));
        retry->async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor->is_open()) accept();
        });
        return;
      }
      backoff_ms = 0;
      ++shared.accepted;
      if (shared.open.load() >= config.max_connections) {
        ++shared.refused_over_cap;
        refuse(socket);
      } else {
        socket.set_option(tcp::no_delay(true));
        std::make_shared<Session>(std::move(socket), shared, *registries[index], index)->start();
      }
      accept();
    });
  }

  void stop(std::chrono::steady_clock::time_point drain_until) {
    if (stopped) return;
    stopped = true;
    asio::post(*ios[0], [this] {
      beast::error_code ignored;
      acceptor->close(ignored);
      retry->cancel();
    });
    for (std::size_t i = 0; i < ios.size(); ++i) asio::post(*ios[i], [this, i] { sweepers[i]->cancel(); });
    shared.outstanding.wait_zero(drain_until);  // blocking invokes in flight get their responses (or their 202)
    for (auto& io : ios) io->stop();
    for (auto& t : threads) t.join();
  }

  HttpServerConfig config;
  Shared shared;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry;  // the accept backoff (on ios[0], as the accept chain)
  std::vector<std::unique_ptr<SessionRegistry>> registries;  // per I/O thread
  std::vector<std::unique_ptr<asio::steady_timer>> sweepers;   // per I/O thread
  std::chrono::milliseconds sweep_every{1000};
  std::int64_t backoff_ms = 0;              // touched only by the accept chain
  std::size_t next_io = 0;                  // touched only by the accept chain (on ios[0])
  std::vector<std::thread> threads;
  bool stopped = false;
};

HttpServer::HttpServer(HttpHandler& api, HttpServerConfig config) : impl_(std::make_unique<Impl>(api, std::move(config))) {}
HttpServer::~HttpServer() { stop(); }
void HttpServer::stop(std::chrono::steady_clock::time_point drain_until) { impl_->stop(drain_until); }
std::uint16_t HttpServer::port() const { return impl_->acceptor->local_endpoint().port(); }
HttpServerStats HttpServer::stats() const {
  const Shared& s = impl_->shared;
  return {s.accepted.load(), s.refused_over_cap.load(), s.accept_errors.load(), s.timed_out.load(),
          s.bodies_refused.load(), s.open.load()};
}
void HttpServer::stop() { impl_->stop(std::chrono::steady_clock::time_point::max()); }

}  // namespace hearth::net
