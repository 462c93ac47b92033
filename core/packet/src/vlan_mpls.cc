// 802.1Q / 802.1ad / 0x9100 VLAN tags and MPLS label stacks.
//
// Tags and labels are recorded only outside any tunnel: the view keeps them as the capture
// point saw them. Deeper tags are skipped; the byte-consuming loop bounds the stack.
#include "decode_impl.h"

namespace snapflow::packet::detail {

Proto decode_vlan(Decoder& d) {
  if (!d.has(4)) return d.stop(DecodeStatus::kTruncatedVlan);
  PacketView& v = d.view;
  if (v.tunnel_count == 0 && v.vlan_count < kMaxVlans) {
    v.vlan_ids[v.vlan_count++] = d.be16(0) & 0x0fff;
  }
  d.ethertype = d.be16(2);
  d.pos += 4;
  if (d.ethertype < 0x0600) {  // 802.3 length: LLC frame inside the tag
    begin_network_layer(d);
    v.ethertype = 0;
    return Proto::kDone;
  }
  return Proto::kEthertype;
}

// After the bottom label nothing says what follows. Like most decoders we look at the first
// nibble: 4 or 6 is IP; 0 is the pseudowire control word (RFC 4385) before an Ethernet frame;
// anything else is left undecoded as an MPLS payload.
Proto decode_mpls(Decoder& d) {
  if (!d.has(4)) return d.stop(DecodeStatus::kTruncatedVlan);
  PacketView& v = d.view;
  const uint32_t entry = d.be32(0);
  if (v.tunnel_count == 0 && v.mpls_count < kMaxMplsLabels) {
    v.mpls_labels[v.mpls_count++] = entry >> 12;
  }
  d.pos += 4;
  if ((entry & 0x100) == 0) return Proto::kMpls;  // not bottom of stack
  // MPLS always carries something: a stack that ends with the capture was cut by a snaplen.
  if (!d.has(1)) return d.stop(DecodeStatus::kTruncatedVlan);
  switch (d.u8(0) >> 4) {
    case 4:
      return Proto::kIpv4;
    case 6:
      return Proto::kIpv6;
    case 0:
      if (!d.has(4)) return d.stop(DecodeStatus::kTruncatedVlan);
      d.pos += 4;  // control word
      return Proto::kEthernet;
    default:
      begin_network_layer(d);
      v.ethertype = kEthertypeMpls;
      v.payload_offset = offset16(d.pos);
      return Proto::kDone;
  }
}

}  // namespace snapflow::packet::detail
