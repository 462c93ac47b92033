// Document links: the filter built from a flow key keeps exactly the packets with that key,
// checked over generated traffic with every tunnel type, VLANs, IPv6, TCP, UDP and ICMP.
#include "snapflow/filter/pcap_link.h"

#include <map>
#include <string>

#include "filter_test_util.h"
#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/synth/generator.h"

namespace snapflow::filter::testing {
namespace {

struct Packet {
  std::vector<std::byte> bytes;
  packet::FlowKey key;
};

std::vector<Packet> generate(synth::Tunnel tunnel, std::optional<uint16_t> vlan) {
  synth::GeneratorConfig config;
  config.flows = 24;
  config.packets = 400;
  config.ipv6_per_million = 300'000;
  config.icmp_weight = 2;
  config.tunnel = tunnel;
  config.vlan_id = vlan;
  config.seed = 7;
  std::vector<Packet> out;
  auto summary = synth::generate(config, [&](int64_t, std::span<const std::byte> frame) {
    Packet p;
    p.bytes.assign(frame.begin(), frame.end());
    packet::PacketView view;
    packet::decode(frame, kEthernet, view);
    p.key = packet::make_flow_key(view);
    out.push_back(std::move(p));
    return base::ok_status();
  });
  EXPECT_TRUE(summary.ok());
  return out;
}

class FlowFilterTest : public ::testing::TestWithParam<std::pair<synth::Tunnel, bool>> {};

TEST_P(FlowFilterTest, KeepsExactlyTheFlowsPackets) {
  const auto [tunnel, tagged] = GetParam();
  const std::vector<Packet> packets =
      generate(tunnel, tagged ? std::optional<uint16_t>(300) : std::nullopt);
  std::map<std::string, packet::FlowKey> keys;
  for (const Packet& p : packets) {
    keys.emplace(std::string(reinterpret_cast<const char*>(&p.key), sizeof p.key), p.key);
  }
  ASSERT_GE(keys.size(), 10u);
  size_t bpf_flows = 0;
  for (const auto& [bytes, key] : keys) {
    const std::string text = filter_for_flow(key);
    const std::string bpf = bpf_for_flow(key);
    auto fmadio = PacketFilter::compile(text, "", kEthernet, 262144);
    ASSERT_TRUE(fmadio.ok()) << text << ": " << fmadio.error().to_string();
    std::optional<PacketFilter> tcpdump;
    if (!bpf.empty()) {
      auto c = PacketFilter::compile("", bpf, kEthernet, 262144);
      ASSERT_TRUE(c.ok()) << bpf << ": " << c.error().to_string();
      tcpdump.emplace(std::move(*c));
      ++bpf_flows;
    }
    for (const Packet& p : packets) {
      const bool same = p.key == key;
      const auto wire = static_cast<uint32_t>(p.bytes.size());
      EXPECT_EQ(fmadio->matches(0, p.bytes, wire), same) << text;
      if (tcpdump) {
        EXPECT_EQ(tcpdump->matches(0, p.bytes, wire), same) << bpf;
      }
    }
  }
  // Untagged plain traffic is served with BPF, everything else with Filter=.
  if (tunnel == synth::Tunnel::kNone && !tagged) {
    EXPECT_EQ(bpf_flows, keys.size());
  } else {
    EXPECT_EQ(bpf_flows, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryEncapsulation, FlowFilterTest,
                         ::testing::Values(std::pair{synth::Tunnel::kNone, false},
                                           std::pair{synth::Tunnel::kNone, true},
                                           std::pair{synth::Tunnel::kVxlan, false},
                                           std::pair{synth::Tunnel::kVxlan, true},
                                           std::pair{synth::Tunnel::kGeneve, false},
                                           std::pair{synth::Tunnel::kGre, false},
                                           std::pair{synth::Tunnel::kErspan2, false},
                                           std::pair{synth::Tunnel::kErspan3, false},
                                           std::pair{synth::Tunnel::kGtpu, false},
                                           std::pair{synth::Tunnel::kIpip, false}));

TEST(PcapLink, UrlCarriesTheWindowAndTheEncodedFilter) {
  packet::PacketView view;
  const Frame f = tcp4(1234, 80);
  packet::decode(f.bytes, kEthernet, view);
  const packet::FlowKey key = packet::make_flow_key(view);
  EXPECT_EQ(bpf_for_flow(key),
            "ip src 10.0.0.1 and ip dst 192.168.1.7 and tcp src port 1234 and tcp dst port 80");
  EXPECT_EQ(pcap_link({.api_base = "https://probe:8480/",
                       .start_ns = 1700000000000000000,
                       .interval_ns = 100000000,
                       .stream_name = {}},
                      key),
            "https://probe:8480/pcap/splittime?Start=1700000000000000000&Stop=1700000000100000000"
            "&FilterBPF=ip%20src%2010.0.0.1%20and%20ip%20dst%20192.168.1.7%20and%20tcp%20src%20port"
            "%201234%20and%20tcp%20dst%20port%2080");

  const Frame m = vxlan_mirror(64);
  packet::decode(m.bytes, kEthernet, view);
  const packet::FlowKey tunnelled = packet::make_flow_key(view);
  EXPECT_EQ(bpf_for_flow(tunnelled), "");
  EXPECT_EQ(filter_for_flow(tunnelled),
            "tunnel.type==vxlan&tunnel.id==64&inner.ipv4.addr.src==172.31.5.9&inner.ipv4.addr.dst=="
            "172.31.9.1&inner.ip.proto==6&inner.tcp.port.src==443&inner.tcp.port.dst==50000");
  EXPECT_EQ(pcap_link({.api_base = "http://127.0.0.1:8480",
                       .start_ns = 5,
                       .interval_ns = 10,
                       .stream_name = "incident-42"},
                      tunnelled),
            "http://127.0.0.1:8480/pcap/splittime?StreamName=incident-42&Start=5&Stop=15&Filter="
            "tunnel.type%3D%3Dvxlan%26tunnel.id%3D%3D64%26inner.ipv4.addr.src%3D%3D172.31.5.9%26"
            "inner.ipv4.addr.dst%3D%3D172.31.9.1%26inner.ip.proto%3D%3D6%26inner.tcp.port.src%3D"
            "%3D443%26inner.tcp.port.dst%3D%3D50000");
}

TEST(PcapLink, NonIpFlowsUseMacsAndEthertype) {
  const Frame arp =
      frame(FrameBuilder()
                .ethernet(mac("00:ba:be:00:00:01"), mac("ff:ff:ff:ff:ff:ff"))
                .arp_request(mac("00:ba:be:00:00:01"), ip4("10.0.0.1"), ip4("10.0.0.2")));
  packet::PacketView view;
  packet::decode(arp.bytes, kEthernet, view);
  const packet::FlowKey key = packet::make_flow_key(view);
  EXPECT_EQ(bpf_for_flow(key),
            "ether src 00:ba:be:00:00:01 and ether dst ff:ff:ff:ff:ff:ff and ether proto 0x0806");
  EXPECT_EQ(
      filter_for_flow(key),
      "ether.addr.src==00:ba:be:00:00:01&ether.addr.dst==ff:ff:ff:ff:ff:ff&ether.proto==0x0806");
  EXPECT_TRUE(keeps(filter_for_flow(key), arp));
}

TEST(PcapLink, UrlEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(url_encode("a b&c=d|e!(f)/:"), "a%20b%26c%3Dd%7Ce%21%28f%29%2F%3A");
  EXPECT_EQ(url_encode("\xff\x01"), "%FF%01");
}

}  // namespace
}  // namespace snapflow::filter::testing
