// Capped exponential backoff with full jitter, and the retry budget of one request.
//
// Delay n (n = 0, 1, …) is uniform in [d/2, d] with d = min(max, initial * 2^n): the half floor
// keeps a busy cluster from being hammered by near-zero retries, the jitter keeps several
// senders from retrying in lockstep.
#pragma once

#include <cstdint>
#include <random>

namespace snapflow::indexer {

class BackoffPolicy {
 public:
  BackoffPolicy(int64_t initial_ns, int64_t max_ns, int64_t total_ns, uint64_t seed);

  // Delay before retry number `attempt` (0 for the first retry).
  int64_t delay_ns(int attempt);
  // The upper bound of delay_ns(attempt), without jitter.
  int64_t cap_ns(int attempt) const;
  // True when a request first tried at start_ns may still be retried at now_ns after waiting
  // next_delay_ns more.
  bool within_budget(int64_t start_ns, int64_t now_ns, int64_t next_delay_ns) const;
  int64_t total_ns() const { return total_ns_; }

 private:
  int64_t initial_ns_;
  int64_t max_ns_;
  int64_t total_ns_;
  std::mt19937_64 rng_;
};

}  // namespace snapflow::indexer
