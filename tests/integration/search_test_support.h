// Helpers for integration tests against a real Elasticsearch/OpenSearch node started by
// scripts/search-server.sh (ctest fixtures search_server_start_<flavour>).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "snapflow/base/log.h"
#include "snapflow/indexer/config.h"
#include "snapflow/indexer/document_batch.h"
#include "snapflow/indexer/es_client.h"

namespace snapflow::indexer::testing {

// SNAPFLOW_SEARCH_FLAVOUR (set by ctest): elasticsearch or opensearch.
std::string flavour();
// Runs scripts/search-server.sh COMMAND flavour() with extra environment; returns stdout
// (trimmed) and sets exit_code.
std::string run_script(const std::string& command, int& exit_code, const std::string& env = "");
// The node's URL: SNAPFLOW_SEARCH_URL when set, else the script's `url`.
std::string server_url();
// Runs a shell command, returning its exit status and (merged) output.
int run_command(const std::string& command, std::string& output);
std::string snapflow_index_binary();

// A unique lowercase index prefix per test, so tests never see each other's documents.
std::string unique_prefix(const std::string& name);

// Flow documents in the documented schema (docs/formats.md), bulk form with deterministic
// ids, spread over `days` daily indices. Sums of network.bytes/packets are returned.
struct GeneratedDocs {
  std::vector<DocumentBatch> batches;
  uint64_t documents = 0;
  uint64_t bytes = 0;
  uint64_t packets = 0;
};
GeneratedDocs generate_flow_docs(const std::string& prefix, uint64_t documents,
                                 uint64_t docs_per_batch, int days, uint64_t seed = 1);

// Queries (refresh first): _count and sums over prefix-*.
struct IndexTotals {
  int64_t count = -1;
  int64_t bytes = -1;
  int64_t packets = -1;
};
IndexTotals index_totals(EsClient& client, const std::string& prefix);

IndexerConfig test_config(const std::string& url, const std::string& prefix);

}  // namespace snapflow::indexer::testing
