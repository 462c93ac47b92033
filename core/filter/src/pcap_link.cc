#include "snapflow/filter/pcap_link.h"

#include <arpa/inet.h>

#include "snapflow/packet/view.h"

namespace snapflow::filter {
namespace {

using packet::FlowKey;

std::string ip_text(const std::array<uint8_t, 16>& bytes, uint8_t version) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(version == 4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string mac_text(const std::array<uint8_t, 16>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 6; ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

std::string hex16(uint16_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 15]);
  return out;
}

const char* tunnel_name(packet::TunnelType t) {
  switch (t) {
    case packet::TunnelType::kVxlan:
      return "vxlan";
    case packet::TunnelType::kGeneve:
      return "geneve";
    case packet::TunnelType::kGre:
      return "gre";
    case packet::TunnelType::kErspan2:
      return "erspan2";
    case packet::TunnelType::kErspan3:
      return "erspan3";
    case packet::TunnelType::kGtpU:
      return "gtpu";
    case packet::TunnelType::kIpInIp:
      return "ipip";
    default:
      return nullptr;
  }
}

bool is_tunnelled(const FlowKey& key) {
  return key.tunnel_type != packet::TunnelType::kNone;
}

}  // namespace

std::string bpf_for_flow(const FlowKey& key) {
  if (is_tunnelled(key) || (key.flags & FlowKey::kHasVlan) != 0) return {};
  std::string out;
  if (key.ip_version == 0) {
    out = "ether src " + mac_text(key.source) + " and ether dst " + mac_text(key.destination);
    if (key.ethertype != 0) out += " and ether proto " + hex16(key.ethertype);
    return out;
  }
  const bool v4 = key.ip_version == 4;
  const std::string ip = v4 ? "ip" : "ip6";
  out = ip + " src " + ip_text(key.source, key.ip_version) + " and " + ip + " dst " +
        ip_text(key.destination, key.ip_version);
  const uint8_t proto = key.ip_protocol;
  if ((key.flags & FlowKey::kHasPorts) != 0 && (proto == 6 || proto == 17 || proto == 132)) {
    const char* name = proto == 6 ? "tcp" : proto == 17 ? "udp" : "sctp";
    out += std::string(" and ") + name + " src port " + std::to_string(key.source_port) + " and " +
           name + " dst port " + std::to_string(key.destination_port);
  } else if ((key.flags & FlowKey::kHasIcmp) != 0 && v4) {
    out += " and icmp[icmptype] == " + std::to_string(key.source_port) +
           " and icmp[icmpcode] == " + std::to_string(key.destination_port);
  } else if ((key.flags & FlowKey::kHasIcmp) != 0) {
    // ICMPv6 right after the fixed header (libpcap cannot index icmp6 behind extension headers).
    out += " and icmp6 and ip6[40] == " + std::to_string(key.source_port) +
           " and ip6[41] == " + std::to_string(key.destination_port);
  } else {
    out += " and " + ip + " proto " + std::to_string(proto);
  }
  return out;
}

std::string filter_for_flow(const FlowKey& key) {
  const std::string in = is_tunnelled(key) ? "inner." : "";
  std::string out;
  auto add = [&out](const std::string& term) {
    if (!out.empty()) out += '&';
    out += term;
  };
  if (const char* name = tunnel_name(key.tunnel_type)) add(std::string("tunnel.type==") + name);
  if ((key.flags & FlowKey::kHasTunnelId) != 0) add("tunnel.id==" + std::to_string(key.tunnel_id));
  if ((key.flags & FlowKey::kHasVlan) != 0) add("vlan.id==" + std::to_string(key.vlan_id));
  if (key.ip_version == 0) {
    add(in + "ether.addr.src==" + mac_text(key.source));
    add(in + "ether.addr.dst==" + mac_text(key.destination));
    if (key.ethertype != 0) add(in + "ether.proto==" + hex16(key.ethertype));
    return out;
  }
  const std::string ip = key.ip_version == 4 ? "ipv4" : "ipv6";
  add(in + ip + ".addr.src==" + ip_text(key.source, key.ip_version));
  add(in + ip + ".addr.dst==" + ip_text(key.destination, key.ip_version));
  add(in + "ip.proto==" + std::to_string(key.ip_protocol));
  const uint8_t proto = key.ip_protocol;
  if ((key.flags & FlowKey::kHasPorts) != 0 && (proto == 6 || proto == 17 || proto == 132)) {
    const std::string name = proto == 6 ? "tcp" : proto == 17 ? "udp" : "sctp";
    add(in + name + ".port.src==" + std::to_string(key.source_port));
    add(in + name + ".port.dst==" + std::to_string(key.destination_port));
  } else if ((key.flags & FlowKey::kHasIcmp) != 0) {
    add(in + "icmp.type==" + std::to_string(key.source_port));
    add(in + "icmp.code==" + std::to_string(key.destination_port));
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string pcap_link(const PcapLinkRequest& request, const FlowKey& key) {
  std::string_view base = request.api_base;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string out(base);
  out += "/pcap/splittime?";
  if (!request.stream_name.empty()) {
    out += "StreamName=" + url_encode(request.stream_name) + "&";
  }
  out += "Start=" + std::to_string(request.start_ns) +
         "&Stop=" + std::to_string(request.start_ns + request.interval_ns);
  const std::string bpf = bpf_for_flow(key);
  if (!bpf.empty()) {
    out += "&FilterBPF=" + url_encode(bpf);
  } else {
    out += "&Filter=" + url_encode(filter_for_flow(key));
  }
  return out;
}

}  // namespace snapflow::filter
