// Integration tests against a real Elasticsearch or OpenSearch node (the flavour comes from
// SNAPFLOW_SEARCH_FLAVOUR; ctest runs this binary once per flavour). No mock servers.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "search_test_support.h"
#include "snapflow/base/time.h"
#include "snapflow/indexer/bulk_indexer.h"
#include "snapflow/indexer/index_admin.h"
#include "snapflow/indexer/retraction.h"

namespace snapflow::indexer {
namespace {

using namespace testing;  // NOLINT: test helpers

class SearchServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = server_url();
    prefix_ = unique_prefix(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& c : prefix_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    config_ = test_config(url_, prefix_);
    ASSERT_TRUE(validate(config_).ok());
    auto client = EsClient::create(config_, logger_);
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
    auto setup = setup_indices(*client_, config_);
    ASSERT_TRUE(setup.ok()) << setup.error().to_string();
  }
  void TearDown() override {
    // By exact name: Elasticsearch refuses wildcard deletes (action.destructive_requires_name).
    if (client_) {
      auto indices = list_daily_indices(*client_, prefix_);
      if (indices.ok()) {
        for (const auto& idx : *indices) (void)client_->send({"DELETE", "/" + idx.name, {}});
      }
    }
    std::remove(config_.dead_letter_path.c_str());
  }

  // Writes every batch, then finish(); returns the indexer's final stats.
  IndexerStats ingest(const GeneratedDocs& docs, const IndexerConfig& config) {
    BulkIndexer indexer(config, logger_);
    for (const auto& b : docs.batches) {
      auto st = indexer.write(b);
      EXPECT_TRUE(st.ok()) << st.error().to_string();
    }
    auto st = indexer.finish();
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(indexer.delivered_through(), docs.batches.back().sequence);
    return indexer.stats();
  }

  void expect_exact(const GeneratedDocs& docs) {
    const IndexTotals t = index_totals(*client_, prefix_);
    EXPECT_EQ(t.count, static_cast<int64_t>(docs.documents));
    EXPECT_EQ(t.bytes, static_cast<int64_t>(docs.bytes));
    EXPECT_EQ(t.packets, static_cast<int64_t>(docs.packets));
  }

