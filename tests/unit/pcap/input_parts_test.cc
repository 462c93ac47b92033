// Input parts and ids (docs/decisions/0005-document-identity.md): the first batch of an input
// and the first batch after a skipped record begin a part, a batch never spans two parts, and
// every batch carries its input's fingerprint, which depends on the packets and not on the
// file format.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture_builder.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {
namespace {

using testing::Bytes;
using testing::ClassicBuilder;
using testing::payload;
using testing::PcapngBuilder;
using testing::TempDir;

constexpr int64_t kBaseNs = 1'795'000'000'000'000'000;  // whole microseconds
constexpr size_t kData = 60;

struct BatchInfo {
  size_t size;
  uint64_t first_number;
  bool starts_part;
  InputId input_id;
};

std::vector<BatchInfo> batches_of(PacketReader& reader, size_t max_packets) {
  std::vector<BatchInfo> out;
  PacketBatch batch;
  for (;;) {
    auto got = reader.next_batch(batch, max_packets);
    EXPECT_TRUE(got.ok()) << got.error().message();
    if (!got.ok() || *got == 0) return out;
    out.push_back({batch.size(), batch.first_record_number, batch.starts_part, batch.input_id});
  }
}

Bytes classic(size_t n, uint8_t seed, bool nano = true) {
  ClassicBuilder b(nano, false);
  for (size_t i = 0; i < n; ++i) {
    b.record(kBaseNs + int64_t(i) * 1000, payload(kData, static_cast<uint8_t>(seed + i)));
  }
  return b.bytes();
}

TEST(InputParts, FirstBatchStartsTheOnlyPartOfAGoodFile) {
  TempDir dir;
  auto reader = PacketReader::open(dir.write("a.pcap", classic(25, 1)));
  ASSERT_TRUE(reader.ok());
  const auto batches = batches_of(**reader, 10);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_TRUE(batches[0].starts_part);
  EXPECT_FALSE(batches[1].starts_part);
  EXPECT_FALSE(batches[2].starts_part);
  for (const BatchInfo& b : batches) EXPECT_EQ(b.input_id, batches[0].input_id);
  EXPECT_EQ(batches[2].first_number, 21u);
}

TEST(InputParts, TheIdNamesThePacketsNotTheFormat) {
  TempDir dir;
  PcapngBuilder ng;
  ng.section(false).interface(1, 0, 9);
  for (size_t i = 0; i < 5; ++i) {
    ng.epb(0, uint64_t(kBaseNs) + i * 1000, payload(kData, static_cast<uint8_t>(1 + i)));
  }
  const std::vector<std::string> same = {dir.write("ns.pcap", classic(5, 1)),
                                         dir.write("us.pcap", classic(5, 1, false)),
                                         dir.write("ng.pcapng", ng.bytes())};
  std::vector<InputId> ids;
  for (const std::string& path : same) {
    auto reader = PacketReader::open(path);
    ASSERT_TRUE(reader.ok());
    ids.push_back(batches_of(**reader, 100).at(0).input_id);
  }
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[0], ids[2]);
  // Another first packet (a split file's second half, another capture): another id.
  auto other = PacketReader::open(dir.write("b.pcap", classic(5, 2)));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(batches_of(**other, 100).at(0).input_id, ids[0]);
}

TEST(InputParts, ASkippedRecordEndsThePartAndTheBatch) {
  Bytes bytes = classic(30, 1);
  const size_t bad = 24 + 11 * (16 + kData);  // record 12
  for (size_t i = 0; i < 16; ++i) bytes[bad + i] = std::byte(0xab);
  TempDir dir;
  ReaderOptions options;
  options.skip_bad_records = true;
  auto reader = PacketReader::open(dir.write("t.pcap", bytes), options);
  ASSERT_TRUE(reader.ok());
  const auto batches = batches_of(**reader, 100);
  ASSERT_EQ(batches.size(), 2u);
  // Records 1-11, then (record 12 skipped) records 13-30 as a new part.
  EXPECT_EQ(batches[0].size, 11u);
  EXPECT_TRUE(batches[0].starts_part);
  EXPECT_EQ(batches[1].first_number, 13u);
  EXPECT_EQ(batches[1].size, 18u);
  EXPECT_TRUE(batches[1].starts_part);
  EXPECT_EQ(batches[1].input_id, batches[0].input_id);
  EXPECT_EQ((*reader)->stats().skipped_records, 1u);
}

