#include "snapflow/capture/status.h"

#include <gtest/gtest.h>

#include "snapflow/base/time.h"
#include "snapflow/capture/tsc_clock.h"

namespace snapflow::capture {
namespace {

TEST(Status, TextHasEveryKeyInOrder) {
  CaptureStatus status(0);
  status.packets_received = 10;
  status.packets_dropped_source = 2;
  status.packets_dropped_queue = 1;
  status.packets_captured = 7;
  status.bytes_captured = 700;
  status.link_up = true;
  status.link_speed_mbps = 10000;
  status.set_capture("run-1", true);
  std::string text = format_status_text(status.snapshot(5 * base::kNsPerSec));
  EXPECT_EQ(text,
            "uptime, 5\npackets_received, 10\npackets_dropped, 3\npackets_errors, 0\n"
            "packets_captured, 7\nbytes_captured, 700\nbytes_pending, 0\nbytes_disk, 0\n"
            "ring_bytes, 0\n"
            "capture_link, up\ncapture_link_speed, 10000000000\ncapture_bps, 0\n"
            "capture_pps, 0\ncapture_name, run-1\ncapture_active, true\n"
            "packets_not_stored, 0\nbytes_not_stored, 0\nring_outages, 0\nring_writable, true\n");
}

TEST(Status, JsonTypesAndEscaping) {
  CaptureStatus status(0);
  status.packets_captured = 3;
  status.set_capture("a\"b", false);
  std::string json = format_status_json(status.snapshot(0));
  EXPECT_NE(json.find("\"packets_captured\":3"), std::string::npos);
  EXPECT_NE(json.find("\"capture_name\":\"a\\\"b\""), std::string::npos);
  EXPECT_NE(json.find("\"capture_active\":false"), std::string::npos);
  EXPECT_NE(json.find("\"capture_link\":\"down\""), std::string::npos);
  status.packets_not_stored = 42;
  status.ring_writable = false;
  json = format_status_json(status.snapshot(0));
  EXPECT_NE(json.find("\"packets_not_stored\":42"), std::string::npos) << json;
  EXPECT_NE(json.find("\"ring_writable\":false"), std::string::npos) << json;
  EXPECT_EQ(json.front(), '{');
}

TEST(Status, ConsumerLagInTextAndJson) {
  CaptureStatus status(0);
  status.set_consumers({{"pcap2json", 120, 64000, 3}, {"archive", 0, 0, 0}});
  const StatusSnapshot s = status.snapshot(0);
  const std::string text = format_status_text(s);
  EXPECT_NE(text.find("consumer_pcap2json_lag_packets, 120\nconsumer_pcap2json_lag_bytes, "
                      "64000\nconsumer_pcap2json_lag_seconds, 3\n"),
            std::string::npos)
      << text;
  const std::string json = format_status_json(s);
  EXPECT_NE(json.find(R"("consumers":[{"name":"pcap2json","lag_packets":120,"lag_bytes":64000,)"
                      R"("lag_seconds":3},{"name":"archive",)"),
            std::string::npos)
      << json;
  EXPECT_NE(format_status_json(CaptureStatus(0).snapshot(0)).find(R"("consumers":[]})"),
            std::string::npos);
}

TEST(Status, ModeFieldsFollowTheFixedKeysInBothRenderings) {
  CaptureStatus status(0);
  status.set_consumers({{"pcap2json", 1, 2, 3}});
  EXPECT_TRUE(status.snapshot(0).mode_fields.empty());  // no capture mode: no extra keys
  uint64_t packets = 7;
  status.set_mode_fields([&packets] {
    return std::vector<StatusField>{{"forward_rules", 2}, {"forward_packets", packets}};
  });
  packets = 9;  // read at every snapshot, not when set
  const StatusSnapshot s = status.snapshot(0);
  const std::string text = format_status_text(s);
  EXPECT_NE(text.find("ring_writable, true\nforward_rules, 2\nforward_packets, 9\n"
                      "consumer_pcap2json_lag_packets, 1\n"),
            std::string::npos)
      << text;
  const std::string json = format_status_json(s);
  EXPECT_NE(json.find(R"("ring_writable":true,"forward_rules":2,"forward_packets":9,)"
                      R"("consumers":[)"),
            std::string::npos)
      << json;
}

TEST(RateMeter, PerSecondRates) {
  RateMeter meter;
  EXPECT_EQ(meter.sample(1 * base::kNsPerSec, 0, 0), (std::pair<uint64_t, uint64_t>{0, 0}));
  auto [bps, pps] = meter.sample(3 * base::kNsPerSec, 1000, 50);
  EXPECT_EQ(bps, 4000u);  // 1000 bytes * 8 / 2 s
  EXPECT_EQ(pps, 25u);
}

TEST(TscClock, ConvertsAndNeverGoesBackwards) {
  TscClock clock(2'000'000'000, 1000, 5 * base::kNsPerSec);  // 2 GHz
  EXPECT_EQ(clock.to_ns(1000), 5 * base::kNsPerSec);
  EXPECT_EQ(clock.to_ns(1000 + 2'000'000'000), 6 * base::kNsPerSec);
  // A day later: the 128-bit product does not overflow.
  const uint64_t day_ticks = 86'400ull * 2'000'000'000ull;
  EXPECT_EQ(clock.to_ns(1000 + day_ticks), 5 * base::kNsPerSec + 86'400 * base::kNsPerSec);
  // Re-anchoring to a realtime that is behind keeps time monotonic.
  clock.re_anchor(1000 + 2'000'000'000, 5 * base::kNsPerSec);
  EXPECT_EQ(clock.to_ns(1000 + 2'000'000'000), 6 * base::kNsPerSec);
  EXPECT_GE(clock.to_ns(1000 + 3'000'000'000ull), 6 * base::kNsPerSec + 500'000'000);
  // Re-anchoring forward follows realtime.
  clock.re_anchor(1000 + 4'000'000'000ull, 10 * base::kNsPerSec);
  EXPECT_EQ(clock.to_ns(1000 + 4'000'000'000ull), 10 * base::kNsPerSec);
}

}  // namespace
}  // namespace snapflow::capture
