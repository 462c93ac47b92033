#include "snapflow/pcap2json/ring_input.h"

#include "snapflow/base/time.h"

namespace snapflow::pcap2json {

RingInput::RingInput(RingInputOptions options, std::unique_ptr<ring::RingReader> reader)
    : options_(std::move(options)), reader_(std::move(reader)), cursors_(options_.dir) {}

base::Result<std::unique_ptr<RingInput>> RingInput::open(const RingInputOptions& options) {
  const std::string where = "--ring " + options.dir;
  if (!options.consumer.empty() && !ring::is_valid_name(options.consumer)) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "--consumer: '" + options.consumer +
                                "' must be 1-64 of A-Z a-z 0-9 _ . - and not start with '.'");
  }
  ring::RingReaderOptions reader_options;
  reader_options.follow = options.follow;
  reader_options.follow_timeout_ns = options.follow ? options.poll_timeout_ns : -1;
  auto reader = ring::RingReader::open(options.dir, reader_options);
  if (!reader.ok()) return std::move(reader).error().context(where);
  std::unique_ptr<RingInput> input(new RingInput(options, std::move(*reader)));
  if (!options.consumer.empty()) {
    auto saved = input->cursors_.load(options.consumer);
    if (!saved.ok()) return std::move(saved).error().context("load cursor " + options.consumer);
    input->resumed_from_ = *saved;
  }
  if (input->resumed_from_) {
    input->reader_->seek(*input->resumed_from_);
  } else if (options.start_at_end) {
    SNAPFLOW_TRY_STATUS(input->reader_->seek_end(), where);
  }
  input->start_ = input->reader_->position();
  if (!options.consumer.empty() && !input->resumed_from_) {
    // Saving at once registers the consumer, so the block policy waits for it from now on.
    SNAPFLOW_TRY_STATUS(input->cursors_.save(options.consumer, input->reader_->cursor()),
                        "register consumer " + options.consumer);
  }
  return input;
}

base::Result<Pulled> RingInput::next(pcap::PacketBatch& batch, size_t max_packets) {
  Pulled pulled;
  auto status = reader_->next_batch(batch, max_packets);
  if (!status.ok()) return std::move(status).error().context("read --ring " + options_.dir);
  switch (*status) {
    case ring::ReadStatus::kRecords:
      pulled.packets = batch.size();
      // The reader's position carries ring-wide running totals: no per-packet counting.
      // (since the ring was created: measured from where this run started).
      progress_.packets = reader_->position().packets - start_.packets;
      progress_.bytes = reader_->position().wire_bytes - start_.wire_bytes;
      progress_.input_bytes = reader_->position().record_bytes - start_.record_bytes;
      break;
    case ring::ReadStatus::kGap: {
      const ring::Gap& gap = reader_->last_gap();
      pulled.gaps.push_back({gap.start_ns, gap.end_ns, gap.packets, gap.wire_bytes});
      break;
    }
    case ring::ReadStatus::kEnd:
      if (options_.follow) {
        pulled.idle_ns = base::now_realtime_ns() - options_.idle_lag_ns;
      } else {
        pulled.end = true;
      }
      break;
    case ring::ReadStatus::kCancelled:
      // Open snapshots are not flushed: the next run re-reads their packets from the cursor
      // and emits them whole (emitting them now would make later parts collide on their ids).
      pulled.end = true;
      pulled.flush_at_end = false;
      break;
  }
  return pulled;
}

uint64_t RingInput::checkpoint() {
  const uint64_t token = ++next_token_;
  if (!options_.consumer.empty()) pending_.emplace_back(token, reader_->cursor());
  return token;
}

base::Status RingInput::commit(uint64_t token) {
  if (options_.consumer.empty()) return base::ok_status();
  std::optional<ring::Cursor> cursor;
  while (!pending_.empty() && pending_.front().first <= token) {
    cursor = pending_.front().second;
    pending_.pop_front();
  }
  if (!cursor) return base::ok_status();
  return cursors_.save(options_.consumer, *cursor);
}

}  // namespace snapflow::pcap2json
