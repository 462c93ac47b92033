// One time type for all of snapflow: int64_t nanoseconds since the Unix epoch, UTC.
// Names carry the unit (ts_ns, interval_ns). Conversions from TSC exist only in capture/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::base {

inline constexpr int64_t kNsPerUs = 1'000;
inline constexpr int64_t kNsPerMs = 1'000'000;
inline constexpr int64_t kNsPerSec = 1'000'000'000;

// Largest multiple of interval_ns not greater than ts_ns (correct for negative ts too).
constexpr int64_t align_down(int64_t ts_ns, int64_t interval_ns) {
  int64_t r = ts_ns % interval_ns;
  return r < 0 ? ts_ns - r - interval_ns : ts_ns - r;
}

// Writes "2026-11-23T11:15:27.123456789Z" (30 chars, always 9 fraction digits) into out,
// which must hold kRfc3339NsLength bytes. Returns the number of bytes written.
inline constexpr size_t kRfc3339NsLength = 30;
size_t format_rfc3339_ns(int64_t ts_ns, char* out);
std::string format_rfc3339_ns(int64_t ts_ns);

// Writes "YYYY.MM.DD" (10 chars) of ts_ns's UTC day: the daily index suffix.
size_t format_index_day(int64_t ts_ns, char* out);

int64_t now_realtime_ns();
int64_t now_monotonic_ns();

}  // namespace snapflow::base
