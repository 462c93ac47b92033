// The API routes and the real libmicrohttpd server, driven over HTTP with libcurl. The control
// behind them is a small in-memory capture list (the ring-backed one is tested in
// api_hostile_test.cc and end to end in tests/e2e); what is tested here is routing, validation,
// authentication, where handlers run, and streaming.
#include "snapflow/capture/api.h"

#include <gtest/gtest.h>

#include <future>

#include "api_test_util.h"
#include "snapflow/base/log.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

using testing::http_request;
using testing::MemoryControl;
using testing::Reply;
using testing::RequestOptions;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(ApiServerOptions options) {
    server_.reset();
    options.port = 0;  // any free port
    options.credentials = make_credentials("admin", "secret");
    auto server = ApiServer::start(options, control_, log_);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  std::string url(const std::string& path_and_query) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path_and_query;
  }
  Reply get(const std::string& path_and_query, const char* userpwd = "admin:secret") {
    RequestOptions o;
    o.userpwd = userpwd;
    Reply r = http_request(url(path_and_query), o);
    EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    return r;
  }
  Reply request(const std::string& path_and_query, RequestOptions o) {
    return http_request(url(path_and_query), o);
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

TEST(RouteTable, EveryRouteIsFoundAndStateChangesAreMarked) {
  for (const ApiRoute& r : api_routes()) EXPECT_EQ(find_route(r.path), &r) << r.path;
  EXPECT_TRUE(find_route("/sysmaster/capture_start")->changes_state);
  EXPECT_TRUE(find_route("/sysmaster/capture_stop")->changes_state);
  EXPECT_FALSE(find_route("/sysmaster/status")->changes_state);
  EXPECT_EQ(find_route("/pcap/single")->runs, RouteRuns::kDownloadSlot);
  EXPECT_EQ(find_route("/sysmaster/capture_start")->runs, RouteRuns::kWorker);
  EXPECT_EQ(find_route("/nope"), nullptr);
}

TEST_F(ApiServerTest, AuthenticationIsRequired) {
  Reply none = get("/sysmaster/status", nullptr);
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.header("WWW-Authenticate").find("Basic"), std::string::npos);
  EXPECT_EQ(get("/sysmaster/status", "admin:wrong").status, 401);
  EXPECT_EQ(get("/sysmaster/status", "root:secret").status, 401);
  // Even unknown paths answer 401 first: nothing is revealed without credentials.
  EXPECT_EQ(get("/no/such/path", nullptr).status, 401);
  EXPECT_EQ(get("/sysmaster/status").status, 200);
}

TEST_F(ApiServerTest, StatusTextAndJson) {
  Reply text = get("/sysmaster/status");
  EXPECT_NE(text.body.find("packets_captured, 42\n"), std::string::npos);
  EXPECT_EQ(text.header("Cache-Control"), "no-store");
  Reply json = get("/sysmaster/status?format=json");
  EXPECT_EQ(json.status, 200);
  EXPECT_NE(json.body.find("\"packets_captured\":42"), std::string::npos);
  EXPECT_EQ(json.header("Content-Type"), "application/json");
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
  const std::string expected = testing::synthetic_pcap(control_.records_per_capture);
  Reply list = get("/plain/list");
  EXPECT_EQ(list.body, "run1," + std::to_string(expected.size()) +
                           ",4000,2023-11-14T22:13:20.000000000Z,/pcap/single?StreamName=run1,"
                           "/plain/view?StreamName=run1\n");
  Reply json = get("/plain/list?format=json");  // the web UI's form
  EXPECT_EQ(json.header("Content-Type"), "application/json");
  EXPECT_EQ(json.body,
            "{\"captures\":[{\"name\":\"run1\",\"size_bytes\":" + std::to_string(expected.size()) +
                ",\"packets\":4000,\"start_ns\":1700000000000000000,\"stop_ns\":0,"
                "\"active\":true}]}\n");
  EXPECT_EQ(get("/plain/list?format=csv").body, list.body);
  EXPECT_EQ(get("/plain/list?format=xml").status, 400);
  Reply pcap = get("/pcap/single?StreamName=run1");
  EXPECT_EQ(pcap.status, 200);
  EXPECT_EQ(pcap.header("Content-Type"), "application/vnd.tcpdump.pcap");
  EXPECT_EQ(pcap.header("Content-Disposition"), "attachment; filename=\"run1.pcap\"");
  EXPECT_EQ(pcap.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(pcap.header("Trailer"), "X-Snapflow-Records, X-Snapflow-Records-Skipped");
  ASSERT_EQ(pcap.body.size(), expected.size());
  EXPECT_TRUE(pcap.body == expected);
  // Trailers after the last chunk: what was sent and skipped.
  EXPECT_EQ(pcap.header("X-Snapflow-Records"), "4000");
  EXPECT_EQ(pcap.header("X-Snapflow-Records-Skipped"), "0");
  EXPECT_EQ(get("/pcap/single?StreamName=nosuch").status, 404);
}

TEST_F(ApiServerTest, HeadOfADownloadSendsHeadersOnly) {
  ASSERT_EQ(get("/sysmaster/capture_start?StreamName=h").status, 200);
  RequestOptions o;
  o.method = "HEAD";
  Reply head = request("/pcap/single?StreamName=h", o);
  EXPECT_EQ(head.code, CURLE_OK);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(request("/pcap/single?StreamName=none", o).status, 404);
  // The slot was released: a normal download still works.
  EXPECT_EQ(get("/pcap/single?StreamName=h").body.size(),
            testing::synthetic_pcap(control_.records_per_capture).size());
}

TEST_F(ApiServerTest, MethodsAndBodies) {
  RequestOptions o;
  o.method = "PUT";
  Reply put = request("/sysmaster/status", o);
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("Allow"), "GET, HEAD, POST");
  o.method = "POST";  // POST only where state changes
  Reply post = request("/sysmaster/status", o);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("Allow"), "GET, HEAD");
  o.method = "DELETE";
  EXPECT_EQ(request("/sysmaster/capture_stop", o).status, 405);
  // A body is refused before it is read.
  o.method = nullptr;
  o.extra_headers = {"Content-Length: 5"};
  EXPECT_EQ(request("/sysmaster/status", o).status, 413);
  o.extra_headers = {"Transfer-Encoding: chunked"};
  EXPECT_EQ(request("/sysmaster/status", o).status, 413);
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
  std::string many = "/sysmaster/status?";
  for (int i = 0; i < 40; ++i) many += "a" + std::to_string(i) + "=1&";
  EXPECT_EQ(get(many).status, 400);
  EXPECT_EQ(get("/pcap/../sysmaster/status").status, 404);
  EXPECT_EQ(get("/pcap/%2e%2e/sysmaster/status").status, 404);
  EXPECT_EQ(get("/").status, 404);
}

