// open_files: ordering by first timestamp, one stream across files, per-file numbering and
// messages that name the file at fault.
#include <gtest/gtest.h>

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

Bytes classic_file(int64_t first_ns, size_t n, uint8_t seed) {
  ClassicBuilder b(true, false);
  for (size_t i = 0; i < n; ++i) b.record(first_ns + int64_t(i), payload(50, seed + i));
  return b.bytes();
}

TEST(MultiFile, OrdersByFirstTimestampAndNumbersPerFile) {
  TempDir dir;
  std::string a = dir.write("a.pcap", classic_file(kBaseNs + 1000, 5, 10));
  std::string b = dir.write("b.pcap", classic_file(kBaseNs, 3, 20));
  PcapngBuilder ng;
  ng.section(true).interface(1, 0, 9);
  for (int i = 0; i < 4; ++i) ng.epb(0, uint64_t(kBaseNs + 2000 + i), payload(50, 30 + i));
  std::string c = dir.write("c.pcapng", ng.bytes());
  std::string empty = dir.write("empty.pcap", ClassicBuilder(true, false).bytes());

  auto reader = open_files({c, empty, a, b});
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  EXPECT_EQ((*reader)->size_bytes(), 3 * 24u + 5 * 66 + 3 * 66 + ng.size());
  auto got = read_all(**reader, 100);
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), 12u);
  for (size_t i = 1; i < got.records.size(); ++i) {
    EXPECT_LT(got.records[i - 1].ts_ns, got.records[i].ts_ns) << i;
  }
  EXPECT_EQ(got.records[0].data, payload(50, 20));             // b first
  ASSERT_EQ(got.batch_sizes, (std::vector<size_t>{3, 5, 4}));  // a batch never mixes files
  EXPECT_EQ(got.first_numbers, (std::vector<uint64_t>{1, 1, 1}));
  EXPECT_EQ((*reader)->stats().records, 12u);
}

TEST(MultiFile, ErrorNamesTheFileAndRecord) {
  TempDir dir;
  std::string good = dir.write("good.pcap", classic_file(kBaseNs, 2, 1));
  Bytes bad_bytes = classic_file(kBaseNs + 100, 3, 2);
  bad_bytes.resize(bad_bytes.size() - 10);
  std::string bad = dir.write("bad.pcap", bad_bytes);
  auto reader = open_files({bad, good});
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  auto got = read_all(**reader, 100);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(*got.error, bad + ": record 3 at byte " + std::to_string(24 + 2 * 66) +
                            ": file ends inside a record (56 of 66 bytes)");
  EXPECT_EQ(got.records.size(), 4u);
}

TEST(MultiFile, RejectsStdinAmongFilesAndEmptyLists) {
  TempDir dir;
  std::string a = dir.write("a.pcap", classic_file(kBaseNs, 1, 1));
  auto with_stdin = open_files({a, "-"});
  ASSERT_FALSE(with_stdin.ok());
  EXPECT_EQ(with_stdin.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(open_files({}).ok());
  auto missing = open_files({a, dir.path("missing.pcap")});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("missing.pcap"), std::string::npos);
}

}  // namespace
}  // namespace snapflow::pcap
