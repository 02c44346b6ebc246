#include "invoker/invoker_agent.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "net/base64.h"
#include "net/cpu_wake_latency.h"
#include "net/secrets.h"
#include "net/wire.h"
#include "net/wire_auth.h"
#include "net/wire_binary.h"

namespace hearth::invoker {

using nlohmann::json;

InvokerAgent::InvokerAgent(ContainerFactory& factory, InvokerAgentConfig config)
    : config_(std::move(config)),
      address_(net::wire::parse_wire_address(config_.controller)),
      // Inline runs count against the pool's concurrency: at most that many, plus the reading leader.
      readers_(static_cast<std::size_t>(std::max(1, config_.pool.concurrency)) + 1) {
  net::wire::check_token(config_.token);
  if (config_.name.empty() || config_.name.size() > net::wire::kMaxInvokerNameBytes)
    throw std::invalid_argument("invoker name '" + config_.name + "' must have 1 to 128 characters");
  config_.pool.invokers = 1;
  if (!config_.tls_ca_file.empty()) {
    if (address_.kind == net::wire::WireAddress::Kind::kUnix)
      throw std::invalid_argument("the controller " + config_.controller +
                                  " is a Unix socket on this host: TLS (--wire-tls-ca) is for TCP only");
    tls_ = net::wire::TlsEndpoint::client(config_.tls_ca_file, config_.tls_name.empty() ? address_.host : config_.tls_name);
  }
  pool_ = std::make_unique<LocalDispatcher>(factory, config_.pool);  // validates the policy specs first
  connect();
  heartbeat_ = std::thread([this] { heartbeats(); });
}

InvokerAgent::~InvokerAgent() {
  stop();
  heartbeat_.join();
  readers_.join();  // the reader and every warm run on a reading thread end before the pool does
  pool_->stop();  // finishes queued invocations (their results go nowhere if the controller is gone)
  pool_.reset();
  close(fd_);
  for (int fd : retired_) close(fd);
}

namespace {

// The invoker's half of the handshake (live/wire_auth.h) on a fresh connection; throws if refused.
// `reader` (capped at kMaxHandshakeFrameBytes) keeps whatever follows the welcome for serve_connection().
// What the controller's welcome said it accepts.
struct Welcome {
  bool omit_unchanged_state = false;  // results and stale answers without an unchanged state report
  bool binary_results = false;        // results in the binary layout (net/wire_binary.h)
};
Welcome handshake(int fd, net::FrameReader& reader, const InvokerAgentConfig& config, const net::InvokerState& state) {
  const auto deadline = net::FrameClock::now() + std::chrono::seconds(5);  // a controller that says nothing is not one
  std::string_view payload;
  std::string error;
  if (!net::wire::recv_frame(fd, reader, &payload, &error, deadline))
    throw std::runtime_error("no challenge from the controller: " + error);
  const json challenge = json::parse(payload);
  if (challenge.value("type", "") != "challenge")
    throw std::runtime_error("the controller at " + config.controller + " sent no challenge (an older controller?)");
  const std::string nc = challenge.at("nonce").get<std::string>();
  const std::string ni = net::wire::new_nonce();
  net::InvokerState compact = state;  // the handshake frame is small; the full report follows the welcome
  compact.idle.clear();
  compact.evictable.clear();
  json hello = {{"type", "hello"}, {"name", config.name}, {"pid", getpid()}, {"state", net::wire::to_json(compact)},
                {"nonce", ni}, {"proof", net::wire::invoker_proof(config.token, nc, ni, config.name)}};
  if (config.binary_frames) hello["binary_frames"] = net::wire::kBinaryLayoutVersion;  // it reads binary invokes
  if (!net::wire::send_frame(fd, hello.dump()))
    throw std::runtime_error("the controller closed the connection during the handshake");
  if (!net::wire::recv_frame(fd, reader, &payload, &error, deadline))
    throw std::runtime_error("the controller closed the connection during the handshake: " + error);
  const json answer = json::parse(payload);
  if (answer.value("type", "") == "refused")
    throw std::runtime_error("the controller refused this invoker: " + answer.value("error", std::string("no reason")));
  if (answer.value("type", "") != "welcome" || !answer.contains("proof") || !answer["proof"].is_string() ||
      !net::secrets::equal_constant_time(answer["proof"].get<std::string>(), net::wire::controller_proof(config.token, nc, ni, config.name)))
    throw std::runtime_error("the peer at " + config.controller + " did not prove it holds the wire token: not our controller");
  reader.set_max_payload(net::wire::kMaxFrameBytes);
  Welcome w;
  w.omit_unchanged_state = answer.value("omit_unchanged_state", false);
  const auto binary = answer.find("binary_frames");
  w.binary_results = config.binary_frames && binary != answer.end() && binary->is_number_unsigned() &&
                     binary->get<std::uint64_t>() == net::wire::kBinaryLayoutVersion;
  return w;
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void InvokerAgent::connect() {
  const int fd = net::wire::connect_wire(address_);
  auto reader = std::make_unique<net::FrameReader>(net::wire::kMaxHandshakeFrameBytes);
  Welcome welcome;
  try {
    if (tls_) tls_->wrap(fd, net::FrameClock::now() + std::chrono::seconds(5));  // TLS, then the token's proofs
    welcome = handshake(fd, *reader, config_, pool_->state(0));
  } catch (...) {
    close(fd);
    throw;
  }
  {
    // The old descriptor stays open (retired) until the destructor, so stop() can never shut down a
    // reused descriptor number.
    std::lock_guard lock(write_mu_);
    if (fd_ >= 0) retired_.push_back(fd_);
    fd_ = fd;
    frames_out_.reset(fd);
    omit_unchanged_state_ = welcome.omit_unchanged_state;
    binary_results_ = welcome.binary_results;
    report_filter_.reset();  // a new connection: its controller has no report yet
  }
  reader_ = std::move(reader);
  send_heartbeat();
}

void InvokerAgent::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  readers_.stop();
  wake_.notify_all();
  ended_cv_.notify_all();
  fetched_.notify_all();
  ::shutdown(fd_, SHUT_RDWR);  // unblocks serve()'s read
}

void InvokerAgent::send_heartbeat() {
  const net::InvokerState state = pool_->state(0);
  const std::int64_t t = steady_ms();
  const std::string frame = json{{"type", "heartbeat"}, {"state", net::wire::to_json(state)}}.dump();
  {
    std::lock_guard lock(write_mu_);
    report_filter_.sent(state, t);
    frames_out_.queue(frame);
  }
  frames_out_.flush();
}

void InvokerAgent::send_with_state(json msg, bool may_omit) {
  const net::InvokerState state = pool_->state(0);
  const std::int64_t t = steady_ms();
  {
    std::lock_guard lock(write_mu_);
    if (may_omit && omit_unchanged_state_ && report_filter_.unchanged(state, t)) {
      ++reports_omitted_;
    } else {
      msg["state"] = net::wire::to_json(state);
      report_filter_.sent(state, t);
    }
    frames_out_.queue(msg.dump());
  }
  flush_unless_held();
}

void InvokerAgent::send_result(std::uint64_t seq, const net::ActivationRecord& rec) {
  if (!binary_results_) {  // set by connect() before this connection's first invoke
    send_with_state(json{{"type", "result"}, {"seq", seq}, {"activation", net::wire::to_json(rec)}}, true);
    return;
  }
  const net::InvokerState state = pool_->state(0);
  const std::int64_t t = steady_ms();
  {
    std::lock_guard lock(write_mu_);
    std::string state_json;
    if (omit_unchanged_state_ && report_filter_.unchanged(state, t)) {
      ++reports_omitted_;
    } else {
      state_json = net::wire::to_json(state).dump();
      report_filter_.sent(state, t);
    }
    net::wire::encode_result(out_, seq, rec, state_json);
    frames_out_.queue(out_);
    if (out_.capacity() > (1u << 20)) std::string().swap(out_);  // a large result's buffer is not kept
  }
  // Written by this thread, or — when another thread is writing — by that one with what it queued; a
  // thread driving several runs writes its round's results together (lead()).
  flush_unless_held();
}

void InvokerAgent::heartbeats() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(config_.heartbeat_ms));
    if (stopping_) break;
    lock.unlock();
    send_heartbeat();
    lock.lock();
  }
}

