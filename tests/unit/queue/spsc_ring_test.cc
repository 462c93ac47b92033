#include "snapflow/queue/spsc_ring.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

#include "snapflow/queue/backoff.h"

namespace snapflow::queue {
namespace {

TEST(SpscRing, CapacityIsRoundedToPowerOfTwo) {
  EXPECT_EQ(SpscRing<int>(1).capacity(), 1u);
  EXPECT_EQ(SpscRing<int>(5).capacity(), 8u);
  EXPECT_EQ(SpscRing<int>(64).capacity(), 64u);
}

TEST(SpscRing, BurstTakesWhatFitsAndKeepsOrder) {
  SpscRing<int> ring(8);
  std::vector<int> in(12);
  ASSERT_EQ(ring.capacity(), 8u);
  std::iota(in.begin(), in.end(), 100);
  EXPECT_EQ(ring.try_push_burst(in), 8u);
  EXPECT_EQ(ring.size_approx(), 8u);
  EXPECT_EQ(ring.try_push_burst(std::span<int>(in).subspan(8)), 0u);

  std::array<int, 5> out{};
  EXPECT_EQ(ring.try_pop_burst(out), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out[i], 100 + i);
  // Now 3 used, 5 free: the remaining 4 inputs fit.
  EXPECT_EQ(ring.try_push_burst(std::span<int>(in).subspan(8)), 4u);
  std::array<int, 16> rest{};
  EXPECT_EQ(ring.try_pop_burst(rest), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(rest[i], 105 + i);
  EXPECT_TRUE(ring.empty_approx());
  EXPECT_EQ(ring.try_pop_burst(rest), 0u);
}

TEST(SpscRing, PushBulkIsAllOrNothing) {
  SpscRing<int> ring(4);
  std::array<int, 3> three{1, 2, 3};
  EXPECT_EQ(ring.push_bulk(three), 3u);
  EXPECT_EQ(ring.push_bulk(three), 0u);  // only one slot free
  EXPECT_EQ(ring.size_approx(), 3u);
  std::array<int, 1> one{4};
  EXPECT_EQ(ring.push_bulk(one), 1u);
  std::array<int, 4> out{};
  EXPECT_EQ(ring.try_pop_burst(out), 4u);
  EXPECT_EQ(out, (std::array<int, 4>{1, 2, 3, 4}));
}

TEST(SpscRing, IndicesWrapPast32Bits) {
  // Indices start just below 2^32, so they wrap to 0 a few operations in.
  SpscRing<uint64_t> ring(4, UINT32_MAX - 5);
  uint64_t next_in = 0, next_out = 0;
  for (int lap = 0; lap < 100000; ++lap) {
    uint64_t v = next_in;
    if (ring.try_push(v)) ++next_in;
    uint64_t got = 0;
    if (lap % 3 != 0 && ring.try_pop(got)) {
      EXPECT_EQ(got, next_out++);
    }
  }
  uint64_t got = 0;
  while (ring.try_pop(got)) {
    EXPECT_EQ(got, next_out++);
  }
  EXPECT_EQ(next_in, next_out);
}

TEST(SpscRing, FullAndEmptyAcrossThe32BitWrap) {
  SpscRing<int> ring(4, UINT32_MAX - 1);
  std::array<int, 4> in{1, 2, 3, 4};
  EXPECT_EQ(ring.push_bulk(in), 4u);  // tail wraps from 2^32-2 to 2
  EXPECT_EQ(ring.size_approx(), 4u);
  int extra = 5;
  EXPECT_FALSE(ring.try_push(extra));
  std::array<int, 8> out{};
  EXPECT_EQ(ring.try_pop_burst(out), 4u);
  EXPECT_EQ(out[3], 4);
  EXPECT_TRUE(ring.empty_approx());
}

TEST(SpscRing, MovesOwningItems) {
  SpscRing<std::unique_ptr<int>> ring(4);
  std::array<std::unique_ptr<int>, 2> in{std::make_unique<int>(7), std::make_unique<int>(8)};
  EXPECT_EQ(ring.try_push_burst(in), 2u);
  EXPECT_EQ(in[0], nullptr);
  std::array<std::unique_ptr<int>, 2> out;
  EXPECT_EQ(ring.try_pop_burst(out), 2u);
  EXPECT_EQ(*out[0], 7);
  EXPECT_EQ(*out[1], 8);
}

// Two threads, bursts of varying size, every value checked in order. Run under TSan too
// (docs/ring.md gives the command).
TEST(SpscRing, TwoThreadStressKeepsSequence) {
  constexpr uint64_t kCount = 2'000'000;
  SpscRing<uint64_t> ring(256);
  std::thread producer([&] {
    Backoff backoff;
    std::array<uint64_t, 37> burst{};
    uint64_t next = 0;
    while (next < kCount) {
      const size_t want = 1 + next % burst.size();
      size_t n = 0;
      for (; n < want && next + n < kCount; ++n) burst[n] = next + n;
      const size_t pushed = (next % 2 == 0) ? ring.try_push_burst(std::span(burst.data(), n))
                                            : ring.push_bulk(std::span(burst.data(), n));
      if (pushed == 0) {
        backoff.idle();
      } else {
        backoff.reset();
      }
      next += pushed;
    }
  });
  uint64_t expected = 0;
  uint64_t mismatches = 0;
  Backoff backoff;
  std::array<uint64_t, 64> out{};
  while (expected < kCount) {
    const size_t n = ring.try_pop_burst(std::span(out.data(), 1 + expected % out.size()));
    if (n == 0) {
      backoff.idle();
      continue;
    }
    backoff.reset();
    for (size_t i = 0; i < n; ++i) mismatches += out[i] != expected++;
  }
  producer.join();
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(ring.empty_approx());
}

}  // namespace
}  // namespace snapflow::queue
