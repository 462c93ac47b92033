#include "snapflow/forward/rewrite.h"

#include <cstring>

#include "snapflow/base/bytes.h"
#include "snapflow/forward/checksum.h"

namespace snapflow::forward {
namespace {

// Updates the checksum field at `field` for the change old -> new of n bytes, if both the field
// and the changed bytes lie within the copy.
inline bool fits(size_t offset, size_t n, size_t length) {
  return offset != 0 && offset + n <= length;
}

bool is_icmpv4_error_type(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// Rewrites the packet embedded in an ICMP error at icmp (the ICMP header; the embedded IP
// header starts 8 bytes later), mapping old_dst -> new_dst and old_src -> new_src in the
// embedded packet's source and destination respectively. The ICMP checksum at icmp + 2 is
// updated for every embedded change.
void rewrite_embedded(std::byte* frame, size_t length, size_t icmp, size_t message_end, bool ipv6,
                      const std::byte* old_src, const std::byte* old_dst, const IpAddr& new_src,
                      const IpAddr& new_dst) {
  const size_t n = ipv6 ? 16 : 4;
  const size_t inner = icmp + 8;
  const size_t inner_min = ipv6 ? 40 : 20;
  if (inner + inner_min > message_end || inner + inner_min > length) return;
  std::byte* ip = frame + inner;
  if ((static_cast<uint8_t>(ip[0]) >> 4) != (ipv6 ? 6 : 4)) return;
  const size_t src_off = ipv6 ? 8 : 12;
  const size_t dst_off = ipv6 ? 24 : 16;
  // The embedded packet went from the probe (old_dst) to the far side (old_src).
  if (std::memcmp(ip + src_off, old_dst, n) != 0 || std::memcmp(ip + dst_off, old_src, n) != 0) {
    return;
  }
  std::byte* icmp_sum = frame + icmp + 2;
  std::byte before[32];
  std::memcpy(before, ip + src_off, 2 * n);  // src and dst are adjacent in both versions
  new_dst.store(ip + src_off);
  new_src.store(ip + dst_off);
  csum::update(icmp_sum, before, ip + src_off, 2 * n);

  size_t l4 = 0;
  uint8_t proto = 0;
  if (ipv6) {
    proto = static_cast<uint8_t>(ip[6]);
    l4 = inner + 40;
  } else {
    const size_t ihl = size_t{static_cast<uint8_t>(ip[0]) & 0x0fu} * 4;
    if (ihl < 20) return;
    // Embedded IPv4 header checksum (it covers the addresses): update it, and the ICMP
    // checksum for the change of that field.
    std::byte old_check[2] = {ip[10], ip[11]};
    csum::update(ip + 10, before, ip + src_off, 2 * n);
    csum::update(icmp_sum, old_check, ip + 10, 2);
    const uint16_t frag = base::load_be16(ip + 6);
    if ((frag & 0x1fff) != 0) return;  // the embedded packet was a later fragment
    proto = static_cast<uint8_t>(ip[9]);
    l4 = inner + ihl;
  }
  size_t field = 0;
  if (proto == kProtoTcp) field = l4 + 16;
  if (proto == kProtoUdp) field = l4 + 6;
  if (proto == kProtoIcmpv6 && ipv6) field = l4 + 2;
  if (!fits(field, 2, std::min(length, message_end))) return;
  std::byte* inner_sum = frame + field;
  if (proto == kProtoUdp && !ipv6 && base::load_be16(inner_sum) == 0) return;
  std::byte old_inner[2] = {inner_sum[0], inner_sum[1]};
  csum::update(inner_sum, before, ip + src_off, 2 * n);
  if (proto == kProtoUdp && base::load_be16(inner_sum) == 0) base::store_be16(inner_sum, 0xffff);
  csum::update(icmp_sum, old_inner, inner_sum, 2);
}

}  // namespace

bool is_icmp_error(const std::byte* frame, const FrameView& view) {
  if (view.l4_offset == 0 || view.l4_offset >= view.ip_end) return false;
  const auto type = static_cast<uint8_t>(frame[view.l4_offset]);
  if (view.network == Network::kIpv4 && view.protocol == kProtoIcmp) {
    return is_icmpv4_error_type(type);
  }
  if (view.network == Network::kIpv6 && view.protocol == kProtoIcmpv6) return type < 128;
  return false;
}

void rewrite_addresses(std::byte* frame, size_t length, const FrameView& view,
                       const IpAddr& new_src, const IpAddr& new_dst, bool decrement_ttl) {
  const bool ipv6 = view.network == Network::kIpv6;
  const size_t n = view.address_bytes();
  const size_t l3 = view.l3_offset;
  std::byte* src = frame + view.src_offset();
  std::byte old[32] = {};
  // Source and destination are adjacent; constant sizes keep these copies inline.
  if (ipv6) {
    std::memcpy(old, src, 32);
    std::memcpy(src, new_src.bytes.data(), 16);
    std::memcpy(src + 16, new_dst.bytes.data(), 16);
  } else {
    std::memcpy(old, src, 8);
    std::memcpy(src, new_src.bytes.data(), 4);
    std::memcpy(src + 4, new_dst.bytes.data(), 4);
  }

  if (!ipv6) {
    std::byte* check = frame + l3 + 10;
    csum::update(check, old, src, 2 * n);
    if (decrement_ttl) {
      const uint16_t before = base::load_be16(frame + l3 + 8);
      frame[l3 + 8] = std::byte(static_cast<uint8_t>(frame[l3 + 8]) - 1);
      csum::update16(check, before, base::load_be16(frame + l3 + 8));
    }
  } else if (decrement_ttl) {
    frame[l3 + 7] = std::byte(static_cast<uint8_t>(frame[l3 + 7]) - 1);  // no header checksum
  }

  if (fits(view.l4_checksum_offset, 2, length) && !view.udp_zero_checksum) {
    std::byte* l4_sum = frame + view.l4_checksum_offset;
    csum::update(l4_sum, old, src, 2 * n);
    if (view.protocol == kProtoUdp && base::load_be16(l4_sum) == 0) {
      base::store_be16(l4_sum, 0xffff);
    }
  }

  if (!view.is_fragment && is_icmp_error(frame, view) &&
      fits(size_t{view.l4_offset} + 2, 2, length)) {
    rewrite_embedded(frame, length, view.l4_offset, view.ip_end, ipv6, old, old + n, new_src,
                     new_dst);
  }
}

}  // namespace snapflow::forward
