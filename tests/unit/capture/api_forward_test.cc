// The rules API (/forward/*) over HTTP with libcurl, against the real server and a real
// RuleStore in a temporary state directory (the daemon's CloudRuntime with its rules, no
// datapath: the end-to-end test drives a forwarding one). What is tested: every endpoint's
// answers and formats, the state on disk after each change, parameter validation (400 naming
// the parameter), conflicts (409 naming the rule), unknown ids (404), 404 without a forwarder,
// and the browser rules every state-changing route shares with capture_start (cross-site
// refusal, POST with an X-CSRF-Token).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api_test_util.h"
#include "cloud_sources.h"
#include "snapflow/base/log.h"
#include "snapflow/capture/api.h"
#include "snapflow/capture/auth.h"
#include "snapflow/forward/rule_history.h"

namespace snapflow::capture {
namespace {

using testing::http_request;
using testing::MemoryControl;
using testing::Reply;
using testing::RequestOptions;

constexpr const char* kAdd =
    "/forward/rule_add?A=10.1.0.2&Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.2&Mode=ingress"
    "&Name=web";

class ApiForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "api-forward-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    ports_ =
        forward::Ports({*forward::parse_port_config("10.1.0.1/24,10.1.0.5/24,2001:db8:1::1/64"),
                        *forward::parse_port_config("10.2.0.1/24,10.2.0.6/24,2001:db8:2::1/64")});
    auto store = forward::RuleStore::open(dir_ + "/state", ports_);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    cloud_.adopt_rules(std::move(*store));
    start(&cloud_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start(CloudControl* cloud) {
    server_.reset();
    ApiServerOptions options;
    options.port = 0;
    options.credentials = make_credentials("admin", "secret");
    auto server = ApiServer::start(options, control_, log_, cloud);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
    host_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  Reply call(const std::string& path, RequestOptions o = {}) {
    Reply r = http_request("http://" + host_ + path, o);
    EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    return r;
  }
  static RequestOptions browser(std::vector<std::string> headers, const char* method = nullptr) {
    RequestOptions o;
    o.extra_headers = std::move(headers);
    o.method = method;
    return o;
  }
  std::string rules_file() {
    std::ifstream in(dir_ + "/state/forward-rules");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
  forward::Ports ports_;
  CloudRuntime cloud_;
  base::Logger log_{"api_forward_test", base::LogLevel::kError};
  MemoryControl control_;
  std::unique_ptr<ApiServer> server_;
  std::string host_;
};

TEST_F(ApiForwardTest, RoutesRunWhereTheyShould) {
  for (const char* path : {"/forward/rule_add", "/forward/rule_del", "/forward/rule_mode"}) {
    const ApiRoute* r = find_route(path);
    ASSERT_NE(r, nullptr) << path;
    EXPECT_TRUE(r->changes_state) << path;
    EXPECT_EQ(r->runs, RouteRuns::kWorker) << path;  // a change fsyncs the rules file
  }
  for (const char* path :
       {"/forward/rules", "/forward/history", "/forward/status", "/mirror/sessions"}) {
    const ApiRoute* r = find_route(path);
    ASSERT_NE(r, nullptr) << path;
    EXPECT_FALSE(r->changes_state) << path;
    EXPECT_EQ(r->runs, RouteRuns::kEventLoop) << path;
  }
}

TEST_F(ApiForwardTest, AddListChangeModeDeleteAndTheFileFollows) {
  Reply added = call(kAdd);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.body, "{\"Status\":true,\"Str\":\"rule 1 added\",\"Id\":1}\n");
  EXPECT_EQ(added.header("Content-Type"), "application/json");
  EXPECT_EQ(added.header("Cache-Control"), "no-store");
  EXPECT_NE(rules_file().find("rule 1 ingress 10.1.0.2 10.1.0.1 10.2.0.1 10.2.0.2"),
            std::string::npos)
      << rules_file();

  Reply v6 = call(
      "/forward/rule_add?A=2001:db8:1::2&Capture=2001:db8:1::1&Egress=2001:db8:2::1"
      "&B=2001:db8:2::2");  // Mode defaults to ingress, Name to none
  ASSERT_EQ(v6.status, 200) << v6.body;
  EXPECT_NE(v6.body.find("\"Id\":2"), std::string::npos);

  Reply list = call("/forward/rules");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.header("Content-Type"), "text/csv; charset=utf-8");
  const std::string since = std::to_string(cloud_.rules()->get(1)->since_ns);
  EXPECT_EQ(
      list.body.substr(0, list.body.find('\n') + 1),
      "1,web,ingress,10.1.0.2,10.1.0.1,10.2.0.1,10.2.0.2," + since + ",0,0,0,0,0,0,0,0,0,0,0\n");
  EXPECT_NE(list.body.find("\n2,,ingress,2001:db8:1::2,2001:db8:1::1,2001:db8:2::1,2001:db8:2::2,"),
            std::string::npos)
      << list.body;

  Reply json = call("/forward/rules?format=json");
  ASSERT_EQ(json.status, 200);
  EXPECT_EQ(json.header("Content-Type"), "application/json");
  EXPECT_EQ(
      json.body.rfind(
          "{\"rules\":[{\"id\":1,\"name\":\"web\",\"mode\":\"ingress\",\"a\":\"10.1.0.2\","
          "\"capture\":\"10.1.0.1\",\"egress\":\"10.2.0.1\",\"b\":\"10.2.0.2\",\"since_ns\":" +
              since +
              ",\"a_to_b\":{\"packets\":0,\"bytes\":0},\"b_to_a\":{\"packets\":0,"
              "\"bytes\":0},\"captured\":0,\"capture_dropped\":0,\"drops\":{"
              "\"ttl_exceeded\":0,\"no_route\":0,\"no_neighbour\":0,\"too_big\":0,"
              "\"tx_full\":0}},{\"id\":2,",
          0),
      0u)
      << json.body;

  Reply mode = call("/forward/rule_mode?Id=1&Mode=inline");
  ASSERT_EQ(mode.status, 200) << mode.body;
  EXPECT_EQ(mode.body, "{\"Status\":true,\"Str\":\"rule 1 now captures inline\",\"Id\":1}\n");
  Reply again = call("/forward/rule_mode?Id=1&Mode=inline");
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("rule 1 is already inline"), std::string::npos);
  EXPECT_EQ(cloud_.rules()->get(1)->spec.mode, forward::CaptureMode::kInline);

