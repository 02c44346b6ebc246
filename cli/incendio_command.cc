// `hearth incendio ...`: Incendio's offline tools (docs/incendio.md). The subcommands live in their own
// files (cli/incendio_subcommands.h); this file only gathers them.
#include <CLI/CLI.hpp>
#include <vector>

#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/incendio_subcommands.h"

namespace hearth::cli {

Action add_incendio_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("incendio", "Incendio's analyses and training (priority, prediction, scheduling)");
  cmd->require_subcommand(1);
  // One line per subcommand: add new ones here (declared in cli/incendio_subcommands.h).
  const std::vector<IncendioSubcommand> subcommands = {
      add_incendio_spearman(*cmd),
      add_incendio_fit_priority(*cmd),
      add_incendio_train(*cmd),
      add_incendio_predict_report(*cmd),
  };
  return [subcommands] {
    for (const IncendioSubcommand& s : subcommands)
      if (s.app->parsed()) return run_reporting_errors("hearth incendio", s.run);
    return 2;
  };
}

}  // namespace hearth::cli
