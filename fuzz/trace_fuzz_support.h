// What the trace-reader fuzz targets share. The readers read files by path, so each input is written as
// file contents into a scratch directory made once per fuzzing process (under /dev/shm when it exists,
// so no disk I/O; else the temp directory) and removed at normal exit. options_from derives the reader's
// TraceOptions from one input byte, so every reader mode gets explored. check_workload streams a loaded
// workload to its end and aborts on any broken contract of trace/workload.h.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace_options.h"
#include "trace/workload.h"

namespace hearth::fuzz {

class ScratchDir {
 public:
  static const ScratchDir& get() {
    static const ScratchDir* dir = new ScratchDir();  // removed by atexit, never destroyed mid-run
    return *dir;
  }
  const std::string& path() const { return path_; }
  // Makes <scratch>/<name> an empty directory (removing what a previous input left there); its path.
  std::string fresh(const std::string& name) const {
    const std::string dir = path_ + "/" + name;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (!std::filesystem::create_directory(dir, ec)) std::abort();
    return dir;
  }
  // Writes `bytes` to <scratch>/<name> (replacing it); aborts on an I/O error: that is not a finding.
  std::string write(const std::string& name, std::string_view bytes) const {
    const std::string file = path_ + "/" + name;
    std::FILE* f = std::fopen(file.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) std::abort();
    return file;
  }

 private:
  ScratchDir() {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
    std::string tmpl = (base / "hearth_fuzz_XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(get().path(), ec);
    });
  }
  std::string path_;
};

// Reader options from one byte: bit 0 faascache semantics, bit 1 Poisson spread, bit 2 sampled execution
// times, bit 3 the linear cold-start model, bits 4-5 a minute limit (0 = none, else 1, 2 or 5 minutes).
// An Azure 2019 minute holds at most 10,000 invocations.
inline trace::TraceOptions options_from(std::uint8_t bits) {
  trace::TraceOptions o;
  o.faascache = bits & 1;
  o.spread = bits & 2 ? trace::Spread::kPoisson : trace::Spread::kUniform;
  o.exec = bits & 4 ? trace::ExecModel::kSampled : trace::ExecModel::kAverage;
  o.cold = bits & 8 ? trace::ColdModel::kLinear : trace::ColdModel::kMaximum;
  constexpr std::int64_t kMinutes[] = {0, 1, 2, 5};
  o.minutes = kMinutes[(bits >> 4) & 3];
  o.seed = bits;
  o.max_minute_invocations = 10'000;  // each run stays fast; the bound is checked the same way as at 2^25
  return o;
}

// Function table: ids are indices, memory >= 1 MB, times >= 0. Stream: ids consecutive from 0, arrivals
// >= 0 and nondecreasing across batches, known functions, exec >= 0, FaasCache's float times one per
// invocation when given.
inline void check_workload(trace::Workload& w) {
  for (std::size_t i = 0; i < w.functions.size(); ++i) {
    const model::FunctionSpec& f = w.functions[i];
    if (f.id != i || f.memory_mb < 1 || f.warm_us < 0 || f.cold_start_us < 0 || f.init_us < 0) std::abort();
  }
  if (w.invocations->span_us() < 0) std::abort();
  std::vector<model::Invocation> batch;
  model::InvocationId next_id = 0;
  model::Micros last = 0;
  while (w.invocations->next_batch(batch)) {
    if (batch.empty()) std::abort();
    const std::vector<double>* ms = w.invocations->faascache_arrival_ms();
    if (ms && ms->size() != batch.size()) std::abort();
    for (const model::Invocation& inv : batch) {
      if (inv.id != next_id++ || inv.arrival_us < 0 || inv.arrival_us < last || inv.function >= w.functions.size() || inv.exec_us < 0)
        std::abort();
      last = inv.arrival_us;
    }
  }
  if (!batch.empty()) std::abort();
}

}  // namespace hearth::fuzz
