#include "net/wire.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hearth::net::wire {
namespace {

using nlohmann::json;

void no_delay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

bool send_frame(int fd, const std::string& payload) {
  return net::write_frame(fd, payload, net::FdKind::kSocket) == net::FrameStatus::kOk;
}

bool recv_frame(int fd, net::FrameReader& reader, std::string_view* payload, std::string* error,
                net::FrameClock::time_point deadline, net::AdaptiveSpin* spin) {
  const net::FrameStatus s = reader.read(fd, payload, deadline, nullptr, spin);
  if (s == net::FrameStatus::kOk) return true;
  *error = reader.describe(s);
  return false;
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
  return {{"memory_mb", s.memory_mb}, {"used_mb", s.used_mb}, {"busy_mb", s.busy_mb}, {"busy", s.busy},
          {"prewarmed", s.prewarmed}, {"idle", s.idle}, {"evictable", std::move(evictable)},
          {"idle_mb", s.idle_mb}, {"snapshot_bytes", s.snapshot_bytes}, {"releases", s.releases}};
}

InvokerState state_from_json(const json& j) {
  InvokerState s;
  s.memory_mb = j.at("memory_mb").get<std::int64_t>();
  s.used_mb = j.at("used_mb").get<std::int64_t>();
  // optional: an older invoker does not send it; all its memory then counts as busy (the safe side)
  s.busy_mb = j.contains("busy_mb") ? j.at("busy_mb").get<std::int64_t>() : s.used_mb;
  s.busy = j.at("busy").get<std::int32_t>();
  s.prewarmed = j.at("prewarmed").get<std::int32_t>();
  s.idle = j.at("idle").get<std::map<std::string, std::int32_t>>();
  // optional: older invokers do not send them
  if (const auto it = j.find("idle_mb"); it != j.end()) s.idle_mb = it->get<std::int64_t>();
  if (const auto it = j.find("snapshot_bytes"); it != j.end()) s.snapshot_bytes = it->get<std::int64_t>();
  if (const auto it = j.find("releases"); it != j.end()) s.releases = it->get<std::int64_t>();
  if (const auto it = j.find("evictable"); it != j.end())  // optional: older invokers do not send it
    for (const json& c : *it)
      s.evictable.push_back({c.at(0).get<std::string>(), c.at(1).get<std::int64_t>(), c.at(2).get<std::int64_t>()});
  return s;
}

json to_json(const ActivationRecord& a) {
  json j = {{"id", a.id},           {"ns", a.ns},         {"action", a.action},       {"start_us", a.start_us},
          {"end_us", a.end_us},   {"wait_us", a.wait_us}, {"init_us", a.init_us},   {"run_us", a.run_us},
          {"start_kind", a.start_kind}, {"invoker", a.invoker}, {"container", a.container}, {"status", a.status},
          {"result", a.result_json}, {"logs", a.logs}};
  if (!a.freshen_json.empty()) j["freshen"] = a.freshen_json;  // only when the function used freshen
  return j;
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
  if (const auto f = j.find("freshen"); f != j.end() && f->is_string() && f->get_ref<const std::string&>().size() <= 4096)
    a.freshen_json = f->get<std::string>();
  return a;
}

json to_json(const ActionRecord& a, bool with_code) {
  json j = {{"ns", a.ns},           {"name", a.name},           {"kind", a.kind},       {"entry", a.entry},
            {"memory_mb", a.memory_mb}, {"timeout_ms", a.timeout_ms}, {"version", a.version}, {"updated_us", a.updated_us},
            {"revision", a.revision}};
  if (a.cpu_millicores > 0) j["cpu_millicores"] = a.cpu_millicores;  // absent: none (and older peers)
  if (with_code) j["code"] = a.code.str();
  if (with_code && !a.libraries.empty()) {  // absent: none (and older peers)
    j["libraries"] = a.libraries;
    j["library_refs"] = library_refs_to_json(a.library_refs);
  }
  return j;
}

namespace {

// The libraries of an action from the wire; throws std::invalid_argument naming what is wrong (the
// invoker turns a library into paths on disk, so every field is checked).
void libraries_from_json(const json& j, ActionRecord& a) {
  if (!j.contains("libraries")) return;
  a.libraries = j.at("libraries").get<std::vector<std::string>>();
  if (a.libraries.size() > kMaxDeclaredLibraries)
    throw std::invalid_argument("action " + a.name + " declares " + std::to_string(a.libraries.size()) + " libraries (at most " +
                                std::to_string(kMaxDeclaredLibraries) + ")");
  a.library_refs = library_refs_from_json(j.at("library_refs"), "action " + a.name, kMaxLibraryRefs);
}

}  // namespace

json library_refs_to_json(const std::vector<LibraryRef>& refs) {
  json out = json::array();
  for (const LibraryRef& r : refs) out.push_back({{"name", r.name}, {"sha256", r.sha256}, {"bytes", r.bytes}});
  return out;
}

std::vector<LibraryRef> library_refs_from_json(const json& refs, const std::string& what, std::size_t max) {
  if (!refs.is_array() || refs.size() > max)
    throw std::invalid_argument(what + ": library_refs must be an array of at most " + std::to_string(max));
  std::vector<LibraryRef> out;
  for (const json& r : refs) {
    LibraryRef ref{r.at("name").get<std::string>(), r.at("sha256").get<std::string>(), r.at("bytes").get<std::int64_t>()};
    if (!is_library_name(ref.name)) throw std::invalid_argument(what + ": bad library name '" + ref.name.substr(0, 100) + "'");
    if (!is_sha256_hex(ref.sha256))
      throw std::invalid_argument(what + ": library " + ref.name + " has no SHA-256 of 64 lowercase hex digits");
    if (ref.bytes <= 0 || ref.bytes > kMaxLibraryBytes)
      throw std::invalid_argument(what + ": library " + ref.name + " has size " + std::to_string(ref.bytes) + " outside 1.." +
                                  std::to_string(kMaxLibraryBytes));
    out.push_back(std::move(ref));
  }
  return out;
}

ActionRecord action_from_json(const json& j) {
  ActionRecord a;
  a.ns = j.at("ns").get<std::string>();
  a.name = j.at("name").get<std::string>();
  a.kind = j.at("kind").get<std::string>();
  a.entry = j.at("entry").get<std::string>();
  a.memory_mb = j.at("memory_mb").get<std::int64_t>();
  a.timeout_ms = j.at("timeout_ms").get<std::int64_t>();
  a.cpu_millicores = j.value("cpu_millicores", std::int64_t{0});
  a.version = j.at("version").get<std::int64_t>();
  a.updated_us = j.at("updated_us").get<std::int64_t>();
  a.revision = j.at("revision").get<std::int64_t>();
  if (j.contains("code")) a.code = j.at("code").get<std::string>();
  libraries_from_json(j, a);
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

}  // namespace hearth::net::wire
