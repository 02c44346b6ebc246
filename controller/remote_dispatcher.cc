#include "controller/remote_dispatcher.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <optional>
#include <tuple>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "controller/group_commit.h"
#include "controller/read_role.h"
#include "invoker/function_table.h"
#include "net/base64.h"
#include "net/end_of_pass.h"
#include "net/frame_codec.h"
#include "net/secrets.h"
#include "net/wire.h"
#include "net/wire_auth.h"
#include "net/wire_binary.h"
#include "policy/registry.h"

namespace hearth::controller {

using nlohmann::json;

struct RemoteDispatcher::Invoker {
  std::string name;
  int pid = 0;
  bool up = false;
  std::uint64_t generation = 0;  // of the current connection
  std::int64_t last_seen_us = 0;
  net::InvokerState state;
  std::map<model::FunctionId, std::int32_t> idle;  // state.idle resolved to function ids
  std::vector<model::Container> evictable;         // state.evictable in controller time
  std::atomic<std::int64_t> in_flight{0};  // changed under the lock; read without it by the reader's spin
  std::uint64_t stale_answers = 0;
  // Guarded by write_mu (set together with `generation` under both locks):
  std::mutex write_mu;
  int fd = -1;
  std::map<std::string, std::int64_t> code_sent;  // "ns/name" → revision whose code this connection has
  std::vector<net::LibraryRef> plan_sent;          // the library plan row this connection was sent
  bool binary_frames = false;  // the invoker reads binary invokes (net/wire_binary.h): its hello said so
  std::string out;             // the binary invoke being sent (reused: no allocation per invoke)
  // Binary invokes sent from an event-loop thread (an HTTP I/O thread) and not written yet: framed, for
  // connection `corked_generation`; written together at the end of the sender's loop pass (flush_corked,
  // net/end_of_pass.h), or first by any direct write. `flush_owed`: a flush is scheduled.
  std::string corked;
  std::uint64_t corked_generation = 0;
  bool flush_owed = false;
  std::shared_ptr<WireConn> conn;                  // the current connection's read side (also under mu_)
};

// One connection's read side: whoever holds `role` reads `reader` (the reader thread, or a sender
// waiting for its own result: read_own).
struct RemoteDispatcher::WireConn {
  WireConn(int fd, std::int64_t own_spin_us) : fd(fd), own_spin(own_spin_us) {}
  const int fd;
  model::NodeId node = 0;
  std::uint64_t generation = 0;  // set before the connection is published in Invoker::conn
  net::FrameReader reader{net::wire::kMaxHandshakeFrameBytes};  // raised to kMaxFrameBytes once authenticated
  ReadRole role;
  net::AdaptiveSpin own_spin;  // read_own's: used by the role's holder only
  // Whether the last invocation sent here came from a sender that waits for its result (WaitsForResult):
  // only then does the reader thread park when nothing is in flight. Under load (many connections: no
  // sender waits) it never parks, so no send has to wake it first (a wake-up more per burst).
  std::atomic<bool> last_send_waits{true};
};

namespace {

// A parked reader thread looks at its socket this often (heartbeats, library requests) while senders read.
constexpr std::chrono::milliseconds kParkTick{20};

// A peer on the Unix socket must run as this process's user (or root); the socket file's mode 0600 and
// its private directory already keep others out. Throws saying who the peer is.
void check_peer_user(int fd) {
  ucred peer{};
  socklen_t len = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0)
    throw std::runtime_error(std::string("no peer credentials on the wire socket: ") + std::strerror(errno));
  if (peer.uid != geteuid() && peer.uid != 0)
    throw std::runtime_error("a process of uid " + std::to_string(peer.uid) + " (pid " + std::to_string(peer.pid) +
                             ") connected to the wire socket: only uid " + std::to_string(geteuid()) + " may");
}

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

std::int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RemoteDispatcher::RemoteDispatcher(RemoteDispatcherConfig config) : config_(std::move(config)) {
  net::wire::check_token(config_.token);
  if (config_.tls_cert_file.empty() != config_.tls_key_file.empty())
    throw std::invalid_argument("wire TLS needs both --wire-tls-cert and --wire-tls-key");
  if (!config_.tls_cert_file.empty()) {
    tls_ = net::wire::TlsEndpoint::server(config_.tls_cert_file, config_.tls_key_file);
  } else if (!net::wire::is_loopback(config_.address) && !config_.insecure) {
    throw std::invalid_argument("the wire address " + config_.address +
                                " is not loopback: give --wire-tls-cert and --wire-tls-key so code, parameters "
                                "and results are encrypted, or --wire-insecure to send them in clear text");
  }
  if (config_.libraries || config_.library_plan != "none")
    library_plan_ = std::make_unique<LibraryPlan>(config_.libraries, LibraryPlan::parse(config_.library_plan),
                                                  config_.library_plan_kb, config_.seed);
  build_placement();  // validates the spec before anything listens
  listen_fd_ = net::wire::listen_tcp(config_.address, config_.port, &port_);
  if (!config_.unix_path.empty()) {
    try {
      unix_ = net::wire::listen_unix(config_.unix_path);
    } catch (...) {
      close(listen_fd_);
      throw;
    }
    unix_acceptor_ = std::thread([this] { accept_loop(unix_.fd, true); });
  }
  acceptor_ = std::thread([this] { accept_loop(listen_fd_, false); });
  monitor_ = std::thread([this] { monitor_loop(); });
  replacer_ = std::thread([this] { replace_loop(); });
}

RemoteDispatcher::~RemoteDispatcher() { stop(); }

void RemoteDispatcher::stop() { stop("the controller is stopping"); }

void RemoteDispatcher::stop(const std::string& why) {
  std::vector<Pending> failed;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (std::size_t n = 0; n < invokers_.size(); ++n)
      mark_down(static_cast<model::NodeId>(n), invokers_[n]->generation, why, failed);
  }
  changed_.notify_all();
  replace_wake_.notify_all();
  {
    std::lock_guard lock(mu_);
    for (const auto& [fd, deadline] : connections_) ::shutdown(fd, SHUT_RDWR);  // also ones that never said hello
  }
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (unix_.fd >= 0) ::shutdown(unix_.fd, SHUT_RDWR);
  acceptor_.join();
  if (unix_acceptor_.joinable()) unix_acceptor_.join();
  monitor_.join();
  replacer_.join();  // invocations it still held end with an error: every invoker is down now
  {
    std::lock_guard lock(mu_);
    for (Pending& p : held_) {  // held at the controller: never sent
      p.stub.result_json = json{{"error", "The controller stopped while this activation waited for memory."}}.dump();
      failed.push_back(std::move(p));
    }
    held_.clear();
    holding_ = 0;
  }
  close(listen_fd_);
  net::wire::close_unix_listener(unix_);  // and its file: nothing is left behind in the data directory
  std::vector<std::thread> readers;
  {
    std::lock_guard lock(mu_);
    readers.swap(readers_);
  }
  for (auto& t : readers) t.join();
  fail_all(failed);
}

