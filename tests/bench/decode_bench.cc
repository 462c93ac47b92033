// Decoder throughput in Mpps: 64-byte Ethernet/IPv4/TCP frames and AWS-mirror-shaped VXLAN
// frames, decode alone, decode + flow key + hash, and the flow fast path (decode_flow_fast)
// + hash, which is what pcap2json's decode stage does for these shapes.
// 256 frames with distinct addresses/ports rotate so that the loop is not one cached path.
#include <benchmark/benchmark.h>

#include <vector>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_decode.h"
#include "snapflow/packet/flow_key.h"
#include "snapflow/synth/frame_builder.h"

namespace {

using namespace snapflow;

constexpr size_t kFrames = 256;

std::vector<std::vector<std::byte>> make_frames(bool vxlan) {
  std::vector<std::vector<std::byte>> frames;
  for (size_t i = 0; i < kFrames; ++i) {
    const auto n = static_cast<uint8_t>(i);
    synth::FrameBuilder b;
    b.ethernet(synth::mac("02:00:00:00:00:01"), synth::mac("02:00:00:00:00:02"));
    if (vxlan) {
      b.ipv4({10, 0, 0, 1}, {10, 0, 1, n}).udp(static_cast<uint16_t>(40000 + i), 4789).vxlan(1234);
      b.ethernet(synth::mac("02:00:00:00:00:03"), synth::mac("02:00:00:00:00:04"));
    }
    b.ipv4({192, 168, 0, n}, {192, 168, 1, n}).tcp(static_cast<uint16_t>(1024 + i), 443);
    b.pad_to(vxlan ? 0 : 64);
    frames.push_back(b.build());
  }
  return frames;
}

void run(benchmark::State& state, bool vxlan, bool key) {
  const auto frames = make_frames(vxlan);
  packet::PacketView view;
  size_t i = 0;
  uint64_t packets = 0;
  for (auto _ : state) {
    packet::decode(frames[i], 1, view);
    if (key) {
      benchmark::DoNotOptimize(packet::flow_hash(packet::make_flow_key(view)));
    } else {
      benchmark::DoNotOptimize(view.status);
    }
    i = (i + 1) % kFrames;
    ++packets;
  }
  if (view.status != packet::DecodeStatus::kOk) state.SkipWithError("frame did not decode");
  state.counters["Mpps"] =
      benchmark::Counter(static_cast<double>(packets) / 1e6, benchmark::Counter::kIsRate);
  state.counters["frame_bytes"] = static_cast<double>(frames[0].size());
}

void run_fast(benchmark::State& state, bool vxlan) {
  const auto frames = make_frames(vxlan);
  packet::FastFlow flow;
  size_t i = 0;
  uint64_t packets = 0;
  bool taken = true;
  for (auto _ : state) {
    taken &= packet::decode_flow_fast(frames[i], 1, {}, flow);
    benchmark::DoNotOptimize(packet::flow_hash(flow.key));
    i = (i + 1) % kFrames;
    ++packets;
  }
  if (!taken) state.SkipWithError("the fast path did not take a frame");
  state.counters["Mpps"] =
      benchmark::Counter(static_cast<double>(packets) / 1e6, benchmark::Counter::kIsRate);
  state.counters["frame_bytes"] = static_cast<double>(frames[0].size());
}

void BM_DecodeTcp64(benchmark::State& state) {
  run(state, false, false);
}
void BM_DecodeVxlan(benchmark::State& state) {
  run(state, true, false);
}
void BM_DecodeKeyHashTcp64(benchmark::State& state) {
  run(state, false, true);
}
void BM_DecodeKeyHashVxlan(benchmark::State& state) {
  run(state, true, true);
}

void BM_FastFlowHashTcp64(benchmark::State& state) {
  run_fast(state, false);
}
void BM_FastFlowHashVxlan(benchmark::State& state) {
  run_fast(state, true);
}

BENCHMARK(BM_DecodeTcp64);
BENCHMARK(BM_DecodeVxlan);
BENCHMARK(BM_DecodeKeyHashTcp64);
BENCHMARK(BM_DecodeKeyHashVxlan);
BENCHMARK(BM_FastFlowHashTcp64);
BENCHMARK(BM_FastFlowHashVxlan);

}  // namespace

BENCHMARK_MAIN();
