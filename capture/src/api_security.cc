#include "snapflow/capture/api_security.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>

namespace snapflow::capture {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// "scheme://host[:port]" of a URL (Origin is already that; a Referer has a path after it).
std::string_view origin_of(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const size_t path = url.find_first_of("/?#", scheme_end + 3);
  return url.substr(0, path);
}

std::string shown(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 100)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

}  // namespace

std::string cross_site_refusal(const RequestOrigin& r) {
  if (!r.sec_fetch_site.empty() && !iequals(r.sec_fetch_site, "same-origin") &&
      !iequals(r.sec_fetch_site, "none")) {
    return "state changes are refused from another site (Sec-Fetch-Site: " +
           shown(r.sec_fetch_site) + ")";
  }
  const std::string own = std::string(r.tls ? "https://" : "http://") + std::string(r.host);
  if (!r.origin.empty() && (r.host.empty() || !iequals(r.origin, own))) {
    return "state changes are refused from another origin (Origin: " + shown(r.origin) + ")";
  }
  if (r.origin.empty() && !r.referer.empty() &&
      (r.host.empty() || !iequals(origin_of(r.referer), own))) {
    return "state changes are refused from another origin (Referer: " +
           shown(origin_of(r.referer)) + ")";
  }
  return {};
}

base::Result<CsrfTokens> CsrfTokens::generate() {
  std::array<uint8_t, 32> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return base::make_error(base::ErrorCode::kInternal, "RAND_bytes failed: no CSRF key");
  }
  return CsrfTokens(key);
}

std::string CsrfTokens::mac_hex(std::string_view user, std::string_view expiry) const {
  std::string message = "snapflow-csrf-v1|";
  message.append(user).append("|").append(expiry);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 15]);
  }
  return hex;
}

std::string CsrfTokens::issue(std::string_view user, int64_t now_ns) const {
  const std::string expiry = std::to_string(now_ns + kCsrfTokenLifetimeNs);
  return "v1." + expiry + "." + mac_hex(user, expiry);
}

bool CsrfTokens::verify(std::string_view token, std::string_view user, int64_t now_ns) const {
  if (token.size() > 128 || token.substr(0, 3) != "v1.") return false;
  const std::string_view rest = token.substr(3);
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view expiry = rest.substr(0, dot);
  const std::string_view mac = rest.substr(dot + 1);
  int64_t expiry_ns = 0;
  auto [end, ec] = std::from_chars(expiry.data(), expiry.data() + expiry.size(), expiry_ns);
  if (ec != std::errc() || end != expiry.data() + expiry.size() || expiry_ns <= now_ns) {
    return false;
  }
  const std::string expected = mac_hex(user, expiry);
  return mac.size() == expected.size() &&
         CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) == 0;
}

const std::vector<HttpField>& security_headers() {
  static const std::vector<HttpField> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
  return kHeaders;
}

}  // namespace snapflow::capture
