// PcapWriter: nanosecond classic PCAP in native byte order, buffered in ~1 MiB and written
// with a write(2) loop that survives EINTR and short writes (pipes, sockets).
#include "snapflow/pcap/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace snapflow::pcap {
namespace {

constexpr size_t kBufferBytes = 1 << 20;
constexpr uint32_t kMagicNano = 0xa1b23c4d;

void store_native32(std::byte* p, uint32_t v) {
  std::memcpy(p, &v, sizeof v);
}
void store_native16(std::byte* p, uint16_t v) {
  std::memcpy(p, &v, sizeof v);
}

base::Status write_all(int fd, const char* data, size_t size, const std::string& name) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::make_error(base::ErrorCode::kIo,
                              name + ": write failed: " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

void encode_file_header(std::byte* out, uint16_t link_type, uint32_t snaplen) {
  store_native32(out, kMagicNano);
  store_native16(out + 4, 2);  // version 2.4
  store_native16(out + 6, 4);
  store_native32(out + 8, 0);   // thiszone
  store_native32(out + 12, 0);  // sigfigs
  store_native32(out + 16, snaplen);
  store_native32(out + 20, link_type);
}

void encode_record_header(std::byte* out, int64_t ts_ns, uint32_t captured_length,
                          uint32_t wire_length) {
  // Floor division keeps the fraction in [0, 1e9) for times before the epoch; the seconds
  // field is 32 bits, so times outside 1970..2106 wrap (the format's own limit).
  int64_t sec = ts_ns / 1'000'000'000;
  int64_t frac = ts_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    sec -= 1;
  }
  store_native32(out, static_cast<uint32_t>(sec));
  store_native32(out + 4, static_cast<uint32_t>(frac));
  store_native32(out + 8, captured_length);
  store_native32(out + 12, wire_length);
}

PcapWriter::PcapWriter(int fd, bool owns_fd, std::string name)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {
  buffer_.reserve(kBufferBytes + 64 * 1024);
}

PcapWriter::~PcapWriter() {
  (void)close();
}

base::Result<std::unique_ptr<PcapWriter>> PcapWriter::create(const std::string& path,
                                                             uint16_t link_type, uint32_t snaplen) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return base::make_error(base::ErrorCode::kIo,
                            path + ": cannot create: " + std::strerror(errno));
  }
  std::unique_ptr<PcapWriter> writer(new PcapWriter(fd, true, path));
  std::byte header[kPcapFileHeaderBytes];
  encode_file_header(header, link_type, snaplen);
  writer->buffer_.append(reinterpret_cast<const char*>(header), sizeof header);
  writer->bytes_written_ = sizeof header;
  return writer;
}

base::Result<std::unique_ptr<PcapWriter>> PcapWriter::on_fd(int fd, std::string name,
                                                            uint16_t link_type, uint32_t snaplen) {
  std::unique_ptr<PcapWriter> writer(new PcapWriter(fd, false, std::move(name)));
  std::byte header[kPcapFileHeaderBytes];
  encode_file_header(header, link_type, snaplen);
  writer->buffer_.append(reinterpret_cast<const char*>(header), sizeof header);
  writer->bytes_written_ = sizeof header;
  // "Written immediately": a consumer on the other end of a pipe sees a valid file at once.
  SNAPFLOW_TRY_STATUS(writer->flush(), "write pcap header");
  return writer;
}

base::Status PcapWriter::write(int64_t ts_ns, std::span<const std::byte> captured,
                               uint32_t wire_length) {
  if (fd_ < 0) {
    return base::make_error(base::ErrorCode::kInvalidArgument, name_ + ": writer is closed");
  }
  if (captured.size() > UINT32_MAX) {
    return base::make_error(
        base::ErrorCode::kInvalidArgument,
        name_ + ": record of " + std::to_string(captured.size()) + " bytes is too large for pcap");
  }
  auto captured_length = static_cast<uint32_t>(captured.size());
  // Readers treat captured > wire as corrupt; a caller that passes a short wire length
  // (e.g. 0 for "unknown") means "as captured".
  if (wire_length < captured_length) wire_length = captured_length;
  std::byte header[kPcapRecordHeaderBytes];
  encode_record_header(header, ts_ns, captured_length, wire_length);
  buffer_.append(reinterpret_cast<const char*>(header), sizeof header);
  buffer_.append(reinterpret_cast<const char*>(captured.data()), captured.size());
  bytes_written_ += sizeof header + captured.size();
  if (buffer_.size() >= kBufferBytes) return flush();
  return {};
}

base::Status PcapWriter::flush() {
  if (buffer_.empty()) return {};
  if (fd_ < 0) {
    return base::make_error(base::ErrorCode::kInvalidArgument, name_ + ": writer is closed");
  }
  auto status = write_all(fd_, buffer_.data(), buffer_.size(), name_);
  buffer_.clear();
  return status;
}

base::Status PcapWriter::close() {
  if (fd_ < 0) return {};
  base::Status status = flush();
  if (owns_fd_ && ::close(fd_) != 0 && status.ok()) {
    status =
        base::make_error(base::ErrorCode::kIo, name_ + ": close failed: " + std::strerror(errno));
  }
  fd_ = -1;
  return status;
}

}  // namespace snapflow::pcap
