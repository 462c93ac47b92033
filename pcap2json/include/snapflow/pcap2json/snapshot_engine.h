// SnapshotEngine: turns decoded packets into per-interval flow records ("snapflows").
//
// Data flow per input batch:
//   assign()          parallel (the decode stage, any batch): each packet's snapshot from its
//                     time, and whether it is late against the batch's own earlier packets;
//                     the batch's shard plan (hash % shards)
//   settle()          serial, in batch order: lateness against the watermark so far (late
//                     packets go to the oldest open snapshot), later IP fragments given the
//                     ports of their first fragment, the watermark advanced, and which
//                     snapshots close after the batch. Per packet only for late packets and
//                     fragments, so the serial stage stays small
//   aggregate_shard() parallel over shards: each shard counts its packets in its own flow table
//                     and snapshots (no locks; a shard belongs to exactly one task per batch),
//                     then completes its part of the snapshots that close
//   take_closed()     serial: assembles the closed snapshots from the shards' parts
// A snapshot [S, S+I) closes when the watermark (largest timestamp seen) reaches S+I+W, where
// W is the reorder window. Packets older than that are "late": they are counted in the oldest
// still-open snapshot (flagged in snapflow.late.*) so totals stay exact.
//
// Each shard keeps one FlowTable for the whole run (flow_table.h): a flow's entry holds its
// key and the counters of its record in the snapshot it is counting, and each open snapshot
// holds its records in the order their flows first appeared in it (the order documents are
// written in). A record is written on a flow's first packet in a snapshot (key, descriptive
// fields, first record number) and completed when the flow moves on to a newer snapshot or the
// snapshot closes. Packets of an older open snapshot than their flow's current one (reordered
// stragglers, late packets) are counted in that snapshot's record directly.
//
// Parts (docs/decisions/0005-document-identity.md): the engine aggregates one input part at a
// time. take_all() then begin_part() end one part and start the next from a clean state
// (watermark, fragments; every record of the previous part has been written out), so what a
// part produces depends on that part's packets alone: the same part replayed alone, or after
// any other input, yields the same documents.
//
// Invariant: over the whole input, the packets and bytes of all closed snapshots equal the
// packets and wire bytes given to settle(). Not thread-safe except assign() (static),
// recycle(), and aggregate_shard() for distinct shards: calls for one shard must come one at a
// time in batch order, but may overlap with settle() and take_closed() of other batches.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "snapflow/packet/flow_key.h"
#include "snapflow/pcap/record.h"
#include "snapflow/pcap2json/decoded_packet.h"
#include "snapflow/pcap2json/flow_record.h"
#include "snapflow/pcap2json/flow_table.h"

namespace snapflow::pcap2json {

inline constexpr int64_t kDefaultIntervalNs = 100'000'000;
inline constexpr int64_t kDefaultReorderWindowNs = 10'000'000;
inline constexpr int64_t kMinIntervalNs = 1'000'000;
inline constexpr int64_t kMaxIntervalNs = 3'600'000'000'000;
inline constexpr uint32_t kMaxShards = 256;

// How one part is aggregated (docs/decisions/0006-graceful-degradation.md).
struct PartMode {
  Resolution resolution = Resolution::kFull;
  int64_t interval_ns = 0;  ///< kCoarse*: the longer interval (a multiple of the configured one)
  uint32_t top_n = 0;       ///< kCoarseTopFlows: flows kept per snapshot

