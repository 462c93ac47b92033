// The blocks flow documents and packet documents share, in ECS and in fmadio form, written with
// the template writer (json_writer.h). Private to pcap2json's encoders.
//
// ECS blocks are object members with a leading comma (",\"ip\":\"10.0.0.1\""), for objects
// opened with DocumentWriter::open() and closed with close(): each block writes exactly the
// members whose facts are present, in the order of docs/json.md, and nothing otherwise.
#pragma once

#include <array>
#include <cstdint>

#include "snapflow/packet/flow_key.h"
#include "snapflow/packet/view.h"
#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json::detail {

// ,"mac":"..." (when mac is given) ,"ip":"..." (IP keys) ,"port":N (keys with ports) of the
// key's source (source = true) or destination.
void write_ecs_endpoint(DocumentWriter& w, const std::array<uint8_t, 6>* mac,
                        const packet::FlowKey& key, bool source);

// ,"type":"ipv4" (when known) ,"transport":"tcp","iana_number":"6" (IP keys)
// ,"vlan":{"id":"100"} (when tagged): the network object's identity members.
void write_ecs_network_identity(DocumentWriter& w, const packet::FlowKey& key, bool has_vlan,
                                uint16_t vlan_id);

// ,"community_id":"1:..." for IP keys; nothing for others. Computed for every document:
// packet::community_id() into a stack buffer costs ~0.1 us and allocates nothing, which
// measured cheaper than the per-encoder cache of ids it replaced (docs/performance.md).
void write_ecs_community_id(DocumentWriter& w, const packet::FlowKey& key);

// ,"mpls":{"labels":[16,17]} when count != 0 (at most packet::kMaxMplsLabels).
void write_ecs_mpls(DocumentWriter& w, uint8_t count,
                    const std::array<uint32_t, packet::kMaxMplsLabels>& labels);

// ,"icmp":{"type":8,"code":0} for ICMP keys (type and code ride in the key's port slots).
void write_ecs_icmp(DocumentWriter& w, const packet::FlowKey& key);

// ,"tunnel":{"type":"vxlan","vni":7,"source":{"ip":...},"destination":{"ip":...}}: the
// outermost tunnel; vni when it has an id, endpoints when present.
void write_ecs_tunnel(DocumentWriter& w, packet::TunnelType type, bool has_id, uint32_t id,
                      const packet::IpAddress& source, const packet::IpAddress& destination);

// fmadio: {"timestamp":<epoch ms>,"TS":"HH:MM:SS.mmm.uuu.nnn" (UTC): the document's start.
void write_fmadio_open(DocumentWriter& w, int64_t ts_ns);

// What fmadio's header fields of a flow or packet document are made of.
struct FmadioHeaders {
  const std::array<uint8_t, 6>* source_mac = nullptr;  ///< nullptr: no Ethernet
  const std::array<uint8_t, 6>* destination_mac = nullptr;
  uint8_t vlan_count = 0;  ///< VLAN.0, VLAN.1 (flows carry only the outer tag)
  std::array<uint16_t, 2> vlan_ids{};
  uint8_t mpls_count = 0;  ///< MPLS.0.Label .. MPLS.2.Label
  const std::array<uint32_t, packet::kMaxMplsLabels>* mpls_labels = nullptr;
  std::array<uint64_t, 5> tcp_flags{};  ///< FIN SYN RST PSH ACK: counts, or 0/1 for a packet
};

// ,"MACSrc":..,"MACDst":.. ,"MACProto":.. ,"VLAN.0":.. ,"MPLS.0.Label":.. and, for IP keys,
// ,"IPv4.Src":..,"IPv4.Dst":..,"IPv4.Proto":.. (IPv6.* for IPv6) and the ports (TCP.* with the
// five flag fields, UDP.*, or Port.* for other protocols with ports).
void write_fmadio_headers(DocumentWriter& w, const FmadioHeaders& h, const packet::FlowKey& key);

// An address from FlowKey bytes and the key's ip_version.
inline packet::IpAddress key_address(const std::array<uint8_t, 16>& bytes, uint8_t version) {
  packet::IpAddress ip;
  ip.bytes = bytes;
  ip.version = version;
  return ip;
}

}  // namespace snapflow::pcap2json::detail
