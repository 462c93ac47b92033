#include "snapflow/capture/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

CaptureConfig valid_config() {
  CaptureConfig c;
  c.source = "pcap:eth0";
  c.ring_dir = "/tmp/ring";
  c.credentials = make_credentials("admin", "secret");
  return c;
}

std::string validation_message(const CaptureConfig& c) {
  auto st = validate(c);
  return st.ok() ? "" : st.error().message();
}

TEST(CaptureConfig, DefaultsBindLoopbackAndNeedCredentials) {
  CaptureConfig c = valid_config();
  EXPECT_EQ(c.api_listen, "127.0.0.1:8480");
  EXPECT_TRUE(validate(c).ok());
  c.credentials = {};
  EXPECT_NE(validation_message(c).find("--api-credentials-file"), std::string::npos);
  c.api_insecure_no_auth = true;
  EXPECT_TRUE(validate(c).ok());
  c.api_insecure_no_auth = false;
  c.api_listen = "off";  // no API, no credentials needed
  EXPECT_TRUE(validate(c).ok());
}

TEST(CaptureConfig, HardeningIsOnByDefaultAndOptOutsAreExplicit) {
  CaptureConfig c = valid_config();
  EXPECT_EQ(c.user, "snapflow");
  EXPECT_TRUE(c.seccomp);
  ASSERT_TRUE(apply_setting(c, "user", "probe").ok());
  ASSERT_TRUE(apply_setting(c, "seccomp", "false").ok());
  EXPECT_EQ(c.user, "probe");
  EXPECT_FALSE(c.seccomp);
  EXPECT_FALSE(apply_setting(c, "seccomp", "maybe").ok());
  c.user.clear();
  EXPECT_NE(validation_message(c).find("--user="), std::string::npos);
}

TEST(CaptureConfig, MessagesNameTheFlag) {
  CaptureConfig c = valid_config();
  c.source = "";
  EXPECT_NE(validation_message(c).find("--source"), std::string::npos);
  c = valid_config();
  c.source = "pcap:";
  EXPECT_NE(validation_message(c).find("--source=pcap:"), std::string::npos);
  c = valid_config();
  c.source = "netmap:eth0";
  EXPECT_NE(validation_message(c).find("--source=netmap:eth0"), std::string::npos);
  c = valid_config();
  c.ring_dir = "";
  EXPECT_NE(validation_message(c).find("--ring-dir"), std::string::npos);
  c = valid_config();
  c.segment_bytes = (1 << 20) + 1;
  EXPECT_NE(validation_message(c).find("--ring-segment-bytes"), std::string::npos);
  c = valid_config();
  c.ring_bytes = c.segment_bytes;
  EXPECT_NE(validation_message(c).find("--ring-bytes"), std::string::npos);
  c = valid_config();
  c.api_listen = "127.0.0.1";
  EXPECT_NE(validation_message(c).find("--api-listen=127.0.0.1"), std::string::npos);
  c = valid_config();
  c.api_per_ip_connections = c.api_max_connections + 1;
  EXPECT_NE(validation_message(c).find("--api-per-ip-connections"), std::string::npos);
  c = valid_config();
  c.snaplen = 10;
  EXPECT_NE(validation_message(c).find("--snaplen=10"), std::string::npos);
}

TEST(CaptureConfig, ApiLimitsAndTheirFlags) {
  CaptureConfig c = valid_config();
  EXPECT_EQ(c.api_max_connections, 256u);
  EXPECT_EQ(c.api_header_timeout_s, 5u);
  EXPECT_EQ(c.api_max_downloads, 4u);
  ASSERT_TRUE(apply_setting(c, "api-max-header-bytes", "64K").ok());
  EXPECT_EQ(c.api_max_header_bytes, 65536u);
  ASSERT_TRUE(apply_setting(c, "api-header-timeout-s", "3").ok());
  ASSERT_TRUE(apply_setting(c, "api-max-downloads", "8").ok());
  EXPECT_TRUE(validate(c).ok());
  for (auto [key, value] : {std::pair{"api-header-timeout-s", "0"},
                            {"api-header-timeout-s", "61"},
                            {"api-max-downloads", "0"},
                            {"api-max-downloads", "65"},
                            {"api-max-header-bytes", "1K"},
                            {"api-max-header-bytes", "2M"},
                            {"api-max-connections", "5000"}}) {
    CaptureConfig bad = valid_config();
    ASSERT_TRUE(apply_setting(bad, key, value).ok()) << key;
    EXPECT_NE(validation_message(bad).find(std::string("--") + key), std::string::npos)
        << key << "=" << value << ": " << validation_message(bad);
  }
  CaptureConfig bad = valid_config();
  EXPECT_FALSE(apply_setting(bad, "api-max-downloads", "many").ok());
}

