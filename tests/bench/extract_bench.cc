// PCAP retrieval (core/extract), docs/performance.md "Retrieval":
//   BM_Extract/*     filtered and unfiltered extraction of a ring of 64-byte frames (and of
//                    minimal VXLAN frames) from the page cache: packets/s per core.
//   BM_FirstByte/*   time from opening the ring to the first record of a 100 ms window at the
//                    far (oldest) end of a full ring, for a 1 GiB and an 8 GiB ring, with the
//                    ring's files evicted from the page cache first (cold) or not (warm).
//   BM_Bandwidth/*   /ring/bandwidth's series: 10^5 points over the whole of a full ring (the 8 GiB
//                    ring at ~1 Gb/s, and a 2 GiB ring of a slow link whose index holds an entry
//                    per record, 1.4 M entries), cold and warm, plus the JSON answer.
// The rings are written once with the real RingWriter into $SNAPFLOW_BENCH_DIR (required; about
// 10 GiB) and reused by later runs; delete the directory afterwards.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "snapflow/extract/bandwidth.h"
#include "snapflow/extract/extract.h"
#include "snapflow/ring/writer.h"
#include "snapflow/synth/generator.h"

namespace {

using namespace snapflow;
namespace fs = std::filesystem;

struct RingSpec {
  const char* name;
  uint64_t segment_bytes;
  uint32_t segments;
  double fill;  ///< bytes written / ring capacity (> 1: wrapped, "full")
  uint32_t frame_bytes;
  synth::Tunnel tunnel;
  int64_t step_ns;  ///< time between records
};

constexpr RingSpec kSmall64{"small64", 64 << 20, 8, 0.7, 64, synth::Tunnel::kNone, 100};
constexpr RingSpec kVxlan{"vxlan", 64 << 20, 8, 0.7, 64, synth::Tunnel::kVxlan, 100};
constexpr RingSpec kFull1G{"full-1G", 64 << 20, 16, 1.25, 1500, synth::Tunnel::kNone, 12'000};
constexpr RingSpec kFull8G{"full-8G", 64 << 20, 128, 1.25, 1500, synth::Tunnel::kNone, 12'000};
// A slow link (~4.8 Mb/s): every record more than 1 ms after the previous gets its own index
// entry, so the index is as large as it gets per byte of data (~1 hour in 2 GiB).
constexpr RingSpec kSlow2G{"slow-2G", 64 << 20, 32, 1.25, 1500, synth::Tunnel::kNone, 2'500'000};

std::string bench_dir() {
  const char* dir = std::getenv("SNAPFLOW_BENCH_DIR");
  if (dir == nullptr || *dir == 0) {
    std::fprintf(stderr,
                 "extract_bench: set SNAPFLOW_BENCH_DIR to a directory with ~10 GiB free\n");
    std::exit(2);
  }
  return dir;
}

// Writes the ring once (a marker file says it is complete); returns its directory.
std::string ring_for(const RingSpec& spec) {
  const std::string dir = bench_dir() + "/" + spec.name;
  if (fs::exists(dir + "/complete")) return dir;
  fs::remove_all(dir);
  // 8192 distinct frames (flows, protocols, IPv4/IPv6) cycled: the generator is too slow to
  // produce every packet of a multi-GiB ring, and the filters only need variety.
  synth::GeneratorConfig g;
  g.flows = 4096;
  g.packets = 8192;
  g.frame_bytes = spec.frame_bytes;
  g.tunnel = spec.tunnel;
  g.ipv6_per_million = 200'000;
  g.seed = 3;
  std::vector<std::vector<std::byte>> frames;
  auto gen = synth::generate(g, [&](int64_t, std::span<const std::byte> f) {
    frames.emplace_back(f.begin(), f.end());
    return base::ok_status();
  });
  if (!gen.ok()) std::abort();
  ring::RingConfig c;
  c.dir = dir;
  c.segment_bytes = spec.segment_bytes;
  c.segment_count = spec.segments;
  auto w = ring::RingWriter::open(c);
  if (!w.ok()) {
    std::fprintf(stderr, "extract_bench: %s\n", w.error().to_string().c_str());
    std::exit(1);
  }
  const auto target =
      static_cast<uint64_t>(spec.fill * static_cast<double>(spec.segment_bytes) * spec.segments);
  int64_t ts = synth::kDefaultStartNs;
  uint64_t written = 0;
  for (uint64_t i = 0; written < target; ++i) {
    const auto& f = frames[i % frames.size()];
    if (!(*w)->append(ts, f, static_cast<uint32_t>(f.size())).ok()) std::abort();
    ts += spec.step_ns;
    written += 16 + f.size();
  }
  if (!(*w)->close().ok()) std::abort();
  std::FILE* done = std::fopen((dir + "/complete").c_str(), "w");
  if (done) std::fclose(done);
  return dir;
}

// Drops the ring's files from the page cache (data, index, metadata).
void evict(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const int fd = ::open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

void BM_Extract(benchmark::State& state, const RingSpec* spec, const char* filter, const char* bpf,
                bool pcapng) {
  const std::string dir = ring_for(*spec);
  std::vector<std::byte> buffer(size_t{1} << 20);
  uint64_t scanned = 0;
  uint64_t kept = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto index = extract::RingIndex::open(dir);
    if (!index.ok()) return state.SkipWithError(index.error().to_string().c_str());
    extract::ExtractRequest req;
    req.filter = filter;
    req.bpf = bpf;
    req.format = pcapng ? extract::OutputFormat::kPcapng : extract::OutputFormat::kPcap;
    auto plan = extract::plan_extract(**index, req);
    if (!plan.ok()) return state.SkipWithError(plan.error().to_string().c_str());
    auto x = extract::Extractor::start(std::move(*index), std::move(*plan));
    if (!x.ok()) return state.SkipWithError(x.error().to_string().c_str());
    while (true) {
      auto n = (*x)->next_chunk(buffer);
      if (!n.ok()) return state.SkipWithError(n.error().to_string().c_str());
      if (*n == 0) break;
      benchmark::DoNotOptimize(buffer.data());
    }
    scanned += (*x)->stats().scanned_packets;
    kept += (*x)->stats().packets;
    bytes += (*x)->stats().bytes;
  }
  state.counters["Mpps"] =
      benchmark::Counter(static_cast<double>(scanned) / 1e6, benchmark::Counter::kIsRate);
  state.counters["out_MB/s"] =
      benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
  state.counters["kept_share"] =
      scanned ? static_cast<double>(kept) / static_cast<double>(scanned) : 0;
  state.counters["packets"] =
      static_cast<double>(scanned) / static_cast<double>(state.iterations());
}

void BM_FirstByte(benchmark::State& state, const RingSpec* spec, bool cold) {
  const std::string dir = ring_for(*spec);
  std::vector<std::byte> buffer(size_t{1} << 20);
  extract::IndexCounters work{};
  uint64_t segments = 0;
  for (auto _ : state) {
    if (cold) evict(dir);
    const auto t0 = std::chrono::steady_clock::now();
    auto index = extract::RingIndex::open(dir);
    if (!index.ok()) return state.SkipWithError(index.error().to_string().c_str());
    auto span = (*index)->span();
    if (!span.ok()) return state.SkipWithError(span.error().to_string().c_str());
    extract::ExtractRequest req;
    req.start_ns = span->first_ts_ns + 50 * base::kNsPerMs;  // the far end: the oldest data
    req.stop_ns = *req.start_ns + 100 * base::kNsPerMs;
    auto plan = extract::plan_extract(**index, req);
    if (!plan.ok()) return state.SkipWithError(plan.error().to_string().c_str());
    auto x = extract::Extractor::start(std::move(*index), std::move(*plan));
    if (!x.ok()) return state.SkipWithError(x.error().to_string().c_str());
    auto n = (*x)->next_chunk({buffer.data(), 64 << 10});
    if (!n.ok() || *n <= 24) return state.SkipWithError("no first record");
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    work = (*x)->index().counters();
    segments = span->segments();
  }
  state.counters["segments"] = static_cast<double>(segments);
  state.counters["meta_reads"] = static_cast<double>(work.metadata_reads);
  state.counters["index_reads"] = static_cast<double>(work.index_reads);
  state.counters["scanned_KiB"] = static_cast<double>(work.scanned_bytes) / 1024.0;
}

void BM_Bandwidth(benchmark::State& state, const RingSpec* spec, bool cold) {
  const std::string dir = ring_for(*spec);
  extract::BandwidthSeries last;
  extract::IndexCounters work{};
  size_t json_bytes = 0;
  for (auto _ : state) {
    if (cold) evict(dir);
    const auto t0 = std::chrono::steady_clock::now();
    auto index = extract::RingIndex::open(dir);
    if (!index.ok()) return state.SkipWithError(index.error().to_string().c_str());
    extract::BandwidthRequest req;
    req.points = extract::kMaxBandwidthPoints;
    auto series = extract::compute_bandwidth(**index, req);
    if (!series.ok()) return state.SkipWithError(series.error().to_string().c_str());
    const std::string json = extract::render_bandwidth_json(*series);
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    json_bytes = json.size();
    work = (*index)->counters();
    last = std::move(*series);
  }
  uint64_t packets = 0;
  for (const auto& p : last.points) packets += p.packets;
  state.counters["points"] = static_cast<double>(last.points.size());
  state.counters["step_ms"] = static_cast<double>(last.step_ns) / 1e6;
  state.counters["exact"] = last.exact ? 1 : 0;
  state.counters["inexact"] = static_cast<double>(last.inexact_boundaries);
  state.counters["packets"] = static_cast<double>(packets);
  state.counters["index_reads"] = static_cast<double>(work.index_reads);
  state.counters["meta_reads"] = static_cast<double>(work.metadata_reads);
  state.counters["scanned_KiB"] = static_cast<double>(last.scanned_bytes) / 1024.0;
  state.counters["json_KiB"] = static_cast<double>(json_bytes) / 1024.0;
}

BENCHMARK_CAPTURE(BM_Extract, raw_pcap_64B, &kSmall64, "", "", false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, pcapng_64B, &kSmall64, "", "", true)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, bpf_tcp_port_443_64B, &kSmall64, "", "tcp port 443", false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, filter_tcp_port_443_64B, &kSmall64, "tcp.port==443", "", false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, filter_manual_example_64B, &kSmall64,
                  "all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port=="
                  "5000;expr=((!all_udp) & (all_tcp)) | all_udp_port_5000",
                  "", false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, filter_frame_size_64B, &kSmall64, "frame.size>100", "", false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, bpf_outer_vxlan, &kVxlan, "",
                  "udp dst port 4789 and src net 10.254.1.0/24", false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_Extract, filter_inner_vxlan, &kVxlan, "inner.ipv4.addr.src==10.0.0.0/22", "",
                  false)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_FirstByte, ring_1GiB_cold, &kFull1G, true)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);
BENCHMARK_CAPTURE(BM_FirstByte, ring_8GiB_cold, &kFull8G, true)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);
BENCHMARK_CAPTURE(BM_FirstByte, ring_1GiB_warm, &kFull1G, false)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(200);
BENCHMARK_CAPTURE(BM_FirstByte, ring_8GiB_warm, &kFull8G, false)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(200);

BENCHMARK_CAPTURE(BM_Bandwidth, ring_8GiB_cold, &kFull8G, true)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10);
BENCHMARK_CAPTURE(BM_Bandwidth, ring_8GiB_warm, &kFull8G, false)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);
BENCHMARK_CAPTURE(BM_Bandwidth, slow_ring_2GiB_cold, &kSlow2G, true)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10);
BENCHMARK_CAPTURE(BM_Bandwidth, slow_ring_2GiB_warm, &kSlow2G, false)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);

}  // namespace

BENCHMARK_MAIN();
