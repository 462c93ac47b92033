#include "snapflow/indexer/bulk_request.h"

#include <gtest/gtest.h>

#include <string>

#include "snapflow/indexer/dead_letter.h"
#include "snapflow/indexer/index_admin.h"

namespace snapflow::indexer {
namespace {

DocumentBatch make_batch(uint64_t sequence, int docs) {
  DocumentBatch b;
  b.sequence = sequence;
  for (int i = 0; i < docs; ++i) {
    b.offsets.push_back(static_cast<uint32_t>(b.body.size()));
    b.body += R"({"create":{"_index":"snapflow-2026.11.23","_id":"s)" + std::to_string(sequence) +
              "d" + std::to_string(i) + "\"}}\n{\"n\":" + std::to_string(i) + "}\n";
  }
  return b;
}

TEST(BulkRequest, AppendRangeKeepsDocumentsAndSequences) {
  const DocumentBatch a = make_batch(1, 5), b = make_batch(2, 3);
  BulkRequest r;
  r.append_range(a, 1, 4);
  r.append_range(b, 0, 3);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r.document(0), a.document(1));
  EXPECT_EQ(r.document(2), a.document(3));
  EXPECT_EQ(r.document(5), b.document(2));
  EXPECT_EQ(r.sequences, (std::vector<uint64_t>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(r.body.back(), '\n');
}

TEST(BulkRequest, SplitInHalfLosesNothingAndRecursesToSingles) {
  const DocumentBatch a = make_batch(7, 9);
  BulkRequest r;
  r.append_range(a, 0, 9);
  auto [left, right] = split_in_half(r);
  EXPECT_EQ(left.size(), 4u);
  EXPECT_EQ(right.size(), 5u);
  EXPECT_EQ(left.body + right.body, r.body);
  // Splitting repeatedly (what repeated 413s do) ends in single documents covering all.
  std::vector<BulkRequest> pending{r}, singles;
  while (!pending.empty()) {
    BulkRequest x = std::move(pending.back());
    pending.pop_back();
    if (x.size() == 1) {
      singles.push_back(std::move(x));
      continue;
    }
    auto [l, rr] = split_in_half(x);
    pending.push_back(std::move(rr));
    pending.push_back(std::move(l));
  }
  ASSERT_EQ(singles.size(), 9u);
  std::string joined;
  for (const auto& s : singles) joined += s.body;
  EXPECT_EQ(joined, r.body);
}

TEST(BulkRequest, SubsetAndCountBySequence) {
  const DocumentBatch a = make_batch(1, 3), b = make_batch(2, 3);
  BulkRequest r;
  r.append_range(a, 0, 3);
  r.append_range(b, 0, 3);
  const BulkRequest s = subset(r, {0, 2, 3});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.document(1), a.document(2));
  EXPECT_EQ(s.document(2), b.document(0));
  EXPECT_EQ(count_by_sequence(r, {0, 1, 2, 4, 5}),
            (std::vector<std::pair<uint64_t, uint64_t>>{{1, 3}, {2, 2}}));
}

TEST(JsonString, EscapesControlAndQuotes) {
  std::string s;
  append_json_string(s, "a\"b\\c\nd\x01");
  EXPECT_EQ(s, R"("a\"b\\c\nd\u0001")");
}

TEST(DailyIndexName, ParsesExactNamesOnly) {
  int64_t day = 0;
  ASSERT_TRUE(parse_daily_index_name("snapflow-1970.01.02", "snapflow", day));
  EXPECT_EQ(day, 86400LL * 1'000'000'000);
  ASSERT_TRUE(parse_daily_index_name("snapflow-packets-2024.02.29", "snapflow", day));
  EXPECT_EQ(day, 1709164800LL * 1'000'000'000);
  for (const char* bad : {"snapflow-2023.02.29", "snapflow-2024.13.01", "snapflow-2024.1.01",
                          "snapflow-2024.01.01-x", "other-2024.01.01", "snapflowx-2024.01.01",
                          "snapflow-2024-01-01", ".snapflow-2024.01.01"}) {
    EXPECT_FALSE(parse_daily_index_name(bad, "snapflow", day)) << bad;
  }
}

TEST(IndexTemplate, CarriesSettingsAndMappings) {
  IndexerConfig c;
  c.replicas = 0;
  c.refresh_interval = "2s";
  const std::string t = index_template_json(c, "");
  EXPECT_NE(t.find(R"("index_patterns":["snapflow-*"])"), std::string::npos);
  EXPECT_NE(t.find(R"("index.number_of_replicas":0)"), std::string::npos);
  EXPECT_NE(t.find(R"("index.refresh_interval":"2s")"), std::string::npos);
  EXPECT_EQ(t.find("lifecycle"), std::string::npos);
  EXPECT_NE(t.find(R"("date_nanos")"), std::string::npos);
  EXPECT_NE(index_template_json(c, "snapflow-retention").find(R"("index.lifecycle.name")"),
            std::string::npos);
}

}  // namespace
}  // namespace snapflow::indexer
