#include "cli/terminal_progress.h"

#include <unistd.h>

#include <cstdio>

namespace hearth::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

std::function<void(double)> terminal_progress(std::string label) {
  if (!stderr_is_terminal()) return {};
  return [label = std::move(label)](double fraction) {
    std::fprintf(stderr, "\r  %-18s %5.1f%%", label.c_str(), 100.0 * fraction);
    if (fraction >= 1.0) std::fprintf(stderr, "\n");
  };
}

}  // namespace hearth::cli
