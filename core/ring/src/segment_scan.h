// Sequential scan of the records in one segment file, used by recovery (find the last complete
// record) and by time lookups (find the first record at or after a time). Private.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "file_util.h"
#include "record_format.h"
#include "snapflow/base/result.h"

namespace snapflow::ring {

// Calls on_record(header, offset) for each valid record that lies entirely inside
// [from, limit), in order, until a header is invalid, a record is incomplete, or on_record
// returns false. Returns the offset where the scan stopped: the end of the last accepted
// record, or the offset of the record on_record refused. Reads in chunks of chunk_bytes.
template <typename OnRecord>
base::Result<uint64_t> scan_records(int fd, const std::string& path, uint64_t from, uint64_t limit,
                                    uint32_t snaplen, OnRecord&& on_record,
                                    size_t chunk_bytes = 1 << 20) {
  std::vector<std::byte> buf(chunk_bytes);
  uint64_t chunk_start = from;
  size_t chunk_len = 0;
  uint64_t off = from;
  auto ensure = [&](uint64_t need_end) -> base::Result<bool> {
    if (need_end > limit) return false;
    if (need_end <= chunk_start + chunk_len) return true;
    const size_t want = static_cast<size_t>(need_end - off);
    if (buf.size() < want) buf.resize(want);
    const uint64_t max_len = limit - off;
    const size_t len = static_cast<size_t>(max_len < buf.size() ? max_len : buf.size());
    auto n = pread_full(fd, buf.data(), len, off, path);
    if (!n.ok()) return std::move(n).error();
    chunk_start = off;
    chunk_len = *n;
    return need_end <= chunk_start + chunk_len;
  };
  while (true) {
    auto have = ensure(off + kRecordHeaderBytes);
    if (!have.ok()) return std::move(have).error();
    if (!*have) return off;
    RecordHeader h;
    if (!read_record_header(buf.data() + (off - chunk_start), snaplen, h)) return off;
    const uint64_t end = off + kRecordHeaderBytes + h.captured;
    have = ensure(end);
    if (!have.ok()) return std::move(have).error();
    if (!*have) return off;
    if (!on_record(h, off)) return off;
    off = end;
  }
}

}  // namespace snapflow::ring
