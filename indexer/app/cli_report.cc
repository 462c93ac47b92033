// snapflow-index report: a short account of what the index holds, read back from the server:
// documents, packets and bytes, the busiest snapshot, the top talkers, and ring gaps.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cinttypes>
#include <cstdio>
#include <string>

#include "cli.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/query_dsl.h"

namespace snapflow::indexer::cli {
namespace {

using JsonOut = rapidjson::Writer<rapidjson::StringBuffer>;

// {"bool":{"filter":[{"term":{"event.dataset":D}}, {"term":{"labels.capture":C}}]}}
void write_filter(JsonOut& w, const char* dataset, const std::string& capture) {
  w.Key("query");
  w.StartObject();
  w.Key("bool");
  w.StartObject();
  w.Key("filter");
  w.StartArray();
  write_term(w, "event.dataset", dataset);
  if (!capture.empty()) write_term(w, "labels.capture", capture);
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

void write_sum(JsonOut& w, const char* name, const char* field) {
  w.Key(name);
  w.StartObject();
  w.Key("sum");
  w.StartObject();
  w.Key("field");
  w.String(field);
  w.EndObject();
  w.EndObject();
}

std::string flows_query(const std::string& capture) {
  rapidjson::StringBuffer buffer;
  JsonOut w(buffer);
  w.StartObject();
  w.Key("size");
  w.Int(0);
  w.Key("track_total_hits");
  w.Bool(true);
  write_filter(w, "snapflow.flow", capture);
  w.Key("aggs");
  w.StartObject();
  write_sum(w, "packets", "network.packets");
  write_sum(w, "bytes", "network.bytes");
  w.Key("talkers");
  w.StartObject();
  w.Key("terms");
  w.StartObject();
  w.Key("field");
  w.String("source.ip");
  w.Key("size");
  w.Int(5);
  w.Key("order");
  w.StartObject();
  w.Key("bytes");
  w.String("desc");
  w.EndObject();
  w.EndObject();
  w.Key("aggs");
  w.StartObject();
  write_sum(w, "bytes", "network.bytes");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

// The busiest snapshot comes from the totals documents: one per snapshot, already summed.
std::string busiest_query(const std::string& capture) {
  rapidjson::StringBuffer buffer;
  JsonOut w(buffer);
  w.StartObject();
  w.Key("size");
  w.Int(1);
  write_filter(w, "snapflow.totals", capture);
  w.Key("sort");
  w.StartArray();
  w.StartObject();
  w.Key("network.bytes");
  w.String("desc");
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

std::string gaps_query(const std::string& capture) {
  rapidjson::StringBuffer buffer;
  JsonOut w(buffer);
  w.StartObject();
  w.Key("size");
  w.Int(0);
  write_filter(w, "snapflow.gap", capture);
  w.Key("aggs");
  w.StartObject();
  write_sum(w, "packets", "network.packets");
  write_sum(w, "bytes", "network.bytes");
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

double number(simdjson::dom::element e) {
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) return d;
  int64_t i = 0;
  if (e.get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  return 0;
}

}  // namespace

int run_report(const Options& options, const base::Logger& logger) {
  auto client = EsClient::create(options.config, logger);
  if (!client.ok()) {
    logger.error(client.error().to_string());
    return kExitError;
  }
  EsClient& c = **client;
  const std::string pattern = "/" + options.config.index_prefix + "-*";
  // Make what was just indexed visible; harmless on a busy cluster (one refresh).
  (void)c.send({"POST", pattern + "/_refresh", {}});

  // One parser per answer: a simdjson parser's elements die with its next parse.
  simdjson::dom::parser parsers[3];
  int next_parser = 0;
  const auto search = [&](const std::string& body, const char* what,
                          simdjson::dom::element& out) -> bool {
    simdjson::dom::parser& parser = parsers[next_parser++];
    auto r = c.send({"POST", pattern + "/_search", body});
    if (!r.ok() || r->status != 200) {
      logger.error(r.ok() ? describe_http_error(*r, what) : r.error().to_string());
      return false;
    }
    if (parser.parse(r->body).get(out) != simdjson::SUCCESS) {
      logger.error(std::string(what) + ": unreadable answer from the server");
      return false;
    }
    return true;
  };

  simdjson::dom::element flows;
  if (!search(flows_query(options.capture), "flow totals", flows)) return kExitError;
  const double docs = number(flows["hits"]["total"]["value"]);
  const double packets = number(flows["aggregations"]["packets"]["value"]);
  const double bytes = number(flows["aggregations"]["bytes"]["value"]);
  std::printf("index %s-*%s%s\n", options.config.index_prefix.c_str(),
              options.capture.empty() ? "" : ", capture ", options.capture.c_str());
  std::printf("  flow documents   %.0f\n  packets          %.0f\n  bytes            %.0f\n", docs,
              packets, bytes);

  simdjson::dom::element busiest;
  if (!search(busiest_query(options.capture), "busiest snapshot", busiest)) return kExitError;
  simdjson::dom::array hits;
  if (busiest["hits"]["hits"].get(hits) == simdjson::SUCCESS && hits.size() > 0) {
    simdjson::dom::element top = hits.at(0)["_source"];
    std::string_view when = "?";
    if (top["@timestamp"].get(when) != simdjson::SUCCESS) when = "?";
    std::printf("  busiest snapshot %.*s: %.0f bytes, %.0f packets, %.1f Mbit/s\n",
                static_cast<int>(when.size()), when.data(), number(top["network"]["bytes"]),
                number(top["network"]["packets"]),
                number(top["snapflow"]["bits_per_second"]) / 1e6);
  }
  simdjson::dom::array talkers;
  if (flows["aggregations"]["talkers"]["buckets"].get(talkers) == simdjson::SUCCESS) {
    std::printf("  top talkers by bytes:\n");
    for (simdjson::dom::element b : talkers) {
      std::string_view ip = "?";
      if (b["key"].get(ip) != simdjson::SUCCESS) ip = "?";
      std::printf("    %-40.*s %14.0f bytes\n", static_cast<int>(ip.size()), ip.data(),
                  number(b["bytes"]["value"]));
    }
  }
  simdjson::dom::element gaps;
  if (!search(gaps_query(options.capture), "gaps", gaps)) return kExitError;
  const double lost = number(gaps["aggregations"]["packets"]["value"]);
  if (lost > 0) {
    std::printf("  lost in ring gaps %.0f packets, %.0f bytes\n", lost,
                number(gaps["aggregations"]["bytes"]["value"]));
  }
  return kExitOk;
}

}  // namespace snapflow::indexer::cli
