#include "block_io.h"

#include <pthread.h>

#include <cstdlib>
#include <cstring>

#include "file_util.h"
#include "snapflow/base/time.h"

namespace snapflow::ring {

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
      jobs_(2 * block_count + 8) {}

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
  io->thread_ = std::thread([raw = io.get()] { raw->run(); });
  // Best effort, for top/perf: "ring-io" instead of the process name.
  (void)::pthread_setname_np(io->thread_.native_handle(), "ring-io");
  return io;
}

BlockIo::~BlockIo() {
  stop();
}

base::Status BlockIo::status() const {
  // acquire pairs with the release store in fail(): error_ is complete when failed_ is seen.
  if (!failed_.load(std::memory_order_acquire)) return base::ok_status();
  return base::Error(*error_);
}

void BlockIo::wait_done(uint64_t ticket) {
  // acquire pairs with the I/O thread's release fetch_add: the job's effects (a block no
  // longer read, a commit durable and published) are visible once its count is.
  uint64_t done = done_jobs_.load(std::memory_order_acquire);
  if (done >= ticket) return;
  const int64_t start_ns = base::now_monotonic_ns();
  while (done < ticket) {
    done_jobs_.wait(done, std::memory_order_acquire);
    done = done_jobs_.load(std::memory_order_acquire);
  }
  wait_ns_ += base::now_monotonic_ns() - start_ns;
}

base::Result<uint64_t> BlockIo::push(Job job) {
  // A full queue means the I/O thread is that many jobs behind; the oldest one frees a slot.
  while (!jobs_.try_push(job)) wait_done(submitted_jobs_ - jobs_.capacity() + 1);
  submitted_jobs_ += 1;
  // release pairs with the I/O thread's acquire load: it sees the pushed slot.
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
  wait_done(slot_last_job_[slot]);
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
  return push(std::move(job));
}

base::Status BlockIo::wait(uint64_t ticket) {
  wait_done(ticket);
  return status();
}

void BlockIo::stop() {
  if (!thread_.joinable()) return;
  // release pairs with the I/O thread's acquire load of stopping_: every push before this
  // store is visible to it when it sees the flag.
  stopping_.store(true, std::memory_order_release);
  pushed_.fetch_add(1, std::memory_order_release);
  pushed_.notify_one();
  thread_.join();
}

void BlockIo::fail(base::Error error) {
  if (failed_.load(std::memory_order_relaxed)) return;  // only this thread stores it
  error_.emplace(std::move(error));
  // release pairs with the acquire load in status().
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
  // 3. metadata: from here on readers may use the data.
  SNAPFLOW_TRY_STATUS(c.meta->write(c.info), "ring commit");
  // 4. this process.
  on_committed_(c);
  return base::ok_status();
}

void BlockIo::run() {
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
      if (!jobs_.try_pop(job)) return;
    }
    if (!failed_.load(std::memory_order_relaxed)) {  // only this thread stores it
      if (job.kind == Kind::kWrite) {
        auto st = pwrite_full(job.fd, job.data, job.len, job.offset, *job.path);
        if (!st.ok()) fail(std::move(st).error().context("ring block write"));
      } else if (job.kind == Kind::kCommit) {
        auto st = run_commit(job.commit);
        if (!st.ok()) fail(std::move(st).error());
      }
    }
    job = Job{};
    // release pairs with the writer's acquire loads in wait_done().
    done_jobs_.fetch_add(1, std::memory_order_release);
    done_jobs_.notify_all();
  }
}

}  // namespace snapflow::ring
