#include "snapflow/pcap2json/top_n.h"

#include <algorithm>

namespace snapflow::pcap2json {

void merge_counters(FlowCounters& into, const FlowCounters& from) {
  if (from.packets == 0) return;
  if (into.packets == 0 || from.first_ts_ns < into.first_ts_ns) into.first_ts_ns = from.first_ts_ns;
  if (into.packets == 0 || from.last_ts_ns > into.last_ts_ns) into.last_ts_ns = from.last_ts_ns;
  into.packets += from.packets;
  into.bytes += from.bytes;
  into.size_min = std::min(into.size_min, from.size_min);
  into.size_max = std::max(into.size_max, from.size_max);
  into.late_packets += from.late_packets;
  into.late_bytes += from.late_bytes;
  for (size_t i = 0; i < into.tcp_flag_packets.size(); ++i) {
    into.tcp_flag_packets[i] += from.tcp_flag_packets[i];
  }
}

TopN select_top_n(const ClosedSnapshot& snapshot, uint32_t n) {
  std::vector<const FlowRecord*> all;
  all.reserve(snapshot.totals.flows);
  for (const auto& shard : snapshot.shards) {
    for (const FlowRecord& record : shard) all.push_back(&record);
  }
  const auto larger = [](const FlowRecord* a, const FlowRecord* b) {
    if (a->counters.bytes != b->counters.bytes) return a->counters.bytes > b->counters.bytes;
    if (a->counters.packets != b->counters.packets)
      return a->counters.packets > b->counters.packets;
    return a->hash < b->hash;
  };
  TopN top;
  const size_t keep = std::min<size_t>(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<ptrdiff_t>(keep), all.end(), larger);
  top.kept.assign(all.begin(), all.begin() + static_cast<ptrdiff_t>(keep));
  top.other.attributes.first_record = UINT64_MAX;
  for (size_t i = keep; i < all.size(); ++i) {
    merge_counters(top.other.counters, all[i]->counters);
    top.other.attributes.first_record =
        std::min(top.other.attributes.first_record, all[i]->attributes.first_record);
  }
  top.other_flow_count = all.size() - keep;
  return top;
}

}  // namespace snapflow::pcap2json
