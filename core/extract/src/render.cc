#include "snapflow/extract/render.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "snapflow/base/time.h"

namespace snapflow::extract {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key_string(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void stream_field(JsonWriter& w, std::string_view stream) {
  w.Key("stream");
  if (stream.empty()) {
    w.Null();
  } else {
    w.String(stream.data(), static_cast<rapidjson::SizeType>(stream.size()));
  }
}

std::string finish(const rapidjson::StringBuffer& buffer) {
  std::string out(buffer.GetString(), buffer.GetSize());
  out.push_back('\n');
  return out;
}

}  // namespace

std::string render_views_csv(const std::vector<ViewRow>& rows) {
  std::string out;
  for (const ViewRow& r : rows) out.append(r.mode).append(",").append(r.link).append("\n");
  return out;
}

std::string render_views_json(std::string_view stream, const std::vector<ViewRow>& rows) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  stream_field(w, stream);
  w.Key("views");
  w.StartArray();
  for (const ViewRow& r : rows) {
    w.StartObject();
    key_string(w, "split_mode", r.mode);
    key_string(w, "link", r.link);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return finish(buffer);
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
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  uint64_t bytes = 0;
  for (const SplitRow& r : table.rows) bytes += r.pcap_bytes;
  w.StartObject();
  stream_field(w, table.stream);
  key_string(w, "split_mode", table.mode.name);
  w.Key("packets");
  w.Uint64(table.packets);
  w.Key("size_bytes");
  w.Uint64(bytes);
  w.Key("splits");
  w.StartArray();
  for (const SplitRow& r : table.rows) {
    w.StartObject();
    key_string(w, "name", r.name);
    w.Key("start_ns");
    w.Int64(r.start_ns);
    w.Key("stop_ns");
    w.Int64(r.stop_ns);
    key_string(w, "start", base::format_rfc3339_ns(r.start_ns));
    key_string(w, "stop", base::format_rfc3339_ns(r.stop_ns));
    w.Key("size_bytes");
    w.Uint64(r.pcap_bytes);
    w.Key("packets");
    w.Uint64(r.packets);
    key_string(w, "url", r.url);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

}  // namespace snapflow::extract
