#include "sim/library_prep.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "policy/server_lookup.h"

namespace hearth::sim {

using model::Micros;
using policy::LibraryId;

LibraryMode parse_library_mode(std::string_view name) {
  if (name == "reg") return LibraryMode::kReg;
  if (name == "sock") return LibraryMode::kSock;
  if (name == "ondemand") return LibraryMode::kOnDemand;
  if (name == "scorpius") return LibraryMode::kScorpius;
  throw std::invalid_argument("unknown library mode '" + std::string(name) + "' (expected reg, sock, ondemand or scorpius)");
}

const char* library_mode_name(LibraryMode mode) {
  switch (mode) {
    case LibraryMode::kReg: return "reg";
    case LibraryMode::kSock: return "sock";
    case LibraryMode::kOnDemand: return "ondemand";
    case LibraryMode::kScorpius: return "scorpius";
  }
  return "?";
}

LibraryPrep::LibraryPrep(const LibrarySetup& setup, std::uint32_t nodes, std::size_t functions)
    : setup_(setup), nodes_(nodes), libs_(static_cast<std::uint32_t>(setup.size_kb.size())) {
  if (setup.imports.size() < functions)
    throw std::invalid_argument("library data: " + std::to_string(setup.imports.size()) + " import sets for " +
                                std::to_string(functions) + " functions");
  for (const auto& g : setup.imports)
    for (LibraryId i : g)
      if (i >= libs_) throw std::invalid_argument("library data: import of library " + std::to_string(i) + " out of range");
  if (setup.cache_kb < 0) throw std::invalid_argument("library cache must be 0 or positive");
  const bool planned = setup.mode == LibraryMode::kOnDemand || setup.mode == LibraryMode::kScorpius;
  if (planned && (setup.plan.servers() != nodes || setup.plan.libraries() != libs_))
    throw std::invalid_argument("library plan is " + std::to_string(setup.plan.servers()) + " x " +
                                std::to_string(setup.plan.libraries()) + ", not nodes x libraries " +
                                std::to_string(nodes) + " x " + std::to_string(libs_));
  const std::size_t cells = static_cast<std::size_t>(nodes) * libs_;
  ready_.assign(cells, -1);
  last_use_.assign(cells, 0);
  pinned_.assign(cells, false);
  stores_.resize(nodes);
  for (std::uint32_t k = 0; k < nodes; ++k)
    for (LibraryId i = 0; i < libs_; ++i) {
      const bool pin = setup.mode == LibraryMode::kSock || (planned && setup.plan.has(k, i));
      if (!pin) continue;
      ready_[at(k, i)] = 0;
      pinned_[at(k, i)] = true;
      stores_[k].kb += setup.size_kb[i];
    }
  for (auto& s : stores_) {
    s.peak_kb = s.kb;
    total_kb_ += s.kb;
  }
  code_servers_.resize(functions);
  code_ready_.resize(functions);
  if (setup.mode == LibraryMode::kScorpius) {
    if (setup.thresholds.size() < functions)
      throw std::invalid_argument("library data: scorpius mode needs a threshold array per function");
    for (std::size_t f = 0; f < functions; ++f) arrays_.emplace_back(setup.thresholds[f], setup.scaling);
    minute_.assign(functions, -1);
    count_.assign(functions, 0);
    prev_count_.assign(functions, 0);
  }
  status_.matrix = planned ? &setup.plan : nullptr;
  status_.size_kb = setup.size_kb;
  status_.imports = &setup_.imports;
  status_.code_servers = &code_servers_;
  report_.mode = setup.mode;
}

void LibraryPrep::settle(Micros now) {
  if (now > settled_) {
    kb_us_ += static_cast<double>(total_kb_) * static_cast<double>(now - settled_);
    settled_ = now;
  }
}

bool LibraryPrep::insert(model::NodeId node, LibraryId lib, Micros ready, Micros now) {
  Store& s = stores_[node];
  const std::int64_t size = setup_.size_kb[lib];
  const bool bounded = setup_.mode != LibraryMode::kSock;
  while (bounded && s.kb + size > setup_.cache_kb && !s.lru.empty()) {
    const auto victim = *s.lru.begin();
    s.lru.erase(s.lru.begin());
    ready_[at(node, victim.second)] = -1;
    s.kb -= setup_.size_kb[victim.second];
    total_kb_ -= setup_.size_kb[victim.second];
    ++report_.evictions;
  }
  if (bounded && s.kb + size > setup_.cache_kb) return false;  // used once, not kept
  ready_[at(node, lib)] = ready;
  last_use_[at(node, lib)] = now;
  s.lru.emplace(now, lib);
  s.kb += size;
  total_kb_ += size;
  s.peak_kb = std::max(s.peak_kb, s.kb);
  return true;
}

Micros LibraryPrep::prepare(model::NodeId node, model::FunctionId fn, Micros now) {
  Micros fetch = 0, wait = 0;
  for (LibraryId i : setup_.imports[fn]) {
    const std::size_t c = at(node, i);
    if (ready_[c] >= 0) {
      ++report_.library_hits;
      wait = std::max(wait, ready_[c] - now);
      if (!pinned_[c]) {  // refresh its LRU position
        stores_[node].lru.erase({last_use_[c], i});
        last_use_[c] = now;
        stores_[node].lru.emplace(now, i);
      }
      continue;
    }
    ++report_.library_misses;
    report_.fetched_kb += setup_.size_kb[i];
    fetch += setup_.cost.cost_us(setup_.size_kb[i]);
    insert(node, i, now + fetch, now);
  }
  return std::max(fetch, wait);
}

Micros LibraryPrep::cold_start(model::NodeId node, const model::FunctionSpec& fn, Micros now,
                               const model::ClusterView& view) {
  (void)view;
  settle(now);
  const Micros prep = prepare(node, fn.id, now);
  report_.prep_us.add(prep);
  auto& servers = code_servers_[fn.id];
  auto& ready = code_ready_[fn.id];
  const auto it = std::find(servers.begin(), servers.end(), node);
  if (it == servers.end()) {
    // A new server for this function, found on demand: a scale-out code scaling did not foresee.
    if (!arrays_.empty() && !servers.empty()) {
      ++report_.late;
      arrays_[fn.id].on_late(static_cast<std::int32_t>(servers.size()) + 1);
    }
    servers.push_back(node);
    ready.push_back(-1);
  } else {
    const std::size_t j = static_cast<std::size_t>(it - servers.begin());
    if (!arrays_.empty() && ready[j] >= 0) {  // first use of a code scaling prepared
      if (ready[j] > now) {
        ++report_.late;
        arrays_[fn.id].on_late(static_cast<std::int32_t>(j) + 1);
      } else if (ready[j] < now) {
        ++report_.early;
        arrays_[fn.id].on_early(static_cast<std::int32_t>(j) + 1);
      }
      ready[j] = -1;
    }
  }
  return prep;
}

void LibraryPrep::on_arrival(const model::FunctionSpec& fn, Micros now, const model::ClusterView& view) {
  if (arrays_.empty()) return;
  const model::FunctionId f = fn.id;
  const std::int64_t minute = now / model::kMicrosPerMinute;
  if (minute != minute_[f]) {
    prev_count_[f] = minute == minute_[f] + 1 ? count_[f] : 0;
    minute_[f] = minute;
    count_[f] = 0;
  }
  ++count_[f];
  auto& servers = code_servers_[f];
  if (servers.empty() || servers.size() >= nodes_) return;
  const std::int64_t units = setup_.scaling.units_per_code;
  const std::int64_t per_minute = std::max(count_[f], prev_count_[f]);
  const std::int64_t usage64 =
      (per_minute * std::max<Micros>(fn.warm_us, 1) * units + model::kMicrosPerMinute - 1) / model::kMicrosPerMinute;
  const auto usage = static_cast<std::int32_t>(std::min<std::int64_t>(usage64, 1 << 30));
  const auto held = static_cast<std::int32_t>(servers.size());
  if (arrays_[f].codes_wanted(usage, held) <= held || usage <= 0) return;
  const auto nodes = view.nodes();
  const auto skip = [&](std::uint32_t k) {
    return std::find(servers.begin(), servers.end(), k) != servers.end() || !nodes[k].healthy ||
           nodes[k].unreserved_mb() < fn.memory_mb;
  };
  const auto r = policy::lookup_server(setup_.plan, setup_.imports[f], setup_.size_kb, skip,
                                       static_cast<std::uint32_t>(f % nodes_));
  if (!r) return;
  settle(now);
  const Micros ready = now + prepare(r->server, f, now);
  servers.push_back(r->server);
  code_ready_[f].push_back(ready);
  ++report_.scaled_codes;
}

LibraryReport LibraryPrep::report(Micros end) {
  settle(end);
  LibraryReport r = report_;
  for (const Store& s : stores_) {
    r.node_end_kb.push_back(s.kb);
    r.node_peak_kb.push_back(s.peak_kb);
  }
  r.mean_stored_kb = end > 0 ? kb_us_ / static_cast<double>(end) : static_cast<double>(total_kb_);
  return r;
}

}  // namespace hearth::sim
