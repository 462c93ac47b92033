#include "snapflow/pcap2json/file_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "snapflow/compress/gzip.h"

namespace snapflow::pcap2json {
namespace {

base::Error io_error(const std::string& what, const std::string& path, int error_number) {
  return base::make_error(base::ErrorCode::kIo,
                          what + " " + path + ": " + std::strerror(error_number));
}

}  // namespace

base::Result<std::unique_ptr<FileSink>> FileSink::open(const std::string& path,
                                                       const FileSinkOptions& options) {
  if (path.empty()) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "output path is empty");
  }
  if (options.gzip && options.precompressed) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "file sink " + path + ": gzip and precompressed are exclusive");
  }
  if (path == "-") {
    return std::unique_ptr<FileSink>(new FileSink(STDOUT_FILENO, false, "stdout", options));
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open", path, errno);
  return std::unique_ptr<FileSink>(new FileSink(fd, true, path, options));
}

FileSink::FileSink(int fd, bool owns_fd, std::string path, const FileSinkOptions& options)
    : fd_(fd), owns_fd_(owns_fd), path_(std::move(path)), options_(options) {
  if (options_.buffer_bytes < 4096) options_.buffer_bytes = 4096;
  if (options_.gzip) gzip_ = std::make_unique<compress::GzipCompressor>(options_.gzip_level);
  buffer_.reserve(options_.buffer_bytes);
}

FileSink::~FileSink() {
  if (!finished_) {
    (void)flush_buffer();  // best effort; finish() is where errors are reported
    if (owns_fd_) ::close(fd_);
  }
}

base::Status FileSink::write(document::DocumentBatch batch) {
  if (finished_) {
    return base::make_error(base::ErrorCode::kInternal, "write after finish to " + path_);
  }
  bytes_in_ += batch.body.size();
  documents_ += batch.size();
  account_.documents += batch.size();
  account_.packets += batch.packets;
  account_.bytes += batch.bytes;
  if (buffer_.size() + batch.body.size() > options_.buffer_bytes) {
    SNAPFLOW_TRY_STATUS(flush_buffer(), "write batch " + std::to_string(batch.sequence));
  }
  if (batch.body.size() >= options_.buffer_bytes / 2) {
    // Large batch: write it straight from its own memory, but after the smaller batches
    // buffered before it, so the file keeps the batches' order and delivered_through()
    // never passes a batch that is still in buffer_.
    SNAPFLOW_TRY_STATUS(flush_buffer(), "write batch " + std::to_string(batch.sequence));
    SNAPFLOW_TRY_STATUS(emit(batch.body), "write batch " + std::to_string(batch.sequence));
    delivered_through_ = batch.sequence;
    release(std::move(batch));
    return base::ok_status();
  }
  buffer_.append(batch.body);
  pending_sequence_ = batch.sequence;
  has_pending_ = true;
  release(std::move(batch));
  return base::ok_status();
}

base::Status FileSink::flush_buffer() {
  if (!buffer_.empty()) {
    SNAPFLOW_TRY_STATUS(emit(buffer_), "flush");
    buffer_.clear();
  }
  if (has_pending_) {
    delivered_through_ = pending_sequence_;
    has_pending_ = false;
  }
  return base::ok_status();
}

base::Status FileSink::emit(std::string_view plain) {
  if (plain.empty()) return base::ok_status();
  if (!gzip_) return write_all(plain);
  compressed_.clear();
  SNAPFLOW_TRY_STATUS(gzip_->compress_append(plain, compressed_), "gzip for " + path_);
  return write_all(compressed_);
}

base::Status FileSink::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {  // non-blocking stdout (a pipe): wait
        pollfd pfd{fd_, POLLOUT, 0};
        (void)::poll(&pfd, 1, 1000);
        continue;
      }
      return io_error("write", path_, errno);
    }
    bytes_out_ += static_cast<uint64_t>(n);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return base::ok_status();
}

base::Status FileSink::finish() {
  if (finished_) return base::ok_status();
  SNAPFLOW_TRY_STATUS(flush_buffer(), "finish");
  finished_ = true;
  if (owns_fd_) {
    // Durable before we report it delivered; fsync on a FIFO or device may not apply.
    if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
      const int e = errno;
      ::close(fd_);
      return io_error("fsync", path_, e);
    }
    if (::close(fd_) != 0) return io_error("close", path_, errno);
  }
  return base::ok_status();
}

}  // namespace snapflow::pcap2json
