#include "sim/report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace hearth::sim {
namespace {

double ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

double ratio(std::uint64_t a, std::uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

// Mean slowdown per function, then the distribution across functions.
struct Slowdown {
  double mean = 0;  // over invocations
  double function_p50 = 0, function_p99 = 0;
};

Slowdown slowdown(const Metrics& m) {
  Slowdown s;
  std::vector<double> per_function;
  double sum = 0;
  std::uint64_t n = 0;
  for (const FunctionStats& f : m.per_function()) {
    if (!f.invocations) continue;
    sum += f.slowdown_sum;
    n += f.invocations;
    per_function.push_back(f.slowdown_sum / static_cast<double>(f.invocations));
  }
  if (per_function.empty()) return s;
  std::sort(per_function.begin(), per_function.end());
  auto at = [&](double q) {
    return per_function[std::min(per_function.size() - 1, static_cast<std::size_t>(q * static_cast<double>(per_function.size())))];
  };
  s.mean = sum / static_cast<double>(n);
  s.function_p50 = at(0.5);
  s.function_p99 = at(0.99);
  return s;
}

nlohmann::ordered_json to_json(const NamedResult& nr) {
  const SimResult& r = *nr.result;
  const Metrics& m = r.metrics;
  const LatencyHistogram& lat = m.latency();
  nlohmann::ordered_json j;
  j["name"] = nr.name;
  j["placement"] = nr.placement;
  j["keepalive"] = nr.keepalive;
  j["prewarm"] = nr.prewarm;
  if (!nr.scaling.empty()) {
    j["scaling"] = nr.scaling;
    j["containers_retired"] = r.retired;
    j["max_container_concurrency"] = r.max_slots_used;
    j["admissions_by_phase"] = r.admissions_by_phase;
    j["shared_starts"] = r.shared_starts;
  }
  if (!r.placement_decisions.empty()) {
    nlohmann::ordered_json& d = j["placement_decisions"] = nlohmann::ordered_json::object();
    for (const auto& [kind, count] : r.placement_decisions) d[kind] = count;
  }
  j["invocations"] = m.invocations();
  j["completed"] = m.completed();
  j["cold_starts"] = m.cold_starts();
  j["warm_starts"] = m.starts(model::StartKind::kWarm);
  j["prewarm_starts"] = m.starts(model::StartKind::kPrewarm);
  // Restores from a snapshot (keep-alive snapshot-and-release); absent when there were none.
  if (m.starts(model::StartKind::kSnapshot) > 0) j["snapshot_starts"] = m.starts(model::StartKind::kSnapshot);
  j["cold_start_ratio"] = ratio(m.cold_starts(), m.started());
  j["latency_ms"] = {{"mean", lat.mean() / 1000.0},          {"p25", ms(lat.percentile(0.25))},
                     {"p50", ms(lat.percentile(0.5))},         {"p75", ms(lat.percentile(0.75))},
                     {"p90", ms(lat.percentile(0.9))},       {"p99", ms(lat.percentile(0.99))},
                     {"p999", ms(lat.percentile(0.999))},    {"max", ms(lat.max())}};
  j["wait_ms"] = {{"mean", m.wait().mean() / 1000.0}, {"p99", ms(m.wait().percentile(0.99))}};
  // SLO met (Incendio Fig. 19): the fraction of started invocations that waited (arrival → start) at most
  // this many ms.
  nlohmann::ordered_json& within = j["wait_ms"]["within"] = nlohmann::ordered_json::object();
  for (const int slo_ms : {100, 200, 500, 1000, 2000, 5000})
    within[std::to_string(slo_ms)] = m.wait().fraction_at_most(std::int64_t{slo_ms} * 1000);
  const LatencyHistogram& start = m.start_latency();
  j["start_latency_ms"] = {{"mean", start.mean() / 1000.0},
                           {"p50", ms(start.percentile(0.5))},
                           {"p99", ms(start.percentile(0.99))}};
  j["max_throughput_10s_per_s"] = m.max_throughput_10s();
  j["cold_start_delay_ms"] = m.mean_cold_start_delay_us() / 1000.0;
  j["active_memory"] = {{"mean_fraction", m.mean_active_memory_fraction()},
                        {"balance_stddev", m.mean_active_memory_balance()},
                        {"samples", m.active_memory_samples()}};
  const Slowdown sd = slowdown(m);
  j["slowdown"] = {{"mean", sd.mean}, {"function_p50", sd.function_p50}, {"function_p99", sd.function_p99}};
  j["idle_memory_gb_s"] = r.idle_memory_gb_s;
  j["total_memory_gb_s"] = r.total_memory_gb_s;
  j["peak_memory_mb"] = r.peak_memory_mb;
  j["memory_balance_stddev"] = r.mean_memory_balance;
  j["dropped"] = m.dropped();
  nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
  for (int i = 0; i < model::kDropReasonCount; ++i) {
    const auto reason = static_cast<model::DropReason>(i);
    reasons[model::drop_reason_name(reason)] = m.dropped(reason);
  }
  j["dropped_by_reason"] = reasons;
  j["containers_created"] = r.containers_created;
  j["warm_benefit_s"] = r.warm_benefit_s;
  if (r.scheduler_decisions > 0) j["scheduler_decisions"] = r.scheduler_decisions;
  if (r.pool_prewarms > 0 || r.pool_terminations > 0) {
    j["pool_prewarms"] = r.pool_prewarms;
    j["pool_terminations"] = r.pool_terminations;
  }
  j["evictions"] = r.evictions;
  j["expirations"] = r.expirations;
  j["simulated_seconds"] = static_cast<double>(r.end_us) / model::kMicrosPerSecond;
  j["wall_seconds"] = r.wall_seconds;
  if (nr.peak_rss_mb > 0) j["peak_rss_mb"] = nr.peak_rss_mb;
  if (nr.max_sustained_rate >= 0) j["max_sustained_rate_per_s"] = nr.max_sustained_rate;
  j["invocations_per_second"] = r.wall_seconds > 0 ? static_cast<double>(m.invocations()) / r.wall_seconds : 0.0;
  return j;
}

}  // namespace

std::ofstream open_out(const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path.string() + ": cannot open for writing");
  return out;
}

