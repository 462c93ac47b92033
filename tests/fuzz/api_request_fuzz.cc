// Fuzzes what the capture API does with a request's untrusted parts once libmicrohttpd has
// split it: routing and parameter validation of every handler (handle_request), the
// Authorization header (check_basic_auth), the browser origin checks (cross_site_refusal) and
// CSRF tokens (CsrfTokens::verify). Input: NUL-separated fields — method, path, Authorization,
// Sec-Fetch-Site, Origin, Referer, Host, X-CSRF-Token, then query arguments as name=value.
//
// The control serves a real ring (written once per process into a temporary directory: plain
// and VXLAN traffic over ~3 s, a named capture "a"), so the retrieval routes run all the way:
// Start/Stop/StreamName/Filter/FilterBPF/format of /pcap/splittime and /pcap/single (planned
// and streamed to the end), StreamView of /plain/split, Points of /ring/bandwidth, the filter
// check. Traps on an answer outside the statuses the API documents, and on a PCAP download
// that is not whole records.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/capture/api.h"
#include "snapflow/capture/api_security.h"
#include "snapflow/capture/auth.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/writer.h"
#include "snapflow/synth/generator.h"

namespace {

using namespace snapflow;
using namespace snapflow::capture;

constexpr int64_t kBaseNs = 1'795'392'000'000'000'000;  // 2026-11-23T00:00:00Z

[[noreturn]] void setup_failed(const std::string& what) {
  std::fprintf(stderr, "api_request_fuzz: cannot set up the ring: %s\n", what.c_str());
  std::abort();
}

// The ring every input reads: written at first use, removed at exit.
class FuzzRing {
 public:
  FuzzRing() : dir_("/tmp/snapflow-fuzz-api-" + std::to_string(::getpid())) {
    std::filesystem::remove_all(dir_);
    ring::RingConfig config;
    config.dir = dir_;
    config.segment_bytes = 128 << 10;  // a whole snaplen record must fit
    config.segment_count = 4;
    config.write_block_bytes = 16 << 10;
    config.index_interval_bytes = 4 << 10;
    config.snaplen = 65535;
    auto writer = ring::RingWriter::open(config);
    if (!writer.ok()) setup_failed(writer.error().to_string());
    std::vector<std::vector<std::byte>> frames;
    for (synth::Tunnel tunnel : {synth::Tunnel::kNone, synth::Tunnel::kVxlan}) {
      synth::GeneratorConfig g;
      g.flows = 20;
      g.packets = 300;
      g.size_mode = synth::SizeMode::kImix;
      g.ipv6_per_million = 300'000;
      g.icmp_weight = 1;
      g.tunnel = tunnel;
      auto ok = synth::generate(g, [&](int64_t, std::span<const std::byte> f) {
        frames.emplace_back(f.begin(), f.end());
        return base::ok_status();
      });
      if (!ok.ok()) setup_failed(ok.error().to_string());
    }
    ring::RingPosition start, stop;
    for (size_t i = 0; i < frames.size(); ++i) {
      if (i == 150 || i == 450) {
        if (auto st = (*writer)->commit(); !st.ok()) setup_failed(st.error().to_string());
        (i == 150 ? start : stop) = (*writer)->committed_position();
      }
      const auto& f = frames[(i % 2) * 300 + i / 2];
      const int64_t ts = kBaseNs + static_cast<int64_t>(i) * 5'000'000 - (i % 7 == 0 ? 0 : 1);
      auto st = (*writer)->append(ts, f, static_cast<uint32_t>(f.size()));
      if (!st.ok()) setup_failed(st.error().to_string());
    }
    if (auto st = (*writer)->close(); !st.ok()) setup_failed(st.error().to_string());
    auto catalog = ring::CaptureCatalog::open(dir_);
    if (!catalog.ok()) setup_failed(catalog.error().to_string());
    if (auto st = catalog->start("a", start, kBaseNs); !st.ok()) {
      setup_failed(st.error().to_string());
    }
    if (auto st = catalog->stop(stop, kBaseNs + 3'000'000'000); !st.ok()) {
      setup_failed(st.error().to_string());
    }
  }
  ~FuzzRing() { std::filesystem::remove_all(dir_); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

class NoRecords final : public RecordSource {
 public:
  uint16_t link_type() const override { return 1; }
  uint32_t snaplen() const override { return 65535; }
  uint64_t skipped_records() const override { return 0; }
  base::Result<bool> next_batch(pcap::PacketBatch& batch) override {
    batch.clear();
    return false;
  }
};

class FuzzControl final : public CaptureControl {
 public:
  explicit FuzzControl(const std::string& ring_dir) : ring_dir_(ring_dir) {}
  StatusSnapshot status() override { return {}; }
  base::Result<std::string> start_capture(const std::string& name) override {
    if (!is_valid_stream_name(name)) __builtin_trap();  // the route must have checked
    return "started " + name;
  }
  base::Result<std::string> stop_capture() override {
    return base::make_error(base::ErrorCode::kNotFound, "no capture is active");
  }
  std::vector<CaptureInfo> list_captures() override { return {{"a", 24, 0, 0, 0, false}}; }
  base::Result<std::unique_ptr<RecordSource>> open_capture(const std::string& name) override {
    if (!is_valid_stream_name(name)) __builtin_trap();
    if (name != "a") return base::make_error(base::ErrorCode::kNotFound, "no capture " + name);
    return std::unique_ptr<RecordSource>(new NoRecords());
  }
  base::Result<std::unique_ptr<extract::RingIndex>> open_ring_index() override {
    return extract::RingIndex::open(ring_dir_);
  }

 private:
  std::string ring_dir_;
};

// A PCAP download must be the file header and whole records, nothing else.
bool whole_records(const std::vector<std::byte>& body) {
  if (body.size() < 24) return false;
  size_t at = 24;
  while (at + 16 <= body.size()) {
    uint32_t caplen = 0;
    std::memcpy(&caplen, body.data() + at + 8, 4);
    at += 16 + static_cast<size_t>(caplen);
  }
  return at == body.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FuzzRing ring;
  std::vector<std::string> fields;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (fields.size() < 48) {
    const size_t nul = rest.find('\0');
    fields.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  fields.resize(std::max<size_t>(fields.size(), 8));

  const Credentials credentials = make_credentials("admin", "secret");
  (void)check_basic_auth(fields[2], credentials);
  RequestOrigin origin{fields[3], fields[4], fields[5], fields[6], (size & 1) != 0};
  (void)cross_site_refusal(origin);
  const CsrfTokens tokens(std::array<uint8_t, 32>{});
  (void)tokens.verify(fields[7], "admin", 1'700'000'000'000'000'000);

  ApiRequest request;
  request.method = fields[0];
  request.path = fields[1];
  request.user = "admin";
  for (size_t i = 8; i < fields.size(); ++i) {
    const size_t eq = fields[i].find('=');
    request.args.emplace_back(fields[i].substr(0, eq),
                              eq == std::string::npos ? "" : fields[i].substr(eq + 1));
  }
  FuzzControl control(ring.dir());
  RetrievalLimits limits;  // small enough that every input stays fast
  limits.max_points = 2000;
  limits.max_split_rows = 2000;
  ApiContext context{control, &tokens, &limits};
  ApiResponse answer = handle_request(request, context);
  switch (answer.status) {
    case 200:
    case 304:
    case 308:
    case 400:
    case 404:
    case 405:
    case 409:
    case 416:
      break;
    default:
      __builtin_trap();
  }
  if (answer.stream) {
    std::vector<std::byte> body;
    std::vector<std::byte> piece;
    while (true) {
      piece.clear();
      auto more = answer.stream->next(piece, 4096);
      if (!more) __builtin_trap();  // a ring that is not written to never fails a download
      body.insert(body.end(), piece.begin(), piece.end());
      if (!*more) break;
    }
    if (answer.content_type == "application/vnd.tcpdump.pcap" && !whole_records(body)) {
      __builtin_trap();
    }
  }
  return 0;
}
