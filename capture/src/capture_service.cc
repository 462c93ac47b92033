#include "snapflow/capture/capture_service.h"

#include <algorithm>
#include <cstring>

#include "snapflow/base/time.h"
#include "snapflow/pcap/writer.h"
#include "snapflow/ring/reader.h"

namespace snapflow::capture {
namespace {

constexpr int64_t kCommitWaitNs = base::kNsPerSec;
constexpr size_t kStreamBatchPackets = 1024;

// Re-encodes ring records [start, stop) as one PCAP byte stream. Whole records are staged in
// pending_ and handed out in pieces, so the HTTP layer never sees a torn record boundary
// except when it cuts the connection on an error.
class RingPcapStream final : public PcapStream {
 public:
  RingPcapStream(std::unique_ptr<ring::RingReader> reader, const ring::RingPosition& stop)
      : reader_(std::move(reader)), stop_packets_(stop.packets) {
    pending_.resize(pcap::kPcapFileHeaderBytes);
    pcap::encode_file_header(pending_.data(), reader_->layout().link_type,
                             reader_->layout().snaplen);
  }

  base::Result<size_t> read(std::byte* out, size_t max_bytes) override {
    while (offset_ == pending_.size()) {
      if (done_) return size_t{0};
      auto st = refill();
      if (!st.ok()) return std::move(st).error();
    }
    const size_t n = std::min(max_bytes, pending_.size() - offset_);
    std::memcpy(out, pending_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  base::Status refill() {
    pending_.clear();
    offset_ = 0;
    uint64_t index = reader_->position().packets;  // ring-wide number of the next record
    if (index >= stop_packets_) {
      done_ = true;
      return {};
    }
    auto status = reader_->next_batch(batch_, kStreamBatchPackets);
    if (!status) return std::move(status).error().context("read ring");
    switch (*status) {
      case ring::ReadStatus::kRecords:
        break;
      case ring::ReadStatus::kGap:  // overwritten: resume at the oldest surviving record
        return {};
      case ring::ReadStatus::kEnd:
      case ring::ReadStatus::kCancelled:
        done_ = true;
        return {};
    }
    for (const auto& r : batch_.records) {
      if (index++ >= stop_packets_) {
        done_ = true;
        break;
      }
      const size_t at = pending_.size();
      pending_.resize(at + pcap::kPcapRecordHeaderBytes + r.captured_length);
      pcap::encode_record_header(pending_.data() + at, r.ts_ns, r.captured_length, r.wire_length);
      std::memcpy(pending_.data() + at + pcap::kPcapRecordHeaderBytes, r.data, r.captured_length);
    }
    return {};
  }

  std::unique_ptr<ring::RingReader> reader_;
  uint64_t stop_packets_;
  pcap::PacketBatch batch_;
  std::vector<std::byte> pending_;
  size_t offset_ = 0;
  bool done_ = false;
};

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

base::Result<std::unique_ptr<PcapStream>> open_ring_stream(const std::string& ring_dir,
                                                           const ring::RingPosition& start,
                                                           const ring::RingPosition& stop) {
  ring::RingReaderOptions options;
  options.follow = false;
  auto reader = ring::RingReader::open(ring_dir, options);
  if (!reader) return std::move(reader).error().context("open ring " + ring_dir);
  (*reader)->seek(start);
  return std::unique_ptr<PcapStream>(new RingPcapStream(std::move(*reader), stop));
}

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

base::Result<std::unique_ptr<PcapStream>> CaptureService::open_capture(const std::string& name) {
  ring::RingPosition start, stop;
  {
    std::lock_guard lock(mu_);
    const auto* entry = catalog_.find(name);
    if (!entry) return base::make_error(base::ErrorCode::kNotFound, "no capture named " + name);
    start = entry->start;
    stop = entry->active ? writer_.committed_position() : entry->stop;
  }
  return open_ring_stream(writer_.layout().dir, start, stop);
}

}  // namespace snapflow::capture
