// Deterministic document ids and daily index names (docs/formats.md, "Document ids and indices").
//
//   _id   = base64url, no padding (22 chars), of XXH3-128 over
//           observer \0 capture \0 kind \0 start_ns (8 bytes LE) \0 key bytes
//   index = <prefix>-YYYY.MM.DD of the document's @timestamp, UTC
//
// The same packets replayed give the same ids, so a retried or re-run bulk `create` answers
// 409 instead of duplicating a document. The 128-bit hash is taken in XXH3's canonical
// (big-endian) byte order before base64url encoding, so ids are the same on every machine.
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

namespace snapflow::pcap2json {

inline constexpr size_t kDocumentIdLength = 22;

struct DocumentId {
  std::array<char, kDocumentIdLength> text{};
  std::string_view view() const { return {text.data(), text.size()}; }
};

// The `kind` of the id input, as written into the hashed bytes.
enum class DocumentKind : uint8_t { kFlow, kTotals, kOther, kGap, kPacket };
std::string_view to_string(DocumentKind kind);

// base64url (RFC 4648 section 5) of 16 bytes, without padding.
DocumentId encode_document_id(const std::array<uint8_t, 16>& hash_bytes);

// The reference definition, straightforward and allocating: tests and tools use it.
DocumentId make_document_id(std::string_view observer, std::string_view capture, DocumentKind kind,
                            int64_t start_ns, std::span<const uint8_t> key_bytes);

// The fast path: keeps `observer \0 capture \0` in a buffer built once and only rewrites the
// tail per document, so an id costs one XXH3-128 over ~100 bytes and no allocation.
// Not thread-safe; one per encoder.
class DocumentIdHasher {
 public:
  DocumentIdHasher(std::string_view observer, std::string_view capture);

  DocumentId flow(int64_t start_ns, const packet::FlowKey& key);
  DocumentId totals(int64_t start_ns) { return make(DocumentKind::kTotals, start_ns, {}); }
  DocumentId other(int64_t start_ns) { return make(DocumentKind::kOther, start_ns, {}); }
  DocumentId gap(int64_t start_ns, int64_t end_ns);
  DocumentId packet(int64_t ts_ns, uint64_t record_number);
  DocumentId make(DocumentKind kind, int64_t start_ns, std::span<const uint8_t> key_bytes);

 private:
  // Longest tail: "totals" or "packet" (6) + \0 + 8 + \0 + the 48-byte FlowKey.
  static constexpr size_t kMaxKeyBytes = 48;
  static constexpr size_t kMaxTailBytes = 6 + 1 + 8 + 1 + kMaxKeyBytes;

  std::vector<uint8_t> buffer_;
  size_t prefix_length_ = 0;
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
