#include "snapflow/pcap2json/flow_table.h"

#include <algorithm>

namespace snapflow::pcap2json {

FlowTable::FlowTable(size_t initial_slots) : slots_(std::max<size_t>(initial_slots, 16)) {}

uint32_t FlowTable::find_or_insert(const packet::FlowKey& key, uint64_t hash, bool& inserted) {
  const uint32_t tag = tag_of(hash);
  size_t room = SIZE_MAX;  // first deleted slot on the way: where a new flow goes
  for (size_t i = home(tag);; i = next(i)) {
    const Slot slot = slots_[i];
    if (slot.tag == tag && entry(slot.index).key == key) {
      inserted = false;
      return slot.index;
    }
    if (slot.tag == kDeleted && room == SIZE_MAX) room = i;
    if (slot.tag != kEmpty) continue;
    if (room == SIZE_MAX && (live_ + deleted_ + 1) * 4 > slots_.size() * 3) {
      // Grows by half when live slots fill it; deleted ones are only dropped.
      rehash(live_ * 2 > slots_.size() ? slots_.size() + slots_.size() / 2 : slots_.size());
      return find_or_insert(key, hash, inserted);
    }
    const uint32_t index = allocate_entry();
    // Reclaiming an entry deleted a slot, possibly on this probe sequence: find room again.
    room = home(tag);
    while (slots_[room].tag != kEmpty && slots_[room].tag != kDeleted) room = next(room);
    deleted_ -= slots_[room].tag == kDeleted;
    slots_[room] = Slot{tag, index};
    Entry& e = entry(index);
    e.key = key;
    e.tag = tag;
    e.generation = 0;
    ++live_;
    inserted = true;
    return index;
  }
}

// A released entry (its lines are likely still cached from its release), else a fresh one.
uint32_t FlowTable::allocate_entry() {
  if (!free_.empty()) {
    const uint32_t index = free_.back();
    free_.pop_back();
    return index;
  }
  if (used_ == allocated_) {
    chunks_.push_back(std::make_unique<Entry[]>(size_t{1} << kChunkShift));
    allocated_ += size_t{1} << kChunkShift;
  }
  return static_cast<uint32_t>(used_++);
}

void FlowTable::release(uint32_t index) {
  erase_slot_of(index);
  --live_;
  free_.push_back(index);
}

// Marks the slot of entry `index` deleted: lookups pass over it, inserts reuse it.
void FlowTable::erase_slot_of(uint32_t index) {
  const uint32_t tag = entry(index).tag;
  size_t i = home(tag);
  while (slots_[i].tag != tag || slots_[i].index != index) i = next(i);
  slots_[i].tag = kDeleted;
  ++deleted_;
}

void FlowTable::rehash(size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  for (const Slot& slot : old) {
    if (slot.tag == kEmpty || slot.tag == kDeleted) continue;
    size_t i = home(slot.tag);
    while (slots_[i].tag != kEmpty) i = next(i);
    slots_[i] = slot;
  }
  deleted_ = 0;
}

size_t FlowTable::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + allocated_ * sizeof(Entry) +
         free_.capacity() * sizeof(uint32_t);
}

}  // namespace snapflow::pcap2json
