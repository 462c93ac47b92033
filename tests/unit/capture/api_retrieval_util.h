// The fixture of the retrieval API tests (api_retrieval_test.cc, api_retrieval_links_test.cc):
// a real ring written with the RingWriter from generated records (plain and VXLAN-mirrored
// traffic, bursts of equal timestamps, gaps), a named capture "mid" over part of it, the
// ring-backed CaptureService and the real ApiServer; plus reference cuts of the records.
#pragma once

#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "api_test_util.h"
#include "snapflow/capture/auth.h"
#include "snapflow/capture/capture_service.h"
#include "snapflow/filter/filter.h"
#include "snapflow/pcap/reader.h"
#include "snapflow/ring/writer.h"
#include "snapflow/synth/generator.h"

namespace snapflow::capture::testing {

inline constexpr int64_t kBaseNs = 1'795'392'000'000'000'000;  // 2026-11-23T00:00:00Z

struct Rec {
  int64_t ts = 0;
  std::vector<std::byte> data;
  uint32_t wire = 0;
};

// Plain IPv4/IPv6 TCP/UDP/ICMP and VXLAN-mirrored traffic, interleaved, ~4 s of records with
// bursts of equal timestamps and a few gaps.
inline std::vector<Rec> make_records(size_t n, uint64_t seed) {
  std::vector<std::vector<std::byte>> frames;
  for (synth::Tunnel tunnel : {synth::Tunnel::kNone, synth::Tunnel::kVxlan}) {
    synth::GeneratorConfig g;
    g.flows = 60;
    g.packets = n / 2 + 1;
    g.size_mode = synth::SizeMode::kImix;
    g.ipv6_per_million = 250'000;
    g.icmp_weight = 1;
    g.tunnel = tunnel;
    g.seed = seed + static_cast<uint64_t>(tunnel);
    auto summary = synth::generate(g, [&](int64_t, std::span<const std::byte> f) {
      frames.emplace_back(f.begin(), f.end());
      return base::ok_status();
    });
    EXPECT_TRUE(summary.ok());
  }
  std::mt19937_64 rng(seed);
  std::vector<Rec> out;
  int64_t ts = kBaseNs + static_cast<int64_t>(rng() % 1'000'000'000);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t pick = rng() % 100;
    if (pick < 1) {
      ts += 20'000'000 + static_cast<int64_t>(rng() % 100'000'000);  // a gap
    } else if (pick > 10) {
      ts += 1 + static_cast<int64_t>(rng() % 600'000);  // else: same timestamp (a burst)
    }
    // Alternate plain and tunnelled frames so both kinds spread over the whole ring.
    const auto& f = frames[(i % 2) * (n / 2 + 1) + i / 2];
    out.push_back({ts, f, static_cast<uint32_t>(f.size()) + (rng() % 4 == 0 ? 4u : 0u)});
  }
  return out;
}

inline std::string pcap_of(const std::vector<Rec>& recs, size_t from, size_t to,
                           const filter::PacketFilter* keep = nullptr) {
  std::string out(pcap::kPcapFileHeaderBytes, '\0');
  pcap::encode_file_header(reinterpret_cast<std::byte*>(out.data()), 1, 65535);
  for (size_t i = from; i < to; ++i) {
    const Rec& r = recs[i];
    if (keep && !keep->matches(r.ts, r.data, r.wire)) continue;
    std::string rec(pcap::kPcapRecordHeaderBytes, '\0');
    pcap::encode_record_header(reinterpret_cast<std::byte*>(rec.data()), r.ts,
                               static_cast<uint32_t>(r.data.size()), r.wire);
    out += rec;
    out.append(reinterpret_cast<const char*>(r.data.data()), r.data.size());
  }
  return out;
}

// Records [first, last) of recs with start <= ts < stop.
inline std::pair<size_t, size_t> window_of(const std::vector<Rec>& recs, int64_t start,
                                           int64_t stop) {
  auto by_ts = [](const Rec& r, int64_t t) { return r.ts < t; };
  return {
      static_cast<size_t>(std::lower_bound(recs.begin(), recs.end(), start, by_ts) - recs.begin()),
      static_cast<size_t>(std::lower_bound(recs.begin(), recs.end(), stop, by_ts) - recs.begin())};
}

inline std::string url_encode(std::string_view s) {
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline size_t record_count(const std::string& pcap) {
  size_t n = 0;
  size_t at = pcap::kPcapFileHeaderBytes;
  while (at + pcap::kPcapRecordHeaderBytes <= pcap.size()) {
    uint32_t caplen = 0;
    std::memcpy(&caplen, pcap.data() + at + 8, 4);
    at += pcap::kPcapRecordHeaderBytes + caplen;
    ++n;
  }
  return n;
}

class RetrievalApi : public ::testing::Test {
 protected:
  static constexpr size_t kRecords = 16'000;
  static constexpr size_t kCaptureFirst = 3'000;
  static constexpr size_t kCaptureLast = 11'000;

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path().string() + "/snapflow-api-retr-" +
           std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    recs_ = make_records(kRecords, 17);
    ring::RingConfig config;
    config.dir = dir_ + "/ring";
    config.segment_bytes = 512 << 10;
    config.segment_count = 64;
    config.write_block_bytes = 64 << 10;
    config.index_interval_bytes = 16 << 10;
    config.snaplen = 65535;
    auto writer = ring::RingWriter::open(config);
    ASSERT_TRUE(writer.ok()) << writer.error().to_string();
    writer_ = std::move(*writer);
    service_ = open_service();
    append(0, kCaptureFirst);
    ASSERT_TRUE(service_->start_capture("mid").ok());
    append(kCaptureFirst, kCaptureLast);
    ASSERT_TRUE(service_->stop_capture().ok());
    append(kCaptureLast, recs_.size());
    start_server();
  }

  void TearDown() override {
    server_.reset();
    service_.reset();
    if (writer_) (void)writer_->close();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<CaptureService> open_service() {
    auto service = CaptureService::open(*writer_, nullptr, status_, log_);
    EXPECT_TRUE(service.ok()) << service.error().to_string();
    return service.ok() ? std::move(*service) : nullptr;
  }

  void append(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      ASSERT_TRUE(writer_->append(recs_[i].ts, recs_[i].data, recs_[i].wire).ok());
    }
    ASSERT_TRUE(writer_->commit().ok());
  }

  void start_server(RetrievalLimits limits = {}) {
    server_.reset();
    ApiServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.credentials = make_credentials("admin", "secret");
    options.retrieval = limits;
    auto server = ApiServer::start(options, *service_, log_);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  Reply get(const std::string& path, const RequestOptions& o = {}) {
    return http_request(base_ + path, o);
  }

  // Follows a download link: 200, whole records, trailers consistent with the body.
  std::string download(const std::string& path) {
    Reply r = get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.code, CURLE_OK) << path;
    EXPECT_TRUE(ends_on_record_boundary(r.body)) << path;
    EXPECT_EQ(r.header("X-Snapflow-Records"), std::to_string(record_count(r.body))) << path;
    EXPECT_EQ(r.header("X-Snapflow-Records-Skipped"), "0") << path;
    return r.body;
  }

  std::string dir_;
  std::vector<Rec> recs_;
  base::Logger log_{"api-retrieval-test", base::LogLevel::kWarning};
  CaptureStatus status_{base::now_monotonic_ns()};
  std::unique_ptr<ring::RingWriter> writer_;
  std::unique_ptr<CaptureService> service_;
  std::unique_ptr<ApiServer> server_;
  std::string base_;
};

}  // namespace snapflow::capture::testing
