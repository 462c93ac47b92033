// The capture HTTP API (DESIGN.md §5, docs/capture.md): routes, and the server that carries them.
//
// Routes are rows of one table (api_routes.cc): a path, where the handler runs, whether it
// changes state, and a handler that is a plain function of (ApiRequest, ApiContext) returning
// an ApiResponse: a small body, or a StreamingBody (streaming_body.h) for downloads. Handlers
// validate their own query parameters (400 with a one-line reason) and never see HTTP details.
//
// ApiServer (api_server.cc and the api_*.cc beside it) is libmicrohttpd in event-loop mode: one
// internal thread polls every socket with epoll, so an idle or slow client costs a socket and a
// small buffer, never a thread. Work that may block never runs on that thread:
//   * RouteRuns::kEventLoop handlers answer from memory (status, the captures list);
//   * RouteRuns::kWorker handlers (capture_start/stop wait up to a second for a ring commit) run
//     on the API's worker thread, one at a time, while their connection is suspended;
//   * RouteRuns::kDownloadSlot handlers run on one of api-max-downloads download slots, which
//     then produce the StreamingBody piece by piece (503 when all slots are busy).
// Before a handler runs, the server has checked, in this order: the connection limits (at
// accept; api_limits.h), the header deadline, the method and the absence of a request body,
// the per-address authentication rate limit (auth_throttle.h), Basic credentials (auth.h), and
// for routes that change state the browser rules (api_security.h: no cross-site requests; POST
// needs an X-CSRF-Token). Every answer carries the security headers of api_security.h. HTTPS
// (api_tls.h) is libmicrohttpd's GnuTLS.
//
// To add an endpoint: write the handler beside the others (api_handlers.h declares them), add a
// row to the table in api_routes.cc choosing where it runs, document it in docs/capture.md.
// A new download: see streaming_body.h. A new CaptureControl method: implement it in
// CaptureService (ring-backed) and in the tests' in-memory control.
//
// Errors are answered, never thrown: 400 malformed request, 401 credentials, 403 cross-site
// state change or bad CSRF token, 404 unknown path or capture, 405 method, 413 request body,
// 429 too many authentication failures, 503 busy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/api_limits.h"
#include "snapflow/capture/api_tls.h"
#include "snapflow/capture/auth_throttle.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/status.h"
#include "snapflow/capture/streaming_body.h"
#include "snapflow/extract/bandwidth.h"
#include "snapflow/extract/ring_index.h"

