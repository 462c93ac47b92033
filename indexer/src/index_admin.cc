#include "snapflow/indexer/index_admin.h"

#include <simdjson.h>

#include <algorithm>
#include <string>

#include "snapflow/base/time.h"
#include "snapflow/indexer/dead_letter.h"

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

namespace {

base::Status expect_2xx(const base::Result<HttpResponse>& r, std::string_view what) {
  if (!r.ok()) return base::Error(r.error()).context(what);
  if (r->status < 200 || r->status >= 300) {
    return make_error(
        r->status == 401 || r->status == 403 ? ErrorCode::kRejected : ErrorCode::kUnavailable,
        describe_http_error(*r, what));
  }
  return base::ok_status();
}

// "30d" when whole days, else seconds: both ILM and ISM accept these time units.
std::string age_text(int64_t ns) {
  const int64_t day = 24 * 3600 * base::kNsPerSec;
  if (ns % day == 0) return std::to_string(ns / day) + "d";
  return std::to_string(std::max<int64_t>(1, ns / base::kNsPerSec)) + "s";
}

std::string policy_name(const IndexerConfig& config) {
  return config.index_prefix + "-retention";
}

// Days since the epoch for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

base::Result<ServerInfo> detect_server(EsClient& client) {
  auto r = client.get(
      "/_nodes/_local?filter_path=nodes.*.version,nodes.*.build_flavor,nodes.*.modules.name,"
      "nodes.*.plugins.name");
  SNAPFLOW_TRY_STATUS(expect_2xx(r, "GET /_nodes/_local"), "detect server");
  ServerInfo info;
  info.flavour = r->elastic_product ? ServerFlavour::kElasticsearch : ServerFlavour::kOpenSearch;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(r->body).get(root) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat, "GET /_nodes/_local: not JSON");
  }
  simdjson::dom::object nodes;
  if (root["nodes"].get(nodes) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat, "GET /_nodes/_local: no nodes");
  }
  for (auto [id, node] : nodes) {
    std::string_view v;
    if (node["version"].get(v) == simdjson::SUCCESS) info.version = v;
    std::string_view flavor;
    if (node["build_flavor"].get(flavor) == simdjson::SUCCESS) {
      info.flavour = ServerFlavour::kElasticsearch;  // OpenSearch dropped build_flavor
    }
    for (const char* list : {"modules", "plugins"}) {
      simdjson::dom::array arr;
      if (node[list].get(arr) != simdjson::SUCCESS) continue;
      for (auto m : arr) {
        std::string_view name;
        if (m["name"].get(name) != simdjson::SUCCESS) continue;
        if (name == "x-pack-ilm") info.has_ilm = true;
        if (name == "opensearch-index-management") info.has_ism = true;
      }
    }
    break;  // the local node speaks for the cluster
  }
  return info;
}

std::string index_template_json(const IndexerConfig& config, const std::string& lifecycle_policy) {
  std::string s = "{\"index_patterns\":[";
  append_json_string(s, config.index_prefix + "-*");
  // Longer prefixes are more specific: "snapflow-lab-*" must win over "snapflow-*" (two
  // templates of equal priority matching one index are refused by the server).
  s += "],\"priority\":" + std::to_string(200 + config.index_prefix.size());
  s += ",\"_meta\":{\"managed_by\":\"snapflow-index\"},\"template\":{"
       "\"settings\":{";
  s += "\"index.number_of_shards\":" + std::to_string(config.shards);
  s += ",\"index.number_of_replicas\":" + std::to_string(config.replicas);
  s += ",\"index.refresh_interval\":";
  append_json_string(s, config.refresh_interval);
  if (!lifecycle_policy.empty()) {
    s += ",\"index.lifecycle.name\":";
    append_json_string(s, lifecycle_policy);
  }
  s += "},\"mappings\":";
  s += mappings_json();
  s += "}}";
  return s;
}

