// --top-n: keep the N largest flows of a snapshot (by bytes, ties by packets then flow hash,
// so the choice is deterministic) and fold the rest into one "other" record whose counters
// are the exact sums of what it folds, so a snapshot's totals never change.
#pragma once

#include <cstdint>
#include <vector>

#include "snapflow/pcap2json/flow_record.h"
#include "snapflow/pcap2json/snapshot_engine.h"

namespace snapflow::pcap2json {

struct TopN {
  std::vector<const FlowRecord*> kept;  ///< the N largest, largest first
  FlowRecord other;                     ///< key zeroed; counters summed over the rest
  uint64_t other_flow_count = 0;
};

// Requires n > 0. Pointers refer into snapshot, which must outlive the result.
TopN select_top_n(const ClosedSnapshot& snapshot, uint32_t n);

// Adds the counters of `from` into `into` (packets, bytes, flags, sizes, time range, late).
void merge_counters(FlowCounters& into, const FlowCounters& from);

}  // namespace snapflow::pcap2json
