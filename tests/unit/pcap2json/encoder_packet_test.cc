// PacketEncoder (--json-packet): documents parsed back with simdjson, fields compared with the
// PacketView/FlowKey inputs, in ECS and fmadio form.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "snapflow/base/time.h"
#include "snapflow/pcap2json/packet_encoder.h"

namespace snapflow::pcap2json {
namespace {

constexpr int64_t kTs = 1'795'478'399'912'345'678;  // 2026-11-23T23:59:59.912345678Z

std::string str(simdjson::dom::element root, const char* pointer) {
  std::string_view v;
  EXPECT_EQ(root.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
  return std::string(v);
}
uint64_t num(simdjson::dom::element root, const char* pointer) {
  uint64_t v = 0;
  EXPECT_EQ(root.at_pointer(pointer).get(v), simdjson::SUCCESS) << pointer;
  return v;
}
bool has(simdjson::dom::element root, const char* pointer) {
  return root.at_pointer(pointer).error() == simdjson::SUCCESS;
}

packet::IpAddress v4(const char* text) {
  packet::IpAddress a;
  EXPECT_EQ(inet_pton(AF_INET, text, a.bytes.data()), 1);
  a.version = 4;
  return a;
}

// A VXLAN-mirrored TCP SYN+ACK inside QinQ and one MPLS label.
struct Sample {
  packet::PacketView view;
  packet::FlowKey key;
  Sample() {
    view.has_ethernet = true;
    view.source_mac = {0x02, 0, 0, 0, 0, 1};
    view.destination_mac = {0x02, 0, 0, 0, 0, 2};
    view.vlan_count = 2;
    view.vlan_ids = {10, 20};
    view.mpls_count = 1;
    view.mpls_labels = {299776, 0, 0, 0};
    view.ethertype = 0x0800;
    view.source_ip = v4("10.0.0.1");
    view.destination_ip = v4("10.0.0.2");
    view.ip_protocol = 6;
    view.ttl = 63;
    view.ip_id = 4321;
    view.has_ports = true;
    view.source_port = 80;
    view.destination_port = 33000;
    view.tcp_flags = 0x12;  // SYN ACK
    view.l4_offset = 100;
    view.tunnel_count = 1;
    view.tunnels[0] = {.type = packet::TunnelType::kVxlan,
                       .id = 77,
                       .has_id = true,
                       .source = v4("172.16.0.1"),
                       .destination = v4("172.16.0.2")};
    key.source = view.source_ip.bytes;
    key.destination = view.destination_ip.bytes;
    key.source_port = 80;
    key.destination_port = 33000;
    key.ethertype = 0x0800;
    key.vlan_id = 10;
    key.tunnel_id = 77;
    key.ip_version = 4;
    key.ip_protocol = 6;
    key.tunnel_type = packet::TunnelType::kVxlan;
    key.flags =
        packet::FlowKey::kHasPorts | packet::FlowKey::kHasVlan | packet::FlowKey::kHasTunnelId;
  }
  PacketFields fields(uint64_t record) const {
    return {.ts_ns = kTs,
            .record_number = record,
            .wire_length = 1500,
            .captured_length = 128,
            .view = &view,
            .key = &key};
  }
};

PacketEncoder make_encoder(DocumentFormat format) {
  EncoderConfig c;
  c.format = format;
  c.observer = "probe";
  c.capture = "live";
  auto encoder = PacketEncoder::create(c);
  EXPECT_TRUE(encoder.ok());
  return std::move(encoder).value();
}

void parse(const document::DocumentBatch& batch, size_t i, simdjson::dom::parser& ap,
           simdjson::dom::parser& sp, simdjson::dom::element& action,
           simdjson::dom::element& source) {
  const std::string_view doc = batch.document(i);
  const size_t nl = doc.find('\n');
  ASSERT_NE(nl, std::string_view::npos);
  ASSERT_EQ(ap.parse(std::string(doc.substr(0, nl))).get(action), simdjson::SUCCESS);
  ASSERT_EQ(doc.back(), '\n');
  ASSERT_EQ(sp.parse(std::string(doc.substr(nl + 1, doc.size() - nl - 2))).get(source),
            simdjson::SUCCESS);
}

TEST(EncoderPacket, EcsPacketDocumentEveryField) {
  PacketEncoder encoder = make_encoder(DocumentFormat::kEcs);
  const Sample sample;
  document::DocumentBatch batch;
  encoder.encode(sample.fields(42), batch);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.packets, 1u);
  EXPECT_EQ(batch.bytes, 1500u);

  simdjson::dom::parser ap, sp;
  simdjson::dom::element action, s;
  ASSERT_NO_FATAL_FAILURE(parse(batch, 0, ap, sp, action, s));
  EXPECT_EQ(str(action, "/create/_index"), "snapflow-packets-2026.11.23");
  // No input set: the id still names the packet by its record number and length.
  EXPECT_EQ(str(action, "/create/_id"),
            DocumentIdHasher("probe", "live", 100'000'000).packet(kTs, {{}, 42, 1, 1500}).view());
  EXPECT_EQ(str(s, "/@timestamp"), "2026-11-23T23:59:59.912345678Z");
  EXPECT_EQ(str(s, "/event/kind"), "event");
  EXPECT_EQ(str(s, "/event/dataset"), "snapflow.packet");
  EXPECT_EQ(str(s, "/observer/name"), "probe");
  EXPECT_EQ(str(s, "/labels/capture"), "live");
  EXPECT_EQ(num(s, "/snapflow/record"), 42u);
  EXPECT_EQ(num(s, "/network/bytes"), 1500u);
  EXPECT_EQ(num(s, "/snapflow/captured_length"), 128u);
  EXPECT_EQ(str(s, "/source/mac"), "02-00-00-00-00-01");
  EXPECT_EQ(str(s, "/destination/mac"), "02-00-00-00-00-02");
  EXPECT_EQ(str(s, "/network/vlan/id"), "10");
  EXPECT_EQ(num(s, "/snapflow/vlan/inner_id"), 20u);
  EXPECT_EQ(num(s, "/snapflow/mpls/labels/0"), 299776u);
  EXPECT_EQ(str(s, "/network/type"), "ipv4");
  EXPECT_EQ(str(s, "/source/ip"), "10.0.0.1");
  EXPECT_EQ(str(s, "/destination/ip"), "10.0.0.2");
  EXPECT_EQ(num(s, "/source/port"), 80u);
  EXPECT_EQ(num(s, "/destination/port"), 33000u);
  EXPECT_EQ(str(s, "/network/transport"), "tcp");
  EXPECT_EQ(str(s, "/network/iana_number"), "6");
  EXPECT_EQ(str(s, "/network/community_id"), packet::community_id(sample.key));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(packet::flow_hash(sample.key)));
  EXPECT_EQ(str(s, "/snapflow/flow_id"), hex);
  EXPECT_EQ(num(s, "/snapflow/ip/ttl"), 63u);
  EXPECT_EQ(num(s, "/snapflow/ip/id"), 4321u);
  EXPECT_FALSE(s.at_pointer("/snapflow/ip/fragment").get_bool().value());
  EXPECT_EQ(str(s, "/snapflow/tcp/flags/names/0"), "syn");
  EXPECT_EQ(str(s, "/snapflow/tcp/flags/names/1"), "ack");
  EXPECT_FALSE(has(s, "/snapflow/tcp/flags/names/2"));
  EXPECT_EQ(str(s, "/snapflow/tunnel/type"), "vxlan");
  EXPECT_EQ(num(s, "/snapflow/tunnel/vni"), 77u);
  EXPECT_EQ(str(s, "/snapflow/tunnel/source/ip"), "172.16.0.1");
  EXPECT_EQ(str(s, "/snapflow/tunnel/destination/ip"), "172.16.0.2");
  EXPECT_FALSE(has(s, "/snapflow/decode"));  // present only when not ok
}

TEST(EncoderPacket, DecodeErrorsAndTruncatedPackets) {
  PacketEncoder encoder = make_encoder(DocumentFormat::kEcs);
  packet::PacketView view;
  view.status = packet::DecodeStatus::kTruncatedIp;
  view.has_ethernet = true;
  view.ethertype = 0x0800;
  packet::FlowKey key;
  key.ethertype = 0x0800;
  document::DocumentBatch batch;
  encoder.encode({.ts_ns = kTs,
                  .record_number = 7,
                  .wire_length = 20,
                  .captured_length = 20,
                  .view = &view,
                  .key = &key},
                 batch);
  simdjson::dom::parser ap, sp;
  simdjson::dom::element action, s;
  ASSERT_NO_FATAL_FAILURE(parse(batch, 0, ap, sp, action, s));
  EXPECT_EQ(str(s, "/snapflow/decode/status"), packet::to_string(view.status));
  EXPECT_EQ(str(s, "/network/type"), "ipv4");
  EXPECT_FALSE(has(s, "/source/ip"));
  EXPECT_FALSE(has(s, "/snapflow/ip"));
  EXPECT_FALSE(has(s, "/snapflow/tcp"));
  EXPECT_FALSE(has(s, "/network/community_id"));
}

TEST(EncoderPacket, FmadioPacketDocument) {
  PacketEncoder encoder = make_encoder(DocumentFormat::kFmadio);
  const Sample sample;
  document::DocumentBatch batch;
  encoder.encode(sample.fields(1), batch);
  simdjson::dom::parser ap, sp;
  simdjson::dom::element action, s;
  ASSERT_NO_FATAL_FAILURE(parse(batch, 0, ap, sp, action, s));
  EXPECT_EQ(num(s, "/timestamp"), static_cast<uint64_t>(kTs / 1'000'000));
  EXPECT_EQ(str(s, "/TS"), "23:59:59.912.345.678");
  EXPECT_EQ(str(s, "/Device"), "probe");
  EXPECT_EQ(num(s, "/TotalPkt"), 1u);
  EXPECT_EQ(num(s, "/TotalByte"), 1500u);
  EXPECT_EQ(num(s, "/TotalBits"), 12000u);
  EXPECT_EQ(str(s, "/MACSrc"), "02:00:00:00:00:01");
  EXPECT_EQ(num(s, "/VLAN.0"), 10u);
  EXPECT_EQ(num(s, "/VLAN.1"), 20u);
  EXPECT_EQ(num(s, "/MPLS.0.Label"), 299776u);
  EXPECT_EQ(str(s, "/IPv4.Src"), "10.0.0.1");
  EXPECT_EQ(str(s, "/IPv4.Proto"), "TCP");
  EXPECT_EQ(num(s, "/TCP.SYN"), 1u);
  EXPECT_EQ(num(s, "/TCP.ACK"), 1u);
  EXPECT_EQ(num(s, "/TCP.FIN"), 0u);
  EXPECT_EQ(num(s, "/TCP.Port.Src"), 80u);
}

}  // namespace
}  // namespace snapflow::pcap2json
