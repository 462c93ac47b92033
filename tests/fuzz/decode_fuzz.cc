// Decodes the input as every link type snapflow knows (and one it does not), with tunnels on,
// off and an extra VXLAN port, then keys and hashes the result. The decoder must never read
// outside the input (ASan) and every offset it reports must lie inside it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace snapflow::packet;
  const std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(data), size);
  constexpr uint16_t kLinkTypes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147};
  const DecodeOptions options[] = {{}, {.decode_tunnels = false}, {.extra_vxlan_port = 4790}};
  for (uint16_t link : kLinkTypes) {
    for (const DecodeOptions& opt : options) {
      PacketView view;
      const DecodeStatus status = decode(frame, link, view, opt);
      if (status >= DecodeStatus::kCount || view.tunnel_count > kMaxTunnels ||
          view.l2_offset > size || view.l3_offset > size || view.l4_offset > size ||
          view.payload_offset > size) {
        std::abort();
      }
      const FlowKey key = make_flow_key(view);
      if (flow_hash(key) == 0 && key.ip_version == 99) std::abort();  // keep the call
      if (view.is_ip() && community_id(key).size() != 30) std::abort();
    }
  }
  return 0;
}
