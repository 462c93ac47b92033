// Deterministic document ids and daily index names (docs/formats.md, "Document identity").
//
//   _id   = base64url, no padding (22 chars), of XXH3-128 over
//           observer \0 capture \0 kind \0 interval_ns start_ns input first_record packets
//           bytes key
//           (integers 8 bytes little-endian, input the 16-byte InputId, key per kind)
//   index = <prefix>-YYYY.MM.DD of the document's @timestamp, UTC
//
// Two documents get the same id if and only if they count the same packets: the same input
// (a file's fingerprint, or the ring's id), the same first packet (its record number there),
// and the same number of packets and bytes, for the same flow and snapshot. Replaying the same
// input gives the same ids, so a retried or re-run bulk `create` answers 409 (which the
// indexer then verifies) instead of duplicating a document; another input that contributes
// packets to the same snapshot and flow gets ids of its own. The 128-bit hash is taken in
// XXH3's canonical (big-endian) byte order before base64url encoding, so ids are the same on
// every machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/pcap/record.h"

namespace snapflow::pcap2json {

inline constexpr size_t kDocumentIdLength = 22;

struct DocumentId {
  std::array<char, kDocumentIdLength> text{};
  std::string_view view() const { return {text.data(), text.size()}; }
};

// The `kind` of the id input, as written into the hashed bytes.
enum class DocumentKind : uint8_t { kFlow, kTotals, kOther, kGap, kPacket, kAccounting };
std::string_view to_string(DocumentKind kind);

// Which packets a document counts, beyond its observer, capture, kind, interval and key.
struct DocumentOrigin {
  pcap::InputId input{};      ///< the input (file fingerprint or ring id)
  uint64_t first_record = 0;  ///< input record number of the first packet counted
  uint64_t packets = 0;       ///< packets counted (lost ones, for a gap)
  uint64_t bytes = 0;         ///< wire bytes counted
  /// The snapshot length the packets were cut with; 0 means the hasher's configured one (a
  /// degraded part is aggregated at a longer interval).
  int64_t interval_ns = 0;
};

// base64url (RFC 4648 section 5) of 16 bytes, without padding.
DocumentId encode_document_id(const std::array<uint8_t, 16>& hash_bytes);

// The reference definition, straightforward and allocating: tests and tools use it.
DocumentId make_document_id(std::string_view observer, std::string_view capture,
                            int64_t interval_ns, DocumentKind kind, int64_t start_ns,
                            const DocumentOrigin& origin, std::span<const uint8_t> key_bytes);

// The fast path: keeps `observer \0 capture \0` in a buffer built once and only rewrites the
// tail per document, so an id costs one XXH3-128 over ~150 bytes and no allocation.
// Not thread-safe; one per encoder.
class DocumentIdHasher {
 public:
  DocumentIdHasher(std::string_view observer, std::string_view capture, int64_t interval_ns);

  DocumentId flow(int64_t start_ns, const DocumentOrigin& origin, const packet::FlowKey& key);
  DocumentId totals(int64_t start_ns, const DocumentOrigin& origin) {
    return make(DocumentKind::kTotals, start_ns, origin, {});
  }
  DocumentId other(int64_t start_ns, const DocumentOrigin& origin) {
    return make(DocumentKind::kOther, start_ns, origin, {});
  }
  // Key: end_ns.
  DocumentId gap(int64_t start_ns, int64_t end_ns, const DocumentOrigin& origin);
  // origin.first_record is the packet's own record number.
  DocumentId packet(int64_t ts_ns, const DocumentOrigin& origin) {
    return make(DocumentKind::kPacket, ts_ns, origin, {});
  }
  DocumentId make(DocumentKind kind, int64_t start_ns, const DocumentOrigin& origin,
                  std::span<const uint8_t> key_bytes);

 private:
  // Longest tail: "totals" or "packet" (6) + \0 + 5 integers + the input + the 48-byte key.
  static constexpr size_t kMaxKeyBytes = 48;
  static constexpr size_t kMaxTailBytes = 6 + 1 + 5 * 8 + 16 + kMaxKeyBytes;

  std::vector<uint8_t> buffer_;
  size_t prefix_length_ = 0;
  int64_t interval_ns_ = 0;
};

// Checks an index prefix against Elasticsearch's index name rules (lower case; none of
// \ / * ? " < > | , # : or space; not starting with - _ +; at most 200 bytes so that the
// "-YYYY.MM.DD" suffix keeps the name under the 255-byte limit).
base::Status validate_index_prefix(std::string_view prefix);

// "<prefix>-YYYY.MM.DD" for ts_ns's UTC day. Caches the last day's name: documents of one
// snapshot all share a day, so the date arithmetic runs once per day, not per document.
class IndexNamer {
 public:
  explicit IndexNamer(std::string_view prefix);
  std::string_view name(int64_t ts_ns);

 private:
  static constexpr int64_t kNsPerDay = 86'400'000'000'000;
  std::string name_;  // prefix + "-" + day; the day part is rewritten in place
  size_t day_offset_ = 0;
  int64_t day_ = INT64_MIN;
};

std::string index_name(std::string_view prefix, int64_t ts_ns);

}  // namespace snapflow::pcap2json
