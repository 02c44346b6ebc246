// `hearth incendio spearman`: §IV's analysis as a report: Spearman's rank correlation between each of
// Table I's factors and function latency over a trace's functions (cli/incendio_history.h says where
// each number comes from). `hearth incendio fit-priority`: trains a priority model's weights on the same
// history (policy/priority_fit.h) and writes the spec string `--priority` options take.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/incendio_history.h"
#include "cli/incendio_subcommands.h"
#include "policy/priority_fit.h"
#include "policy/rank_correlation.h"

namespace hearth::cli {
namespace {

const char* factor_unit(policy::PriorityFactor f) {
  switch (f) {
    case policy::PriorityFactor::kCpu: return "cores (memory / 512 MB here)";
    case policy::PriorityFactor::kMem: return "MB / 512";
    case policy::PriorityFactor::kIo: return "I/O share";
    case policy::PriorityFactor::kSize: return "input MB";
    case policy::PriorityFactor::kInit: return "s (trace cold start)";
    case policy::PriorityFactor::kExec: return "s (mean execution)";
    case policy::PriorityFactor::kTerm: return "s";
    case policy::PriorityFactor::kFreq: return "arrivals / minute";
    case policy::PriorityFactor::kClock: return "minutes between arrivals";
  }
  return "";
}

std::string rho_text(double rho) {
  if (std::isnan(rho)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f", rho);
  return buf;
}

void print_header(const History& h, const HistoryFlags& f) {
  std::printf("workload: %s\nbaseline: preset %s, %u node(s) x %lld MB, %d cores; %zu functions with >= %llu "
              "invocations over %.0f minutes\n",
              h.description.c_str(), h.preset.c_str(), f.nodes, static_cast<long long>(f.node_memory_mb),
              f.node_cores, h.functions.size(), static_cast<unsigned long long>(f.min_invocations), h.minutes);
  if (h.functions.size() < 2) throw std::invalid_argument("fewer than 2 functions to correlate: lower --min-invocations");
}

int spearman_report(const HistoryFlags& f) {
  const History h = collect_history(f);
  std::printf("Spearman rank correlation of Table I's factors with function latency (seed 002, section IV)\n");
  print_header(h, f);
  std::vector<double> latency, cold;
  for (const FunctionHistory& fh : h.functions) {
    latency.push_back(fh.latency_s);
    cold.push_back(fh.cold_ratio);
  }
  std::printf("\n%-6s %-30s %13s %16s  %s\n", "factor", "unit", "rho(latency)", "rho(cold ratio)", "|rho| >= 0.8");
  for (std::size_t i = 0; i < policy::kPriorityFactors; ++i) {
    std::vector<double> x;
    for (const FunctionHistory& fh : h.functions) x.push_back(fh.factors[i]);
    const double rl = policy::spearman(x, latency), rc = policy::spearman(x, cold);
    const auto factor = static_cast<policy::PriorityFactor>(i);
    std::printf("%-6s %-30s %13s %16s  %s\n", policy::priority_factor_name(factor), factor_unit(factor),
                rho_text(rl).c_str(), rho_text(rc).c_str(),
                std::isnan(rl) ? "constant in this trace" : std::fabs(rl) >= 0.8 ? "strong" : "");
  }
  std::printf("\nlatency = mean wait + start-up + run of the function's invocations in the simulated baseline; "
              "n/a = the factor is the same for every function (undefined)\n");
  return 0;
}

struct FitFlags {
  HistoryFlags history;
  std::string model = "linear";
  std::string out;
};

int fit_priority(const FitFlags& f) {
  const History h = collect_history(f.history);
  std::printf("Fitting the %s priority model to the latency benefit (latency - exec) x freq per function\n",
              f.model.c_str());
  print_header(h, f.history);
  std::vector<policy::FactorVector> factors;
  std::vector<double> benefit;
  for (const FunctionHistory& fh : h.functions) {
    factors.push_back(fh.factors);
    benefit.push_back(fh.benefit);
  }
  std::string spec;
  if (f.model == "linear") {
    const policy::LinearFit fit = policy::fit_linear_priority(factors, benefit);
    spec = policy::linear_spec(fit.weights, fit.eps);
  } else {
    spec = policy::loglinear_spec(policy::fit_loglinear_priority(factors, benefit));
  }
  // How well each model ranks the functions by benefit: the fitted one against Table IV's.
  std::printf("\n%-10s %s\n", "model", "rho(priority, benefit)");
  for (const std::string& name : {spec, std::string("param1"), std::string("param2"), std::string("param3"),
                                  std::string("param4"), std::string("param5")}) {
    const std::unique_ptr<policy::PriorityModel> m = policy::make_priority_model(name);
    std::vector<double> p;
    for (const FunctionHistory& fh : h.functions) p.push_back(m->priority(fh.row));
    std::printf("%-10s %s\n", name == spec ? "fitted" : name.c_str(), rho_text(policy::spearman(p, benefit)).c_str());
  }
  std::ofstream out(f.out);
  if (!out) throw std::runtime_error("cannot write " + f.out);
  out << spec << '\n';
  if (!out.flush()) throw std::runtime_error("cannot write " + f.out);
  std::printf("\n%s\nwritten to %s\n", spec.c_str(), f.out.c_str());
  return 0;
}

}  // namespace

IncendioSubcommand add_incendio_spearman(CLI::App& incendio) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* cmd = incendio.add_subcommand("spearman", "Spearman correlation of Table I's factors with latency (section IV)");
  add_history_flags(*cmd, *flags);
  return {cmd, [flags] { return spearman_report(*flags); }};
}

IncendioSubcommand add_incendio_fit_priority(CLI::App& incendio) {
  auto flags = std::make_shared<FitFlags>();
  CLI::App* cmd = incendio.add_subcommand("fit-priority", "Train a priority model's weights from a trace's history");
  add_history_flags(*cmd, flags->history);
  cmd->add_option("--model", flags->model, "linear (Eq. 2) or loglinear (Eq. 3)")
      ->capture_default_str()
      ->check(CLI::IsMember({"linear", "loglinear"}));
  cmd->add_option("--out", flags->out, "File the fitted spec string is written to")->required();
  return {cmd, [flags] { return fit_priority(*flags); }};
}

}  // namespace hearth::cli
