// TraceError: malformed trace input. what() is "file:line: what is wrong" (line 0 = the file itself).
#pragma once

#include <stdexcept>
#include <string>

namespace hearth::trace {

class TraceError : public std::runtime_error {
 public:
  TraceError(const std::string& file, long line, const std::string& what)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + what) {}
};

}  // namespace hearth::trace