std::string InvokerAgent::serve() {
  while (true) {
    const std::string why = serve_connection();
    if (!config_.reconnect) {
      std::lock_guard lock(mu_);
      return stopping_ ? "stopped" : why;
    }
    std::fprintf(stderr, "hearth invoker %s: lost the controller (%s); reconnecting\n", config_.name.c_str(), why.c_str());
    std::string last_error;
    for (int delay_ms = 100;; delay_ms = std::min(delay_ms * 2, 2000)) {
      {
        std::unique_lock lock(mu_);
        wake_.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stopping_; });
        if (stopping_) return "stopped";
      }
      try {
        connect();
        std::fprintf(stderr, "hearth invoker %s: rejoined %s\n", config_.name.c_str(), config_.controller.c_str());
        break;
      } catch (const std::exception& e) {  // the controller is not back yet, or refused us: say so once
        if (last_error != e.what()) std::fprintf(stderr, "hearth invoker %s: %s\n", config_.name.c_str(), e.what());
        last_error = e.what();
      }
    }
  }
}

std::string InvokerAgent::serve_connection() {
  net::FrameReader& reader = *reader_;  // the handshake's, raised to kMaxFrameBytes
  const int fd = fd_;  // only connect() changes it, on this thread
  std::unique_lock lock(mu_);
  if (stopping_) return "stopped";  // a stop() before the new descriptor was in place did not shut it down
  ended_.reset();
  readers_.start([this, fd, &reader] { lead(fd, reader); });
  // Stopping: the leader may be one whose hand-off found no follower (LeaderFollowers stopped); the
  // destructor joins it.
  ended_cv_.wait(lock, [this] { return ended_.has_value() || stopping_; });
  return stopping_ ? "stopped" : *ended_;
}

