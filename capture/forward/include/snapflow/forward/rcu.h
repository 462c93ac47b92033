// RcuCell<T>: one immutable T that readers use without locks while a writer replaces it.
//
// Readers (the datapath threads, at most kMaxReaders) register once and then, per batch of
// packets, call enter() to get the current T and leave() when they hold no pointer into it
// any more. publish() (the control plane, one writer at a time: the caller serialises)
// installs a new T and frees the old one once every registered reader has left or entered
// after the swap: quiescent-state based reclamation, as in userspace RCU's QSBR flavour.
//
// Memory ordering: enter() stores the generation it is about to use, then a seq_cst fence,
// then loads the pointer; publish() stores the pointer and the new generation, a seq_cst fence,
// then reads the readers' generations. So either the reader sees the new pointer, or the
// writer sees that the reader may hold the old one and waits (Dekker's pattern). A reader
// between leave() and enter() holds nothing and never delays a writer. If a reader stays inside
// for longer than the writer's patience (a stuck datapath), the old T is kept on a retired
// list and freed by a later publish() or the destructor, never while it may be in use.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace snapflow::forward {

template <typename T>
class RcuCell {
 public:
  static constexpr size_t kMaxReaders = 16;
  static constexpr uint64_t kOutside = UINT64_MAX;

  class Reader {
   public:
    ~Reader() {
      leave();
      used_->store(false, std::memory_order_release);
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // The current T; valid until leave(). Wait-free.
    const T* enter() {
      const uint64_t gen = cell_->generation_.load(std::memory_order_seq_cst);
      seen_->store(gen, std::memory_order_seq_cst);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      return cell_->current_.load(std::memory_order_seq_cst);
    }
    void leave() { seen_->store(kOutside, std::memory_order_release); }

   private:
    friend class RcuCell;
    Reader(RcuCell* cell, std::atomic<uint64_t>* seen, std::atomic<bool>* used)
        : cell_(cell), seen_(seen), used_(used) {}
    RcuCell* cell_;
    std::atomic<uint64_t>* seen_;
    std::atomic<bool>* used_;
  };

  explicit RcuCell(std::unique_ptr<const T> initial)
      : owned_(std::move(initial)), current_(owned_.get()) {
    for (auto& s : slots_) s.seen.store(kOutside, std::memory_order_relaxed);
  }
  ~RcuCell() = default;  // every Reader must be destroyed first
  RcuCell(const RcuCell&) = delete;
  RcuCell& operator=(const RcuCell&) = delete;

  // Control plane, before the reader thread starts. Returns nullptr when all slots are taken.
  std::unique_ptr<Reader> register_reader() {
    for (auto& s : slots_) {
      bool expected = false;
      if (s.used.compare_exchange_strong(expected, true)) {
        return std::unique_ptr<Reader>(new Reader(this, &s.seen, &s.used));
      }
    }
    return nullptr;
  }

  // Writer side (serialised by the caller): the T readers currently get.
  const T* current() const { return owned_.get(); }

  // Installs next and frees the previous T once no reader can hold it. Waits up to patience
  // for readers inside their critical section; after that the old T is retired (freed later).
  void publish(std::unique_ptr<const T> next,
               std::chrono::nanoseconds patience = std::chrono::seconds(2)) {
    const T* raw = next.get();
    retired_.push_back({std::move(owned_), 0});
    owned_ = std::move(next);
    current_.store(raw, std::memory_order_seq_cst);
    const uint64_t gen = generation_.fetch_add(1, std::memory_order_seq_cst) + 1;
    retired_.back().generation = gen;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (!reclaim() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  // Frees retired values no reader can hold; true when none is left.
  bool reclaim() {
    uint64_t oldest_inside = kOutside;
    for (auto& s : slots_) {
      oldest_inside = std::min(oldest_inside, s.seen.load(std::memory_order_seq_cst));
    }
    // A value retired at generation g was replaced before g was published; a reader that
    // entered at g or later (or is outside) cannot hold it.
    std::erase_if(retired_, [&](const Retired& r) { return oldest_inside >= r.generation; });
    return retired_.empty();
  }

  size_t retired_count() const { return retired_.size(); }

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> seen{kOutside};
    std::atomic<bool> used{false};
  };
  struct Retired {
    std::unique_ptr<const T> value;
    uint64_t generation;
  };
  std::unique_ptr<const T> owned_;
  std::vector<Retired> retired_;
  std::atomic<const T*> current_;
  std::atomic<uint64_t> generation_{0};
  std::array<Slot, kMaxReaders> slots_;
};

}  // namespace snapflow::forward
