#include "snapflow/pcap2json/packet_encoder.h"

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
      scratch_(detail::scratch_bytes(config), '\0'),
      names_ecs_(detail::ecs_names_fragment(config)),
      device_json_(json_quoted(config.observer)) {}

PacketEncoder::~PacketEncoder() = default;
PacketEncoder::PacketEncoder(PacketEncoder&&) noexcept = default;
PacketEncoder& PacketEncoder::operator=(PacketEncoder&&) noexcept = default;

void PacketEncoder::encode(const PacketFields& p, indexer::DocumentBatch& batch) {
  JsonWriter w(scratch_.data(), scratch_.size());
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
  if (!detail::append_document(w, batch)) {
    ++oversize_documents_;
    return;
  }
  batch.packets += 1;
  batch.bytes += p.wire_length;
}

void PacketEncoder::write_ecs(JsonWriter& w, const PacketFields& p) {
  const packet::PacketView& v = *p.view;
  const packet::FlowKey& key = *p.key;
  const bool has_ip = key.ip_version != 0;
  const bool has_ports = (key.flags & packet::FlowKey::kHasPorts) != 0;
  const uint64_t hash = packet::flow_hash(key);

  w.begin_object();
  w.field_timestamp("@timestamp", p.ts_ns, times_);
  w.begin_object("event");
  w.field_plain_string("kind", "event");
  w.field_plain_string("dataset", "snapflow.packet");
  w.end_object();
  w.fragment(names_ecs_);

  if (v.has_ethernet || has_ip) {
    w.begin_object("source");
    if (v.has_ethernet) {
      w.key("mac");
      w.value_mac_ecs(v.source_mac);
    }
    if (has_ip) w.field_ip("ip", detail::key_address(key.source, key.ip_version));
    if (has_ports) w.field_uint("port", key.source_port);
    w.end_object();
    w.begin_object("destination");
    if (v.has_ethernet) {
      w.key("mac");
      w.value_mac_ecs(v.destination_mac);
    }
    if (has_ip) w.field_ip("ip", detail::key_address(key.destination, key.ip_version));
    if (has_ports) w.field_uint("port", key.destination_port);
    w.end_object();
  }

  w.begin_object("network");
  char type_buffer[8];
  const std::string_view type = detail::network_type(key.ethertype, key.ip_version, type_buffer);
  if (!type.empty()) w.field_plain_string("type", type);
  if (has_ip) {
    char proto_buffer[4];
    w.field_plain_string("transport", detail::transport_name(key.ip_protocol, proto_buffer));
    w.key("iana_number");
    w.value_uint_string(key.ip_protocol);
  }
  if (v.vlan_count != 0) {
    w.begin_object("vlan");
    w.key("id");
    w.value_uint_string(v.vlan_ids[0]);
    w.end_object();
  }
  w.field_uint("bytes", p.wire_length);
  if (has_ip && config_.community_id) {
    detail::write_community_id(w, key);
  }
  w.end_object();

  w.begin_object("snapflow");
  w.field_uint("record", p.record_number);
  w.field_uint("captured_length", p.captured_length);
  w.key("flow_id");
  w.value_hex(hash, 16);
  if (v.vlan_count > 1) {
    w.begin_object("vlan");
    w.field_uint("inner_id", v.vlan_ids[1]);
    w.end_object();
  }
  if (v.mpls_count != 0) {
    w.begin_object("mpls");
    w.begin_array("labels");
    for (uint8_t i = 0; i < v.mpls_count && i < packet::kMaxMplsLabels; ++i) {
      w.value_uint(v.mpls_labels[i]);
    }
    w.end_array();
    w.end_object();
  }
  if ((key.flags & packet::FlowKey::kHasIcmp) != 0) {
    w.begin_object("icmp");
    w.field_uint("type", key.source_port);
    w.field_uint("code", key.destination_port);
    w.end_object();
  }
  if (v.is_ip()) {
    w.begin_object("ip");
    w.field_uint("ttl", v.ttl);
    w.field_uint("id", v.ip_id);
    w.field_bool("fragment", v.is_fragment);
    w.end_object();
  }
  if (v.ip_protocol == 6 && v.has_ports) {  // a decoded TCP header
    w.begin_object("tcp");
    w.begin_object("flags");
    w.begin_array("names");
    for (int i = 0; i < 8; ++i) {
      if ((v.tcp_flags >> i) & 1) w.value_plain_string(detail::kTcpFlagNames[i]);
    }
    w.end_array();
    w.end_object();
    w.end_object();
  }
  if (v.tunnel_count != 0) {
    const packet::TunnelLayer& t = v.tunnels[0];
    w.begin_object("tunnel");
    w.field_plain_string("type", detail::tunnel_name(t.type));
    if (t.has_id) w.field_uint("vni", t.id);
    if (t.source.version != 0) {
      w.begin_object("source");
      w.field_ip("ip", t.source);
      w.end_object();
    }
    if (t.destination.version != 0) {
      w.begin_object("destination");
      w.field_ip("ip", t.destination);
      w.end_object();
    }
    w.end_object();
  }
  if (v.status != packet::DecodeStatus::kOk) {
    w.begin_object("decode");
    w.key("status");
    w.value_string(packet::to_string(v.status));
    w.end_object();
  }
  w.end_object();  // snapflow
  w.end_object();
}

