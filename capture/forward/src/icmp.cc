#include "snapflow/forward/icmp.h"

#include <algorithm>
#include <cstring>

#include "snapflow/base/bytes.h"
#include "snapflow/forward/arp.h"
#include "snapflow/forward/checksum.h"
#include "snapflow/forward/nd.h"
#include "snapflow/forward/rewrite.h"

namespace snapflow::forward {
namespace {

constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kIcmpTimeExceeded = 11;
constexpr uint8_t kIcmpv6TimeExceeded = 3;
constexpr uint8_t kIcmpv6EchoRequest = 128;
constexpr uint8_t kIcmpv6EchoReply = 129;
constexpr uint8_t kReplyTtl = 64;

}  // namespace

bool is_echo_request(const std::byte* frame, const FrameView& view) {
  if (view.l4_offset == 0 || view.is_fragment || size_t{view.l4_offset} + 8 > view.ip_end) {
    return false;
  }
  const auto type = static_cast<uint8_t>(frame[view.l4_offset]);
  const auto code = static_cast<uint8_t>(frame[view.l4_offset + 1]);
  if (code != 0) return false;
  if (view.network == Network::kIpv4) {
    return view.protocol == kProtoIcmp && type == kIcmpEchoRequest;
  }
  return view.protocol == kProtoIcmpv6 && type == kIcmpv6EchoRequest;
}

void echo_request_to_reply(std::byte* frame, const FrameView& view) {
  std::byte mac[6];
  std::memcpy(mac, frame, 6);
  std::memcpy(frame, frame + 6, 6);
  std::memcpy(frame + 6, mac, 6);
  const size_t n = view.address_bytes();
  std::byte* src = frame + view.src_offset();
  std::byte tmp[16];
  std::memcpy(tmp, src, n);
  std::memcpy(src, src + n, n);
  std::memcpy(src + n, tmp, n);  // a swap leaves every sum over the addresses unchanged
  std::byte* icmp = frame + view.l4_offset;
  const uint16_t old_type = base::load_be16(icmp);
  if (view.network == Network::kIpv4) {
    const size_t l3 = view.l3_offset;
    const uint16_t old_ttl = base::load_be16(frame + l3 + 8);
    frame[l3 + 8] = std::byte{kReplyTtl};
    csum::update16(frame + l3 + 10, old_ttl, base::load_be16(frame + l3 + 8));
    icmp[0] = std::byte{kIcmpEchoReply};
  } else {
    frame[view.l3_offset + 7] = std::byte{kReplyTtl};
    icmp[0] = std::byte{kIcmpv6EchoReply};
  }
  csum::update16(icmp + 2, old_type, base::load_be16(icmp));
}

bool may_send_icmp_error(const std::byte* frame, const FrameView& view) {
  if (view.network == Network::kIpv4) {
    const uint16_t frag = base::load_be16(frame + view.l3_offset + 6);
    if ((frag & 0x1fff) != 0) return false;
    const auto first = static_cast<uint8_t>(frame[view.src_offset()]);
    const auto dst_first = static_cast<uint8_t>(frame[view.dst_offset()]);
    if (first >= 224 || dst_first >= 224) return false;  // multicast/broadcast/class E
  } else if (view.network == Network::kIpv6) {
    if (view.is_fragment && view.l4_offset == 0) return false;
    if (static_cast<uint8_t>(frame[view.dst_offset()]) == 0xff) return false;
    if (static_cast<uint8_t>(frame[view.src_offset()]) == 0xff) return false;
  } else {
    return false;
  }
  if (static_cast<uint8_t>(frame[6]) & 0x01) return false;  // multicast source MAC: bogus
  return !is_icmp_error(frame, view);
}

size_t build_time_exceeded(std::byte* out, const std::byte* frame, const FrameView& view,
                           const MacAddress& our_mac, const IpAddr& our_ip, uint16_t ip_id) {
  const bool ipv6 = view.network == Network::kIpv6;
  const size_t ip_header = ipv6 ? 40 : 20;
  const size_t max_ip = ipv6 ? 1280 : 576;
  const size_t quoted = std::min<size_t>(view.ip_end - view.l3_offset, max_ip - ip_header - 8);
  const size_t ip_total = ip_header + 8 + quoted;
  write_ethernet(out, read_mac(frame + 6), our_mac, ipv6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
  std::byte* ip = out + kEthernetHeaderBytes;
  std::byte* icmp = ip + ip_header;
  std::memset(ip, 0, ip_header + 8);
  std::memcpy(icmp + 8, frame + view.l3_offset, quoted);
  const std::byte* original_src = frame + view.src_offset();
  if (!ipv6) {
    ip[0] = std::byte{0x45};
    base::store_be16(ip + 2, static_cast<uint16_t>(ip_total));
    base::store_be16(ip + 4, ip_id);
    ip[8] = std::byte{kReplyTtl};
    ip[9] = std::byte{kProtoIcmp};
    our_ip.store(ip + 12);
    std::memcpy(ip + 16, original_src, 4);
    base::store_be16(ip + 10, csum::full_ipv4_header(ip, 20));
    icmp[0] = std::byte{kIcmpTimeExceeded};
    base::store_be16(icmp + 2, csum::finish(csum::add_bytes(icmp, 8 + quoted)));
  } else {
    ip[0] = std::byte{0x60};
    base::store_be16(ip + 4, static_cast<uint16_t>(8 + quoted));
    ip[6] = std::byte{kProtoIcmpv6};
    ip[7] = std::byte{kReplyTtl};
    our_ip.store(ip + 8);
    std::memcpy(ip + 24, original_src, 16);
    icmp[0] = std::byte{kIcmpv6TimeExceeded};
    base::store_be16(icmp + 2, icmpv6_checksum(ip, icmp, 8 + quoted));
  }
  return kEthernetHeaderBytes + std::max(ip_total, kMinFrameBytes - kEthernetHeaderBytes);
}

bool complete_partial_checksum(std::byte* frame, const FrameView& view) {
  if (view.l4_checksum_offset == 0 || view.is_fragment) return false;
  const size_t l4_length = view.ip_end - view.l4_offset;
  std::byte* field = frame + view.l4_checksum_offset;
  base::store_be16(field, 0);
  const std::byte* src = frame + view.src_offset();
  const uint64_t pseudo =
      view.network == Network::kIpv4
          ? csum::pseudo_header_v4(src, src + 4, view.protocol, static_cast<uint32_t>(l4_length))
          : csum::pseudo_header_v6(src, src + 16, view.protocol, static_cast<uint32_t>(l4_length));
  uint16_t sum = csum::finish(csum::add_bytes(frame + view.l4_offset, l4_length, pseudo));
  if (view.protocol == kProtoUdp && sum == 0) sum = 0xffff;
  base::store_be16(field, sum);
  return true;
}

}  // namespace snapflow::forward
