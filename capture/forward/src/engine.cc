#include "snapflow/forward/engine.h"

#include <algorithm>
#include <cstring>

#include "snapflow/forward/arp.h"
#include "snapflow/forward/icmp.h"
#include "snapflow/forward/nd.h"
#include "snapflow/forward/rewrite.h"

namespace snapflow::forward {
namespace {

IpAddr wire_address(const std::byte* p, size_t n) {
  return n == 4 ? IpAddr::v4(p) : IpAddr::v6(p);
}

size_t direction_index(Direction d) {
  return static_cast<size_t>(d);
}

// ICMPv6 messages that belong to the link (MLD, router/neighbour discovery, redirect): never
// forwarded, whatever their addresses.
bool is_link_local_icmpv6(const std::byte* frame, const FrameView& view) {
  if (view.network != Network::kIpv6 || view.protocol != kProtoIcmpv6 || view.l4_offset == 0 ||
      view.l4_offset >= view.ip_end) {
    return false;
  }
  const auto type = static_cast<uint8_t>(frame[view.l4_offset]);
  return (type >= 130 && type <= 137) || type == 143;
}

}  // namespace

ForwardEngine::ForwardEngine(Ports ports, std::unique_ptr<TableCell::Reader> reader,
                             CaptureSink& capture, FrameEmitter& emitter, EngineOptions options)
    : ports_(std::move(ports)),
      reader_(std::move(reader)),
      capture_(capture),
      emitter_(emitter),
      options_(options),
      neighbours_(options.neighbour_capacity, options.hold_slots,
                  [this] {
                    uint32_t mtu = 0;
                    for (const auto& p : ports_.all()) mtu = std::max(mtu, p.mtu);
                    return size_t{mtu} + kEthernetHeaderBytes;
                  }()),
      scratch_(new std::byte[kIcmpErrorFrameMax]) {
  icmp_tokens_ = std::max<double>(10, options_.icmp_errors_per_s / 10.0);
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    for (const auto& [ip, mac] : ports_[p].static_neighbours) {
      if (NeighbourTable::Entry* e = neighbours_.find_or_create(p, ip)) {
        e->mac = mac;
        e->resolved = true;
        e->permanent = true;
      }
    }
  }
}

void ForwardEngine::begin_batch(int64_t now_ns) {
  now_ns_ = now_ns;
  table_ = reader_->enter();
  if (table_->version() != seen_version_) {
    seen_version_ = table_->version();
    on_new_table(now_ns);
  }
}

void ForwardEngine::end_batch() {
  table_ = nullptr;
  reader_->leave();
}

Outcome ForwardEngine::handle(RxFrame& frame) {
  counters_.received.add();
  counters_.received_bytes.add(frame.length);
  FrameView view;
  const ParseStatus status = parse_frame(frame.data, frame.length, view);
  if (status != ParseStatus::kOk) {
    parse_counters_[static_cast<size_t>(status)].add();
    counters_.drop(EngineDrop::kMalformed);
    return {};
  }
  const PortConfig& port = ports_[frame.port];
  const bool to_us = std::memcmp(frame.data, port.mac.data(), 6) == 0;
  const bool group = (static_cast<uint8_t>(frame.data[0]) & 0x01) != 0;
  if (!to_us && !group) {
    counters_.drop(EngineDrop::kNotForUs);
    return {};
  }
  switch (view.network) {
    case Network::kArp:
      return handle_arp(frame);
    case Network::kIpv4:
    case Network::kIpv6: {
      if (frame.checksum_partial && complete_partial_checksum(frame.data, view)) {
        counters_.checksums_completed.add();
      }
      if (to_us && !is_link_local_icmpv6(frame.data, view)) {
        const RuleTable::Match* match = table_->find(
            frame.data + view.src_offset(), frame.data + view.dst_offset(), view.address_bytes());
        if (match) return forward(frame, view, *match);
      }
      return handle_local(frame, view);
    }
    case Network::kOther:
      break;
  }
  counters_.drop(EngineDrop::kNotIp);
  return {};
}

