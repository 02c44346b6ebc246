#include "cli/command_errors.h"

#include <cstdio>
#include <exception>
#include <stdexcept>

#include "trace/trace_error.h"

namespace hearth::cli {

int run_reporting_errors(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const trace::TraceError& e) {
    std::fprintf(stderr, "%s: %s\n", command, e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n", command, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", command, e.what());
    return 1;
  }
}

}  // namespace hearth::cli
