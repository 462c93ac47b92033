// Document links: the flow key written as a tcpdump expression or a Filter= expression, and the
// /pcap/splittime URL carrying it. An expression is written into a fixed buffer on the stack
// and percent-encoded into the output in one pass, so building a link allocates nothing once
// the output string has the capacity (pcap2json builds one per flow document).
#include "snapflow/filter/pcap_link.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "block_spec.h"
#include "snapflow/packet/view.h"

namespace snapflow::filter {
namespace {

using packet::FlowKey;

constexpr size_t kMaxBaseBytes = 1024;
// The longest expression (an IPv6 flow inside a tunnel, on a VLAN, every term at its widest)
// is about 260 characters; the buffer cannot overflow (writes stop at its end).
constexpr size_t kExpressionCapacity = 512;

constexpr std::array<bool, 256> unreserved_table() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
  }
  return t;
}
constexpr std::array<bool, 256> kUnreserved = unreserved_table();

// Appends s to out, percent-encoding everything but RFC 3986's unreserved characters: encoded
// on the stack in chunks, appended with one copy each (no per-character growth checks).
void append_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  constexpr size_t kChunk = 256;
  char buf[3 * kChunk];
  while (!s.empty()) {
    const std::string_view part = s.substr(0, kChunk);
    s.remove_prefix(part.size());
    char* p = buf;
    for (char ch : part) {
      const auto c = static_cast<unsigned char>(ch);
      if (kUnreserved[c]) {
        *p++ = ch;
      } else {
        p[0] = '%';
        p[1] = kHex[c >> 4];
        p[2] = kHex[c & 15];
        p += 3;
      }
    }
    out.append(buf, static_cast<size_t>(p - buf));
  }
}

