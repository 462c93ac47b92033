// ExtractBody: a ring download's body on a download slot (retrieval.h), and the default
// CaptureControl::open_ring_index() of controls without a ring.
#include "retrieval.h"
#include "snapflow/base/time.h"

namespace snapflow::capture {
namespace {

// Record bytes one Extractor call may read: about one read batch (1 MiB).
constexpr uint64_t kScanPerCallBytes = uint64_t{1} << 20;
// What a piece holds is handed over after this long, full or not (the PcapBody rule).
constexpr int64_t kPieceLatencyNs = 20'000'000;

}  // namespace

base::Result<std::unique_ptr<extract::RingIndex>> CaptureControl::open_ring_index() {
  return base::make_error(base::ErrorCode::kUnavailable,
                          "this server has no ring to retrieve from");
}

ExtractBody::ExtractBody(std::unique_ptr<extract::Extractor> extractor)
    : extractor_(std::move(extractor)) {}

base::Result<bool> ExtractBody::next(std::vector<std::byte>& out, size_t target_bytes) {
  const int64_t hand_over_ns = base::now_monotonic_ns() + kPieceLatencyNs;
  while (true) {
    if (cancelled_.load(std::memory_order_relaxed)) {
      return base::make_error(base::ErrorCode::kCancelled, "download cancelled");
    }
    const size_t want = target_bytes > out.size() ? target_bytes - out.size() : 1;
    auto more = extractor_->next_piece(out, want, kScanPerCallBytes);
    if (!more.ok()) return std::move(more).error();
    if (!*more || out.size() >= target_bytes) return *more;
    if (!out.empty() && base::now_monotonic_ns() >= hand_over_ns) return true;
  }
}

std::vector<std::string> ExtractBody::trailer_names() const {
  return {"X-Snapflow-Records", "X-Snapflow-Records-Skipped"};
}

std::vector<HttpField> ExtractBody::trailers() const {
  const extract::ExtractStats& stats = extractor_->stats();
  return {{"X-Snapflow-Records", std::to_string(stats.packets)},
          {"X-Snapflow-Records-Skipped", std::to_string(stats.lost_packets)}};
}

void ExtractBody::cancel() {
  cancelled_.store(true, std::memory_order_relaxed);
}

}  // namespace snapflow::capture
