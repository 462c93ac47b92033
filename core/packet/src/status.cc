// Names of decode statuses and tunnel types, as counters and documents spell them.
#include "snapflow/packet/view.h"

namespace snapflow::packet {

const char* to_string(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kUnknownTunnel:
      return "unknown_tunnel";
    case DecodeStatus::kTruncatedLink:
      return "truncated_link";
    case DecodeStatus::kTruncatedVlan:
      return "truncated_vlan";
    case DecodeStatus::kTruncatedIp:
      return "truncated_ip";
    case DecodeStatus::kTruncatedTransport:
      return "truncated_transport";
    case DecodeStatus::kTruncatedTunnel:
      return "truncated_tunnel";
    case DecodeStatus::kBadIpHeader:
      return "bad_ip_header";
    case DecodeStatus::kTunnelTooDeep:
      return "tunnel_too_deep";
    case DecodeStatus::kUnsupportedLinkType:
      return "unsupported_link_type";
    case DecodeStatus::kCount:
      break;
  }
  return "invalid";
}

const char* to_string(TunnelType type) {
  switch (type) {
    case TunnelType::kNone:
      return "none";
    case TunnelType::kVxlan:
      return "vxlan";
    case TunnelType::kGeneve:
      return "geneve";
    case TunnelType::kGre:
      return "gre";
    case TunnelType::kErspan2:
      return "erspan2";
    case TunnelType::kErspan3:
      return "erspan3";
    case TunnelType::kGtpU:
      return "gtpu";
    case TunnelType::kIpInIp:
      return "ipip";
    case TunnelType::kMplsInIp:
      return "mpls_in_ip";
  }
  return "invalid";
}

}  // namespace snapflow::packet
