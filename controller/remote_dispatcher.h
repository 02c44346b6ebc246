// RemoteDispatcher: the controller end of the wire protocol (live/wire.h). It listens for invokers
// (`hearth invoker` processes, on this host or others), keeps each one's state from the reports
// piggy-backed on results and heartbeats, and places every invocation with the same placement policy
// object as `hearth sim` over that state (this object is the policy's ClusterView: capacity, memory
// reserved by invocations in flight — OpenWhisk's per-invoker semaphore —, used memory, idle containers
// per function, the first idle containers it would evict and how long each has been idle). An invoker is down when its connection closes or no frame arrived for
// `heartbeat_timeout_ms` (1.5 s, checked every 100 ms): placement skips it and its invocations in flight end as
// "whisk internal error"; one that reconnects under the same name gets its slot back.
// Stale state (Sophon, §4.5.1): an invocation placed on an invoker whose last report shows an idle
// container of its function is sent expecting a warm start; an invoker that no longer has one (expired,
// evicted or taken since that report) does not run it and answers "stale" with a fresh report, which is
// applied, and the invocation is placed again on the corrected view — at most `max_stale_replacements`
// times, the last without the expectation, so it then runs even if cold. Each invocation ends once.
// Non-forced scheduling: an invocation the placement holds (policy::kHoldAtController) waits in a
// controller FIFO, is not sent, and is placed again, oldest first, after each result and when an invoker
// joins; new arrivals queue behind held ones; stopping ends them with an error.
// Accept errors (EMFILE…) are retried with a backoff.
// Transports (net/wire_address.h): TCP on address:port always (invokers on other hosts; TLS there), and
// with `unix_path` also a Unix-domain stream socket for invokers on this host (`hearth up`'s own): the
// same handshake, frames and threads; no TLS on it (it never leaves the host), and a peer whose
// credentials (SO_PEERCRED) show another user than this process's (or root) is refused before the
// token's challenge, in addition to the token, not instead of it.
// Authentication (live/wire_auth.h): a connection must complete the HMAC challenge–response within
// `handshake_timeout_ms`, in frames of at most 4 KiB, before it can claim a name or receive anything;
// a refused one never touches the invoker table. An authenticated invoker's result ends only an
// activation sent to it on that connection (others are dropped and counted), and the record keeps the
// controller's activation id, namespace and action whatever the invoker's copy says.
// Thread model: an accept thread, a reader thread per connection, a monitor thread, a replacer thread
// (places stale-answered and held invocations again, so a reader never blocks writing to another
// invoker). A reader thread parks while nothing is in flight on its connection; a blocking invoke sent
// then reads its own result on the sending thread, for at most `own_read_us` (ReadRole, read_own). One
// mutex guards the state and the placement policy; frames to one invoker are written under that
// invoker's own mutex. Invokes sent from an HTTP I/O thread by a caller that does not read its own result
// are corked until that thread's event-loop pass ends (net/end_of_pass.h): the pass's invokes to one
// invoker leave in one write.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "controller/library_plan.h"
#include "controller/library_repository.h"
#include "policy/scorpius_placement.h"
#include "invoker/dispatcher.h"
#include "invoker/function_table.h"
#include "net/invoker_state.h"
#include "invoker/latency_metric.h"
#include "net/wire_address.h"
#include "net/wire_tls.h"
#include "model/cluster_view.h"
#include "model/function_spec.h"
#include "policy/placement.h"
#include "net/frame_codec.h"

