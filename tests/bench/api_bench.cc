// The capture API server's own costs, over loopback with libcurl: status requests per second
// (kept-alive and one connection each), and download throughput of the streaming path (download
// slot -> event loop -> socket) with records held in memory, so no disk is measured, for two
// per-connection buffer sizes (--api-max-header-bytes bounds the chunk libmicrohttpd sends).
#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <vector>

#include "snapflow/capture/api.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

// The same 1024 records of 1000 bytes, served `repeat` times: a 1 GiB-class stream from memory.
class MemoryRecords final : public RecordSource {
 public:
  explicit MemoryRecords(uint64_t batches) : batches_(batches) {
    batch_.storage.assign(1024 * 1000, std::byte{0x5a});
    for (size_t i = 0; i < 1024; ++i) {
      pcap::PacketRecord r;
      r.ts_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(i);
      r.data = batch_.storage.data() + i * 1000;
      r.captured_length = r.wire_length = 1000;
      batch_.records.push_back(r);
    }
  }
  uint16_t link_type() const override { return 1; }
  uint32_t snaplen() const override { return 65535; }
  uint64_t skipped_records() const override { return 0; }
  base::Result<bool> next_batch(pcap::PacketBatch& batch) override {
    if (sent_ == batches_) {
      batch.clear();
      return false;
    }
    ++sent_;
    batch.records = batch_.records;  // views into batch_.storage, which outlives the body
    return true;
  }

 private:
  uint64_t batches_;
  uint64_t sent_ = 0;
  pcap::PacketBatch batch_;
};

class BenchControl final : public CaptureControl {
 public:
  StatusSnapshot status() override { return {}; }
  base::Result<std::string> start_capture(const std::string&) override { return std::string(); }
  base::Result<std::string> stop_capture() override { return std::string(); }
  std::vector<CaptureInfo> list_captures() override { return {}; }
  base::Result<std::unique_ptr<RecordSource>> open_capture(const std::string&) override {
    return std::unique_ptr<RecordSource>(new MemoryRecords(batches));
  }
  uint64_t batches = 256;  // 256 x 1024 records of 1016 bytes: 266 MB
};

struct Server {
  explicit Server(uint32_t max_header_bytes) {
    ApiServerOptions o;
    o.port = 0;
    o.credentials = make_credentials("admin", "secret");
    o.max_header_bytes = max_header_bytes;
    server = std::move(ApiServer::start(o, control, log).value());
  }
  std::string url(const char* path) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + path;
  }
  base::Logger log{"api_bench", base::LogLevel::kError};
  BenchControl control;
  std::unique_ptr<ApiServer> server;
};

size_t count_bytes(char*, size_t size, size_t n, void* user) {
  *static_cast<uint64_t*>(user) += size * n;
  return size * n;
}

void BM_StatusKeepAlive(benchmark::State& state) {
  Server s(32 * 1024);
  CURL* curl = curl_easy_init();
  const std::string url = s.url("/sysmaster/status");
  uint64_t bytes = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, "admin:secret");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &count_bytes);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes);
  for (auto _ : state) {
    if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("request failed");
  }
  curl_easy_cleanup(curl);
  state.counters["requests/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StatusKeepAlive)->UseRealTime();

void BM_StatusNewConnection(benchmark::State& state) {
  Server s(32 * 1024);
  const std::string url = s.url("/sysmaster/status");
  uint64_t bytes = 0;
  for (auto _ : state) {
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, "admin:secret");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &count_bytes);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes);
    if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("request failed");
    curl_easy_cleanup(curl);
  }
  state.counters["requests/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StatusNewConnection)->UseRealTime();

// state.range(0): --api-max-header-bytes (the connection buffer, so the largest chunk).
void BM_Download(benchmark::State& state) {
  Server s(static_cast<uint32_t>(state.range(0)));
  const std::string url = s.url("/pcap/single?StreamName=x");
  uint64_t bytes = 0;
  for (auto _ : state) {
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, "admin:secret");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &count_bytes);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("download failed");
    curl_easy_cleanup(curl);
  }
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Download)
    ->Arg(32 * 1024)
    ->Arg(256 * 1024)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace snapflow::capture

BENCHMARK_MAIN();
