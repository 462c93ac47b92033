// Encodes FrameBuilder layers innermost first, so each header sees the bytes it carries: its
// lengths, checksums and next-protocol fields come from what follows it.
#include "frame_encode.h"

#include <algorithm>

#include "snapflow/base/bytes.h"

namespace snapflow::synth::detail {
namespace {

using Bytes = std::vector<std::byte>;

// Appends big-endian integers and raw bytes to a header under construction.
class Writer {
 public:
  void u8(uint32_t v) { out_.push_back(static_cast<std::byte>(v & 0xff)); }
  void be16(uint32_t v) {
    u8(v >> 8);
    u8(v);
  }
  void be32(uint32_t v) {
    be16(v >> 16);
    be16(v & 0xffff);
  }
  void le32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(v >> (8 * i));
  }
  template <typename Range>
  void bytes(const Range& r) {
    for (auto b : r) out_.push_back(static_cast<std::byte>(b));
  }
  void zeros(size_t n) { out_.insert(out_.end(), n, std::byte{0}); }
  void pad_to_multiple(size_t m) {
    while (out_.size() % m != 0) u8(0);
  }
  size_t size() const { return out_.size(); }
  Bytes& out() { return out_; }

 private:
  Bytes out_;
};

bool is_ip(LayerKind k) {
  return k == LayerKind::kIpv4 || k == LayerKind::kIpv6;
}

uint16_t ethertype_of(const Layer* next) {
  if (next == nullptr) return 0x88b5;  // IEEE local experimental: "some payload"
  switch (next->kind) {
    case LayerKind::kVlan:
      return static_cast<uint16_t>(next->u1);
    case LayerKind::kMpls:
      return 0x8847;
    case LayerKind::kIpv4:
      return 0x0800;
    case LayerKind::kIpv6:
      return 0x86dd;
    case LayerKind::kArp:
      return 0x0806;
    case LayerKind::kEthernet:
      return 0x6558;
    case LayerKind::kErspan2:
      return 0x88be;
    case LayerKind::kErspan3:
      return 0x22eb;
    default:
      return 0x88b5;
  }
}

uint8_t ip_protocol_of(const Layer* next) {
  if (next == nullptr) return 253;  // RFC 3692 experimentation
  switch (next->kind) {
    case LayerKind::kTcp:
      return 6;
    case LayerKind::kUdp:
      return 17;
    case LayerKind::kIcmp:
      return 1;
    case LayerKind::kIcmpv6:
      return 58;
    case LayerKind::kSctp:
      return 132;
    case LayerKind::kGre:
      return 47;
    case LayerKind::kIpv4:
      return 4;
    case LayerKind::kIpv6:
      return 41;
    case LayerKind::kIpv6HopByHop:
      return 0;
    case LayerKind::kIpv6Routing:
      return 43;
    case LayerKind::kIpv6Fragment:
      return 44;
    case LayerKind::kIpv6DestinationOptions:
      return 60;
    case LayerKind::kAuth:
      return 51;
    case LayerKind::kEsp:
      return 50;
    case LayerKind::kMpls:
      return 137;
    default:
      return 253;
  }
}

uint16_t udp_port_of(const Layer* next) {
  if (next == nullptr) return 0;
  switch (next->kind) {
    case LayerKind::kVxlan:
      return 4789;
    case LayerKind::kGeneve:
      return 6081;
    case LayerKind::kGtpu:
      return 2152;
    default:
      return 0;
  }
}

// BSD address family values as LINKTYPE_NULL/LOOP carry them (24 = NetBSD/OpenBSD AF_INET6).
uint32_t address_family_of(const Layer* next) {
  if (next != nullptr && next->kind == LayerKind::kIpv6) return 24;
  return 2;
}

class Encoder {
 public:
  explicit Encoder(const std::vector<Layer>& layers) : layers_(layers) {}