TEST(CaptureConfig, PlainHttpBasicAuthOnlyOnLoopbackUnlessForced) {
  CaptureConfig c = valid_config();
  for (const char* listen : {"127.0.0.1:8480", "127.9.9.9:1", "[::1]:8480"}) {
    c.api_listen = listen;
    EXPECT_TRUE(validate(c).ok()) << listen << ": " << validation_message(c);
  }
  c.api_listen = "0.0.0.0:8480";
  const std::string message = validation_message(c);
  EXPECT_EQ(message.find("--api-listen=0.0.0.0:8480: Basic auth over plain HTTP"), 0u) << message;
  EXPECT_NE(message.find("--api-insecure-plain-http=true"), std::string::npos);
  EXPECT_EQ(message.find('\n'), std::string::npos);  // one line
  c.api_insecure_plain_http = true;
  EXPECT_TRUE(validate(c).ok());
  c.api_insecure_plain_http = false;
  c.api_tls_cert = "/etc/snapflow/cert.pem";
  EXPECT_NE(validation_message(c).find("--api-tls-cert: needs --api-tls-key"), std::string::npos);
  c.api_tls_key = "/etc/snapflow/key.pem";
  EXPECT_TRUE(validate(c).ok());  // HTTPS: any address
  c = valid_config();
  c.api_listen = "[2001:db8::1]:8480";
  EXPECT_NE(validation_message(c).find("--api-insecure-plain-http"), std::string::npos);
  c.api_insecure_no_auth = true;  // no password to leak (and loudly named already)
  c.credentials = {};
  EXPECT_TRUE(validate(c).ok());
  EXPECT_TRUE(is_loopback_host("::ffff:127.0.0.1"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost"));  // numeric addresses only
}

TEST(CaptureConfig, DpdkConstraints) {
  CaptureConfig c = valid_config();
  c.source = "dpdk";
  EXPECT_NE(validation_message(c).find("--dpdk-eal-args"), std::string::npos);
  ASSERT_TRUE(apply_setting(c, "dpdk-eal-args", "--no-huge -m 512 --no-pci").ok());
  EXPECT_EQ(c.dpdk.eal_args.size(), 4u);
  EXPECT_TRUE(validate(c).ok());
  c.dpdk.burst = 1024;
  EXPECT_NE(validation_message(c).find("--dpdk-burst=1024"), std::string::npos);
  c.dpdk.burst = 32;
  c.dpdk.mbufs = 100;
  EXPECT_NE(validation_message(c).find("--dpdk-mbufs=100"), std::string::npos);
  c.dpdk.mbufs = 4096;
  ASSERT_TRUE(apply_setting(c, "dpdk-ports", "0, 2,3").ok());
  EXPECT_EQ(c.dpdk.ports, (std::vector<uint16_t>{0, 2, 3}));
  EXPECT_FALSE(apply_setting(c, "dpdk-ports", "0,x").ok());
  c.bpf_filter = "udp";
  EXPECT_NE(validation_message(c).find("--bpf-filter"), std::string::npos);
}

TEST(CaptureConfig, SettingsParseSizesDurationsAndRejectUnknownKeys) {
  CaptureConfig c;
  ASSERT_TRUE(apply_setting(c, "ring-bytes", "2G").ok());
  EXPECT_EQ(c.ring_bytes, 2ull << 30);
  ASSERT_TRUE(apply_setting(c, "ring-segment-bytes", "64M").ok());
  EXPECT_EQ(c.segment_bytes, 64ull << 20);
  ASSERT_TRUE(apply_setting(c, "flush-interval", "50ms").ok());
  EXPECT_EQ(c.flush_interval_ns, 50'000'000);
  ASSERT_TRUE(apply_setting(c, "ring-policy", "block").ok());
  EXPECT_EQ(c.policy, RingPolicy::kBlock);
  auto st = apply_setting(c, "ring-policy", "drop");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("--ring-policy=drop"), std::string::npos);
  st = apply_setting(c, "no-such-key", "1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("--no-such-key"), std::string::npos);
  EXPECT_FALSE(apply_setting(c, "ring-bytes", "12Q").ok());
  EXPECT_FALSE(apply_setting(c, "ring-bytes", "99999999999999T").ok());
  EXPECT_FALSE(apply_setting(c, "log-level", "loud").ok());
}

TEST(CaptureConfig, PasswordsAreNeverTakenFromFlagsOrFiles) {
  CaptureConfig c;
  auto st = apply_setting(c, "api-password", "hunter2");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message().find("hunter2"), std::string::npos);
}

TEST(CaptureConfig, FileThenFlagsWithLineNumbers) {
  auto dir = std::filesystem::temp_directory_path() / ("capcfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "capture.conf").string();
  {
    std::ofstream out(path);
    out << "# comment\nsource = pcap:veth1\nring-dir = /var/ring  # trailing\n\n"
           "api-listen=127.0.0.1:9000\n";
  }
  const char* argv[] = {"snapflow-capture", "--api-listen=127.0.0.1:9001", "--config",
                        path.c_str()};
  bool help = false;
  auto c = parse_command_line(4, argv, &help);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->source, "pcap:veth1");
  EXPECT_EQ(c->ring_dir, "/var/ring");
  EXPECT_EQ(c->api_listen, "127.0.0.1:9001");  // the flag wins over the file
  EXPECT_FALSE(help);
  {
    std::ofstream out(path);
    out << "source = pcap:veth1\nthis line is wrong\n";
  }
  auto bad = parse_command_line(4, argv, &help);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("capture.conf:2"), std::string::npos);
  const char* stray[] = {"snapflow-capture", "eth0"};
  EXPECT_FALSE(parse_command_line(2, stray, &help).ok());
  std::filesystem::remove_all(dir);
}

