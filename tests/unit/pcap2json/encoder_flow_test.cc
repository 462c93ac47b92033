// FlowEncoder: every document is parsed back with simdjson and every field compared with the
// FlowRecord it came from (ECS and fmadio), plus action lines, totals, gap and "other" docs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "snapflow/base/time.h"
#include "snapflow/pcap2json/flow_encoder.h"

namespace snapflow::pcap2json {
namespace {

constexpr int64_t kSnapshotNs = 1'795'478'399'900'000'000;  // 2026-11-23T23:59:59.9Z
constexpr int64_t kIntervalNs = 100'000'000;

// The snapshot (of one input part) the encoders name documents by.
SnapshotTotals snapshot_at(int64_t start_ns) {
  SnapshotTotals s;
  s.start_ns = start_ns;
  s.interval_ns = kIntervalNs;
  for (size_t i = 0; i < s.input.size(); ++i) s.input[i] = static_cast<uint8_t>(0xa0 + i);
  s.first_record = 1;
  return s;
}

DocumentOrigin origin_of(const FlowRecord& r) {
  return {snapshot_at(kSnapshotNs).input, r.attributes.first_record, r.counters.packets,
          r.counters.bytes};
}

struct Parsed {
  simdjson::dom::parser action_parser;
  simdjson::dom::parser source_parser;
  simdjson::dom::element action;
  simdjson::dom::element source;
};

// Splits document i of a batch into its action and source lines and parses both.
void parse_document(const document::DocumentBatch& batch, size_t i, Parsed& out) {
  const std::string_view doc = batch.document(i);
  ASSERT_FALSE(doc.empty());
  ASSERT_EQ(doc.back(), '\n');
  std::string_view source_line = doc;
  if (batch.bulk_form) {
    const size_t nl = doc.find('\n');
    ASSERT_NE(nl, std::string_view::npos);
    ASSERT_EQ(out.action_parser.parse(std::string(doc.substr(0, nl))).get(out.action),
              simdjson::SUCCESS);
    source_line = doc.substr(nl + 1);
  }
  source_line.remove_suffix(1);
  ASSERT_EQ(source_line.find('\n'), std::string_view::npos);
  ASSERT_EQ(out.source_parser.parse(std::string(source_line)).get(out.source), simdjson::SUCCESS)
      << source_line;
}

std::string str(simdjson::dom::element root, const char* pointer) {
  std::string_view v;
  const auto error = root.at_pointer(pointer).get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return std::string(v);
}
uint64_t num(simdjson::dom::element root, const char* pointer) {
  uint64_t v = 0;
  const auto error = root.at_pointer(pointer).get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return v;
}
bool has(simdjson::dom::element root, const char* pointer) {
  return root.at_pointer(pointer).error() == simdjson::SUCCESS;
}

packet::IpAddress ip(const char* text) {
  packet::IpAddress a;
  if (inet_pton(AF_INET, text, a.bytes.data()) == 1) {
    a.version = 4;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, a.bytes.data()), 1) << text;
    a.version = 6;
  }
  return a;
}

