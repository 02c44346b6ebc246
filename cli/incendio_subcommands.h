// The subcommands of `hearth incendio` (cli/incendio_command.cc). Each registers itself on the
// `incendio` app and returns it with the action to run when it was chosen. To add one (e.g. `train`,
// `predict-report`): declare its add_incendio_* here, define it in its own cli/*.cc, and add one line
// to the list in add_incendio_command.
#pragma once

#include "cli/commands.h"

namespace hearth::cli {

struct IncendioSubcommand {
  CLI::App* app = nullptr;
  Action run;
};

IncendioSubcommand add_incendio_spearman(CLI::App& incendio);      // cli/incendio_priority_command.cc
IncendioSubcommand add_incendio_fit_priority(CLI::App& incendio);  // cli/incendio_priority_command.cc
IncendioSubcommand add_incendio_train(CLI::App& incendio);         // cli/incendio_train.cc (CRL)
IncendioSubcommand add_incendio_predict_report(CLI::App& incendio);  // cli/incendio_predict_report.cc

}  // namespace hearth::cli
