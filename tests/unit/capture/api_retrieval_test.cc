// The retrieval endpoints over real HTTP (libmicrohttpd server, libcurl client) on a real ring
// served by the ring-backed CaptureService (api_retrieval_util.h):
//   /pcap/splittime   random windows byte-equal to a reference cut of the written records,
//                     every time form, PCAPNG, filters (against PacketFilter on the same
//                     records), trailers, and the 400/404/416 answers;
//   /pcap/single      filtered and PCAPNG through the same download;
//   bounds            window length, filter length, Points and split rows, and their settings.
// api_retrieval_links_test.cc follows every link, checks /ring/bandwidth and /filter/check and
// a download the writer laps. The daemon end to end (libpcap capture, editcap and tcpdump as
// references) is tests/e2e/retrieval_e2e_test.py.
#include "api_retrieval_util.h"

namespace snapflow::capture::testing {
namespace {

TEST_F(RetrievalApi, RoutesRunWhereTheyShould) {
  EXPECT_EQ(find_route("/pcap/splittime")->runs, RouteRuns::kDownloadSlot);
  EXPECT_EQ(find_route("/plain/split")->runs, RouteRuns::kDownloadSlot);
  EXPECT_EQ(find_route("/plain/view")->runs, RouteRuns::kEventLoop);
  EXPECT_EQ(find_route("/ring/bandwidth")->runs, RouteRuns::kWorker);
  EXPECT_EQ(find_route("/filter/check")->runs, RouteRuns::kWorker);
  for (const char* path : {"/pcap/splittime?Start=1&Stop=2", "/plain/view", "/plain/split",
                           "/ring/bandwidth", "/filter/check?Filter=tcp.port==1"}) {
    RequestOptions anonymous;
    anonymous.userpwd = nullptr;
    EXPECT_EQ(get(path, anonymous).status, 401) << path;
  }
}

TEST_F(RetrievalApi, RandomWindowsEqualTheRecordsCutByTime) {
  std::mt19937_64 rng(5);
  const int64_t first = recs_.front().ts;
  const int64_t span = recs_.back().ts - first;
  for (int round = 0; round < 30; ++round) {
    const int64_t a = first + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    const int64_t b = a + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(span / 4));
    const auto [lo, hi] = window_of(recs_, a, b);
    const std::string suffix = round % 3 == 0 ? "ULL" : "";
    const std::string body = download("/pcap/splittime?Start=" + std::to_string(a) + suffix +
                                      "&Stop=" + std::to_string(b) + suffix);
    EXPECT_TRUE(body == pcap_of(recs_, lo, hi)) << "round " << round << ": " << hi - lo;
  }
  // The same window in RFC 3339 and fmadio's filter form.
  const int64_t a = kBaseNs + 1'500'000'000;
  const int64_t b = kBaseNs + 2'250'000'000;
  const auto [lo, hi] = window_of(recs_, a, b);
  ASSERT_GT(hi, lo);
  const std::string want = pcap_of(recs_, lo, hi);
  EXPECT_TRUE(
      download(
          "/pcap/splittime?Start=2026-11-23T00:00:01.5Z&Stop=2026-11-23T02:00:02.25%2B02:00") ==
      want);
  EXPECT_TRUE(download("/pcap/splittime?Start=20261123_00:00:01.500&Stop=20261123_00:00:02.250") ==
              want);
  Reply r = get("/pcap/splittime?Start=" + std::to_string(a) + "&Stop=" + std::to_string(b));
  EXPECT_EQ(r.header("X-Snapflow-Window-Packets"), std::to_string(hi - lo));
  EXPECT_EQ(r.header("X-Snapflow-Window-Pcap-Bytes"), std::to_string(want.size()));
  EXPECT_EQ(r.header("Content-Type"), "application/vnd.tcpdump.pcap");
  EXPECT_NE(r.header("Content-Disposition").find("ring_20261123_000001.pcap"), std::string::npos);
  EXPECT_EQ(r.header("Trailer"), "X-Snapflow-Records, X-Snapflow-Records-Skipped");
}

TEST_F(RetrievalApi, NamedCaptureWindowsAndSingle) {
  const std::string whole = download("/pcap/single?StreamName=mid");
  EXPECT_TRUE(whole == pcap_of(recs_, kCaptureFirst, kCaptureLast));
  // A window wider than the capture is clipped to it.
  const std::string clipped =
      download("/pcap/splittime?StreamName=mid&Start=" + std::to_string(recs_.front().ts) +
               "&Stop=" + std::to_string(recs_.back().ts + 1));
  EXPECT_TRUE(clipped == whole);
  const int64_t a = recs_[5'000].ts;
  const int64_t b = recs_[12'000].ts;
  const auto [lo, hi] = window_of(recs_, a, b);
  const std::string part = download("/pcap/splittime?StreamName=mid&Start=" + std::to_string(a) +
                                    "&Stop=" + std::to_string(b));
  EXPECT_TRUE(part == pcap_of(recs_, lo, std::min(hi, kCaptureLast)));
  EXPECT_EQ(get("/pcap/splittime?StreamName=nosuch&Start=1&Stop=2").status, 404);
  EXPECT_EQ(get("/pcap/single?StreamName=nosuch").status, 404);
}

TEST_F(RetrievalApi, FiltersKeepWhatThePacketFilterKeeps) {
  const int64_t a = recs_[1'000].ts;
  const int64_t b = recs_[14'000].ts;
  const auto [lo, hi] = window_of(recs_, a, b);
  const std::string window =
      "/pcap/splittime?Start=" + std::to_string(a) + "&Stop=" + std::to_string(b);
  struct Case {
    std::string_view filter;
    std::string_view bpf;
  };
  for (const Case& c : {Case{"tcp.port==443", ""}, Case{"", "udp and not port 4789"},
                        Case{"inner.ipv4.addr.src==10.0.0.0/24", ""},
                        Case{"vxlan.vni==1001 | ipv6.proto==icmpv6", ""},
                        Case{"all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;"
                             "expr=((!all_udp) & (all_tcp)) | ipv6.proto==udp",
                             ""},
                        Case{"frame.size<=128", "ip6"}}) {
    auto keep = filter::PacketFilter::compile(c.filter, c.bpf, 1, 65535);
    ASSERT_TRUE(keep.ok()) << c.filter << c.bpf;
    const std::string want = pcap_of(recs_, lo, hi, &*keep);
    ASSERT_GT(record_count(want), 0u) << c.filter << c.bpf;
    ASSERT_LT(record_count(want), hi - lo) << c.filter << c.bpf;
    std::string path = window;
    if (!c.filter.empty()) path += "&Filter=" + url_encode(c.filter);
    if (!c.bpf.empty()) path += "&FilterBPF=" + url_encode(c.bpf);
    EXPECT_TRUE(download(path) == want) << path;
  }
  auto tcp = filter::PacketFilter::compile("ip.proto==tcp", "", 1, 65535);
  EXPECT_TRUE(download("/pcap/single?StreamName=mid&Filter=ip.proto%3D%3Dtcp") ==
              pcap_of(recs_, kCaptureFirst, kCaptureLast, &*tcp));
}

TEST_F(RetrievalApi, PcapngCarriesTheSameRecords) {
  for (const std::string& path :
       {"/pcap/splittime?Start=" + std::to_string(recs_[100].ts) +
            "&Stop=" + std::to_string(recs_[4'000].ts) + "&format=pcapng",
        std::string("/pcap/single?StreamName=mid&format=pcapng&FilterBPF=tcp")}) {
    Reply r = get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/x-pcapng");
    const std::string file = dir_ + "/got.pcapng";
    {
      std::ofstream out(file, std::ios::binary);
      out << r.body;
    }
    auto reader = pcap::PacketReader::open(file);
    ASSERT_TRUE(reader.ok()) << reader.error().to_string();
    pcap::PacketBatch batch;
    std::vector<Rec> got;
    while (true) {
      auto n = (*reader)->next_batch(batch, 1024);
      ASSERT_TRUE(n.ok());
      if (*n == 0) break;
      for (const auto& rec : batch.records) {
        got.push_back({rec.ts_ns, {rec.data, rec.data + rec.captured_length}, rec.wire_length});
      }
    }
    EXPECT_EQ(r.header("X-Snapflow-Records"), std::to_string(got.size()));
    // Each record is one of the ring's, in order.
    size_t at = 0;
    for (const Rec& g : got) {
      while (at < recs_.size() &&
             (recs_[at].ts != g.ts || recs_[at].data != g.data || recs_[at].wire != g.wire)) {
        ++at;
      }
      ASSERT_LT(at, recs_.size()) << path;
      ++at;
    }
    EXPECT_GT(got.size(), 100u);
  }
}

TEST_F(RetrievalApi, BadRequestsAndWindowsOutsideTheRing) {
  const std::string inside = std::to_string(recs_[10].ts);
  struct Case {
    std::string path;
    int status;
    std::string_view says;
  };
  const std::vector<Case> cases = {
      {"/pcap/splittime?Start=" + inside + "&Stop=" + inside, 400, "Stop must be after Start"},
      {"/pcap/splittime?Start=5&Stop=4", 400, "Stop must be after Start"},
      {"/pcap/splittime?Start=" + inside, 400, "missing parameter Stop"},
      {"/pcap/splittime?Stop=" + inside, 400, "missing parameter Start"},
      {"/pcap/splittime?Start=yesterday&Stop=" + inside, 400, "Start: invalid time"},
      {"/pcap/splittime?Start=1&Stop=2&Filter=tcp.port%3D80", 400,
       "filter position 9 at '=': expected ==, !=, <, <=, > or >="},
      {"/pcap/splittime?Start=1&Stop=2&Filter=tcp.prot%3D%3D80", 400,
       "filter position 1 at 'tcp.prot': unknown field"},
      {"/pcap/splittime?Start=1&Stop=2&FilterBPF=tcp%20prt%2080", 400, "BPF filter"},
      {"/pcap/splittime?Start=1&Stop=2&Filter=", 400, "Filter is empty"},
      {"/pcap/splittime?Start=1&Stop=2&format=erf", 400, "unknown format 'erf'"},
      {"/pcap/splittime?Start=1&Stop=2&Foo=1", 400, "unknown parameter 'Foo'"},
      {"/pcap/splittime?Start=1&Stop=2&StreamName=../x", 400, "invalid StreamName"},
      {"/pcap/single?StreamName=mid&Filter=(tcp.port%3D%3D1", 400, "expected ')'"},
      {"/plain/split?StreamView=split_2sec", 400, "StreamView: unknown split view 'split_2sec'"},
      {"/plain/split", 400, "missing parameter StreamView"},
      {"/plain/split?StreamView=split_1sec&format=xml", 400, "format: csv or json"},
      {"/plain/view?StreamName=nosuch", 404, "no capture named nosuch"},
      {"/plain/split?StreamName=nosuch&StreamView=split_1sec", 404, "no capture named nosuch"},
  };
  for (const Case& c : cases) {
    Reply r = get(c.path);
    EXPECT_EQ(r.status, c.status) << c.path << ": " << r.body;
    EXPECT_NE(r.body.find(c.says), std::string::npos) << c.path << ": " << r.body;
    EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << "one line: " << r.body;
  }
  // Outside the ring: 416 with what is there; outside a capture: the capture's span.
  const int64_t after = recs_.back().ts + base::kNsPerSec;
  Reply late = get("/pcap/splittime?Start=" + std::to_string(after) +
                   "&Stop=" + std::to_string(after + 1000));
  EXPECT_EQ(late.status, 416);
  EXPECT_EQ(late.header("X-Snapflow-Oldest-Ns"), std::to_string(recs_.front().ts));
  EXPECT_EQ(late.header("X-Snapflow-Newest-Ns"), std::to_string(recs_.back().ts));
  EXPECT_NE(late.body.find("is outside the ring's data (oldest 2026-11-23T"), std::string::npos)
      << late.body;
  Reply early = get("/pcap/splittime?Start=1000&Stop=2000");
  EXPECT_EQ(early.status, 416);
  Reply capture =
      get("/pcap/splittime?StreamName=mid&Start=" + std::to_string(recs_[kCaptureLast + 10].ts) +
          "&Stop=" + std::to_string(recs_[kCaptureLast + 20].ts));
  EXPECT_EQ(capture.status, 416) << capture.body;
  EXPECT_NE(capture.body.find("outside capture mid"), std::string::npos) << capture.body;
  // Inside the ring but between two records: an empty, valid PCAP.
  size_t gap = 1;
  while (recs_[gap].ts - recs_[gap - 1].ts < 2) ++gap;
  const std::string empty =
      download("/pcap/splittime?Start=" + std::to_string(recs_[gap - 1].ts + 1) +
               "&Stop=" + std::to_string(recs_[gap].ts));
  EXPECT_EQ(empty.size(), pcap::kPcapFileHeaderBytes);
  // HEAD: the headers a GET would get, no body.
  RequestOptions head;
  head.method = "HEAD";
  Reply h = get("/pcap/splittime?Start=" + inside + "&Stop=" + std::to_string(recs_[50].ts), head);
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.body.empty());
}

TEST_F(RetrievalApi, BoundsAreEnforced) {
  RetrievalLimits limits;
  limits.max_window_ns = base::kNsPerSec;
  limits.max_filter_bytes = 64;
  limits.max_points = 50;
  limits.max_split_rows = 3;
  start_server(limits);
  const int64_t a = recs_[10].ts;
  Reply wide = get("/pcap/splittime?Start=" + std::to_string(a) +
                   "&Stop=" + std::to_string(a + 2 * base::kNsPerSec));
  EXPECT_EQ(wide.status, 400);
  EXPECT_NE(wide.body.find("longer than the limit of 1000000000 ns"), std::string::npos);
  EXPECT_EQ(get("/pcap/splittime?Start=" + std::to_string(a) +
                "&Stop=" + std::to_string(a + base::kNsPerSec))
                .status,
            200);
  const std::string long_filter(70, ' ');
  Reply filter_len =
      get("/pcap/splittime?Start=1&Stop=2&Filter=tcp.port%3D%3D1" + url_encode(long_filter));
  EXPECT_EQ(filter_len.status, 400);
  EXPECT_NE(filter_len.body.find("filter longer than 64 bytes"), std::string::npos);
  Reply bpf_len = get("/pcap/splittime?Start=1&Stop=2&FilterBPF=tcp" + url_encode(long_filter));
  EXPECT_EQ(bpf_len.status, 400) << bpf_len.body;
  Reply points = get("/ring/bandwidth?Points=51");
  EXPECT_EQ(points.status, 400);
  EXPECT_NE(points.body.find("Points: "), std::string::npos);
  EXPECT_EQ(get("/ring/bandwidth?Points=50").status, 200);
  Reply rows = get("/plain/split?StreamView=split_1sec");
  EXPECT_EQ(rows.status, 400);
  EXPECT_NE(rows.body.find("more than 3 rows"), std::string::npos) << rows.body;
  EXPECT_EQ(get("/plain/split?StreamView=split_1hour").status, 200);
}

TEST(RetrievalConfig, BoundsComeFromTheApiSettings) {
  CaptureConfig c;
  c.source = "pcap:eth0";
  c.ring_dir = "/tmp/ring";
  c.credentials = make_credentials("admin", "secret");
  EXPECT_EQ(c.api_max_window_ns, int64_t{86400} * base::kNsPerSec);
  EXPECT_EQ(c.api_max_filter_bytes, 4096u);
  EXPECT_EQ(c.api_max_points, 100'000u);
  EXPECT_EQ(c.api_max_split_rows, 100'000u);
  ASSERT_TRUE(apply_setting(c, "api-max-window", "10m").ok());
  ASSERT_TRUE(apply_setting(c, "api-max-filter-bytes", "1K").ok());
  ASSERT_TRUE(apply_setting(c, "api-max-points", "5000").ok());
  ASSERT_TRUE(apply_setting(c, "api-max-split-rows", "777").ok());
  ASSERT_TRUE(validate(c).ok());
  auto options = api_options_from_config(c);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->retrieval.max_window_ns, 600 * base::kNsPerSec);
  EXPECT_EQ(options->retrieval.max_filter_bytes, 1024u);
  EXPECT_EQ(options->retrieval.max_points, 5000u);
  EXPECT_EQ(options->retrieval.max_split_rows, 777u);
  ASSERT_TRUE(apply_setting(c, "api-max-window", "0").ok());
  EXPECT_EQ(c.api_max_window_ns, 0);
  EXPECT_TRUE(validate(c).ok());
  struct Bad {
    const char* key;
    const char* value;
    const char* says;
  };
  for (const Bad& b : {Bad{"api-max-window", "5ms", "--api-max-window="},
                       Bad{"api-max-window", "soon", "--api-max-window=soon"},
                       Bad{"api-max-filter-bytes", "10", "--api-max-filter-bytes=10"},
                       Bad{"api-max-points", "0", "--api-max-points=0"},
                       Bad{"api-max-points", "100001", "--api-max-points=100001"},
                       Bad{"api-max-split-rows", "0", "--api-max-split-rows=0"}}) {
    CaptureConfig d = c;
    auto st = apply_setting(d, b.key, b.value);
    if (st.ok()) st = validate(d);
    ASSERT_FALSE(st.ok()) << b.key << "=" << b.value;
    EXPECT_NE(st.error().message().find(b.says), std::string::npos) << st.error().message();
  }
}

}  // namespace
}  // namespace snapflow::capture::testing