TEST(InputParts, EveryFileOfSeveralStartsItsOwnPart) {
  TempDir dir;
  Bytes second;
  {
    ClassicBuilder b(true, false);
    for (size_t i = 0; i < 7; ++i) b.record(kBaseNs + 1'000'000 + int64_t(i), payload(kData, 50));
    second = b.bytes();
  }
  auto reader = open_files({dir.write("b.pcap", second), dir.write("a.pcap", classic(5, 1))});
  ASSERT_TRUE(reader.ok());
  const auto batches = batches_of(**reader, 100);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_TRUE(batches[0].starts_part);
  EXPECT_TRUE(batches[1].starts_part);
  EXPECT_EQ(batches[0].first_number, 1u);
  EXPECT_EQ(batches[1].first_number, 1u);
  EXPECT_NE(batches[0].input_id, batches[1].input_id);
}

// Records 1-10 from kBaseNs, 11-20 an hour earlier (the clock stepped back), 21-25 half a
// second behind the newest before them (late, not a step back).
std::vector<int64_t> stepping_back_times() {
  std::vector<int64_t> times;
  for (int64_t i = 0; i < 10; ++i) times.push_back(kBaseNs + i * 1'000'000);
  for (int64_t i = 0; i < 10; ++i) times.push_back(kBaseNs - 3600'000'000'000 + i * 1'000'000);
  for (int64_t i = 0; i < 5; ++i) times.push_back(times[19] - 500'000'000 + i * 1000);
  return times;
}

TEST(InputParts, AClockSteppingBackBeginsAPartAndEveryRecordStaysInOrder) {
  TempDir dir;
  ClassicBuilder classic_capture(true, false);
  PcapngBuilder ng;
  ng.section(false).interface(1, 0, 9);
  const std::vector<int64_t> times = stepping_back_times();
  for (size_t i = 0; i < times.size(); ++i) {
    classic_capture.record(times[i], payload(kData, static_cast<uint8_t>(i)));
    ng.epb(0, static_cast<uint64_t>(times[i]), payload(kData, static_cast<uint8_t>(i)));
  }
  const std::string classic_path = dir.write("steps.pcap", classic_capture.bytes());
  for (const std::string& path : {classic_path, dir.write("steps.pcapng", ng.bytes())}) {
    for (const size_t max_packets : {1, 3, 7, 100}) {
      for (const size_t batch_bytes : {size_t{150}, size_t{4} << 20}) {  // 150: records straddle
        SCOPED_TRACE(path + " max_packets " + std::to_string(max_packets) + " batch_bytes " +
                     std::to_string(batch_bytes));
        ReaderOptions options;
        options.new_part_after_step_back_ns = 1'000'000'000;
        options.batch_bytes = batch_bytes;
        auto reader = PacketReader::open(path, options);
        ASSERT_TRUE(reader.ok());
        std::vector<uint64_t> part_starts;
        std::vector<int64_t> read_times;
        PacketBatch batch;
        for (;;) {
          auto got = (*reader)->next_batch(batch, max_packets);
          ASSERT_TRUE(got.ok()) << got.error().message();
          if (*got == 0) break;
          // Numbers run on: a batch's first is one past the previous batch's last.
          EXPECT_EQ(batch.first_record_number, read_times.size() + 1);
          if (batch.starts_part) part_starts.push_back(batch.first_record_number);
          for (const PacketRecord& r : batch.records) read_times.push_back(r.ts_ns);
        }
        EXPECT_EQ(read_times, times);
        EXPECT_EQ(part_starts, (std::vector<uint64_t>{1, 11}));
        EXPECT_EQ((*reader)->stats().steps_back, 1u);
        EXPECT_EQ((*reader)->stats().records, times.size());
      }
    }
  }
  // Off (the default): one part, the step back is only late data for the consumer.
  auto reader = PacketReader::open(classic_path);
  ASSERT_TRUE(reader.ok());
  const auto batches = batches_of(**reader, 4);
  for (size_t i = 0; i < batches.size(); ++i) EXPECT_EQ(batches[i].starts_part, i == 0);
  EXPECT_EQ((*reader)->stats().steps_back, 0u);
}

}  // namespace
}  // namespace snapflow::pcap
