#include "snapflow/queue/backoff.h"

#include <gtest/gtest.h>

namespace snapflow::queue {
namespace {

TEST(Backoff, SpinsThenSleepsWithDoublingBoundedDelay) {
  Backoff backoff({.spin_polls = 3, .min_sleep_ns = 1'000, .max_sleep_ns = 4'000});
  EXPECT_EQ(backoff.idle(), 0);
  EXPECT_EQ(backoff.idle(), 0);
  EXPECT_EQ(backoff.idle(), 0);
  EXPECT_EQ(backoff.idle(), 1'000);
  EXPECT_TRUE(backoff.is_sleeping());
  EXPECT_EQ(backoff.idle(), 2'000);
  EXPECT_EQ(backoff.idle(), 4'000);
  EXPECT_EQ(backoff.idle(), 4'000);
  backoff.reset();
  EXPECT_FALSE(backoff.is_sleeping());
  EXPECT_EQ(backoff.idle(), 0);
}

}  // namespace
}  // namespace snapflow::queue
