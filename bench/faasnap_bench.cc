// FaaSnap on gVisor (docs/faasnap.md, seed 001 Ch. 5.2/5.5): restore + first invocation of five Python
// functions — hello, numpy, read-list, mmap, image — side by side for
//   cold     a plain cold start: runsc run + init (imports, globals) + the first invocation;
//   warm     an invocation of a live container that already served one;
//   vanilla  runsc restore of the snapshot + the first invocation, nothing prefetched;
//   reap     the recorded loading set read into the page cache first, then vanilla (REAP's blocking prefetch);
//   faasnap  the loading set read by a loader thread started with the restore (FaaSnap's concurrent paging);
// each from a cold page cache (the snapshot files' pages evicted with POSIX_FADV_DONTNEED before every
// restore, nothing else) and from a warm one. The loading set comes from one record phase per function
// (mincore scans every --scan-us µs during a restore + invocation from a cold cache), in groups of
// --group-pages, regions merged across --merge-gap pages, zero pages dropped unless --keep-zero-pages.
// `read ms` is how long reading the loading set from the cold cache took (REAP's prefetch alone): the most
// any prefetching can save on this substrate; `ldr ms` how long the concurrent loader took, started with
// the restore (cold cache). Each cell is the median of --reps runs in milliseconds; the ratios are vanilla/faasnap and reap/faasnap
// from the cold-cache columns of the same run (the chapter: 2.0x over Firecracker, 1.4x over REAP).
//   build/faasnap_bench [--reps 5] [--functions hello,numpy,read-list,mmap,image] [--exclude-zero-pages on|off]
//                       [--group-pages 1024] [--merge-gap 32] [--scan-us 2000] [--keep-zero-pages] [--direct]
// Needs root and runsc (scripts/setup installs it); writes only under a temporary directory it removes.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "snapshot/function_snapshot.h"
#include "snapshot/runsc_bundle.h"

namespace {

using namespace hearth::snapshot;
using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchFunction {
  const char* name;
  const char* code;
  const char* args;  // the invocation's arguments (JSON)
};

// Every function initialises at module level (what the snapshot captures) and does its work in main.
const BenchFunction kFunctions[] = {
    {"hello", "def main(args):\n    return {'greeting': 'Hello, %s!' % args.get('name', 'world')}\n", R"({"name":"faasnap"})"},
    {"numpy",
     "import numpy as np\n"
     "RNG = np.random.default_rng(7)\n"
     "A = RNG.random((400, 400))\n"
     "def main(args):\n"
     "    b = A @ A.T\n"
     "    return {'trace': float(np.trace(b)), 'norm': float(np.linalg.norm(b[:50, :50]))}\n",
     "{}"},
    {"read-list",
     "DATA = [i * 3 for i in range(2_000_000)]\n"
     "def main(args):\n"
     "    return {'sum': sum(DATA[::args.get('step', 1)])}\n",
     R"({"step":1})"},
    {"mmap",
     "import mmap\n"
     "SIZE = 128 << 20\n"
     "def main(args):\n"
     "    m = mmap.mmap(-1, SIZE)\n"
     "    for off in range(0, SIZE, 4096):\n"
     "        m[off] = 1\n"
     "    total = sum(m[off] for off in range(0, SIZE, 1 << 20))\n"
     "    m.close()\n"
     "    return {'pages': SIZE // 4096, 'sampled': total}\n",
     "{}"},
    {"image",
     "from PIL import Image, ImageDraw, ImageFilter\n"
     "IMG = Image.new('RGB', (1024, 1024), (30, 60, 90))\n"
     "d = ImageDraw.Draw(IMG)\n"
     "for i in range(0, 1024, 32):\n"
     "    d.line((0, i, 1023, 1023 - i), fill=(i % 256, 255 - i % 256, 128), width=3)\n"
     "def main(args):\n"
     "    out = IMG.rotate(args.get('angle', 30)).filter(ImageFilter.GaussianBlur(2)).resize((256, 256))\n"
     "    return {'size': list(out.size), 'pixel': list(out.getpixel((128, 128)))}\n",
     R"({"angle":30})"},
};

struct Options {
  int reps = 5;
  std::vector<std::string> functions;
  bool exclude_zero_pages = true;
  LoadingSetOptions loading;
  int scan_us = 2000;
  bool direct = false;
};

[[noreturn]] void usage(const std::string& error) {
  std::fprintf(stderr, "faasnap_bench: %s\n", error.c_str());
  std::exit(2);
}

std::int64_t int_flag(const std::string& flag, const std::string& value, std::int64_t min, std::int64_t max) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used != value.size() || v < min || v > max) throw std::out_of_range(value);
    return v;
  } catch (const std::exception&) {
    usage(flag + " wants an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" + value + "'");
  }
}

Options parse(int argc, char** argv) {
  Options o;
  for (const BenchFunction& f : kFunctions) o.functions.push_back(f.name);
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--reps") o.reps = static_cast<int>(int_flag(flag, value(), 1, 100));
    else if (flag == "--group-pages") o.loading.group_pages = int_flag(flag, value(), 1, 1 << 24);
    else if (flag == "--merge-gap") o.loading.merge_gap_pages = int_flag(flag, value(), 0, 1 << 20);
    else if (flag == "--scan-us") o.scan_us = static_cast<int>(int_flag(flag, value(), 100, 1000000));
    else if (flag == "--keep-zero-pages") o.loading.drop_zero_pages = false;
    else if (flag == "--direct") o.direct = true;
    else if (flag == "--exclude-zero-pages") {
      const std::string v = value();
      if (v != "on" && v != "off") usage("--exclude-zero-pages wants on or off, got '" + v + "'");
      o.exclude_zero_pages = v == "on";
    } else if (flag == "--functions") {
      o.functions.clear();
      std::stringstream s(value());
      for (std::string name; std::getline(s, name, ',');) {
        if (std::none_of(std::begin(kFunctions), std::end(kFunctions), [&](const BenchFunction& f) { return name == f.name; }))
          usage("unknown function '" + name + "' (hello, numpy, read-list, mmap, image)");
        o.functions.push_back(name);
      }
    } else {
      usage("unknown flag '" + flag + "'");
    }
  }
  return o;
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string run_request(const BenchFunction& f) {
  return json{{"op", "run"}, {"args", json::parse(f.args)}}.dump();
}

