// BlockIo: the ring writer's I/O thread and its pool of aligned staging blocks. Private.
//
// Why: a synchronous pwrite per block leaves the disk idle while the writer fills the next
// block, and the writer idle while the disk writes. Here the writer thread fills the current
// block and hands it over (submit_block); one I/O thread writes the blocks in submission order
// with plain pwrite (O_DIRECT when the writer's probe allowed it) while the writer fills the
// next pool block. Commits travel the same FIFO (submit_commit), so when the I/O thread runs a
// commit every block submitted before it has been written: it then fdatasyncs the segment,
// appends and fdatasyncs the index entries, writes and fdatasyncs the metadata slot, and only
// then calls on_committed (which publishes the position to this process). That keeps the
// durability protocol (data durable before the committed length that covers it).
//
// Blocks: pool slot k % block_count is the k-th block handed out; it may be refilled once the
// job that last used it has completed (jobs complete in order, counted by done_jobs_). The
// writer waits (atomic wait, no spinning) only when every block is in flight, i.e. when the
// disk is slower than the input.
//
// Errors are sticky: the first failed write or commit is kept, every later job is skipped
// (counted as done, so no waiter hangs), and every later call returns that error. The
// writer's uncommitted tail is then lost, as after a crash; reopening recovers.
//
// Thread-safety: every member function except the constructor's callback is called from the
// writer thread only; the I/O thread is internal.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "segment_meta.h"
#include "snapflow/base/result.h"
#include "snapflow/queue/spsc_ring.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

// Everything the I/O thread needs to make one commit durable. The pointers stay valid until
// the job is done: the writer drains (wait_all) before it closes or replaces those files.
struct CommitJob {
  int data_fd = -1;
  const std::string* data_path = nullptr;
  int idx_fd = -1;
  const std::string* idx_path = nullptr;
  uint64_t idx_offset = 0;
  std::vector<std::byte> index_bytes;  ///< encoded entries to append at idx_offset
  SegmentMetaFile* meta = nullptr;
  SegmentInfo info;  ///< the metadata to write (committed length, counters, index_count)
  RingPosition position;
  int64_t last_ts_ns = 0;
};

// One entry of the FIFO to the I/O thread: a block to write or a commit. (At namespace scope:
// SpscRing needs it complete and default-constructible where BlockIo declares its queue.)
enum class IoJobKind : uint8_t { kNone, kWrite, kCommit };
struct IoJob {
  IoJobKind kind = IoJobKind::kNone;
  int fd = -1;
  const std::string* path = nullptr;
  const std::byte* data = nullptr;
  size_t len = 0;
  uint64_t offset = 0;
  CommitJob commit;
};

class BlockIo {
 public:
  // on_committed runs on the I/O thread after a commit's metadata is durable.
  using CommittedFn = std::function<void(const CommitJob&)>;

  static base::Result<std::unique_ptr<BlockIo>> start(size_t block_bytes, uint32_t block_count,
                                                      CommittedFn on_committed);
  ~BlockIo();  ///< stop(): waits for every submitted job

  BlockIo(const BlockIo&) = delete;
  BlockIo& operator=(const BlockIo&) = delete;

  // The block the writer fills now (block_bytes, aligned to kDirectIoAlignment).
  std::byte* current() const { return current_; }

  // Queues current()[0, len) for writing at offset of fd and makes the next pool block
  // current, waiting until it is free; its first keep_bytes are copied from the submitted
  // block (a partial block that commit() writes and that keeps filling afterwards).
  base::Status submit_block(int fd, const std::string* path, uint64_t offset, size_t len,
                            size_t keep_bytes);
  // Queues a commit; returns its ticket for wait().
  base::Result<uint64_t> submit_commit(CommitJob job);
  // Waits until the job with this ticket (and so every earlier one) is done.
  base::Status wait(uint64_t ticket);
  base::Status wait_all() { return wait(submitted_jobs_); }

  // The sticky error, if any (cheap: one acquire load when there is none).
  base::Status status() const;
  // Nanoseconds the writer spent waiting for a free block or queue slot.
  int64_t wait_ns() const { return wait_ns_; }
  // Writes and commits the I/O thread has completed (for tests and stats).
  uint64_t done_jobs() const { return done_jobs_.load(std::memory_order_acquire); }

  // Waits for every submitted job and joins the thread. Idempotent.
  void stop();

 private:
  using Kind = IoJobKind;
  using Job = IoJob;
  struct FreeDeleter {
    void operator()(std::byte* p) const;
  };

  BlockIo(size_t block_bytes, uint32_t block_count, CommittedFn on_committed);
  base::Result<uint64_t> push(Job job);
  void wait_done(uint64_t ticket);
  void run();
  base::Status run_commit(const CommitJob& c);
  void fail(base::Error error);

  const size_t block_bytes_;
  const uint32_t block_count_;
  CommittedFn on_committed_;
  std::unique_ptr<std::byte, FreeDeleter> pool_;
  std::vector<uint64_t> slot_last_job_;  ///< writer only: ticket of the job that used slot k
  uint64_t next_block_ = 0;              ///< writer only: blocks handed out so far
  std::byte* current_ = nullptr;
  uint64_t submitted_jobs_ = 0;  ///< writer only
  int64_t wait_ns_ = 0;          ///< writer only

  queue::SpscRing<Job> jobs_;
  // release-incremented by the writer after each push (and by stop()); the I/O thread
  // acquire-loads it before polling and sleeps on it (atomic wait) when the queue is empty.
  std::atomic<uint64_t> pushed_{0};
  // release-incremented by the I/O thread after each job; the writer acquire-loads it to know
  // which blocks are free and which commits are durable, and sleeps on it.
  std::atomic<uint64_t> done_jobs_{0};
  // release-stored by stop() before its last pushed_ bump; acquire-loaded by the I/O thread.
  std::atomic<bool> stopping_{false};
  // release-stored by the I/O thread after error_ is set (once); acquire-loaded by status().
  std::atomic<bool> failed_{false};
  std::optional<base::Error> error_;  ///< written once by the I/O thread before failed_
  std::thread thread_;
};

}  // namespace snapflow::ring
