// pcap2json's decode stage (decoded_packet.h) gives every packet exactly what the full decoder
// gives, whichever way the packet went: the flow key and hash, IP id, TCP flags, fragment state
// and status, and the descriptive fields (MACs, MPLS labels, tunnel endpoints) a flow's record
// takes. Checked on every packet of the synthetic generator's shapes and on the decoder corpus,
// against packet::decode() run here on its own; so the flow fast path changes no document.
#include "snapflow/pcap2json/decoded_packet.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/synth/generator.h"

namespace snapflow::pcap2json {
namespace {

// What the full decoder says about one frame, as the decode stage's fields.
struct FullDecode {
  packet::DecodeStatus status;
  DecodedPacket packet;
  FlowAttributes attributes;
};

FullDecode full_decode(std::span<const std::byte> frame, uint16_t link,
                       const packet::DecodeOptions& options) {
  packet::PacketView view;
  FullDecode out{packet::decode(frame, link, view, options), {}, {}};
  out.packet.key = packet::make_flow_key(view);
  out.packet.hash = packet::flow_hash(out.packet.key);
  out.packet.ip_id = view.ip_id;
  out.packet.tcp_flags = view.ip_protocol == 6 ? view.tcp_flags : 0;
  out.packet.fragment = !view.is_fragment        ? DecodedPacket::kNotFragment
                        : view.is_first_fragment ? DecodedPacket::kFirstFragment
                                                 : DecodedPacket::kLaterFragment;
  out.attributes.has_ethernet = view.has_ethernet;
  out.attributes.source_mac = view.source_mac;
  out.attributes.destination_mac = view.destination_mac;
  out.attributes.mpls_count = view.mpls_count;
  out.attributes.mpls_labels = view.mpls_labels;
  if (view.tunnel_count > 0) {
    out.attributes.tunnel_source = view.tunnels[0].source;
    out.attributes.tunnel_destination = view.tunnels[0].destination;
  }
  return out;
}

// Frames collected into one PacketBatch, decoded by the stage and compared packet by packet.
class Crosscheck {
 public:
  explicit Crosscheck(uint16_t link) : link_(link) {}

  void add(std::span<const std::byte> frame) { frames_.emplace_back(frame.begin(), frame.end()); }

  // Returns how many packets the fast path took (their attributes stay in the frame).
  size_t run(const packet::DecodeOptions& options, const std::string& what) {
    pcap::PacketBatch batch;
    for (const auto& f : frames_) {
      batch.records.push_back({.ts_ns = 1,
                               .data = f.data(),
                               .captured_length = static_cast<uint32_t>(f.size()),
                               .wire_length = static_cast<uint32_t>(f.size()),
                               .link_type = link_});
    }
    DecodedBatch decoded;
    DecodeStatusCounts counts{};
    decoded.decode(batch, options, counts);
    EXPECT_EQ(decoded.packets.size(), frames_.size());
    DecodeStatusCounts expected_counts{};
    size_t fast = 0;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const DecodedPacket& p = decoded.packets[i];
      const FullDecode want = full_decode(frames_[i], link_, options);
      ++expected_counts[static_cast<size_t>(want.status)];
      const std::string at = what + " packet " + std::to_string(i);
      EXPECT_TRUE(p.key == want.packet.key) << at;
      EXPECT_EQ(p.hash, want.packet.hash) << at;
      EXPECT_EQ(p.ip_id, want.packet.ip_id) << at;
      EXPECT_EQ(p.tcp_flags, want.packet.tcp_flags) << at;
      EXPECT_EQ(p.fragment, want.packet.fragment) << at;
      EXPECT_EQ(p.record_index, i) << at;
      EXPECT_EQ(p.wire_length, frames_[i].size()) << at;
      FlowAttributes got;
      decoded.attributes_of(p, batch, got);
      EXPECT_EQ(got.has_ethernet, want.attributes.has_ethernet) << at;
      EXPECT_EQ(got.source_mac, want.attributes.source_mac) << at;
      EXPECT_EQ(got.destination_mac, want.attributes.destination_mac) << at;
      EXPECT_EQ(got.mpls_count, want.attributes.mpls_count) << at;
      EXPECT_EQ(got.mpls_labels, want.attributes.mpls_labels) << at;
      EXPECT_EQ(got.tunnel_source, want.attributes.tunnel_source) << at;
      EXPECT_EQ(got.tunnel_destination, want.attributes.tunnel_destination) << at;
      fast += p.attributes == kAttributesInFrame ? 1 : 0;
    }
    EXPECT_EQ(counts, expected_counts) << what;
    return fast;
  }

 private:
  uint16_t link_;
  std::vector<std::vector<std::byte>> frames_;
};

const packet::DecodeOptions kOptionSets[] = {
    {}, {.decode_tunnels = false}, {.extra_vxlan_port = 4790}};

TEST(DecodedPacket, EveryGeneratorShapeDecodesAsTheFullDecoder) {
  const synth::Tunnel tunnels[] = {synth::Tunnel::kNone,    synth::Tunnel::kVxlan,
                                   synth::Tunnel::kGeneve,  synth::Tunnel::kGre,
                                   synth::Tunnel::kErspan2, synth::Tunnel::kErspan3,
                                   synth::Tunnel::kGtpu,    synth::Tunnel::kIpip};
  for (const synth::Tunnel tunnel : tunnels) {
    for (const bool vlan : {false, true}) {
      synth::GeneratorConfig config;
      config.flows = 64;
      config.packets = 600;
      config.size_mode = synth::SizeMode::kImix;
      config.ipv6_per_million = 400'000;
      config.icmp_weight = 1;
      config.tunnel = tunnel;
      if (vlan) config.vlan_id = 7;
      Crosscheck check(pcap::kLinkEthernet);
      ASSERT_TRUE(synth::generate(config, [&](int64_t, std::span<const std::byte> frame) {
                    check.add(frame);
                    return base::Status{};
                  }).ok());
      const std::string what =
          "tunnel " + std::to_string(static_cast<int>(tunnel)) + (vlan ? " vlan" : "");
      for (const packet::DecodeOptions& options : kOptionSets) {
        const size_t fast = check.run(options, what);
        // The common shapes take the fast path; every other tunnel goes the full way.
        if (options.decode_tunnels) {
          const bool common = tunnel == synth::Tunnel::kNone || tunnel == synth::Tunnel::kVxlan;
          EXPECT_EQ(fast, common ? config.packets : 0) << what;
        }
      }
    }
  }
}

TEST(DecodedPacket, EveryDecoderCorpusFrameDecodesAsTheFullDecoder) {
  const char* source = std::getenv("SNAPFLOW_SOURCE_DIR");
  const std::filesystem::path dir =
      std::filesystem::path(source != nullptr ? source : ".") / "tests/fuzz/corpus/decode";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  for (const uint16_t link : {uint16_t{1}, uint16_t{101}, uint16_t{113}, uint16_t{276}}) {
    Crosscheck check(link);
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
      const std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(bytes.data()),
                                             bytes.size());
      check.add(frame);
      // Cut short as a snaplen would: every layer boundary and the bytes between.
      for (size_t n = 0; n < frame.size(); ++n) check.add(frame.first(n));
      ++files;
    }
    EXPECT_GE(files, 25u);
    for (const packet::DecodeOptions& options : kOptionSets) {
      check.run(options, "corpus link " + std::to_string(link));
    }
  }
}

}  // namespace
}  // namespace snapflow::pcap2json
