// libFuzzer target: the Azure 2021 reader (trace/azure2021_reader.h). The first byte picks the reader's
// options (fuzz/trace_fuzz_support.h), the rest is invocations.csv. Checks: malformed input throws only
// TraceError, from loading or while streaming; a workload that loads keeps every contract of
// trace/workload.h to its end.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/trace_fuzz_support.h"
#include "trace/azure2021_reader.h"
#include "trace/trace_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const hearth::trace::TraceOptions options = hearth::fuzz::options_from(data[0]);
  const std::string path = hearth::fuzz::ScratchDir::get().write(
      "invocations.csv", std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  try {
    hearth::trace::Workload w = hearth::trace::load_azure2021(path, options);
    hearth::fuzz::check_workload(w);
  } catch (const hearth::trace::TraceError&) {
  }
  return 0;
}
