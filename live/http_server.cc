#include "live/http_server.h"

#include <optional>
#include <utility>  // before Boost 1.74 asio, which uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::live {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Counts responses still owed to clients (blocking invokes in flight), so stop() can wait for them while
// the I/O threads still run.
class Outstanding {
 public:
  void add() {
    std::lock_guard lock(mu_);
    ++n_;
  }
  void done() {
    std::lock_guard lock(mu_);
    if (--n_ == 0) cv_.notify_all();
  }
  void wait_zero() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  long n_ = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Api& api, Outstanding& outstanding, std::size_t max_body)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), api_(api), outstanding_(outstanding), max_body_(max_body) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(max_body_);
    parser_->header_limit(64 * 1024);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted) {
      close();
      return;
    }
    if (ec == http::error::body_limit) {
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
    // dispatcher's completion, posted back to this connection's strand (no thread waits for a function).
    outstanding_.add();
    AsyncAnswer answer = api_.handle_async(in, [self = shared_from_this(), keep_alive, version](HttpResponse r) mutable {
      // The response is owed until its write completes (outstanding_.done() then): stop() waits for it
      // while the I/O threads still run.
      const auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), keep_alive, version, r = std::move(r)] {
        self->timer_.cancel();
        self->write(r, keep_alive, version, /*owed=*/true);
      });
    });
    if (answer.now) {
      outstanding_.done();  // `deliver` is never called
      write(*answer.now, keep_alive, version);
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(answer.wait_ms));
    timer_.async_wait([pending = answer.pending, timeout = std::move(answer.timeout)](beast::error_code ec) mutable {
      if (!ec) pending->send(std::move(timeout));  // the function outlived the wait: 202 + activation id
    });
  }

  void write(const HttpResponse& r, bool keep_alive, unsigned version, bool owed = false) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "hearth");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res, owed](beast::error_code ec, std::size_t) {
      if (owed) self->outstanding_.done();
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
  asio::steady_timer timer_;  // a blocking invoke's wait
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api& api_;
  Outstanding& outstanding_;
  std::size_t max_body_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Api& api, HttpServerConfig c)
      : api(api),
        config(std::move(c)),
        io(config.io_threads),
        acceptor(io) {
    const tcp::endpoint endpoint(asio::ip::make_address(config.address), config.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    accept();
    for (int i = 0; i < config.io_threads; ++i) threads.emplace_back([this] { io.run(); });
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // acceptor closed
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), api, outstanding, config.max_body_bytes)->start();
      accept();
    });
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    asio::post(io, [this] {
      beast::error_code ignored;
      acceptor.close(ignored);
    });
    outstanding.wait_zero();  // blocking invokes in flight get their responses (or their 202)
    io.stop();
    for (auto& t : threads) t.join();
  }

  Api& api;
  HttpServerConfig config;
  asio::io_context io;
  Outstanding outstanding;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  bool stopped = false;
};

HttpServer::HttpServer(Api& api, HttpServerConfig config) : impl_(std::make_unique<Impl>(api, std::move(config))) {}
HttpServer::~HttpServer() { stop(); }
std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }
void HttpServer::stop() { impl_->stop(); }

}  // namespace hearth::live