TEST(CaptureConfig, ListenAddress) {
  auto a = parse_listen_address("127.0.0.1:8480");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8480);
  auto b = parse_listen_address("[::1]:80");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_TRUE(parse_listen_address("127.0.0.1:0").ok());  // any free port
  EXPECT_FALSE(parse_listen_address("127.0.0.1:x").ok());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:70000").ok());
  EXPECT_FALSE(parse_listen_address(":80").ok());
  EXPECT_FALSE(parse_listen_address("[::1]80").ok());
}

TEST(CaptureConfig, CredentialsFromFileAndEnvironment) {
  auto dir = std::filesystem::temp_directory_path() / ("capcred-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "creds").string();
  {
    std::ofstream out(path);
    out << "ops:s3cret:with:colons\n";
  }
  CaptureConfig c;
  c.api_credentials_file = path;
  ASSERT_TRUE(load_credentials(c).ok());
  EXPECT_EQ(c.credentials.user, "ops");
  EXPECT_EQ(c.credentials.password_sha256,
            make_credentials("x", "s3cret:with:colons").password_sha256);
  CaptureConfig e;
  ::setenv("SNAPFLOW_API_USER", "envuser", 1);
  ::setenv("SNAPFLOW_API_PASSWORD", "envpw", 1);
  ASSERT_TRUE(load_credentials(e).ok());
  EXPECT_EQ(e.credentials.user, "envuser");
  ::unsetenv("SNAPFLOW_API_USER");
  ::unsetenv("SNAPFLOW_API_PASSWORD");
  CaptureConfig missing;
  missing.api_credentials_file = (dir / "absent").string();
  EXPECT_FALSE(load_credentials(missing).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace snapflow::capture