  Bytes run() {
    Bytes inner;
    for (size_t i = layers_.size(); i-- > 0;) {
      Writer header;
      encode_header(i, inner, header);
      Bytes& out = header.out();
      const size_t header_bytes = out.size();
      out.insert(out.end(), inner.begin(), inner.end());
      fix_checksum(i, out, header_bytes);
      inner = std::move(out);
    }
    return inner;
  }

 private:
  const Layer* next(size_t i) const { return i + 1 < layers_.size() ? &layers_[i + 1] : nullptr; }
  uint32_t ethertype(size_t i) const {
    return layers_[i].next_protocol.value_or(ethertype_of(next(i)));
  }
  uint32_t ip_protocol(size_t i) const {
    return layers_[i].next_protocol.value_or(ip_protocol_of(next(i)));
  }
  // Nearest IP header enclosing layer i: the one whose addresses go in the pseudo-header.
  const Layer* enclosing_ip(size_t i) const {
    for (size_t j = i; j-- > 0;) {
      if (is_ip(layers_[j].kind)) return &layers_[j];
    }
    return nullptr;
  }

  void encode_header(size_t i, const Bytes& inner, Writer& w) const;
  void encode_ip(size_t i, const Bytes& inner, Writer& w) const;
  void encode_tunnel(size_t i, const Bytes& inner, Writer& w) const;
  void fix_checksum(size_t i, Bytes& out, size_t header_bytes) const;

