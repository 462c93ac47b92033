#include "snapflow/capture/daemon.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "cloud_sources.h"
#include "hardening.h"
#include "reload_signal.h"
#include "snapflow/base/stop_signals.h"
#include "snapflow/capture/api.h"
#include "snapflow/capture/capture_service.h"
#include "snapflow/capture/source.h"
#include "snapflow/capture/spooler.h"
#include "snapflow/ring/writer.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

ring::RingConfig ring_config(const CaptureConfig& c, uint16_t link_type) {
  ring::RingConfig r;
  r.dir = c.ring_dir;
  r.segment_bytes = c.segment_bytes;
  r.segment_count = static_cast<uint32_t>(c.ring_bytes / c.segment_bytes);
  r.policy =
      c.policy == RingPolicy::kBlock ? ring::RingPolicy::kBlock : ring::RingPolicy::kOverwrite;
  r.link_type = link_type;
  r.snaplen = c.snaplen;
  return r;
}

}  // namespace

base::Status run_daemon(const CaptureConfig& config, const base::Logger& log,
                        const ConfigReloader& reload) {
  // SIGTERM/SIGINT as events, blocked before any thread starts (base::StopSignals); SIGHUP
  // likewise (the forwarder's rules).
  auto signals = base::StopSignals::create();
  if (!signals) return std::move(signals).error();
  auto reload_signal = ReloadSignal::create();
  if (!reload_signal) return std::move(reload_signal).error();
  ::umask(077);
  if (auto st = empty_bounding_set(config); !st.ok()) return std::move(st).error();

  CloudRuntime cloud;  // outlives the spooler: the forwarder reads its rules
  auto sources = cloud.open_sources(config, log);
  if (!sources) return std::move(sources).error();
  const uint16_t link_type = sources->front()->link_type();
  for (const auto& s : *sources) {
    if (s->link_type() != link_type) {
      return make_error(ErrorCode::kUnsupported,
                        "sources have different link types; one ring holds one link type");
    }
  }

  auto writer = ring::RingWriter::open(ring_config(config, link_type));
  if (!writer) return std::move(writer).error().context("--ring-dir=" + config.ring_dir);
  log.info("ring " + config.ring_dir + ": " +
           std::to_string(config.ring_bytes / config.segment_bytes) + " segments of " +
           std::to_string(config.segment_bytes) + " bytes, " +
           ((*writer)->direct_io() ? "O_DIRECT" : "buffered") + " writes");

  CaptureStatus status(base::now_monotonic_ns());
  status.set_mode_fields([&cloud] { return cloud.status_fields(); });
  SpoolerOptions spool;
  spool.flush_interval_ns = config.flush_interval_ns;
  Spooler spooler(std::move(*sources), **writer, status, spool, log);
  auto service = CaptureService::open(**writer, &spooler, status, log);
  if (!service) return std::move(service).error();
  // Started before the sources run, so the capture holds every packet from the first one.
  if (!config.start_capture.empty()) {
    auto started = (*service)->start_capture(config.start_capture);
    if (!started) return std::move(started).error().context("--start-capture");
  }

  auto shutdown = [&](base::Status result) -> base::Status {
    auto stopped = spooler.stop();
    auto closed = (*writer)->close();
    if (!result.ok()) return result;
    if (!stopped.ok()) return stopped;
    return closed;
  };

  // Everything privileged is open or read (sources, ring, API settings): drop root before any
  // thread writes the ring or serves a request, so every ring file belongs to the user.
  auto api_options = config.api_enabled() ? api_options_from_config(config)
                                          : base::Result<ApiServerOptions>(ApiServerOptions{});
  if (!api_options) return std::move(api_options).error();
  if (auto st = drop_privileges(config, log); !st.ok()) return std::move(st).error();
  spooler.start();

  std::unique_ptr<ApiServer> api;
  std::string api_text = "off";
  if (config.api_enabled()) {
    auto server = ApiServer::start(*api_options, **service, log, &cloud);
    if (!server) return shutdown(std::move(server).error());
    api = std::move(*server);
    api_text = api_options->host + ":" + std::to_string(api->port());
    if (!api_options->require_auth) {
      log.warning("api: authentication is OFF (--api-insecure-no-auth)");
    }
  }
  // Every thread runs and every socket is open: from here on, the seccomp allow-list.
  if (auto st = apply_seccomp(config, log); !st.ok()) return shutdown(std::move(st).error());
  log.info("ready: api on " + api_text + ", ring " + config.ring_dir + ", source " + config.source);

  int signal_number = 0;
  int64_t next_horizon_ns = 0;
  while (signal_number == 0 && !spooler.has_failed()) {
    signal_number = signals->wait(200);
    if (reload_signal->pending()) {
      auto fresh = reload ? reload() : base::Result<CaptureConfig>(config);
      auto st = fresh ? cloud.reload_rules(*fresh, log) : base::Status(std::move(fresh).error());
      if (!st.ok()) log.error("SIGHUP: " + st.error().to_string() + " (nothing changed)");
    }
    if (const int64_t now = base::now_monotonic_ns(); now >= next_horizon_ns) {
      cloud.update_history_horizon((*writer)->layout());
      next_horizon_ns = now + 10 * base::kNsPerSec;
    }
  }
  if (signal_number != 0) log.info(std::string("stopping on ") + strsignal(signal_number));
  api.reset();  // no API request may outlive the service
  auto result = shutdown({});
  const StatusSnapshot final_status = status.snapshot(base::now_monotonic_ns());
  log.info("stopped: " + std::to_string(final_status.packets_captured) + " packets captured, " +
           std::to_string(final_status.packets_dropped) + " dropped, " +
           std::to_string(final_status.packets_received) + " received");
  if (std::string cloud_summary = cloud.summary(); !cloud_summary.empty()) {
    size_t start = 0;
    while (start < cloud_summary.size()) {
      const size_t end = std::min(cloud_summary.find('\n', start), cloud_summary.size());
      log.info(cloud_summary.substr(start, end - start));
      start = end + 1;
    }
  }
  return result;
}

}  // namespace snapflow::capture