Outcome ForwardEngine::handle_arp(RxFrame& frame) {
  ArpMessage arp;
  if (!parse_arp(frame.data, frame.length, arp)) {
    counters_.drop(EngineDrop::kMalformed);
    return {};
  }
  // Any ARP packet updates an entry we already keep for its sender (RFC 826's merge step);
  // none is created for strangers.
  if (NeighbourTable::Entry* e =
          neighbours_.learn(frame.port, arp.sender_ip, arp.sender_mac, now_ns_)) {
    if (arp.op == kArpReply) counters_.arp_replies_learned.add();
    release_held(*e);
  }
  const auto owner = ports_.port_of(arp.target_ip);
  if (arp.op == kArpRequest && owner && *owner == frame.port) {
    arp_request_to_reply(frame.data, ports_[frame.port].mac);
    counters_.arp_requests_answered.add();
    return {true, frame.port, nullptr};
  }
  return {};
}

Outcome ForwardEngine::handle_local(RxFrame& frame, const FrameView& view) {
  if (is_link_local_icmpv6(frame.data, view)) {
    const auto type = static_cast<uint8_t>(frame.data[view.l4_offset]);
    if (type == kIcmpv6NeighbourSolicitation || type == kIcmpv6NeighbourAdvertisement) {
      return handle_nd(frame, view);
    }
    counters_.drop(EngineDrop::kLinkLocal);
    return {};
  }
  const auto owner = ports_.port_of_wire(frame.data + view.dst_offset(), view.address_bytes());
  if (!owner) {
    counters_.drop(EngineDrop::kNotOurAddress);
    return {};
  }
  if (is_echo_request(frame.data, view)) {
    if (!take_icmp_token(now_ns_)) {
      counters_.drop(EngineDrop::kIcmpRateLimited);
      return {};
    }
    echo_request_to_reply(frame.data, view);
    counters_.echo_replies_sent.add();
    return {true, frame.port, nullptr};
  }
  counters_.drop(EngineDrop::kNoRule);
  return {};
}

Outcome ForwardEngine::handle_nd(RxFrame& frame, const FrameView& view) {
  NdMessage nd;
  if (!parse_nd(frame.data, view, nd)) {
    counters_.drop(EngineDrop::kMalformed);
    return {};
  }
  if (nd.type == kIcmpv6NeighbourAdvertisement) {
    const MacAddress mac = nd.has_link_address ? nd.link_address : read_mac(frame.data + 6);
    if (NeighbourTable::Entry* e = neighbours_.learn(frame.port, nd.target, mac, now_ns_)) {
      counters_.nd_advertisements_learned.add();
      release_held(*e);
    }
    return {};
  }
  // A solicitation: it refreshes what we know of its sender, and we answer for our addresses.
  const bool unspecified =
      std::all_of(nd.source.bytes.begin(), nd.source.bytes.end(), [](uint8_t b) { return b == 0; });
  if (!unspecified && nd.has_link_address) {
    if (NeighbourTable::Entry* e =
            neighbours_.learn(frame.port, nd.source, nd.link_address, now_ns_)) {
      release_held(*e);
    }
  }
  const auto owner = ports_.port_of(nd.target);
  if (!owner || *owner != frame.port) return {};
  const MacAddress to_mac = nd.has_link_address ? nd.link_address : read_mac(frame.data + 6);
  const size_t length = build_neighbour_advertisement(scratch_.get(), ports_[frame.port].mac,
                                                      nd.target, to_mac, nd.source);
  if (emitter_.emit(frame.port, scratch_.get(), length)) {
    counters_.nd_solicitations_answered.add();
  } else {
    counters_.drop(EngineDrop::kTxFull);
  }
  return {};
}

