// Split views: every mode over the whole ring, a named capture and a window; each row's size
// and packet count equal the download of its own URL, rows tile the scope, time rows are
// aligned, size rows respect their bound and never end inside a run of equal timestamps.
#include "snapflow/extract/split.h"

#include <charconv>

#include "extract_test_util.h"
#include "snapflow/extract/render.h"

namespace snapflow::extract::testing {
namespace {

int64_t url_param(const std::string& url, std::string_view key) {
  const size_t at = url.find(std::string(key) + "=");
  EXPECT_NE(at, std::string::npos) << url;
  int64_t v = 0;
  const char* begin = url.data() + at + key.size() + 1;
  std::from_chars(begin, url.data() + url.size(), v);
  return v;
}

class SplitTest : public ::testing::Test {
 protected:
  void make(size_t n, int64_t step_ns, int64_t gap_ns, uint64_t seed) {
    recs_ = make_records(n, seed, step_ns, gap_ns);
    write_ring(ring_config(dir(), 1 << 20, 32), recs_);
  }
  std::string dir() const { return tmp_.path() + "/ring"; }

  // Checks one table against the records [first, last) of its scope.
  void check(const SplitTable& table, size_t first, size_t last, const std::string& stream,
             std::optional<int64_t> start = {}, std::optional<int64_t> stop = {}) {
    const SplitMode& mode = table.mode;
    SCOPED_TRACE(std::string(mode.name));
    ASSERT_FALSE(table.rows.empty());
    EXPECT_EQ(table.rows.front().start.packets, first);
    EXPECT_EQ(table.rows.back().stop.packets, last);
    EXPECT_EQ(table.packets, last - first);
    for (size_t i = 0; i < table.rows.size(); ++i) {
      const SplitRow& row = table.rows[i];
      SCOPED_TRACE(row.name);
      ASSERT_GT(row.packets, 0u);
      if (i + 1 < table.rows.size()) {
        EXPECT_EQ(row.stop, table.rows[i + 1].start);
      }
      const size_t a = row.start.packets;
      const size_t b = row.stop.packets;
      // Every record of the row is inside its URL's window, the neighbours are not.
      EXPECT_GE(recs_[a].ts, row.start_ns);
      EXPECT_LT(recs_[b - 1].ts, row.stop_ns);
      if (a > first) {
        EXPECT_LT(recs_[a - 1].ts, row.start_ns);
      }
      if (b < last) {
        EXPECT_GE(recs_[b].ts, row.stop_ns);
      }
      if (mode.interval_ns != 0) {
        EXPECT_LE(row.stop_ns - row.start_ns, mode.interval_ns);
        if (!start || row.start_ns != *start) {
          EXPECT_EQ(row.start_ns % mode.interval_ns, 0);
        }
        if (!stop || row.stop_ns != *stop) {
          EXPECT_EQ(row.stop_ns % mode.interval_ns, 0);
        }
      } else if (row.pcap_bytes > mode.max_bytes) {
        EXPECT_EQ(recs_[a].ts, recs_[b - 1].ts) << "only a run of one timestamp may exceed";
      }
      // The URL serves exactly the row.
      ASSERT_EQ(row.url.rfind("/pcap/splittime?", 0), 0u);
      EXPECT_EQ(row.url.find("StreamName=" + stream + "&") != std::string::npos, !stream.empty());
      ExtractRequest req;
      req.stream = stream;
      req.start_ns = url_param(row.url, "Start");
      req.stop_ns = url_param(row.url, "Stop");
      EXPECT_EQ(*req.start_ns, row.start_ns);
      EXPECT_EQ(*req.stop_ns, row.stop_ns);
      auto index = open_index(dir());
      auto plan = plan_extract(*index, req);
      ASSERT_TRUE(plan.ok()) << plan.error().to_string();
      ASSERT_FALSE(plan->outside);
      EXPECT_EQ(plan->start, row.start);
      EXPECT_EQ(plan->stop, row.stop);
      EXPECT_EQ(plan->pcap_bytes, row.pcap_bytes);
      if (i % 7 == 0 || table.rows.size() < 40) {
        const std::vector<std::byte> got = extract_all(dir(), req);
        EXPECT_EQ(got.size(), row.pcap_bytes);
        EXPECT_TRUE(got == reference_pcap(recs_, a, b));
      }
    }
  }

