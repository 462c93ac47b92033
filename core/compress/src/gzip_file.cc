#include "snapflow/compress/gzip_file.h"

#include <fcntl.h>
#include <isa-l.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "level_buffer.h"

namespace snapflow::compress {

using base::ErrorCode;
using base::make_error;

namespace {

constexpr size_t kOutBufBytes = 256 * 1024;
constexpr size_t kRawBufBytes = 256 * 1024;

base::Error io_error(const std::string& what, const std::string& name) {
  return make_error(ErrorCode::kIo, what + " " + name + ": " + std::strerror(errno));
}

}  // namespace

// ---- GzipFileWriter ----

GzipFileWriter::GzipFileWriter(int fd, bool owns_fd, std::string name, int level)
    : fd_(fd),
      owns_fd_(owns_fd),
      name_(std::move(name)),
      stream_(std::make_unique<isal_zstream>()),
      out_buf_(std::make_unique<uint8_t[]>(kOutBufBytes)) {
  level = std::clamp(level, 0, kMaxGzipLevel);
  const uint32_t level_bytes = level_buffer_bytes(level);
  if (level_bytes > 0) level_buf_ = std::make_unique<uint8_t[]>(level_bytes);
  isal_deflate_init(stream_.get());
  stream_->level = static_cast<uint32_t>(level);
  stream_->level_buf = level_buf_.get();
  stream_->level_buf_size = level_bytes;
  stream_->gzip_flag = IGZIP_GZIP;
}

base::Result<std::unique_ptr<GzipFileWriter>> GzipFileWriter::create(const std::string& path,
                                                                     int level) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("create", path);
  return std::unique_ptr<GzipFileWriter>(new GzipFileWriter(fd, true, path, level));
}

std::unique_ptr<GzipFileWriter> GzipFileWriter::from_fd(int fd, bool owns_fd, std::string name,
                                                        int level) {
  return std::unique_ptr<GzipFileWriter>(new GzipFileWriter(fd, owns_fd, std::move(name), level));
}

GzipFileWriter::~GzipFileWriter() {
  // A writer destroyed without finish() still leaves a complete gzip file behind.
  (void)finish();
}

base::Status GzipFileWriter::write_all(const uint8_t* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error("write", name_);
    }
    data += w;
    n -= static_cast<size_t>(w);
    bytes_out_ += static_cast<uint64_t>(w);
  }
  return base::ok_status();
}

base::Status GzipFileWriter::deflate(std::string_view data, int flush_mode, bool end) {
  if (finished_) return make_error(ErrorCode::kInvalidArgument, "write after finish: " + name_);
  isal_zstream& s = *stream_;
  // Feed in slices that fit igzip's 32-bit counters.
  constexpr size_t kSlice = 1u << 30;
  do {
    const size_t take = std::min(data.size(), kSlice);
    const bool last_slice = take == data.size();
    s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
    s.avail_in = static_cast<uint32_t>(take);
    s.end_of_stream = (end && last_slice) ? 1 : 0;
    s.flush = static_cast<uint16_t>(last_slice ? flush_mode : NO_FLUSH);
    for (;;) {
      s.next_out = out_buf_.get();
      s.avail_out = static_cast<uint32_t>(kOutBufBytes);
      const int rc = isal_deflate(&s);
      if (rc != COMP_OK) {
        return make_error(ErrorCode::kInternal,
                          "isal_deflate failed with " + std::to_string(rc) + " for " + name_);
      }
      const size_t produced = kOutBufBytes - s.avail_out;
      SNAPFLOW_TRY_STATUS(write_all(out_buf_.get(), produced), "gzip output");
      // The stream is complete at ZSTATE_END; otherwise this slice (and any requested flush)
      // is done once igzip consumed all input and left spare output room.
      if (s.end_of_stream != 0) {
        if (s.internal_state.state == ZSTATE_END) break;
      } else if (s.avail_in == 0 && s.avail_out != 0) {
        break;
      }
    }
    data.remove_prefix(take);
  } while (!data.empty());
  return base::ok_status();
}

base::Status GzipFileWriter::write(std::string_view data) {
  bytes_in_ += data.size();
  if (data.empty()) return base::ok_status();
  return deflate(data, NO_FLUSH, false);
}

base::Status GzipFileWriter::flush() {
  return deflate({}, SYNC_FLUSH, false);
}

base::Status GzipFileWriter::finish() {
  if (finished_) return base::ok_status();
  base::Status st = deflate({}, NO_FLUSH, true);
  finished_ = true;
  if (owns_fd_ && fd_ >= 0) {
    if (::close(fd_) != 0 && st.ok()) st = io_error("close", name_);
    fd_ = -1;
  }
  return st;
}

// ---- InputFile ----

