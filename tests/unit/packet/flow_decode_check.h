// The contract of decode_flow_fast() (flow_decode.h), checked on one frame: when the fast path
// takes the frame, decode() on the same bytes must report kOk with the same flow key, hash, IP
// id, TCP flags, no fragment, no MPLS label, the MACs and the tunnel endpoints the fast path
// points at. Shared by the differential fuzzer (tests/fuzz/flow_decode_fuzz.cc) and the
// cross-check over fixtures and generator shapes (flow_decode_crosscheck_test.cc), so both hold
// the fast path to the same rules.
#pragma once

#include <cstring>
#include <span>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_decode.h"
#include "snapflow/packet/flow_key.h"

namespace snapflow::packet::testing {

struct FastCheck {
  bool taken = false;              ///< decode_flow_fast() accepted the frame
  const char* mismatch = nullptr;  ///< the first field that differs from decode(), or null
};

inline FastCheck check_fast_against_decode(std::span<const std::byte> frame, uint16_t link,
                                           const DecodeOptions& options) {
  FastCheck result;
  FastFlow fast;
  if (!decode_flow_fast(frame, link, options, fast)) return result;
  result.taken = true;
  PacketView view;
  if (decode(frame, link, view, options) != DecodeStatus::kOk) {
    result.mismatch = "status";
  } else if (!(make_flow_key(view) == fast.key)) {
    result.mismatch = "flow key";
  } else if (flow_hash(make_flow_key(view)) != flow_hash(fast.key)) {
    result.mismatch = "flow hash";
  } else if (view.ip_id != fast.ip_id) {
    result.mismatch = "ip id";
  } else if ((view.ip_protocol == 6 ? view.tcp_flags : 0) != fast.tcp_flags) {
    result.mismatch = "tcp flags";
  } else if (view.is_fragment || !view.has_ethernet || view.mpls_count != 0) {
    result.mismatch = "fragment, ethernet or mpls";
  } else if (std::memcmp(view.destination_mac.data(), frame.data() + fast.mac_offset, 6) != 0 ||
             std::memcmp(view.source_mac.data(), frame.data() + fast.mac_offset + 6, 6) != 0) {
    result.mismatch = "macs";
  } else if ((view.tunnel_count != 0) != (fast.tunnel_ip_offset != 0)) {
    result.mismatch = "tunnel presence";
  } else if (view.tunnel_count != 0 &&
             (!(view.tunnels[0].source == fast_flow_tunnel_address(frame, fast, true)) ||
              !(view.tunnels[0].destination == fast_flow_tunnel_address(frame, fast, false)))) {
    result.mismatch = "tunnel endpoints";
  }
  return result;
}

}  // namespace snapflow::packet::testing
