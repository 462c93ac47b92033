#include "snapflow/compress/gzip.h"

#include <isa-l.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "level_buffer.h"

namespace snapflow::compress {

using base::ErrorCode;
using base::make_error;

GzipCompressor::GzipCompressor(int level)
    : level_(std::clamp(level, 0, kMaxGzipLevel)), stream_(std::make_unique<isal_zstream>()) {
  level_buf_bytes_ = level_buffer_bytes(level_);
  if (level_buf_bytes_ > 0) level_buf_ = std::make_unique<uint8_t[]>(level_buf_bytes_);
}

GzipCompressor::~GzipCompressor() = default;
GzipCompressor::GzipCompressor(GzipCompressor&&) noexcept = default;
GzipCompressor& GzipCompressor::operator=(GzipCompressor&&) noexcept = default;

base::Status GzipCompressor::compress(std::string_view in, std::string& out) {
  out.clear();
  return compress_append(in, out);
}

base::Status GzipCompressor::compress_append(std::string_view in, std::string& out) {
  // igzip counts in uint32_t; callers send requests of megabytes, never gigabytes.
  if (in.size() > UINT32_MAX / 2) {
    return make_error(ErrorCode::kInvalidArgument, "gzip input larger than 2 GiB");
  }
  isal_zstream& s = *stream_;
  isal_deflate_init(&s);
  s.level = static_cast<uint32_t>(level_);
  s.level_buf = level_buf_.get();
  s.level_buf_size = level_buf_bytes_;
  s.gzip_flag = IGZIP_GZIP;
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  // const_cast: igzip's API takes a non-const pointer but never writes through next_in.
  s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uint32_t>(in.size());

  // Worst case is stored blocks: 5 bytes per 64 KiB plus header and trailer; start near the
  // typical ratio for JSON and grow if the data does not compress.
  const size_t start = out.size();
  size_t capacity = start + in.size() / 4 + 1024;
  for (;;) {
    out.resize(capacity);
    const size_t produced = start + s.total_out;
    s.next_out = reinterpret_cast<uint8_t*>(out.data() + produced);
    s.avail_out = static_cast<uint32_t>(capacity - produced);
    const int rc = isal_deflate(&s);
    if (rc != COMP_OK) {
      out.resize(start);
      return make_error(ErrorCode::kInternal, "isal_deflate failed with " + std::to_string(rc));
    }
    if (s.internal_state.state == ZSTATE_END) break;
    capacity = start + (capacity - start) * 2 + in.size() / 8 + 1024;
  }
  out.resize(start + s.total_out);
  return base::ok_status();
}

bool looks_gzipped(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

base::Status gunzip_append(std::string_view in, std::string& out) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip wrapper (not zlib, not raw deflate).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return make_error(ErrorCode::kInternal, "inflateInit2 failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char chunk[64 * 1024];
  int rc = Z_OK;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows
      continue;
    }
    if (rc != Z_OK) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended inside a member
      break;
    }
  }
  const std::string message = zs.msg != nullptr ? zs.msg : "inflate error";
  inflateEnd(&zs);
  if (rc == Z_STREAM_END) return base::ok_status();
  if (rc == Z_BUF_ERROR) return make_error(ErrorCode::kTruncated, "gzip data ends inside a member");
  return make_error(ErrorCode::kFormat, "corrupt gzip data: " + message);
}

base::Status InPlaceGzip::compress(std::string& text) {
  if (text.empty()) return base::ok_status();
  SNAPFLOW_TRY_STATUS(gzip_.compress(text, scratch_), "gzip in place");
  text.swap(scratch_);
  return base::ok_status();
}

}  // namespace snapflow::compress
