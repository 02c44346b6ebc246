// ArrivalPredictor: how many invocations of each function arrive in the next minute (Incendio §V, HotC's
// exponential smoothing, Hearth's hybrid histogram, ...). Fed every arrival by the engine that runs it;
// bins them per minute itself. Deterministic given its inputs; no I/O, no clock (trained model files are
// read by the caller and handed to the constructor).
// Cost: on_arrival O(1); predict O(features) per function per minute (a model may cache per minute).
#pragma once

#include <string_view>

#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::policy {

class ArrivalPredictor {
 public:
  virtual ~ArrivalPredictor() = default;
  virtual std::string_view name() const = 0;
  // A function not seen before (contract as PlacementPolicy::on_function_added).
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  // One invocation of `fn` arrived at `now` (non-decreasing across calls).
  virtual void on_arrival(model::FunctionId fn, model::Micros now) = 0;
  // A hint, no effect: start loading the state on_arrival(fn, ·) will touch.
  virtual void prefetch(model::FunctionId fn) const { (void)fn; }
  // Expected arrivals of `fn` in the minute [m, m+1) where m = the minute after the one holding `now`
  // (every minute before it is complete as far as the predictor knows). >= 0.
  virtual double predict_next_minute(model::FunctionId fn, model::Micros now) = 0;
};

}  // namespace hearth::policy
