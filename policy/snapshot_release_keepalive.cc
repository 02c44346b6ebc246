#include "policy/snapshot_release_keepalive.h"

#include <cmath>
#include <stdexcept>

namespace hearth::policy {

SnapshotReleaseKeepAlive::SnapshotReleaseKeepAlive(const SnapshotReleaseParams& params) : p_(params) {
  if (!(p_.rate_mb_s > 0)) throw std::invalid_argument("keepalive 'snapshot-and-release': rate must be > 0 MB/s");
  if (!(p_.image_fraction > 0)) throw std::invalid_argument("keepalive 'snapshot-and-release': image must be > 0");
  if (p_.idle_us <= 0) throw std::invalid_argument("keepalive 'snapshot-and-release': idle must be > 0");
  if (p_.disk_mb < 0) throw std::invalid_argument("keepalive 'snapshot-and-release': disk must be >= 0 MB");
  if (p_.base_us < 0) throw std::invalid_argument("keepalive 'snapshot-and-release': base must be >= 0");
}

void SnapshotReleaseKeepAlive::on_function_added(const model::FunctionSpec& fn) {
  if (functions_.size() <= fn.id) functions_.resize(fn.id + 1);
  functions_[fn.id] = fn;
}

double SnapshotReleaseKeepAlive::image_mb(const model::FunctionSpec& fn) const {
  return p_.image_fraction * static_cast<double>(fn.memory_mb);
}

model::Micros SnapshotReleaseKeepAlive::restore_us(const model::FunctionSpec& fn) const {
  return p_.base_us + static_cast<model::Micros>(std::llround(image_mb(fn) / p_.rate_mb_s * model::kMicrosPerSecond));
}

IdleDecision SnapshotReleaseKeepAlive::on_idle(const model::Container&, const model::FunctionSpec& fn, model::Micros now) {
  on_function_added(fn);  // engines that never announce functions still give us their specs here
  IdleDecision d;
  d.expires_us = now + (worth_snapshot(fn) ? p_.idle_us : p_.ttl_us);
  d.priority = static_cast<double>(now);  // LRU under pressure
  return d;
}

SnapshotReleaseKeepAlive::Store& SnapshotReleaseKeepAlive::store(model::NodeId node) {
  if (stores_.size() <= node) stores_.resize(node + 1);
  return stores_[node];
}

void SnapshotReleaseKeepAlive::on_evict(const model::Container& c, bool, model::Micros) {
  if (c.function == model::kNoFunction || c.function >= functions_.size()) return;  // a stem cell, or never idle
  const model::FunctionSpec& fn = functions_[c.function];
  if (!worth_snapshot(fn)) return;
  const double mb = image_mb(fn);
  if (mb > p_.disk_mb) return;
  Store& s = store(c.node);
  if (auto it = s.where.find(fn.id); it != s.where.end()) {  // already kept: the image is immutable, reuse it
    s.lru.splice(s.lru.begin(), s.lru, it->second.first);
    return;
  }
  while (s.used_mb + mb > p_.disk_mb) {
    const model::FunctionId victim = s.lru.back();
    s.used_mb -= s.where.at(victim).second;
    s.where.erase(victim);
    s.lru.pop_back();
    ++evicted_;
  }
  s.lru.push_front(fn.id);
  s.where.emplace(fn.id, std::make_pair(s.lru.begin(), mb));
  s.used_mb += mb;
  ++taken_;
}

std::optional<model::Micros> SnapshotReleaseKeepAlive::restore_from_snapshot(model::NodeId node, const model::FunctionSpec& fn,
                                                                             model::Micros) {
  if (node >= stores_.size()) return std::nullopt;
  Store& s = stores_[node];
  const auto it = s.where.find(fn.id);
  if (it == s.where.end()) return std::nullopt;
  s.lru.splice(s.lru.begin(), s.lru, it->second.first);
  return restore_us(fn);
}

bool SnapshotReleaseKeepAlive::has_snapshot(model::NodeId node, model::FunctionId fn) const {
  return node < stores_.size() && stores_[node].where.count(fn) > 0;
}

double SnapshotReleaseKeepAlive::disk_used_mb(model::NodeId node) const {
  return node < stores_.size() ? stores_[node].used_mb : 0;
}

}  // namespace hearth::policy
