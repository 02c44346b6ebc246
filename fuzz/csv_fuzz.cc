// libFuzzer target: the trace formats' CSV reader (trace/csv_reader.h), the input as a file's contents.
// Oracle: the input split at '\n' (a trailing '\r' dropped) gives the expected lines; the reader must
// return exactly the non-empty ones, each with its 1-based line number and fields that, joined with
// commas, give the line back; a line holding a NUL byte must be rejected with TraceError at its number.
// Each field is also read as an integer and as a number: malformed text throws TraceError, a value read
// is non-negative (integer) or finite (number). Any other exception escapes and is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/trace_fuzz_support.h"
#include "trace/csv_reader.h"

namespace {

// The next non-empty line of `rest` at or after line `*number` (1-based), advancing both; false at the end.
bool next_expected(std::string_view& rest, long* number, std::string_view* line) {
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++*number;
    while (!l.empty() && (l.back() == '\r' || l.back() == '\n')) l.remove_suffix(1);
    if (!l.empty()) {
      *line = l;
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = hearth::fuzz::ScratchDir::get().write("input.csv", bytes);
  std::string_view rest = bytes, expected;
  long number = 0;
  hearth::trace::CsvReader r(path);
  while (true) {
    const bool more = next_expected(rest, &number, &expected);
    const bool nul = more && expected.find('\0') != std::string_view::npos;
    bool got = false;
    try {
      got = r.next();
    } catch (const hearth::trace::TraceError& e) {
      const std::string at = "input.csv:" + std::to_string(number) + ": ";
      if (!nul || std::string_view(e.what()).substr(0, at.size()) != at) std::abort();
      return 0;
    }
    if (got != more || nul) std::abort();
    if (!got) return 0;
    if (r.line() != number) std::abort();
    std::string joined;
    for (std::size_t i = 0; i < r.size(); ++i) {
      joined.append(i ? "," : "").append(r[i]);
      try {
        if (r.non_negative_int(i) < 0) std::abort();
      } catch (const hearth::trace::TraceError&) {
      }
      try {
        if (!std::isfinite(r.number(i))) std::abort();
      } catch (const hearth::trace::TraceError&) {
      }
    }
    if (joined != expected) std::abort();
  }
}
