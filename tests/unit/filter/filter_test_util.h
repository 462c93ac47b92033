// Frames for the filter tests, built with the synthetic FrameBuilder.
#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "snapflow/filter/filter.h"
#include "snapflow/synth/frame_builder.h"

namespace snapflow::filter::testing {

using synth::FrameBuilder;
using synth::ip4;
using synth::ip6;
using synth::mac;

inline constexpr uint16_t kEthernet = 1;
inline constexpr int64_t kTs = 1'419'494'400'100'200'300;  // 20141225_08:00:00.100.200.300

struct Frame {
  std::vector<std::byte> bytes;
  uint32_t wire = 0;
  int64_t ts = kTs;
  uint16_t link = kEthernet;
};

inline Frame frame(const FrameBuilder& b, int64_t ts = kTs, uint16_t link = kEthernet) {
  Frame f;
  f.bytes = b.build();
  f.wire = static_cast<uint32_t>(f.bytes.size());
  f.ts = ts;
  f.link = link;
  return f;
}

// Plain TCP over IPv4: 02:00:00:00:00:01 10.0.0.1:1234 -> 02:00:00:00:00:02 192.168.1.7:80.
inline Frame tcp4(uint16_t sport = 1234, uint16_t dport = 80) {
  return frame(FrameBuilder()
                   .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                   .ipv4(ip4("10.0.0.1"), ip4("192.168.1.7"))
                   .tcp(sport, dport)
                   .payload(10));
}

// AWS Traffic Mirroring: outer 10.254.0.1 -> 10.254.255.10 UDP 4789 VNI 64, inner frame
// 0a:00:00:00:00:01 172.31.5.9:443 -> 0a:00:00:00:00:02 172.31.9.1:50000 TCP.
inline Frame vxlan_mirror(uint32_t vni = 64) {
  return frame(FrameBuilder()
                   .ethernet(mac("02:0a:00:00:00:01"), mac("02:0a:00:00:00:02"))
                   .ipv4(ip4("10.254.0.1"), ip4("10.254.255.10"))
                   .udp(49152, 4789)
                   .vxlan(vni)
                   .ethernet(mac("0a:00:00:00:00:01"), mac("0a:00:00:00:00:02"))
                   .ipv4(ip4("172.31.5.9"), ip4("172.31.9.1"))
                   .tcp(443, 50000)
                   .payload(20));
}

inline bool keeps(std::string_view filter_text, const Frame& f) {
  auto p = parse_filter(filter_text);
  EXPECT_TRUE(p.ok()) << filter_text << ": " << (p.ok() ? "" : p.error().to_string());
  if (!p.ok()) return false;
  return p->matches(f.ts, f.bytes, f.wire, f.link);
}

}  // namespace snapflow::filter::testing
