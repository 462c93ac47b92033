// Classic PCAP reading rate: records/s and bytes/s over a file of 64-byte packets held in a
// memfd (memory, never evicted like page cache), for several max_packets per batch.
//   pcap_reader_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "snapflow/pcap/reader.h"
#include "snapflow/pcap/writer.h"

namespace {

using snapflow::pcap::PacketBatch;
using snapflow::pcap::PacketReader;
using snapflow::pcap::PcapWriter;

constexpr size_t kPackets = 2'000'000;
constexpr size_t kPacketBytes = 64;

// One shared input, built on first use: 2 M records, 160 MB.
int input_fd() {
  static const int fd = [] {
    int f = ::memfd_create("pcap_bench", MFD_CLOEXEC);
    auto writer = PcapWriter::on_fd(f, "bench", snapflow::pcap::kLinkEthernet);
    std::vector<std::byte> frame(kPacketBytes, std::byte{0x5a});
    for (size_t i = 0; i < kPackets && writer.ok(); ++i) {
      (void)(*writer)->write(1'795'000'000'000'000'000 + int64_t(i) * 100, frame, kPacketBytes);
    }
    if (writer.ok()) (void)(*writer)->close();
    return f;
  }();
  return fd;
}

void BM_ReadClassic(benchmark::State& state) {
  int fd = input_fd();
  auto max_packets = static_cast<size_t>(state.range(0));
  PacketBatch batch;
  uint64_t records = 0, bytes = 0, checksum = 0;
  for (auto _ : state) {
    ::lseek(fd, 0, SEEK_SET);
    auto reader = PacketReader::open_fd(fd, "bench");
    if (!reader.ok()) {
      state.SkipWithError(reader.error().message().c_str());
      return;
    }
    for (;;) {
      auto got = (*reader)->next_batch(batch, max_packets);
      if (!got.ok() || *got == 0) break;
      for (const auto& r : batch.records) checksum += r.captured_length;
    }
    records += (*reader)->stats().records;
    bytes += (*reader)->stats().input_bytes;
  }
  benchmark::DoNotOptimize(checksum);
  state.counters["records/s"] = benchmark::Counter(double(records), benchmark::Counter::kIsRate);
  state.counters["bytes/s"] = benchmark::Counter(double(bytes), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::OneK::kIs1024);
  state.SetLabel(std::to_string(kPackets) + " x " + std::to_string(kPacketBytes) +
                 " B records, 4 MiB batches, memfd");
}
BENCHMARK(BM_ReadClassic)
    ->Arg(256)
    ->Arg(1024)
    ->Arg(8192)
    ->Arg(65536)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
