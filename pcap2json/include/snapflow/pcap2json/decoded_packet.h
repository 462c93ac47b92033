// The decode stage: per input record, what flow aggregation needs and nothing more.
//
// DecodedBatch::decode() runs in the pipeline's parallel stage. Most packets take the flow
// fast path (packet::decode_flow_fast: Ethernet, VLAN, IPv4/IPv6, TCP/UDP/..., one VXLAN
// level), whose descriptive fields stay in the frame and are read from it only for a flow's
// first packet in a snapshot; the others go through packet::decode() and leave their fields
// in the batch's attribute list. Either way the aggregator decodes nothing a second time.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/pcap/record.h"
#include "snapflow/pcap2json/flow_record.h"

namespace snapflow::pcap2json {

inline constexpr uint32_t kAttributesInFrame = UINT32_MAX;

// One packet after the decode stage (96 bytes).
struct DecodedPacket {
  packet::FlowKey key;
  uint64_t hash = 0;  ///< packet::flow_hash(key)
  int64_t ts_ns = 0;
  int64_t snapshot_start_ns = 0;  ///< set by SnapshotEngine::prepare()
  uint32_t wire_length = 0;
  uint32_t record_index = 0;  ///< in the PacketBatch
  uint32_t ip_id = 0;         ///< for fragment matching
  /// kAttributesInFrame: the MACs are the frame's 12 bytes at mac_offset, the tunnel
  /// endpoints the addresses of the IP header at tunnel_ip_offset (if not 0), and there are no
  /// MPLS labels. Otherwise an index into DecodedBatch::attributes.
  uint32_t attributes = kAttributesInFrame;
  uint16_t mac_offset = 0;
  uint16_t tunnel_ip_offset = 0;
  uint8_t tunnel_ip_version = 0;
  uint8_t tcp_flags = 0;
  enum Fragment : uint8_t { kNotFragment, kFirstFragment, kLaterFragment } fragment = kNotFragment;
  bool late = false;  ///< set by prepare()
};
static_assert(sizeof(DecodedPacket) == 96);

inline constexpr size_t kDecodeStatusCount = static_cast<size_t>(packet::DecodeStatus::kCount);
using DecodeStatusCounts = std::array<uint64_t, kDecodeStatusCount>;

// The decode stage's output for one PacketBatch. Reused batch after batch (capacity is kept).
struct DecodedBatch {
  std::vector<DecodedPacket> packets;      ///< one per record, in record order
  std::vector<FlowAttributes> attributes;  ///< of the packets the fast path did not take
  uint64_t wire_bytes = 0;                 ///< of all packets

  void clear() {
    packets.clear();
    attributes.clear();
    wire_bytes = 0;
  }
  // Decodes every record of batch (replacing what was here), adding each packet's status to
  // counts. Thread-safe for distinct DecodedBatch objects.
  void decode(const pcap::PacketBatch& batch, const packet::DecodeOptions& options,
              DecodeStatusCounts& counts);
  // The descriptive fields of packet p (all but first_record), from the frame or the list.
  void attributes_of(const DecodedPacket& p, const pcap::PacketBatch& batch,
                     FlowAttributes& out) const;
};

// Decodes one record into out through the fast path or decode() (`scratch` is the caller's
// reusable view); a packet the fast path does not take appends its attributes to `attributes`.
packet::DecodeStatus decode_packet(const pcap::PacketRecord& record, uint32_t record_index,
                                   const packet::DecodeOptions& options,
                                   packet::PacketView& scratch, DecodedPacket& out,
                                   std::vector<FlowAttributes>& attributes);

}  // namespace snapflow::pcap2json
