// The bandwidth series: parameters, the scope (ring or named capture) and its default window,
// the step, the boundaries (boundary_walk.h), and the text forms.
#include "snapflow/extract/bandwidth.h"

#include <charconv>

#include "boundary_walk.h"
#include "snapflow/base/parse.h"
#include "snapflow/base/time.h"
#include "snapflow/extract/extract.h"
#include "snapflow/ring/catalog.h"
#include "window_text.h"

namespace snapflow::extract {
namespace {

base::Error invalid(std::string message) {
  return invalid_request(std::move(message));
}

// What the series counts: the records between two positions, and their first and last times.
struct Scope {
  ring::RingPosition start;
  ring::RingPosition stop;
  int64_t oldest_ns = 0;
  int64_t newest_ns = 0;
  bool empty() const { return stop.packets <= start.packets; }
};

const ring::RingPosition& earlier(const ring::RingPosition& a, const ring::RingPosition& b) {
  return b.packets < a.packets ? b : a;
}
const ring::RingPosition& later(const ring::RingPosition& a, const ring::RingPosition& b) {
  return b.packets > a.packets ? b : a;
}

base::Result<Scope> find_scope(RingIndex& index, const RingSpan& span, const std::string& stream) {
  Scope scope{span.start(), span.end(), span.first_ts_ns, span.last_ts_ns};
  if (!stream.empty()) {
    auto catalog = ring::CaptureCatalog::open(index.layout().dir);
    if (!catalog.ok()) return std::move(catalog).error();
    const ring::CaptureEntry* entry = catalog->find(stream);
    if (entry == nullptr) {
      return base::make_error(base::ErrorCode::kNotFound, "no capture named " + stream);
    }
    scope.start = later(entry->start, span.start());
    scope.stop = entry->active ? span.end() : earlier(entry->stop, span.end());
    if (!scope.empty()) {
      auto first = index.at(scope.start, &span);
      if (!first.ok()) return std::move(first).error();
      scope.start = first->position;
      scope.oldest_ns = first->has_record ? first->ts_ns : 0;
      if (scope.stop.packets == span.end().packets) {
        scope.newest_ns = span.last_ts_ns;
      } else {
        // The last record's start: the last boundary with fewer record bytes before it.
        auto last = index.locate_bytes(scope.stop.record_bytes - 1, &span);
        if (!last.ok()) return std::move(last).error();
        scope.newest_ns = last->has_record ? last->ts_ns : scope.oldest_ns;
      }
    }
  }
  if (span.empty || scope.empty()) {
    scope.oldest_ns = 0;
    scope.newest_ns = 0;
  }
  return scope;
}

Cumulative clamp(const Cumulative& c, const Scope& scope) {
  if (c.packets <= scope.start.packets) return {scope.start.packets, scope.start.wire_bytes};
  if (c.packets >= scope.stop.packets) return {scope.stop.packets, scope.stop.wire_bytes};
  return c;
}

void append_number(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void append_number(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

base::Result<BandwidthRequest> make_bandwidth_request(const BandwidthText& text,
                                                      uint32_t max_points) {
  BandwidthRequest r;
  auto window = parse_window_times(text.start, text.stop);
  if (!window.ok()) return std::move(window).error();
  r.start_ns = window->start_ns;
  r.stop_ns = window->stop_ns;
  if (text.points) {
    auto p = base::parse_uint(*text.points, 1, max_points);
    if (!p.ok()) {
      return invalid("Points: " + p.error().message() + " (1.." + std::to_string(max_points) + ")");
    }
    r.points = static_cast<uint32_t>(*p);
  }
  if (r.points > max_points) r.points = max_points;
  if (text.stream) {
    auto check = make_request({.stream = text.stream}, {});
    if (!check.ok()) return std::move(check).error();
    r.stream = std::string(*text.stream);
  }
  return r;
}

base::Result<BandwidthSeries> compute_bandwidth(RingIndex& index, const BandwidthRequest& request) {
  if (request.points == 0 || request.points > kMaxBandwidthPoints) {
    return invalid("Points must be 1.." + std::to_string(kMaxBandwidthPoints));
  }
  if (request.start_ns && request.stop_ns && *request.stop_ns <= *request.start_ns) {
    return invalid("Stop must be after Start");
  }
  auto span = index.span();
  if (!span.ok()) return std::move(span).error();
  auto scope = find_scope(index, *span, request.stream);
  if (!scope.ok()) return std::move(scope).error();

  BandwidthSeries series;
  series.stream = request.stream;
  series.oldest_ns = scope->oldest_ns;
  series.newest_ns = scope->newest_ns;
  const bool has_data = !scope->empty() && !span->empty;
  if (!has_data && !request.start_ns && !request.stop_ns) return series;  // nothing to chart
  // The window: as given, or the scope's records (start to the millisecond).
  int64_t start =
      request.start_ns.value_or(base::align_down(scope->oldest_ns, kBandwidthStepUnitNs));
  int64_t stop =
      request.stop_ns.value_or(scope->newest_ns == INT64_MAX ? INT64_MAX : scope->newest_ns + 1);
  if (stop <= start) {  // one defaulted end fell on the wrong side of the other: one point
    if (request.stop_ns) {
      start = stop > INT64_MIN + kBandwidthStepUnitNs ? stop - kBandwidthStepUnitNs : INT64_MIN;
    } else {
      stop = start < INT64_MAX - kBandwidthStepUnitNs ? start + kBandwidthStepUnitNs : INT64_MAX;
    }
  }
  const uint64_t width = static_cast<uint64_t>(stop) - static_cast<uint64_t>(start);
  const uint64_t raw_step = (width + request.points - 1) / request.points;
  const uint64_t unit = static_cast<uint64_t>(kBandwidthStepUnitNs);
  uint64_t step = (raw_step + unit - 1) / unit * unit;
  if (step > static_cast<uint64_t>(INT64_MAX))
    step = static_cast<uint64_t>(INT64_MAX) / unit * unit;
  const uint64_t count = (width + step - 1) / step;  // <= points
  series.start_ns = start;
  series.stop_ns = stop;
  series.step_ns = static_cast<int64_t>(step);

  BoundaryWalk walk(index, *span);
  SNAPFLOW_TRY_STATUS(walk.place(start, step, count + 1), "bandwidth");
  SNAPFLOW_TRY_STATUS(walk.make_exact(request.exact_scan_bytes), "bandwidth");
  const std::vector<Cumulative>& at = walk.positions();
  series.points.resize(count);
  for (uint64_t k = 0; k < count; ++k) {
    const Cumulative a = clamp(at[k], *scope);
    const Cumulative b = clamp(at[k + 1], *scope);
    series.points[k] = {saturated_time(start, k, step), b.packets - a.packets,
                        b.wire_bytes - a.wire_bytes};
  }
  series.exact = walk.exact();
  series.inexact_boundaries = walk.inexact_boundaries();
  series.scanned_bytes = walk.scanned_bytes();
  return series;
}

std::string render_bandwidth_json(const BandwidthSeries& s) {
  std::string out;
  out.reserve(160 + s.points.size() * 48);
  out += "{\"start_ns\":";
  append_number(out, s.start_ns);
  out += ",\"stop_ns\":";
  append_number(out, s.stop_ns);
  out += ",\"step_ns\":";
  append_number(out, s.step_ns);
  out += ",\"oldest_ns\":";
  append_number(out, s.oldest_ns);
  out += ",\"newest_ns\":";
  append_number(out, s.newest_ns);
  out += ",\"points\":[";
  for (size_t i = 0; i < s.points.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.push_back('[');
    append_number(out, s.points[i].t_ns);
    out.push_back(',');
    append_number(out, s.points[i].packets);
    out.push_back(',');
    append_number(out, s.points[i].wire_bytes);
    out.push_back(']');
  }
  out += "]}\n";
  return out;
}

std::string render_bandwidth_csv(const BandwidthSeries& s) {
  std::string out;
  out.reserve(s.points.size() * 44);
  for (const BandwidthPoint& p : s.points) {
    append_number(out, p.t_ns);
    out.push_back(',');
    append_number(out, p.packets);
    out.push_back(',');
    append_number(out, p.wire_bytes);
    out.push_back('\n');
  }
  return out;
}

}  // namespace snapflow::extract
