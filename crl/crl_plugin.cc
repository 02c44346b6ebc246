// The plugin's one exported symbol (crl/crl_plugin_api.h); only the MODULE target compiles this file.
#include <cstdio>

#include "crl/crl_plugin_api.h"
#include "crl/crl_scheduler.h"

namespace hearth::crl {
namespace {

std::unique_ptr<policy::RequestScheduler> make_scheduler(const std::string& model_dir, const std::string& decision) {
  const CrlDecision d = parse_crl_decision(decision);
  set_torch_threads(1);
  return std::make_unique<CrlScheduler>(std::make_shared<const CrlModel>(load_crl_model(model_dir)), d);
}

TrainReport train(const CrlHistory& history, const TrainOptions& options, const std::string& out_dir,
                  const std::string& description) {
  TrainReport report;
  std::int64_t last_percent = -1;
  const double total = static_cast<double>(options.clusters) * static_cast<double>(options.episodes);
  CrlModel model = train_crl(history, options, &report, [&](std::size_t env, std::int64_t ep) {
    const auto percent = static_cast<std::int64_t>(100.0 * (static_cast<double>(env * options.episodes + ep) + 1) / total);
    if (percent / 10 != last_percent / 10) {
      std::fprintf(stderr, "training: environment %zu, episode %lld (%lld%%)\n", env, static_cast<long long>(ep + 1),
                   static_cast<long long>(percent));
      last_percent = percent;
    }
  });
  model.training.trace = description;
  save_crl_model(model, out_dir);
  return report;
}

const CrlPluginApi kApi{kCrlPluginAbi, &make_scheduler, &train};

}  // namespace
}  // namespace hearth::crl

extern "C" __attribute__((visibility("default"))) const hearth::crl::CrlPluginApi* hearth_crl_plugin_api() {
  return &hearth::crl::kApi;
}
