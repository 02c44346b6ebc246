#include "trace/burst_workload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "model/duration.h"

namespace hearth::trace {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "200", "200/s", "3000/m", "10/h" → per second.
double parse_rate(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view number = text.substr(0, slash);
  double per_unit = 1;
  if (slash != std::string_view::npos) {
    const std::string_view unit = text.substr(slash + 1);
    if (unit == "s") per_unit = 1;
    else if (unit == "m" || unit == "min") per_unit = 60;
    else if (unit == "h") per_unit = 3600;
    else throw std::invalid_argument("rate '" + std::string(text) + "' has an unknown unit (N/s, N/m, N/h)");
  }
  double value = 0;
  const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || p != number.data() + number.size() || !std::isfinite(value) || value <= 0)
    throw std::invalid_argument("rate '" + std::string(text) + "' is not a positive number per second (e.g. 200/s)");
  return value / per_unit;
}

Burst parse_item(std::string_view item) {
  const auto colon = item.find(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("expected KIND:key=value,... (KIND spike or step)");
  Burst b;
  const std::string_view kind = trim(item.substr(0, colon));
  if (kind == "spike") b.kind = Burst::Kind::kSpike;
  else if (kind == "step") b.kind = Burst::Kind::kStep;
  else throw std::invalid_argument("unknown kind '" + std::string(kind) + "' (spike, step)");
  bool has_fn = false, has_at = false, has_rate = false, has_for = false;
  std::string_view rest = item.substr(colon + 1);
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view part = trim(rest.substr(0, comma));
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) throw std::invalid_argument("'" + std::string(part) + "' is not key=value");
    const std::string_view key = trim(part.substr(0, eq)), value = trim(part.substr(eq + 1));
    if (value.empty()) throw std::invalid_argument("'" + std::string(key) + "' has no value");
    const auto duration = [&] {
      try {
        return model::parse_duration(value, model::kMicrosPerSecond);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string(key) + ": " + e.what());
      }
    };
    if (key == "fn") b.function = std::string(value), has_fn = true;
    else if (key == "at") b.at_us = duration(), has_at = true;
    else if (key == "rate") b.rate_per_second = parse_rate(value), has_rate = true;
    else if (key == "for") b.duration_us = duration(), has_for = true;
    else throw std::invalid_argument("unknown key '" + std::string(key) + "' (fn, at, rate, for)");
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!has_fn) throw std::invalid_argument("missing fn=");
  if (!has_at) throw std::invalid_argument("missing at=");
  if (!has_rate) throw std::invalid_argument("missing rate=");
  if (b.kind == Burst::Kind::kSpike && !has_for) throw std::invalid_argument("a spike needs for=");
  if (has_for && b.duration_us <= 0) throw std::invalid_argument("for= must be positive");
  if (has_for && b.at_us > std::numeric_limits<model::Micros>::max() - b.duration_us)
    throw std::invalid_argument("at= + for= is past the end of time (int64 microseconds)");
  return b;
}

model::FunctionId resolve(const Workload& w, const std::string& name, std::size_t item) {
  for (const model::FunctionSpec& f : w.functions)
    if (f.name == name) return f.id;
  std::uint64_t id = 0;
  const auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec == std::errc() && p == name.data() + name.size() && id < w.functions.size())
    return static_cast<model::FunctionId>(id);
  throw std::invalid_argument("burst " + std::to_string(item) + ": no function '" + name + "' in the workload (" +
                              std::to_string(w.functions.size()) + " functions; give a name or an id 0.." +
                              std::to_string(w.functions.empty() ? 0 : w.functions.size() - 1) + ")");
}

model::Micros burst_end(const Burst& b, model::Micros span, std::size_t item) {
  if (b.duration_us > 0) return b.at_us + b.duration_us;
  if (span <= 0)
    throw std::invalid_argument("burst " + std::to_string(item) +
                                ": a step without for= needs a background of known length");
  return std::max(span, b.at_us);
}

class BurstSource final : public InvocationSource {
 public:
  struct Stream {
    model::FunctionId function;
    model::Micros start, end, exec;
    double interval_us;
    std::int64_t next = 0;  // index of the next arrival
    // Only for a stream not done(): its offset then lies within [0, end - start) and fits an int64.
    model::Micros time() const { return start + static_cast<model::Micros>(std::llround(next * interval_us)); }
    bool done() const {
      // Compared in double first: at a tiny rate next × interval is past int64, where llround is unspecified.
      if (static_cast<double>(next) * interval_us >= static_cast<double>(end - start)) return true;
      return time() >= end;
    }
  };

