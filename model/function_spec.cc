#include "model/function_spec.h"

namespace hearth::model {

const char* trigger_name(Trigger t) {
  switch (t) {
    case Trigger::kHttp: return "http";
    case Trigger::kTimer: return "timer";
    case Trigger::kQueue: return "queue";
    case Trigger::kEvent: return "event";
    case Trigger::kStorage: return "storage";
    case Trigger::kOrchestration: return "orchestration";
    case Trigger::kOthers: return "others";
  }
  return "others";
}

bool parse_trigger(const std::string& s, Trigger* out) {
  static constexpr Trigger kAll[] = {Trigger::kHttp,    Trigger::kTimer,         Trigger::kQueue, Trigger::kEvent,
                                     Trigger::kStorage, Trigger::kOrchestration, Trigger::kOthers};
  for (Trigger t : kAll) {
    if (s == trigger_name(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

const char* runtime_name(RuntimeKind k) {
  switch (k) {
    case RuntimeKind::kNodejs: return "nodejs";
    case RuntimeKind::kPython: return "python";
    case RuntimeKind::kNative: return "native";
  }
  return "native";
}

}  // namespace hearth::model
