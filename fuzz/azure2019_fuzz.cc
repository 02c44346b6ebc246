// libFuzzer target: the Azure 2019 reader (trace/azure2019_reader.h), in its one-directory layout. The
// first byte picks the reader's options (fuzz/trace_fuzz_support.h); the rest is invocations.csv,
// durations.csv and memory.csv, separated by lines holding only "%%" (a missing part is an empty file).
// Checks: malformed input throws only TraceError, from loading or while streaming; a workload that loads
// keeps every contract of trace/workload.h to its end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/trace_fuzz_support.h"
#include "trace/azure2019_reader.h"
#include "trace/trace_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const hearth::trace::TraceOptions options = hearth::fuzz::options_from(data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const hearth::fuzz::ScratchDir& dir = hearth::fuzz::ScratchDir::get();
  constexpr std::string_view kSeparator = "\n%%\n";
  for (const char* name : {"invocations.csv", "durations.csv", "memory.csv"}) {
    const std::size_t cut = rest.find(kSeparator);
    dir.write(name, rest.substr(0, cut == std::string_view::npos ? rest.size() : cut + 1));
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + kSeparator.size());
  }
  try {
    hearth::trace::Workload w = hearth::trace::load_azure2019(dir.path(), options);
    hearth::fuzz::check_workload(w);
  } catch (const hearth::trace::TraceError&) {
  }
  return 0;
}
