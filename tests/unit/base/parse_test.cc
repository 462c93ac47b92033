// The shared value parsers: whole numbers, integers, sizes with their one suffix set, durations.
#include "snapflow/base/parse.h"

#include <gtest/gtest.h>

#include <string>

#include "snapflow/base/time.h"

namespace snapflow::base {
namespace {

TEST(ParseUint, WholeNumbersOnly) {
  EXPECT_EQ(parse_uint("0").value(), 0u);
  EXPECT_EQ(parse_uint("18446744073709551615").value(), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1k", "18446744073709551616"}) {
    auto r = parse_uint(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message(), "expected a whole number, got '" + std::string(bad) + "'");
  }
}

TEST(ParseUint, RangeIsPartOfTheMessage) {
  EXPECT_EQ(parse_uint("65535", 1, 65535).value(), 65535u);
  auto r = parse_uint("0", 1, 65535);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "expected a whole number from 1 to 65535, got '0'");
  EXPECT_FALSE(parse_uint("65536", 1, 65535).ok());
  EXPECT_FALSE(parse_uint("x", 1, 65535).ok());
}

TEST(ParseInt, OptionalMinus) {
  EXPECT_EQ(parse_int("-42").value(), -42);
  EXPECT_EQ(parse_int("9223372036854775807").value(), INT64_MAX);
  EXPECT_EQ(parse_int("-9223372036854775808").value(), INT64_MIN);
  for (const char* bad : {"", "-", "+1", "1.5", "9223372036854775808", "--1"}) {
    auto r = parse_int(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), "expected an integer, got '" + std::string(bad) + "'");
  }
}

TEST(ParseSize, OneSuffixSetAnyCase) {
  EXPECT_EQ(parse_size_bytes("4096").value(), 4096u);
  EXPECT_EQ(parse_size_bytes("4096B").value(), 4096u);
  EXPECT_EQ(parse_size_bytes("4096b").value(), 4096u);
  for (const char* k : {"512K", "512k", "512KB", "512kb", "512KiB", "512kib"}) {
    EXPECT_EQ(parse_size_bytes(k).value(), 512u << 10) << k;
  }
  EXPECT_EQ(parse_size_bytes("8MB").value(), 8u << 20);
  EXPECT_EQ(parse_size_bytes("64MiB").value(), 64u << 20);
  EXPECT_EQ(parse_size_bytes("1G").value(), 1u << 30);
  EXPECT_EQ(parse_size_bytes("2t").value(), uint64_t{2} << 40);
  EXPECT_EQ(parse_size_bytes("16777215T").value(), uint64_t{16777215} << 40);
  for (const char* bad : {"", "K", "-1K", "1.5G", "1 K", "1KK", "1Ki", "1P", "1KBB", "1iB", "x"}) {
    auto r = parse_size_bytes(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(),
              "expected a size such as 4096, 512K, 64M, 1G, got '" + std::string(bad) + "'");
  }
  auto overflow = parse_size_bytes("16777216T");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().message(), "size '16777216T' overflows");
}

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(parse_duration_ns("100ms").value(), 100 * kNsPerMs);
  EXPECT_EQ(parse_duration_ns("1s").value(), kNsPerSec);
  EXPECT_EQ(parse_duration_ns("250us").value(), 250 * kNsPerUs);
  EXPECT_EQ(parse_duration_ns("5m").value(), 300 * kNsPerSec);
  EXPECT_EQ(parse_duration_ns("5min").value(), 300 * kNsPerSec);
  EXPECT_EQ(parse_duration_ns("1h").value(), 3600 * kNsPerSec);
  EXPECT_EQ(parse_duration_ns("30d").value(), 30 * 86400 * kNsPerSec);
  EXPECT_EQ(parse_duration_ns("42").value(), 42);
  EXPECT_EQ(parse_duration_ns("42ns").value(), 42);
}

TEST(ParseDuration, RejectsGarbageWithMessage) {
  for (const char* bad :
       {"", "ms", "10 ms", "10parsecs", "-5ms", "99999999999999999999d", "9223372036854775807s"}) {
    auto r = parse_duration_ns(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message().rfind("duration '" + std::string(bad) + "': ", 0), 0u)
        << r.error().message();
  }
}

}  // namespace
}  // namespace snapflow::base
