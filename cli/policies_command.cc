// `hearth policies`: every policy with its parameters, and the presets.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "policy/registry.h"

namespace hearth::cli {

Action add_policies_command(CLI::App& app) {
  app.add_subcommand("policies", "List every policy with its parameters, and the presets");
  return [] {
    policy::PolicyKind last = policy::PolicyKind::kPrewarm;
    bool first = true;
    for (const policy::PolicyInfo& p : policy::all_policies()) {
      if (first || p.kind != last) {
        std::printf("%s%s policies (--%s NAME[:ARG][,key=value...])\n", first ? "" : "\n",
                    policy::policy_kind_name(p.kind), policy::policy_kind_name(p.kind));
        last = p.kind;
        first = false;
      }
      std::printf("  %-18s %s\n", p.name.c_str(), p.summary.c_str());
      for (const policy::ParamDef& d : p.params)
        std::printf("      %-14s default %-10s %s\n", d.name.c_str(), d.default_value.c_str(), d.help.c_str());
    }
    const std::vector<policy::PolicyInfo> schedulers = policy::registered_request_schedulers();
    if (!schedulers.empty()) std::printf("\nscheduler policies, loaded on use (NAME[:ARG][,key=value...])\n");
    for (const policy::PolicyInfo& p : schedulers) {
      std::printf("  %-18s %s\n", p.name.c_str(), p.summary.c_str());
      for (const policy::ParamDef& d : p.params)
        std::printf("      %-14s default %-10s %s\n", d.name.c_str(), d.default_value.c_str(), d.help.c_str());
    }
    std::printf("\npresets (--preset NAME)\n");
    for (const policy::Preset& p : policy::all_presets()) {
      std::printf("  %-18s placement=%s keepalive=%s prewarm=%s", p.name.c_str(), p.placement.c_str(),
                  p.keepalive.c_str(), p.prewarm.c_str());
      if (p.memory_min_mb > 0 || p.memory_max_mb > 0)
        std::printf(" memory=%lld-%lldMB", static_cast<long long>(p.memory_min_mb), static_cast<long long>(p.memory_max_mb));
      if (p.cpu_weights != policy::CpuWeights::kEqual)
        std::printf(" cpu-weights=%s", policy::cpu_weights_name(p.cpu_weights));
      std::printf("\n      %s\n", p.summary.c_str());
    }
    return 0;
  };
}

}  // namespace hearth::cli
