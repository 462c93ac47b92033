// PcapWriter: header bytes, round trip through the reader (file and pipe), buffering past
// 1 MiB, and closed-writer errors.
#include "snapflow/pcap/writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "capture_builder.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {
namespace {

using testing::Bytes;
using testing::payload;
using testing::read_all;
using testing::TempDir;

constexpr int64_t kBaseNs = 1'795'000'000'123'456'789;

TEST(PcapWriter, FileHeaderIsNanosecondNativeOrder) {
  std::byte header[kPcapFileHeaderBytes];
  encode_file_header(header, 101, 9000);
  uint32_t magic, snaplen, link;
  uint16_t major, minor;
  std::memcpy(&magic, header, 4);
  std::memcpy(&major, header + 4, 2);
  std::memcpy(&minor, header + 6, 2);
  std::memcpy(&snaplen, header + 16, 4);
  std::memcpy(&link, header + 20, 4);
  EXPECT_EQ(magic, 0xa1b23c4du);
  EXPECT_EQ(major, 2);
  EXPECT_EQ(minor, 4);
  EXPECT_EQ(snaplen, 9000u);
  EXPECT_EQ(link, 101u);

  std::byte record[kPcapRecordHeaderBytes];
  encode_record_header(record, -1, 10, 20);  // one ns before the epoch
  uint32_t sec, frac;
  std::memcpy(&sec, record, 4);
  std::memcpy(&frac, record + 4, 4);
  EXPECT_EQ(sec, 0xffffffffu);
  EXPECT_EQ(frac, 999'999'999u);
}

TEST(PcapWriter, RoundTripThroughTheReader) {
  TempDir dir;
  std::string path = dir.path("out.pcap");
  constexpr size_t kRecords = 3000;  // ~2.3 MB: crosses the 1 MiB buffer twice
  {
    auto writer = PcapWriter::create(path, kLinkEthernet);
    ASSERT_TRUE(writer.ok()) << writer.error().message();
    for (size_t i = 0; i < kRecords; ++i) {
      Bytes data = payload(60 + i % 1400, static_cast<uint8_t>(i));
      ASSERT_TRUE(
          (*writer)->write(kBaseNs + int64_t(i) * 1000, data, uint32_t(data.size() + 4)).ok());
    }
    PacketRecord short_wire;
    Bytes data = payload(30, 1);
    short_wire.ts_ns = kBaseNs;
    short_wire.data = data.data();
    short_wire.captured_length = 30;
    short_wire.wire_length = 0;  // "unknown": written as captured
    ASSERT_TRUE((*writer)->write(short_wire).ok());
    ASSERT_TRUE((*writer)->close().ok());
    EXPECT_FALSE((*writer)->write(short_wire).ok());
    EXPECT_EQ((*writer)->bytes_written(), std::filesystem::file_size(path));
  }
  auto reader = PacketReader::open(path);
  ASSERT_TRUE(reader.ok());
  auto got = read_all(**reader);
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), kRecords + 1);
  for (size_t i = 0; i < kRecords; ++i) {
    ASSERT_EQ(got.records[i].ts_ns, kBaseNs + int64_t(i) * 1000);
    ASSERT_EQ(got.records[i].data, payload(60 + i % 1400, static_cast<uint8_t>(i)));
    ASSERT_EQ(got.records[i].wire_length, got.records[i].data.size() + 4);
    ASSERT_EQ(got.records[i].link_type, kLinkEthernet);
  }
  EXPECT_EQ(got.records.back().wire_length, 30u);
}

TEST(PcapWriter, WritesIntoAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::thread producer([fd = fds[1]] {
    auto writer = PcapWriter::on_fd(fd, "pipe", kLinkRaw);
    if (writer.ok()) {
      for (int i = 0; i < 500; ++i) (void)(*writer)->write(kBaseNs + i, payload(200, 3), 200);
      (void)(*writer)->close();  // flushes; the fd is not the writer's to close
    }
    ::close(fd);
  });
  auto reader = PacketReader::open_fd(fds[0], "pipe");
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  auto got = read_all(**reader);
  producer.join();
  ::close(fds[0]);
  ASSERT_FALSE(got.error) << *got.error;
  ASSERT_EQ(got.records.size(), 500u);
  EXPECT_EQ(got.records[499].ts_ns, kBaseNs + 499);
  EXPECT_EQ(got.records[0].link_type, kLinkRaw);
}

TEST(PcapWriter, CreateFailsWithPath) {
  auto writer = PcapWriter::create("/nonexistent/dir/x.pcap", kLinkEthernet);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.error().message().find("/nonexistent/dir/x.pcap"), std::string::npos);
}

}  // namespace
}  // namespace snapflow::pcap
