// The --es-* command-line flags, shared by snapflow-index and pcap2json.
#include <string>

#include "snapflow/base/parse.h"
#include "snapflow/indexer/config.h"

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

namespace {

// Integers and sizes through the shared parsers (snapflow/base/parse.h: one suffix set for
// every program), with this file's messages.
base::Result<int64_t> parse_int(std::string_view flag, std::string_view value) {
  auto v = base::parse_int(value);
  if (!v.ok()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(flag) + ": '" + std::string(value) + "' is not an integer");
  }
  return *v;
}

// "8MB", "512k", "1048576": sizes in bytes with a binary K/M/G/T suffix (B or iB optional).
base::Result<int64_t> parse_bytes(std::string_view flag, std::string_view value) {
  auto n = base::parse_size_bytes(value);
  if (!n.ok() || *n > static_cast<uint64_t>(INT64_MAX)) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(flag) + ": '" + std::string(value) + "' is not a size");
  }
  return static_cast<int64_t>(*n);
}

base::Result<int64_t> parse_duration(std::string_view flag, std::string_view value) {
  auto d = base::parse_duration_ns(value);
  if (!d.ok()) return std::move(d).error().context(flag);
  return *d;
}

}  // namespace

base::Result<int> parse_indexer_flag(int argc, char** argv, int i, IndexerConfig& config) {
  std::string_view arg = argv[i];
  if (arg.substr(0, 5) != "--es-") return 0;
  std::string_view name = arg;
  std::string_view value;
  bool inline_value = false;
  if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
    name = arg.substr(0, eq);
    value = arg.substr(eq + 1);
    inline_value = true;
  }
  // Switches without a value.
  if (name == "--es-insecure") {
    if (inline_value)
      return make_error(ErrorCode::kInvalidArgument, "--es-insecure takes no value");
    config.insecure_skip_tls_verify = true;
    return 1;
  }
  if (name == "--es-no-gzip") {
    config.gzip = false;
    return 1;
  }
  static constexpr std::string_view kWithValue[] = {"--es-host",           "--es-credentials-file",
                                                    "--es-ca-file",        "--es-bulk-bytes",
                                                    "--es-flush-interval", "--es-in-flight",
                                                    "--es-queue",          "--es-gzip-level",
                                                    "--es-timeout",        "--es-connect-timeout",
                                                    "--es-retry-max-time", "--es-dead-letter",
                                                    "--es-index-prefix",   "--es-shards",
                                                    "--es-replicas",       "--es-refresh-interval",
                                                    "--es-retention"};
  bool known = false;
  for (auto k : kWithValue) known = known || k == name;
  if (!known) {
    return make_error(ErrorCode::kInvalidArgument, "unknown option " + std::string(name));
  }
  int used = 1;
  if (!inline_value) {
    if (i + 1 >= argc) {
      return make_error(ErrorCode::kInvalidArgument, std::string(name) + " needs a value");
    }
    value = argv[i + 1];
    used = 2;
  }
  auto set_int = [&](int& field, int64_t lo, int64_t hi) -> base::Status {
    auto v = parse_int(name, value);
    if (!v.ok()) return std::move(v).error();
    if (*v < lo || *v > hi) {
      return make_error(ErrorCode::kInvalidArgument, std::string(name) + " must be between " +
                                                         std::to_string(lo) + " and " +
                                                         std::to_string(hi));
    }
    field = static_cast<int>(*v);
    return base::ok_status();
  };
  auto set_duration = [&](int64_t& field) -> base::Status {
    auto v = parse_duration(name, value);
    if (!v.ok()) return std::move(v).error();
    field = *v;
    return base::ok_status();
  };
  base::Status st;
  if (name == "--es-host") {
    // Comma lists and repeats both add hosts.
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = value.find(',', start);
      const std::string_view one = value.substr(start, comma - start);
      auto h = normalize_host(one);
      if (!h.ok()) return std::move(h).error();
      config.hosts.push_back(std::move(*h));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  } else if (name == "--es-credentials-file") {
    config.credentials_file = value;
  } else if (name == "--es-ca-file") {
    config.ca_file = value;
  } else if (name == "--es-bulk-bytes") {
    auto v = parse_bytes(name, value);
    if (!v.ok()) return std::move(v).error();
    config.bulk_bytes = static_cast<size_t>(*v);
  } else if (name == "--es-flush-interval") {
    st = set_duration(config.flush_interval_ns);
  } else if (name == "--es-in-flight") {
    st = set_int(config.max_in_flight, 1, 64);
  } else if (name == "--es-queue") {
    st = set_int(config.queue_requests, 1, 1024);
  } else if (name == "--es-gzip-level") {
    st = set_int(config.gzip_level, 0, 3);
  } else if (name == "--es-timeout") {
    st = set_duration(config.request_timeout_ns);
  } else if (name == "--es-connect-timeout") {
    st = set_duration(config.connect_timeout_ns);
  } else if (name == "--es-retry-max-time") {
    st = set_duration(config.retry_total_ns);
  } else if (name == "--es-dead-letter") {
    config.dead_letter_path = value;
  } else if (name == "--es-index-prefix") {
    config.index_prefix = value;
  } else if (name == "--es-shards") {
    st = set_int(config.shards, 1, 1024);
  } else if (name == "--es-replicas") {
    st = set_int(config.replicas, 0, 16);
  } else if (name == "--es-refresh-interval") {
    config.refresh_interval = value;
  } else if (name == "--es-retention") {
    st = set_duration(config.retention_ns);
  }
  if (!st.ok()) return std::move(st).error();
  return used;
}

std::string_view indexer_flags_help() {
  return R"(Elasticsearch / OpenSearch:
  --es-host URL[,URL]        cluster node(s), repeatable; http:// or https://, default port 9200
                             (default http://127.0.0.1:9200). Round-robin with failover.
  --es-credentials-file PATH user=/password= or api_key= lines; or set SNAPFLOW_ES_USER and
                             SNAPFLOW_ES_PASSWORD, or SNAPFLOW_ES_API_KEY (never on the command line)
  --es-ca-file PATH          CA bundle (PEM) to verify https servers
  --es-insecure              do NOT verify TLS certificates (testing only)
  --es-bulk-bytes N          uncompressed bytes per bulk request (default 8M)
  --es-flush-interval D      send a partial bulk request after D (default 1s)
  --es-in-flight N           concurrent bulk requests (default 2)
  --es-queue N               sealed requests waiting before writers block (default 4)
  --es-gzip-level N          igzip level 0-3 (default 1); --es-no-gzip sends plain bodies
  --es-timeout D             per-request timeout (default 60s); --es-connect-timeout D (5s)
  --es-retry-max-time D      give up retrying a request after D (default 5m)
  --es-dead-letter PATH      NDJSON file for rejected documents (default snapflow-dead-letter.ndjson)
  --es-index-prefix P        daily indices P-YYYY.MM.DD (default snapflow)
  --es-shards N, --es-replicas N, --es-refresh-interval D, --es-retention D
                             index template settings and lifecycle (defaults 1, 1, 5s, 30d)
)";
}

}  // namespace snapflow::indexer
