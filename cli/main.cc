// hearth: the command-line entry point. Thin: parses flags and dispatches to cli/*_command.cc.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Hearth: a Function-as-a-Service platform and trace-driven simulator"};
  app.require_subcommand(1);
  hearth::cli::Action sim = hearth::cli::add_sim_command(app);
  hearth::cli::Action policies = hearth::cli::add_policies_command(app);
  hearth::cli::Action trace = hearth::cli::add_trace_command(app);
  hearth::cli::Action action = hearth::cli::add_action_command(app);
  hearth::cli::Action activation = hearth::cli::add_activation_command(app);
  hearth::cli::Action up = hearth::cli::add_up_command(app);
  hearth::cli::Action invoker = hearth::cli::add_invoker_command(app);
  hearth::cli::Action replay = hearth::cli::add_replay_command(app);
  hearth::cli::Action auth = hearth::cli::add_auth_command(app);
  hearth::cli::Action ns = hearth::cli::add_namespace_command(app);
  // Incendio (issue 12): until cli/incendio_command.cc's group is merged, the group holds only predict-report.
  CLI::App* incendio = app.add_subcommand("incendio", "Incendio (issue 12) tools")->require_subcommand(1);
  hearth::cli::Action predict_report = hearth::cli::add_incendio_predict_report(*incendio);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (app.got_subcommand("sim")) return sim();
    if (app.got_subcommand("policies")) return policies();
    if (app.got_subcommand("trace")) return trace();
    if (app.got_subcommand("action")) return action();
    if (app.got_subcommand("activation")) return activation();
    if (app.got_subcommand("up")) return up();
    if (app.got_subcommand("invoker")) return invoker();
    if (app.got_subcommand("replay")) return replay();
    if (app.got_subcommand("auth")) return auth();
    if (app.got_subcommand("namespace")) return ns();
    if (app.got_subcommand("incendio")) return predict_report();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hearth: %s\n", e.what());
    return 1;
  }
  return 2;
}
