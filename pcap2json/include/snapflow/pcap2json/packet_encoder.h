// PacketEncoder: one document per packet (--json-packet mode), docs/formats.md "Packet documents".
//
// Takes what the reader and decoder already produced (timestamp, record number, lengths, the
// decoded PacketView and its FlowKey) and appends one document to a batch; the batch's
// packets/bytes grow by 1 and the wire length. Index: <packet_index_prefix>-YYYY.MM.DD of the
// packet time; _id kind `packet` (key = record number), so a re-run never duplicates.
//
// Formats: ecs (default) and fmadio, which reuses the flow field names with TotalPkt = 1 and
// this packet's TCP flags as 0/1 (fmadio documents no separate per-packet schema we could
// follow more closely; docs/json.md lists the mapping).
//
// Not thread-safe: one PacketEncoder per thread, reused.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/document/batch.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/packet/view.h"
#include "snapflow/pcap2json/document_id.h"
#include "snapflow/pcap2json/encoder_config.h"
#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json {

// The per-packet inputs (a pcap::PacketRecord's metadata plus its decode).
struct PacketFields {
  int64_t ts_ns = 0;
  uint64_t record_number = 0;            ///< 1-based position in the input
  const pcap::InputId* input = nullptr;  ///< the input's id (part of the document id)
  uint32_t wire_length = 0;
  uint32_t captured_length = 0;
  const packet::PacketView* view = nullptr;  ///< required
  const packet::FlowKey* key = nullptr;      ///< required
};

class PacketEncoder {
 public:
  static base::Result<PacketEncoder> create(const EncoderConfig& config);
  ~PacketEncoder();
  PacketEncoder(PacketEncoder&&) noexcept;
  PacketEncoder& operator=(PacketEncoder&&) noexcept;

  const EncoderConfig& config() const { return config_; }
  void encode(const PacketFields& packet, document::DocumentBatch& batch);
  uint64_t oversize_documents() const { return oversize_documents_; }

 private:
  explicit PacketEncoder(const EncoderConfig& config);
  void write_ecs(DocumentWriter& w, const PacketFields& p);
  void write_fmadio(DocumentWriter& w, const PacketFields& p);

  EncoderConfig config_;
  DocumentIdHasher ids_;
  IndexNamer index_;
  TimestampCache times_;
  size_t document_bound_;  ///< no document is larger (detail::document_bound)
  std::string scratch_;
  std::string names_ecs_;
  std::string device_json_;
  uint64_t oversize_documents_ = 0;
};

}  // namespace snapflow::pcap2json
