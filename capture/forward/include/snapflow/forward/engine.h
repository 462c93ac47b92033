// ForwardEngine: the forwarder's per-packet logic, independent of how frames are received and
// sent (DPDK or AF_PACKET: capture/src/datapath_*.cc drive it).
//
// A datapath thread owns one engine and calls, per burst of received frames:
//
//     engine.begin_batch(now);             // takes the current rule table (RCU read side)
//     for each frame: out = engine.handle(frame);   // in place; out says what to do with it
//     engine.end_batch();                  // the table may be replaced after this
//     every ~100 ms: engine.tick(now)      // neighbour probes, refreshes, hold expiry
//
// handle() answers ARP and neighbour solicitations for the probe's addresses and ICMP echo
// requests to them (in place: the frame becomes the reply, sent back out of the port it came
// in on), forwards packets that match a rule (rewrite + TTL decrement + incremental checksums
// + next-hop MAC, in place: the frame is sent out of the rule's other port), and drops the
// rest, counting each by reason. Packets for a next hop not yet resolved are parked (a copy)
// and forwarded when the answer arrives. Frames the engine creates itself (ARP/ND requests,
// time-exceeded errors, parked packets being released) go through FrameEmitter.
//
// Capture: for every forwarded packet the engine writes one copy into the CaptureSink, in the
// rule's CaptureMode: ingress = the frame as received (before any change), egress = the frame
// as sent (after), inline = the received frame with its destination replaced by the far end it
// stands for (A -> capture becomes A -> B; B -> egress becomes B -> A) and checksums updated.
// Only forwarded packets are captured, each exactly once (a fragment is one packet); ARP, ND
// and ICMP the probe answers itself are not. When the sink has no room (the ring writer fell
// behind) the copy is counted as capture_dropped and forwarding goes on.
//
// Not thread-safe: one engine per datapath thread. Counters are readable from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "snapflow/forward/counters.h"
#include "snapflow/forward/frame.h"
#include "snapflow/forward/neighbour.h"
#include "snapflow/forward/ports.h"
#include "snapflow/forward/rcu.h"
#include "snapflow/forward/rule.h"

namespace snapflow::forward {

// Where capture copies go (the capture stream's current batch). reserve() returns space for
// up to bytes, or nullptr when there is none; commit() completes the record reserved last.
class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  virtual std::byte* reserve(uint32_t bytes) = 0;
  virtual void commit(int64_t ts_ns, uint32_t captured_bytes, uint32_t wire_bytes) = 0;
};

// Transmits frames the engine built (a copy is taken). False when the port cannot take it now.
class FrameEmitter {
 public:
  virtual ~FrameEmitter() = default;
  virtual bool emit(uint16_t port, const std::byte* frame, size_t length) = 0;
};

struct EngineOptions {
  uint32_t snaplen = 262144;          ///< capture copies are cut to this many bytes
  uint32_t icmp_errors_per_s = 1000;  ///< time-exceeded and echo replies, token bucket
  size_t neighbour_capacity = 4096;
  size_t hold_slots = 512;  ///< packets parked while next hops resolve
};

struct RxFrame {
  std::byte* data;
  uint32_t length;
  uint16_t port;
  int64_t ts_ns;          ///< receive time, ns since the epoch (the capture timestamp)
  bool checksum_partial;  ///< the transport checksum is the kernel's partial one
};

struct Outcome {
  bool transmit = false;  ///< send the (modified) frame out of `port`; otherwise it is done
  uint16_t port = 0;
  RuleCounters* counters = nullptr;  ///< the rule a forwarded frame belongs to
};

class ForwardEngine {
 public:
  using TableCell = RcuCell<RuleTable>;

  // ports: with MAC and MTU filled in. reader: registered with the RuleStore's table cell.
  ForwardEngine(Ports ports, std::unique_ptr<TableCell::Reader> reader, CaptureSink& capture,
                FrameEmitter& emitter, EngineOptions options);
  ForwardEngine(const ForwardEngine&) = delete;
  ForwardEngine& operator=(const ForwardEngine&) = delete;

  // now_ns: monotonic clock (timers); frames carry their own epoch timestamps.
  void begin_batch(int64_t now_ns);
  Outcome handle(RxFrame& frame);
  void end_batch();
  // Timers; call every ~100 ms, between batches (it takes the table itself).
  void tick(int64_t now_ns);

  // The datapath could not send a forwarded frame (only when stopping with frames queued).
  void count_unsent(const Outcome& outcome);

  const EngineCounters& counters() const { return counters_; }
  const Ports& ports() const { return ports_; }
  const std::array<Counter, static_cast<size_t>(ParseStatus::kCount)>& parse_counters() const {
    return parse_counters_;
  }

 private:
  Outcome handle_arp(RxFrame& frame);
  Outcome handle_local(RxFrame& frame, const FrameView& view);
  Outcome handle_nd(RxFrame& frame, const FrameView& view);
  Outcome forward(RxFrame& frame, const FrameView& view, const RuleTable::Match& match);
  void capture_copy(const RxFrame& frame, const FrameView& view, const Rule& rule,
                    Direction direction, bool after_rewrite, RuleCounters& counters);
  void release_held(NeighbourTable::Entry& entry);
  void send_probe(NeighbourTable::Entry& entry, int64_t now_ns);
  void on_new_table(int64_t now_ns);
  bool take_icmp_token(int64_t now_ns);
  void expire_held(NeighbourTable::Entry& entry);
  NeighbourTable::Entry* next_hop_entry(const Rule& rule, Direction direction, uint16_t port,
                                        const IpAddr& next_hop);

  Ports ports_;
  std::unique_ptr<TableCell::Reader> reader_;
  CaptureSink& capture_;
  FrameEmitter& emitter_;
  EngineOptions options_;
  NeighbourTable neighbours_;
  const RuleTable* table_ = nullptr;  ///< valid between begin_batch and end_batch
  uint64_t seen_version_ = UINT64_MAX;
  uint64_t wanted_generation_ = 0;
  int64_t now_ns_ = 0;
  double icmp_tokens_ = 0;
  int64_t icmp_refill_ns_ = 0;
  uint16_t ip_id_ = 0;
  std::unique_ptr<std::byte[]> scratch_;  ///< built frames (ICMP errors, ARP/ND requests)
  // (rule, direction) -> its next hop's entry, so the per-packet path skips the neighbour
  // table's hash. Entries never move or disappear; cleared when the rule table changes.
  struct HopCache {
    const Rule* rule = nullptr;
    Direction direction = Direction::kAtoB;
    NeighbourTable::Entry* entry = nullptr;
  };
  static constexpr size_t kHopCacheSize = 256;
  std::array<HopCache, kHopCacheSize> hop_cache_{};
  EngineCounters counters_;
  std::array<Counter, static_cast<size_t>(ParseStatus::kCount)> parse_counters_;
};

}  // namespace snapflow::forward
