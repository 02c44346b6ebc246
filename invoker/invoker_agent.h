// InvokerAgent: the invoker end of the wire protocol (live/wire.h), what `hearth invoker` runs. It
// connects to a controller, authenticates (both ends prove they hold the wire token) and says hello
// with its name and capacity, then runs every invoke it receives
// on its own container pool — a LocalDispatcher of one invoker, so warm → prewarm → cold → evict by
// the same keep-alive and prewarm policy objects as `hearth sim` — and answers each with the activation
// record and a state report (an invoke sent `expect_warm` runs only if the pool can claim an idle
// container for it at once; otherwise it is answered "stale" with a fresh report and does not run here);
// a heartbeat carrying the state goes out every `heartbeat_ms` (a result or stale answer omits the
// report when it has not changed since the last one sent and the controller's welcome allows it:
// StateReportFilter). Action code
// arrives once per revision and is cached here. serve() returns when stop() is called (from any thread)
// or, unless `reconnect`, when the controller goes away; the destructor drains running invocations and
// destroys the containers.
#pragma once

#include <atomic>
#include <functional>
#include <condition_variable>
#include <deque>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "invoker/frame_batcher.h"
#include "invoker/leader_followers.h"
#include "invoker/live_container.h"
#include "invoker/local_dispatcher.h"
#include "invoker/run_multiplexer.h"
#include "invoker/state_report_filter.h"
#include "net/wire.h"
#include "net/wire_address.h"
#include "net/wire_tls.h"
#include "net/frame_codec.h"

namespace hearth::net {
class CpuWakeLatencyHold;
}

namespace hearth::invoker {

struct InvokerAgentConfig {
  // The controller's wire listener: HOST:PORT (TCP) or unix:PATH (a Unix-domain stream socket on this
  // host, net/wire_address.h; no TLS there: it never leaves the host).
  std::string controller;
  std::string token;           // the controller's wire token (live/wire_auth.h); required
  std::string name = "invoker0";  // unique per controller; a restarted invoker reuses its name
  // TLS (live/wire_tls.h): the CA certificates (PEM) the controller's certificate must chain to (its own
  // self-signed certificate pins it); empty: plain TCP. The certificate must name `tls_name` (a DNS name or
  // an IP literal), by default the host of `controller`.
  std::string tls_ca_file{};
  std::string tls_name{};
  LocalDispatcherConfig pool;  // `invokers` is forced to 1
  // Told of every invoke from the controller, so that this host's idle CPUs are kept quick to wake while
  // they keep coming (net/cpu_wake_latency.h, `hearth invoker --cpu-wake-latency-us`). Null: none. Not
  // owned; outlives the agent.
  net::CpuWakeLatencyHold* wake_latency = nullptr;
  int heartbeat_ms = 500;
  // When the controller goes away: reconnect (every 0.1 s, backing off to 2 s; the pool, its warm
  // containers and the code cache are kept) instead of returning from serve().
  bool reconnect = false;
  // The controller's library plan for this node ("library_prepare", controller/library_plan.h): called
  // on the reader thread with the validated row; it must not block (PlannedLibraries::set). Null: the
  // message is ignored.
  std::function<void(std::vector<net::LibraryRef>)> on_library_plan{};
  // Warm runs on the wire reader (docs/warm-path.md): an invoke that claims an idle container of a
  // runtime process, read when no other frame is buffered, runs on the thread that read it (no hop to a
  // worker); while it runs, a frame that arrives hands the connection to another thread
  // (LeaderFollowers), so a slow function never holds up the next invokes. kOff: every run goes to a
  // worker thread. kUnwatched: inline without the hand-off — for tests only, to show what it prevents.
  enum class InlineRuns { kOff, kWatched, kUnwatched };
  InlineRuns inline_runs = InlineRuns::kWatched;
  // With kWatched: the warm runs of invokes read in one batch (more frames buffered) are begun on the
  // reading thread and waited for together with the wire, one poll for all (invoker/run_multiplexer.h),
  // their results written together; false: each goes to a worker thread (before warm-inv6).
  bool multiplex_runs = true;
  // Says in its hello that it reads binary invokes (net/wire_binary.h) and sends binary results when the
  // controller's welcome says it reads them; false: JSON only, as invokers before it (tests).
  bool binary_frames = true;
};

class InvokerAgent {
 public:
  // Connects and authenticates; throws std::runtime_error (the controller refused it, or did not prove
  // it holds the token, or cannot be reached) or std::invalid_argument (a bad address or token).
  InvokerAgent(ContainerFactory& factory, InvokerAgentConfig config);
  ~InvokerAgent();
  InvokerAgent(const InvokerAgent&) = delete;
  InvokerAgent& operator=(const InvokerAgent&) = delete;

