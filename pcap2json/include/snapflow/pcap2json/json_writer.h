// JsonWriter: a small, allocation-free JSON text writer over a caller-owned bounded buffer.
//
// The encoders produce ~1 M documents/s per core, so writing must cost a few nanoseconds per
// field: keys are string literals (their lengths are compile-time constants once inlined),
// integers go through std::to_chars, and every write is a bounds check plus a memcpy into a
// buffer that stays in L1. There is no DOM and no allocation; a document is built in a scratch
// buffer and appended to the batch body in one copy. The writer never writes past its end:
// running out of room sets overflowed() and further writes are ignored (the encoders size the
// buffer so that this cannot happen, and check anyway).
//
// Commas are inserted automatically: every value and key is separated from its predecessor in
// the same object/array, so callers write fields in order and never think about punctuation.
// Keys must not need escaping (they are our own literals); user-provided strings go through
// value_string(), which escapes and repairs invalid UTF-8. See docs/json.md.
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

// IPv4 dotted quad from 4 bytes. Returns the length written (7..15).
size_t format_ipv4(const uint8_t* bytes, char* out);
// IPv6 in RFC 5952 canonical form: lowercase hex, no leading zeros, the longest run (first on
// ties) of two or more zero groups compressed to "::", IPv4-mapped addresses as ::ffff:a.b.c.d.
size_t format_ipv6(const uint8_t* bytes, char* out);
// Either, by ip.version; 0 (nothing written) when the address is absent.
size_t format_ip(const packet::IpAddress& ip, char* out);
// ECS form "00-1A-2B-3C-4D-5E" (upper case, dashes).
size_t format_mac_ecs(const std::array<uint8_t, 6>& mac, char* out);
// fmadio/Wireshark form "00:1a:2b:3c:4d:5e" (lower case, colons).
size_t format_mac_colon(const std::array<uint8_t, 6>& mac, char* out);

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

class JsonWriter {
 public:
  JsonWriter(char* buffer, size_t capacity) : begin_(buffer), p_(buffer), end_(buffer + capacity) {}

  size_t size() const { return static_cast<size_t>(p_ - begin_); }
  std::string_view view() const { return {begin_, size()}; }
  bool overflowed() const { return overflowed_; }
  // Starts over at the beginning of the same buffer.
  void reset() {
    p_ = begin_;
    need_comma_ = false;
    overflowed_ = false;
  }

