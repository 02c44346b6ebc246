// libFuzzer target: the Azure 2019 reader (trace/azure2019_reader.h). The first byte picks the reader's
// options (fuzz/trace_fuzz_support.h); the rest is split at lines holding only "%%" into up to 12 parts.
// Up to 3 parts: invocations.csv, durations.csv and memory.csv of the one-directory layout; more: the
// per-day layout, parts 3d..3d+2 being day d+1's invocations, durations and memory files. A missing part
// is an empty file. Checks: malformed input throws only TraceError, from loading or while streaming; a
// workload that loads keeps every contract of trace/workload.h to its end.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/trace_fuzz_support.h"
#include "trace/azure2019_reader.h"
#include "trace/trace_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const hearth::trace::TraceOptions options = hearth::fuzz::options_from(data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr std::string_view kSeparator = "\n%%\n";
  std::vector<std::string_view> parts;
  while (parts.size() < 12) {
    const std::size_t cut = rest.find(kSeparator);
    parts.push_back(rest.substr(0, cut == std::string_view::npos ? rest.size() : cut + 1));
    if (cut == std::string_view::npos) break;
    rest = rest.substr(cut + kSeparator.size());
  }
  const hearth::fuzz::ScratchDir& scratch = hearth::fuzz::ScratchDir::get();
  const bool per_day = parts.size() > 3;
  const std::string dir = scratch.fresh(per_day ? "days" : "one");
  parts.resize((parts.size() + 2) / 3 * 3);  // every day gets its three files
  for (std::size_t i = 0; i < parts.size(); ++i) {
    char day[16];
    std::snprintf(day, sizeof day, "d%02zu.csv", i / 3 + 1);
    static constexpr const char* kOne[] = {"invocations.csv", "durations.csv", "memory.csv"};
    static constexpr const char* kDay[] = {"invocations_per_function_md.anon.", "function_durations_percentiles.anon.",
                                           "app_memory_percentiles.anon."};
    const std::string name = per_day ? std::string(kDay[i % 3]) + day : std::string(kOne[i % 3]);
    scratch.write(std::string(per_day ? "days/" : "one/") + name, parts[i]);
  }
  try {
    hearth::trace::Workload w = hearth::trace::load_azure2019(dir, options);
    hearth::fuzz::check_workload(w);
  } catch (const hearth::trace::TraceError&) {
  }
  return 0;
}
