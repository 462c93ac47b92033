// Fuzzes what the capture API does with a request's untrusted parts once libmicrohttpd has
// split it: routing and parameter validation of every handler (handle_request, with an
// in-memory control), the Authorization header (check_basic_auth), the browser origin checks
// (cross_site_refusal) and CSRF tokens (CsrfTokens::verify). Input: NUL-separated fields —
// method, path, Authorization, Sec-Fetch-Site, Origin, Referer, Host, X-CSRF-Token, then query
// arguments as name=value. Traps on an answer outside the statuses the API documents.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/capture/api.h"
#include "snapflow/capture/api_security.h"
#include "snapflow/capture/auth.h"

namespace {

using namespace snapflow;
using namespace snapflow::capture;

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
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
  FuzzControl control;
  ApiContext context{control, &tokens};
  ApiResponse answer = handle_request(request, context);
  switch (answer.status) {
    case 200:
    case 304:
    case 308:
    case 400:
    case 404:
    case 405:
    case 409:
      break;
    default:
      __builtin_trap();
  }
  if (answer.stream) {
    std::vector<std::byte> piece;
    while (true) {
      piece.clear();
      auto more = answer.stream->next(piece, 4096);
      if (!more || !*more) break;
    }
  }
  return 0;
}
