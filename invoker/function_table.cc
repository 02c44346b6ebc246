#include "invoker/function_table.h"

namespace hearth::invoker {

model::RuntimeKind runtime_of(const std::string& kind) {
  if (kind.starts_with("python")) return model::RuntimeKind::kPython;
  if (kind.starts_with("nodejs")) return model::RuntimeKind::kNodejs;
  return model::RuntimeKind::kNative;
}

model::FunctionId FunctionTable::id_of(const net::ActionRecord& a, bool* added) {
  const std::string key = a.ns + "/" + a.name;
  const auto it = ids_.find(key);
  if (it != ids_.end()) {
    specs_[it->second].memory_mb = a.memory_mb;  // an update may change the limits
    specs_[it->second].cpu_millicores = a.cpu_millicores;
    *added = false;
    return it->second;
  }
  model::FunctionSpec f;
  f.id = static_cast<model::FunctionId>(specs_.size());
  f.app = f.id;
  f.name = key;
  f.memory_mb = a.memory_mb;
  f.cpu_millicores = a.cpu_millicores;
  f.runtime = runtime_of(a.kind);
  specs_.push_back(f);
  ids_.emplace(key, f.id);
  *added = true;
  return f.id;
}

void FunctionTable::observe_cold_start(model::FunctionId id, model::Micros init_us) {
  if (cold_starts_.size() <= id) cold_starts_.resize(id + 1, 0);
  const std::int64_t n = ++cold_starts_[id];
  model::Micros& mean = specs_[id].cold_start_us;
  mean += (init_us - mean) / n;
}

long FunctionTable::find(const std::string& key) const {
  const auto it = ids_.find(key);
  return it == ids_.end() ? -1 : static_cast<long>(it->second);
}

}  // namespace hearth::invoker
