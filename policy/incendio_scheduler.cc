#include "policy/incendio_scheduler.h"

#include <utility>

namespace hearth::policy {

IncendioScheduler::IncendioScheduler(KnapsackSchedulerConfig config, std::unique_ptr<PriorityModel> model)
    : KnapsackScheduler(std::move(config)), model_(std::move(model)) {}

void IncendioScheduler::on_function_added(const model::FunctionSpec& fn) {
  KnapsackScheduler::on_function_added(fn);
  table_.on_function_added(fn);
}

void IncendioScheduler::on_arrival(const model::Invocation& inv, const model::FunctionSpec& fn, model::Micros now) {
  (void)fn;
  table_.on_arrival(inv.function, now);
}

void IncendioScheduler::on_completed(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     model::StartKind kind, model::Micros startup_us, model::Micros exec_us,
                                     model::Micros now) {
  (void)fn;
  table_.on_completed(inv.function, kind, startup_us, exec_us, now);
}

void IncendioScheduler::on_resources(const model::FunctionSpec& fn, double cpu_cores, model::MegaBytes memory_mb,
                                     double io_share) {
  table_.on_resources(fn.id, cpu_cores, memory_mb, io_share);
}

void IncendioScheduler::on_terminated(const model::FunctionSpec& fn, model::Micros term_us) {
  table_.on_terminated(fn.id, term_us);
}

double IncendioScheduler::priority(model::FunctionId fn, model::Micros now) {
  return model_->priority(table_.row(fn, now));
}

}  // namespace hearth::policy
