// A trained-model round trip, the scheduler's capacity invariant, and the errors for bad model files.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "crl/crl_model.h"
#include "crl/crl_scheduler.h"
#include "crl/crl_trainer.h"

namespace hearth::crl {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hearth-crl-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Three functions over 40 minutes in two regimes: f0+f1 in even minutes, f1+f2 in odd ones.
CrlHistory tiny_history() {
  CrlHistory h;
  h.functions = {{"f0", 512, 1.0, 4.0}, {"f1", 256, 0.5, 1.0}, {"f2", 128, 0.25, 2.0}};
  h.priority_spec = "param2";
  h.minutes = 40;
  for (std::int64_t m = 0; m < h.minutes; ++m) {
    const bool even = m % 2 == 0;
    h.counts.insert(h.counts.end(), {even ? 6.f : 0.f, 3.f, even ? 0.f : 5.f});
    h.priorities.insert(h.priorities.end(), {4.0, 1.0, 2.0});
  }
  return h;
}

TrainOptions tiny_options() {
  TrainOptions o;
  o.clusters = 2;
  o.episodes = 40;
  o.hidden = {16, 16};
  o.learning_rate = 1e-3;
  o.batch = 8;
  o.replay = 500;
  o.snapshots.min_queue = 2;
  o.snapshots.max_queue = 8;
  return o;
}

std::vector<model::FunctionSpec> specs() {
  std::vector<model::FunctionSpec> s(4);
  const char* names[] = {"f0", "f1", "f2", "not-in-model"};
  const model::MegaBytes mem[] = {512, 256, 128, 64};
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i].id = static_cast<model::FunctionId>(i), s[i].name = names[i], s[i].memory_mb = mem[i],
    s[i].cold_start_us = 500'000 * static_cast<model::Micros>(i + 1);
  return s;
}

std::unique_ptr<CrlScheduler> scheduler(std::shared_ptr<const CrlModel> model,
                                        CrlDecision decision = CrlDecision::kStepwise) {
  auto s = std::make_unique<CrlScheduler>(std::move(model), decision);
  for (const model::FunctionSpec& fn : specs()) s->on_function_added(fn);
  return s;
}

std::vector<policy::PendingRequest> random_queue(std::mt19937_64& rng, std::size_t n) {
  const std::vector<model::FunctionSpec> fns = specs();
  std::vector<std::int32_t> busy(fns.size());  // per function, as the engine reports it
  for (std::int32_t& b : busy) b = static_cast<std::int32_t>(rng() % 2);
  std::vector<policy::PendingRequest> q;
  for (std::size_t i = 0; i < n; ++i) {
    const model::FunctionSpec& fn = fns[rng() % fns.size()];
    q.push_back({i, fn.id, static_cast<model::Micros>(i), fn.memory_mb, static_cast<double>(fn.memory_mb) / 512.0,
                 false, busy[fn.id]});
  }
  return q;
}

TEST(CrlModel, TrainSaveLoadGivesTheSameDecisions) {
  const CrlHistory h = tiny_history();
  TrainReport report;
  auto trained = std::make_shared<const CrlModel>(train_crl(h, tiny_options(), &report));
  ASSERT_EQ(trained->networks.size(), 2u);
  ASSERT_EQ(report.environments.size(), 2u);
  EXPECT_GT(report.environments[0].steps + report.environments[1].steps, 0);
  TempDir dir;
  save_crl_model(*trained, dir.path());
  EXPECT_TRUE(fs::exists(fs::path(dir.path()) / "manifest.json"));
  auto loaded = std::make_shared<const CrlModel>(load_crl_model(dir.path()));
  EXPECT_EQ(loaded->centroids, trained->centroids);
  ASSERT_EQ(loaded->functions.size(), 3u);
  EXPECT_EQ(loaded->functions[2].name, "f2");
  // Identical Q-values and identical decisions on the same queues.
  auto a = scheduler(trained), b = scheduler(loaded);
  std::mt19937_64 rng(7);
  for (int round = 0; round < 30; ++round) {
    const auto q = random_queue(rng, 1 + rng() % 12);
    const policy::NodeCapacity cap{static_cast<model::MegaBytes>(rng() % 2048), static_cast<double>(rng() % 5)};
    const model::Micros now = round * model::kMicrosPerMinute / 3;
    const model::Invocation inv{static_cast<model::InvocationId>(round), q[0].function, now, 0};
    a->on_arrival(inv, specs()[q[0].function], now);
    b->on_arrival(inv, specs()[q[0].function], now);
    EXPECT_EQ(a->select(q, cap, now), b->select(q, cap, now));
    EXPECT_EQ(a->last_environment(), b->last_environment());
  }
  // Same seed, same model: training is deterministic.
  const CrlModel again = train_crl(h, tiny_options());
  std::vector<float> s(trained->shape().inputs, 0.25f), q1(trained->shape().outputs), q2(q1.size());
  trained->networks[0].q_values(s, 1, q1);
  again.networks[0].q_values(s, 1, q2);
  EXPECT_EQ(q1, q2);
}

