#include "snapflow/pcap2json/decoded_packet.h"

#include <cstring>

#include "snapflow/packet/flow_decode.h"

namespace snapflow::pcap2json {
namespace {

void fill_attributes(const packet::PacketView& view, FlowAttributes& out) {
  out = FlowAttributes{};
  out.has_ethernet = view.has_ethernet;
  out.source_mac = view.source_mac;
  out.destination_mac = view.destination_mac;
  out.mpls_count = view.mpls_count;
  out.mpls_labels = view.mpls_labels;
  if (view.tunnel_count > 0) {
    out.tunnel_source = view.tunnels[0].source;
    out.tunnel_destination = view.tunnels[0].destination;
  }
}

}  // namespace

packet::DecodeStatus decode_packet(const pcap::PacketRecord& record, uint32_t record_index,
                                   const packet::DecodeOptions& options, packet::PacketView& view,
                                   DecodedPacket& out, std::vector<FlowAttributes>& attributes) {
  out.ts_ns = record.ts_ns;
  out.wire_length = record.wire_length;
  out.record_index = record_index;
  out.late = false;
  packet::FastFlow fast;
  if (packet::decode_flow_fast(record.bytes(), record.link_type, options, fast)) {
    out.key = fast.key;
    out.hash = packet::flow_hash(out.key);
    out.ip_id = fast.ip_id;
    out.tcp_flags = fast.tcp_flags;
    out.fragment = DecodedPacket::kNotFragment;
    out.attributes = kAttributesInFrame;
    out.mac_offset = fast.mac_offset;
    out.tunnel_ip_offset = fast.tunnel_ip_offset;
    out.tunnel_ip_version = fast.tunnel_ip_version;
    return packet::DecodeStatus::kOk;
  }
  const packet::DecodeStatus status =
      packet::decode(record.bytes(), record.link_type, view, options);
  out.key = packet::make_flow_key(view);
  out.hash = packet::flow_hash(out.key);
  out.ip_id = view.ip_id;
  out.tcp_flags = view.ip_protocol == 6 ? view.tcp_flags : 0;
  out.fragment = !view.is_fragment        ? DecodedPacket::kNotFragment
                 : view.is_first_fragment ? DecodedPacket::kFirstFragment
                                          : DecodedPacket::kLaterFragment;
  out.attributes = static_cast<uint32_t>(attributes.size());
  out.mac_offset = out.tunnel_ip_offset = 0;
  out.tunnel_ip_version = 0;
  fill_attributes(view, attributes.emplace_back());
  return status;
}

void DecodedBatch::decode(const pcap::PacketBatch& batch, const packet::DecodeOptions& options,
                          DecodeStatusCounts& counts) {
  const auto& records = batch.records;
  packets.resize(records.size());
  attributes.clear();
  wire_bytes = 0;
  packet::PacketView view;  // decode() resets it: one per call, not one per packet
  for (uint32_t i = 0; i < records.size(); ++i) {
    wire_bytes += records[i].wire_length;
    ++counts[static_cast<size_t>(
        decode_packet(records[i], i, options, view, packets[i], attributes))];
  }
}

void DecodedBatch::attributes_of(const DecodedPacket& p, const pcap::PacketBatch& batch,
                                 FlowAttributes& out) const {
  if (p.attributes != kAttributesInFrame) {
    out = attributes[p.attributes];
    return;
  }
  const std::byte* frame = batch.records[p.record_index].data;
  out = FlowAttributes{};
  out.has_ethernet = true;
  std::memcpy(out.destination_mac.data(), frame + p.mac_offset, 6);
  std::memcpy(out.source_mac.data(), frame + p.mac_offset + 6, 6);
  if (p.tunnel_ip_offset != 0) {
    packet::FastFlow where;
    where.tunnel_ip_offset = p.tunnel_ip_offset;
    where.tunnel_ip_version = p.tunnel_ip_version;
    const std::span<const std::byte> bytes = batch.records[p.record_index].bytes();
    out.tunnel_source = packet::fast_flow_tunnel_address(bytes, where, true);
    out.tunnel_destination = packet::fast_flow_tunnel_address(bytes, where, false);
  }
}

}  // namespace snapflow::pcap2json
