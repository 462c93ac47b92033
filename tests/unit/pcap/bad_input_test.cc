// Broken inputs: each checks the exact message pieces (input, record/block number, byte
// offset), that every record before the fault was returned first, that the error is sticky,
// and what skip_bad_records recovers and counts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "capture_builder.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {
namespace {

using testing::Bytes;
using testing::ClassicBuilder;
using testing::payload;
using testing::PcapngBuilder;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kBaseNs = 1'795'000'000'000'000'000;
constexpr size_t kData = 60;
constexpr size_t kRecordBytes = 16 + kData;

// n good records of 60 bytes each; record k (1-based) starts at 24 + (k - 1) * 76.
ClassicBuilder good_records(size_t n) {
  ClassicBuilder b(true, false);
  for (size_t i = 0; i < n; ++i) {
    b.record(kBaseNs + int64_t(i) * 1'000'000, payload(kData, static_cast<uint8_t>(i)));
  }
  return b;
}

size_t record_offset(size_t k) {
  return 24 + (k - 1) * kRecordBytes;
}

struct Outcome {
  testing::ReadAll all;
  ReaderStats stats;
  std::string open_error;
};

Outcome read_file(const Bytes& bytes, bool skip, const std::string& name = "t.pcap",
                  size_t max_packets = 4) {
  TempDir dir;
  ReaderOptions options;
  options.skip_bad_records = skip;
  options.batch_bytes = 512;  // faults land in later batches, not only the first
  Outcome out;
  std::string path = dir.write(name, bytes);
  // Through open_fd so messages carry the short name the expectations use.
  int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto reader = PacketReader::open_fd(fd, name, options);
  if (!reader.ok()) {
    out.open_error = reader.error().message();
    return out;
  }
  out.all = read_all(**reader, max_packets);
  out.stats = (*reader)->stats();
  if (out.all.error) {
    // Sticky: asking again gives the same error, no records.
    PacketBatch batch;
    auto again = (*reader)->next_batch(batch, max_packets);
    EXPECT_FALSE(again.ok());
    if (!again.ok()) {
      EXPECT_EQ(again.error().message(), *out.all.error);
    }
  }
  return out;
}

std::string where(const std::string& file, size_t record, size_t byte) {
  return file + ": record " + std::to_string(record) + " at byte " + std::to_string(byte) + ": ";
}

void expect_good_prefix(const testing::ReadAll& all, size_t n) {
  ASSERT_GE(all.records.size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(all.records[i].data, payload(kData, static_cast<uint8_t>(i))) << i;
  }
}

TEST(BadInput, WrongMagic) {
  Bytes bytes = {std::byte{0x12}, std::byte{0x34}, std::byte{0x56},
                 std::byte{0x78}, std::byte{0},    std::byte{0}};
  auto out = read_file(bytes, false, "x.pcap");
  EXPECT_NE(out.open_error.find("x.pcap: not a pcap or pcapng file (magic 0x12345678)"),
            std::string::npos)
      << out.open_error;
}

TEST(BadInput, EmptyInput) {
  auto out = read_file({}, true, "e.pcap");
  EXPECT_NE(out.open_error.find("e.pcap: input is empty"), std::string::npos) << out.open_error;
}

TEST(BadInput, TruncatedFileHeader) {
  Bytes bytes = good_records(0).bytes();
  bytes.resize(14);
  auto out = read_file(bytes, false);
  ASSERT_TRUE(out.all.error);
  EXPECT_EQ(*out.all.error, "t.pcap: file ends inside the file header (14 of 24 bytes)");
}

TEST(BadInput, TruncatedRecordHeader) {
  Bytes bytes = good_records(9).bytes();
  bytes.resize(bytes.size() + 5, std::byte{1});
  auto strict = read_file(bytes, false);
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error, where("t.pcap", 10, record_offset(10)) +
                                   "file ends inside a record header (5 of 16 bytes)");
  EXPECT_EQ(strict.all.records.size(), 9u);
  expect_good_prefix(strict.all, 9);

  auto skip = read_file(bytes, true);
  EXPECT_FALSE(skip.all.error);
  EXPECT_EQ(skip.all.records.size(), 9u);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 5u);
}

