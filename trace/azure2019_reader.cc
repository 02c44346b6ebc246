#include "trace/azure2019_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <unordered_map>

#include "trace/csv_reader.h"
#include "trace/function_model.h"

namespace hearth::trace {
namespace {

namespace fs = std::filesystem;
using model::Micros;

struct DayFiles {
  std::string invocations, durations, memory;
};

std::vector<DayFiles> find_files(const std::string& dir) {
  const fs::path base(dir);
  if (!fs::is_directory(base)) throw TraceError(dir, 0, "not a directory (expected an Azure 2019 trace directory)");
  if (fs::exists(base / "invocations.csv"))
    return {{(base / "invocations.csv").string(), (base / "durations.csv").string(), (base / "memory.csv").string()}};
  std::vector<DayFiles> days;
  for (int d = 1; d <= 99; ++d) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "d%02d.csv", d);
    const fs::path inv = base / ("invocations_per_function_md.anon." + std::string(suffix));
    if (!fs::exists(inv)) break;
    days.push_back({inv.string(), (base / ("function_durations_percentiles.anon." + std::string(suffix))).string(),
                    (base / ("app_memory_percentiles.anon." + std::string(suffix))).string()});
  }
  if (days.empty())
    throw TraceError((base / "invocations.csv").string(), 0,
                     "missing (neither invocations.csv nor invocations_per_function_md.anon.d01.csv found)");
  return days;
}

std::string key3(std::string_view owner, std::string_view app, std::string_view fn) {
  std::string k;
  k.reserve(owner.size() + app.size() + fn.size() + 2);
  k.append(owner).append(1, '/').append(app).append(1, '/').append(fn);
  return k;
}
std::string key2(std::string_view owner, std::string_view app) {
  return std::string(owner).append(1, '/').append(app);
}

void expect_header(const CsvReader& r, const std::vector<std::string_view>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i >= r.size() || r[i] != names[i])
      r.fail("wrong header: column " + std::to_string(i + 1) + " should be '" + std::string(names[i]) + "', found '" +
             (i < r.size() ? std::string(r[i]) : std::string()) + "'");
  }
}

// The function table, built from a pre-scan of every file.
struct Catalog {
  std::vector<model::FunctionSpec> functions;
  std::vector<DurationStats> durations;  // by FunctionId
  std::unordered_map<std::string, model::FunctionId> by_key;
  std::size_t skipped = 0;
};

// Bounds on the statistics, so that the microsecond and MB conversions and sums of them cannot overflow.
constexpr double kMaxDurationMs = 1e13;  // 317 years
constexpr double kMaxMemoryMb = 1e9;     // 1 PB

void read_durations(const std::string& path, std::unordered_map<std::string, DurationStats>& out) {
  CsvReader r(path);
  if (!r.next()) r.fail("empty file");
  expect_header(r, {"HashOwner", "HashApp", "HashFunction", "Average", "Count", "Minimum", "Maximum",
                    "percentile_Average_0", "percentile_Average_1", "percentile_Average_25", "percentile_Average_50",
                    "percentile_Average_75", "percentile_Average_99", "percentile_Average_100"});
  while (r.next()) {
    r.expect_fields(14);
    DurationStats d;
    d.average_ms = r.number(3, 0, kMaxDurationMs);
    d.maximum_ms = r.number(6, 0, kMaxDurationMs);
    for (std::size_t i = 0; i < 7; ++i) d.percentiles_ms[i] = r.number(7 + i, 0, kMaxDurationMs);
    out.try_emplace(key3(r[0], r[1], r[2]), d);
  }
}

// Per-function (key3) or per-app (key2) average allocated memory.
struct MemoryTable {
  std::unordered_map<std::string, double> per_function, per_app;
};

void read_memory(const std::string& path, MemoryTable& out) {
  CsvReader r(path);
  if (!r.next()) r.fail("empty file");
  if (r.size() > 0 && r[0] == "HashFunction") {
    expect_header(r, {"HashFunction", "HashOwner", "HashApp", "SampleCount", "AverageAllocatedMb"});
    const std::size_t columns = r.size();
    while (r.next()) {
      r.expect_fields(columns);
      out.per_function.try_emplace(key3(r[1], r[2], r[0]), r.number(4, 0, kMaxMemoryMb));
    }
  } else {
    expect_header(r, {"HashOwner", "HashApp", "SampleCount", "AverageAllocatedMb"});
    const std::size_t columns = r.size();
    while (r.next()) {
      r.expect_fields(columns);
      out.per_app.try_emplace(key2(r[0], r[1]), r.number(3, 0, kMaxMemoryMb));
    }
  }
}

// One invocation file, transposed: for each minute, the (function, count) cells that are non-zero.
struct DayCounts {
  std::vector<std::vector<std::pair<model::FunctionId, std::uint32_t>>> by_minute;
};

constexpr std::size_t kFixedColumns = 4;  // HashOwner,HashApp,HashFunction,Trigger