void append_number(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A filter expression being written: plain text in a fixed buffer.
class Sink {
 public:
  void text(std::string_view s) {
    if (s.size() > buf_.size() - len_) return;            // never: the buffer holds the longest one
    std::memcpy(buf_.data() + len_, s.data(), s.size());  // constant sizes inline
    len_ += s.size();
  }
  void number(uint64_t v) {
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    text(std::string_view(tmp, static_cast<size_t>(r.ptr - tmp)));
  }
  void ip(const std::array<uint8_t, 16>& bytes, uint8_t version) {
    if (version == 4) {
      char tmp[16];
      size_t n = 0;
      for (size_t i = 0; i < 4; ++i) {
        if (i != 0) tmp[n++] = '.';
        const unsigned v = bytes[i];
        if (v >= 100) tmp[n++] = static_cast<char>('0' + v / 100);
        if (v >= 10) tmp[n++] = static_cast<char>('0' + v / 10 % 10);
        tmp[n++] = static_cast<char>('0' + v % 10);
      }
      text(std::string_view(tmp, n));
      return;
    }
    char tmp[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, bytes.data(), tmp, sizeof tmp);
    text(tmp);
  }
  void mac(const std::array<uint8_t, 16>& bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    char tmp[17];
    for (size_t i = 0; i < 6; ++i) {
      tmp[i * 3] = kHex[bytes[i] >> 4];
      tmp[i * 3 + 1] = kHex[bytes[i] & 15];
      if (i < 5) tmp[i * 3 + 2] = ':';
    }
    text(std::string_view(tmp, sizeof tmp));
  }
  void hex16(uint16_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    char tmp[6] = {'0', 'x'};
    for (int i = 0; i < 4; ++i) tmp[2 + i] = kHex[(v >> (12 - 4 * i)) & 15];
    text(std::string_view(tmp, sizeof tmp));
  }
  std::string_view view() const { return {buf_.data(), len_}; }

 private:
  std::array<char, kExpressionCapacity> buf_;
  size_t len_ = 0;
};

bool is_tunnelled(const FlowKey& key) {
  return key.tunnel_type != packet::TunnelType::kNone;
}

bool has_bpf(const FlowKey& key) {
  return !is_tunnelled(key) && (key.flags & FlowKey::kHasVlan) == 0;
}

std::string_view port_protocol(uint8_t proto) {
  return proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 132 ? "sctp" : "";
}

// The tcpdump expression (has_bpf(key) must hold).
void write_bpf(Sink& w, const FlowKey& key) {
  if (key.ip_version == 0) {
    w.text("ether src ");
    w.mac(key.source);
    w.text(" and ether dst ");
    w.mac(key.destination);
    if (key.ethertype != 0) {
      w.text(" and ether proto ");
      w.hex16(key.ethertype);
    }
    return;
  }
  const bool v4 = key.ip_version == 4;
  const std::string_view ip = v4 ? "ip" : "ip6";
  w.text(ip);
  w.text(" src ");
  w.ip(key.source, key.ip_version);
  w.text(" and ");
  w.text(ip);
  w.text(" dst ");
  w.ip(key.destination, key.ip_version);
  const uint8_t proto = key.ip_protocol;
  const std::string_view transport = port_protocol(proto);
  if ((key.flags & FlowKey::kHasPorts) != 0 && !transport.empty()) {
    w.text(" and ");
    w.text(transport);
    w.text(" src port ");
    w.number(uint64_t{key.source_port});
    w.text(" and ");
    w.text(transport);
    w.text(" dst port ");
    w.number(uint64_t{key.destination_port});
  } else if ((key.flags & FlowKey::kHasIcmp) != 0 && v4) {
    w.text(" and icmp[icmptype] == ");
    w.number(uint64_t{key.source_port});
    w.text(" and icmp[icmpcode] == ");
    w.number(uint64_t{key.destination_port});
  } else if ((key.flags & FlowKey::kHasIcmp) != 0) {
    // ICMPv6 right after the fixed header (libpcap cannot index icmp6 behind extension headers).
    w.text(" and icmp6 and ip6[40] == ");
    w.number(uint64_t{key.source_port});
    w.text(" and ip6[41] == ");
    w.number(uint64_t{key.destination_port});
  } else {
    w.text(" and ");
    w.text(ip);
    w.text(" proto ");
    w.number(uint64_t{proto});
  }
}

// The Filter= expression: one block per key field, joined with '&'.
void write_filter(Sink& w, const FlowKey& key) {
  const std::string_view in = is_tunnelled(key) ? "inner." : "";
  bool first = true;
  auto term = [&](std::string_view prefix, std::string_view field) {
    if (!first) w.text("&");
    first = false;
    w.text(prefix);
    w.text(field);
    w.text("==");
  };
  if (const std::string_view name =
          detail::value_name(Field::kTunnelType, static_cast<int64_t>(key.tunnel_type));
      !name.empty()) {
    term("", "tunnel.type");
    w.text(name);
  }
  if ((key.flags & FlowKey::kHasTunnelId) != 0) {
    term("", "tunnel.id");
    w.number(uint64_t{key.tunnel_id});
  }
  if ((key.flags & FlowKey::kHasVlan) != 0) {
    term("", "vlan.id");
    w.number(uint64_t{key.vlan_id});
  }
  if (key.ip_version == 0) {
    term(in, "ether.addr.src");
    w.mac(key.source);
    term(in, "ether.addr.dst");
    w.mac(key.destination);
    if (key.ethertype != 0) {
      term(in, "ether.proto");
      w.hex16(key.ethertype);
    }
    return;
  }
  const bool v4 = key.ip_version == 4;
  term(in, v4 ? "ipv4.addr.src" : "ipv6.addr.src");
  w.ip(key.source, key.ip_version);
  term(in, v4 ? "ipv4.addr.dst" : "ipv6.addr.dst");
  w.ip(key.destination, key.ip_version);
  term(in, "ip.proto");
  w.number(uint64_t{key.ip_protocol});
  const uint8_t proto = key.ip_protocol;
  if ((key.flags & FlowKey::kHasPorts) != 0 && !port_protocol(proto).empty()) {
    const std::string_view src = proto == 6    ? "tcp.port.src"
                                 : proto == 17 ? "udp.port.src"
                                               : "sctp.port.src";
    const std::string_view dst = proto == 6    ? "tcp.port.dst"
                                 : proto == 17 ? "udp.port.dst"
                                               : "sctp.port.dst";
    term(in, src);
    w.number(uint64_t{key.source_port});
    term(in, dst);
    w.number(uint64_t{key.destination_port});
  } else if ((key.flags & FlowKey::kHasIcmp) != 0) {
    term(in, "icmp.type");
    w.number(uint64_t{key.source_port});
    term(in, "icmp.code");
    w.number(uint64_t{key.destination_port});
  }
}

// The base as a message may show it: user information (user:password@) is never repeated.
base::Error bad_base(std::string_view base, std::string_view why) {
  std::string shown(base.substr(0, 80));
  if (const size_t scheme = shown.find("://"); scheme != std::string::npos) {
    const size_t begin = scheme + 3;
    const size_t end = std::min(shown.find('/', begin), shown.size());
    const size_t at = shown.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= begin) shown.replace(begin, at - begin, "***");
  }
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return base::make_error(
      base::ErrorCode::kInvalidArgument,
      "pcap link base '" + shown + (base.size() > 80 ? "...'" : "'") + ": " + std::string(why));
}

}  // namespace

