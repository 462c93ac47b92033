// EsClient: HTTP/1.1 requests to one of several Elasticsearch/OpenSearch hosts over libcurl,
// keeping one easy handle (and so one keep-alive connection) per host.
//
// Hosts are tried round-robin; a connection failure moves on to the next host within the same
// send and pauses the failed one (HostPool: 1 s doubling to 60 s) before it is tried again, so
// a cluster with one node down keeps working at full speed. Not thread-safe: each sender thread
// owns its own client (curl handles must not be shared between threads).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/indexer/config.h"
#include "snapflow/indexer/host_pool.h"

namespace snapflow::indexer {

struct HttpResponse {
  long status = 0;               ///< HTTP status code
  std::string body;              ///< response body (decoded)
  std::string host;              ///< redacted base URL of the host that answered
  bool elastic_product = false;  ///< X-elastic-product header seen (Elasticsearch, not OpenSearch)
};

struct HttpRequest {
  std::string_view method = "GET";  ///< GET, PUT, POST, DELETE, HEAD
  std::string_view path = "/";      ///< starts with '/', may carry a query string
  std::string_view body;            ///< sent as is (already gzip-compressed when gzipped)
  std::string_view content_type = "application/json";
  bool gzipped = false;  ///< adds Content-Encoding: gzip
};

// Whether a failed request may succeed if repeated (connection refused, timeout, reset) or
// will fail the same way (TLS verification, bad URL): decided from the curl error code and
// carried as ErrorCode::kUnavailable vs kRejected.
class EsClient {
 public:
  // config must be validated. The logger must outlive the client.
  static base::Result<std::unique_ptr<EsClient>> create(const IndexerConfig& config,
                                                        const base::Logger& logger,
                                                        size_t first_host = 0);
  ~EsClient();
  EsClient(const EsClient&) = delete;
  EsClient& operator=(const EsClient&) = delete;

  // Sends to the next host (HostPool); on a connection-level failure tries each other host
  // once. A host's first failure and its recovery are logged as warnings, naming it.
  // Any HTTP status is a successful Result (the caller interprets it); errors are
  // kUnavailable (no host answered; retry later) or kRejected (TLS or configuration).
  base::Result<HttpResponse> send(const HttpRequest& request);

  // Convenience for small JSON requests.
  base::Result<HttpResponse> get(std::string_view path) { return send({"GET", path, {}}); }

  size_t host_count() const;

 private:
  struct Host;
  EsClient(const IndexerConfig& config, const base::Logger& logger, size_t first_host);
  base::Result<HttpResponse> send_to(Host& host, const HttpRequest& request);

  const IndexerConfig& config_;
  const base::Logger& logger_;
  std::vector<std::unique_ptr<Host>> hosts_;
  HostPool pool_;
};

// error.type and error.reason of an Elasticsearch/OpenSearch error body
// ({"error":{"type":…,"reason":…},"status":…}); empty when the body is not one (e.g. a proxy's
// HTML page). Old servers' {"error":"text"} gives the text as the reason.
struct ServerError {
  std::string type;
  std::string reason;
};
ServerError read_server_error(std::string_view body);

// One line: "what: HTTP 401 from https://h:9200 (authentication failed: check the
// credentials): type: reason". A body that is not a server error (a proxy's HTML) is reduced to
// its text on one line; at most about 300 characters of it.
std::string describe_http_error(const HttpResponse& response, std::string_view what);

}  // namespace snapflow::indexer