FlowRecord tcp_record() {
  FlowRecord r;
  const packet::IpAddress s = ip("10.1.2.3");
  const packet::IpAddress d = ip("192.168.100.200");
  r.key.source = s.bytes;
  r.key.destination = d.bytes;
  r.key.source_port = 51000;
  r.key.destination_port = 443;
  r.key.ethertype = 0x0800;
  r.key.vlan_id = 100;
  r.key.ip_version = 4;
  r.key.ip_protocol = 6;
  r.key.flags = packet::FlowKey::kHasPorts | packet::FlowKey::kHasVlan;
  r.hash = 0x0123456789abcdefull;
  r.counters.packets = 10;
  r.counters.bytes = 6543;
  r.counters.first_ts_ns = kSnapshotNs + 1'000;
  r.counters.last_ts_ns = kSnapshotNs + 99'000'001;
  r.counters.size_min = 60;
  r.counters.size_max = 1514;
  r.counters.tcp_flag_packets[kSyn] = 1;
  r.counters.tcp_flag_packets[kAck] = 9;
  r.counters.tcp_flag_packets[kPsh] = 3;
  r.attributes.has_ethernet = true;
  r.attributes.source_mac = {0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
  r.attributes.destination_mac = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  r.attributes.mpls_count = 2;
  r.attributes.mpls_labels = {16, 1048575, 0, 0};
  return r;
}

EncoderConfig config(DocumentFormat format = DocumentFormat::kEcs) {
  EncoderConfig c;
  c.format = format;
  c.observer = "probe-1";
  c.capture = "trace.pcap";
  return c;
}

FlowEncoder make_encoder(const EncoderConfig& c) {
  auto encoder = FlowEncoder::create(c);
  EXPECT_TRUE(encoder.ok());
  return std::move(encoder).value();
}

TEST(EncoderFlow, EcsTcpFlowEveryField) {
  FlowEncoder encoder = make_encoder(config());
  document::DocumentBatch batch;
  const FlowRecord r = tcp_record();
  encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.packets, 10u);
  EXPECT_EQ(batch.bytes, 6543u);
  EXPECT_EQ(batch.offsets[0], 0u);

  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  EXPECT_EQ(str(p.action, "/create/_index"), "snapflow-2026.11.23");
  EXPECT_EQ(str(p.action, "/create/_id"), DocumentIdHasher("probe-1", "trace.pcap", kIntervalNs)
                                              .flow(kSnapshotNs, origin_of(r), r.key)
                                              .view());

  const auto& s = p.source;
  EXPECT_EQ(str(s, "/@timestamp"), base::format_rfc3339_ns(kSnapshotNs));
  EXPECT_EQ(str(s, "/event/kind"), "event");
  EXPECT_EQ(str(s, "/event/dataset"), "snapflow.flow");
  EXPECT_EQ(str(s, "/event/start"), base::format_rfc3339_ns(r.counters.first_ts_ns));
  EXPECT_EQ(str(s, "/event/end"), base::format_rfc3339_ns(r.counters.last_ts_ns));
  EXPECT_EQ(num(s, "/event/duration"), 99'000'001u - 1'000u);
  EXPECT_EQ(str(s, "/observer/name"), "probe-1");
  EXPECT_EQ(str(s, "/labels/capture"), "trace.pcap");
  EXPECT_EQ(str(s, "/source/mac"), "00-1A-2B-3C-4D-5E");
  EXPECT_EQ(str(s, "/destination/mac"), "AA-BB-CC-DD-EE-FF");
  EXPECT_EQ(str(s, "/source/ip"), "10.1.2.3");
  EXPECT_EQ(str(s, "/destination/ip"), "192.168.100.200");
  EXPECT_EQ(num(s, "/source/port"), 51000u);
  EXPECT_EQ(num(s, "/destination/port"), 443u);
  EXPECT_EQ(num(s, "/source/packets"), 10u);
  EXPECT_EQ(num(s, "/source/bytes"), 6543u);
  EXPECT_EQ(str(s, "/network/type"), "ipv4");
  EXPECT_EQ(str(s, "/network/transport"), "tcp");
  EXPECT_EQ(str(s, "/network/iana_number"), "6");
  EXPECT_EQ(str(s, "/network/vlan/id"), "100");
  EXPECT_EQ(num(s, "/network/packets"), 10u);
  EXPECT_EQ(num(s, "/network/bytes"), 6543u);
  EXPECT_EQ(str(s, "/network/community_id"), packet::community_id(r.key));
  EXPECT_EQ(str(s, "/network/community_id").substr(0, 2), "1:");
  EXPECT_EQ(num(s, "/snapflow/interval_ns"), 100'000'000u);
  EXPECT_EQ(str(s, "/snapflow/flow_id"), "0123456789abcdef");
  EXPECT_EQ(num(s, "/snapflow/bits_per_second"), 6543u * 8 * 10);
  EXPECT_EQ(num(s, "/snapflow/mpls/labels/0"), 16u);
  EXPECT_EQ(num(s, "/snapflow/mpls/labels/1"), 1048575u);
  EXPECT_FALSE(has(s, "/snapflow/mpls/labels/2"));
  EXPECT_EQ(num(s, "/snapflow/tcp/flags/syn"), 1u);
  EXPECT_EQ(num(s, "/snapflow/tcp/flags/ack"), 9u);
  EXPECT_EQ(num(s, "/snapflow/tcp/flags/psh"), 3u);
  EXPECT_FALSE(has(s, "/snapflow/tcp/flags/fin"));  // only flags seen
  EXPECT_EQ(num(s, "/snapflow/size/min"), 60u);
  EXPECT_EQ(num(s, "/snapflow/size/max"), 1514u);
  // Absent facts are omitted, not written as null or zero.
  EXPECT_FALSE(has(s, "/snapflow/late"));
  EXPECT_FALSE(has(s, "/snapflow/tunnel"));
  EXPECT_FALSE(has(s, "/snapflow/icmp"));
  EXPECT_FALSE(has(s, "/snapflow/other"));
}

TEST(EncoderFlow, EcsIpv6IcmpTunnelLateAndNoCommunityId) {
  EncoderConfig c = config();
  c.community_id = false;
  c.interval_ns = 1'000'000'000;
  c.bulk_form = false;
  FlowEncoder encoder = make_encoder(c);
  FlowRecord r;
  r.key.source = ip("2001:db8::1").bytes;
  r.key.destination = ip("ff02::1:ff00:1").bytes;
  r.key.source_port = 135;  // ICMPv6 type (neighbor solicitation)
  r.key.destination_port = 0;
  r.key.ethertype = 0x86dd;
  r.key.ip_version = 6;
  r.key.ip_protocol = 58;
  r.key.tunnel_type = packet::TunnelType::kVxlan;
  r.key.tunnel_id = 4242;
  r.key.flags = packet::FlowKey::kHasIcmp | packet::FlowKey::kHasTunnelId;
  r.hash = 1;
  // Member by member, not a designated initializer: FlowCounters' member order is the flow
  // table's business (it is laid out for cache lines) and may change.
  r.counters = {};
  r.counters.packets = 3;
  r.counters.bytes = 258;
  r.counters.first_ts_ns = kSnapshotNs;
  r.counters.last_ts_ns = kSnapshotNs;
  r.counters.size_min = 86;
  r.counters.size_max = 86;
  r.counters.late_packets = 1;
  r.counters.late_bytes = 86;
  r.attributes.tunnel_source = ip("172.31.0.1");
  r.attributes.tunnel_destination = ip("172.31.0.2");
  document::DocumentBatch batch;
  batch.bulk_form = false;
  SnapshotTotals one_second = snapshot_at(kSnapshotNs);
  one_second.interval_ns = 1'000'000'000;  // the engine names the interval it cut with
  encoder.encode_flow(one_second, r, batch);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.body.front(), '{');  // plain NDJSON: no action line
  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  const auto& s = p.source;
  EXPECT_EQ(str(s, "/source/ip"), "2001:db8::1");
  EXPECT_EQ(str(s, "/destination/ip"), "ff02::1:ff00:1");
  EXPECT_EQ(str(s, "/network/type"), "ipv6");
  EXPECT_EQ(str(s, "/network/transport"), "ipv6-icmp");
  EXPECT_EQ(str(s, "/network/iana_number"), "58");
  EXPECT_FALSE(has(s, "/network/community_id"));
  EXPECT_FALSE(has(s, "/network/vlan"));
  EXPECT_FALSE(has(s, "/source/port"));
  EXPECT_FALSE(has(s, "/source/mac"));
  EXPECT_EQ(num(s, "/snapflow/icmp/type"), 135u);
  EXPECT_EQ(num(s, "/snapflow/icmp/code"), 0u);
  EXPECT_EQ(num(s, "/snapflow/interval_ns"), 1'000'000'000u);
  EXPECT_EQ(num(s, "/snapflow/bits_per_second"), 258u * 8);
  EXPECT_EQ(num(s, "/snapflow/late/packets"), 1u);
  EXPECT_EQ(num(s, "/snapflow/late/bytes"), 86u);
  EXPECT_EQ(str(s, "/snapflow/tunnel/type"), "vxlan");
  EXPECT_EQ(num(s, "/snapflow/tunnel/vni"), 4242u);
  EXPECT_EQ(str(s, "/snapflow/tunnel/source/ip"), "172.31.0.1");
  EXPECT_EQ(str(s, "/snapflow/tunnel/destination/ip"), "172.31.0.2");
  EXPECT_FALSE(has(s, "/snapflow/tcp"));
  EXPECT_EQ(str(s, "/snapflow/flow_id"), "0000000000000001");
}

TEST(EncoderFlow, EcsNonIpFlowHasMacsAndEthertypeOnly) {
  FlowEncoder encoder = make_encoder(config());
  FlowRecord r;
  r.key.ethertype = 0x88b5;
  r.key.source = {1, 2, 3, 4, 5, 6};
  r.key.destination = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  r.counters.packets = 1;
  r.counters.bytes = 64;
  r.counters.size_min = r.counters.size_max = 64;
  r.attributes.has_ethernet = true;
  r.attributes.source_mac = {1, 2, 3, 4, 5, 6};
  r.attributes.destination_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  document::DocumentBatch batch;
  encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  EXPECT_EQ(str(p.source, "/network/type"), "0x88b5");
  EXPECT_EQ(str(p.source, "/source/mac"), "01-02-03-04-05-06");
  EXPECT_FALSE(has(p.source, "/source/ip"));
  EXPECT_FALSE(has(p.source, "/network/transport"));
  EXPECT_FALSE(has(p.source, "/network/iana_number"));
  EXPECT_FALSE(has(p.source, "/network/community_id"));
  r.key.ethertype = 0x0806;
  encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 1, p));
  EXPECT_EQ(str(p.source, "/network/type"), "arp");
}

