// StateReportFilter: decides whether a result or stale answer needs to carry the invoker's state report
// (docs/wire-protocol.md) or can omit it because the controller already has it. A report is "unchanged"
// when it equals the last one sent on the connection — capacity, used and busy memory, invocations
// running, stem cells, idle containers per action, and the evictable containers (action, memory, in the
// same order) — except that each evictable container's idle time is compared as the instant it became
// idle (report time − idle_ms), within `idle_slack_ms`: a container idling on is no change (the
// controller ages it itself: it keeps idle-since instants), and a container reused and idle again within
// the slack is none either. Heartbeats always carry the whole report (the controller's resync, every
// 500 ms), so the controller's view of idle times is at most the slack off between heartbeats.
// Pure logic, not thread-safe (the agent's write lock guards it); O(size of the report) per call.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "net/invoker_state.h"

namespace hearth::invoker {

class StateReportFilter {
 public:
  explicit StateReportFilter(std::int64_t idle_slack_ms = 100) : slack_ms_(idle_slack_ms) {}
  // Whether `s`, taken at `now_ms` (any monotonic ms clock), says nothing the last sent() report did not.
  // False before the first sent() and after reset().
  bool unchanged(const net::InvokerState& s, std::int64_t now_ms) const;
  // `s` (taken at `now_ms`) went out whole: the next reports are compared with it.
  void sent(const net::InvokerState& s, std::int64_t now_ms);
  // A new connection: its controller has no report yet.
  void reset() { last_.reset(); }

 private:
  std::int64_t slack_ms_;
  std::optional<net::InvokerState> last_;  // with evictable idle_ms replaced by the idle-since instant
  static std::vector<std::int64_t> idle_since(const net::InvokerState& s, std::int64_t now_ms);
};

}  // namespace hearth::invoker
