// Test helper: a Workload from explicit functions and invocations (ids and order fixed up here).
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "trace/workload.h"

namespace hearth::sim::testing {

class VectorSource final : public trace::InvocationSource {
 public:
  VectorSource(std::vector<model::Invocation> invocations, model::Micros span)
      : invocations_(std::move(invocations)), span_(span) {
    std::stable_sort(invocations_.begin(), invocations_.end(),
                     [](const auto& a, const auto& b) { return a.arrival_us < b.arrival_us; });
    for (std::size_t i = 0; i < invocations_.size(); ++i) invocations_[i].id = i;
  }
  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    // Batches of up to 3 invocations, to exercise batch boundaries.
    for (int i = 0; i < 3 && next_ < invocations_.size(); ++i) out.push_back(invocations_[next_++]);
    return !out.empty();
  }
  model::Micros span_us() const override { return span_; }

 private:
  std::vector<model::Invocation> invocations_;
  std::size_t next_ = 0;
  model::Micros span_;
};

inline model::FunctionSpec function(model::FunctionId id, model::MegaBytes memory_mb, model::Micros warm_us,
                                    model::Micros cold_start_us) {
  model::FunctionSpec f;
  f.id = id;
  f.app = id;
  f.name = "f" + std::to_string(id);
  f.memory_mb = memory_mb;
  f.warm_us = warm_us;
  f.cold_start_us = cold_start_us;
  f.init_us = cold_start_us / 2;
  return f;
}

inline model::Invocation call(model::FunctionId fn, model::Micros at, model::Micros exec) {
  model::Invocation inv;
  inv.function = fn;
  inv.arrival_us = at;
  inv.exec_us = exec;
  return inv;
}

inline trace::Workload workload(std::vector<model::FunctionSpec> functions, std::vector<model::Invocation> calls,
                                model::Micros span = 0) {
  trace::Workload w;
  w.functions = std::move(functions);
  w.invocations = std::make_unique<VectorSource>(std::move(calls), span);
  w.description = "test workload";
  return w;
}

}  // namespace hearth::sim::testing