TEST(EncoderFlow, DegradedSnapshotsSayTheirIntervalAndResolution) {
  FlowEncoder encoder = make_encoder(config());
  document::DocumentBatch batch;
  SnapshotTotals coarse = snapshot_at(kSnapshotNs);
  coarse.interval_ns = 1'000'000'000;
  coarse.resolution = Resolution::kCoarseTopFlows;
  coarse.top_n = 100;
  const FlowRecord r = tcp_record();
  encoder.encode_flow(coarse, r, batch);
  encoder.encode_totals(coarse, batch);
  encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  EXPECT_EQ(num(p.source, "/snapflow/interval_ns"), 1'000'000'000u);
  EXPECT_EQ(str(p.source, "/snapflow/resolution"), "coarse_top_flows");
  EXPECT_EQ(num(p.source, "/snapflow/bits_per_second"), r.counters.bytes * 8);
  // The id names the interval: the same packets cut at 100 ms are another document.
  DocumentOrigin o = origin_of(r);
  o.interval_ns = 1'000'000'000;
  EXPECT_EQ(
      str(p.action, "/create/_id"),
      DocumentIdHasher("probe-1", "trace.pcap", kIntervalNs).flow(kSnapshotNs, o, r.key).view());
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 1, p));
  EXPECT_EQ(str(p.source, "/snapflow/resolution"), "coarse_top_flows");
  EXPECT_EQ(num(p.source, "/snapflow/interval_ns"), 1'000'000'000u);
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 2, p));
  EXPECT_FALSE(has(p.source, "/snapflow/resolution"));
  EXPECT_EQ(num(p.source, "/snapflow/interval_ns"), uint64_t(kIntervalNs));
}