  base::Logger logger_{"itest", std::getenv("SNAPFLOW_TEST_VERBOSE") != nullptr
                                    ? base::LogLevel::kDebug
                                    : base::LogLevel::kError};
  std::string url_, prefix_;
  IndexerConfig config_;
  std::unique_ptr<EsClient> client_;
};

TEST_F(SearchServerTest, SetupIsIdempotentAndAppliesMappings) {
  auto again = setup_indices(*client_, config_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->skipped.empty());  // the test distributions have no ILM/ISM
  const GeneratedDocs docs = generate_flow_docs(prefix_, 10, 10, 1);
  ingest(docs, config_);
  auto mapping = client_->get("/" + prefix_ + "-*/_mapping");
  ASSERT_TRUE(mapping.ok());
  ASSERT_EQ(mapping->status, 200);
  EXPECT_NE(mapping->body.find(R"("@timestamp":{"type":"date_nanos"})"), std::string::npos);
  EXPECT_NE(mapping->body.find(R"("ip":{"type":"ip"})"), std::string::npos);
  EXPECT_NE(mapping->body.find(R"("dynamic":"false")"), std::string::npos);
  // status through the CLI as an operator would run it.
  (void)client_->send({"POST", "/" + prefix_ + "-*/_refresh", {}});
  std::string out;
  EXPECT_EQ(run_command(snapflow_index_binary() + " status --es-host " + url_ +
                            " --es-index-prefix " + prefix_,
                        out),
            0)
      << out;
  EXPECT_NE(out.find("probe-a"), std::string::npos) << out;
}

TEST_F(SearchServerTest, ExactCountsAndSumsThenIdempotentRerun) {
  const GeneratedDocs docs = generate_flow_docs(prefix_, 20000, 500, 3);
  IndexerStats first = ingest(docs, config_);
  EXPECT_EQ(first.documents_acknowledged, docs.documents);
  EXPECT_EQ(first.documents_dead_lettered, 0u);
  EXPECT_GT(first.requests, 10u);                                   // sized by bytes: many requests
  EXPECT_LT(first.bytes_compressed, first.bytes_uncompressed / 3);  // gzip on the wire
  expect_exact(docs);
  // The same documents again: every one answers 409, counted as already present.
  IndexerStats second = ingest(docs, config_);
  EXPECT_EQ(second.documents_already_present, docs.documents);
  EXPECT_EQ(second.documents_acknowledged, 0u);
  expect_exact(docs);
}

TEST_F(SearchServerTest, RejectedDocumentIsDeadLetteredAndTheRestIndexed) {
  GeneratedDocs docs = generate_flow_docs(prefix_, 100, 100, 1);
  DocumentBatch& b = docs.batches[0];
  // Make document 40's network.bytes a word: the long mapping rejects it.
  const std::string doc(b.document(40));
  const size_t at = doc.rfind("\"bytes\":");
  const std::string bad = doc.substr(0, at) + "\"bytes\":\"lots\"}}\n";
  DocumentBatch fixed;
  fixed.sequence = b.sequence;
  for (size_t i = 0; i < b.size(); ++i) {
    fixed.offsets.push_back(static_cast<uint32_t>(fixed.body.size()));
    fixed.body += i == 40 ? bad : std::string(b.document(i));
  }
  const uint64_t bad_bytes = std::stoull(doc.substr(at + 8));
  const uint64_t bad_packets = std::stoull(doc.substr(doc.rfind("\"packets\":") + 10));
  docs.batches[0] = std::move(fixed);
  IndexerStats s = ingest(docs, config_);
  EXPECT_EQ(s.documents_dead_lettered, 1u);
  EXPECT_EQ(s.documents_acknowledged, 99u);
  std::ifstream dl(config_.dead_letter_path);
  std::stringstream content;
  content << dl.rdbuf();
  EXPECT_NE(content.str().find("network.bytes"), std::string::npos) << content.str();
  EXPECT_NE(content.str().find("\"status\":400"), std::string::npos) << content.str();
  const IndexTotals t = index_totals(*client_, prefix_);
  EXPECT_EQ(t.count, 99);
  EXPECT_EQ(t.bytes, static_cast<int64_t>(docs.bytes - bad_bytes));
  EXPECT_EQ(t.packets, static_cast<int64_t>(docs.packets - bad_packets));
}

// Runs ingest on a thread while `fault` disturbs the server, then checks exact counts.
template <typename Fault>
void ingest_through_fault(SearchServerTest& test, const GeneratedDocs& docs,
                          const IndexerConfig& config, const base::Logger& logger, Fault fault,
                          IndexerStats& stats) {
  BulkIndexer indexer(config, logger);
  std::thread producer([&] {
    for (const auto& b : docs.batches) {
      auto st = indexer.write(b);
      ASSERT_TRUE(st.ok()) << st.error().to_string();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // spread over the fault
    }
  });
  fault();
  producer.join();
  auto st = indexer.finish();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
  stats = indexer.stats();
  (void)test;
}

TEST_F(SearchServerTest, ServerPausedTwentySeconds) {
  const GeneratedDocs docs = generate_flow_docs(prefix_, 30000, 100, 2);
  int rc = 0;
  const std::string pid_text = run_script("pid", rc);
  ASSERT_EQ(rc, 0) << pid_text;
  const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
  IndexerStats s;
  ingest_through_fault(
      *this, docs, config_, logger_,
      [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        ASSERT_EQ(::kill(pid, SIGSTOP), 0);
        std::this_thread::sleep_for(std::chrono::seconds(20));
        ASSERT_EQ(::kill(pid, SIGCONT), 0);
      },
      s);
  EXPECT_EQ(s.documents_acknowledged + s.documents_already_present, docs.documents);
  expect_exact(docs);
}

TEST_F(SearchServerTest, ServerKilledAndRestarted) {
  const GeneratedDocs docs = generate_flow_docs(prefix_, 30000, 100, 2);
  IndexerStats s;
  ingest_through_fault(
      *this, docs, config_, logger_,
      [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        int rc = 0;
        std::string out = run_script("kill", rc);
        ASSERT_EQ(rc, 0) << out;
        out = run_script("start", rc);
        ASSERT_EQ(rc, 0) << out;
      },
      s);
  EXPECT_GT(s.documents_retried, 0u);
  EXPECT_EQ(s.documents_acknowledged + s.documents_already_present, docs.documents);
  expect_exact(docs);
}

TEST_F(SearchServerTest, StarvedWritePoolAnswers429AndEverythingLands) {
  // A second node of the same flavour with a one-thread, one-slot write pool.
  const std::string env =
      "SNAPFLOW_SEARCH_INSTANCE=starved SNAPFLOW_SEARCH_SETTINGS='thread_pool.write.size: 1\n"
      "thread_pool.write.queue_size: 1'";
  int rc = 0;
  std::string out = run_script("start", rc, env);
  ASSERT_EQ(rc, 0) << out;
  const std::string starved_url = out.substr(out.rfind('\n') + 1);
  IndexerConfig config = test_config(starved_url, prefix_);
  config.max_in_flight = 3;
  config.queue_requests = 4;
  config.retry_max_ns = 500 * base::kNsPerMs;
  config.bulk_bytes = 64 * 1024;
  config.retry_initial_ns = 20 * base::kNsPerMs;
  ASSERT_TRUE(validate(config).ok());
  auto client = EsClient::create(config, logger_);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(setup_indices(**client, config).ok());
  const GeneratedDocs docs = generate_flow_docs(prefix_, 30000, 200, 8);
  IndexerStats s;
  ingest_through_fault(
      *this, docs, config, logger_, [] {}, s);
  const IndexTotals t = index_totals(**client, prefix_);
  if (auto indices = list_daily_indices(**client, prefix_); indices.ok()) {
    for (const auto& idx : *indices) (void)(*client)->send({"DELETE", "/" + idx.name, {}});
  }
  run_script("stop", rc, env);
  EXPECT_GT(s.documents_retried, 0u) << "no 429 seen: " << format_stats(s);
  EXPECT_EQ(t.count, static_cast<int64_t>(docs.documents));
  EXPECT_EQ(t.bytes, static_cast<int64_t>(docs.bytes));
}

// A restarted ring consumer's retraction (decision 0009): only its own flow, totals, gap and
// packet documents above the record, never its accounting samples, another capture's
// documents, or documents older than the time bound.
TEST_F(SearchServerTest, RetractionDeletesOnlyTheConsumersDocumentsAfterTheRecord) {
  const int64_t now_ns = 1'795'000'000LL * base::kNsPerSec;
  DocumentBatch batch;
  uint64_t expected_left = 0;
  uint64_t expected_deleted = 0;
  char ts[base::kRfc3339NsLength + 1];
  char day[11];
  const char* datasets[] = {"snapflow.flow", "snapflow.totals", "snapflow.gap", "snapflow.packet",
                            "snapflow.accounting"};
  for (int i = 0; i < 400; ++i) {
    const std::string capture = i % 7 == 0 ? "other" : "itest";
    const std::string dataset = datasets[i % 5];
    const uint64_t record = static_cast<uint64_t>(i) + 1;
    // Every tenth document is two hours older than the bound.
    const int64_t start_ns =
        now_ns + i * base::kNsPerMs - (i % 10 == 3 ? 7200 * base::kNsPerSec : 0);
    base::format_rfc3339_ns(start_ns, ts);
    ts[base::kRfc3339NsLength] = '\0';
    base::format_index_day(start_ns, day);
    day[10] = '\0';
    const bool retracted =
        capture == "itest" && dataset != "snapflow.accounting" && record > 150 && i % 10 != 3;
    (retracted ? expected_deleted : expected_left) += 1;
    batch.offsets.push_back(static_cast<uint32_t>(batch.body.size()));
    batch.body += "{\"create\":{\"_index\":\"" + prefix_ + "-" + day + "\",\"_id\":\"r" +
                  std::to_string(i) + "\"}}\n";
    batch.body += std::string("{\"@timestamp\":\"") + ts + "\",\"event\":{\"dataset\":\"" +
                  dataset + "\"},\"observer\":{\"name\":\"probe-a\"},\"labels\":{\"capture\":\"" +
                  capture + "\"},\"snapflow\":{\"record\":" + std::to_string(record) +
                  "},\"network\":{\"packets\":1,\"bytes\":60}}\n";
  }
  batch.sequence = 1;
  batch.packets = 400;
  batch.bytes = 400 * 60;
  GeneratedDocs docs;
  docs.batches.push_back(std::move(batch));
  docs.documents = docs.packets = 400;
  docs.bytes = 400 * 60;
  ingest(docs, config_);

  BackoffPolicy backoff(config_.retry_initial_ns, config_.retry_max_ns, config_.retry_total_ns, 1);
  const RetractionScope scope{prefix_, "probe-a", "itest", 150, now_ns - 600 * base::kNsPerSec};
  auto retracted = retract_documents(*client_, scope, backoff);
  ASSERT_TRUE(retracted.ok()) << retracted.error().to_string();
  EXPECT_EQ(retracted->deleted, expected_deleted);
  EXPECT_GT(expected_deleted, 100u);
  EXPECT_EQ(index_totals(*client_, prefix_).count, static_cast<int64_t>(expected_left));
  // Again: nothing left to retract, one empty search.
  auto again = retract_documents(*client_, scope, backoff);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->deleted, 0u);
  EXPECT_EQ(again->passes, 1);
}

