#include "cli/library_flags.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "cli/workload_loader.h"
#include "model/stable_hash.h"
#include "policy/code_scaling.h"
#include "trace/library_dataset.h"

namespace hearth::cli {

void add_library_flags(CLI::App& cmd, LibraryFlags& f) {
  cmd.add_option("--libraries", f.path,
                 "Library data set (scripts/library-dataset writes out/libraries.csv): functions import libraries "
                 "and a cold start pays their preparation (docs/scorpius.md)");
  cmd.add_option("--library-mode", f.mode,
                 "With --libraries: reg (reactive), sock (every library everywhere), ondemand (Scorpius's plan and "
                 "lookup; use --placement scorpius), scorpius (ondemand + proactive code scaling)")
      ->check(CLI::IsMember({"reg", "sock", "ondemand", "scorpius"}));
  cmd.add_option("--library-placement", f.placement, "The proactive plan: scorpius (Algorithm 1), hot, random")
      ->check(CLI::IsMember({"scorpius", "hot", "random"}));
  cmd.add_option("--library-budget-mb", f.budget_mb, "Per node: storage for the proactive plan (alpha W)")
      ->check(CLI::Range(0.0, 1e9));
  cmd.add_option("--library-cache-mb", f.cache_mb, "Per node: the whole library store (plan included)")
      ->check(CLI::Range(0.0, 1e9));
  cmd.add_option("--library-fetch-ms-per-mb", f.fetch_ms_per_mb, "Cost model: fetching, per MB of installed size (measured live: 25)")
      ->check(CLI::Range(0.0, 1e6));
  cmd.add_option("--library-unpack-ms-per-mb", f.unpack_ms_per_mb, "Cost model: verify + unpack + byte-compile, per MB of installed size (measured live: 265)")
      ->check(CLI::Range(0.0, 1e6));
  cmd.add_option("--library-ms", f.per_library_ms, "Cost model: per library (measured live: 150)")->check(CLI::Range(0.0, 1e6));
  cmd.add_option("--scaling-p0", f.p0, "Code scaling: P0 of Eq. 8")->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--library-out", f.out, "Directory for the preparation-latency and storage CDF data");
}

namespace {

std::int64_t kb(double mb) { return static_cast<std::int64_t>(std::llround(mb * 1024)); }
model::Micros us(double ms) { return static_cast<model::Micros>(std::llround(ms * 1000)); }

// Per function, per-minute usage in units (Σ arrivals in the minute × mean execution / 60 s × units).
std::vector<std::vector<std::int32_t>> minute_usage(const WorkloadFlags& wf, std::int32_t units,
                                                    std::int32_t cap) {
  trace::Workload w = load_workload(wf);
  const std::size_t n = w.functions.size();
  std::vector<std::vector<std::int64_t>> counts(n);
  std::vector<model::Invocation> batch;
  while (w.invocations->next_batch(batch))
    for (const model::Invocation& inv : batch) {
      auto& c = counts[inv.function];
      const auto m = static_cast<std::size_t>(inv.arrival_us / model::kMicrosPerMinute);
      if (m >= (1u << 20)) throw std::invalid_argument("code scaling statistics: trace longer than 2^20 minutes");
      if (c.size() <= m) c.resize(m + 1, 0);
      ++c[m];
    }
  std::vector<std::vector<std::int32_t>> usage(n);
  for (std::size_t f = 0; f < n; ++f) {
    const std::int64_t warm = std::max<model::Micros>(w.functions[f].warm_us, 1);
    for (std::int64_t c : counts[f]) {
      const std::int64_t u = (c * warm * units + model::kMicrosPerMinute - 1) / model::kMicrosPerMinute;
      usage[f].push_back(static_cast<std::int32_t>(std::min<std::int64_t>(u, cap)));
    }
  }
  return usage;
}

// Fig. 11: each code-scaling method replayed on the per-minute usage of the evaluation half (the functions
// the statistics did not see), per trigger category: Σ late² (latency, s²) and Σ log(1 + early s) (storage).
void print_code_scaling_comparison(const trace::Workload& workload, const std::vector<std::vector<std::int32_t>>& usage,
                                   const std::vector<std::vector<std::int32_t>>& learned, const policy::ThresholdParams& p) {
  using K = policy::CodeScalingKind;
  const K kinds[] = {K::kOnDemand, K::kFixed, K::kInitialization, K::kAdjustment, K::kScorpius};
  for (std::size_t c = 0; c < learned.size(); ++c) {
    if (learned[c].empty()) continue;
    policy::ScalingOutcome sum[5];
    std::size_t functions = 0;
    for (std::size_t fn = 0; fn < usage.size() && fn < workload.functions.size(); ++fn) {
      if (static_cast<std::size_t>(workload.functions[fn].trigger) != c ||
          ((model::stable_hash(workload.functions[fn].name) >> 11) & 1))
        continue;
      ++functions;
      for (int k = 0; k < 5; ++k) {
        const bool learned_init = kinds[k] == K::kInitialization || kinds[k] == K::kScorpius;
        const bool adjust = kinds[k] == K::kAdjustment || kinds[k] == K::kScorpius;
        policy::ThresholdArray a(kinds[k] == K::kOnDemand ? policy::on_demand_thresholds(p)
                                 : learned_init          ? learned[c]
                                                         : policy::fixed_thresholds(p, 0.5),
                                 p);
        const policy::ScalingOutcome o = policy::replay_scaling(usage[fn], a, adjust, p.prep_minutes);
        sum[k].latency += o.latency;
        sum[k].storage += o.storage;
        sum[k].late += o.late;
        sum[k].early += o.early;
      }
    }
    if (functions == 0) continue;
    for (int k = 0; k < 5; ++k)
      std::printf("code-scaling %-13s %-9s functions %4zu  latency %12.0f s2  storage %9.1f  late %6lld  early %6lld\n",
                  model::trigger_name(static_cast<model::Trigger>(c)), policy::code_scaling_name(kinds[k]), functions,
                  sum[k].latency, sum[k].storage, static_cast<long long>(sum[k].late),
                  static_cast<long long>(sum[k].early));
  }
}

}  // namespace

std::shared_ptr<const sim::LibrarySetup> build_library_setup(const LibraryFlags& f, const trace::Workload& workload,
                                                             const WorkloadFlags& workload_flags, std::uint32_t nodes,
                                                             std::uint64_t seed) {
  if (f.path.empty()) return nullptr;
  if (f.budget_mb > f.cache_mb)
    throw std::invalid_argument("--library-budget-mb " + std::to_string(kb(f.budget_mb) / 1024) +
                                " exceeds --library-cache-mb " + std::to_string(kb(f.cache_mb) / 1024) +
                                " (the plan lives in the store)");
  const trace::LibraryDataset ds = trace::read_library_dataset(f.path);
  const trace::LibraryAssignment a = trace::assign_libraries(ds, workload.functions.size(), seed);
  auto setup = std::make_shared<sim::LibrarySetup>();
  setup->mode = sim::parse_library_mode(f.mode);
  setup->size_kb = ds.sizes_kb();
  setup->imports = a.functions;
  setup->cache_kb = kb(f.cache_mb);
  setup->cost = {us(f.fetch_ms_per_mb), us(f.unpack_ms_per_mb), us(f.per_library_ms)};
  if (setup->mode == sim::LibraryMode::kOnDemand || setup->mode == sim::LibraryMode::kScorpius) {
    policy::LibraryPlacementInput in;
    in.size_kb = setup->size_kb;
    in.history = a.history;
    in.servers = nodes;
    in.budget_kb = kb(f.budget_mb);
    in.seed = seed;
    setup->plan = policy::place_libraries(policy::parse_library_placement(f.placement), in);
  }
  if (setup->mode == sim::LibraryMode::kScorpius) {
    policy::ThresholdParams& p = setup->scaling;
    p.p0 = f.p0;
    const std::int32_t cap = p.units_per_code * (p.codes + 1);
    const auto usage = minute_usage(workload_flags, p.units_per_code, cap);
    policy::DemandStats stats(cap, p.prep_minutes);
    for (std::size_t fn = 0; fn < usage.size(); ++fn)
      if ((model::stable_hash(workload.functions[fn].name) >> 11) & 1)
        stats.add_series(workload.functions[fn].trigger, usage[fn]);
    std::vector<std::vector<std::int32_t>> by_trigger(static_cast<std::size_t>(model::Trigger::kOthers) + 1);
    for (const model::FunctionSpec& fn : workload.functions) {
      auto& th = by_trigger[static_cast<std::size_t>(fn.trigger)];
      if (th.empty()) th = policy::learned_thresholds(stats, fn.trigger, p);
      setup->thresholds.push_back(th);
    }
    print_code_scaling_comparison(workload, usage, by_trigger, p);
  }
  std::fprintf(stderr, "hearth sim: libraries %s: %zu libraries, %zu history functions, mode %s%s\n",
               f.path.c_str(), ds.libraries.size(), a.history.size(), f.mode.c_str(),
               setup->plan.servers() ? (", plan " + std::to_string(setup->plan.total_kb() / 1024) + " MB over " +
                                        std::to_string(nodes) + " nodes").c_str()
                                     : "");
  return setup;
}

void report_libraries(const LibraryFlags& f, const std::string& name, const sim::LibraryReport& r) {
  const sim::LatencyHistogram& h = r.prep_us;
  const auto pct = [&](double q) { return static_cast<double>(h.percentile(q)) / 1000.0; };
  std::int64_t end_kb = 0, peak_kb = 0;
  for (std::size_t k = 0; k < r.node_end_kb.size(); ++k) {
    end_kb += r.node_end_kb[k];
    peak_kb += r.node_peak_kb[k];
  }
  std::printf("libraries %-10s cold starts %8zu  prep mean %9.1f ms  p50 %8.1f  p90 %8.1f  p99 %8.1f  "
              "storage mean %8.2f GB  end %8.2f GB  peak %8.2f GB  fetched %9.2f GB  scaled %6llu  late %6llu  early %6llu\n",
              name.c_str(), static_cast<std::size_t>(h.count()), h.mean() / 1000.0,
              pct(0.5), pct(0.9), pct(0.99), r.mean_stored_kb / 1024.0 / 1024.0,
              static_cast<double>(end_kb) / 1024.0 / 1024.0, static_cast<double>(peak_kb) / 1024.0 / 1024.0,
              static_cast<double>(r.fetched_kb) / 1024.0 / 1024.0, static_cast<unsigned long long>(r.scaled_codes),
              static_cast<unsigned long long>(r.late), static_cast<unsigned long long>(r.early));
  if (f.out.empty()) return;
  std::filesystem::create_directories(f.out);
  {
    std::ofstream out(f.out + "/" + name + "_prep.csv");
    out << "prep_ms,cumulative_fraction\n";
    h.for_each_bucket([&](std::int64_t us, double cum) { out << static_cast<double>(us) / 1000.0 << "," << cum << "\n"; });
    if (!out) throw std::runtime_error("cannot write " + f.out + "/" + name + "_prep.csv");
  }
  std::ofstream out(f.out + "/" + name + "_storage.csv");
  out << "node,end_mb,peak_mb\n";
  for (std::size_t k = 0; k < r.node_end_kb.size(); ++k)
    out << k << "," << static_cast<double>(r.node_end_kb[k]) / 1024.0 << ","
        << static_cast<double>(r.node_peak_kb[k]) / 1024.0 << "\n";
  if (!out) throw std::runtime_error("cannot write " + f.out + "/" + name + "_storage.csv");
}

}  // namespace hearth::cli
