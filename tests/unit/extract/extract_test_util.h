// Rings for the retrieval tests: records of generated traffic (every tunnel type, IMIX sizes)
// with controlled timestamps (steps, gaps, runs of equal timestamps) written through the real
// RingWriter, and a reference cut of the same records to compare downloads with, byte for byte.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "snapflow/base/bytes.h"
#include "snapflow/extract/extract.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/writer.h"
#include "snapflow/synth/generator.h"

namespace snapflow::extract::testing {

inline constexpr int64_t kBaseNs = 1'795'392'000'000'000'000;  // 2026-11-23T00:00:00Z
inline constexpr uint32_t kSnaplen = 65535;

struct Rec {
  int64_t ts = 0;
  std::vector<std::byte> data;
  uint32_t wire = 0;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/snapflow-retr-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// n records of generated traffic. Time steps: mostly step_ns, sometimes 0 (runs of equal
// timestamps, up to a few dozen records), sometimes a gap of up to gap_ns.
inline std::vector<Rec> make_records(size_t n, uint64_t seed, int64_t step_ns, int64_t gap_ns,
                                     synth::Tunnel tunnel = synth::Tunnel::kNone) {
  synth::GeneratorConfig config;
  config.flows = 64;
  config.packets = n;
  config.size_mode = synth::SizeMode::kImix;
  config.ipv6_per_million = 250'000;
  config.icmp_weight = 1;
  config.tunnel = tunnel;
  config.seed = seed;
  std::mt19937_64 rng(seed);
  std::vector<Rec> out;
  int64_t ts = kBaseNs + static_cast<int64_t>(rng() % 1'000'000'000);
  int run = 0;
  auto summary = synth::generate(config, [&](int64_t, std::span<const std::byte> frame) {
    Rec r;
    if (run > 0) {
      --run;
    } else {
      const uint64_t pick = rng() % 100;
      if (pick < 3) {
        run = static_cast<int>(rng() % 40);  // a burst stamped with one time
      } else if (pick < 5) {
        ts += static_cast<int64_t>(rng() % static_cast<uint64_t>(gap_ns));
      } else {
        ts += 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * step_ns));
      }
    }
    r.ts = ts;
    r.data.assign(frame.begin(), frame.end());
    r.wire = static_cast<uint32_t>(frame.size()) + static_cast<uint32_t>(rng() % 3 == 0 ? 4 : 0);
    out.push_back(std::move(r));
    return base::ok_status();
  });
  EXPECT_TRUE(summary.ok());
  return out;
}

inline ring::RingConfig ring_config(const std::string& dir, uint64_t segment_bytes = 256 << 10,
                                    uint32_t segments = 64) {
  ring::RingConfig c;
  c.dir = dir;
  c.segment_bytes = segment_bytes;
  c.segment_count = segments;
  c.write_block_bytes = 64 << 10;
  c.index_interval_ns = base::kNsPerMs;
  c.index_interval_bytes = 16 << 10;
  c.snaplen = kSnaplen;
  return c;
}

inline void append(ring::RingWriter& w, const std::vector<Rec>& recs, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    auto s = w.append(recs[i].ts, recs[i].data, recs[i].wire);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
}

// Writes every record into a new ring and closes it.
inline void write_ring(const ring::RingConfig& config, const std::vector<Rec>& recs) {
  auto w = ring::RingWriter::open(config);
  ASSERT_TRUE(w.ok()) << w.error().to_string();
  append(**w, recs, 0, recs.size());
  ASSERT_TRUE((*w)->close().ok());
}

inline void put_le32(std::vector<std::byte>& out, uint32_t v) {
  std::byte b[4];
  base::store_le32(b, v);
  out.insert(out.end(), b, b + 4);
}

// The nanosecond PCAP of recs[from, to), as a download must serve it.
inline std::vector<std::byte> reference_pcap(const std::vector<Rec>& recs, size_t from, size_t to,
                                             uint16_t link = 1, uint32_t snaplen = kSnaplen) {
  std::vector<std::byte> out;
  put_le32(out, 0xa1b23c4d);
  out.push_back(std::byte{2});
  out.push_back(std::byte{0});
  out.push_back(std::byte{4});
  out.push_back(std::byte{0});
  put_le32(out, 0);
  put_le32(out, 0);
  put_le32(out, snaplen);
  put_le32(out, link);
  for (size_t i = from; i < to; ++i) {
    const Rec& r = recs[i];
    put_le32(out, static_cast<uint32_t>(r.ts / base::kNsPerSec));
    put_le32(out, static_cast<uint32_t>(r.ts % base::kNsPerSec));
    put_le32(out, static_cast<uint32_t>(r.data.size()));
    put_le32(out, r.wire);
    out.insert(out.end(), r.data.begin(), r.data.end());
  }
  return out;
}

// Index range [first, last) of the records with start <= ts < stop (timestamps are sorted).
inline std::pair<size_t, size_t> window_of(const std::vector<Rec>& recs, int64_t start,
                                           int64_t stop) {
  auto lo = std::lower_bound(recs.begin(), recs.end(), start,
                             [](const Rec& r, int64_t t) { return r.ts < t; });
  auto hi = std::lower_bound(recs.begin(), recs.end(), stop,
                             [](const Rec& r, int64_t t) { return r.ts < t; });
  return {static_cast<size_t>(lo - recs.begin()), static_cast<size_t>(hi - recs.begin())};
}

// Runs a plan to completion with chunks of chunk_bytes (any size >= 1).
inline std::vector<std::byte> drain(Extractor& x, size_t chunk_bytes) {
  std::vector<std::byte> out;
  std::vector<std::byte> buf(chunk_bytes);
  for (int guard = 0; guard < 100'000'000; ++guard) {
    auto n = x.next_chunk(buf);
    EXPECT_TRUE(n.ok()) << n.error().to_string();
    if (!n.ok() || *n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  EXPECT_TRUE(x.done());
  return out;
}

inline std::unique_ptr<RingIndex> open_index(const std::string& dir) {
  auto index = RingIndex::open(dir);
  EXPECT_TRUE(index.ok()) << index.error().to_string();
  return index.ok() ? std::move(*index) : nullptr;
}

// plan_extract + Extractor + drain in one step.
inline std::vector<std::byte> extract_all(const std::string& dir, const ExtractRequest& req,
                                          size_t chunk_bytes = 256 << 10,
                                          ExtractStats* stats = nullptr) {
  auto index = open_index(dir);
  auto plan = plan_extract(*index, req);
  EXPECT_TRUE(plan.ok()) << plan.error().to_string();
  if (!plan.ok()) return {};
  auto x = Extractor::start(std::move(index), std::move(*plan));
  EXPECT_TRUE(x.ok()) << x.error().to_string();
  if (!x.ok()) return {};
  auto out = drain(**x, chunk_bytes);
  if (stats) *stats = (*x)->stats();
  return out;
}

}  // namespace snapflow::extract::testing
