// Read-only descriptors of a ring's per-slot files, opened lazily and kept in a small cache so
// that a lookup or a download does not reopen the same file for every read. Private.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::extract {

enum class RingFile : uint8_t { kMeta, kIndex, kData };

class FdCache {
 public:
  explicit FdCache(const ring::RingLayout& layout) : layout_(layout) {}
  ~FdCache();
  FdCache(const FdCache&) = delete;
  FdCache& operator=(const FdCache&) = delete;

  // The descriptor of the slot's file (kNotFound if it does not exist). Valid until the next
  // call that opens another file.
  base::Result<int> get(uint32_t slot, RingFile kind);

 private:
  struct Entry {
    uint32_t slot = 0;
    RingFile kind = RingFile::kMeta;
    int fd = -1;
    uint64_t last_use = 0;
  };
  static constexpr size_t kCapacity = 12;
  const ring::RingLayout& layout_;
  std::vector<Entry> entries_;
  uint64_t clock_ = 0;
};

// Reads up to size bytes at offset, retrying short reads and EINTR; fewer only at end of file.
base::Result<size_t> pread_all(int fd, std::byte* buf, size_t size, uint64_t offset,
                               const std::string& what);

}  // namespace snapflow::extract
