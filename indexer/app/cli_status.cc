#include <simdjson.h>

#include <iostream>

#include "cli.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/index_admin.h"

namespace snapflow::indexer::cli {

namespace {

// Fields a status line can do without: a missing one leaves the default.
template <typename Json, typename T>
void read_optional(Json&& json, T& out) {
  if (std::forward<Json>(json).get(out) != simdjson::SUCCESS) return;
}

}  // namespace

int run_status(const Options& options, const base::Logger& logger) {
  auto client = EsClient::create(options.config, logger);
  if (!client.ok()) {
    logger.error(client.error().to_string());
    return kExitError;
  }
  EsClient& c = **client;
  auto health = c.get("/_cluster/health?filter_path=cluster_name,status,number_of_nodes");
  if (!health.ok() || health->status != 200) {
    logger.error(health.ok() ? describe_http_error(*health, "cluster health")
                             : health.error().to_string());
    return kExitError;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element h;
  std::string_view name, status;
  int64_t nodes = 0;
  if (parser.parse(health->body).get(h) == simdjson::SUCCESS) {
    read_optional(h["cluster_name"], name);
    read_optional(h["status"], status);
    read_optional(h["number_of_nodes"], nodes);
  }
  std::cout << "cluster " << name << ": " << status << ", " << nodes << " node(s) at "
            << health->host << '\n';

  const std::string& prefix = options.config.index_prefix;
  auto indices = list_daily_indices(c, prefix);
  if (!indices.ok()) {
    logger.error(indices.error().to_string());
    return kExitError;
  }
  int64_t total = 0;
  std::cout << indices->size() << " daily indices " << prefix << "-*\n";
  for (const auto& idx : *indices) {
    std::cout << "  " << idx.name << "  " << idx.documents << " documents\n";
    total += idx.documents;
  }
  std::cout << "  total " << total << " documents\n";
  if (indices->empty()) return kExitOk;

  const std::string query =
      R"({"size":0,"aggs":{"observers":{"terms":{"field":"observer.name","size":100},)"
      R"("aggs":{"newest":{"max":{"field":"@timestamp"}}}}}})";
  auto r = c.send({"POST", "/" + prefix + "-*/_search?filter_path=aggregations", query});
  if (!r.ok() || r->status != 200) {
    logger.error(r.ok() ? describe_http_error(*r, "newest per observer") : r.error().to_string());
    return kExitError;
  }
  simdjson::dom::element agg;
  simdjson::dom::array buckets;
  if (parser.parse(r->body).get(agg) != simdjson::SUCCESS ||
      agg["aggregations"]["observers"]["buckets"].get(buckets) != simdjson::SUCCESS) {
    std::cout << "no documents with observer.name\n";
    return kExitOk;
  }
  std::cout << "newest document per observer:\n";
  for (auto b : buckets) {
    std::string_view key, newest = "?";
    int64_t count = 0;
    read_optional(b["key"], key);
    read_optional(b["doc_count"], count);
    read_optional(b["newest"]["value_as_string"], newest);
    std::cout << "  " << key << "  " << newest << "  (" << count << " documents)\n";
  }
  return kExitOk;
}

}  // namespace snapflow::indexer::cli
