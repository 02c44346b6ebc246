#include "invoker/state_report_filter.h"

#include <cstdlib>

namespace hearth::invoker {

std::vector<std::int64_t> StateReportFilter::idle_since(const net::InvokerState& s, std::int64_t now_ms) {
  std::vector<std::int64_t> out;
  out.reserve(s.evictable.size());
  for (const net::EvictableContainer& e : s.evictable) out.push_back(now_ms - e.idle_ms);
  return out;
}

bool StateReportFilter::unchanged(const net::InvokerState& s, std::int64_t now_ms) const {
  if (!last_) return false;
  const net::InvokerState& l = *last_;
  if (s.memory_mb != l.memory_mb || s.used_mb != l.used_mb || s.busy_mb != l.busy_mb || s.busy != l.busy ||
      s.prewarmed != l.prewarmed || s.idle != l.idle || s.evictable.size() != l.evictable.size() ||
      s.idle_mb != l.idle_mb || s.snapshot_bytes != l.snapshot_bytes || s.releases != l.releases)
    return false;
  for (std::size_t i = 0; i < s.evictable.size(); ++i) {
    const net::EvictableContainer& a = s.evictable[i];
    const net::EvictableContainer& b = l.evictable[i];  // b.idle_ms holds its idle-since instant
    if (a.action != b.action || a.memory_mb != b.memory_mb || std::llabs((now_ms - a.idle_ms) - b.idle_ms) > slack_ms_)
      return false;
  }
  return true;
}

void StateReportFilter::sent(const net::InvokerState& s, std::int64_t now_ms) {
  last_ = s;
  const std::vector<std::int64_t> since = idle_since(s, now_ms);
  for (std::size_t i = 0; i < since.size(); ++i) last_->evictable[i].idle_ms = since[i];
}

}  // namespace hearth::invoker
