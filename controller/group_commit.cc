#include "controller/group_commit.h"

#include <utility>

namespace hearth::controller {
namespace {

struct Pending {
  const void* key;
  std::function<void()> flush;
};

thread_local int depth = 0;
thread_local std::vector<Pending>* pending = nullptr;
thread_local std::size_t flush_count = 0;
thread_local std::size_t deferral_count = 0;

}  // namespace

GroupCommit::GroupCommit() : outermost_(depth == 0) {
  if (outermost_) pending = new std::vector<Pending>();
  ++depth;
}

GroupCommit::~GroupCommit() {
  --depth;
  if (!outermost_) return;
  // A flush may complete invocations whose callbacks open scopes of their own: take the list first.
  std::vector<Pending>* mine = pending;
  pending = nullptr;
  for (Pending& p : *mine) {
    ++flush_count;
    p.flush();
  }
  delete mine;
}

bool GroupCommit::defer(const void* key, std::function<void()> flush) {
  if (depth == 0 || !pending) return false;
  ++deferral_count;
  for (const Pending& p : *pending)
    if (p.key == key) return true;
  pending->push_back({key, std::move(flush)});
  return true;
}

std::size_t GroupCommit::flushes_run() { return flush_count; }
std::size_t GroupCommit::deferrals() { return deferral_count; }

}  // namespace hearth::controller
