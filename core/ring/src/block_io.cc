#include "block_io.h"

#include <pthread.h>

#include <cstdlib>
#include <cstring>

#include "file_util.h"
#include "snapflow/base/time.h"

namespace snapflow::ring {

inline constexpr uint32_t kCommitQueueCapacity = 16;

void BlockIo::FreeDeleter::operator()(std::byte* p) const {
  std::free(p);
}

BlockIo::BlockIo(size_t block_bytes, uint32_t block_count, CommittedFn on_committed)
    : block_bytes_(block_bytes),
      block_count_(block_count),
      on_committed_(std::move(on_committed)),
      slot_last_job_(block_count, 0),
      // Every job holds at most one block, plus commits between them: twice the pool and a
      // few more means push() waits only when the writer runs far ahead of the disk.
      jobs_(2 * block_count + 8),
      commits_(kCommitQueueCapacity) {}

base::Result<std::unique_ptr<BlockIo>> BlockIo::start(size_t block_bytes, uint32_t block_count,
                                                      CommittedFn on_committed) {
  std::unique_ptr<BlockIo> io(new BlockIo(block_bytes, block_count, std::move(on_committed)));
  io->pool_.reset(
      static_cast<std::byte*>(std::aligned_alloc(kDirectIoAlignment, block_bytes * block_count)));
  if (!io->pool_) {
    return base::make_error(base::ErrorCode::kIo,
                            "out of memory for " + std::to_string(block_count) + " write blocks");
  }
  io->current_ = io->pool_.get();
  io->next_block_ = 1;
  io->write_thread_ = std::thread([raw = io.get()] { raw->run_writes(); });
  io->sync_thread_ = std::thread([raw = io.get()] { raw->run_syncs(); });
  // Best effort, for top/perf.
  (void)::pthread_setname_np(io->write_thread_.native_handle(), "ring-io");
  (void)::pthread_setname_np(io->sync_thread_.native_handle(), "ring-sync");
  return io;
}

BlockIo::~BlockIo() {
  stop();
}

base::Status BlockIo::status() const {
  if (!failed()) return base::ok_status();
  // failed_ was acquire-loaded: error_, set before its release store, is complete and final.
  return base::Error(*error_);
}

void BlockIo::wait_for(const std::atomic<uint64_t>& counter, uint64_t target, int64_t* wait_ns) {
  // acquire pairs with the release fetch_add of the thread that owns the counter: the job's
  // effects (a block no longer read, a commit durable and published) are visible with it.
  uint64_t now = counter.load(std::memory_order_acquire);
  if (now >= target) return;
  const int64_t start_ns = base::now_monotonic_ns();
  while (now < target) {
    counter.wait(now, std::memory_order_acquire);
    now = counter.load(std::memory_order_acquire);
  }
  if (wait_ns != nullptr) *wait_ns += base::now_monotonic_ns() - start_ns;
}

base::Result<uint64_t> BlockIo::push(Job job) {
  // A full queue means the write thread is that many jobs behind; its next one frees a slot.
  while (!jobs_.try_push(job))
    wait_for(handled_, submitted_jobs_ - jobs_.capacity() + 1, &wait_ns_);
  submitted_jobs_ += 1;
  // release pairs with the write thread's acquire load: it sees the pushed slot.
  pushed_.fetch_add(1, std::memory_order_release);
  pushed_.notify_one();
  return submitted_jobs_;
}

base::Status BlockIo::submit_block(int fd, const std::string* path, uint64_t offset, size_t len,
                                   size_t keep_bytes) {
  SNAPFLOW_TRY_STATUS(status(), "ring write thread");
  Job job;
  job.kind = Kind::kWrite;
  job.fd = fd;
  job.path = path;
  job.data = current_;
  job.len = len;
  job.offset = offset;
  auto ticket = push(std::move(job));
  if (!ticket.ok()) return std::move(ticket).error();
  const uint64_t used = next_block_ - 1;
  slot_last_job_[used % block_count_] = *ticket;

  const uint32_t slot = static_cast<uint32_t>(next_block_ % block_count_);
  wait_for(handled_, slot_last_job_[slot], &wait_ns_);
  std::byte* next = pool_.get() + size_t{slot} * block_bytes_;
  // The submitted block may be in flight: reading it concurrently with the write is safe.
  if (keep_bytes > 0) std::memcpy(next, current_, keep_bytes);
  current_ = next;
  next_block_ += 1;
  return base::ok_status();
}

base::Result<uint64_t> BlockIo::submit_commit(CommitJob commit) {
  SNAPFLOW_TRY_STATUS(status(), "ring write thread");
  Job job;
  job.kind = Kind::kCommit;
  job.commit = std::move(commit);
  auto pushed = push(std::move(job));
  if (!pushed.ok()) return std::move(pushed).error();
  submitted_commits_ += 1;
  return submitted_commits_;
}

base::Status BlockIo::wait(uint64_t commit_ticket) {
  wait_for(commits_done_, commit_ticket, &wait_ns_);
  return status();
}

base::Status BlockIo::wait_all() {
  wait_for(handled_, submitted_jobs_, &wait_ns_);
  wait_for(commits_done_, submitted_commits_, &wait_ns_);
  return status();
}

void BlockIo::stop() {
  if (!write_thread_.joinable()) return;
  // release pairs with the write thread's acquire load of stopping_: every push before this
  // store is visible to it when it sees the flag.
  stopping_.store(true, std::memory_order_release);
  pushed_.fetch_add(1, std::memory_order_release);
  pushed_.notify_one();
  write_thread_.join();  // it tells the sync thread to finish after its last commit
  sync_thread_.join();
}

void BlockIo::fail(base::Error error) {
  std::lock_guard lock(error_mu_);
  if (failed_.load(std::memory_order_relaxed)) return;  // stored only under error_mu_
  error_.emplace(std::move(error));
  // release pairs with the acquire loads in failed(): error_ is complete when the flag is seen.
  failed_.store(true, std::memory_order_release);
}

base::Status BlockIo::run_commit(const CommitJob& c) {
  // 1. every block submitted before this commit has been written (FIFO): make them durable.
  SNAPFLOW_TRY_STATUS(sync_data(c.data_fd, *c.data_path), "ring commit");
  // 2. index entries, durable before the metadata that counts them.
  if (!c.index_bytes.empty()) {
    SNAPFLOW_TRY_STATUS(pwrite_full(c.idx_fd, c.index_bytes.data(), c.index_bytes.size(),
                                    c.idx_offset, *c.idx_path),
                        "ring commit index");
    SNAPFLOW_TRY_STATUS(sync_data(c.idx_fd, *c.idx_path), "ring commit index");
  }
  // 2b. checksums of the blocks completed since the last commit, likewise.
  if (!c.sum_bytes.empty()) {
    SNAPFLOW_TRY_STATUS(
        pwrite_full(c.sum_fd, c.sum_bytes.data(), c.sum_bytes.size(), c.sum_offset, *c.sum_path),
        "ring commit checksums");
    SNAPFLOW_TRY_STATUS(sync_data(c.sum_fd, *c.sum_path), "ring commit checksums");
  }
  // 3. metadata: from here on readers may use the data.
  SNAPFLOW_TRY_STATUS(c.meta->write(c.info), "ring commit");
  // 4. this process.
  on_committed_(c);
  return base::ok_status();
}

void BlockIo::run_writes() {
  Job job;
  while (true) {
    // Load the counter before polling: a push after this load changes it, so the wait below
    // cannot sleep through it.
    const uint64_t seen = pushed_.load(std::memory_order_acquire);
    if (!jobs_.try_pop(job)) {
      // acquire pairs with stop()'s release store.
      if (!stopping_.load(std::memory_order_acquire)) {
        pushed_.wait(seen, std::memory_order_acquire);
        continue;
      }
      // One more poll catches a push made before the flag but after the poll above.
      if (!jobs_.try_pop(job)) break;
    }
    if (job.kind == Kind::kWrite) {
      if (!failed()) {
        auto st = pwrite_full(job.fd, job.data, job.len, job.offset, *job.path);
        if (!st.ok()) fail(std::move(st).error().context("ring block write"));
      }
    } else if (job.kind == Kind::kCommit) {
      // Passed on even after an error: the sync thread counts it, so commit waits end.
      while (!commits_.try_push(job.commit)) {
        wait_for(commits_done_,
                 commits_pushed_.load(std::memory_order_relaxed) - commits_.capacity() + 1,
                 nullptr);
      }
      // release pairs with the sync thread's acquire load: it sees the pushed commit.
      commits_pushed_.fetch_add(1, std::memory_order_release);
      commits_pushed_.notify_one();
    }
    job = Job{};
    // release pairs with the writer's acquire loads in wait_for().
    handled_.fetch_add(1, std::memory_order_release);
    handled_.notify_all();
  }
  // release pairs with the sync thread's acquire load: all commits were pushed before it.
  writes_finished_.store(true, std::memory_order_release);
  commits_pushed_.fetch_add(1, std::memory_order_release);
  commits_pushed_.notify_one();
}

void BlockIo::run_syncs() {
  CommitJob commit;
  while (true) {
    const uint64_t seen = commits_pushed_.load(std::memory_order_acquire);
    if (!commits_.try_pop(commit)) {
      if (!writes_finished_.load(std::memory_order_acquire)) {
        commits_pushed_.wait(seen, std::memory_order_acquire);
        continue;
      }
      if (!commits_.try_pop(commit)) return;
    }
    if (!failed()) {
      auto st = run_commit(commit);
      if (!st.ok()) fail(std::move(st).error());
    }
    commit = CommitJob{};
    // release pairs with the acquire loads in wait_for() (writer and write thread).
    commits_done_.fetch_add(1, std::memory_order_release);
    commits_done_.notify_all();
  }
}

}  // namespace snapflow::ring
