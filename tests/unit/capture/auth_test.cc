#include "snapflow/capture/auth.h"

#include <gtest/gtest.h>

namespace snapflow::capture {
namespace {

// base64("admin:secret") = YWRtaW46c2VjcmV0
TEST(BasicAuth, AcceptsTheRightPair) {
  Credentials c = make_credentials("admin", "secret");
  EXPECT_EQ(check_basic_auth("Basic YWRtaW46c2VjcmV0", c), AuthResult::kOk);
  EXPECT_EQ(check_basic_auth("basic YWRtaW46c2VjcmV0", c), AuthResult::kOk);
}

TEST(BasicAuth, RejectsWrongUserOrPassword) {
  Credentials c = make_credentials("admin", "secret");
  // admin:secreT, admiN:secret, admin:
  EXPECT_EQ(check_basic_auth("Basic YWRtaW46c2VjcmVU", c), AuthResult::kWrong);
  EXPECT_EQ(check_basic_auth("Basic YWRtaU46c2VjcmV0", c), AuthResult::kWrong);
  EXPECT_EQ(check_basic_auth("Basic YWRtaW46", c), AuthResult::kWrong);
}

TEST(BasicAuth, MissingOrMalformed) {
  Credentials c = make_credentials("admin", "secret");
  EXPECT_EQ(check_basic_auth("", c), AuthResult::kMissing);
  EXPECT_EQ(check_basic_auth("Bearer abc", c), AuthResult::kMissing);
  EXPECT_EQ(check_basic_auth("Basic ", c), AuthResult::kMalformed);
  EXPECT_EQ(check_basic_auth("Basic !!!!", c), AuthResult::kMalformed);
  EXPECT_EQ(check_basic_auth("Basic YWRtaW4=", c), AuthResult::kMalformed);  // "admin", no colon
  EXPECT_EQ(check_basic_auth("Basic " + std::string(4000, 'A'), c), AuthResult::kMalformed);
  // Padding only at the end, at most two '=' (found by the api_request fuzz target: a run of
  // '=' used to wrap the decoded length around and abort the daemon).
  EXPECT_EQ(check_basic_auth("Basic YW" + std::string(78, '='), c), AuthResult::kMalformed);
  EXPECT_EQ(check_basic_auth("Basic ====", c), AuthResult::kMalformed);
  EXPECT_EQ(check_basic_auth("Basic YW=u", c), AuthResult::kMalformed);
  EXPECT_EQ(check_basic_auth("Basic YTpi", c), AuthResult::kWrong);      // "a:b"
  EXPECT_EQ(check_basic_auth("Basic YTpiYw==", c), AuthResult::kWrong);  // "a:bc"
  EXPECT_EQ(check_basic_auth("Basic YTpiY2Q=", c), AuthResult::kWrong);  // "a:bcd"
}

TEST(BasicAuth, EmptyCredentialsNeverMatch) {
  Credentials none;
  // base64(":") = Og==
  EXPECT_EQ(check_basic_auth("Basic Og==", none), AuthResult::kWrong);
}

TEST(BasicAuth, HashedCredentialLines) {
  // sha256("secret")
  auto c = parse_credentials_line(
      "admin:sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(check_basic_auth("Basic YWRtaW46c2VjcmV0", *c), AuthResult::kOk);
  EXPECT_FALSE(parse_credentials_line("nocolon").ok());
  EXPECT_FALSE(parse_credentials_line(":pw").ok());
  EXPECT_FALSE(parse_credentials_line(
                   "admin:sha256:zzb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b")
                   .ok());
}

}  // namespace
}  // namespace snapflow::capture
