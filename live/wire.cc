#include "live/wire.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hearth::live::wire {
namespace {

using nlohmann::json;

bool write_all(int fd, const char* p, std::size_t n) {
  while (n) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// 1 = read all, 0 = EOF before the first byte, -1 = error or EOF mid-way.
int read_all(int fd, char* p, std::size_t n) {
  const std::size_t want = n;
  while (n) {
    const ssize_t r = ::recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return n == want ? 0 : -1;
    if (r < 0) return -1;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return 1;
}

void no_delay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

bool send_frame(int fd, const std::string& payload) {
  const std::uint32_t n = static_cast<std::uint32_t>(payload.size());
  char header[4] = {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff), static_cast<char>((n >> 16) & 0xff),
                    static_cast<char>((n >> 24) & 0xff)};
  std::string frame;
  frame.reserve(4 + payload.size());
  frame.append(header, 4);
  frame += payload;
  return write_all(fd, frame.data(), frame.size());
}

bool recv_frame(int fd, std::string* payload, std::string* error, std::uint32_t max_bytes) {
  unsigned char header[4];
  const int h = read_all(fd, reinterpret_cast<char*>(header), 4);
  if (h <= 0) {
    *error = h == 0 ? "connection closed by peer" : std::string("read failed: ") + std::strerror(errno);
    return false;
  }
  const std::uint32_t n = header[0] | header[1] << 8 | header[2] << 16 | static_cast<std::uint32_t>(header[3]) << 24;
  if (n > max_bytes) {
    *error = "frame of " + std::to_string(n) + " bytes exceeds the " + std::to_string(max_bytes) + "-byte limit";
    return false;
  }
  payload->resize(n);
  if (read_all(fd, payload->data(), n) != 1) {
    *error = "connection closed in the middle of a frame";
    return false;
  }
  return true;
}

int listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t* bound) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("wire: '" + address + "' is not an IPv4 address");
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("wire: socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    throw std::runtime_error("wire: cannot listen on " + address + ":" + std::to_string(port) + ": " + why);
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound = ntohs(addr.sin_port);
  return fd;
}

int connect_tcp(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("wire: cannot resolve '" + host + "': " + gai_strerror(rc));
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    const std::string why = std::strerror(errno);
    freeaddrinfo(res);
    if (fd >= 0) close(fd);
    throw std::runtime_error("wire: cannot connect to " + host + ":" + std::to_string(port) + ": " + why);
  }
  freeaddrinfo(res);
  no_delay(fd);
  return fd;
}

void split_host_port(const std::string& text, std::string* host, std::uint16_t* port) {
  std::string t = text;
  if (t.starts_with("http://")) t = t.substr(7);
  const auto colon = t.rfind(':');
  const auto bad = [&] { return std::invalid_argument("'" + text + "' is not HOST:PORT"); };
  if (colon == std::string::npos || colon == 0 || colon + 1 == t.size()) throw bad();
  *host = t.substr(0, colon);
  unsigned long p = 0;
  for (char c : t.substr(colon + 1)) {
    if (c < '0' || c > '9') throw bad();
    p = p * 10 + static_cast<unsigned long>(c - '0');
    if (p > 65535) throw bad();
  }
  if (p == 0) throw bad();
  *port = static_cast<std::uint16_t>(p);
}

json to_json(const InvokerState& s) {
  json evictable = json::array();
  for (const EvictableContainer& c : s.evictable) evictable.push_back(json::array({c.action, c.memory_mb, c.idle_ms}));
  return {{"memory_mb", s.memory_mb}, {"used_mb", s.used_mb}, {"busy", s.busy},
          {"prewarmed", s.prewarmed}, {"idle", s.idle}, {"evictable", std::move(evictable)}};
}

