// NeighbourTable: the MAC addresses of the forwarder's next hops (ARP for IPv4, neighbour
// discovery for IPv6), and the packets waiting for one to resolve.
//
// Entries are created only for next hops the rules need (the engine asks for them when a rule
// appears and when a packet needs one), never for whoever sends an ARP or ND packet, so a
// flood of spoofed announcements cannot fill the table: announcements only update entries
// that exist. The table and the hold arena are fixed-size and allocated once; a packet for an
// unresolved next hop is parked in the arena (a copy of the received frame, at most
// kMaxHeldPerEntry per next hop) and processed again when the answer arrives, or dropped and
// counted when the resolution times out. Entries stay resolved: a host that changes its MAC
// announces it (gratuitous ARP, unsolicited NA), and the engine refreshes each entry it uses
// every kRefreshNs with a new request, whose answer updates the MAC.
//
// Not thread-safe: owned by the one datapath thread of an engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "snapflow/forward/address.h"

namespace snapflow::forward {

class NeighbourTable {
 public:
  static constexpr size_t kMaxHeldPerEntry = 16;
  static constexpr int64_t kProbeIntervalNs = 1'000'000'000;  ///< between requests while unresolved
  static constexpr uint32_t kMaxProbes = 3;                   ///< then held packets are dropped
  static constexpr int64_t kRefreshNs = 30'000'000'000;       ///< re-request a resolved entry

  struct Entry {
    IpAddr ip;
    MacAddress mac{};
    uint16_t port = 0;
    bool resolved = false;
    bool used = false;         ///< slot taken
    bool permanent = false;    ///< configured: never probed, never changed by announcements
    uint32_t probes = 0;       ///< requests sent since the last answer
    uint64_t wanted = 0;       ///< engine's rule-table generation that last needed this entry
    int64_t confirmed_ns = 0;  ///< last answer (monotonic)
    int64_t probed_ns = 0;     ///< last request sent (monotonic)
    uint32_t held_head = kNone;
    uint32_t held_tail = kNone;
    uint32_t held_count = 0;
  };

  struct Held {
    const std::byte* data;
    uint32_t length;
    uint16_t in_port;
    int64_t ts_ns;
  };

  static constexpr uint32_t kNone = UINT32_MAX;

  // capacity entries (rounded up to a power of two), hold_slots parked frames of up to
  // max_frame_bytes each.
  NeighbourTable(size_t capacity, size_t hold_slots, size_t max_frame_bytes);

  Entry* find(uint16_t port, const IpAddr& ip);
  // Finds or creates; nullptr when the table is full.
  Entry* find_or_create(uint16_t port, const IpAddr& ip);
  // Records an answer (or announcement) for an existing entry. Returns the entry when it
  // exists, so the caller can release its held packets; nullptr when there is none.
  Entry* learn(uint16_t port, const IpAddr& ip, const MacAddress& mac, int64_t now_ns);

  // Parks a copy of frame for entry; false when the entry's queue or the arena is full, or the
  // frame is larger than max_frame_bytes.
  bool hold(Entry& entry, const std::byte* frame, size_t length, uint16_t in_port, int64_t ts_ns);
  // Calls fn(const Held&) for each packet parked on entry, oldest first, and frees them.
  template <typename F>
  void release(Entry& entry, F&& fn) {
    uint32_t slot = entry.held_head;
    entry.held_head = entry.held_tail = kNone;
    entry.held_count = 0;
    while (slot != kNone) {
      HoldSlot& h = holds_[slot];
      fn(Held{arena_.data() + size_t{slot} * max_frame_bytes_, h.length, h.in_port, h.ts_ns});
      const uint32_t next = h.next;
      h.next = free_hold_;
      free_hold_ = slot;
      slot = next;
    }
  }

  // Visits every entry (for probing and refreshing on the engine's timer).
  template <typename F>
  void for_each(F&& fn) {
    for (Entry& e : entries_) {
      if (e.used) fn(e);
    }
  }
  size_t size() const { return used_; }
  size_t max_frame_bytes() const { return max_frame_bytes_; }

 private:
  struct HoldSlot {
    uint32_t length = 0;
    uint16_t in_port = 0;
    int64_t ts_ns = 0;
    uint32_t next = kNone;
  };
  size_t index_of(uint16_t port, const IpAddr& ip) const;

  std::vector<Entry> entries_;  ///< open addressing, power-of-two size
  size_t mask_;
  size_t used_ = 0;
  std::vector<HoldSlot> holds_;
  std::vector<std::byte> arena_;
  size_t max_frame_bytes_;
  uint32_t free_hold_ = kNone;
};

}  // namespace snapflow::forward
