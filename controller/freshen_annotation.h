// FreshenAnnotation: how a freshen run shows in an activation record (docs/freshen.md). The runtime's
// report of what the function's freshen wrappers did since its container's previous run (hits, waits,
// misses, the hook's time: ActivationRecord::freshen_json, from the invoker) and what made the platform
// run the hook (`trigger`: "chain" when a sequence's previous component started it) become one
// annotation {"key": "freshen", "value": {...}}, appended to the record's extra annotations. A record
// with neither gets none. Pure; O(size of the annotations).
#pragma once

#include "net/records.h"

namespace hearth::controller {

// `trigger` may be null (no platform trigger known for this run).
void annotate_freshen(net::ActivationRecord& record, const char* trigger);

}  // namespace hearth::controller
