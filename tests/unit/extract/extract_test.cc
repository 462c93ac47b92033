// Downloads of time windows against a reference cut of the records written, byte for byte:
// random windows, every chunk size, PCAPNG, filters, named captures, bad and outside windows,
// a writer overwriting the window mid-download, and a ring whose writer was killed.
#include "extract_test_util.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::extract::testing {
namespace {

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    recs_ = make_records(12'000, 21, 150'000, 2'000'000'000);
    write_ring(ring_config(dir()), recs_);
  }
  std::string dir() const { return tmp_.path() + "/ring"; }
  ExtractRequest window(int64_t start, int64_t stop) {
    ExtractRequest r;
    r.start_ns = start;
    r.stop_ns = stop;
    return r;
  }
  int64_t random_time(std::mt19937_64& rng) const {
    const int64_t lo = recs_.front().ts - 1'000'000'000;
    const int64_t hi = recs_.back().ts + 1'000'000'000;
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo));
  }

  TempDir tmp_;
  std::vector<Rec> recs_;
};

TEST_F(ExtractTest, RandomWindowsEqualTheReferenceByteForByte) {
  std::mt19937_64 rng(1);
  const size_t chunks[] = {1, 7, 100, 4096, 65536, 1 << 20};
  for (int i = 0; i < 120; ++i) {
    int64_t a = random_time(rng);
    int64_t b = random_time(rng);
    if (i % 4 == 0) a = recs_[rng() % recs_.size()].ts;  // on a record, maybe inside a run
    if (a == b) continue;
    if (a > b) std::swap(a, b);
    const size_t chunk = chunks[i % std::size(chunks)];
    if (chunk < 4096) {
      // Byte-sized chunks over a short window (a few hundred records): the same code paths,
      // without millions of calls under the sanitizers.
      const size_t first = window_of(recs_, a, a).first;
      if (first + 300 < recs_.size()) b = std::min(b, recs_[first + 300].ts);
      if (b <= a) continue;
    }
    const auto [from, to] = window_of(recs_, a, b);
    auto index = open_index(dir());
    auto plan = plan_extract(*index, window(a, b));
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    if (plan->outside) {
      EXPECT_EQ(from, to);
      EXPECT_TRUE(b <= recs_.front().ts || a > recs_.back().ts);
      continue;
    }
    const std::vector<std::byte> expected = reference_pcap(recs_, from, to);
    EXPECT_EQ(plan->packets, to - from);
    EXPECT_EQ(plan->pcap_bytes, expected.size());
    auto x = Extractor::start(std::move(index), std::move(*plan));
    ASSERT_TRUE(x.ok());
    const std::vector<std::byte> got = drain(**x, chunk);
    ASSERT_EQ(got.size(), expected.size()) << "window " << a << " " << b;
    ASSERT_TRUE(got == expected) << "window " << a << " " << b;
    EXPECT_EQ((*x)->stats().packets, to - from);
    EXPECT_EQ((*x)->stats().bytes, expected.size());
    EXPECT_EQ((*x)->stats().lost_packets, 0u);
  }
}

TEST_F(ExtractTest, PiecesEndOnRecordBoundaries) {
  const int64_t a = recs_[100].ts;
  const int64_t b = recs_[9000].ts;
  const auto [from, to] = window_of(recs_, a, b);
  for (OutputFormat format : {OutputFormat::kPcap, OutputFormat::kPcapng}) {
    for (size_t target : {size_t{1}, size_t{100}, size_t{5000}, size_t{1} << 20}) {
      for (const char* filter : {"", "udp.port==53,123 | icmp.type==8"}) {
        ExtractRequest req = window(a, b);
        req.format = format;
        req.filter = filter;
        auto index = open_index(dir());
        auto plan = plan_extract(*index, req);
        ASSERT_TRUE(plan.ok());
        auto x = Extractor::start(std::move(index), std::move(*plan));
        ASSERT_TRUE(x.ok());
        std::vector<std::byte> all;
        const size_t header = format == OutputFormat::kPcap ? 24 : 60;
        bool more = true;
        while (more) {
          std::vector<std::byte> piece;
          auto r = (*x)->next_piece(piece, target);
          ASSERT_TRUE(r.ok()) << r.error().to_string();
          more = *r;
          // A piece is the header, or whole records: walk it.
          size_t off = all.empty() ? header : 0;
          ASSERT_TRUE(all.empty() ? piece.size() >= header : true);
          while (off < piece.size()) {
            ASSERT_GE(piece.size() - off, format == OutputFormat::kPcap ? 16u : 32u);
            const size_t size = format == OutputFormat::kPcap
                                    ? 16 + base::load_le32(piece.data() + off + 8)
                                    : base::load_le32(piece.data() + off + 4);
            off += size;
          }
          ASSERT_EQ(off, piece.size()) << "a piece ended inside a record";
          all.insert(all.end(), piece.begin(), piece.end());
        }
        EXPECT_TRUE((*x)->done());
        EXPECT_EQ((*x)->stats().bytes, all.size());
        if (format == OutputFormat::kPcap && filter[0] == 0) {
          EXPECT_TRUE(all == reference_pcap(recs_, from, to));
        }
      }
    }
  }
}