TEST(EncoderFlow, OtherDocumentFoldsCountsWithoutAddresses) {
  FlowEncoder encoder = make_encoder(config());
  FlowRecord other = tcp_record();
  document::DocumentBatch batch;
  encoder.encode_flow(snapshot_at(kSnapshotNs), tcp_record(), batch);
  encoder.encode_other(snapshot_at(kSnapshotNs), other, 977, batch);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.packets, 20u);  // both are flow documents
  EXPECT_EQ(batch.bytes, 2u * 6543);
  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 1, p));
  EXPECT_EQ(str(p.action, "/create/_id"), DocumentIdHasher("probe-1", "trace.pcap", kIntervalNs)
                                              .other(kSnapshotNs, origin_of(other))
                                              .view());
  EXPECT_TRUE(p.source.at_pointer("/snapflow/other").get_bool().value());
  EXPECT_EQ(num(p.source, "/snapflow/other_flows"), 977u);
  EXPECT_EQ(num(p.source, "/network/packets"), 10u);
  EXPECT_EQ(num(p.source, "/network/bytes"), 6543u);
  EXPECT_EQ(str(p.source, "/event/dataset"), "snapflow.flow");
  EXPECT_FALSE(has(p.source, "/source/ip"));
  EXPECT_FALSE(has(p.source, "/destination"));
  EXPECT_FALSE(has(p.source, "/network/community_id"));
  EXPECT_FALSE(has(p.source, "/snapflow/flow_id"));
}

