// The forwarder's engine on untrusted frames: the input is one received frame (its first byte
// picks the port, the rest is the frame), handled by a ForwardEngine holding an IPv4 and an
// IPv6 rule, then classified as mirror traffic. Nothing may read or write outside the frame
// (ASan), a transmitted frame keeps its length, and every capture copy stays within snaplen.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "mirror_decap.h"
#include "snapflow/forward/engine.h"

namespace {

using namespace snapflow::forward;

struct Sink : CaptureSink {
  std::vector<std::byte> buffer = std::vector<std::byte>(65536);
  uint32_t reserved = 0;
  std::byte* reserve(uint32_t bytes) override {
    if (bytes > buffer.size()) std::abort();
    reserved = bytes;
    return buffer.data();
  }
  void commit(int64_t, uint32_t captured, uint32_t wire) override {
    if (captured > reserved || captured > wire) std::abort();
  }
};
struct Emitter : FrameEmitter {
  bool emit(uint16_t port, const std::byte*, size_t length) override {
    if (port > 1 || length > 65535 + 14) std::abort();
    return true;
  }
};

Rule make_rule(uint32_t id, const char* a, const char* cap, const char* egr, const char* b,
               CaptureMode mode) {
  Rule r;
  r.id = id;
  r.spec = {*parse_ip(a), *parse_ip(cap), *parse_ip(egr), *parse_ip(b), mode, ""};
  r.capture_port = 0;
  r.egress_port = 1;
  r.next_hop_a = r.spec.a;
  r.next_hop_b = r.spec.b;
  r.counters = std::make_shared<RuleCounters>();
  return r;
}

std::unique_ptr<const RuleTable> rules() {
  auto table = RuleTable::build(
      {make_rule(1, "10.1.0.2", "10.1.0.1", "10.2.0.1", "10.2.0.2", CaptureMode::kInline),
       make_rule(2, "2001:db8:1::2", "2001:db8:1::1", "2001:db8:2::1", "2001:db8:2::2",
                 CaptureMode::kEgress)},
      1);
  if (!table) std::abort();
  return std::move(*table);
}

struct World {
  Sink sink;
  Emitter emitter;
  RcuCell<RuleTable> cell{rules()};
  std::unique_ptr<ForwardEngine> engine;
  World() {
    PortConfig p0 = *parse_port_config("10.1.0.1/24,2001:db8:1::1/64");
    PortConfig p1 = *parse_port_config("10.2.0.1/24,2001:db8:2::1/64");
    p0.mac = {0x02, 0, 0, 0, 0, 0x10};
    p1.mac = {0x02, 0, 0, 0, 0, 0x20};
    EngineOptions options;
    options.snaplen = 128;
    engine = std::make_unique<ForwardEngine>(Ports({p0, p1}), cell.register_reader(), sink, emitter,
                                             options);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World world;
  static int64_t now = 1'000'000'000;
  if (size < 2) return 0;  // a port byte and at least one frame byte
  std::vector<std::byte> frame(size - 1);
  std::memcpy(frame.data(), data + 1, size - 1);
  RxFrame rx{frame.data(), static_cast<uint32_t>(frame.size()), static_cast<uint16_t>(data[0] & 1),
             1, (data[0] & 2) != 0};
  world.engine->begin_batch(now);
  const Outcome out = world.engine->handle(rx);
  world.engine->end_batch();
  if (out.transmit && (out.port > 1 || rx.length != frame.size())) std::abort();
  now += 400'000'000;  // timers run every few inputs: probes, refreshes, expiry
  world.engine->tick(now);
  snapflow::capture::MirrorPacket m;
  const auto verdict = snapflow::capture::classify_mirror(reinterpret_cast<const std::byte*>(data),
                                                          size, 4789, 6081, m);
  if (verdict == snapflow::capture::MirrorVerdict::kMirror && m.inner_offset > size) std::abort();
  return 0;
}
