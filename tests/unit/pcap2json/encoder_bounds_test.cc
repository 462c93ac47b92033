// The encoders write documents with an unchecked template writer into a buffer of twice the
// document bound (encoder_support.h: kMaxFixedDocumentBytes = 4096 plus the escaped names).
// These tests build the largest documents the encoders can produce (every optional field,
// every counter at its maximum, the longest address texts and protocol names) and check that
// each stays under half the fixed bound, so the bound has a 2x margin before the buffer's 2x.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstring>
#include <string>

#include "snapflow/pcap2json/flow_encoder.h"
#include "snapflow/pcap2json/packet_encoder.h"

namespace snapflow::pcap2json {
namespace {

constexpr size_t kHalfFixedBound = 2048;

packet::IpAddress longest_ipv6() {
  packet::IpAddress a;
  a.bytes.fill(0xff);
  a.version = 6;
  return a;
}

packet::FlowKey largest_key() {
  packet::FlowKey k;
  k.source.fill(0xff);
  k.destination.fill(0xff);
  k.source_port = k.destination_port = 65535;
  k.ethertype = 0x88b5;
  k.vlan_id = 4095;
  k.tunnel_id = 0xffffff;
  k.ip_version = 6;
  k.ip_protocol = 6;
  k.tunnel_type = packet::TunnelType::kErspan3;
  k.flags = packet::FlowKey::kHasPorts | packet::FlowKey::kHasIcmp | packet::FlowKey::kHasVlan |
            packet::FlowKey::kHasTunnelId;
  return k;
}

FlowRecord largest_record() {
  FlowRecord r;
  r.key = largest_key();
  r.hash = UINT64_MAX;
  r.counters.packets = UINT64_MAX;
  r.counters.bytes = UINT64_MAX;
  r.counters.first_ts_ns = INT64_MIN;
  r.counters.last_ts_ns = INT64_MAX;
  r.counters.size_min = r.counters.size_max = UINT32_MAX;
  r.counters.tcp_flag_packets.fill(UINT32_MAX);
  r.counters.late_packets = UINT32_MAX;
  r.counters.late_bytes = UINT64_MAX;
  r.attributes.has_ethernet = true;
  r.attributes.first_record = UINT64_MAX;
  r.attributes.mpls_count = packet::kMaxMplsLabels;
  r.attributes.mpls_labels.fill(1048575);
  r.attributes.tunnel_source = longest_ipv6();
  r.attributes.tunnel_destination = longest_ipv6();
  return r;
}

EncoderConfig config(DocumentFormat format) {
  EncoderConfig c;
  c.format = format;
  c.observer = "o";
  c.capture = "c";
  c.interval_ns = INT64_MAX;
  return c;
}

void expect_within_bound(const document::DocumentBatch& batch) {
  simdjson::dom::parser parser;
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string_view doc = batch.document(i);
    EXPECT_LE(doc.size(), kHalfFixedBound) << doc;
    // Each line is valid JSON.
    size_t start = 0;
    while (start < doc.size()) {
      const size_t nl = doc.find('\n', start);
      simdjson::dom::element root;
      EXPECT_EQ(parser.parse(std::string(doc.substr(start, nl - start))).get(root),
                simdjson::SUCCESS);
      start = nl + 1;
    }
  }
}

TEST(EncoderBounds, LargestFlowOtherTotalsAndGapDocumentsStayWellInsideTheBound) {
  for (const DocumentFormat format : {DocumentFormat::kEcs, DocumentFormat::kFmadio}) {
    FlowEncoder encoder = std::move(FlowEncoder::create(config(format))).value();
    document::DocumentBatch batch;
    SnapshotTotals snapshot{.start_ns = INT64_MIN,
                            .interval_ns = 1,
                            .packets = UINT64_MAX,
                            .bytes = UINT64_MAX,
                            .flows = UINT64_MAX,
                            .first_record = UINT64_MAX};
    snapshot.input.fill(0xff);
    encoder.encode_flow(snapshot, largest_record(), batch);
    encoder.encode_other(snapshot, largest_record(), UINT64_MAX, batch);
    encoder.encode_totals(snapshot, batch);
    GapRecord gap{.start_ns = INT64_MIN,
                  .end_ns = INT64_MAX,
                  .packets = UINT64_MAX,
                  .bytes = UINT64_MAX,
                  .first_record = UINT64_MAX,
                  .at_resume = true};
    encoder.encode_gap(gap, std::string(1000, '\x01'), batch);
    EXPECT_EQ(batch.size(), 4u);
    EXPECT_EQ(encoder.oversize_documents(), 0u);
    expect_within_bound(batch);
  }
}

TEST(EncoderBounds, LargestPacketDocumentsStayWellInsideTheBound) {
  packet::PacketView view;
  view.status = packet::DecodeStatus::kUnsupportedLinkType;  // the longest status name
  view.has_ethernet = true;
  view.vlan_count = 2;
  view.vlan_ids = {4095, 4095};
  view.mpls_count = packet::kMaxMplsLabels;
  view.mpls_labels.fill(1048575);
  view.source_ip = view.destination_ip = longest_ipv6();
  view.ip_protocol = 6;
  view.ttl = 255;
  view.ip_id = UINT32_MAX;
  view.is_fragment = true;
  view.has_ports = true;
  view.tcp_flags = 0xff;
  view.tunnel_count = 1;
  view.tunnels[0] = {.type = packet::TunnelType::kErspan3,
                     .id = UINT32_MAX,
                     .has_id = true,
                     .source = longest_ipv6(),
                     .destination = longest_ipv6()};
  const packet::FlowKey key = largest_key();
  for (const DocumentFormat format : {DocumentFormat::kEcs, DocumentFormat::kFmadio}) {
    PacketEncoder encoder = std::move(PacketEncoder::create(config(format))).value();
    document::DocumentBatch batch;
    encoder.encode({.ts_ns = INT64_MIN,
                    .record_number = UINT64_MAX,
                    .wire_length = UINT32_MAX,
                    .captured_length = UINT32_MAX,
                    .view = &view,
                    .key = &key},
                   batch);
    EXPECT_EQ(batch.size(), 1u);
    EXPECT_EQ(encoder.oversize_documents(), 0u);
    expect_within_bound(batch);
  }
}

}  // namespace
}  // namespace snapflow::pcap2json