  // Serves invocations until the connection ends; returns why it ended.
  std::string serve();
  void stop();
  // Fetches the .deb of `ref` from the controller's library repository over this agent's connection
  // ("library_get" → "library", docs/wire-protocol.md): what the node's LibraryCache fetches with.
  // Blocks until the answer, the connection ends or `timeout_ms`; throws std::runtime_error saying
  // which. At most kMaxLibraryFetches at once (more are refused). Does not check the digest: the cache
  // does.
  static constexpr std::size_t kMaxLibraryFetches = 16;
  std::string fetch_library(const net::LibraryRef& ref, std::int64_t timeout_ms = 60'000);
  // Frames sent to the controller and the writes that carried them (several results finishing together
  // share one).
  std::uint64_t frames_sent() const { return frames_out_.frames(); }
  std::uint64_t frame_writes() const { return frames_out_.writes(); }
  // Results and stale answers sent without their state report because it had not changed.
  std::uint64_t reports_omitted() const { return reports_omitted_; }
  // Warm runs made on the reading thread (run there, or begun and waited for there with others: split
  // runs), and how often a frame arriving during one handed the connection to another thread.
  std::uint64_t inline_runs() const { return inline_runs_ + pool_->split_runs(); }
  std::uint64_t split_runs() const { return pool_->split_runs(); }
  std::size_t reader_hand_offs() { return readers_.hand_offs(); }

 private:
  // Opens a connection to the controller and completes the handshake (challenge, hello with proof,
  // welcome with the controller's proof), then sends a full state report; throws if it cannot.
  void connect();
  std::string serve_connection();  // until this connection ends; why it ended
  // The leader's loop over the connection (LeaderFollowers): reads frames and handles them, running a
  // claimed warm invocation itself when nothing else is buffered; returns when the connection ended
  // (recording why in ended_) or after it handed the connection off and finished its run.
  void lead(int fd, net::FrameReader& reader);
  // Sends a result or stale answer with the pool's state report, or — `may_omit` (results) — without it
  // when the controller accepts that (its welcome said so) and the report is unchanged since the last
  // one sent (StateReportFilter). A heartbeat and a stale answer always carry it whole.
  void send_with_state(nlohmann::json msg, bool may_omit);
  // A result: in the binary layout when the controller reads it, else as send_with_state(…, true).
  void send_result(std::uint64_t seq, const net::ActivationRecord& rec);
  void send_heartbeat();
  // Handles one frame from the controller; a warm invocation it may run on this thread is left in
  // `*run_here` (null: always a worker) for the caller to run.
  // `runs` (may be null): where a claimed warm run that splits (LiveContainer::splits_runs) is begun.
  void handle_invoke(std::string_view payload, LocalDispatcher::RunHere* run_here, RunMultiplexer* runs);
  void run_invoke(net::wire::InvokeMessage invoke, LocalDispatcher::RunHere* run_here, RunMultiplexer* runs);  // handle_invoke's invoke
  // One frame read by the leader: handled, and — `lone` (nothing else buffered) and no run in `runs` —
  // a warm run handed back is run here, watching the connection. False when that watch handed the
  // connection to another thread (the caller returns).
  bool handle_frame(int fd, std::string_view payload, bool lone, RunMultiplexer* runs);
  // runs.wait(fd), a failure said (false).
  bool wait_runs(RunMultiplexer& runs, int fd);
  // Warm invokes the busy pool did not take (LocalDispatcher::WarmStart::kBusy), oldest first: started
  // when runs end; once none of this thread's runs is in flight, queued for the workers (or answered
  // stale).
  void retry_deferred(RunMultiplexer& runs);
  void flush_unless_held();  // frames_out_.flush(), unless this thread writes its round's results together
  void deliver_library(const nlohmann::json& msg);  // an answer to fetch_library (reader thread)
  void fail_fetches(const std::string& why);
  void heartbeats();

  InvokerAgentConfig config_;
  net::wire::WireAddress address_;  // config_.controller, parsed
  std::unique_ptr<net::wire::TlsEndpoint> tls_;  // null: plain TCP; destroyed after the descriptors are closed
  std::atomic<int> fd_{-1};  // written by connect() under write_mu_, read by stop() without it
  std::vector<int> retired_;  // descriptors of earlier connections, closed by the destructor
  std::unique_ptr<net::FrameReader> reader_;  // of the current connection (connect() and the reader thread)
  std::unique_ptr<LocalDispatcher> pool_;
  std::mutex write_mu_;
  // Guarded by write_mu_: whether this connection's controller accepts results without an unchanged
  // report, and what it was last sent.
  bool omit_unchanged_state_ = false;
  std::atomic<bool> binary_results_{false};  // the welcome said the controller reads binary results
  std::string out_;  // the binary result being encoded and sent (write_mu_; reused: no allocation per result)
  // Every frame to the controller after the handshake: queued under write_mu_ (the reports' order),
  // written after it by whichever sender finds no write in progress, batched with what others queued.
  FrameBatcher frames_out_;
  StateReportFilter report_filter_;
  std::atomic<std::uint64_t> reports_omitted_{0};
  std::map<std::string, net::ActionRecord> actions_;  // "ns/name" → latest revision received (reader thread only)
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  struct Fetch {
    bool done = false;
    std::string base64, error;
  };
  std::map<std::uint64_t, Fetch> fetches_;  // id → answer (mu_)
  std::uint64_t next_fetch_ = 1;
  std::condition_variable fetched_;
  std::thread heartbeat_;
  std::atomic<std::uint64_t> inline_runs_{0};
  // Whether invokes have been arriving while others ran (a watch fired, or the wire was readable while
  // split runs were in flight) since the split runs last drained with nothing arriving: while it is set,
  // a lone invoke is begun as a split run instead of run on the reading thread (lead()).
  std::atomic<bool> overlap_{false};
  struct Deferred {
    std::uint64_t seq;
    net::InvocationRequest request;
    std::function<void(net::ActivationRecord)> done;
  };
  std::deque<Deferred> deferred_;  // retry_deferred's (the leading thread's only; empty when it hands off)
  std::optional<std::string> ended_;  // why the current connection ended, once it did (mu_)
  std::condition_variable ended_cv_;
  LeaderFollowers readers_;  // declared last: destroyed (its threads joined) first
};

}  // namespace hearth::invoker
