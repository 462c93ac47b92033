// Encoder throughput: documents per second on one core for ECS flow documents (with and
// without network.community_id, with and without snapflow.pcap_link), fmadio documents, packet
// documents, and encode + gzip (igzip via snapflow::compress), the DESIGN.md target being >= 1 M
// documents/s per core for the latter. Results and the machine they were measured on: docs/json.md.
//
//   build-*/tests/bench/encoder_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "snapflow/compress/gzip.h"
#include "snapflow/pcap2json/cloud_annotation.h"
#include "snapflow/pcap2json/flow_encoder.h"
#include "snapflow/pcap2json/packet_encoder.h"

namespace snapflow::pcap2json {
namespace {

constexpr int64_t kSnapshotNs = 1'795'478'399'900'000'000;
constexpr size_t kRecords = 4096;  // one batch: ~3 MB of bulk text, like a real bulk request

// A realistic mix: TCP/UDP IPv4 with ports, some IPv6, some VLAN-tagged, flags on TCP.
std::vector<FlowRecord> make_records() {
  std::mt19937_64 rng(7);
  std::vector<FlowRecord> records(kRecords);
  for (size_t i = 0; i < kRecords; ++i) {
    FlowRecord& r = records[i];
    const uint64_t x = rng();
    const bool v6 = i % 8 == 0;
    r.key.ip_version = v6 ? 6 : 4;
    r.key.ethertype = v6 ? 0x86dd : 0x0800;
    if (v6) {
      r.key.source = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      r.key.destination = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
      r.key.source[15] = static_cast<uint8_t>(x);
    } else {
      r.key.source = {10, static_cast<uint8_t>(x >> 8), static_cast<uint8_t>(x >> 16),
                      static_cast<uint8_t>(x >> 24)};
      r.key.destination = {192, 168, static_cast<uint8_t>(x >> 32), static_cast<uint8_t>(x >> 40)};
    }
    r.key.ip_protocol = (x & 3) == 0 ? 17 : 6;
    r.key.source_port = static_cast<uint16_t>(1024 + (x >> 48) % 60000);
    r.key.destination_port = (x & 4) ? 443 : 53;
    r.key.flags = packet::FlowKey::kHasPorts;
    if (i % 4 == 0) {
      r.key.vlan_id = static_cast<uint16_t>(100 + i % 50);
      r.key.flags |= packet::FlowKey::kHasVlan;
    }
    r.hash = packet::flow_hash(r.key);
    r.counters.packets = 1 + x % 500;
    r.counters.bytes = r.counters.packets * (64 + x % 1400);
    r.counters.first_ts_ns = kSnapshotNs + static_cast<int64_t>(x % 50'000'000);
    r.counters.last_ts_ns = r.counters.first_ts_ns + static_cast<int64_t>(x % 40'000'000);
    r.counters.size_min = 64;
    r.counters.size_max = 1514;
    if (r.key.ip_protocol == 6) {
      r.counters.tcp_flag_packets[kAck] = static_cast<uint32_t>(r.counters.packets);
      r.counters.tcp_flag_packets[kPsh] = static_cast<uint32_t>(r.counters.packets / 2);
    }
    r.attributes.has_ethernet = true;
    r.attributes.source_mac = {
        0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    r.attributes.destination_mac = {0x02, 0, 0, 0, 0, 1};
  }
  return records;
}

EncoderConfig bench_config(DocumentFormat format, bool community_id, bool pcap_link = false) {
  EncoderConfig c;
  c.format = format;
  c.community_id = community_id;
  if (pcap_link) c.pcap_link_base = "https://probe-01.example.com:8480";
  c.observer = "probe-01";
  c.capture = "bench.pcap";
  return c;
}

// community id: 0 off; 1 on (one SHA-1 per document; the encoders cache nothing, so whether
// flows repeat across snapshots does not matter).
enum CommunityIdMode { kOff = 0, kOn = 1 };

// Gives every record a key not seen before, so nothing downstream can benefit from repeats.
void renew_keys(std::vector<FlowRecord>& records, int64_t mode) {
  if (mode != kOn) return;
  for (FlowRecord& r : records) ++r.key.tunnel_id;
}

void encode_all(FlowEncoder& encoder, const std::vector<FlowRecord>& records,
                document::DocumentBatch& batch) {
  batch.clear();
  SnapshotTotals snapshot;
  snapshot.start_ns = kSnapshotNs;
  for (const FlowRecord& r : records) encoder.encode_flow(snapshot, r, batch);
}

void set_counters(benchmark::State& state, uint64_t docs, uint64_t bytes) {
  state.counters["docs_per_second"] =
      benchmark::Counter(static_cast<double>(docs), benchmark::Counter::kIsRate);
  state.counters["json_bytes_per_doc"] = static_cast<double>(bytes) / static_cast<double>(docs);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// args: format (0 ecs, 1 fmadio), community id mode, pcap_link (--pcap-link-base: 0 off, 1 on)
void BM_EncodeFlow(benchmark::State& state) {
  const auto format = state.range(0) ? DocumentFormat::kFmadio : DocumentFormat::kEcs;
  FlowEncoder encoder =
      std::move(FlowEncoder::create(bench_config(format, state.range(1) != 0, state.range(2) != 0)))
          .value();
  std::vector<FlowRecord> records = make_records();
  document::DocumentBatch batch;
  uint64_t docs = 0, bytes = 0;
  for (auto _ : state) {
    renew_keys(records, state.range(1));
    encode_all(encoder, records, batch);
    docs += batch.size();
    bytes += batch.body.size();
    benchmark::DoNotOptimize(batch.body.data());
  }
  set_counters(state, docs, bytes);
}
BENCHMARK(BM_EncodeFlow)
    ->ArgNames({"fmadio", "community_id", "pcap_link"})
    ->Args({0, kOff, 0})
    ->Args({0, kOn, 0})
    ->Args({0, kOff, 1})
    ->Args({0, kOn, 1})
    ->Args({1, kOff, 0});

// Encode + gzip, as the file sink and the bulk client do per batch. args: community id mode,
// igzip level, pcap_link.
void BM_EncodeFlowGzip(benchmark::State& state) {
  FlowEncoder encoder =
      std::move(FlowEncoder::create(
                    bench_config(DocumentFormat::kEcs, state.range(0) != 0, state.range(2) != 0)))
          .value();
  compress::GzipCompressor gzip(static_cast<int>(state.range(1)));
  std::vector<FlowRecord> records = make_records();
  document::DocumentBatch batch;
  std::string compressed;
  uint64_t docs = 0, bytes = 0, compressed_bytes = 0;
  for (auto _ : state) {
    renew_keys(records, state.range(0));
    encode_all(encoder, records, batch);
    if (!gzip.compress(batch.body, compressed).ok()) state.SkipWithError("gzip failed");
    docs += batch.size();
    bytes += batch.body.size();
    compressed_bytes += compressed.size();
  }
  set_counters(state, docs, bytes);
  state.counters["gzip_ratio"] = static_cast<double>(bytes) / static_cast<double>(compressed_bytes);
}
BENCHMARK(BM_EncodeFlowGzip)
    ->ArgNames({"community_id", "level", "pcap_link"})
    ->Args({kOff, 1, 0})
    ->Args({kOn, 1, 0})
    ->Args({kOff, 0, 0})
    ->Args({kOn, 0, 0})
    ->Args({kOn, 1, 1});

void BM_GzipOnly(benchmark::State& state) {
  FlowEncoder encoder =
      std::move(FlowEncoder::create(bench_config(DocumentFormat::kEcs, true))).value();
  compress::GzipCompressor gzip(static_cast<int>(state.range(0)));
  document::DocumentBatch batch;
  encode_all(encoder, make_records(), batch);
  std::string compressed;
  uint64_t docs = 0, bytes = 0;
  for (auto _ : state) {
    if (!gzip.compress(batch.body, compressed).ok()) state.SkipWithError("gzip failed");
    docs += batch.size();
    bytes += batch.body.size();
  }
  set_counters(state, docs, bytes);
}
BENCHMARK(BM_GzipOnly)->ArgName("level")->Arg(0)->Arg(1);

// packet::community_id(): the allocation-free form the encoders use (arg 1) and the
// std::string form (arg 0), over the batch's flow keys.
void BM_CommunityId(benchmark::State& state) {
  const std::vector<FlowRecord> records = make_records();
  uint64_t ids = 0;
  char text[packet::kCommunityIdLength];
  for (auto _ : state) {
    for (const FlowRecord& r : records) {
      if (state.range(0) != 0) {
        benchmark::DoNotOptimize(packet::community_id(r.key, text));
      } else {
        benchmark::DoNotOptimize(packet::community_id(r.key));
      }
    }
    ids += records.size();
  }
  state.counters["ids_per_second"] =
      benchmark::Counter(static_cast<double>(ids), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommunityId)->ArgName("buffer")->Arg(0)->Arg(1);

void BM_EncodePacket(benchmark::State& state) {
  PacketEncoder encoder =
      std::move(PacketEncoder::create(bench_config(DocumentFormat::kEcs, state.range(0) != 0)))
          .value();
  const std::vector<FlowRecord> records = make_records();
  std::vector<packet::PacketView> views(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    packet::PacketView& v = views[i];
    const packet::FlowKey& k = records[i].key;
    v.has_ethernet = true;
    v.source_mac = records[i].attributes.source_mac;
    v.destination_mac = records[i].attributes.destination_mac;
    v.source_ip.bytes = k.source;
    v.source_ip.version = k.ip_version;
    v.destination_ip.bytes = k.destination;
    v.destination_ip.version = k.ip_version;
    v.ip_protocol = k.ip_protocol;
    v.has_ports = true;
    v.tcp_flags = 0x18;
    v.ttl = 64;
  }
  document::DocumentBatch batch;
  uint64_t docs = 0, bytes = 0, record = 0;
  for (auto _ : state) {
    batch.clear();
    for (size_t i = 0; i < records.size(); ++i) {
      encoder.encode({.ts_ns = kSnapshotNs + static_cast<int64_t>(i),
                      .record_number = ++record,
                      .wire_length = 1514,
                      .captured_length = 128,
                      .view = &views[i],
                      .key = &records[i].key},
                     batch);
    }
    docs += batch.size();
    bytes += batch.body.size();
  }
  set_counters(state, docs, bytes);
}
BENCHMARK(BM_EncodePacket)->ArgName("community_id")->Arg(0)->Arg(1);

// --forward-rules + --mirror-sessions (cloud_annotation.h), ECS with community id, on the
// records of BM_EncodeFlow. arg: 0 no files (the default); 1 a forwarder's ring: 16 named rules
// and every IPv4 flow from one of them (its addresses rewritten to one of the rule's six
// patterns: a lookup hit and ~90 more bytes per document); 2 the worst case: 4096 rules (the
// most a probe holds), every IPv4 flow its own rule's; 3 the files are given but no flow is a
// rule's (4096 rules: a lookup miss per document).
void BM_EncodeFlowCloud(benchmark::State& state) {
  EncoderConfig config = bench_config(DocumentFormat::kEcs, true);
  std::vector<FlowRecord> records = make_records();
  const int64_t mode = state.range(0);
  const size_t rules = mode == 1 ? 16 : 4096;
  const std::string dir = "/tmp/snapflow-encoder-bench-" + std::to_string(::getpid());
  if (mode != 0) {
    std::filesystem::create_directories(dir);
    std::ofstream file(dir + "/forward-rules");
    file << "snapflow-forward-rules 1\nnext_id=" << rules + 1 << "\n";
    // Rule r: a=10.0.R.1 capture=10.100.0.1 egress=10.200.0.1 b=10.201.R.1 (R = r / 256, r %
    // 256 in the last two octets); the six patterns are (a, capture), (b, egress), (egress, b),
    // (capture, a), (a, b), (b, a).
    const auto a = [](size_t r) {
      return std::array<uint8_t, 4>{10, 0, uint8_t(r / 256), uint8_t(r)};
    };
    const auto b = [](size_t r) {
      return std::array<uint8_t, 4>{10, 201, uint8_t(r / 256), uint8_t(r)};
    };
    const std::array<uint8_t, 4> capture{10, 100, 0, 1}, egress{10, 200, 0, 1};
    const auto text = [](std::array<uint8_t, 4> ip) {
      return std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." + std::to_string(ip[2]) +
             "." + std::to_string(ip[3]);
    };
    for (size_t r = 0; r < rules; ++r) {
      file << "rule " << r + 1 << " inline " << text(a(r)) << " " << text(capture) << " "
           << text(egress) << " " << text(b(r)) << " " << kSnapshotNs - 1'000'000'000 << " 0 rule-"
           << r << "\n";
    }
    file.close();
    for (size_t i = 0; i < records.size() && mode != 3; ++i) {
      packet::FlowKey& k = records[i].key;
      if (k.ip_version != 4) continue;
      const size_t r = i % rules;
      const std::array<std::array<uint8_t, 4>, 12> pattern = {
          a(r), capture, b(r), egress, egress, b(r), capture, a(r), a(r), b(r), b(r), a(r)};
      const size_t p = (i / rules) % 6;
      std::memcpy(k.source.data(), pattern[2 * p].data(), 4);
      std::memcpy(k.destination.data(), pattern[2 * p + 1].data(), 4);
      records[i].hash = packet::flow_hash(k);
    }
    std::ofstream(dir + "/mirror-sessions") << "snapflow-mirror-sessions 1\nsession 64 "
                                            << kSnapshotNs - 1'000'000'000 << " 0 web-tier\n";
    auto cloud = CloudAnnotator::load(dir + "/forward-rules", dir + "/mirror-sessions");
    if (!cloud.ok()) {
      state.SkipWithError(cloud.error().to_string().c_str());
      return;
    }
    config.cloud = *cloud;
  }
  FlowEncoder encoder = std::move(FlowEncoder::create(config)).value();
  document::DocumentBatch batch;
  uint64_t docs = 0, bytes = 0;
  for (auto _ : state) {
    encode_all(encoder, records, batch);
    docs += batch.size();
    bytes += batch.body.size();
    benchmark::DoNotOptimize(batch.body.data());
  }
  set_counters(state, docs, bytes);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_EncodeFlowCloud)->ArgName("cloud")->Arg(0)->Arg(1)->Arg(2)->Arg(3);

}  // namespace
}  // namespace snapflow::pcap2json

BENCHMARK_MAIN();
