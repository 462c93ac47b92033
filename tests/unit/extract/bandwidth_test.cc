// The bandwidth series against references computed from the records themselves: exact per
// point when the index runs may be read, the documented index granularity when they may not
// (a boundary inside a run moves to the run's end), sums equal to the ring's (or capture's)
// totals either way, for the whole ring, windows, named captures and overwritten rings.
#include "snapflow/extract/bandwidth.h"

#include <algorithm>
#include <random>

#include "extract_test_util.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::extract::testing {
namespace {

struct Expected {
  int64_t t = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// recs[first_record..] are the ring's live records, ring record numbers first_record + i.
class BandwidthTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/ring"; }

  void make(size_t n, int64_t step_ns, int64_t gap_ns, uint64_t seed,
            uint64_t segment_bytes = 256 << 10, uint32_t segments = 64) {
    recs_ = make_records(n, seed, step_ns, gap_ns);
    write_ring(ring_config(dir(), segment_bytes, segments), recs_);
    auto index = open_index(dir());
    auto span = index->span();
    ASSERT_TRUE(span.ok());
    first_record_ = span->start().packets;
  }

  // Exact: per point, the live records with t <= ts < t + step, restricted to [lo, hi).
  std::vector<Expected> exact(const BandwidthSeries& s, size_t lo, size_t hi) const {
    std::vector<Expected> out;
    for (size_t k = 0; k < s.points.size(); ++k) {
      const int64_t t = s.start_ns + static_cast<int64_t>(k) * s.step_ns;
      Expected e{t, 0, 0};
      const int64_t end = t > INT64_MAX - s.step_ns ? INT64_MAX : t + s.step_ns;
      const auto [a, b] = window_of(recs_, t, end);
      for (size_t i = std::max(a, lo); i < std::min(b, hi); ++i) {
        ++e.packets;
        e.bytes += recs_[i].wire;
      }
      out.push_back(e);
    }
    return out;
  }

  // Index granularity: the exact boundary record P(t), moved to the end of its index run when
  // it is not the first record of one. Runs start at index entries and segment starts.
  std::vector<Expected> granular(const BandwidthSeries& s) const {
    std::vector<uint64_t> starts;  // ring record numbers that begin a run, plus the end
    auto layout = ring::open_ring(dir());
    EXPECT_TRUE(layout.ok());
    auto segments = ring::list_segments(*layout);
    EXPECT_TRUE(segments.ok());
    for (const ring::SegmentInfo& seg : *segments) {
      starts.push_back(seg.base.packets);
      auto entries = ring::load_index(layout->index_path(seg.slot), seg.index_count);
      EXPECT_TRUE(entries.ok());
      for (const ring::IndexEntry& e : *entries) starts.push_back(e.packets);
      starts.push_back(seg.end().packets);
    }
    std::sort(starts.begin(), starts.end());
    auto placed = [&](int64_t t) -> uint64_t {
      const auto [p, unused] = window_of(recs_, t, t);
      const uint64_t record = std::max<uint64_t>(p, first_record_);
      return *std::lower_bound(starts.begin(), starts.end(), record);
    };
    auto sums = [&](uint64_t a, uint64_t b) {
      Expected e;
      for (uint64_t i = a; i < b; ++i) {
        ++e.packets;
        e.bytes += recs_[i].wire;
      }
      return e;
    };
    std::vector<Expected> out;
    for (size_t k = 0; k < s.points.size(); ++k) {
      const int64_t t = s.start_ns + static_cast<int64_t>(k) * s.step_ns;
      Expected e = sums(placed(t), placed(t + s.step_ns));
      e.t = t;
      out.push_back(e);
    }
    return out;
  }

  void expect_points(const BandwidthSeries& s, const std::vector<Expected>& want,
                     const std::string& what) {
    ASSERT_EQ(s.points.size(), want.size()) << what;
    size_t wrong = 0;
    for (size_t k = 0; k < want.size(); ++k) {
      const BandwidthPoint& p = s.points[k];
      if (p.t_ns != want[k].t || p.packets != want[k].packets || p.wire_bytes != want[k].bytes) {
        if (++wrong <= 3) {
          ADD_FAILURE() << what << " point " << k << " t=" << p.t_ns << ": " << p.packets << "/"
                        << p.wire_bytes << " want " << want[k].packets << "/" << want[k].bytes;
        }
      }
    }
    EXPECT_EQ(wrong, 0u) << what;
  }

  BandwidthSeries series(const BandwidthRequest& r) {
    auto index = open_index(dir());
    auto s = compute_bandwidth(*index, r);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s.ok() ? std::move(*s) : BandwidthSeries{};
  }

