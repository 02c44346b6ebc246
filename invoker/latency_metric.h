// LatencyMetric: a Prometheus histogram of invocation latency (client-visible: arrival to result) with
// fixed buckets from 250 µs to 10 s, rendered in the text exposition format. Not thread-safe: the
// owner's lock guards it. O(buckets) per observation and per render.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::invoker {

class LatencyMetric {
 public:
  LatencyMetric();
  void observe(std::int64_t latency_us);
  // Appends `# TYPE name histogram` and the _bucket, _sum and _count lines.
  void render(const std::string& name, std::string& out) const;

 private:
  std::vector<std::uint64_t> buckets_;  // cumulative count per bound
  std::uint64_t count_ = 0;
  double sum_s_ = 0;
};

}  // namespace hearth::invoker
