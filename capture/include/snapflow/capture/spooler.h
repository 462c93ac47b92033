// Spooler: the capture threads and the one ring writer thread between sources and the SSD ring.
//
//   source 0 --next_batch--> [capture thread 0] --filled SpscRing--> +
//   source 1 --next_batch--> [capture thread 1] --filled SpscRing--> +--> [ring writer thread]
//        ^                                                           |      append_batch, commit
//        +------------------------ free SpscRing <-------------------+      every flush interval
//
// Each capture thread owns a fixed pool of batches (no allocation after start); a batch
// travels to the writer through its filled ring and comes back through its free ring, so
// neither push can fail. When every batch of a source is in flight (the disk is slower than
// the link), the capture thread waits for one to come back and the kernel / NIC buffers absorb
// the burst; whatever they cannot hold they drop and count (packets_dropped). The writer merges
// the queues by the first timestamp of each waiting batch, commits on a timer (flush interval)
// or on request (capture_stop wants everything received so far), and once a second folds the
// sources' counters, rates and the committed totals (packets_captured: durable in the ring)
// into CaptureStatus. When the ring's filesystem is full the writer keeps draining and counts
// what it cannot store until the ring can be written again (ring_outage.h).
//
// Thread-safety: start()/stop() from the owning thread; request_commit(), wait_for_commit(),
// error() and is_running() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/source.h"
#include "snapflow/capture/status.h"
#include "snapflow/queue/spsc_ring.h"
#include "snapflow/ring/capture_stats.h"
#include "snapflow/ring/writer.h"

namespace snapflow::capture {

struct SpoolerOptions {
  int64_t flush_interval_ns = 100'000'000;
  uint32_t batches_per_source = 8;  ///< power of two
  size_t batch_storage_bytes = kBatchStorageBytes;
  size_t batch_max_packets = kBatchMaxPackets;
};

class Spooler {
 public:
  Spooler(std::vector<std::unique_ptr<PacketSource>> sources, ring::RingWriter& writer,
          CaptureStatus& status, SpoolerOptions options, const base::Logger& log);
  ~Spooler();  ///< stop() if still running
  Spooler(const Spooler&) = delete;
  Spooler& operator=(const Spooler&) = delete;

  void start();
  // Stops the sources, drains every queued batch into the ring, commits. Returns the first
  // error any thread met (or the final commit's error).
  base::Status stop();

  // Any thread: asks the writer thread to commit now; returns a ticket for wait_for_commit.
  uint64_t request_commit();
  // Any thread: waits until the writer thread has committed after the request with this ticket
  // (true), or timeout passed (false). Returns true at once when the spooler is not running.
  bool wait_for_commit(uint64_t ticket, int64_t timeout_ns) const;
  bool is_running() const { return writer_running_.load(std::memory_order_acquire); }

  // Any thread: the first error of a capture or writer thread, if any (the daemon exits on it).
  std::optional<base::Error> error() const;
  bool has_failed() const { return failed_.load(std::memory_order_acquire); }

 private:
  struct SourceLane;
  class Outage;

  void capture_loop(SourceLane& lane);
  void writer_loop();
  bool drain_once();
  void publish_stats(int64_t now_ns);
  // RING/capture.stats: the ring's lifetime totals (the last file's plus this run's).
  void save_capture_totals(const SourceStats& sources);
  void publish_consumer_lag(const std::vector<ring::SegmentInfo>& segments);
  // Folds the writer's committed position into packets_captured / bytes_captured.
  void update_captured();
  // A commit (flush, request or final) and its error handling; false when the spooler failed.
  bool commit(bool wait, int64_t now_ns);
  void fail(base::Error error);

  std::vector<std::unique_ptr<SourceLane>> lanes_;
  ring::RingWriter& writer_;
  CaptureStatus& status_;
  SpoolerOptions options_;
  const base::Logger& log_;
  RateMeter rates_;
  ring::CaptureTotals totals_base_;   ///< what earlier runs of the daemon counted on this ring
  bool totals_warned_ = false;        ///< a failed save is logged once, not every second
  ring::RingPosition captured_base_;  ///< committed position when the spooler was made
  std::unique_ptr<Outage> outage_;    ///< writer thread only

  std::vector<std::thread> capture_threads_;
  std::thread writer_thread_;
  bool running_ = false;
  // Set by stop(); acquire-read by the capture threads and the writer thread (a flag only).
  std::atomic<bool> stopping_{false};
  // Number of capture threads still running; the writer exits when it is 0 and queues are empty.
  // release-decremented by each capture thread after its last push; acquire-read by the writer.
  std::atomic<uint32_t> capture_threads_running_{0};
  // Incremented by request_commit (any thread), compared by the writer with the last served.
  std::atomic<uint64_t> commit_requests_{0};
  // release-stored by the writer thread after a commit, with the request count it had read
  // before committing; acquire-read by wait_for_commit.
  std::atomic<uint64_t> commits_served_{0};
  // release-stored by start()/the writer thread's exit; acquire-read by is_running().
  std::atomic<bool> writer_running_{false};
  std::atomic<bool> failed_{false};  ///< release-set after first_error_ is stored
  mutable std::mutex error_mutex_;
  std::optional<base::Error> first_error_;
};

}  // namespace snapflow::capture
