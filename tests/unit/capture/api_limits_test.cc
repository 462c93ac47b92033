// The API's connection accounting (who is admitted, who is evicted, header deadlines) and the
// authentication rate limiter, as pure logic with a recorded "closer" and explicit clocks.
#include "snapflow/capture/api_limits.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <set>
#include <vector>

#include "snapflow/capture/auth_throttle.h"

namespace snapflow::capture {
namespace {

constexpr int64_t kSec = 1'000'000'000;

AddressKey v4(const char* text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, text, &a.sin_addr);
  return address_key(reinterpret_cast<sockaddr*>(&a));
}

AddressKey v6(const char* text) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &a.sin6_addr);
  return address_key(reinterpret_cast<sockaddr*>(&a));
}

struct Table {
  explicit Table(ConnectionLimits limits)
      : table(limits, [this](int fd) { closed.push_back(fd); }) {}
  // Admits and adds a connection with the next fd; returns its entry or null if refused.
  ConnectionTable::Entry* connect(const AddressKey& key, int64_t now = 0) {
    const Admission a = table.admit(key);
    last = a;
    if (a == Admission::kRefuseAddressFull || a == Admission::kRefuseFull) return nullptr;
    return table.add(key, next_fd++, now);
  }
  std::vector<int> closed;
  ConnectionTable table;
  Admission last = Admission::kAccept;
  int next_fd = 100;
};

TEST(AddressKey, Ipv4Ipv6AndMapped) {
  EXPECT_EQ(to_string(v4("127.1.0.3")), "127.1.0.3");
  EXPECT_EQ(v4("10.0.0.1"), v6("::ffff:10.0.0.1"));  // IPv4-mapped counts as the IPv4 address
  EXPECT_EQ(v6("2001:db8:1:2::1"), v6("2001:db8:1:2:ffff::9"));  // same /64
  EXPECT_FALSE(v6("2001:db8:1:2::1") == v6("2001:db8:1:3::1"));
  EXPECT_EQ(to_string(v6("2001:db8:1:2::1")), "2001:db8:1:2::/64");
  EXPECT_FALSE(v4("127.0.0.1") == v4("127.0.0.2"));
}

TEST(ConnectionTable, PerAddressLimitRefusesTheNewcomer) {
  Table t({.max_connections = 100, .per_address = 3, .header_timeout_ns = 5 * kSec});
  for (int i = 0; i < 3; ++i) ASSERT_NE(t.connect(v4("127.1.0.1")), nullptr);
  EXPECT_EQ(t.connect(v4("127.1.0.1")), nullptr);
  EXPECT_EQ(t.last, Admission::kRefuseAddressFull);
  EXPECT_NE(t.connect(v4("127.1.0.2")), nullptr);  // another address is not affected
  EXPECT_TRUE(t.closed.empty());
  EXPECT_EQ(t.table.counters().refused_address_full, 1u);
}

TEST(ConnectionTable, WhenFullTheBusiestAddressGivesUpItsNewestIdleConnection) {
  Table t({.max_connections = 6, .per_address = 4, .header_timeout_ns = 5 * kSec});
  std::vector<ConnectionTable::Entry*> a, b;
  for (int i = 0; i < 4; ++i) a.push_back(t.connect(v4("127.1.0.1")));  // fds 100..103
  for (int i = 0; i < 2; ++i) b.push_back(t.connect(v4("127.1.0.2")));  // fds 104..105
  EXPECT_EQ(t.table.open_connections(), 6u);
  // A newcomer address takes the place of 127.1.0.1's newest idle connection (fd 103).
  ASSERT_NE(t.connect(v4("127.0.0.1")), nullptr);
  EXPECT_EQ(t.last, Admission::kAcceptAfterEviction);
  EXPECT_EQ(t.closed, std::vector<int>{103});
  // The evicted connection is closed later by the server; it no longer counts.
  t.table.remove(a[3]);
  EXPECT_EQ(t.table.open_connections(), 6u);
  // An address as busy as the busiest one cannot evict (no swapping between equals)...
  ASSERT_NE(t.connect(v4("127.1.0.3")), nullptr);  // 1.0.1 has 3 > 0: evicts fd 102
  EXPECT_EQ(t.closed.back(), 102);
  t.table.remove(a[2]);
  // Now 1.0.1: 2, 1.0.2: 2, 127.0.0.1: 1, 1.0.3: 1. A second 1.0.3 connection (holding 1)
  // evicts from an address holding 2: 1.0.2's newest (fd 105 is newer than 101).
  ASSERT_NE(t.connect(v4("127.1.0.3")), nullptr);
  EXPECT_EQ(t.closed.back(), 105);
  t.table.remove(b[1]);
  // All hold 2 or fewer; a third 1.0.3 connection (it holds 2) may not take from holders of 2.
  EXPECT_EQ(t.connect(v4("127.1.0.3")), nullptr);
  EXPECT_EQ(t.last, Admission::kRefuseFull);
}

