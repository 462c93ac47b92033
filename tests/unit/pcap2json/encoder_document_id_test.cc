// Document ids and index names (docs/formats.md "Document ids and indices").
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <set>
#include <string>

#include "snapflow/pcap2json/document_id.h"

namespace snapflow::pcap2json {
namespace {

packet::FlowKey sample_key(uint8_t last_octet) {
  packet::FlowKey key;
  key.source = {10, 0, 0, last_octet};
  key.destination = {192, 168, 1, 1};
  key.source_port = 40000;
  key.destination_port = 443;
  key.ethertype = 0x0800;
  key.ip_version = 4;
  key.ip_protocol = 6;
  key.flags = packet::FlowKey::kHasPorts;
  return key;
}

std::span<const uint8_t> key_bytes(const packet::FlowKey& key) {
  return {reinterpret_cast<const uint8_t*>(&key), sizeof key};
}

TEST(EncoderDocumentId, Base64UrlWithoutPadding) {
  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(encode_document_id(bytes).view(), "AAECAwQFBgcICQoLDA0ODw");
  bytes.fill(0xff);
  EXPECT_EQ(encode_document_id(bytes).view(), "_____________________w");
}

TEST(EncoderDocumentId, MatchesTheDocumentedByteLayout) {
  // Build the hashed bytes by hand from the spec and compare with both implementations.
  const packet::FlowKey key = sample_key(7);
  const int64_t start_ns = 1'700'000'000'100'000'000;
  std::string input = "probe-1";
  input.push_back('\0');
  input += "cap";
  input.push_back('\0');
  input += "flow";
  input.push_back('\0');
  for (int i = 0; i < 8; ++i) input.push_back(static_cast<char>((start_ns >> (8 * i)) & 0xff));
  input.push_back('\0');
  input.append(reinterpret_cast<const char*>(&key), sizeof key);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(input.data(), input.size()));
  std::array<uint8_t, 16> digest;
  std::memcpy(digest.data(), canonical.digest, 16);
  const DocumentId expected = encode_document_id(digest);

  EXPECT_EQ(
      make_document_id("probe-1", "cap", DocumentKind::kFlow, start_ns, key_bytes(key)).view(),
      expected.view());
  DocumentIdHasher hasher("probe-1", "cap");
  EXPECT_EQ(hasher.flow(start_ns, key).view(), expected.view());
  // The hasher's reused buffer gives the same answer after other kinds went through it.
  (void)hasher.totals(start_ns);
  (void)hasher.gap(start_ns, start_ns + 5);
  EXPECT_EQ(hasher.flow(start_ns, key).view(), expected.view());
}

TEST(EncoderDocumentId, FastPathAgreesWithReferenceForEveryKind) {
  DocumentIdHasher hasher("obs", "capture \"x\"");
  const int64_t t = 1'234'567'890'000;
  uint8_t le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(((t + 9) >> (8 * i)) & 0xff);
  EXPECT_EQ(hasher.gap(t, t + 9).view(),
            make_document_id("obs", "capture \"x\"", DocumentKind::kGap, t, le).view());
  EXPECT_EQ(hasher.totals(t).view(),
            make_document_id("obs", "capture \"x\"", DocumentKind::kTotals, t, {}).view());
  EXPECT_EQ(hasher.other(t).view(),
            make_document_id("obs", "capture \"x\"", DocumentKind::kOther, t, {}).view());
  uint8_t record[8] = {42, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(hasher.packet(t, 42).view(),
            make_document_id("obs", "capture \"x\"", DocumentKind::kPacket, t, record).view());
}

TEST(EncoderDocumentId, StableAndDistinct) {
  DocumentIdHasher a("probe", "cap");
  DocumentIdHasher a2("probe", "cap");
  DocumentIdHasher b("probe2", "cap");
  DocumentIdHasher c("probe", "cap2");
  // "probe" + "\0" + "cap" must not collide with "prob" + "e\0cap"-style shifts.
  DocumentIdHasher shifted(std::string_view("probe\0c", 7), "ap");
  const int64_t t = 1'700'000'000'000'000'000;
  std::set<std::string> ids;
  for (uint8_t i = 0; i < 50; ++i) {
    const packet::FlowKey key = sample_key(i);
    EXPECT_EQ(a.flow(t, key).view(), a2.flow(t, key).view());
    ids.insert(std::string(a.flow(t, key).view()));
    ids.insert(std::string(a.flow(t + 100'000'000, key).view()));
    ids.insert(std::string(b.flow(t, key).view()));
    ids.insert(std::string(c.flow(t, key).view()));
  }
  ids.insert(std::string(a.totals(t).view()));
  ids.insert(std::string(a.other(t).view()));
  ids.insert(std::string(a.gap(t, t + 1).view()));
  ids.insert(std::string(a.packet(t, 1).view()));
  ids.insert(std::string(shifted.totals(t).view()));
  EXPECT_EQ(ids.size(), 50u * 4 + 5);
  for (const std::string& id : ids) {
    ASSERT_EQ(id.size(), kDocumentIdLength);
    for (const char ch : id) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << id;
    }
  }
}

TEST(EncoderDocumentId, IndexNamesByUtcDay) {
  IndexNamer namer("snapflow");
  // 2026-11-23T23:59:59.999999999Z and one nanosecond later.
  const int64_t last_ns = 1'795'478'399'999'999'999;
  EXPECT_EQ(namer.name(last_ns), "snapflow-2026.11.23");
  EXPECT_EQ(namer.name(last_ns + 1), "snapflow-2026.11.24");
  EXPECT_EQ(namer.name(last_ns), "snapflow-2026.11.23");
  EXPECT_EQ(namer.name(0), "snapflow-1970.01.01");
  EXPECT_EQ(namer.name(-1), "snapflow-1969.12.31");
  EXPECT_EQ(index_name("snapflow-packets", last_ns), "snapflow-packets-2026.11.23");
}

TEST(EncoderDocumentId, ValidatesIndexPrefixes) {
  EXPECT_TRUE(validate_index_prefix("snapflow").ok());
  EXPECT_TRUE(validate_index_prefix("snapflow-packets.v2").ok());
  for (const char* bad : {"", "Snapflow", "snap flow", "a/b", "a\"b", "-x", "_x", "+x", ".", "..",
                          "a*", "a,b", "a#b", "a:b"}) {
    const base::Status status = validate_index_prefix(bad);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(status.error().code(), base::ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(validate_index_prefix(std::string(201, 'a')).ok());
}

}  // namespace
}  // namespace snapflow::pcap2json