base::Result<SetupReport> setup_indices(EsClient& client, const IndexerConfig& config) {
  SetupReport report;
  auto info = detect_server(client);
  if (!info.ok()) return std::move(info).error();
  report.server = *info;
  const std::string policy = policy_name(config);
  const std::string age = age_text(config.retention_ns);
  std::string attached_policy;

  if (info->flavour == ServerFlavour::kElasticsearch && info->has_ilm) {
    const std::string body =
        R"({"policy":{"_meta":{"managed_by":"snapflow-index"},"phases":{"hot":{"actions":{}},"delete":{"min_age":")" +
        age + R"(","actions":{"delete":{}}}}}})";
    auto r = client.send({"PUT", "/_ilm/policy/" + policy, body});
    SNAPFLOW_TRY_STATUS(expect_2xx(r, "PUT ILM policy " + policy), "setup");
    report.done.push_back("ILM policy " + policy + " (delete after " + age + ")");
    attached_policy = policy;
  } else if (info->flavour == ServerFlavour::kOpenSearch && info->has_ism) {
    std::string body =
        R"({"policy":{"description":"snapflow retention","default_state":"hot","states":[)"
        R"({"name":"hot","actions":[],"transitions":[{"state_name":"delete","conditions":{"min_index_age":")" +
        age +
        R"("}}]},{"name":"delete","actions":[{"delete":{}}],"transitions":[]}],"ism_template":[{"index_patterns":[)";
    append_json_string(body, config.index_prefix + "-*");
    body += R"(],"priority":100}]}})";
    const std::string path = "/_plugins/_ism/policies/" + policy;
    auto existing = client.get(path);
    std::string put_path = path;
    if (existing.ok() && existing->status == 200) {
      // Updating an ISM policy needs its sequence number and primary term.
      simdjson::dom::parser parser;
      simdjson::dom::element e;
      int64_t seq = 0, term = 0;
      if (parser.parse(existing->body).get(e) == simdjson::SUCCESS &&
          e["_seq_no"].get(seq) == simdjson::SUCCESS &&
          e["_primary_term"].get(term) == simdjson::SUCCESS) {
        put_path +=
            "?if_seq_no=" + std::to_string(seq) + "&if_primary_term=" + std::to_string(term);
      }
    }
    auto r = client.send({"PUT", put_path, body});
    SNAPFLOW_TRY_STATUS(expect_2xx(r, "PUT ISM policy " + policy), "setup");
    report.done.push_back("ISM policy " + policy + " (delete after " + age + ")");
  } else {
    report.skipped.push_back(
        std::string("lifecycle policy: this ") +
        (info->flavour == ServerFlavour::kElasticsearch ? "Elasticsearch has no ILM module"
                                                        : "OpenSearch has no index-management "
                                                          "plugin (ISM)") +
        "; run `snapflow-index prune --older-than " + age + "` (e.g. daily from cron) instead");
  }

  auto r = client.send({"PUT", "/_index_template/" + config.index_prefix,
                        index_template_json(config, attached_policy)});
  SNAPFLOW_TRY_STATUS(expect_2xx(r, "PUT index template " + config.index_prefix), "setup");
  report.done.push_back("index template " + config.index_prefix + " for " + config.index_prefix +
                        "-* (" + std::to_string(config.shards) + " shards, " +
                        std::to_string(config.replicas) + " replicas, refresh " +
                        config.refresh_interval + ")");
  return report;
}

bool parse_daily_index_name(const std::string& name, const std::string& prefix,
                            int64_t& day_start_ns) {
  std::string_view rest = name;
  if (rest.substr(0, prefix.size() + 1) != prefix + "-") return false;
  rest.remove_prefix(prefix.size() + 1);
  if (rest.substr(0, 8) == "packets-") rest.remove_prefix(8);
  // Exactly YYYY.MM.DD.
  if (rest.size() != 10 || rest[4] != '.' || rest[7] != '.') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  const int y = std::stoi(std::string(rest.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(rest.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(rest.substr(8, 2))));
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return false;
  day_start_ns = days_from_civil(y, m, d) * 24 * 3600 * base::kNsPerSec;
  return true;
}

base::Result<std::vector<DailyIndex>> list_daily_indices(EsClient& client,
                                                         const std::string& prefix) {
  auto r = client.get("/_cat/indices/" + prefix + "-*?format=json&h=index,docs.count");
  SNAPFLOW_TRY_STATUS(expect_2xx(r, "GET /_cat/indices"), "list indices");
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  if (parser.parse(r->body).get(arr) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat, "GET /_cat/indices: not a JSON array");
  }
  std::vector<DailyIndex> out;
  for (auto e : arr) {
    std::string_view name;
    if (e["index"].get(name) != simdjson::SUCCESS) continue;
    DailyIndex idx;
    idx.name = name;
    if (!parse_daily_index_name(idx.name, prefix, idx.day_start_ns)) continue;
    std::string_view count;
    if (e["docs.count"].get(count) == simdjson::SUCCESS && !count.empty()) {
      idx.documents = std::stoll(std::string(count));
    }
    out.push_back(std::move(idx));
  }
  std::sort(out.begin(), out.end(),
            [](const DailyIndex& a, const DailyIndex& b) { return a.name < b.name; });
  return out;
}

base::Result<std::vector<std::string>> prune_indices(EsClient& client, const std::string& prefix,
                                                     int64_t older_than_ns, int64_t now_ns,
                                                     bool dry_run) {
  auto indices = list_daily_indices(client, prefix);
  if (!indices.ok()) return std::move(indices).error();
  const int64_t day_ns = 24 * 3600 * base::kNsPerSec;
  std::vector<std::string> deleted;
  for (const auto& idx : *indices) {
    // The whole day must be older than the cutoff, not just its first nanosecond.
    if (idx.day_start_ns + day_ns > now_ns - older_than_ns) continue;
    if (!dry_run) {
      // One exact name per request: never a wildcard delete.
      auto r = client.send({"DELETE", "/" + idx.name, {}});
      if (r.ok() && r->status == 404) continue;  // deleted meanwhile
      SNAPFLOW_TRY_STATUS(expect_2xx(r, "DELETE /" + idx.name), "prune");
    }
    deleted.push_back(idx.name);
  }
  return deleted;
}

}  // namespace snapflow::indexer
