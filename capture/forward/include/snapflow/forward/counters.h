// Counters of the forwarder: one writer (the datapath thread that owns the engine), any number
// of readers (status, the rules API, logs).
//
// A Counter is a relaxed atomic that only its single writer increments, with a load and a
// store rather than a locked read-modify-write: readers see a value that was true at some
// recent moment and never a torn one, and the hot path pays no lock prefix.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace snapflow::forward {

class Counter {
 public:
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, kOrder); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  static constexpr auto kOrder = std::memory_order_relaxed;
  std::atomic<uint64_t> value_{0};
};

// Which way a packet crosses its rule: A -> B (A sent it to the capture address) or B -> A
// (B sent it to the egress address).
enum class Direction : uint8_t { kAtoB, kBtoA };
inline constexpr size_t kDirections = 2;
inline const char* to_string(Direction d) {
  return d == Direction::kAtoB ? "a_to_b" : "b_to_a";
}

// Why a packet that matched a rule was not forwarded.
enum class RuleDrop : uint8_t {
  kTtlExceeded,  ///< TTL/hop limit would reach 0 (an ICMP time-exceeded went back)
  kNoRoute,      ///< the destination is off-link and the port has no gateway for its family
  kNoNeighbour,  ///< the next hop's MAC did not resolve (or its hold queue was full)
  kTooBig,       ///< larger than the egress port's MTU
  kTxFull,       ///< the egress port's transmit ring/queue was full
  kCount
};
const char* to_string(RuleDrop reason);

struct RuleCounters {
  std::array<Counter, kDirections> packets;  ///< forwarded, by Direction
  std::array<Counter, kDirections> bytes;    ///< wire bytes of forwarded frames
  std::array<Counter, static_cast<size_t>(RuleDrop::kCount)> drops;
  Counter captured;         ///< copies written into the capture stream
  Counter capture_dropped;  ///< copies lost: capture fell behind (forwarding went on)

  void drop(RuleDrop reason) { drops[static_cast<size_t>(reason)].add(); }
};

// Frames that matched no rule (or were not IP), by reason.
enum class EngineDrop : uint8_t {
  kNotForUs,         ///< destination MAC is neither the port's nor broadcast/multicast we serve
  kNotIp,            ///< an ethertype the forwarder does not handle (LLDP, ...)
  kMalformed,        ///< parse_frame refused it (truncated, bad header or checksum, VLAN, ...)
  kNoRule,           ///< IP to a probe address with no rule for its source, not an echo request
  kNotOurAddress,    ///< IP to an address the probe does not own (misdirected, or forwarded
                     ///< by the kernel's view of the link)
  kLinkLocal,        ///< IPv6 link-local control (ND, MLD, router messages) not for us
  kIcmpRateLimited,  ///< an ICMP error or echo reply was due but the rate limit was reached
  kTxFull,           ///< a reply (ARP, echo, ICMP error) found the transmit ring full
  kCount
};
const char* to_string(EngineDrop reason);

struct EngineCounters {
  Counter received;  ///< frames received on the ports
  Counter received_bytes;
  Counter arp_requests_answered;
  Counter arp_replies_learned;
  Counter arp_requests_sent;
  Counter nd_solicitations_answered;
  Counter nd_advertisements_learned;
  Counter nd_solicitations_sent;
  Counter echo_replies_sent;
  Counter time_exceeded_sent;
  Counter checksums_completed;  ///< CHECKSUM_PARTIAL frames from a local sender, finished here
  Counter held;                 ///< packets parked while their next hop resolved
  std::array<Counter, static_cast<size_t>(EngineDrop::kCount)> drops;

  void drop(EngineDrop reason) { drops[static_cast<size_t>(reason)].add(); }
};

}  // namespace snapflow::forward
