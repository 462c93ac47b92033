// What /filter/check answers: a filter's normalised text (one spelling per filter, re-parsing to
// a program that keeps the same packets) and a failure in parts (position, token, reason); and
// the pcap2json side of document links (the base URL check and the allocation-free builder).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "filter_test_util.h"
#include "snapflow/filter/pcap_link.h"

namespace snapflow::filter::testing {
namespace {

std::string normalized(std::string_view text) {
  auto p = parse_filter(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().to_string());
  return p.ok() ? p->normalized_text() : std::string();
}

// Frames and times that tell the filters below apart.
std::vector<Frame> probe_frames() {
  std::vector<Frame> frames = {tcp4(), tcp4(443, 1000), tcp4(22, 5000), vxlan_mirror(),
                               vxlan_mirror(65)};
  frames.push_back(frame(FrameBuilder()
                             .ethernet(mac("00:ba:be:11:22:33"), mac("02:00:00:00:00:09"))
                             .vlan(1234)
                             .ipv6(ip6("2001:db8::1"), ip6("fd00::7"))
                             .udp(5353, 3000)
                             .payload(100)));
  frames.push_back(frame(FrameBuilder()
                             .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                             .ipv4(ip4("192.168.1.9"), ip4("10.1.2.3"))
                             .icmp(8, 0)
                             .payload(56),
                         kTs + 2'000'000'000));
  return frames;
}

TEST(FilterNormalize, OneSpellingPerFilter) {
  EXPECT_EQ(normalized("tcp.port == 443"), "tcp.port==443");
  EXPECT_EQ(normalized("  tcp.port==443  "), "tcp.port==443");
  EXPECT_EQ(normalized("ipv4.proto==6"), "ipv4.proto==tcp");
  EXPECT_EQ(normalized("ether.proto==0x86DD"), "ether.proto==ipv6");
  EXPECT_EQ(normalized("ether.proto==0x0801"), "ether.proto==2049");
  EXPECT_EQ(normalized("ether.addr==00:BA:be:*"), "ether.addr==00:ba:be:*");
  EXPECT_EQ(normalized("ether.addr==00:ba:be:*:*:*"), "ether.addr==00:ba:be:*");
  EXPECT_EQ(normalized("ether.addr.dst==*:ff:*:*:*:01"), "ether.addr.dst==*:ff:*:*:*:01");
  EXPECT_EQ(normalized("ether.addr==*"), "ether.addr==*");
  EXPECT_EQ(normalized("ipv4.addr==192.168.1.7/24"), "ipv4.addr==192.168.1.0/24");
  EXPECT_EQ(normalized("ipv4.addr.src==10.0.0.1/32"), "ipv4.addr.src==10.0.0.1");
  EXPECT_EQ(normalized("ipv6.addr==2001:0db8:0::/32"), "ipv6.addr==2001:db8::/32");
  EXPECT_EQ(normalized("tcp.port.src==80,443,8000-8100"), "tcp.port.src==80,443,8000-8100");
  EXPECT_EQ(normalized("frame.time==20141225_08:00:00.100.200.300-20141225_08:00:01"),
            "frame.time==1419494400100200300-1419494401000000000");
  EXPECT_EQ(normalized("frame.time>=1434793018780588947ULL"), "frame.time>=1434793018780588947");
  EXPECT_EQ(normalized("inner.tcp.port.dst!=22"), "inner.tcp.port.dst!=22");
  EXPECT_EQ(normalized("tunnel.type==VXLAN"), "tunnel.type==vxlan");
  // Expressions: one space around & and |, parentheses only where precedence needs them.
  EXPECT_EQ(normalized("(tcp.port==80)&&((udp.port==53))"), "tcp.port==80 & udp.port==53");
  EXPECT_EQ(normalized("(tcp.port==80 | udp.port==53) & !vlan.id==5"),
            "(tcp.port==80 | udp.port==53) & !vlan.id==5");
  EXPECT_EQ(normalized("!(tcp.port==80 & udp.port==53)"), "!(tcp.port==80 & udp.port==53)");
  EXPECT_EQ(normalized("tcp.port==1 | tcp.port==2 & tcp.port==3"),
            "tcp.port==1 | tcp.port==2 & tcp.port==3");
  // Named blocks stay named (those the expression uses, in order of definition).
  EXPECT_EQ(normalized("all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp."
                       "port==5000;expr=((!all_udp) & (all_tcp)) | all_udp_port_5000"),
            "all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port==5000;"
            "expr=!all_udp & all_tcp | all_udp_port_5000");
  EXPECT_EQ(normalized("p: ipv4.proto == tcp | udp ; expr = p && !tcp.port==22 || vlan.id==5"),
            "p:ipv4.proto==tcp,udp;expr=p & !tcp.port==22 | vlan.id==5");
  EXPECT_EQ(normalized("all_tcp:ipv4.proto==tcp;expr=all_tcp"), "all_tcp:ipv4.proto==tcp");
  EXPECT_EQ(normalized("unused:udp.port==1;web:tcp.port==80;expr=web"), "web:tcp.port==80");
  EXPECT_EQ(normalized("a:tcp.port==80;expr=a|a&!a"), "a:tcp.port==80;expr=a | a & !a");
}

TEST(FilterNormalize, ReparsesToTheSameFilterAndIsStable) {
  const std::vector<Frame> frames = probe_frames();
  for (std::string_view text :
       {"tcp.port==443",
        "tcp.port==1000-2000",
        "tcp.port.dst!=22",
        "tcp.port<1024",
        "ether.addr==00:ba:be:*",
        "ether.addr.dst==*:*:*:*:*:09",
        "vlan.id==1234",
        "ipv4.addr==192.168.1.0/24",
        "ipv6.addr==2001:db8::/32",
        "ipv6.addr.dst==fd00::7",
        "ip.proto==icmp",
        "ipv6.proto==udp",
        "frame.size<=128",
        "frame.size==64-128",
        "frame.time==20141225_08:00:00.100.200.300-20141225_08:00:01",
        "frame.time<20141225_08:00:01",
        "vxlan.vni==64",
        "tunnel.type==vxlan & tunnel.id==65",
        "icmp.type==8",
        "inner.ipv4.addr.src==172.31.0.0/16",
        "inner.tcp.port==443",
        "inner.ether.addr==0a:00:*",
        "udp.port==3000,5353 | !ip.proto==tcp & frame.size>100",
        "all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port==5000;"
        "expr=((!all_udp) & (all_tcp)) | all_udp_port_5000",
        "w:tcp.port==80|443;expr=!(w & vlan.id==1234) | (w)"}) {
    auto original = parse_filter(text);
    ASSERT_TRUE(original.ok()) << text;
    const std::string once = original->normalized_text();
    auto again = parse_filter(once);
    ASSERT_TRUE(again.ok()) << text << " -> " << once << ": " << again.error().to_string();
    EXPECT_EQ(again->normalized_text(), once) << text;
    EXPECT_EQ(again->block_count(), original->block_count()) << once;
    for (const Frame& f : frames) {
      EXPECT_EQ(again->matches(f.ts, f.bytes, f.wire, f.link),
                original->matches(f.ts, f.bytes, f.wire, f.link))
          << text << " -> " << once;
    }
  }
  EXPECT_EQ(FilterProgram().normalized_text(), "");
}

TEST(FilterNormalize, FailuresComeInParts) {
  struct Case {
    std::string_view text;
    size_t position;
    std::string_view token;
    std::string_view what_starts;
  };
  for (const Case& c : {
           Case{"tcp.prot==80", 1, "tcp.prot", "unknown field"},
           Case{"tcp.port=80", 9, "=", "expected ==, !=, <, <=, > or >="},
           Case{"tcp.port==80 & (udp.port==53", 29, "", "expected ')' closing"},
           Case{"tcp.port==80 & & udp.port==1", 16, "&", "expected a block"},
           Case{"ipv4.addr==10.0.0.300", 12, "10.0.0.300", "not an IPv4 address"},
           Case{"tcp.port==70000", 11, "70000", "out of range"},
           Case{"x:tcp.port==1;y:udp.port==2", 28, "", "several named blocks"},
           Case{"tcp.port==1\x01", 12, "\\x01", "unexpected character"},
       }) {
    FilterSyntaxError e;
    auto r = parse_filter(c.text, {}, &e);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(e.position, c.position) << c.text << ": " << e.message;
    EXPECT_EQ(e.token, c.token) << c.text << ": " << e.message;
    EXPECT_EQ(e.what.rfind(c.what_starts, 0), 0u) << c.text << ": " << e.what;
    EXPECT_EQ(e.message, r.error().message());
    EXPECT_NE(e.message.find(e.what), std::string::npos);
  }
  FilterLimits small;
  small.max_bytes = 8;
  FilterSyntaxError e;
  ASSERT_FALSE(parse_filter("tcp.port==443", small, &e).ok());
  EXPECT_EQ(e.position, 9u);
  EXPECT_EQ(e.what, "filter longer than 8 bytes");
}

TEST(PcapLinkBase, ValidatedForEveryDocument) {
  for (std::string_view good :
       {"http://127.0.0.1:8480", "https://probe1:8480/", "HTTPS://probe1.example.com",
        "https://[2001:db8::5]:8480", "https://gateway/capture/api", "http://a/b%20c"}) {
    EXPECT_TRUE(validate_pcap_link_base(good).ok()) << good;
  }
  struct Bad {
    std::string_view base;
    std::string_view why;
  };
  for (const Bad& b : {Bad{"", "empty"}, Bad{"ftp://probe", "http:// or https://"},
                       Bad{"probe1:8480", "http:// or https://"},
                       Bad{"https://admin:secret@probe1:8480", "credentials"},
                       Bad{"https://token@probe1", "credentials"},
                       Bad{"https://probe1/?x=1", "no query"}, Bad{"https://probe1#a", "no query"},
                       Bad{"https://pro be", "printable"}, Bad{"https://probe\"1", "printable"},
                       Bad{"https://probe\\1", "printable"}, Bad{"https://\n", "printable"},
                       Bad{"https://", "no host"}, Bad{"https://:8480", "no host"}}) {
    auto st = validate_pcap_link_base(b.base);
    ASSERT_FALSE(st.ok()) << b.base;
    EXPECT_NE(st.error().message().find(b.why), std::string::npos) << st.error().message();
    EXPECT_EQ(st.error().message().find("secret"), std::string::npos) << st.error().message();
    EXPECT_EQ(st.error().message().find("token@"), std::string::npos) << st.error().message();
  }
  EXPECT_FALSE(validate_pcap_link_base("https://" + std::string(1100, 'a')).ok());
}

TEST(PcapLinkBase, AppendBuildsTheSameLinkWithinTheBound) {
  packet::FlowKey key{};
  key.ip_version = 6;
  key.ip_protocol = 132;
  key.flags =
      packet::FlowKey::kHasPorts | packet::FlowKey::kHasTunnelId | packet::FlowKey::kHasVlan;
  key.tunnel_type = packet::TunnelType::kErspan3;
  key.tunnel_id = 4294967295u;
  key.vlan_id = 4095;
  key.source.fill(0xfe);
  key.destination.fill(0xfd);
  key.source_port = 65535;
  key.destination_port = 65534;
  const std::string base = "https://probe1.example.com:8480/capture";
  PcapLinkRequest request{base, INT64_MAX - 5, 100'000'000, "incident-42"};
  std::string appended = "prefix:";
  append_pcap_link(request, key, appended);
  EXPECT_EQ(appended, "prefix:" + pcap_link(request, key));
  const std::string link = pcap_link(request, key);
  EXPECT_LE(link.size(), max_pcap_link_bytes(base.size(), request.stream_name.size()));
  // Saturated window end; the filter is the encoded Filter= expression.
  EXPECT_NE(link.find("&Stop=9223372036854775807&Filter=tunnel.type%3D%3Derspan3%26"),
            std::string::npos)
      << link;
  for (char c : link) {
    EXPECT_TRUE(c > 0x20 && c < 0x7f && c != '"' && c != '\\') << link;
  }
}

}  // namespace
}  // namespace snapflow::filter::testing
