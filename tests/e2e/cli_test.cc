// End-to-end: the real `hearth` binary on the shared production traces.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using hearth::testing::TempDir;
using hearth::testing::CliRun;
using hearth::testing::hearth;
using hearth::testing::json_of;

const std::string kShared = HEARTH_SHARED_DIR;
const std::string kAzure2019 = kShared + "/traces/azure2019-500";

TEST(CliE2E, TtlPresetOnAzure2019ReportsEveryInvocation) {
  const CliRun r = hearth("sim --trace " + kAzure2019 + " --preset ttl --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = json_of(r);
  const auto invocations = j["invocations"].get<std::uint64_t>();
  EXPECT_GT(invocations, 3'000'000u);
  EXPECT_LT(invocations, 3'100'000u);
  EXPECT_EQ(j["completed"].get<std::uint64_t>() + j["dropped"].get<std::uint64_t>(), invocations);
  EXPECT_GT(j["cold_starts"].get<std::uint64_t>(), 0u);
  EXPECT_GT(j["cold_start_ratio"].get<double>(), 0.0);
  EXPECT_LT(j["cold_start_ratio"].get<double>(), 0.2);
  for (const char* key : {"mean", "p50", "p99"}) EXPECT_TRUE(j["latency_ms"].contains(key)) << key;
  EXPECT_GE(j["latency_ms"]["p99"].get<double>(), j["latency_ms"]["p50"].get<double>());
  EXPECT_GT(j["idle_memory_gb_s"].get<double>(), 0.0);
  EXPECT_GT(j["invocations_per_second"].get<double>(), 0.0);
  EXPECT_TRUE(j.contains("wall_seconds"));
}

TEST(CliE2E, FaasCacheSemanticsReproduceTheReferenceSimulator) {
  // FaasCache's simulator (../shared/reference/faascache-sim, GD, 16,000 MB, first 10 minutes, run by
  // scripts/faascache-parity): 8,891 cold / 19,095 warm / 35,153 dropped. The CLI must build the
  // workload as FaasCache's converter does (--semantics faascache), or these drift.
  const CliRun r = hearth("sim --trace " + kAzure2019 +
                          " --semantics faascache --nodes 1 --node-memory-mb 16000 --keepalive gd --minutes 10 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = json_of(r);
  EXPECT_EQ(j["cold_starts"].get<std::uint64_t>(), 8891u);
  EXPECT_EQ(j["warm_starts"].get<std::uint64_t>(), 19095u);
  EXPECT_EQ(j["dropped"].get<std::uint64_t>(), 35153u);
}

TEST(CliE2E, SameSeedGivesIdenticalResults) {
  const std::string args = "sim --trace " + kAzure2019 + " --preset openwhisk --minutes 60 --spread poisson --seed 7 --json --quiet";
  auto a = json_of(hearth(args));
  auto b = json_of(hearth(args));
  for (auto* j : {&a, &b}) {
    j->erase("wall_seconds");
    j->erase("invocations_per_second");
    j->erase("peak_rss_mb");
  }
  EXPECT_EQ(a.dump(), b.dump());
}

TEST(CliE2E, CompareWritesTableCsvAndPlots) {
  TempDir dir;
  const CliRun r = hearth("sim --trace " + kAzure2019 + " --minutes 30 --compare openwhisk,ttl,faascache,hybrid-histogram --quiet --out " +
                       dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* name : {"openwhisk", "ttl", "faascache", "hybrid-histogram"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  for (const char* file : {"summary.csv", "latency_cdf.csv", "series.csv"})
    EXPECT_GT(fs::file_size(dir.path() / file), 100u) << file;
}

TEST(CliE2E, Azure2021SampleReplays) {
  const CliRun r = hearth("sim --format azure2021 --trace " + kShared + "/traces/azure2021-sample --preset ttl --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_of(r)["invocations"].get<std::uint64_t>(), 998u);
}

TEST(CliE2E, EmbeddedSyntheticDefaultRuns) {
  const CliRun r = hearth("sim --synth-functions 200 --synth-minutes 30 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_GT(json_of(r)["invocations"].get<std::uint64_t>(), 0u);
}

// stderr is a file here, not a terminal: the run names itself once and writes no per-step progress
// (no '\r'-rewritten percentages filling a log), without --quiet.
TEST(CliE2E, NoProgressWhenStderrIsNotATerminal) {
  // One run at a time: each announces itself; in parallel (--jobs, the default) each reports when done.
  // Either way, no progress line (carriage returns, percentages) goes to a stderr that is not a terminal.
  for (const std::string jobs : {"--jobs 1", "--jobs 2"}) {
    const CliRun r = hearth("sim --synth-functions 200 --synth-minutes 30 --compare ttl,openwhisk " + jobs);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const std::string err = r.out.substr(r.out.find("\n--stderr--\n"));
    EXPECT_NE(err.find(jobs == "--jobs 1" ? "hearth sim: ttl on" : "hearth sim: ttl done in"), std::string::npos) << err;
    EXPECT_EQ(err.find('\r'), std::string::npos) << err;
    EXPECT_EQ(err.find('%'), std::string::npos) << err;
  }
}

TEST(CliE2E, MalformedTraceFailsWithFileAndLine) {
  TempDir dir;
  fs::copy(kAzure2019 + "/durations.csv", dir.path() / "durations.csv");
  fs::copy(kAzure2019 + "/memory.csv", dir.path() / "memory.csv");
  {
    std::ofstream bad(dir.path() / "invocations.csv");
    bad << "HashOwner,HashApp,HashFunction,Trigger,1,2\n"
        << "o,a,f,http,1,2\n"
        << "o,a,g,http,1,x\n";
  }
  const CliRun r = hearth("sim --trace " + dir.path().string() + " --quiet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("hearth sim: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invocations.csv:3:"), std::string::npos) << r.out;
}

TEST(CliE2E, MissingTraceAndBadPolicyAreRejected) {
  EXPECT_EQ(hearth("sim --trace /nonexistent/trace --quiet").exit_code, 2);
  const CliRun r = hearth("sim --trace " + kAzure2019 + " --keepalive no-such --quiet");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no-such"), std::string::npos) << r.out;
}

TEST(CliE2E, CpuWeightsFollowThePresetAndTheFlagOverridesIt) {
  // The OpenWhisk presets weigh by memory: on 1 core per node their invocations stretch differently from
  // the same run with equal weights, which `--cpu-weights equal` gives back. 200 functions: enough that
  // invocations of different memory sizes overlap on a node (50 functions' draws need not have any).
  const std::string run = "sim --synth-functions 200 --synth-minutes 5 --node-cores 1 --json --quiet --preset openwhisk";
  auto memory = json_of(hearth(run));
  auto memory_flag = json_of(hearth(run + " --cpu-weights memory"));
  auto equal = json_of(hearth(run + " --cpu-weights equal"));
  for (auto* j : {&memory, &memory_flag, &equal}) {
    j->erase("wall_seconds");
    j->erase("invocations_per_second");
    j->erase("peak_rss_mb");
  }
  EXPECT_EQ(memory.dump(), memory_flag.dump());
  EXPECT_NE(memory["latency_ms"].dump(), equal["latency_ms"].dump());
  const CliRun bad = hearth("sim --synth-functions 5 --cpu-weights cores --quiet");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--cpu-weights"), std::string::npos) << bad.out;
}

TEST(CliE2E, PoliciesListsEveryBaseline) {
  const CliRun r = hearth("policies");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* name : {"openwhisk", "random", "max-memory", "sophon", "sticky-ma", "ttl", "lru", "greedy-dual", "hybrid-histogram", "openwhisk-static", "openwhisk-2020"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
}

TEST(CliE2E, ComparePlacementsRunsOneColumnPerPlacement) {
  const CliRun r = hearth("sim --preset openwhisk --compare-placements openwhisk sophon:MA/MC,sample=3 --minutes 10 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\nopenwhisk "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nsophon:MA/MC sample=3 "), std::string::npos) << r.out;
  const CliRun both = hearth("sim --placement random --compare-placements openwhisk --quiet");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("--compare-placements"), std::string::npos) << both.out;
}

TEST(CliE2E, SophonRunsInTheSimulatorAndRejectsUnknownRules) {
  for (const char* spec : {"sophon:SR/MA,sample=3", "sophon:MA/MC"}) {
    const CliRun ok = hearth(std::string("sim --placement ") + spec + " --minutes 10 --json --quiet");
    ASSERT_EQ(ok.exit_code, 0) << spec << ": " << ok.out;
    EXPECT_NE(ok.out.find("\"invocations\""), std::string::npos) << ok.out;
  }
  const CliRun bad = hearth("sim --placement sophon:MA/XY --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("cold rule 'XY'"), std::string::npos) << bad.out;  // stderr is appended to out
}

// Sophon's workload method on the shared trace: a 10-minute window drawn at 50/s after a half-window
// ramp is 50 · 600 · 0.75 = 22,500 invocations; the rate search reports a rate it kept up with.
TEST(CliE2E, SophonWindowMethodAndMaxSustainedRate) {
  const std::string window = "sim --trace " + kAzure2019 + " --window-start-min 120 --window-minutes 10 --quiet ";
  const CliRun r = hearth(window + "--rate 50 --placement sophon:MA/MC --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = json_of(r);
  EXPECT_EQ(j["invocations"].get<std::uint64_t>(), 22'500u);
  EXPECT_LE(j["simulated_seconds"].get<double>(), 600 + 3600);  // the window, plus the longest execution
  EXPECT_GT(j["max_throughput_10s_per_s"].get<double>(), 40.0);
  EXPECT_LE(j["start_latency_ms"]["p99"].get<double>(), j["latency_ms"]["p99"].get<double>());

  const CliRun search = hearth(window + "--nodes 2 --node-memory-mb 4096 --node-cores 8 --find-max-rate 400 "
                                        "--rate-precision 0.05 --compare-placements openwhisk sophon:MA/MC --json");
  ASSERT_EQ(search.exit_code, 0) << search.out;
  const auto runs = json_of(search);
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    const double rate = run["max_sustained_rate_per_s"].get<double>();
    EXPECT_GT(rate, 1.0) << run.dump();
    EXPECT_LT(rate, 400.0) << "8 cores per node cannot keep up with 400/s: " << run.dump();
    EXPECT_EQ(run["invocations"].get<std::uint64_t>(), static_cast<std::uint64_t>(std::llround(rate * 450)));
  }

  const CliRun no_window = hearth("sim --rate 50 --quiet");
  EXPECT_EQ(no_window.exit_code, 2);
  EXPECT_NE(no_window.out.find("--window-minutes"), std::string::npos) << no_window.out;
  const CliRun empty = hearth("sim --trace " + kAzure2019 + " --window-start-min 100000 --window-minutes 10 --quiet");
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.out.find("no invocations in minutes [100000, 100010)"), std::string::npos) << empty.out;
}

// scripts/sophon-experiment's quick form (the README's main job), cut to 2 seeds and a low ramp to stay short:
// it runs and prints the chapter's metrics as mean±sd columns.
TEST(CliE2E, SophonExperimentQuickPrintsTheChaptersMetrics) {
  TempDir dir;
  const std::string cmd = "HEARTH_BINARY=" + std::string(HEARTH_BINARY) + " " + std::string(HEARTH_SOURCE_DIR) +
                          "/scripts/sophon-experiment --quick --seeds 2 --ramp-max 150 --out " +
                          dir.path().string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  for (const char* column : {"peak 10-s throughput", "x ow-2020", "chapter x", "cold delay ms", "active sd",
                             "start p99 ms", "ranking by peak", "sophon:MA/MC", "ow-2020", "openwhisk"})
    EXPECT_NE(out.find(column), std::string::npos) << column << " missing in:\n" << out;
  EXPECT_NE(out.find("±"), std::string::npos) << "no mean±sd over seeds:\n" << out;
}

TEST(CliE2E, CompareScalingOnABurstWritesTablesCsvAndPlots) {
  TempDir dir;
  const CliRun r = hearth("sim --synth-functions 50 --minutes 5 --compare-scaling none knative hyperfaas:slots=5 hpa "
                          "--burst 'spike:fn=0,at=60s,rate=100/s,for=10s' --quiet --out " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* row : {"\nnone ", "\nknative ", "\nhyperfaas:slots=5 ", "\nhpa "})
    EXPECT_NE(r.out.find(row), std::string::npos) << row << " in " << r.out;
  EXPECT_NE(r.out.find("peak 1s p99"), std::string::npos) << r.out;  // the burst table
  std::ifstream summary(dir.path() / "burst_summary.csv");
  std::string header, line;
  std::getline(summary, header);
  EXPECT_NE(header.find("time_to_recover_s"), std::string::npos) << header;
  int rows = 0;
  while (std::getline(summary, line)) {
    ++rows;
    EXPECT_NE(line.find(",1000,"), std::string::npos) << line;  // 10 s x 100/s burst invocations each
  }
  EXPECT_EQ(rows, 4);
  EXPECT_TRUE(fs::exists(dir.path() / "burst_timeline.csv"));
  const CliRun json = hearth("sim --synth-functions 50 --minutes 5 --scaling hyperfaas --json --quiet");
  ASSERT_EQ(json.exit_code, 0) << json.out;
  const auto j = nlohmann::json::parse(json.out.substr(0, json.out.find("\n--stderr--")));
  EXPECT_EQ(j["scaling"], "hyperfaas");
  EXPECT_EQ(j["completed"].get<std::uint64_t>() + j["dropped"].get<std::uint64_t>(), j["invocations"].get<std::uint64_t>());
}

// A burst over a rate-searched window: the burst report must measure the burst (its start, its
// invocations), not an empty window at 0.
TEST(CliE2E, BurstReportOfARateSearchCoversTheBurst) {
  TempDir dir;
  const CliRun r = hearth("sim --synth-functions 50 --minutes 5 --window-minutes 3 --find-max-rate 40 "
                          "--rate-precision 0.5 --scaling hyperfaas --burst 'spike:fn=0,at=60s,rate=20/s,for=10s' "
                          "--quiet --out " + dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream summary(dir.path() / "burst_summary.csv");
  std::string header, line;
  std::getline(summary, header);
  ASSERT_TRUE(std::getline(summary, line)) << header;
  std::vector<std::string> fields;
  std::stringstream row(line);
  for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
  ASSERT_GE(fields.size(), 4u) << line;
  EXPECT_EQ(fields[1], "60") << line;   // burst_start_s
  EXPECT_EQ(fields[2], "70") << line;   // burst_end_s
  EXPECT_GE(std::stoull(fields[3]), 200u) << line;  // burst_invocations: 10 s x 20/s of fn 0, at least
}

TEST(CliE2E, ContainerSharingRunsUnderHyperFaaS) {
  const CliRun r = hearth("sim --synth-functions 200 --minutes 10 --scaling hyperfaas --share-containers "
                          "--burst 'spike:fn=0,at=120s,rate=100/s,for=10s' --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = json_of(r);
  EXPECT_GT(j["shared_starts"].get<std::uint64_t>(), 0u) << j.dump();
  EXPECT_EQ(j["completed"].get<std::uint64_t>() + j["dropped"].get<std::uint64_t>(), j["invocations"].get<std::uint64_t>());
}

TEST(CliE2E, BadBurstAndScalingSpecsAreRejected) {
  const CliRun bad = hearth("sim --minutes 5 --burst 'spike:fn=0,at=60s,rate=100/s' --quiet");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("burst 1 ('spike:fn=0,at=60s,rate=100/s'): a spike needs for="), std::string::npos) << bad.out;
  const CliRun unknown = hearth("sim --minutes 5 --scaling kpa --quiet");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.out.find("unknown scaling policy 'kpa'"), std::string::npos) << unknown.out;
  // 1e300 ms is past int64 microseconds: rejected, not converted (UB) into a garbage threshold.
  const CliRun huge = hearth("sim --minutes 5 --recover-ms 1e300 --quiet");
  EXPECT_EQ(huge.exit_code, 2) << huge.out;
  EXPECT_NE(huge.out.find("--recover-ms"), std::string::npos) << huge.out;
  const CliRun both = hearth("sim --minutes 5 --scaling knative --compare-scaling none hyperfaas --quiet");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("--compare-scaling"), std::string::npos) << both.out;
}

}  // namespace