TEST_F(ExtractTest, WholeRingAndOpenEndedWindows) {
  ExtractRequest all;
  EXPECT_TRUE(extract_all(dir(), all) == reference_pcap(recs_, 0, recs_.size()));
  ExtractRequest from;
  from.start_ns = recs_[5000].ts;
  const size_t first = window_of(recs_, recs_[5000].ts, recs_[5000].ts).first;
  EXPECT_TRUE(extract_all(dir(), from) == reference_pcap(recs_, first, recs_.size()));
  ExtractRequest until;
  until.stop_ns = recs_[7000].ts;
  const size_t last = window_of(recs_, recs_[7000].ts, recs_[7000].ts).first;
  EXPECT_TRUE(extract_all(dir(), until) == reference_pcap(recs_, 0, last));
}

TEST_F(ExtractTest, PcapngCarriesTheSameRecords) {
  const int64_t a = recs_[1000].ts;
  const int64_t b = recs_[9000].ts;
  const auto [from, to] = window_of(recs_, a, b);
  ExtractRequest req = window(a, b);
  req.format = OutputFormat::kPcapng;
  const std::vector<std::byte> got = extract_all(dir(), req, 3000);
  const std::string path = tmp_.path() + "/out.pcapng";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(got.data(), 1, got.size(), f);
    std::fclose(f);
  }
  auto reader = pcap::PacketReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().to_string();
  pcap::PacketBatch batch;
  size_t i = from;
  while (true) {
    auto n = (*reader)->next_batch(batch, 512);
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    if (*n == 0) break;
    for (const auto& r : batch.records) {
      ASSERT_LT(i, to);
      EXPECT_EQ(r.ts_ns, recs_[i].ts);
      EXPECT_EQ(r.wire_length, recs_[i].wire);
      ASSERT_EQ(r.captured_length, recs_[i].data.size());
      EXPECT_EQ(std::memcmp(r.data, recs_[i].data.data(), r.captured_length), 0);
      EXPECT_EQ(r.link_type, 1);
      ++i;
    }
  }
  EXPECT_EQ(i, to);
}

TEST_F(ExtractTest, FiltersKeepWhatThePredicateKeeps) {
  const int64_t a = recs_[500].ts;
  const int64_t b = recs_[11000].ts;
  const auto [from, to] = window_of(recs_, a, b);
  struct Case {
    std::string filter, bpf;
    OutputFormat format;
  };
  for (const Case& c : {Case{"tcp.port==443", "", OutputFormat::kPcap},
                        Case{"", "udp or icmp", OutputFormat::kPcap},
                        Case{"ipv6.addr==fd00::/16 & frame.size<=128", "", OutputFormat::kPcap},
                        Case{"frame.size>1000", "ip", OutputFormat::kPcapng}}) {
    auto f = filter::PacketFilter::compile(c.filter, c.bpf, 1, kSnaplen);
    ASSERT_TRUE(f.ok());
    std::vector<Rec> kept;
    for (size_t i = from; i < to; ++i) {
      if (f->matches(recs_[i].ts, recs_[i].data, recs_[i].wire)) kept.push_back(recs_[i]);
    }
    ASSERT_GT(kept.size(), 10u) << c.filter << c.bpf;
    ASSERT_LT(kept.size(), to - from) << c.filter << c.bpf;
    ExtractRequest req = window(a, b);
    req.filter = c.filter;
    req.bpf = c.bpf;
    req.format = c.format;
    ExtractStats stats;
    const std::vector<std::byte> got = extract_all(dir(), req, 1000, &stats);
    EXPECT_EQ(stats.packets, kept.size());
    EXPECT_EQ(stats.scanned_packets, to - from);
    if (c.format == OutputFormat::kPcap) {
      EXPECT_TRUE(got == reference_pcap(kept, 0, kept.size())) << c.filter << c.bpf;
    }
  }
}