  TempDir tmp_;
  std::vector<Rec> recs_;
  uint64_t first_record_ = 0;
};

uint64_t total_packets(const BandwidthSeries& s) {
  uint64_t n = 0;
  for (const BandwidthPoint& p : s.points) n += p.packets;
  return n;
}

TEST_F(BandwidthTest, WholeRingExactPerPointAndSumsToTheTotals) {
  make(30'000, 200'000, 400'000'000, 3);  // ~6 s of records, bursts and gaps, 30+ segments
  uint64_t wire = 0;
  for (const Rec& r : recs_) wire += r.wire;
  for (uint32_t points : {1u, 7u, 1000u, 100'000u}) {
    BandwidthRequest r;
    r.points = points;
    r.exact_scan_bytes = uint64_t{1} << 40;
    const BandwidthSeries s = series(r);
    EXPECT_TRUE(s.exact) << points;
    EXPECT_EQ(s.oldest_ns, recs_.front().ts);
    EXPECT_EQ(s.newest_ns, recs_.back().ts);
    EXPECT_EQ(s.start_ns, base::align_down(recs_.front().ts, base::kNsPerMs));
    EXPECT_EQ(s.stop_ns, recs_.back().ts + 1);
    EXPECT_EQ(s.step_ns % base::kNsPerMs, 0);
    EXPECT_LE(s.points.size(), points);
    EXPECT_GE(s.start_ns + static_cast<int64_t>(s.points.size()) * s.step_ns, s.stop_ns);
    expect_points(s, exact(s, 0, recs_.size()), "points=" + std::to_string(points));
    uint64_t bytes = 0;
    for (const BandwidthPoint& p : s.points) bytes += p.wire_bytes;
    EXPECT_EQ(total_packets(s), recs_.size());
    EXPECT_EQ(bytes, wire);
  }
}

TEST_F(BandwidthTest, StepIsWholeMillisecondsCoveringTheWindow) {
  make(2'000, 5'000'000, 100'000'000, 4);
  BandwidthRequest r;
  r.start_ns = recs_[10].ts;
  r.stop_ns = *r.start_ns + 10 * base::kNsPerSec;
  r.points = 3;
  const BandwidthSeries s = series(r);
  EXPECT_EQ(s.step_ns, 3'334 * base::kNsPerMs);  // ceil(10 s / 3), to the millisecond
  EXPECT_EQ(s.points.size(), 3u);
  EXPECT_EQ(s.start_ns, *r.start_ns);
  EXPECT_EQ(s.stop_ns, *r.stop_ns);
  r.points = 100'000;  // 100 us would be finer than a millisecond: 10 000 points of 1 ms
  const BandwidthSeries fine = series(r);
  EXPECT_EQ(fine.step_ns, base::kNsPerMs);
  EXPECT_EQ(fine.points.size(), 10'000u);
}

TEST_F(BandwidthTest, RandomWindowsAndBudgets) {
  make(20'000, 300'000, 200'000'000, 5);
  std::mt19937_64 rng(9);
  const int64_t first = recs_.front().ts;
  const int64_t span = recs_.back().ts - first;
  for (int round = 0; round < 40; ++round) {
    BandwidthRequest r;
    const int64_t a = first - span / 10 + static_cast<int64_t>(rng() % (span + span / 5));
    const int64_t b = a + 1 + static_cast<int64_t>(rng() % (span / 2));
    r.start_ns = a;
    r.stop_ns = b;
    r.points = 1 + static_cast<uint32_t>(rng() % 3000);
    const bool exact_wanted = round % 2 == 0;
    r.exact_scan_bytes = exact_wanted ? uint64_t{1} << 40 : 0;
    const BandwidthSeries s = series(r);
    const std::string what = "round " + std::to_string(round);
    if (exact_wanted) {
      EXPECT_TRUE(s.exact) << what;
      expect_points(s, exact(s, 0, recs_.size()), what);
    } else {
      expect_points(s, granular(s), what + " (index granularity)");
    }
  }
}

TEST_F(BandwidthTest, IndexGranularityWithoutBudgetStillSumsExactly) {
  make(30'000, 200'000, 400'000'000, 6);
  BandwidthRequest r;
  r.points = 5'000;
  r.exact_scan_bytes = 0;
  const BandwidthSeries s = series(r);
  EXPECT_FALSE(s.exact);
  EXPECT_GT(s.inexact_boundaries, 0u);
  EXPECT_EQ(s.scanned_bytes, 0u);
  expect_points(s, granular(s), "granular");
  EXPECT_EQ(total_packets(s), recs_.size());
  // The default budget makes a coarse chart exact (few runs to read).
  BandwidthRequest coarse;
  coarse.points = 20;
  const BandwidthSeries c = series(coarse);
  EXPECT_TRUE(c.exact);
  EXPECT_GT(c.scanned_bytes, 0u);
  expect_points(c, exact(c, 0, recs_.size()), "coarse");
}

TEST_F(BandwidthTest, NamedCaptureCountsOnlyItsRecords) {
  make(12'000, 400'000, 300'000'000, 7);
  auto index = open_index(dir());
  auto p0 = index->locate_time(recs_[2'000].ts);
  auto p1 = index->locate_time(recs_[9'000].ts);
  ASSERT_TRUE(p0.ok() && p1.ok());
  {
    auto catalog = ring::CaptureCatalog::open(dir());
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE(catalog->start("cap-1", p0->position, recs_[2'000].ts).ok());
    ASSERT_TRUE(catalog->stop(p1->position, recs_[9'000].ts).ok());
  }
  const size_t c0 = p0->position.packets;
  const size_t c1 = p1->position.packets;
  BandwidthRequest r;
  r.stream = "cap-1";
  r.points = 777;
  r.exact_scan_bytes = uint64_t{1} << 40;
  const BandwidthSeries s = series(r);
  EXPECT_EQ(s.oldest_ns, recs_[c0].ts);
  EXPECT_EQ(s.newest_ns, recs_[c1 - 1].ts);
  EXPECT_EQ(total_packets(s), c1 - c0);
  expect_points(s, exact(s, c0, c1), "capture");
  // A window wider than the capture still counts only the capture.
  r.start_ns = recs_.front().ts;
  r.stop_ns = recs_.back().ts + 1;
  const BandwidthSeries wide = series(r);
  expect_points(wide, exact(wide, c0, c1), "capture, wide window");
  auto unknown = compute_bandwidth(*index, {.stream = "nope"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), base::ErrorCode::kNotFound);
}

TEST_F(BandwidthTest, OverwrittenRingChartsTheSurvivors) {
  make(40'000, 100'000, 100'000'000, 8, 256 << 10, 8);  // ~16 MB into a 2 MiB ring
  ASSERT_GT(first_record_, 0u);
  BandwidthRequest r;
  r.points = 2'000;
  r.exact_scan_bytes = uint64_t{1} << 40;
  const BandwidthSeries s = series(r);
  EXPECT_EQ(s.oldest_ns, recs_[first_record_].ts);
  EXPECT_EQ(total_packets(s), recs_.size() - first_record_);
  expect_points(s, exact(s, first_record_, recs_.size()), "survivors");
  // A window that starts before the oldest surviving record.
  r.start_ns = recs_.front().ts;
  r.stop_ns = recs_.back().ts + 1;
  const BandwidthSeries w = series(r);
  expect_points(w, exact(w, first_record_, recs_.size()), "survivors, early start");
}

TEST_F(BandwidthTest, EmptyRingParametersAndJson) {
  {
    auto w = ring::RingWriter::open(ring_config(dir()));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->close().ok());
  }
  const BandwidthSeries none = series({});
  EXPECT_TRUE(none.points.empty());
  EXPECT_EQ(render_bandwidth_json(none),
            "{\"start_ns\":0,\"stop_ns\":0,\"step_ns\":0,\"oldest_ns\":0,\"newest_ns\":0,"
            "\"points\":[]}\n");
  BandwidthRequest r;
  r.start_ns = kBaseNs;
  r.stop_ns = kBaseNs + 5 * base::kNsPerMs;
  r.points = 5;
  const BandwidthSeries zeros = series(r);
  ASSERT_EQ(zeros.points.size(), 5u);
  EXPECT_EQ(total_packets(zeros), 0u);
  const std::string zeros_json = render_bandwidth_json(zeros);
  EXPECT_EQ(zeros_json.substr(0, zeros_json.find("],[") + 3),
            "{\"start_ns\":1795392000000000000,\"stop_ns\":1795392000005000000,\"step_ns\":1000000,"
            "\"oldest_ns\":0,\"newest_ns\":0,\"points\":[[1795392000000000000,0,0],[");
  EXPECT_EQ(zeros_json.substr(zeros_json.size() - 28), "[1795392000004000000,0,0]]}\n");
  EXPECT_EQ(render_bandwidth_csv(zeros).substr(0, 24), "1795392000000000000,0,0\n");

  struct Bad {
    BandwidthText text;
    std::string_view starts;
  };
  for (const Bad& b :
       {Bad{{.points = "0"}, "Points: "}, Bad{{.points = "100001"}, "Points: "},
        Bad{{.points = "12x"}, "Points: "}, Bad{{.start = "2", .stop = "1"}, "Stop must be after"},
        Bad{{.start = "x"}, "Start: "}, Bad{{.stream = "../x"}, "invalid StreamName"}}) {
    auto req = make_bandwidth_request(b.text);
    ASSERT_FALSE(req.ok());
    EXPECT_EQ(req.error().code(), base::ErrorCode::kInvalidArgument);
    EXPECT_EQ(req.error().message().rfind(b.starts, 0), 0u) << req.error().message();
  }
  auto ok = make_bandwidth_request({.start = "1795392000000000000ULL",
                                    .stop = "2026-11-23T00:00:01Z",
                                    .points = "250",
                                    .stream = "cap-1"},
                                   500);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->points, 250u);
  EXPECT_EQ(*ok->stop_ns, kBaseNs + base::kNsPerSec);
  EXPECT_FALSE(make_bandwidth_request({.points = "501"}, 500).ok());
  EXPECT_EQ(make_bandwidth_request({}, 500)->points, 500u);
}

}  // namespace
}  // namespace snapflow::extract::testing
