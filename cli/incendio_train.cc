// `hearth incendio train`: trains CRL (seed 002 §VI-C, Algorithm 1) on the first --train-fraction of a
// trace's minutes and writes the model directory `crl:model=DIR` loads. The trace is read here; the
// learning runs in the CRL plugin (cli/crl_plugin_loader.h), so only this command loads libtorch.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/incendio_subcommands.h"
#include "cli/crl_plugin_loader.h"
#include "cli/workload_loader.h"
#include "crl/crl_history.h"
#include "trace/arrival_counts.h"

namespace hearth::cli {
namespace {

struct TrainFlags {
  WorkloadFlags workload;
  std::string out;
  double train_fraction = 0.7;
  std::size_t functions = 64;
  std::string hidden = "1024,512,512,256";
  std::string priority = "param2";
  crl::TrainOptions options;
};

std::vector<std::int64_t> parse_hidden(const std::string& text) {
  std::vector<std::int64_t> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != part.size() || part.empty() || v <= 0 || v > 65536)
      throw std::invalid_argument("--hidden: '" + part + "' is not a layer width in 1..65536 (e.g. 1024,512,512,256)");
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) throw std::invalid_argument("--hidden: at least one layer width");
  return out;
}

}  // namespace

IncendioSubcommand add_incendio_train(CLI::App& incendio) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd = incendio.add_subcommand("train", "Train CRL's per-environment Deep Q-Networks on a trace's history");
  add_workload_flags(*cmd, flags->workload);
  cmd->add_option("--out", flags->out, "Model directory to write")->required();
  cmd->add_option("--train-fraction", flags->train_fraction, "Share of the trace's minutes to learn from (the rest is held out)")
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--functions", flags->functions, "Function slots: the most-invoked functions of the training part")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--episodes", flags->options.episodes, "Training episodes per environment")->check(CLI::Range(1, 100000000));
  cmd->add_option("--clusters", flags->options.clusters, "Environments (k of k-means)")->check(CLI::Range(1, 1024));
  cmd->add_option("--priority", flags->priority,
                  "Priority model spec the rewards and decisions use (param1..param5, linear:.., loglinear:..; "
                  "greedy's default is param2)");
  cmd->add_option("--hidden", flags->hidden, "Hidden layer widths (the paper's: 1024,512,512,256)");
  cmd->add_option("--learning-rate", flags->options.learning_rate, "Adam's learning rate")->check(CLI::PositiveNumber);
  cmd->add_option("--gamma", flags->options.gamma, "Discount factor")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--epsilon-decay", flags->options.epsilon_decay, "ε multiplier per episode")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--batch", flags->options.batch, "Replay batch size")->check(CLI::Range(1, 65536));
  cmd->add_option("--threads", flags->options.threads, "libtorch threads while training")->check(CLI::Range(1, 256));
  return {cmd, [flags] {
    TrainFlags& f = *flags;
    f.options.hidden = parse_hidden(f.hidden);
    f.options.seed = f.workload.options.seed;
    trace::Workload workload = load_workload(f.workload);
    const trace::ArrivalCounts counts = trace::count_arrivals(workload);
    const auto train_minutes = static_cast<std::int64_t>(static_cast<double>(counts.minutes) * f.train_fraction);
    const std::vector<model::FunctionId> chosen = crl::top_functions(counts, 0, train_minutes, f.functions);
    const crl::CrlHistory history = crl::make_history(workload.functions, chosen, counts, 0, train_minutes, f.priority);
    std::fprintf(stderr, "%s: training on minutes [0, %lld) of %lld, %zu functions, %zu environments, %lld episodes each, priority %s\n",
                 workload.description.c_str(), static_cast<long long>(train_minutes),
                 static_cast<long long>(counts.minutes), history.functions.size(), f.options.clusters,
                 static_cast<long long>(f.options.episodes), f.priority.c_str());
    const std::string description = workload.description + ", minutes [0, " + std::to_string(train_minutes) + ")";
    const crl::TrainReport report = crl_plugin().train(history, f.options, f.out, description);
    std::printf("model %s: %zu environments, %zu parameters per network, trained in %.1f s\n", f.out.c_str(),
                report.environments.size(), report.parameters_per_network, report.seconds);
    for (std::size_t e = 0; e < report.environments.size(); ++e) {
      const crl::EnvironmentReport& r = report.environments[e];
      std::printf("  environment %zu: %lld minutes, %lld DQN steps, last loss %.5f, mean return (last 10%% of episodes) %.3f\n",
                  e, static_cast<long long>(r.minutes), static_cast<long long>(r.steps), r.last_loss,
                  r.mean_return_last_tenth);
    }
    return 0;
  }};
}

}  // namespace hearth::cli
