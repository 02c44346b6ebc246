// OpenWhisk's invoker container pool keep-alive, as the issue specifies it: an idle container is paused
// after `pause` (10 s) and destroyed after `ttl` (10 min) idle; under memory pressure the least recently
// used idle container is evicted first. A warm start from a paused container pays `unpause`
// (default 5 ms: `docker unpause` / cgroup-freezer thaw of a small container costs a few ms).
// Cost: O(1), no state.
#pragma once

#include "policy/keepalive.h"

namespace hearth::policy {

class OpenWhiskKeepAlive final : public KeepAlivePolicy {
 public:
  OpenWhiskKeepAlive(model::Micros pause_us, model::Micros ttl_us, model::Micros unpause_us)
      : pause_us_(pause_us), ttl_us_(ttl_us), unpause_us_(unpause_us) {}
  std::string_view name() const override { return "openwhisk"; }
  IdleDecision on_idle(const model::Container&, const model::FunctionSpec&, model::Micros now) override {
    IdleDecision d;
    d.expires_us = now + ttl_us_;
    d.priority = static_cast<double>(now);
    return d;
  }
  model::Micros resume_cost(const model::Container& c, model::Micros now) const override {
    return now - c.last_used_us >= pause_us_ ? unpause_us_ : 0;
  }

 private:
  model::Micros pause_us_, ttl_us_, unpause_us_;
};

}  // namespace hearth::policy