  TempDir tmp_;
  std::vector<Rec> recs_;
};

TEST_F(SplitTest, EveryModeOverHoursOfTraffic) {
  make(9'000, 1'200'000'000, 1'800'000'000'000, 31);  // ~3 h with gaps up to 30 min
  auto index = open_index(dir());
  ASSERT_GT(recs_.back().ts - recs_.front().ts, 2 * 3600 * base::kNsPerSec);
  for (const SplitMode& mode : split_modes()) {
    auto table = compute_splits(*index, {.stream = {}, .mode = mode});
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    check(*table, 0, recs_.size(), "");
  }
}

TEST_F(SplitTest, SizeSplitsNeverCutARunOfEqualTimestamps) {
  // Runs of 100 records per timestamp (~37 KB): almost every 1 MB boundary falls inside one.
  recs_ = make_records(30'000, 41, 1'000, 1'000);
  for (size_t i = 0; i < recs_.size(); ++i)
    recs_[i].ts = kBaseNs + static_cast<int64_t>(i / 100) * 1000;
  // And one run larger than a split: 4000 records on one timestamp.
  for (size_t i = 12'000; i < 16'000; ++i) recs_[i].ts = recs_[12'000].ts;
  for (size_t i = 16'000; i < recs_.size(); ++i) recs_[i].ts += 1;
  write_ring(ring_config(dir(), 1 << 20, 32), recs_);
  auto index = open_index(dir());
  auto mode = parse_split_mode("split_1MB");
  ASSERT_TRUE(mode.ok());
  auto table = compute_splits(*index, {.stream = {}, .mode = *mode});
  ASSERT_TRUE(table.ok()) << table.error().to_string();
  ASSERT_GE(table->rows.size(), 8u);
  check(*table, 0, recs_.size(), "");
  bool oversized = false;
  for (const SplitRow& row : table->rows) oversized |= row.pcap_bytes > 1'000'000;
  EXPECT_TRUE(oversized);  // the 4000-record run
}

TEST_F(SplitTest, NamedCaptureAndWindow) {
  make(12'000, 40'000'000, 90'000'000'000, 51);  // ~8 min with gaps up to 90 s
  auto index = open_index(dir());
  auto p0 = index->locate_time(recs_[1500].ts);
  auto p1 = index->locate_time(recs_[10'500].ts);
  ASSERT_TRUE(p0.ok() && p1.ok());
  {
    auto catalog = ring::CaptureCatalog::open(dir());
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE(catalog->start("cap-1", p0->position, recs_[1500].ts).ok());
    ASSERT_TRUE(catalog->stop(p1->position, recs_[10'500].ts).ok());
  }
  const size_t c0 = p0->position.packets;
  const size_t c1 = p1->position.packets;
  for (std::string_view name : {"split_1sec", "split_10sec", "split_1min", "split_1MB"}) {
    auto mode = parse_split_mode(name);
    ASSERT_TRUE(mode.ok());
    auto table = compute_splits(*index, {.stream = "cap-1", .mode = *mode});
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    check(*table, c0, c1, "cap-1");
    for (const SplitRow& row : table->rows) EXPECT_EQ(row.name.rfind("cap-1_", 0), 0u);
    // A window inside the capture: rows clipped to it.
    const int64_t a = recs_[3000].ts + 1;
    const int64_t b = recs_[7000].ts;
    const auto [wa, wb] = window_of(recs_, a, b);
    auto windowed =
        compute_splits(*index, {.stream = "cap-1", .mode = *mode, .start_ns = a, .stop_ns = b});
    ASSERT_TRUE(windowed.ok());
    check(*windowed, wa, wb, "cap-1", a, b);
    EXPECT_EQ(windowed->rows.front().start_ns, a);
    EXPECT_EQ(windowed->rows.back().stop_ns, b);
  }
}

TEST_F(SplitTest, CaptureWhoseStartWasOverwritten) {
  recs_ = make_records(40'000, 71, 20'000'000, 5'000'000'000);
  auto w = ring::RingWriter::open(ring_config(dir(), 1 << 20, 8));
  ASSERT_TRUE(w.ok());
  append(**w, recs_, 0, 1'000);
  ASSERT_TRUE((*w)->commit().ok());
  const ring::RingPosition start = (*w)->committed_position();
  append(**w, recs_, 1'000, 30'000);
  ASSERT_TRUE((*w)->commit().ok());
  const ring::RingPosition stop = (*w)->committed_position();
  append(**w, recs_, 30'000, recs_.size());
  ASSERT_TRUE((*w)->close().ok());
  {
    auto catalog = ring::CaptureCatalog::open(dir());
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE(catalog->start("early", start, recs_[1'000].ts).ok());
    ASSERT_TRUE(catalog->stop(stop, recs_[29'999].ts).ok());
  }
  auto index = open_index(dir());
  auto span = index->span();
  ASSERT_TRUE(span.ok());
  const size_t oldest = span->start().packets;
  ASSERT_GT(oldest, 1'000u);  // the capture's first records are gone
  ASSERT_LT(oldest, 30'000u);
  for (std::string_view name : {"split_1min", "split_1MB"}) {
    auto table = compute_splits(*index, {.stream = "early", .mode = *parse_split_mode(name)});
    ASSERT_TRUE(table.ok()) << table.error().to_string();
    check(*table, oldest, 30'000, "early");
  }
}

TEST_F(SplitTest, LimitsAndErrors) {
  make(3'000, 100'000'000, 1'000'000'000, 61);  // ~5 min
  auto index = open_index(dir());
  auto mode = parse_split_mode("split_1sec");
  ASSERT_TRUE(mode.ok());
  auto capped = compute_splits(*index, {.stream = {}, .mode = *mode, .max_rows = 10});
  ASSERT_FALSE(capped.ok());
  EXPECT_NE(capped.error().message().find("more than 10 rows"), std::string::npos);
  auto unknown = parse_split_mode("split_2sec");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("split_1sec split_10sec"), std::string::npos);
  auto missing = compute_splits(*index, {.stream = "nope", .mode = *mode});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kNotFound);
  // A window with no records: no rows.
  auto empty = compute_splits(*index, {.stream = {},
                                       .mode = *mode,
                                       .start_ns = recs_.back().ts + 10,
                                       .stop_ns = recs_.back().ts + 20});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->rows.empty());
}

TEST(SplitRender, ViewsAndRowsAsCsvAndJson) {
  const std::vector<ViewRow> views = view_rows("cap-1");
  ASSERT_EQ(views.size(), 13u);
  const std::string csv = render_views_csv(views);
  EXPECT_EQ(csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1),
            "split_1sec,/plain/split?StreamName=cap-1&StreamView=split_1sec\n"
            "split_10sec,/plain/split?StreamName=cap-1&StreamView=split_10sec\n");
  EXPECT_NE(csv.find("split_1TB,/plain/split?StreamName=cap-1&StreamView=split_1TB\n"),
            std::string::npos);
  EXPECT_EQ(render_views_json("", {views[0]}),
            "{\"stream\":null,\"views\":[{\"split_mode\":\"split_1sec\",\"link\":\"/plain/split?"
            "StreamName=cap-1&StreamView=split_1sec\"}]}\n");
  EXPECT_EQ(view_rows("")[0].link, "/plain/split?StreamView=split_1sec");

  SplitTable t;
  t.stream = "cap-1";
  t.mode = *parse_split_mode("split_1sec");
  SplitRow r;
  r.name = "cap-1_20261123_000001";
  r.start_ns = kBaseNs + base::kNsPerSec;
  r.stop_ns = kBaseNs + 2 * base::kNsPerSec;
  r.packets = 3;
  r.pcap_bytes = 300;
  r.url = splittime_url("cap-1", r.start_ns, r.stop_ns);
  t.rows.push_back(r);
  t.packets = 3;
  EXPECT_EQ(render_splits_csv(t),
            "cap-1_20261123_000001,300,3,/pcap/splittime?StreamName=cap-1&Start="
            "1795392001000000000&Stop=1795392002000000000\n");
  EXPECT_EQ(render_splits_json(t),
            "{\"stream\":\"cap-1\",\"split_mode\":\"split_1sec\",\"packets\":3,\"size_bytes\":300,"
            "\"splits\":[{\"name\":\"cap-1_20261123_000001\",\"start_ns\":1795392001000000000,"
            "\"stop_ns\":1795392002000000000,\"start\":\"2026-11-23T00:00:01.000000000Z\",\"stop\":"
            "\"2026-11-23T00:00:02.000000000Z\",\"size_bytes\":300,\"packets\":3,\"url\":\"/pcap/"
            "splittime?StreamName=cap-1&Start=1795392001000000000&Stop=1795392002000000000\"}]}\n");
}

}  // namespace
}  // namespace snapflow::extract::testing
