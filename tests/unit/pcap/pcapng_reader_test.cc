// PCAPNG: sections in both byte orders, several interfaces with their own link types and
// timestamp resolutions/offsets, EPB/SPB/OPB, and blocks the reader must pass over.
#include <gtest/gtest.h>

#include "capture_builder.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {
namespace {

using testing::Bytes;
using testing::payload;
using testing::PcapngBuilder;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kSec = 1'795'000'000;  // late 2026
constexpr int64_t kNs = 1'000'000'000;

testing::ReadAll read_bytes(const Bytes& bytes, ReaderOptions options = {}) {
  TempDir dir;
  auto reader = PacketReader::open(dir.write("t.pcapng", bytes), options);
  if (!reader.ok()) {
    testing::ReadAll out;
    out.error = reader.error().message();
    return out;
  }
  return read_all(**reader);
}

TEST(PcapngReader, TwoSectionsOppositeOrdersManyInterfaces) {
  PcapngBuilder b;
  // Section 1, little endian: if0 Ethernet (default microseconds), if1 raw IP in ns.
  b.section(false).interface(1, 0).interface(101, 0, 9);
  b.epb(0, uint64_t(kSec) * 1'000'000 + 250'000, payload(60, 1));
  b.block(5, Bytes(16));  // interface statistics: skipped
  b.epb(1, uint64_t(kSec) * kNs + 7, payload(40, 2), 1500);
  b.block(0xBAD, Bytes(8));  // custom block: skipped
  b.opb(0, uint64_t(kSec + 1) * 1'000'000, payload(64, 3));
  // Section 2, big endian: interface ids restart. if0 DLT_RAW 12 with 2^-20 units and an
  // offset of 100 s; if1 Ethernet in milliseconds.
  b.section(true).interface(12, 0, 0x80 | 20, 100).interface(1, 0, 3);
  b.epb(0, (uint64_t(kSec) << 20) | (1u << 19), payload(33, 4));
  b.epb(1, uint64_t(kSec) * 1000 + 999, payload(70, 5));
  b.block(4, Bytes(4));  // name resolution: skipped

  auto got = read_bytes(b.bytes());
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), 5u);
  const auto& r = got.records;
  EXPECT_EQ(r[0].ts_ns, kSec * kNs + 250'000'000);
  EXPECT_EQ(r[0].link_type, 1);
  EXPECT_EQ(r[0].interface_id, 0);
  EXPECT_EQ(r[0].data, payload(60, 1));
  EXPECT_EQ(r[1].ts_ns, kSec * kNs + 7);
  EXPECT_EQ(r[1].link_type, 101);
  EXPECT_EQ(r[1].interface_id, 1);
  EXPECT_EQ(r[1].wire_length, 1500u);
  EXPECT_EQ(r[1].data, payload(40, 2));
  EXPECT_EQ(r[2].ts_ns, (kSec + 1) * kNs);
  EXPECT_EQ(r[2].data, payload(64, 3));
  EXPECT_EQ(r[3].ts_ns, (kSec + 100) * kNs + 500'000'000);
  EXPECT_EQ(r[3].link_type, 101);
  EXPECT_EQ(r[3].data, payload(33, 4));
  EXPECT_EQ(r[4].ts_ns, kSec * kNs + 999'000'000);
  EXPECT_EQ(r[4].link_type, 1);
  EXPECT_EQ(r[4].interface_id, 1);
  EXPECT_EQ(r[4].data, payload(70, 5));
}

TEST(PcapngReader, TimestampResolutions) {
  struct Case {
    uint8_t tsresol;
    uint64_t units;
    int64_t want_ns;
  };
  const Case cases[] = {
      {6, uint64_t(kSec) * 1'000'000 + 1, kSec * kNs + 1000},
      {9, uint64_t(kSec) * kNs + 1, kSec * kNs + 1},
      {0, uint64_t(kSec), kSec * kNs},
      // Fine units leave fewer bits for seconds: 10^6 s (January 1970) still fit.
      {12, uint64_t{1'000'000} * kNs * 1000 + 1999, 1'000'000 * kNs + 1},  // ps truncate
      {0x80 | 10, (uint64_t(kSec) << 10) | 512, kSec * kNs + 500'000'000},
      {0x80 | 30, (uint64_t(kSec) << 30) | (1u << 28), kSec * kNs + 250'000'000},
      // 2^-40: the fraction times 10^9 would overflow 64 bits without care.
      {0x80 | 40, (uint64_t{1'000'000} << 40) | (uint64_t{3} << 38), 1'000'000 * kNs + 750'000'000},
      // Too large for int64 nanoseconds: saturates rather than wrapping.
      {0, ~uint64_t{0}, INT64_MAX},
  };
  for (const Case& c : cases) {
    PcapngBuilder b;
    b.section(false).interface(1, 0, c.tsresol).epb(0, c.units, payload(20, 1));
    auto got = read_bytes(b.bytes());
    ASSERT_FALSE(got.error) << *got.error;
    ASSERT_EQ(got.records.size(), 1u);
    EXPECT_EQ(got.records[0].ts_ns, c.want_ns) << "tsresol " << int(c.tsresol);
  }
}

