#include "snapflow/document/ordered_writer.h"

#include <cassert>

#include "snapflow/base/time.h"

namespace snapflow::document {

OrderedWriter::Reservation OrderedWriter::reserve(size_t count) {
  std::lock_guard lock(mu_);
  const Reservation reservation{reserved_end_, reserved_end_ + count};
  reserved_end_ = reservation.end;
  pending_marks_.push_back({reservation.end, 0});
  pass_marks();  // an empty reservation right behind the writer is through already
  return reservation;
}

void OrderedWriter::put(uint64_t ticket, DocumentBatch&& batch) {
  Slot slot;
  slot.batch = std::move(batch);
  hand_in(ticket, std::move(slot));
}

void OrderedWriter::fail(uint64_t ticket, base::Error error) {
  Slot slot;
  slot.error = std::move(error);
  hand_in(ticket, std::move(slot));
}

void OrderedWriter::hand_in(uint64_t ticket, Slot&& slot) {
  std::unique_lock lock(mu_);
  assert(ticket >= next_ && ticket < reserved_end_);
  const auto index = static_cast<size_t>(ticket - next_);
  if (slots_.size() <= index) slots_.resize(index + 1);
  slot.ready = true;
  slots_[index] = std::move(slot);
  // The writer role, if another thread holds it, picks this batch up when it gets there.
  if (index == 0 && !writing_) drain(lock);
}

void OrderedWriter::drain(std::unique_lock<std::mutex>& lock) {
  writing_ = true;
  while (!slots_.empty() && slots_.front().ready) {
    Slot slot = std::move(slots_.front());
    slots_.pop_front();
    ++next_;
    if (slot.error && !error_) {
      error_ = std::move(slot.error);
      failed_.store(true, std::memory_order_release);
    }
    if (error_ || slot.batch.empty()) {
      drop(std::move(slot.batch));
      ++done_;
      pass_marks();
      continue;
    }
    DocumentBatch& batch = slot.batch;
    batch.sequence = ++sequence_;
    ++written_.batches;
    written_.documents += batch.size();
    written_.packets += batch.packets;
    written_.bytes += batch.bytes;
    lock.unlock();
    const int64_t wall_start = base::now_monotonic_ns();
    const int64_t cpu_start = base::now_thread_cpu_ns();
    base::Status status = sink_.write(std::move(batch));
    const int64_t wall_ns = base::now_monotonic_ns() - wall_start;
    const int64_t cpu_ns = base::now_thread_cpu_ns() - cpu_start;
    lock.lock();
    written_.busy_ns += wall_ns;
    written_.cpu_ns += cpu_ns;
    if (!status.ok() && !error_) {
      error_ = std::move(status).error();
      failed_.store(true, std::memory_order_release);
    }
    ++done_;
    pass_marks();
  }
  writing_ = false;
}

void OrderedWriter::drop(DocumentBatch&& batch) {
  if (pool_ != nullptr) pool_->give(std::move(batch));
}

void OrderedWriter::pass_marks() {
  bool passed = false;
  while (!pending_marks_.empty() && pending_marks_.front().end <= done_) {
    pending_marks_.front().sequence = sequence_;
    passed_marks_.push_back(pending_marks_.front());
    pending_marks_.pop_front();
    passed = true;
  }
  if (passed) through_.notify_all();
}

uint64_t OrderedWriter::wait_written(const Reservation& reservation) {
  std::unique_lock lock(mu_);
  through_.wait(
      lock, [&] { return !passed_marks_.empty() && passed_marks_.front().end >= reservation.end; });
  assert(passed_marks_.front().end == reservation.end);
  const uint64_t sequence = passed_marks_.front().sequence;
  passed_marks_.pop_front();
  return sequence;
}

std::optional<base::Error> OrderedWriter::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

OrderedWriter::Written OrderedWriter::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

}  // namespace snapflow::document
