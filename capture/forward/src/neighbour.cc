#include "snapflow/forward/neighbour.h"

#include <bit>
#include <cstring>

namespace snapflow::forward {

NeighbourTable::NeighbourTable(size_t capacity, size_t hold_slots, size_t max_frame_bytes)
    : entries_(std::bit_ceil(std::max<size_t>(capacity, 16))),
      mask_(entries_.size() - 1),
      holds_(hold_slots),
      arena_(hold_slots * max_frame_bytes),
      max_frame_bytes_(max_frame_bytes) {
  for (size_t i = hold_slots; i-- > 0;) {
    holds_[i].next = free_hold_;
    free_hold_ = static_cast<uint32_t>(i);
  }
}

size_t NeighbourTable::index_of(uint16_t port, const IpAddr& ip) const {
  return (hash_addresses(reinterpret_cast<const std::byte*>(ip.bytes.data()),
                         reinterpret_cast<const std::byte*>(ip.bytes.data()), ip.size()) +
          port) &
         mask_;
}

NeighbourTable::Entry* NeighbourTable::find(uint16_t port, const IpAddr& ip) {
  size_t i = index_of(port, ip);
  for (size_t probe = 0; probe <= mask_; ++probe, i = (i + 1) & mask_) {
    Entry& e = entries_[i];
    if (!e.used) return nullptr;
    if (e.port == port && e.ip == ip) return &e;
  }
  return nullptr;
}

NeighbourTable::Entry* NeighbourTable::find_or_create(uint16_t port, const IpAddr& ip) {
  size_t i = index_of(port, ip);
  for (size_t probe = 0; probe <= mask_; ++probe, i = (i + 1) & mask_) {
    Entry& e = entries_[i];
    if (e.used && e.port == port && e.ip == ip) return &e;
    if (!e.used) {
      // Keep a quarter free so that probe sequences stay short.
      if ((used_ + 1) * 4 > entries_.size() * 3) return nullptr;
      e = Entry{};
      e.used = true;
      e.port = port;
      e.ip = ip;
      ++used_;
      return &e;
    }
  }
  return nullptr;
}

NeighbourTable::Entry* NeighbourTable::learn(uint16_t port, const IpAddr& ip, const MacAddress& mac,
                                             int64_t now_ns) {
  Entry* e = find(port, ip);
  if (!e) return nullptr;
  if (e->permanent) return e;
  e->mac = mac;
  e->resolved = true;
  e->probes = 0;
  e->confirmed_ns = now_ns;
  return e;
}

bool NeighbourTable::hold(Entry& entry, const std::byte* frame, size_t length, uint16_t in_port,
                          int64_t ts_ns) {
  if (entry.held_count >= kMaxHeldPerEntry || free_hold_ == kNone || length > max_frame_bytes_) {
    return false;
  }
  const uint32_t slot = free_hold_;
  HoldSlot& h = holds_[slot];
  free_hold_ = h.next;
  std::memcpy(arena_.data() + size_t{slot} * max_frame_bytes_, frame, length);
  h.length = static_cast<uint32_t>(length);
  h.in_port = in_port;
  h.ts_ns = ts_ns;
  h.next = kNone;
  if (entry.held_tail == kNone) {
    entry.held_head = slot;
  } else {
    holds_[entry.held_tail].next = slot;
  }
  entry.held_tail = slot;
  ++entry.held_count;
  return true;
}

}  // namespace snapflow::forward
