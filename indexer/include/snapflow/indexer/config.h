// IndexerConfig: everything needed to reach a cluster and pace uploads, with its validation,
// command-line flags shared by snapflow-index and pcap2json (--es-*), credential loading and
// URL redaction for logs.
//
// Credentials never come from the command line (they would show in `ps`): they are read from
// SNAPFLOW_ES_USER / SNAPFLOW_ES_PASSWORD / SNAPFLOW_ES_API_KEY or from the file named by
// --es-credentials-file (lines `user=…`, `password=…`, `api_key=…`). URLs with user:pass@ are
// refused for the same reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/base/time.h"

namespace snapflow::indexer {

inline constexpr std::string_view kDefaultEsHost = "http://127.0.0.1:9200";

struct IndexerConfig {
  // ---- where ----
  std::vector<std::string> hosts;         ///< base URLs, scheme://host:port[/path], no trailing '/'
  std::string username;                   ///< basic auth (never logged)
  std::string password;                   ///< basic auth (never logged)
  std::string api_key;                    ///< "Authorization: ApiKey …" (never logged)
  std::string credentials_file;           ///< where credentials were read from (for messages)
  std::string ca_file;                    ///< PEM bundle to verify https servers
  bool insecure_skip_tls_verify = false;  ///< --es-insecure: accept any certificate

  // ---- pacing and backpressure ----
  size_t bulk_bytes = 8u << 20;                 ///< uncompressed bytes per bulk request
  int64_t flush_interval_ns = base::kNsPerSec;  ///< send a partial request after this long
  int max_in_flight = 2;                        ///< concurrent requests (sender threads)
  int queue_requests = 4;                       ///< sealed requests waiting for a sender
  int gzip_level = 1;                           ///< igzip level 0..3
  bool gzip = true;                             ///< Content-Encoding: gzip on request bodies

  // ---- timeouts and retries ----
  int64_t connect_timeout_ns = 5 * base::kNsPerSec;
  int64_t request_timeout_ns = 60 * base::kNsPerSec;
  int64_t retry_initial_ns = 100 * base::kNsPerMs;
  int64_t retry_max_ns = 10 * base::kNsPerSec;
  int64_t retry_total_ns = 5 * 60 * base::kNsPerSec;  ///< give up on a request after this long

  // ---- rejected documents ----
  std::string dead_letter_path = "snapflow-dead-letter.ndjson";

  // ---- index setup (snapflow-index setup / prune) ----
  std::string index_prefix = "snapflow";
  int shards = 1;
  int replicas = 1;
  std::string refresh_interval = "5s";
  int64_t retention_ns = 30 * 24 * 3600 * base::kNsPerSec;

  bool has_basic_auth() const { return !username.empty(); }
  bool has_api_key() const { return !api_key.empty(); }
};

// Checks every field; fills hosts with kDefaultEsHost when empty. Returns the first problem.
base::Status validate(IndexerConfig& config);

// Splits "a,b" and normalises each host: adds http:// when no scheme, :9200 when no port,
// strips a trailing '/'. Rejects other schemes, empty hosts and embedded credentials.
base::Result<std::string> normalize_host(std::string_view text);

// Reads credentials: the file when credentials_file is set, then the environment variables
// (which win over the file). Basic auth and an API key together are an error.
base::Status load_credentials(IndexerConfig& config);

// "https://user:secret@h:9200/x?api_key=y" -> "https://***@h:9200/x?***": safe to log.
std::string redact_url(std::string_view url);

// Parses one --es-* flag at argv[i] ("--es-host URL" or "--es-host=URL"). Returns how many
// argv entries it consumed: 0 when argv[i] is not an indexer flag (the caller handles it),
// 1 or 2 otherwise. Errors name the flag and the bad value.
base::Result<int> parse_indexer_flag(int argc, char** argv, int i, IndexerConfig& config);

// The --es-* flags' help text, one flag per line, for a program's --help.
std::string_view indexer_flags_help();

}  // namespace snapflow::indexer
