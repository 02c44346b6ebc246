#include "controller/library_plan.h"

#include <algorithm>
#include <stdexcept>

namespace hearth::controller {

LibraryPlan::Mode LibraryPlan::parse(std::string_view name) {
  if (name == "none") return Mode::kNone;
  if (name == "sock") return Mode::kSock;
  if (name == "scorpius") return Mode::kScorpius;
  if (name == "hot") return Mode::kHot;
  if (name == "random") return Mode::kRandom;
  throw std::invalid_argument("unknown library plan '" + std::string(name) + "' (none, sock, scorpius, hot, random)");
}

const char* LibraryPlan::name(Mode mode) {
  switch (mode) {
    case Mode::kNone: return "none";
    case Mode::kSock: return "sock";
    case Mode::kScorpius: return "scorpius";
    case Mode::kHot: return "hot";
    case Mode::kRandom: return "random";
  }
  return "?";
}

LibraryPlan::LibraryPlan(std::shared_ptr<const LibraryRepository> repository, Mode mode, std::int64_t budget_kb,
                         std::uint64_t seed)
    : repository_(std::move(repository)), mode_(mode), budget_kb_(budget_kb), seed_(seed) {
  if (budget_kb < 0) throw std::invalid_argument("library plan budget must not be negative");
  if (mode != Mode::kNone && !repository_)
    throw std::invalid_argument(std::string("library plan '") + name(mode) + "' needs a library repository (--library-repo)");
  if (repository_)
    for (const auto& [n, lib] : repository_->libraries()) {
      libraries_.push_back(&lib);
      size_kb_.push_back(std::max<std::int64_t>(lib.installed_kb, 0));
    }
  matrix_ = policy::LibraryMatrix(1, static_cast<std::uint32_t>(libraries_.size()));
}

std::vector<policy::LibraryId> LibraryPlan::imports_of(const std::vector<net::LibraryRef>& closure, bool learn) {
  std::vector<policy::LibraryId> ids;
  for (const net::LibraryRef& ref : closure) {
    const auto it = std::lower_bound(libraries_.begin(), libraries_.end(), ref.name,
                                     [](const LibraryRepository::Library* l, const std::string& n) { return l->name < n; });
    if (it != libraries_.end() && (*it)->name == ref.name) ids.push_back(static_cast<policy::LibraryId>(it - libraries_.begin()));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (learn && !ids.empty()) history_.push_back(ids);
  return ids;
}

bool LibraryPlan::replan(std::uint32_t servers) {
  servers = std::max<std::uint32_t>(servers, 1);
  const auto libs = static_cast<std::uint32_t>(libraries_.size());
  policy::LibraryMatrix next(servers, libs);
  if (mode_ == Mode::kSock) {
    for (std::uint32_t k = 0; k < servers; ++k)
      for (policy::LibraryId i = 0; i < libs; ++i) next.add(k, i, size_kb_[i]);
  } else if (mode_ != Mode::kNone && !history_.empty()) {
    policy::LibraryPlacementInput in;
    in.size_kb = size_kb_;
    in.history = history_;
    in.servers = servers;
    in.budget_kb = budget_kb_;
    in.seed = seed_;
    const auto kind = mode_ == Mode::kScorpius ? policy::LibraryPlacementKind::kScorpius
                      : mode_ == Mode::kHot    ? policy::LibraryPlacementKind::kHot
                                               : policy::LibraryPlacementKind::kRandom;
    next = policy::place_libraries(kind, in);
  }
  bool changed = next.servers() != matrix_.servers();
  for (std::uint32_t k = 0; !changed && k < servers; ++k) changed = next.libraries_on(k) != matrix_.libraries_on(k);
  matrix_ = std::move(next);
  return changed;
}

std::vector<net::LibraryRef> LibraryPlan::refs_on(std::uint32_t server) const {
  std::vector<net::LibraryRef> refs;
  if (server >= matrix_.servers()) return refs;
  for (policy::LibraryId i : matrix_.libraries_on(server))
    refs.push_back({libraries_[i]->name, libraries_[i]->sha256, libraries_[i]->bytes});
  return refs;
}

}  // namespace hearth::controller
