// The retrieval listings and side endpoints over real HTTP on a real ring
// (api_retrieval_util.h): every link /plain/list, /plain/view and /plain/split serve is
// followed and each download's size and count equal what its row said; /ring/bandwidth's
// sums equal the ring's totals and its points a reference from the records; /filter/check's
// normalised text, positions and tokens; and a slow download of a ring the writer laps ends
// with whole records only and counts the skipped ones in its trailer.
#include <sys/socket.h>

#include <functional>

#include "api_retrieval_util.h"

namespace snapflow::capture::testing {
namespace {

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