std::size_t read_invocation_header(CsvReader& r) {
  if (!r.next()) r.fail("empty file");
  expect_header(r, {"HashOwner", "HashApp", "HashFunction", "Trigger"});
  if (r.size() <= kFixedColumns) r.fail("wrong header: no minute columns after Trigger");
  for (std::size_t i = kFixedColumns; i < r.size(); ++i) r.non_negative_int(i);
  return r.size() - kFixedColumns;
}

class Azure2019Source final : public InvocationSource {
 public:
  Azure2019Source(std::vector<DayFiles> days, std::shared_ptr<const Catalog> catalog, TraceOptions opts,
                  std::int64_t total_minutes)
      : days_(std::move(days)), catalog_(std::move(catalog)), opts_(opts), rng_(opts.seed), total_minutes_(total_minutes) {}

  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    while (true) {
      if (opts_.minutes > 0 && global_minute_ >= opts_.minutes) return false;
      if (minute_in_day_ >= counts_.by_minute.size()) {
        if (next_day_ >= days_.size()) return false;
        load_day(days_[next_day_++]);
        minute_in_day_ = 0;
        continue;
      }
      emit_minute(counts_.by_minute[minute_in_day_], out);
      ++minute_in_day_;
      ++global_minute_;
      if (!out.empty()) return true;
    }
  }

  Micros span_us() const override {
    const std::int64_t m = opts_.minutes > 0 ? std::min(opts_.minutes, total_minutes_) : total_minutes_;
    return m * model::kMicrosPerMinute;
  }

  const std::vector<double>* faascache_arrival_ms() const override { return faascache_ms_ ? &arrival_ms_ : nullptr; }

 private:
  void load_day(const DayFiles& day) {
    CsvReader r(day.invocations);
    const std::size_t minutes = read_invocation_header(r);
    counts_.by_minute.assign(minutes, {});
    // A minute's batch is built whole: bound its invocations (and so each count fits the uint32 cell).
    const std::int64_t cap = std::clamp<std::int64_t>(opts_.max_minute_invocations, 0, std::numeric_limits<std::uint32_t>::max());
    std::vector<std::int64_t> totals(minutes, 0);
    while (r.next()) {
      r.expect_fields(kFixedColumns + minutes);
      const auto it = catalog_->by_key.find(key3(r[0], r[1], r[2]));
      // Parse every cell even for skipped functions: malformed input is an error wherever it is.
      for (std::size_t m = 0; m < minutes; ++m) {
        const std::int64_t n = r.non_negative_int(kFixedColumns + m);
        if (n == 0 || it == catalog_->by_key.end()) continue;
        if (n > cap - totals[m])
          r.fail("column " + std::to_string(kFixedColumns + m + 1) + ": minute " + std::to_string(m + 1) +
                 " would hold more than " + std::to_string(cap) + " invocations (TraceOptions::max_minute_invocations)");
        totals[m] += n;
        counts_.by_minute[m].emplace_back(it->second, static_cast<std::uint32_t>(n));
      }
    }
  }

  void emit_minute(const std::vector<std::pair<model::FunctionId, std::uint32_t>>& cells,
                   std::vector<model::Invocation>& out) {
    const Micros start = global_minute_ * model::kMicrosPerMinute;
    arrival_ms_.clear();
    for (const auto& [fn, n] : cells) {
      for (std::uint32_t i = 0; i < n; ++i) {
        model::Invocation inv;
        inv.function = fn;
        if (opts_.spread == Spread::kUniform) {
          inv.arrival_us = start + static_cast<Micros>(i) * model::kMicrosPerMinute / n;
          if (faascache_ms_) arrival_ms_.push_back(faascache_ms(n, i));
        } else {
          inv.arrival_us = start + std::uniform_int_distribution<Micros>(0, model::kMicrosPerMinute - 1)(rng_);
        }
        out.push_back(inv);
      }
    }
    if (faascache_ms_) {
      sort_faascache(out);
    } else {
      std::stable_sort(out.begin(), out.end(), [](const model::Invocation& a, const model::Invocation& b) {
        return a.arrival_us != b.arrival_us ? a.arrival_us < b.arrival_us : a.function < b.function;
      });
    }
    for (model::Invocation& inv : out) {
      inv.id = next_id_++;
      inv.exec_us = opts_.exec == ExecModel::kSampled ? sample_exec_us(catalog_->durations[inv.function], rng_)
                                                      : catalog_->functions[inv.function].warm_us;
    }
  }

  // FaasCache's converter: a minute's n invocations at start + i * every, every = 60000 / n (a Python
  // float), n = 1 at the minute's start; evaluated in the same operation order, so bit for bit.
  double faascache_ms(std::uint32_t n, std::uint32_t i) const {
    const double start_ms = static_cast<double>(global_minute_ * 60 * 1000);
    if (n == 1) return start_ms;
    const double every = 60000.0 / static_cast<double>(n);
    const double offset = static_cast<double>(i) * every;  // a separate statement: no fused multiply-add
    return start_ms + offset;
  }

  // FaasCache sorts the concatenated per-function traces stably by float time, so simultaneous arrivals
  // keep function (row) order; by arrival_us first, which the float never contradicts (distinct
  // arrivals in one minute lie more than 1 µs apart unless two counts both exceed ~7,700 a minute).
  void sort_faascache(std::vector<model::Invocation>& out) {
    order_.resize(out.size());
    for (std::size_t k = 0; k < order_.size(); ++k) order_[k] = static_cast<std::uint32_t>(k);
    std::stable_sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (out[a].arrival_us != out[b].arrival_us) return out[a].arrival_us < out[b].arrival_us;
      if (arrival_ms_[a] != arrival_ms_[b]) return arrival_ms_[a] < arrival_ms_[b];
      return out[a].function < out[b].function;
    });
    sorted_.clear();
    sorted_ms_.clear();
    for (std::uint32_t k : order_) {
      sorted_.push_back(out[k]);
      sorted_ms_.push_back(arrival_ms_[k]);
    }
    out.swap(sorted_);
    arrival_ms_.swap(sorted_ms_);
  }

  std::vector<DayFiles> days_;
  std::shared_ptr<const Catalog> catalog_;
  TraceOptions opts_;
  std::mt19937_64 rng_;
  std::int64_t total_minutes_;
  DayCounts counts_;
  std::size_t next_day_ = 0;
  std::size_t minute_in_day_ = 0;
  std::int64_t global_minute_ = 0;
  model::InvocationId next_id_ = 0;
  bool faascache_ms_ = opts_.faascache && opts_.spread == Spread::kUniform;
  std::vector<double> arrival_ms_;  // faascache_ms_: FaasCache's float ms of each invocation of the batch
  std::vector<std::uint32_t> order_;
  std::vector<model::Invocation> sorted_;
  std::vector<double> sorted_ms_;
};

}  // namespace