  // --- structure ---------------------------------------------------------------------------
  void begin_object() {
    separate();
    put('{');
    need_comma_ = false;
  }
  void begin_object(std::string_view name) {
    key(name);
    put('{');
    need_comma_ = false;
  }
  void end_object() {
    put('}');
    need_comma_ = true;
  }
  void begin_array(std::string_view name) {
    key(name);
    put('[');
    need_comma_ = false;
  }
  void end_array() {
    put(']');
    need_comma_ = true;
  }
  // Writes `"name":`. name must not need escaping.
  void key(std::string_view name) {
    separate();
    if (!room(name.size() + 3)) return;
    *p_++ = '"';
    std::memcpy(p_, name.data(), name.size());
    p_ += name.size();
    *p_++ = '"';
    *p_++ = ':';
    need_comma_ = false;
  }
  // Text copied verbatim as one value or member list (e.g. a pre-built `"a":1,"b":"x"`
  // fragment); a separating comma is added first when needed.
  void fragment(std::string_view text) {
    separate();
    raw(text);
    need_comma_ = true;
  }
  // Text copied verbatim, no separator logic (newlines, pre-built action lines).
  void raw(std::string_view text) {
    if (!room(text.size())) return;
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void raw(char c) { put(c); }

  // --- values (inside an array, or after key()) ---------------------------------------------
  void value_uint(uint64_t v) {
    separate();
    auto [ptr, ec] = std::to_chars(p_, end_, v);
    if (ec != std::errc()) return fail();
    p_ = ptr;
    need_comma_ = true;
  }
  void value_int(int64_t v) {
    separate();
    auto [ptr, ec] = std::to_chars(p_, end_, v);
    if (ec != std::errc()) return fail();
    p_ = ptr;
    need_comma_ = true;
  }
  // Integer written as a JSON string ("6"): ECS types some numeric codes as keyword.
  void value_uint_string(uint64_t v) {
    separate();
    if (!room(22)) return;
    *p_++ = '"';
    p_ = std::to_chars(p_, end_, v).ptr;
    *p_++ = '"';
    need_comma_ = true;
  }
  void value_bool(bool v) {
    separate();
    raw(v ? std::string_view("true") : std::string_view("false"));
    need_comma_ = true;
  }
  // A string known not to need escaping (our own literals, hex, base64url, formatted values).
  void value_plain_string(std::string_view s) {
    separate();
    if (!room(s.size() + 2)) return;
    *p_++ = '"';
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
    *p_++ = '"';
    need_comma_ = true;
  }
  // Any string: escaped (slower; for user-provided text on cold paths).
  void value_string(std::string_view s);
  // "2026-11-23T11:15:27.123456789Z"
  void value_timestamp(int64_t ts_ns) {
    separate();
    if (!room(base::kRfc3339NsLength + 2)) return;
    *p_++ = '"';
    p_ += base::format_rfc3339_ns(ts_ns, p_);
    *p_++ = '"';
    need_comma_ = true;
  }
  void value_timestamp(int64_t ts_ns, TimestampCache& cache) {
    separate();
    if (!room(base::kRfc3339NsLength + 2)) return;
    *p_++ = '"';
    p_ += cache.format(ts_ns, p_);
    *p_++ = '"';
    need_comma_ = true;
  }
  void value_ip(const packet::IpAddress& ip) {
    separate();
    if (!room(kMaxIpTextLength + 2)) return;
    *p_++ = '"';
    p_ += format_ip(ip, p_);
    *p_++ = '"';
    need_comma_ = true;
  }
  void value_mac_ecs(const std::array<uint8_t, 6>& mac) {
    separate();
    if (!room(kMacTextLength + 2)) return;
    *p_++ = '"';
    p_ += format_mac_ecs(mac, p_);
    *p_++ = '"';
    need_comma_ = true;
  }
  void value_mac_colon(const std::array<uint8_t, 6>& mac) {
    separate();
    if (!room(kMacTextLength + 2)) return;
    *p_++ = '"';
    p_ += format_mac_colon(mac, p_);
    *p_++ = '"';
    need_comma_ = true;
  }
  // Lower-case hex, zero-padded to `digits` (<= 16), as a JSON string.
  void value_hex(uint64_t v, int digits) {
    separate();
    if (!room(static_cast<size_t>(digits) + 2)) return;
    *p_++ = '"';
    for (int i = digits - 1; i >= 0; --i) {
      p_[i] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    }
    p_ += digits;
    *p_++ = '"';
    need_comma_ = true;
  }

  // --- key + value shorthands ----------------------------------------------------------------
  void field_uint(std::string_view name, uint64_t v) {
    key(name);
    value_uint(v);
  }
  void field_int(std::string_view name, int64_t v) {
    key(name);
    value_int(v);
  }
  void field_bool(std::string_view name, bool v) {
    key(name);
    value_bool(v);
  }
  void field_plain_string(std::string_view name, std::string_view v) {
    key(name);
    value_plain_string(v);
  }
  void field_timestamp(std::string_view name, int64_t ts_ns) {
    key(name);
    value_timestamp(ts_ns);
  }
  void field_timestamp(std::string_view name, int64_t ts_ns, TimestampCache& cache) {
    key(name);
    value_timestamp(ts_ns, cache);
  }
  void field_ip(std::string_view name, const packet::IpAddress& ip) {
    key(name);
    value_ip(ip);
  }

 private:
  void separate() {
    if (need_comma_) put(',');
  }
  void put(char c) {
    if (!room(1)) return;
    *p_++ = c;
  }
  bool room(size_t n) {
    if (static_cast<size_t>(end_ - p_) >= n && !overflowed_) return true;
    fail();
    return false;
  }
  void fail() {
    overflowed_ = true;
    p_ = end_;  // every later room() check fails too
  }

  char* begin_;
  char* p_;
  char* end_;
  bool need_comma_ = false;
  bool overflowed_ = false;
};

}  // namespace snapflow::pcap2json