Outcome ForwardEngine::forward(RxFrame& frame, const FrameView& view,
                               const RuleTable::Match& match) {
  const Rule& rule = *match.rule;
  RuleCounters& counters = *match.counters;
  const bool a_to_b = match.direction == Direction::kAtoB;
  const uint16_t out_port = a_to_b ? rule.egress_port : rule.capture_port;
  const IpAddr& next_hop = a_to_b ? rule.next_hop_b : rule.next_hop_a;

  if (view.ttl <= 1) {
    counters.drop(RuleDrop::kTtlExceeded);
    if (may_send_icmp_error(frame.data, view)) {
      if (!take_icmp_token(now_ns_)) {
        counters_.drop(EngineDrop::kIcmpRateLimited);
        return {};
      }
      // From the address the packet was sent to: the one its sender knows the probe by.
      const IpAddr ours = wire_address(frame.data + view.dst_offset(), view.address_bytes());
      const size_t length = build_time_exceeded(scratch_.get(), frame.data, view,
                                                ports_[frame.port].mac, ours, ip_id_++);
      if (emitter_.emit(frame.port, scratch_.get(), length)) {
        counters_.time_exceeded_sent.add();
      } else {
        counters_.drop(EngineDrop::kTxFull);
      }
    }
    return {};
  }
  if (!next_hop.is_set()) {
    counters.drop(RuleDrop::kNoRoute);
    return {};
  }
  if (view.ip_end - view.l3_offset > ports_[out_port].mtu) {
    counters.drop(RuleDrop::kTooBig);
    return {};
  }
  NeighbourTable::Entry* neighbour = next_hop_entry(rule, match.direction, out_port, next_hop);
  if (neighbour == nullptr || !neighbour->resolved) {
    if (neighbour == nullptr) neighbour = neighbours_.find_or_create(out_port, next_hop);
    if (neighbour == nullptr ||
        !neighbours_.hold(*neighbour, frame.data, frame.length, frame.port, frame.ts_ns)) {
      counters.drop(RuleDrop::kNoNeighbour);
      return {};
    }
    counters_.held.add();
    if (neighbour->probes == 0 ||
        now_ns_ - neighbour->probed_ns >= NeighbourTable::kProbeIntervalNs) {
      send_probe(*neighbour, now_ns_);
    }
    return {};
  }

  if (rule.spec.mode != CaptureMode::kEgress) {
    capture_copy(frame, view, rule, match.direction, false, counters);
  }
  rewrite_addresses(frame.data, frame.length, view, a_to_b ? rule.spec.egress : rule.spec.capture,
                    a_to_b ? rule.spec.b : rule.spec.a, /*decrement_ttl=*/true);
  std::memcpy(frame.data, neighbour->mac.data(), 6);
  std::memcpy(frame.data + 6, ports_[out_port].mac.data(), 6);
  if (rule.spec.mode == CaptureMode::kEgress) {
    capture_copy(frame, view, rule, match.direction, true, counters);
  }
  counters.packets[direction_index(match.direction)].add();
  counters.bytes[direction_index(match.direction)].add(frame.length);
  return {true, out_port, &counters};
}

NeighbourTable::Entry* ForwardEngine::next_hop_entry(const Rule& rule, Direction direction,
                                                     uint16_t port, const IpAddr& next_hop) {
  const auto key = reinterpret_cast<uintptr_t>(&rule);
  HopCache& slot = hop_cache_[((key >> 6) ^ (key >> 14) ^ static_cast<uintptr_t>(direction)) &
                              (kHopCacheSize - 1)];
  if (slot.rule == &rule && slot.direction == direction) return slot.entry;
  NeighbourTable::Entry* entry = neighbours_.find(port, next_hop);
  if (entry != nullptr) slot = {&rule, direction, entry};  // absent ones are created later
  return entry;
}

void ForwardEngine::capture_copy(const RxFrame& frame, const FrameView& view, const Rule& rule,
                                 Direction direction, bool after_rewrite, RuleCounters& counters) {
  const uint32_t captured = std::min(frame.length, options_.snaplen);
  std::byte* copy = capture_.reserve(captured);
  if (copy == nullptr) {
    counters.capture_dropped.add();
    return;
  }
  std::memcpy(copy, frame.data, captured);
  if (!after_rewrite && rule.spec.mode == CaptureMode::kInline) {
    // The probe address the packet was sent to stands for the far end: capture -> B, egress -> A.
    const bool a_to_b = direction == Direction::kAtoB;
    rewrite_addresses(copy, captured, view, a_to_b ? rule.spec.a : rule.spec.b,
                      a_to_b ? rule.spec.b : rule.spec.a, /*decrement_ttl=*/false);
  }
  capture_.commit(frame.ts_ns, captured, frame.length);
  counters.captured.add();
}

void ForwardEngine::release_held(NeighbourTable::Entry& entry) {
  if (entry.held_count == 0) return;
  neighbours_.release(entry, [&](const NeighbourTable::Held& held) {
    RxFrame frame{const_cast<std::byte*>(held.data), held.length, held.in_port, held.ts_ns, false};
    FrameView view;
    if (parse_frame(frame.data, frame.length, view) != ParseStatus::kOk) return;
    const RuleTable::Match* match = table_->find(
        frame.data + view.src_offset(), frame.data + view.dst_offset(), view.address_bytes());
    if (match == nullptr) {  // the rule went away while the packet waited
      counters_.drop(EngineDrop::kNoRule);
      return;
    }
    const Outcome out = forward(frame, view, *match);
    if (out.transmit && !emitter_.emit(out.port, frame.data, frame.length)) {
      match->counters->drop(RuleDrop::kTxFull);
    }
  });
}