TEST(QNetwork, DenseCopyGivesTheTorchQValues) {
  const QNetwork net({23, 6, {16, 8, 4}}, 3);
  const DenseNetwork dense = net.dense();
  ASSERT_EQ(dense.inputs(), 23u);
  ASSERT_EQ(dense.outputs(), 6u);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int round = 0; round < 20; ++round) {
    std::vector<float> s(23), a(6), b(6);
    for (float& x : s) x = u(rng);
    net.q_values(s, 1, a);
    dense.q_values(s, b);
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5f);
  }
}

RC_GTEST_PROP(CrlScheduler, NeverExceedsTheCapacity, ()) {
  static const auto model = std::make_shared<const CrlModel>(train_crl(tiny_history(), [] {
    TrainOptions o = tiny_options();
    o.episodes = 5;
    return o;
  }()));
  const CrlDecision decision = *rc::gen::element(CrlDecision::kStepwise, CrlDecision::kOnePass);
  auto s = scheduler(model, decision);
  std::mt19937_64 rng(*rc::gen::arbitrary<std::uint64_t>());
  const auto q = random_queue(rng, *rc::gen::inRange<std::size_t>(0, 40));
  const policy::NodeCapacity cap{*rc::gen::inRange<model::MegaBytes>(0, 4096),
                                 *rc::gen::inRange(0, 16) / 2.0};
  const std::uint64_t passes_before = s->forward_passes();
  const std::vector<std::size_t> chosen = s->select(q, cap, 0);
  if (decision == CrlDecision::kOnePass) RC_ASSERT(s->forward_passes() - passes_before <= 1u);
  model::MegaBytes mb = 0;
  double cores = 0;
  std::vector<bool> seen(q.size(), false);
  for (std::size_t k : chosen) {
    RC_ASSERT(k < q.size());
    RC_ASSERT(!seen[k]);
    seen[k] = true;
    mb += q[k].memory_mb;
    cores += q[k].cpu_cores;
  }
  RC_ASSERT(mb <= cap.available_mb);
  RC_ASSERT(cores <= cap.available_cores + 1e-9);
  // Nothing left out that fits the rest, but a request the model waited for (a busy function): every
  // not-chosen request either does not fit what is left or has a busy container to reuse.
  for (std::size_t k = 0; k < q.size(); ++k)
    if (!seen[k] && q[k].busy_same == 0)
      RC_ASSERT(q[k].memory_mb > cap.available_mb - mb || q[k].cpu_cores > cap.available_cores - cores + 1e-9);
}

std::string error_of(const std::string& dir) {
  try {
    load_crl_model(dir);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CrlModel, BadModelDirectoriesGiveClearErrors) {
  TempDir dir;
  const std::string missing = dir.path() + "/nothing";
  EXPECT_NE(error_of(missing).find(missing + ": no CRL model here"), std::string::npos) << error_of(missing);
  EXPECT_NE(error_of(dir.path()).find("manifest.json: missing"), std::string::npos) << error_of(dir.path());

  // A good model first, so each corruption below is the only thing wrong.
  save_crl_model(train_crl(tiny_history(), [] {
                   TrainOptions o = tiny_options();
                   o.episodes = 2;
                   return o;
                 }()),
                 dir.path());
  ASSERT_EQ(error_of(dir.path()), "no error");
  const std::string manifest = dir.path() + "/manifest.json";
  std::string good;
  {
    std::ifstream in(manifest);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto write = [&](const std::string& text) { std::ofstream(manifest) << text; };
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  write("{ not json");
  EXPECT_NE(error_of(dir.path()).find("not valid JSON"), std::string::npos) << error_of(dir.path());
  write(replaced("\"version\": 2", "\"version\": 99"));
  EXPECT_NE(error_of(dir.path()).find("model version 99"), std::string::npos) << error_of(dir.path());
  write(replaced("\"priority\": \"param2\"", "\"priority\": \"param9\""));
  EXPECT_NE(error_of(dir.path()).find("\"priority\": "), std::string::npos) << error_of(dir.path());
  EXPECT_NE(error_of(dir.path()).find("param9"), std::string::npos) << error_of(dir.path());
  write(replaced("\"format\": \"hearth-crl\"", "\"format\": \"other\""));
  EXPECT_NE(error_of(dir.path()).find("not a hearth-crl manifest"), std::string::npos) << error_of(dir.path());
  write(replaced("\"hidden\": [\n  16,\n  16\n ]", "\"hidden\": [\n  16,\n  32\n ]"));
  EXPECT_NE(error_of(dir.path()).find("env0.pt"), std::string::npos) << error_of(dir.path());
  write(good);
  fs::remove(dir.path() + "/env1.pt");
  EXPECT_NE(error_of(dir.path()).find("env1.pt: missing network file"), std::string::npos) << error_of(dir.path());
  std::ofstream(dir.path() + "/env1.pt") << "garbage";
  EXPECT_NE(error_of(dir.path()).find("env1.pt"), std::string::npos) << error_of(dir.path());
}

}  // namespace
}  // namespace hearth::crl
