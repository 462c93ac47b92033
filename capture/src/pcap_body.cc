#include <cstring>

#include "snapflow/base/time.h"
#include "snapflow/capture/streaming_body.h"
#include "snapflow/pcap/writer.h"

namespace snapflow::capture {
namespace {
constexpr int64_t kPieceLatencyNs = 20'000'000;
}  // namespace

PcapBody::PcapBody(std::unique_ptr<RecordSource> source) : source_(std::move(source)) {}

base::Result<bool> PcapBody::next(std::vector<std::byte>& out, size_t target_bytes) {
  if (!header_sent_) {
    out.resize(pcap::kPcapFileHeaderBytes);
    pcap::encode_file_header(out.data(), source_->link_type(), source_->snaplen());
    header_sent_ = true;
  }
  const int64_t hand_over_ns = base::now_monotonic_ns() + kPieceLatencyNs;
  while (out.size() < target_bytes) {
    if (cancelled_.load(std::memory_order_relaxed)) {
      return base::make_error(base::ErrorCode::kCancelled, "download cancelled");
    }
    if (batch_next_ == batch_.records.size()) {
      if (source_done_) return false;
      // Sparse data (a narrow filter, a slow disk): what we have goes out now rather than
      // when the piece is full.
      if (!out.empty() && base::now_monotonic_ns() >= hand_over_ns) return true;
      auto more = source_->next_batch(batch_);
      if (!more) return std::move(more).error();
      batch_next_ = 0;
      if (!*more) {
        source_done_ = true;
        return false;
      }
      continue;
    }
    // Whole records only: this one goes in even if it overshoots target_bytes.
    const pcap::PacketRecord& r = batch_.records[batch_next_++];
    const size_t at = out.size();
    out.resize(at + pcap::kPcapRecordHeaderBytes + r.captured_length);
    pcap::encode_record_header(out.data() + at, r.ts_ns, r.captured_length, r.wire_length);
    std::memcpy(out.data() + at + pcap::kPcapRecordHeaderBytes, r.data, r.captured_length);
    ++records_sent_;
  }
  return true;
}

std::vector<std::string> PcapBody::trailer_names() const {
  return {"X-Snapflow-Records", "X-Snapflow-Records-Skipped"};
}

std::vector<HttpField> PcapBody::trailers() const {
  return {{"X-Snapflow-Records", std::to_string(records_sent_)},
          {"X-Snapflow-Records-Skipped", std::to_string(source_->skipped_records())}};
}

void PcapBody::cancel() {
  cancelled_.store(true, std::memory_order_relaxed);
  source_->cancel();
}

}  // namespace snapflow::capture
