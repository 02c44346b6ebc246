// The `hearth` subcommands. Each registers its flags on the CLI11 app and returns the action to run
// after parsing; an action returns the process exit code (0 ok, 1 runtime failure, 2 bad input).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace hearth::cli {

using Action = std::function<int()>;

Action add_sim_command(CLI::App& app);
Action add_policies_command(CLI::App& app);
Action add_trace_command(CLI::App& app);
Action add_action_command(CLI::App& app);      // hearth action ...
Action add_activation_command(CLI::App& app);  // hearth activation ...
Action add_up_command(CLI::App& app);          // hearth up
Action add_invoker_command(CLI::App& app);     // hearth invoker
Action add_replay_command(CLI::App& app);      // hearth replay
Action add_auth_command(CLI::App& app);        // hearth auth [rotate]
Action add_namespace_command(CLI::App& app);   // hearth namespace create|list
// `hearth incendio predict-report`, registered on the `incendio` group; its action returns kNotThisCommand
// unless that subcommand was parsed.
inline constexpr int kNotThisCommand = -1;
Action add_incendio_predict_report(CLI::App& incendio);

}  // namespace hearth::cli