namespace {
// Set while a thread leads with a RunMultiplexer: its results are queued and written together at the
// end of each round (InvokerAgent::lead), not one write each.
thread_local bool hold_flush = false;
}  // namespace

void InvokerAgent::flush_unless_held() {
  if (!hold_flush) frames_out_.flush();
}

void InvokerAgent::lead(int fd, net::FrameReader& reader) {
  std::string_view payload;
  std::string error;
  // The warm runs of a read batch: begun here and waited for together with the wire (RunMultiplexer),
  // instead of a worker thread sleeping on each runtime's pipe.
  RunMultiplexer runs;
  const bool multiplex = config_.inline_runs == InvokerAgentConfig::InlineRuns::kWatched && config_.multiplex_runs;
  hold_flush = multiplex;
  const auto drain = [&] {  // the connection ended: the runs still end (containers back, or killed)
    while (!runs.empty() || !deferred_.empty()) {
      wait_runs(runs, -1);
      retry_deferred(runs);
    }
    frames_out_.flush();
  };
  bool open = true;
  while (open) {
    retry_deferred(runs);  // invokes that waited for a run to end; to the workers once none runs here
    frames_out_.flush();  // what this thread queued, before it sleeps
    if (runs.empty()) {
      if (!net::wire::recv_frame(fd, reader, &payload, &error)) break;
      if (!handle_frame(fd, payload, !reader.frame_buffered(), multiplex ? &runs : nullptr)) {
        // Handed off: another thread leads now and owns deferred_; this one had no runs in its set (a run
        // on this thread happens only then) and no deferred invokes (retry_deferred emptied them).
        hold_flush = false;
        frames_out_.flush();
        return;
      }
    } else {
      // Frames already in the reader's buffer (read with the one just handled) are not in the socket: a
      // wait on the socket would sleep until a run ends, and a run may wait for them (a burst meeting at a
      // barrier: HyperFaaSLive.ABurstOnAWarmFunction). Take them first; the runs are waited for after.
      const bool wire_ready = reader.frame_buffered() || wait_runs(runs, fd);
      retry_deferred(runs);  // runs that ended made room: the invokes waiting for it start before any read now
      if (wire_ready) {
        overlap_ = true;  // invokes arrive while runs are in flight: the next lone one joins them too
        // A buffered frame is taken without I/O; else one read (the wire polled readable, so it does not
        // block); then every whole frame.
        net::FrameStatus s = reader.read_ready(fd, &payload);
        while (s == net::FrameStatus::kOk) {
          handle_frame(fd, payload, false, &runs);  // not lone: begun into the set, never run on this thread
          if (!reader.frame_buffered()) break;
          s = reader.read_ready(fd, &payload);  // buffered: no I/O
        }
        if (s != net::FrameStatus::kOk && s != net::FrameStatus::kTimeout) {
          error = reader.describe(s);
          open = false;
        }
      } else if (runs.empty()) {
        overlap_ = false;  // the runs drained before the next invoke came: it may run on this thread again
      }
    }
  }
  drain();
  hold_flush = false;
  fail_fetches("the connection to the controller ended (" + error + ")");
  {
    std::lock_guard lock(mu_);
    ended_ = error;
  }
  ended_cv_.notify_all();
}

