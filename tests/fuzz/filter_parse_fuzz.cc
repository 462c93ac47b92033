// Parses the input as a Filter= expression (and as a Start=/Stop= time); a filter that parses
// is evaluated on a plain TCP frame and an AWS-mirror VXLAN frame. Errors must be one line, and
// their parts (/filter/check) consistent with it. A filter's normalised text must parse again,
// normalise to itself, and keep exactly the same packets.
#include <cstdint>
#include <cstdlib>
#include <string>
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
  filter::FilterSyntaxError error;
  auto program = filter::parse_filter(text, {}, &error);
  if (!program.ok()) {
    if (program.error().message().find('\n') != std::string::npos) std::abort();
    if (error.message != program.error().message()) std::abort();
    if (error.position == 0 || error.position > size + 1) std::abort();
    return 0;
  }
  // Normalising keeps the blocks and values; only the spelling (and so the length) changes.
  const std::string normal = program->normalized_text();
  filter::FilterLimits roomy;
  roomy.max_bytes = 8 * filter::kDefaultMaxFilterBytes;
  auto again = filter::parse_filter(normal, roomy);
  if (!again.ok() || again->normalized_text() != normal) std::abort();
  for (const auto& frame : kFrames) {
    for (size_t cut : {frame.size(), size_t{20}, size_t{0}}) {
      for (int64_t ts : {int64_t{1419494400100200300}, int64_t{0}, int64_t{1434793018780588947}}) {
        const bool a = program->matches(ts, {frame.data(), cut}, 128, 1);
        const bool b = again->matches(ts, {frame.data(), cut}, 128, 1);
        if (a != b) std::abort();
      }
    }
  }
  return 0;
}
