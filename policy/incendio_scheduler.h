// IncendioScheduler: Incendio's request scheduler without learning (§VI of seed 002, solver greedy or
// exact in place of CRL): a KnapsackScheduler (policy/request_schedulers.h) whose priorities are the
// priority model's (policy/priority_model.h) over its own Function Info Table (policy/function_info_table.h),
// fed by the engine's hooks: a request's priority is its function's priority as of the decision.
// Specs (policy/registry.h): `greedy` and `exact` (no SLO guard), `incendio` (SLO guard on).
// Deterministic; no I/O. Cost: the KnapsackScheduler's, plus one priority per function per select.
#pragma once

#include <memory>

#include "policy/function_info_table.h"
#include "policy/priority_model.h"
#include "policy/request_schedulers.h"

namespace hearth::policy {

class IncendioScheduler final : public KnapsackScheduler {
 public:
  IncendioScheduler(KnapsackSchedulerConfig config, std::unique_ptr<PriorityModel> model);
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(const model::Invocation& inv, const model::FunctionSpec& fn, model::Micros now) override;
  void on_completed(const model::Invocation& inv, const model::FunctionSpec& fn, model::StartKind kind,
                    model::Micros startup_us, model::Micros exec_us, model::Micros now) override;
  void on_terminated(const model::FunctionSpec& fn, model::Micros term_us) override;
  void on_resources(const model::FunctionSpec& fn, double cpu_cores, model::MegaBytes memory_mb,
                    double io_share) override;
  void prefetch_arrival(model::FunctionId fn) const override { table_.prefetch_arrival(fn); }
  const FunctionInfoTable& table() const { return table_; }

 protected:
  double priority(model::FunctionId fn, model::Micros now) override;

 private:
  FunctionInfoTable table_;
  std::unique_ptr<PriorityModel> model_;
};

}  // namespace hearth::policy
