#include "snapflow/extract/render.h"

#include "json_text.h"
#include "snapflow/base/time.h"
#include "snapflow/ring/catalog.h"

namespace snapflow::extract {
namespace {

void stream_field(JsonText& w, std::string_view stream) {
  w.key("stream");
  if (stream.empty()) {
    w.null();
  } else {
    w.string(stream);
  }
}

std::string time_or_dash(int64_t ns) {
  return ns == 0 ? std::string("-") : base::format_rfc3339_ns(ns);
}

}  // namespace

std::string render_views_csv(const std::vector<ViewRow>& rows) {
  std::string out;
  for (const ViewRow& r : rows) out.append(r.mode).append(",").append(r.link).append("\n");
  return out;
}

std::string render_views_json(std::string_view stream, const std::vector<ViewRow>& rows) {
  JsonText w;
  w.begin_object();
  stream_field(w, stream);
  w.key("views").begin_array();
  for (const ViewRow& r : rows) {
    w.begin_object().key("split_mode").string(r.mode).key("link").string(r.link).end_object();
  }
  w.end_array().end_object();
  return w.finish();
}

std::string render_splits_csv(const SplitTable& table) {
  std::string out;
  for (const SplitRow& r : table.rows) {
    out.append(r.name)
        .append(",")
        .append(std::to_string(r.pcap_bytes))
        .append(",")
        .append(std::to_string(r.packets))
        .append(",")
        .append(r.url)
        .append("\n");
  }
  return out;
}

std::string render_splits_json(const SplitTable& table) {
  uint64_t bytes = 0;
  for (const SplitRow& r : table.rows) bytes += r.pcap_bytes;
  JsonText w;
  w.begin_object();
  stream_field(w, table.stream);
  w.key("split_mode").string(table.mode.name);
  w.key("packets").unsigned_number(table.packets);
  w.key("size_bytes").unsigned_number(bytes);
  w.key("splits").begin_array();
  for (const SplitRow& r : table.rows) {
    w.begin_object();
    w.key("name").string(r.name);
    w.key("start_ns").number(r.start_ns);
    w.key("stop_ns").number(r.stop_ns);
    w.key("start").string(base::format_rfc3339_ns(r.start_ns));
    w.key("stop").string(base::format_rfc3339_ns(r.stop_ns));
    w.key("size_bytes").unsigned_number(r.pcap_bytes);
    w.key("packets").unsigned_number(r.packets);
    w.key("url").string(r.url);
    w.end_object();
  }
  w.end_array().end_object();
  return w.finish();
}

std::string render_captures_csv(const std::vector<CaptureRow>& rows) {
  std::string out;
  for (const CaptureRow& c : rows) {
    out += c.name + "," + std::to_string(c.pcap_bytes) + "," + std::to_string(c.packets) + "," +
           time_or_dash(c.start_ns) + "," +
           (c.active ? std::string("active") : time_or_dash(c.stop_ns)) + "\n";
  }
  return out;
}

std::string render_captures_json(const std::vector<CaptureRow>& rows) {
  JsonText w;
  w.begin_object().key("captures").begin_array();
  for (const CaptureRow& c : rows) {
    w.begin_object();
    w.key("name").string(c.name);
    w.key("size_bytes").unsigned_number(c.pcap_bytes);
    w.key("packets").unsigned_number(c.packets);
    w.key("start_ns").number(c.start_ns);
    w.key("stop_ns").number(c.active ? 0 : c.stop_ns);
    w.key("active").boolean(c.active);
    w.end_object();
  }
  w.end_array().end_object();
  return w.finish();
}

std::string render_ring_info_text(const RingInfo& i) {
  std::string out;
  out += "ring " + i.dir + "\n";
  out += "segment_bytes " + std::to_string(i.segment_bytes) + "\n";
  out += "segment_count " + std::to_string(i.segment_count) + "\n";
  out += "link_type " + std::to_string(i.link_type) + "\n";
  out += "snaplen " + std::to_string(i.snaplen) + "\n";
  out += "segments_live " + std::to_string(i.segments_live) + "\n";
  out += "packets " + std::to_string(i.packets) + "\n";
  out += "pcap_bytes " + std::to_string(i.pcap_bytes) + "\n";
  out += "oldest " + time_or_dash(i.oldest_ns) + "\n";
  out += "newest " + time_or_dash(i.newest_ns) + "\n";
  return out;
}

std::string render_ring_info_json(const RingInfo& i) {
  JsonText w;
  w.begin_object();
  w.key("ring").string(i.dir);
  w.key("segment_bytes").unsigned_number(i.segment_bytes);
  w.key("segment_count").unsigned_number(i.segment_count);
  w.key("link_type").unsigned_number(i.link_type);
  w.key("snaplen").unsigned_number(i.snaplen);
  w.key("segments_live").unsigned_number(i.segments_live);
  w.key("packets").unsigned_number(i.packets);
  w.key("pcap_bytes").unsigned_number(i.pcap_bytes);
  w.key("oldest_ns").number(i.oldest_ns);
  w.key("newest_ns").number(i.newest_ns);
  w.end_object();
  return w.finish();
}

base::Result<RingInfo> ring_info(RingIndex& index) {
  auto span = index.span();
  if (!span.ok()) return std::move(span).error();
  const ring::RingLayout& l = index.layout();
  RingInfo i;
  i.dir = l.dir;
  i.segment_bytes = l.segment_bytes;
  i.segment_count = l.segment_count;
  i.link_type = l.link_type;
  i.snaplen = l.snaplen;
  i.segments_live = span->segments();
  i.packets = span->packets();
  i.pcap_bytes = 24 + span->end().record_bytes - span->start().record_bytes;
  i.oldest_ns = span->empty ? 0 : span->first_ts_ns;
  i.newest_ns = span->empty ? 0 : span->last_ts_ns;
  return i;
}

base::Result<std::vector<CaptureRow>> capture_rows(RingIndex& index) {
  auto catalog = ring::CaptureCatalog::open(index.layout().dir);
  if (!catalog.ok()) return std::move(catalog).error();
  std::vector<CaptureRow> rows;
  for (const ring::CaptureEntry& e : catalog->list()) {
    // What a download of the capture serves now: overwritten data is not counted.
    ExtractRequest req;
    req.stream = e.name;
    auto plan = plan_extract(index, req);
    if (!plan.ok()) return std::move(plan).error().context("capture " + e.name);
    CaptureRow row;
    row.name = e.name;
    row.packets = plan->outside ? 0 : plan->packets;
    row.pcap_bytes = plan->outside ? 24 : plan->pcap_bytes;
    row.start_ns = e.start_ns;
    row.stop_ns = e.stop_ns;
    row.active = e.active;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace snapflow::extract
