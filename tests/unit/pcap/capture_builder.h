// Test-only builders of capture bytes: classic PCAP and PCAPNG in either byte order, with
// every field settable so tests can also build broken files. Plus helpers to put bytes in a
// temporary file or feed them through a pipe, and to read a whole input into plain structs.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "snapflow/pcap/reader.h"

namespace snapflow::pcap::testing {

using Bytes = std::vector<std::byte>;

inline Bytes payload(size_t n, uint8_t seed) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = std::byte(static_cast<uint8_t>(seed + i * 7));
  return out;
}

class ByteSink {
 public:
  explicit ByteSink(bool big_endian) : big_(big_endian) {}
  void u8(uint8_t v) { bytes.push_back(std::byte(v)); }
  void u16(uint16_t v) {
    for (int i = 0; i < 2; ++i) u8(static_cast<uint8_t>(v >> (big_ ? 8 * (1 - i) : 8 * i)));
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (big_ ? 8 * (3 - i) : 8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (big_ ? 8 * (7 - i) : 8 * i)));
  }
  void raw(const Bytes& b) { bytes.insert(bytes.end(), b.begin(), b.end()); }
  void pad4() {
    while (bytes.size() % 4) u8(0);
  }
  void set_big_endian(bool big) { big_ = big; }
  bool big_endian() const { return big_; }
  Bytes bytes;

 private:
  bool big_;
};

