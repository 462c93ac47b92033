// RingInput: pcap2json following the SSD ring (`--ring DIR [--consumer NAME] [--follow]`).
//
// Reads from the consumer's saved cursor (or the oldest data, or the end with
// start_at_end), reports overruns as gaps, and in follow mode reports idleness every
// poll_timeout so snapshots close even when traffic stops. commit() saves the consumer cursor
// durably (write, fsync, rename); the pipeline calls it only for positions before which every
// document is acknowledged, so a kill -9 and restart neither loses nor duplicates anything.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "snapflow/pcap2json/input.h"
#include "snapflow/ring/cursor.h"
#include "snapflow/ring/reader.h"

namespace snapflow::pcap2json {

inline constexpr int64_t kDefaultIdleLagNs = 2'000'000'000;
inline constexpr int64_t kDefaultRingPollNs = 250'000'000;

struct RingInputOptions {
  std::string dir;
  std::string consumer;       ///< empty: read without a cursor (nothing saved)
  bool follow = false;        ///< keep waiting for new data, like tail -f
  bool start_at_end = false;  ///< a new consumer starts at the end instead of the oldest data
  int64_t idle_lag_ns = kDefaultIdleLagNs;  ///< idle: snapshots older than now - lag close
  int64_t poll_timeout_ns = kDefaultRingPollNs;
};

class RingInput final : public PacketInput {
 public:
  static base::Result<std::unique_ptr<RingInput>> open(const RingInputOptions& options);

  base::Result<Pulled> next(pcap::PacketBatch& batch, size_t max_packets) override;
  uint64_t checkpoint() override;
  base::Status commit(uint64_t token) override;
  void cancel() override { reader_->cancel(); }
  InputProgress progress() const override { return progress_; }

  // The cursor the consumer resumed from (nullopt for a new consumer).
  const std::optional<ring::Cursor>& resumed_from() const { return resumed_from_; }

 private:
  RingInput(RingInputOptions options, std::unique_ptr<ring::RingReader> reader);

  RingInputOptions options_;
  std::unique_ptr<ring::RingReader> reader_;
  ring::CursorStore cursors_;
  std::optional<ring::Cursor> resumed_from_;
  ring::RingPosition start_;                               ///< where this run started, for progress
  std::deque<std::pair<uint64_t, ring::Cursor>> pending_;  ///< checkpoints not yet committed
  uint64_t next_token_ = 0;
  InputProgress progress_;
};

}  // namespace snapflow::pcap2json
