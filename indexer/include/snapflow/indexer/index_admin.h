// Index administration shared by snapflow-index and pcap2json's report: what the server is,
// the index template and lifecycle policy, status, and pruning of expired daily indices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/indexer/config.h"
#include "snapflow/indexer/es_client.h"

namespace snapflow::indexer {

enum class ServerFlavour { kElasticsearch, kOpenSearch };

struct ServerInfo {
  ServerFlavour flavour = ServerFlavour::kElasticsearch;
  std::string version;   ///< e.g. "8.15.3"
  bool has_ilm = false;  ///< Elasticsearch index lifecycle management available
  bool has_ism = false;  ///< OpenSearch index state management available
};

// Asks GET /_nodes/_local (GET / is missing from minimal distributions): Elasticsearch sends
// X-elastic-product and build_flavor; lifecycle support is read from the modules and plugins.
base::Result<ServerInfo> detect_server(EsClient& client);

// The index template body for `<prefix>-*` (settings from config, mappings from
// resources/mappings.json); lifecycle_policy, when not empty, is attached on Elasticsearch.
std::string index_template_json(const IndexerConfig& config, const std::string& lifecycle_policy);
// The mappings resource, as compiled in.
std::string_view mappings_json();

struct SetupReport {
  ServerInfo server;
  std::vector<std::string> done;     ///< what was created or updated
  std::vector<std::string> skipped;  ///< what the server could not do, and why
};

// Idempotent: PUT the template (same content every time) and the lifecycle policy when the
// server has ILM/ISM; says what it skipped otherwise.
base::Result<SetupReport> setup_indices(EsClient& client, const IndexerConfig& config);

struct DailyIndex {
  std::string name;
  int64_t day_start_ns = 0;  ///< midnight UTC of the index's day
  int64_t documents = 0;
};

// Parses "<prefix>-YYYY.MM.DD" or "<prefix>-packets-YYYY.MM.DD" exactly; false otherwise.
bool parse_daily_index_name(const std::string& name, const std::string& prefix,
                            int64_t& day_start_ns);

// Lists daily indices of the prefix (via _cat/indices), sorted by name.
base::Result<std::vector<DailyIndex>> list_daily_indices(EsClient& client,
                                                         const std::string& prefix);

// Deletes, one exact name at a time, every daily index whose whole day ended more than
// older_than_ns before now_ns. Returns the names deleted (or that would be, when dry_run).
base::Result<std::vector<std::string>> prune_indices(EsClient& client, const std::string& prefix,
                                                     int64_t older_than_ns, int64_t now_ns,
                                                     bool dry_run);

}  // namespace snapflow::indexer