  friend bool operator==(const PartMode&, const PartMode&) = default;
};

struct SnapshotConfig {
  int64_t interval_ns = kDefaultIntervalNs;
  int64_t reorder_window_ns = kDefaultReorderWindowNs;
  uint32_t shard_count = 16;  ///< rounded up to a power of two, at most kMaxShards
};

// A closed snapshot: its totals and its flows, one vector per shard (not merged: encoders work
// on the shard vectors in parallel and nothing is copied).
struct ClosedSnapshot {
  SnapshotTotals totals;
  std::vector<std::vector<FlowRecord>> shards;
};

struct EngineStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t late_packets = 0;
  uint64_t late_bytes = 0;
  uint64_t fragments_matched = 0;    ///< later fragments given their first fragment's ports
  uint64_t fragments_unmatched = 0;  ///< later fragments whose first fragment was not seen
  uint64_t snapshots = 0;
  uint64_t flows = 0;  ///< flow records emitted
  /// Peak bytes of the flow tables (slots and entries: what every packet touches), and of the
  /// tables plus the records of the open snapshots (sampled when snapshots close).
  uint64_t peak_flow_table_bytes = 0;
  uint64_t peak_flow_memory_bytes = 0;
  uint64_t peak_flow_table_entries = 0;  ///< flows in the tables at once (at most)
};

// One batch's way through the engine: what assign() found, what settle() decided, and the
// shards' parts of the snapshots that close after it.
struct BatchPlan {
  // assign(): the shard plan ...
  std::vector<uint32_t> order;    ///< packet indices, grouped by shard, batch order within
  std::vector<uint64_t> hashes;   ///< hashes[i] = hash of packet order[i] (read ahead to prefetch)
  std::vector<uint32_t> offsets;  ///< shard s owns order[offsets[s] .. offsets[s+1])
  // ... and the batch's summary
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t max_ts_ns = INT64_MIN;
  int64_t min_start_ns = INT64_MAX;  ///< smallest snapshot start of a packet not yet late
  std::vector<int64_t> starts;       ///< distinct snapshot starts of packets not yet late
  std::vector<uint32_t> special;     ///< packets late within the batch, and fragments (in order)
  // settle(): the snapshots that close after this batch, oldest first, and their part
  std::vector<int64_t> closing;
  pcap::InputId input{};
  int64_t interval_ns = 0;
  PartMode mode;
  // aggregate_shard(): each shard's part of each closing snapshot
  struct Part {
    bool present = false;
    std::vector<FlowRecord> records;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t first_record = UINT64_MAX;
  };
  std::vector<std::vector<Part>> parts;  ///< [shard][closing index]
  /// [shard] memory when its snapshots closed: table bytes, open records' bytes, entries
  std::vector<uint64_t> shard_table_bytes;
  std::vector<uint64_t> shard_records_bytes;
  std::vector<uint64_t> shard_entries;
};

class SnapshotEngine {
 public:
  explicit SnapshotEngine(const SnapshotConfig& config);

  uint32_t shard_count() const { return static_cast<uint32_t>(shards_.size()); }
  int64_t interval_ns() const { return config_.interval_ns; }
  const PartMode& part_mode() const { return mode_; }

  // Starts a part of `input` (call after take_all(), or first): forgets the watermark and
  // fragment state of the previous part. A degraded part (mode.resolution != kFull) is cut
  // into snapshots of mode.interval_ns instead of the configured interval.
  void begin_part(const pcap::InputId& input, const PartMode& mode = {});
  // The snapshot length of a part aggregated in `mode`.
  int64_t interval_for(const PartMode& mode) const;

  // Parallel half of a batch's preparation (thread-safe: touches only its arguments).
  // interval_ns is the batch's part's (interval_for). Fills plan's shard plan and summary.
  static void assign(std::span<DecodedPacket> packets, int64_t interval_ns,
                     const SnapshotConfig& config, BatchPlan& plan);
  // Serial half, batch after batch in input order (after assign()).
  void settle(std::span<DecodedPacket> packets, BatchPlan& plan);
  // assign() and settle() in one call, for callers without a parallel stage.
  void prepare(std::span<DecodedPacket> packets, BatchPlan& plan) {
    assign(packets, interval_ns_, config_, plan);
    settle(packets, plan);
  }
  // Counts shard `shard`'s packets of the batch, then takes out its part of the snapshots
  // that close after it. `batch` is the one `decoded` was decoded from: a flow's first packet
  // in a snapshot gives its record the descriptive fields and the record number.
  void aggregate_shard(uint32_t shard, BatchPlan& plan, const DecodedBatch& decoded,
                       const pcap::PacketBatch& batch);
  // Appends the snapshots that closed after the batch (assembled from the shards' parts),
  // oldest first. Follows every batch's aggregate_shard() calls: until then they are held by
  // the plan, not by the engine.
  void take_closed(BatchPlan& plan, std::vector<ClosedSnapshot>& out);
  // Record vectors of closed snapshots that were encoded (emptied): the engine reuses their
  // memory for new snapshots instead of faulting in fresh pages. Takes what it can keep.
  // Thread-safe (one lock per vector).
  void recycle(std::vector<std::vector<FlowRecord>>& spares);
  // End of a part or of the input: appends every snapshot still open, oldest first.
  void take_all(std::vector<ClosedSnapshot>& out);

