// Flow keys from decoded views, their XXH3 hash, and Community ID v1.
#include "snapflow/packet/flow_key.h"

// SHA-1 through OpenSSL's low-level SHA1_Init/Update/Final on a stack context (deprecated in
// OpenSSL 3, still shipped): 0.08 us per id here, against 0.45 us for EVP_Digest(EVP_sha1())
// and 0.37 us for the one-shot SHA1(), both of which fetch the algorithm from the provider on
// every call. A pre-fetched EVP_MD with a reused EVP_MD_CTX costs 0.09 us but needs per-thread
// state; the stack context needs none. docs/performance.md has the measurements.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace snapflow::packet {
namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmpv6 = 58;

// Community ID's ICMP "port" mapping (it mirrors Zeek's): a request/reply type maps to the
// pair (type, counterpart type) so that both directions order into one tuple; other types
// map to (type, code) and are one-way (never reordered).
struct IcmpPorts {
  uint16_t source;
  uint16_t destination;
  bool one_way;
};

int icmpv4_counterpart(uint8_t type) {
  switch (type) {
    case 8:
      return 0;  // echo -> echo reply
    case 0:
      return 8;
    case 13:
      return 14;  // timestamp
    case 14:
      return 13;
    case 15:
      return 16;  // information
    case 16:
      return 15;
    case 10:
      return 9;  // router solicitation -> advertisement
    case 9:
      return 10;
    case 17:
      return 18;  // address mask
    case 18:
      return 17;
    default:
      return -1;
  }
}

int icmpv6_counterpart(uint8_t type) {
  switch (type) {
    case 128:
      return 129;  // echo request / reply
    case 129:
      return 128;
    case 130:
      return 131;  // MLD query / report
    case 131:
      return 130;
    case 133:
      return 134;  // router solicitation / advertisement
    case 134:
      return 133;
    case 135:
      return 136;  // neighbor solicitation / advertisement
    case 136:
      return 135;
    case 139:
      return 140;  // who-are-you request / reply
    case 140:
      return 139;
    case 144:
      return 145;  // home agent address discovery request / reply
    case 145:
      return 144;
    default:
      return -1;
  }
}

IcmpPorts icmp_ports(uint8_t protocol, uint16_t type, uint16_t code) {
  const auto t = static_cast<uint8_t>(type);
  const int counterpart = protocol == kProtoIcmpv6 ? icmpv6_counterpart(t) : icmpv4_counterpart(t);
  if (counterpart < 0) return {type, code, true};
  return {type, static_cast<uint16_t>(counterpart), false};
}

void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace

FlowKey make_flow_key(const PacketView& view) {
  // Every member has a zero default and the fields add up to sizeof(FlowKey) (no padding), so
  // value-initialisation defines every byte that is hashed and compared.
  FlowKey key{};
  if (view.tunnel_count != 0) {
    const TunnelLayer& outer = view.tunnels[0];
    key.tunnel_type = outer.type;
    if (outer.has_id) {
      key.tunnel_id = outer.id;
      key.flags |= FlowKey::kHasTunnelId;
    }
  }
  if (view.vlan_count != 0) {
    key.vlan_id = view.vlan_ids[0];
    key.flags |= FlowKey::kHasVlan;
  }
  key.ethertype = view.ethertype;
  if (view.is_ip()) {
    key.ip_version = view.source_ip.version;
    key.source = view.source_ip.bytes;
    key.destination = view.destination_ip.bytes;
    key.ip_protocol = view.ip_protocol;
    if (view.has_ports) {
      key.source_port = view.source_port;
      key.destination_port = view.destination_port;
      key.flags |= FlowKey::kHasPorts;
    } else if (view.has_icmp) {
      key.source_port = view.icmp_type;
      key.destination_port = view.icmp_code;
      key.flags |= FlowKey::kHasIcmp;
    }
  } else {
    std::copy(view.source_mac.begin(), view.source_mac.end(), key.source.begin());
    std::copy(view.destination_mac.begin(), view.destination_mac.end(), key.destination.begin());
  }
  return key;
}

uint64_t flow_hash(const FlowKey& key) {
  return XXH3_64bits(&key, sizeof key);
}

size_t community_id(const FlowKey& key, char* out) {
  if (key.ip_version != 4 && key.ip_version != 6) return 0;
  const size_t address_bytes = key.ip_version == 4 ? 4 : 16;

  const uint8_t* source = key.source.data();
  const uint8_t* destination = key.destination.data();
  uint16_t source_port = key.source_port;
  uint16_t destination_port = key.destination_port;
  const bool has_ports = (key.flags & (FlowKey::kHasPorts | FlowKey::kHasIcmp)) != 0;
  bool one_way = false;
  if ((key.flags & FlowKey::kHasIcmp) != 0 &&
      (key.ip_protocol == kProtoIcmp || key.ip_protocol == kProtoIcmpv6)) {
    const IcmpPorts ports = icmp_ports(key.ip_protocol, key.source_port, key.destination_port);
    source_port = ports.source;
    destination_port = ports.destination;
    one_way = ports.one_way;
  }
  // Order the endpoints so the smaller (address, port) comes first: both directions agree.
  if (!one_way) {
    const int cmp = std::memcmp(source, destination, address_bytes);
    const bool ordered = cmp < 0 || (cmp == 0 && source_port < destination_port);
    if (!ordered) {
      std::swap(source, destination);
      std::swap(source_port, destination_port);
    }
  }

  // seed(2) saddr daddr proto(1) pad(1) [sport(2) dport(2)]; protocols without ports omit them.
  uint8_t input[2 + 16 + 16 + 2 + 4] = {};
  size_t n = 2;  // seed 0
  std::memcpy(input + n, source, address_bytes);
  n += address_bytes;
  std::memcpy(input + n, destination, address_bytes);
  n += address_bytes;
  input[n++] = key.ip_protocol;
  input[n++] = 0;
  if (has_ports) {
    put_be16(input + n, source_port);
    put_be16(input + n + 2, destination_port);
    n += 4;
  }

  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA_CTX context;
  SHA1_Init(&context);
  SHA1_Update(&context, input, n);
  SHA1_Final(digest, &context);

  // Standard base64 (RFC 4648 section 4) of the 20-byte digest: 6 full groups + 2 bytes + "=".
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char* p = out;
  *p++ = '1';
  *p++ = ':';
  size_t i = 0;
  for (; i + 3 <= SHA_DIGEST_LENGTH; i += 3) {
    const uint32_t v = (uint32_t{digest[i]} << 16) | (uint32_t{digest[i + 1]} << 8) | digest[i + 2];
    *p++ = kAlphabet[(v >> 18) & 63];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  static_assert(SHA_DIGEST_LENGTH % 3 == 2, "the tail below handles two leftover bytes");
  const uint32_t v = (uint32_t{digest[i]} << 16) | (uint32_t{digest[i + 1]} << 8);
  *p++ = kAlphabet[(v >> 18) & 63];
  *p++ = kAlphabet[(v >> 12) & 63];
  *p++ = kAlphabet[(v >> 6) & 63];
  *p++ = '=';
  return static_cast<size_t>(p - out);
}

std::string community_id(const FlowKey& key) {
  char text[kCommunityIdLength];
  return std::string(text, community_id(key, text));
}

}  // namespace snapflow::packet