namespace hearth::controller {

struct RemoteDispatcherConfig {
  // The shared secret invokers prove they hold (live/wire_auth.h); required, at least 32 characters.
  std::string token;
  // A connection that has not completed the handshake by then is closed (checked every 100 ms).
  std::int64_t handshake_timeout_ms = 2000;
  std::string address = "127.0.0.1";  // where invokers connect
  // TLS (live/wire_tls.h): the controller's certificate chain and key, PEM; both empty: plain TCP. A
  // listen address other than loopback is refused without TLS unless `insecure` (--wire-insecure).
  std::string tls_cert_file{}, tls_key_file{};
  bool insecure = false;
  std::uint16_t port = 0;              // 0 = any free port (see port())
  // Also listen on a Unix-domain stream socket at this path (net::wire::listen_unix: mode 0600, in a
  // directory only this user may enter; a stale file replaced; removed at stop()). Empty: TCP only.
  std::string unix_path{};
  std::string placement = "openwhisk";
  std::uint64_t seed = 1;
  std::int64_t heartbeat_timeout_ms = 1500;  // 3 missed heartbeats: a hang is noticed within 1.6 s
  // How many times one invocation is placed again after "stale" answers; the last of them is sent
  // without the warm expectation. 0: never expect a warm start (an invoker then just runs what it gets).
  int max_stale_replacements = 2;
  // The library repository (docs/libraries.md): an action's declared libraries are resolved to their
  // dependency closure when it is dispatched, and an invoker's "library_get" {id, sha256} is answered
  // with {"type": "library", id, sha256, data (base64 of the .deb)} or {id, error}: only digests of the
  // manifest are served, one at a time per connection, on the authenticated wire. Null: none (an action
  // with libraries then fails, saying so).
  std::shared_ptr<const LibraryRepository> libraries{};
  // Proactive library preparation (controller/library_plan.h; docs/scorpius.md "Live"): none | sock |
  // scorpius | hot | random, each invoker's budget for it in KB. The plan is recomputed when a function
  // with libraries is first dispatched or an invoker joins; each invoker is sent its row as
  // {"type": "library_prepare", "libraries": [refs]} and prepares it in the background, pinned. The
  // `scorpius` placement needs a plan other than none.
  std::string library_plan = "none";
  std::int64_t library_plan_kb = 64 * 1024;
  // While an invoker has invocations in flight, its connection's reader polls for the next frame without
  // blocking for up to this long (µs; at most twice the recent waits' typical length: net::AdaptiveSpin)
  // before it sleeps; 0: it sleeps at once (docs/warm-path.md).
  std::int64_t spin_us = 0;
  // The caller reads its own result (controller/read_role.h, docs/warm-path.md): a blocking invoke sent
  // on a connection whose reader thread is parked (nothing in flight there) is read on the sending thread
  // (the HTTP I/O thread) for up to `own_read_us`, polling without blocking for up to `own_read_spin_us`
  // of it (net::AdaptiveSpin) before it sleeps; a result not in by then is left to the reader thread.
  // 0: every result is read by the connection's reader thread.
  std::int64_t own_read_us = 1000;
  std::int64_t own_read_spin_us = 200;
  // Warm invokes and results in the fixed binary layout (net/wire_binary.h) with invokers that read it;
  // false: JSON only (as controllers before it; `hearth up --wire-binary-frames off`).
  bool binary_frames = true;
};

// One invoker as the controller sees it (GET /invokers, tests).
struct InvokerInfo {
  std::string name;
  bool up = false;
  int pid = 0;
  std::int64_t memory_mb = 0, used_mb = 0;
  std::int32_t busy = 0, idle = 0, prewarmed = 0;
  std::int64_t in_flight = 0;
  std::uint64_t stale_answers = 0;  // invocations it sent back as "stale" since the controller started
  // Its last report: idle containers' memory, snapshot images on its disk, releases into snapshots.
  std::int64_t idle_mb = 0, snapshot_bytes = 0, releases = 0;
};

class RemoteDispatcher final : public invoker::Dispatcher, public model::ClusterView {
 public:
  // Binds the listeners and starts accepting; throws std::runtime_error if it cannot bind,
  // std::invalid_argument if the token is too short or the Unix socket's path is unsafe or in use.
  explicit RemoteDispatcher(RemoteDispatcherConfig config);
  ~RemoteDispatcher() override;

  std::uint16_t port() const { return port_; }
  void dispatch(net::InvocationRequest request, std::function<void(net::ActivationRecord)> done) override;
  // freshen (docs/freshen.md): sends {"type":"freshen"} to the first invoker that is up, reports an idle
  // container of `action` and has this revision's code; that invoker starts the hook in one
  // (LocalDispatcher::freshen). True if one was sent; nothing is placed, reserved or answered.
  bool freshen(const net::ActionRecord& action, std::int64_t hook_timeout_ms) override;

