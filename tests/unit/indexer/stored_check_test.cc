// Verifying 409s (stored_check.h): the _mget request for the conflicting ids, the byte-exact
// comparison of each stored _source with the source line sent, and what a refused document
// counts. The responses are literal copies of what Elasticsearch 8 and OpenSearch 2 answer;
// tests/integration/document_identity_test.py runs the same path against both servers.
#include "snapflow/indexer/stored_check.h"

#include <gtest/gtest.h>

namespace snapflow::indexer {
namespace {

constexpr std::string_view kSourceA =
    R"({"@timestamp":"2026-11-23T00:00:00.000000000Z","event":{"kind":"event","dataset":"snapflow.flow"},"network":{"packets":7,"bytes":4242}})";
constexpr std::string_view kSourceB =
    R"({"@timestamp":"2026-11-23T00:00:00.100000000Z","event":{"kind":"metric","dataset":"snapflow.totals"},"network":{"packets":9,"bytes":999}})";
constexpr std::string_view kSourceC =
    R"({"@timestamp":"2026-11-23T00:00:00.200000000Z","event":{"kind":"event","dataset":"snapflow.packet"},"network":{"bytes":1514}})";

BulkRequest three_documents() {
  BulkRequest r;
  r.append(std::string(R"({"create":{"_index":"snapflow-2026.11.23","_id":"idA"}})") + "\n" +
               std::string(kSourceA) + "\n",
           1);
  r.append(std::string(R"({"create":{"_index":"snapflow-2026.11.23","_id":"id\"B"}})") + "\n" +
               std::string(kSourceB) + "\n",
           1);
  r.append(std::string(R"({"create":{"_index":"snapflow-2026.11.24","_id":"idC"}})") + "\n" +
               std::string(kSourceC) + "\n",
           2);
  return r;
}

TEST(StoredCheck, MgetBodyNamesIndexAndIdOfTheRequestedDocuments) {
  const BulkRequest r = three_documents();
  auto body = mget_body(r, {0, 2});
  ASSERT_TRUE(body.ok()) << body.error().to_string();
  EXPECT_EQ(*body, R"({"docs":[{"_index":"snapflow-2026.11.23","_id":"idA"},)"
                   R"({"_index":"snapflow-2026.11.24","_id":"idC"}]})");
  // Escaped ids survive the round trip.
  EXPECT_NE(mget_body(r, {1}).value().find(R"("_id":"id\"B")"), std::string::npos);
  BulkRequest bad;
  bad.append("{\"create\":{}}\n{}\n", 1);
  EXPECT_FALSE(mget_body(bad, {0}).ok());
}

TEST(StoredCheck, SameBytesArePresentAnythingElseIsAConflictOrMissing) {
  const BulkRequest r = three_documents();
  const std::string response =
      std::string(R"({"docs":[{"_index":"snapflow-2026.11.23","_id":"idA","_version":1,)") +
      R"("_seq_no":0,"_primary_term":1,"found":true,"_source":)" + std::string(kSourceA) +
      R"(},{"_index":"snapflow-2026.11.23","_id":"id\"B","_version":2,"_seq_no":5,)" +
      R"("_primary_term":1,"found":true,"_source":{"forged": true}},)" +
      R"({"_index":"snapflow-2026.11.24","_id":"idC","found":false}]})";
  auto checks = compare_stored(response, r, {0, 1, 2});
  ASSERT_TRUE(checks.ok()) << checks.error().to_string();
  ASSERT_EQ(checks->size(), 3u);
  EXPECT_EQ((*checks)[0].match, StoredMatch::kSame);
  EXPECT_EQ((*checks)[1].match, StoredMatch::kDifferent);
  EXPECT_EQ((*checks)[1].id, "id\"B");
  EXPECT_EQ((*checks)[1].stored, R"({"forged": true})");
  EXPECT_EQ((*checks)[2].match, StoredMatch::kMissing);
  // A stored document that differs by one byte (here reformatted) is not the one sent.
  const std::string spaced = std::string(R"({"docs":[{"_id":"idA","found":true,"_source":)") +
                             R"({"@timestamp": "2026-11-23T00:00:00.000000000Z"}}]})";
  EXPECT_EQ(compare_stored(spaced, r, {0}).value()[0].match, StoredMatch::kDifferent);
}

TEST(StoredCheck, MalformedOrMismatchedResponsesAreErrors) {
  const BulkRequest r = three_documents();
  EXPECT_FALSE(compare_stored("not json", r, {0}).ok());
  EXPECT_FALSE(compare_stored(R"({"docs":[]})", r, {0}).ok());
  EXPECT_FALSE(compare_stored(R"({"docs":[{"found":false},{"found":false}]})", r, {0}).ok());
  EXPECT_FALSE(compare_stored(R"({"docs":[{"_id":"idA","error":{"type":"x"}}]})", r, {0}).ok());
}

TEST(StoredCheck, CountedTrafficOfEachKind) {
  const BulkRequest r = three_documents();
  const CountedTraffic flow = counted_traffic(r.document(0));
  EXPECT_EQ(flow.packets, 7u);
  EXPECT_EQ(flow.bytes, 4242u);
  const CountedTraffic totals = counted_traffic(r.document(1));
  EXPECT_EQ(totals.packets, 0u);  // totals repeat the flows' packets: not counted again
  const CountedTraffic packet = counted_traffic(r.document(2));
  EXPECT_EQ(packet.packets, 1u);
  EXPECT_EQ(packet.bytes, 1514u);
  const CountedTraffic fmadio = counted_traffic(R"({"TotalPkt":3,"TotalByte":180,"FlowCnt":1})");
  EXPECT_EQ(fmadio.packets, 3u);
  EXPECT_EQ(fmadio.bytes, 180u);
  EXPECT_EQ(counted_traffic("garbage").packets, 0u);
}

}  // namespace
}  // namespace snapflow::indexer
