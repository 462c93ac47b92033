#include "snapflow/pcap2json/flow_table.h"

#include <bit>

namespace snapflow::pcap2json {

FlowTable::FlowTable(size_t initial_capacity) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(initial_capacity, 16));
  slots_.resize(capacity);
  mask_ = capacity - 1;
  records_.reserve(capacity / 2);
}

FlowRecord& FlowTable::find_or_insert(const packet::FlowKey& key, uint64_t hash, bool& inserted) {
  const uint32_t tag = tag_of(hash);
  for (size_t i = slot_index(hash);; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.tag == 0) {
      if ((records_.size() + 1) * 2 > slots_.size()) {
        grow();
        return find_or_insert(key, hash, inserted);
      }
      slot.tag = tag;
      slot.index = static_cast<uint32_t>(records_.size());
      FlowRecord& record = records_.emplace_back();
      record.key = key;
      record.hash = hash;
      inserted = true;
      return record;
    }
    if (slot.tag == tag) {
      FlowRecord& record = records_[slot.index];
      if (record.hash == hash && record.key == key) {
        inserted = false;
        return record;
      }
    }
  }
}

void FlowTable::grow() {
  std::vector<Slot> bigger(slots_.size() * 2);
  const size_t mask = bigger.size() - 1;
  for (uint32_t index = 0; index < records_.size(); ++index) {
    const uint64_t hash = records_[index].hash;
    size_t i = static_cast<size_t>(hash) & mask;
    while (bigger[i].tag != 0) i = (i + 1) & mask;
    bigger[i] = Slot{tag_of(hash), index};
  }
  slots_.swap(bigger);
  mask_ = mask;
  records_.reserve(slots_.size() / 2);
}

std::vector<FlowRecord> FlowTable::take_records() {
  std::vector<FlowRecord> out;
  out.swap(records_);
  std::fill(slots_.begin(), slots_.end(), Slot{});
  // Reserve for the next snapshot what this one needed: flows recur from one interval to the
  // next, so this avoids regrowing the dense vector every snapshot.
  records_.reserve(out.size());
  return out;
}

size_t FlowTable::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + records_.capacity() * sizeof(FlowRecord);
}

}  // namespace snapflow::pcap2json