  // The history: the first version closed when the mode changed, the second in force.
  Reply history = call("/forward/history");
  ASSERT_EQ(history.status, 200);
  const auto versions = cloud_.rules()->versions();
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(history.body, "1,ingress,10.1.0.2,10.1.0.1,10.2.0.1,10.2.0.2," +
                              std::to_string(versions[0].from_ns) + "," +
                              std::to_string(versions[0].to_ns) + ",web\n" +
                              "2,ingress,2001:db8:1::2,2001:db8:1::1,2001:db8:2::1,2001:db8:2::2," +
                              std::to_string(versions[1].from_ns) + ",0,\n" +
                              "1,inline,10.1.0.2,10.1.0.1,10.2.0.1,10.2.0.2," +
                              std::to_string(versions[2].from_ns) + ",0,web\n");
  EXPECT_NE(versions[0].to_ns, 0);
  Reply history_json = call("/forward/history?format=json");
  EXPECT_NE(
      history_json.body.find("{\"versions\":[{\"id\":1,\"mode\":\"ingress\",\"a\":\"10.1.0.2\""),
      std::string::npos)
      << history_json.body;

  Reply removed = call("/forward/rule_del?Id=1");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.body, "{\"Status\":true,\"Str\":\"rule 1 deleted\",\"Id\":1}\n");
  EXPECT_EQ(call("/forward/rule_del?Id=1").body, "{\"Status\":false,\"Str\":\"no rule 1\"}\n");
  EXPECT_EQ(call("/forward/rule_del?Id=1").status, 404);
  EXPECT_EQ(call("/forward/rule_mode?Id=1&Mode=egress").status, 404);
  EXPECT_EQ(call("/forward/rules").body.find("1,web"), std::string::npos);

  // What pcap2json reads: the file on disk attributes by every version.
  auto file = forward::RuleHistory::load(dir_ + "/state");
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_EQ(file->versions().size(), 3u);
  // A new id is never an old one.
  Reply readded = call(kAdd);
  EXPECT_NE(readded.body.find("\"Id\":3"), std::string::npos) << readded.body;
}

