// RingWriter: the one writer of a ring (one thread, one process: DIR/lock is flock()ed).
//
// append() copies a record into an aligned staging block (write_block_bytes). Each full block
// is handed to the writer's write thread, which writes it at its place in the current segment
// with one large pwrite (O_DIRECT when the filesystem supports it, probed at open; otherwise
// buffered) while append() fills the next block from a pool of io_blocks. So filling and
// writing overlap; append() waits only when every block is in flight (disk slower than input).
// A commit makes everything appended so far durable and then visible, in this order:
//   1. write the partial block (padded to 4 KiB under O_DIRECT; rewritten in place as it
//      fills), fdatasync the segment;
//   2. append the new time-index entries, fdatasync the index;
//   3. write the segment metadata (committed length, counters, index_count) into its
//      alternate slot, fdatasync;
//   4. publish the committed position to this process (committed_position(), commit_count()).
// Steps 1-4 run on the I/O threads, after the blocks appended before the commit are written:
// the write thread writes blocks, a separate sync thread runs the fdatasyncs in commit order,
// so data writes go on during a commit's syncs.
// commit() waits for them; commit_async() and the automatic commits (commit_interval_ns /
// commit_interval_bytes) do not, so the writer keeps filling while the disk syncs.
// Readers trust nothing beyond the committed length, so a crash at any point loses at most
// the uncommitted tail, which recovery (run by open()) cuts off record-exactly.
//
// Errors of the I/O threads (a failed write or sync) are sticky: the next append, commit,
// commit_async or close returns that error (kIo, with the file and errno), and so do all later
// ones; nothing after the last durable commit is published. reopen() (or a new open()) continues.
//
// When a record does not fit in the current segment, the segment is committed, truncated to
// its committed length (so it is a clean PCAP file) and sealed; the next sequence number takes
// the next slot. If that slot holds the oldest data: kOverwrite reuses it at once (its metadata
// is rewritten first, so readers of the old generation notice); kBlock first waits until every
// registered cursor (cursor.h) has moved past it, polling with backoff, until
// block_timeout_ns passes (kTimeout) or cancel() is called (kCancelled). A failed wait leaves
// the writer usable: the next append retries.
//
// Thread-safety: append/append_batch/commit/commit_async/close from one thread only.
// committed_position(), commit_count() and cancel() may be called from any thread. Nothing
// allocates per record (a commit allocates its index entries' buffer).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "snapflow/base/bytes.h"
#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"
#include "snapflow/ring/checksum.h"
#include "snapflow/ring/recover.h"
#include "snapflow/ring/ring.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::ring {

struct WriterStats {
  uint64_t packets = 0;  ///< appended by this writer (committed or not)
  uint64_t wire_bytes = 0;
  uint64_t record_bytes = 0;
  uint64_t commits = 0;  ///< commits started (commit, commit_async, automatic)
  uint64_t segments_started = 0;
  uint64_t segments_overwritten = 0;  ///< slots reused while holding older data
  int64_t block_wait_ns = 0;          ///< time spent waiting for consumers (kBlock)
  int64_t io_wait_ns = 0;  ///< time append/commit waited for the I/O threads (updated on commit)
};

class RingWriter {
 public:
  // Creates the ring if needed (create_ring), takes DIR/lock, recovers, and resumes after the
  // newest committed record. Blocks on I/O only.
  static base::Result<std::unique_ptr<RingWriter>> open(const RingConfig& config);
  ~RingWriter();  ///< close() if not done; errors are lost, so call close() explicitly.

  RingWriter(const RingWriter&) = delete;
  RingWriter& operator=(const RingWriter&) = delete;

  // Appends one record; captured is copied. 1 <= captured.size() <= snaplen,
  // wire_length >= captured.size(), ts_ns >= 0. Blocks only under kBlock when full.
  base::Status append(int64_t ts_ns, base::ByteSpan captured, uint32_t wire_length);
  base::Status append_batch(std::span<const pcap::PacketRecord> records);
  // Durable, then visible (see above); returns when published. Cheap when nothing was
  // appended since the last commit (it still waits for a commit started before).
  base::Status commit();
  // Starts a commit of everything appended so far and returns without waiting for the disk;
  // commit_count() grows when it is published. Errors surface here or on a later call.
  base::Status commit_async();
  // Commits, truncates the segment to its committed length and releases the lock.
  base::Status close();
  // After an error (typically kNoSpace: the filesystem was full): drops everything not yet
  // durable, recovers the ring as open() does (keeping the lock) and continues after the newest
  // committed record. The records appended since the last durable commit are gone unless
  // recovery found them complete on disk: compare head_position() before and after. Fails
  // (and may be retried) while the cause persists. Writer thread only.
  base::Status reopen();

  // Any thread: end of the committed data and the timestamp of its last record.
  RingPosition committed_position() const;
  int64_t committed_last_ts_ns() const;
  // Any thread: incremented after each publish; acquire-load it before reading the files.
  uint64_t commit_count() const;
  // Any thread: makes a blocked append (kBlock) return kCancelled, now and later.
  void cancel();

  // Writer thread: the position after the last appended (maybe uncommitted) record.
  RingPosition head_position() const { return head_; }
  bool direct_io() const { return direct_; }
  const RingLayout& layout() const { return layout_; }
  const RecoveryReport& recovery_report() const { return recovery_; }
  const WriterStats& stats() const { return stats_; }

 private:
  struct Impl;
  explicit RingWriter(const RingConfig& config);
  base::Status start();
  base::Result<bool> resume(const SegmentInfo& newest);
  base::Status seal_unresumable(const SegmentInfo& newest);
  base::Result<bool> find_tail_start(const SegmentInfo& seg, const std::vector<IndexEntry>& index,
                                     std::optional<SumEntry>* first) const;
  base::Status roll();
  base::Status seal();
  base::Status wait_for_consumers(const SegmentInfo& old);
  base::Status copy_in(const std::byte* data, size_t size);
  base::Status write_full_block();
  base::Status start_commit();
  base::Status maybe_auto_commit();
  void publish(const RingPosition& pos, int64_t last_ts_ns);

  RingConfig config_;
  RingLayout layout_;
  RecoveryReport recovery_;
  WriterStats stats_;
  bool direct_ = false;
  bool closed_ = false;
  std::unique_ptr<Impl> impl_;

  RingPosition head_;  ///< after the last appended record
  uint64_t buf_file_offset_ = 0;
  size_t buf_len_ = 0;
  uint64_t last_commit_ticket_ = 0;  ///< BlockIo ticket of the last started commit
  int64_t last_commit_ns_ = 0;       ///< monotonic time the last commit started
  uint32_t appends_since_clock_ = 0;

  mutable std::mutex committed_mu_;  ///< guards the two fields below (written once per commit)
  RingPosition committed_;
  int64_t committed_last_ts_ns_ = 0;
  // release-incremented by publish() after committed_ is stored; paired with the
  // acquire load in commit_count() by readers that poll for new data.
  std::atomic<uint64_t> commit_count_{0};
  // relaxed-stored by cancel(); acquire-loaded in wait_for_consumers() (only a flag, no data).
  std::atomic<bool> cancelled_{false};
};

}  // namespace snapflow::ring