Workload load_azure2019(const std::string& dir, const TraceOptions& opts) {
  const std::vector<DayFiles> days = find_files(dir);
  std::unordered_map<std::string, DurationStats> durations;
  MemoryTable memory;
  for (const DayFiles& d : days) {
    read_durations(d.durations, durations);
    read_memory(d.memory, memory);
  }
  // Pre-scan the invocation files for the function identities (first four columns) and minute counts.
  struct Row {
    std::string owner, app, fn;
    model::Trigger trigger;
  };
  std::vector<Row> rows;
  std::unordered_map<std::string, std::size_t> seen;
  std::unordered_map<std::string, int> functions_per_app;
  std::int64_t total_minutes = 0;
  for (const DayFiles& d : days) {
    CsvReader r(d.invocations);
    total_minutes += static_cast<std::int64_t>(read_invocation_header(r));
    while (r.next()) {
      r.expect_fields(kFixedColumns, /*at_least=*/true);
      model::Trigger trigger;
      if (!model::parse_trigger(std::string(r[3]), &trigger))
        r.fail("column 4: unknown trigger '" + std::string(r[3]) + "'");
      std::string k = key3(r[0], r[1], r[2]);
      if (seen.try_emplace(k, rows.size()).second) {
        rows.push_back({std::string(r[0]), std::string(r[1]), std::string(r[2]), trigger});
        ++functions_per_app[key2(r[0], r[1])];
      }
    }
  }
  auto catalog = std::make_shared<Catalog>();
  std::unordered_map<std::string, model::AppId> apps;
  for (const Row& row : rows) {
    const std::string k = key3(row.owner, row.app, row.fn);
    const auto d = durations.find(k);
    double mem = -1;
    if (auto m = memory.per_function.find(k); m != memory.per_function.end()) {
      mem = m->second;
    } else if (auto a = memory.per_app.find(key2(row.owner, row.app)); a != memory.per_app.end()) {
      mem = a->second / functions_per_app[key2(row.owner, row.app)];
    }
    if (d == durations.end() || mem < 0) {
      ++catalog->skipped;
      continue;
    }
    model::FunctionSpec spec;
    spec.id = static_cast<model::FunctionId>(catalog->functions.size());
    spec.app = apps.try_emplace(key2(row.owner, row.app), static_cast<model::AppId>(apps.size())).first->second;
    spec.name = row.fn;
    spec.trigger = row.trigger;
    // FaasCache's converter rounds memory up (int(ceil(...))); Hearth rounds to nearest by default.
    spec.memory_mb = std::max<model::MegaBytes>(1, opts.faascache ? static_cast<model::MegaBytes>(std::ceil(mem))
                                                                  : std::llround(mem));
    apply_function_model(d->second, opts, spec);
    catalog->by_key.emplace(k, spec.id);
    catalog->functions.push_back(spec);
    catalog->durations.push_back(d->second);
  }
  Workload w;
  w.functions = catalog->functions;
  const std::int64_t minutes = opts.minutes > 0 ? std::min(opts.minutes, total_minutes) : total_minutes;
  w.description = "azure2019 " + dir + " (" + std::to_string(w.functions.size()) + " functions" +
                  (catalog->skipped ? ", " + std::to_string(catalog->skipped) + " skipped without duration/memory" : "") +
                  ", " + std::to_string(minutes) + " minutes)";
  w.invocations = std::make_unique<Azure2019Source>(days, std::move(catalog), opts, total_minutes);
  return w;
}

}  // namespace hearth::trace