InputFile::InputFile(int fd, bool owns_fd, std::string name)
    : fd_(fd),
      owns_fd_(owns_fd),
      name_(std::move(name)),
      raw_(std::make_unique<uint8_t[]>(kRawBufBytes)) {}

InputFile::~InputFile() {
  if (zs_) inflateEnd(zs_.get());
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

base::Result<std::unique_ptr<InputFile>> InputFile::open(const std::string& path) {
  std::unique_ptr<InputFile> f;
  if (path == "-") {
    f.reset(new InputFile(STDIN_FILENO, false, "stdin"));
  } else {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                        "open " + path + ": " + std::strerror(errno));
    }
    f.reset(new InputFile(fd, true, path));
  }
  SNAPFLOW_TRY_STATUS(f->fill_raw(), "read " + f->name_);
  if (f->raw_end_ - f->raw_begin_ >= 2 && f->raw_[f->raw_begin_] == 0x1f &&
      f->raw_[f->raw_begin_ + 1] == 0x8b) {
    f->gzip_ = true;
    f->zs_ = std::make_unique<z_stream_s>();
    if (inflateInit2(f->zs_.get(), 16 + MAX_WBITS) != Z_OK) {
      f->zs_.reset();
      return make_error(ErrorCode::kInternal, "inflateInit2 failed");
    }
  }
  return f;
}

// Tops up the raw buffer (moving unread bytes to the front) unless the file has ended.
base::Status InputFile::fill_raw() {
  if (raw_begin_ > 0) {
    std::memmove(raw_.get(), raw_.get() + raw_begin_, raw_end_ - raw_begin_);
    raw_end_ -= raw_begin_;
    raw_begin_ = 0;
  }
  while (!raw_eof_ && raw_end_ < kRawBufBytes) {
    const ssize_t r = ::read(fd_, raw_.get() + raw_end_, kRawBufBytes - raw_end_);
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("read", name_);
    }
    if (r == 0) raw_eof_ = true;
    raw_end_ += static_cast<size_t>(r);
    if (raw_end_ >= 2) break;  // enough to make progress
  }
  return base::ok_status();
}

base::Result<size_t> InputFile::read(char* out, size_t n) {
  if (n == 0) return size_t{0};
  if (!gzip_) {
    if (raw_begin_ == raw_end_) SNAPFLOW_TRY_STATUS(fill_raw(), "read " + name_);
    const size_t take = std::min(n, raw_end_ - raw_begin_);
    std::memcpy(out, raw_.get() + raw_begin_, take);
    raw_begin_ += take;
    return take;
  }
  z_stream_s& zs = *zs_;
  for (;;) {
    if (raw_begin_ == raw_end_) {
      SNAPFLOW_TRY_STATUS(fill_raw(), "read " + name_);
      if (raw_begin_ == raw_end_) {
        if (!stream_end_) {
          return make_error(ErrorCode::kTruncated, name_ + ": gzip data ends inside a member");
        }
        return size_t{0};
      }
    }
    if (stream_end_) {
      inflateReset(&zs);  // another gzip member follows the finished one
      stream_end_ = false;
    }
    zs.next_in = raw_.get() + raw_begin_;
    zs.avail_in = static_cast<uInt>(raw_end_ - raw_begin_);
    zs.next_out = reinterpret_cast<Bytef*>(out);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(n, UINT32_MAX));
    const int rc = inflate(&zs, Z_NO_FLUSH);
    raw_begin_ = raw_end_ - zs.avail_in;
    const size_t produced = std::min<size_t>(n, UINT32_MAX) - zs.avail_out;
    if (rc == Z_STREAM_END) {
      stream_end_ = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return make_error(ErrorCode::kFormat,
                        name_ + ": corrupt gzip data: " + (zs.msg != nullptr ? zs.msg : ""));
    }
    if (produced > 0) return produced;
  }
}

base::Result<bool> InputFile::read_line(std::string& line) {
  line.clear();
  for (;;) {
    const size_t nl = line_buf_.find('\n', line_pos_);
    if (nl != std::string::npos) {
      line.append(line_buf_, line_pos_, nl - line_pos_);
      line_pos_ = nl + 1;
      return true;
    }
    if (eof_) {
      if (line_pos_ < line_buf_.size()) {
        line.append(line_buf_, line_pos_, std::string::npos);
        line_pos_ = line_buf_.size();
        return true;
      }
      return false;
    }
    line_buf_.erase(0, line_pos_);
    line_pos_ = 0;
    const size_t old = line_buf_.size();
    line_buf_.resize(old + 64 * 1024);
    auto got = read(line_buf_.data() + old, 64 * 1024);
    if (!got.ok()) return std::move(got).error();
    line_buf_.resize(old + *got);
    if (*got == 0) eof_ = true;
  }
}

}  // namespace snapflow::compress
