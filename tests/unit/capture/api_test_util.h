// Helpers of the API server tests: an in-memory CaptureControl whose captures are synthetic
// record streams (deterministic, so a download can be checked byte for byte), and a libcurl
// client that records status, body, headers and trailers.
#pragma once

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "snapflow/capture/api.h"
#include "snapflow/pcap/writer.h"

namespace snapflow::capture::testing {

// Record i of a synthetic capture: 60..1559 bytes, payload derived from i.
inline uint32_t synthetic_length(uint64_t i) {
  return 60 + static_cast<uint32_t>((i * 37) % 1500);
}
inline int64_t synthetic_ts(uint64_t i) {
  return 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 1000;
}

// The exact PCAP bytes a download of `records` synthetic records must produce.
inline std::string synthetic_pcap(uint64_t records) {
  std::string out(pcap::kPcapFileHeaderBytes, '\0');
  pcap::encode_file_header(reinterpret_cast<std::byte*>(out.data()), 1, 65535);
  for (uint64_t i = 0; i < records; ++i) {
    const uint32_t len = synthetic_length(i);
    std::string rec(pcap::kPcapRecordHeaderBytes + len, '\0');
    pcap::encode_record_header(reinterpret_cast<std::byte*>(rec.data()), synthetic_ts(i), len, len);
    for (uint32_t j = 0; j < len; ++j) rec[16 + j] = static_cast<char>((i * 7 + j) & 0xff);
    out += rec;
  }
  return out;
}

// True when bytes are a PCAP file header followed by whole records only.
inline bool ends_on_record_boundary(const std::string& bytes) {
  size_t at = pcap::kPcapFileHeaderBytes;
  if (bytes.size() < at) return false;
  while (at < bytes.size()) {
    if (bytes.size() - at < pcap::kPcapRecordHeaderBytes) return false;
    uint32_t caplen = 0;
    std::memcpy(&caplen, bytes.data() + at + 8, 4);  // little-endian host, as written
    at += pcap::kPcapRecordHeaderBytes + caplen;
  }
  return at == bytes.size();
}

// Synthetic records in batches of 100; optionally slow (sleeps per batch) to hold a slot.
class SyntheticRecords final : public RecordSource {
 public:
  SyntheticRecords(uint64_t records, int batch_delay_ms = 0)
      : records_(records), delay_ms_(batch_delay_ms) {}
  uint16_t link_type() const override { return 1; }
  uint32_t snaplen() const override { return 65535; }
  uint64_t skipped_records() const override { return 0; }
  void cancel() override { cancelled_ = true; }
  base::Result<bool> next_batch(pcap::PacketBatch& batch) override {
    batch.clear();
    if (cancelled_) return base::make_error(base::ErrorCode::kCancelled, "cancelled");
    if (next_ == records_) return false;
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    const uint64_t n = std::min<uint64_t>(100, records_ - next_);
    batch.storage.resize(n * 1600);
    size_t at = 0;
    for (uint64_t k = 0; k < n; ++k, ++next_) {
      const uint32_t len = synthetic_length(next_);
      for (uint32_t j = 0; j < len; ++j) {
        batch.storage[at + j] = static_cast<std::byte>((next_ * 7 + j) & 0xff);
      }
      pcap::PacketRecord r;
      r.ts_ns = synthetic_ts(next_);
      r.data = batch.storage.data() + at;
      r.captured_length = r.wire_length = len;
      batch.records.push_back(r);
      at += len;
    }
    return true;
  }

 private:
  uint64_t records_;
  int delay_ms_;
  uint64_t next_ = 0;
  std::atomic<bool> cancelled_{false};
};

class MemoryControl final : public CaptureControl {
 public:
  StatusSnapshot status() override {
    std::lock_guard lock(mu_);
    StatusSnapshot s;
    s.capture_name = active_;
    s.capture_active = !active_.empty();
    s.packets_captured = 42;
    return s;
  }
  base::Result<std::string> start_capture(const std::string& name) override {
    std::lock_guard lock(mu_);
    if (!active_.empty()) {
      return base::make_error(base::ErrorCode::kInvalidArgument,
                              "capture " + active_ + " is active");
    }
    active_ = name;
    captures_.push_back({name, synthetic_pcap(records_per_capture).size(), records_per_capture,
                         1'700'000'000'000'000'000, 0, true});
    return "started " + name;
  }
  base::Result<std::string> stop_capture() override {
    std::lock_guard lock(mu_);
    if (active_.empty()) {
      return base::make_error(base::ErrorCode::kNotFound, "no capture is active");
    }
    std::string name = active_;
    active_.clear();
    return "stopped " + name;
  }
  std::vector<CaptureInfo> list_captures() override {
    std::lock_guard lock(mu_);
    return captures_;
  }
  base::Result<std::unique_ptr<RecordSource>> open_capture(const std::string& name) override {
    std::lock_guard lock(mu_);
    for (const auto& c : captures_) {
      if (c.name == name) {
        return std::unique_ptr<RecordSource>(new SyntheticRecords(c.packets, batch_delay_ms));
      }
    }
    return base::make_error(base::ErrorCode::kNotFound, "no capture " + name);
  }

  uint64_t records_per_capture = 4000;  ///< set before starting captures
  int batch_delay_ms = 0;               ///< > 0: downloads take a while (slot tests)

 private:
  std::mutex mu_;
  std::string active_;
  std::vector<CaptureInfo> captures_;
};

struct Reply {
  long status = 0;
  CURLcode code = CURLE_OK;
  std::string body;
  std::vector<std::string> headers;  ///< raw header and trailer lines, as received
  std::string header(std::string_view name) const {
    for (const auto& line : headers) {
      if (line.size() > name.size() && line[name.size()] == ':' &&
          strncasecmp(line.data(), name.data(), name.size()) == 0) {
        std::string v = line.substr(name.size() + 1);
        while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
        return v;
      }
    }
    return {};
  }
};

inline size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<Reply*>(user)->body.append(data, size * n);
  return size * n;
}
inline size_t append_header(char* data, size_t size, size_t n, void* user) {
  static_cast<Reply*>(user)->headers.emplace_back(data, size * n);
  return size * n;
}

struct RequestOptions {
  const char* userpwd = "admin:secret";
  const char* method = nullptr;            ///< "POST", "HEAD", ... (GET when null)
  std::vector<std::string> extra_headers;  ///< "Name: value"
  std::string bind_address;                ///< local address to connect from (127.x.y.z)
  std::string ca_file;                     ///< https: trust this certificate
  long timeout_ms = 20000;
  curl_off_t max_recv_bytes_per_s = 0;  ///< > 0: read the response at most this fast
};

inline Reply http_request(const std::string& url, const RequestOptions& o = {}) {
  Reply reply;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // send ../ as is, like an attacker would
  if (o.userpwd) curl_easy_setopt(curl, CURLOPT_USERPWD, o.userpwd);
  if (o.method && std::strcmp(o.method, "HEAD") == 0) {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (o.method && std::strcmp(o.method, "POST") == 0) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (o.method) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, o.method);
  }
  curl_slist* headers = nullptr;
  for (const auto& h : o.extra_headers) headers = curl_slist_append(headers, h.c_str());
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  const std::string bind = "host!" + o.bind_address;
  if (!o.bind_address.empty()) curl_easy_setopt(curl, CURLOPT_INTERFACE, bind.c_str());
  if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  if (o.max_recv_bytes_per_s > 0) {
    curl_easy_setopt(curl, CURLOPT_MAX_RECV_SPEED_LARGE, o.max_recv_bytes_per_s);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &append_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  reply.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  return reply;
}

}  // namespace snapflow::capture::testing