  BurstSource(std::unique_ptr<InvocationSource> inner, std::vector<Stream> streams, model::Micros span)
      : inner_(std::move(inner)), streams_(std::move(streams)), span_(span) {}

  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    model::Micros horizon;
    if (!inner_done_ && inner_->next_batch(background_)) {
      horizon = background_.empty() ? last_horizon_ : background_.back().arrival_us;
    } else {
      inner_done_ = true;
      background_.clear();
      const model::Micros next = next_burst_time();
      if (next == model::kNever) return false;
      horizon = next + model::kMicrosPerMinute;
    }
    last_horizon_ = horizon;
    std::size_t b = 0;
    for (model::Micros t = next_burst_time(); t != model::kNever && t <= horizon; t = next_burst_time()) {
      Stream& s = earliest();
      while (b < background_.size() && background_[b].arrival_us <= t) emit(background_[b++], out);
      model::Invocation inv;
      inv.function = s.function;
      inv.arrival_us = t;
      inv.exec_us = s.exec;
      emit(inv, out);
      ++s.next;
    }
    while (b < background_.size()) emit(background_[b++], out);
    return true;
  }
  model::Micros span_us() const override { return span_; }

 private:
  void emit(model::Invocation inv, std::vector<model::Invocation>& out) {
    inv.id = next_id_++;
    out.push_back(inv);
  }
  Stream& earliest() {
    Stream* best = nullptr;
    for (Stream& s : streams_)
      if (!s.done() && (!best || s.time() < best->time())) best = &s;
    return *best;
  }
  model::Micros next_burst_time() const {
    model::Micros t = model::kNever;
    for (const Stream& s : streams_)
      if (!s.done()) t = std::min(t, s.time());
    return t;
  }

  std::unique_ptr<InvocationSource> inner_;
  std::vector<Stream> streams_;
  model::Micros span_;
  std::vector<model::Invocation> background_;
  model::Micros last_horizon_ = 0;
  bool inner_done_ = false;
  model::InvocationId next_id_ = 0;
};

}  // namespace

std::vector<Burst> parse_bursts(std::string_view spec) {
  std::vector<Burst> bursts;
  std::size_t item = 0;
  while (true) {
    const auto semi = spec.find(';');
    const std::string_view text = trim(spec.substr(0, semi));
    ++item;
    if (!text.empty()) {
      try {
        bursts.push_back(parse_item(text));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("burst " + std::to_string(item) + " ('" + std::string(text) + "'): " + e.what());
      }
    }
    if (semi == std::string_view::npos) break;
    spec = spec.substr(semi + 1);
  }
  if (bursts.empty()) throw std::invalid_argument("burst spec is empty (e.g. spike:fn=NAME,at=120s,rate=200/s,for=10s)");
  return bursts;
}

std::vector<model::FunctionId> burst_functions(const Workload& workload, const std::vector<Burst>& bursts) {
  std::vector<model::FunctionId> ids;
  for (std::size_t i = 0; i < bursts.size(); ++i) ids.push_back(resolve(workload, bursts[i].function, i + 1));
  return ids;
}

BurstWindow burst_window(const Workload& workload, const std::vector<Burst>& bursts) {
  BurstWindow w{model::kNever, 0};
  const model::Micros span = workload.invocations ? workload.invocations->span_us() : 0;
  for (std::size_t i = 0; i < bursts.size(); ++i) {
    w.start_us = std::min(w.start_us, bursts[i].at_us);
    w.end_us = std::max(w.end_us, burst_end(bursts[i], span, i + 1));
  }
  if (bursts.empty()) w.start_us = 0;
  return w;
}

Workload with_bursts(Workload background, const std::vector<Burst>& bursts) {
  if (!background.invocations) throw std::invalid_argument("burst workload: the background has no invocation source");
  const model::Micros span = background.invocations->span_us();
  const std::vector<model::FunctionId> ids = burst_functions(background, bursts);
  std::vector<BurstSource::Stream> streams;
  model::Micros total_span = span;
  std::string description = background.description + " + bursts:";
  for (std::size_t i = 0; i < bursts.size(); ++i) {
    const Burst& b = bursts[i];
    const model::FunctionSpec& fn = background.functions[ids[i]];
    const model::Micros end = burst_end(b, span, i + 1);
    streams.push_back(BurstSource::Stream{ids[i], b.at_us, end, fn.warm_us,
                                          static_cast<double>(model::kMicrosPerSecond) / b.rate_per_second});
    total_span = std::max(total_span, end);
    char line[160];
    std::snprintf(line, sizeof line, " %s %s %.6g/s from %.6gs to %.6gs;", b.kind == Burst::Kind::kSpike ? "spike" : "step",
                  fn.name.c_str(), b.rate_per_second, static_cast<double>(b.at_us) / model::kMicrosPerSecond,
                  static_cast<double>(end) / model::kMicrosPerSecond);
    description += line;
  }
  description.pop_back();
  Workload w;
  w.functions = std::move(background.functions);
  w.invocations = std::make_unique<BurstSource>(std::move(background.invocations), std::move(streams), total_span);
  w.description = description;
  return w;
}

}  // namespace hearth::trace
