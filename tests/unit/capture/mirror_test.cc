// The mirror target's packet classification (VXLAN / Geneve over IPv4 and IPv6, VLAN-tagged
// outer frames, malformed and foreign packets) and MirrorSource's per-session counting, outer
// and inner storage, and filtering, over batches from a replayed capture file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "mirror_decap.h"
#include "mirror_source.h"
#include "snapflow/pcap/writer.h"
#include "snapflow/synth/frame_builder.h"

namespace snapflow::capture {
namespace {

using synth::FrameBuilder;
using synth::ip4;
using synth::ip6;
using synth::mac;

std::vector<std::byte> inner_frame() {
  return FrameBuilder()
      .ethernet(mac("02:00:00:00:01:01"), mac("02:00:00:00:01:02"))
      .ipv4(ip4("192.168.1.10"), ip4("192.168.1.20"))
      .tcp(40000, 443)
      .payload(100)
      .build();
}

FrameBuilder outer_v4() {
  FrameBuilder b;
  b.ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
      .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"));
  return b;
}

TEST(MirrorDecap, RecognisesVxlanAndGeneveAndFindsTheInnerFrame) {
  const auto inner = inner_frame();
  auto vxlan = outer_v4().udp(51000, 4789).vxlan(64).raw_bytes(inner).build();
  MirrorPacket m;
  ASSERT_EQ(classify_mirror(vxlan.data(), vxlan.size(), 4789, 6081, m), MirrorVerdict::kMirror);
  EXPECT_EQ(m.kind, MirrorKind::kVxlan);
  EXPECT_EQ(m.vni, 64u);
  EXPECT_EQ(m.inner_offset, 50u);
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), vxlan.begin() + m.inner_offset));

  auto geneve = FrameBuilder()
                    .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                    .vlan(7)
                    .ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
                    .udp(51000, 6081)
                    .geneve(0xabcdef, std::vector<std::byte>(8, std::byte{0}))
                    .next_protocol(0x6558)
                    .raw_bytes(inner)
                    .build();
  ASSERT_EQ(classify_mirror(geneve.data(), geneve.size(), 4789, 6081, m), MirrorVerdict::kMirror);
  EXPECT_EQ(m.kind, MirrorKind::kGeneve);
  EXPECT_EQ(m.vni, 0xabcdefu);
  EXPECT_EQ(m.inner_offset, 14u + 4 + 40 + 8 + 8 + 8);
  EXPECT_EQ(m.inner_ethertype, 0);

  // Only the configured ports; a VXLAN header without the I flag is malformed.
  EXPECT_EQ(classify_mirror(vxlan.data(), vxlan.size(), 0, 6081, m), MirrorVerdict::kNotMirror);
  auto no_flag = outer_v4().udp(51000, 4789).vxlan(64, 0x00).raw_bytes(inner).build();
  EXPECT_EQ(classify_mirror(no_flag.data(), no_flag.size(), 4789, 0, m), MirrorVerdict::kMalformed);
  auto dns = outer_v4().udp(5353, 53).payload(30).build();
  EXPECT_EQ(classify_mirror(dns.data(), dns.size(), 4789, 6081, m), MirrorVerdict::kNotMirror);
  auto arp = FrameBuilder()
                 .ethernet(mac("02:00:00:00:00:01"), mac("ff:ff:ff:ff:ff:ff"))
                 .arp_request(mac("02:00:00:00:00:01"), ip4("10.0.0.1"), ip4("10.0.0.2"))
                 .build();
  EXPECT_EQ(classify_mirror(arp.data(), arp.size(), 4789, 6081, m), MirrorVerdict::kNotMirror);
  // Cut inside the VXLAN header: malformed, never read past the end.
  EXPECT_EQ(classify_mirror(vxlan.data(), 46, 4789, 6081, m), MirrorVerdict::kMalformed);
}

