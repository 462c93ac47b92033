// SpscRing<T>: a bounded single-producer / single-consumer burst ring between two threads.
//
// Semantics follow DPDK's rte_ring (single-producer, single-consumer mode):
//   - capacity is a power of two; 32-bit head/tail indices run freely and wrap naturally
//     (unsigned arithmetic), and are masked only when a slot is addressed, so "used" is
//     always `tail - head` and a full ring can hold exactly capacity() items;
//   - producer and consumer state sit on separate cache lines (alignas(64)) so the two
//     threads never write the same line; each side keeps a cached copy of the other side's
//     index and rereads the shared atomic only when the cached value says "full"/"empty";
//   - try_push_burst takes as many items as fit; push_bulk is all or nothing; try_pop_burst
//     takes as many as are available.
// Items are moved in and out, so T is normally a pointer or handle to a batch of packets
// (STYLE.md item 10): never single packets.
//
// Thread-safety: exactly one thread may call the push functions and exactly one (other)
// thread the pop functions; size_approx()/empty_approx() may be called from either.
// Nothing allocates after construction; nothing blocks (see backoff.h for idling).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

namespace snapflow::queue {

inline constexpr size_t kCacheLineBytes = 64;

template <typename T>
class SpscRing {
  static_assert(std::is_nothrow_move_assignable_v<T>, "SpscRing items must move without throwing");
  static_assert(std::is_default_constructible_v<T>, "SpscRing preallocates its slots");

 public:
  static constexpr uint32_t kMaxCapacity = uint32_t{1} << 31;

  // capacity must be a power of two in [1, 2^31]; anything else is a programming error and
  // is rounded up to the next power of two rather than failing.
  explicit SpscRing(uint32_t capacity)
      : capacity_(round_up_pow2(capacity)),
        mask_(capacity_ - 1),
        slots_(std::make_unique<T[]>(capacity_)) {}

  // Starts both indices at initial_index instead of 0. Behaviour is identical; tests use it
  // to run the index arithmetic across the 2^32 wrap without 2^32 operations.
  SpscRing(uint32_t capacity, uint32_t initial_index) : SpscRing(capacity) {
    prod_.tail.store(initial_index, std::memory_order_relaxed);  // before any sharing
    prod_.cached_head = initial_index;
    cons_.head.store(initial_index, std::memory_order_relaxed);  // before any sharing
    cons_.cached_tail = initial_index;
  }

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  uint32_t capacity() const { return capacity_; }

  // Producer only. Moves up to items.size() items into the ring, in order; returns how many
  // were taken (0..items.size()). Items not taken are left untouched in the span.
  size_t try_push_burst(std::span<T> items) {
    const uint32_t n = producer_reserve(static_cast<uint32_t>(items.size()), false);
    producer_commit(items.first(n));
    return n;
  }

  // Producer only. Moves all of items into the ring or none; returns items.size() or 0.
  size_t push_bulk(std::span<T> items) {
    const uint32_t n = producer_reserve(static_cast<uint32_t>(items.size()), true);
    producer_commit(items.first(n));
    return n;
  }

  // Producer only. Pushes one item; returns false when the ring is full (item untouched).
  bool try_push(T& item) { return try_push_burst(std::span<T>(&item, 1)) == 1; }

  // Consumer only. Moves up to out.size() items out of the ring into out[0..n); returns n.
  size_t try_pop_burst(std::span<T> out) {
    const uint32_t want = static_cast<uint32_t>(out.size());
    uint32_t head = cons_.head.load(std::memory_order_relaxed);  // only this thread writes it
    uint32_t available = cons_.cached_tail - head;
    if (available < want) {
      // acquire pairs with the producer's release store of prod_.tail in producer_commit():
      // every slot below the tail we read was fully written before we look at it.
      cons_.cached_tail = prod_.tail.load(std::memory_order_acquire);
      available = cons_.cached_tail - head;
    }
    const uint32_t n = available < want ? available : want;
    for (uint32_t i = 0; i < n; ++i) out[i] = std::move(slots_[(head + i) & mask_]);
    // release pairs with the producer's acquire load of cons_.head in producer_reserve(): the
    // producer may only overwrite these slots after our moves out of them have completed.
    cons_.head.store(head + n, std::memory_order_release);
    return n;
  }

  bool try_pop(T& out) { return try_pop_burst(std::span<T>(&out, 1)) == 1; }

  // Either thread; a snapshot that may be stale by the time it is used.
  uint32_t size_approx() const {
    // Both relaxed: the value is advisory only and orders no memory accesses.
    const uint32_t tail = prod_.tail.load(std::memory_order_relaxed);
    const uint32_t head = cons_.head.load(std::memory_order_relaxed);
    const uint32_t used = tail - head;
    return used > capacity_ ? capacity_ : used;
  }
  bool empty_approx() const { return size_approx() == 0; }

 private:
  static uint32_t round_up_pow2(uint32_t v) {
    if (v <= 1) return 1;
    if (v > kMaxCapacity) return kMaxCapacity;
    uint32_t p = 1;
    while (p < v) p <<= 1;
    return p;
  }

  // Returns how many slots the producer may fill now: want, or fewer (or 0 if all_or_nothing).
  uint32_t producer_reserve(uint32_t want, bool all_or_nothing) {
    const uint32_t tail = prod_.tail.load(std::memory_order_relaxed);  // only we write it
    uint32_t free_slots = capacity_ - (tail - prod_.cached_head);
    if (free_slots < want) {
      // acquire pairs with the consumer's release store of cons_.head in try_pop_burst():
      // slots below the new head have been moved out and may be overwritten.
      prod_.cached_head = cons_.head.load(std::memory_order_acquire);
      free_slots = capacity_ - (tail - prod_.cached_head);
    }
    if (free_slots >= want) return want;
    return all_or_nothing ? 0 : free_slots;
  }

  void producer_commit(std::span<T> items) {
    const uint32_t tail = prod_.tail.load(std::memory_order_relaxed);
    const uint32_t n = static_cast<uint32_t>(items.size());
    for (uint32_t i = 0; i < n; ++i) slots_[(tail + i) & mask_] = std::move(items[i]);
    // release pairs with the consumer's acquire load of prod_.tail in try_pop_burst(): the
    // slot writes above become visible before the consumer sees the new tail.
    prod_.tail.store(tail + n, std::memory_order_release);
  }

  // Producer-owned line: the producer writes tail, the consumer only reads it.
  struct alignas(kCacheLineBytes) ProducerState {
    std::atomic<uint32_t> tail{0};
    uint32_t cached_head = 0;  ///< producer's last view of cons_.head (never shared)
  };
  // Consumer-owned line: the consumer writes head, the producer only reads it.
  struct alignas(kCacheLineBytes) ConsumerState {
    std::atomic<uint32_t> head{0};
    uint32_t cached_tail = 0;  ///< consumer's last view of prod_.tail (never shared)
  };

  const uint32_t capacity_;
  const uint32_t mask_;
  std::unique_ptr<T[]> slots_;
  ProducerState prod_;
  ConsumerState cons_;
};

}  // namespace snapflow::queue
