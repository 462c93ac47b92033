// HTTP Basic authentication for the capture API.
//
// Only the SHA-256 of the password is kept in memory; a request's password is hashed and the
// hashes compared in constant time (CRYPTO_memcmp), the user name too, so response timing does
// not reveal how much of a guess was right. All functions are thread-safe (no state).
#pragma once

#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"

namespace snapflow::capture {

Credentials make_credentials(std::string_view user, std::string_view password);

// "user:password" or "user:sha256:<64 hex digits>".
base::Result<Credentials> parse_credentials_line(std::string_view line);

enum class AuthResult {
  kOk,
  kMissing,    ///< no Authorization header, or not the Basic scheme
  kMalformed,  ///< Basic, but not valid base64 "user:password"
  kWrong,      ///< well-formed, wrong user or password
};

// Checks the value of an Authorization header ("Basic dXNlcjpwdw==") against credentials.
AuthResult check_basic_auth(std::string_view authorization, const Credentials& credentials);

}  // namespace snapflow::capture
