// The forwarder engine's per-packet cost on one core, without I/O: ForwardEngine::handle on
// 64- and 1500-byte UDP frames matching a rule (parse, rule lookup, TTL decrement, address
// rewrite with incremental checksums, next-hop MAC) plus the capture copy of the rule's mode
// into a recycled 4 MiB batch buffer, as the datapath thread does it. Each iteration first
// restores the 42 header bytes the previous pass rewrote (the received frame would be fresh);
// that restore is part of the figure. scripts/bench-forward.sh measures the whole daemon
// against dpdk-testpmd on real virtual devices.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "snapflow/forward/engine.h"
#include "snapflow/synth/frame_builder.h"

namespace {

using namespace snapflow::forward;

struct BatchSink : CaptureSink {
  std::vector<std::byte> storage = std::vector<std::byte>(4 << 20);
  size_t used = 0;
  uint64_t records = 0;
  std::byte* reserve(uint32_t bytes) override {
    if (used + bytes > storage.size()) used = 0;  // the batch went to the ring writer
    return storage.data() + used;
  }
  void commit(int64_t, uint32_t captured, uint32_t) override {
    used += captured;
    ++records;
  }
};
struct NullEmitter : FrameEmitter {
  bool emit(uint16_t, const std::byte*, size_t) override { return true; }
};

std::unique_ptr<const RuleTable> one_rule(CaptureMode mode) {
  Rule r;
  r.id = 1;
  r.spec = {*parse_ip("10.1.0.2"),
            *parse_ip("10.1.0.1"),
            *parse_ip("10.2.0.1"),
            *parse_ip("10.2.0.2"),
            mode,
            ""};
  r.capture_port = 0;
  r.egress_port = 1;
  r.next_hop_a = r.spec.a;
  r.next_hop_b = r.spec.b;
  r.counters = std::make_shared<RuleCounters>();
  auto table = RuleTable::build({r}, 1);
  return std::move(table).value();
}

void BM_ForwardAndCapture(benchmark::State& state) {
  const size_t frame_bytes = static_cast<size_t>(state.range(0));
  const auto mode = static_cast<CaptureMode>(state.range(1));
  PortConfig p0 = *parse_port_config("10.1.0.1/24,neigh=10.1.0.2@02:00:00:00:00:0a");
  PortConfig p1 = *parse_port_config("10.2.0.1/24,neigh=10.2.0.2@02:00:00:00:00:0b");
  p0.mac = {0x02, 0, 0, 0, 0, 0x10};
  p1.mac = {0x02, 0, 0, 0, 0, 0x20};
  RcuCell<RuleTable> cell(one_rule(mode));
  BatchSink sink;
  NullEmitter emitter;
  ForwardEngine engine(Ports({p0, p1}), cell.register_reader(), sink, emitter, EngineOptions{});
  const auto tmpl = snapflow::synth::FrameBuilder()
                        .ethernet(snapflow::synth::mac("02:00:00:00:00:0a"),
                                  snapflow::synth::mac("02:00:00:00:00:10"))
                        .ipv4(snapflow::synth::ip4("10.1.0.2"), snapflow::synth::ip4("10.1.0.1"))
                        .udp(1000, 2000)
                        .payload(frame_bytes - 42)
                        .build();
  constexpr size_t kBurst = 64;
  std::vector<std::vector<std::byte>> frames(kBurst, tmpl);
  uint64_t packets = 0;
  for (auto _ : state) {
    engine.begin_batch(1);
    for (auto& f : frames) {
      std::memcpy(f.data(), tmpl.data(), 42);
      RxFrame rx{f.data(), static_cast<uint32_t>(f.size()), 0, 1, false};
      benchmark::DoNotOptimize(engine.handle(rx));
    }
    engine.end_batch();
    packets += kBurst;
  }
  state.counters["Mpps"] =
      benchmark::Counter(static_cast<double>(packets) / 1e6, benchmark::Counter::kIsRate);
  state.counters["Gbps"] = benchmark::Counter(static_cast<double>(packets * frame_bytes) * 8 / 1e9,
                                              benchmark::Counter::kIsRate);
  state.SetLabel(std::string(to_string(mode)) + " " + std::to_string(frame_bytes) + "B, " +
                 std::to_string(sink.records) + " copies");
}

BENCHMARK(BM_ForwardAndCapture)
    ->ArgsProduct({{64, 1500},
                   {static_cast<int>(CaptureMode::kIngress), static_cast<int>(CaptureMode::kEgress),
                    static_cast<int>(CaptureMode::kInline)}})
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
