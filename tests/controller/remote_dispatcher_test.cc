// The controller (RemoteDispatcher) and invokers (InvokerAgent) over the real wire protocol on
// 127.0.0.1, with fake containers: placement over reported state, code shipped once, failure detection.
#include "controller/remote_dispatcher.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "invoker/invoker_agent.h"
#include "net/wire.h"
#include "net/wire_binary.h"
#include "tests/invoker/fake_factory.h"
#include "tests/controller/raw_invoker.h"
#include "tests/net/connections_from_child.h"

namespace hearth::controller {
namespace {

// An InvokerAgent serving on its own thread; stop() or destruction ends it.
class Agent {
 public:
  Agent(std::uint16_t controller_port, const std::string& name, int heartbeat_ms = 100, bool reconnect = false,
        const std::string& keepalive = "ttl:10m", const std::string& scaling = "none", bool binary_frames = true) {
    invoker::InvokerAgentConfig c;
    c.controller = "127.0.0.1:" + std::to_string(controller_port);
    c.token = testing::kToken;
    c.name = name;
    c.pool.invoker_memory_mb = 1024;
    c.pool.concurrency = 2;
    c.pool.keepalive = keepalive;
    c.pool.scaling = scaling;
    c.pool.reap_interval_ms = 20;
    c.heartbeat_ms = heartbeat_ms;
    c.reconnect = reconnect;
    c.binary_frames = binary_frames;
    agent = std::make_unique<invoker::InvokerAgent>(factory, c);
    thread = std::thread([this] { why = agent->serve(); });
  }
  ~Agent() { stop(); }
  void stop() {
    if (!agent) return;
    agent->stop();
    thread.join();
    agent.reset();
  }
  invoker::FakeFactory factory;
  std::unique_ptr<invoker::InvokerAgent> agent;
  std::thread thread;
  std::string why;
};

net::ActionRecord action(const std::string& name, std::int64_t revision = 1, std::int64_t memory = 256) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "python:3";
  a.code = "ok";
  a.memory_mb = memory;
  a.revision = revision;
  return a;
}

std::future<net::ActivationRecord> start(RemoteDispatcher& d, const net::ActionRecord& a, const std::string& params = "{}") {
  auto p = std::make_shared<std::promise<net::ActivationRecord>>();
  auto f = p->get_future();
  d.dispatch(net::InvocationRequest{a, params, "id-" + a.name, 0}, [p](net::ActivationRecord r) { p->set_value(std::move(r)); });
  return f;
}

net::ActivationRecord invoke(RemoteDispatcher& d, const net::ActionRecord& a, const std::string& params = "{}") {
  return start(d, a, params).get();
}

RemoteDispatcherConfig config(std::int64_t heartbeat_timeout_ms = 1500) {
  RemoteDispatcherConfig c;
  c.token = testing::kToken;
  c.heartbeat_timeout_ms = heartbeat_timeout_ms;
  return c;
}

TEST(RemoteDispatcher, ColdThenWarmOnTheSameInvokerWithCodeShippedOnce) {
  RemoteDispatcher d(config());
  Agent a(d.port(), "a"), b(d.port(), "b");
  ASSERT_EQ(d.wait_for_invokers(2, 5000), 2);
  const auto first = invoke(d, action("f"), R"({"n":1})");
  EXPECT_EQ(first.status, "success");
  EXPECT_EQ(first.result_json, R"({"n":1})");
  EXPECT_EQ(first.start_kind, "cold");
  const auto second = invoke(d, action("f"));
  EXPECT_EQ(second.start_kind, "warm");  // the idle container reported with the first result
  EXPECT_EQ(second.invoker, first.invoker);
  EXPECT_EQ(second.container, first.container);
  EXPECT_EQ(a.factory.created.load() + b.factory.created.load(), 1);
  // A new revision is shipped again and the invoker runs it (a new container: the code changed).
  const auto updated = invoke(d, action("f", 2));
  EXPECT_EQ(updated.status, "success");
  EXPECT_EQ(updated.start_kind, "cold");
  const std::string m = d.prometheus_metrics();
  EXPECT_NE(m.find("hearth_starts_total{kind=\"cold\"} 2"), std::string::npos) << m;
  EXPECT_NE(m.find("hearth_invoker_up{invoker=\"a\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("hearth_invocation_latency_seconds_count 3"), std::string::npos) << m;
}

// A result whose state report has not changed since the last one goes without it, and the controller
// keeps placing on the view it had: every later invoke of the function still runs warm on the container
// the first result reported, with no stale answer (the view still shows it idle).
TEST(RemoteDispatcher, AnUnchangedStateReportIsOmittedAndTheViewIsKept) {
  RemoteDispatcher d(config(60'000));
  Agent a(d.port(), "a", /*heartbeat_ms=*/60'000);  // no heartbeat during the test: results alone
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  EXPECT_EQ(invoke(d, action("f")).start_kind, "cold");
  constexpr int kWarm = 20;
  for (int i = 0; i < kWarm; ++i) {
    const auto r = invoke(d, action("f"));
    EXPECT_EQ(r.status, "success");
    EXPECT_EQ(r.start_kind, "warm") << i;
  }
  EXPECT_EQ(a.factory.created.load(), 1);
  EXPECT_GE(a.agent->reports_omitted(), kWarm / 2u);  // most warm results repeat the previous report
  const std::vector<InvokerInfo> infos = d.invokers();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].idle, 1);  // the view survived the results without reports
  EXPECT_EQ(infos[0].stale_answers, 0u);
  const std::string m = d.prometheus_metrics();
  EXPECT_NE(m.find("hearth_wire_results_total " + std::to_string(kWarm + 1)), std::string::npos) << m;
}

// Binary frames (net/wire_binary.h): an invoker whose hello says it reads them gets a warm invoke (no
// code) in the binary layout and may answer it in binary; one that does not say so — the probe, an older
// invoker — gets JSON for the same invoke.
TEST(WireBinaryFrames, AWarmInvokeIsBinaryOnlyForAnInvokerThatReadsIt) {
  RemoteDispatcher d(config());
  for (const bool reads_binary : {false, true}) {
    std::string answer;
    const std::string name = reads_binary ? "bin" : "json";
    const int fd = testing::raw_invoker(d.port(), name, testing::kToken, &answer, net::InvokerState{1024, 0, 0, 0, 0, {}, {}},
                                        reads_binary ? nlohmann::json{{"binary_frames", 1}} : nlohmann::json::object());
    ASSERT_NE(answer.find("welcome"), std::string::npos) << answer;
    EXPECT_EQ(nlohmann::json::parse(answer).value("binary_frames", 0), 1);  // the controller reads binary results
    ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
    const net::ActionRecord f = action("f" + name);
    for (int i = 0; i < 2; ++i) {  // the first invoke ships the code (JSON), the second does not
      auto running = start(d, f, R"({"i":)" + std::to_string(i) + "}");
      std::string payload, error;
      ASSERT_TRUE(testing::recv_frame(fd, &payload, &error)) << error;
      std::uint64_t seq = 0;
      std::string params;
      const bool binary = net::wire::is_binary_frame(payload);
      EXPECT_EQ(binary, reads_binary && i == 1) << name << " invoke " << i;
      if (binary) {
        const net::wire::BinaryInvoke m = net::wire::decode_invoke(payload);
        seq = m.seq;
        params = m.request.params_json;
        EXPECT_EQ(m.request.action.revision, f.revision);
        EXPECT_EQ(m.request.activation_id, "id-" + f.name);
      } else {
        const auto m = net::wire::invoke_from_json(nlohmann::json::parse(payload));
        seq = m.seq;
        params = m.request.params_json;
      }
      EXPECT_EQ(params, R"({"i":)" + std::to_string(i) + "}");
      net::ActivationRecord rec;
      rec.status = "success";
      rec.start_kind = "warm";
      rec.result_json = params;
      std::string out;
      if (binary) {
        net::wire::encode_result(out, seq, rec, "");  // without a report: the view is kept
      } else {
        out = nlohmann::json{{"type", "result"}, {"seq", seq}, {"activation", net::wire::to_json(rec)}}.dump();
      }
      ASSERT_EQ(net::write_frame(fd, out, net::FdKind::kSocket), net::FrameStatus::kOk);
      const auto r = running.get();
      EXPECT_EQ(r.status, "success");
      EXPECT_EQ(r.result_json, params);
      EXPECT_EQ(r.id, "id-" + f.name);  // filed under the controller's id
    }
    close(fd);
    for (int i = 0; i < 200 && !d.invokers().empty() && d.invokers()[0].up; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// A binary result that does not decode ends the connection like any malformed message, with the reason.
TEST(WireBinaryFrames, ATruncatedBinaryResultEndsTheConnectionSayingWhy) {
  RemoteDispatcher d(config());
  std::string answer;
  const int fd = testing::raw_invoker(d.port(), "raw", testing::kToken, &answer, net::InvokerState{1024, 0, 0, 0, 0, {}, {}},
                                      nlohmann::json{{"binary_frames", 1}});
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  auto running = start(d, action("f"));
  std::string payload, error;
  ASSERT_TRUE(testing::recv_frame(fd, &payload, &error)) << error;
  const auto seq = net::wire::invoke_from_json(nlohmann::json::parse(payload)).seq;
  std::string out;
  net::wire::encode_result(out, seq, net::ActivationRecord{}, "");
  out.resize(out.size() - 3);
  ASSERT_EQ(net::write_frame(fd, out, net::FdKind::kSocket), net::FrameStatus::kOk);
  const auto r = running.get();
  EXPECT_EQ(r.status, "whisk internal error");
  EXPECT_NE(r.result_json.find("malformed message: binary result frame: field 'logs'"), std::string::npos) << r.result_json;
  close(fd);
}

// Older peers keep JSON both ways: an invoker that does not read binary frames, and a controller with
// them turned off (`hearth up --wire-binary-frames off`), still run cold and warm invocations.
TEST(WireBinaryFrames, OlderPeersKeepJsonBothWays) {
  for (const bool controller_binary : {true, false}) {
    RemoteDispatcherConfig c = config();
    c.binary_frames = controller_binary;
    RemoteDispatcher d(c);
    Agent a(d.port(), "a", 100, false, "ttl:10m", "none", /*binary_frames=*/controller_binary ? false : true);
    ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
    EXPECT_EQ(invoke(d, action("f"), R"({"n":1})").start_kind, "cold");
    const auto warm = invoke(d, action("f"), R"({"n":2})");
    EXPECT_EQ(warm.status, "success");
    EXPECT_EQ(warm.start_kind, "warm");
    EXPECT_EQ(warm.result_json, R"({"n":2})");
  }
}

// Sophon over the wire with 3 invokers: a later invocation goes to the invoker its reports say holds an
// idle container, even when other invokers are emptier.
class SophonOverTheWire : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Rules, SophonOverTheWire, ::testing::Values("MA/MA", "MA/MC"));

TEST_P(SophonOverTheWire, PlacesOnTheReportedIdleContainer) {
  RemoteDispatcherConfig c = config();
  c.placement = std::string("sophon:") + GetParam() + ",sample=0,ties=lowest";
  RemoteDispatcher d(c);
  Agent a(d.port(), "a"), b(d.port(), "b"), x(d.port(), "x");
  ASSERT_EQ(d.wait_for_invokers(3, 5000), 3);
  const auto first = invoke(d, action("f", 1, 512));
  EXPECT_EQ(first.start_kind, "cold");
  const std::string holder = first.invoker;
  // Two more functions start cold. Idle containers do not count against available memory (Sophon's
  // definition), so every invoker ties at 1024 MB and the lowest slot, the holder, takes them too (it
  // has room without evicting: 512 + 128 + 128 MB).
  const auto g = invoke(d, action("g", 1, 128));
  const auto h = invoke(d, action("h", 1, 128));
  EXPECT_EQ(g.invoker, holder);
  EXPECT_EQ(h.invoker, holder);
  // The holder is now the fullest invoker (768 MB held), yet f goes back to its idle container.
  const auto again = invoke(d, action("f", 1, 512));
  EXPECT_EQ(again.start_kind, "warm");
  EXPECT_EQ(again.invoker, holder);
  EXPECT_EQ(again.container, first.container);
}

// MC over the wire: three full invokers (two idle 512 MB containers each: each cold start goes to the
// lowest slot where it fits without eviction). Containers on two of them are used again after a second; a
// new function then goes where the victim has been idle longest — the invoker MA's tie-break (lowest
// slot) would not pick.
TEST(RemoteDispatcher, SophonMinCostEvictsTheLongestIdleFromReports) {
  RemoteDispatcherConfig c = config();
  c.placement = "sophon:MA/MC,sample=0,ties=lowest";
  RemoteDispatcher d(c);
  Agent a(d.port(), "a"), b(d.port(), "b"), x(d.port(), "x");  // 1024 MB each, LRU eviction
  ASSERT_EQ(d.wait_for_invokers(3, 5000), 3);
  std::map<std::string, std::vector<std::string>> held;  // invoker → functions idle there
  for (int i = 0; i < 6; ++i) {
    const std::string f = "f" + std::to_string(i);
    const auto r = invoke(d, action(f, 1, 512));
    ASSERT_EQ(r.start_kind, "cold");
    held[r.invoker].push_back(f);
  }
  ASSERT_EQ(held.size(), 3u);
  const std::string old = d.invokers()[2].name;  // slot 2: never MA's tie-break
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  for (const auto& [invoker, fs] : held)
    if (invoker != old) {
      for (const auto& f : fs) ASSERT_EQ(invoke(d, action(f, 1, 512)).start_kind, "warm");
    }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a heartbeat refreshes every report
  const auto z = invoke(d, action("z", 1, 512));
  EXPECT_EQ(z.start_kind, "cold");
  EXPECT_EQ(z.invoker, old);
  // Under MA the same state goes to the lowest slot: the full invokers tie on available memory.
  EXPECT_NE(d.invokers()[0].name, old);
}

// Stale state (Sophon §4.5.1). The invokers send no heartbeats, so the controller's view of each changes
// only with that invoker's results and stale answers: the test decides when it is stale.
constexpr int kNoHeartbeat = 60'000;

// Opens the gates when the test ends, even early: an invocation held at a gate would block its agent's
// destruction.
struct OpenGatesAtExit {
  std::vector<Agent*> agents;
  ~OpenGatesAtExit() {
    for (Agent* a : agents) a->factory.gate.open();
  }
};

std::string metric(RemoteDispatcher& d, const std::string& name) {
  const std::string m = d.prometheus_metrics();
  const auto at = m.find("\n" + name + " ");
  return at == std::string::npos ? "absent" : m.substr(at + name.size() + 2, m.find('\n', at + 1) - at - name.size() - 2);
}

// The reports show an idle container of f on a and on b; a's is then taken by an invocation still
// running (no result, so no report yet), and a held invocation of g lands cold on b, so that both have
// 256 MB placed and in flight. The next f goes to a (equal available memory: lowest slot) expecting a
// warm start; a answers stale with a fresh report and the controller places it again, on b, where it
// runs warm in b's container.
// f cold on a and, while that runs (held), cold again on the emptiest other invoker, b: afterwards each
// holds one idle container of f. Returns the two activations.
std::pair<net::ActivationRecord, net::ActivationRecord> warm_f_on_a_and_b(RemoteDispatcher& d, Agent& a, Agent& b) {
  auto on_a = start(d, action("f"), R"({"hold":1})");
  auto on_b = start(d, action("f"), R"({"hold":1})");
  a.factory.gate.open();
  b.factory.gate.open();
  return {on_a.get(), on_b.get()};
}

class StaleStateOverTheWire : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Rules, StaleStateOverTheWire, ::testing::Values("MA/MA", "MA/MC"));

TEST_P(StaleStateOverTheWire, ATakenContainerIsAnsweredStaleAndTheInvocationRunsWarmOnTheRealHolder) {
  RemoteDispatcherConfig c = config(/*heartbeat_timeout_ms=*/kNoHeartbeat);
  c.placement = std::string("sophon:") + GetParam() + ",sample=0,ties=lowest";
  RemoteDispatcher d(c);
  Agent a(d.port(), "a", kNoHeartbeat);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);  // slots in this order: a, b, x
  Agent b(d.port(), "b", kNoHeartbeat);
  ASSERT_EQ(d.wait_for_invokers(2, 5000), 2);
  Agent x(d.port(), "x", kNoHeartbeat);
  ASSERT_EQ(d.wait_for_invokers(3, 5000), 3);
  OpenGatesAtExit open_gates{{&a, &b, &x}};
  const auto [first_a, first_b] = warm_f_on_a_and_b(d, a, b);
  ASSERT_EQ(first_a.invoker, "a");
  ASSERT_EQ(first_b.invoker, "b");
  ASSERT_EQ(first_a.start_kind, "cold");
  ASSERT_EQ(first_b.start_kind, "cold");
  // An invocation takes a's idle container and stays running: the controller still sees it idle.
  a.factory.gate.close();
  auto taking = start(d, action("f"), R"({"hold":2})");
  b.factory.gate.close();
  auto other = start(d, action("g"), R"({"hold":3})");  // cold on b: a has less available memory
  const auto replaced = invoke(d, action("f"), R"({"n":3})");
  EXPECT_EQ(replaced.status, "success");
  EXPECT_EQ(replaced.result_json, R"({"n":3})");
  EXPECT_EQ(replaced.invoker, "b");
  EXPECT_EQ(replaced.start_kind, "warm");
  EXPECT_EQ(replaced.container, first_b.container);
  EXPECT_EQ(metric(d, "hearth_stale_replacements_total"), "1");
  EXPECT_EQ(metric(d, "hearth_invoker_stale_answers_total{invoker=\"a\"}"), "1");
  EXPECT_EQ(metric(d, "hearth_invoker_stale_answers_total{invoker=\"b\"}"), "0");
  a.factory.gate.open();
  const auto took = taking.get();
  EXPECT_EQ(took.invoker, "a");
  EXPECT_EQ(took.start_kind, "warm");
  EXPECT_EQ(took.container, first_a.container);
  b.factory.gate.open();
  EXPECT_EQ(other.get().invoker, "b");
  EXPECT_EQ(a.factory.created.load() + b.factory.created.load() + x.factory.created.load(), 3);  // f, f, g
  EXPECT_EQ(metric(d, "hearth_invocation_latency_seconds_count"), "5");  // each invocation ended once
  for (const InvokerInfo& i : d.invokers()) EXPECT_EQ(i.in_flight, 0) << i.name;
}

// HyperFaaS's hierarchical scheduling over the wire: the controller (global scheduler) places on a's
// container, which its last report shows with a free slot (a held g on b evens out the memory in flight,
// as in the stale-state test above); a's in-container scheduler finds it busy
// (one slot, no phase-1 growth at max_slots=1) and bounces the invocation back with a fresh report; the
// controller re-places it on b, whose container takes it at once.
TEST(HierarchicalScheduling, AnInvokerBouncesWhatItsContainersCannotAdmitAndTheControllerReplacesIt) {
  RemoteDispatcherConfig c = config(/*heartbeat_timeout_ms=*/kNoHeartbeat);
  c.placement = "sophon:MA/MA,sample=0,ties=lowest";
  RemoteDispatcher d(c);
  const std::string scaling = "hyperfaas:slots=1,max_slots=1";
  Agent a(d.port(), "a", kNoHeartbeat, false, "ttl:10m", scaling);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  Agent b(d.port(), "b", kNoHeartbeat, false, "ttl:10m", scaling);
  ASSERT_EQ(d.wait_for_invokers(2, 5000), 2);
  Agent x(d.port(), "x", kNoHeartbeat, false, "ttl:10m", scaling);
  ASSERT_EQ(d.wait_for_invokers(3, 5000), 3);
  OpenGatesAtExit open_gates{{&a, &b, &x}};
  const auto [first_a, first_b] = warm_f_on_a_and_b(d, a, b);
  ASSERT_EQ(first_a.invoker, "a");
  ASSERT_EQ(first_b.invoker, "b");
  // A second invocation occupies a's container; the controller still sees its slot free.
  a.factory.gate.close();
  auto taking = start(d, action("f"), R"({"hold":2})");
  b.factory.gate.close();
  auto other = start(d, action("g"), R"({"hold":3})");
  const auto bounced = invoke(d, action("f"), R"({"n":3})");
  EXPECT_EQ(bounced.status, "success");
  EXPECT_EQ(bounced.invoker, "b");
  EXPECT_EQ(bounced.start_kind, "warm");
  EXPECT_EQ(bounced.container, first_b.container);
  EXPECT_EQ(metric(d, "hearth_invoker_stale_answers_total{invoker=\"a\"}"), "1");
  a.factory.gate.open();
  const auto took = taking.get();
  EXPECT_EQ(took.invoker, "a");
  EXPECT_EQ(took.container, first_a.container);
  b.factory.gate.open();
  EXPECT_EQ(other.get().invoker, "b");
  EXPECT_EQ(a.factory.created.load(), 1);  // the bounce started nothing on a
  EXPECT_EQ(b.factory.created.load(), 2);  // f's and g's
  for (const InvokerInfo& i : d.invokers()) EXPECT_EQ(i.in_flight, 0) << i.name;
}

// The bound: f's containers on a, b and x expire after their last report (the controller still sees all
// three idle). With at most N re-placements, the first N holders it tries answer stale and the
// (N+1)-th is sent without the warm expectation, so it starts cold there and the client gets one result.
class StaleReplacementBound : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(N, StaleReplacementBound, ::testing::Values(0, 1, 2));

TEST_P(StaleReplacementBound, AfterNStaleAnswersItStartsColdAndEndsOnce) {
  const int n = GetParam();
  RemoteDispatcherConfig c = config(/*heartbeat_timeout_ms=*/kNoHeartbeat);
  c.placement = "sophon:MA/MA,sample=0,ties=lowest";
  c.max_stale_replacements = n;
  RemoteDispatcher d(c);
  const std::string short_ttl = "ttl:100ms";
  Agent a(d.port(), "a", kNoHeartbeat, false, short_ttl);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  Agent b(d.port(), "b", kNoHeartbeat, false, short_ttl);
  ASSERT_EQ(d.wait_for_invokers(2, 5000), 2);
  Agent x(d.port(), "x", kNoHeartbeat, false, short_ttl);
  ASSERT_EQ(d.wait_for_invokers(3, 5000), 3);
  std::vector<Agent*> agents{&a, &b, &x};
  OpenGatesAtExit open_gates{agents};
  std::vector<std::future<net::ActivationRecord>> first;  // held, so each lands cold on the next emptiest invoker
  for (int i = 0; i < 3; ++i) first.push_back(start(d, action("f"), R"({"hold":1})"));
  for (Agent* g : agents) g->factory.gate.open();
  for (int i = 0; i < 3; ++i) {
    const auto r = first[static_cast<std::size_t>(i)].get();
    ASSERT_EQ(r.invoker, std::string(1, "abx"[i]));
    ASSERT_EQ(r.start_kind, "cold");
  }
  // Wait (bounded) until every invoker has destroyed its expired container.
  for (int i = 0; i < 500 && (a.factory.destroyed + b.factory.destroyed + x.factory.destroyed) < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(a.factory.destroyed + b.factory.destroyed + x.factory.destroyed, 3);
  for (const InvokerInfo& i : d.invokers()) ASSERT_EQ(i.idle, 1) << i.name;  // the stale view

  const auto r = invoke(d, action("f"), R"({"n":4})");
  EXPECT_EQ(r.status, "success");
  EXPECT_EQ(r.result_json, R"({"n":4})");
  EXPECT_EQ(r.start_kind, "cold");
  EXPECT_EQ(r.invoker, std::string(1, "abx"[n]));  // holders tried in order: equal memory, lowest slot
  EXPECT_EQ(metric(d, "hearth_stale_replacements_total"), std::to_string(n));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(metric(d, std::string("hearth_invoker_stale_answers_total{invoker=\"") + "abx"[i] + "\"}"), i < n ? "1" : "0");
  EXPECT_EQ(a.factory.created.load() + b.factory.created.load() + x.factory.created.load(), 4);  // ran once
  EXPECT_EQ(metric(d, "hearth_invocation_latency_seconds_count"), "4");
  EXPECT_EQ(metric(d, "hearth_invocations_total"), "4");
}

// A peer that answers stale to an invoke sent without the warm expectation breaks the protocol: the
// controller kept nothing to place it again with, so the invocation ends, as an internal error.
// Non-forced scheduling over the wire (`openwhisk:overload=wait`): one 1024 MB invoker holds four
// 256 MB invocations (held at its gate), so its semaphore is full; a fifth is held at the controller —
// not sent — until one of them completes, then sent and run. Forced (OpenWhisk's default), the fifth is
// sent at once and waits at the invoker.
void fill_then_one_more(const std::string& placement, bool expect_held) {
  RemoteDispatcherConfig c = config();
  c.placement = placement;
  RemoteDispatcher d(c);
  Agent a(d.port(), "a");
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  OpenGatesAtExit open_gates{{&a}};
  a.factory.gate.close();
  std::vector<std::future<net::ActivationRecord>> full;
  for (int i = 0; i < 4; ++i) full.push_back(start(d, action("f" + std::to_string(i)), R"({"hold":1})"));
  auto fifth = start(d, action("g"), R"({"n":5})");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(d.invokers()[0].in_flight, expect_held ? 4 : 5);
  EXPECT_EQ(fifth.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);  // held either way
  a.factory.gate.open();
  for (auto& f : full) EXPECT_EQ(f.get().status, "success");
  const net::ActivationRecord r = fifth.get();
  EXPECT_EQ(r.status, "success");
  EXPECT_EQ(r.result_json, R"({"n":5})");
  EXPECT_EQ(r.invoker, "a");
  EXPECT_EQ(metric(d, "hearth_invocation_latency_seconds_count"), "5");
  for (const InvokerInfo& i : d.invokers()) EXPECT_EQ(i.in_flight, 0) << i.name;
}

TEST(NonForcedScheduling, HeldAtTheControllerUntilTheSemaphoreHasRoom) {
  fill_then_one_more("openwhisk:overload=wait", true);
}

TEST(NonForcedScheduling, ForcedIsSentAtOnce) { fill_then_one_more("openwhisk", false); }

// Held invocations end with an error when the controller stops.
TEST(NonForcedScheduling, HeldInvocationsEndWhenTheControllerStops) {
  RemoteDispatcherConfig c = config();
  c.placement = "openwhisk:overload=wait";
  RemoteDispatcher d(c);
  Agent a(d.port(), "a");
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  OpenGatesAtExit open_gates{{&a}};
  a.factory.gate.close();
  std::vector<std::future<net::ActivationRecord>> full;
  for (int i = 0; i < 4; ++i) full.push_back(start(d, action("f" + std::to_string(i)), R"({"hold":1})"));
  auto fifth = start(d, action("g"));
  auto sixth = start(d, action("h"));  // queued behind the fifth
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  d.stop();
  for (auto* f : {&fifth, &sixth}) {
    const net::ActivationRecord r = f->get();
    EXPECT_EQ(r.status, "whisk internal error");
    EXPECT_NE(r.result_json.find("waited for memory"), std::string::npos) << r.result_json;
  }
  a.factory.gate.open();
  for (auto& f : full) EXPECT_EQ(f.get().status, "whisk internal error");  // the controller went away
}

TEST(RemoteDispatcher, AStaleAnswerToAnInvokeNotExpectingWarmEndsIt) {
  RemoteDispatcher d(config());
  std::string answer;
  const int fd = testing::raw_invoker(d.port(), "raw", testing::kToken, &answer);
  ASSERT_NE(answer.find("welcome"), std::string::npos) << answer;
  const nlohmann::json state = net::wire::to_json(net::InvokerState{1024, 0, 0, 0, 0, {}, {}});
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  auto running = start(d, action("f"));
  std::string payload, error;
  ASSERT_TRUE(testing::recv_frame(fd, &payload, &error)) << error;
  const net::wire::InvokeMessage invoke = net::wire::invoke_from_json(nlohmann::json::parse(payload));
  EXPECT_FALSE(invoke.expect_warm);  // no report has shown an idle container
  ASSERT_TRUE(net::wire::send_frame(fd, nlohmann::json{{"type", "stale"}, {"seq", invoke.seq}, {"state", state}}.dump()));
  const auto r = running.get();
  EXPECT_EQ(r.status, "whisk internal error");
  EXPECT_NE(r.result_json.find("answered stale"), std::string::npos) << r.result_json;
  EXPECT_EQ(metric(d, "hearth_stale_replacements_total"), "0");
  close(fd);
}

TEST(RemoteDispatcher, NoInvokerMeansAnInternalErrorNotAHang) {
  RemoteDispatcher d(config());
  const auto r = invoke(d, action("f"));
  EXPECT_EQ(r.status, "whisk internal error");
  EXPECT_NE(r.result_json.find("No invoker"), std::string::npos) << r.result_json;
}

TEST(RemoteDispatcher, AGoneInvokerFailsItsInFlightWorkAndOthersTakeOver) {
  RemoteDispatcher d(config());
  auto a = std::make_unique<Agent>(d.port(), "a");
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  Agent b(d.port(), "b");
  ASSERT_EQ(d.wait_for_invokers(2, 5000), 2);
  // Put work on both invokers: functions hash to different homes.
  std::vector<std::future<net::ActivationRecord>> running;
  for (int i = 0; i < 6; ++i) running.push_back(start(d, action("f" + std::to_string(i)), R"({"sleep":1})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  a->stop();  // closes its connection while invocations run there
  a.reset();
  int lost = 0, ok = 0;
  for (auto& f : running) {
    const auto r = f.get();
    if (r.status == "success") ++ok;
    if (r.status == "whisk internal error") {
      ++lost;
      EXPECT_EQ(r.invoker, "a");
      EXPECT_NE(r.result_json.find("went away"), std::string::npos) << r.result_json;
    }
  }
  EXPECT_EQ(ok + lost, 6);
  EXPECT_EQ(d.wait_for_invokers(2, 0), 1);
  for (int i = 0; i < 6; ++i) {
    const auto r = invoke(d, action("f" + std::to_string(i)));
    EXPECT_EQ(r.status, "success");
    EXPECT_EQ(r.invoker, "b");
  }
  EXPECT_NE(d.prometheus_metrics().find("hearth_invoker_up{invoker=\"a\"} 0"), std::string::npos);
}

TEST(RemoteDispatcher, ASilentInvokerIsDeclaredDownByHeartbeatTimeout) {
  RemoteDispatcher d(config(/*heartbeat_timeout_ms=*/300));
  Agent quiet(d.port(), "quiet", /*heartbeat_ms=*/60'000);  // connected, but never sends a heartbeat
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  const auto t0 = std::chrono::steady_clock::now();
  while (d.wait_for_invokers(1, 0) == 1 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(d.wait_for_invokers(1, 0), 0);
  EXPECT_EQ(invoke(d, action("f")).status, "whisk internal error");
}

TEST(RemoteDispatcher, AReconnectingInvokerGetsItsSlotBack) {
  RemoteDispatcher d(config());
  auto a = std::make_unique<Agent>(d.port(), "a");
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  EXPECT_EQ(invoke(d, action("f")).start_kind, "cold");
  a.reset();
  for (int i = 0; i < 100 && d.wait_for_invokers(1, 0) == 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  a = std::make_unique<Agent>(d.port(), "a");
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  const auto r = invoke(d, action("f"));  // the new process has no code yet: it is shipped again
  EXPECT_EQ(r.status, "success") << r.result_json;
  EXPECT_EQ(r.start_kind, "cold");
  EXPECT_EQ(d.invokers().size(), 1u);
}

TEST(RemoteDispatcher, AnInvokerRejoinsARestartedControllerWithItsWarmContainers) {
  auto d = std::make_unique<RemoteDispatcher>(config());
  const std::uint16_t port = d->port();
  Agent a(port, "a", 100, /*reconnect=*/true);
  ASSERT_EQ(d->wait_for_invokers(1, 5000), 1);
  EXPECT_EQ(invoke(*d, action("f")).start_kind, "cold");
  d.reset();  // the controller goes away; the invoker keeps its pool and retries
  RemoteDispatcherConfig again = config();
  again.port = port;
  d = std::make_unique<RemoteDispatcher>(again);
  ASSERT_EQ(d->wait_for_invokers(1, 5000), 1);
  const auto r = invoke(*d, action("f"));  // code is shipped again; the container is still warm
  EXPECT_EQ(r.status, "success") << r.result_json;
  EXPECT_EQ(r.start_kind, "warm");
  EXPECT_EQ(a.factory.created.load(), 1);
}

TEST(RemoteDispatcher, StopsWhileAConnectionNeverSaidHello) {
  auto d = std::make_unique<RemoteDispatcher>(config());
  const int fd = net::wire::connect_tcp("127.0.0.1", d->port());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // accepted, its reader waits for hello
  d->stop();  // must not wait for that reader forever
  d.reset();
  close(fd);
}

TEST(RemoteDispatcher, GarbageOnTheWireIsRejected) {
  RemoteDispatcher d(config());
  const int fd = net::wire::connect_tcp("127.0.0.1", d.port());
  std::string_view payload;
  std::string error;
  net::FrameReader reader(net::wire::kMaxHandshakeFrameBytes);
  ASSERT_TRUE(net::wire::recv_frame(fd, reader, &payload, &error)) << error;  // the challenge
  ASSERT_TRUE(net::wire::send_frame(fd, "{not json"));
  EXPECT_FALSE(net::wire::recv_frame(fd, reader, &payload, &error));  // the controller closed it
  close(fd);
  Agent a(d.port(), "a");  // and still accepts real invokers
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  EXPECT_EQ(invoke(d, action("f")).status, "success");
}

// The wire's acceptor used to stop for good on its first accept error: run the process out of descriptors
// (accept fails with EMFILE), free them, and an invoker still joins and serves. The connections come from
// a child process (its descriptors its own), so they wait in the accept queue whatever the scheduling.
TEST(RemoteDispatcher, AcceptErrorsBackOffAndInvokersStillJoin) {
#ifdef HEARTH_SANITIZED
  GTEST_SKIP() << "exhausts file descriptors, where UBSan's pipe-based memory probe reports false invalid vptrs; "
                  "the Release pass runs it";
#endif
  RemoteDispatcher d(config());
  hearth::testing::ConnectionsFromChild clients(d.port(), 32);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int open_now = 0;
  for (int fd = 0; fd < 4096; ++fd) open_now += fcntl(fd, F_GETFD) != -1;
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(open_now + 4);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  clients.connect_now();
  // The acceptor meets EMFILE (on a loaded machine it may take a while to get there: up to 10 s).
  for (int i = 0; i < 1000 && d.prometheus_metrics().find("hearth_wire_accept_errors_total 0\n") != std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  clients.close_all();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(d.prometheus_metrics().find("hearth_wire_accept_errors_total 0\n"), std::string::npos);
  Agent a(d.port(), "late");
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  EXPECT_EQ(invoke(d, action("f")).status, "success");
}

}  // namespace
}  // namespace hearth::controller
