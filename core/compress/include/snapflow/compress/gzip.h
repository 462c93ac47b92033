// gzip compression with ISA-L's igzip, and decompression with zlib.
//
// igzip at level 1 deflates several times faster than zlib's fastest level and still writes
// standard gzip (RFC 1952) that zlib, gunzip and Elasticsearch's Content-Encoding: gzip read.
// Decompression is not on a hot path (loading files, tests), so it uses zlib, which also gives
// every round-trip test an independent implementation to check igzip against.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

struct isal_zstream;

namespace snapflow::compress {

inline constexpr int kDefaultGzipLevel = 1;
inline constexpr int kMaxGzipLevel = 3;  // igzip's levels are 0..3

// One-shot compressor: each call writes one complete gzip member. Keeps its igzip state and
// level buffer between calls, so reuse one per thread instead of constructing one per request.
class GzipCompressor {
 public:
  // level 0..3 (igzip); values outside are clamped.
  explicit GzipCompressor(int level = kDefaultGzipLevel);
  ~GzipCompressor();
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;
  GzipCompressor(GzipCompressor&&) noexcept;
  GzipCompressor& operator=(GzipCompressor&&) noexcept;

  int level() const { return level_; }

  // Replaces out's contents with a gzip member holding in. out keeps its capacity across
  // calls, so a reused buffer does not reallocate once warm.
  base::Status compress(std::string_view in, std::string& out);
  // Appends a gzip member holding in to out (concatenated members are valid gzip).
  base::Status compress_append(std::string_view in, std::string& out);

 private:
  int level_;
  std::unique_ptr<isal_zstream> stream_;
  std::unique_ptr<uint8_t[]> level_buf_;
  uint32_t level_buf_bytes_ = 0;
};

// Replaces a text with one gzip member holding it, reusing the compressor's state and a scratch
// buffer: for producers that compress each batch of documents in a parallel stage (pcap2json's
// encode stage), so that the single thread writing the output only writes bytes. Not
// thread-safe: one per thread.
class InPlaceGzip {
 public:
  explicit InPlaceGzip(int level = kDefaultGzipLevel) : gzip_(level) {}
  // An empty text stays empty (no member is written for it).
  base::Status compress(std::string& text);

 private:
  GzipCompressor gzip_;
  std::string scratch_;  ///< receives the plain text after the swap; its capacity is reused
};

// Decompresses every gzip member in `in` (concatenated members are read one after another)
// and appends the result to out. Fails on corrupt or truncated input.
base::Status gunzip_append(std::string_view in, std::string& out);

// True when bytes start with the gzip magic 1f 8b.
bool looks_gzipped(std::string_view bytes);

}  // namespace snapflow::compress
