// The generator's main loop: timestamps, flow and size draws, per-flow totals.
#include "snapflow/synth/generator.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "generator_frames.h"

namespace snapflow::synth {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;
// IMIX 7:4:1 of 64/594/1518-byte frames, drawn per packet from twelve equal slots.
constexpr uint32_t kImixSlots = 12;
uint32_t imix_bytes(uint64_t draw) {
  uint64_t slot = draw % kImixSlots;
  return slot < 7 ? 64 : slot < 11 ? 594 : 1518;
}

}  // namespace

base::Result<GeneratorSummary> generate(const GeneratorConfig& config, const FrameSink& sink) {
  SNAPFLOW_TRY_STATUS(validate(config), "generator config");
  GeneratorSummary summary;
  summary.flows.resize(config.flows);
  FrameMaker maker(config);
  // mt19937_64's output sequence is fixed by the standard; only integer math reads it.
  std::mt19937_64 rng(config.seed);
  const auto rate = static_cast<int64_t>(config.rate_pps);
  for (uint64_t k = 0; k < config.packets; ++k) {
    uint64_t flow_index = rng() % config.flows;
    uint32_t target = config.size_mode == SizeMode::kImix ? imix_bytes(rng()) : config.frame_bytes;
    // k * 1e9 / rate without overflowing for long runs: whole seconds, then the remainder.
    auto kk = static_cast<int64_t>(k);
    int64_t ts_ns = config.start_ns + kk / rate * kNsPerSec + kk % rate * kNsPerSec / rate;
    if (config.jitter_ns > 0) {
      ts_ns += static_cast<int64_t>(rng() % static_cast<uint64_t>(config.jitter_ns));
    }
    FlowTotals& totals = summary.flows[flow_index];
    FlowSpec flow = derive_flow(config, flow_index);
    std::vector<std::byte> frame = maker.make(flow, target, totals.packets);
    SNAPFLOW_TRY_STATUS(sink(ts_ns, frame), "packet " + std::to_string(k + 1));
    totals.packets++;
    totals.bytes += frame.size();
    summary.packets++;
    summary.bytes += frame.size();
    if (k == 0) summary.first_ts_ns = ts_ns;
    summary.last_ts_ns = ts_ns;
  }
  return summary;
}

base::Result<GeneratorSummary> generate(const GeneratorConfig& config, pcap::PcapWriter& writer) {
  return generate(config, [&writer](int64_t ts_ns, std::span<const std::byte> frame) {
    return writer.write(ts_ns, frame, static_cast<uint32_t>(frame.size()));
  });
}

base::Result<GeneratorSummary> write_pcap(const GeneratorConfig& config, const std::string& path) {
  SNAPFLOW_TRY_STATUS(validate(config), "generator config");
  auto writer = path == "-" ? pcap::PcapWriter::on_fd(STDOUT_FILENO, "stdout", pcap::kLinkEthernet)
                            : pcap::PcapWriter::create(path, pcap::kLinkEthernet);
  if (!writer.ok()) return std::move(writer).error();
  auto summary = generate(config, **writer);
  if (!summary.ok()) return std::move(summary).error().context("write " + path);
  SNAPFLOW_TRY_STATUS((*writer)->close(), "write " + path);
  return summary;
}

}  // namespace snapflow::synth
