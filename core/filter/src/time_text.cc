#include "snapflow/filter/time_text.h"

#include <charconv>

#include "snapflow/base/time.h"
#include "text_util.h"

namespace snapflow::filter {
namespace {

constexpr int64_t kMaxYear = 2262;

// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n decimal digits at text[pos...]; false if they are not all digits.
bool digits(std::string_view text, size_t pos, size_t n, int64_t& out) {
  if (pos + n > text.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

struct Civil {
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
  int64_t fraction_ns = 0;
  int64_t offset_s = 0;  ///< local time minus UTC
};

bool to_epoch_ns(const Civil& c, int64_t& out) {
  if (c.year < 1970 || c.year > kMaxYear || c.month < 1 || c.month > 12 || c.day < 1 ||
      c.day > days_in_month(c.year, static_cast<unsigned>(c.month)) || c.hour > 23 ||
      c.minute > 59 || c.second > 60) {  // 60: a leap second, folded into the next minute
    return false;
  }
  const int64_t days =
      days_from_civil(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
  const int64_t secs = days * 86400 + c.hour * 3600 + c.minute * 60 + c.second - c.offset_s;
  if (secs < 0 || secs > INT64_MAX / base::kNsPerSec - 1) return false;
  out = secs * base::kNsPerSec + c.fraction_ns;
  return out >= 0;
}

// A fraction of a second: 1..9 digits after the point.
bool decimal_fraction(std::string_view text, size_t& pos, int64_t& ns) {
  size_t n = 0;
  int64_t v = 0;
  while (pos + n < text.size() && text[pos + n] >= '0' && text[pos + n] <= '9') {
    if (n == 9) return false;
    v = v * 10 + (text[pos + n] - '0');
    ++n;
  }
  if (n == 0) return false;
  for (size_t i = n; i < 9; ++i) v *= 10;
  ns = v;
  pos += n;
  return true;
}

bool parse_rfc3339(std::string_view t, int64_t& out) {
  Civil c;
  if (!digits(t, 0, 4, c.year) || t.size() < 19 || t[4] != '-' || !digits(t, 5, 2, c.month) ||
      t[7] != '-' || !digits(t, 8, 2, c.day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      !digits(t, 11, 2, c.hour) || t[13] != ':' || !digits(t, 14, 2, c.minute) || t[16] != ':' ||
      !digits(t, 17, 2, c.second)) {
    return false;
  }
  size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    if (!decimal_fraction(t, pos, c.fraction_ns)) return false;
  }
  if (pos == t.size()) return false;  // RFC 3339 requires a zone designator
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    int64_t oh = 0;
    int64_t om = 0;
    if (!digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !digits(t, pos + 4, 2, om) || oh > 23 || om > 59) {
      return false;
    }
    c.offset_s = (t[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return false;
  }
  return pos == t.size() && to_epoch_ns(c, out);
}

bool parse_fmadio(std::string_view t, int64_t& out) {
  Civil c;
  if (t.size() < 17 || !digits(t, 0, 4, c.year) || !digits(t, 4, 2, c.month) ||
      !digits(t, 6, 2, c.day) || t[8] != '_' || !digits(t, 9, 2, c.hour) || t[11] != ':' ||
      !digits(t, 12, 2, c.minute) || t[14] != ':' || !digits(t, 15, 2, c.second)) {
    return false;
  }
  size_t pos = 17;
  if (pos < t.size()) {
    if (t[pos] != '.') return false;
    // Either groups of exactly three digits (ms.us.ns) or one plain decimal fraction.
    const size_t dot2 = t.find('.', pos + 1);
    if (dot2 == std::string_view::npos) {
      ++pos;
      if (!decimal_fraction(t, pos, c.fraction_ns) || pos != t.size()) return false;
    } else {
      int64_t scale = 1'000'000;
      while (pos < t.size()) {
        int64_t group = 0;
        if (t[pos] != '.' || scale == 0 || !digits(t, pos + 1, 3, group)) return false;
        c.fraction_ns += group * scale;
        scale /= 1000;
        pos += 4;
      }
    }
  }
  return to_epoch_ns(c, out);
}

bool parse_epoch_ns(std::string_view t, int64_t& out) {
  if (t.size() > 3 && (t.ends_with("ULL") || t.ends_with("ull"))) t.remove_suffix(3);
  if (t.empty() || t.size() > 19) return false;
  for (char ch : t) {
    if (ch < '0' || ch > '9') return false;
  }
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && end == t.data() + t.size();
}

}  // namespace

base::Result<int64_t> parse_time_ns(std::string_view text) {
  int64_t out = 0;
  if (parse_epoch_ns(text, out) || parse_rfc3339(text, out) || parse_fmadio(text, out)) {
    return out;
  }
  return base::make_error(base::ErrorCode::kInvalidArgument,
                          "invalid time '" + printable(text, 64) +
                              "': use epoch ns (1434793018780588947, ULL suffix allowed), RFC "
                              "3339 (2015-06-20T09:36:58.780588947Z) or 20150620_09:36:58.780.588."
                              "947 (UTC, 1970..2262)");
}

std::string format_compact_second(int64_t ts_ns) {
  char buf[base::kRfc3339NsLength];
  base::format_rfc3339_ns(ts_ns, buf);
  // 2026-11-23T00:00:01.000000000Z -> 20261123_000001
  const char out[] = {buf[0], buf[1],  buf[2],  buf[3],  buf[5],  buf[6],  buf[8], buf[9],
                      '_',    buf[11], buf[12], buf[14], buf[15], buf[17], buf[18]};
  return std::string(out, sizeof out);
}

}  // namespace snapflow::filter
