// DocumentWriter: the template-style JSON text writer of the encoders, and the text formatters
// it uses (IP and MAC addresses, hex, RFC 3339 timestamps, escaping).
//
// Every document snapflow writes has a fixed shape (docs/json.md), so the encoders write it as
// a template: literal runs such as `","event":{"kind":"event","dataset":"snapflow.flow","start":"`
// are one copy whose length is a compile-time constant, and only the values are formatted.
// There is no per-key comma logic and no per-write bounds check; the encoders' documents have
// a size bound known when they are configured (the fixed part plus the escaped names), the
// writer's buffer is larger than twice that bound, and one check per document (DocumentWriter
// ::size() against the bound) catches a document that broke it, which is a bug, not input.
//
// Objects whose members are all optional use one idiom: open() writes nothing and remembers
// where the object starts, every member is written with a leading comma (",\"ip\":..."), and
// close() turns the first comma into '{' and appends '}' (or writes "{}" when no member was
// written). Member order and presence stay exactly those of the template.
//
// Keys and literal text must not need escaping (they are our own); user-provided text is
// escaped once, when an encoder is configured (json_quoted()), and copied with text().
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "snapflow/base/time.h"
#include "snapflow/packet/view.h"

namespace snapflow::pcap2json {

// Longest text format_ip() writes: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45.
inline constexpr size_t kMaxIpTextLength = 45;
inline constexpr size_t kMacTextLength = 17;

namespace detail {

// Decimal text of 0..255, padded to 3 bytes, and its length: an octet is one 4-byte copy.
struct OctetText {
  char text[3];
  uint8_t length;
};
inline constexpr std::array<OctetText, 256> kOctetText = [] {
  std::array<OctetText, 256> table{};
  for (unsigned v = 0; v < 256; ++v) {
    OctetText& t = table[v];
    if (v >= 100) {
      t = {{static_cast<char>('0' + v / 100), static_cast<char>('0' + v / 10 % 10),
            static_cast<char>('0' + v % 10)},
           3};
    } else if (v >= 10) {
      t = {{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10), '0'}, 2};
    } else {
      t = {{static_cast<char>('0' + v), '0', '0'}, 1};
    }
  }
  return table;
}();

// Two hex digits per byte value, lower and upper case.
inline constexpr std::array<char, 512> hex_pairs(bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::array<char, 512> table{};
  for (unsigned v = 0; v < 256; ++v) {
    table[2 * v] = digits[v >> 4];
    table[2 * v + 1] = digits[v & 0xf];
  }
  return table;
}
inline constexpr std::array<char, 512> kHexLowerPairs = hex_pairs(false);
inline constexpr std::array<char, 512> kHexUpperPairs = hex_pairs(true);

}  // namespace detail

// IPv4 dotted quad from 4 bytes. Returns the length written (7..15); out must hold 15 bytes.
inline size_t format_ipv4(const uint8_t* bytes, char* out) {
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    const detail::OctetText& t = detail::kOctetText[bytes[i]];
    std::memcpy(p, t.text, 3);  // within the 15 bytes: at most 12 + 3
    p += t.length;
    if (i != 3) *p++ = '.';
  }
  return static_cast<size_t>(p - out);
}
// IPv6 in RFC 5952 canonical form: lowercase hex, no leading zeros, the longest run (first on
// ties) of two or more zero groups compressed to "::", IPv4-mapped addresses as ::ffff:a.b.c.d.
size_t format_ipv6(const uint8_t* bytes, char* out);
// Either, by ip.version; 0 (nothing written) when the address is absent.
inline size_t format_ip(const packet::IpAddress& ip, char* out) {
  if (ip.version == 4) return format_ipv4(ip.bytes.data(), out);
  if (ip.version == 6) return format_ipv6(ip.bytes.data(), out);
  return 0;
}
// A MAC address as six hex pairs joined by `separator`: ECS form "00-1A-2B-3C-4D-5E" (upper
// case, dashes) and fmadio/Wireshark form "00:1a:2b:3c:4d:5e" (lower case, colons).
inline size_t format_mac(const std::array<uint8_t, 6>& mac, char* out,
                         const std::array<char, 512>& pairs, char separator) {
  for (int i = 0; i < 6; ++i) {
    std::memcpy(out + 3 * i, &pairs[2 * size_t{mac[i]}], 2);
    if (i != 5) out[3 * i + 2] = separator;
  }
  return kMacTextLength;
}
inline size_t format_mac_ecs(const std::array<uint8_t, 6>& mac, char* out) {
  return format_mac(mac, out, detail::kHexUpperPairs, '-');
}
inline size_t format_mac_colon(const std::array<uint8_t, 6>& mac, char* out) {
  return format_mac(mac, out, detail::kHexLowerPairs, ':');
}

