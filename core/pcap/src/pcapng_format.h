// PCAPNG blocks: SHB (either byte order, any number of sections, section length ignored so -1
// works), IDB (link type, snaplen, if_tsresol, if_tsoffset), EPB, SPB, OPB; every other block
// type is passed over by its length.
//
// Numbering: messages name "block N" (1-based over all blocks of the input), because faults
// can sit in blocks that are not packets; PacketBatch::first_record_number counts packets.
//
// Every block's framing is checked before its body: total length >= 12, a multiple of 4, at
// most max(16 MiB, max_captured_length + 64 KiB), and the trailing copy equal to the leading
// one. A bad framing is an error, or with skip_bad_records the start of a scan (4-byte steps)
// for a block of a known type whose framing checks out. A block with sane framing but a bad
// body (captured length over the limit, unknown interface) is skipped by its length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "parse_step.h"
#include "pcapng_timestamp.h"

namespace snapflow::pcap {

class PcapngFormat {
 public:
  explicit PcapngFormat(ParseContext ctx);

  ParseStep parse(const std::byte* p, size_t avail, bool eof, uint64_t offset);
  base::Error take_error() { return std::move(*error_); }
  uint64_t record_number() const { return packet_number_; }

 private:
  struct Interface {
    uint16_t link_type = 0;
    uint32_t snaplen = 0;
    TimestampResolution resolution;
  };
  enum class State : uint8_t { kBlocks, kResync, kDone };

  uint32_t load32(const std::byte* p) const;
  uint16_t load16(const std::byte* p) const;
  uint64_t load64(const std::byte* p) const;

  ParseStep parse_block(const std::byte* p, size_t avail, bool eof, uint64_t offset);
  // Checks framing of the block at p (byte order from an SHB's own BOM); 0 when unsound.
  uint32_t framed_length(const std::byte* p, size_t avail, bool& little) const;
  ParseStep section_header(const std::byte* p, uint32_t total, uint64_t offset);
  ParseStep interface_description(const std::byte* p, uint32_t total, uint64_t offset);
  ParseStep packet(const std::byte* p, uint32_t type, uint32_t total, uint64_t offset);
  ParseStep bad_framing(uint64_t offset, std::string what);
  ParseStep bad_body(uint64_t offset, uint32_t total, std::string what);
  ParseStep resync(const std::byte* p, size_t avail, bool eof, uint64_t offset);

  ParseContext ctx_;
  uint32_t max_block_bytes_;
  State state_ = State::kBlocks;
  bool little_endian_ = true;
  bool in_section_ = false;
  std::vector<Interface> interfaces_;  ///< of the current section
  uint64_t block_number_ = 0;          ///< blocks seen so far
  uint64_t packet_number_ = 0;         ///< packet blocks seen so far (good or skipped)
  int64_t last_ts_ns_ = 0;             ///< for SPB, which carries no timestamp
  std::optional<base::Error> error_;
};

}  // namespace snapflow::pcap