void InvokerAgent::retry_deferred(RunMultiplexer& runs) {
  while (!deferred_.empty()) {
    Deferred& d = deferred_.front();
    const LocalDispatcher::WarmStart started = pool_->start_if_warm(d.request, d.done, runs);
    if (started == LocalDispatcher::WarmStart::kBusy) break;
    if (started == LocalDispatcher::WarmStart::kStale)
      send_with_state(json{{"type", "stale"}, {"seq", d.seq}}, /*may_omit=*/false);
    deferred_.pop_front();
  }
  if (!runs.empty()) return;
  // No run of this thread's will end to make room: the workers' queue takes them, in order.
  for (Deferred& d : deferred_) {
    if (!pool_->dispatch_if_warm(std::move(d.request), std::move(d.done)))
      send_with_state(json{{"type", "stale"}, {"seq", d.seq}}, /*may_omit=*/false);
  }
  deferred_.clear();
}

bool InvokerAgent::wait_runs(RunMultiplexer& runs, int fd) {
  try {
    return runs.wait(fd);
  } catch (const std::exception& e) {  // poll failed (no memory): said, and tried again shortly
    std::fprintf(stderr, "hearth invoker %s: waiting for warm runs failed: %s\n", config_.name.c_str(), e.what());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return false;
  }
}

bool InvokerAgent::handle_frame(int fd, std::string_view payload, bool lone, RunMultiplexer* runs) {
  LocalDispatcher::RunHere run_here;
  // A lone invoke runs on this thread (spinning for its reply: the one-connection path) unless invokes
  // have been overlapping (overlap_): then it is begun into `runs` and this thread goes on reading, so the
  // next invoke, arriving while it runs, needs no hand-off to another thread.
  const bool may_run_here = config_.inline_runs != InvokerAgentConfig::InlineRuns::kOff && lone &&
                            (runs == nullptr || (runs->empty() && !overlap_));
  try {
    handle_invoke(payload, may_run_here ? &run_here : nullptr, runs);
  } catch (const std::exception& e) {  // a malformed message: say so, answer it if it can be, keep serving
    std::fprintf(stderr, "hearth invoker %s: bad message from the controller: %s\n", config_.name.c_str(), e.what());
    const json msg = net::wire::is_binary_frame(payload) ? json() : json::parse(payload, nullptr, false);
    const auto binary_seq = net::wire::binary_seq(payload);
    if (binary_seq || (msg.is_object() && msg.contains("seq") && msg["seq"].is_number_unsigned())) {
      net::ActivationRecord rec;
      if (msg.contains("activation_id") && msg["activation_id"].is_string()) rec.id = msg["activation_id"];
      rec.invoker = config_.name;
      rec.status = "whisk internal error";
      rec.result_json = json{{"error", std::string("the invoker could not read the invocation: ") + e.what()}}.dump();
      send_result(binary_seq ? *binary_seq : msg["seq"].get<std::uint64_t>(), rec);
    }
  }
  if (!run_here) return true;
  ++inline_runs_;
  // A frame that arrives while the function runs: another thread reads it; this one finishes the run,
  // answers, and becomes a follower.
  net::ReadWatch watch{fd, [this] {
    overlap_ = true;
    readers_.hand_off();
  }};
  const bool watched = config_.inline_runs == InvokerAgentConfig::InlineRuns::kWatched;
  try {
    run_here(watched ? &watch : nullptr);
  } catch (const std::exception& e) {  // as a worker thread's task: said, and the reading goes on
    std::fprintf(stderr, "hearth invoker %s: a warm run failed: %s\n", config_.name.c_str(), e.what());
  }
  return !watch.fired;
}

