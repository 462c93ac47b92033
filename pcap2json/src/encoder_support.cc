#include "encoder_support.h"

#include <cstring>
#include <utility>

#include "snapflow/filter/pcap_link.h"
#include "snapflow/pcap2json/cloud_annotation.h"

namespace snapflow::pcap2json::detail {
namespace {

std::string_view hex_text(uint32_t value, int digits, char* buffer) {
  for (int i = digits - 1; i >= 0; --i) {
    buffer[i] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  }
  return {buffer, static_cast<size_t>(digits)};
}

std::string_view decimal_text(uint32_t value, char (&buffer)[4]) {
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // a uint8_t always fits in 3 digits
  return {buffer, static_cast<size_t>(end - buffer)};
}

}  // namespace

bool append_document(DocumentWriter& w, size_t bound, document::DocumentBatch& batch) {
  w.ch('\n');
  if (w.size() > bound) return false;
  batch.offsets.push_back(static_cast<uint32_t>(batch.body.size()));
  batch.body.append(w.view());
  return true;
}

size_t document_bound(const EncoderConfig& config) {
  const size_t names = config.observer.size() + config.capture.size();
  const size_t prefixes = config.index_prefix.size() + config.packet_index_prefix.size();
  const size_t link =
      config.pcap_link_base.empty() ? 0 : filter::max_pcap_link_bytes(config.pcap_link_base.size());
  const size_t cloud = config.cloud ? kMaxCloudAnnotationBytes : 0;
  return kMaxFixedDocumentBytes + 2 * 6 * names + prefixes + link + cloud;
}

std::string ecs_names_fragment(const EncoderConfig& config) {
  std::string out = ",\"observer\":{\"name\":";
  out += json_quoted(config.observer);
  out += "},\"labels\":{\"capture\":";
  out += json_quoted(config.capture);
  out += "}";
  return out;
}

std::string_view network_type(uint16_t ethertype, uint8_t ip_version, char (&buffer)[8]) {
  if (ip_version == 4) return "ipv4";
  if (ip_version == 6) return "ipv6";
  switch (ethertype) {
    case 0:
      return {};
    case 0x0800:
      return "ipv4";
    case 0x86dd:
      return "ipv6";
    case 0x0806:
      return "arp";
    case 0x8035:
      return "rarp";
    case 0x88cc:
      return "lldp";
    case 0x8809:
      return "slow";  // LACP and friends
    case 0x88f7:
      return "ptp";
    case 0x8863:
      return "pppoe-discovery";
    case 0x8864:
      return "pppoe";
    case 0x888e:
      return "eapol";
    case 0x88e5:
      return "macsec";
    default:
      break;
  }
  buffer[0] = '0';
  buffer[1] = 'x';
  hex_text(ethertype, 4, buffer + 2);
  return {buffer, 6};
}

std::string_view transport_name(uint8_t protocol, char (&buffer)[4]) {
  switch (protocol) {
    case 1:
      return "icmp";
    case 2:
      return "igmp";
    case 4:
      return "ipv4";  // IP-in-IP not decoded as a tunnel
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 41:
      return "ipv6";
    case 47:
      return "gre";
    case 50:
      return "esp";
    case 51:
      return "ah";
    case 58:
      return "ipv6-icmp";
    case 89:
      return "ospf";
    case 103:
      return "pim";
    case 112:
      return "vrrp";
    case 132:
      return "sctp";
    case 136:
      return "udplite";
    default:
      return decimal_text(protocol, buffer);
  }
}

std::string_view tunnel_name(packet::TunnelType type) {
  switch (type) {
    case packet::TunnelType::kNone:
      return {};
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
    case packet::TunnelType::kMplsInIp:
      return "mpls";
  }
  return {};
}

std::string_view fmadio_mac_proto(uint16_t ethertype, uint8_t ip_version, char (&buffer)[8]) {
  if (ip_version == 4) return "IPv4";
  if (ip_version == 6) return "IPv6";
  switch (ethertype) {
    case 0x0800:
      return "IPv4";
    case 0x86dd:
      return "IPv6";
    case 0x0806:
      return "ARP";
    case 0x8100:
      return "VLAN";
    case 0x8926:
      return "VNTAG";
    case 0x8847:
      return "MPLS";
    default:
      return hex_text(ethertype, 4, buffer);
  }
}

std::string_view fmadio_ip_proto(uint8_t protocol, char (&buffer)[4]) {
  switch (protocol) {
    case 17:
      return "UDP";
    case 6:
      return "TCP";
    case 2:
      return "IGMP";
    case 1:
      return "ICMP";
    case 47:
      return "GRE";
    case 112:
      return "VRRP";
    default:
      return hex_text(protocol, 2, buffer);
  }
}

uint64_t per_second(uint64_t count, int64_t interval_ns) {
  if (interval_ns <= 0) return 0;
  __extension__ using u128 = unsigned __int128;
  const u128 scaled = static_cast<u128>(count) * static_cast<u128>(base::kNsPerSec);
  const u128 rate = scaled / static_cast<u128>(interval_ns);
  return rate > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(rate);
}

}  // namespace snapflow::pcap2json::detail
