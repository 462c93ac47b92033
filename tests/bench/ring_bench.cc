// SSD ring write throughput: records of a fixed size appended through RingWriter (the
// capture writer thread's path) into a ring on the disk that holds $SNAPFLOW_RING_BENCH_DIR
// (default /var/tmp). Commits: commit() (waits for durability) every commit_mib MiB, and/or
// the writer's own automatic commits every auto_ms ms (commit_interval_ns, not waited for).
// The rate counts the time up to the end of close(), so data still in flight when the loop
// ends is paid for. scripts/bench-ring.sh compares it with `dd oflag=direct` on the same
// filesystem. RingRead reads a 256 MiB ring (in the page cache after the first pass) with and
// without checking the per-block checksums, to show what checking costs.
//   ring_bench --benchmark_filter=RingWrite --benchmark_repetitions=3
//   ring_bench --benchmark_filter=RingRead --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "snapflow/ring/reader.h"
#include "snapflow/ring/writer.h"

namespace {

std::string bench_dir() {
  const char* env = std::getenv("SNAPFLOW_RING_BENCH_DIR");
  return std::string(env != nullptr ? env : "/var/tmp") + "/snapflow-ring-bench";
}

// Args: record captured length, explicit commit interval in MiB (0: none), automatic commit
// interval in ms (0: off), checksum block in KiB (0: no checksums).
void BM_RingWrite(benchmark::State& state) {
  const auto length = static_cast<uint32_t>(state.range(0));
  const uint64_t commit_bytes = static_cast<uint64_t>(state.range(1)) << 20;
  const int64_t auto_ns = state.range(2) * 1'000'000;
  const size_t sum_bytes = static_cast<size_t>(state.range(3)) << 10;
  const std::string dir = bench_dir();
  std::filesystem::remove_all(dir);
  snapflow::ring::RingConfig config;
  config.dir = dir;
  config.segment_bytes = uint64_t{256} << 20;
  config.segment_count = 8;  // 2 GiB: long runs overwrite, as live capture does
  config.commit_interval_ns = auto_ns;
  config.checksum_block_bytes = sum_bytes;
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
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {
      if (!w.append(ts_ns, payload, length).ok()) {
        state.SkipWithError("append failed");
        return;
      }
      ts_ns += 1000;
    }
    since_commit += kBurst * (16 + uint64_t{length});
    if (commit_bytes > 0 && since_commit >= commit_bytes) {
      if (!w.commit().ok()) {
        state.SkipWithError("commit failed");
        return;
      }
      since_commit = 0;
    }
  }
  if (!w.close().ok()) state.SkipWithError("close failed");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double records = static_cast<double>(state.iterations()) * kBurst;
  state.counters["packets_per_s"] = records / seconds;
  state.counters["disk_bytes_per_s"] = records * (16 + length) / seconds;
  state.counters["commits"] = static_cast<double>(w.stats().commits);
  state.counters["io_wait_s"] = static_cast<double>(w.stats().io_wait_ns) / 1e9;
  state.counters["direct_io"] = w.direct_io() ? 1 : 0;
  state.SetLabel(dir + (w.direct_io() ? " O_DIRECT" : " buffered"));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RingWrite)
    ->ArgNames({"bytes", "commit_mib", "auto_ms", "sum_kib"})
    ->Args({64, 16, 0, 64})
    ->Args({1500, 16, 0, 64})
    ->Args({1500, 256, 0, 64})
    ->Args({1500, 0, 100, 64})
    ->Args({1500, 0, 10, 64})
    ->Args({64, 16, 0, 0})
    ->Args({1500, 16, 0, 0})
    ->Args({1500, 0, 100, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

// A 256 MiB ring of `length`-byte records, written once per process (per length).
std::string read_ring(uint32_t length) {
  const std::string dir = bench_dir() + "-read-" + std::to_string(length);
  static std::string made;
  if (made == dir) return dir;
  std::filesystem::remove_all(dir);
  snapflow::ring::RingConfig config;
  config.dir = dir;
  config.segment_bytes = uint64_t{64} << 20;
  config.segment_count = 5;
  auto writer = snapflow::ring::RingWriter::open(config);
  if (!writer.ok()) return "";
  std::vector<std::byte> payload(length);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte(i * 7);
  int64_t ts_ns = 1'700'000'000'000'000'000;
  const uint64_t records = (uint64_t{256} << 20) / (16 + length);
  for (uint64_t i = 0; i < records; ++i, ts_ns += 1000) {
    if (!(*writer)->append(ts_ns, payload, length).ok()) return "";
  }
  if (!(*writer)->close().ok()) return "";
  made = dir;
  return dir;
}

// Args: record captured length, verify checksums (0/1). Reads the whole ring per iteration.
void BM_RingRead(benchmark::State& state) {
  const auto length = static_cast<uint32_t>(state.range(0));
  const std::string dir = read_ring(length);
  if (dir.empty()) {
    state.SkipWithError("could not write the ring");
    return;
  }
  snapflow::ring::RingReaderOptions options;
  options.verify_checksums = state.range(1) != 0;
  uint64_t bytes = 0, records = 0;
  snapflow::pcap::PacketBatch batch;
  for (auto _ : state) {
    auto reader = snapflow::ring::RingReader::open(dir, options);
    if (!reader.ok()) {
      state.SkipWithError(reader.error().to_string().c_str());
      return;
    }
    while (true) {
      auto st = (*reader)->next_batch(batch, 4096);
      if (!st.ok() || *st != snapflow::ring::ReadStatus::kRecords) break;
      records += batch.size();
      for (const auto& r : batch.records) bytes += 16 + r.captured_length;
    }
  }
  state.counters["record_bytes_per_s"] =
      benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kIsRate);
  state.counters["records_per_s"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RingRead)
    ->ArgNames({"bytes", "verify"})
    ->Args({1500, 0})
    ->Args({1500, 1})
    ->Args({64, 0})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
