// ApiServer: starting and stopping libmicrohttpd in event-loop mode (one internal epoll thread),
// its worker and download slots, and the housekeeping thread that enforces the header deadline
// and writes the rate-limited summary lines. The request path is in api_dispatch.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>

#include "api_server_impl.h"
#include "snapflow/base/time.h"

namespace snapflow::capture {
namespace {

constexpr int64_t kHousekeepingPeriodNs = 250'000'000;
constexpr int64_t kSummaryIntervalNs = 10'000'000'000;
constexpr size_t kWorkerQueue = 64;
constexpr int64_t kShutdownDrainNs = 2'000'000'000;
// GnuTLS priorities: its defaults, TLS 1.2 and 1.3 only.
constexpr const char* kTlsPriorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

// libmicrohttpd's log callback hands us its own printf format and arguments. Its messages
// (timeouts, refused connections) are per connection, so they stay at debug level: the
// bounded summaries below are what an operator reads.
__attribute__((format(printf, 2, 0))) void log_mhd(void* cls, const char* format, va_list ap) {
  auto* log = static_cast<const base::Logger*>(cls);
  if (!log->enabled(base::LogLevel::kDebug)) return;
  char line[512];
  std::vsnprintf(line, sizeof line, format, ap);
  std::string text = line;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log->debug("api: " + text);
}

// One line per interval about connections the limits turned away, if any were.
std::string connection_summary(const ConnectionCounters& now, const ConnectionCounters& before) {
  const uint64_t per_address = now.refused_address_full - before.refused_address_full;
  const uint64_t full = now.refused_full - before.refused_full;
  const uint64_t evicted = now.evicted - before.evicted;
  const uint64_t deadline = now.header_deadline_closed - before.header_deadline_closed;
  if (per_address + full + evicted + deadline == 0) return {};
  return "api: in the last " + std::to_string(kSummaryIntervalNs / base::kNsPerSec) +
         " s: " + std::to_string(per_address) + " connections refused (per-address limit), " +
         std::to_string(full) + " refused (server full), " + std::to_string(evicted) +
         " idle unauthenticated connections evicted, " + std::to_string(deadline) +
         " closed at the header deadline";
}

void housekeeping(ApiServer::Impl& impl) {
  ConnectionCounters reported;
  int64_t next_summary_ns = base::now_monotonic_ns() + kSummaryIntervalNs;
  std::unique_lock lock(impl.housekeeping_mu);
  while (!impl.housekeeping_stop) {
    impl.housekeeping_cv.wait_for(lock, std::chrono::nanoseconds(kHousekeepingPeriodNs));
    const int64_t now = base::now_monotonic_ns();
    impl.connections->close_expired(now);
    if (std::string line = impl.throttle->take_summary(now); !line.empty()) {
      impl.log->warning(line);
    }
    if (now >= next_summary_ns) {
      const ConnectionCounters counters = impl.connections->counters();
      if (std::string line = connection_summary(counters, reported); !line.empty()) {
        impl.log->info(line);
      }
      reported = counters;
      next_summary_ns = now + kSummaryIntervalNs;
    }
  }
}

}  // namespace

base::Result<ApiServerOptions> api_options_from_config(const CaptureConfig& config) {
  auto listen = parse_listen_address(config.api_listen);
  if (!listen) return std::move(listen).error().context("--api-listen=" + config.api_listen);
  ApiServerOptions o;
  o.host = listen->host;
  o.port = listen->port;
  o.require_auth = !config.api_insecure_no_auth;
  o.credentials = config.credentials;
  o.max_connections = config.api_max_connections;
  o.per_ip_connections = config.api_per_ip_connections;
  o.header_timeout_s = config.api_header_timeout_s;
  o.timeout_s = config.api_timeout_s;
  o.max_downloads = config.api_max_downloads;
  o.max_header_bytes = config.api_max_header_bytes;
  o.retrieval.max_window_ns = config.api_max_window_ns;
  o.retrieval.max_filter_bytes = config.api_max_filter_bytes;
  o.retrieval.max_points = config.api_max_points;
  o.retrieval.max_split_rows = config.api_max_split_rows;
  if (!config.api_tls_cert.empty()) {
    auto tls = load_tls_material(config.api_tls_cert, config.api_tls_key);
    if (!tls) return std::move(tls).error();
    o.tls = std::move(*tls);
  }
  return o;
}

base::Result<std::unique_ptr<ApiServer>> ApiServer::start(const ApiServerOptions& options,
                                                          CaptureControl& control,
                                                          const base::Logger& log,
                                                          CloudControl* cloud) {
  auto impl = std::make_unique<Impl>(control);
  impl->context.cloud = cloud;
  impl->options = options;
  impl->log = &log;
  const std::string where = "api listen " + options.host + ":" + std::to_string(options.port);
  if (options.require_auth && !options.credentials.present()) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "auth required but no credentials")
        .context(where);
  }
  if (options.max_connections == 0 || options.per_ip_connections == 0 ||
      options.max_downloads == 0) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "connection limits must be >= 1")
        .context(where);
  }
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  sockaddr* addr = nullptr;
  // Event loop: one internal thread polling every socket with epoll; suspend/resume lets
  // handlers and downloads run on other threads without blocking it.
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG;
  if (inet_pton(AF_INET, options.host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(options.port);
    addr = reinterpret_cast<sockaddr*>(&v4);
  } else if (inet_pton(AF_INET6, options.host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(options.port);
    addr = reinterpret_cast<sockaddr*>(&v6);
    flags |= MHD_USE_IPv6;
  } else {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "host must be a numeric IPv4 or IPv6 address")
        .context(where);
  }

  const bool tls = !options.tls.cert_pem.empty();
  if (tls) flags |= MHD_USE_TLS;
  auto csrf = CsrfTokens::generate();
  if (!csrf) return std::move(csrf).error().context(where);
  impl->csrf = std::move(*csrf);
  impl->context.csrf = &*impl->csrf;
  impl->context.retrieval = &impl->options.retrieval;

  ConnectionLimits limits;
  limits.max_connections = options.max_connections;
  limits.per_address = options.per_ip_connections;
  limits.header_timeout_ns = static_cast<int64_t>(options.header_timeout_s) * base::kNsPerSec;
  impl->connections =
      std::make_unique<ConnectionTable>(limits, [](int fd) { ::shutdown(fd, SHUT_RDWR); });
  impl->throttle = std::make_unique<AuthThrottle>(options.auth_throttle);
  impl->worker = std::make_unique<Worker>(kWorkerQueue, impl->context);
  impl->downloads = std::make_unique<DownloadSlots>(
      options.max_downloads, options.download_piece_bytes, impl->context, log);

  // libmicrohttpd's own limit sits above ours: connections we evicted or expired are closed
  // by the event loop a moment later and still count for it until then.
  const unsigned hard_limit = options.max_connections + std::max(32u, options.max_connections / 4);
  impl->daemon = MHD_start_daemon(
      flags, options.port, &accept_policy, impl.get(), &on_request, impl.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &log_mhd, const_cast<base::Logger*>(&log), MHD_OPTION_SOCK_ADDR,
      addr, MHD_OPTION_CONNECTION_LIMIT, hard_limit,
      // Idle allowance of a request in progress (a download whose client stopped reading);
      // idle connections between requests are held to the header deadline by housekeeping.
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(options.timeout_s),
      // Request line and headers must fit this buffer (431/414 beyond it).
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(options.max_header_bytes),
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, impl.get(), MHD_OPTION_NOTIFY_CONNECTION,
      &on_connection, impl.get(),
      // TLS options last: with tls false, the first MHD_OPTION_END ends the list there.
      tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, impl->options.tls.cert_pem.c_str(),
      MHD_OPTION_HTTPS_MEM_KEY, impl->options.tls.key_pem.c_str(), MHD_OPTION_HTTPS_PRIORITIES,
      kTlsPriorities, MHD_OPTION_END);
  if (!impl->daemon) {
    const int err = errno;
    impl->downloads->stop();
    impl->worker->stop();
    return base::make_error(base::ErrorCode::kIo,
                            std::string("cannot start HTTP server: ") + std::strerror(err))
        .context(where);
  }
  impl->housekeeping = std::thread([p = impl.get()] { housekeeping(*p); });
  if (tls) {
    log.info("api: HTTPS (TLS 1.2/1.3) with certificate " + options.tls.subject);
  } else if (options.require_auth && !is_loopback_host(options.host)) {
    log.warning("api: Basic auth over plain HTTP on " + options.host +
                " (--api-insecure-plain-http): passwords cross the network in clear text");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  const uint16_t port = info ? info->port : options.port;
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl), port));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl, uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

