// Time windows over the ring: where a time falls, what a window holds, and its records.
//
// find_position() finds the first record, in file order, whose time is at or after a given
// time: segments are picked by their largest timestamp, then the per-segment time index narrows
// the search to one or two index intervals, which are scanned (checked against their checksums
// first). It stays exact when the capture clock jumps backwards or forwards inside a segment:
// the writer takes an index entry at every record later than the previous entry + the index
// interval, so an interval's records are all earlier than its entry's time + the interval
// (recorded per segment); only segments written before that was recorded fall back to a binary
// search that assumes non-decreasing time. window_stats() is two lookups: its packet,
// wire-byte and PCAP-size totals are exact differences of the ring-wide cumulative counters.
// A window is "the records from the first at/after start up to the first at/after stop", in
// file order: with a clock that jumped, it may include records outside [start, stop) and miss
// some inside it (docs/ring.md "Time").
//
// All functions read only committed data, are thread-safe and may run while the writer runs.
// If a segment is reused during a lookup, they fail with kUnavailable (retry).
#pragma once

#include <cstdint>
#include <functional>

#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

// Position of the first record with ts >= ts_ns; the oldest data if ts_ns precedes it, the
// end of the committed data if no record is that late; {} for an empty ring.
base::Result<RingPosition> find_position(const RingLayout& layout, int64_t ts_ns);

struct WindowStats {
  RingPosition start;
  RingPosition stop;
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;
  uint64_t pcap_bytes = 0;       ///< size of the window served as one PCAP file (header included)
  uint64_t lost_packets = 0;     ///< for_each_*: records overwritten while they were being read
  uint64_t corrupt_packets = 0;  ///< for_each_*: records skipped as damaged (checksum.h)
};

WindowStats stats_between(const RingPosition& start, const RingPosition& stop);

// Exact totals of the records in [start_ns, stop_ns), from the index and a bounded scan.
base::Result<WindowStats> window_stats(const RingLayout& layout, int64_t start_ns, int64_t stop_ns);

using RecordCallback = std::function<base::Status(const pcap::PacketRecord&)>;

// Calls fn for every record from position start up to (not including) position stop, in order;
// stops early and returns fn's error if fn fails. Records overwritten before they could be read
// are skipped and counted in lost_packets, damaged ones in corrupt_packets.
base::Result<WindowStats> for_each_record_between(const RingLayout& layout,
                                                  const RingPosition& start,
                                                  const RingPosition& stop,
                                                  const RecordCallback& fn);
// The same for the records in [start_ns, stop_ns).
base::Result<WindowStats> for_each_record_in(const RingLayout& layout, int64_t start_ns,
                                             int64_t stop_ns, const RecordCallback& fn);

}  // namespace snapflow::ring