TEST_F(ExtractTest, NamedCapturesClipTheWindow) {
  // Two captures recorded in the catalog at record boundaries, as the daemon does.
  auto index = open_index(dir());
  auto p2000 = index->locate_time(recs_[2000].ts);
  auto p6000 = index->locate_time(recs_[6000].ts);
  ASSERT_TRUE(p2000.ok() && p6000.ok());
  {
    auto catalog = ring::CaptureCatalog::open(dir());
    ASSERT_TRUE(catalog.ok());
    ASSERT_TRUE(catalog->start("incident", p2000->position, recs_[2000].ts).ok());
    ASSERT_TRUE(catalog->stop(p6000->position, recs_[6000].ts).ok());
  }
  const size_t c0 = p2000->position.packets;
  const size_t c1 = p6000->position.packets;
  ExtractRequest whole;
  whole.stream = "incident";
  EXPECT_TRUE(extract_all(dir(), whole) == reference_pcap(recs_, c0, c1));
  // A window reaching past both ends is clipped to the capture.
  ExtractRequest wide = window(recs_.front().ts, recs_.back().ts + 1);
  wide.stream = "incident";
  EXPECT_TRUE(extract_all(dir(), wide) == reference_pcap(recs_, c0, c1));
  ExtractRequest inside = window(recs_[3000].ts, recs_[4000].ts);
  inside.stream = "incident";
  const auto [f, t] = window_of(recs_, recs_[3000].ts, recs_[4000].ts);
  EXPECT_TRUE(extract_all(dir(), inside) == reference_pcap(recs_, f, t));
  // Outside the capture but inside the ring: outside, with the capture's times.
  ExtractRequest later = window(recs_[9000].ts, recs_[9500].ts);
  later.stream = "incident";
  auto plan = plan_extract(*index, later);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->outside);
  EXPECT_EQ(plan->available_first_ns, recs_[c0].ts);
  EXPECT_EQ(plan->available_last_ns, recs_[c1 - 1].ts);  // its last record
  EXPECT_NE(plan->outside_message().find("outside capture incident (oldest "), std::string::npos)
      << plan->outside_message();
  ExtractRequest unknown;
  unknown.stream = "nope";
  auto missing = plan_extract(*index, unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), base::ErrorCode::kNotFound);
}

TEST_F(ExtractTest, BadAndOutsideWindows) {
  auto index = open_index(dir());
  auto reversed = plan_extract(*index, window(recs_[10].ts, recs_[5].ts));
  ASSERT_FALSE(reversed.ok());
  EXPECT_EQ(reversed.error().code(), base::ErrorCode::kInvalidArgument);
  auto before = plan_extract(*index, window(kBaseNs - 2'000'000'000, recs_.front().ts));
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->outside);  // Stop == the oldest record: nothing before it
  EXPECT_EQ(before->available_first_ns, recs_.front().ts);
  EXPECT_EQ(before->available_last_ns, recs_.back().ts);
  EXPECT_NE(before->outside_message().find("outside the ring's data (oldest 2026-11-23T"),
            std::string::npos)
      << before->outside_message();
  auto after = plan_extract(*index, window(recs_.back().ts + 1, recs_.back().ts + 5));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->outside);
  auto x = Extractor::start(open_index(dir()), *after);
  EXPECT_FALSE(x.ok());
  // Last record exactly at Start is inside.
  auto last = plan_extract(*index, window(recs_.back().ts, recs_.back().ts + 5));
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->outside);
  // A bad filter is an error of the plan, before any byte.
  ExtractRequest bad = window(recs_[10].ts, recs_[20].ts);
  bad.filter = "tcp.port==";
  auto bad_plan = plan_extract(*index, bad);
  ASSERT_FALSE(bad_plan.ok());
  EXPECT_NE(bad_plan.error().message().find("filter position 11"), std::string::npos);
}