model::Micros RemoteDispatcher::now() const { return steady_us(); }

model::MegaBytes RemoteDispatcher::busy_mb(model::NodeId node) const { return invokers_[node]->state.busy_mb; }

std::int32_t RemoteDispatcher::idle_containers(model::NodeId node, model::FunctionId fn) const {
  const auto& idle = invokers_[node]->idle;
  const auto it = idle.find(fn);
  return it == idle.end() ? 0 : it->second;
}

bool RemoteDispatcher::for_each_eviction_candidate(model::NodeId node,
                                                   const std::function<bool(const model::Container&)>& visit) const {
  for (const model::Container& c : invokers_[node]->evictable)
    if (!visit(c)) break;
  return true;
}

void RemoteDispatcher::build_placement() {
  policy::PolicyContext ctx;
  ctx.seed = config_.seed;
  ctx.node_count = static_cast<std::uint32_t>(std::max<std::size_t>(1, nodes_.size()));
  ctx.functions = functions_.specs();
  if (library_plan_) {
    library_status_.matrix = &library_plan_->matrix();
    library_status_.size_kb = library_plan_->size_kb();
    library_status_.imports = &imports_;
    library_status_.code_servers = &code_servers_;
    if (library_plan_->mode() != LibraryPlan::Mode::kNone) ctx.libraries = &library_status_;
  }
  try {
    placement_ = policy::make_placement(config_.placement, ctx);
  } catch (const std::invalid_argument& e) {
    if (!ctx.libraries && std::string(e.what()).find("library data") != std::string::npos)
      throw std::invalid_argument("placement '" + config_.placement +
                                  "' needs a library plan: --library-repo DIR and --library-plan scorpius|hot|random|sock");
    throw;
  }
}

void RemoteDispatcher::send_library_plans() {
  std::vector<std::tuple<Invoker*, std::uint64_t, std::string>> sends;
  {
    std::lock_guard lock(mu_);
    if (!library_plan_ || library_plan_->mode() == LibraryPlan::Mode::kNone) return;
    plan_dirty_ = false;
    for (std::size_t n = 0; n < invokers_.size(); ++n) {
      Invoker& inv = *invokers_[n];
      if (!inv.up) continue;
      std::vector<net::LibraryRef> row = library_plan_->refs_on(static_cast<std::uint32_t>(n));
      std::lock_guard w(inv.write_mu);
      if (row == inv.plan_sent) continue;
      sends.emplace_back(&inv, inv.generation,
                         json{{"type", "library_prepare"}, {"libraries", net::wire::library_refs_to_json(row)}}.dump());
      inv.plan_sent = std::move(row);
    }
  }
  for (auto& [inv, generation, frame] : sends) {  // invokers are never removed: the pointers stay valid
    std::lock_guard w(inv->write_mu);
    if (inv->fd >= 0 && inv->generation == generation) net::wire::send_frame(inv->fd, frame);
  }
}

model::FunctionId RemoteDispatcher::function_for(const net::ActionRecord& a) {
  bool added = false;
  const model::FunctionId id = functions_.id_of(a, &added);
  if (added) {
    if (library_plan_) {
      imports_.resize(static_cast<std::size_t>(id) + 1);
      code_servers_.resize(static_cast<std::size_t>(id) + 1);
      imports_[id] = library_plan_->imports_of(a.library_refs, /*learn=*/true);
      if (!imports_[id].empty() && library_plan_->replan(static_cast<std::uint32_t>(nodes_.size()))) plan_dirty_ = true;
    }
    placement_->on_function_added(functions_[id]);  // keeps what placement learned of the others
  }
  return id;
}

void RemoteDispatcher::accept_loop(int listen_fd, bool unix_socket) {
  std::int64_t backoff_ms = 0;
  while (true) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | (unix_socket ? net::wire::kUnixSocketFlags : 0));
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      const int err = errno;
      std::unique_lock lock(mu_);
      if (stopping_) return;
      // EMFILE, ENFILE, ENOBUFS, …: the listener is fine, the moment is not. Back off (10 ms doubling to
      // 1 s) and accept again; stop() wakes this wait.
      backoff_ms = std::clamp<std::int64_t>(backoff_ms * 2, 10, 1000);
      ++accept_errors_;
      std::fprintf(stderr, "hearth controller: accept failed: %s; retrying in %lld ms\n", std::strerror(err),
                   static_cast<long long>(backoff_ms));
      changed_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stopping_; });
      if (stopping_) return;
      continue;
    }
    backoff_ms = 0;
    const int one = 1;
    if (!unix_socket) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    connections_.emplace(fd, steady_us() + config_.handshake_timeout_ms * 1000);
    readers_.emplace_back([this, fd, unix_socket] { read_loop(fd, unix_socket); });
  }
}

