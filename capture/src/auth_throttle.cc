#include "snapflow/capture/auth_throttle.h"

#include <algorithm>

namespace snapflow::capture {

AuthThrottle::AuthThrottle(const AuthThrottleOptions& options) : options_(options) {}

// The bucket is kept as a theoretical arrival time (GCRA): each failure pushes tat_ns one
// refill interval further; the address is blocked while tat_ns lies more than burst - 1
// intervals ahead of now. Integer arithmetic, exact Retry-After values.
AuthThrottle::Bucket& AuthThrottle::bucket_locked(const AddressKey& key) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
  }
  if (lru_.size() >= options_.max_addresses) {  // reuse the least recently seen entry
    index_.erase(lru_.back().key);
    lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
  } else {
    lru_.emplace_front();
  }
  Bucket& b = lru_.front();
  b.key = key;
  b.tat_ns = 0;
  index_[key] = lru_.begin();
  return b;
}

int64_t AuthThrottle::tolerance_ns() const {
  return static_cast<int64_t>(options_.burst > 0 ? options_.burst - 1 : 0) *
         options_.refill_interval_ns;
}

int64_t AuthThrottle::blocked_for_ns(const AddressKey& key, int64_t now_ns) {
  std::lock_guard lock(mu_);
  if (!index_.contains(key)) return 0;  // never failed (or forgotten): a full bucket
  const Bucket& b = bucket_locked(key);
  const int64_t wait = b.tat_ns - now_ns - tolerance_ns();
  if (wait <= 0) return 0;
  ++counters_.refused_locked;
  ++refused_this_interval_;
  return wait;
}

void AuthThrottle::start_interval_locked(int64_t now_ns) {
  if (interval_started_) return;
  interval_started_ = true;
  interval_start_ns_ = now_ns;
}

std::string AuthThrottle::record_failure(const AddressKey& key, int64_t now_ns) {
  std::lock_guard lock(mu_);
  start_interval_locked(now_ns);
  Bucket& b = bucket_locked(key);
  const bool first = b.tat_ns <= now_ns;  // no failure from this address for a while
  b.tat_ns = std::max(b.tat_ns, now_ns) + options_.refill_interval_ns;
  ++counters_.failures;
  const bool locked_now = b.tat_ns - now_ns > tolerance_ns();
  if (locked_now) ++counters_.addresses_locked;
  // Worth a line of its own: an address starting to fail (a typo, or a scan starting) and an
  // address being refused; within the per-interval budget.
  if (!(first || locked_now) || lines_this_interval_ >= options_.log_lines_per_interval) {
    ++suppressed_failures_;
    return {};
  }
  ++lines_this_interval_;
  std::string line = "api: authentication failed from " + to_string(key);
  if (locked_now) {
    line += "; refusing it for " +
            std::to_string((options_.refill_interval_ns + 999'999'999) / 1'000'000'000) +
            " s (429) after " + std::to_string(options_.burst) + " failures";
  }
  return line;
}

void AuthThrottle::record_success(const AddressKey& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) it->second->tat_ns = 0;
}

std::string AuthThrottle::take_summary(int64_t now_ns, bool force) {
  std::lock_guard lock(mu_);
  start_interval_locked(now_ns);
  if (!force && now_ns - interval_start_ns_ < options_.log_interval_ns) return {};
  std::string line;
  if (suppressed_failures_ > 0 || refused_this_interval_ > 0) {
    line = "api: " + std::to_string(suppressed_failures_) + " more authentication failures and " +
           std::to_string(refused_this_interval_) +
           " requests refused (429) from rate-limited addresses in the last " +
           std::to_string((now_ns - interval_start_ns_ + 999'999'999) / 1'000'000'000) + " s; " +
           std::to_string(index_.size()) + " addresses tracked";
  }
  suppressed_failures_ = 0;
  refused_this_interval_ = 0;
  interval_start_ns_ = now_ns;
  lines_this_interval_ = 0;
  return line;
}

AuthThrottleCounters AuthThrottle::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t AuthThrottle::tracked_addresses() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

}  // namespace snapflow::capture
