// The fmadio filter language (Filter= in PCAP URLs, --filter in snapflow-pcap).
//
// A filter is one or more statements separated by ';':
//   NAME : FIELD OP VALUES      a named block (NAME: letters, digits, _; not "expr")
//   expr = EXPRESSION           the expression to evaluate (at most one)
//   EXPRESSION                  the same without "expr=": the single-block shortcut
//                               (tcp.port==443) or any inline expression
// With named blocks and no expression, a single named block is the expression.
//
//   EXPRESSION := OR;  OR := AND ('|' AND)*;  AND := UNARY ('&' UNARY)*
//   UNARY := '!' UNARY | '(' OR ')' | NAME | FIELD OP VALUES
//   OP := == | != | < | <= | > | >=          ('&&' and '||' are accepted too)
// '&' binds tighter than '|'. Example (fmadio's manual):
//   all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port==5000;
//   expr=((!all_udp) & (all_tcp)) | all_udp_port_5000
// In a URL the operators must be percent-encoded (& is %26, | is %7C).
//
// VALUES is one value or a list separated by ',' (inside a named block also by '|', so
// "p:ipv4.proto==tcp|udp" lists two protocols). Inline, a value ends at white space or at one
// of & | ! ( ). Values by field (docs/capture.md has the full table):
//   ether.addr[.src|.dst]      00:ba:be:11:22:33, wildcards per byte or trailing: 00:ba:be:*
//   ether.proto                ipv4 ipv6 arp rarp lldp mpls, or a number (0x88cc)
//   vlan.id                    outermost tag: 0-4095, ranges 100-199
//   ipv4.addr[.src|.dst]       192.168.1.7, 192.168.1.0/24
//   ipv6.addr[.src|.dst]       2001:db8::1, 2001:db8::/32
//   ip.proto, ipv4.proto, ipv6.proto   tcp udp icmp igmp icmpv6 gre esp ah sctp ipip ipv6, 0-255
//   tcp.port[.src|.dst], udp.port, sctp.port   443, 1000-2000
//   icmp.type, icmp.code       0-255 (ICMP and ICMPv6)
//   frame.size                 bytes on the wire: frame.size <= 128, frame.size == 64-128
//   frame.time                 a time (time_text.h) or a half-open range A-B
//   vxlan.vni, geneve.vni      0-16777215
//   tunnel.id, tunnel.type     outermost tunnel: id; vxlan geneve gre erspan2 erspan3 gtpu ipip
// Address, port and protocol fields take an `inner.` prefix (inner.ipv4.addr.src == ...): the
// innermost headers of a tunnelled packet (VXLAN as AWS Traffic Mirroring sends it, Geneve,
// GRE, ERSPAN, GTP-U, IP-in-IP), decoded by snapflow's decoder.
//
// Errors are one line naming the 1-based position and the token:
//   "position 12: unknown field 'tcp.prot' (fields: ether.addr ...)"
// The parser never reads past the text, allocates only while parsing, and enforces limits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/filter/program.h"

namespace snapflow::filter {

inline constexpr size_t kDefaultMaxFilterBytes = 4096;
inline constexpr size_t kDefaultMaxFilterBlocks = 64;
inline constexpr size_t kDefaultMaxFilterDepth = 32;
inline constexpr size_t kDefaultMaxFilterValues = 256;

struct FilterLimits {
  size_t max_bytes = kDefaultMaxFilterBytes;    ///< filter text length (Filter= and FilterBPF=)
  size_t max_blocks = kDefaultMaxFilterBlocks;  ///< named plus inline blocks
  size_t max_depth = kDefaultMaxFilterDepth;    ///< nesting of ( and !
  size_t max_values = kDefaultMaxFilterValues;  ///< values over all blocks
};

// Parses and compiles a filter. kInvalidArgument with a one-line positioned message on error.
base::Result<FilterProgram> parse_filter(std::string_view text, const FilterLimits& limits = {});

// A parse failure in parts, for user interfaces that point at the token (/filter/check):
// the same failure as the one-line message, which is "filter position N at 'TOKEN': WHAT".
struct FilterSyntaxError {
  size_t position = 0;  ///< 1-based byte position of the token; text.size() + 1 at the end
  std::string token;    ///< the offending token (printable; "" at the end of the filter)
  std::string what;     ///< the reason, without position and token
  std::string message;  ///< the whole one-line message
};

// As parse_filter(); on failure *error (if given) receives the parts of the message.
base::Result<FilterProgram> parse_filter(std::string_view text, const FilterLimits& limits,
                                         FilterSyntaxError* error);

}  // namespace snapflow::filter
