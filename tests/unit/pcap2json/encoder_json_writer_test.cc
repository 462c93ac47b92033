// DocumentWriter and the text formatters: every output is parsed back with simdjson (an
// independent parser); IPv4 and IPv6 text is checked against glibc's inet_ntop (and the RFC 5952
// examples), integers against std::to_string, hex against printf.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json {
namespace {

std::string ipv6_text(const std::string& presentation) {
  uint8_t bytes[16];
  EXPECT_EQ(inet_pton(AF_INET6, presentation.c_str(), bytes), 1) << presentation;
  char out[kMaxIpTextLength];
  return std::string(out, format_ipv6(bytes, out));
}

TEST(EncoderJsonWriter, Ipv6CanonicalTextForTrickyAddresses) {
  EXPECT_EQ(ipv6_text("::1"), "::1");
  EXPECT_EQ(ipv6_text("::"), "::");
  EXPECT_EQ(ipv6_text("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  EXPECT_EQ(ipv6_text("1::"), "1::");
  EXPECT_EQ(ipv6_text("1:0:0:0:0:0:0:0"), "1::");
  EXPECT_EQ(ipv6_text("0:0:0:0:0:0:0:1"), "::1");
  // A single zero group is not compressed (RFC 5952 4.2.2).
  EXPECT_EQ(ipv6_text("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  // The longest run wins; the first on ties (4.2.3).
  EXPECT_EQ(ipv6_text("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
  EXPECT_EQ(ipv6_text("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  EXPECT_EQ(ipv6_text("fe80::0001:0abc"), "fe80::1:abc");
  EXPECT_EQ(ipv6_text("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  // IPv4-mapped keeps its dotted quad (RFC 5952 5).
  EXPECT_EQ(ipv6_text("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
  EXPECT_EQ(ipv6_text("::ffff:255.255.255.255"), "::ffff:255.255.255.255");
}

TEST(EncoderJsonWriter, Ipv6MatchesInetNtopOnRandomAddresses) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    uint8_t bytes[16];
    // Mostly-zero groups make runs of every length and position.
    for (int g = 0; g < 8; ++g) {
      const uint64_t r = rng();
      const bool zero = (r & 3) != 0;
      bytes[2 * g] = zero ? 0 : static_cast<uint8_t>(r >> 8);
      bytes[2 * g + 1] = zero ? 0 : static_cast<uint8_t>(r >> 16);
    }
    // glibc also prints deprecated IPv4-compatible ::a.b.c.d addresses in dotted form, which
    // RFC 5952 does not ask for; skip those inputs.
    bool first_six_zero = true;
    for (int b = 0; b < 12; ++b) first_six_zero &= bytes[b] == 0;
    if (first_six_zero) continue;
    char expected[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, bytes, expected, sizeof expected), nullptr);
    char out[kMaxIpTextLength];
    ASSERT_EQ(std::string(out, format_ipv6(bytes, out)), expected);
  }
}

TEST(EncoderJsonWriter, Ipv4AndMacText) {
  const uint8_t a[4] = {0, 10, 100, 255};
  char out[kMaxIpTextLength];
  EXPECT_EQ(std::string(out, format_ipv4(a, out)), "0.10.100.255");
  packet::IpAddress none;
  EXPECT_EQ(format_ip(none, out), 0u);
  const std::array<uint8_t, 6> mac{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
  EXPECT_EQ(std::string(out, format_mac_ecs(mac, out)), "00-1A-2B-3C-4D-5E");
  EXPECT_EQ(std::string(out, format_mac_colon(mac, out)), "00:1a:2b:3c:4d:5e");
}

TEST(EncoderJsonWriter, EscapesWeirdStringsIntoValidJson) {
  const std::string cases[] = {
      "plain",
      "quote\"back\\slash",
      "tab\tnew\nline\rcr",
      std::string("nul\0byte", 8),
      "\x01\x1f\x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "</script>",
      "",
  };
  simdjson::dom::parser parser;
  for (const std::string& s : cases) {
    const std::string doc = "{\"v\":" + json_quoted(s) + "}";
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(doc).get(root), simdjson::SUCCESS) << doc;
    std::string_view back;
    ASSERT_EQ(root["v"].get(back), simdjson::SUCCESS);
    EXPECT_EQ(back, s);
  }
  // Invalid UTF-8 (lone continuation, truncated sequence, overlong, surrogate) becomes U+FFFD.
  const std::string invalid =
      "a\x80"
      "b\xc3"
      "c\xc0\xaf"
      "d\xed\xa0\x80";
  const std::string doc = "{\"v\":" + json_quoted(invalid) + "}";
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(doc).get(root), simdjson::SUCCESS) << doc;
  std::string_view back;
  ASSERT_EQ(root["v"].get(back), simdjson::SUCCESS);
  EXPECT_EQ(back,
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd"
            "c\xef\xbf\xbd\xef\xbf\xbd"
            "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(EncoderJsonWriter, TemplateWriterValuesAndObjectsWithOptionalMembers) {
  char buffer[512];
  DocumentWriter w(buffer);
  TimestampCache times;
  w.lit("{\"a\":");
  w.u64(18446744073709551615ull);
  w.lit(",\"b\":");
  w.i64(-5);
  w.lit(",\"c\":");
  size_t object = w.open();  // members present: the first comma becomes '{'
  w.lit(",\"t\":");
  w.boolean(true);
  w.lit(",\"f\":");
  w.boolean(false);
  w.close(object);
  w.lit(",\"empty\":");
  object = w.open();  // no member: {}
  w.close(object);
  w.lit(",\"n\":");
  w.quoted_u64(6);
  w.lit(",\"h\":");
  w.hex64(0xabc);
  w.lit(",\"ts\":");
  w.timestamp(1'700'000'000'123'456'789, times);
  w.lit(",\"s\":");
  w.plain_string("x");
  w.lit(",\"q\":");
  w.text(json_quoted("q\""));
  w.ch('}');
  EXPECT_EQ(w.view(),
            "{\"a\":18446744073709551615,\"b\":-5,\"c\":{\"t\":true,\"f\":false},\"empty\":{},"
            "\"n\":\"6\",\"h\":\"0000000000000abc\",\"ts\":\"2023-11-14T22:13:20.123456789Z\","
            "\"s\":\"x\",\"q\":\"q\\\"\"}");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(std::string(w.view())).get(root), simdjson::SUCCESS);
}

TEST(EncoderJsonWriter, IntegersHexAndIpv4MatchReferenceFormatting) {
  std::mt19937_64 rng(3);
  char buffer[64];
  for (int i = 0; i < 100000; ++i) {
    // Every magnitude: shift a random value right by 0..63 bits.
    const uint64_t v = rng() >> (rng() % 64);
    DocumentWriter w(buffer);
    w.u64(v);
    ASSERT_EQ(w.view(), std::to_string(v));
    DocumentWriter s(buffer);
    const auto signed_value = static_cast<int64_t>(v) * ((i & 1) ? -1 : 1);
    s.i64(signed_value);
    ASSERT_EQ(s.view(), std::to_string(signed_value));
    DocumentWriter h(buffer);
    h.hex64(v);
    char expected[32];
    std::snprintf(expected, sizeof expected, "\"%016llx\"", static_cast<unsigned long long>(v));
    ASSERT_EQ(h.view(), expected);
    uint8_t a[4];
    std::memcpy(a, &v, 4);
    char text[INET_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET, a, text, sizeof text), nullptr);
    ASSERT_EQ(std::string(buffer, format_ipv4(a, buffer)), text);
  }
}

TEST(EncoderJsonWriter, TimestampCacheMatchesBaseFormatting) {
  TimestampCache cache;
  std::mt19937_64 rng(1);
  int64_t ts = 1'795'478'399'000'000'000;
  for (int i = 0; i < 100000; ++i) {
    // Mostly small steps (the cache hits), sometimes jumps, negative times and extremes.
    const uint64_t r = rng();
    if (r % 100 == 0) {
      ts = static_cast<int64_t>(rng() >> 2);  // far from the extremes the walk must not cross
    } else if (r % 100 == 1) {
      ts = -static_cast<int64_t>(rng() % 4'000'000'000'000'000'000ull);
    } else {
      ts += static_cast<int64_t>(r % 300'000'000) - 100'000'000;
    }
    // The extremes are formatted once each, outside the walk, which must not step from them.
    const int64_t value = i == 5 ? INT64_MIN : i == 6 ? INT64_MAX : ts;
    char a[base::kRfc3339NsLength];
    char b[base::kRfc3339NsLength];
    ASSERT_EQ(cache.format(value, a), base::format_rfc3339_ns(value, b));
    ASSERT_EQ(std::string_view(a, sizeof a), std::string_view(b, sizeof b)) << value;
  }
}

}  // namespace
}  // namespace snapflow::pcap2json
