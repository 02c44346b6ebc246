// One mapping from errors to exit codes for every `hearth` command: runs a command's body and turns
// what escapes it into a message on stderr prefixed with the command's name ("hearth sim: ...") and the
// exit code of cli/commands.h: 2 for bad input (std::invalid_argument, trace::TraceError: a malformed
// flag, spec, trace or request), 1 for any other failure (std::exception). The body's own code otherwise.
#pragma once

#include <functional>

namespace hearth::cli {

int run_reporting_errors(const char* command, const std::function<int()>& body);

}  // namespace hearth::cli
