// Split views: row boundaries found with RingIndex lookups (time views: one locate per
// non-empty interval; size views: one locate by cumulative bytes, adjusted so that no row ends
// inside a run of equal timestamps).
#include "snapflow/extract/split.h"

#include <cstdio>

#include "snapflow/base/time.h"
#include "snapflow/filter/time_text.h"

namespace snapflow::extract {
namespace {

constexpr int64_t kSec = base::kNsPerSec;
constexpr SplitMode kModes[] = {
    {"split_1sec", kSec, 0},
    {"split_10sec", 10 * kSec, 0},
    {"split_1min", 60 * kSec, 0},
    {"split_10min", 600 * kSec, 0},
    {"split_15min", 900 * kSec, 0},
    {"split_1hour", 3600 * kSec, 0},
    {"split_1MB", 0, 1'000'000},
    {"split_10MB", 0, 10'000'000},
    {"split_100MB", 0, 100'000'000},
    {"split_1GB", 0, 1'000'000'000},
    {"split_10GB", 0, 10'000'000'000},
    {"split_100GB", 0, 100'000'000'000},
    {"split_1TB", 0, 1'000'000'000'000},
};
constexpr uint64_t kPcapHeaderBytes = 24;

class Splitter {
 public:
  Splitter(RingIndex& index, const SplitRequest& request, const ExtractPlan& plan)
      : index_(index), request_(request), plan_(plan) {
    prefix_ = request.stream.empty() ? "ring" : request.stream;
  }

  base::Result<SplitTable> run() {
    SplitTable table;
    table.stream = request_.stream;
    table.mode = request_.mode;
    if (plan_.outside || plan_.packets == 0) return table;
    auto first = index_.at(plan_.start);
    if (!first.ok()) return std::move(first).error();
    if (!first->has_record) return table;
    Located cur = *first;
    cur.position = plan_.start;
    while (cur.position.packets < plan_.stop.packets) {
      if (table.rows.size() == request_.max_rows) {
        return base::make_error(base::ErrorCode::kInvalidArgument,
                                "more than " + std::to_string(request_.max_rows) + " rows in " +
                                    std::string(request_.mode.name) +
                                    ": choose a coarser split or a shorter window");
      }
      auto next = request_.mode.interval_ns != 0 ? time_row(cur, table) : size_row(cur, table);
      if (!next.ok()) return std::move(next).error();
      if (next->position.packets <= cur.position.packets) {
        return base::make_error(base::ErrorCode::kFormat,
                                "timestamps go backwards near " +
                                    base::format_rfc3339_ns(cur.ts_ns) +
                                    ": the ring cannot be split by time there");
      }
      table.packets += table.rows.back().packets;
      cur = *next;
    }
    return table;
  }

 private:
  // Clamps a located boundary to the window's end.
  Located clamp(const Located& l) const {
    if (l.position.packets < plan_.stop.packets) return l;
    return Located{plan_.stop, false, 0};
  }

  void add_row(SplitTable& table, std::string name, int64_t start_ns, int64_t stop_ns,
               const ring::RingPosition& from, const ring::RingPosition& to) {
    SplitRow row;
    row.name = std::move(name);
    row.start_ns = start_ns;
    row.stop_ns = stop_ns;
    row.start = from;
    row.stop = to;
    row.packets = to.packets - from.packets;
    row.pcap_bytes = kPcapHeaderBytes + to.record_bytes - from.record_bytes;
    row.url = splittime_url(request_.stream, start_ns, stop_ns);
    table.rows.push_back(std::move(row));
  }

  base::Result<Located> time_row(const Located& cur, SplitTable& table) {
    const int64_t interval = request_.mode.interval_ns;
    const int64_t k = base::align_down(cur.ts_ns, interval);
    int64_t start_ns = k;
    int64_t stop_ns = k + interval;
    if (request_.start_ns && *request_.start_ns > start_ns) start_ns = *request_.start_ns;
    if (request_.stop_ns && *request_.stop_ns < stop_ns) stop_ns = *request_.stop_ns;
    auto next = index_.locate_time(stop_ns);
    if (!next.ok()) return std::move(next).error();
    const Located to = clamp(*next);
    add_row(table, prefix_ + "_" + filter::format_compact_second(k), start_ns, stop_ns,
            cur.position, to.position);
    return to;
  }

  base::Result<Located> size_row(const Located& cur, SplitTable& table) {
    const uint64_t budget = request_.mode.max_bytes - kPcapHeaderBytes;
    auto b = index_.locate_bytes(cur.position.record_bytes + budget);
    if (!b.ok()) return std::move(b).error();
    Located to = clamp(*b);
    if (to.position.packets <= cur.position.packets) {
      // The first record alone exceeds the budget: it gets a row of its own.
      const uint64_t largest = 16 + uint64_t{index_.layout().snaplen};
      b = index_.locate_bytes(cur.position.record_bytes + largest);
      if (!b.ok()) return std::move(b).error();
      to = clamp(*b);
    }
    if (to.has_record) {
      // A time window cannot separate records with equal timestamps: end the row before the
      // run of records sharing the boundary's timestamp, or after it if the row is that run.
      auto run_start = index_.locate_time(to.ts_ns);
      if (!run_start.ok()) return std::move(run_start).error();
      if (run_start->position.packets > cur.position.packets) {
        to = clamp(*run_start);
      } else {
        auto run_end = index_.locate_time(to.ts_ns + 1);
        if (!run_end.ok()) return std::move(run_end).error();
        to = clamp(*run_end);
      }
    }
    int64_t start_ns = cur.ts_ns;
    if (table.rows.empty() && request_.start_ns) start_ns = *request_.start_ns;
    int64_t stop_ns = 0;
    if (to.has_record) {
      stop_ns = to.ts_ns;
    } else if (request_.stop_ns) {
      stop_ns = *request_.stop_ns;
    } else {
      // The last row: just after its last record.
      auto last = index_.locate_bytes(to.position.record_bytes - 1);
      if (!last.ok()) return std::move(last).error();
      stop_ns = (last->has_record ? last->ts_ns : cur.ts_ns) + 1;
    }
    char number[32];
    std::snprintf(number, sizeof number, "_%06zu", table.rows.size());
    add_row(table, prefix_ + number, start_ns, stop_ns, cur.position, to.position);
    return to;
  }

  RingIndex& index_;
  const SplitRequest& request_;
  const ExtractPlan& plan_;
  std::string prefix_;
};

}  // namespace

std::span<const SplitMode> split_modes() {
  return kModes;
}

base::Result<SplitMode> parse_split_mode(std::string_view name) {
  for (const SplitMode& m : kModes) {
    if (m.name == name) return m;
  }
  std::string known;
  for (const SplitMode& m : kModes) known.append(known.empty() ? "" : " ").append(m.name);
  return base::make_error(
      base::ErrorCode::kInvalidArgument,
      "unknown split view '" + std::string(name.substr(0, 32)) + "' (views: " + known + ")");
}

std::string splittime_url(std::string_view stream, int64_t start_ns, int64_t stop_ns) {
  std::string url = "/pcap/splittime?";
  if (!stream.empty()) url.append("StreamName=").append(stream).append("&");
  url += "Start=" + std::to_string(start_ns) + "&Stop=" + std::to_string(stop_ns);
  return url;
}

std::vector<ViewRow> view_rows(std::string_view stream) {
  std::vector<ViewRow> rows;
  for (const SplitMode& m : kModes) {
    std::string link = "/plain/split?";
    if (!stream.empty()) link.append("StreamName=").append(stream).append("&");
    link.append("StreamView=").append(m.name);
    rows.push_back({m.name, std::move(link)});
  }
  return rows;
}

base::Result<SplitTable> compute_splits(RingIndex& index, const SplitRequest& request) {
  if (request.mode.name.empty()) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "no split view given");
  }
  ExtractRequest window;
  window.stream = request.stream;
  window.start_ns = request.start_ns;
  window.stop_ns = request.stop_ns;
  auto plan = plan_extract(index, window);
  if (!plan.ok()) return std::move(plan).error();
  return Splitter(index, request, *plan).run();
}

}  // namespace snapflow::extract
