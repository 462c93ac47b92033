// Client-side cost of the indexer per document: bulk framing (batches -> ~8 MB requests) and
// igzip compression of each request, on realistic flow documents (~400 bytes of source plus
// the action line). Target (DESIGN.md section 6): >= 1 M documents/s per core.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "snapflow/base/time.h"
#include "snapflow/compress/gzip.h"
#include "snapflow/indexer/bulk_request.h"
#include "snapflow/indexer/document_batch.h"

namespace {

using snapflow::indexer::BulkRequest;
using snapflow::indexer::DocumentBatch;

// 8 MB worth of documents in batches of 512, as pcap2json hands them over.
std::vector<DocumentBatch> make_batches(size_t documents) {
  std::vector<DocumentBatch> out;
  DocumentBatch b;
  char ts[snapflow::base::kRfc3339NsLength + 1] = {};
  for (size_t i = 0; i < documents; ++i) {
    const int64_t t =
        1'795'000'000LL * snapflow::base::kNsPerSec + static_cast<int64_t>(i / 300) * 100'000'000;
    snapflow::base::format_rfc3339_ns(t, ts);
    const uint64_t packets = 1 + i % 37, bytes = packets * (64 + i % 1400);
    b.offsets.push_back(static_cast<uint32_t>(b.body.size()));
    // Ids are 22 base64url characters of a hash in the real encoder: vary them like one.
    std::string id = std::to_string(i * 0x9E3779B97F4A7C15ULL);
    id.resize(22, 'Q');
    b.body += "{\"create\":{\"_index\":\"snapflow-2026.11.18\",\"_id\":\"" + id + "\"}}\n";
    b.body += std::string("{\"@timestamp\":\"") + ts + "\",\"event\":{\"start\":\"" + ts +
              "\",\"end\":\"" + ts + "\",\"duration\":" + std::to_string(i % 99999) +
              ",\"kind\":\"event\",\"dataset\":\"snapflow.flow\"},\"snapflow\":{\"interval_ns\":"
              "100000000,\"flow_id\":\"" +
              std::to_string(0xABCDEF0123ULL * i).substr(0, 16) +
              "\"},\"observer\":{\"name\":\"probe-1\"},\"labels\":{\"capture\":\"lab\"},"
              "\"source\":{\"ip\":\"10." +
              std::to_string(i % 200) + "." + std::to_string(i / 200 % 250) +
              ".7\",\"port\":" + std::to_string(1024 + i % 60000) +
              ",\"packets\":" + std::to_string(packets) + ",\"bytes\":" + std::to_string(bytes) +
              "},\"destination\":{\"ip\":\"192.168.1." + std::to_string(i % 254) +
              "\",\"port\":443},\"network\":{\"type\":\"ipv4\",\"transport\":\"tcp\","
              "\"iana_number\":\"6\",\"packets\":" +
              std::to_string(packets) + ",\"bytes\":" + std::to_string(bytes) +
              ",\"community_id\":\"1:" + id.substr(0, 20) + "=\"}}\n";
    if (b.size() == 512) {
      out.push_back(std::move(b));
      b = DocumentBatch{};
    }
  }
  if (!b.empty()) out.push_back(std::move(b));
  return out;
}

constexpr size_t kDocuments = 20'000;

void BM_BulkFraming(benchmark::State& state) {
  const auto batches = make_batches(kDocuments);
  BulkRequest request;
  for (auto _ : state) {
    request.body.clear();
    request.offsets.clear();
    request.sequences.clear();
    for (const auto& b : batches) request.append_range(b, 0, b.size());
    benchmark::DoNotOptimize(request.body.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kDocuments));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.body.size()));
  state.counters["doc_bytes"] = static_cast<double>(request.body.size()) / kDocuments;
}

void BM_FramingAndGzip(benchmark::State& state) {
  const auto batches = make_batches(kDocuments);
  snapflow::compress::GzipCompressor gzip(static_cast<int>(state.range(0)));
  BulkRequest request;
  std::string out;
  for (auto _ : state) {
    request.body.clear();
    request.offsets.clear();
    request.sequences.clear();
    for (const auto& b : batches) request.append_range(b, 0, b.size());
    if (!gzip.compress(request.body, out).ok()) state.SkipWithError("gzip failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kDocuments));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.body.size()));
  state.counters["ratio"] =
      static_cast<double>(request.body.size()) / static_cast<double>(out.size());
}

BENCHMARK(BM_BulkFraming)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FramingAndGzip)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
