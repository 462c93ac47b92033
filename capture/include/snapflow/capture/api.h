// The capture HTTP API (DESIGN.md §5): routes, kept apart from the HTTP server that carries them.
//
// handle_request() is a pure function of (request, CaptureControl): it validates the path and
// query, and answers with a small body or a PcapStream. ApiServer (api_server.cc) is the
// libmicrohttpd wiring: listening socket, connection limits, Basic authentication, and turning a
// PcapStream into a chunked response read on the connection's own thread.
//
// Errors are answered, never thrown: 400 with a one-line reason for a malformed request
// (unknown or repeated parameter, bad StreamName), 404 for an unknown path or capture, 405 for
// a method other than GET/HEAD, 401 for missing or wrong credentials.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/status.h"

namespace snapflow::capture {

// A sequential reader of one PCAP byte stream (file header, then whole records only).
// read() blocks on disk I/O only; returns 0 at the end. One reader per connection thread.
class PcapStream {
 public:
  virtual ~PcapStream() = default;
  virtual base::Result<size_t> read(std::byte* out, size_t max_bytes) = 0;
};

struct CaptureInfo {
  std::string name;
  uint64_t size_bytes = 0;  ///< bytes of the PCAP /pcap/single would serve
  uint64_t packets = 0;
  int64_t start_ns = 0;
  int64_t stop_ns = 0;  ///< 0 while active
  bool active = false;
};

// What the API may do to the daemon. Implementations are thread-safe: API threads call them
// concurrently with the capture and ring writer threads.
class CaptureControl {
 public:
  virtual ~CaptureControl() = default;
  virtual StatusSnapshot status() = 0;
  // Starts a named capture at the ring's current write position; error if one is active or the
  // name exists. The string is the success message.
  virtual base::Result<std::string> start_capture(const std::string& name) = 0;
  virtual base::Result<std::string> stop_capture() = 0;
  virtual std::vector<CaptureInfo> list_captures() = 0;
  // kNotFound when no capture has that name.
  virtual base::Result<std::unique_ptr<PcapStream>> open_capture(const std::string& name) = 0;
};

struct ApiRequest {
  std::string method;                                     ///< "GET", "HEAD", ...
  std::string path;                                       ///< decoded path, without the query
  std::vector<std::pair<std::string, std::string>> args;  ///< decoded query, in order
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;                    ///< used when stream is null
  std::unique_ptr<PcapStream> stream;  ///< streamed body (application/vnd.tcpdump.pcap)
  std::string download_name;           ///< Content-Disposition file name, if any
};

// [A-Za-z0-9._-]{1,64}, not starting with '.': safe as a file name and in URLs.
bool is_valid_stream_name(std::string_view name);

ApiResponse handle_request(const ApiRequest& request, CaptureControl& control);

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8480;
  bool require_auth = true;
  Credentials credentials;
  uint32_t max_connections = kDefaultApiMaxConnections;
  uint32_t per_ip_connections = kDefaultApiPerIpConnections;
  uint32_t timeout_s = kDefaultApiTimeoutS;
};

// Derives server options from a validated config.
base::Result<ApiServerOptions> api_options_from_config(const CaptureConfig& config);

// Owns the libmicrohttpd daemon (its own threads). start() binds and returns once listening;
// the destructor stops accepting and waits for connection threads. control must outlive it.
class ApiServer {
 public:
  static base::Result<std::unique_ptr<ApiServer>> start(const ApiServerOptions& options,
                                                        CaptureControl& control,
                                                        const base::Logger& log);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;
  uint16_t port() const { return port_; }  ///< the bound port (useful with port 0)

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_;
};

}  // namespace snapflow::capture
