// igzip output must be standard gzip: every test decompresses with zlib, an independent
// implementation, and compares with the input.
#include "snapflow/compress/gzip.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "snapflow/compress/gzip_file.h"

namespace snapflow::compress {
namespace {

std::string flow_like_ndjson(size_t docs) {
  std::string s;
  for (size_t i = 0; i < docs; ++i) {
    s += R"({"create":{"_index":"snapflow-2026.11.23","_id":"id)" + std::to_string(i) + "\"}}\n";
    s += R"({"@timestamp":"2026-11-23T11:15:27.100000000Z","network":{"bytes":)" +
         std::to_string(i * 7 % 1500) + R"(,"packets":)" + std::to_string(i % 13 + 1) + "}}\n";
  }
  return s;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string gunzip_or_die(std::string_view gz) {
  std::string out;
  const auto st = gunzip_append(gz, out);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().to_string());
  return out;
}

TEST(GzipCompressor, RoundTripsJsonAtEveryLevel) {
  const std::string in = flow_like_ndjson(5000);
  for (int level = 0; level <= kMaxGzipLevel; ++level) {
    GzipCompressor c(level);
    std::string gz;
    ASSERT_TRUE(c.compress(in, gz).ok());
    EXPECT_TRUE(looks_gzipped(gz));
    EXPECT_LT(gz.size(), in.size() / 3) << "level " << level;
    EXPECT_EQ(gunzip_or_die(gz), in) << "level " << level;
  }
}

TEST(GzipCompressor, RoundTripsEmptyAndIncompressibleInput) {
  GzipCompressor c;
  std::string gz;
  ASSERT_TRUE(c.compress("", gz).ok());
  EXPECT_TRUE(looks_gzipped(gz));
  EXPECT_EQ(gunzip_or_die(gz), "");
  const std::string noise = random_bytes(3 * 1024 * 1024 + 17, 7);
  ASSERT_TRUE(c.compress(noise, gz).ok());
  EXPECT_EQ(gunzip_or_die(gz), noise);
}

TEST(GzipCompressor, ReuseGivesIdenticalIndependentMembers) {
  GzipCompressor c;
  const std::string a = flow_like_ndjson(100), b = flow_like_ndjson(300);
  std::string gz_a1, gz_b, gz_a2;
  ASSERT_TRUE(c.compress(a, gz_a1).ok());
  ASSERT_TRUE(c.compress(b, gz_b).ok());
  ASSERT_TRUE(c.compress(a, gz_a2).ok());
  EXPECT_EQ(gz_a1, gz_a2);  // no state leaks from one request into the next
  EXPECT_EQ(gunzip_or_die(gz_b), b);
}

TEST(GzipCompressor, AppendedMembersConcatenate) {
  GzipCompressor c;
  std::string gz = "";
  ASSERT_TRUE(c.compress_append("hello ", gz).ok());
  ASSERT_TRUE(c.compress_append("world\n", gz).ok());
  EXPECT_EQ(gunzip_or_die(gz), "hello world\n");
}

TEST(Gunzip, RejectsCorruptAndTruncatedData) {
  GzipCompressor c;
  std::string gz;
  ASSERT_TRUE(c.compress(flow_like_ndjson(50), gz).ok());
  std::string out;
  const auto truncated = gunzip_append(std::string_view(gz).substr(0, gz.size() / 2), out);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code(), base::ErrorCode::kTruncated);
  std::string corrupt = gz;
  corrupt[gz.size() - 3] ^= 0x55;  // inside the CRC/length trailer
  out.clear();
  EXPECT_FALSE(gunzip_append(corrupt, out).ok());
  EXPECT_FALSE(looks_gzipped("{}"));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/snapflow_gzip_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_all(InputFile& f) {
  std::string all;
  char buf[4096];
  for (;;) {
    auto n = f.read(buf, sizeof(buf));
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) break;
    all.append(buf, *n);
  }
  return all;
}

TEST(GzipFileWriter, StreamedFileReadsBackWithFlushesAndLargeWrites) {
  TempDir dir;
  const std::string path = dir.file("out.ndjson.gz");
  const std::string part1 = flow_like_ndjson(2000), part2 = random_bytes(700 * 1024, 3);
  {
    auto w = GzipFileWriter::create(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write(part1).ok());
    ASSERT_TRUE((*w)->flush().ok());
    // After a flush everything so far is decodable even though the member is unfinished.
    auto partial = InputFile::open(path);
    ASSERT_TRUE(partial.ok());
    std::string got;
    char buf[4096];
    for (;;) {
      auto n = (*partial)->read(buf, sizeof(buf));
      if (!n.ok() || *n == 0) break;
      got.append(buf, *n);
    }
    EXPECT_EQ(got, part1);
    ASSERT_TRUE((*w)->write(part2).ok());
    ASSERT_TRUE((*w)->finish().ok());
    EXPECT_EQ((*w)->bytes_in(), part1.size() + part2.size());
  }
  auto f = InputFile::open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE((*f)->is_gzip());
  EXPECT_EQ(read_all(**f), part1 + part2);
}

TEST(InputFile, ReadsLinesFromPlainAndMultiMemberGzip) {
  TempDir dir;
  const std::string text = "a\nbb\n\nccc";  // last line without newline
  {
    FILE* p = std::fopen(dir.file("plain").c_str(), "wb");
    std::fwrite(text.data(), 1, text.size(), p);
    std::fclose(p);
    GzipCompressor c;
    std::string gz;
    ASSERT_TRUE(c.compress_append("a\nb", gz).ok());
    ASSERT_TRUE(c.compress_append("b\n\nccc", gz).ok());
    FILE* g = std::fopen(dir.file("gz").c_str(), "wb");
    std::fwrite(gz.data(), 1, gz.size(), g);
    std::fclose(g);
  }
  for (const char* name : {"plain", "gz"}) {
    auto f = InputFile::open(dir.file(name));
    ASSERT_TRUE(f.ok());
    std::vector<std::string> lines;
    std::string line;
    for (;;) {
      auto more = (*f)->read_line(line);
      ASSERT_TRUE(more.ok());
      if (!*more) break;
      lines.push_back(line);
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"a", "bb", "", "ccc"})) << name;
  }
  auto missing = InputFile::open(dir.file("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace snapflow::compress
