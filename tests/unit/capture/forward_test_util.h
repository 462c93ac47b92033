// Shared helpers of the forwarder's unit tests: an in-memory capture sink and frame emitter
// (the engine's two outputs, recorded), an independent checksum verifier (byte-wise, written
// separately from snapflow::forward::csum so a bug there cannot hide itself), and accessors.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "snapflow/forward/address.h"
#include "snapflow/forward/engine.h"
#include "snapflow/synth/frame_builder.h"

namespace snapflow::forward::testing {

using Bytes = std::vector<std::byte>;

struct MemorySink : CaptureSink {
  struct Record {
    int64_t ts_ns;
    Bytes bytes;
    uint32_t wire;
  };
  std::vector<Record> records;
  Bytes scratch;
  bool full = false;
  std::byte* reserve(uint32_t bytes) override {
    if (full) return nullptr;
    scratch.assign(bytes, std::byte{0});
    return scratch.data();
  }
  void commit(int64_t ts_ns, uint32_t captured, uint32_t wire) override {
    records.push_back({ts_ns, Bytes(scratch.begin(), scratch.begin() + captured), wire});
  }
};

struct MemoryEmitter : FrameEmitter {
  struct Sent {
    uint16_t port;
    Bytes bytes;
  };
  std::vector<Sent> sent;
  bool refuse = false;
  bool emit(uint16_t port, const std::byte* frame, size_t length) override {
    if (refuse) return false;
    sent.push_back({port, Bytes(frame, frame + length)});
    return true;
  }
};

inline uint32_t naive_sum(const Bytes& b, size_t from, size_t to, uint32_t sum = 0) {
  for (size_t i = from; i < to; ++i) {
    const uint32_t byte = static_cast<uint8_t>(b[i]);
    sum += (i - from) % 2 == 0 ? byte << 8 : byte;
  }
  return sum;
}
inline uint16_t naive_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
inline uint16_t be16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}

// Verifies the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum of an untruncated,
// unfragmented Ethernet frame; returns "" or what is wrong.
inline std::string checksum_errors(const Bytes& f) {
  const uint16_t ethertype = be16(f, 12);
  size_t l3 = 14, l4 = 0, end = 0;
  uint8_t proto = 0;
  uint32_t pseudo = 0;
  if (ethertype == 0x0800) {
    const size_t ihl = (static_cast<uint8_t>(f[l3]) & 0x0f) * 4u;
    if (naive_fold(naive_sum(f, l3, l3 + ihl)) != 0xffff) return "bad IPv4 header checksum";
    end = l3 + be16(f, l3 + 2);
    proto = static_cast<uint8_t>(f[l3 + 9]);
    l4 = l3 + ihl;
    if ((be16(f, l3 + 6) & 0x3fff) != 0) return "";  // fragment: transport not verifiable
    pseudo = naive_sum(f, l3 + 12, l3 + 20) + proto + static_cast<uint32_t>(end - l4);
  } else if (ethertype == 0x86dd) {
    end = l3 + 40 + be16(f, l3 + 4);
    proto = static_cast<uint8_t>(f[l3 + 6]);
    l4 = l3 + 40;
    pseudo = naive_sum(f, l3 + 8, l3 + 40) + proto + static_cast<uint32_t>(end - l4);
  } else {
    return "";
  }
  if (proto == 17 && ethertype == 0x0800 && be16(f, l4 + 6) == 0) return "";
  uint32_t sum = naive_sum(f, l4, end);
  if (proto == 6 || proto == 17 || proto == 58) sum += pseudo;
  if (proto != 6 && proto != 17 && proto != 1 && proto != 58) return "";
  if (naive_fold(sum) != 0xffff)
    return "bad transport checksum (protocol " + std::to_string(proto) + ")";
  return "";
}

inline std::string ip_src(const Bytes& f) {
  const bool v4 = be16(f, 12) == 0x0800;
  IpAddr a = v4 ? IpAddr::v4(f.data() + 26) : IpAddr::v6(f.data() + 22);
  return to_string(a);
}
inline std::string ip_dst(const Bytes& f) {
  const bool v4 = be16(f, 12) == 0x0800;
  IpAddr a = v4 ? IpAddr::v4(f.data() + 30) : IpAddr::v6(f.data() + 38);
  return to_string(a);
}
inline uint8_t ttl(const Bytes& f) {
  return static_cast<uint8_t>(be16(f, 12) == 0x0800 ? f[22] : f[21]);
}
inline std::string mac_at(const Bytes& f, size_t at) {
  MacAddress m;
  std::memcpy(m.data(), f.data() + at, 6);
  return to_string(m);
}

}  // namespace snapflow::forward::testing
