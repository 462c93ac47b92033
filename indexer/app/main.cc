// snapflow-index: set up, inspect, load, prune and delete from snapflow indices in
// Elasticsearch/OpenSearch.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "cli.h"

namespace {

constexpr std::string_view kUsage = R"(usage: snapflow-index COMMAND [options]

commands:
  setup                    create/update the index template (and ILM/ISM retention policy)
  status                   cluster health, snapflow indices, newest document per observer
  load FILE.ndjson[.gz]... upload bulk-form NDJSON written by pcap2json --output ("-" = stdin)
  prune --older-than D     delete daily indices whose whole day is older than D (e.g. 30d)
                           [--dry-run: only list them]
  report [--capture NAME]  what the index holds: documents, packets and bytes, the busiest
                           snapshot, top talkers by bytes, data lost in ring gaps
  delete --capture NAME --observer NAME
                           remove one replay (its flow, totals, gap and packet documents),
                           e.g. before replaying it with a version whose documents differ
                           [--dry-run: only count them]

options:
  -v, --verbose            debug logging
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace snapflow;
  using indexer::cli::kExitUsage;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << kUsage << '\n' << indexer::indexer_flags_help();
    return argc < 2 ? kExitUsage : 0;
  }
  const std::string command = argv[1];
  indexer::cli::Options options;
  base::LogLevel level = base::LogLevel::kInfo;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto used = indexer::parse_indexer_flag(argc, argv, i, options.config);
    if (!used.ok()) {
      std::cerr << "snapflow-index: " << used.error().to_string() << '\n';
      return kExitUsage;
    }
    if (*used > 0) {
      i += *used - 1;
    } else if (arg == "-v" || arg == "--verbose") {
      level = base::LogLevel::kDebug;
    } else if (arg == "--dry-run") {
      options.dry_run = true;
    } else if (arg == "--older-than" && i + 1 < argc) {
      options.older_than = argv[++i];
    } else if (arg == "--capture" && i + 1 < argc) {
      options.capture = argv[++i];
    } else if (arg == "--observer" && i + 1 < argc) {
      options.observer = argv[++i];
    } else if (arg.substr(0, 13) == "--older-than=") {
      options.older_than = std::string(arg.substr(13));
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::cerr << "snapflow-index: unknown option " << arg << " (see --help)\n";
      return kExitUsage;
    } else {
      options.args.emplace_back(arg);
    }
  }
  const base::Logger logger("snapflow-index", level);
  auto st = indexer::load_credentials(options.config);
  if (st.ok()) st = indexer::validate(options.config);
  if (!st.ok()) {
    logger.error(st.error().to_string());
    return kExitUsage;
  }
  try {
    if (command == "setup") return indexer::cli::run_setup(options, logger);
    if (command == "status") return indexer::cli::run_status(options, logger);
    if (command == "load") return indexer::cli::run_load(options, logger);
    if (command == "prune") return indexer::cli::run_prune(options, logger);
    if (command == "report") return indexer::cli::run_report(options, logger);
    if (command == "delete") return indexer::cli::run_delete(options, logger);
  } catch (const std::exception& e) {
    logger.error(std::string("unexpected: ") + e.what());
    return indexer::cli::kExitError;
  }
  std::cerr << "snapflow-index: unknown command " << command << " (see --help)\n";
  return kExitUsage;
}
