#include "cli/crl_plugin_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

#include "crl/crl_decision.h"
#include "policy/registry.h"

namespace hearth::cli {

const crl::CrlPluginApi& crl_plugin() {
  static std::once_flag once;
  static const crl::CrlPluginApi* api = nullptr;
  static std::string error;
  std::call_once(once, [] {
    const char* env = std::getenv("HEARTH_CRL_PLUGIN");
    const std::string path = env && *env ? env : HEARTH_CRL_PLUGIN;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      error = "cannot load the CRL plugin " + path + ": " + (why ? why : "unknown error") +
              " (build the hearth_crl_plugin target, or set HEARTH_CRL_PLUGIN to its file)";
      return;
    }
    using Entry = const crl::CrlPluginApi* (*)();
    const auto entry = reinterpret_cast<Entry>(dlsym(handle, "hearth_crl_plugin_api"));
    if (!entry) {
      error = "CRL plugin " + path + " has no hearth_crl_plugin_api symbol";
      return;
    }
    const crl::CrlPluginApi* candidate = entry();
    if (!candidate || candidate->abi != crl::kCrlPluginAbi) {
      error = "CRL plugin " + path + " was built for another Hearth (ABI " +
              std::to_string(candidate ? candidate->abi : -1) + ", this hearth needs " +
              std::to_string(crl::kCrlPluginAbi) + "): rebuild hearth_crl_plugin";
      return;
    }
    api = candidate;  // the handle stays open for the process's life
  });
  if (!api) throw std::runtime_error(error);
  return *api;
}

void register_crl_scheduler() {
  policy::register_request_scheduler(
      {policy::PolicyKind::kScheduler,
       "crl",
       "Incendio's clustered reinforcement learning (seed 002 §VI-C): the arrival mix picks an environment's "
       "Deep Q-Network, which picks requests by argmax Q within the capacity (train with `hearth incendio train`)",
       {{"model", policy::ParamType::kString, "", "directory of a trained model (required)"},
        {"decision", policy::ParamType::kString, "stepwise",
         "stepwise (a forward pass per action, Algorithm 1) or one-pass (one pass ranks the functions)"}}},
      [](const policy::PolicySpec& spec, const policy::PolicyContext&) {
        const std::string& dir = spec.params.get_string("model");
        if (dir.empty()) throw std::invalid_argument("scheduler 'crl': model=DIR is required (a trained model directory)");
        const std::string& decision = spec.params.get_string("decision");
        try {
          crl::parse_crl_decision(decision);  // before the plugin (and libtorch) loads
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument(std::string("scheduler 'crl': ") + e.what());
        }
        return crl_plugin().make_scheduler(dir, decision);
      });
}

}  // namespace hearth::cli
