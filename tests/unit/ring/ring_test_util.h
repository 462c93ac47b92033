// Helpers for the ring tests: a temporary ring directory and a deterministic packet stream
// whose every record can be checked (payload derived from its sequence number).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "snapflow/base/bytes.h"
#include "snapflow/pcap/record.h"
#include "snapflow/ring/reader.h"
#include "snapflow/ring/ring.h"
#include "snapflow/ring/writer.h"

namespace snapflow::ring::testing {

inline constexpr int64_t kBaseTsNs = 1'700'000'000'000'000'000;
inline constexpr int64_t kStepNs = 100'000;  // 100 us between packets

// Record i of the test stream.
struct TestPacket {
  int64_t ts_ns;
  std::vector<std::byte> bytes;
  uint32_t wire_length;
};

inline TestPacket make_packet(uint64_t i, uint32_t min_len = 60, uint32_t spread = 200) {
  TestPacket p;
  p.ts_ns = kBaseTsNs + static_cast<int64_t>(i) * kStepNs;
  const uint32_t len = min_len + static_cast<uint32_t>((i * 7) % spread);
  p.bytes.resize(len);
  for (uint32_t j = 0; j < len; ++j) p.bytes[j] = std::byte((i * 31 + j) & 0xff);
  // First 8 bytes: the sequence number, so a reader can tell which record it holds.
  for (int b = 0; b < 8 && b < static_cast<int>(len); ++b) {
    p.bytes[b] = std::byte((i >> (8 * b)) & 0xff);
  }
  p.wire_length = len + static_cast<uint32_t>(i % 3);
  return p;
}

// The sequence number a record claims, and whether all of it matches make_packet(that).
inline uint64_t packet_number(const pcap::PacketRecord& r) {
  uint64_t i = 0;
  for (int b = 7; b >= 0; --b) i = (i << 8) | static_cast<uint8_t>(r.data[b]);
  return i;
}
inline bool matches(const pcap::PacketRecord& r, uint64_t i) {
  const TestPacket p = make_packet(i);
  return r.ts_ns == p.ts_ns && r.wire_length == p.wire_length &&
         r.captured_length == p.bytes.size() &&
         std::memcmp(r.data, p.bytes.data(), p.bytes.size()) == 0;
}

inline uint64_t record_bytes_of(uint64_t i) {
  return 16 + make_packet(i).bytes.size();
}
inline uint64_t wire_bytes_of(uint64_t i) {
  return make_packet(i).wire_length;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/snapflow-ring-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string ring() const { return path_ + "/ring"; }

 private:
  std::string path_;
};

// Small geometry so tests wrap quickly: 64 KiB segments x 4.
inline RingConfig small_config(const std::string& dir) {
  RingConfig c;
  c.dir = dir;
  c.segment_bytes = 64 << 10;
  c.segment_count = 4;
  c.write_block_bytes = 16 << 10;
  c.index_interval_ns = base::kNsPerMs;  // every 10 packets at 100 us
  c.index_interval_bytes = 4 << 10;
  c.snaplen = 16384;
  return c;
}

inline void append_range(RingWriter& w, uint64_t first, uint64_t count) {
  for (uint64_t i = first; i < first + count; ++i) {
    const TestPacket p = make_packet(i);
    auto s = w.append(p.ts_ns, p.bytes, p.wire_length);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
}

// Reads until kEnd (not following); returns the packet numbers seen, checking each record.
struct ReadAll {
  std::vector<uint64_t> numbers;
  std::vector<Gap> gaps;
  std::vector<Corruption> damage;
  uint64_t bad = 0;
};
inline ReadAll read_all(RingReader& r, size_t max_packets = 64) {
  ReadAll out;
  pcap::PacketBatch batch;
  while (true) {
    auto st = r.next_batch(batch, max_packets);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
    if (!st.ok() || *st == ReadStatus::kEnd || *st == ReadStatus::kCancelled) break;
    if (*st == ReadStatus::kGap) {
      out.gaps.push_back(r.last_gap());
      continue;
    }
    if (*st == ReadStatus::kCorrupt) {
      out.damage.push_back(r.last_corruption());
      continue;
    }
    for (const auto& rec : batch.records) {
      const uint64_t n = packet_number(rec);
      out.bad += !matches(rec, n);
      out.numbers.push_back(n);
    }
  }
  return out;
}

inline bool is_range(const std::vector<uint64_t>& v, uint64_t first, uint64_t count) {
  if (v.size() != count) return false;
  for (uint64_t k = 0; k < count; ++k) {
    if (v[k] != first + k) return false;
  }
  return true;
}

}  // namespace snapflow::ring::testing
