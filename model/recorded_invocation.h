// RecordedInvocation: one invocation as a live run recorded it (`hearth replay` against `hearth up`):
// when it was due and sent, what the client measured, and what the platform's activation record says.
// Times are microseconds from the start of the replay; durations are microseconds.
#pragma once

#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::model {

struct RecordedInvocation {
  FunctionId function = 0;
  Micros scheduled_us = 0;  // the trace's arrival time
  Micros exec_us = 0;       // the execution time asked of the function (the scaled trace's)
  Micros sent_us = 0;       // when the request left (sent_us - scheduled_us: the replayer's lag)
  Micros latency_us = 0;    // request sent to response received, measured by the client
  StartKind kind = StartKind::kCold;  // the activation record's start kind
  Micros wait_us = 0;       // the activation record's wait (platform queueing), init and run times
  Micros init_us = 0;
  Micros run_us = 0;
  bool success = true;      // the function ran and returned a result
};

}  // namespace hearth::model
