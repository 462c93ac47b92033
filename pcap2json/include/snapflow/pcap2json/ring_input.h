// RingInput: pcap2json following the SSD ring (`--ring DIR [--consumer NAME] [--follow]`).
//
// Parts (docs/decisions/0005-document-identity.md). The ring is one endless stream, so the
// input cuts it into parts; no document counts packets of two parts, and a part's documents
// depend on its packets alone. A part begins:
//   - where this run starts (a new consumer's first record, or the committed cursor);
//   - at a checkpoint: the first record whose time reaches the next multiple of
//     checkpoint_ns after the part's largest time so far, or after max_part_records records
//     (decided by the data alone, so any run that starts at the same part start cuts there
//     too);
//   - after a gap (data overwritten before it was read);
//   - after the ring was idle for idle_close_ns, and where the consumer was stopped. These
//     depend on wall-clock time, so before the documents they finish can be sent, the part
//     start is written to the consumer's cursor file (ConsumerState::part_starts): a restart
//     cuts the same parts again.
// The pipeline commits the cursor only at part starts whose earlier documents are all
// acknowledged. A restart re-reads from there and rebuilds the same documents (the server
// answers 409 for those already stored, and the indexer checks they are identical), so kill -9
// and restart neither lose nor duplicate anything.
//
// Two consumers that export one ring under the same observer and capture would index every
// packet twice; the second is refused at open() with a message naming the first.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "snapflow/pcap2json/input.h"
#include "snapflow/pcap2json/snapshot_engine.h"
#include "snapflow/ring/cursor.h"
#include "snapflow/ring/reader.h"

namespace snapflow::pcap2json {

inline constexpr int64_t kDefaultCheckpointNs = 1'000'000'000;
inline constexpr uint64_t kDefaultMaxPartRecords = uint64_t{1} << 22;
inline constexpr int64_t kDefaultRingPollNs = 100'000'000;

// Graceful degradation (docs/decisions/0006-graceful-degradation.md): a follower whose unread
// backlog nears the ring's size aggregates its next parts more coarsely (fewer documents for
// a slow cluster to take), so it catches up before the ring overwrites what it has not read.
// Decided at part starts from the unread share of the ring, with hysteresis.
struct DegradeOptions {
  bool enabled = false;
  int64_t coarse_interval_ns = 0;  ///< 0: pcap2json's validate() picks 10 x the interval
  uint32_t top_n = 1000;           ///< flows kept per snapshot at the second level
  double coarse_at = 0.5;          ///< unread share of the ring that coarsens the interval
  double top_flows_at = 0.75;      ///< ... that also keeps only the top flows
  double full_below = 0.25;        ///< back to full resolution below this
};

struct RingInputOptions {
  std::string dir;
  std::string consumer;       ///< empty: read without a cursor (nothing saved)
  bool follow = false;        ///< keep waiting for new data, like tail -f
  bool start_at_end = false;  ///< a new consumer starts at the end instead of the oldest data
  std::string observer;       ///< what the documents are exported as (registration check)
  std::string capture;
  int64_t checkpoint_ns = kDefaultCheckpointNs;  ///< parts end at multiples of this time
  uint64_t max_part_records = kDefaultMaxPartRecords;
  /// follow: end the part (emit its snapshots) after this long without new data; 0 picks
  /// the snapshot interval + reorder window + 250 ms (validate() fills it in).
  int64_t idle_close_ns = 0;
  int64_t poll_timeout_ns = kDefaultRingPollNs;
  DegradeOptions degrade;
  /// A named consumer indexes an accounting sample this often (0: never), and one at its end.
  int64_t accounting_interval_ns = 1'000'000'000;
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