class ClassicBuilder {
 public:
  ClassicBuilder(bool nano, bool big_endian, uint32_t link_type = 1, uint32_t snaplen = 65535)
      : nano_(nano), out_(big_endian) {
    out_.u32(nano ? 0xa1b23c4d : 0xa1b2c3d4);
    out_.u16(2);
    out_.u16(4);
    out_.u32(0);
    out_.u32(0);
    out_.u32(snaplen);
    out_.u32(link_type);
  }
  // A well-formed record; wire 0 means "same as captured".
  ClassicBuilder& record(int64_t ts_ns, const Bytes& data, uint32_t wire = 0) {
    uint32_t sec = static_cast<uint32_t>(ts_ns / 1'000'000'000);
    uint32_t frac = static_cast<uint32_t>(ts_ns % 1'000'000'000);
    if (!nano_) frac /= 1000;
    auto cap = static_cast<uint32_t>(data.size());
    return raw_record(sec, frac, cap, wire ? wire : cap, data);
  }
  ClassicBuilder& raw_record(uint32_t sec, uint32_t frac, uint32_t cap, uint32_t wire,
                             const Bytes& data) {
    out_.u32(sec);
    out_.u32(frac);
    out_.u32(cap);
    out_.u32(wire);
    out_.raw(data);
    return *this;
  }
  ClassicBuilder& raw(const Bytes& b) {
    out_.raw(b);
    return *this;
  }
  size_t size() const { return out_.bytes.size(); }
  const Bytes& bytes() const { return out_.bytes; }

 private:
  bool nano_;
  ByteSink out_;
};

class PcapngBuilder {
 public:
  // Starts a section (SHB, section length -1) in the given byte order.
  PcapngBuilder& section(bool big_endian) {
    out_.set_big_endian(big_endian);
    ByteSink body(big_endian);
    body.u32(0x1A2B3C4D);
    body.u16(1);
    body.u16(0);
    body.u64(~uint64_t{0});
    return block(0x0A0D0D0A, body.bytes);
  }
  PcapngBuilder& interface(uint16_t link_type, uint32_t snaplen = 0,
                           std::optional<uint8_t> tsresol = std::nullopt,
                           std::optional<int64_t> tsoffset = std::nullopt) {
    ByteSink body(out_.big_endian());
    body.u16(link_type);
    body.u16(0);
    body.u32(snaplen);
    if (tsresol) {
      body.u16(9);
      body.u16(1);
      body.u8(*tsresol);
      body.pad4();
    }
    if (tsoffset) {
      body.u16(14);
      body.u16(8);
      body.u64(static_cast<uint64_t>(*tsoffset));
    }
    body.u16(0);  // opt_endofopt
    body.u16(0);
    return block(1, body.bytes);
  }
  PcapngBuilder& epb(uint32_t interface_id, uint64_t units, const Bytes& data, uint32_t wire = 0,
                     std::optional<uint32_t> cap = std::nullopt) {
    ByteSink body(out_.big_endian());
    body.u32(interface_id);
    body.u32(static_cast<uint32_t>(units >> 32));
    body.u32(static_cast<uint32_t>(units));
    body.u32(cap ? *cap : static_cast<uint32_t>(data.size()));
    body.u32(wire ? wire : static_cast<uint32_t>(data.size()));
    body.raw(data);
    body.pad4();
    return block(6, body.bytes);
  }
  PcapngBuilder& opb(uint16_t interface_id, uint64_t units, const Bytes& data, uint32_t wire = 0) {
    ByteSink body(out_.big_endian());
    body.u16(interface_id);
    body.u16(0);  // drops
    body.u32(static_cast<uint32_t>(units >> 32));
    body.u32(static_cast<uint32_t>(units));
    body.u32(static_cast<uint32_t>(data.size()));
    body.u32(wire ? wire : static_cast<uint32_t>(data.size()));
    body.raw(data);
    body.pad4();
    return block(2, body.bytes);
  }
  PcapngBuilder& spb(uint32_t wire, const Bytes& data) {
    ByteSink body(out_.big_endian());
    body.u32(wire);
    body.raw(data);
    body.pad4();
    return block(3, body.bytes);
  }
  // Any block with correct framing around body (which must be a multiple of 4 long).
  PcapngBuilder& block(uint32_t type, const Bytes& body) {
    auto total = static_cast<uint32_t>(12 + body.size());
    out_.u32(type);
    out_.u32(total);
    out_.raw(body);
    out_.u32(total);
    return *this;
  }
  // Framing with arbitrary leading/trailing lengths, for broken-input tests.
  PcapngBuilder& raw_block(uint32_t type, uint32_t leading, const Bytes& body, uint32_t trailing) {
    out_.u32(type);
    out_.u32(leading);
    out_.raw(body);
    out_.u32(trailing);
    return *this;
  }
  PcapngBuilder& raw(const Bytes& b) {
    out_.raw(b);
    return *this;
  }
  size_t size() const { return out_.bytes.size(); }
  const Bytes& bytes() const { return out_.bytes; }

 private:
  ByteSink out_{false};
};

// A fresh directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "snapflow-pcap-XXXXXX");
    char* made = ::mkdtemp(pattern.data());
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const Bytes& bytes) const {
    std::string path = path_ + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      (void)!::write(fd, bytes.data(), bytes.size());
      ::close(fd);
    }
    return path;
  }
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes bytes into a pipe from a thread in small pieces (so the reader sees short reads).
class PipeFeeder {
 public:
  PipeFeeder(Bytes bytes, size_t piece_bytes) : bytes_(std::move(bytes)) {
    std::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    if (::pipe(fds) != 0) return;
    read_fd_ = fds[0];
    int write_fd = fds[1];
    thread_ = std::thread([this, write_fd, piece_bytes] {
      size_t pos = 0;
      while (pos < bytes_.size()) {
        size_t n = std::min(piece_bytes, bytes_.size() - pos);
        ssize_t w = ::write(write_fd, bytes_.data() + pos, n);
        if (w <= 0) break;
        pos += static_cast<size_t>(w);
      }
      ::close(write_fd);
    });
  }
  ~PipeFeeder() {
    if (read_fd_ >= 0) ::close(read_fd_);  // unblocks the writer if the reader stopped early
    if (thread_.joinable()) thread_.join();
  }
  int read_fd() const { return read_fd_; }

 private:
  Bytes bytes_;
  int read_fd_ = -1;
  std::thread thread_;
};

struct ReadRecord {
  int64_t ts_ns;
  Bytes data;
  uint32_t wire_length;
  uint16_t link_type;
  uint16_t interface_id;
};

struct ReadAll {
  std::vector<ReadRecord> records;
  std::vector<size_t> batch_sizes;
  std::vector<uint64_t> first_numbers;
  std::optional<std::string> error;  ///< message of the error that ended reading, if any
};

// Reads until end or error, copying every record out of the batch.
inline ReadAll read_all(PacketReader& reader, size_t max_packets = 1024) {
  ReadAll out;
  PacketBatch batch;
  for (;;) {
    auto got = reader.next_batch(batch, max_packets);
    if (!got.ok()) {
      out.error = got.error().message();
      return out;
    }
    if (*got == 0) return out;
    out.batch_sizes.push_back(*got);
    out.first_numbers.push_back(batch.first_record_number);
    for (const PacketRecord& r : batch.records) {
      out.records.push_back({r.ts_ns, Bytes(r.data, r.data + r.captured_length), r.wire_length,
                             r.link_type, r.interface_id});
    }
  }
}

}  // namespace snapflow::pcap::testing
