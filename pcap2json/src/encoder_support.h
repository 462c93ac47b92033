// Pieces shared by the flow and packet encoders: document size bounds, protocol names, rates,
// action lines, appending a finished document to its batch. Private to pcap2json; the shared
// document blocks are in document_blocks.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/document/batch.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/packet/view.h"
#include "snapflow/pcap2json/document_id.h"
#include "snapflow/pcap2json/encoder_config.h"
#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json::detail {

// Upper bound of one document's bytes excluding the configured names and prefixes; the
// largest (a tunnelled IPv6 packet document with every field) is well under half of this
// (encoder tests check the worst cases).
inline constexpr size_t kMaxFixedDocumentBytes = 4096;

// The size bound of one document for a config: the fixed bound plus every user-provided
// string it may carry, each counted as escaped (<= 6x) and twice (observer and capture appear
// in ECS and fmadio). The encoders' scratch buffers hold twice this, so a document that broke
// the bound is still written inside the buffer, then dropped and counted (never truncated).
size_t document_bound(const EncoderConfig& config);

// `,"observer":{"name":"..."},"labels":{"capture":"..."}` with both names escaped.
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

// count per second over interval_ns, exact (128-bit intermediate), rounded down.
uint64_t per_second(uint64_t count, int64_t interval_ns);

// Ends the document in w (a newline) and appends it to batch. Returns false, appending
// nothing, when it is larger than `bound` (document_bound(): it cannot be, by construction;
// the caller counts it and the pipeline reports it as an internal error, never a silent loss).
bool append_document(DocumentWriter& w, size_t bound, document::DocumentBatch& batch);

// {"create":{"_index":"<index>","_id":"<id>"}}\n  (index names are validated: no escaping)
inline void write_action_line(DocumentWriter& w, std::string_view index, const DocumentId& id) {
  w.lit("{\"create\":{\"_index\":\"");
  w.text(index);
  w.lit("\",\"_id\":\"");
  w.text(id.view());
  w.lit("\"}}\n");
}

}  // namespace snapflow::pcap2json::detail
