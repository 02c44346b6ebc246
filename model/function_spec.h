// FunctionSpec: what the platform knows about one function before it runs it.
// Built by trace readers (from the trace's duration and memory files) or by the live registry.
#pragma once

#include <cstdint>
#include <string>

#include "model/time.h"

namespace hearth::model {

using FunctionId = std::uint32_t;  // dense, 0..n-1 within one workload
using AppId = std::uint32_t;       // dense, 0..m-1 within one workload

enum class Trigger : std::uint8_t { kHttp, kTimer, kQueue, kEvent, kStorage, kOrchestration, kOthers };
const char* trigger_name(Trigger t);
// Parses an Azure trigger name ("http", "timer", ...); returns false on an unknown name.
bool parse_trigger(const std::string& s, Trigger* out);

// The runtime a function's containers run; stem-cell prewarming matches on it.
enum class RuntimeKind : std::uint8_t { kNodejs, kPython, kNative };
const char* runtime_name(RuntimeKind k);

struct FunctionSpec {
  FunctionId id = 0;
  AppId app = 0;
  std::string name;  // trace hash or user-given name
  Trigger trigger = Trigger::kHttp;
  RuntimeKind runtime = RuntimeKind::kNodejs;
  MegaBytes memory_mb = 128;
  // The CPU limit the live platform gives the function's containers (an action's limits.cpu), in
  // millicores; 0: none (traces have none), its allocation is then memory / 512 MB.
  std::int64_t cpu_millicores = 0;
  Micros warm_us = 0;        // mean warm execution time (Azure `Average`)
  Micros cold_start_us = 0;  // extra time a cold start adds before execution (sandbox + runtime + init)
  Micros init_us = 0;        // the part of cold_start_us that a generic prewarmed (stem-cell) container still pays
};

}  // namespace hearth::model
