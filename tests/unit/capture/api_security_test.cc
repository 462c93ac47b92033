// Browser-facing security of the API (issue 10's server side): cross-site state changes refused
// (a browser's Origin / Sec-Fetch-Site / Referer), POST with a CSRF token, the security headers
// on every response, and the web UI's static files under /ui/ — over HTTP with libcurl, which
// sends exactly the headers a browser would (and, by default, none of them, like a script).
#include "snapflow/capture/api_security.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api_test_util.h"
#include "snapflow/capture/auth.h"
#include "snapflow/capture/static_assets.h"

namespace snapflow::capture {
namespace {

using testing::http_request;
using testing::Reply;
using testing::RequestOptions;

constexpr int64_t kNow = 1'750'000'000'000'000'000;

TEST(CsrfTokens, BindUserKeyAndTime) {
  std::array<uint8_t, 32> key{};
  key[0] = 1;
  const CsrfTokens tokens(key);
  const std::string t = tokens.issue("admin", kNow);
  EXPECT_EQ(t.rfind("v1.", 0), 0u);
  EXPECT_TRUE(tokens.verify(t, "admin", kNow));
  EXPECT_TRUE(tokens.verify(t, "admin", kNow + kCsrfTokenLifetimeNs - 1));
  EXPECT_FALSE(tokens.verify(t, "admin", kNow + kCsrfTokenLifetimeNs));  // expired
  EXPECT_FALSE(tokens.verify(t, "root", kNow));                          // another user
  key[0] = 2;
  EXPECT_FALSE(CsrfTokens(key).verify(t, "admin", kNow));  // another daemon run
  std::string tampered = t;
  tampered[5] = tampered[5] == '9' ? '8' : '9';  // a later expiry
  EXPECT_FALSE(tokens.verify(tampered, "admin", kNow));
  tampered = t;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(tokens.verify(tampered, "admin", kNow));
  for (const char* junk : {"", "v1.", "v1..", "v2.1.00", "v1.x.00", "v1.-5.00"}) {
    EXPECT_FALSE(tokens.verify(junk, "admin", kNow)) << junk;
  }
  EXPECT_FALSE(tokens.verify(t + std::string(200, 'a'), "admin", kNow));
}

TEST(CrossSite, OnlyOwnOriginOrNoBrowserHeaders) {
  RequestOrigin r;
  r.host = "127.0.0.1:8480";
  EXPECT_EQ(cross_site_refusal(r), "");  // curl, scripts
  for (const char* site : {"same-origin", "none", "Same-Origin"}) {
    r.sec_fetch_site = site;
    EXPECT_EQ(cross_site_refusal(r), "") << site;
  }
  for (const char* site : {"cross-site", "same-site", "bogus"}) {
    r.sec_fetch_site = site;
    EXPECT_NE(cross_site_refusal(r).find("Sec-Fetch-Site"), std::string::npos) << site;
  }
  r.sec_fetch_site = {};
  r.origin = "http://127.0.0.1:8480";
  EXPECT_EQ(cross_site_refusal(r), "");
  for (const char* origin : {"http://evil.example", "https://127.0.0.1:8480", "null",
                             "http://127.0.0.1:8481", "http://127.0.0.1:8480.evil.example"}) {
    r.origin = origin;
    EXPECT_NE(cross_site_refusal(r).find("Origin"), std::string::npos) << origin;
  }
  r.tls = true;
  r.origin = "https://127.0.0.1:8480";
  EXPECT_EQ(cross_site_refusal(r), "");
  r = {};
  r.host = "probe:8480";
  r.referer = "http://probe:8480/ui/index.html?x=1";
  EXPECT_EQ(cross_site_refusal(r), "");
  r.referer = "http://evil.example/page";
  EXPECT_NE(cross_site_refusal(r).find("Referer: http://evil.example"), std::string::npos);
}

class ApiSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions options;
    options.port = 0;
    options.credentials = make_credentials("admin", "secret");
    auto server = ApiServer::start(options, control_, log_);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
    host_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  Reply call(const std::string& path, RequestOptions o = {}) {
    return http_request("http://" + host_ + path, o);
  }
  static RequestOptions browser(std::vector<std::string> headers, const char* method = nullptr) {
    RequestOptions o;
    o.extra_headers = std::move(headers);
    o.method = method;
    return o;
  }
  std::string token() {
    Reply r = call("/sysmaster/csrf_token");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    const size_t at = r.body.find("\"Token\":\"");
    if (at == std::string::npos) return {};
    return r.body.substr(at + 9, r.body.find('"', at + 9) - at - 9);
  }
  void expect_security_headers(const Reply& r, const std::string& what) {
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << what;
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << what;
    EXPECT_EQ(r.header("Cross-Origin-Resource-Policy"), "same-origin") << what;
    const std::string csp = r.header("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << what;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << what;
  }

  base::Logger log_{"api_security_test", base::LogLevel::kError};
  testing::MemoryControl control_;
  std::unique_ptr<ApiServer> server_;
  std::string host_;
};

TEST_F(ApiSecurityTest, SecurityHeadersOnEveryResponse) {
  ASSERT_EQ(call("/sysmaster/capture_start?StreamName=h").status, 200);
  for (const char* path : {"/sysmaster/status", "/no/such", "/pcap/single?StreamName=h",
                           "/pcap/single?StreamName=../x", "/ui/", "/sysmaster/csrf_token"}) {
    expect_security_headers(call(path), path);
  }
  RequestOptions anonymous;
  anonymous.userpwd = nullptr;
  expect_security_headers(call("/sysmaster/status", anonymous), "401");
  expect_security_headers(call("/sysmaster/status", browser({}, "PUT")), "405");
}

TEST_F(ApiSecurityTest, CrossSiteStateChangesAreRefusedScriptsKeepWorking) {
  // A page on another site making the operator's browser call capture_stop (an <img src>, a
  // form, fetch): the browser adds Sec-Fetch-Site and/or Origin, and the request is refused.
  ASSERT_EQ(call("/sysmaster/capture_start?StreamName=csrf").status, 200);
  for (const auto& headers : std::vector<std::vector<std::string>>{
           {"Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: image"},
           {"Origin: http://evil.example"},
           {"Sec-Fetch-Site: same-site", "Origin: http://127.0.0.1:3000"},
           {"Referer: http://evil.example/attack.html"}}) {
    Reply refused = call("/sysmaster/capture_stop", browser(headers));
    EXPECT_EQ(refused.status, 403) << headers.front();
    EXPECT_NE(refused.body.find("refused from another"), std::string::npos) << refused.body;
    Reply post = call("/sysmaster/capture_stop", browser(headers, "POST"));
    EXPECT_EQ(post.status, 403) << headers.front();
  }
  EXPECT_EQ(call("/sysmaster/capture_start?StreamName=x2", browser({"Origin: http://evil.example"}))
                .status,
            403);
  EXPECT_NE(call("/sysmaster/status").body.find("capture_active, true"), std::string::npos);
  // Read-only endpoints do not care where a request comes from (no state changes).
  EXPECT_EQ(call("/sysmaster/status", browser({"Sec-Fetch-Site: cross-site"})).status, 200);
  // The same URL with curl's headers (none of the above) works, as fmadio scripts expect...
  EXPECT_EQ(call("/sysmaster/capture_stop").status, 200);
  // ... and so does a browser on this origin, or a URL typed into the address bar.
  ASSERT_EQ(call("/sysmaster/capture_start?StreamName=csrf2",
                 browser({"Sec-Fetch-Site: none", "Sec-Fetch-Mode: navigate"}))
                .status,
            200);
  EXPECT_EQ(call("/sysmaster/capture_stop",
                 browser({"Sec-Fetch-Site: same-origin", "Origin: http://" + host_}))
                .status,
            200);
}

TEST_F(ApiSecurityTest, PostNeedsAValidCsrfToken) {
  const std::string t = token();
  ASSERT_FALSE(t.empty());
  Reply none = call("/sysmaster/capture_start?StreamName=p1", browser({}, "POST"));
  EXPECT_EQ(none.status, 403);
  EXPECT_NE(none.body.find("X-CSRF-Token"), std::string::npos);
  EXPECT_EQ(
      call("/sysmaster/capture_start?StreamName=p1", browser({"X-CSRF-Token: " + t + "0"}, "POST"))
          .status,
      403);
  // What the web UI sends: POST, same origin, the token.
  const std::vector<std::string> ui = {"Sec-Fetch-Site: same-origin", "Origin: http://" + host_,
                                       "X-CSRF-Token: " + t};
  Reply started = call("/sysmaster/capture_start?StreamName=p1", browser(ui, "POST"));
  EXPECT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(started.body, "{\"Status\":true,\"Str\":\"started p1\"}\n");
  EXPECT_EQ(call("/sysmaster/capture_stop", browser(ui, "POST")).status, 200);
  // A token does not make a cross-site request acceptable.
  EXPECT_EQ(call("/sysmaster/capture_stop",
                 browser({"Origin: http://evil.example", "X-CSRF-Token: " + t}, "POST"))
                .status,
            403);
  // POST stays limited to state changes; GET state changes need no token (scripts).
  EXPECT_EQ(call("/sysmaster/status", browser({"X-CSRF-Token: " + t}, "POST")).status, 405);
}

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("SNAPFLOW_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/" + relative, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(ApiSecurityTest, StaticAssetsWithTypesAndRevalidation) {
  Reply index = call("/ui/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.header("Cache-Control"), "no-cache");
  EXPECT_EQ(index.body, source_file("capture/web/ui/index.html"));
  const std::string etag = index.header("ETag");
  ASSERT_EQ(etag.size(), 34u);
  EXPECT_EQ(call("/ui/index.html").body, index.body);
  Reply again = call("/ui/", browser({"If-None-Match: " + etag}));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("ETag"), etag);
  EXPECT_EQ(call("/ui/", browser({"If-None-Match: \"other\""})).status, 200);
  Reply css = call("/ui/style.css");
  EXPECT_EQ(css.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(css.body, source_file("capture/web/ui/style.css"));
  EXPECT_EQ(call("/ui/nope.js").status, 404);
  EXPECT_EQ(call("/ui/../sysmaster/status").status, 404);
  Reply bare = call("/ui");
  EXPECT_EQ(bare.status, 308);
  EXPECT_EQ(bare.header("Location"), "/ui/");
  RequestOptions anonymous;
  anonymous.userpwd = nullptr;
  EXPECT_EQ(call("/ui/", anonymous).status, 401);  // same authentication as the API
  // Every asset is its source file; vendor/ ones are the files npm installed at build time.
  for (const StaticAsset& a : static_assets()) {
    EXPECT_EQ(find_static_asset(a.path), &a);
    const std::string path(a.path);
    if (path.starts_with("vendor/")) {
      std::ifstream in(std::string(SNAPFLOW_UI_VENDOR_DIR) + "/" + path.substr(7),
                       std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      EXPECT_EQ(s.str(), a.data) << a.path;
    } else {
      EXPECT_EQ(source_file("capture/web/ui/" + path), a.data) << a.path;
    }
  }
  ASSERT_NE(find_static_asset("vendor/uPlot.iife.min.js"), nullptr);
  EXPECT_EQ(call("/ui/vendor/uPlot.iife.min.js").status, 200);
  EXPECT_EQ(content_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
}

}  // namespace
}  // namespace snapflow::capture
