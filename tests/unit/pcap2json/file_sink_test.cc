// FileSink: plain and gzip round trips (decompressed with zlib, independently of the igzip
// writer), buffering and delivered_through(), and errors that name the path.
#include "snapflow/pcap2json/file_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "snapflow/compress/gzip.h"

namespace snapflow::pcap2json {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("snapflow_file_sink_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Inflates every gzip member in `data` with zlib.
std::string gunzip_with_zlib(const std::string& data, int* members) {
  std::string out;
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  *members = 0;
  char chunk[65536];
  while (z.avail_in > 0) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (rc == Z_STREAM_END) {
      ++*members;
      inflateReset(&z);
    } else if (rc != Z_OK) {
      ADD_FAILURE() << "inflate failed: " << rc;
      break;
    }
  }
  inflateEnd(&z);
  return out;
}

document::DocumentBatch make_batch(uint64_t sequence, int documents) {
  document::DocumentBatch batch;
  batch.sequence = sequence;
  for (int i = 0; i < documents; ++i) {
    batch.offsets.push_back(static_cast<uint32_t>(batch.body.size()));
    batch.body += "{\"seq\":" + std::to_string(sequence) + ",\"i\":" + std::to_string(i) +
                  ",\"pad\":\"" + std::string(static_cast<size_t>(i % 50), 'x') + "\"}\n";
  }
  return batch;
}

TEST(FileSink, PlainRoundTripWithBufferingAndDelivery) {
  const std::string path = temp_path("plain.ndjson");
  auto sink = FileSink::open(path, {.gzip = false, .buffer_bytes = 64 * 1024});
  ASSERT_TRUE(sink.ok()) << sink.error().to_string();
  std::string expected;
  uint64_t documents = 0;
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    document::DocumentBatch batch = make_batch(seq, static_cast<int>(seq * 7));
    expected += batch.body;
    documents += batch.size();
    ASSERT_TRUE((*sink)->write(std::move(batch)).ok());
    EXPECT_LE((*sink)->delivered_through(), seq);
  }
  // Batches large enough to bypass the buffer are delivered at once.
  document::DocumentBatch big = make_batch(51, 2000);
  ASSERT_GT(big.body.size(), 32u * 1024);
  expected += big.body;
  documents += big.size();
  ASSERT_TRUE((*sink)->write(std::move(big)).ok());
  EXPECT_EQ((*sink)->delivered_through(), 51u);
  ASSERT_TRUE((*sink)->finish().ok());
  EXPECT_EQ((*sink)->delivered_through(), 51u);
  EXPECT_EQ((*sink)->documents(), documents);
  EXPECT_EQ((*sink)->bytes_in(), expected.size());
  EXPECT_EQ((*sink)->bytes_out(), expected.size());
  EXPECT_EQ(read_file(path), expected);
  EXPECT_TRUE((*sink)->finish().ok());  // idempotent
  EXPECT_FALSE((*sink)->write(make_batch(52, 1)).ok());
  std::filesystem::remove(path);
}

// A batch between half and all of the buffer goes out straight from its own memory; what is
// buffered before it must go out first, and delivered_through() must wait for both.
TEST(FileSink, LargeBatchAfterBufferedOnesKeepsOrder) {
  for (const bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    const std::string path = temp_path("order.ndjson");
    auto sink = FileSink::open(path, {.gzip = gzip, .buffer_bytes = 64 * 1024});
    ASSERT_TRUE(sink.ok()) << sink.error().to_string();
    document::DocumentBatch small = make_batch(1, 3);
    document::DocumentBatch large = make_batch(2, 700);
    ASSERT_GE(large.body.size(), 32u * 1024);
    ASSERT_LE(small.body.size() + large.body.size(), 64u * 1024);
    const std::string expected = small.body + large.body;
    ASSERT_TRUE((*sink)->write(std::move(small)).ok());
    EXPECT_EQ((*sink)->delivered_through(), 0u);
    ASSERT_TRUE((*sink)->write(std::move(large)).ok());
    EXPECT_EQ((*sink)->delivered_through(), 2u);
    ASSERT_TRUE((*sink)->finish().ok());
    int members = 0;
    const std::string written =
        gzip ? gunzip_with_zlib(read_file(path), &members) : read_file(path);
    EXPECT_EQ(written.size(), expected.size());
    EXPECT_TRUE(written == expected) << "the buffered batch must come before the large one";
    std::filesystem::remove(path);
  }
}

