// Internet checksums (RFC 1071) and their incremental update (RFC 1624), for the forwarder.
//
// The forwarder rewrites addresses and decrements the TTL of every forwarded packet; it never
// recomputes a checksum over a whole packet on that path. update() applies RFC 1624's
// equation 3, HC' = ~(~HC + ~m + m'), to a checksum field for any even-length run of changed
// bytes (a 16-bit word, an IPv4 address, an IPv6 address): it is correct for the IPv4 header
// checksum and for the TCP/UDP/ICMPv6 checksums whose pseudo-header holds the addresses, and
// it is correct even when the covered data is truncated or fragmented, because it only uses
// the field and the changed bytes. Full computations (full_* below) are for packets the
// forwarder builds itself (ARP/ICMP replies, time-exceeded errors), for completing checksums
// the kernel left partial (CHECKSUM_PARTIAL on a local veth), and for tests.
//
// All functions are header-only, allocation-free, and read through memcpy (no alignment
// assumptions). Values are host order unless a name says _be; fields are read and written in
// network order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "snapflow/base/bytes.h"

namespace snapflow::forward::csum {

// One's complement sum of n bytes as big-endian 16-bit words (a trailing odd byte is padded
// with zero), added to initial. The result is unfolded: call fold().
inline uint64_t add_bytes(const std::byte* p, size_t n, uint64_t initial = 0) {
  uint64_t sum = initial;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    // Four big-endian words summed as two 32-bit halves keeps the carries in the top bits.
    w = __builtin_bswap64(w);
    sum += (w >> 48) + ((w >> 32) & 0xffff) + ((w >> 16) & 0xffff) + (w & 0xffff);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    sum += base::load_be16(p);
    p += 2;
    n -= 2;
  }
  if (n) sum += static_cast<uint64_t>(static_cast<uint8_t>(*p)) << 8;
  return sum;
}

inline uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum to store: ~fold(sum).
inline uint16_t finish(uint64_t sum) {
  return static_cast<uint16_t>(~fold(sum));
}

// RFC 1624 eqn. 3 over n changed bytes (n even): the field at checksum_field (network order)
// is updated for old bytes replaced by new ones. old_bytes and new_bytes may not overlap the
// field. The one's complement sum is independent of byte order (RFC 1071 2.B), so the field
// and the bytes are summed as loaded, 32 bits at a time, with no byte swapping: the result
// stored back the same way is the network-order checksum.
inline void update(std::byte* checksum_field, const std::byte* old_bytes,
                   const std::byte* new_bytes, size_t n) {
  uint16_t field;
  std::memcpy(&field, checksum_field, 2);
  uint64_t sum = static_cast<uint16_t>(~field);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t o, w;
    std::memcpy(&o, old_bytes + i, 4);
    std::memcpy(&w, new_bytes + i, 4);
    sum += static_cast<uint32_t>(~o);
    sum += w;
  }
  if (i < n) {
    uint16_t o, w;
    std::memcpy(&o, old_bytes + i, 2);
    std::memcpy(&w, new_bytes + i, 2);
    sum += static_cast<uint16_t>(~o);
    sum += w;
  }
  field = static_cast<uint16_t>(~fold(sum));
  std::memcpy(checksum_field, &field, 2);
}

// The same for one 16-bit word given as values.
inline void update16(std::byte* checksum_field, uint16_t old_word, uint16_t new_word) {
  uint64_t sum = static_cast<uint16_t>(~base::load_be16(checksum_field));
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  base::store_be16(checksum_field, static_cast<uint16_t>(~fold(sum)));
}

// Sum of the TCP/UDP/ICMPv6 pseudo-header: addresses, protocol and upper-layer length.
inline uint64_t pseudo_header_v4(const std::byte* src, const std::byte* dst, uint8_t protocol,
                                 uint32_t l4_length) {
  uint64_t sum = add_bytes(src, 4);
  sum = add_bytes(dst, 4, sum);
  return sum + protocol + l4_length;
}
inline uint64_t pseudo_header_v6(const std::byte* src, const std::byte* dst, uint8_t next_header,
                                 uint32_t l4_length) {
  uint64_t sum = add_bytes(src, 16);
  sum = add_bytes(dst, 16, sum);
  return sum + next_header + (l4_length >> 16) + (l4_length & 0xffff);
}

// The IPv4 header checksum over ihl_bytes with the field (offset 10) taken as zero.
inline uint16_t full_ipv4_header(const std::byte* ip, size_t ihl_bytes) {
  uint64_t sum = add_bytes(ip, 10);
  sum = add_bytes(ip + 12, ihl_bytes - 12, sum);
  return finish(sum);
}

// True when the IPv4 header's checksum verifies (sums to 0xffff). Summed in native byte order
// (0xffff reads the same either way), 32 bits at a time: ihl_bytes is a multiple of 4.
inline bool ipv4_header_ok(const std::byte* ip, size_t ihl_bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i < ihl_bytes; i += 4) {
    uint32_t w;
    std::memcpy(&w, ip + i, 4);
    sum += w;
  }
  return fold(sum) == 0xffff;
}

}  // namespace snapflow::forward::csum
