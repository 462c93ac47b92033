#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";

// One IPv6 group: lower-case hex without leading zeros ("0" for zero).
char* put_group(char* p, unsigned v) {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (v >> shift) & 0xf;
    if (nibble != 0 || started || shift == 0) {
      *p++ = kHexLower[nibble];
      started = true;
    }
  }
  return p;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (overlong
// forms, surrogates and code points above U+10FFFF are invalid, per RFC 3629).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  const auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xc0) == 0x80; };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const uint8_t b1 = byte(i + 1);
    if (b0 == 0xe0 && b1 < 0xa0) return 0;   // overlong
    if (b0 == 0xed && b1 >= 0xa0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const uint8_t b1 = byte(i + 1);
    if (b0 == 0xf0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xf4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

size_t format_ipv6(const uint8_t* bytes, char* out) {
  unsigned groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = (unsigned{bytes[2 * i]} << 8) | bytes[2 * i + 1];

  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
  if (groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 && groups[4] == 0 &&
      groups[5] == 0xffff) {
    std::memcpy(out, "::ffff:", 7);
    return 7 + format_ipv4(bytes + 12, out + 7);
  }

  // Longest run of zero groups (the first one on ties); a single zero group is not compressed.
  int best = -1;
  int best_length = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j;
  }
  if (best_length < 2) best = -1;

  char* p = out;
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_length) {
      if (i == best) *p++ = ':';  // the first ':' of "::"; the second comes from the next group
      continue;
    }
    if (i != 0) *p++ = ':';
    p = put_group(p, groups[i]);
  }
  if (best >= 0 && best + best_length == 8) *p++ = ':';  // trailing "::"
  return static_cast<size_t>(p - out);
}

void append_json_escaped(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size();) {
    const auto c = static_cast<uint8_t>(in[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      // \u00XX for every control character keeps the rule simple and the output printable.
      out.append("\\u00");
      out.push_back(kHexLower[c >> 4]);
      out.push_back(kHexLower[c & 0xf]);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (const size_t n = utf8_sequence_length(in, i); n != 0) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out.append("\\ufffd");  // replacement character for an invalid byte
      ++i;
    }
  }
}

std::string json_quoted(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 2);
  out.push_back('"');
  append_json_escaped(in, out);
  out.push_back('"');
  return out;
}

}  // namespace snapflow::pcap2json