// The controller's half of the handshake (live/wire_auth.h): the peer's hello if it proved it holds the
// token, after answering it welcome; otherwise throws, having answered refused when the peer got as far
// as a hello. Frames are at most kMaxHandshakeFrameBytes; the monitor ends a connection still here at
// its deadline.
json RemoteDispatcher::authenticate(int fd, net::FrameReader& reader, net::FrameClock::time_point deadline) {
  const std::string nonce = net::wire::new_nonce();
  if (!net::wire::send_frame(fd, json{{"type", "challenge"}, {"nonce", nonce}}.dump()))
    throw std::runtime_error("the peer left before the challenge");
  std::string_view payload;
  std::string error;
  if (!net::wire::recv_frame(fd, reader, &payload, &error, deadline)) throw std::runtime_error("no hello: " + error);
  json hello = json::parse(payload);
  if (!hello.is_object() || hello.value("type", "") != "hello")
    throw std::runtime_error("expected hello, got " + std::string(payload.substr(0, 64)));
  const std::string name = hello.at("name").get<std::string>();
  const auto refuse = [&](const std::string& why) {
    net::wire::send_frame(fd, json{{"type", "refused"}, {"error", why}}.dump());
    return std::runtime_error("invoker '" + name.substr(0, net::wire::kMaxInvokerNameBytes) + "' refused: " + why);
  };
  if (name.empty() || name.size() > net::wire::kMaxInvokerNameBytes) throw refuse("the name must have 1 to 128 characters");
  const json* peer_nonce = hello.contains("nonce") && hello["nonce"].is_string() ? &hello["nonce"] : nullptr;
  const json* proof = hello.contains("proof") && hello["proof"].is_string() ? &hello["proof"] : nullptr;
  if (!peer_nonce || !proof || peer_nonce->get_ref<const std::string&>().size() < 16)
    throw refuse("no proof of the wire token (start the invoker with --token-file)");
  const std::string& ni = peer_nonce->get_ref<const std::string&>();
  if (!net::secrets::equal_constant_time(net::wire::invoker_proof(config_.token, nonce, ni, name), proof->get_ref<const std::string&>()))
    throw refuse("wrong wire token");
  // omit_unchanged_state: this controller keeps an invoker's last report when a result comes without one.
  // binary_frames: the binary layout version of results it reads (net/wire_binary.h).
  json welcome = {{"type", "welcome"}, {"proof", net::wire::controller_proof(config_.token, nonce, ni, name)},
                  {"omit_unchanged_state", true}};
  if (config_.binary_frames) welcome["binary_frames"] = net::wire::kBinaryLayoutVersion;
  if (!net::wire::send_frame(fd, welcome.dump()))
    throw std::runtime_error("invoker '" + name + "' left before the welcome");
  return hello;
}

