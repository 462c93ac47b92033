// OrderedWriter: many threads produce document batches, one sink takes them in order.
//
// A producer reserves tickets in the order its batches must reach the sink (from one thread,
// or from a serial stage). Any thread then hands in a ticket's batch when it is ready. The
// batch is written at once if it is the next one; if not, it waits in the writer until the
// batches before it arrive. Whoever hands in the next batch writes it and every ready batch
// after it, while the other threads go on producing. So a large snapshot's documents reach the
// sink while later ones are still being encoded, and its memory is a few batches in flight,
// not all of them (docs/decisions/0093-documents-stream-to-the-sink.md).
//
// The sink sees one write() at a time, in ticket order; empty batches are not written. A sink
// error, or a ticket that fails, stops the writing there: later batches are dropped (their
// buffers go back to the pool) and failed() turns true, so the producer stops reading.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "snapflow/base/result.h"
#include "snapflow/document/batch.h"

namespace snapflow::document {

class OrderedWriter {
 public:
  // Consecutive tickets [first, end) reserved together: one unit of the producer's work.
  struct Reservation {
    uint64_t first = 0;
    uint64_t end = 0;
  };
  // What went to the sink, summed over the batches written (empty ones not counted).
  struct Written {
    uint64_t batches = 0;
    uint64_t documents = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    int64_t busy_ns = 0;  ///< wall time inside the sink's write()
    int64_t cpu_ns = 0;   ///< thread CPU time inside it
  };

  // Batches that are dropped, and empty ones, go to `pool` (if any). The sink's own pool is
  // set by its owner.
  explicit OrderedWriter(DocumentSink& sink, BatchPool* pool = nullptr)
      : sink_(sink), pool_(pool) {}
  OrderedWriter(const OrderedWriter&) = delete;
  OrderedWriter& operator=(const OrderedWriter&) = delete;

  // The next `count` tickets. Reservations are made in write order, by one thread at a time,
  // and each is passed to wait_written() once, in the same order.
  Reservation reserve(size_t count);

  // Hands in the batch of `ticket` (empty: nothing to write for it). Once per ticket, from
  // any thread. Writes it, and the ready batches after it, when it is the next to write.
  void put(uint64_t ticket, DocumentBatch&& batch);
  // The batch of `ticket` could not be made: writing stops there with `error`.
  void fail(uint64_t ticket, base::Error error);

  // Blocks until every ticket of `reservation` is written or dropped. Returns the sequence of
  // the last batch written before its end (DocumentBatch::sequence, numbered 1, 2, ... in
  // write order; 0 when none was): what DocumentSink::delivered_through() must reach for all
  // of its documents to be delivered.
  uint64_t wait_written(const Reservation& reservation);

  // A write or a ticket failed: nothing after it is written.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // The first failure, once every reserved ticket has been handed in.
  std::optional<base::Error> error() const;
  Written written() const;

 private:
  struct Slot {
    DocumentBatch batch;
    std::optional<base::Error> error;
    bool ready = false;
  };
  struct Mark {
    uint64_t end = 0;
    uint64_t sequence = 0;  ///< last batch written before `end`
  };

  void hand_in(uint64_t ticket, Slot&& slot);
  // With the lock held: takes the writer role and writes (or drops) the ready batches in
  // order, releasing the lock around each write() so other threads can hand in meanwhile.
  void drain(std::unique_lock<std::mutex>& lock);
  void drop(DocumentBatch&& batch);
  void pass_marks();  // with the lock: reservations whose tickets are all through

  DocumentSink& sink_;
  BatchPool* pool_;
  mutable std::mutex mu_;
  std::condition_variable through_;
  std::deque<Slot> slots_;          ///< tickets next_, next_ + 1, ...; grown as tickets arrive
  uint64_t next_ = 0;               ///< the ticket of slots_.front()
  uint64_t done_ = 0;               ///< tickets below this are written or dropped
  uint64_t reserved_end_ = 0;       ///< tickets below this are reserved
  bool writing_ = false;            ///< a thread holds the writer role (writes without the lock)
  std::deque<Mark> pending_marks_;  ///< reservations not yet through, in order
  std::deque<Mark> passed_marks_;   ///< through, waiting for wait_written()
  uint64_t sequence_ = 0;           ///< of the last batch handed to the sink
  Written written_;
  std::optional<base::Error> error_;
  std::atomic<bool> failed_{false};
};

}  // namespace snapflow::document