TEST(ConnectionTable, RequestsInProgressAndAuthenticatedConnectionsAreNeverEvicted) {
  Table t({.max_connections = 4, .per_address = 4, .header_timeout_ns = 5 * kSec});
  std::vector<ConnectionTable::Entry*> a;
  for (int i = 0; i < 4; ++i) a.push_back(t.connect(v4("127.1.0.1")));
  t.table.begin_request(a[3]);       // newest: in a request
  t.table.mark_authenticated(a[2]);  // authenticated earlier on this connection
  t.table.begin_request(a[2]);
  t.table.end_request(a[2], 0);  // idle again, but it authenticated: protected
  auto* newcomer = t.connect(v4("127.0.0.1"));
  ASSERT_NE(newcomer, nullptr);
  EXPECT_EQ(t.closed, std::vector<int>{101});  // the newest idle, never-authenticated one
  t.table.begin_request(a[0]);
  t.table.begin_request(newcomer);
  // Nothing evictable is left at 127.1.0.1: the next newcomer is refused.
  EXPECT_EQ(t.connect(v4("127.0.0.2")), nullptr);
  EXPECT_EQ(t.last, Admission::kRefuseFull);
}

TEST(ConnectionTable, HeaderDeadlineClosesIdleConnectionsOnly) {
  Table t({.max_connections = 10, .per_address = 10, .header_timeout_ns = 5 * kSec});
  auto* idle = t.connect(v4("127.1.0.1"), 0);
  auto* busy = t.connect(v4("127.1.0.1"), 0);
  auto* late = t.connect(v4("127.1.0.1"), 3 * kSec);
  t.table.begin_request(busy);
  EXPECT_EQ(t.table.close_expired(4 * kSec), 0u);
  EXPECT_EQ(t.table.close_expired(5 * kSec), 1u);  // idle's deadline: 0 + 5 s
  EXPECT_EQ(t.closed, std::vector<int>{100});
  // busy's request ends at 6 s: a kept-alive connection gets a fresh deadline (11 s).
  t.table.end_request(busy, 6 * kSec);
  EXPECT_EQ(t.table.close_expired(8 * kSec), 1u);  // late: 3 + 5 s
  EXPECT_EQ(t.table.close_expired(10 * kSec), 0u);
  EXPECT_EQ(t.table.close_expired(11 * kSec), 1u);
  EXPECT_EQ(t.closed, (std::vector<int>{100, 102, 101}));
  EXPECT_EQ(t.table.counters().header_deadline_closed, 3u);
  EXPECT_EQ(t.table.open_connections(), 0u);
  for (auto* e : {idle, busy, late}) t.table.remove(e);
}

TEST(ConnectionTable, ManyAddressesStayWithinLimits) {
  Table t({.max_connections = 64, .per_address = 8, .header_timeout_ns = 5 * kSec});
  std::set<int> open;
  std::vector<ConnectionTable::Entry*> entries;
  for (int round = 0; round < 25; ++round) {
    for (int host = 1; host <= 20; ++host) {
      const std::string ip = "127.1.0." + std::to_string(host);
      if (auto* e = t.connect(v4(ip.c_str()))) entries.push_back(e);
    }
  }
  EXPECT_LE(t.table.open_connections(), 64u);
  // A 21st address is always admitted, evicting from a busier one.
  ASSERT_NE(t.connect(v4("127.0.0.1")), nullptr);
  EXPECT_LE(t.table.open_connections(), 64u);
  for (auto* e : entries) t.table.remove(e);
}

