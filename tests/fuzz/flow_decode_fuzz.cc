// Differential check of the flow fast path against the full decoder: whenever
// decode_flow_fast() accepts a frame, decode() on the same bytes must report kOk and a view
// whose flow key, IP id, TCP flags, fragment state, MACs, MPLS labels and tunnel endpoints are
// exactly what the fast path says (flow_decode.h). Every link type and option set the decode
// fuzzer uses; the input is also mutated into an Ethernet frame with a plain header in front
// so that most inputs reach the fast path's deeper branches.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "../unit/packet/flow_decode_check.h"
#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_decode.h"

namespace {

using namespace snapflow::packet;

void check(std::span<const std::byte> frame, uint16_t link, const DecodeOptions& options) {
  if (snapflow::packet::testing::check_fast_against_decode(frame, link, options).mismatch !=
      nullptr) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(data), size);
  constexpr uint16_t kLinkTypes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147};
  const DecodeOptions options[] = {{}, {.decode_tunnels = false}, {.extra_vxlan_port = 4790}};
  for (uint16_t link : kLinkTypes) {
    for (const DecodeOptions& opt : options) check(frame, link, opt);
  }
  // The input behind an Ethernet/IPv4/UDP-to-4789/VXLAN prefix, and behind an Ethernet header
  // with an IPv4 ethertype: the fast path's inner and outer layers on arbitrary bytes.
  static const uint8_t kVxlanPrefix[] = {
      2,    0,    0,    0,    0, 2, 2,    0, 0,  0,  0, 1, 0x08, 0x00,  // Ethernet
      0x45, 0,    0,    0,    0, 1, 0,    0, 64, 17, 0, 0, 10,   0,
      0,    1,    10,   0,    0, 2,            // IPv4, length 0
      0x9c, 0x40, 0x12, 0xb5, 0, 0, 0,    0,   // UDP -> 4789
      0x08, 0,    0,    0,    0, 0, 0x2a, 0};  // VXLAN, VNI 42
  static const uint8_t kEthernetPrefix[] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  for (const auto& prefix :
       {std::span<const uint8_t>(kVxlanPrefix), std::span<const uint8_t>(kEthernetPrefix)}) {
    std::vector<std::byte> framed(prefix.size() + size);
    std::memcpy(framed.data(), prefix.data(), prefix.size());
    if (size != 0) std::memcpy(framed.data() + prefix.size(), data, size);
    for (const DecodeOptions& opt : options) check(framed, 1, opt);
  }
  return 0;
}