// Reads the files whole, so that every page of them is in the page cache.
void warm_page_cache(const std::vector<std::string>& files) {
  LoadingSet all;
  all.files = files;
  for (std::uint32_t i = 0; i < files.size(); ++i)
    all.regions.push_back({0, i, 0, (static_cast<std::int64_t>(fs::file_size(files[i])) + kPageBytes - 1) / kPageBytes});
  load_now(all);
}

struct TempRoot {
  fs::path path;
  TempRoot() {
    // On the disk (not a tmpfs: eviction must mean something), removed at exit.
    std::string tmpl = "/var/tmp/hearth_faasnap_XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp /var/tmp: " + std::string(std::strerror(errno)));
    path = tmpl;
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const auto runsc = find_runsc();
  if (!runsc) usage("runsc (gVisor) is not installed: scripts/setup installs it");
  if (geteuid() != 0) usage("needs root (runsc's sandbox and gofer)");
  try {
    TempRoot root;
    RunscConfig config{*runsc, (root.path / "state").string(), std::chrono::milliseconds(120000), {}};
    std::printf("%-10s %8s %8s %8s %8s %8s %8s | %9s %9s %9s | %9s %9s %9s | %8s %8s\n", "function", "image MB", "load MB", "read ms", "ldr ms",
                "cold ms", "warm ms", "van cold", "reap cold", "fsnp cold", "van warm", "reap warm", "fsnp warm",
                "van/fsnp", "reap/fs");
    int seq = 0;
    for (const std::string& name : opt.functions) {
      const BenchFunction& f = *std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                             [&](const BenchFunction& b) { return name == b.name; });
      const fs::path dir = root.path / name;
      fs::create_directories(dir);
      const std::string code = (dir / "main.py").string();
      std::ofstream(code) << f.code;
      SnapshotFunction fn;
      fn.code_path = code;
      const std::string request = run_request(f);
      auto id = [&] { return "bench-" + std::to_string(getpid()) + "-" + std::to_string(seq++); };

      // Cold starts and warm invocations, on containers started from scratch.
      std::vector<double> cold, warm;
      const std::string bundle = (dir / "cold-bundle").string();
      write_bundle({bundle, {code}, "hearth-snapshot"});
      for (int r = 0; r < opt.reps; ++r) {
        const auto t = Clock::now();
        auto c = RunscContainer::run(config, bundle, id());
        expect_ok(c->call(json{{"op", "init"}, {"path", code}, {"main", "main"}}.dump()), name + " init");
        expect_ok(c->call(request), name + " first run");
        cold.push_back(ms_since(t));
        const auto w = Clock::now();
        expect_ok(c->call(request), name + " warm run");
        warm.push_back(ms_since(w));
      }

      CheckpointOptions ckpt;
      ckpt.exclude_zero_pages = opt.exclude_zero_pages;
      const FunctionSnapshot snap = FunctionSnapshot::create(config, fn, (dir / "snap").string(), ckpt);
      const WorkingSet ws = snap.record(id(), request, {}, std::chrono::microseconds(opt.scan_us));
      const LoadingSet set = build_loading_set(ws, opt.loading);
      write_loading_set((dir / "snap" / "loading_set").string(), set);

      RestoreOptions ro;
      ro.direct = opt.direct;
      std::map<std::string, std::vector<double>> t;  // "<mode> <cache>"
      for (int r = 0; r < opt.reps; ++r) {
        for (const bool cold_cache : {true, false}) {
          for (const Prefetch mode : {Prefetch::kNone, Prefetch::kBefore, Prefetch::kConcurrent}) {
            if (cold_cache) evict_page_cache(snap.image_files());
            else warm_page_cache(snap.image_files());
            const auto begin = Clock::now();
            Restored restored = snap.restore(id(), mode, &set, ro);
            expect_ok(restored.container->call(request), name + " restored run");
            t[std::string(prefetch_name(mode)) + (cold_cache ? " cold" : " warm")].push_back(ms_since(begin));
            if (mode == Prefetch::kBefore && cold_cache) t["read cold"].push_back(restored.before.elapsed_us / 1000.0);
            if (restored.loader && cold_cache) t["loader cold"].push_back(restored.loader->wait().elapsed_us / 1000.0);
          }
        }
      }
      const double van = median(t["vanilla cold"]), reap = median(t["reap cold"]), fsnp = median(t["faasnap cold"]);
      std::printf("%-10s %8.1f %8.1f %8.1f %8.1f %8.1f %8.2f | %9.1f %9.1f %9.1f | %9.1f %9.1f %9.1f | %7.2fx %7.2fx\n",
                  name.c_str(), snap.image_bytes() / 1048576.0, set.total_pages() * kPageBytes / 1048576.0, median(t["read cold"]),
                  median(t["loader cold"]),
                  median(cold), median(warm), van, reap, fsnp, median(t["vanilla warm"]), median(t["reap warm"]),
                  median(t["faasnap warm"]), van / fsnp, reap / fsnp);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "faasnap_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
