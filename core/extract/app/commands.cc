// info, list, view, split and bandwidth: listings from the ring's metadata, index and catalog.
#include "commands.h"

#include <cstdio>

#include "snapflow/extract/bandwidth.h"
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

}  // namespace

base::Result<int> run_info(const CliConfig& config) {
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  auto info = ring_info(**index);
  if (!info.ok()) return std::move(info).error();
  print(config.text_format == TextFormat::kJson ? render_ring_info_json(*info)
                                                : render_ring_info_text(*info));
  return 0;
}

base::Result<int> run_list(const CliConfig& config) {
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  auto rows = capture_rows(**index);
  if (!rows.ok()) return std::move(rows).error();
  print(config.text_format == TextFormat::kJson ? render_captures_json(*rows)
                                                : render_captures_csv(*rows));
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

base::Result<int> run_bandwidth(const CliConfig& config) {
  auto as_view = [](const std::optional<std::string>& v) {
    return v ? std::optional<std::string_view>(*v) : std::nullopt;
  };
  auto request = make_bandwidth_request({as_view(config.start), as_view(config.stop),
                                         as_view(config.points), as_view(config.stream)});
  if (!request.ok()) return std::move(request).error();
  auto index = open_index(config);
  if (!index.ok()) return std::move(index).error();
  auto series = compute_bandwidth(**index, *request);
  if (!series.ok()) return std::move(series).error();
  print(config.text_format == TextFormat::kJson ? render_bandwidth_json(*series)
                                                : render_bandwidth_csv(*series));
  if (!series->exact) {
    std::fprintf(stderr,
                 "snapflow-pcap: %llu of the boundaries are at the index's granularity (a record "
                 "may count up to one index interval early); fewer points or a narrower window "
                 "make them exact\n",
                 static_cast<unsigned long long>(series->inexact_boundaries));
  }
  return 0;
}

}  // namespace snapflow::extract::cli
