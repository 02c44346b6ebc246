// Progress for long commands, shown only where a person watches it: when stderr is a terminal, one line
// ("  <label>  42.0%") rewritten in place with '\r' and ended with a newline at 100 %; when stderr is a
// file or a pipe (CI logs, `scripts/demo 2> log`), nothing at all per step.
#pragma once

#include <functional>
#include <string>

namespace hearth::cli {

bool stderr_is_terminal();

// A progress callback (fraction replayed in [0, 1]) for `label`; empty when stderr is not a terminal,
// so callers can hand it to an engine that skips empty callbacks.
std::function<void(double)> terminal_progress(std::string label);

}  // namespace hearth::cli