  const std::vector<Layer>& layers_;
};

void Encoder::encode_header(size_t i, const Bytes& inner, Writer& w) const {
  const Layer& l = layers_[i];
  switch (l.kind) {
    case LayerKind::kEthernet:
      w.bytes(l.mac_b);
      w.bytes(l.mac_a);
      w.be16(ethertype(i));
      break;
    case LayerKind::kLinuxSll:
      w.be16(l.u0);  // packet type
      w.be16(1);     // ARPHRD_ETHER
      w.be16(6);
      w.bytes(l.mac_a);
      w.zeros(2);
      w.be16(ethertype(i));
      break;
    case LayerKind::kLinuxSll2:
      w.be16(ethertype(i));
      w.zeros(2);
      w.be32(l.u0);  // interface index
      w.be16(1);     // ARPHRD_ETHER
      w.u8(0);       // packet type: to us
      w.u8(6);
      w.bytes(l.mac_a);
      w.zeros(2);
      break;
    case LayerKind::kNull:
      w.le32(l.next_protocol.value_or(address_family_of(next(i))));
      break;
    case LayerKind::kLoop:
      w.be32(l.next_protocol.value_or(address_family_of(next(i))));
      break;
    case LayerKind::kVlan:
      w.be16((l.u2 & 7) << 13 | (l.u0 & 0xfff));
      w.be16(ethertype(i));
      break;
    case LayerKind::kMpls: {
      const Layer* n = next(i);
      const uint32_t bottom = (n == nullptr || n->kind != LayerKind::kMpls) ? 1 : 0;
      w.be32((l.u0 & 0xfffff) << 12 | bottom << 8 | (l.u1 & 0xff));
      break;
    }
    case LayerKind::kPwControlWord:
      w.zeros(4);
      break;
    case LayerKind::kArp:
      w.be16(1);
      w.be16(0x0800);
      w.u8(6);
      w.u8(4);
      w.be16(1);  // request
      w.bytes(l.mac_a);
      w.bytes(std::span(l.ip_a).first(4));
      w.zeros(6);
      w.bytes(std::span(l.ip_b).first(4));
      break;
    case LayerKind::kTcp: {
      const auto& p = std::get<TcpParams>(l.params);
      const size_t options_bytes = (p.options.size() + 3) / 4 * 4;
      w.be16(l.u0);
      w.be16(l.u1);
      w.be32(p.seq);
      w.be32(p.ack);
      w.u8(static_cast<uint32_t>((20 + options_bytes) / 4) << 4);
      w.u8(l.u2);
      w.be16(p.window);
      w.be16(0);  // checksum, fixed later
      w.be16(0);  // urgent pointer
      w.bytes(p.options);
      w.pad_to_multiple(4);
      break;
    }
    case LayerKind::kUdp:
      w.be16(l.u0);
      w.be16(l.u1 != 0 ? l.u1 : l.next_protocol.value_or(udp_port_of(next(i))));
      w.be16(static_cast<uint32_t>(8 + inner.size()));
      w.be16(0);
      break;
    case LayerKind::kIcmp:
    case LayerKind::kIcmpv6:
      w.be16(l.u0);  // type, code
      w.be16(0);
      w.be32(l.u1);  // id, sequence
      break;
    case LayerKind::kSctp:
      w.be16(l.u0);
      w.be16(l.u1);
      w.be32(l.u2);
      w.be32(0);
      break;
    case LayerKind::kPayload:
    case LayerKind::kRawBytes:
      w.bytes(l.bytes);
      break;
    default:
      if (is_ip(l.kind) || l.kind == LayerKind::kIpv6HopByHop ||
          l.kind == LayerKind::kIpv6Routing || l.kind == LayerKind::kIpv6Fragment ||
          l.kind == LayerKind::kIpv6DestinationOptions || l.kind == LayerKind::kAuth ||
          l.kind == LayerKind::kEsp) {
        encode_ip(i, inner, w);
      } else {
        encode_tunnel(i, inner, w);
      }
  }
}

// Appends IPv6 TLV options padded with Pad1/PadN so the header is a multiple of 8 bytes.
void write_padded_options(const Bytes& options, Writer& w) {
  w.bytes(options);
  const size_t pad = (8 - (2 + options.size()) % 8) % 8;
  if (pad == 1) {
    w.u8(0);  // Pad1
  } else if (pad >= 2) {
    w.u8(1);  // PadN
    w.u8(static_cast<uint32_t>(pad - 2));
    w.zeros(pad - 2);
  }
}

void Encoder::encode_ip(size_t i, const Bytes& inner, Writer& w) const {
  const Layer& l = layers_[i];
  switch (l.kind) {
    case LayerKind::kIpv4: {
      const auto& p = std::get<Ipv4Params>(l.params);
      const size_t header_bytes = 20 + (p.options.size() + 3) / 4 * 4;
      w.u8(0x40 | static_cast<uint32_t>(header_bytes / 4));
      w.u8(p.tos);
      w.be16(static_cast<uint32_t>(header_bytes + inner.size()));
      w.be16(p.id);
      w.be16((p.dont_fragment ? 0x4000u : 0u) | (p.more_fragments ? 0x2000u : 0u) |
             (p.fragment_offset & 0x1fffu));
      w.u8(p.ttl);
      w.u8(ip_protocol(i));
      w.be16(0);  // header checksum, fixed later
      w.bytes(std::span(l.ip_a).first(4));
      w.bytes(std::span(l.ip_b).first(4));
      w.bytes(p.options);
      w.pad_to_multiple(4);
      break;
    }
    case LayerKind::kIpv6: {
      const auto& p = std::get<Ipv6Params>(l.params);
      w.be32(6u << 28 | static_cast<uint32_t>(p.traffic_class) << 20 | (p.flow_label & 0xfffff));
      w.be16(static_cast<uint32_t>(inner.size()));
      w.u8(ip_protocol(i));
      w.u8(p.hop_limit);
      w.bytes(l.ip_a);
      w.bytes(l.ip_b);
      break;
    }
    case LayerKind::kIpv6HopByHop:
    case LayerKind::kIpv6DestinationOptions: {
      Writer body;
      write_padded_options(l.bytes, body);
      w.u8(ip_protocol(i));
      w.u8(static_cast<uint32_t>((2 + body.size()) / 8 - 1));
      w.bytes(body.out());
      break;
    }
    case LayerKind::kIpv6Routing:
      w.u8(ip_protocol(i));
      w.u8(0);     // no addresses: 8 bytes in all
      w.u8(l.u0);  // routing type
      w.u8(l.u1);  // segments left
      w.zeros(4);
      break;
    case LayerKind::kIpv6Fragment:
      w.u8(ip_protocol(i));
      w.u8(0);
      w.be16((l.u0 & 0x1fff) << 3 | (l.flag ? 1 : 0));
      w.be32(l.u1);
      break;
    case LayerKind::kAuth:
      w.u8(ip_protocol(i));
      w.u8((12 + l.u2) / 4 - 2);  // RFC 4302: length in 4-byte units, minus 2
      w.zeros(2);
      w.be32(l.u0);
      w.be32(l.u1);
      w.zeros(l.u2);
      break;
    case LayerKind::kEsp:  // the next header is in the encrypted trailer: nothing to infer
      w.be32(l.u0);
      w.be32(l.u1);
      break;
    default:
      break;
  }
}

void Encoder::encode_tunnel(size_t i, const Bytes& inner, Writer& w) const {
  const Layer& l = layers_[i];
  switch (l.kind) {
    case LayerKind::kVxlan:
      w.u8(l.u1);  // flags: I (0x08) = VNI valid
      w.zeros(3);
      w.be32((l.u0 & 0xffffff) << 8);
      break;
    case LayerKind::kGeneve: {
      const size_t options_bytes = (l.bytes.size() + 3) / 4 * 4;
      w.u8(static_cast<uint32_t>(options_bytes / 4) & 0x3f);  // version 0
      w.u8(0);
      w.be16(ethertype(i));
      w.be32((l.u0 & 0xffffff) << 8);
      w.bytes(l.bytes);
      w.pad_to_multiple(4);
      break;
    }
    case LayerKind::kGre: {
      const auto& p = std::get<GreParams>(l.params);
      w.be16((p.checksum ? 0x8000u : 0u) | (p.key ? 0x2000u : 0u) | (p.sequence ? 0x1000u : 0u) |
             (p.version & 7u));
      w.be16(ethertype(i));
      if (p.checksum) w.be32(0);  // checksum + reserved1, fixed later
      if (p.key) w.be32(*p.key);
      if (p.sequence) w.be32(*p.sequence);
      break;
    }
    case LayerKind::kErspan2:
      w.be16(1u << 12 | (l.u1 & 0xfff));  // version 1, VLAN
      w.be16(l.u0 & 0x3ff);               // COS 0, En 0, T 0, session id
      w.be32(l.u2 & 0xfffff);             // reserved, index
      break;
    case LayerKind::kErspan3: {
      const auto& p = std::get<Erspan3Params>(l.params);
      w.be16(2u << 12 | (p.vlan & 0xfff));  // version 2
      w.be16(l.u0 & 0x3ff);
      w.be32(p.timestamp);
      w.be16(0);                               // security group tag
      w.be16(p.platform_subheader ? 1u : 0u);  // P, FT, HW id, D, Gra, O (bit 0)
      if (p.platform_subheader) {
        w.be32(3u << 26);  // platform id 3, rest zero
        w.be32(0);
      }
      break;
    }
    case LayerKind::kGtpu: {
      const auto& p = std::get<GtpuParams>(l.params);
      const bool has_ext = !p.extensions.empty();
      const bool has_optional = has_ext || p.sequence.has_value();
      Writer body;  // everything after the mandatory 8 bytes, excluding inner
      if (has_optional) {
        body.be16(p.sequence.value_or(0));
        body.u8(0);  // N-PDU number
        body.u8(has_ext ? p.extensions.front().type : 0);
        for (size_t e = 0; e < p.extensions.size(); ++e) {
          Writer ext;
          ext.bytes(p.extensions[e].content);
          while ((ext.size() + 2) % 4 != 0) ext.u8(0);
          body.u8(static_cast<uint32_t>((ext.size() + 2) / 4));
          body.bytes(ext.out());
          body.u8(e + 1 < p.extensions.size() ? p.extensions[e + 1].type : 0);
        }
      }
      w.u8(0x30 | (has_ext ? 0x04u : 0u) | (p.sequence ? 0x02u : 0u));  // version 1, PT 1
      w.u8(p.message_type);
      w.be16(static_cast<uint32_t>(body.size() + inner.size()));
      w.be32(l.u0);
      w.bytes(body.out());
      break;
    }
    default:
      break;
  }
}

void Encoder::fix_checksum(size_t i, Bytes& out, size_t header_bytes) const {
  const Layer& l = layers_[i];
  auto pseudo_sum = [&](uint8_t protocol) -> uint32_t {
    const Layer* ip = enclosing_ip(i);
    if (ip == nullptr) return 0;
    std::byte buf[40];
    size_t n = 0;
    const size_t address_bytes = ip->kind == LayerKind::kIpv4 ? 4 : 16;
    for (size_t k = 0; k < address_bytes; ++k) buf[n++] = std::byte{ip->ip_a[k]};
    for (size_t k = 0; k < address_bytes; ++k) buf[n++] = std::byte{ip->ip_b[k]};
    uint32_t sum = ones_complement_sum(buf, n);
    return sum + protocol + static_cast<uint32_t>(out.size() & 0xffff) +
           static_cast<uint32_t>(out.size() >> 16);
  };
  auto store = [&](size_t offset, uint16_t value) { base::store_be16(out.data() + offset, value); };
  switch (l.kind) {
    case LayerKind::kIpv4:
      store(10,
            static_cast<uint16_t>(~fold_checksum(ones_complement_sum(out.data(), header_bytes))));
      break;
    case LayerKind::kTcp:
      store(16, static_cast<uint16_t>(
                    ~fold_checksum(ones_complement_sum(out.data(), out.size(), pseudo_sum(6)))));
      break;
    case LayerKind::kUdp: {
      uint16_t c = static_cast<uint16_t>(
          ~fold_checksum(ones_complement_sum(out.data(), out.size(), pseudo_sum(17))));
      store(6, c == 0 ? 0xffff : c);
      break;
    }
    case LayerKind::kIcmp:
      store(2, static_cast<uint16_t>(~fold_checksum(ones_complement_sum(out.data(), out.size()))));
      break;
    case LayerKind::kIcmpv6:
      store(2, static_cast<uint16_t>(
                   ~fold_checksum(ones_complement_sum(out.data(), out.size(), pseudo_sum(58)))));
      break;
    case LayerKind::kSctp:
      base::store_le32(out.data() + 8, crc32c(out.data(), out.size()));
      break;
    case LayerKind::kGre:
      if (std::get<GreParams>(l.params).checksum) {
        store(4,
              static_cast<uint16_t>(~fold_checksum(ones_complement_sum(out.data(), out.size()))));
      }
      break;
    default:
      break;
  }
}

}  // namespace

uint32_t ones_complement_sum(const std::byte* data, size_t size, uint32_t initial) {
  uint64_t sum = initial;
  size_t k = 0;
  for (; k + 1 < size; k += 2) sum += base::load_be16(data + k);
  if (k < size) sum += static_cast<uint32_t>(data[k]) << 8;
  while (sum >> 32) sum = (sum & 0xffffffff) + (sum >> 32);
  return static_cast<uint32_t>(sum);
}

uint16_t fold_checksum(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint32_t crc32c(const std::byte* data, size_t size) {
  uint32_t crc = 0xffffffff;
  for (size_t k = 0; k < size; ++k) {
    crc ^= static_cast<uint32_t>(data[k]);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::vector<std::byte> encode_layers(const std::vector<Layer>& layers) {
  return Encoder(layers).run();
}

}  // namespace snapflow::synth::detail
