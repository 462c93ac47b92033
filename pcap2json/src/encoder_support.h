// Pieces shared by the flow and packet encoders: protocol names, rates, action lines, fmadio
// time fields. Private to pcap2json.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/packet/flow_key.h"
#include "snapflow/packet/view.h"
#include "snapflow/pcap2json/document_id.h"
#include "snapflow/pcap2json/flow_encoder.h"
#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json::detail {

// Upper bound of one document's bytes excluding the configured names and prefixes; the
// largest (a tunnelled IPv6 packet document with every field) is well under half of this.
inline constexpr size_t kMaxFixedDocumentBytes = 4096;

// Scratch size for a config: the fixed bound plus every user-provided string it may carry,
// each counted as escaped (<= 6x) and twice (observer and capture appear in ECS and fmadio).
size_t scratch_bytes(const EncoderConfig& config);

// `"observer":{"name":"..."},"labels":{"capture":"..."}` with both names escaped.
std::string ecs_names_fragment(const EncoderConfig& config);

// ECS network.type: "ipv4", "ipv6", "arp", "lldp", ... or "0x88b5"; empty when unknown (0).
std::string_view network_type(uint16_t ethertype, uint8_t ip_version, char (&buffer)[8]);
// IANA keyword name of an IP protocol ("tcp", "ipv6-icmp"), or the number as text.
std::string_view transport_name(uint8_t protocol, char (&buffer)[4]);
// docs/formats.md snapflow.tunnel.type values.
std::string_view tunnel_name(packet::TunnelType type);
// TCP flag names in FlowCounters::tcp_flag_packets / tcp flags byte bit order.
inline constexpr std::string_view kTcpFlagNames[8] = {"fin", "syn", "rst", "psh",
                                                      "ack", "urg", "ece", "cwr"};

// fmadio's MACProto ("IPv4", "ARP", ... or 4 hex digits) and IPv4.Proto ("TCP", ... or 2 hex).
std::string_view fmadio_mac_proto(uint16_t ethertype, uint8_t ip_version, char (&buffer)[8]);
std::string_view fmadio_ip_proto(uint8_t protocol, char (&buffer)[4]);
// fmadio's time fields: "timestamp": epoch milliseconds, "TS": "HH:MM:SS.mmm.uuu.nnn" (UTC).
void write_fmadio_time(JsonWriter& w, int64_t ts_ns);

// count per second over interval_ns, exact (128-bit intermediate), rounded down.
uint64_t per_second(uint64_t count, int64_t interval_ns);

// Ends the document in w and appends it to batch. Returns false, appending nothing, when it
// overflowed the encoder's scratch buffer (sized by scratch_bytes() so that it cannot: the
// caller counts it and the pipeline reports it as an internal error, never a silent loss).
bool append_document(JsonWriter& w, indexer::DocumentBatch& batch);

// {"create":{"_index":"<index>","_id":"<id>"}}\n  (index names are validated: no escaping)
void write_action_line(JsonWriter& w, std::string_view index, const DocumentId& id);

// `"community_id":"1:..."` for IP flows; nothing for others. Computed for every document:
// packet::community_id() into a stack buffer costs ~0.1 us and allocates nothing, which
// measured cheaper than the per-encoder cache of ids this replaced (720 KB, mostly missing
// at 100k flows; docs/performance.md).
inline void write_community_id(JsonWriter& w, const packet::FlowKey& key) {
  char text[packet::kCommunityIdLength];
  const size_t length = packet::community_id(key, text);
  if (length != 0) w.field_plain_string("community_id", std::string_view(text, length));
}

// An address from FlowKey bytes and the key's ip_version.
inline packet::IpAddress key_address(const std::array<uint8_t, 16>& bytes, uint8_t version) {
  packet::IpAddress ip;
  ip.bytes = bytes;
  ip.version = version;
  return ip;
}

}  // namespace snapflow::pcap2json::detail