TEST(BadInput, TruncatedRecord) {
  Bytes bytes = good_records(9).bytes();
  bytes.resize(bytes.size() - kRecordBytes + 28);  // record 9 keeps 28 of its 76 bytes
  auto strict = read_file(bytes, false);
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error,
            where("t.pcap", 9, record_offset(9)) + "file ends inside a record (28 of 76 bytes)");
  EXPECT_EQ(strict.all.records.size(), 8u);
  expect_good_prefix(strict.all, 8);

  auto skip = read_file(bytes, true);
  EXPECT_FALSE(skip.all.error);
  EXPECT_EQ(skip.all.records.size(), 8u);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 28u);
}

TEST(BadInput, OversizeCapturedLength) {
  ClassicBuilder b = good_records(6);
  b.raw_record(1'795'000'000, 0, 300000, 300000, Bytes(40, std::byte{0xff}));
  for (size_t i = 6; i < 12; ++i) {
    b.record(kBaseNs + int64_t(i) * 1'000'000, payload(kData, static_cast<uint8_t>(i)));
  }
  auto strict = read_file(b.bytes(), false);
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error,
            where("t.pcap", 7, record_offset(7)) + "captured length 300000 exceeds limit 262144");
  EXPECT_EQ(strict.all.records.size(), 6u);
  expect_good_prefix(strict.all, 6);

  auto skip = read_file(b.bytes(), true);
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 12u);
  expect_good_prefix(skip.all, 12);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 16u + 40u);
}

TEST(BadInput, CapturedLongerThanWire) {
  ClassicBuilder b = good_records(3);
  b.raw_record(1'795'000'000, 0, 100, 60, payload(100, 7));
  b.record(kBaseNs + 3'000'000, payload(kData, 3));
  auto strict = read_file(b.bytes(), false);
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error,
            where("t.pcap", 4, record_offset(4)) + "captured length 100 exceeds wire length 60");
  EXPECT_EQ(strict.all.records.size(), 3u);

  auto skip = read_file(b.bytes(), true);
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 4u);
  expect_good_prefix(skip.all, 4);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 116u);
}

TEST(BadInput, GarbageOverARecordHeader) {
  Bytes bytes = good_records(20).bytes();
  size_t at = record_offset(11);
  for (size_t i = 0; i < 16; ++i) bytes[at + i] = std::byte(0xab);
  auto strict = read_file(bytes, false);
  ASSERT_TRUE(strict.all.error);
  EXPECT_NE(strict.all.error->find(where("t.pcap", 11, at) + "captured length 2880154539"),
            std::string::npos)
      << *strict.all.error;
  EXPECT_EQ(strict.all.records.size(), 10u);

  auto skip = read_file(bytes, true);
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 19u);
  expect_good_prefix(skip.all, 10);
  EXPECT_EQ(skip.all.records[10].data, payload(kData, 11));  // record 12 follows record 10
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, kRecordBytes);
}

TEST(BadInput, GarbageAfterHeaderWithoutRecords) {
  Bytes bytes = good_records(0).bytes();
  Bytes junk(1000);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = std::byte(static_cast<uint8_t>(i * 131));
  bytes.insert(bytes.end(), junk.begin(), junk.end());
  auto strict = read_file(bytes, false);
  ASSERT_TRUE(strict.all.error);
  EXPECT_NE(strict.all.error->find(where("t.pcap", 1, 24)), std::string::npos) << *strict.all.error;
  EXPECT_TRUE(strict.all.records.empty());

  auto skip = read_file(bytes, true);
  EXPECT_FALSE(skip.all.error);
  EXPECT_TRUE(skip.all.records.empty());
  EXPECT_EQ(skip.stats.skipped_bytes, 1000u);
  EXPECT_EQ(skip.stats.input_bytes, bytes.size());
}

// PCAPNG: SHB (28) + IDB with if_tsresol (32) + EPBs of 60 data bytes (28 + 60 + 4 = 92 bytes
// each).
constexpr size_t kEpbBytes = 92;
PcapngBuilder good_blocks(size_t packets) {
  PcapngBuilder b;
  b.section(false).interface(1, 0, 9);
  for (size_t i = 0; i < packets; ++i) {
    b.epb(0, uint64_t(kBaseNs) + i, payload(kData, static_cast<uint8_t>(i)));
  }
  return b;
}
size_t block_offset(size_t packet) {
  return 28 + 32 + (packet - 1) * kEpbBytes;
}
std::string block_where(size_t block, size_t byte) {
  return "t.pcapng: block " + std::to_string(block) + " at byte " + std::to_string(byte) + ": ";
}