  // ClusterView (called by the placement policy with the lock held).
  std::span<const model::NodeState> nodes() const override { return nodes_; }
  std::int32_t idle_containers(model::NodeId node, model::FunctionId fn) const override;
  model::Micros now() const override;
  model::MegaBytes busy_mb(model::NodeId node) const override;
  // From the invoker's last report (InvokerState::evictable: its first 32 victims).
  bool for_each_eviction_candidate(model::NodeId node,
                                   const std::function<bool(const model::Container&)>& visit) const override;

  // Waits until at least `n` invokers are up or `timeout_ms` passes; returns how many are up.
  int wait_for_invokers(int n, std::int64_t timeout_ms);
  std::vector<InvokerInfo> invokers();
  // Prometheus text: invocations, starts by kind, errors, invokers up, containers per state per invoker,
  // latency histogram, state reports applied and results received (a result whose report had not
  // changed comes without one: docs/wire-protocol.md).
  std::string prometheus_metrics();
  // Closes every connection; the invocations in flight end as "whisk internal error" saying their
  // invoker went away and `why` (default: "the controller is stopping").
  void stop();
  void stop(const std::string& why);

 private:
  struct Invoker;
  struct WireConn;
  struct Pending {
    model::NodeId node;
    std::uint64_t generation;
    model::MegaBytes memory_mb;
    net::ActivationRecord stub;  // id, namespace, action: what a failure record needs
    std::int64_t arrival_us;
    std::function<void(net::ActivationRecord)> done;
    int replacements = 0;  // times placed again after a stale answer
    bool counted = false;  // counted in invocations_ (once, however often it is placed)
    std::shared_ptr<const net::InvocationRequest> request;  // kept only while the invoker may answer stale
  };

  // Accepts on `listen_fd` until stop(); `unix_socket`: connections on the Unix socket (no TLS, peer
  // credentials checked).
  void accept_loop(int listen_fd, bool unix_socket);
  void read_loop(int fd, bool unix_socket);
  // Handles one frame read on `node`'s connection `generation` (results, heartbeats, stale answers,
  // library requests), by whichever thread holds its ReadRole; false: the connection must end (`why`).
  // `ended_seq` (optional): set to the seq of the invocation this frame ended, if it ended one.
  bool handle_frame(model::NodeId node, std::uint64_t generation, std::string_view payload, std::string* why,
                    std::uint64_t* ended_seq = nullptr);
  // The sending thread holds `conn`'s ReadRole: reads frames until invocation `seq` has ended and none is
  // buffered, or `own_read_us` passed; then releases the role (to the reader thread if anything is left).
  void read_own(Invoker& inv, WireConn& conn, std::uint64_t seq);
  // Answers an invoker's "library_get" on its connection (the reader thread; no lock held).
  void serve_library(model::NodeId node, std::uint64_t generation, const nlohmann::json& msg);
  nlohmann::json authenticate(int fd, net::FrameReader& reader, net::FrameClock::time_point deadline);
  void monitor_loop();
  void replace_loop();
  // Places `p` (new, held, or again after a stale answer) on the current view and sends it; ends it with
  // an error if no invoker is up or the send fails (called without the lock). Returns false, leaving `p`
  // as it was, when the placement holds it at the controller (non-forced scheduling): the caller holds it.
  // `caller_waits`: the dispatching thread said it waits for the result anyway (WaitsForResult): it may
  // read it itself (read_own).
  bool place_and_send(Pending& p, std::shared_ptr<const net::InvocationRequest> req, bool caller_waits = false);
  // Non-forced scheduling: places held invocations again, oldest first, until one is held again (the
  // replacer thread, after release_held_ was set by a completion or a new invoker).
  void drain_held(std::unique_lock<std::mutex>& lock);
  // Marks `node` down if still on connection `generation` and fails its invocations in flight (lock held;
  // the failed callbacks are appended to `failed` to be called without it).
  void mark_down(model::NodeId node, std::uint64_t generation, const std::string& why,
                 std::vector<Pending>& failed);
  // Takes an invoker's state report as its view for placement (lock held).
  void apply_report(Invoker& inv, model::NodeId node, const net::InvokerState& state);
  // Ends each failed invocation with its stub record (called without the lock).
  void fail_all(std::vector<Pending>& failed);
  // Writes the invokes corked on `inv` (its write_mu held) before anything else goes out on its connection;
  // false: the write failed. Frames for an ended connection are dropped.
  bool write_corked(Invoker& inv);
  // The end of an event-loop pass that corked invokes on `inv` (net::EndOfPass): writes them in one go and
  // wakes the connection's reader; a failed write marks `node` down as a failed send does.
  void flush_corked(Invoker& inv, model::NodeId node);
  void finish(Pending p, net::ActivationRecord rec);
  // finish()'s bookkeeping (end and start defaults, counters by start kind and status, latency), lock held.
  void count_end(const Pending& p, net::ActivationRecord& rec);
  // The action's function id; a new one is announced to placement (on_function_added), not rebuilt.
  model::FunctionId function_for(const net::ActionRecord& a);
  // Builds the placement once, with no functions and no invokers: functions arrive through
  // on_function_added, and invokers that join need no rebuild (no placement keeps state per node count:
  // each reads the nodes from this ClusterView per call).
  void build_placement();
  // Sends each invoker that is up its row of the library plan when it differs from what its connection
  // was sent last (takes the lock; sends without it).
  void send_library_plans();

