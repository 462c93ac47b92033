// The API routes and the real libmicrohttpd server, driven over HTTP with libcurl. The control
// behind them is a small in-memory capture list (the ring-backed one is tested end to end in
// tests/e2e); what is tested here is routing, validation, authentication and streaming.
#include "snapflow/capture/api.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <cstring>
#include <mutex>

#include "snapflow/base/log.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

// Streams `total` bytes of a counting pattern in chunks, like a large capture would.
class PatternStream final : public PcapStream {
 public:
  explicit PatternStream(uint64_t total) : total_(total) {}
  base::Result<size_t> read(std::byte* out, size_t max_bytes) override {
    size_t n = static_cast<size_t>(std::min<uint64_t>(max_bytes, total_ - sent_));
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((sent_ + i) % 251);
    sent_ += n;
    return n;
  }

 private:
  uint64_t total_;
  uint64_t sent_ = 0;
};

class MemoryControl final : public CaptureControl {
 public:
  StatusSnapshot status() override {
    std::lock_guard lock(mu_);
    StatusSnapshot s;
    s.capture_name = active_;
    s.capture_active = !active_.empty();
    s.packets_captured = 42;
    return s;
  }
  base::Result<std::string> start_capture(const std::string& name) override {
    std::lock_guard lock(mu_);
    if (!active_.empty()) {
      return base::make_error(base::ErrorCode::kInvalidArgument,
                              "capture " + active_ + " is active");
    }
    active_ = name;
    captures_.push_back({name, 24 + 5'000'000, 100, 1'700'000'000'000'000'000, 0, true});
    return "started " + name;
  }
  base::Result<std::string> stop_capture() override {
    std::lock_guard lock(mu_);
    if (active_.empty())
      return base::make_error(base::ErrorCode::kNotFound, "no capture is active");
    std::string name = active_;
    active_.clear();
    return "stopped " + name;
  }
  std::vector<CaptureInfo> list_captures() override {
    std::lock_guard lock(mu_);
    return captures_;
  }
  base::Result<std::unique_ptr<PcapStream>> open_capture(const std::string& name) override {
    std::lock_guard lock(mu_);
    for (const auto& c : captures_) {
      if (c.name == name) return std::unique_ptr<PcapStream>(new PatternStream(c.size_bytes));
    }
    return base::make_error(base::ErrorCode::kNotFound, "no capture " + name);
  }

 private:
  std::mutex mu_;
  std::string active_;
  std::vector<CaptureInfo> captures_;
};

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct Reply {
  long status = 0;
  std::string body;
  std::string www_authenticate;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  if (line.rfind("WWW-Authenticate:", 0) == 0) static_cast<Reply*>(user)->www_authenticate = line;
  return size * n;
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ApiServerOptions options;
    options.port = 0;  // any free port
    options.credentials = make_credentials("admin", "secret");
    auto server = ApiServer::start(options, control_, log_);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  Reply get(const std::string& path_and_query, const char* userpwd = "admin:secret") {
    Reply reply;
    CURL* curl = curl_easy_init();
    std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + path_and_query;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // send ../ as is, like an attacker would
    if (userpwd) curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
    CURLcode rc = curl_easy_perform(curl);
    EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_cleanup(curl);
    return reply;
  }

  base::Logger log_{"api_test", base::LogLevel::kError};
  MemoryControl control_;
  std::unique_ptr<ApiServer> server_;
};

