// Shared fixtures for the decoder tests: addresses, a decode() wrapper, and view accessors.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/view.h"
#include "snapflow/synth/frame_builder.h"

namespace snapflow::packet::testing {

using synth::FrameBuilder;
using synth::ip4;
using synth::ip6;
using synth::mac;

inline constexpr uint16_t kEthernet = 1;
inline constexpr uint16_t kNull = 0;
inline constexpr uint16_t kRaw = 101;
inline constexpr uint16_t kLoop = 108;
inline constexpr uint16_t kSll = 113;
inline constexpr uint16_t kSll2 = 276;

inline const synth::MacAddress kMacA = mac("02:00:00:00:00:0a");
inline const synth::MacAddress kMacB = mac("02:00:00:00:00:0b");
inline const synth::MacAddress kMacC = mac("02:00:00:00:00:0c");
inline const synth::MacAddress kMacD = mac("02:00:00:00:00:0d");

inline PacketView decode_frame(const std::vector<std::byte>& frame, uint16_t link = kEthernet,
                               const DecodeOptions& options = {}) {
  PacketView view;
  const DecodeStatus status = decode(frame, link, view, options);
  EXPECT_EQ(status, view.status);
  return view;
}

inline IpAddress v4(const char* text) {
  IpAddress a;
  const auto b = ip4(text);
  std::copy(b.begin(), b.end(), a.bytes.begin());
  a.version = 4;
  return a;
}

inline IpAddress v6(const char* text) {
  IpAddress a;
  a.bytes = ip6(text);
  a.version = 6;
  return a;
}

// The common "inner" packet of tunnel tests: Ethernet/IPv4/TCP 192.168.1.1:1000 -> .2:80.
inline FrameBuilder& inner_tcp(FrameBuilder& b, size_t payload_bytes = 6) {
  b.ethernet(kMacC, kMacD)
      .ipv4(ip4("192.168.1.1"), ip4("192.168.1.2"))
      .tcp(1000, 80, synth::kTcpSyn);
  if (payload_bytes != 0) b.payload(payload_bytes);
  return b;
}

inline void expect_inner_tcp(const PacketView& v) {
  EXPECT_EQ(v.source_ip, v4("192.168.1.1"));
  EXPECT_EQ(v.destination_ip, v4("192.168.1.2"));
  EXPECT_EQ(v.ip_protocol, 6);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 1000);
  EXPECT_EQ(v.destination_port, 80);
  EXPECT_EQ(v.tcp_flags, synth::kTcpSyn);
}

}  // namespace snapflow::packet::testing
