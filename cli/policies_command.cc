// `hearth policies`: every policy with its parameters, and the presets.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "cli/commands.h"
#include "policy/priority_model.h"
#include "policy/registry.h"

namespace hearth::cli {

Action add_policies_command(CLI::App& app) {
  app.add_subcommand("policies", "List every policy with its parameters, and the presets");
  return [] {
    policy::PolicyKind last = policy::PolicyKind::kPrewarm;
    bool first = true;
    // By kind (schedulers registered from outside hearth_policy come last in all_policies()).
    std::vector<policy::PolicyInfo> policies = policy::all_policies();
    std::stable_sort(policies.begin(), policies.end(),
                     [](const auto& a, const auto& b) { return a.kind < b.kind; });
    for (const policy::PolicyInfo& p : policies) {
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
    std::printf("\npriority models (Incendio; NAME[:key=value,...])\n");
    for (const policy::PriorityModelInfo& m : policy::all_priority_models())
      std::printf("  %-18s %s\n", m.name.c_str(), m.summary.c_str());
    std::printf("\npresets (--preset NAME)\n");
    for (const policy::Preset& p : policy::all_presets()) {
      std::printf("  %-18s placement=%s keepalive=%s prewarm=%s", p.name.c_str(), p.placement.c_str(),
                  p.keepalive.c_str(), p.prewarm.c_str());
      if (p.scheduler != "fifo") std::printf(" scheduler=%s", p.scheduler.c_str());
      if (p.pool_manager != "none") std::printf(" pool-manager=%s", p.pool_manager.c_str());
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