TEST(EncoderFlow, TotalsAndGapDocumentsDoNotCountPackets) {
  FlowEncoder encoder = make_encoder(config());
  document::DocumentBatch batch;
  SnapshotTotals totals = snapshot_at(kSnapshotNs);
  totals.packets = 1000;
  totals.bytes = 123456;
  totals.flows = 17;
  totals.first_record = 5;
  encoder.encode_totals(totals, batch);
  GapRecord gap;
  gap.start_ns = kSnapshotNs - 5'000'000'000;
  gap.end_ns = kSnapshotNs - 1;
  gap.packets = 777;
  gap.bytes = 88888;
  gap.input = totals.input;
  gap.first_record = 4000;
  encoder.encode_gap(gap, "pcap2json\"1", batch);
  gap.at_resume = true;
  encoder.encode_gap(gap, "c", batch);
  gap.at_resume = false;
  gap.reason = GapReason::kCorrupt;
  encoder.encode_gap(gap, "c", batch);
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch.packets, 0u);
  EXPECT_EQ(batch.bytes, 0u);

  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  EXPECT_EQ(str(p.action, "/create/_id"), DocumentIdHasher("probe-1", "trace.pcap", kIntervalNs)
                                              .totals(kSnapshotNs, {totals.input, 5, 1000, 123456})
                                              .view());
  EXPECT_EQ(str(p.source, "/@timestamp"), base::format_rfc3339_ns(kSnapshotNs));
  EXPECT_EQ(str(p.source, "/event/kind"), "metric");
  EXPECT_EQ(str(p.source, "/event/dataset"), "snapflow.totals");
  EXPECT_EQ(str(p.source, "/observer/name"), "probe-1");
  EXPECT_EQ(num(p.source, "/network/packets"), 1000u);
  EXPECT_EQ(num(p.source, "/network/bytes"), 123456u);
  EXPECT_EQ(num(p.source, "/snapflow/flows"), 17u);
  EXPECT_EQ(num(p.source, "/snapflow/interval_ns"), 100'000'000u);
  EXPECT_EQ(num(p.source, "/snapflow/bits_per_second"), 123456u * 8 * 10);
  EXPECT_EQ(num(p.source, "/snapflow/packets_per_second"), 10000u);

  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 1, p));
  const int64_t gap_start = kSnapshotNs - 5'000'000'000;
  EXPECT_EQ(str(p.action, "/create/_id"),
            DocumentIdHasher("probe-1", "trace.pcap", kIntervalNs)
                .gap(gap_start, kSnapshotNs - 1, {totals.input, 4000, 777, 88888})
                .view());
  EXPECT_EQ(str(p.source, "/@timestamp"), base::format_rfc3339_ns(gap_start));
  EXPECT_EQ(str(p.source, "/event/kind"), "gap");
  EXPECT_EQ(str(p.source, "/event/dataset"), "snapflow.gap");
  EXPECT_EQ(str(p.source, "/event/start"), base::format_rfc3339_ns(gap_start));
  EXPECT_EQ(str(p.source, "/event/end"), base::format_rfc3339_ns(kSnapshotNs - 1));
  EXPECT_EQ(num(p.source, "/network/packets"), 777u);
  EXPECT_EQ(num(p.source, "/network/bytes"), 88888u);
  EXPECT_EQ(str(p.source, "/snapflow/consumer"), "pcap2json\"1");
  EXPECT_EQ(str(p.source, "/snapflow/gap/reason"), "overwritten");
  EXPECT_FALSE(has(p.source, "/snapflow/gap/at_resume"));
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 2, p));
  EXPECT_TRUE(p.source.at_pointer("/snapflow/gap/at_resume").get_bool().value());
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 3, p));
  EXPECT_EQ(str(p.source, "/snapflow/gap/reason"), "corrupt");
  EXPECT_FALSE(has(p.source, "/snapflow/gap/at_resume"));
}