std::string result_json(const NamedResult& r, int indent) { return to_json(r).dump(indent); }

std::string comparison_table(const std::vector<NamedResult>& results) {
  std::ostringstream out;
  char line[512];
  int width = 18;  // the name column: as wide as the longest name
  for (const NamedResult& nr : results) width = std::max(width, static_cast<int>(nr.name.size()));
  std::snprintf(line, sizeof line, "%-*s %11s %8s %9s %9s %9s %10s %10s %10s %12s %8s %9s\n", width, "policy",
                "invocations", "cold %", "mean ms", "p50 ms", "p99 ms", "p99.9 ms", "start p99", "max tput/s",
                "idle GB·s", "dropped", "inv/s");
  out << line;
  for (const NamedResult& nr : results) {
    const SimResult& r = *nr.result;
    const Metrics& m = r.metrics;
    const LatencyHistogram& lat = m.latency();
    std::snprintf(line, sizeof line, "%-*s %11llu %7.2f%% %9.1f %9.1f %9.1f %10.1f %10.1f %10.1f %12.0f %8llu %9.2e\n",
                  width, nr.name.c_str(), static_cast<unsigned long long>(m.invocations()),
                  100.0 * ratio(m.cold_starts(), m.started()), lat.mean() / 1000.0, ms(lat.percentile(0.5)),
                  ms(lat.percentile(0.99)), ms(lat.percentile(0.999)), ms(m.start_latency().percentile(0.99)),
                  m.max_throughput_10s(), r.idle_memory_gb_s,
                  static_cast<unsigned long long>(m.dropped()),
                  r.wall_seconds > 0 ? static_cast<double>(m.invocations()) / r.wall_seconds : 0.0);
    out << line;
  }
  return out.str();
}

namespace {

// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void write_sweep_csv(const std::vector<NamedResult>& results, const std::vector<std::string>& keys,
                     const std::vector<std::vector<std::string>>& values, const std::string& path) {
  if (values.size() != results.size())
    throw std::invalid_argument("write_sweep_csv: " + std::to_string(values.size()) + " rows of values for " +
                                std::to_string(results.size()) + " results");
  auto out = open_out(path);
  // The policy columns a key already gives are not repeated (one header, one meaning).
  const auto keyed = [&](const char* column) { return std::find(keys.begin(), keys.end(), column) != keys.end(); };
  out << "run";
  for (const std::string& k : keys) out << ',' << csv_field(k);
  for (const char* column : {"placement", "keepalive", "prewarm"})
    if (!keyed(column)) out << ',' << column;
  out << ",invocations,cold_starts,cold_start_ratio,latency_mean_ms,latency_p50_ms,"
         "latency_p99_ms,latency_p999_ms,start_latency_p99_ms,idle_memory_gb_s,peak_memory_mb,dropped,"
         "wall_seconds,invocations_per_second\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const NamedResult& nr = results[i];
    const SimResult& r = *nr.result;
    const Metrics& m = r.metrics;
    const LatencyHistogram& lat = m.latency();
    out << csv_field(nr.name);
    for (std::size_t k = 0; k < keys.size(); ++k) out << ',' << csv_field(k < values[i].size() ? values[i][k] : "");
    for (const auto& [column, value] : {std::pair{"placement", &nr.placement}, std::pair{"keepalive", &nr.keepalive},
                                        std::pair{"prewarm", &nr.prewarm}})
      if (!keyed(column)) out << ',' << csv_field(*value);
    out << ',' << m.invocations() << ',' << m.cold_starts() << ',' << ratio(m.cold_starts(), m.started()) << ','
        << lat.mean() / 1000.0 << ',' << ms(lat.percentile(0.5)) << ',' << ms(lat.percentile(0.99)) << ','
        << ms(lat.percentile(0.999)) << ',' << ms(m.start_latency().percentile(0.99)) << ',' << r.idle_memory_gb_s
        << ',' << r.peak_memory_mb << ',' << m.dropped() << ',' << r.wall_seconds << ','
        << (r.wall_seconds > 0 ? static_cast<double>(m.invocations()) / r.wall_seconds : 0.0) << '\n';
  }
  out.flush();
  if (!out) throw std::runtime_error(path + ": write failed");
}