void RemoteDispatcher::read_loop(int fd, bool unix_socket) {
  std::string_view payload;
  std::string error;
  const auto conn = std::make_shared<WireConn>(fd, config_.own_read_spin_us);
  net::FrameReader& reader = conn->reader;
  model::NodeId node = 0;
  Invoker* self = nullptr;  // this connection's slot (slots are never removed)
  std::uint64_t generation = 0;
  std::vector<Pending> failed;
  // Handshake, then hello: who this is.
  bool authenticated = false;
  try {
    const auto handshake_by = net::FrameClock::now() + std::chrono::milliseconds(config_.handshake_timeout_ms);
    if (unix_socket) {
      check_peer_user(fd);  // in addition to the token below, not instead of it
    } else if (tls_) {
      tls_->wrap(fd, handshake_by);  // TLS first: the token's proofs then travel encrypted
    }
    const json hello = authenticate(fd, reader, handshake_by);
    authenticated = true;
    const std::string name = hello.at("name").get<std::string>();
    const net::InvokerState state = net::wire::state_from_json(hello.at("state"));
    std::lock_guard lock(mu_);
    if (stopping_) throw std::runtime_error("the controller is stopping");
    connections_[fd] = 0;  // authenticated: no deadline
    std::size_t slot = 0;
    while (slot < invokers_.size() && invokers_[slot]->name != name) ++slot;
    if (slot == invokers_.size()) {  // a new invoker: a new node for placement
      invokers_.push_back(std::make_unique<Invoker>());
      invokers_.back()->name = name;
      model::NodeState ns;
      ns.id = static_cast<model::NodeId>(slot);
      nodes_.push_back(ns);  // placement reads the node list from the view per call: nothing to rebuild
      if (library_plan_ && library_plan_->replan(static_cast<std::uint32_t>(nodes_.size()))) plan_dirty_ = true;
    } else {  // the same name, authenticated: a restarted invoker (the old connection is dead even if not
              // yet noticed)
      mark_down(static_cast<model::NodeId>(slot), invokers_[slot]->generation, "invoker " + name + " reconnected", failed);
    }
    node = static_cast<model::NodeId>(slot);
    Invoker& inv = *invokers_[slot];
    self = &inv;
    {
      std::lock_guard w(inv.write_mu);
      inv.fd = fd;
      inv.corked.clear();  // the previous connection's: its invocations ended with it
      inv.code_sent.clear();
      inv.plan_sent.clear();
      const auto binary = hello.find("binary_frames");
      inv.binary_frames = config_.binary_frames && binary != hello.end() && binary->is_number_unsigned() &&
                          binary->get<std::uint64_t>() == net::wire::kBinaryLayoutVersion;
      inv.generation = generation = next_generation_++;
      conn->node = node;
      conn->generation = generation;
      inv.conn = conn;
    }
    inv.pid = hello.value("pid", 0);
    inv.up = true;
    inv.last_seen_us = steady_us();
    inv.state = state;
    inv.idle.clear();
    inv.evictable.clear();  // filled from the next report, once the controller knows the functions
    inv.in_flight = 0;
    model::NodeState& ns = nodes_[slot];
    ns.capacity_mb = state.memory_mb;
    ns.used_mb = state.used_mb;
    ns.reserved_mb = 0;
    ns.busy_cores = state.busy;
    ns.healthy = true;
    if (!held_.empty()) {  // a new invoker: room for held invocations
      release_held_ = true;
      replace_wake_.notify_one();
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (!stopping_) std::fprintf(stderr, "hearth controller: rejected an invoker connection: %s\n", e.what());
    if (!authenticated) ++auth_failures_;
    connections_.erase(fd);
    close(fd);
    return;
  }
  changed_.notify_all();
  fail_all(failed);
  send_library_plans();  // the joined invoker's row (and others', if its joining changed the plan)
  reader.set_max_payload(net::wire::kMaxFrameBytes);

  // Results and heartbeats until the connection ends. The results one read brought in are completed
  // within one GroupCommit: their activation records are committed together, once no whole frame is
  // left buffered (before this thread waits for more), instead of one transaction each.
  // While invocations are in flight on this connection, a wait for the next frame first polls (their
  // results are expected soon: a reader still polling needs no wake-up when one arrives).
  std::string why;
  std::optional<GroupCommit> group;
  net::AdaptiveSpin spin(config_.spin_us);
  const auto idle = [self] { return self->in_flight.load() == 0; };  // seq_cst: ReadRole
  while (true) {
    if (!reader.frame_buffered()) {
      group.reset();
      // Nothing in flight: park, so that the next sender may read its own result (read_own); look at
      // the socket every kParkTick meanwhile.
      if (config_.own_read_us > 0 && conn->last_send_waits.load(std::memory_order_relaxed)) {
        const ReadRole::Park park = conn->role.thread_park(idle, kParkTick);
        if (std::optional<std::string> failure = conn->role.take_failure()) {
          why = *failure;
          break;
        }
        if (park == ReadRole::Park::kTick && idle() && !reader.frame_buffered() && !readable_now(fd)) continue;
      }
    }
    net::AdaptiveSpin* spinning = self->in_flight.load(std::memory_order_relaxed) > 0 ? &spin : nullptr;
    if (!net::wire::recv_frame(fd, reader, &payload, &error, net::kNoDeadline, spinning)) {
      why = error;
      break;
    }
    if (!group) group.emplace();
    if (!handle_frame(node, generation, payload, &why)) break;
  }
  group.reset();
  {
    std::lock_guard lock(mu_);
    mark_down(node, generation, why, failed);
    Invoker& inv = *invokers_[node];  // slots are never removed
    std::lock_guard w(inv.write_mu);
    if (inv.fd == fd) {
      inv.fd = -1;
      inv.conn.reset();
    }
    connections_.erase(fd);
    close(fd);
  }
  changed_.notify_all();
  fail_all(failed);
}

bool RemoteDispatcher::handle_frame(model::NodeId node, std::uint64_t generation, std::string_view payload,
                                    std::string* why, std::uint64_t* ended_seq) {
  std::optional<Pending> done;
  net::ActivationRecord rec;
  try {
    // A result in the binary layout (net/wire_binary.h) or any message as JSON.
    std::string type;
    std::uint64_t seq = 0;
    bool reported = true;
    net::InvokerState state;
    if (net::wire::is_binary_frame(payload)) {
      net::wire::BinaryResult r = net::wire::decode_result(payload);
      type = "result";
      seq = r.seq;
      rec = std::move(r.activation);
      reported = r.state_json.has_value();
      if (reported) state = net::wire::state_from_json(json::parse(*r.state_json));
    } else {
      const json msg = json::parse(payload);
      type = msg.at("type").get<std::string>();
      if (type == "library_get") {
        serve_library(node, generation, msg);
        return true;
      }
      if (type != "result" && type != "heartbeat" && type != "stale")
        throw std::runtime_error("unknown message type '" + type + "'");
      // A result without a report: the invoker's pool is as its last report said (StateReportFilter);
      // heartbeats and stale answers always carry one.
      reported = type != "result" || msg.contains("state");
      if (reported) state = net::wire::state_from_json(msg.at("state"));
      if (type == "result") rec = net::wire::activation_from_json(msg.at("activation"));
      if (type != "heartbeat") seq = msg.at("seq").get<std::uint64_t>();
    }
    std::lock_guard lock(mu_);
    Invoker& inv = *invokers_[node];
    if (inv.generation != generation || !inv.up) return false;  // superseded or declared dead: ignore it
    inv.last_seen_us = steady_us();
    if (reported) apply_report(inv, node, state);
    if (type == "result") ++results_;
    if (type == "result" || type == "stale") {
      // Only an activation this controller sent on this connection ends here; any other seq (never
      // sent, sent to another invoker, or already ended) is dropped and counted.
      const auto it = pending_.find(seq);
      if (it != pending_.end() && it->second.generation == generation) {
        done = std::move(it->second);
        pending_.erase(it);
        nodes_[node].reserved_mb -= done->memory_mb;
        --inv.in_flight;
        if (!held_.empty()) {  // semaphore memory freed: held invocations may fit now
          release_held_ = true;
          replace_wake_.notify_one();
        }
        // The record is filed under the controller's id, namespace and action, never the invoker's.
        rec.id = done->stub.id;
        rec.ns = done->stub.ns;
        rec.action = done->stub.action;
        rec.invoker = inv.name;
      } else {
        ++rejected_results_;
      }
    }
    if (type == "stale") {  // it did not run: place it again on the report just applied
      ++inv.stale_answers;
      if (done && done->request) {
        ++replacements_;
        to_replace_.push_back(std::move(*done));
        done.reset();
        replace_wake_.notify_one();
      } else if (done) {  // it was not sent expecting a warm start: the invoker broke the protocol
        rec = done->stub;
        rec.result_json = json{{"error", "invoker " + inv.name + " answered stale to an invocation sent without "
                                         "expecting a warm start"}}.dump();
      }
    }
    if (done) {  // counted under this lock (finish() would take it again)
      count_end(*done, rec);
      if (ended_seq) *ended_seq = seq;
    }
  } catch (const std::exception& e) {
    *why = std::string("malformed message: ") + e.what();
    return false;
  }
  if (done) done->done(std::move(rec));
  return true;
}

void RemoteDispatcher::read_own(Invoker& inv, WireConn& conn, std::uint64_t seq) {
  own_reads_.fetch_add(1, std::memory_order_relaxed);
  const auto deadline = net::FrameClock::now() + std::chrono::microseconds(config_.own_read_us);
  std::optional<std::string> failure;
  bool ended = false;
  {
    std::optional<GroupCommit> group;
    std::string_view payload;
    while (true) {
      if (!conn.reader.frame_buffered()) {
        group.reset();  // commits the records completed so far, then sends their answers (this one's too)
        if (ended) break;
      }
      const net::FrameStatus status = conn.reader.read(conn.fd, &payload, deadline, nullptr, &conn.own_spin);
      if (status == net::FrameStatus::kTimeout) break;  // not in yet: the reader thread takes over
      if (status != net::FrameStatus::kOk) {
        failure = conn.reader.describe(status);
        break;
      }
      if (!group) group.emplace();
      std::string why;
      std::uint64_t ended_seq = 0;
      if (!handle_frame(conn.node, conn.generation, payload, &why, &ended_seq)) {
        failure = why;
        break;
      }
      if (!ended && ended_seq == seq) {
        ended = true;  // its result: no second look under the lock
      } else if (!ended) {
        std::lock_guard lock(mu_);
        ended = pending_.find(seq) == pending_.end();  // answered, failed, or gone to be placed again
      }
    }
  }
  if (!ended || failure) own_reads_handed_back_.fetch_add(1, std::memory_order_relaxed);
  conn.role.caller_release([&inv] { return inv.in_flight.load() == 0; }, std::move(failure));  // seq_cst: ReadRole
}

void RemoteDispatcher::apply_report(Invoker& inv, model::NodeId node, const net::InvokerState& state) {
  inv.state = state;
  inv.idle.clear();
  for (const auto& [key, count] : state.idle)
    if (const long id = functions_.find(key); id >= 0) inv.idle[static_cast<model::FunctionId>(id)] = count;
  inv.evictable.clear();
  for (const net::EvictableContainer& e : state.evictable) {
    model::Container c;
    c.node = node;
    const long id = functions_.find(e.action);
    c.function = id >= 0 ? static_cast<model::FunctionId>(id) : model::kNoFunction;
    c.memory_mb = e.memory_mb;
    c.last_used_us = inv.last_seen_us - e.idle_ms * 1000;
    inv.evictable.push_back(c);
  }
  nodes_[node].capacity_mb = state.memory_mb;
  nodes_[node].used_mb = state.used_mb;
  nodes_[node].busy_cores = state.busy;
  ++reports_applied_;
}

void RemoteDispatcher::mark_down(model::NodeId node, std::uint64_t generation, const std::string& why,
                                 std::vector<Pending>& failed) {
  Invoker& inv = *invokers_[node];
  if (inv.generation != generation || !inv.up) return;
  inv.up = false;
  nodes_[node].healthy = false;
  nodes_[node].reserved_mb = 0;
  inv.in_flight = 0;
  ::shutdown(inv.fd, SHUT_RDWR);  // its reader sees EOF and closes the descriptor
  if (inv.conn) inv.conn->role.wake_thread();  // a parked reader thread reads that EOF
  const std::string reason = "The invoker running this activation (" + inv.name + ") went away: " + why;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.node == node && it->second.generation == generation) {
      Pending p = std::move(it->second);
      it = pending_.erase(it);
      p.stub.result_json = json{{"error", reason}}.dump();
      failed.push_back(std::move(p));
    } else {
      ++it;
    }
  }
  if (!stopping_) std::fprintf(stderr, "hearth controller: invoker %s is down: %s\n", inv.name.c_str(), why.c_str());
}

