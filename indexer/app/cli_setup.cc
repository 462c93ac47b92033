#include <iostream>

#include "cli.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/index_admin.h"

namespace snapflow::indexer::cli {

int run_setup(const Options& options, const base::Logger& logger) {
  auto client = EsClient::create(options.config, logger);
  if (!client.ok()) {
    logger.error(client.error().to_string());
    return kExitError;
  }
  auto report = setup_indices(**client, options.config);
  if (!report.ok()) {
    logger.error(report.error().to_string());
    return kExitError;
  }
  std::cout << (report->server.flavour == ServerFlavour::kElasticsearch ? "Elasticsearch "
                                                                        : "OpenSearch ")
            << report->server.version << '\n';
  for (const auto& d : report->done) std::cout << "  ok: " << d << '\n';
  for (const auto& s : report->skipped) std::cout << "  skipped: " << s << '\n';
  return kExitOk;
}

}  // namespace snapflow::indexer::cli
