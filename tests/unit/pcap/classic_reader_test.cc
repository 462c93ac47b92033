// Classic PCAP: every magic and byte order, link type mapping, stdin/pipe/fd inputs, tiny
// batches that force records to straddle chunks, and batch limits.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <tuple>

#include "capture_builder.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {
namespace {

using testing::Bytes;
using testing::ClassicBuilder;
using testing::payload;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kBaseNs = 1'795'000'000'123'456'000;  // late 2026, whole microseconds

struct Expected {
  int64_t ts_ns;
  Bytes data;
  uint32_t wire;
};

std::vector<Expected> sample_records(size_t n) {
  std::vector<Expected> out;
  for (size_t i = 0; i < n; ++i) {
    size_t len = 14 + (i * 37) % 1500;
    out.push_back({kBaseNs + static_cast<int64_t>(i) * 1'000'001'000,
                   payload(len, static_cast<uint8_t>(i)), static_cast<uint32_t>(len + i % 3)});
  }
  return out;
}

Bytes build(const std::vector<Expected>& records, bool nano, bool big, uint32_t link = 1) {
  ClassicBuilder b(nano, big, link);
  for (const auto& r : records) b.record(r.ts_ns, r.data, r.wire);
  return b.bytes();
}

void expect_same(const testing::ReadAll& got, const std::vector<Expected>& want,
                 uint16_t link = 1) {
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got.records[i].ts_ns, want[i].ts_ns);
    EXPECT_EQ(got.records[i].data, want[i].data);
    EXPECT_EQ(got.records[i].wire_length, want[i].wire);
    EXPECT_EQ(got.records[i].link_type, link);
    EXPECT_EQ(got.records[i].interface_id, 0);
  }
}

class ClassicVariants : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(ClassicVariants, ReadsEveryRecordAndCountsBytes) {
  auto [nano, big] = GetParam();
  auto want = sample_records(200);
  Bytes file = build(want, nano, big);
  TempDir dir;
  std::string path = dir.write("v.pcap", file);
  auto reader = PacketReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  auto got = read_all(**reader);
  expect_same(got, want);
  const ReaderStats& s = (*reader)->stats();
  EXPECT_EQ(s.records, want.size());
  uint64_t wire = 0, captured = 0;
  for (const auto& r : want) {
    wire += r.wire;
    captured += r.data.size();
  }
  EXPECT_EQ(s.wire_bytes, wire);
  EXPECT_EQ(s.captured_bytes, captured);
  EXPECT_EQ(s.input_bytes, file.size());
  EXPECT_EQ(s.skipped_records, 0u);
  EXPECT_EQ((*reader)->size_bytes(), file.size());
  EXPECT_EQ((*reader)->name(), path);
}

TEST_P(ClassicVariants, NanosecondFractionsSurviveOnlyInNanoFiles) {
  auto [nano, big] = GetParam();
  ClassicBuilder b(nano, big);
  b.record(kBaseNs + 789, payload(60, 1));
  TempDir dir;
  auto reader = PacketReader::open(dir.write("f.pcap", b.bytes()));
  ASSERT_TRUE(reader.ok());
  auto got = read_all(**reader);
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].ts_ns, nano ? kBaseNs + 789 : kBaseNs);
}

INSTANTIATE_TEST_SUITE_P(MagicAndOrder, ClassicVariants,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

TEST(ClassicReader, RejectsUnknownLinkTypesByDefaultNamingThem) {
  TempDir dir;
  ClassicBuilder b(true, false, 147);
  b.record(kBaseNs, payload(40, 3));
  auto reader = PacketReader::open(dir.write("u.pcap", b.bytes()));
  std::string message;
  if (!reader.ok()) {
    message = reader.error().message();
  } else {
    PacketBatch batch;
    auto n = (*reader)->next_batch(batch, 16);
    ASSERT_FALSE(n.ok());
    message = n.error().message();
  }
  EXPECT_NE(message.find("u.pcap"), std::string::npos) << message;
  EXPECT_NE(message.find("link type 147"), std::string::npos) << message;
}

TEST(ClassicReader, MapsDltRawAndKeepsOtherLinkTypesWhenAllowed) {
  TempDir dir;
  ReaderOptions options;
  options.allow_unknown_link_types = true;
  for (auto [in, out] : {std::pair{12u, 101}, {14u, 101}, {101u, 101}, {147u, 147}, {1u, 1}}) {
    ClassicBuilder b(true, false, in);
    b.record(kBaseNs, payload(40, 3));
    auto reader = PacketReader::open(dir.write("l.pcap", b.bytes()), options);
    ASSERT_TRUE(reader.ok());
    auto got = read_all(**reader);
    ASSERT_EQ(got.records.size(), 1u);
    EXPECT_EQ(got.records[0].link_type, out) << "file link type " << in;
  }
}

TEST(ClassicReader, WireLengthZeroMeansCaptured) {
  ClassicBuilder b(false, false);
  b.raw_record(1'700'000'000, 5, 40, 0, payload(40, 9));
  TempDir dir;
  auto reader = PacketReader::open(dir.write("w.pcap", b.bytes()));
  ASSERT_TRUE(reader.ok());
  auto got = read_all(**reader);
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].wire_length, 40u);
}