TEST(AuthThrottle, LocksAnAddressAfterTheBurstAndRefills) {
  AuthThrottle throttle({.burst = 3, .refill_interval_ns = 6 * kSec, .max_addresses = 16});
  const AddressKey a = v4("127.1.0.1");
  const AddressKey b = v4("127.1.0.2");
  EXPECT_EQ(throttle.blocked_for_ns(a, 0), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle.blocked_for_ns(a, 0), 0);
    throttle.record_failure(a, 0);
  }
  EXPECT_EQ(throttle.blocked_for_ns(a, 0), 6 * kSec);
  EXPECT_EQ(throttle.blocked_for_ns(a, 4 * kSec), 2 * kSec);
  EXPECT_EQ(throttle.blocked_for_ns(b, 0), 0);         // per address
  EXPECT_EQ(throttle.blocked_for_ns(a, 6 * kSec), 0);  // one token back
  throttle.record_failure(a, 6 * kSec);
  EXPECT_GT(throttle.blocked_for_ns(a, 6 * kSec), 0);
  throttle.record_success(a);  // e.g. the operator typed it right from this address before
  EXPECT_EQ(throttle.blocked_for_ns(a, 6 * kSec), 0);
  const AuthThrottleCounters c = throttle.counters();
  EXPECT_EQ(c.failures, 4u);
  EXPECT_EQ(c.refused_locked, 3u);
}

TEST(AuthThrottle, TableIsBoundedAndLeastRecentlySeenIsForgotten) {
  AuthThrottle throttle({.burst = 1, .refill_interval_ns = 60 * kSec, .max_addresses = 4});
  for (int i = 1; i <= 4; ++i) {
    throttle.record_failure(v4(("127.1.0." + std::to_string(i)).c_str()), 0);
  }
  EXPECT_GT(throttle.blocked_for_ns(v4("127.1.0.1"), 1), 0);  // also marks .1 recently seen
  throttle.record_failure(v4("127.1.0.5"), 2);                // forgets .2, the oldest
  EXPECT_EQ(throttle.tracked_addresses(), 4u);
  EXPECT_EQ(throttle.blocked_for_ns(v4("127.1.0.2"), 3), 0);
  EXPECT_GT(throttle.blocked_for_ns(v4("127.1.0.1"), 3), 0);
  for (int i = 0; i < 10000; ++i) {
    throttle.record_failure(
        v4(("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1").c_str()), 4);
  }
  EXPECT_EQ(throttle.tracked_addresses(), 4u);
}

TEST(AuthThrottle, LogLinesAreBoundedPerInterval) {
  AuthThrottle throttle({.burst = 10,
                         .refill_interval_ns = 6 * kSec,
                         .max_addresses = 64,
                         .log_interval_ns = 10 * kSec,
                         .log_lines_per_interval = 5});
  int lines = 0;
  for (int i = 0; i < 10000; ++i) {
    const AddressKey key = v4(("127.1.0." + std::to_string(i % 20 + 1)).c_str());
    const int64_t now = static_cast<int64_t>(i) * 1000;  // 10 ms in all: one interval
    if (throttle.blocked_for_ns(key, now) > 0) continue;
    if (!throttle.record_failure(key, now).empty()) ++lines;
  }
  EXPECT_EQ(lines, 5);
  EXPECT_EQ(throttle.take_summary(kSec), "");  // not yet the end of the interval
  const std::string summary = throttle.take_summary(10 * kSec);
  EXPECT_NE(summary.find("195 more authentication failures and 9800 requests refused"),
            std::string::npos)
      << summary;
  EXPECT_EQ(throttle.take_summary(11 * kSec), "");
  EXPECT_EQ(throttle.take_summary(21 * kSec), "");  // nothing happened: nothing to say
}

}  // namespace
}  // namespace snapflow::capture
