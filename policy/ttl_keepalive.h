// Fixed keep-alive baselines.
//   ttl  an idle container lives `ttl` (default 10 min) after its last use; under memory pressure the
//        least recently used idle container goes first.
//   lru  idle containers never expire; under memory pressure the least recently used goes first.
// Cost: O(1) per call, no state.
#pragma once

#include "policy/keepalive.h"

namespace hearth::policy {

class TtlKeepAlive final : public KeepAlivePolicy {
 public:
  explicit TtlKeepAlive(model::Micros ttl_us) : ttl_us_(ttl_us) {}
  std::string_view name() const override { return ttl_us_ == model::kNever ? "lru" : "ttl"; }
  IdleDecision on_idle(const model::Container&, const model::FunctionSpec&, model::Micros now) override {
    IdleDecision d;
    d.expires_us = ttl_us_ == model::kNever ? model::kNever : now + ttl_us_;
    d.priority = static_cast<double>(now);
    return d;
  }

 private:
  model::Micros ttl_us_;
};

}  // namespace hearth::policy
