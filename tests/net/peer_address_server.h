// Test and benchmark helper: a TCP server on `address` (a thread of this process, any free port) that
// answers each connection with the address it sees the peer connect from, as a bare string or (http) as
// an HTTP/1.0 response "hello <address>" after reading the request. Container-network tests use it to
// check which source address a container's connection carries. Stops and closes on destruction.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

namespace hearth::testing {

class PeerAddressServer {
 public:
  explicit PeerAddressServer(const std::string& address, bool http = false) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    socklen_t len = sizeof sa;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd_, 64) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      return;
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this, http] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 100) != 1) continue;
        sockaddr_in peer{};
        socklen_t plen = sizeof peer;
        const int c = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_CLOEXEC);
        if (c < 0) continue;
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
        std::string reply = text;
        if (http) {
          pollfd r{c, POLLIN, 0};
          char request[2048];
          if (poll(&r, 1, 2000) == 1) (void)!read(c, request, sizeof request);  // the request: not needed
          const std::string body = "hello " + reply;
          reply = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        }
        (void)!write(c, reply.data(), reply.size());
        close(c);
      }
    });
  }
  ~PeerAddressServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  PeerAddressServer(const PeerAddressServer&) = delete;
  PeerAddressServer& operator=(const PeerAddressServer&) = delete;
  int port() const { return port_; }  // 0: it could not listen

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace hearth::testing
