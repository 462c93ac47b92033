// Which server answers are retried (transient) and how errors read in one line.
#include <gtest/gtest.h>

#include <string>

#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/retry.h"

namespace snapflow::indexer {
namespace {

// Answers recorded from Elasticsearch 8.15.3 and OpenSearch 2.17.1 (tests/integration).
constexpr std::string_view kFloodReason =
    "index [snapflow-2026.03.01] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded "
    "flood-stage watermark, index has read-only-allow-delete block];";
constexpr std::string_view kOldFloodReason =
    "index [snapflow-2026.03.01] blocked by: [FORBIDDEN/12/index read-only / allow delete "
    "(api)];";
constexpr std::string_view kClusterAllowDelete =
    R"({"error":{"root_cause":[{"type":"cluster_block_exception","reason":"blocked by: )"
    R"([FORBIDDEN/13/cluster read-only / allow delete (api)];"}],"type":)"
    R"("cluster_block_exception","reason":"blocked by: [FORBIDDEN/13/cluster read-only / allow )"
    R"(delete (api)];"},"status":403})";
constexpr std::string_view kWriteBlockReason =
    "index [blk2] blocked by: [FORBIDDEN/8/index write (api)];";

TEST(RetryClassification, FloodStageBlocksAreRetriedWhateverTheStatus) {
  EXPECT_TRUE(is_transient_block("cluster_block_exception", kFloodReason));
  EXPECT_TRUE(is_transient_block("cluster_block_exception", kOldFloodReason));
  EXPECT_TRUE(is_transient_block("index_create_block_exception",
                                 "blocked by: [FORBIDDEN/10/cluster create-index blocked (api)];"));
  EXPECT_EQ(classify_item(429, "cluster_block_exception", kFloodReason), ItemOutcome::kRetry);
  EXPECT_EQ(classify_item(403, "cluster_block_exception", kOldFloodReason), ItemOutcome::kRetry);
}

TEST(RetryClassification, OperatorBlocksAndDocumentErrorsAreRejected) {
  EXPECT_FALSE(is_transient_block("cluster_block_exception", kWriteBlockReason));
  EXPECT_EQ(classify_item(403, "cluster_block_exception", kWriteBlockReason), ItemOutcome::kReject);
  EXPECT_EQ(classify_item(403, "security_exception",
                          "action [indices:data/write/bulk] is "
                          "unauthorized"),
            ItemOutcome::kReject);
  EXPECT_EQ(classify_item(400, "document_parsing_exception",
                          "[1:2] failed to parse field [destination.port] of type [ip]"),
            ItemOutcome::kReject);
  // The plain status rules still hold.
  EXPECT_EQ(classify_item(201, "", ""), ItemOutcome::kIndexed);
  EXPECT_EQ(classify_item(409, "version_conflict_engine_exception", "exists"),
            ItemOutcome::kAlreadyPresent);
  EXPECT_EQ(classify_item(503, "unavailable_shards_exception", "primary shard is not active"),
            ItemOutcome::kRetry);
}

TEST(RetryClassification, RequestLevelAnswers) {
  for (long s : {429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(is_retryable_response(s, "")) << s;
  EXPECT_TRUE(is_retryable_response(403, kClusterAllowDelete));
  EXPECT_FALSE(is_retryable_response(403, R"({"error":{"type":"security_exception"}})"));
  EXPECT_FALSE(is_retryable_response(403, "<html>forbidden</html>"));
  for (long s : {400L, 401L, 404L, 405L}) {
    EXPECT_FALSE(is_retryable_response(s, kClusterAllowDelete)) << s;
  }
}

TEST(ServerErrors, ReadsTypeAndReason) {
  ServerError e = read_server_error(kClusterAllowDelete);
  EXPECT_EQ(e.type, "cluster_block_exception");
  EXPECT_EQ(e.reason, "blocked by: [FORBIDDEN/13/cluster read-only / allow delete (api)];");
  e = read_server_error(R"({"error":"old style text","status":400})");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.reason, "old style text");
  for (std::string_view bad :
       {"", "<html></html>", "{", "[1]", R"({"status":500})", R"({"error":42})"}) {
    e = read_server_error(bad);
    EXPECT_TRUE(e.type.empty() && e.reason.empty()) << bad;
  }
}

TEST(ServerErrors, DescriptionIsOneLine) {
  HttpResponse proxy;
  proxy.status = 401;
  proxy.host = "https://127.0.0.1:9443";
  proxy.body =
      "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
      "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n"
      "</body>\r\n</html>\r\n";
  const std::string s = describe_http_error(proxy, "bulk request");
  EXPECT_EQ(s,
            "bulk request: HTTP 401 from https://127.0.0.1:9443 (authentication failed: check the "
            "credentials): 401 Authorization Required");
  proxy.body = "<html><body><h1>Bad\r\n   Gateway</h1></body></html>";
  EXPECT_EQ(describe_http_error(proxy, "x"),
            "x: HTTP 401 from https://127.0.0.1:9443 (authentication failed: check the "
            "credentials): Bad Gateway");

  HttpResponse blocked;
  blocked.status = 403;
  blocked.host = "http://h:9200";
  blocked.body = std::string(kClusterAllowDelete);
  EXPECT_EQ(describe_http_error(blocked, "bulk request"),
            "bulk request: HTTP 403 from http://h:9200: cluster_block_exception: blocked by: "
            "[FORBIDDEN/13/cluster read-only / allow delete (api)];");

  HttpResponse forbidden;
  forbidden.status = 403;
  forbidden.host = "http://h:9200";
  forbidden.body = R"({"error":{"type":"security_exception","reason":"unauthorized\nuser"}})";
  EXPECT_EQ(describe_http_error(forbidden, "x"),
            "x: HTTP 403 from http://h:9200 (forbidden: the user lacks a privilege): "
            "security_exception: unauthorized user");

  HttpResponse huge;
  huge.status = 500;
  huge.host = "http://h:9200";
  huge.body = std::string(5000, 'x');
  const std::string h = describe_http_error(huge, "x");
  EXPECT_LT(h.size(), 400u);
  EXPECT_EQ(h.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace snapflow::indexer
