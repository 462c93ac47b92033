#include "search_test_support.h"

#include <simdjson.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "snapflow/base/time.h"

namespace snapflow::indexer::testing {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string flavour() {
  return env_or("SNAPFLOW_SEARCH_FLAVOUR", "opensearch");
}

int run_command(const std::string& command, std::string& output) {
  output.clear();
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) output.append(buf.data(), n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string run_script(const std::string& command, int& exit_code, const std::string& env) {
  const std::string script = env_or("SNAPFLOW_SOURCE_DIR", ".") + "/scripts/search-server.sh";
  std::string out;
  exit_code = run_command(env + " " + script + " " + command + " " + flavour(), out);
  return trim(out);
}

std::string server_url() {
  const std::string url = env_or("SNAPFLOW_SEARCH_URL", "");
  if (!url.empty()) return url;
  int rc = 0;
  std::string out = run_script("url", rc);
  if (rc != 0) throw std::runtime_error("search server not running: " + out);
  return out.substr(out.rfind('\n') + 1);
}

std::string snapflow_index_binary() {
  return env_or("SNAPFLOW_BINARY_DIR", ".") + "/indexer/snapflow-index";
}

std::string unique_prefix(const std::string& name) {
  return "sftest-" + name + "-" + std::to_string(::getpid());
}

GeneratedDocs generate_flow_docs(const std::string& prefix, uint64_t documents,
                                 uint64_t docs_per_batch, int days, uint64_t seed) {
  GeneratedDocs out;
  const int64_t day0 = 1'795'000'000LL / 86400 * 86400 * base::kNsPerSec;  // a day in 2026
  DocumentBatch batch;
  uint64_t sequence = 0;
  char ts[base::kRfc3339NsLength + 1];
  char day[11];
  for (uint64_t i = 0; i < documents; ++i) {
    const int64_t start_ns =
        day0 + static_cast<int64_t>(i % static_cast<uint64_t>(days)) * 86400 * base::kNsPerSec +
        static_cast<int64_t>(i / static_cast<uint64_t>(days)) * 100 * base::kNsPerMs;
    base::format_rfc3339_ns(start_ns, ts);
    ts[base::kRfc3339NsLength] = '\0';
    base::format_index_day(start_ns, day);
    day[10] = '\0';
    const uint64_t packets = 1 + (i * 7 + seed) % 50;
    const uint64_t bytes = packets * (60 + (i * 13) % 1400);
    out.bytes += bytes;
    out.packets += packets;
    batch.offsets.push_back(static_cast<uint32_t>(batch.body.size()));
    batch.body += "{\"create\":{\"_index\":\"" + prefix + "-" + day + "\",\"_id\":\"s" +
                  std::to_string(seed) + "-" + std::to_string(i) + "\"}}\n";
    batch.body += std::string("{\"@timestamp\":\"") + ts + "\",\"event\":{\"start\":\"" + ts +
                  "\",\"end\":\"" + ts +
                  "\",\"kind\":\"event\",\"dataset\":\"snapflow.flow\"},"
                  "\"snapflow\":{\"interval_ns\":100000000,\"flow_id\":\"" +
                  std::to_string(1000000 + i) +
                  "\"},\"observer\":{\"name\":\"probe-a\"},\"labels\":{\"capture\":\"itest\"},"
                  "\"source\":{\"ip\":\"10.0." +
                  std::to_string(i % 250) + "." + std::to_string(1 + i % 200) +
                  "\",\"port\":" + std::to_string(1024 + i % 60000) +
                  "},\"destination\":{\"ip\":\"2001:db8::" + std::to_string(i % 9000 + 1) +
                  "\",\"port\":443},\"network\":{\"type\":\"ipv4\",\"transport\":\"tcp\","
                  "\"iana_number\":\"6\",\"packets\":" +
                  std::to_string(packets) + ",\"bytes\":" + std::to_string(bytes) + "}}\n";
    if (batch.size() == docs_per_batch || i + 1 == documents) {
      batch.sequence = ++sequence;
      out.batches.push_back(std::move(batch));
      batch = DocumentBatch{};
    }
  }
  out.documents = documents;
  return out;
}

IndexTotals index_totals(EsClient& client, const std::string& prefix) {
  IndexTotals t;
  (void)client.send({"POST", "/" + prefix + "-*/_refresh", {}});
  auto r = client.send(
      {"POST", "/" + prefix + "-*/_search?filter_path=hits.total,aggregations",
       R"({"size":0,"track_total_hits":true,"aggs":{"b":{"sum":{"field":"network.bytes"}},"p":{"sum":{"field":"network.packets"}}}})"});
  if (!r.ok() || r->status != 200) return t;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(r->body).get(e) != simdjson::SUCCESS) return t;
  double b = -1, p = -1;
  if (e["hits"]["total"]["value"].get(t.count) != simdjson::SUCCESS) t.count = -1;
  if (e["aggregations"]["b"]["value"].get(b) == simdjson::SUCCESS)
    t.bytes = static_cast<int64_t>(b);
  if (e["aggregations"]["p"]["value"].get(p) == simdjson::SUCCESS) {
    t.packets = static_cast<int64_t>(p);
  }
  return t;
}

IndexerConfig test_config(const std::string& url, const std::string& prefix) {
  IndexerConfig c;
  c.hosts = {url};
  c.index_prefix = prefix;
  c.replicas = 0;
  c.refresh_interval = "1s";
  c.bulk_bytes = 256 * 1024;
  c.flush_interval_ns = 200 * base::kNsPerMs;
  c.dead_letter_path = "/tmp/" + prefix + "-dead-letter.ndjson";
  c.retry_max_ns = 2 * base::kNsPerSec;
  std::remove(c.dead_letter_path.c_str());
  return c;
}

}  // namespace snapflow::indexer::testing