  const EngineStats& stats() const { return stats_; }

 private:
  // Where a record's flow counts: its entry, and the record it had in the previous snapshot it
  // moved on from (to find it again for a straggler of that snapshot).
  struct RecordLink {
    uint32_t entry;
    uint32_t previous_generation;  ///< 0: none
    uint32_t previous_record;
  };
  struct OpenSnapshot {
    int64_t start_ns = 0;
    uint32_t generation = 0;          ///< unique among the shard's snapshots (until it wraps)
    std::vector<FlowRecord> records;  ///< in the order flows first appeared in the snapshot
    std::vector<RecordLink> links;    ///< parallel to records
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t first_record = UINT64_MAX;  ///< smallest input record number counted
    /// entry -> record, built on the first straggler that cannot find its record by the links
    std::unordered_map<uint32_t, uint32_t> by_entry;
    bool by_entry_built = false;
  };
  struct Shard {
    FlowTable table;
    std::vector<OpenSnapshot> open;   ///< few: ceil(W / I) + 1 at most in steady state
    std::vector<OpenSnapshot> spare;  ///< closed ones kept for their links' capacity
    uint32_t next_generation = 1;
    size_t records_hint = 0;  ///< records of the last snapshot closed: reserved for the next

    OpenSnapshot* open_with_generation(uint32_t generation);
  };
  struct Context;  // one shard's view of the batch being aggregated (snapshot_engine.cc)

  OpenSnapshot& snapshot_for(Shard& shard, int64_t start_ns);

  struct FragmentId {
    packet::FlowKey key;  ///< without ports
    uint32_t ip_id;
    bool operator==(const FragmentId&) const = default;
  };
  struct FragmentIdHash {
    size_t operator()(const FragmentId& id) const;
  };
  struct FragmentPorts {
    uint16_t source_port;
    uint16_t destination_port;
    int64_t ts_ns;
  };

  // Returns whether the packet's key (and so its hash and shard) changed.
  bool fix_fragment(DecodedPacket& packet);
  void advance_watermark(int64_t ts_ns);
  // Takes shard `shard`'s parts of the snapshots starting at plan.closing out of it.
  void close_shard(uint32_t shard, BatchPlan& plan);
  void assemble(BatchPlan& plan, std::vector<ClosedSnapshot>& out);
  void size_parts(BatchPlan& plan) const;
  // Writes the counters of every record still counted in its entry, marks those entries idle.
  static void complete(Shard& shard, OpenSnapshot& snapshot);

  SnapshotConfig config_;
  std::vector<Shard> shards_;
  std::mutex spare_records_mu_;  ///< shard tasks take, the pipeline gives back
  std::vector<std::vector<FlowRecord>> spare_records_;  ///< see recycle()
  pcap::InputId input_{};                               ///< of the current part
  PartMode mode_;
  int64_t interval_ns_ = 0;           ///< of the current part
  std::vector<int64_t> open_starts_;  ///< snapshot starts given to packets and not closed
  BatchPlan final_plan_;              ///< take_all()'s
  int64_t watermark_ns_ = INT64_MIN;
  int64_t closed_before_ns_ = INT64_MIN;
  bool seen_packet_ = false;
  std::unordered_map<FragmentId, FragmentPorts, FragmentIdHash> fragments_;
  std::deque<std::pair<int64_t, FragmentId>> fragment_expiry_;
  EngineStats stats_;
};

}  // namespace snapflow::pcap2json
