// The retrieval endpoints over real HTTP (libmicrohttpd server, libcurl client) on a real ring
// written with the RingWriter and served by the ring-backed CaptureService:
//   /pcap/splittime   random windows byte-equal to a reference cut of the written records,
//                     every time form, PCAPNG, filters (against PacketFilter on the same
//                     records), trailers, and the 400/404/416 answers;
//   /pcap/single      filtered and PCAPNG through the same download;
//   links             every link /plain/list, /plain/view and /plain/split serve is followed,
//                     and each download's size and count equal what its row said;
//   /ring/bandwidth   sums equal to the ring's totals, points equal to a reference from the
//                     records, the contract's JSON and its bounds;
//   /filter/check     normalised text, positions and tokens;
//   overwrites        a slow download of a ring the writer laps ends with whole records only
//                     and counts the skipped ones in its trailer.
// The daemon end to end (libpcap capture, editcap and tcpdump as references) is
// tests/e2e/retrieval_e2e_test.py.
#include <simdjson.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <functional>
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
namespace {

constexpr int64_t kBaseNs = 1'795'392'000'000'000'000;  // 2026-11-23T00:00:00Z

struct Rec {
  int64_t ts = 0;
  std::vector<std::byte> data;
  uint32_t wire = 0;
};

// Plain IPv4/IPv6 TCP/UDP/ICMP and VXLAN-mirrored traffic, interleaved, ~4 s of records with
// bursts of equal timestamps and a few gaps.
std::vector<Rec> make_records(size_t n, uint64_t seed) {
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

std::string pcap_of(const std::vector<Rec>& recs, size_t from, size_t to,
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
std::pair<size_t, size_t> window_of(const std::vector<Rec>& recs, int64_t start, int64_t stop) {
  auto by_ts = [](const Rec& r, int64_t t) { return r.ts < t; };
  return {
      static_cast<size_t>(std::lower_bound(recs.begin(), recs.end(), start, by_ts) - recs.begin()),
      static_cast<size_t>(std::lower_bound(recs.begin(), recs.end(), stop, by_ts) - recs.begin())};
}

std::string url_encode(std::string_view s) {
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

size_t record_count(const std::string& pcap) {
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

// Every link the API hands out works, and what it serves is what the row said.
TEST_F(RetrievalApi, EveryLinkServedIsFollowed) {
  Reply list = get("/plain/list");
  ASSERT_EQ(list.status, 200);
  std::vector<std::string> view_links = {"/plain/view", "/plain/view?format=json"};
  size_t downloads = 0;
  std::istringstream lines(list.body);
  std::string line;
  while (std::getline(lines, line)) {
    // name,size,packets,start,single link,view link
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 6u) << line;
    const std::string body = download(f[4]);
    EXPECT_EQ(std::to_string(body.size()), f[1]) << line;
    EXPECT_EQ(std::to_string(record_count(body)), f[2]) << line;
    ++downloads;
    view_links.push_back(f[5]);
    view_links.push_back(f[5] + "&format=json");
  }
  ASSERT_EQ(view_links.size(), 4u);
  simdjson::dom::parser parser;
  size_t splits = 0;
  for (const std::string& view : view_links) {
    Reply v = get(view);
    ASSERT_EQ(v.status, 200) << view << ": " << v.body;
    std::vector<std::string> split_links;
    if (view.ends_with("format=json")) {
      EXPECT_EQ(v.header("Content-Type"), "application/json");
      simdjson::dom::element doc;
      ASSERT_EQ(parser.parse(v.body).get(doc), simdjson::SUCCESS) << v.body;
      for (simdjson::dom::element row : doc["views"].get_array()) {
        split_links.emplace_back(std::string_view(row["link"].get_string()));
      }
    } else {
      std::istringstream rows(v.body);
      for (std::string row; std::getline(rows, row);) {
        split_links.push_back(row.substr(row.find(',') + 1));
      }
    }
    ASSERT_EQ(split_links.size(), 13u) << view;
    for (const std::string& link : split_links) {
      const bool json = splits % 2 == 1;  // alternate the two forms over the 52 links
      Reply s = get(json ? link + "&format=json" : link);
      ASSERT_EQ(s.status, 200) << link << ": " << s.body;
      ++splits;
      struct Row {
        std::string url;
        uint64_t bytes;
        uint64_t packets;
      };
      std::vector<Row> rows;
      uint64_t total = 0;
      if (json) {
        simdjson::dom::element doc;
        ASSERT_EQ(parser.parse(s.body).get(doc), simdjson::SUCCESS) << s.body;
        for (simdjson::dom::element row : doc["splits"].get_array()) {
          rows.push_back({std::string(std::string_view(row["url"].get_string())),
                          uint64_t(row["size_bytes"].get_uint64()),
                          uint64_t(row["packets"].get_uint64())});
        }
        total = uint64_t(doc["packets"].get_uint64());
      } else {
        std::istringstream csv(s.body);
        for (std::string row; std::getline(csv, row);) {
          std::vector<std::string> f;
          std::istringstream fields(row);
          for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
          ASSERT_EQ(f.size(), 4u) << row;
          rows.push_back({f[3], std::stoull(f[1]), std::stoull(f[2])});
          total += rows.back().packets;
        }
      }
      ASSERT_FALSE(rows.empty()) << link;
      const bool capture = link.find("StreamName=mid") != std::string::npos;
      EXPECT_EQ(total, capture ? kCaptureLast - kCaptureFirst : recs_.size()) << link;
      uint64_t sum = 0;
      for (const Row& row : rows) {
        const std::string body = download(row.url);
        ++downloads;
        EXPECT_EQ(body.size(), row.bytes) << row.url;
        EXPECT_EQ(record_count(body), row.packets) << row.url;
        sum += row.packets;
      }
      EXPECT_EQ(sum, total) << link;
    }
  }
  EXPECT_EQ(splits, 52u);
  EXPECT_GT(downloads, 100u);
}

TEST_F(RetrievalApi, BandwidthMatchesTheRecords) {
  simdjson::dom::parser parser;
  struct Query {
    std::string args;
    size_t lo, hi;  // records it may count
  };
  const std::string a = std::to_string(recs_[2'000].ts);
  const std::string b = std::to_string(recs_[9'000].ts);
  for (const Query& q : {Query{"", 0, kRecords}, Query{"?Points=100000", 0, kRecords},
                         Query{"?Points=17&Start=" + a + "&Stop=" + b, 0, kRecords},
                         Query{"?StreamName=mid&Points=333", kCaptureFirst, kCaptureLast}}) {
    Reply r = get("/ring/bandwidth" + q.args);
    ASSERT_EQ(r.status, 200) << q.args << ": " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("X-Snapflow-Bandwidth-Exact"), "true") << q.args;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
    // Exactly the contract's keys, in its order.
    std::vector<std::string> keys;
    for (auto field : doc.get_object()) keys.emplace_back(field.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"start_ns", "stop_ns", "step_ns", "oldest_ns",
                                              "newest_ns", "points"}));
    const int64_t start = doc["start_ns"].get_int64();
    const int64_t step = doc["step_ns"].get_int64();
    EXPECT_EQ(step % base::kNsPerMs, 0);
    EXPECT_EQ(int64_t(doc["oldest_ns"].get_int64()), recs_[q.lo].ts);
    EXPECT_EQ(int64_t(doc["newest_ns"].get_int64()), recs_[q.hi - 1].ts);
    uint64_t packets = 0;
    size_t k = 0;
    for (simdjson::dom::element point : doc["points"].get_array()) {
      simdjson::dom::array p = point.get_array();
      const int64_t t = p.at(0).get_int64();
      EXPECT_EQ(t, start + static_cast<int64_t>(k) * step);
      const auto [wlo, whi] = window_of(recs_, t, t + step);
      uint64_t want_packets = 0;
      uint64_t want_bytes = 0;
      for (size_t i = std::max(wlo, q.lo); i < std::min(whi, q.hi); ++i) {
        ++want_packets;
        want_bytes += recs_[i].wire;
      }
      EXPECT_EQ(uint64_t(p.at(1).get_uint64()), want_packets) << q.args << " point " << k;
      EXPECT_EQ(uint64_t(p.at(2).get_uint64()), want_bytes) << q.args << " point " << k;
      packets += p.at(1).get_uint64();
      ++k;
    }
    if (q.args.find("Start") == std::string::npos) {
      EXPECT_EQ(packets, q.hi - q.lo) << q.args;  // sums to the ring's / capture's totals
    }
  }
  EXPECT_EQ(get("/ring/bandwidth?Points=0").status, 400);
  EXPECT_EQ(get("/ring/bandwidth?Points=100001").status, 400);
  EXPECT_EQ(get("/ring/bandwidth?Start=5&Stop=5").status, 400);
  EXPECT_EQ(get("/ring/bandwidth?StreamName=nosuch").status, 404);
}

TEST_F(RetrievalApi, FilterCheck) {
  simdjson::dom::parser parser;
  struct Case {
    std::string query;
    int status;
    std::string_view filter;  // normalised (200)
    int64_t position;         // (400)
    std::string_view token;
  };
  for (const Case& c : {
           Case{"Filter=tcp.port%20%3D%3D%20443", 200, "tcp.port==443", 0, ""},
           Case{"Filter=" + url_encode("all_tcp:ipv4.proto==6;expr=all_tcp & !udp.port==53"), 200,
                "all_tcp:ipv4.proto==tcp;expr=all_tcp & !udp.port==53", 0, ""},
           Case{"FilterBPF=tcp%20%20port%20443", 200, "tcp port 443", 0, ""},
           Case{"Filter=tcp.prot%3D%3D80", 400, "", 1, "tcp.prot"},
           Case{"Filter=" + url_encode("tcp.port==80 & (udp.port==5"), 400, "", 28, ""},
           Case{"Filter=" + url_encode("ipv4.addr==10.0.0.256"), 400, "", 12, "10.0.0.256"},
           Case{"FilterBPF=tcp%20port%20http2x", 400, "", 10, "http2x"},
           Case{"FilterBPF=tcp%20prt%2080", 400, "", 0, ""},
           Case{"Filter=a&FilterBPF=b", 400, "", 0, ""},
           Case{"", 400, "", 0, ""},
           Case{"Filter=%01", 400, "", 1, "\\x01"},
       }) {
    Reply r = get("/filter/check?" + c.query);
    EXPECT_EQ(r.status, c.status) << c.query << ": " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(r.body).get(doc), simdjson::SUCCESS) << r.body;
    if (c.status == 200) {
      EXPECT_TRUE(bool(doc["ok"].get_bool()));
      EXPECT_EQ(std::string_view(doc["filter"].get_string()), c.filter) << c.query;
    } else {
      EXPECT_FALSE(bool(doc["ok"].get_bool()));
      EXPECT_EQ(int64_t(doc["position"].get_int64()), c.position) << c.query << ": " << r.body;
      EXPECT_EQ(std::string_view(doc["token"].get_string()), c.token) << c.query;
      EXPECT_FALSE(std::string_view(doc["message"].get_string()).empty());
    }
  }
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

// A GET whose client stops reading for two seconds at its first byte (the server fills the
// socket buffers and then waits), calling on_first_byte, then reads at full speed.
struct PausingClient {
  Reply reply;
  std::function<void()> on_first_byte;
  bool paused = false;
};

size_t pause_then_append(char* data, size_t size, size_t n, void* user) {
  auto* client = static_cast<PausingClient*>(user);
  if (!client->paused) {
    client->paused = true;
    client->on_first_byte();
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  client->reply.body.append(data, size * n);
  return size * n;
}

Reply pausing_download(const std::string& url, std::function<void()> on_first_byte) {
  PausingClient client{{}, std::move(on_first_byte)};
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, "admin:secret");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60'000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &pause_then_append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &client);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &append_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &client.reply);
  client.reply.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &client.reply.status);
  curl_easy_cleanup(curl);
  return client.reply;
}

// A download slower than the writer: the ring is lapped under it. What arrives is whole
// records, each one of the ring's; the trailer counts those skipped, and sent + skipped is
// the window planned.
TEST(RetrievalApiOverwrite, LappedDownloadSkipsAndCountsWholeRecords) {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/snapflow-api-lap-" +
                          std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ring::RingConfig config;
  config.dir = dir;
  config.segment_bytes = 1 << 20;
  config.segment_count = 8;
  config.write_block_bytes = 256 << 10;
  config.snaplen = 65535;
  auto writer = ring::RingWriter::open(config);
  ASSERT_TRUE(writer.ok());
  // Record i: 200 bytes whose first 8 carry i.
  auto record = [](uint64_t i) {
    std::vector<std::byte> data(200, std::byte{0x5a});
    std::memcpy(data.data(), &i, sizeof i);
    return data;
  };
  constexpr uint64_t kWindow = 40'000;  // ~8.6 MB: more than the 8 MiB ring holds
  uint64_t next = 0;
  auto write_more = [&](uint64_t n) {
    for (uint64_t k = 0; k < n; ++k, ++next) {
      ASSERT_TRUE(
          (*writer)->append(kBaseNs + static_cast<int64_t>(next) * 1000, record(next), 200).ok());
    }
    ASSERT_TRUE((*writer)->commit().ok());
  };
  write_more(kWindow);
  base::Logger log("lap-test", base::LogLevel::kError);
  CaptureStatus status(base::now_monotonic_ns());
  auto service = CaptureService::open(**writer, nullptr, status, log);
  ASSERT_TRUE(service.ok());
  ApiServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.credentials = make_credentials("admin", "secret");
  auto server = ApiServer::start(options, **service, log);
  ASSERT_TRUE(server.ok());
  // While the client pauses, the writer laps the ring (~10 MB): what the server had not yet
  // handed to the kernel is overwritten.
  std::thread lapper;
  Reply r = pausing_download("http://127.0.0.1:" + std::to_string((*server)->port()) +
                                 "/pcap/splittime?Start=" + std::to_string(kBaseNs) +
                                 "&Stop=" + std::to_string(kBaseNs + kWindow * 1000),
                             [&] { lapper = std::thread([&] { write_more(kWindow + 8'000); }); });
  if (lapper.joinable()) lapper.join();
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.code, CURLE_OK);
  ASSERT_TRUE(ends_on_record_boundary(r.body));
  const uint64_t sent = std::stoull(r.header("X-Snapflow-Records"));
  const uint64_t skipped = std::stoull(r.header("X-Snapflow-Records-Skipped"));
  const uint64_t window = std::stoull(r.header("X-Snapflow-Window-Packets"));
  EXPECT_GT(skipped, 0u);
  EXPECT_GT(sent, 0u);
  EXPECT_EQ(sent, record_count(r.body));
  EXPECT_EQ(sent + skipped, window);
  // Every record is intact and one of the window's, in increasing order.
  size_t at = pcap::kPcapFileHeaderBytes;
  int64_t last = -1;
  while (at < r.body.size()) {
    uint32_t caplen = 0;
    std::memcpy(&caplen, r.body.data() + at + 8, 4);
    ASSERT_EQ(caplen, 200u);
    uint64_t i = 0;
    std::memcpy(&i, r.body.data() + at + 16, sizeof i);
    const auto want = record(i);
    ASSERT_EQ(std::memcmp(r.body.data() + at + 16, want.data(), want.size()), 0) << "record " << i;
    ASSERT_LT(i, kWindow);
    ASSERT_GT(static_cast<int64_t>(i), last);
    last = static_cast<int64_t>(i);
    at += 16 + caplen;
  }
  server->reset();
  service->reset();
  (void)(*writer)->close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace snapflow::capture::testing
