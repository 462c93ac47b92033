#include "snapflow/capture/capture_service.h"

#include "snapflow/base/time.h"
#include "snapflow/capture/ring_record_source.h"

namespace snapflow::capture {
namespace {

constexpr int64_t kCommitWaitNs = base::kNsPerSec;

CaptureInfo to_info(const ring::CaptureEntry& e, const ring::RingPosition& committed) {
  CaptureInfo info;
  info.name = e.name;
  const ring::RingPosition stop = e.active ? committed : e.stop;
  info.packets = stop.packets - e.start.packets;
  info.size_bytes = ring::kSegmentHeaderBytes + stop.record_bytes - e.start.record_bytes;
  info.start_ns = e.start_ns;
  info.stop_ns = e.stop_ns;
  info.active = e.active;
  return info;
}

}  // namespace

base::Result<std::unique_ptr<CaptureService>> CaptureService::open(ring::RingWriter& writer,
                                                                   Spooler* spooler,
                                                                   CaptureStatus& status,
                                                                   const base::Logger& log) {
  auto catalog = ring::CaptureCatalog::open(writer.layout().dir);
  if (!catalog) return std::move(catalog).error().context("open captures catalog");
  auto clamped = catalog->clamp_to(writer.committed_position(), writer.committed_last_ts_ns());
  if (!clamped) return std::move(clamped).error().context("repair captures catalog");
  if (*clamped > 0) {
    log.warning("captures catalog: " + std::to_string(*clamped) +
                " capture(s) ended at the recovered end of the ring (previous run stopped "
                "without capture_stop)");
  }
  auto service = std::unique_ptr<CaptureService>(
      new CaptureService(writer, spooler, status, log, std::move(*catalog)));
  if (const auto* active = service->catalog_.active()) status.set_capture(active->name, true);
  return service;
}

CaptureService::CaptureService(ring::RingWriter& writer, Spooler* spooler, CaptureStatus& status,
                               const base::Logger& log, ring::CaptureCatalog catalog)
    : writer_(writer),
      spooler_(spooler),
      status_(status),
      log_(log),
      catalog_(std::move(catalog)) {}

void CaptureService::commit_now() {
  if (!spooler_ || !spooler_->is_running()) return;
  const uint64_t target = spooler_->request_commit();
  if (!spooler_->wait_for_commit(target, kCommitWaitNs)) {
    log_.warning("capture: ring commit did not complete within 1 s; using the last commit");
  }
}

StatusSnapshot CaptureService::status() {
  return status_.snapshot(base::now_monotonic_ns());
}

base::Result<std::string> CaptureService::start_capture(const std::string& name) {
  if (!is_valid_stream_name(name)) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "invalid StreamName");
  }
  commit_now();
  std::lock_guard lock(mu_);
  if (const auto* active = catalog_.active()) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "capture " + active->name + " is already active; stop it first");
  }
  if (catalog_.find(name)) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "a capture named " + name + " already exists");
  }
  auto st = catalog_.start(name, writer_.committed_position(), base::now_realtime_ns());
  if (!st.ok()) return std::move(st).error().context("capture_start " + name);
  status_.set_capture(name, true);
  log_.info("capture " + name + " started");
  return "capture " + name + " started";
}

base::Result<std::string> CaptureService::stop_capture() {
  commit_now();
  std::lock_guard lock(mu_);
  const auto* active = catalog_.active();
  if (!active) return base::make_error(base::ErrorCode::kNotFound, "no capture is active");
  const std::string name = active->name;
  auto st = catalog_.stop(writer_.committed_position(), base::now_realtime_ns());
  if (!st.ok()) return std::move(st).error().context("capture_stop " + name);
  const auto* entry = catalog_.find(name);
  status_.set_capture(name, false);
  std::string message =
      "capture " + name + " stopped: " + std::to_string(entry ? entry->packets() : 0) + " packets";
  log_.info(message);
  return message;
}

std::vector<CaptureInfo> CaptureService::list_captures() {
  const ring::RingPosition committed = writer_.committed_position();
  std::lock_guard lock(mu_);
  std::vector<CaptureInfo> out;
  for (const auto& e : catalog_.list()) out.push_back(to_info(e, committed));
  return out;
}

base::Result<std::unique_ptr<RecordSource>> CaptureService::open_capture(const std::string& name) {
  ring::RingPosition start, stop;
  {
    std::lock_guard lock(mu_);
    const auto* entry = catalog_.find(name);
    if (!entry) return base::make_error(base::ErrorCode::kNotFound, "no capture named " + name);
    start = entry->start;
    stop = entry->active ? writer_.committed_position() : entry->stop;
  }
  return open_ring_records(writer_.layout().dir, start, stop);
}

base::Result<std::unique_ptr<extract::RingIndex>> CaptureService::open_ring_index() {
  return extract::RingIndex::open(writer_.layout().dir);
}

}  // namespace snapflow::capture