TEST(EncoderFlow, WeirdObserverAndCaptureNamesAreEscaped) {
  EncoderConfig c = config();
  c.observer = "probe \"north\"\\rack\t7\n\x01 caf\xc3\xa9";
  c.capture = std::string("cap\0ture\x7f", 9);
  FlowEncoder encoder = make_encoder(c);
  document::DocumentBatch batch;
  encoder.encode_flow(snapshot_at(kSnapshotNs), tcp_record(), batch);
  encoder.encode_totals(snapshot_at(kSnapshotNs), batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    Parsed p;
    ASSERT_NO_FATAL_FAILURE(parse_document(batch, i, p));
    EXPECT_EQ(str(p.source, "/observer/name"), c.observer);
    EXPECT_EQ(str(p.source, "/labels/capture"), c.capture);
  }
  // Ids hash the raw names, not their escaped text.
  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  EXPECT_EQ(str(p.action, "/create/_id"),
            DocumentIdHasher(c.observer, c.capture, kIntervalNs)
                .flow(kSnapshotNs, origin_of(tcp_record()), tcp_record().key)
                .view());
  // A very long name still fits (the scratch buffer is sized from the config).
  c.observer = std::string(10000, '"');
  FlowEncoder big = make_encoder(c);
  big.encode_flow(snapshot_at(kSnapshotNs), tcp_record(), batch);
  EXPECT_EQ(big.oversize_documents(), 0u);
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 2, p));
  EXPECT_EQ(str(p.source, "/observer/name"), c.observer);
}

