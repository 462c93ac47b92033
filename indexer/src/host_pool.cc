#include "snapflow/indexer/host_pool.h"

#include <algorithm>
#include <limits>

namespace snapflow::indexer {

HostPool::HostPool(size_t hosts, size_t first)
    : hosts_(std::max<size_t>(hosts, 1)), next_(first % std::max<size_t>(hosts, 1)) {}

size_t HostPool::pick(int64_t now_ns, const std::vector<bool>& tried) const {
  const size_t n = hosts_.size();
  auto untried = [&](size_t h) { return h >= tried.size() || !tried[h]; };
  // The next available host in round-robin order.
  for (size_t k = 0; k < n; ++k) {
    const size_t h = (next_ + k) % n;
    if (untried(h) && !paused(h, now_ns)) return h;
  }
  // Every untried host is paused: the one due back soonest (ties: round-robin order).
  size_t best = n;
  int64_t best_at = std::numeric_limits<int64_t>::max();
  for (size_t k = 0; k < n; ++k) {
    const size_t h = (next_ + k) % n;
    if (untried(h) && hosts_[h].retry_at_ns < best_at) {
      best = h;
      best_at = hosts_[h].retry_at_ns;
    }
  }
  return best;
}

void HostPool::advance(size_t host) {
  next_ = (host + 1) % hosts_.size();
}

int64_t HostPool::pause_ns(size_t host) const {
  const int failures = hosts_[host].failures;
  if (failures == 0) return 0;
  int64_t pause = kFirstPauseNs;
  for (int i = 1; i < failures && pause < kMaxPauseNs; ++i) pause *= 2;
  return std::min(pause, kMaxPauseNs);
}

bool HostPool::mark_failed(size_t host, int64_t now_ns) {
  State& s = hosts_[host];
  if (s.failures < 64) ++s.failures;
  s.retry_at_ns = now_ns + pause_ns(host);
  return s.failures == 1;
}

bool HostPool::mark_ok(size_t host) {
  State& s = hosts_[host];
  const bool was_failing = s.failures > 0;
  s = State{};
  return was_failing;
}

}  // namespace snapflow::indexer