void RemoteDispatcher::monitor_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    changed_.wait_for(lock, std::chrono::milliseconds(100));
    if (stopping_) break;
    std::vector<Pending> failed;
    const std::int64_t t = steady_us();
    for (const auto& [fd, deadline] : connections_)  // its reader sees EOF, closes it and counts it
      if (deadline != 0 && t > deadline) ::shutdown(fd, SHUT_RDWR);
    for (std::size_t n = 0; n < invokers_.size(); ++n) {
      Invoker& inv = *invokers_[n];
      if (inv.up && t - inv.last_seen_us > config_.heartbeat_timeout_ms * 1000)
        mark_down(static_cast<model::NodeId>(n), inv.generation,
                  "no heartbeat for " + std::to_string((t - inv.last_seen_us) / 1000) + " ms", failed);
    }
    if (failed.empty()) continue;
    lock.unlock();
    fail_all(failed);
    lock.lock();
  }
}

void RemoteDispatcher::fail_all(std::vector<Pending>& failed) {
  for (Pending& p : failed) {
    net::ActivationRecord rec = p.stub;  // mark_down wrote why into its result
    finish(std::move(p), std::move(rec));
  }
  failed.clear();
}

void RemoteDispatcher::count_end(const Pending& p, net::ActivationRecord& rec) {
  const std::int64_t now = net::wall_us();
  if (rec.end_us == 0) rec.end_us = now;
  if (rec.start_us == 0) rec.start_us = p.arrival_us;
  if (rec.start_kind == "cold") ++cold_;
  else if (rec.start_kind == "warm") ++warm_;
  else if (rec.start_kind == "prewarm") ++prewarm_;
  else if (rec.start_kind == "zygote") ++zygote_;
  else if (rec.start_kind == "snapshot") ++snapshot_;
  if (rec.status != "success") ++errors_;
  if (rec.status == "whisk internal error") ++lost_;
  latency_.observe(std::max<std::int64_t>(0, now - p.arrival_us));
}

