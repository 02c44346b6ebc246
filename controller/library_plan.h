// LibraryPlan: proactive library preparation in the live platform — Scorpius's Algorithm 1 (seed 000
// §III-B.1) run by the controller over its library repository (docs/scorpius.md, "Live").
// It learns the history F from the functions the controller dispatches (each function's declared
// libraries' dependency closure, once per function) and plans, for the invokers there are and a
// per-invoker budget, which repository libraries each invoker prepares in advance (the matrix M):
//   none      nothing in advance (REG: invokers prepare at cold starts, reactively)
//   sock      every library of the repository on every invoker (SOCK)
//   scorpius  policy::place_libraries' Algorithm 1; hot, random: Fig. 9's baselines
// Library ids are the repository's libraries in name order; sizes are Debian's Installed-Size (KB), as in
// the simulator. The `scorpius` placement reads matrix() and imports() (policy/scorpius_placement.h).
// Not thread-safe: the dispatcher calls it under its lock. Costs: add_function O(closure · log L);
// replan is place_libraries' (microseconds for the 11 libraries of the default repository).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/library_repository.h"
#include "net/records.h"
#include "policy/library_placement.h"

namespace hearth::controller {

class LibraryPlan {
 public:
  enum class Mode { kNone, kSock, kScorpius, kHot, kRandom };
  // "none", "sock", "scorpius", "hot", "random"; throws std::invalid_argument naming the text otherwise.
  static Mode parse(std::string_view name);
  static const char* name(Mode mode);

  // Throws std::invalid_argument for a negative budget or a mode other than none without a repository.
  LibraryPlan(std::shared_ptr<const LibraryRepository> repository, Mode mode, std::int64_t budget_kb, std::uint64_t seed = 1);

  Mode mode() const { return mode_; }
  // G_f of a function whose libraries resolve to `closure` (names the repository does not know are
  // skipped); when `learn`, it joins the history F and the next replan() uses it.
  std::vector<policy::LibraryId> imports_of(const std::vector<net::LibraryRef>& closure, bool learn);
  // Computes M for `servers` (>= 1) invokers from the history so far. Returns whether M changed.
  bool replan(std::uint32_t servers);
  const policy::LibraryMatrix& matrix() const { return matrix_; }
  std::span<const std::int64_t> size_kb() const { return size_kb_; }
  // What `server` prepares in advance under the current plan, as wire refs (name order).
  std::vector<net::LibraryRef> refs_on(std::uint32_t server) const;

 private:
  std::shared_ptr<const LibraryRepository> repository_;
  Mode mode_;
  std::int64_t budget_kb_;
  std::uint64_t seed_;
  std::vector<const LibraryRepository::Library*> libraries_;  // by id
  std::vector<std::int64_t> size_kb_;
  std::vector<std::vector<policy::LibraryId>> history_;
  policy::LibraryMatrix matrix_;
};

}  // namespace hearth::controller