namespace snapflow::capture {

struct CaptureInfo {
  std::string name;
  uint64_t size_bytes = 0;  ///< bytes of the PCAP /pcap/single would serve
  uint64_t packets = 0;
  int64_t start_ns = 0;
  int64_t stop_ns = 0;  ///< 0 while active
  bool active = false;
};

// What the API may do to the daemon. Implementations are thread-safe: the event loop, the
// worker and the download slots call them concurrently with the capture and ring threads.
class CaptureControl {
 public:
  virtual ~CaptureControl() = default;
  virtual StatusSnapshot status() = 0;
  // Starts a named capture at the ring's current write position; error if one is active or the
  // name exists. The string is the success message. May block (ring commit).
  virtual base::Result<std::string> start_capture(const std::string& name) = 0;
  virtual base::Result<std::string> stop_capture() = 0;
  virtual std::vector<CaptureInfo> list_captures() = 0;
  // The records of a named capture; kNotFound when no capture has that name. Blocks on I/O.
  // Served by /pcap/single only when the control has no ring (open_ring_index below).
  virtual base::Result<std::unique_ptr<RecordSource>> open_capture(const std::string& name) = 0;
  // Read-only access to the ring for retrieval (/pcap/splittime, /pcap/single, /plain/split,
  // /ring/bandwidth): a new index per request, which takes no lock and reads only committed
  // data (extract/ring_index.h). The default is kUnavailable: a control without a ring (the
  // API's in-memory test doubles).
  virtual base::Result<std::unique_ptr<extract::RingIndex>> open_ring_index();
};

// Bounds of the retrieval endpoints (docs/capture.md "Retrieval over HTTP"), from the api-max-*
// settings: what one request may ask for. Concurrency is bounded by the download slots.
struct RetrievalLimits {
  int64_t max_window_ns = kDefaultApiMaxWindowNs;  ///< Stop - Start of /pcap/splittime (0: none)
  size_t max_filter_bytes = kDefaultApiMaxFilterBytes;  ///< Filter= and FilterBPF= text
  uint32_t max_points = kDefaultApiMaxPoints;           ///< /ring/bandwidth Points=
  size_t max_split_rows = kDefaultApiMaxSplitRows;      ///< rows of one /plain/split answer
  // /ring/bandwidth: record bytes it may read to make its boundaries exact (bandwidth.h).
  uint64_t exact_scan_bytes = extract::kDefaultExactScanBytes;
};

struct ApiRequest {
  std::string method;                                     ///< "GET", "HEAD" or "POST"
  std::string path;                                       ///< decoded path, without the query
  std::vector<std::pair<std::string, std::string>> args;  ///< decoded query, in order
  std::string user;           ///< the authenticated user ("" when authentication is off)
  std::string if_none_match;  ///< the If-None-Match header (static assets), "" if absent
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;                       ///< used when stream is null
  std::unique_ptr<StreamingBody> stream;  ///< streamed body (kDownloadSlot routes only)
  std::string download_name;              ///< Content-Disposition file name, if any
  std::vector<HttpField> headers;         ///< further response headers (Retry-After, ...)
};

class CsrfTokens;
class CloudControl;  // cloud_control.h

// What a handler may reach.
struct ApiContext {
  CaptureControl& control;
  const CsrfTokens* csrf = nullptr;            ///< set by the server (GET /sysmaster/csrf_token)
  const RetrievalLimits* retrieval = nullptr;  ///< set by the server; null: the defaults
  CloudControl* cloud = nullptr;  ///< the forwarder / mirror target (/forward/*, /mirror/*)
};

enum class RouteRuns {
  kEventLoop,     ///< answers from memory, in microseconds
  kWorker,        ///< may block (locks, disk, commits): the worker thread, one at a time
  kDownloadSlot,  ///< opens and streams a body: a download slot (api-max-downloads)
};

struct ApiRoute {
  std::string_view path;  ///< exact path; one ending in '/' also matches every path under it
  RouteRuns runs;
  bool changes_state;  ///< capture_start/stop and the like (browser cross-site rules apply)
  ApiResponse (*handler)(const ApiRequest&, ApiContext&);
};

std::span<const ApiRoute> api_routes();
const ApiRoute* find_route(std::string_view path);  ///< null for an unknown path

// [A-Za-z0-9._-]{1,64}, not starting with '.': safe as a file name and in URLs.
bool is_valid_stream_name(std::string_view name);

// Runs the route's handler on the calling thread (404/405 for unknown paths or methods). The
// server does the same after its HTTP-level checks, on the thread the route asks for.
ApiResponse handle_request(const ApiRequest& request, ApiContext& context);

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8480;
  bool require_auth = true;
  Credentials credentials;
  uint32_t max_connections = kDefaultApiMaxConnections;
  uint32_t per_ip_connections = kDefaultApiPerIpConnections;
  uint32_t header_timeout_s = kDefaultApiHeaderTimeoutS;
  uint32_t timeout_s = kDefaultApiTimeoutS;
  uint32_t max_downloads = kDefaultApiMaxDownloads;
  uint32_t max_header_bytes = kDefaultApiMaxHeaderBytes;
  size_t download_piece_bytes = 256 * 1024;  ///< a slot's unit of production (two per slot)
  RetrievalLimits retrieval;
  AuthThrottleOptions auth_throttle;
  TlsMaterial tls;  ///< HTTPS when tls.cert_pem is set (load_tls_material)
};

// Derives server options from a validated config; reads and checks the TLS files if given.
base::Result<ApiServerOptions> api_options_from_config(const CaptureConfig& config);

struct ApiServerCounters {
  ConnectionCounters connections;
  AuthThrottleCounters auth;
  uint64_t downloads_refused_busy = 0;  ///< 503: every download slot was busy
  uint64_t downloads_started = 0;
  uint64_t worker_refused_busy = 0;  ///< 503: the worker's queue was full
};

// Owns the libmicrohttpd daemon and the API's threads (event loop, worker, download slots,
// housekeeping). start() binds and returns once listening. The destructor stops accepting,
// cancels running downloads (their clients see a truncated transfer) and joins every thread.
// control (and cloud, when given) must outlive the server.
class ApiServer {
 public:
  static base::Result<std::unique_ptr<ApiServer>> start(const ApiServerOptions& options,
                                                        CaptureControl& control,
                                                        const base::Logger& log,
                                                        CloudControl* cloud = nullptr);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;
  uint16_t port() const { return port_; }  ///< the bound port (useful with port 0)
  ApiServerCounters counters() const;

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

}  // namespace snapflow::capture
