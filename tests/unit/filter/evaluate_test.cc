// Evaluation of fmadio filters against frames built layer by layer: every field, every
// operator, outer vs inner headers of tunnels, and boolean structure.
#include "filter_test_util.h"

namespace snapflow::filter::testing {
namespace {

TEST(FilterEvaluate, EthernetFields) {
  const Frame f = tcp4();
  EXPECT_TRUE(keeps("ether.proto==ipv4", f));
  EXPECT_TRUE(keeps("ether.proto==0x0800", f));
  EXPECT_FALSE(keeps("ether.proto==ipv6", f));
  EXPECT_TRUE(keeps("ether.addr==02:00:00:00:00:02", f));
  EXPECT_TRUE(keeps("ether.addr==02:00:*", f));
  EXPECT_TRUE(keeps("ether.addr.src==02:00:00:00:00:01", f));
  EXPECT_FALSE(keeps("ether.addr.dst==02:00:00:00:00:01", f));
  EXPECT_TRUE(keeps("ether.addr==*:*:*:*:*:02", f));
  EXPECT_FALSE(keeps("ether.addr==00:ba:be:*", f));
  EXPECT_TRUE(keeps("ether.addr!=00:ba:be:*", f));
  EXPECT_FALSE(keeps("ether.addr!=02:00:00:00:00:01", f));  // one of the two matches
  const Frame arp =
      frame(FrameBuilder()
                .ethernet(mac("00:ba:be:00:00:01"), mac("ff:ff:ff:ff:ff:ff"))
                .arp_request(mac("00:ba:be:00:00:01"), ip4("10.0.0.1"), ip4("10.0.0.2")));
  EXPECT_TRUE(keeps("ether.proto==arp", arp));
  EXPECT_TRUE(keeps("ether.addr.src==00:ba:be:*", arp));
  EXPECT_FALSE(keeps("ipv4.addr==10.0.0.0/8", arp));  // ARP carries no IP header
  EXPECT_FALSE(keeps("ipv4.addr!=10.0.0.0/8", arp));  // != needs the field
}

TEST(FilterEvaluate, VlanIsTheOutermostTag) {
  const Frame qinq = frame(FrameBuilder()
                               .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                               .vlan(1234, 0x88a8)
                               .vlan(7)
                               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                               .udp(1, 3000));
  EXPECT_TRUE(keeps("vlan.id==1234", qinq));
  EXPECT_FALSE(keeps("vlan.id==7", qinq));
  EXPECT_TRUE(keeps("vlan.id==1000-2000", qinq));
  EXPECT_TRUE(keeps("ether.proto==ipv4 & udp.port==3000", qinq));  // after the tags
  EXPECT_FALSE(keeps("vlan.id==1234", tcp4()));
  EXPECT_FALSE(keeps("vlan.id!=1234", tcp4()));
}

TEST(FilterEvaluate, AddressesAndPrefixes) {
  const Frame f = tcp4();
  EXPECT_TRUE(keeps("ipv4.addr==192.168.1.0/24", f));
  EXPECT_TRUE(keeps("ipv4.addr==192.168.1.99/24", f));  // host bits ignored
  EXPECT_TRUE(keeps("ipv4.addr.src==10.0.0.1", f));
  EXPECT_FALSE(keeps("ipv4.addr.src==192.168.1.7", f));
  EXPECT_TRUE(keeps("ipv4.addr.dst==192.168.1.7/32", f));
  EXPECT_TRUE(keeps("ipv4.addr==0.0.0.0/0", f));
  EXPECT_TRUE(keeps("ipv4.addr.src==172.16.0.0/12,10.0.0.0/8", f));
  EXPECT_FALSE(keeps("ipv6.addr==::/0", f));
  const Frame v6 = frame(FrameBuilder()
                             .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                             .ipv6(ip6("2001:db8:1::5"), ip6("fd00::1"))
                             .udp(5353, 5353));
  EXPECT_TRUE(keeps("ipv6.addr==2001:db8::/32", v6));
  EXPECT_TRUE(keeps("ipv6.addr.dst==fd00::/8", v6));
  EXPECT_FALSE(keeps("ipv6.addr.dst==2001:db8::/32", v6));
  EXPECT_TRUE(keeps("ipv6.addr.src==2001:db8:1::5/128", v6));
  EXPECT_TRUE(keeps("ipv6.addr.src==2001:db8:1::4/127", v6));
  EXPECT_FALSE(keeps("ipv6.addr.src==2001:db8:1::6/127", v6));
  EXPECT_TRUE(keeps("ipv6.addr.src==2001:db8:1::4/126", v6));
  EXPECT_FALSE(keeps("ipv4.addr==0.0.0.0/0", v6));
  EXPECT_TRUE(keeps("ether.proto==ipv6 & ipv6.proto==udp & ip.proto==17", v6));
  EXPECT_FALSE(keeps("ipv4.proto==udp", v6));
}

TEST(FilterEvaluate, ProtocolsPortsAndOperators) {
  const Frame f = tcp4(1234, 80);
  EXPECT_TRUE(keeps("ipv4.proto==tcp", f));
  EXPECT_TRUE(keeps("ipv4.proto==udp,tcp", f));
  EXPECT_TRUE(keeps("ip.proto==6", f));
  EXPECT_FALSE(keeps("ipv4.proto==icmp", f));
  EXPECT_TRUE(keeps("tcp.port==80", f));
  EXPECT_TRUE(keeps("tcp.port==1000-2000", f));
  EXPECT_TRUE(keeps("tcp.port.src==1234", f));
  EXPECT_FALSE(keeps("tcp.port.dst==1234", f));
  EXPECT_FALSE(keeps("udp.port==80", f));
  EXPECT_TRUE(keeps("tcp.port<100", f));
  EXPECT_TRUE(keeps("tcp.port<=80", f));
  EXPECT_FALSE(keeps("tcp.port<80", f));
  EXPECT_TRUE(keeps("tcp.port>1233", f));
  EXPECT_FALSE(keeps("tcp.port>1234", f));
  EXPECT_TRUE(keeps("tcp.port>=1234", f));
  EXPECT_FALSE(keeps("tcp.port!=80", f));  // tshark's "all differ"
  EXPECT_TRUE(keeps("tcp.port!=443", f));
  EXPECT_TRUE(keeps("!tcp.port==443", f));
  EXPECT_FALSE(keeps("udp.port!=443", f));  // no UDP header
  EXPECT_TRUE(keeps("!udp.port==443", f));
  const Frame icmp = frame(FrameBuilder()
                               .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                               .icmp(8, 0, 1, 1));
  EXPECT_TRUE(keeps("ipv4.proto==icmp & icmp.type==8 & icmp.code==0", icmp));
  EXPECT_FALSE(keeps("tcp.port==0", icmp));
  const Frame igmp = frame(FrameBuilder()
                               .ethernet(mac("02:00:00:00:00:01"), mac("01:00:5e:00:00:01"))
                               .ipv4(ip4("10.0.0.1"), ip4("224.0.0.1"))
                               .next_protocol(2)
                               .payload(8));
  EXPECT_TRUE(keeps("ipv4.proto==igmp", igmp));
  const Frame sctp = frame(FrameBuilder()
                               .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                               .sctp(36412, 36412));
  EXPECT_TRUE(keeps("sctp.port==36412 & ip.proto==sctp", sctp));
  EXPECT_FALSE(keeps("tcp.port==36412", sctp));
}

TEST(FilterEvaluate, FrameSizeAndTime) {
  Frame f = tcp4();
  f.wire = 128;
  EXPECT_TRUE(keeps("frame.size<=128", f));
  EXPECT_FALSE(keeps("frame.size<128", f));
  EXPECT_TRUE(keeps("frame.size==64-128", f));
  EXPECT_TRUE(keeps("frame.size>=128 & frame.size<=128", f));
  EXPECT_FALSE(keeps("frame.size>128", f));
  EXPECT_TRUE(keeps("frame.time==20141225_08:00:00.100.200.300", f));
  EXPECT_TRUE(keeps("frame.time==20141225_08:00:00.100.200.300-20141225_08:00:01", f));
  // Ranges are half-open: the end itself is outside.
  EXPECT_FALSE(keeps("frame.time==20141225_08:00:00-20141225_08:00:00.100.200.300", f));
  EXPECT_TRUE(keeps("frame.time==20141225_08:00:00-20141225_08:00:00.100.200.301", f));
  EXPECT_TRUE(keeps("frame.time>=1419494400100200300", f));
  EXPECT_FALSE(keeps("frame.time>1419494400100200300ULL", f));
  EXPECT_TRUE(keeps("frame.time<2014-12-25T08:00:00.100200301Z", f));
  EXPECT_FALSE(keeps("frame.time==2014-12-25T08:00:01Z-2014-12-25T10:00:00+01:00", f));
  EXPECT_TRUE(keeps("frame.time==2014-12-25T08:00:00Z-2014-12-25T10:00:00+01:00", f));
}

TEST(FilterEvaluate, OuterByDefaultInnerWithThePrefix) {
  const Frame f = vxlan_mirror(64);
  // Outer headers: the mirror session.
  EXPECT_TRUE(keeps("ipv4.addr.src==10.254.0.1", f));
  EXPECT_TRUE(keeps("udp.port.dst==4789", f));
  EXPECT_TRUE(keeps("ipv4.proto==udp", f));
  EXPECT_FALSE(keeps("tcp.port==443", f));
  EXPECT_TRUE(keeps("ether.addr.src==02:0a:00:00:00:01", f));
  // Inner headers: the mirrored VM's traffic.
  EXPECT_TRUE(keeps("inner.ipv4.addr.src==172.31.5.9", f));
  EXPECT_TRUE(keeps("inner.ipv4.addr==172.31.0.0/16", f));
  EXPECT_FALSE(keeps("inner.ipv4.addr==10.254.0.0/16", f));
  EXPECT_TRUE(keeps("inner.tcp.port.src==443", f));
  EXPECT_TRUE(keeps("inner.ip.proto==tcp", f));
  EXPECT_TRUE(keeps("inner.ether.addr.dst==0a:00:00:00:00:02", f));
  EXPECT_TRUE(keeps("inner.ether.proto==ipv4", f));
  EXPECT_FALSE(keeps("inner.udp.port==4789", f));
  EXPECT_TRUE(keeps("vxlan.vni==64", f));
  EXPECT_FALSE(keeps("vxlan.vni==65", f));
  EXPECT_FALSE(keeps("geneve.vni==64", f));
  EXPECT_TRUE(keeps("tunnel.type==vxlan & tunnel.id==64", f));
  // inner.* never matches an untunnelled packet, whatever it carries.
  EXPECT_FALSE(keeps("inner.ipv4.addr==0.0.0.0/0", tcp4()));
  EXPECT_FALSE(keeps("inner.ether.addr==*", tcp4()));
  EXPECT_FALSE(keeps("tunnel.type==vxlan", tcp4()));
  // IP-in-IP has no inner Ethernet: inner.ether.* does not fall back to the outer frame.
  const Frame ipip = frame(FrameBuilder()
                               .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                               .ipv4(ip4("10.254.0.1"), ip4("10.254.255.10"))
                               .ipv4(ip4("172.31.5.9"), ip4("172.31.9.1"))
                               .udp(53, 53));
  EXPECT_TRUE(keeps("inner.udp.port==53 & ipv4.proto==ipip & tunnel.type==ipip", ipip));
  EXPECT_FALSE(keeps("inner.ether.addr==*", ipip));
  EXPECT_TRUE(keeps("ether.addr==*", ipip));
}

TEST(FilterEvaluate, BooleanStructure) {
  const Frame tcp = tcp4(1234, 80);
  const Frame udp5000 = frame(FrameBuilder()
                                  .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                                  .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                                  .udp(1, 5000));
  const Frame udp53 = frame(FrameBuilder()
                                .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                                .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                                .udp(1, 53));
  const std::string manual =
      "all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port==5000;"
      "expr=((!all_udp) & (all_tcp)) | all_udp_port_5000";
  EXPECT_TRUE(keeps(manual, tcp));
  EXPECT_TRUE(keeps(manual, udp5000));
  EXPECT_FALSE(keeps(manual, udp53));
  // & binds tighter than |.
  EXPECT_TRUE(keeps("udp.port==53 | tcp.port==80 & frame.size>10000", udp53));
  EXPECT_FALSE(keeps("(udp.port==53 | tcp.port==80) & frame.size>10000", udp53));
  EXPECT_TRUE(keeps("!!tcp.port==80", tcp));
  EXPECT_TRUE(keeps("p:ipv4.proto==tcp|udp;expr=p", udp53));
}

TEST(FilterEvaluate, TruncatedAndOddFramesNeverCrashOrMatchFieldsTheyLack) {
  Frame cut = tcp4();
  cut.bytes.resize(30);  // inside the IPv4 header
  EXPECT_FALSE(keeps("tcp.port==80", cut));
  EXPECT_TRUE(keeps("frame.size>=30", cut));
  Frame empty;
  EXPECT_FALSE(keeps("ether.addr==*", empty));
  EXPECT_TRUE(keeps("!ipv4.addr==0.0.0.0/0", empty));
  // Raw IP link type: no Ethernet header, IP fields still work.
  const Frame raw =
      frame(FrameBuilder().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).tcp(1, 2), kTs, 101);
  EXPECT_TRUE(keeps("ipv4.addr.src==10.0.0.1 & tcp.port.dst==2", raw));
  EXPECT_FALSE(keeps("ether.addr==*", raw));
}

TEST(FilterEvaluate, CombinedWithBpfBothMustPass) {
  auto f = PacketFilter::compile("tcp.port==80", "ip src 10.0.0.1", kEthernet, 262144);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  const Frame a = tcp4(1234, 80);
  const Frame b = tcp4(1234, 81);
  EXPECT_TRUE(f->matches(a.ts, a.bytes, a.wire));
  EXPECT_FALSE(f->matches(b.ts, b.bytes, b.wire));
  auto g = PacketFilter::compile("tcp.port==80", "ip src 10.0.0.2", kEthernet, 262144);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->matches(a.ts, a.bytes, a.wire));
  EXPECT_TRUE(PacketFilter::compile("", "", kEthernet, 262144)->keeps_everything());
  EXPECT_FALSE(PacketFilter::compile("", "tcp", kEthernet, 262144)->keeps_everything());
}

}  // namespace
}  // namespace snapflow::filter::testing
