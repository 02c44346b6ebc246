// `hearth incendio predict-report`: the WAPE of arrival predictors on a trace (Incendio Fig. 17), picked by
// name from the predictor factory, trained on the first --train-days (or --train-minutes) and scored on the
// rest, per model and per held-out day; a table on stdout and a CSV.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/incendio_subcommands.h"
#include "cli/predict_report.h"
#include "cli/workload_loader.h"
#include "policy/registry.h"

namespace hearth::cli {
namespace {

struct ReportFlags {
  WorkloadFlags workload;
  double train_days = 0;
  std::int64_t train_minutes = 0;
  std::string models = "hybrid,xgboost,ewma,exp-smoothing,histogram";
  std::string csv = "out/incendio/predict_report.csv";
};

// hybrid/xgboost fit first at the end of the training part unless the spec says otherwise.
std::string with_first_fit(const std::string& spec, std::int64_t train_minutes) {
  const std::string name = policy::spec_name(spec);
  if ((name != "hybrid" && name != "xgboost") || spec.find("first_fit") != std::string::npos) return spec;
  return spec + (spec.find(':') == std::string::npos ? ":" : ",") + "first_fit=" + std::to_string(train_minutes) + "m";
}

int run(const ReportFlags& f) {
  if ((f.train_days > 0) == (f.train_minutes > 0))
    throw std::invalid_argument("give exactly one of --train-days and --train-minutes (> 0)");
  const std::int64_t train =
      f.train_minutes > 0 ? f.train_minutes : static_cast<std::int64_t>(std::llround(f.train_days * 1440));
  trace::Workload w = load_workload(f.workload);
  policy::PolicyContext ctx;
  ctx.seed = f.workload.options.seed;
  ctx.functions = w.functions;
  std::vector<std::unique_ptr<policy::ArrivalPredictor>> models;
  std::vector<std::string> specs;
  for (const std::string& s : split_model_specs(f.models)) {
    specs.push_back(with_first_fit(s, train));
    models.push_back(policy::make_arrival_predictor(specs.back(), ctx));
  }
  if (models.empty()) throw std::invalid_argument("--models: no model given");
  const auto start = std::chrono::steady_clock::now();
  const PredictReport r = evaluate_predictors(w, models, train);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("%s\ntrained on minutes [0, %lld), scored on %lld held-out minutes x %zu functions (%.1f s)\n\n",
              w.description.c_str(), static_cast<long long>(train), static_cast<long long>(r.test_minutes),
              w.functions.size(), secs);
  std::printf("%-14s %8s %14s %14s %14s %10s\n", "model", "WAPE %", "sum |y-yhat|", "sum y", "sum yhat", "model s");
  for (const PredictScore& s : r.total)
    std::printf("%-14s %8.2f %14.0f %14.0f %14.0f %10.2f\n", s.model.c_str(), 100 * s.wape(), s.abs_error, s.actual,
                s.predicted, s.seconds);
  std::printf("\nWAPE %% per held-out day (day 1 = minutes 0-1439)\n%-6s", "day");
  for (const PredictScore& s : r.total) std::printf(" %12s", s.model.c_str());
  std::printf("\n");
  for (std::size_t d = 0; d < r.days.size(); ++d) {
    std::printf("%-6lld", static_cast<long long>(r.days[d] + 1));
    for (const PredictScore& s : r.per_day[d]) std::printf(" %12.2f", 100 * s.wape());
    std::printf("\n");
  }

  const std::filesystem::path csv(f.csv);
  if (csv.has_parent_path()) std::filesystem::create_directories(csv.parent_path());
  std::FILE* out = std::fopen(f.csv.c_str(), "w");
  if (!out) throw std::runtime_error(f.csv + ": cannot open for writing");
  std::fprintf(out, "trace,format,model,spec,scope,train_minutes,held_out_minutes,functions,sum_abs_error,sum_actual,"
                    "sum_predicted,wape\n");
  const auto row = [&](const PredictScore& s, const std::string& spec, const std::string& scope) {
    std::fprintf(out, "\"%s\",%s,%s,\"%s\",%s,%lld,%lld,%zu,%.3f,%.0f,%.3f,%.6f\n", f.workload.trace.c_str(),
                 f.workload.format.c_str(), s.model.c_str(), spec.c_str(), scope.c_str(), static_cast<long long>(train),
                 static_cast<long long>(r.test_minutes), w.functions.size(), s.abs_error, s.actual, s.predicted, s.wape());
  };
  for (std::size_t k = 0; k < r.total.size(); ++k) row(r.total[k], specs[k], "all");
  for (std::size_t d = 0; d < r.days.size(); ++d)
    for (std::size_t k = 0; k < r.total.size(); ++k) row(r.per_day[d][k], specs[k], "day" + std::to_string(r.days[d] + 1));
  if (std::fclose(out) != 0) throw std::runtime_error(f.csv + ": write failed");
  std::printf("\nwrote %s\n", f.csv.c_str());
  return 0;
}

}  // namespace

IncendioSubcommand add_incendio_predict_report(CLI::App& incendio) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd = incendio.add_subcommand(
      "predict-report", "WAPE of arrival predictors on a trace (Incendio Fig. 17): train on the start, score the rest");
  add_workload_flags(*cmd, flags->workload);
  cmd->add_option("--train-days", flags->train_days, "Training part, days from the start (fractions allowed)");
  cmd->add_option("--train-minutes", flags->train_minutes, "Training part, minutes from the start");
  cmd->add_option("--models", flags->models,
                  "Predictor specs, comma-separated (`hearth policies` lists the predictors)")
      ->capture_default_str();
  cmd->add_option("--csv", flags->csv, "CSV output path")->capture_default_str();
  return {cmd, [flags] { return run(*flags); }};
}

}  // namespace hearth::cli
