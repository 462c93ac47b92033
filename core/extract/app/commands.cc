// info, list, view and split: listings from the ring's metadata, index and catalog.
#include "commands.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "snapflow/base/time.h"
#include "snapflow/extract/render.h"
#include "snapflow/ring/catalog.h"

namespace snapflow::extract::cli {
namespace {

base::Result<std::unique_ptr<RingIndex>> open_index(const CliConfig& config) {
  auto index = RingIndex::open(config.ring_dir);
  if (!index.ok()) return std::move(index).error().context("--ring " + config.ring_dir);
  return index;
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

std::string time_text(int64_t ns) {
  return ns == 0 ? std::string("-") : base::format_rfc3339_ns(ns);
}

}  // namespace

base::Result<int> run_info(const CliConfig& config) {
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  auto span = (*index)->span();
  if (!span.ok()) return std::move(span).error();
  const ring::RingLayout& l = (*index)->layout();
  const uint64_t pcap_bytes = 24 + span->end().record_bytes - span->start().record_bytes;
  if (config.text_format == TextFormat::kJson) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("ring");
    w.String(l.dir.c_str());
    w.Key("segment_bytes");
    w.Uint64(l.segment_bytes);
    w.Key("segment_count");
    w.Uint(l.segment_count);
    w.Key("link_type");
    w.Uint(l.link_type);
    w.Key("snaplen");
    w.Uint(l.snaplen);
    w.Key("segments_live");
    w.Uint64(span->segments());
    w.Key("packets");
    w.Uint64(span->packets());
    w.Key("pcap_bytes");
    w.Uint64(pcap_bytes);
    w.Key("oldest_ns");
    w.Int64(span->empty ? 0 : span->first_ts_ns);
    w.Key("newest_ns");
    w.Int64(span->empty ? 0 : span->last_ts_ns);
    w.EndObject();
    print(std::string(buf.GetString(), buf.GetSize()) + "\n");
    return 0;
  }
  std::string out;
  out += "ring " + l.dir + "\n";
  out += "segment_bytes " + std::to_string(l.segment_bytes) + "\n";
  out += "segment_count " + std::to_string(l.segment_count) + "\n";
  out += "link_type " + std::to_string(l.link_type) + "\n";
  out += "snaplen " + std::to_string(l.snaplen) + "\n";
  out += "segments_live " + std::to_string(span->segments()) + "\n";
  out += "packets " + std::to_string(span->packets()) + "\n";
  out += "pcap_bytes " + std::to_string(pcap_bytes) + "\n";
  out += "oldest " + time_text(span->empty ? 0 : span->first_ts_ns) + "\n";
  out += "newest " + time_text(span->empty ? 0 : span->last_ts_ns) + "\n";
  print(out);
  return 0;
}

base::Result<int> run_list(const CliConfig& config) {
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  auto catalog = ring::CaptureCatalog::open(config.ring_dir);
  if (!catalog.ok()) return std::move(catalog).error();
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  std::string csv;
  w.StartObject();
  w.Key("captures");
  w.StartArray();
  for (const ring::CaptureEntry& e : catalog->list()) {
    // What /pcap/single (or extract --stream) serves now: overwritten data is not counted.
    ExtractRequest req;
    req.stream = e.name;
    auto plan = plan_extract(**index, req);
    if (!plan.ok()) return std::move(plan).error().context("capture " + e.name);
    const uint64_t packets = plan->outside ? 0 : plan->packets;
    const uint64_t bytes = plan->outside ? 24 : plan->pcap_bytes;
    csv += e.name + "," + std::to_string(bytes) + "," + std::to_string(packets) + "," +
           time_text(e.start_ns) + "," + (e.active ? std::string("active") : time_text(e.stop_ns)) +
           "\n";
    w.StartObject();
    w.Key("name");
    w.String(e.name.c_str());
    w.Key("size_bytes");
    w.Uint64(bytes);
    w.Key("packets");
    w.Uint64(packets);
    w.Key("start_ns");
    w.Int64(e.start_ns);
    w.Key("stop_ns");
    w.Int64(e.active ? 0 : e.stop_ns);
    w.Key("active");
    w.Bool(e.active);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  print(config.text_format == TextFormat::kJson ? std::string(buf.GetString(), buf.GetSize()) + "\n"
                                                : csv);
  return 0;
}

base::Result<int> run_view(const CliConfig& config) {
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  const std::string stream = config.stream.value_or("");
  if (!stream.empty()) {
    auto catalog = ring::CaptureCatalog::open(config.ring_dir);
    if (!catalog.ok()) return std::move(catalog).error();
    if (catalog->find(stream) == nullptr) {
      return base::make_error(base::ErrorCode::kNotFound, "no capture named " + stream);
    }
  }
  const std::vector<ViewRow> rows = view_rows(stream);
  print(config.text_format == TextFormat::kJson ? render_views_json(stream, rows)
                                                : render_views_csv(rows));
  return 0;
}

base::Result<int> run_split(const CliConfig& config) {
  auto request = make_request(config.request_text(), {});
  if (!request.ok()) return std::move(request).error();
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  SplitRequest split;
  split.stream = request->stream;
  split.mode = *config.view;
  split.start_ns = request->start_ns;
  split.stop_ns = request->stop_ns;
  split.max_rows = config.max_rows;
  auto table = compute_splits(**index, split);
  if (!table.ok()) return std::move(table).error();
  print(config.text_format == TextFormat::kJson ? render_splits_json(*table)
                                                : render_splits_csv(*table));
  return 0;
}

}  // namespace snapflow::extract::cli