TEST_F(SearchServerTest, PruneDeletesOnlyExpiredDailyIndices) {
  const std::string old_index = prefix_ + "-2020.01.01";
  char today[11];
  base::format_index_day(base::now_realtime_ns(), today);
  today[10] = '\0';
  const std::string new_index = prefix_ + "-" + today;
  const std::string bystander = prefix_ + "-keep-2020.01.01";  // not a daily index name
  for (const auto& name : {old_index, new_index, bystander}) {
    auto r = client_->send({"PUT", "/" + name, {}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
  }
  std::string out;
  const std::string cmd = snapflow_index_binary() + " prune --older-than 30d --es-host " + url_ +
                          " --es-index-prefix " + prefix_;
  ASSERT_EQ(run_command(cmd + " --dry-run", out), 0) << out;
  EXPECT_NE(out.find("would delete " + old_index), std::string::npos) << out;
  ASSERT_EQ(run_command(cmd, out), 0) << out;
  EXPECT_NE(out.find("deleted " + old_index), std::string::npos) << out;
  EXPECT_EQ(client_->send({"HEAD", "/" + old_index, {}})->status, 404);
  EXPECT_EQ(client_->send({"HEAD", "/" + new_index, {}})->status, 200);
  EXPECT_EQ(client_->send({"HEAD", "/" + bystander, {}})->status, 200);
}

TEST_F(SearchServerTest, BadConfigurationFailsFastWithAClearError) {
  struct Case {
    std::string args, expect;
  };
  const std::string port = url_.substr(url_.rfind(':') + 1);
  const Case cases[] = {
      {"setup --es-host http://127.0.0.1:1", "Couldn't connect"},
      {"setup --es-host https://127.0.0.1:" + port, "https against an http port"},
      {"load /nonexistent.ndjson --es-host " + url_, "/nonexistent.ndjson"},
      {"setup --es-host http://user:pw@127.0.0.1:" + port, "SNAPFLOW_ES_USER"},
  };
  for (const auto& c : cases) {
    const auto start = std::chrono::steady_clock::now();
    std::string out;
    const int rc = run_command(snapflow_index_binary() + " " + c.args, out);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_NE(rc, 0) << c.args << ": " << out;
    EXPECT_NE(out.find(c.expect), std::string::npos) << c.args << ": " << out;
    EXPECT_EQ(out.find("pw@"), std::string::npos) << out;
    EXPECT_LT(took, std::chrono::seconds(10)) << c.args;
  }
}

}  // namespace
}  // namespace snapflow::indexer