void PacketEncoder::write_fmadio(JsonWriter& w, const PacketFields& p) {
  const packet::PacketView& v = *p.view;
  const packet::FlowKey& key = *p.key;
  w.begin_object();
  detail::write_fmadio_time(w, p.ts_ns);
  w.key("Device");
  w.fragment(device_json_);
  w.key("hash");
  w.value_hex(packet::flow_hash(key), 16);
  w.field_uint("TotalPkt", 1);
  w.field_uint("TotalByte", p.wire_length);
  w.field_uint("TotalBits", uint64_t{p.wire_length} * 8);
  if (v.has_ethernet) {
    w.key("MACSrc");
    w.value_mac_colon(v.source_mac);
    w.key("MACDst");
    w.value_mac_colon(v.destination_mac);
  }
  char mac_proto[8];
  w.field_plain_string("MACProto",
                       detail::fmadio_mac_proto(key.ethertype, key.ip_version, mac_proto));
  if (v.vlan_count > 0) w.field_uint("VLAN.0", v.vlan_ids[0]);
  if (v.vlan_count > 1) w.field_uint("VLAN.1", v.vlan_ids[1]);
  for (uint8_t i = 0; i < v.mpls_count && i < 3; ++i) {
    static constexpr std::string_view kLabels[3] = {"MPLS.0.Label", "MPLS.1.Label", "MPLS.2.Label"};
    w.field_uint(kLabels[i], v.mpls_labels[i]);
  }
  if (key.ip_version != 0) {
    const bool v4 = key.ip_version == 4;
    w.field_ip(v4 ? "IPv4.Src" : "IPv6.Src", detail::key_address(key.source, key.ip_version));
    w.field_ip(v4 ? "IPv4.Dst" : "IPv6.Dst", detail::key_address(key.destination, key.ip_version));
    char proto[4];
    w.field_plain_string(v4 ? "IPv4.Proto" : "IPv6.Proto",
                         detail::fmadio_ip_proto(key.ip_protocol, proto));
    if ((key.flags & packet::FlowKey::kHasPorts) != 0) {
      if (key.ip_protocol == 6) {
        w.field_uint("TCP.FIN", v.tcp_flags & 0x01 ? 1 : 0);
        w.field_uint("TCP.SYN", v.tcp_flags & 0x02 ? 1 : 0);
        w.field_uint("TCP.RST", v.tcp_flags & 0x04 ? 1 : 0);
        w.field_uint("TCP.PSH", v.tcp_flags & 0x08 ? 1 : 0);
        w.field_uint("TCP.ACK", v.tcp_flags & 0x10 ? 1 : 0);
        w.field_uint("TCP.Port.Src", key.source_port);
        w.field_uint("TCP.Port.Dst", key.destination_port);
      } else if (key.ip_protocol == 17) {
        w.field_uint("UDP.Port.Src", key.source_port);
        w.field_uint("UDP.Port.Dst", key.destination_port);
      } else {
        w.field_uint("Port.Src", key.source_port);
        w.field_uint("Port.Dst", key.destination_port);
      }
    }
  }
  w.end_object();
}

}  // namespace snapflow::pcap2json