TEST_F(ApiForwardTest, BadParametersAre400NamingTheParameter) {
  struct Case {
    std::string query;
    std::string message;
  };
  const std::string base = "A=10.1.0.2&Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.2";
  const std::vector<Case> cases = {
      {"/forward/rule_add?Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.2", "missing parameter A"},
      {"/forward/rule_add?A=10.1.0.2&Capture=10.1.0.1&Egress=10.2.0.1", "missing parameter B"},
      {"/forward/rule_add?A=10.1.0.300&Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.2",
       "A: '10.1.0.300': not an IPv4 or IPv6 address"},
      {"/forward/rule_add?A=10.1.0.2&Capture=" + std::string(200, '1') + "&Egress=10.2.0.1&B=x",
       "Capture: not an IPv4 or IPv6 address (too long)"},
      {"/forward/rule_add?" + base + "&Mode=sideways", "Mode: expected ingress, egress or inline"},
      {"/forward/rule_add?" + base + "&Name=a%20b", "Name: use at most 64 characters"},
      {"/forward/rule_add?" + base + "&Name=" + std::string(65, 'n'), "Name: use at most 64"},
      {"/forward/rule_add?" + base + "&Colour=red", "unknown parameter 'Colour'"},
      {"/forward/rule_add?" + base + "&A=10.1.0.3", "parameter 'A' given more than once"},
      // Validation by the store: its message names the rule and what is wrong.
      {"/forward/rule_add?A=10.1.0.2&Capture=10.1.0.9&Egress=10.2.0.1&B=10.2.0.2",
       "capture=10.1.0.9 is not an address of any forward port"},
      {"/forward/rule_add?A=10.1.0.2&Capture=10.1.0.1&Egress=10.2.0.1&B=10.1.0.2",
       "a and b must differ"},
      {"/forward/rule_add?A=10.1.0.2&Capture=10.1.0.1&Egress=10.2.0.1&B=2001:db8:2::2",
       "all four addresses must be IPv4 or all IPv6"},
      {"/forward/rule_add?A=10.9.0.2&Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.2",
       "a=10.9.0.2 is on no subnet of port 0"},
      {"/forward/rule_mode?Id=1", "missing parameter Mode"},
      {"/forward/rule_mode?Mode=inline", "missing parameter Id"},
      {"/forward/rule_mode?Id=0&Mode=inline", "Id: expected a rule id"},
      {"/forward/rule_mode?Id=99999999999&Mode=inline", "Id: expected a rule id"},
      {"/forward/rule_mode?Id=-1&Mode=inline", "Id: expected a rule id"},
      {"/forward/rule_del?Id=1x", "Id: expected a rule id"},
      {"/forward/rule_del?Id=1&Mode=inline", "unknown parameter 'Mode'"},
      {"/forward/rules?format=xml", "format must be csv or json"},
      {"/forward/status?format=csv", "format must be text or json"},
      {"/forward/history?since=1", "unknown parameter 'since'"},
  };
  for (const Case& c : cases) {
    Reply r = call(c.query);
    EXPECT_EQ(r.status, 400) << c.query << ": " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.query << ": " << r.body;
    EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << "one line: " << r.body;
  }
  // Nothing was added or changed by any of them.
  EXPECT_TRUE(cloud_.rules()->list().empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/forward-rules"));
}

TEST_F(ApiForwardTest, ARuleClaimingAnotherRulesPacketsIs409) {
  ASSERT_EQ(call(kAdd).status, 200);
  // Same forward key (A, capture): the same packets from A.
  Reply same_key =
      call("/forward/rule_add?A=10.1.0.2&Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.3&Mode=egress");
  EXPECT_EQ(same_key.status, 409) << same_key.body;
  EXPECT_NE(same_key.body.find("rule 1 already forwards packets from 10.1.0.2 to 10.1.0.1"),
            std::string::npos)
      << same_key.body;
  // The reverse key (B, egress) as this rule's forward key: B's replies to rule 1.
  Reply reverse = call("/forward/rule_add?A=10.2.0.2&Capture=10.2.0.1&Egress=10.1.0.1&B=10.1.0.2");
  EXPECT_EQ(reverse.status, 409) << reverse.body;
  EXPECT_NE(reverse.body.find("rule 1 already forwards packets from 10.2.0.2 to 10.2.0.1"),
            std::string::npos)
      << reverse.body;
  // Other probe addresses but the same pair A, B: inline copies would be indistinguishable.
  Reply same_pair =
      call("/forward/rule_add?A=10.1.0.2&Capture=10.1.0.5&Egress=10.2.0.6&B=10.2.0.2");
  EXPECT_EQ(same_pair.status, 409) << same_pair.body;
  EXPECT_NE(same_pair.body.find("rule 1 already joins"), std::string::npos) << same_pair.body;
  EXPECT_EQ(cloud_.rules()->list().size(), 1u);
}

TEST_F(ApiForwardTest, StatusSumsAndNotAForwarder) {
  ASSERT_EQ(call(kAdd).status, 200);
  Reply status = call("/forward/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.body,
            "forward_rules, 1\nforward_packets, 0\nforward_dropped, 0\n"
            "forward_capture_dropped, 0\n");
  Reply json = call("/forward/status?format=json");
  EXPECT_EQ(json.body,
            "{\"forward_rules\":1,\"forward_packets\":0,\"forward_dropped\":0,"
            "\"forward_capture_dropped\":0}\n");
  // A daemon that is not a forwarder (or not a mirror target) has none of these routes.
  start(nullptr);
  for (const char* path : {"/forward/rules", "/forward/history", "/forward/status",
                           "/mirror/sessions", "/forward/rule_del?Id=1"}) {
    EXPECT_EQ(call(path).status, 404) << path;
  }
  EXPECT_NE(call("/forward/rules").body.find("not a forwarder"), std::string::npos);
  EXPECT_NE(call(kAdd).body.find("not a forwarder"), std::string::npos);
  start(&cloud_);
  EXPECT_EQ(call("/mirror/sessions").status, 404);  // a forwarder is no mirror target
}

TEST_F(ApiForwardTest, ChangesFollowTheBrowserRulesOfCaptureStart) {
  // From another site (an <img>, a form, fetch): refused before anything changes.
  for (const auto& headers : std::vector<std::vector<std::string>>{
           {"Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: image"},
           {"Origin: http://evil.example"},
           {"Referer: http://evil.example/attack.html"}}) {
    for (const char* method : {static_cast<const char*>(nullptr), "POST"}) {
      Reply r = call(kAdd, browser(headers, method));
      EXPECT_EQ(r.status, 403) << headers.front();
    }
  }
  EXPECT_TRUE(cloud_.rules()->list().empty());
  // Reading is allowed from anywhere, as /sysmaster/status.
  EXPECT_EQ(call("/forward/rules", browser({"Sec-Fetch-Site: cross-site"})).status, 200);
  // POST needs the token; with it (the web UI's way) the change goes through.
  EXPECT_EQ(call(kAdd, browser({}, "POST")).status, 403);
  Reply token = call("/sysmaster/csrf_token");
  const size_t at = token.body.find("\"Token\":\"");
  ASSERT_NE(at, std::string::npos) << token.body;
  const std::string t = token.body.substr(at + 9, token.body.find('"', at + 9) - at - 9);
  const std::vector<std::string> ui = {"Sec-Fetch-Site: same-origin", "Origin: http://" + host_,
                                       "X-CSRF-Token: " + t};
  EXPECT_EQ(call(kAdd, browser(ui, "POST")).status, 200);
  EXPECT_EQ(call("/forward/rule_mode?Id=1&Mode=egress", browser(ui, "POST")).status, 200);
  EXPECT_EQ(call("/forward/rule_del?Id=1", browser(ui, "POST")).status, 200);
  // A script's plain GET needs no token (fmadio style).
  EXPECT_EQ(call(kAdd).status, 200);
  // Reading routes take no POST.
  EXPECT_EQ(call("/forward/rules", browser({"X-CSRF-Token: " + t}, "POST")).status, 405);
}

TEST_F(ApiForwardTest, AFailedSaveChangesNothing) {
  ASSERT_EQ(call(kAdd).status, 200);
  // The state directory becomes unwritable (a full or read-only disk): 500, nothing changes.
  // Root ignores permissions, so replace the directory by a file of the same name instead.
  std::filesystem::rename(dir_ + "/state", dir_ + "/state.moved");
  { std::ofstream(dir_ + "/state") << "not a directory"; }
  Reply r = call("/forward/rule_mode?Id=1&Mode=inline");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("mode not changed"), std::string::npos) << r.body;
  EXPECT_EQ(cloud_.rules()->get(1)->spec.mode, forward::CaptureMode::kIngress);
  Reply add = call("/forward/rule_add?A=10.1.0.3&Capture=10.1.0.1&Egress=10.2.0.1&B=10.2.0.3");
  EXPECT_EQ(add.status, 500) << add.body;
  EXPECT_EQ(cloud_.rules()->list().size(), 1u);
}

}  // namespace
}  // namespace snapflow::capture
