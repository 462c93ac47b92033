// PCAPNG timestamp units -> int64 nanoseconds since the epoch.
//
// An interface's if_tsresol is 10^-n (n <= 19 fits a uint64 divisor) or 2^-n (n <= 63)
// seconds per unit, and if_tsoffset a signed number of seconds added to every timestamp.
// Results that would not fit an int64 saturate instead of wrapping: a nonsense timestamp
// stays visibly nonsense rather than turning into a plausible date.
#pragma once

#include <cstdint>
#include <limits>

namespace snapflow::pcap {

struct TimestampResolution {
  bool power_of_two = false;
  uint8_t exponent = 6;  ///< units are 10^-exponent or 2^-exponent seconds
  int64_t offset_s = 0;  ///< if_tsoffset

  // Decodes the if_tsresol option byte; false when it cannot be represented.
  bool set_from_option(uint8_t value) {
    bool pow2 = (value & 0x80) != 0;
    uint8_t exp = value & 0x7f;
    if (pow2 ? exp > 63 : exp > 19) return false;
    power_of_two = pow2;
    exponent = exp;
    return true;
  }
};

inline int64_t saturate_to_int64(uint64_t v) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return v > kMax ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(v);
}

inline uint64_t units_to_ns(uint64_t units, const TimestampResolution& res) {
  constexpr uint64_t kNs = 1'000'000'000;
  uint64_t ns = 0;
  if (!res.power_of_two) {
    uint64_t pow10 = 1;
    if (res.exponent <= 9) {
      for (int i = res.exponent; i < 9; ++i) pow10 *= 10;
      if (__builtin_mul_overflow(units, pow10, &ns)) ns = UINT64_MAX;
    } else {
      for (int i = 9; i < res.exponent; ++i) pow10 *= 10;
      ns = units / pow10;
    }
    return ns;
  }
  unsigned n = res.exponent;
  uint64_t seconds = n == 0 ? units : units >> n;
  uint64_t frac = n == 0 ? 0 : units & ((uint64_t{1} << n) - 1);
  // frac < 2^n; frac * 10^9 needs n + 30 bits, so shift the excess off first when n > 34.
  uint64_t frac_ns = n <= 34 ? (frac * kNs) >> n : ((frac >> (n - 34)) * kNs) >> 34;
  if (__builtin_mul_overflow(seconds, kNs, &ns) || __builtin_add_overflow(ns, frac_ns, &ns))
    return UINT64_MAX;
  return ns;
}

inline int64_t pcapng_timestamp_ns(uint64_t units, const TimestampResolution& res) {
  int64_t ns = saturate_to_int64(units_to_ns(units, res));
  if (res.offset_s != 0) {
    int64_t offset_ns = 0;
    if (__builtin_mul_overflow(res.offset_s, int64_t{1'000'000'000}, &offset_ns) ||
        __builtin_add_overflow(ns, offset_ns, &ns)) {
      ns = res.offset_s > 0 ? std::numeric_limits<int64_t>::max()
                            : std::numeric_limits<int64_t>::min();
    }
  }
  return ns;
}

}  // namespace snapflow::pcap
