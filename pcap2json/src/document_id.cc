#include "snapflow/pcap2json/document_id.h"

#include <xxhash.h>

#include <cstring>

#include "snapflow/base/time.h"

namespace snapflow::pcap2json {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void put_le64(uint8_t* p, int64_t value) {
  auto v = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

std::array<uint8_t, 16> canonical_xxh128(const void* data, size_t length) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data, length));
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), canonical.digest, out.size());
  return out;
}

}  // namespace

std::string_view to_string(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kFlow:
      return "flow";
    case DocumentKind::kTotals:
      return "totals";
    case DocumentKind::kOther:
      return "other";
    case DocumentKind::kGap:
      return "gap";
    case DocumentKind::kPacket:
      return "packet";
    case DocumentKind::kAccounting:
      return "accounting";
  }
  return "flow";
}

DocumentId encode_document_id(const std::array<uint8_t, 16>& bytes) {
  DocumentId id;
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {  // 5 full groups: 15 bytes -> 20 chars
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    id.text[o++] = kBase64Url[(v >> 18) & 63];
    id.text[o++] = kBase64Url[(v >> 12) & 63];
    id.text[o++] = kBase64Url[(v >> 6) & 63];
    id.text[o++] = kBase64Url[v & 63];
  }
  // The 16th byte: two characters, no "==" padding.
  id.text[o++] = kBase64Url[bytes[i] >> 2];
  id.text[o++] = kBase64Url[(bytes[i] & 3) << 4];
  return id;
}

namespace {

// Appends the id input after `observer \0 capture \0`; returns the end.
uint8_t* put_tail(uint8_t* p, DocumentKind kind, int64_t interval_ns, int64_t start_ns,
                  const DocumentOrigin& origin, std::span<const uint8_t> key_bytes) {
  const std::string_view kind_text = to_string(kind);
  std::memcpy(p, kind_text.data(), kind_text.size());
  p += kind_text.size();
  *p++ = 0;
  put_le64(p, interval_ns);
  put_le64(p + 8, start_ns);
  std::memcpy(p + 16, origin.input.data(), origin.input.size());
  p += 16 + origin.input.size();
  put_le64(p, static_cast<int64_t>(origin.first_record));
  put_le64(p + 8, static_cast<int64_t>(origin.packets));
  put_le64(p + 16, static_cast<int64_t>(origin.bytes));
  p += 24;
  if (!key_bytes.empty()) std::memcpy(p, key_bytes.data(), key_bytes.size());
  return p + key_bytes.size();
}

}  // namespace

DocumentId make_document_id(std::string_view observer, std::string_view capture,
                            int64_t interval_ns, DocumentKind kind, int64_t start_ns,
                            const DocumentOrigin& origin, std::span<const uint8_t> key_bytes) {
  std::vector<uint8_t> input(observer.size() + capture.size() + 2 + 6 + 1 + 5 * 8 + 16 +
                             key_bytes.size());
  uint8_t* p = input.data();
  std::memcpy(p, observer.data(), observer.size());
  p += observer.size();
  *p++ = 0;
  std::memcpy(p, capture.data(), capture.size());
  p += capture.size();
  *p++ = 0;
  p = put_tail(p, kind, interval_ns, start_ns, origin, key_bytes);
  return encode_document_id(canonical_xxh128(input.data(), static_cast<size_t>(p - input.data())));
}

DocumentIdHasher::DocumentIdHasher(std::string_view observer, std::string_view capture,
                                   int64_t interval_ns)
    : interval_ns_(interval_ns) {
  buffer_.assign(observer.begin(), observer.end());
  buffer_.push_back(0);
  buffer_.insert(buffer_.end(), capture.begin(), capture.end());
  buffer_.push_back(0);
  prefix_length_ = buffer_.size();
  buffer_.resize(prefix_length_ + kMaxTailBytes);
}

DocumentId DocumentIdHasher::make(DocumentKind kind, int64_t start_ns, const DocumentOrigin& origin,
                                  std::span<const uint8_t> key_bytes) {
  if (key_bytes.size() > kMaxKeyBytes) key_bytes = key_bytes.first(kMaxKeyBytes);
  const int64_t interval_ns = origin.interval_ns != 0 ? origin.interval_ns : interval_ns_;
  uint8_t* end =
      put_tail(buffer_.data() + prefix_length_, kind, interval_ns, start_ns, origin, key_bytes);
  return encode_document_id(
      canonical_xxh128(buffer_.data(), static_cast<size_t>(end - buffer_.data())));
}

DocumentId DocumentIdHasher::flow(int64_t start_ns, const DocumentOrigin& origin,
                                  const packet::FlowKey& key) {
  // FlowKey is padding-free (static_assert in flow_key.h): its bytes are its identity.
  uint8_t bytes[sizeof(packet::FlowKey)];
  std::memcpy(bytes, &key, sizeof bytes);
  return make(DocumentKind::kFlow, start_ns, origin, bytes);
}

DocumentId DocumentIdHasher::gap(int64_t start_ns, int64_t end_ns, const DocumentOrigin& origin) {
  uint8_t bytes[8];
  put_le64(bytes, end_ns);
  return make(DocumentKind::kGap, start_ns, origin, bytes);
}

base::Status validate_index_prefix(std::string_view prefix) {
  const auto bad = [&](std::string_view why) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "index prefix '" + std::string(prefix) + "': " + std::string(why));
  };
  if (prefix.empty()) return bad("empty");
  if (prefix.size() > 200) return bad("longer than 200 bytes");
  if (prefix == "." || prefix == "..") return bad("'.' and '..' are not index names");
  if (prefix[0] == '-' || prefix[0] == '_' || prefix[0] == '+') {
    return bad("must not start with '-', '_' or '+'");
  }
  for (const char c : prefix) {
    if (c >= 'A' && c <= 'Z') return bad("must be lower case");
    if (std::string_view("\\/*?\"<>|,#: ").find(c) != std::string_view::npos ||
        static_cast<unsigned char>(c) < 0x20) {
      return bad("must not contain \\ / * ? \" < > | , # : space or control characters");
    }
  }
  return base::ok_status();
}

IndexNamer::IndexNamer(std::string_view prefix) {
  name_.assign(prefix);
  name_.push_back('-');
  day_offset_ = name_.size();
  name_.append(10, '0');
}

std::string_view IndexNamer::name(int64_t ts_ns) {
  const int64_t day = base::align_down(ts_ns, kNsPerDay) / kNsPerDay;
  if (day != day_) {
    base::format_index_day(ts_ns, name_.data() + day_offset_);
    day_ = day;
  }
  return name_;
}

std::string index_name(std::string_view prefix, int64_t ts_ns) {
  IndexNamer namer(prefix);
  return std::string(namer.name(ts_ns));
}

}  // namespace snapflow::pcap2json
