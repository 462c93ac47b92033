#include "snapflow/pcap2json/packet_encoder.h"

#include "document_blocks.h"
#include "encoder_support.h"

namespace snapflow::pcap2json {

base::Result<PacketEncoder> PacketEncoder::create(const EncoderConfig& config) {
  SNAPFLOW_TRY_STATUS(validate(config), "create packet encoder");
  return PacketEncoder(config);
}

PacketEncoder::PacketEncoder(const EncoderConfig& config)
    : config_(config),
      ids_(config.observer, config.capture, config.interval_ns),
      index_(config.packet_index_prefix),
      document_bound_(detail::document_bound(config)),
      scratch_(2 * document_bound_, '\0'),
      names_ecs_(detail::ecs_names_fragment(config)),
      device_json_(json_quoted(config.observer)) {}

PacketEncoder::~PacketEncoder() = default;
PacketEncoder::PacketEncoder(PacketEncoder&&) noexcept = default;
PacketEncoder& PacketEncoder::operator=(PacketEncoder&&) noexcept = default;

void PacketEncoder::encode(const PacketFields& p, document::DocumentBatch& batch) {
  DocumentWriter w(scratch_.data());
  if (config_.bulk_form) {
    detail::write_action_line(w, index_.name(p.ts_ns),
                              ids_.packet(p.ts_ns, {p.input != nullptr ? *p.input : pcap::InputId{},
                                                    p.record_number, 1, p.wire_length}));
  }
  if (config_.format == DocumentFormat::kFmadio) {
    write_fmadio(w, p);
  } else {
    write_ecs(w, p);
  }
  if (!detail::append_document(w, document_bound_, batch)) {
    ++oversize_documents_;
    return;
  }
  batch.packets += 1;
  batch.bytes += p.wire_length;
}

void PacketEncoder::write_ecs(DocumentWriter& w, const PacketFields& p) {
  const packet::PacketView& v = *p.view;
  const packet::FlowKey& key = *p.key;

  w.lit("{\"@timestamp\":");
  w.timestamp(p.ts_ns, times_);
  w.lit(",\"event\":{\"kind\":\"event\",\"dataset\":\"snapflow.packet\"}");
  w.text(names_ecs_);

  if (v.has_ethernet || key.ip_version != 0) {
    w.lit(",\"source\":");
    size_t object = w.open();
    detail::write_ecs_endpoint(w, v.has_ethernet ? &v.source_mac : nullptr, key, true);
    w.close(object);
    w.lit(",\"destination\":");
    object = w.open();
    detail::write_ecs_endpoint(w, v.has_ethernet ? &v.destination_mac : nullptr, key, false);
    w.close(object);
  }

  w.lit(",\"network\":");
  const size_t network = w.open();
  detail::write_ecs_network_identity(w, key, v.vlan_count != 0, v.vlan_ids[0]);
  w.lit(",\"bytes\":");
  w.u64(p.wire_length);
  if (config_.community_id) detail::write_ecs_community_id(w, key);
  w.close(network);

  w.lit(",\"snapflow\":{\"record\":");
  w.u64(p.record_number);
  w.lit(",\"captured_length\":");
  w.u64(p.captured_length);
  w.lit(",\"flow_id\":");
  w.hex64(packet::flow_hash(key));
  if (v.vlan_count > 1) {
    w.lit(",\"vlan\":{\"inner_id\":");
    w.u64(v.vlan_ids[1]);
    w.ch('}');
  }
  detail::write_ecs_mpls(w, v.mpls_count, v.mpls_labels);
  detail::write_ecs_icmp(w, key);
  if (v.is_ip()) {
    w.lit(",\"ip\":{\"ttl\":");
    w.u64(v.ttl);
    w.lit(",\"id\":");
    w.u64(v.ip_id);
    w.lit(",\"fragment\":");
    w.boolean(v.is_fragment);
    w.ch('}');
  }
  if (v.ip_protocol == 6 && v.has_ports) {  // a decoded TCP header
    w.lit(",\"tcp\":{\"flags\":{\"names\":[");
    bool first = true;
    for (int i = 0; i < 8; ++i) {
      if (((v.tcp_flags >> i) & 1) == 0) continue;
      if (!first) w.ch(',');
      first = false;
      w.plain_string(detail::kTcpFlagNames[i]);
    }
    w.lit("]}}");
  }
  if (v.tunnel_count != 0) {
    const packet::TunnelLayer& t = v.tunnels[0];
    detail::write_ecs_tunnel(w, t.type, t.has_id, t.id, t.source, t.destination);
  }
  if (v.status != packet::DecodeStatus::kOk) {
    w.lit(",\"decode\":{\"status\":");
    w.plain_string(packet::to_string(v.status));  // our own names: no escaping needed
    w.ch('}');
  }
  w.lit("}}");
}

void PacketEncoder::write_fmadio(DocumentWriter& w, const PacketFields& p) {
  const packet::PacketView& v = *p.view;
  const packet::FlowKey& key = *p.key;
  detail::write_fmadio_open(w, p.ts_ns);
  w.lit(",\"Device\":");
  w.text(device_json_);
  w.lit(",\"hash\":");
  w.hex64(packet::flow_hash(key));
  w.lit(",\"TotalPkt\":1,\"TotalByte\":");
  w.u64(p.wire_length);
  w.lit(",\"TotalBits\":");
  w.u64(uint64_t{p.wire_length} * 8);
  detail::FmadioHeaders h;
  if (v.has_ethernet) {
    h.source_mac = &v.source_mac;
    h.destination_mac = &v.destination_mac;
  }
  h.vlan_count = v.vlan_count;
  h.vlan_ids = v.vlan_ids;
  h.mpls_count = v.mpls_count;
  h.mpls_labels = &v.mpls_labels;
  for (int i = 0; i < 5; ++i) h.tcp_flags[static_cast<size_t>(i)] = (v.tcp_flags >> i) & 1;
  detail::write_fmadio_headers(w, h, key);
  w.ch('}');
}

}  // namespace snapflow::pcap2json