// Replays prepared frames as one batch (what a pcap: or dpdk source would deliver).
class FrameSource final : public PacketSource {
 public:
  explicit FrameSource(std::vector<std::vector<std::byte>> frames) : frames_(std::move(frames)) {}
  base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t) override {
    batch.clear();
    if (done_) return size_t{0};
    done_ = true;
    size_t used = 0;
    for (const auto& f : frames_) {
      std::memcpy(batch.storage.data() + used, f.data(), f.size());
      pcap::PacketRecord& r = batch.records.emplace_back();
      r.ts_ns = 1;
      r.data = batch.storage.data() + used;
      r.captured_length = r.wire_length = static_cast<uint32_t>(f.size());
      used += f.size();
    }
    return batch.records.size();
  }
  SourceStats stats() override { return {}; }
  LinkInfo link() override { return {}; }
  void request_stop() override {}
  const std::string& name() const override { return name_; }
  uint16_t link_type() const override { return pcap::kLinkEthernet; }

 private:
  std::vector<std::vector<std::byte>> frames_;
  bool done_ = false;
  std::string name_ = "frames";
};

TEST(MirrorSource, CountsPerSessionAndStoresOuterOrInner) {
  const auto inner = inner_frame();
  auto v64 = outer_v4().udp(51000, 4789).vxlan(64).raw_bytes(inner).build();
  auto v99 = outer_v4().udp(51000, 4789).vxlan(99).raw_bytes(inner).build();
  // Geneve carrying an IP packet (Gateway Load Balancer): protocol type 0x0800.
  std::vector<std::byte> ip_only(inner.begin() + 14, inner.end());
  auto gwlb =
      outer_v4().udp(51000, 6081).geneve(64).next_protocol(0x0800).raw_bytes(ip_only).build();
  auto dns = outer_v4().udp(5353, 53).payload(30).build();
  base::Logger log("test", base::LogLevel::kError);

  for (MirrorStore store : {MirrorStore::kOuter, MirrorStore::kInner}) {
    MirrorConfig config;
    config.vxlan_port = 4789;
    config.geneve_port = 6081;
    config.sessions = {{64, "web"}};
    config.store = store;
    auto source = MirrorSource::wrap(
        std::make_unique<FrameSource>(std::vector<std::vector<std::byte>>{v64, dns, v99, gwlb}),
        config, /*sink=*/false, log);
    ASSERT_TRUE(source.ok());
    pcap::PacketBatch batch;
    prepare_batch(batch);
    auto n = (*source)->next_batch(batch, 0);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, 3u) << "the DNS packet is not mirror traffic and is not stored";
    const auto& sessions = (*source)->sessions();
    EXPECT_EQ(sessions[0]->name, "web");
    EXPECT_EQ(sessions[0]->packets.get(), 2u);
    EXPECT_EQ(sessions[0]->bytes.get(), v64.size() + gwlb.size());
    EXPECT_EQ(sessions[1]->name, "other");
    EXPECT_EQ(sessions[1]->packets.get(), 1u);
    EXPECT_EQ((*source)->verdicts(MirrorVerdict::kNotMirror), 1u);
    if (store == MirrorStore::kOuter) {
      EXPECT_EQ(batch.records[0].captured_length, v64.size());
      EXPECT_TRUE(std::equal(v64.begin(), v64.end(), batch.records[0].data));
    } else {
      // The mirrored frame itself; the Geneve IP payload gets the outer frame's MACs.
      ASSERT_EQ(batch.records[0].captured_length, inner.size());
      EXPECT_TRUE(std::equal(inner.begin(), inner.end(), batch.records[0].data));
      EXPECT_EQ(batch.records[0].wire_length, inner.size());
      const auto& g = batch.records[2];
      ASSERT_EQ(g.captured_length, 14 + ip_only.size());
      EXPECT_TRUE(std::equal(gwlb.begin(), gwlb.begin() + 12, g.data));
      EXPECT_EQ(g.data[12], std::byte{0x08});
      EXPECT_EQ(g.data[13], std::byte{0x00});
      EXPECT_TRUE(std::equal(ip_only.begin(), ip_only.end(), g.data + 14));
    }
  }
  // --mirror-other=keep stores the rest too (still counted apart).
  MirrorConfig keep;
  keep.vxlan_port = 4789;
  keep.keep_other = true;
  auto source = MirrorSource::wrap(
      std::make_unique<FrameSource>(std::vector<std::vector<std::byte>>{v64, dns}), keep, false,
      log);
  pcap::PacketBatch batch;
  prepare_batch(batch);
  EXPECT_EQ(*(*source)->next_batch(batch, 0), 2u);
  EXPECT_EQ((*source)->verdicts(MirrorVerdict::kNotMirror), 1u);
}

}  // namespace
}  // namespace snapflow::capture