TEST(BadInput, PcapngBadBlockLength) {
  PcapngBuilder b = good_blocks(5);
  b.raw_block(6, 13, Bytes(24), 13);
  for (size_t i = 5; i < 9; ++i) {
    b.epb(0, uint64_t(kBaseNs) + i, payload(kData, static_cast<uint8_t>(i)));
  }
  auto strict = read_file(b.bytes(), false, "t.pcapng");
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error, block_where(8, block_offset(6)) +
                                   "bad block length 13 (must be a multiple of 4 and at least 12)");
  EXPECT_EQ(strict.all.records.size(), 5u);
  expect_good_prefix(strict.all, 5);

  auto skip = read_file(b.bytes(), true, "t.pcapng");
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 9u);
  expect_good_prefix(skip.all, 9);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 8u + 24u + 4u);
}

TEST(BadInput, PcapngTrailingLengthMismatch) {
  PcapngBuilder b = good_blocks(3);
  b.raw_block(6, 40, Bytes(28), 44);
  b.epb(0, uint64_t(kBaseNs) + 3, payload(kData, 3));
  auto strict = read_file(b.bytes(), false, "t.pcapng");
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error, block_where(6, block_offset(4)) +
                                   "trailing block length 44 differs from leading length 40");
  EXPECT_EQ(strict.all.records.size(), 3u);

  auto skip = read_file(b.bytes(), true, "t.pcapng");
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 4u);
  expect_good_prefix(skip.all, 4);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 40u);
}

TEST(BadInput, PcapngTruncatedBlock) {
  Bytes bytes = good_blocks(4).bytes();
  bytes.resize(bytes.size() - 50);
  auto strict = read_file(bytes, false, "t.pcapng");
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error,
            block_where(6, block_offset(4)) + "file ends inside a block (42 of 92 bytes)");
  EXPECT_EQ(strict.all.records.size(), 3u);

  auto skip = read_file(bytes, true, "t.pcapng");
  EXPECT_FALSE(skip.all.error);
  EXPECT_EQ(skip.all.records.size(), 3u);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 42u);
}

TEST(BadInput, PcapngOversizeAndUnknownInterface) {
  PcapngBuilder b = good_blocks(2);
  b.epb(0, uint64_t(kBaseNs), payload(kData, 9), 0, /*cap=*/300000);
  b.epb(7, uint64_t(kBaseNs), payload(kData, 9));
  b.epb(0, uint64_t(kBaseNs) + 2, payload(kData, 2));
  auto strict = read_file(b.bytes(), false, "t.pcapng");
  ASSERT_TRUE(strict.all.error);
  EXPECT_EQ(*strict.all.error,
            block_where(5, block_offset(3)) + "captured length 300000 exceeds limit 262144");
  EXPECT_EQ(strict.all.records.size(), 2u);

  auto skip = read_file(b.bytes(), true, "t.pcapng");
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 3u);
  expect_good_prefix(skip.all, 3);
  EXPECT_EQ(skip.stats.skipped_records, 2u);
  EXPECT_EQ(skip.stats.skipped_bytes, 2 * kEpbBytes);

  PcapngBuilder c = good_blocks(1);
  c.epb(7, uint64_t(kBaseNs), payload(kData, 9));
  auto unknown = read_file(c.bytes(), false, "t.pcapng");
  ASSERT_TRUE(unknown.all.error);
  EXPECT_EQ(*unknown.all.error, block_where(4, block_offset(2)) +
                                    "packet references interface 7 but the section has 1");
}

TEST(BadInput, PcapngGarbageBetweenBlocks) {
  PcapngBuilder b = good_blocks(4);
  Bytes junk(64);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = std::byte(static_cast<uint8_t>(0xe0 + i));
  b.raw(junk);
  for (size_t i = 4; i < 8; ++i) {
    b.epb(0, uint64_t(kBaseNs) + i, payload(kData, static_cast<uint8_t>(i)));
  }
  auto strict = read_file(b.bytes(), false, "t.pcapng");
  ASSERT_TRUE(strict.all.error);
  EXPECT_NE(strict.all.error->find(block_where(7, block_offset(5))), std::string::npos)
      << *strict.all.error;
  auto skip = read_file(b.bytes(), true, "t.pcapng");
  EXPECT_FALSE(skip.all.error);
  ASSERT_EQ(skip.all.records.size(), 8u);
  expect_good_prefix(skip.all, 8);
  EXPECT_EQ(skip.stats.skipped_records, 1u);
  EXPECT_EQ(skip.stats.skipped_bytes, 64u);
}

}  // namespace
}  // namespace snapflow::pcap
