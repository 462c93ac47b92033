#include "snapflow/capture/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string>

namespace snapflow::capture {
namespace {

std::array<uint8_t, 32> sha256(std::string_view text) {
  std::array<uint8_t, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Longest user name or password accepted; bounds the work done for a hostile header.
constexpr size_t kMaxAuthHeaderBytes = 1024;

}  // namespace

Credentials make_credentials(std::string_view user, std::string_view password) {
  Credentials c;
  c.user = user;
  c.password_sha256 = sha256(password);
  return c;
}

base::Result<Credentials> parse_credentials_line(std::string_view line) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= line.size()) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "expected one line user:password or user:sha256:HEX");
  }
  std::string_view user = line.substr(0, colon);
  std::string_view rest = line.substr(colon + 1);
  constexpr std::string_view kHashPrefix = "sha256:";
  if (rest.substr(0, kHashPrefix.size()) == kHashPrefix && rest.size() == kHashPrefix.size() + 64) {
    Credentials c;
    c.user = user;
    std::string_view hex = rest.substr(kHashPrefix.size());
    for (size_t i = 0; i < 32; ++i) {
      int hi = hex_value(hex[2 * i]);
      int lo = hex_value(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        return base::make_error(base::ErrorCode::kInvalidArgument, "sha256: bad hex digit");
      }
      c.password_sha256[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return c;
  }
  return make_credentials(user, rest);
}

AuthResult check_basic_auth(std::string_view authorization, const Credentials& credentials) {
  // The scheme name is case-insensitive (RFC 7617).
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() < kScheme.size()) return AuthResult::kMissing;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return AuthResult::kMissing;
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > kMaxAuthHeaderBytes) {
    return AuthResult::kMalformed;
  }
  // Padding: at most two '=', only at the end (more would make the length below wrap around).
  size_t padding = 0;
  while (padding < encoded.size() && encoded[encoded.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return AuthResult::kMalformed;
  for (char ch : encoded.substr(0, encoded.size() - padding)) {
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/';
    if (!ok) return AuthResult::kMalformed;
  }
  std::string decoded(encoded.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(encoded.data()),
                          static_cast<int>(encoded.size()));
  if (n < 0) return AuthResult::kMalformed;
  // EVP_DecodeBlock counts padding as zero bytes; drop one per '=' (n >= 3 > padding here).
  decoded.resize(static_cast<size_t>(n) - padding);
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return AuthResult::kMalformed;
  std::string_view user = std::string_view(decoded).substr(0, colon);
  std::string_view password = std::string_view(decoded).substr(colon + 1);
  // Compare hashes of the user names too so the comparison length never depends on input.
  auto user_hash = sha256(user);
  auto expected_user_hash = sha256(credentials.user);
  auto password_hash = sha256(password);
  bool user_ok = CRYPTO_memcmp(user_hash.data(), expected_user_hash.data(), 32) == 0;
  bool password_ok =
      CRYPTO_memcmp(password_hash.data(), credentials.password_sha256.data(), 32) == 0;
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return (user_ok & password_ok) && credentials.present() ? AuthResult::kOk : AuthResult::kWrong;
}

}  // namespace snapflow::capture
