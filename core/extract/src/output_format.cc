#include "output_format.h"

#include <cstring>

#include "snapflow/base/bytes.h"

namespace snapflow::extract {
namespace {

constexpr uint32_t kPcapNsMagic = 0xa1b23c4d;
constexpr uint32_t kShbType = 0x0a0d0d0a;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr uint32_t kIdbType = 1;
constexpr uint32_t kEpbType = 6;
constexpr size_t kShbBytes = 28;
constexpr size_t kIdbBytes = 32;

void le64(std::byte* p, uint64_t v) {
  base::store_le32(p, static_cast<uint32_t>(v));
  base::store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}

}  // namespace

size_t file_header_size(OutputFormat format) {
  return format == OutputFormat::kPcap ? 24 : kShbBytes + kIdbBytes;
}

void encode_file_header(OutputFormat format, uint16_t link_type, uint32_t snaplen, std::byte* out) {
  if (format == OutputFormat::kPcap) {
    base::store_le32(out + 0, kPcapNsMagic);
    base::store_le16(out + 4, 2);
    base::store_le16(out + 6, 4);
    base::store_le32(out + 8, 0);   // thiszone
    base::store_le32(out + 12, 0);  // sigfigs
    base::store_le32(out + 16, snaplen);
    base::store_le32(out + 20, link_type);
    return;
  }
  // Section Header Block: no options, section length unknown (-1).
  base::store_le32(out + 0, kShbType);
  base::store_le32(out + 4, kShbBytes);
  base::store_le32(out + 8, kByteOrderMagic);
  base::store_le16(out + 12, 1);
  base::store_le16(out + 14, 0);
  le64(out + 16, ~uint64_t{0});
  base::store_le32(out + 24, kShbBytes);
  // Interface Description Block: if_tsresol = 9 (nanoseconds), then opt_endofopt.
  std::byte* idb = out + kShbBytes;
  base::store_le32(idb + 0, kIdbType);
  base::store_le32(idb + 4, kIdbBytes);
  base::store_le16(idb + 8, link_type);
  base::store_le16(idb + 10, 0);
  base::store_le32(idb + 12, snaplen);
  base::store_le16(idb + 16, 9);  // if_tsresol
  base::store_le16(idb + 18, 1);
  std::memset(idb + 20, 0, 4);
  idb[20] = std::byte{9};
  base::store_le32(idb + 24, 0);  // opt_endofopt
  base::store_le32(idb + 28, kIdbBytes);
}

void encode_record(OutputFormat format, const std::byte* record, int64_t ts_ns, uint32_t captured,
                   uint32_t wire, std::byte* out) {
  if (format == OutputFormat::kPcap) {
    std::memcpy(out, record, kRecordHeaderBytes + captured);
    return;
  }
  const size_t total = encoded_record_size(format, captured);
  const auto ts = static_cast<uint64_t>(ts_ns);
  base::store_le32(out + 0, kEpbType);
  base::store_le32(out + 4, static_cast<uint32_t>(total));
  base::store_le32(out + 8, 0);  // interface 0
  base::store_le32(out + 12, static_cast<uint32_t>(ts >> 32));
  base::store_le32(out + 16, static_cast<uint32_t>(ts));
  base::store_le32(out + 20, captured);
  base::store_le32(out + 24, wire);
  std::memcpy(out + 28, record + kRecordHeaderBytes, captured);
  std::memset(out + 28 + captured, 0, total - 32 - captured);
  base::store_le32(out + total - 4, static_cast<uint32_t>(total));
}

}  // namespace snapflow::extract
