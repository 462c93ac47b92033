#include "snapflow/capture/status.h"

#include <string_view>

#include "snapflow/base/time.h"

namespace snapflow::capture {

void CaptureStatus::set_capture(std::string name, bool active) {
  std::lock_guard lock(name_mutex_);
  capture_name_ = std::move(name);
  capture_active_ = active;
}

void CaptureStatus::set_consumers(std::vector<ConsumerLag> consumers) {
  std::lock_guard lock(name_mutex_);
  consumers_ = std::move(consumers);
}

void CaptureStatus::set_mode_fields(ModeFields source) {
  std::lock_guard lock(name_mutex_);
  mode_fields_ = std::move(source);
}

StatusSnapshot CaptureStatus::snapshot(int64_t now_monotonic_ns) const {
  constexpr auto r = std::memory_order_relaxed;
  StatusSnapshot s;
  s.uptime_s = (now_monotonic_ns - start_ns_) / base::kNsPerSec;
  s.packets_received = packets_received.load(r);
  s.packets_dropped = packets_dropped_source.load(r) + packets_dropped_queue.load(r);
  s.packets_errors = packets_errors.load(r);
  s.packets_captured = packets_captured.load(r);
  s.bytes_captured = bytes_captured.load(r);
  s.bytes_pending = bytes_pending.load(r);
  s.bytes_disk = bytes_disk.load(r);
  s.ring_bytes = ring_bytes.load(r);
  s.packets_not_stored = packets_not_stored.load(r);
  s.bytes_not_stored = bytes_not_stored.load(r);
  s.ring_outages = ring_outages.load(r);
  s.ring_writable = ring_writable.load(r);
  s.capture_link = link_up.load(r);
  s.capture_link_speed_mbps = link_speed_mbps.load(r);
  s.capture_bps = bps.load(r);
  s.capture_pps = pps.load(r);
  ModeFields mode_fields;
  {
    std::lock_guard lock(name_mutex_);
    s.capture_name = capture_name_;
    s.capture_active = capture_active_;
    s.consumers = consumers_;
    mode_fields = mode_fields_;
  }
  // Outside the lock: the source takes the capture modes' own locks (the rules' mutex).
  if (mode_fields) s.mode_fields = mode_fields();
  return s;
}

namespace {

// Visits every field in the published order with (key, numeric-or-text value, is_text).
template <typename F>
void for_each_field(const StatusSnapshot& s, F&& f) {
  f("uptime", std::to_string(s.uptime_s), false);
  f("packets_received", std::to_string(s.packets_received), false);
  f("packets_dropped", std::to_string(s.packets_dropped), false);
  f("packets_errors", std::to_string(s.packets_errors), false);
  f("packets_captured", std::to_string(s.packets_captured), false);
  f("bytes_captured", std::to_string(s.bytes_captured), false);
  f("bytes_pending", std::to_string(s.bytes_pending), false);
  f("bytes_disk", std::to_string(s.bytes_disk), false);
  f("ring_bytes", std::to_string(s.ring_bytes), false);
  f("capture_link", std::string(s.capture_link ? "up" : "down"), true);
  f("capture_link_speed", std::to_string(s.capture_link_speed_mbps * 1'000'000), false);
  f("capture_bps", std::to_string(s.capture_bps), false);
  f("capture_pps", std::to_string(s.capture_pps), false);
  f("capture_name", s.capture_name, true);
  f("capture_active", std::string(s.capture_active ? "true" : "false"), false);
  f("packets_not_stored", std::to_string(s.packets_not_stored), false);
  f("bytes_not_stored", std::to_string(s.bytes_not_stored), false);
  f("ring_outages", std::to_string(s.ring_outages), false);
  f("ring_writable", std::string(s.ring_writable ? "true" : "false"), false);
  for (const StatusField& m : s.mode_fields) f(m.key, std::to_string(m.value), false);
}

// Consumer names are [A-Za-z0-9_.-] (ring::is_valid_name): safe in a text key.
template <typename F>
void for_each_consumer_field(const ConsumerLag& c, F&& f) {
  f("consumer_" + c.name + "_lag_packets", std::to_string(c.packets));
  f("consumer_" + c.name + "_lag_bytes", std::to_string(c.bytes));
  f("consumer_" + c.name + "_lag_seconds", std::to_string(c.seconds));
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out.append("\\u00");
      out.push_back(kHex[(c >> 4) & 0xf]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

std::string format_status_text(const StatusSnapshot& s) {
  std::string out;
  for_each_field(s, [&](std::string_view key, const std::string& value, bool) {
    out.append(key).append(", ").append(value).append("\n");
  });
  for (const ConsumerLag& c : s.consumers) {
    for_each_consumer_field(c, [&](const std::string& key, const std::string& value) {
      out.append(key).append(", ").append(value).append("\n");
    });
  }
  return out;
}

std::string format_status_json(const StatusSnapshot& s) {
  std::string out = "{";
  for_each_field(s, [&](std::string_view key, const std::string& value, bool is_text) {
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, key);
    out.push_back(':');
    if (is_text) {
      append_json_string(out, value);
    } else {
      out.append(value);
    }
  });
  out.append(",\"consumers\":[");
  for (size_t i = 0; i < s.consumers.size(); ++i) {
    const ConsumerLag& c = s.consumers[i];
    if (i > 0) out.push_back(',');
    out.append("{\"name\":");
    append_json_string(out, c.name);
    out.append(",\"lag_packets\":" + std::to_string(c.packets) + ",\"lag_bytes\":" +
               std::to_string(c.bytes) + ",\"lag_seconds\":" + std::to_string(c.seconds) + "}");
  }
  out.append("]}\n");
  return out;
}

std::pair<uint64_t, uint64_t> RateMeter::sample(int64_t now_ns, uint64_t bytes, uint64_t packets) {
  std::pair<uint64_t, uint64_t> rates{0, 0};
  if (last_ns_ != 0 && now_ns > last_ns_) {
    const double seconds = static_cast<double>(now_ns - last_ns_) / base::kNsPerSec;
    rates.first = static_cast<uint64_t>(static_cast<double>(bytes - last_bytes_) * 8 / seconds);
    rates.second = static_cast<uint64_t>(static_cast<double>(packets - last_packets_) / seconds);
  }
  last_ns_ = now_ns;
  last_bytes_ = bytes;
  last_packets_ = packets;
  return rates;
}

}  // namespace snapflow::capture
