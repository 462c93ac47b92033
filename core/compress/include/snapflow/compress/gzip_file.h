// Streaming gzip files: GzipFileWriter compresses as it writes (igzip), and InputFile reads a
// file that may or may not be gzip-compressed (zlib), member after member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/compress/gzip.h"

struct isal_zstream;
struct z_stream_s;

namespace snapflow::compress {

// Writes one gzip member to a file descriptor in a stream of write() calls. flush() ends the
// current deflate block and writes out everything so far (a reader sees all data written up
// to the flush, e.g. when tailing a live output file); finish() writes the gzip trailer.
class GzipFileWriter {
 public:
  // Creates (truncates) path with mode 0644.
  static base::Result<std::unique_ptr<GzipFileWriter>> create(const std::string& path,
                                                              int level = kDefaultGzipLevel);
  // Writes to an open descriptor, e.g. STDOUT_FILENO; closes it at the end only if owns_fd.
  static std::unique_ptr<GzipFileWriter> from_fd(int fd, bool owns_fd, std::string name,
                                                 int level = kDefaultGzipLevel);
  ~GzipFileWriter();
  GzipFileWriter(const GzipFileWriter&) = delete;
  GzipFileWriter& operator=(const GzipFileWriter&) = delete;

  base::Status write(std::string_view data);
  base::Status flush();
  // Writes the trailer and closes an owned descriptor; no writes after it. Idempotent.
  base::Status finish();

  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }

 private:
  GzipFileWriter(int fd, bool owns_fd, std::string name, int level);
  base::Status deflate(std::string_view data, int flush_mode, bool end);
  base::Status write_all(const uint8_t* data, size_t n);

  int fd_;
  bool owns_fd_;
  bool finished_ = false;
  std::string name_;
  std::unique_ptr<isal_zstream> stream_;
  std::unique_ptr<uint8_t[]> level_buf_;
  std::unique_ptr<uint8_t[]> out_buf_;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

// Reads a plain or gzip-compressed file (detected by its magic bytes) as a byte stream.
class InputFile {
 public:
  // "-" reads standard input.
  static base::Result<std::unique_ptr<InputFile>> open(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Fills up to n bytes; returns 0 only at the end of the file.
  base::Result<size_t> read(char* out, size_t n);
  // Reads one line without its '\n' into line; false at the end of the file. A last line
  // without a newline is returned too.
  base::Result<bool> read_line(std::string& line);
  bool is_gzip() const { return gzip_; }

 private:
  InputFile(int fd, bool owns_fd, std::string name);
  base::Status fill_raw();

  int fd_;
  bool owns_fd_;
  std::string name_;
  bool gzip_ = false;
  bool raw_eof_ = false;
  bool stream_end_ = false;  // the current gzip member ended
  std::unique_ptr<z_stream_s> zs_;
  std::unique_ptr<uint8_t[]> raw_;
  size_t raw_begin_ = 0, raw_end_ = 0;
  std::string line_buf_;
  size_t line_pos_ = 0;
  bool eof_ = false;
};

}  // namespace snapflow::compress