// Appends `in` escaped for use inside a JSON string (quotes not added): `"` and `\` get a
// backslash, control characters become \u00XX (\n, \t, ... included), and bytes that are not
// valid UTF-8 become U+FFFD, so the result is always valid JSON text. Not for hot paths: the
// encoders escape observer and capture names once, at configuration time.
void append_json_escaped(std::string_view in, std::string& out);
// `in` escaped and wrapped in double quotes.
std::string json_quoted(std::string_view in);

// Formats RFC 3339 ns timestamps like base::format_rfc3339_ns, but remembers the text of the
// last whole second: the documents of one snapshot share their second, so most timestamps
// cost nine fraction digits instead of a calendar computation. One per encoder (not shared).
class TimestampCache {
  static constexpr char kDigitPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";

 public:
  size_t format(int64_t ts_ns, char* out) {
    // second * 1e9 below must not overflow: the last ~9 s before INT64_MIN take the slow path.
    if (ts_ns < INT64_MIN + 10 * base::kNsPerSec) return base::format_rfc3339_ns(ts_ns, out);
    int64_t second = ts_ns / base::kNsPerSec;
    int64_t fraction = ts_ns % base::kNsPerSec;
    if (fraction < 0) {
      fraction += base::kNsPerSec;
      --second;
    }
    if (second != second_) {
      base::format_rfc3339_ns(second * base::kNsPerSec, text_);
      second_ = second;
    }
    std::memcpy(out, text_, 20);  // "YYYY-MM-DDTHH:MM:SS."
    // Nine fraction digits, two at a time from a table (per-digit division showed in profiles).
    auto f = static_cast<uint32_t>(fraction);
    for (int i = 27; i >= 21; i -= 2) {
      std::memcpy(out + i, kDigitPairs + 2 * (f % 100), 2);
      f /= 100;
    }
    out[20] = static_cast<char>('0' + f);
    out[29] = 'Z';
    return base::kRfc3339NsLength;
  }

 private:
  int64_t second_ = INT64_MIN;
  char text_[base::kRfc3339NsLength] = {};
};

// The template writer (see the top of this file). Holds two pointers; copying it is free. The
// caller owns the buffer and guarantees room for the whole document.
class DocumentWriter {
 public:
  explicit DocumentWriter(char* buffer) : begin_(buffer), p_(buffer) {}

  size_t size() const { return static_cast<size_t>(p_ - begin_); }
  std::string_view view() const { return {begin_, size()}; }

  // A literal run: one copy of a compile-time length.
  template <size_t N>
  void lit(const char (&text)[N]) {
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  // Text copied as it is: pre-escaped names, our own identifiers, pre-built fragments.
  void text(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void ch(char c) { *p_++ = c; }

  void u64(uint64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  void i64(int64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  // An integer as a JSON string ("6"): ECS types some numeric codes as keyword.
  void quoted_u64(uint64_t v) {
    *p_++ = '"';
    u64(v);
    *p_++ = '"';
  }
  void boolean(bool v) {
    if (v) {
      lit("true");
    } else {
      lit("false");
    }
  }
  // "2026-11-23T11:15:27.123456789Z", quotes included.
  void timestamp(int64_t ts_ns, TimestampCache& cache) {
    *p_++ = '"';
    p_ += cache.format(ts_ns, p_);
    *p_++ = '"';
  }
  // Addresses and identifiers, quotes included.
  void ip(const packet::IpAddress& ip) {
    *p_++ = '"';
    p_ += format_ip(ip, p_);
    *p_++ = '"';
  }
  void mac_ecs(const std::array<uint8_t, 6>& mac) {
    *p_++ = '"';
    p_ += format_mac_ecs(mac, p_);
    *p_++ = '"';
  }
  void mac_colon(const std::array<uint8_t, 6>& mac) {
    *p_++ = '"';
    p_ += format_mac_colon(mac, p_);
    *p_++ = '"';
  }
  // 16 lower-case hex digits (zero-padded), quotes included.
  void hex64(uint64_t v) {
    *p_++ = '"';
    for (int i = 7; i >= 0; --i) {
      std::memcpy(p_ + 2 * i, &detail::kHexLowerPairs[2 * (v & 0xff)], 2);
      v >>= 8;
    }
    p_ += 16;
    *p_++ = '"';
  }
  // A string known not to need escaping, quotes included.
  void plain_string(std::string_view s) {
    *p_++ = '"';
    text(s);
    *p_++ = '"';
  }

  // An object whose members are all optional: see the top of this file.
  size_t open() const { return size(); }
  void close(size_t opened) {
    if (size() == opened) {
      lit("{}");
      return;
    }
    begin_[opened] = '{';  // the first member's leading comma
    *p_++ = '}';
  }

 private:
  char* begin_;
  char* p_;
};

}  // namespace snapflow::pcap2json