  // A restarted consumer's previous run may have delivered documents after the cursor
  // without committing them; if the ring has overwritten that data since, those documents and
  // this run's gap document would count the same packets. Documents name their first record
  // (`snapflow.record`), and the cursor is always a part start, so "the previous run's
  // documents after the cursor" are exactly those with a record number above it. A sink that
  // can delete them does so before this run writes anything and then calls
  // previous_documents_retracted(): this run counts everything from the cursor again, gaps
  // and accounting included (docs/decisions/0009-retraction-at-resume.md).
  struct ResumePoint {
    uint64_t after_record = 0;        ///< documents with a first record above this are retracted
    std::optional<int64_t> since_ns;  ///< none of them is older than this (unknown: unset)
  };
  std::optional<ResumePoint> resume_point() const;
  void previous_documents_retracted();

 private:
  RingInput(RingInputOptions options, std::unique_ptr<ring::RingReader> reader);
  base::Status check_registration() const;
  // Index of the first record of batch that must begin a new part (0 means the batch itself
  // begins one); batch.size() when none does. Updates the current part's state for the
  // records before it.
  size_t find_part_start(pcap::PacketBatch& batch);
  // Writes a part start the data does not show (idle, stop) to the cursor file.
  base::Status record_part_start(uint64_t record);
  // A part begins at `record`: picks its mode (as recorded by an earlier run, or by the
  // degradation policy) and records a new decision durably.
  base::Status begin_part(uint64_t record);
  PartMode choose_mode() const;
  double unread_fraction() const;
  // Accounting (docs/formats.md, "Accounting documents"): the counters now, and a sample of
  // the deltas since the last one, durable in the cursor file before it is handed out.
  struct AccountingTotals;
  base::Result<AccountingTotals> accounting_totals() const;
  base::Status sample_accounting(Pulled& pulled);
  void restore_accounting(std::vector<AccountingRecord>& resend);

  RingInputOptions options_;
  std::unique_ptr<ring::RingReader> reader_;
  ring::CursorStore cursors_;
  pcap::InputId input_id_{};  ///< the ring's id, as documents name it
  std::optional<ring::Cursor> resumed_from_;
  ring::RingPosition start_;  ///< where this run started, for progress
  InputProgress progress_;
  // The read stage records part starts and takes checkpoints while the deliver stage commits:
  // both go through mu_ (a few times a second, never per packet).
  std::mutex mu_;
  ring::ConsumerState state_;  ///< what the cursor file says (consumers only)
  // A checkpoint not yet committed: its token, the cursor, and the gaps counted up to it.
  struct PendingCheckpoint {
    uint64_t token = 0;
    ring::Cursor cursor;
    uint64_t overwritten_packets = 0;
    uint64_t overwritten_bytes = 0;
  };
  std::deque<PendingCheckpoint> pending_;
  uint64_t next_token_ = 0;
  /// Part starts a previous run recorded after the cursor, still ahead (read stage only).
  std::deque<ring::PartStart> replay_starts_;
  uint64_t replay_decided_through_ = 0;
  PartMode mode_;  ///< of the current part

  // The current part.
  bool part_open_ = false;     ///< it has records
  bool new_part_next_ = true;  ///< the next record begins a part
  int64_t part_max_ts_ns_ = 0;
  uint64_t part_begins_at_ = 0;
  uint64_t part_records_ = 0;
  bool read_anything_ = false;  ///< for gaps at the resume point
  int64_t last_data_mono_ns_ = 0;
  // Accounting: what the last sample counted (read stage; copied into state_ under mu_).
  int64_t next_sample_ns_ = 0;
  uint64_t overwritten_packets_ = 0;  ///< gaps seen by this consumer, ever
  uint64_t overwritten_bytes_ = 0;
  /// Ring position (packets, wire bytes) up to which samples have counted what was read.
  std::pair<uint64_t, uint64_t> accounted_through_{0, 0};
  /// This run counts from the cursor again (previous_documents_retracted()), not only past
  /// what earlier samples counted.
  bool recount_from_cursor_ = false;
  std::vector<AccountingRecord> resend_;  ///< the previous run's last sample, sent again
  bool sample_in_batch_ = false;          ///< the batch next() returned carries a sample
  /// The checkpoint token of the batch whose sample is not yet known delivered (0: none);
  /// set by the read stage, cleared by the deliver stage's commit.
  std::atomic<uint64_t> unacked_sample_token_{0};
};

}  // namespace snapflow::pcap2json