InvokerState state_from_json(const json& j) {
  InvokerState s;
  s.memory_mb = j.at("memory_mb").get<std::int64_t>();
  s.used_mb = j.at("used_mb").get<std::int64_t>();
  s.busy = j.at("busy").get<std::int32_t>();
  s.prewarmed = j.at("prewarmed").get<std::int32_t>();
  s.idle = j.at("idle").get<std::map<std::string, std::int32_t>>();
  if (const auto it = j.find("evictable"); it != j.end())  // optional: older invokers do not send it
    for (const json& c : *it)
      s.evictable.push_back({c.at(0).get<std::string>(), c.at(1).get<std::int64_t>(), c.at(2).get<std::int64_t>()});
  return s;
}

json to_json(const ActivationRecord& a) {
  return {{"id", a.id},           {"ns", a.ns},         {"action", a.action},       {"start_us", a.start_us},
          {"end_us", a.end_us},   {"wait_us", a.wait_us}, {"init_us", a.init_us},   {"run_us", a.run_us},
          {"start_kind", a.start_kind}, {"invoker", a.invoker}, {"container", a.container}, {"status", a.status},
          {"result", a.result_json}, {"logs", a.logs}};
}

ActivationRecord activation_from_json(const json& j) {
  ActivationRecord a;
  a.id = j.at("id").get<std::string>();
  a.ns = j.at("ns").get<std::string>();
  a.action = j.at("action").get<std::string>();
  a.start_us = j.at("start_us").get<std::int64_t>();
  a.end_us = j.at("end_us").get<std::int64_t>();
  a.wait_us = j.at("wait_us").get<std::int64_t>();
  a.init_us = j.at("init_us").get<std::int64_t>();
  a.run_us = j.at("run_us").get<std::int64_t>();
  a.start_kind = j.at("start_kind").get<std::string>();
  a.invoker = j.at("invoker").get<std::string>();
  a.container = j.at("container").get<std::string>();
  a.status = j.at("status").get<std::string>();
  a.result_json = j.at("result").get<std::string>();
  a.logs = j.at("logs").get<std::vector<std::string>>();
  return a;
}

json to_json(const ActionRecord& a, bool with_code) {
  json j = {{"ns", a.ns},           {"name", a.name},           {"kind", a.kind},       {"entry", a.entry},
            {"memory_mb", a.memory_mb}, {"timeout_ms", a.timeout_ms}, {"version", a.version}, {"updated_us", a.updated_us}};
  if (with_code) j["code"] = a.code;
  return j;
}

ActionRecord action_from_json(const json& j) {
  ActionRecord a;
  a.ns = j.at("ns").get<std::string>();
  a.name = j.at("name").get<std::string>();
  a.kind = j.at("kind").get<std::string>();
  a.entry = j.at("entry").get<std::string>();
  a.memory_mb = j.at("memory_mb").get<std::int64_t>();
  a.timeout_ms = j.at("timeout_ms").get<std::int64_t>();
  a.version = j.at("version").get<std::int64_t>();
  a.updated_us = j.at("updated_us").get<std::int64_t>();
  if (j.contains("code")) a.code = j.at("code").get<std::string>();
  return a;
}

json invoke_to_json(std::uint64_t seq, const InvocationRequest& r, bool with_code, bool expect_warm) {
  json j = {{"type", "invoke"},
            {"seq", seq},
            {"action", to_json(r.action, with_code)},
            {"params", r.params_json},
            {"activation_id", r.activation_id},
            {"arrival_us", r.arrival_us}};
  if (expect_warm) j["expect_warm"] = true;
  return j;
}

InvokeMessage invoke_from_json(const json& j) {
  InvokeMessage m;
  m.seq = j.at("seq").get<std::uint64_t>();
  m.request.action = action_from_json(j.at("action"));
  m.with_code = j.at("action").contains("code");
  m.request.params_json = j.at("params").get<std::string>();
  m.request.activation_id = j.at("activation_id").get<std::string>();
  m.request.arrival_us = j.at("arrival_us").get<std::int64_t>();
  m.expect_warm = j.value("expect_warm", false);  // optional: older controllers do not send it
  return m;
}

}  // namespace hearth::live::wire
