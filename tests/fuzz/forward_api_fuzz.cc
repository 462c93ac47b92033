// Fuzzes the rules API's query parameters (/forward/* and /mirror/sessions, routes_forward.cc)
// against a real RuleStore: sequences of requests (add, change mode, delete, list, history,
// status) with arbitrary parameter names and values. Input: requests separated by '\n', each
// NUL-separated fields: path, then query arguments as name=value. The store lives in a private
// directory (tmpfs when available: every accepted change is fsynced) and is emptied at the
// start of each input, so inputs are independent. Traps on an answer outside the statuses the
// API documents, on a malformed answer, and when the store disagrees with what was answered.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cloud_sources.h"
#include "snapflow/capture/api.h"

namespace {

using namespace snapflow;
using namespace snapflow::capture;

class NoCaptures final : public CaptureControl {
 public:
  StatusSnapshot status() override { return {}; }
  base::Result<std::string> start_capture(const std::string&) override { return std::string(); }
  base::Result<std::string> stop_capture() override { return std::string(); }
  std::vector<CaptureInfo> list_captures() override { return {}; }
  base::Result<std::unique_ptr<RecordSource>> open_capture(const std::string&) override {
    return base::make_error(base::ErrorCode::kNotFound, "none");
  }
};

struct Fixture {
  Fixture() {
    const std::string root = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    dir = root + "/snapflow-forward-api-fuzz-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    forward::Ports ports(
        {*forward::parse_port_config("10.1.0.1/24,10.1.0.5/24,2001:db8:1::1/64"),
         *forward::parse_port_config("10.2.0.1/24,2001:db8:2::1/64,via=10.2.0.254")});
    auto store = forward::RuleStore::open(dir, ports);
    if (!store) __builtin_trap();
    (*store)->set_history_horizon(INT64_MAX);  // closed versions do not pile up between inputs
    cloud.adopt_rules(std::move(*store));
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
  std::string dir;
  CloudRuntime cloud;
  NoCaptures captures;
};

bool answered_ok(const ApiResponse& r, const std::string& path) {
  // Other routes (the UI's redirect and files, retrieval, status) have their own fuzz target
  // (api_request_fuzz); reaching them here only has to give a real HTTP status.
  const bool cloud_route = path.rfind("/forward/", 0) == 0 || path.rfind("/mirror/", 0) == 0;
  if (!cloud_route) return r.status >= 100 && r.status <= 599;
  switch (r.status) {
    case 200:
    case 400:
    case 404:
    case 405:
    case 409:
      break;
    default:
      return false;
  }
  if (r.body.empty() || r.body.back() != '\n') return r.status == 200 && r.body.empty();
  const bool action =
      path == "/forward/rule_add" || path == "/forward/rule_del" || path == "/forward/rule_mode";
  if (action && r.status != 405 && r.body.rfind("{\"Status\":", 0) != 0) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  forward::RuleStore& rules = *fixture.cloud.rules();
  if (!rules.rules_view()->empty() && !rules.reconcile({}).ok()) __builtin_trap();

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  ApiContext context{fixture.captures, nullptr, nullptr, &fixture.cloud};
  for (int n = 0; n < 16 && !rest.empty(); ++n) {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ApiRequest request;
    request.method = "GET";
    request.user = "admin";
    size_t field = 0;
    while (true) {
      const size_t nul = line.find('\0');
      const std::string_view f = line.substr(0, nul);
      if (field++ == 0) {
        request.path = f;
      } else if (request.args.size() < 16) {
        const size_t eq = f.find('=');
        request.args.emplace_back(f.substr(0, eq),
                                  eq == std::string_view::npos ? "" : f.substr(eq + 1));
      }
      if (nul == std::string_view::npos) break;
      line.remove_prefix(nul + 1);
    }
    const size_t before = rules.rules_view()->size();
    const ApiResponse answer = handle_request(request, context);
    if (!answered_ok(answer, request.path)) __builtin_trap();
    const size_t after = rules.rules_view()->size();
    // Only a successful add or delete changes how many rules there are, by exactly one.
    const bool added = request.path == "/forward/rule_add" && answer.status == 200;
    const bool deleted = request.path == "/forward/rule_del" && answer.status == 200;
    if (after != before + (added ? 1 : 0) - (deleted ? 1 : 0)) __builtin_trap();
    if (added) {
      const size_t at = answer.body.find("\"Id\":");
      if (at == std::string::npos) __builtin_trap();
      const uint32_t id = static_cast<uint32_t>(std::stoul(answer.body.substr(at + 5)));
      if (!rules.get(id)) __builtin_trap();
    }
  }
  // The ids in force are unique and ascending (the table was built from them).
  const auto view = rules.rules_view();
  for (size_t i = 1; i < view->size(); ++i) {
    if ((*view)[i - 1].id >= (*view)[i].id) __builtin_trap();
  }
  return 0;
}