void RemoteDispatcher::finish(Pending p, net::ActivationRecord rec) {
  {
    std::lock_guard lock(mu_);
    count_end(p, rec);
  }
  p.done(std::move(rec));
}

void RemoteDispatcher::dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) {
  const bool caller_waits = invoker::WaitsForResult::take();  // this call's alone, not a nested dispatch's
  Pending p;
  p.stub = net::record_for(req);
  p.stub.status = "whisk internal error";
  p.arrival_us = req.arrival_us;
  p.memory_mb = req.action.memory_mb;
  p.done = std::move(done);
  if (!req.action.libraries.empty() && req.action.library_refs.empty()) {  // (the API resolves them; other callers)
    try {
      if (!config_.libraries)
        throw std::invalid_argument("this controller has no library repository (start it with --library-repo DIR)");
      req.action.library_refs = config_.libraries->resolve(req.action.libraries);
    } catch (const std::exception& e) {
      net::ActivationRecord rec = p.stub;
      rec.result_json = json{{"error", std::string("cannot resolve the action's libraries: ") + e.what()}}.dump();
      finish(std::move(p), std::move(rec));
      return;
    }
  }
  auto request = std::make_shared<const net::InvocationRequest>(std::move(req));
  {
    std::lock_guard lock(mu_);
    if (holding_ > 0 && !stopping_) {  // non-forced scheduling: behind the invocations already held
      p.request = std::move(request);
      held_.push_back(std::move(p));
      ++holding_;
      return;
    }
  }
  if (place_and_send(p, request, caller_waits)) return;
  std::lock_guard lock(mu_);
  p.request = std::move(request);
  held_.push_back(std::move(p));
  ++holding_;
  release_held_ = true;  // memory may have freed between the placement and now
  replace_wake_.notify_one();
}

void RemoteDispatcher::drain_held(std::unique_lock<std::mutex>& lock) {
  release_held_ = false;
  std::deque<Pending> batch;
  batch.swap(held_);  // holding_ still counts them: new arrivals queue behind
  while (!batch.empty()) {
    Pending p = std::move(batch.front());
    batch.pop_front();
    lock.unlock();
    std::shared_ptr<const net::InvocationRequest> req = std::move(p.request);
    const bool placed = place_and_send(p, req);
    lock.lock();
    if (placed) {
      --holding_;
      continue;
    }
    p.request = std::move(req);
    batch.push_front(std::move(p));  // held again: it and the rest go back before later arrivals
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) held_.push_front(std::move(*it));
    return;
  }
}

void RemoteDispatcher::replace_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    replace_wake_.wait(lock, [this] { return stopping_ || !to_replace_.empty() || (release_held_ && !held_.empty()); });
    if (stopping_ && to_replace_.empty()) return;  // stopping, and nothing left to end (stop() ends the held)
    if (to_replace_.empty()) {
      drain_held(lock);
      continue;
    }
    Pending p = std::move(to_replace_.front());
    to_replace_.pop_front();
    lock.unlock();
    std::shared_ptr<const net::InvocationRequest> req = std::move(p.request);
    ++p.replacements;
    if (!place_and_send(p, req)) {  // held at the controller: behind the others
      lock.lock();
      p.request = std::move(req);
      held_.push_back(std::move(p));
      ++holding_;
      continue;
    }
    lock.lock();
  }
}

bool RemoteDispatcher::place_and_send(Pending& p, std::shared_ptr<const net::InvocationRequest> req, bool caller_waits) {
  Invoker* inv = nullptr;
  std::uint64_t seq = 0, generation = 0;
  model::NodeId node = 0;
  bool expect_warm = false;
  bool replanned = false;  // a new function changed the library plan: send the rows before the invoke
  p.stub.invoker.clear();
  {
    std::lock_guard lock(mu_);
    if (!p.counted) {
      p.counted = true;
      ++invocations_;
    }
    const model::FunctionId fn = function_for(req->action);
    replanned = plan_dirty_;
    model::Invocation invocation;
    invocation.function = fn;
    invocation.arrival_us = now();
    std::optional<model::NodeId> placed =
        stopping_ || nodes_.empty() ? std::nullopt : placement_->place(invocation, functions_[fn], *this);
    if (placed && *placed == policy::kHoldAtController) return false;  // non-forced: the caller holds it
    if (placed && !invokers_[*placed]->up) placed.reset();
    if (!placed && !stopping_) {  // the policy found none: any invoker that is up, most memory free first
      long best = -1;
      for (std::size_t n = 0; n < invokers_.size(); ++n)
        if (invokers_[n]->up && (best < 0 || nodes_[n].unreserved_mb() > nodes_[static_cast<std::size_t>(best)].unreserved_mb()))
          best = static_cast<long>(n);
      if (best >= 0) placed = static_cast<model::NodeId>(best);
    }
    if (placed) {
      node = *placed;
      if (fn < code_servers_.size()) {
        auto& servers = code_servers_[fn];
        if (std::find(servers.begin(), servers.end(), node) == servers.end()) servers.push_back(node);
      }
      inv = invokers_[node].get();
      generation = inv->generation;
      p.node = node;
      p.generation = generation;
      p.stub.invoker = inv->name;
      // Placed where the view shows an idle container of the function: the invoker checks it still has one.
      expect_warm = p.replacements < config_.max_stale_replacements && idle_containers(node, fn) > 0;
      if (expect_warm) p.request = req;
      nodes_[node].reserved_mb += p.memory_mb;
      ++inv->in_flight;
      seq = next_seq_++;
      pending_.emplace(seq, std::move(p));
    }
  }
  if (replanned) send_library_plans();
  if (!inv) {
    p.stub.result_json = json{{"error", "No invoker is available to run this activation."}}.dump();
    net::ActivationRecord rec = p.stub;
    finish(std::move(p), std::move(rec));
    return true;
  }
  bool sent = false, corked = false, schedule_flush = false;
  std::shared_ptr<WireConn> conn;
  {
    std::lock_guard w(inv->write_mu);
    if (inv->fd >= 0 && inv->generation == generation) {
      conn = inv->conn;
      const std::string key = req->action.ns + "/" + req->action.name;
      auto& known = inv->code_sent[key];
      const bool with_code = known != req->action.revision || req->action.revision == 0;
      known = req->action.revision;
      // Sent from an event loop by a caller that does not read its own result: corked until the loop's
      // pass ends, so the invokes of one pass leave in one write (and wake the invoker's reader once).
      const bool cork = !(caller_waits && config_.own_read_us > 0) && net::EndOfPass::available();
      if (inv->binary_frames && !with_code) {  // the hot path: no JSON (net/wire_binary.h)
        net::wire::encode_invoke(inv->out, seq, *req, expect_warm);
        if (cork) {
          net::append_frame(inv->corked, inv->out);
          inv->corked_generation = generation;
          schedule_flush = !inv->flush_owed;
          inv->flush_owed = true;
          sent = corked = true;
          invokes_corked_.fetch_add(1, std::memory_order_relaxed);
        } else {
          sent = write_corked(*inv) && net::write_frame(inv->fd, inv->out, net::FdKind::kSocket) == net::FrameStatus::kOk;
        }
        if (inv->out.capacity() > (1u << 20)) std::string().swap(inv->out);  // a large invoke's buffer is not kept
      } else {
        sent = write_corked(*inv) &&
               net::wire::send_frame(inv->fd, net::wire::invoke_to_json(seq, *req, with_code, expect_warm).dump());
      }
    }
  }
  if (schedule_flush) net::EndOfPass::later([this, inv, node] { flush_corked(*inv, node); });
  if (corked) {
    conn->last_send_waits.store(false, std::memory_order_relaxed);
    return true;  // the flush wakes the reader thread
  }
  if (sent) {
    // The reader thread parks while nothing is in flight: this sender reads the result itself if it
    // waits for it anyway, else wakes the thread (ReadRole).
    conn->last_send_waits.store(caller_waits, std::memory_order_relaxed);
    if (caller_waits && config_.own_read_us > 0 && conn->role.caller_try_take())
      read_own(*inv, *conn, seq);
    else
      conn->role.wake_thread();
    return true;
  }
  std::vector<Pending> failed;
  {
    std::lock_guard lock(mu_);
    mark_down(node, generation, "sending to it failed", failed);
  }
  fail_all(failed);
  return true;
}