TEST(StreamName, Validation) {
  EXPECT_TRUE(is_valid_stream_name("run-1.eth0_A"));
  EXPECT_TRUE(is_valid_stream_name(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_stream_name(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_stream_name(""));
  EXPECT_FALSE(is_valid_stream_name(".hidden"));
  EXPECT_FALSE(is_valid_stream_name(".."));
  EXPECT_FALSE(is_valid_stream_name("../../etc/passwd"));
  EXPECT_FALSE(is_valid_stream_name("a/b"));
  EXPECT_FALSE(is_valid_stream_name("a b"));
  EXPECT_FALSE(is_valid_stream_name(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_stream_name("caf\xc3\xa9"));
}

TEST_F(ApiServerTest, AuthenticationIsRequired) {
  Reply none = get("/sysmaster/status", nullptr);
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.www_authenticate.find("Basic"), std::string::npos);
  EXPECT_EQ(get("/sysmaster/status", "admin:wrong").status, 401);
  EXPECT_EQ(get("/sysmaster/status", "root:secret").status, 401);
  // Even unknown paths answer 401 first: nothing is revealed without credentials.
  EXPECT_EQ(get("/no/such/path", nullptr).status, 401);
  EXPECT_EQ(get("/sysmaster/status").status, 200);
}

TEST_F(ApiServerTest, StatusTextAndJson) {
  Reply text = get("/sysmaster/status");
  EXPECT_NE(text.body.find("packets_captured, 42\n"), std::string::npos);
  Reply json = get("/sysmaster/status?format=json");
  EXPECT_EQ(json.status, 200);
  EXPECT_NE(json.body.find("\"packets_captured\":42"), std::string::npos);
  Reply bad = get("/sysmaster/status?format=xml");
  EXPECT_EQ(bad.status, 400);
  Reply unknown = get("/sysmaster/status?verbose=1");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("unknown parameter 'verbose'"), std::string::npos);
}

TEST_F(ApiServerTest, StartStopListAndDownload) {
  Reply started = get("/sysmaster/capture_start?StreamName=run1");
  EXPECT_EQ(started.status, 200);
  EXPECT_EQ(started.body, "{\"Status\":true,\"Str\":\"started run1\"}\n");
  Reply again = get("/sysmaster/capture_start?StreamName=run2");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("\"Status\":false"), std::string::npos);
  EXPECT_NE(get("/sysmaster/status").body.find("capture_name, run1\ncapture_active, true"),
            std::string::npos);
  EXPECT_EQ(get("/sysmaster/capture_stop").status, 200);
  EXPECT_EQ(get("/sysmaster/capture_stop").status, 409);
  Reply list = get("/plain/list");
  EXPECT_EQ(list.body,
            "run1,5000024,100,2023-11-14T22:13:20.000000000Z,/pcap/single?StreamName=run1,"
            "/plain/view?StreamName=run1\n");
  Reply pcap = get("/pcap/single?StreamName=run1");
  EXPECT_EQ(pcap.status, 200);
  ASSERT_EQ(pcap.body.size(), 5'000'024u);
  bool pattern_ok = true;
  for (size_t i = 0; i < pcap.body.size(); ++i) {
    pattern_ok = pattern_ok && static_cast<unsigned char>(pcap.body[i]) == i % 251;
  }
  EXPECT_TRUE(pattern_ok);
  EXPECT_EQ(get("/pcap/single?StreamName=nosuch").status, 404);
}

TEST_F(ApiServerTest, MalformedParametersAndPathTricks) {
  for (const char* q :
       {"/pcap/single", "/pcap/single?StreamName=", "/pcap/single?StreamName=../../etc/passwd",
        "/pcap/single?StreamName=%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/pcap/single?StreamName=%2e%2e",
        "/pcap/single?StreamName=a%00b", "/pcap/single?StreamName=a&StreamName=b",
        "/pcap/single?StreamName=a&x=1", "/sysmaster/capture_start?StreamName=.hidden",
        "/sysmaster/capture_stop?now=1"}) {
    Reply r = get(q);
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_FALSE(r.body.empty()) << q;
  }
  EXPECT_NE(get("/pcap/single?StreamName=../../etc/passwd").body.find("invalid StreamName"),
            std::string::npos);
  EXPECT_EQ(get("/pcap/../sysmaster/status").status, 404);
  EXPECT_EQ(get("/pcap/%2e%2e/sysmaster/status").status, 404);
  EXPECT_EQ(get("/").status, 404);
}

}  // namespace
}  // namespace snapflow::capture
