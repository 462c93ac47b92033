#include "snapflow/pcap2json/flow_table.h"

#include <algorithm>

namespace snapflow::pcap2json {

FlowTable::FlowTable(size_t initial_capacity) : entries_(std::max<size_t>(initial_capacity, 16)) {}

uint32_t FlowTable::find_or_insert(const FlowId& id, bool& inserted) {
  size_t room = SIZE_MAX;  // first deleted entry on the way: where a new flow goes
  for (size_t i = home(id);; i = next(i)) {
    const FlowId& here = entries_[i].id;
    if (here == id) {
      inserted = false;
      return static_cast<uint32_t>(i);
    }
    if (here == kDeleted) {
      if (room == SIZE_MAX) room = i;
      continue;
    }
    if (here != kEmpty) continue;
    if (room == SIZE_MAX) {
      if ((live_ + deleted_ + 1) * 4 > entries_.size() * 3) {
        // Grows by half when live entries fill it; deleted ones are only dropped.
        rehash(live_ * 2 > entries_.size() ? entries_.size() + entries_.size() / 2
                                           : entries_.size());
        return find_or_insert(id, inserted);
      }
      room = i;
    } else {
      --deleted_;
    }
    Entry& e = entries_[room];
    e.id = id;
    e.generation = 0;
    ++live_;
    inserted = true;
    return static_cast<uint32_t>(room);
  }
}

void FlowTable::release(uint32_t index) {
  entries_[index].id = kDeleted;
  --live_;
  ++deleted_;
}

void FlowTable::rehash(size_t capacity) {
  std::vector<Entry> old(capacity);
  old.swap(entries_);
  // Indexes from before an earlier growth that nobody asked for are of no use any more.
  remap_.assign(old.size(), kMoved);
  for (size_t from = 0; from < old.size(); ++from) {
    const Entry& e = old[from];
    if (e.id == kEmpty || e.id == kDeleted) continue;
    size_t i = home(e.id);
    while (entries_[i].id != kEmpty) i = next(i);
    entries_[i] = e;
    remap_[from] = static_cast<uint32_t>(i);
  }
  deleted_ = 0;
}

size_t FlowTable::memory_bytes() const {
  return entries_.capacity() * sizeof(Entry) + remap_.capacity() * sizeof(uint32_t);
}

}  // namespace snapflow::pcap2json
