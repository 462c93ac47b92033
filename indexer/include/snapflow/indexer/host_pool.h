// HostPool: which cluster node an EsClient sends its next request to.
//
// Round-robin over the configured hosts spreads the load; a host that failed at the connection
// level (refused, reset, timed out) is skipped for a while, so a node that is down costs one
// failed attempt, not one per round (with a remote host that is switched off, every attempt
// would wait for the connect timeout). The pause doubles with each consecutive failure, from
// 1 s to 60 s, like the official clients' dead-host lists; when every host is paused, the
// one due back soonest is tried anyway, so the client never stops trying. Pure bookkeeping with
// the clock passed in: no I/O, not thread-safe (one per EsClient, one EsClient per thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace snapflow::indexer {

class HostPool {
 public:
  static constexpr int64_t kFirstPauseNs = 1'000'000'000;  // 1 s
  static constexpr int64_t kMaxPauseNs = 60'000'000'000;   // 60 s

  // hosts >= 1; the first pick is `first % hosts` (sender threads start on different hosts).
  HostPool(size_t hosts, size_t first);

  // The host to try next at time now_ns, skipping those in `tried` (a bit per host, for
  // failover within one request) and, while any other is available, paused ones. Returns
  // size() when every host has been tried.
  size_t pick(int64_t now_ns, const std::vector<bool>& tried) const;
  // Moves the round-robin position past `host` (call after using it).
  void advance(size_t host);

  // Records a connection-level failure; returns true when this is the host's first
  // consecutive failure (the moment to tell the operator).
  bool mark_failed(size_t host, int64_t now_ns);
  // Records an answer (any HTTP status); returns true when the host had been failing.
  bool mark_ok(size_t host);

  bool paused(size_t host, int64_t now_ns) const { return now_ns < hosts_[host].retry_at_ns; }
  int failures(size_t host) const { return hosts_[host].failures; }
  int64_t pause_ns(size_t host) const;  // length of the host's current pause (0 when healthy)
  size_t size() const { return hosts_.size(); }

 private:
  struct State {
    int failures = 0;         // consecutive connection-level failures
    int64_t retry_at_ns = 0;  // skip the host before this time
  };
  std::vector<State> hosts_;
  size_t next_ = 0;
};

}  // namespace snapflow::indexer
