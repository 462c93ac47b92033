// TscClock: converts CPU timestamp-counter readings to nanoseconds since the epoch.
//
// The only TSC->ns conversion in snapflow (STYLE.md 18). Calibrated once from a (tsc, realtime)
// base pair and the TSC frequency; re-anchor() moves the base pair forward so that the clock
// follows realtime adjustments (NTP slews) without ever stepping backwards. Not thread-safe: one
// per capture thread. Header-only, allocation-free, no DPDK dependency (so it is unit-tested).
#pragma once

#include <cstdint>

namespace snapflow::capture {

class TscClock {
  __extension__ using U128 = unsigned __int128;

 public:
  TscClock(uint64_t tsc_hz, uint64_t base_tsc, int64_t base_ns)
      : hz_(tsc_hz == 0 ? 1 : tsc_hz), base_tsc_(base_tsc), base_ns_(base_ns) {}

  int64_t to_ns(uint64_t tsc) const {
    // 128-bit product: (tsc - base) * 1e9 overflows 64 bits after ~6 s at 3 GHz.
    const auto delta = static_cast<U128>(tsc - base_tsc_);
    const auto ns = static_cast<int64_t>(delta * 1'000'000'000u / hz_);
    const int64_t t = base_ns_ + ns;
    return t > last_ns_ ? t : last_ns_;
  }

  // Starts a new base pair at (tsc, realtime_ns), but never behind the last converted value.
  void re_anchor(uint64_t tsc, int64_t realtime_ns) {
    const int64_t now = to_ns(tsc);
    last_ns_ = now;
    base_tsc_ = tsc;
    base_ns_ = realtime_ns > now ? realtime_ns : now;
  }

  uint64_t hz() const { return hz_; }

 private:
  uint64_t hz_;
  uint64_t base_tsc_;
  int64_t base_ns_;
  int64_t last_ns_ = 0;
};

}  // namespace snapflow::capture