TEST(PcapngReader, NegativeTimestampOffset) {
  PcapngBuilder b;
  b.section(false).interface(1, 0, 9, -3600).epb(0, uint64_t(kSec) * kNs, payload(20, 1));
  auto got = read_bytes(b.bytes());
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].ts_ns, (kSec - 3600) * kNs);
}

TEST(PcapngReader, SimplePacketBlocksUseInterfaceZeroAndSnaplen) {
  PcapngBuilder b;
  b.section(false).interface(1, /*snaplen=*/50, 9);
  b.epb(0, uint64_t(kSec) * kNs + 5, payload(30, 1));
  b.spb(100, payload(60, 2));  // wire 100, 60 bytes present, snaplen 50 -> 50 captured
  b.spb(20, payload(20, 3));   // padded to 20: all captured
  b.spb(90, payload(44, 4));   // block space 44 < snaplen and wire
  auto got = read_bytes(b.bytes());
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), 4u);
  Bytes first50 = payload(60, 2);
  first50.resize(50);
  EXPECT_EQ(got.records[1].data, first50);
  EXPECT_EQ(got.records[1].wire_length, 100u);
  EXPECT_EQ(got.records[1].ts_ns, kSec * kNs + 5);  // SPB carries no time: the last one
  EXPECT_EQ(got.records[2].data, payload(20, 3));
  EXPECT_EQ(got.records[2].wire_length, 20u);
  EXPECT_EQ(got.records[3].data, payload(44, 4));
  EXPECT_EQ(got.records[3].wire_length, 90u);
}

Bytes many_packets(size_t n, bool big) {
  PcapngBuilder b;
  b.section(big).interface(1, 0, 9).interface(101, 0, 6);
  for (size_t i = 0; i < n; ++i) {
    if (i % 17 == 0) b.block(5, Bytes(24));
    uint32_t iface = i % 2;
    uint64_t units = iface ? uint64_t(kSec) * 1'000'000 + i : uint64_t(kSec) * kNs + i;
    b.epb(iface, units, payload(20 + (i * 53) % 1400, static_cast<uint8_t>(i)));
  }
  return b.bytes();
}

TEST(PcapngReader, PipeWithTinyBatchesAndBatchLimits) {
  constexpr size_t kPackets = 400;
  for (bool big : {false, true}) {
    testing::PipeFeeder feeder(many_packets(kPackets, big), 13);
    ReaderOptions options;
    options.batch_bytes = 1000;
    auto reader = PacketReader::open_fd(feeder.read_fd(), "pipe", options);
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    auto got = read_all(**reader, 5);
    ASSERT_FALSE(got.error) << *got.error;
    ASSERT_EQ(got.records.size(), kPackets);
    uint64_t number = 1;
    for (size_t i = 0; i < got.batch_sizes.size(); ++i) {
      EXPECT_LE(got.batch_sizes[i], 5u);
      EXPECT_EQ(got.first_numbers[i], number);
      number += got.batch_sizes[i];
    }
    for (size_t i = 0; i < kPackets; ++i) {
      SCOPED_TRACE(i);
      const auto& r = got.records[i];
      EXPECT_EQ(r.interface_id, i % 2);
      EXPECT_EQ(r.link_type, i % 2 ? 101 : 1);
      EXPECT_EQ(r.ts_ns, i % 2 ? kSec * kNs + int64_t(i) * 1000 : kSec * kNs + int64_t(i));
      EXPECT_EQ(r.data, payload(20 + (i * 53) % 1400, static_cast<uint8_t>(i)));
    }
    EXPECT_EQ((*reader)->stats().records, kPackets);
  }
}

TEST(PcapngReader, SectionWithoutPacketsIsEmpty) {
  PcapngBuilder b;
  b.section(false).interface(1);
  auto got = read_bytes(b.bytes());
  EXPECT_FALSE(got.error);
  EXPECT_TRUE(got.records.empty());
}

}  // namespace
}  // namespace snapflow::pcap
