#include "snapflow/base/result.h"

#include <gtest/gtest.h>

#include "snapflow/base/bytes.h"

namespace snapflow::base {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return make_error(ErrorCode::kInvalidArgument, "value " + std::to_string(v));
  return v;
}

Status outer(int v) {
  SNAPFLOW_TRY_STATUS(parse_positive(v), "outer");
  return ok_status();
}

TEST(Result, CarriesValueOrErrorWithContextChain) {
  EXPECT_EQ(parse_positive(3).value(), 3);
  auto s = outer(-1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().to_string(), "invalid argument: value -1 <- outer");
  EXPECT_TRUE(outer(1).ok());
}

TEST(ByteCursor, NeverReadsPastEnd) {
  const std::byte data[3] = {std::byte{0x12}, std::byte{0x34}, std::byte{0x56}};
  ByteCursor c(data, sizeof data);
  uint16_t v16 = 0;
  uint32_t v32 = 0;
  ASSERT_TRUE(c.read_be16(v16));
  EXPECT_EQ(v16, 0x1234);
  EXPECT_FALSE(c.read_be32(v32));
  EXPECT_EQ(c.position(), 2u);
  EXPECT_FALSE(c.skip(2));
  EXPECT_TRUE(c.skip(1));
  EXPECT_EQ(c.remaining(), 0u);
}

TEST(Bytes, LoadsAndStoresBothByteOrders) {
  std::byte buf[4];
  store_be32(buf, 0x01020304);
  EXPECT_EQ(load_be32(buf), 0x01020304u);
  EXPECT_EQ(load_le32(buf), 0x04030201u);
  store_le16(buf, 0xabcd);
  EXPECT_EQ(load_le16(buf), 0xabcd);
}

}  // namespace
}  // namespace snapflow::base
