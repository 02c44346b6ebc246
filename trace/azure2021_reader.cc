#include "trace/azure2021_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <queue>
#include <unordered_map>

#include "trace/csv_reader.h"
#include "trace/function_model.h"

namespace hearth::trace {
namespace {

using model::Micros;

Micros seconds_to_us(double s) { return static_cast<Micros>(std::llround(s * 1e6)); }

void read_header(CsvReader& r) {
  if (!r.next()) r.fail("empty file");
  r.expect_fields(4);
  if (r[0] != "app" || r[1] != "func" || r[2] != "end_timestamp" || r[3] != "duration")
    r.fail("wrong header: expected 'app,func,end_timestamp,duration'");
}

struct Row {
  Micros start, duration;
};

Row parse_row(CsvReader& r) {
  r.expect_fields(4);
  // Bounded so that every time and any sum of two stays far inside int64 microseconds.
  constexpr double kMaxSeconds = 1e10;  // 317 years
  const double end = r.number(2, 0, kMaxSeconds), duration = r.number(3, 0, kMaxSeconds);
  if (end - duration < 0) r.fail("start (end_timestamp - duration) is before the trace start");
  return {seconds_to_us(end - duration), seconds_to_us(duration)};
}

std::string key(const CsvReader& r) { return std::string(r[0]).append(1, '/').append(r[1]); }

class Azure2021Source final : public InvocationSource {
 public:
  Azure2021Source(std::string path, std::unordered_map<std::string, model::FunctionId> ids, Micros span,
                  Micros max_duration)
      : reader_(std::move(path)), ids_(std::move(ids)), span_(span), max_duration_(max_duration) {
    read_header(reader_);
  }

  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    while (out.empty()) {
      if (!done_ && !reader_.next()) done_ = true;
      if (!done_) {
        const Row row = parse_row(reader_);
        const Micros end = row.start + row.duration;
        if (row.start < emitted_until_)
          reader_.fail("rows out of order: this invocation starts before invocations already replayed "
                       "(the reader expects rows sorted by end_timestamp)");
        latest_end_ = std::max(latest_end_, end);
        model::Invocation inv;
        const auto id = ids_.find(key(reader_));
        if (id == ids_.end())
          reader_.fail("function " + key(reader_) + " was not in the file when it was first read "
                       "(the file changed while being read)");
        inv.function = id->second;
        inv.arrival_us = row.start;
        inv.exec_us = row.duration;
        inv.id = seq_++;  // tie-break: file order
        heap_.push(inv);
      }
      const Micros safe = done_ ? model::kNever : latest_end_ - max_duration_;
      // Emit whatever is safe, in batches of about one minute of virtual time.
      while (!heap_.empty() && heap_.top().arrival_us <= safe &&
             (out.empty() || heap_.top().arrival_us < out.front().arrival_us + model::kMicrosPerMinute)) {
        model::Invocation inv = heap_.top();
        heap_.pop();
        emitted_until_ = inv.arrival_us;
        inv.id = next_id_++;
        out.push_back(inv);
      }
      if (done_ && heap_.empty()) return !out.empty();
      if (!out.empty() && (done_ || heap_.empty() || heap_.top().arrival_us > safe ||
                           heap_.top().arrival_us >= out.front().arrival_us + model::kMicrosPerMinute))
        return true;
    }
    return true;
  }

  Micros span_us() const override { return span_; }

 private:
  struct Later {
    bool operator()(const model::Invocation& a, const model::Invocation& b) const {
      return a.arrival_us != b.arrival_us ? a.arrival_us > b.arrival_us : a.id > b.id;
    }
  };
  CsvReader reader_;
  std::unordered_map<std::string, model::FunctionId> ids_;
  Micros span_;
  std::priority_queue<model::Invocation, std::vector<model::Invocation>, Later> heap_;
  Micros max_duration_;  // over the whole file, from the pre-scan
  Micros latest_end_ = 0, emitted_until_ = 0;
  bool done_ = false;
  std::uint64_t seq_ = 0;
  model::InvocationId next_id_ = 0;
};

}  // namespace

Workload load_azure2021(const std::string& path_in, const TraceOptions& opts) {
  std::string path = path_in;
  if (std::filesystem::is_directory(path)) path = (std::filesystem::path(path) / "invocations.csv").string();
  // Pre-scan: the function table and per-function duration statistics.
  struct Stats {
    double sum = 0, max = 0;
    std::uint64_t n = 0;
  };
  std::unordered_map<std::string, model::FunctionId> ids;
  std::vector<Stats> stats;
  Workload w;
  std::unordered_map<std::string, model::AppId> apps;
  Micros span = 0, max_duration = 0;
  {
    CsvReader r(path);
    read_header(r);
    while (r.next()) {
      const Row row = parse_row(r);
      span = std::max(span, row.start + row.duration);
      max_duration = std::max(max_duration, row.duration);
      auto [it, added] = ids.try_emplace(key(r), static_cast<model::FunctionId>(w.functions.size()));
      if (added) {
        model::FunctionSpec f;
        f.id = it->second;
        f.app = apps.try_emplace(std::string(r[0]), static_cast<model::AppId>(apps.size())).first->second;
        f.name = std::string(r[1]);
        f.memory_mb = opts.default_memory_mb;
        w.functions.push_back(f);
        stats.emplace_back();
      }
      Stats& s = stats[it->second];
      const double ms = static_cast<double>(row.duration) / 1000.0;
      s.sum += ms;
      s.max = std::max(s.max, ms);
      ++s.n;
    }
  }
  for (model::FunctionSpec& f : w.functions) {
    const Stats& s = stats[f.id];
    DurationStats d;
    d.average_ms = s.sum / static_cast<double>(s.n);
    d.maximum_ms = s.max;
    apply_function_model(d, opts, f);
  }
  w.description = "azure2021 " + path + " (" + std::to_string(w.functions.size()) + " functions)";
  w.invocations = std::make_unique<Azure2021Source>(path, std::move(ids), span, max_duration);
  return w;
}

}  // namespace hearth::trace
