// Requests and plans: parameter parsing, scope (named capture or whole ring), the window's
// boundaries, and the "outside the ring" verdict.
#include "snapflow/base/time.h"
#include "snapflow/extract/extract.h"
#include "snapflow/ring/catalog.h"
#include "window_text.h"

namespace snapflow::extract {
namespace {

constexpr size_t kMaxStreamNameBytes = 64;

bool valid_stream_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxStreamNameBytes || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

base::Error invalid(std::string message) {
  return invalid_request(std::move(message));
}

const ring::RingPosition& earlier(const ring::RingPosition& a, const ring::RingPosition& b) {
  return b.packets < a.packets ? b : a;
}
const ring::RingPosition& later(const ring::RingPosition& a, const ring::RingPosition& b) {
  return b.packets > a.packets ? b : a;
}

}  // namespace

base::Result<OutputFormat> parse_output_format(std::string_view name) {
  if (name == "pcap") return OutputFormat::kPcap;
  if (name == "pcapng") return OutputFormat::kPcapng;
  return invalid("unknown format '" + std::string(name.substr(0, 32)) + "' (pcap or pcapng)");
}

base::Result<ExtractRequest> make_request(const RequestText& text, const ExtractLimits& limits) {
  ExtractRequest r;
  auto window = parse_window_times(text.start, text.stop);
  if (!window.ok()) return std::move(window).error();
  r.start_ns = window->start_ns;
  r.stop_ns = window->stop_ns;
  if (r.start_ns && r.stop_ns && limits.max_window_ns > 0 &&
      *r.stop_ns - *r.start_ns > limits.max_window_ns) {
    return invalid("window of " + std::to_string(*r.stop_ns - *r.start_ns) +
                   " ns is longer than the limit of " + std::to_string(limits.max_window_ns) +
                   " ns");
  }
  if (text.stream) {
    if (!valid_stream_name(*text.stream)) {
      return invalid(
          "invalid StreamName: use 1-64 characters from A-Z a-z 0-9 . _ - , not starting with "
          "'.'");
    }
    r.stream = std::string(*text.stream);
  }
  if (text.filter) {
    if (text.filter->empty()) return invalid("Filter is empty");
    r.filter = std::string(*text.filter);
  }
  if (text.bpf) {
    if (text.bpf->empty()) return invalid("FilterBPF is empty");
    r.bpf = std::string(*text.bpf);
  }
  if (text.format) {
    auto f = parse_output_format(*text.format);
    if (!f.ok()) return std::move(f).error();
    r.format = *f;
  }
  return r;
}

std::string ExtractPlan::outside_message() const {
  const std::string where =
      request.stream.empty() ? "the ring's data" : "capture " + request.stream;
  std::string window = "[" + (request.start_ns ? base::format_rfc3339_ns(*request.start_ns) : "") +
                       ", " + (request.stop_ns ? base::format_rfc3339_ns(*request.stop_ns) : "") +
                       ")";
  if (available_first_ns == 0 && available_last_ns == 0) {
    return "window " + window + " is outside " + where + ": it holds no packets";
  }
  return "window " + window + " is outside " + where + " (oldest " +
         base::format_rfc3339_ns(available_first_ns) + ", newest " +
         base::format_rfc3339_ns(available_last_ns) + ")";
}

base::Result<ExtractPlan> plan_extract(RingIndex& index, const ExtractRequest& request,
                                       const ExtractLimits& limits) {
  ExtractPlan plan;
  plan.request = request;
  if (request.start_ns && request.stop_ns) {
    if (*request.stop_ns <= *request.start_ns) return invalid("Stop must be after Start");
    if (limits.max_window_ns > 0 && *request.stop_ns - *request.start_ns > limits.max_window_ns) {
      return invalid("window longer than the limit of " + std::to_string(limits.max_window_ns) +
                     " ns");
    }
  }
  const ring::RingLayout& layout = index.layout();
  auto compiled = filter::PacketFilter::compile(request.filter, request.bpf, layout.link_type,
                                                layout.snaplen, limits.filter);
  if (!compiled.ok()) return std::move(compiled).error();
  plan.filter = std::make_shared<const filter::PacketFilter>(std::move(*compiled));

  auto span = index.span();
  if (!span.ok()) return std::move(span).error();
  // The scope: [scope_start, scope_stop) positions and the times available in it.
  ring::RingPosition scope_start = span->start();
  ring::RingPosition scope_stop = span->end();
  int64_t first_ns = span->first_ts_ns;
  int64_t last_ns = span->last_ts_ns;
  if (!request.stream.empty()) {
    auto catalog = ring::CaptureCatalog::open(layout.dir);
    if (!catalog.ok()) return std::move(catalog).error();
    const ring::CaptureEntry* entry = catalog->find(request.stream);
    if (entry == nullptr) {
      return base::make_error(base::ErrorCode::kNotFound, "no capture named " + request.stream);
    }
    scope_start = later(entry->start, span->start());
    scope_stop = entry->active ? span->end() : earlier(entry->stop, span->end());
    auto first = index.at(scope_start, &*span);
    if (!first.ok()) return std::move(first).error();
    scope_start = first->position;
    first_ns = first->has_record ? first->ts_ns : 0;
    last_ns = span->last_ts_ns;
    if (scope_start.packets < scope_stop.packets && scope_stop.packets < span->end().packets) {
      // A stopped capture ends with its last record (not at the wall-clock time of
      // capture_stop): the start of the last record is the last boundary before its end.
      auto last = index.locate_bytes(scope_stop.record_bytes - 1, &*span);
      if (!last.ok()) return std::move(last).error().context("find the capture's last record");
      last_ns = last->has_record ? last->ts_ns : first_ns;
    }
  }
  const bool scope_empty = span->empty || scope_start.packets >= scope_stop.packets;
  if (scope_empty) {
    first_ns = 0;
    last_ns = 0;
  }
  plan.available_first_ns = first_ns;
  plan.available_last_ns = last_ns;
  plan.outside = scope_empty || (request.start_ns && *request.start_ns > last_ns) ||
                 (request.stop_ns && *request.stop_ns <= first_ns);
  if (plan.outside) return plan;

  plan.start = scope_start;
  plan.stop = scope_stop;
  if (request.start_ns && *request.start_ns > first_ns) {
    auto at = index.locate_time(*request.start_ns, &*span);
    if (!at.ok()) return std::move(at).error().context("find Start");
    plan.start = earlier(later(at->position, scope_start), scope_stop);
  }
  if (request.stop_ns) {
    auto at = index.locate_time(*request.stop_ns, &*span);
    if (!at.ok()) return std::move(at).error().context("find Stop");
    plan.stop = later(earlier(at->position, scope_stop), plan.start);
  }
  plan.packets = plan.stop.packets - plan.start.packets;
  plan.pcap_bytes = 24 + plan.stop.record_bytes - plan.start.record_bytes;
  return plan;
}

}  // namespace snapflow::extract
