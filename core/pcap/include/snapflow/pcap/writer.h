// Writes classic PCAP files with nanosecond timestamps (magic 0xa1b23c4d, native byte order),
// the format of the ring's segments and of every PCAP snapflow serves. Buffered; the caller
// decides when to flush. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"

namespace snapflow::pcap {

inline constexpr size_t kPcapFileHeaderBytes = 24;
inline constexpr size_t kPcapRecordHeaderBytes = 16;

// Fills the 24-byte nanosecond PCAP file header into out.
void encode_file_header(std::byte* out, uint16_t link_type, uint32_t snaplen);
// Fills the 16-byte record header into out.
void encode_record_header(std::byte* out, int64_t ts_ns, uint32_t captured_length,
                          uint32_t wire_length);

class PcapWriter {
 public:
  // Creates (truncates) path and writes the file header.
  static base::Result<std::unique_ptr<PcapWriter>> create(const std::string& path,
                                                          uint16_t link_type,
                                                          uint32_t snaplen = 262144);
  // Writes to an fd the caller owns (e.g. stdout, an HTTP pipe); header written immediately.
  static base::Result<std::unique_ptr<PcapWriter>> on_fd(int fd, std::string name,
                                                         uint16_t link_type,
                                                         uint32_t snaplen = 262144);
  ~PcapWriter();

  base::Status write(int64_t ts_ns, std::span<const std::byte> captured, uint32_t wire_length);
  base::Status write(const PacketRecord& record) {
    return write(record.ts_ns, record.bytes(), record.wire_length);
  }
  base::Status flush();
  base::Status close();  ///< flushes and closes (if owned); further writes fail
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  PcapWriter(int fd, bool owns_fd, std::string name);
  int fd_;
  bool owns_fd_;
  std::string name_;
  std::string buffer_;
  uint64_t bytes_written_ = 0;
};

}  // namespace snapflow::pcap
