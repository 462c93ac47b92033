// The one time parser behind Start=/Stop=, --start/--stop and frame.time.
#include "snapflow/filter/time_text.h"

#include <gtest/gtest.h>

namespace snapflow::filter {
namespace {

int64_t parsed(std::string_view text) {
  auto r = parse_time_ns(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : -1;
}

TEST(TimeText, EpochNanosecondsWithAndWithoutFmadioSuffix) {
  EXPECT_EQ(parsed("1434793018780588947"), 1434793018780588947);
  EXPECT_EQ(parsed("1434793018780588947ULL"), 1434793018780588947);
  EXPECT_EQ(parsed("0"), 0);
  EXPECT_EQ(parsed("9223372036854775807"), INT64_MAX);
}

TEST(TimeText, Rfc3339WithFractionsAndOffsets) {
  EXPECT_EQ(parsed("2015-06-20T09:36:58.780588947Z"), 1434793018780588947);
  EXPECT_EQ(parsed("2015-06-20T09:36:58Z"), 1434793018000000000);
  EXPECT_EQ(parsed("2015-06-20t09:36:58.5z"), 1434793018500000000);
  EXPECT_EQ(parsed("2015-06-20 09:36:58.000001Z"), 1434793018000001000);
  EXPECT_EQ(parsed("2015-06-20T11:36:58.780588947+02:00"), 1434793018780588947);
  EXPECT_EQ(parsed("2015-06-20T04:36:58.780588947-05:00"), 1434793018780588947);
  EXPECT_EQ(parsed("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parsed("2024-02-29T00:00:00Z"), 1709164800000000000);  // leap day
}

TEST(TimeText, FmadioFilterForm) {
  EXPECT_EQ(parsed("20141225_08:00:00.100.200.300"), 1419494400100200300);
  EXPECT_EQ(parsed("20141225_08:00:00.100.200"), 1419494400100200000);
  EXPECT_EQ(parsed("20141225_08:00:00.100"), 1419494400100000000);
  EXPECT_EQ(parsed("20141225_08:00:00"), 1419494400000000000);
  EXPECT_EQ(parsed("20141225_08:00:00.5"), 1419494400500000000);
}

TEST(TimeText, RejectsMalformedAndOutOfRange) {
  for (std::string_view bad :
       {"", "ULL", "12a", "-5", "1434793018780588947UL", "99999999999999999999",
        "2015-06-20T09:36:58", "2015-13-20T09:36:58Z", "2015-02-29T00:00:00Z",
        "2015-06-20T24:00:00Z", "2015-06-20T09:36:58.1234567890Z", "1969-12-31T23:59:59Z",
        "2263-01-01T00:00:00Z", "20141225_08:00:00.1000000000", "20141225_08:00:00.100.20",
        "20141225_08:00:00.100.200.300.400", "20141225 08:00:00", "2015-06-20T09:36:58+2:00",
        "2015-06-20T09:36:58Zjunk"}) {
    auto r = parse_time_ns(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' parsed as " << (r.ok() ? *r : 0);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), base::ErrorCode::kInvalidArgument);
      EXPECT_NE(r.error().message().find("invalid time"), std::string::npos);
    }
  }
}

TEST(TimeText, ErrorQuotesTheTextSafely) {
  auto r = parse_time_ns(std::string_view("ab\x01\n", 4));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("'ab\\x01\\x0a'"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos);
}

TEST(TimeText, CompactSecondForFileNames) {
  EXPECT_EQ(format_compact_second(1434793018780588947), "20150620_093658");
  EXPECT_EQ(format_compact_second(0), "19700101_000000");
}

}  // namespace
}  // namespace snapflow::filter