std::string bpf_for_flow(const FlowKey& key) {
  if (!has_bpf(key)) return {};
  Sink w;
  write_bpf(w, key);
  return std::string(w.view());
}

std::string filter_for_flow(const FlowKey& key) {
  Sink w;
  write_filter(w, key);
  return std::string(w.view());
}

std::string url_encode(std::string_view text) {
  std::string out;
  append_encoded(out, text);
  return out;
}

void append_pcap_link_window(const PcapLinkRequest& request, std::string& out) {
  std::string_view base = request.api_base;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  out.append(base);
  out.append("/pcap/splittime?");
  if (!request.stream_name.empty()) {
    out.append("StreamName=");
    append_encoded(out, request.stream_name);
    out.push_back('&');
  }
  // Saturated: a crafted capture may put a snapshot near the end of int64_t time.
  int64_t stop_ns = 0;
  if (__builtin_add_overflow(request.start_ns, request.interval_ns, &stop_ns)) stop_ns = INT64_MAX;
  out.append("Start=");
  append_number(out, request.start_ns);
  out.append("&Stop=");
  append_number(out, stop_ns);
}

void append_pcap_link_filter(const FlowKey& key, std::string& out) {
  Sink w;
  if (has_bpf(key)) {
    out.append("&FilterBPF=");
    write_bpf(w, key);
  } else {
    out.append("&Filter=");
    write_filter(w, key);
  }
  append_encoded(out, w.view());
}

void append_pcap_link(const PcapLinkRequest& request, const FlowKey& key, std::string& out) {
  append_pcap_link_window(request, out);
  append_pcap_link_filter(key, out);
}

std::string pcap_link(const PcapLinkRequest& request, const FlowKey& key) {
  std::string out;
  append_pcap_link(request, key, out);
  return out;
}

base::Status validate_pcap_link_base(std::string_view base) {
  if (base.empty()) return bad_base(base, "empty");
  if (base.size() > kMaxBaseBytes) {
    return bad_base(base, "longer than " + std::to_string(kMaxBaseBytes) + " characters");
  }
  for (char ch : base) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == '`' ||
        ch == '{' || ch == '}' || ch == '|' || ch == '^') {
      return bad_base(base, "only printable ASCII without spaces, quotes, backslashes, <>`{}|^");
    }
  }
  auto lower_starts = [&](std::string_view prefix) {
    if (base.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      char c = base[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  size_t authority = 0;
  if (lower_starts("https://")) {
    authority = 8;
  } else if (lower_starts("http://")) {
    authority = 7;
  } else {
    return bad_base(base, "must start with http:// or https://");
  }
  if (base.find_first_of("?#") != std::string_view::npos) {
    return bad_base(base, "no query (?) or fragment (#): links add their own query");
  }
  const size_t slash = base.find('/', authority);
  const std::string_view host_port =
      base.substr(authority, slash == std::string_view::npos ? slash : slash - authority);
  if (host_port.find('@') != std::string_view::npos) {
    return bad_base(base,
                    "credentials (user:password@) would be written into every document; give "
                    "the host only (the API asks for credentials itself)");
  }
  if (host_port.empty() || host_port.front() == ':') return bad_base(base, "no host");
  return base::ok_status();
}

size_t max_pcap_link_bytes(size_t base_bytes, size_t stream_name_bytes) {
  // "/pcap/splittime?StreamName=" + 3 per name byte + "&Start=" 19 digits + "&Stop=" 19 digits +
  // "&Filter=" and the longest Filter= expression (an inner IPv6 flow with every tunnel term,
  // about 330 characters), each character percent-encoded.
  constexpr size_t kLongestExpression = 400;
  return base_bytes + 27 + 3 * stream_name_bytes + 7 + 20 + 6 + 20 + 11 + 3 * kLongestExpression;
}

}  // namespace snapflow::filter
