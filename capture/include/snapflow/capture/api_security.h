// Browser-facing security of the capture API (issue 10): what protects an operator whose
// browser holds the API's Basic credentials while it visits other sites.
//
// * Cross-site state changes. Endpoints that change state (capture_start, capture_stop, and any
//   route marked changes_state) refuse a request that a browser labels as coming from another
//   site: Sec-Fetch-Site other than "same-origin" or "none" (typed into the address bar), an
//   Origin that is not this server's own (scheme://Host), or, from browsers that send neither,
//   a Referer from another origin. curl and scripts send none of these headers, so
//   fmadio-style GET scripts keep working unchanged.
// * POST with a token. Browsers (the web UI) change state with POST and an X-CSRF-Token header
//   holding a token from GET /sysmaster/csrf_token. A token is an HMAC-SHA256, under a key
//   drawn at daemon start, of the user name and an expiry 12 h ahead: it binds the daemon run,
//   the user and the time, needs no server-side state, and cannot be read by another origin
//   (no CORS) nor sent by it (a custom header on a cross-origin request needs a CORS preflight,
//   which the API does not grant). A daemon restart invalidates tokens: fetch a new one on 403.
// * Headers on every response (security_headers()): a strict Content-Security-Policy (own
//   origin only; no inline script or style, no framing, no plugins), X-Frame-Options: DENY,
//   X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer, and
//   Cross-Origin-Resource-Policy / -Opener-Policy: same-origin.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/capture/streaming_body.h"

namespace snapflow::capture {

inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
inline constexpr int64_t kCsrfTokenLifetimeNs = 12 * 3600 * 1'000'000'000ll;

// The request headers a browser sets about where a request comes from (empty = absent).
struct RequestOrigin {
  std::string_view sec_fetch_site;
  std::string_view origin;
  std::string_view referer;
  std::string_view host;  ///< the Host header: this server as the client addressed it
  bool tls = false;       ///< the request came over HTTPS
};

// "" when a state-changing request may proceed; otherwise a one-line reason for a 403.
std::string cross_site_refusal(const RequestOrigin& request);

// Mints and checks X-CSRF-Token values. Thread-safe (immutable after construction).
class CsrfTokens {
 public:
  static base::Result<CsrfTokens> generate();  ///< with a fresh random key (RAND_bytes)
  explicit CsrfTokens(const std::array<uint8_t, 32>& key) : key_(key) {}
  // "v1.<expiry ns>.<64 hex digits>", valid until now_ns + kCsrfTokenLifetimeNs.
  std::string issue(std::string_view user, int64_t now_ns) const;
  bool verify(std::string_view token, std::string_view user, int64_t now_ns) const;

 private:
  std::string mac_hex(std::string_view user, std::string_view expiry) const;
  std::array<uint8_t, 32> key_{};
};

// Headers every API response carries (see above).
const std::vector<HttpField>& security_headers();

}  // namespace snapflow::capture
