// Document ids and index names (docs/formats.md "Document identity" and "Indices").
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

constexpr int64_t kInterval = 100'000'000;

pcap::InputId input_id(uint8_t seed) {
  pcap::InputId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed * 31 + i);
  return id;
}

DocumentOrigin origin(uint8_t input_seed, uint64_t first_record, uint64_t packets = 3,
                      uint64_t bytes = 180) {
  return {input_id(input_seed), first_record, packets, bytes};
}

void append_le64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

TEST(EncoderDocumentId, MatchesTheDocumentedByteLayout) {
  // Build the hashed bytes by hand from docs/formats.md and compare with both implementations.
  const packet::FlowKey key = sample_key(7);
  const int64_t start_ns = 1'700'000'000'100'000'000;
  const DocumentOrigin o = origin(5, 1042, 7, 4242);
  std::string input = "probe-1";
  input.push_back('\0');
  input += "cap";
  input.push_back('\0');
  input += "flow";
  input.push_back('\0');
  append_le64(input, kInterval);
  append_le64(input, static_cast<uint64_t>(start_ns));
  input.append(reinterpret_cast<const char*>(o.input.data()), o.input.size());
  append_le64(input, o.first_record);
  append_le64(input, o.packets);
  append_le64(input, o.bytes);
  input.append(reinterpret_cast<const char*>(&key), sizeof key);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(input.data(), input.size()));
  std::array<uint8_t, 16> digest;
  std::memcpy(digest.data(), canonical.digest, 16);
  const DocumentId expected = encode_document_id(digest);

  EXPECT_EQ(make_document_id("probe-1", "cap", kInterval, DocumentKind::kFlow, start_ns, o,
                             key_bytes(key))
                .view(),
            expected.view());
  DocumentIdHasher hasher("probe-1", "cap", kInterval);
  EXPECT_EQ(hasher.flow(start_ns, o, key).view(), expected.view());
  // The hasher's reused buffer gives the same answer after other kinds went through it.
  (void)hasher.totals(start_ns, o);
  (void)hasher.gap(start_ns, start_ns + 5, o);
  EXPECT_EQ(hasher.flow(start_ns, o, key).view(), expected.view());
}

TEST(EncoderDocumentId, FastPathAgreesWithReferenceForEveryKind) {
  DocumentIdHasher hasher("obs", "capture \"x\"", kInterval);
  const int64_t t = 1'234'567'890'000;
  const DocumentOrigin o = origin(9, 77);
  uint8_t le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(((t + 9) >> (8 * i)) & 0xff);
  const auto reference = [&](DocumentKind kind, std::span<const uint8_t> key) {
    return make_document_id("obs", "capture \"x\"", kInterval, kind, t, o, key);
  };
  EXPECT_EQ(hasher.gap(t, t + 9, o).view(), reference(DocumentKind::kGap, le).view());
  EXPECT_EQ(hasher.totals(t, o).view(), reference(DocumentKind::kTotals, {}).view());
  EXPECT_EQ(hasher.other(t, o).view(), reference(DocumentKind::kOther, {}).view());
  EXPECT_EQ(hasher.packet(t, o).view(), reference(DocumentKind::kPacket, {}).view());
}

// The rule of docs/formats.md: same id if and only if the same packets. Whatever tells two
// sets of packets apart (input, first record, how many, their bytes, flow, snapshot, interval,
// observer, capture, kind) must change the id; replaying the same input must not.
TEST(EncoderDocumentId, SameIdIfAndOnlyIfSamePackets) {
  DocumentIdHasher a("probe", "cap", kInterval);
  DocumentIdHasher a2("probe", "cap", kInterval);
  DocumentIdHasher b("probe2", "cap", kInterval);
  DocumentIdHasher c("probe", "cap2", kInterval);
  DocumentIdHasher one_second("probe", "cap", 1'000'000'000);
  // "probe" + "\0" + "cap" must not collide with "prob" + "e\0cap"-style shifts.
  DocumentIdHasher shifted(std::string_view("probe\0c", 7), "ap", kInterval);
  const int64_t t = 1'700'000'000'000'000'000;
  std::set<std::string> ids;
  size_t expected = 0;
  const auto add = [&](const DocumentId& id) {
    ids.insert(std::string(id.view()));
    ++expected;
  };
  for (uint8_t i = 0; i < 20; ++i) {
    const packet::FlowKey key = sample_key(i);
    EXPECT_EQ(a.flow(t, origin(1, 10), key).view(), a2.flow(t, origin(1, 10), key).view());
    add(a.flow(t, origin(1, 10), key));
    add(a.flow(t + kInterval, origin(1, 10), key));  // another snapshot
    add(a.flow(t, origin(2, 10), key));              // another input (file, ring)
    add(a.flow(t, origin(1, 11), key));              // another first packet
    add(a.flow(t, origin(1, 10, 4), key));           // more packets
    add(a.flow(t, origin(1, 10, 3, 181), key));      // other bytes
    add(b.flow(t, origin(1, 10), key));              // another observer
    add(c.flow(t, origin(1, 10), key));              // another capture
    add(one_second.flow(t, origin(1, 10), key));     // another interval
  }
  add(a.totals(t, origin(1, 10)));
  add(a.totals(t, origin(2, 10)));
  add(a.other(t, origin(1, 10)));
  add(a.gap(t, t + 1, origin(1, 10)));
  add(a.packet(t, origin(1, 10, 1, 60)));
  add(shifted.totals(t, origin(1, 10)));
  EXPECT_EQ(ids.size(), expected);
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
