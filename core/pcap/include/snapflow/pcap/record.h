// PacketRecord and PacketBatch: how packets travel between snapflow's stages.
//
// A PacketBatch owns one contiguous byte buffer; its records point into that buffer (zero
// copy: a reader fills the buffer straight from read(2) and records are views of it). A batch
// moves between pipeline stages as a whole and is reused once drained, so the steady state
// allocates nothing. A batch is not thread-safe: one stage owns it at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "snapflow/base/link_type.h"
#include "snapflow/base/uninitialized_allocator.h"

namespace snapflow::pcap {

// The link-type registry lives in core/base (link_type.h), shared with the decoder.
using base::is_supported_link_type;
using base::kLinkEthernet;
using base::kLinkIpv4;
using base::kLinkIpv6;
using base::kLinkLinuxSll;
using base::kLinkLinuxSll2;
using base::kLinkLoop;
using base::kLinkNull;
using base::kLinkRaw;
using base::kSupportedLinkTypesText;
using base::LinkType;

struct PacketRecord {
  int64_t ts_ns = 0;                ///< capture time, ns since the epoch (UTC)
  const std::byte* data = nullptr;  ///< captured bytes, owned by the batch
  uint32_t captured_length = 0;     ///< bytes present at data
  uint32_t wire_length = 0;         ///< original length on the wire (>= captured_length)
  uint16_t link_type = kLinkEthernet;
  uint16_t interface_id = 0;  ///< pcapng interface index; 0 for classic pcap

  std::span<const std::byte> bytes() const { return {data, captured_length}; }
};

// Identifies an input for document identity (docs/formats.md, "Document identity"): for a
// capture file or stream, a fingerprint of its first record; for the capture ring, the ring's
// id. Two inputs with the same id and the same record numbers hold the same records.
using InputId = std::array<uint8_t, 16>;

// The fingerprint of an input file or stream: XXH3-128 of its first record's link type, time,
// lengths and captured bytes. Independent of the file format, so the same packets saved as
// PCAP or PCAPNG, or piped through stdin, have the same id.
InputId fingerprint_first_record(const PacketRecord& record);

struct PacketBatch {
  std::vector<PacketRecord> records;  ///< reserved once, cleared per use
  /// Bytes the records point into. Not zero-filled when it grows: only the pages a reader
  /// fills are touched.
  std::vector<std::byte, base::UninitializedAllocator<std::byte>> storage;
  uint64_t sequence = 0;  ///< position of this batch in its stream (set by the reader stage)
  /// 1-based number of records[0] in its input; records of a batch have consecutive numbers.
  uint64_t first_record_number = 0;
  InputId input_id{};  ///< the input the records come from
  /// The records begin a new part of the input: the first batch of each input file, and the
  /// first batch after corrupt records were skipped. A batch never spans two parts, and a
  /// document never aggregates packets of two parts (docs/decisions/0005-document-identity.md).
  bool starts_part = false;

  void clear() {
    records.clear();
    sequence = 0;
    first_record_number = 0;
    starts_part = false;
  }
  size_t size() const { return records.size(); }
  bool empty() const { return records.empty(); }
};

}  // namespace snapflow::pcap
