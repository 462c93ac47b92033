#include "snapflow/ring/time_index.h"

#include <fcntl.h>

#include <algorithm>

#include "file_util.h"

namespace snapflow::ring {
namespace {
constexpr size_t kEntryChecksumOffset = kIndexEntryBytes - 8;
}

void encode_index_entry(const IndexEntry& e, std::byte* out) {
  store_le64(out + 0, static_cast<uint64_t>(e.ts_ns));
  store_le64(out + 8, e.offset);
  store_le64(out + 16, e.packets);
  store_le64(out + 24, e.wire_bytes);
  store_le64(out + 32, e.record_bytes);
  store_le64(out + kEntryChecksumOffset, fnv1a64(out, kEntryChecksumOffset));
}

bool decode_index_entry(const std::byte* in, IndexEntry& e) {
  if (base::load_le64(in + kEntryChecksumOffset) != fnv1a64(in, kEntryChecksumOffset)) {
    return false;
  }
  e.ts_ns = static_cast<int64_t>(base::load_le64(in + 0));
  e.offset = base::load_le64(in + 8);
  e.packets = base::load_le64(in + 16);
  e.wire_bytes = base::load_le64(in + 24);
  e.record_bytes = base::load_le64(in + 32);
  return true;
}

size_t find_scan_start(std::span<const IndexEntry> entries, int64_t ts_ns_target) {
  // First entry with ts >= target; the one before it is the last with ts < target.
  auto it = std::lower_bound(entries.begin(), entries.end(), ts_ns_target,
                             [](const IndexEntry& e, int64_t target) { return e.ts_ns < target; });
  const auto idx = static_cast<size_t>(it - entries.begin());
  return idx == 0 ? 0 : idx - 1;
}

base::Result<std::vector<IndexEntry>> load_index(const std::string& path, size_t max_entries) {
  std::vector<IndexEntry> out;
  if (max_entries == 0) return out;
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) {
    if (fd.error().code() == base::ErrorCode::kNotFound) return out;
    return std::move(fd).error();
  }
  std::vector<std::byte> buf(max_entries * kIndexEntryBytes);
  auto n = pread_full(fd->get(), buf.data(), buf.size(), 0, path);
  if (!n.ok()) return std::move(n).error();
  const size_t count = *n / kIndexEntryBytes;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    IndexEntry e;
    if (!decode_index_entry(buf.data() + i * kIndexEntryBytes, e)) break;
    out.push_back(e);
  }
  return out;
}

}  // namespace snapflow::ring