ApiServer::~ApiServer() {
  if (!impl_) return;
  impl_->stopping.store(true);
  {
    std::lock_guard lock(impl_->housekeeping_mu);
    impl_->housekeeping_stop = true;
  }
  impl_->housekeeping_cv.notify_all();
  if (impl_->housekeeping.joinable()) impl_->housekeeping.join();
  const std::string last = impl_->throttle->take_summary(base::now_monotonic_ns(), true);
  if (!last.empty()) impl_->log->warning(last);
  // Every suspended connection must be resumed before MHD_stop_daemon: the slots cancel their
  // downloads (resuming parked connections) and answer or finish their handlers; the worker
  // finishes its call and answers the queued ones.
  impl_->downloads->stop();
  impl_->worker->stop();
  // Cancelled downloads first send the whole pieces already produced, then end (truncated
  // chunked transfer): wait a little for that, so a client that reads is cut on a record
  // boundary; a client that does not read is cut wherever it is when the wait ends.
  const int64_t drain_until = base::now_monotonic_ns() + kShutdownDrainNs;
  while (impl_->downloads->unfinished() > 0 && base::now_monotonic_ns() < drain_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  MHD_stop_daemon(impl_->daemon);
}

ApiServerCounters ApiServer::counters() const {
  ApiServerCounters c;
  c.connections = impl_->connections->counters();
  c.auth = impl_->throttle->counters();
  c.downloads_refused_busy = impl_->downloads_refused.load(std::memory_order_relaxed);
  c.downloads_started = impl_->downloads->started();
  c.worker_refused_busy = impl_->worker_refused.load(std::memory_order_relaxed);
  return c;
}

}  // namespace snapflow::capture
