#include "invoker/latency_metric.h"

#include <cstdio>
#include <iterator>

namespace hearth::invoker {
namespace {

constexpr std::int64_t kBoundsUs[] = {250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
                                       250000, 500000, 1000000, 2500000, 5000000, 10000000};

}  // namespace

LatencyMetric::LatencyMetric() : buckets_(std::size(kBoundsUs), 0) {}

void LatencyMetric::observe(std::int64_t latency_us) {
  for (std::size_t b = 0; b < buckets_.size(); ++b)
    if (latency_us <= kBoundsUs[b]) ++buckets_[b];
  ++count_;
  sum_s_ += static_cast<double>(latency_us) / 1e6;
}

void LatencyMetric::render(const std::string& name, std::string& out) const {
  out += "# TYPE " + name + " histogram\n";
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", static_cast<double>(kBoundsUs[b]) / 1e6);
    out += name + "_bucket{le=\"" + bound + "\"} " + std::to_string(buckets_[b]) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + std::to_string(sum_s_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

}  // namespace hearth::invoker
