// A segment's metadata file: two 128-byte checksummed slots written alternately, so an update
// is a single pwrite + fdatasync (no rename) and a torn write leaves the other slot intact.
// The valid slot with the highest update counter wins. Private to the ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "file_util.h"
#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

inline constexpr size_t kMetaSlotBytes = 128;
inline constexpr uint32_t kMetaMagic = 0x4d534653;  // "SFSM" little-endian
inline constexpr uint32_t kMetaVersion = 1;

void encode_meta_slot(const SegmentInfo& info, uint64_t update_counter, std::byte* out);
// False if the slot's magic, version or checksum do not match.
bool decode_meta_slot(const std::byte* in, SegmentInfo& info, uint64_t& update_counter);

// Decodes a whole .meta file (up to two slots); an absent or all-invalid file is kEmpty.
SegmentInfo decode_meta_file(const std::byte* data, size_t size, uint32_t slot,
                             uint64_t* update_counter);

// The writer's handle on one segment's .meta file.
class SegmentMetaFile {
 public:
  static base::Result<SegmentMetaFile> open(const RingLayout& layout, uint32_t slot);
  const SegmentInfo& info() const { return info_; }
  // Writes info into the older slot and fdatasyncs: durable when this returns ok.
  base::Status write(const SegmentInfo& info);

 private:
  Fd fd_;
  std::string path_;
  SegmentInfo info_;
  uint64_t counter_ = 0;
};

}  // namespace snapflow::ring
