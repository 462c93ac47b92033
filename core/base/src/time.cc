#include "snapflow/base/time.h"

#include <charconv>
#include <chrono>
#include <ctime>

namespace snapflow::base {
namespace {

// Howard Hinnant's days-to-civil algorithm: exact for the whole int64 day range, no tz lookups.
struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

void put_digits(char* out, uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

struct SplitTime {
  CivilDate date;
  int64_t second_of_day;
  int64_t fraction_ns;
};

SplitTime split(int64_t ts_ns) {
  int64_t secs = ts_ns / kNsPerSec;
  int64_t frac = ts_ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  return {civil_from_days(days), sod, frac};
}

}  // namespace

size_t format_rfc3339_ns(int64_t ts_ns, char* out) {
  const SplitTime t = split(ts_ns);
  // Years outside 0..9999 cannot be written in RFC 3339; clamp rather than emit garbage.
  const uint64_t year = t.date.year < 0 ? 0 : (t.date.year > 9999 ? 9999 : t.date.year);
  put_digits(out, year, 4);
  out[4] = '-';
  put_digits(out + 5, t.date.month, 2);
  out[7] = '-';
  put_digits(out + 8, t.date.day, 2);
  out[10] = 'T';
  put_digits(out + 11, static_cast<uint64_t>(t.second_of_day / 3600), 2);
  out[13] = ':';
  put_digits(out + 14, static_cast<uint64_t>(t.second_of_day / 60 % 60), 2);
  out[16] = ':';
  put_digits(out + 17, static_cast<uint64_t>(t.second_of_day % 60), 2);
  out[19] = '.';
  put_digits(out + 20, static_cast<uint64_t>(t.fraction_ns), 9);
  out[29] = 'Z';
  return kRfc3339NsLength;
}

std::string format_rfc3339_ns(int64_t ts_ns) {
  std::string s(kRfc3339NsLength, '\0');
  format_rfc3339_ns(ts_ns, s.data());
  return s;
}

size_t format_index_day(int64_t ts_ns, char* out) {
  const SplitTime t = split(ts_ns);
  const uint64_t year = t.date.year < 0 ? 0 : (t.date.year > 9999 ? 9999 : t.date.year);
  put_digits(out, year, 4);
  out[4] = '.';
  put_digits(out + 5, t.date.month, 2);
  out[7] = '.';
  put_digits(out + 8, t.date.day, 2);
  return 10;
}

int64_t now_realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t now_thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

int64_t now_monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace snapflow::base
