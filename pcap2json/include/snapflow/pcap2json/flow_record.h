// FlowRecord: one unidirectional flow's activity within one snapshot interval, i.e. exactly one
// flow document. Produced by the snapshot engine, consumed by the encoders.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "snapflow/packet/flow_key.h"
#include "snapflow/packet/view.h"
#include "snapflow/pcap/record.h"

namespace snapflow::pcap2json {

// Indices into FlowCounters::tcp_flag_packets, in the order of the TCP flags byte's bits.
enum TcpFlagIndex { kFin, kSyn, kRst, kPsh, kAck, kUrg, kEce, kCwr, kTcpFlagCount };

// The counters of one flow in one snapshot. The snapshot engine counts most packets in its
// flow table's compact entries and writes the totals here when the snapshot closes.
struct FlowCounters {
  uint32_t size_min = UINT32_MAX;  ///< smallest frame (wire length)
  uint32_t size_max = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;                                      ///< wire bytes (original length)
  int64_t first_ts_ns = 0;                                 ///< event.start
  int64_t last_ts_ns = 0;                                  ///< event.end
  std::array<uint32_t, kTcpFlagCount> tcp_flag_packets{};  ///< packets carrying each flag
  uint32_t late_packets = 0;  ///< stragglers folded in from an already closed interval
  uint64_t late_bytes = 0;
};

// Descriptive fields taken from the first packet of the flow in the interval.
struct FlowAttributes {
  /// Input record number of the flow's first packet in the interval: with the input's id it
  /// names which packets the document carries (docs/formats.md, "Document identity").
  uint64_t first_record = 0;
  std::array<uint8_t, 6> source_mac{};
  std::array<uint8_t, 6> destination_mac{};
  bool has_ethernet = false;
  uint8_t mpls_count = 0;
  std::array<uint32_t, packet::kMaxMplsLabels> mpls_labels{};
  packet::IpAddress tunnel_source;  ///< outermost tunnel's outer IPs
  packet::IpAddress tunnel_destination;
};

struct FlowRecord {
  packet::FlowKey key;
  uint64_t hash = 0;  ///< packet::flow_hash(key)
  FlowCounters counters;
  FlowAttributes attributes;
};

// How finely a part is aggregated. A live consumer falling behind coarsens its parts before
// the ring would overwrite what it has not read (docs/decisions/0006-graceful-degradation.md).
enum class Resolution : uint8_t {
  kFull,           ///< the configured interval, every flow
  kCoarse,         ///< a longer interval
  kCoarseTopFlows  ///< a longer interval and only the largest flows (the rest folded)
};
std::string_view to_string(Resolution resolution);

// One snapshot interval of one input part (docs/decisions/0005-document-identity.md): its
// totals over all flows (one `event.kind: metric` document) and what the encoders need to name
// every document of it.
struct SnapshotTotals {
  int64_t start_ns = 0;
  int64_t interval_ns = 0;  ///< this snapshot's length (a degraded part's is longer)
  Resolution resolution = Resolution::kFull;
  uint32_t top_n = 0;  ///< kCoarseTopFlows: the flows kept (0: every flow)
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t flows = 0;
  pcap::InputId input{};      ///< the input the packets came from
  uint64_t first_record = 0;  ///< input record number of the interval's first packet
};

// One `snapflow.accounting` document: what happened to packets between two samples of a ring
// consumer, from the wire to the consumer (docs/formats.md, "Accounting documents"). Counters
// are deltas since the previous sample; the *_unread and pending fields are gauges at the end.
struct AccountingRecord {
  int64_t start_ns = 0;   ///< wall clock of the previous sample
  int64_t end_ns = 0;     ///< of this one
  uint64_t sequence = 0;  ///< the consumer's sample number (names the document)
  pcap::InputId input{};
  bool capture_stats = false;    ///< the capture daemon's counters were available
  uint64_t seen_packets = 0;     ///< arrived at the capture point
  uint64_t dropped_packets = 0;  ///< lost there (kernel/NIC)
  uint64_t spooled_packets = 0;  ///< written to the ring
  uint64_t spooled_bytes = 0;
  uint64_t pending_packets = 0;  ///< gauge: handed over, not yet in the ring
  // Signed: a restart that retracted its previous run's documents after the cursor moves
  // what that run counted as exported to overwritten where the ring lost it since (the first
  // sample after the restart may carry negative deltas; the sums stay exact).
  int64_t exported_packets = 0;  ///< read by this consumer (its documents are in the sink)
  int64_t exported_bytes = 0;
  int64_t overwritten_packets = 0;  ///< lost to the ring's overwriting before it read them
  int64_t overwritten_bytes = 0;
  uint64_t unread_packets = 0;  ///< gauge: in the ring, not yet read (the consumer's lag)
  uint64_t unread_bytes = 0;
  int64_t lag_ns = 0;  ///< gauge: newest ring time minus the consumer's last record's time
};

// Why ring data was not read: it was overwritten before the consumer got to it, or its bytes
// failed their checksums (docs/ring.md "Checksums").
enum class GapReason : uint8_t { kOverwritten, kCorrupt };

// Ring data a consumer could not read: one `snapflow.gap` document.
struct GapRecord {
  int64_t start_ns = 0;  ///< last packet seen before the loss
  int64_t end_ns = 0;    ///< first packet after it
  uint64_t packets = 0;
  uint64_t bytes = 0;  ///< wire bytes
  pcap::InputId input{};
  uint64_t first_record = 0;  ///< ring record number of the first lost record
  /// The loss starts at the cursor a restarted consumer resumed from. Writing to a search
  /// cluster, the documents its previous run delivered after that cursor were retracted at
  /// start (RingInput::resume_point, decision 0009); written to a file, they may already count some
  /// of these packets.
  bool at_resume = false;
  GapReason reason = GapReason::kOverwritten;
};

// Everything one closed snapshot interval produces.
struct SnapshotOutput {
  SnapshotTotals totals;
  std::vector<FlowRecord> flows;  ///< with --top-n, the N largest plus one "other" record
  bool has_other = false;         ///< flows.back() is the folded "other" record
  uint64_t other_flow_count = 0;  ///< how many flows were folded into it
};

}  // namespace snapflow::pcap2json