TEST(FileSink, GzipRoundTripReadableByZlib) {
  const std::string path = temp_path("docs.ndjson.gz");
  auto sink = FileSink::open(path, {.gzip = true, .gzip_level = 1, .buffer_bytes = 256 * 1024});
  ASSERT_TRUE(sink.ok()) << sink.error().to_string();
  std::string expected;
  for (uint64_t seq = 1; seq <= 40; ++seq) {
    document::DocumentBatch batch = make_batch(seq, 500);
    expected += batch.body;
    ASSERT_TRUE((*sink)->write(std::move(batch)).ok());
  }
  ASSERT_TRUE((*sink)->finish().ok());
  EXPECT_EQ((*sink)->delivered_through(), 40u);
  const std::string compressed = read_file(path);
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(compressed[1]), 0x8b);
  EXPECT_LT(compressed.size(), expected.size() / 4);  // repetitive JSON compresses well
  int members = 0;
  EXPECT_EQ(gunzip_with_zlib(compressed, &members), expected);
  EXPECT_GT(members, 1);  // one member per flushed buffer
  EXPECT_EQ((*sink)->bytes_out(), compressed.size());
  std::filesystem::remove(path);
}

// Batches compressed by compress::InPlaceGzip (as the pipeline's parallel stage does, with one
// compressor per thread) and written by a precompressed sink: the file is their concatenated
// members, zlib reads back exactly the plain text, and batch metadata survives compression.
TEST(FileSink, PrecompressedBatchesFromCompressBatch) {
  const std::string path = temp_path("pre.ndjson.gz");
  auto sink = FileSink::open(path, {.precompressed = true});
  ASSERT_TRUE(sink.ok()) << sink.error().to_string();
  compress::InPlaceGzip compressor(1);
  std::string expected;
  for (uint64_t seq = 1; seq <= 30; ++seq) {
    document::DocumentBatch batch = make_batch(seq, static_cast<int>(seq * 40));
    expected += batch.body;
    const size_t plain_bytes = batch.body.size();
    const size_t documents = batch.size();
    ASSERT_TRUE(compressor.compress(batch.body).ok());
    ASSERT_GE(batch.body.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(batch.body[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<uint8_t>(batch.body[1]), 0x8b);
    EXPECT_LT(batch.body.size(), plain_bytes);
    EXPECT_EQ(batch.size(), documents);
    EXPECT_EQ(batch.sequence, seq);
    ASSERT_TRUE((*sink)->write(std::move(batch)).ok());
  }
  document::DocumentBatch empty;
  empty.sequence = 31;
  ASSERT_TRUE(compressor.compress(empty.body).ok());
  EXPECT_TRUE(empty.body.empty());  // nothing to compress: no empty member either
  ASSERT_TRUE((*sink)->write(std::move(empty)).ok());
  ASSERT_TRUE((*sink)->finish().ok());
  EXPECT_EQ((*sink)->delivered_through(), 31u);
  int members = 0;
  EXPECT_EQ(gunzip_with_zlib(read_file(path), &members), expected);
  EXPECT_EQ(members, 30);
  std::filesystem::remove(path);
}

TEST(FileSink, GzipAndPrecompressedAreExclusive) {
  auto sink = FileSink::open(temp_path("both.gz"), {.gzip = true, .precompressed = true});
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.error().to_string().find("exclusive"), std::string::npos);
}

TEST(FileSink, EmptyOutputIsAnEmptyFile) {
  const std::string path = temp_path("empty.gz");
  auto sink = FileSink::open(path, {.gzip = true});
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->finish().ok());
  EXPECT_EQ(read_file(path), "");
  std::filesystem::remove(path);
}

TEST(FileSink, DestructorFlushesWithoutFinish) {
  const std::string path = temp_path("dtor.ndjson");
  std::string expected;
  {
    auto sink = FileSink::open(path);
    ASSERT_TRUE(sink.ok());
    document::DocumentBatch batch = make_batch(1, 10);
    expected = batch.body;
    ASSERT_TRUE((*sink)->write(std::move(batch)).ok());
  }
  EXPECT_EQ(read_file(path), expected);
  std::filesystem::remove(path);
}

TEST(FileSink, ErrorsNameThePath) {
  const std::string path = "/nonexistent-dir-snapflow/out.ndjson";
  auto sink = FileSink::open(path);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().code(), base::ErrorCode::kIo);
  EXPECT_NE(sink.error().message().find(path), std::string::npos);
  EXPECT_FALSE(FileSink::open("").ok());

  // A full device: /dev/full accepts open() and fails every write with ENOSPC.
  if (::access("/dev/full", W_OK) == 0) {
    auto full = FileSink::open("/dev/full", {.buffer_bytes = 4096});
    ASSERT_TRUE(full.ok());
    const base::Status status = (*full)->write(make_batch(1, 200));
    const base::Status finished = status.ok() ? (*full)->finish() : status;
    ASSERT_FALSE(finished.ok());
    EXPECT_NE(finished.error().message().find("/dev/full"), std::string::npos);
  }
}

}  // namespace
}  // namespace snapflow::pcap2json
