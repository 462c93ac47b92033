// Bounds-checked, alias-safe reads of wire bytes.
//
// Every parser of untrusted input in snapflow reads through these helpers: loads go through
// memcpy (no reinterpret_cast, no alignment or strict-aliasing assumptions), and ByteCursor
// refuses to read past the end it was given. All functions are header-only and allocation-free.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace snapflow::base {

using ByteSpan = std::span<const std::byte>;

inline uint16_t load_be16(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return std::endian::native == std::endian::little ? __builtin_bswap16(v) : v;
}
inline uint32_t load_be32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}
inline uint64_t load_be64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
}
inline uint16_t load_le16(const std::byte* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return std::endian::native == std::endian::little ? v : __builtin_bswap16(v);
}
inline uint32_t load_le32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return std::endian::native == std::endian::little ? v : __builtin_bswap32(v);
}
inline uint64_t load_le64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return std::endian::native == std::endian::little ? v : __builtin_bswap64(v);
}
inline void store_be16(std::byte* p, uint16_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}
inline void store_be32(std::byte* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}
inline void store_le16(std::byte* p, uint16_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap16(v);
  std::memcpy(p, &v, sizeof v);
}
inline void store_le32(std::byte* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  std::memcpy(p, &v, sizeof v);
}

// A read position over a byte range that never reads past its end. Every read_* returns false,
// leaving the position unchanged, when fewer bytes remain than it needs.
class ByteCursor {
 public:
  ByteCursor(const std::byte* data, size_t size) : data_(data), size_(size) {}
  explicit ByteCursor(ByteSpan bytes) : data_(bytes.data()), size_(bytes.size()) {}

  size_t position() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  bool has(size_t n) const { return remaining() >= n; }
  const std::byte* current() const { return data_ + pos_; }
  const std::byte* data() const { return data_; }

  bool skip(size_t n) {
    if (!has(n)) return false;
    pos_ += n;
    return true;
  }
  bool seek(size_t pos) {
    if (pos > size_) return false;
    pos_ = pos;
    return true;
  }
  bool read_u8(uint8_t& out) {
    if (!has(1)) return false;
    out = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool read_be16(uint16_t& out) { return read(out, load_be16); }
  bool read_be32(uint32_t& out) { return read(out, load_be32); }
  bool read_le16(uint16_t& out) { return read(out, load_le16); }
  bool read_le32(uint32_t& out) { return read(out, load_le32); }

  // Peeks without moving; false if fewer than offset+width bytes remain.
  bool peek_be16(size_t offset, uint16_t& out) const {
    if (!has(offset + 2)) return false;
    out = load_be16(data_ + pos_ + offset);
    return true;
  }

 private:
  template <typename T, typename Load>
  bool read(T& out, Load load) {
    if (!has(sizeof(T))) return false;
    out = load(data_ + pos_);
    pos_ += sizeof(T);
    return true;
  }

  const std::byte* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace snapflow::base
