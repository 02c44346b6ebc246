#include "net/end_of_pass.h"

#include <utility>

namespace hearth::net {
namespace {
thread_local EndOfPass::Poster* t_poster = nullptr;
}  // namespace

EndOfPass::Install::Install(Poster post) { t_poster = new Poster(std::move(post)); }
EndOfPass::Install::~Install() {
  delete t_poster;
  t_poster = nullptr;
}

bool EndOfPass::available() { return t_poster != nullptr; }

bool EndOfPass::later(std::function<void()> fn) {
  if (!t_poster) return false;
  (*t_poster)(std::move(fn));
  return true;
}

}  // namespace hearth::net