TEST(EncoderFlow, FmadioFieldNames) {
  FlowEncoder encoder = make_encoder(config(DocumentFormat::kFmadio));
  document::DocumentBatch batch;
  const FlowRecord r = tcp_record();
  encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  FlowRecord udp = r;
  udp.key.ip_protocol = 17;
  udp.key.source = ip("2001:db8::2").bytes;
  udp.key.destination = ip("2001:db8::3").bytes;
  udp.key.ip_version = 6;
  udp.key.ethertype = 0x86dd;
  encoder.encode_flow(snapshot_at(kSnapshotNs + 100'000'000), udp, batch);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.packets, 30u);

  Parsed p;
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 0, p));
  EXPECT_EQ(str(p.action, "/create/_index"), "snapflow-2026.11.23");
  const auto& s = p.source;
  EXPECT_EQ(num(s, "/timestamp"), static_cast<uint64_t>(kSnapshotNs / 1'000'000));
  EXPECT_EQ(str(s, "/TS"), "23:59:59.900.000.000");
  EXPECT_EQ(num(s, "/FlowCnt"), 0u);
  EXPECT_EQ(str(s, "/Device"), "probe-1");
  EXPECT_EQ(str(s, "/hash"), "0123456789abcdef");
  EXPECT_EQ(num(s, "/TotalPkt"), 10u);
  EXPECT_EQ(num(s, "/TotalByte"), 6543u);
  EXPECT_EQ(num(s, "/TotalBits"), 6543u * 8);
  EXPECT_EQ(str(s, "/MACSrc"), "00:1a:2b:3c:4d:5e");
  EXPECT_EQ(str(s, "/MACDst"), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(str(s, "/MACProto"), "IPv4");
  EXPECT_EQ(num(s, "/VLAN.0"), 100u);
  EXPECT_EQ(num(s, "/MPLS.0.Label"), 16u);
  EXPECT_EQ(num(s, "/MPLS.1.Label"), 1048575u);
  EXPECT_EQ(str(s, "/IPv4.Src"), "10.1.2.3");
  EXPECT_EQ(str(s, "/IPv4.Dst"), "192.168.100.200");
  EXPECT_EQ(str(s, "/IPv4.Proto"), "TCP");
  EXPECT_EQ(num(s, "/TCP.Port.Src"), 51000u);
  EXPECT_EQ(num(s, "/TCP.Port.Dst"), 443u);
  EXPECT_EQ(num(s, "/TCP.SYN"), 1u);
  EXPECT_EQ(num(s, "/TCP.ACK"), 9u);
  EXPECT_EQ(num(s, "/TCP.PSH"), 3u);
  EXPECT_EQ(num(s, "/TCP.FIN"), 0u);
  EXPECT_EQ(num(s, "/TCP.RST"), 0u);

  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 1, p));
  EXPECT_EQ(num(p.source, "/FlowCnt"), 1u);
  ASSERT_NO_FATAL_FAILURE(parse_document(batch, 2, p));
  EXPECT_EQ(num(p.source, "/FlowCnt"), 0u);  // restarts with each snapshot
  EXPECT_EQ(str(p.source, "/TS"), "00:00:00.000.000.000");
  EXPECT_EQ(str(p.action, "/create/_index"), "snapflow-2026.11.24");
  EXPECT_EQ(str(p.source, "/MACProto"), "IPv6");
  EXPECT_EQ(str(p.source, "/IPv6.Src"), "2001:db8::2");
  EXPECT_EQ(str(p.source, "/IPv6.Proto"), "UDP");
  EXPECT_EQ(num(p.source, "/UDP.Port.Src"), 51000u);
  EXPECT_FALSE(has(p.source, "/TCP.SYN"));
}

TEST(EncoderFlow, RejectsInvalidConfig) {
  EncoderConfig c = config();
  c.interval_ns = 0;
  EXPECT_FALSE(FlowEncoder::create(c).ok());
  c = config();
  c.index_prefix = "Bad Prefix";
  auto bad = FlowEncoder::create(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("Bad Prefix"), std::string::npos);
  EXPECT_TRUE(parse_document_format("fmadio").ok());
  EXPECT_FALSE(parse_document_format("json").ok());
}

TEST(EncoderFlow, BatchOffsetsDelimitEveryDocument) {
  FlowEncoder encoder = make_encoder(config());
  document::DocumentBatch batch;
  FlowRecord r = tcp_record();
  for (uint16_t i = 0; i < 100; ++i) {
    r.key.source_port = static_cast<uint16_t>(1000 + i);
    encoder.encode_flow(snapshot_at(kSnapshotNs), r, batch);
  }
  ASSERT_EQ(batch.size(), 100u);
  std::string ids;
  for (size_t i = 0; i < batch.size(); ++i) {
    Parsed p;
    ASSERT_NO_FATAL_FAILURE(parse_document(batch, i, p));
    EXPECT_EQ(num(p.source, "/source/port"), 1000u + i);
  }
  EXPECT_EQ(batch.packets, 1000u);
}

}  // namespace
}  // namespace snapflow::pcap2json
