// Responses below are the shapes Elasticsearch 8 / OpenSearch 2 send for
// _bulk?filter_path=errors,items.*.status,items.*.error.
#include "snapflow/indexer/bulk_response.h"

#include <gtest/gtest.h>

namespace snapflow::indexer {
namespace {

TEST(BulkResponse, NoErrorsSkipsItems) {
  auto r = parse_bulk_response(R"({"errors":false,"items":[{"create":{"status":201}}]})", 3);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->errors);
  EXPECT_EQ(r->indexed, 3u);  // items not read: errors=false means all succeeded
  EXPECT_TRUE(r->failures.empty());
}

TEST(BulkResponse, MixedOutcomes) {
  const char* body = R"json({"errors":true,"items":[
    {"create":{"status":201}},
    {"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[x]: version conflict, document already exists (current version [1])","index":"snapflow-2026.11.23"}}},
    {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}}},
    {"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"[1:120] failed to parse field [network.bytes] of type [long] in document with id 'abc'. Preview of field's value: 'lots'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"lots\""}}}},
    {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}},
    {"index":{"status":200}}
  ]})json";
  auto r = parse_bulk_response(body, 6);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->errors);
  EXPECT_EQ(r->items, 6u);
  EXPECT_EQ(r->indexed, 2u);
  EXPECT_EQ(r->already_present, 1u);
  EXPECT_EQ(r->present, std::vector<size_t>{1});  // to be verified with _mget
  ASSERT_EQ(r->failures.size(), 3u);
  EXPECT_EQ(r->failures[0].index, 2u);
  EXPECT_EQ(r->failures[0].outcome, ItemOutcome::kRetry);
  EXPECT_EQ(r->failures[0].type, "es_rejected_execution_exception");
  EXPECT_EQ(r->failures[1].index, 3u);
  EXPECT_EQ(r->failures[1].status, 400);
  EXPECT_EQ(r->failures[1].outcome, ItemOutcome::kReject);
  EXPECT_EQ(r->failures[1].type, "document_parsing_exception");
  EXPECT_NE(r->failures[1].reason.find("network.bytes"), std::string::npos);
  EXPECT_NE(r->failures[1].reason.find("For input string: \"lots\""), std::string::npos);
  EXPECT_EQ(r->failures[2].outcome, ItemOutcome::kRetry);
}

TEST(BulkResponse, RejectsMalformedOrMismatchedAnswers) {
  EXPECT_FALSE(parse_bulk_response("", 1).ok());
  EXPECT_FALSE(parse_bulk_response("<html>502 Bad Gateway</html>", 1).ok());
  EXPECT_FALSE(parse_bulk_response(R"({"took":3})", 1).ok());
  EXPECT_FALSE(parse_bulk_response(R"({"errors":true})", 1).ok());
  // Fewer items than documents sent: cannot be matched up, so nothing is assumed.
  EXPECT_FALSE(
      parse_bulk_response(R"({"errors":true,"items":[{"create":{"status":201}}]})", 2).ok());
  EXPECT_FALSE(parse_bulk_response(R"({"errors":true,"items":[{"create":{"error":{}}}]})", 1).ok());
}

TEST(BulkResponse, ClassifiesStatuses) {
  EXPECT_EQ(classify_item_status(201), ItemOutcome::kIndexed);
  EXPECT_EQ(classify_item_status(200), ItemOutcome::kIndexed);
  EXPECT_EQ(classify_item_status(409), ItemOutcome::kAlreadyPresent);
  for (int s : {429, 502, 503, 504}) EXPECT_EQ(classify_item_status(s), ItemOutcome::kRetry) << s;
  for (int s : {400, 403, 404, 413, 500}) {
    EXPECT_EQ(classify_item_status(s), ItemOutcome::kReject) << s;
  }
}

}  // namespace
}  // namespace snapflow::indexer
