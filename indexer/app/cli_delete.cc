#include <iostream>

#include "cli.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/retraction.h"

namespace snapflow::indexer::cli {

// Removes one replay: every flow, totals, gap and packet document of an observer's capture,
// so the capture can be replayed again by a version whose documents differ (a replay of the
// same capture by the same version needs no delete: its documents are found present).
int run_delete(const Options& options, const base::Logger& logger) {
  if (options.capture.empty() || options.observer.empty()) {
    logger.error(
        "delete needs --capture NAME and --observer NAME (it removes every document they name)");
    return kExitUsage;
  }
  if (!options.args.empty()) {
    logger.error("delete takes no arguments (got " + options.args.front() + ")");
    return kExitUsage;
  }
  auto client = EsClient::create(options.config, logger);
  if (!client.ok()) {
    logger.error(client.error().to_string());
    return kExitError;
  }
  // Records are numbered from 1, so "above record 0" is every document of the capture.
  const RetractionScope scope{options.config.index_prefix, options.observer, options.capture, 0,
                              std::nullopt};
  if (options.dry_run) {
    auto count = count_documents(**client, scope);
    if (!count.ok()) {
      logger.error(std::move(count).error().to_string());
      return kExitError;
    }
    std::cout << "would delete " << *count << " documents of capture " << options.capture
              << " (observer " << options.observer << ") from " << options.config.index_prefix
              << "-*\n";
    return kExitOk;
  }
  BackoffPolicy backoff = BackoffPolicy::from_config(options.config);
  auto deleted = retract_documents(**client, scope, backoff);
  if (!deleted.ok()) {
    logger.error(
        std::move(deleted).error().context("delete capture " + options.capture).to_string());
    return kExitError;
  }
  std::cout << "deleted " << deleted->deleted << " documents of capture " << options.capture
            << " (observer " << options.observer << ") from " << options.config.index_prefix
            << "-*\n";
  return kExitOk;
}

}  // namespace snapflow::indexer::cli
