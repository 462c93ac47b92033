// SSD ring write throughput: records of a fixed size appended through RingWriter (the
// capture writer thread's path), committed every commit_mib MiB, into a ring on the disk that
// holds $SNAPFLOW_RING_BENCH_DIR (default /var/tmp). scripts/bench-ring.sh compares the rate
// with `dd oflag=direct` on the same filesystem.
//   ring_bench --benchmark_filter=RingWrite --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "snapflow/ring/writer.h"

namespace {

std::string bench_dir() {
  const char* env = std::getenv("SNAPFLOW_RING_BENCH_DIR");
  return std::string(env != nullptr ? env : "/var/tmp") + "/snapflow-ring-bench";
}

// Args: record captured length, commit interval in MiB.
void BM_RingWrite(benchmark::State& state) {
  const auto length = static_cast<uint32_t>(state.range(0));
  const uint64_t commit_bytes = static_cast<uint64_t>(state.range(1)) << 20;
  const std::string dir = bench_dir();
  std::filesystem::remove_all(dir);
  snapflow::ring::RingConfig config;
  config.dir = dir;
  config.segment_bytes = uint64_t{256} << 20;
  config.segment_count = 8;  // 2 GiB: long runs overwrite, as live capture does
  auto writer = snapflow::ring::RingWriter::open(config);
  if (!writer.ok()) {
    state.SkipWithError(writer.error().to_string().c_str());
    return;
  }
  snapflow::ring::RingWriter& w = **writer;
  std::vector<std::byte> payload(length);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte(i * 13);
  constexpr int kBurst = 1024;
  int64_t ts_ns = 1'700'000'000'000'000'000;
  uint64_t since_commit = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {
      if (!w.append(ts_ns, payload, length).ok()) {
        state.SkipWithError("append failed");
        return;
      }
      ts_ns += 1000;
    }
    since_commit += kBurst * (16 + uint64_t{length});
    if (since_commit >= commit_bytes) {
      if (!w.commit().ok()) {
        state.SkipWithError("commit failed");
        return;
      }
      since_commit = 0;
    }
  }
  if (!w.close().ok()) state.SkipWithError("close failed");
  const double records = static_cast<double>(state.iterations()) * kBurst;
  state.counters["packets_per_s"] = benchmark::Counter(records, benchmark::Counter::kIsRate);
  state.counters["disk_bytes_per_s"] =
      benchmark::Counter(records * (16 + length), benchmark::Counter::kIsRate);
  state.counters["direct_io"] = w.direct_io() ? 1 : 0;
  state.SetLabel(dir + (w.direct_io() ? " O_DIRECT" : " buffered"));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RingWrite)
    ->ArgNames({"bytes", "commit_mib"})
    ->Args({64, 16})
    ->Args({1500, 16})
    ->Args({1500, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
