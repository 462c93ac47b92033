// BlockIo: the ring writer's I/O threads and its pool of aligned staging blocks. Private.
//
// Why: a synchronous pwrite per block leaves the disk idle while the writer fills the next
// block, and the writer idle while the disk writes; a synchronous fdatasync per commit stops
// the data writes while the journal commits. Here the writer thread fills the current block
// and hands it over (submit_block); the write thread ("ring-io") writes the blocks in
// submission order with plain pwrite (O_DIRECT when the writer's probe allowed it) while the
// writer fills the next pool block. Commits travel the same FIFO (submit_commit): when the
// write thread reaches one, every block submitted before it has been written, and it passes
// the commit to the sync thread ("ring-sync") and goes on writing. The sync thread, in commit
// order, fdatasyncs the segment (which covers every write completed before the call), appends
// and fdatasyncs the index entries and the checksum entries of completed blocks, writes and
// fdatasyncs the metadata slot, and only then
// calls on_committed (which publishes the position to this process). That keeps the
// durability protocol (data durable before the committed length that covers it). Writes
// after the commit may overlap its fdatasync; the only bytes they can touch that the commit
// covers are the partial block's committed prefix, rewritten with identical bytes.
//
// Blocks: pool slot k % block_count is the k-th block handed out; it may be refilled once the
// write thread has handled the job that last used it (jobs are handled in order, counted by
// handled_). The writer waits (atomic wait, no spinning) only when every block is in flight,
// i.e. when the disk is slower than the input.
//
// Errors are sticky: the first failed write or commit is kept, every later job is skipped
// (counted as done, so no waiter hangs), and every later call returns that error. The
// writer's uncommitted tail is then lost, as after a crash; reopening recovers.
//
// Thread-safety: every member function is called from the writer thread only; on_committed
// runs on the sync thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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
  int sum_fd = -1;
  const std::string* sum_path = nullptr;
  uint64_t sum_offset = 0;
  std::vector<std::byte> sum_bytes;  ///< encoded checksum entries to write at sum_offset
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
  // on_committed runs on the sync thread after a commit's metadata is durable.
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
  // Waits until the commit with this ticket (and so every earlier job) is done.
  base::Status wait(uint64_t commit_ticket);
  // Waits until every submitted job is done.
  base::Status wait_all();

  // The sticky error, if any (cheap: one acquire load when there is none).
  base::Status status() const;
  // Nanoseconds the writer spent waiting for a free block or queue slot.
  int64_t wait_ns() const { return wait_ns_; }
  // Waits for every submitted job and joins the threads. Idempotent.
  void stop();

 private:
  using Kind = IoJobKind;
  using Job = IoJob;
  struct FreeDeleter {
    void operator()(std::byte* p) const;
  };

  BlockIo(size_t block_bytes, uint32_t block_count, CommittedFn on_committed);
  base::Result<uint64_t> push(Job job);
  // Waits until counter >= target; adds the time to *wait_ns if given.
  static void wait_for(const std::atomic<uint64_t>& counter, uint64_t target, int64_t* wait_ns);
  void run_writes();
  void run_syncs();
  base::Status run_commit(const CommitJob& c);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  void fail(base::Error error);

  const size_t block_bytes_;
  const uint32_t block_count_;
  CommittedFn on_committed_;
  std::unique_ptr<std::byte, FreeDeleter> pool_;
  std::vector<uint64_t> slot_last_job_;  ///< writer only: ticket of the job that used slot k
  uint64_t next_block_ = 0;              ///< writer only: blocks handed out so far
  std::byte* current_ = nullptr;
  uint64_t submitted_jobs_ = 0;     ///< writer only
  uint64_t submitted_commits_ = 0;  ///< writer only
  int64_t wait_ns_ = 0;             ///< writer only

  queue::SpscRing<Job> jobs_;           ///< writer -> write thread
  queue::SpscRing<CommitJob> commits_;  ///< write thread -> sync thread
  // release-incremented by the writer after each push (and by stop()); the write thread
  // acquire-loads it before polling and sleeps on it (atomic wait) when its queue is empty.
  std::atomic<uint64_t> pushed_{0};
  // release-incremented by the write thread after each job it handled (block written, or
  // commit passed on); the writer acquire-loads it to know which blocks and queue slots are
  // free, and sleeps on it.
  std::atomic<uint64_t> handled_{0};
  // The same pair between the write thread (pushes commits) and the sync thread.
  std::atomic<uint64_t> commits_pushed_{0};
  // release-incremented by the sync thread after each commit (durable and published, or
  // skipped after an error); acquire-loaded by commit waits.
  std::atomic<uint64_t> commits_done_{0};
  // release-stored by stop() before its last pushed_ bump; acquire-loaded by the write thread.
  std::atomic<bool> stopping_{false};
  // release-stored by the write thread before it exits; acquire-loaded by the sync thread.
  std::atomic<bool> writes_finished_{false};
  // release-stored by fail() after error_ is set (once, under error_mu_); acquire-loaded by
  // status() and by both threads (to skip jobs after an error).
  std::atomic<bool> failed_{false};
  std::mutex error_mu_;               ///< serialises fail() between the two threads
  std::optional<base::Error> error_;  ///< written once, before failed_ is set
  std::thread write_thread_;
  std::thread sync_thread_;
};

}  // namespace snapflow::ring
