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

// Largest multiple of interval_ns not greater than ts_ns (correct for negative ts too). Within
// one interval of INT64_MIN (a saturated nonsense timestamp from a crafted capture) that
// multiple does not exist as an int64_t: the smallest one that does is returned instead.
constexpr int64_t align_down(int64_t ts_ns, int64_t interval_ns) {
  const int64_t r = ts_ns % interval_ns;
  const int64_t up = ts_ns - r;  // the multiple at or above ts_ns (r has ts_ns's sign)
  if (r >= 0) return up;
  return up < INT64_MIN + interval_ns ? up : up - interval_ns;
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
// CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID): what a stage costs, apart
// from the time other processes held the core.
int64_t now_thread_cpu_ns();

}  // namespace snapflow::base
