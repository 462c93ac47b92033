#include "snapflow/capture/ring_record_source.h"

#include <algorithm>

#include "snapflow/ring/reader.h"

namespace snapflow::capture {
namespace {

constexpr size_t kBatchPackets = 1024;

class RingRecordSource final : public RecordSource {
 public:
  RingRecordSource(std::unique_ptr<ring::RingReader> reader, const ring::RingPosition& stop)
      : reader_(std::move(reader)), stop_packets_(stop.packets) {}

  uint16_t link_type() const override { return reader_->layout().link_type; }
  uint32_t snaplen() const override { return reader_->layout().snaplen; }
  uint64_t skipped_records() const override { return skipped_; }
  void cancel() override { reader_->cancel(); }

  base::Result<bool> next_batch(pcap::PacketBatch& batch) override {
    batch.clear();
    const uint64_t first = reader_->position().packets;  // ring-wide number of the next record
    if (first >= stop_packets_) return false;
    auto status = reader_->next_batch(batch, kBatchPackets);
    if (!status) return std::move(status).error().context("read ring");
    switch (*status) {
      case ring::ReadStatus::kRecords:
        break;
      case ring::ReadStatus::kGap:        // overwritten: resume at the oldest surviving record
      case ring::ReadStatus::kCorrupt: {  // damaged (checksums): resume after the damage
        const uint64_t resumed = std::min(reader_->position().packets, stop_packets_);
        skipped_ += resumed > first ? resumed - first : 0;
        return true;
      }
      case ring::ReadStatus::kEnd:  // the committed end came before stop: nothing more exists
        return false;
      case ring::ReadStatus::kCancelled:
        return base::make_error(base::ErrorCode::kCancelled, "download cancelled");
    }
    if (first + batch.records.size() > stop_packets_) {
      batch.records.resize(static_cast<size_t>(stop_packets_ - first));
    }
    return true;
  }

 private:
  std::unique_ptr<ring::RingReader> reader_;
  uint64_t stop_packets_;
  uint64_t skipped_ = 0;
};

}  // namespace

base::Result<std::unique_ptr<RecordSource>> open_ring_records(const std::string& ring_dir,
                                                              const ring::RingPosition& start,
                                                              const ring::RingPosition& stop) {
  ring::RingReaderOptions options;
  options.follow = false;
  auto reader = ring::RingReader::open(ring_dir, options);
  if (!reader) return std::move(reader).error().context("open ring " + ring_dir);
  (*reader)->seek(start);
  return std::unique_ptr<RecordSource>(new RingRecordSource(std::move(*reader), stop));
}

}  // namespace snapflow::capture