void write_csv(const std::vector<NamedResult>& results, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create directory: " + ec.message());
  const fs::path base(dir);
  {
    auto out = open_out(base / "summary.csv");
    out << "policy,placement,keepalive,prewarm,invocations,cold_starts,cold_start_ratio,latency_mean_ms,"
           "latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_p999_ms,idle_memory_gb_s,total_memory_gb_s,"
           "peak_memory_mb,memory_balance_stddev,dropped,wall_seconds,start_latency_p99_ms,max_throughput_10s_per_s\n";
    for (const NamedResult& nr : results) {
      const SimResult& r = *nr.result;
      const Metrics& m = r.metrics;
      const LatencyHistogram& lat = m.latency();
      out << nr.name << ',' << nr.placement << ',' << nr.keepalive << ',' << nr.prewarm << ',' << m.invocations()
          << ',' << m.cold_starts() << ',' << ratio(m.cold_starts(), m.started()) << ',' << lat.mean() / 1000.0 << ','
          << ms(lat.percentile(0.5)) << ',' << ms(lat.percentile(0.9)) << ',' << ms(lat.percentile(0.99)) << ','
          << ms(lat.percentile(0.999)) << ',' << r.idle_memory_gb_s << ',' << r.total_memory_gb_s << ','
          << r.peak_memory_mb << ',' << r.mean_memory_balance << ',' << m.dropped() << ',' << r.wall_seconds << ','
          << ms(m.start_latency().percentile(0.99)) << ',' << m.max_throughput_10s() << '\n';
    }
  }
  {
    auto out = open_out(base / "latency_cdf.csv");
    out << "policy,latency_ms,cumulative_fraction\n";
    for (const NamedResult& nr : results) {
      nr.result->metrics.latency().for_each_bucket([&](std::int64_t value, double fraction) {
        out << nr.name << ',' << ms(value) << ',' << fraction << '\n';
      });
    }
  }
  {
    auto out = open_out(base / "start_latency_cdf.csv");
    out << "policy,start_latency_ms,cumulative_fraction\n";
    for (const NamedResult& nr : results) {
      nr.result->metrics.start_latency().for_each_bucket([&](std::int64_t value, double fraction) {
        out << nr.name << ',' << ms(value) << ',' << fraction << '\n';
      });
    }
  }
  {
    auto out = open_out(base / "throughput.csv");
    out << "policy,second,completed_per_s\n";
    for (const NamedResult& nr : results) {
      const auto& windows = nr.result->metrics.completed_per_10s();
      for (std::size_t i = 0; i < windows.size(); ++i)
        out << nr.name << ',' << 10 * i << ',' << windows[i] / 10.0 << '\n';
    }
  }
  {
    auto out = open_out(base / "series.csv");
    out << "policy,minute,started,cold_starts,cold_start_ratio,completed,used_memory_gb,idle_memory_gb,"
           "memory_balance_stddev\n";
    for (const NamedResult& nr : results) {
      const Metrics& m = nr.result->metrics;
      for (const SeriesPoint& p : m.series()) {
        out << nr.name << ',' << static_cast<double>(p.start_us) / model::kMicrosPerMinute << ',' << p.started << ','
            << p.cold_starts << ',' << ratio(p.cold_starts, p.started) << ',' << p.completed << ','
            << p.used_memory_mb / 1024.0 << ',' << p.idle_memory_mb / 1024.0 << ',' << p.memory_balance << '\n';
      }
    }
  }
}

}  // namespace hearth::sim
