// Parses the input as a Filter= expression (and as a Start=/Stop= time); a filter that parses
// is evaluated on a plain TCP frame and an AWS-mirror VXLAN frame. Errors must be one line.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "snapflow/filter/parse.h"
#include "snapflow/filter/time_text.h"
#include "snapflow/synth/frame_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace snapflow;
  using synth::FrameBuilder, synth::ip4, synth::mac;
  static const std::vector<std::byte> kFrames[] = {
      FrameBuilder()
          .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
          .vlan(5)
          .ipv4(ip4("10.0.0.1"), ip4("192.168.1.7"))
          .tcp(1234, 80)
          .payload(10)
          .build(),
      FrameBuilder()
          .ethernet(mac("02:0a:00:00:00:01"), mac("02:0a:00:00:00:02"))
          .ipv4(ip4("10.254.0.1"), ip4("10.254.255.10"))
          .udp(49152, 4789)
          .vxlan(64)
          .ethernet(mac("0a:00:00:00:00:01"), mac("0a:00:00:00:00:02"))
          .ipv4(ip4("172.31.5.9"), ip4("172.31.9.1"))
          .udp(53, 5353)
          .build()};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)filter::parse_time_ns(text);
  auto program = filter::parse_filter(text);
  if (!program.ok()) {
    if (program.error().message().find('\n') != std::string::npos) std::abort();
    return 0;
  }
  for (const auto& frame : kFrames) {
    for (size_t cut : {frame.size(), size_t{20}, size_t{0}}) {
      (void)program->matches(1419494400100200300, {frame.data(), cut}, 128, 1);
    }
  }
  return 0;
}
