// The fmadio filter grammar: what parses, into how many blocks and which decode depths, and
// where and why malformed filters fail (one line, 1-based position, the token).
#include "snapflow/filter/parse.h"

#include <gtest/gtest.h>

#include <string>

namespace snapflow::filter {
namespace {

FilterProgram ok(std::string_view text, const FilterLimits& limits = {}) {
  auto r = parse_filter(text, limits);
  EXPECT_TRUE(r.ok()) << text << " -> " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(*r) : FilterProgram{};
}

std::string err(std::string_view text, const FilterLimits& limits = {}) {
  auto r = parse_filter(text, limits);
  EXPECT_FALSE(r.ok()) << text << " parsed";
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
  return r.error().message();
}

TEST(FilterParse, SingleBlockShortcutAndEveryField) {
  for (std::string_view text : {"tcp.port==443",
                                "tcp.port == 443",
                                "  udp.port==3000  ",
                                "tcp.port==1000-2000",
                                "tcp.port.src==80,443,8000-8100",
                                "tcp.port.dst!=22",
                                "tcp.port<1024",
                                "ether.proto==ipv4",
                                "ether.proto==0x88cc",
                                "ether.addr==00:ba:be:*",
                                "ether.addr.src==02:00:00:00:00:01",
                                "ether.addr.dst==*:ff:*:*:*:01",
                                "vlan.id==1234",
                                "vlan.id==100-199",
                                "ipv4.addr==192.168.1.0/24",
                                "ipv4.addr.src==10.0.0.1",
                                "ipv4.addr.dst==10.1.2.3/32,10.2.0.0/16",
                                "ipv6.addr==2001:db8::/32",
                                "ipv6.addr.src==fd00::1",
                                "ipv4.proto==tcp",
                                "ipv4.proto==igmp",
                                "ip.proto==17",
                                "ipv6.proto==icmpv6",
                                "frame.size<=128",
                                "frame.size>1500",
                                "frame.size==64-128",
                                "frame.size>=60",
                                "frame.time==20141225_08:00:00.100.200.300-20141225_08:00:01",
                                "frame.time>=1434793018780588947ULL",
                                "frame.time<2015-06-20T09:36:58Z",
                                "frame.time==2015-06-20T09:36:58Z-2015-06-20T09:37:58.5Z",
                                "vxlan.vni==64",
                                "geneve.vni==1-5",
                                "tunnel.type==vxlan",
                                "tunnel.id==1000",
                                "icmp.type==8",
                                "icmp.code==0",
                                "sctp.port==36412",
                                "inner.ipv4.addr.src==10.0.0.0/8",
                                "inner.tcp.port==443",
                                "inner.ether.addr==02:00:*",
                                "inner.ip.proto==udp",
                                "inner.icmp.type==128",
                                "inner.ether.proto==ipv6"}) {
    const FilterProgram p = ok(text);
    EXPECT_EQ(p.block_count(), 1u) << text;
    EXPECT_FALSE(p.matches_everything()) << text;
  }
}

TEST(FilterParse, NamedBlocksAndTheManualsExample) {
  const FilterProgram p =
      ok("all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port==5000;"
         "expr=((!all_udp) & (all_tcp)) | all_udp_port_5000");
  EXPECT_EQ(p.block_count(), 3u);
  // expr= may come first; a trailing ';' is fine; names are used more than once.
  EXPECT_EQ(ok("expr=a|b&!a;a:tcp.port==80;b:udp.port==53;").block_count(), 2u);
  // The URL form from the docs, and a lone named block as the whole expression.
  EXPECT_EQ(ok("all_tcp:ipv4.proto==tcp;expr=all_tcp").block_count(), 1u);
  EXPECT_EQ(ok("all_tcp:ipv4.proto==tcp").block_count(), 1u);
  // Lists with '|' inside a named block; inline blocks mixed with names; && and ||.
  EXPECT_EQ(
      ok("p: ipv4.proto == tcp | udp ; expr = p && !tcp.port==22 || vlan.id==5").block_count(), 3u);
}

TEST(FilterParse, DecodeNeedsFollowTheReachableBlocks) {
  EXPECT_FALSE(ok("frame.size<128").needs().outer);
  EXPECT_FALSE(ok("frame.size<128").needs().inner);
  EXPECT_TRUE(ok("tcp.port==80").needs().outer);
  EXPECT_FALSE(ok("tcp.port==80").needs().inner);
  EXPECT_TRUE(ok("inner.tcp.port==80").needs().inner);
  EXPECT_FALSE(ok("inner.tcp.port==80").needs().outer);
  EXPECT_TRUE(ok("vxlan.vni==5").needs().inner);
  // A named block that the expression never uses costs nothing.
  const FilterProgram p = ok("a:inner.tcp.port==80;b:frame.size<100;expr=b");
  EXPECT_FALSE(p.needs().inner);
  EXPECT_FALSE(p.needs().outer);
}

TEST(FilterParse, ErrorsNameThePositionAndTheToken) {
  EXPECT_EQ(err("tcp.prot==80").substr(0, 56),
            "filter position 1 at 'tcp.prot': unknown field (fields: ");
  EXPECT_EQ(err("tcp.port=80"),
            "filter position 9 at '=': expected ==, !=, <, <=, > or >= after the field");
  EXPECT_EQ(err("tcp.port==eighty"), "filter position 11 at 'eighty': not a number");
  EXPECT_EQ(err("tcp.port==70000"), "filter position 11 at '70000': out of range (0-65535)");
  EXPECT_EQ(err("tcp.port==2000-1000"),
            "filter position 11 at '2000-1000': empty range (first value larger than the second)");
  EXPECT_EQ(err("tcp.port==80 &"),
            "filter position 15 at end of filter: expected a block, a block name, '(' or '!'");
  EXPECT_EQ(err("(tcp.port==80"),
            "filter position 14 at end of filter: expected ')' closing the '(' at position 1");
  EXPECT_EQ(err("tcp.port==80)"),
            "filter position 13 at ')': expected &, | or the end of the expression");
  EXPECT_EQ(err("tcp.port==80 udp.port==53"),
            "filter position 14 at 'udp.port': expected &, | or the end of the expression");
  EXPECT_EQ(err("a:tcp.port==80;expr=a|b"), "filter position 23 at 'b': unknown block name");
  EXPECT_EQ(err("a:tcp.port==80;a:udp.port==1;expr=a"),
            "filter position 16 at 'a': block name defined twice");
  EXPECT_EQ(
      err("a:tcp.port==80;b:udp.port==1"),
      "filter position 29 at end of filter: several named blocks but no expr=... to combine them");
  EXPECT_EQ(err("tcp.port==80;udp.port==53"),
            "filter position 14 at 'udp.port': more than one expression (join them with & or |)");
  EXPECT_EQ(err("ipv4.addr<10.0.0.1"),
            "filter position 10 at '<': only == and != compare addresses");
  EXPECT_EQ(err("ipv4.addr==10.0.0.256"),
            "filter position 12 at '10.0.0.256': not an IPv4 address or prefix (192.168.1.7, "
            "192.168.1.0/24)");
  EXPECT_EQ(err("ipv4.addr==10.0.0.0/33").substr(0, 40),
            "filter position 12 at '10.0.0.0/33': not");
  EXPECT_EQ(err("ether.addr==00:ba:be").substr(0, 44),
            "filter position 13 at '00:ba:be': not a MAC ");
  EXPECT_EQ(err("frame.size<64,128"), "filter position 14 at ',': < <= > >= take a single value");
  EXPECT_EQ(
      err("frame.time==2015-06-20T09:36:58Z-2015-06-20T09:36:57Z"),
      "filter position 13 at '2015-06-20T09:36:58Z-2015-06-20T09:36:57Z': empty time range (end "
      "not after start)");
  EXPECT_EQ(err("inner.vlan.id==5"),
            "filter position 1 at 'inner.vlan.id': vlan.id takes no inner. prefix");
  EXPECT_EQ(err("frame.size.src==5"),
            "filter position 1 at 'frame.size.src': frame.size takes no .src/.dst suffix");
  EXPECT_EQ(err("tcp.port==80,"), "filter position 14 at end of filter: empty value in the list");
  EXPECT_EQ(err("tcp.port=="),
            "filter position 11 at end of filter: expected a value after the operator");
  EXPECT_EQ(err(""), "filter position 1 at end of filter: empty filter");
  EXPECT_EQ(err(" ; ;"), "filter position 5 at end of filter: empty filter");
  EXPECT_EQ(err("tcp"),
            "filter position 1 at 'tcp': unknown block name (no blocks are defined; a block is "
            "FIELD OP VALUE)");
  EXPECT_EQ(err("tcp.port"),
            "filter position 9 at end of filter: expected ==, !=, <, <=, > or >= after the field");
  EXPECT_EQ(err("1a:tcp.port==1"),
            "filter position 1 at '1a': a block name starts with a letter or _");
  EXPECT_EQ(err("expr:tcp.port==1"),
            "filter position 1 at 'expr': unknown block name (no blocks are defined; a block is "
            "FIELD OP VALUE)");
}

TEST(FilterParse, UnprintableBytesAreEscapedInMessages) {
  const std::string text = std::string("tcp.port==8\x01", 12);
  EXPECT_EQ(err(text), "filter position 12 at '\\x01': unexpected character");
  EXPECT_EQ(err("tcp.port==\xc3\xa9"), "filter position 11 at '\\xc3': unexpected character");
}

TEST(FilterParse, LimitsOnLengthBlocksDepthAndValues) {
  FilterLimits small;
  small.max_bytes = 20;
  small.max_blocks = 2;
  small.max_depth = 3;
  small.max_values = 3;
  EXPECT_EQ(err("tcp.port==80 | udp.port==53", small),
            "filter position 21: filter longer than 20 bytes");
  EXPECT_EQ(err("a:tcp.port==1;b:tcp.port==2;c:tcp.port==3;expr=a", {.max_blocks = 2}),
            "filter position 31 at 'tcp.port': more than 2 blocks");
  EXPECT_EQ(err("a:tcp.port==1;expr=a|a|a", {.max_blocks = 2}),
            "filter position 24 at 'a': more than 2 terms");
  EXPECT_EQ(err("!!!!tcp.port==1", {.max_depth = 3}),
            "filter position 4 at '!': nested deeper than 3");
  EXPECT_EQ(err("(((tcp.port==1)))", {.max_depth = 2}),
            "filter position 3 at '(': nested deeper than 2");
  EXPECT_EQ(err("tcp.port==1,2,3,4", {.max_values = 3}),
            "filter position 17 at '4': more than 3 values");
  ok("!!!tcp.port==1", {.max_depth = 3});
  // The defaults admit a long generated expression.
  std::string big = "tcp.port==1";
  for (int i = 2; i <= 60; ++i) big += "|tcp.port==" + std::to_string(i);
  EXPECT_EQ(ok(big).block_count(), 60u);
}

}  // namespace
}  // namespace snapflow::filter
