// Small POSIX file helpers shared by the ring's files: an owning fd, full-length pread/pwrite,
// durable-then-visible whole-file replacement, and little-endian 64-bit stores. Private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "snapflow/base/bytes.h"
#include "snapflow/base/result.h"

namespace snapflow::ring {

// Owns one file descriptor; closes it on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

base::Error io_error(std::string_view what, const std::string& path);

// Opens path with flags/mode; the error names the path and errno.
base::Result<Fd> open_file(const std::string& path, int flags, int mode = 0644);

// Reads up to size bytes at offset, retrying short reads; returns the bytes read (less than
// size only at end of file).
base::Result<size_t> pread_full(int fd, void* buf, size_t size, uint64_t offset,
                                const std::string& path);
// Writes all size bytes at offset, retrying short writes.
base::Status pwrite_full(int fd, const void* buf, size_t size, uint64_t offset,
                         const std::string& path);
base::Status sync_data(int fd, const std::string& path);

// fsyncs a directory so that a rename or create inside it survives a power cut.
base::Status fsync_dir(const std::string& dir);

// Durable-then-visible replacement of dir/name: write dir/.name.tmp, fsync, rename over
// dir/name, fsync dir. A reader sees either the old or the new content, never a mix.
base::Status write_file_atomic(const std::string& dir, const std::string& name,
                               std::string_view content);

// Whole small file; kNotFound when it does not exist.
base::Result<std::string> read_small_file(const std::string& path, size_t max_bytes = 1 << 20);

base::Status make_dir(const std::string& dir);

inline void store_le64(std::byte* p, uint64_t v) {
  base::store_le32(p, static_cast<uint32_t>(v));
  base::store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}

// FNV-1a 64: detects torn or stale metadata slots and index entries (not an attacker).
inline uint64_t fnv1a64(const std::byte* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<uint8_t>(p[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace snapflow::ring