std::string InvokerAgent::fetch_library(const net::LibraryRef& ref, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  if (stopping_) throw std::runtime_error("the invoker is stopping");
  if (fetches_.size() >= kMaxLibraryFetches)
    throw std::runtime_error(std::to_string(kMaxLibraryFetches) + " library fetches are already waiting for the controller");
  const std::uint64_t id = next_fetch_++;
  Fetch& f = fetches_[id];
  lock.unlock();
  {
    const std::string frame = json{{"type", "library_get"}, {"id", id}, {"sha256", ref.sha256}}.dump();
    frames_out_.send(frame);  // a failure surfaces as EOF in serve(), which fails the fetch
  }
  lock.lock();
  const bool answered = fetched_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return f.done || stopping_; });
  Fetch got = std::move(f);
  fetches_.erase(id);
  lock.unlock();
  if (!answered) throw std::runtime_error("the controller did not send library " + ref.name + " within " + std::to_string(timeout_ms) + " ms");
  if (!got.done) throw std::runtime_error("the invoker is stopping");
  if (!got.error.empty()) throw std::runtime_error("the controller could not send library " + ref.name + ": " + got.error);
  std::string bytes;
  if (!net::base64_decode(got.base64, &bytes)) throw std::runtime_error("the controller sent library " + ref.name + " in invalid base64");
  return bytes;
}

void InvokerAgent::deliver_library(const json& msg) {
  const std::uint64_t id = msg.at("id").get<std::uint64_t>();
  std::lock_guard lock(mu_);
  const auto it = fetches_.find(id);
  if (it == fetches_.end() || it->second.done) return;  // timed out meanwhile, or never asked: dropped
  if (msg.contains("data") && msg["data"].is_string())
    it->second.base64 = msg["data"].get<std::string>();
  else
    it->second.error = msg.contains("error") && msg["error"].is_string() ? msg["error"].get<std::string>().substr(0, 1000)
                                                                          : "an answer with neither data nor error";
  it->second.done = true;
  fetched_.notify_all();
}

void InvokerAgent::fail_fetches(const std::string& why) {
  std::lock_guard lock(mu_);
  for (auto& [id, f] : fetches_)
    if (!f.done) {
      f.done = true;
      f.error = why;
    }
  fetched_.notify_all();
}