TEST(ClassicReader, AcceptsRecordsAboveSnaplenUpToTheLimit) {
  ClassicBuilder b(true, false, 1, /*snaplen=*/1500);
  b.record(kBaseNs, payload(100'000, 2));  // > snaplen and > 65535, < 256 KiB
  TempDir dir;
  ReaderOptions options;
  options.batch_bytes = 4096;  // also forces the storage to grow for one record
  auto reader = PacketReader::open(dir.write("big.pcap", b.bytes()), options);
  ASSERT_TRUE(reader.ok());
  auto got = read_all(**reader);
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].data, payload(100'000, 2));
}

TEST(ClassicReader, PipeWithTinyBatchesCarriesStraddlingRecords) {
  auto want = sample_records(300);
  for (bool big : {false, true}) {
    testing::PipeFeeder feeder(build(want, true, big), 7);
    ReaderOptions options;
    options.batch_bytes = 700;  // smaller than many records: they straddle or force growth
    auto reader = PacketReader::open_fd(feeder.read_fd(), "pipe", options);
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    auto got = read_all(**reader);
    expect_same(got, want);
    EXPECT_GT(got.batch_sizes.size(), 10u);
  }
}

TEST(ClassicReader, BatchesRespectMaxPacketsAndNumberRecords) {
  auto want = sample_records(50);
  TempDir dir;
  auto reader = PacketReader::open(dir.write("m.pcap", build(want, false, false)));
  ASSERT_TRUE(reader.ok());
  auto got = read_all(**reader, 7);
  expect_same(got, want);
  ASSERT_EQ(got.batch_sizes.size(), 8u);
  for (size_t i = 0; i < got.batch_sizes.size(); ++i) {
    EXPECT_LE(got.batch_sizes[i], 7u);
    EXPECT_EQ(got.first_numbers[i], 1 + 7 * i);
  }
  PacketBatch batch;
  auto again = (*reader)->next_batch(batch, 7);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);  // end stays end
}

TEST(ClassicReader, ReadsStdinForDash) {
  auto want = sample_records(20);
  TempDir dir;
  std::string path = dir.write("s.pcap", build(want, true, false));
  int saved = ::dup(STDIN_FILENO);
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  auto reader = PacketReader::open("-");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->name(), "stdin");
  auto got = read_all(**reader);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  expect_same(got, want);
}

TEST(ClassicReader, ReadsFromAnOpenFdWithoutClosingIt) {
  auto want = sample_records(5);
  TempDir dir;
  std::string path = dir.write("fd.pcap", build(want, false, true));
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  {
    auto reader = PacketReader::open_fd(fd, "fd.pcap");
    ASSERT_TRUE(reader.ok());
    expect_same(read_all(**reader), want);
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), 0);  // still open
  ::close(fd);
}

TEST(ClassicReader, HeaderOnlyFileHasNoRecords) {
  TempDir dir;
  auto reader = PacketReader::open(dir.write("h.pcap", ClassicBuilder(true, false).bytes()));
  ASSERT_TRUE(reader.ok());
  auto got = read_all(**reader);
  EXPECT_FALSE(got.error);
  EXPECT_TRUE(got.records.empty());
}

TEST(ClassicReader, MissingFileIsNotFound) {
  auto reader = PacketReader::open("/nonexistent/x.pcap");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code(), base::ErrorCode::kNotFound);
  EXPECT_NE(reader.error().message().find("/nonexistent/x.pcap"), std::string::npos);
}

}  // namespace
}  // namespace snapflow::pcap