  RemoteDispatcherConfig config_;
  std::unique_ptr<net::wire::TlsEndpoint> tls_;  // null: plain TCP; its relays outlive the readers
  int listen_fd_ = -1;
  net::wire::UnixListener unix_;  // fd -1: no Unix socket
  std::uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Invoker>> invokers_;  // slot = NodeId
  std::vector<model::NodeState> nodes_;
  invoker::FunctionTable functions_;
  std::unique_ptr<LibraryPlan> library_plan_;                  // null without a repository
  std::vector<std::vector<policy::LibraryId>> imports_;        // per function: G_f (the scorpius placement)
  std::vector<std::vector<std::uint32_t>> code_servers_;       // per function: nodes it was placed on
  policy::LibraryStatus library_status_;
  bool plan_dirty_ = false;                                    // replanned since the last send
  std::unique_ptr<policy::PlacementPolicy> placement_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::uint64_t next_seq_ = 1, next_generation_ = 1;
  std::uint64_t accept_errors_ = 0;  // failed accepts, each retried after a backoff
  std::uint64_t invocations_ = 0, cold_ = 0, warm_ = 0, prewarm_ = 0, zygote_ = 0, snapshot_ = 0, errors_ = 0, lost_ = 0, replacements_ = 0;
  std::deque<Pending> to_replace_;  // answered stale, waiting for the replacer
  // Non-forced scheduling (placement answers kHoldAtController): invocations held at the controller,
  // FIFO, each with its request in Pending::request; `holding_` counts them and any being drained, so a
  // new arrival queues behind them. release_held_: memory may have freed, the replacer drains.
  std::deque<Pending> held_;
  std::size_t holding_ = 0;
  bool release_held_ = false;
  std::condition_variable replace_wake_;
  invoker::LatencyMetric latency_;
  bool stopping_ = false;
  std::thread acceptor_, unix_acceptor_, monitor_, replacer_;
  std::vector<std::thread> readers_;
  // Accepted sockets not yet closed → the steady µs by which the handshake must end (0: authenticated).
  std::map<int, std::int64_t> connections_;
  std::uint64_t auth_failures_ = 0;     // connections refused or dropped during the handshake
  std::uint64_t rejected_results_ = 0;  // results/stale answers for activations not sent on that connection
  std::uint64_t libraries_served_ = 0, library_bytes_served_ = 0;
  std::uint64_t reports_applied_ = 0, results_ = 0;
  // Results waited for on the sending thread (read_own), and how many of those waits left their result
  // to the reader thread (not in within own_read_us, or the wire failed).
  // Invokes corked by event-loop senders, and the writes that sent them (place_and_send, flush_corked).
  std::atomic<std::uint64_t> invokes_corked_{0}, cork_writes_{0};
  std::atomic<std::uint64_t> own_reads_{0}, own_reads_handed_back_{0};  // state reports taken; results received (with or without one)
};

}  // namespace hearth::controller
