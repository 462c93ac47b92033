// Rate limiting of authentication failures per client address, so the API is no password
// oracle, and a bounded log of them, so a flood of guesses cannot flood the log either.
//
// Each address (AddressKey: IPv4 address or IPv6 /64) has a token bucket of `burst` failures
// (kept as a GCRA "theoretical arrival time": exact integer arithmetic)
// that refills one token every `refill_interval_ns` (defaults: 10 failures at once, then one
// every 6 s, i.e. 10 a minute). While an address's bucket is empty, its requests are refused
// with 429 and a Retry-After *before* any credential is looked at, whether right or wrong, so
// the answer says nothing about a guess. A success refills the address's bucket.
// The table is an LRU of at most max_addresses entries (fixed memory; the least recently seen
// address is forgotten first). Forgetting is safe in one direction only: a forgotten address
// starts again with a full bucket, so an attacker needs max_addresses addresses (IPv6: /64s)
// to buy extra guesses, which costs it far more than the guesses are worth.
//
// Log lines: within a budget of `log_lines_per_interval` lines per interval, an address's first
// failure (after a quiet spell) and its being refused get a line each, with the address; every
// other failure is counted and summarised, with the 429s, in one line per interval by
// take_summary() (the server calls it every 250 ms). So at most log_lines_per_interval + 1
// lines per interval, whatever the load.
//
// Thread-safe (one mutex; O(1) per call). No allocation once max_addresses are tracked.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "snapflow/capture/api_limits.h"

namespace snapflow::capture {

struct AuthThrottleOptions {
  uint32_t burst = 10;
  int64_t refill_interval_ns = 6'000'000'000;
  size_t max_addresses = 4096;
  int64_t log_interval_ns = 10'000'000'000;
  uint32_t log_lines_per_interval = 5;
};

struct AuthThrottleCounters {
  uint64_t failures = 0;          ///< wrong or malformed credentials
  uint64_t refused_locked = 0;    ///< requests answered 429 without checking
  uint64_t addresses_locked = 0;  ///< times an address's bucket ran empty
};

class AuthThrottle {
 public:
  explicit AuthThrottle(const AuthThrottleOptions& options = {});

  // 0 when key may present credentials now; otherwise how long until it may (answer 429 with a
  // Retry-After of that many seconds, rounded up). Counts the refusal.
  int64_t blocked_for_ns(const AddressKey& key, int64_t now_ns);
  // Records a failed attempt. Returns a line to log now, or "" (the failure is then part of the
  // next summary).
  std::string record_failure(const AddressKey& key, int64_t now_ns);
  void record_success(const AddressKey& key);
  // Once per log interval: one line summarising what was not logged line by line ("" if
  // nothing was suppressed or the interval has not ended; force: end it now, at shutdown).
  std::string take_summary(int64_t now_ns, bool force = false);

  AuthThrottleCounters counters() const;
  size_t tracked_addresses() const;

 private:
  struct Bucket {
    AddressKey key;
    int64_t tat_ns = 0;  ///< GCRA theoretical arrival time of the next failure
  };
  Bucket& bucket_locked(const AddressKey& key);
  int64_t tolerance_ns() const;
  void start_interval_locked(int64_t now_ns);

  const AuthThrottleOptions options_;
  mutable std::mutex mu_;
  std::list<Bucket> lru_;  ///< most recently seen first
  std::unordered_map<AddressKey, std::list<Bucket>::iterator, AddressKeyHash> index_;
  AuthThrottleCounters counters_;
  bool interval_started_ = false;  ///< the first call starts the first interval
  int64_t interval_start_ns_ = 0;
  uint32_t lines_this_interval_ = 0;
  uint64_t suppressed_failures_ = 0;  ///< this interval, not logged line by line
  uint64_t refused_this_interval_ = 0;
};

}  // namespace snapflow::capture
