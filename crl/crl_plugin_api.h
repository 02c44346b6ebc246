// The CRL plugin's entry point. libtorch is loaded only by the plugin (hearth_crl_plugin.so, built from
// crl/): `hearth` dlopens it when a `crl:` scheduler spec or `hearth incendio train` is used
// (cli/crl_plugin_loader.h), so no other command, engine or test pays libtorch's start-up. The plugin and
// the binary are built together by the same compiler from the same headers, so the table passes C++ types;
// kCrlPluginAbi guards against a stale plugin file.
#pragma once

#include <memory>
#include <string>

#include "crl/crl_history.h"
#include "crl/crl_trainer.h"
#include "policy/request_scheduler.h"

namespace hearth::crl {

inline constexpr int kCrlPluginAbi = 2;

struct CrlPluginApi {
  int abi = kCrlPluginAbi;
  // Loads the model in `model_dir` (throws std::runtime_error naming the file and the problem); `decision`
  // is "stepwise" or "one-pass" (crl/crl_scheduler.h; std::invalid_argument for anything else).
  std::unique_ptr<policy::RequestScheduler> (*make_scheduler)(const std::string& model_dir, const std::string& decision);
  // Trains on `history`, writes the model to `out_dir`; `description` names the trace in the manifest.
  TrainReport (*train)(const CrlHistory& history, const TrainOptions& options, const std::string& out_dir,
                       const std::string& description);
};

}  // namespace hearth::crl

// The symbol hearth looks up in the plugin.
extern "C" const hearth::crl::CrlPluginApi* hearth_crl_plugin_api();