void ForwardEngine::expire_held(NeighbourTable::Entry& entry) {
  neighbours_.release(entry, [&](const NeighbourTable::Held& held) {
    FrameView view;
    if (parse_frame(held.data, held.length, view) != ParseStatus::kOk) return;
    const RuleTable::Match* match = table_->find(
        held.data + view.src_offset(), held.data + view.dst_offset(), view.address_bytes());
    if (match) {
      match->counters->drop(RuleDrop::kNoNeighbour);
    } else {
      counters_.drop(EngineDrop::kNoRule);
    }
  });
}

void ForwardEngine::send_probe(NeighbourTable::Entry& entry, int64_t now_ns) {
  entry.probed_ns = now_ns;
  ++entry.probes;
  const auto source = ports_.source_for(entry.port, entry.ip.family, entry.ip);
  if (!source) return;
  const MacAddress& mac = ports_[entry.port].mac;
  size_t length = 0;
  if (entry.ip.family == 4) {
    length = build_arp(scratch_.get(), kArpRequest, kBroadcastMac, mac, mac, *source, MacAddress{},
                       entry.ip);
  } else {
    length = build_neighbour_solicitation(scratch_.get(), mac, *source, entry.ip);
  }
  if (!emitter_.emit(entry.port, scratch_.get(), length)) {
    counters_.drop(EngineDrop::kTxFull);
    return;
  }
  (entry.ip.family == 4 ? counters_.arp_requests_sent : counters_.nd_solicitations_sent).add();
}

void ForwardEngine::on_new_table(int64_t now_ns) {
  ++wanted_generation_;
  hop_cache_.fill(HopCache{});  // rules may have been freed and their addresses reused
  for (const Rule& rule : table_->rules()) {
    const std::pair<uint16_t, const IpAddr*> hops[] = {{rule.capture_port, &rule.next_hop_a},
                                                       {rule.egress_port, &rule.next_hop_b}};
    for (const auto& [port, hop] : hops) {
      if (!hop->is_set()) continue;
      NeighbourTable::Entry* e = neighbours_.find_or_create(port, *hop);
      if (e == nullptr) continue;
      e->wanted = wanted_generation_;
      if (!e->resolved && !e->permanent &&
          (e->probes == 0 || now_ns - e->probed_ns >= NeighbourTable::kProbeIntervalNs)) {
        send_probe(*e, now_ns);
      }
    }
  }
}

void ForwardEngine::tick(int64_t now_ns) {
  begin_batch(now_ns);
  neighbours_.for_each([&](NeighbourTable::Entry& e) {
    if (e.permanent) return;
    const bool wanted = e.wanted == wanted_generation_ || e.held_count > 0;
    const bool probe_due = now_ns - e.probed_ns >= NeighbourTable::kProbeIntervalNs;
    if (!e.resolved) {
      if (e.held_count > 0 && e.probes >= NeighbourTable::kMaxProbes && probe_due) {
        expire_held(e);
        e.probes = 0;
      }
      if (wanted && probe_due) send_probe(e, now_ns);
    } else if (wanted &&
               now_ns - std::max(e.confirmed_ns, e.probed_ns) >= NeighbourTable::kRefreshNs) {
      send_probe(e, now_ns);
    }
  });
  end_batch();
}

void ForwardEngine::count_unsent(const Outcome& outcome) {
  if (outcome.counters) {
    outcome.counters->drop(RuleDrop::kTxFull);
  } else {
    counters_.drop(EngineDrop::kTxFull);
  }
}

bool ForwardEngine::take_icmp_token(int64_t now_ns) {
  if (options_.icmp_errors_per_s == 0) return false;
  const double burst = std::max<double>(10, options_.icmp_errors_per_s / 10.0);
  if (icmp_refill_ns_ != 0 && now_ns > icmp_refill_ns_) {
    icmp_tokens_ = std::min(burst, icmp_tokens_ + static_cast<double>(now_ns - icmp_refill_ns_) *
                                                      options_.icmp_errors_per_s / 1e9);
  }
  icmp_refill_ns_ = now_ns;
  if (icmp_tokens_ < 1) return false;
  icmp_tokens_ -= 1;
  return true;
}

}  // namespace snapflow::forward
