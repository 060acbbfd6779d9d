// The verbs of the rehashlab binary, as CLI11 subcommands. add_commands()
// registers every verb and its flags on the app; after a successful parse,
// run_parsed() runs the one that was given and returns the exit status.
// cli::UsageError and TraceError thrown from a verb become exit status 2 in main;
// a failure to write stdout is exit status 1.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace rehashlab {

struct Commands;  // the verbs' parsed flags (commands.cc)

std::unique_ptr<Commands, void (*)(Commands*)> add_commands(CLI::App& app);
// Runs the verb `app` parsed; argv is recorded in results (provenance).
int run_parsed(const CLI::App& app, Commands& cmds, const std::vector<std::string>& argv);

}  // namespace rehashlab
