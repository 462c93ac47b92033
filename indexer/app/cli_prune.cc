#include <iostream>

#include "cli.h"
#include "snapflow/base/parse.h"
#include "snapflow/base/time.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/index_admin.h"

namespace snapflow::indexer::cli {

int run_prune(const Options& options, const base::Logger& logger) {
  if (options.older_than.empty()) {
    logger.error("prune needs --older-than D (e.g. 30d)");
    return kExitUsage;
  }
  auto age = base::parse_duration_ns(options.older_than);
  if (!age.ok()) {
    logger.error(std::move(age).error().context("--older-than").to_string());
    return kExitUsage;
  }
  auto client = EsClient::create(options.config, logger);
  if (!client.ok()) {
    logger.error(client.error().to_string());
    return kExitError;
  }
  auto deleted = prune_indices(**client, options.config.index_prefix, *age, base::now_realtime_ns(),
                               options.dry_run);
  if (!deleted.ok()) {
    logger.error(deleted.error().to_string());
    return kExitError;
  }
  for (const auto& name : *deleted) {
    std::cout << (options.dry_run ? "would delete " : "deleted ") << name << '\n';
  }
  std::cout << deleted->size() << " indices " << (options.dry_run ? "to delete" : "deleted")
            << " (older than " << options.older_than << ")\n";
  return kExitOk;
}

}  // namespace snapflow::indexer::cli
