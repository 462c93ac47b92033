// RingReader: reads a ring's records in order, from any position, while the writer runs.
//
// A reader trusts only committed data: for each read it loads the segment's durable metadata,
// reads at most up to the committed length, and re-reads the metadata afterwards; if the
// segment's sequence number changed meanwhile (the writer reused the slot under kOverwrite),
// the bytes are discarded. When the reader's position lies in a segment that no longer
// exists, next_batch() returns kGap once: last_gap() holds the exact totals lost (differences
// of the ring-wide counters of the reader's position and the oldest surviving segment), and
// reading resumes at the oldest data.
//
// Every block of a segment with checksums is checked before any record in it is returned; a
// damaged block (bit rot, a torn or lost write the disk did not report) is never returned:
// next_batch() reports kCorrupt once per damaged extent, with its exact totals and file range in
// last_corruption(), and reading resumes at the first record after it (checksum.h).
//
// In follow mode next_batch() waits for new committed data (polling the metadata with
// backoff: spin briefly, then sleep up to a few ms) like `tail -f`, until data arrives,
// follow_timeout_ns passes (kEnd) or cancel() is called (kCancelled).
//
// Records are views into batch.storage (valid until the batch is reused). Not thread-safe
// except cancel(); use one reader per thread. Any number of readers may run at once, in this
// or other processes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"
#include "snapflow/queue/backoff.h"
#include "snapflow/ring/checksum.h"
#include "snapflow/ring/cursor.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

struct RingReaderOptions {
  bool follow = false;
  size_t batch_bytes = size_t{1} << 20;  ///< bytes read per next_batch (grown for one huge record)
  int64_t follow_timeout_ns = -1;        ///< follow: give up (kEnd) after this long idle; -1 never
  queue::BackoffConfig backoff{.spin_polls = 16, .min_sleep_ns = 50'000, .max_sleep_ns = 5'000'000};
  // Check every block read against its checksum (segments that have them, checksum.h). Off
  // only to measure what checking costs; a reader that does not check may return damaged bytes.
  bool verify_checksums = true;
};

enum class ReadStatus : uint8_t {
  kRecords,    ///< batch holds >= 1 record
  kGap,        ///< data was lost before the position; see last_gap(); batch is empty
  kCorrupt,    ///< committed bytes failed their checksum and were skipped; see
               ///< last_corruption(); batch is empty
  kEnd,        ///< no more committed data (not following, or follow timed out)
  kCancelled,  ///< cancel() was called
};

// The position of the first of `tail`, the last records of a batch that ended at `end` (a
// batch holds records of one segment, so this is exact; the reader's position before the call
// may lie in the previous segment). A consumer that uses only the head of a batch seeks the
// reader to position_before(reader.position(), tail) to read the tail again later.
RingPosition position_before(RingPosition end, std::span<const pcap::PacketRecord> tail);

class RingReader {
 public:
  // Opens the ring at dir positioned at its oldest data (or at its start, if empty).
  static base::Result<std::unique_ptr<RingReader>> open(const std::string& dir,
                                                        const RingReaderOptions& options = {});

  // Positions. seek() accepts any position (e.g. a saved cursor); an overwritten one yields a
  // Gap on the next read. seek_end() skips everything committed so far; seek_time() goes to the
  // first record with ts >= ts_ns (or the end if there is none).
  void seek(const RingPosition& position, int64_t last_ts_ns = 0);
  void seek(const Cursor& cursor) { seek(cursor.position, cursor.last_ts_ns); }
  base::Status seek_oldest();
  base::Status seek_end();
  base::Status seek_time(int64_t ts_ns);

  // Clears batch and fills it with up to max_packets records (at most batch_bytes of them).
  base::Result<ReadStatus> next_batch(pcap::PacketBatch& batch, size_t max_packets);

  const RingPosition& position() const { return pos_; }
  Cursor cursor() const { return {pos_, last_ts_ns_}; }
  int64_t last_ts_ns() const { return last_ts_ns_; }
  const Gap& last_gap() const { return gap_; }
  uint64_t gaps() const { return gaps_; }
  const Corruption& last_corruption() const { return corruption_; }
  uint64_t corruptions() const { return corruptions_; }
  const RingLayout& layout() const { return layout_; }

  // Any thread: makes a waiting or future next_batch() return kCancelled.
  void cancel();

 private:
  RingReader(RingLayout layout, const RingReaderOptions& options);
  base::Result<ReadStatus> try_read(pcap::PacketBatch& batch, size_t max_packets);
  base::Result<ReadStatus> read_committed(const SegmentInfo& info, pcap::PacketBatch& batch,
                                          size_t max_packets);
  base::Result<const SegmentChecksums*> checksums_for(const SegmentInfo& info);
  base::Result<bool> jump_to_oldest();
  base::Result<int> segment_fd(uint32_t slot);

  RingLayout layout_;
  RingReaderOptions options_;
  RingPosition pos_;
  int64_t last_ts_ns_ = 0;
  Gap gap_;
  uint64_t gaps_ = 0;
  Corruption corruption_;
  uint64_t corruptions_ = 0;
  std::optional<SegmentChecksums> sums_;  ///< of the segment read last
  uint64_t checked_seq_ = 0;              ///< blocks [checked_begin_, checked_end_) of segment
  uint64_t checked_begin_ = 0;            ///< checked_seq_ matched their checksums when read
  uint64_t checked_end_ = 0;
  std::vector<int> fds_;  ///< read-only fd per slot, opened lazily (-1 = not yet)
  // relaxed-stored by cancel(), acquire-loaded by next_batch(): a flag only, it publishes
  // no other data (release/acquire kept for clarity).
  std::atomic<bool> cancelled_{false};

 public:
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;
};

}  // namespace snapflow::ring
