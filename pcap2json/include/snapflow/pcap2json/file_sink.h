// FileSink: a DocumentSink writing batch bodies to a file or stdout, optionally gzip-compressed.
//
// Batches are gathered in a buffer (4 MiB by default) and written with one large write(2) when
// it fills, so many small batches still make few system calls; a batch at least half the
// buffer's size goes out directly, without a copy. With gzip, each flushed buffer becomes one
// gzip member (igzip via snapflow::compress): concatenated members are a valid .gz that gzip,
// zcat and zlib read, and a file cut short by a crash stays readable up to its last member.
//
// delivered_through() is the sequence of the last batch whose bytes have all been handed to
// the kernel (so it lags write() by up to one buffer); finish() flushes, fsyncs a regular file,
// closes it, and then reports every batch delivered. Errors name the path. Not thread-safe
// (DocumentSink's contract: one writing thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/document/batch.h"

namespace snapflow::compress {
class GzipCompressor;
}

namespace snapflow::pcap2json {

struct FileSinkOptions {
  bool gzip = false;
  int gzip_level = 1;             ///< igzip level 0..3
  size_t buffer_bytes = 4 << 20;  ///< plain bytes gathered before one write(2)/member
  // Batch bodies arrive already gzip-compressed, each one or more complete gzip members
  // (see compress::InPlaceGzip), and are written as they are. This moves compression out of the
  // sink's single writing thread into the producer's parallel stage: igzip costs ~0.7 us per
  // ~800-byte document, which in the sink caps a whole run at ~1.3 M documents/s however
  // many threads encode. Exclusive with `gzip` (open() rejects both).
  bool precompressed = false;
};

class FileSink : public document::DocumentSink {
 public:
  // path "-" writes to stdout (not closed, not fsynced). A file is created or truncated (0644).
  static base::Result<std::unique_ptr<FileSink>> open(const std::string& path,
                                                      const FileSinkOptions& options = {});
  // Flushes what is buffered (best effort) and closes; call finish() to see errors.
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  base::Status write(document::DocumentBatch batch) override;
  base::Status finish() override;
  uint64_t delivered_through() const override { return delivered_through_; }
  // Every document written (a file keeps whatever it is given; errors fail the run instead).
  document::SinkAccount account() const override { return account_; }

  const std::string& path() const { return path_; }
  // Body bytes accepted (compressed ones when precompressed).
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }  ///< bytes written to the file
  uint64_t documents() const { return documents_; }

 private:
  FileSink(int fd, bool owns_fd, std::string path, const FileSinkOptions& options);
  // Writes `plain` (compressing it first with gzip) and marks `sequence` delivered.
  base::Status emit(std::string_view plain);
  base::Status write_all(std::string_view bytes);
  base::Status flush_buffer();

  int fd_;
  bool owns_fd_;
  bool finished_ = false;
  std::string path_;
  FileSinkOptions options_;
  std::unique_ptr<compress::GzipCompressor> gzip_;
  std::string buffer_;      ///< plain text not yet written
  std::string compressed_;  ///< reused gzip output buffer
  bool has_pending_ = false;
  uint64_t pending_sequence_ = 0;  ///< last batch whose bytes are in buffer_
  uint64_t delivered_through_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t documents_ = 0;
  document::SinkAccount account_;
};

}  // namespace snapflow::pcap2json
