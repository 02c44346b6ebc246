#include "snapshot/function_snapshot.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "snapshot/runsc_bundle.h"

namespace hearth::snapshot {
namespace fs = std::filesystem;
using nlohmann::json;

const char* prefetch_name(Prefetch p) {
  switch (p) {
    case Prefetch::kNone: return "vanilla";
    case Prefetch::kBefore: return "reap";
    case Prefetch::kConcurrent: return "faasnap";
  }
  return "?";
}

void expect_ok(const std::string& reply, const std::string& what) {
  const json r = json::parse(reply, nullptr, false);
  if (r.is_discarded() || !r.is_object()) throw std::runtime_error(what + ": the runtime's reply is not a JSON object");
  if (r.value("ok", false) != true) {
    std::string error = r.contains("error") ? (r["error"].is_string() ? r["error"].get<std::string>() : r["error"].dump()) : reply;
    if (error.size() > 2000) error = error.substr(error.size() - 2000);
    throw std::runtime_error(what + " failed: " + error);
  }
}

FunctionSnapshot FunctionSnapshot::create(const RunscConfig& config, const SnapshotFunction& function,
                                          const std::string& dir, const CheckpointOptions& options) {
  if (function.code_path.empty() || function.code_path[0] != '/')
    throw std::invalid_argument("snapshot: code path '" + function.code_path + "' is not absolute");
  FunctionSnapshot s;
  s.config_ = config;
  s.bundle_dir_ = (fs::path(dir) / "bundle").string();
  s.image_dir_ = (fs::path(dir) / "image").string();
  BundleSpec spec{s.bundle_dir_, function.read_only_paths, "hearth-snapshot"};
  spec.read_only_paths.push_back(function.code_path);
  write_bundle(spec);

  static std::atomic<int> created{0};
  const std::string id = "hearth-create-" + std::to_string(::getpid()) + "-" + std::to_string(created++);
  const auto begin = std::chrono::steady_clock::now();
  std::unique_ptr<RunscContainer> c = RunscContainer::run(config, s.bundle_dir_, id);
  json init = {{"op", "init"}, {"path", function.code_path}, {"main", function.main}};
  if (!function.python_paths.empty()) init["paths"] = function.python_paths;
  expect_ok(c->call(init.dump()), "initialising " + function.code_path + " under runsc");
  s.cold_start_us_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - begin).count();
  c->checkpoint(s.image_dir_, options);
  return s;
}

std::vector<std::string> FunctionSnapshot::image_files() const {
  std::vector<std::string> files;
  for (const char* name : {"checkpoint.img", "pages_meta.img", "pages.img"}) {
    const fs::path p = fs::path(image_dir_) / name;
    std::error_code ec;
    if (fs::exists(p, ec)) files.push_back(p.string());
  }
  return files;
}

std::int64_t FunctionSnapshot::image_bytes() const {
  std::int64_t n = 0;
  for (const std::string& f : image_files()) n += static_cast<std::int64_t>(fs::file_size(f));
  return n;
}

WorkingSet FunctionSnapshot::record(const std::string& id, const std::string& run_request,
                                    const std::vector<std::string>& data_files,
                                    std::chrono::microseconds scan_interval) const {
  std::vector<std::string> files = image_files();
  files.insert(files.end(), data_files.begin(), data_files.end());
  evict_page_cache(files);
  PageRecorder recorder(files, scan_interval);
  recorder.start();
  {
    std::unique_ptr<RunscContainer> c = RunscContainer::restore(config_, bundle_dir_, image_dir_, id);
    expect_ok(c->call(run_request), "the recording invocation");
  }
  return recorder.stop();
}

Restored FunctionSnapshot::restore(const std::string& id, Prefetch prefetch, const LoadingSet* set,
                                   const RestoreOptions& options, const RunscConfig* config) const {
  if (prefetch != Prefetch::kNone && !set)
    throw std::invalid_argument(std::string("snapshot: a ") + prefetch_name(prefetch) + " restore needs a loading set");
  Restored r;
  if (prefetch == Prefetch::kBefore) r.before = load_now(*set);
  if (prefetch == Prefetch::kConcurrent) {
    r.loader = std::make_unique<PageLoader>(*set);
    r.loader->start();
  }
  r.container = RunscContainer::restore(config ? *config : config_, bundle_dir_, image_dir_, id, options);
  return r;
}

}  // namespace hearth::snapshot
