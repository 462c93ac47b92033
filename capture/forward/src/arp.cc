#include "snapflow/forward/arp.h"

#include <cstring>

#include "snapflow/base/bytes.h"
#include "snapflow/forward/frame.h"

namespace snapflow::forward {

using base::load_be16;

bool parse_arp(const std::byte* frame, size_t length, ArpMessage& out) {
  const std::byte* p = frame + kEthernetHeaderBytes;
  if (length < kEthernetHeaderBytes + 28) return false;
  // Hardware type Ethernet (1), protocol IPv4, address lengths 6 and 4.
  if (load_be16(p) != 1 || load_be16(p + 2) != kEtherTypeIpv4 || p[4] != std::byte{6} ||
      p[5] != std::byte{4}) {
    return false;
  }
  out.op = load_be16(p + 6);
  out.sender_mac = read_mac(p + 8);
  out.sender_ip = IpAddr::v4(p + 14);
  out.target_mac = read_mac(p + 18);
  out.target_ip = IpAddr::v4(p + 24);
  return out.op == kArpRequest || out.op == kArpReply;
}

size_t build_arp(std::byte* out, uint16_t op, const MacAddress& eth_dst, const MacAddress& eth_src,
                 const MacAddress& sender_mac, const IpAddr& sender_ip,
                 const MacAddress& target_mac, const IpAddr& target_ip) {
  std::memset(out, 0, kMinFrameBytes);
  write_ethernet(out, eth_dst, eth_src, kEtherTypeArp);
  std::byte* p = out + kEthernetHeaderBytes;
  base::store_be16(p, 1);
  base::store_be16(p + 2, kEtherTypeIpv4);
  p[4] = std::byte{6};
  p[5] = std::byte{4};
  base::store_be16(p + 6, op);
  std::memcpy(p + 8, sender_mac.data(), 6);
  sender_ip.store(p + 14);
  std::memcpy(p + 18, target_mac.data(), 6);
  target_ip.store(p + 24);
  return kMinFrameBytes;
}

void arp_request_to_reply(std::byte* frame, const MacAddress& our_mac) {
  std::byte* p = frame + kEthernetHeaderBytes;
  std::byte requester_mac[6];
  std::byte requester_ip[4];
  std::byte asked_ip[4];
  std::memcpy(requester_mac, p + 8, 6);
  std::memcpy(requester_ip, p + 14, 4);
  std::memcpy(asked_ip, p + 24, 4);
  base::store_be16(p + 6, kArpReply);
  std::memcpy(p + 8, our_mac.data(), 6);
  std::memcpy(p + 14, asked_ip, 4);
  std::memcpy(p + 18, requester_mac, 6);
  std::memcpy(p + 24, requester_ip, 4);
  std::memcpy(frame, requester_mac, 6);
  std::memcpy(frame + 6, our_mac.data(), 6);
}

}  // namespace snapflow::forward
