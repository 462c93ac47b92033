#include "snapflow/indexer/host_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace snapflow::indexer {
namespace {

constexpr int64_t kSec = 1'000'000'000;
const std::vector<bool> kNoneTried;

TEST(HostPool, RoundRobinFromTheGivenFirstHost) {
  HostPool pool(3, 4);  // 4 % 3: starts at host 1
  std::vector<size_t> order;
  for (int i = 0; i < 6; ++i) {
    const size_t h = pool.pick(0, kNoneTried);
    order.push_back(h);
    pool.advance(h);
  }
  EXPECT_EQ(order, (std::vector<size_t>{1, 2, 0, 1, 2, 0}));
}

TEST(HostPool, FailedHostIsSkippedUntilItsPauseEnds) {
  HostPool pool(3, 0);
  EXPECT_TRUE(pool.mark_failed(0, 10 * kSec));  // first failure: the moment to warn
  EXPECT_EQ(pool.pause_ns(0), kSec);
  EXPECT_TRUE(pool.paused(0, 10 * kSec + kSec - 1));
  EXPECT_EQ(pool.pick(10 * kSec, kNoneTried), 1u);
  // Round-robin carries on over the healthy hosts only.
  pool.advance(1);
  EXPECT_EQ(pool.pick(10 * kSec, kNoneTried), 2u);
  pool.advance(2);
  EXPECT_EQ(pool.pick(10 * kSec, kNoneTried), 1u);
  // After the pause it is tried again.
  EXPECT_EQ(pool.pick(11 * kSec, kNoneTried), 0u);
}

TEST(HostPool, PauseDoublesUpToSixtySecondsAndResetsOnAnAnswer) {
  HostPool pool(2, 0);
  std::vector<int64_t> pauses;
  for (int i = 0; i < 10; ++i) {
    const bool first = pool.mark_failed(0, 0);
    EXPECT_EQ(first, i == 0);
    pauses.push_back(pool.pause_ns(0) / kSec);
  }
  EXPECT_EQ(pauses, (std::vector<int64_t>{1, 2, 4, 8, 16, 32, 60, 60, 60, 60}));
  EXPECT_TRUE(pool.mark_ok(0));  // was failing: the moment to say it is back
  EXPECT_EQ(pool.failures(0), 0);
  EXPECT_FALSE(pool.paused(0, 0));
  EXPECT_FALSE(pool.mark_ok(0));
  for (int i = 0; i < 1000; ++i) pool.mark_failed(1, 0);  // no overflow
  EXPECT_EQ(pool.pause_ns(1), HostPool::kMaxPauseNs);
}

TEST(HostPool, WithinOneSendEachHostIsTriedOnce) {
  HostPool pool(3, 1);
  std::vector<bool> tried(3, false);
  std::vector<size_t> order;
  for (;;) {
    const size_t h = pool.pick(0, tried);
    if (h == pool.size()) break;
    tried[h] = true;
    pool.advance(h);
    pool.mark_failed(h, 0);
    order.push_back(h);
  }
  EXPECT_EQ(order, (std::vector<size_t>{1, 2, 0}));
}

TEST(HostPool, WhenAllArePausedTheOneDueSoonestIsTried) {
  HostPool pool(3, 0);
  pool.mark_failed(0, 0);
  pool.mark_failed(0, 0);  // due at 2 s
  pool.mark_failed(1, 0);  // due at 1 s
  pool.mark_failed(2, 0);
  pool.mark_failed(2, 0);
  pool.mark_failed(2, 0);  // due at 4 s
  EXPECT_EQ(pool.pick(0, kNoneTried), 1u);
  std::vector<bool> tried{false, true, false};
  EXPECT_EQ(pool.pick(0, tried), 0u);
  // A single host is always tried, paused or not: there is nothing else.
  HostPool one(1, 0);
  one.mark_failed(0, 0);
  EXPECT_EQ(one.pick(0, kNoneTried), 0u);
}

}  // namespace
}  // namespace snapflow::indexer
