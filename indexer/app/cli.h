// snapflow-index subcommands. Each returns the process exit code and reports errors itself.
#pragma once

#include <string>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/indexer/config.h"

namespace snapflow::indexer::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDeadLettered = 3;  // load finished, but some documents were rejected

struct Options {
  IndexerConfig config;
  std::vector<std::string> args;  // positional arguments after the subcommand
  std::string older_than;         // prune --older-than
  bool dry_run = false;           // prune/delete --dry-run
  std::string capture;            // report/delete --capture: this labels.capture
  std::string observer;           // delete --observer: this observer.name
};

int run_setup(const Options& options, const base::Logger& logger);
int run_status(const Options& options, const base::Logger& logger);
int run_load(const Options& options, const base::Logger& logger);
int run_prune(const Options& options, const base::Logger& logger);
int run_report(const Options& options, const base::Logger& logger);
int run_delete(const Options& options, const base::Logger& logger);

}  // namespace snapflow::indexer::cli