bool RemoteDispatcher::write_corked(Invoker& inv) {
  if (inv.corked.empty()) return true;
  bool ok = true;
  if (inv.fd >= 0 && inv.generation == inv.corked_generation)  // else: that connection and its invocations ended
    ok = net::write_all(inv.fd, inv.corked, net::FdKind::kSocket) == net::FrameStatus::kOk;
  if (inv.corked.capacity() > (1u << 20))
    std::string().swap(inv.corked);  // a large batch's buffer is not kept
  else
    inv.corked.clear();
  return ok;
}

void RemoteDispatcher::flush_corked(Invoker& inv, model::NodeId node) {
  std::shared_ptr<WireConn> conn;
  std::uint64_t generation = 0;
  bool ok = true;
  {
    std::lock_guard w(inv.write_mu);
    inv.flush_owed = false;
    if (inv.corked.empty()) return;  // a direct write took them
    generation = inv.corked_generation;
    if (inv.generation == generation) conn = inv.conn;
    ok = write_corked(inv);
  }
  cork_writes_.fetch_add(1, std::memory_order_relaxed);
  if (ok) {
    if (conn) conn->role.wake_thread();  // the reader thread parks while nothing is in flight (ReadRole)
    return;
  }
  std::vector<Pending> failed;
  {
    std::lock_guard lock(mu_);
    mark_down(node, generation, "sending to it failed", failed);
  }
  fail_all(failed);
}

bool RemoteDispatcher::freshen(const net::ActionRecord& action, std::int64_t hook_timeout_ms) {
  const std::string key = action.ns + "/" + action.name;
  std::vector<std::pair<Invoker*, std::uint64_t>> candidates;
  {
    std::lock_guard lock(mu_);
    const long fn = functions_.find(key);
    if (stopping_ || fn < 0) return false;
    for (std::size_t n = 0; n < invokers_.size(); ++n)
      if (invokers_[n]->up && idle_containers(static_cast<model::NodeId>(n), static_cast<model::FunctionId>(fn)) > 0)
        candidates.emplace_back(invokers_[n].get(), invokers_[n]->generation);
  }
  const std::string frame = json{{"type", "freshen"}, {"ns", action.ns}, {"name", action.name},
                                 {"revision", action.revision}, {"timeout_ms", hook_timeout_ms}}.dump();
  for (auto [inv, generation] : candidates) {  // slots are never removed: the pointers stay valid
    std::lock_guard w(inv->write_mu);
    const auto known = inv->code_sent.find(key);
    if (inv->fd < 0 || inv->generation != generation || known == inv->code_sent.end() || known->second != action.revision)
      continue;
    if (net::wire::send_frame(inv->fd, frame)) return true;  // a failed send: the reader notices the connection
  }
  return false;
}

void RemoteDispatcher::serve_library(model::NodeId node, std::uint64_t generation, const json& msg) {
  const std::uint64_t id = msg.at("id").get<std::uint64_t>();
  const std::string sha256 = msg.at("sha256").get<std::string>();
  json reply = {{"type", "library"}, {"id", id}, {"sha256", sha256.substr(0, 64)}};
  try {
    const std::optional<std::string> deb = config_.libraries ? config_.libraries->read(sha256) : std::nullopt;
    if (!config_.libraries)
      reply["error"] = "this controller has no library repository";
    else if (!deb)
      reply["error"] = "no library with SHA-256 " + sha256.substr(0, 64) + " in the repository";
    else
      reply["data"] = net::base64_encode(*deb);
  } catch (const std::exception& e) {
    reply["error"] = e.what();
  }
  Invoker* inv = nullptr;
  {
    std::lock_guard lock(mu_);
    if (node >= invokers_.size() || invokers_[node]->generation != generation) return;
    inv = invokers_[node].get();
    if (reply.contains("data")) {
      ++libraries_served_;
      library_bytes_served_ += reply["data"].get_ref<const std::string&>().size();
    }
  }
  std::lock_guard w(inv->write_mu);
  if (inv->fd >= 0 && inv->generation == generation) net::wire::send_frame(inv->fd, reply.dump());
}

