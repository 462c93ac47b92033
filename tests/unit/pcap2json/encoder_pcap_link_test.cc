// --pcap-link-base: ECS flow documents carry snapflow.pcap_link, the /pcap/splittime URL of
// their snapshot's own window (a degraded snapshot's longer one) and flow key, exactly as
// filter::pcap_link() builds it; "other", totals, gap and fmadio documents carry none; without
// the option nothing changes; the largest document with the longest base stays within the
// encoder's bound; bad bases are refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "snapflow/filter/pcap_link.h"
#include "snapflow/pcap2json/flow_encoder.h"

namespace snapflow::pcap2json {
namespace {

constexpr int64_t kSnapshotNs = 1'795'478'399'900'000'000;
constexpr int64_t kIntervalNs = 100'000'000;
constexpr std::string_view kBase = "https://probe1.example.com:8480/capture";

SnapshotTotals snapshot(int64_t interval_ns = kIntervalNs) {
  SnapshotTotals s;
  s.start_ns = kSnapshotNs;
  s.interval_ns = interval_ns;
  s.first_record = 1;
  return s;
}

FlowRecord flow(uint8_t version, packet::TunnelType tunnel) {
  FlowRecord r;
  r.key.ip_version = version;
  r.key.ip_protocol = 17;
  r.key.ethertype = version == 4 ? 0x0800 : 0x86dd;
  r.key.flags = packet::FlowKey::kHasPorts;
  const char* src = version == 4 ? "10.1.2.3" : "fd00:1:2:3:4:5:6:7";
  const char* dst = version == 4 ? "192.168.100.200" : "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff";
  inet_pton(version == 4 ? AF_INET : AF_INET6, src, r.key.source.data());
  inet_pton(version == 4 ? AF_INET : AF_INET6, dst, r.key.destination.data());
  r.key.source_port = 65535;
  r.key.destination_port = 4789;
  r.key.tunnel_type = tunnel;
  if (tunnel != packet::TunnelType::kNone) {
    r.key.flags |= packet::FlowKey::kHasTunnelId | packet::FlowKey::kHasVlan;
    r.key.tunnel_id = 4'294'967'295u;
    r.key.vlan_id = 4095;
  }
  r.hash = 0x0123456789abcdefull;
  r.counters.packets = 3;
  r.counters.bytes = 300;
  r.counters.first_ts_ns = kSnapshotNs + 5;
  r.counters.last_ts_ns = kSnapshotNs + 6;
  r.counters.size_min = 100;
  r.counters.size_max = 100;
  return r;
}

EncoderConfig config(std::string_view base, DocumentFormat format = DocumentFormat::kEcs) {
  EncoderConfig c;
  c.format = format;
  c.observer = "probe-1";
  c.capture = "trace.pcap";
  c.pcap_link_base = std::string(base);
  return c;
}

// The source line of the only document of batch, parsed.
simdjson::dom::element parse(const document::DocumentBatch& batch, simdjson::dom::parser& parser) {
  EXPECT_EQ(batch.size(), 1u);
  std::string_view doc = batch.document(0);
  doc = doc.substr(doc.find('\n') + 1);  // after the bulk action line
  doc.remove_suffix(1);
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(std::string(doc)).get(root), simdjson::SUCCESS) << doc;
  return root;
}

std::string link_of(simdjson::dom::element root) {
  std::string_view v;
  if (root.at_pointer("/snapflow/pcap_link").get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

TEST(EncoderPcapLink, FlowDocumentsLinkToTheirSnapshotAndFlow) {
  auto encoder = FlowEncoder::create(config(kBase));
  ASSERT_TRUE(encoder.ok());
  simdjson::dom::parser parser;
  for (uint8_t version : {uint8_t{4}, uint8_t{6}}) {
    for (packet::TunnelType tunnel : {packet::TunnelType::kNone, packet::TunnelType::kVxlan}) {
      // The configured interval, and a degraded part's longer one (decision 0006).
      for (int64_t interval : {kIntervalNs, 10 * kIntervalNs}) {
        const FlowRecord r = flow(version, tunnel);
        document::DocumentBatch batch;
        encoder->encode_flow(snapshot(interval), r, batch);
        const std::string link = link_of(parse(batch, parser));
        EXPECT_EQ(link, filter::pcap_link({kBase, kSnapshotNs, interval, {}}, r.key));
        EXPECT_NE(link.find("&Stop=" + std::to_string(kSnapshotNs + interval) + "&"),
                  std::string::npos)
            << link;
        EXPECT_NE(link.find(tunnel == packet::TunnelType::kNone ? "&FilterBPF=" : "&Filter="),
                  std::string::npos)
            << link;
      }
    }
  }
  EXPECT_EQ(encoder->oversize_documents(), 0u);
}

TEST(EncoderPcapLink, OnlyEcsFlowDocumentsCarryIt) {
  simdjson::dom::parser parser;
  auto ecs = FlowEncoder::create(config(kBase));
  ASSERT_TRUE(ecs.ok());
  document::DocumentBatch other;
  ecs->encode_other(snapshot(), flow(4, packet::TunnelType::kNone), 7, other);
  EXPECT_EQ(link_of(parse(other, parser)), "");
  document::DocumentBatch totals;
  SnapshotTotals t = snapshot();
  t.packets = 3;
  ecs->encode_totals(t, totals);
  EXPECT_EQ(link_of(parse(totals, parser)), "");
  auto fmadio = FlowEncoder::create(config(kBase, DocumentFormat::kFmadio));
  ASSERT_TRUE(fmadio.ok());
  document::DocumentBatch f;
  fmadio->encode_flow(snapshot(), flow(4, packet::TunnelType::kNone), f);
  EXPECT_EQ(std::string(f.document(0)).find("pcap_link"), std::string::npos);
  // Without the option the document is what it always was.
  auto plain = FlowEncoder::create(config(""));
  ASSERT_TRUE(plain.ok());
  document::DocumentBatch with, without;
  ecs->encode_flow(snapshot(), flow(4, packet::TunnelType::kNone), with);
  plain->encode_flow(snapshot(), flow(4, packet::TunnelType::kNone), without);
  std::string expected(with.document(0));
  const size_t at = expected.find(",\"pcap_link\":");
  ASSERT_NE(at, std::string::npos);
  expected.erase(at, expected.find('"', at + 14) + 1 - at);
  EXPECT_EQ(std::string(without.document(0)), expected);
}

TEST(EncoderPcapLink, LongestBaseAndKeyStayWithinTheBound) {
  const std::string base = "https://" + std::string(1000, 'h');
  auto encoder = FlowEncoder::create(config(base));
  ASSERT_TRUE(encoder.ok());
  document::DocumentBatch batch;
  for (packet::TunnelType t : {packet::TunnelType::kErspan3, packet::TunnelType::kGeneve}) {
    FlowRecord r = flow(6, t);
    r.key.ip_protocol = 132;
    encoder->encode_flow(snapshot(INT64_MAX / 2), r, batch);
  }
  EXPECT_EQ(batch.size(), 2u);
  EXPECT_EQ(encoder->oversize_documents(), 0u);
}

TEST(EncoderPcapLink, BadBasesAreRefused) {
  for (const char* bad : {"probe1:8480", "ftp://probe1", "https://admin:secret@probe1",
                          "https://probe1/?a=1", "https://probe\"1"}) {
    auto encoder = FlowEncoder::create(config(bad));
    ASSERT_FALSE(encoder.ok()) << bad;
    EXPECT_NE(encoder.error().message().find("--pcap-link-base"), std::string::npos);
    EXPECT_EQ(encoder.error().message().find("secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace snapflow::pcap2json