TEST_F(ApiServerTest, HeadersBeyondTheBufferAreRefused) {
  RequestOptions o;
  o.extra_headers = {"X-Padding: " + std::string(40 * 1024, 'a')};
  Reply big = request("/sysmaster/status", o);
  EXPECT_EQ(big.status, 431) << curl_easy_strerror(big.code);
  Reply long_url = get("/sysmaster/status?format=" + std::string(40 * 1024, 'j'));
  EXPECT_EQ(long_url.status, 414);
  EXPECT_EQ(get("/sysmaster/status").status, 200);
}

TEST_F(ApiServerTest, DownloadSlotsAreBoundedAndBusyIsA503) {
  ApiServerOptions options;
  options.max_downloads = 2;
  start(options);
  control_.records_per_capture = 2000;
  control_.batch_delay_ms = 40;  // 20 batches: about 0.8 s per download
  ASSERT_EQ(get("/sysmaster/capture_start?StreamName=slow").status, 200);
  auto a = std::async(std::launch::async, [&] { return get("/pcap/single?StreamName=slow"); });
  auto b = std::async(std::launch::async, [&] { return get("/pcap/single?StreamName=slow"); });
  // Wait until both slots are taken, then a third download is refused at once.
  for (int i = 0; i < 200 && server_->counters().downloads_started < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Reply third = get("/pcap/single?StreamName=slow");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.header("Retry-After"), "10");
  EXPECT_NE(third.body.find("download slots are busy"), std::string::npos);
  // Other requests are not held up by the running downloads.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(get("/sysmaster/status").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  const std::string expected = testing::synthetic_pcap(2000);
  EXPECT_TRUE(a.get().body == expected);
  EXPECT_TRUE(b.get().body == expected);
  EXPECT_EQ(server_->counters().downloads_refused_busy, 1u);
  EXPECT_TRUE(get("/pcap/single?StreamName=slow").body == expected);  // slots are free again
}

TEST_F(ApiServerTest, StoppingTheServerCutsARunningDownloadCleanly) {
  control_.records_per_capture = 3000;
  control_.batch_delay_ms = 50;  // 30 batches: 1.5 s
  ASSERT_EQ(get("/sysmaster/capture_start?StreamName=cut").status, 200);
  auto download = std::async(std::launch::async, [&] {
    RequestOptions o;
    return request("/pcap/single?StreamName=cut", o);
  });
  for (int i = 0; i < 200 && server_->counters().downloads_started < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_.reset();  // must not hang, crash or leave the client waiting
  Reply cut = download.get();
  EXPECT_NE(cut.code, CURLE_OK);  // a truncated transfer, not a silently short file
  const std::string expected = testing::synthetic_pcap(3000);
  EXPECT_LT(cut.body.size(), expected.size());
  EXPECT_EQ(cut.body, expected.substr(0, cut.body.size()));
  EXPECT_GT(cut.body.size(), 0u);  // pieces go out every 20 ms: the cut came mid-download
  EXPECT_TRUE(testing::ends_on_record_boundary(cut.body)) << cut.body.size();
}

}  // namespace
}  // namespace snapflow::capture