TEST_F(ExtractTest, RequestTextParsing) {
  ExtractLimits limits;
  limits.max_window_ns = 60 * base::kNsPerSec;
  auto ok = make_request({.start = "1434793018780588947ULL",
                          .stop = "2015-06-20T09:37:00Z",
                          .stream = "incident-42",
                          .filter = "tcp.port==443",
                          .bpf = {},
                          .format = "pcapng"},
                         limits);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(*ok->start_ns, 1434793018780588947);
  EXPECT_EQ(*ok->stop_ns, 1434793020000000000);
  EXPECT_EQ(ok->format, OutputFormat::kPcapng);
  struct Bad {
    RequestText text;
    std::string needle;
  };
  for (const Bad& b :
       {Bad{{.start = "yesterday"}, "invalid time 'yesterday'"},
        Bad{{.start = "5", .stop = "5"}, "Stop must be after Start"},
        Bad{{.start = "0", .stop = "61000000000"}, "longer than the limit"},
        Bad{{.stream = "../etc"}, "invalid StreamName"}, Bad{{.filter = ""}, "Filter is empty"},
        Bad{{.format = "json"}, "unknown format 'json'"}}) {
    auto r = make_request(b.text, limits);
    ASSERT_FALSE(r.ok()) << b.needle;
    EXPECT_EQ(r.error().code(), base::ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().to_string().find(b.needle), std::string::npos) << r.error().to_string();
  }
}

TEST(ExtractOverwrite, RecordsOverwrittenMidDownloadAreSkippedAndCounted) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/ring";
  const std::vector<Rec> recs = make_records(30'000, 3, 100'000, 1'000'000'000);
  auto w = ring::RingWriter::open(ring_config(dir, 256 << 10, 6));
  ASSERT_TRUE(w.ok());
  append(**w, recs, 0, 4'000);
  ASSERT_TRUE((*w)->commit().ok());
  ExtractRequest all;
  auto index = open_index(dir);
  auto plan = plan_extract(*index, all);
  ASSERT_TRUE(plan.ok());
  const size_t first = plan->start.packets;
  const size_t last = plan->stop.packets;
  auto x = Extractor::start(std::move(index), std::move(*plan));
  ASSERT_TRUE(x.ok());
  std::vector<std::byte> out;
  std::vector<std::byte> buf(20'000);
  auto n = (*x)->next_chunk(buf);
  ASSERT_TRUE(n.ok());
  out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  // The writer laps the ring: everything not yet read is overwritten.
  append(**w, recs, 4'000, 30'000);
  ASSERT_TRUE((*w)->commit().ok());
  while (true) {
    n = (*x)->next_chunk(buf);
    ASSERT_TRUE(n.ok()) << n.error().to_string();
    if (*n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  const ExtractStats& st = (*x)->stats();
  EXPECT_GT(st.lost_packets, 0u);
  EXPECT_EQ(st.gaps, 1u);
  EXPECT_EQ(st.packets + st.lost_packets, last - first);
  // What was served: a valid PCAP of whole records, each one of the window's, in order.
  const std::string path = tmp.path() + "/partial.pcap";
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(out.data(), 1, out.size(), f);
  std::fclose(f);
  auto reader = pcap::PacketReader::open(path);
  ASSERT_TRUE(reader.ok());
  pcap::PacketBatch batch;
  size_t served = 0;
  size_t i = first;
  while (true) {
    auto got = (*reader)->next_batch(batch, 256);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    if (*got == 0) break;
    for (const auto& r : batch.records) {
      while (i < last && recs[i].ts != r.ts_ns) ++i;  // skipped records
      ASSERT_LT(i, last);
      ASSERT_EQ(r.captured_length, recs[i].data.size());
      EXPECT_EQ(std::memcmp(r.data, recs[i].data.data(), r.captured_length), 0);
      ++i;
      ++served;
    }
  }
  EXPECT_EQ(served, st.packets);
  ASSERT_TRUE((*w)->close().ok());
}

TEST(ExtractKilledWriter, ACopyTakenMidWriteServesEveryCommittedRecord) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/ring";
  const std::string copy = tmp.path() + "/copy";
  const std::vector<Rec> recs = make_records(8'000, 4, 100'000, 1'000'000'000);
  auto w = ring::RingWriter::open(ring_config(dir));
  ASSERT_TRUE(w.ok());
  append(**w, recs, 0, 5'000);
  ASSERT_TRUE((*w)->commit().ok());
  append(**w, recs, 5'000, 5'200);  // appended, not committed: a crash would lose these
  const size_t committed = (*w)->committed_position().packets;
  ASSERT_EQ(committed, 5'000u);  // no segment roll (which commits) in between
  // The files as a killed daemon leaves them: lock file, active segment, no close().
  std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  ExtractRequest all;
  const std::vector<std::byte> got = extract_all(copy, all);
  // Every committed record, nothing after the committed length (the uncommitted tail may or
  // may not have reached the file; it is never served).
  EXPECT_TRUE(got == reference_pcap(recs, 0, committed));
  ASSERT_TRUE((*w)->close().ok());
}

}  // namespace
}  // namespace snapflow::extract::testing
