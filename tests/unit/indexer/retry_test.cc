#include "snapflow/indexer/retry.h"

#include <gtest/gtest.h>

#include "snapflow/base/time.h"

namespace snapflow::indexer {
namespace {

using base::kNsPerMs;
using base::kNsPerSec;

TEST(Backoff, DoublesUpToTheCapWithJitterInTheUpperHalf) {
  BackoffPolicy p(100 * kNsPerMs, 10 * kNsPerSec, 60 * kNsPerSec, 42);
  EXPECT_EQ(p.cap_ns(0), 100 * kNsPerMs);
  EXPECT_EQ(p.cap_ns(1), 200 * kNsPerMs);
  EXPECT_EQ(p.cap_ns(6), 6400 * kNsPerMs);
  EXPECT_EQ(p.cap_ns(7), 10 * kNsPerSec);
  EXPECT_EQ(p.cap_ns(1000), 10 * kNsPerSec);  // no overflow for absurd attempt counts
  bool saw_different = false;
  int64_t previous = -1;
  for (int attempt = 0; attempt < 12; ++attempt) {
    for (int k = 0; k < 50; ++k) {
      const int64_t d = p.delay_ns(attempt);
      EXPECT_GE(d, p.cap_ns(attempt) / 2);
      EXPECT_LE(d, p.cap_ns(attempt));
      if (previous >= 0 && d != previous) saw_different = true;
      previous = d;
    }
  }
  EXPECT_TRUE(saw_different);  // jittered, not a fixed sequence
}

TEST(Backoff, BudgetCountsFromTheFirstAttempt) {
  BackoffPolicy p(kNsPerMs, kNsPerSec, 30 * kNsPerSec, 1);
  EXPECT_TRUE(p.within_budget(0, 10 * kNsPerSec, kNsPerSec));
  EXPECT_TRUE(p.within_budget(0, 29 * kNsPerSec, kNsPerSec));
  EXPECT_FALSE(p.within_budget(0, 29 * kNsPerSec + 1, kNsPerSec));
  BackoffPolicy none(kNsPerMs, kNsPerSec, 0, 1);
  EXPECT_FALSE(none.within_budget(0, 0, kNsPerMs));
}

TEST(Backoff, DifferentSeedsDesynchronise) {
  BackoffPolicy a(100 * kNsPerMs, 10 * kNsPerSec, 60 * kNsPerSec, 1);
  BackoffPolicy b(100 * kNsPerMs, 10 * kNsPerSec, 60 * kNsPerSec, 2);
  int same = 0;
  for (int i = 0; i < 20; ++i) same += a.delay_ns(5) == b.delay_ns(5);
  EXPECT_LT(same, 3);
}

}  // namespace
}  // namespace snapflow::indexer