int RemoteDispatcher::wait_for_invokers(int n, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  const auto count = [&] {
    int up = 0;
    for (const auto& inv : invokers_) up += inv->up;
    return up;
  };
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return count() >= n; });
  return count();
}

std::vector<InvokerInfo> RemoteDispatcher::invokers() {
  std::lock_guard lock(mu_);
  std::vector<InvokerInfo> out;
  for (const auto& inv : invokers_) {
    InvokerInfo i;
    i.name = inv->name;
    i.up = inv->up;
    i.pid = inv->pid;
    i.memory_mb = inv->state.memory_mb;
    i.used_mb = inv->state.used_mb;
    i.busy = inv->state.busy;
    for (const auto& [key, count] : inv->state.idle) i.idle += count;
    i.prewarmed = inv->state.prewarmed;
    i.idle_mb = inv->state.idle_mb;
    i.snapshot_bytes = inv->state.snapshot_bytes;
    i.releases = inv->state.releases;
    i.in_flight = inv->in_flight;
    i.stale_answers = inv->stale_answers;
    out.push_back(i);
  }
  return out;
}

std::string RemoteDispatcher::prometheus_metrics() {
  const std::vector<InvokerInfo> infos = invokers();
  std::lock_guard lock(mu_);
  std::string out;
  const auto line = [&out](const std::string& s) { out += s + "\n"; };
  line("# TYPE hearth_invocations_total counter");
  line("hearth_invocations_total " + std::to_string(invocations_));
  line("# TYPE hearth_starts_total counter");
  line("hearth_starts_total{kind=\"cold\"} " + std::to_string(cold_));
  line("hearth_starts_total{kind=\"warm\"} " + std::to_string(warm_));
  line("hearth_starts_total{kind=\"prewarm\"} " + std::to_string(prewarm_));
  line("hearth_starts_total{kind=\"zygote\"} " + std::to_string(zygote_));
  line("hearth_starts_total{kind=\"snapshot\"} " + std::to_string(snapshot_));
  line("# TYPE hearth_errors_total counter");
  line("hearth_errors_total " + std::to_string(errors_));
  line("# TYPE hearth_lost_activations_total counter");
  line("hearth_lost_activations_total " + std::to_string(lost_));
  line("# TYPE hearth_stale_replacements_total counter");
  line("hearth_stale_replacements_total " + std::to_string(replacements_));
  line("# TYPE hearth_wire_accept_errors_total counter");
  line("hearth_wire_accept_errors_total " + std::to_string(accept_errors_));
  line("# TYPE hearth_wire_auth_failures_total counter");
  line("hearth_wire_auth_failures_total " + std::to_string(auth_failures_));
  line("# TYPE hearth_wire_rejected_results_total counter");
  line("hearth_wire_rejected_results_total " + std::to_string(rejected_results_));
  line("# TYPE hearth_libraries_served_total counter");
  line("hearth_libraries_served_total " + std::to_string(libraries_served_));
  line("# TYPE hearth_library_bytes_served_total counter");
  line("hearth_library_bytes_served_total " + std::to_string(library_bytes_served_));
  line("# TYPE hearth_wire_results_total counter");
  line("hearth_wire_results_total " + std::to_string(results_));
  line("# TYPE hearth_wire_state_reports_total counter");
  line("hearth_wire_state_reports_total " + std::to_string(reports_applied_));
  line("# TYPE hearth_wire_invokes_corked_total counter");
  line("hearth_wire_invokes_corked_total " + std::to_string(invokes_corked_.load()));
  line("# TYPE hearth_wire_cork_writes_total counter");
  line("hearth_wire_cork_writes_total " + std::to_string(cork_writes_.load()));
  line("# TYPE hearth_wire_own_reads_total counter");
  line("hearth_wire_own_reads_total " + std::to_string(own_reads_.load()));
  line("# TYPE hearth_wire_own_reads_handed_back_total counter");
  line("hearth_wire_own_reads_handed_back_total " + std::to_string(own_reads_handed_back_.load()));
  line("# TYPE hearth_invoker_up gauge");
  for (const InvokerInfo& i : infos) line("hearth_invoker_up{invoker=\"" + i.name + "\"} " + (i.up ? "1" : "0"));
  line("# TYPE hearth_containers gauge");
  for (const InvokerInfo& i : infos) {
    const std::string inv = "invoker=\"" + i.name + "\"";
    line("hearth_containers{" + inv + ",state=\"idle\"} " + std::to_string(i.idle));
    line("hearth_containers{" + inv + ",state=\"busy\"} " + std::to_string(i.busy));
    line("hearth_containers{" + inv + ",state=\"prewarmed\"} " + std::to_string(i.prewarmed));
    line("hearth_invoker_memory_used_mb{" + inv + "} " + std::to_string(i.used_mb));
    line("hearth_invoker_idle_memory_mb{" + inv + "} " + std::to_string(i.idle_mb));
    line("hearth_snapshot_bytes{" + inv + "} " + std::to_string(i.snapshot_bytes));
    line("hearth_snapshot_releases_total{" + inv + "} " + std::to_string(i.releases));
    line("hearth_invoker_stale_answers_total{" + inv + "} " + std::to_string(i.stale_answers));
  }
  latency_.render("hearth_invocation_latency_seconds", out);
  return out;
}

}  // namespace hearth::controller