void InvokerAgent::handle_invoke(std::string_view payload, LocalDispatcher::RunHere* run_here, RunMultiplexer* runs) {
  if (config_.wake_latency) config_.wake_latency->note_activity();
  if (net::wire::is_binary_frame(payload)) {  // a warm invoke without code (net/wire_binary.h)
    if (net::wire::binary_type(payload) != net::wire::kBinaryInvoke)
      throw std::invalid_argument("a binary frame other than an invoke from the controller");
    net::wire::BinaryInvoke b = net::wire::decode_invoke(payload);
    net::wire::InvokeMessage m;
    m.seq = b.seq;
    m.request = std::move(b.request);
    m.expect_warm = b.expect_warm;
    run_invoke(std::move(m), run_here, runs);
    return;
  }
  const json msg = json::parse(payload);
  if (msg.at("type") == "library") {
    deliver_library(msg);
    return;
  }
  if (msg.at("type") == "library_prepare") {
    std::vector<net::LibraryRef> row =
        net::wire::library_refs_from_json(msg.at("libraries"), "library_prepare", net::kMaxPlannedLibraries);
    if (config_.on_library_plan) config_.on_library_plan(std::move(row));
    return;
  }
  if (msg.at("type") == "freshen") {  // docs/freshen.md: start the hook in an idle container, answer nothing
    const auto it = actions_.find(msg.at("ns").get<std::string>() + "/" + msg.at("name").get<std::string>());
    const std::int64_t timeout_ms = msg.at("timeout_ms").get<std::int64_t>();
    if (it != actions_.end() && it->second.revision == msg.at("revision").get<std::int64_t>() && timeout_ms > 0 &&
        timeout_ms <= kMaxFreshenTimeoutMs)
      pool_->freshen(it->second, timeout_ms);
    return;
  }
  if (msg.at("type") != "invoke") throw std::invalid_argument("unknown message type " + msg.at("type").dump());
  run_invoke(net::wire::invoke_from_json(msg), run_here, runs);
}

void InvokerAgent::run_invoke(net::wire::InvokeMessage invoke, LocalDispatcher::RunHere* run_here, RunMultiplexer* runs) {
  const std::uint64_t seq = invoke.seq;
  net::ActionRecord& action = invoke.request.action;
  const std::string key = action.ns + "/" + action.name;
  if (invoke.with_code) {
    actions_[key] = action;
  } else {
    const auto it = actions_.find(key);
    if (it == actions_.end() || it->second.revision != action.revision) {  // a controller bug, not the user's
      net::ActivationRecord rec;
      rec.id = invoke.request.activation_id;
      rec.ns = action.ns;
      rec.action = action.name;
      rec.invoker = config_.name;
      rec.status = "whisk internal error";
      rec.result_json = json{{"error", "invoker " + config_.name + " has no code for " + key + " revision " +
                                           std::to_string(action.revision)}}.dump();
      send_result(seq, rec);
      return;
    }
    action.code = it->second.code;  // the code and its libraries travel only with the first invoke
    action.libraries = it->second.libraries;
    action.library_refs = it->second.library_refs;
  }
  auto done = [this, seq](net::ActivationRecord rec) {
    rec.invoker = config_.name;
    send_result(seq, rec);
  };
  if (!invoke.expect_warm) {
    pool_->dispatch(std::move(invoke.request), std::move(done));
    return;
  }
  // The controller placed it here for an idle container its last report showed: run it only if one is
  // still free (claimed atomically by the pool), else say so with a fresh report and let it place again.
  if (runs && !run_here) {  // the reading thread drives its runs: a busy invoker's invoke waits here for one to end
    Deferred d{seq, std::move(invoke.request), std::move(done)};
    if (!deferred_.empty()) {  // behind the invokes already waiting, in order
      deferred_.push_back(std::move(d));
      return;
    }
    switch (pool_->start_if_warm(d.request, d.done, *runs)) {
      case LocalDispatcher::WarmStart::kStarted: return;
      case LocalDispatcher::WarmStart::kBusy: deferred_.push_back(std::move(d)); return;
      case LocalDispatcher::WarmStart::kStale: break;
    }
    send_with_state(json{{"type", "stale"}, {"seq", seq}}, /*may_omit=*/false);
    return;
  }
  if (!pool_->dispatch_if_warm(std::move(invoke.request), std::move(done), run_here, runs))
    send_with_state(json{{"type", "stale"}, {"seq", seq}}, /*may_omit=*/false);  // the controller's view was wrong
}

}  // namespace hearth::invoker
