#include "snapflow/base/time.h"

#include <gtest/gtest.h>

namespace snapflow::base {
namespace {

TEST(AlignDown, AlignsPositiveAndNegativeTimestamps) {
  EXPECT_EQ(align_down(1'234'567'890, 100 * kNsPerMs), 1'200'000'000);
  EXPECT_EQ(align_down(1'200'000'000, 100 * kNsPerMs), 1'200'000'000);
  EXPECT_EQ(align_down(-1, 100 * kNsPerMs), -100 * kNsPerMs);
  // Saturated timestamps (a crafted pcapng offset) must not overflow (UBSan checks it): at the
  // bottom the smallest representable multiple stands in for the one below INT64_MIN.
  constexpr int64_t kDay = 86'400 * kNsPerSec;
  EXPECT_EQ(align_down(INT64_MIN, kDay), INT64_MIN - INT64_MIN % kDay);
  EXPECT_EQ(align_down(INT64_MIN + 1, 100 * kNsPerMs), INT64_MIN - INT64_MIN % (100 * kNsPerMs));
  EXPECT_EQ(align_down(INT64_MAX, kDay), INT64_MAX - INT64_MAX % kDay);
  EXPECT_EQ(align_down(INT64_MIN, 1), INT64_MIN);
}

TEST(FormatRfc3339, WritesNanosecondsUtc) {
  EXPECT_EQ(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_rfc3339_ns(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123456789Z");
  // Leap day, and the last nanosecond of a year.
  EXPECT_EQ(format_rfc3339_ns(951'782'400 * kNsPerSec), "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(format_rfc3339_ns(1'704'067'200 * kNsPerSec - 1), "2023-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_rfc3339_ns(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(FormatIndexDay, WritesDottedUtcDay) {
  char day[10];
  ASSERT_EQ(format_index_day(1'700'000'000 * kNsPerSec, day), 10u);
  EXPECT_EQ(std::string(day, 10), "2023.11.14");
}

}  // namespace
}  // namespace snapflow::base
