#include "document_blocks.h"

#include "encoder_support.h"

namespace snapflow::pcap2json::detail {

void write_ecs_endpoint(DocumentWriter& w, const std::array<uint8_t, 6>* mac,
                        const packet::FlowKey& key, bool source) {
  if (mac != nullptr) {
    w.lit(",\"mac\":");
    w.mac_ecs(*mac);
  }
  if (key.ip_version != 0) {
    w.lit(",\"ip\":");
    w.ip(key_address(source ? key.source : key.destination, key.ip_version));
  }
  if ((key.flags & packet::FlowKey::kHasPorts) != 0) {
    w.lit(",\"port\":");
    w.u64(source ? key.source_port : key.destination_port);
  }
}

void write_ecs_network_identity(DocumentWriter& w, const packet::FlowKey& key, bool has_vlan,
                                uint16_t vlan_id) {
  char type_buffer[8];
  const std::string_view type = network_type(key.ethertype, key.ip_version, type_buffer);
  if (!type.empty()) {
    w.lit(",\"type\":");
    w.plain_string(type);
  }
  if (key.ip_version != 0) {
    char proto_buffer[4];
    w.lit(",\"transport\":");
    w.plain_string(transport_name(key.ip_protocol, proto_buffer));
    w.lit(",\"iana_number\":");
    w.quoted_u64(key.ip_protocol);
  }
  if (has_vlan) {
    w.lit(",\"vlan\":{\"id\":");
    w.quoted_u64(vlan_id);
    w.ch('}');
  }
}

void write_ecs_community_id(DocumentWriter& w, const packet::FlowKey& key) {
  char text[packet::kCommunityIdLength];
  const size_t length = packet::community_id(key, text);
  if (length == 0) return;
  w.lit(",\"community_id\":");
  w.plain_string(std::string_view(text, length));
}

void write_ecs_mpls(DocumentWriter& w, uint8_t count,
                    const std::array<uint32_t, packet::kMaxMplsLabels>& labels) {
  if (count == 0) return;
  w.lit(",\"mpls\":{\"labels\":[");
  for (uint8_t i = 0; i < count && i < packet::kMaxMplsLabels; ++i) {
    if (i != 0) w.ch(',');
    w.u64(labels[i]);
  }
  w.lit("]}");
}

void write_ecs_icmp(DocumentWriter& w, const packet::FlowKey& key) {
  if ((key.flags & packet::FlowKey::kHasIcmp) == 0) return;
  w.lit(",\"icmp\":{\"type\":");
  w.u64(key.source_port);
  w.lit(",\"code\":");
  w.u64(key.destination_port);
  w.ch('}');
}

void write_ecs_tunnel(DocumentWriter& w, packet::TunnelType type, bool has_id, uint32_t id,
                      const packet::IpAddress& source, const packet::IpAddress& destination) {
  w.lit(",\"tunnel\":{\"type\":");
  w.plain_string(tunnel_name(type));
  if (has_id) {
    w.lit(",\"vni\":");
    w.u64(id);
  }
  if (source.version != 0) {
    w.lit(",\"source\":{\"ip\":");
    w.ip(source);
    w.ch('}');
  }
  if (destination.version != 0) {
    w.lit(",\"destination\":{\"ip\":");
    w.ip(destination);
    w.ch('}');
  }
  w.ch('}');
}

void write_fmadio_open(DocumentWriter& w, int64_t ts_ns) {
  w.lit("{\"timestamp\":");
  w.i64(ts_ns / base::kNsPerMs);
  int64_t ns_of_day = ts_ns % (86400 * base::kNsPerSec);
  if (ns_of_day < 0) ns_of_day += 86400 * base::kNsPerSec;
  const auto put = [](char* p, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  char text[20];  // HH:MM:SS.mmm.uuu.nnn
  const int64_t secs = ns_of_day / base::kNsPerSec;
  const int64_t frac = ns_of_day % base::kNsPerSec;
  put(text, secs / 3600, 2);
  text[2] = ':';
  put(text + 3, secs / 60 % 60, 2);
  text[5] = ':';
  put(text + 6, secs % 60, 2);
  text[8] = '.';
  put(text + 9, frac / 1'000'000, 3);
  text[12] = '.';
  put(text + 13, frac / 1'000 % 1'000, 3);
  text[16] = '.';
  put(text + 17, frac % 1'000, 3);
  w.lit(",\"TS\":");
  w.plain_string(std::string_view(text, sizeof text));
}

void write_fmadio_headers(DocumentWriter& w, const FmadioHeaders& h, const packet::FlowKey& key) {
  if (h.source_mac != nullptr) {
    w.lit(",\"MACSrc\":");
    w.mac_colon(*h.source_mac);
    w.lit(",\"MACDst\":");
    w.mac_colon(*h.destination_mac);
  }
  char mac_proto[8];
  w.lit(",\"MACProto\":");
  w.plain_string(fmadio_mac_proto(key.ethertype, key.ip_version, mac_proto));
  if (h.vlan_count > 0) {
    w.lit(",\"VLAN.0\":");
    w.u64(h.vlan_ids[0]);
  }
  if (h.vlan_count > 1) {
    w.lit(",\"VLAN.1\":");
    w.u64(h.vlan_ids[1]);
  }
  for (uint8_t i = 0; i < h.mpls_count && i < 3; ++i) {
    static constexpr std::string_view kLabels[3] = {
        ",\"MPLS.0.Label\":", ",\"MPLS.1.Label\":", ",\"MPLS.2.Label\":"};
    w.text(kLabels[i]);
    w.u64((*h.mpls_labels)[i]);
  }
  if (key.ip_version == 0) return;
  const packet::IpAddress source = key_address(key.source, key.ip_version);
  const packet::IpAddress destination = key_address(key.destination, key.ip_version);
  char proto[4];
  if (key.ip_version == 4) {
    w.lit(",\"IPv4.Src\":");
    w.ip(source);
    w.lit(",\"IPv4.Dst\":");
    w.ip(destination);
    w.lit(",\"IPv4.Proto\":");
  } else {
    w.lit(",\"IPv6.Src\":");
    w.ip(source);
    w.lit(",\"IPv6.Dst\":");
    w.ip(destination);
    w.lit(",\"IPv6.Proto\":");
  }
  w.plain_string(fmadio_ip_proto(key.ip_protocol, proto));
  if ((key.flags & packet::FlowKey::kHasPorts) == 0) return;
  if (key.ip_protocol == 6) {
    w.lit(",\"TCP.FIN\":");
    w.u64(h.tcp_flags[0]);
    w.lit(",\"TCP.SYN\":");
    w.u64(h.tcp_flags[1]);
    w.lit(",\"TCP.RST\":");
    w.u64(h.tcp_flags[2]);
    w.lit(",\"TCP.PSH\":");
    w.u64(h.tcp_flags[3]);
    w.lit(",\"TCP.ACK\":");
    w.u64(h.tcp_flags[4]);
    w.lit(",\"TCP.Port.Src\":");
    w.u64(key.source_port);
    w.lit(",\"TCP.Port.Dst\":");
  } else if (key.ip_protocol == 17) {
    w.lit(",\"UDP.Port.Src\":");
    w.u64(key.source_port);
    w.lit(",\"UDP.Port.Dst\":");
  } else {
    w.lit(",\"Port.Src\":");
    w.u64(key.source_port);
    w.lit(",\"Port.Dst\":");
  }
  w.u64(key.destination_port);
}

}  // namespace snapflow::pcap2json::detail
