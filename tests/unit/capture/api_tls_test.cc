// HTTPS on the API listener: a self-signed certificate made with the openssl command line,
// the server (libmicrohttpd + GnuTLS) started with it, libcurl verifying the server against
// it; the checks on the key and certificate files; and the daemon refusing Basic auth over
// plain HTTP off loopback with one line naming the flag.
#include "snapflow/capture/api_tls.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "api_test_util.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

using testing::http_request;
using testing::Reply;
using testing::RequestOptions;

std::string run(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class ApiTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/snapflow-api-tls-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    int rc = 0;
    if (run("command -v openssl", &rc).empty()) GTEST_SKIP() << "openssl is not installed";
    // A P-256 certificate for 127.0.0.1 (subjectAltName IP), and a second key that matches no
    // certificate.
    std::string out =
        run("cd " + dir_ +
                " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                "-nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=snapflow-test "
                "-addext subjectAltName=IP:127.0.0.1 && openssl genpkey -algorithm "
                "EC -pkeyopt ec_paramgen_curve:P-256 -out other-key.pem && chmod 600 "
                "key.pem other-key.pem",
            &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void start_tls() {
    auto tls = load_tls_material(dir_ + "/cert.pem", dir_ + "/key.pem");
    ASSERT_TRUE(tls.ok()) << tls.error().to_string();
    EXPECT_NE(tls->subject.find("CN=snapflow-test"), std::string::npos);
    ApiServerOptions options;
    options.port = 0;
    options.credentials = make_credentials("admin", "secret");
    options.tls = std::move(*tls);
    auto server = ApiServer::start(options, control_, log_);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  std::string message(const std::string& cert, const std::string& key) {
    auto tls = load_tls_material(cert, key);
    return tls.ok() ? std::string() : tls.error().message();
  }

  std::string dir_;
  base::Logger log_{"api_tls_test", base::LogLevel::kError};
  testing::MemoryControl control_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiTlsTest, VerifiedHttpsServesTheApi) {
  start_tls();
  const std::string https = "https://127.0.0.1:" + std::to_string(server_->port());
  RequestOptions trusted;
  trusted.ca_file = dir_ + "/cert.pem";  // libcurl verifies the peer and the host (IP SAN)
  Reply status = http_request(https + "/sysmaster/status", trusted);
  ASSERT_EQ(status.code, CURLE_OK) << curl_easy_strerror(status.code);
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("packets_captured, 42"), std::string::npos);
  EXPECT_EQ(status.header("X-Frame-Options"), "DENY");
  ASSERT_EQ(http_request(https + "/sysmaster/capture_start?StreamName=tls", trusted).status, 200);
  Reply pcap = http_request(https + "/pcap/single?StreamName=tls", trusted);
  EXPECT_EQ(pcap.code, CURLE_OK);
  EXPECT_TRUE(pcap.body == testing::synthetic_pcap(control_.records_per_capture));
  // Over HTTPS, the browser's own origin is https://HOST.
  RequestOptions own = trusted;
  own.extra_headers = {"Origin: https://127.0.0.1:" + std::to_string(server_->port())};
  EXPECT_EQ(http_request(https + "/sysmaster/capture_stop", own).status, 200);

  // Without trusting the certificate, libcurl refuses the server; plain HTTP gets no API.
  Reply untrusted = http_request(https + "/sysmaster/status");
  EXPECT_EQ(untrusted.code, CURLE_PEER_FAILED_VERIFICATION) << curl_easy_strerror(untrusted.code);
  Reply plain =
      http_request("http://127.0.0.1:" + std::to_string(server_->port()) + "/sysmaster/status");
  EXPECT_NE(plain.status, 200);
  RequestOptions anonymous = trusted;
  anonymous.userpwd = nullptr;
  EXPECT_EQ(http_request(https + "/sysmaster/status", anonymous).status, 401);
}

TEST_F(ApiTlsTest, KeyAndCertificateFilesAreChecked) {
  const std::string cert = dir_ + "/cert.pem";
  const std::string key = dir_ + "/key.pem";
  EXPECT_EQ(message(cert, key), "");
  ::chmod(key.c_str(), 0644);
  EXPECT_EQ(message(cert, key), "--api-tls-key=" + key +
                                    ": mode 0644 lets group or others read the private key; "
                                    "chmod 600 " +
                                    key);
  ::chmod(key.c_str(), 0400);
  EXPECT_EQ(message(cert, key), "");
  EXPECT_NE(message(cert, dir_ + "/other-key.pem").find("does not match the certificate"),
            std::string::npos);
  EXPECT_NE(message(cert, dir_ + "/absent.pem").find("--api-tls-key=" + dir_ + "/absent.pem"),
            std::string::npos);
  EXPECT_NE(message(dir_ + "/absent.pem", key).find("--api-tls-cert="), std::string::npos);
  EXPECT_NE(message(key, key).find("--api-tls-cert=" + key + ": no PEM certificate"),
            std::string::npos);  // a key where the certificate should be
  ::chmod(cert.c_str(), 0600);   // a certificate where the key should be (mode checked first)
  EXPECT_NE(message(cert, cert).find("no unencrypted PEM private key"), std::string::npos);
  EXPECT_NE(message(cert, dir_).find("not a regular file"), std::string::npos);
  int rc = 0;
  run("cd " + dir_ + " && openssl pkey -in key.pem -aes256 -passout pass:x -out enc.pem && " +
          "chmod 600 enc.pem",
      &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_NE(message(cert, dir_ + "/enc.pem").find("encrypted keys are not supported"),
            std::string::npos);

  // Through the config: the same checks, at startup.
  CaptureConfig c;
  c.api_listen = "0.0.0.0:0";
  c.api_tls_cert = cert;
  c.api_tls_key = dir_ + "/other-key.pem";
  auto options = api_options_from_config(c);
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().message().find("--api-tls-key="), std::string::npos);
}

#ifdef SNAPFLOW_CAPTURE_BIN
TEST_F(ApiTlsTest, DaemonRefusesPlainHttpBasicAuthOffLoopback) {
  {
    std::ofstream creds(dir_ + "/creds");
    creds << "admin:secret\n";
  }
  ::chmod((dir_ + "/creds").c_str(), 0600);
  // Validation comes before any source is opened, so this needs no root and no interface.
  const std::string base = std::string(SNAPFLOW_CAPTURE_BIN) +
                           " --source=pcap:snapflow-none --ring-dir=" + dir_ +
                           "/ring --api-credentials-file=" + dir_ + "/creds";
  int rc = 0;
  const std::string out = run(base + " --api-listen=0.0.0.0:0", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;  // one line
  EXPECT_NE(out.find("--api-listen=0.0.0.0:0: Basic auth over plain HTTP"), std::string::npos)
      << out;
  EXPECT_NE(out.find("--api-insecure-plain-http=true"), std::string::npos) << out;
  const std::string half =
      run(base + " --api-listen=0.0.0.0:0 --api-tls-cert=" + dir_ + "/cert.pem", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(half.find("--api-tls-cert: needs --api-tls-key"), std::string::npos) << half;
}
#endif

}  // namespace
}  // namespace snapflow::capture
