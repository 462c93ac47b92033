#include "snapflow/indexer/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace snapflow::indexer {
namespace {

// Runs parse_indexer_flag over a whole argument list, as a program's main would.
base::Status parse_all(std::vector<std::string> args, IndexerConfig& config) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  const int argc = static_cast<int>(argv.size());
  for (int i = 0; i < argc;) {
    auto used = parse_indexer_flag(argc, argv.data(), i, config);
    if (!used.ok()) return std::move(used).error();
    if (*used == 0) return base::make_error(base::ErrorCode::kInvalidArgument, "not mine");
    i += *used;
  }
  return base::ok_status();
}

TEST(NormalizeHost, AddsSchemeAndPortAndStripsSlash) {
  EXPECT_EQ(*normalize_host("localhost"), "http://localhost:9200");
  EXPECT_EQ(*normalize_host("https://es.example:443/"), "https://es.example:443");
  EXPECT_EQ(*normalize_host("http://10.0.0.1:9201/proxy/es/"), "http://10.0.0.1:9201/proxy/es");
  EXPECT_EQ(*normalize_host("[::1]"), "http://[::1]:9200");
  EXPECT_EQ(*normalize_host("http://[::1]:9300"), "http://[::1]:9300");
}

TEST(NormalizeHost, RejectsBadHosts) {
  for (const char* bad : {"", "ftp://h", "http://:9200", "http://h:0", "http://h:70000",
                          "http://h:12ab", "http://h/x?y=1"}) {
    EXPECT_FALSE(normalize_host(bad).ok()) << bad;
  }
  auto creds = normalize_host("https://elastic:s3cret@h:9200");
  ASSERT_FALSE(creds.ok());
  // The refusal must not echo the secret it refuses.
  EXPECT_EQ(creds.error().message().find("s3cret"), std::string::npos);
  EXPECT_NE(creds.error().message().find("SNAPFLOW_ES_USER"), std::string::npos);
}

TEST(RedactUrl, HidesUserinfoAndQuery) {
  EXPECT_EQ(redact_url("https://user:secret@h:9200/x?api_key=abc"), "https://***@h:9200/x?***");
  EXPECT_EQ(redact_url("http://h:9200/_bulk"), "http://h:9200/_bulk");
  EXPECT_EQ(redact_url("u:p@h"), "***@h");
}

TEST(Flags, ParsesEveryFormAndRepeatsHosts) {
  IndexerConfig c;
  ASSERT_TRUE(parse_all({"--es-host", "a,b:9201", "--es-host=https://c", "--es-bulk-bytes", "4M",
                         "--es-flush-interval=250ms", "--es-in-flight", "3", "--es-insecure",
                         "--es-retry-max-time", "90s", "--es-replicas=0", "--es-no-gzip",
                         "--es-dead-letter", "/tmp/dl.ndjson", "--es-retention", "7d"},
                        c)
                  .ok());
  EXPECT_EQ(c.hosts,
            (std::vector<std::string>{"http://a:9200", "http://b:9201", "https://c:9200"}));
  EXPECT_EQ(c.bulk_bytes, 4u << 20);
  EXPECT_EQ(c.flush_interval_ns, 250 * base::kNsPerMs);
  EXPECT_EQ(c.max_in_flight, 3);
  EXPECT_TRUE(c.insecure_skip_tls_verify);
  EXPECT_FALSE(c.gzip);
  EXPECT_EQ(c.retry_total_ns, 90 * base::kNsPerSec);
  EXPECT_EQ(c.replicas, 0);
  EXPECT_EQ(c.dead_letter_path, "/tmp/dl.ndjson");
  EXPECT_EQ(c.retention_ns, 7 * 24 * 3600 * base::kNsPerSec);
  EXPECT_TRUE(validate(c).ok());
}

TEST(Flags, LeavesOtherFlagsAndReportsBadValues) {
  IndexerConfig c;
  std::string a0 = "--observer", a1 = "x";
  char* argv[] = {a0.data(), a1.data()};
  auto used = parse_indexer_flag(2, argv, 0, c);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 0);
  EXPECT_FALSE(parse_all({"--es-in-flight", "0"}, c).ok());
  EXPECT_FALSE(parse_all({"--es-in-flight", "two"}, c).ok());
  EXPECT_FALSE(parse_all({"--es-bulk-bytes", "lots"}, c).ok());
  EXPECT_FALSE(parse_all({"--es-flush-interval", "-1s"}, c).ok());
  EXPECT_FALSE(parse_all({"--es-host"}, c).ok());  // missing value
  EXPECT_FALSE(parse_all({"--es-hots", "x"}, c).ok());
  EXPECT_FALSE(parse_all({"--es-insecure=yes"}, c).ok());
  EXPECT_FALSE(indexer_flags_help().empty());
}

TEST(Validate, DefaultsAndRanges) {
  IndexerConfig c;
  ASSERT_TRUE(validate(c).ok());
  EXPECT_EQ(c.hosts, (std::vector<std::string>{std::string(kDefaultEsHost)}));
  IndexerConfig small;
  small.bulk_bytes = 10;
  EXPECT_FALSE(validate(small).ok());
  IndexerConfig both;
  both.username = "u";
  both.password = "p";
  both.api_key = "k";
  EXPECT_FALSE(validate(both).ok());
  IndexerConfig nopass;
  nopass.username = "u";
  EXPECT_FALSE(validate(nopass).ok());
  IndexerConfig prefix;
  prefix.index_prefix = "Snap*";
  EXPECT_FALSE(validate(prefix).ok());
  IndexerConfig ca;
  ca.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(validate(ca).ok());
}

TEST(Credentials, FileThenEnvironmentWins) {
  const std::string path = std::filesystem::temp_directory_path() / "snapflow_creds_test";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("# comment\nuser = ingest\npassword=fromfile\n", f);
    std::fclose(f);
  }
  ::unsetenv("SNAPFLOW_ES_USER");
  ::unsetenv("SNAPFLOW_ES_API_KEY");
  ::unsetenv("SNAPFLOW_ES_PASSWORD");
  IndexerConfig c;
  c.credentials_file = path;
  ASSERT_TRUE(load_credentials(c).ok());
  EXPECT_EQ(c.username, "ingest");
  EXPECT_EQ(c.password, "fromfile");
  ::setenv("SNAPFLOW_ES_PASSWORD", "fromenv", 1);
  ASSERT_TRUE(load_credentials(c).ok());
  EXPECT_EQ(c.password, "fromenv");
  ::unsetenv("SNAPFLOW_ES_PASSWORD");
  {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("token=abc\n", f);
    std::fclose(f);
  }
  IndexerConfig bad;
  bad.credentials_file = path;
  EXPECT_FALSE(load_credentials(bad).ok());
  std::filesystem::remove(path);
  IndexerConfig missing;
  missing.credentials_file = "/nonexistent/creds";
  EXPECT_FALSE(load_credentials(missing).ok());
}

}  // namespace
}  // namespace snapflow::indexer
