// flow_bound: the bare flow loop, as a bound for pcap2json's flow mode on the same file and the
// same machine (issue 11). It does what flow aggregation cannot do without, and nothing more:
//   read     the same batch reader pcap2json uses (snapflow::pcap::open_files)
//   parse    the simplest parse that finds a 5-tuple: Ethernet, up to two VLAN tags, IPv4
//            (header length, later fragments have no ports) or IPv6 (fixed header only), TCP,
//            UDP and SCTP ports; with --vxlan-inner, UDP/4789 with the I flag continues into
//            the inner Ethernet frame and the VNI joins the key (the tunnel workload)
//   hash     XXH3-64 over the 44-byte key (the hash pcap2json uses)
//   update   one open-addressing table for the whole run, one 64-byte entry per flow (hash,
//            key, packets, bytes: one cache line per probe), linear probing at load <= 1/2;
//            updates go in groups of 64 packets whose slots were prefetched while the group
//            was parsed, so the memory latency of a large table overlaps the parsing
// No snapshots, no documents, no JSON: what is left is reading, parsing and one cache miss per
// packet. scripts/bench-pcap2json.sh runs it interleaved with pcap2json and reports ratios.
//
//   flow_bound [--vxlan-inner] FILE...   prints one line: packets, flows, seconds, Mpps
#include <xxhash.h>

#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/bytes.h"
#include "snapflow/pcap/reader.h"

namespace {

using snapflow::base::load_be16;
using snapflow::base::load_be32;

struct Key {
  uint8_t source[16];
  uint8_t destination[16];
  uint32_t vni;
  uint16_t source_port;
  uint16_t destination_port;
  uint8_t protocol;
  uint8_t ip_version;
  uint8_t reserved[2];
};
static_assert(sizeof(Key) == 44, "hashed and compared as bytes: no padding");

struct alignas(64) Entry {
  uint64_t hash;  ///< 0: empty (real hashes are forced odd)
  Key key;
  uint32_t packets;
  uint64_t bytes;
};
static_assert(sizeof(Entry) == 64, "one cache line per flow");

class Table {
 public:
  Table() : entries_(1 << 16), mask_(entries_.size() - 1) {}

  void prefetch(uint64_t hash) const { __builtin_prefetch(&entries_[hash & mask_], 1); }

  void add(const Key& key, uint64_t hash, uint32_t wire_length) {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Entry& e = entries_[i];
      if (e.hash == hash && std::memcmp(&e.key, &key, sizeof key) == 0) {
        ++e.packets;
        e.bytes += wire_length;
        return;
      }
      if (e.hash == 0) {
        if ((size_ + 1) * 2 > entries_.size()) {
          grow();
          add(key, hash, wire_length);
          return;
        }
        e.hash = hash;
        e.key = key;
        e.packets = 1;
        e.bytes = wire_length;
        ++size_;
        return;
      }
    }
  }

  size_t size() const { return size_; }

 private:
  void grow() {
    std::vector<Entry> bigger(entries_.size() * 2);
    const size_t mask = bigger.size() - 1;
    for (const Entry& e : entries_) {
      if (e.hash == 0) continue;
      size_t i = e.hash & mask;
      while (bigger[i].hash != 0) i = (i + 1) & mask;
      bigger[i] = e;
    }
    entries_.swap(bigger);
    mask_ = mask;
  }

  std::vector<Entry> entries_;
  size_t mask_;
  size_t size_ = 0;
};

// Fills key from an IP header at p (n bytes left). Returns false if it is not IPv4/IPv6.
template <bool kVxlanInner>
bool parse_ip(const std::byte* p, size_t n, Key& key, int depth);

template <bool kVxlanInner>
bool parse_ethernet(const std::byte* p, size_t n, Key& key, int depth) {
  if (n < 14) return false;
  uint16_t type = load_be16(p + 12);
  size_t off = 14;
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8) && n >= off + 4; ++tags) {
    type = load_be16(p + off + 2);
    off += 4;
  }
  if (type != 0x0800 && type != 0x86dd) return false;
  return parse_ip<kVxlanInner>(p + off, n - off, key, depth);
}

template <bool kVxlanInner>
bool parse_ip(const std::byte* p, size_t n, Key& key, int depth) {
  if (n < 1) return false;
  const unsigned version = static_cast<uint8_t>(p[0]) >> 4;
  size_t l4;
  bool ports = true;
  if (version == 4) {
    if (n < 20) return false;
    l4 = (static_cast<size_t>(p[0]) & 0x0f) * 4;
    ports = (load_be16(p + 6) & 0x1fff) == 0;  // later fragments have none
    key.protocol = static_cast<uint8_t>(p[9]);
    std::memcpy(key.source, p + 12, 4);
    std::memcpy(key.destination, p + 16, 4);
  } else if (version == 6) {
    if (n < 40) return false;
    l4 = 40;
    key.protocol = static_cast<uint8_t>(p[6]);
    std::memcpy(key.source, p + 8, 16);
    std::memcpy(key.destination, p + 24, 16);
  } else {
    return false;
  }
  key.ip_version = static_cast<uint8_t>(version);
  const uint8_t proto = key.protocol;
  if (!ports || (proto != 6 && proto != 17 && proto != 132) || n < l4 + 4) return true;
  key.source_port = load_be16(p + l4);
  key.destination_port = load_be16(p + l4 + 2);
  if constexpr (kVxlanInner) {
    // UDP/4789 + an 8-byte VXLAN header with the I flag: key the inner frame instead.
    if (proto == 17 && key.destination_port == 4789 && depth == 0 && n >= l4 + 16 &&
        (static_cast<uint8_t>(p[l4 + 8]) & 0x08) != 0) {
      Key inner{};
      inner.vni = load_be32(p + l4 + 12) >> 8;
      if (parse_ethernet<true>(p + l4 + 16, n - l4 - 16, inner, depth + 1)) key = inner;
    }
  }
  return true;
}

struct Totals {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  size_t flows = 0;
  double seconds = 0;
};

template <bool kVxlanInner>
snapflow::base::Result<Totals> run(const std::vector<std::string>& paths) {
  auto reader = snapflow::pcap::open_files(paths);
  if (!reader.ok()) return std::move(reader).error();
  snapflow::pcap::PacketBatch batch;
  Table table;
  Totals totals;
  constexpr size_t kGroup = 64;
  Key keys[kGroup];
  uint64_t hashes[kGroup];
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto n = (*reader)->next_batch(batch, 8192);
    if (!n.ok()) return std::move(n).error();
    if (*n == 0) break;
    const auto& records = batch.records;
    for (size_t base = 0; base < records.size(); base += kGroup) {
      const size_t count = std::min(kGroup, records.size() - base);
      for (size_t i = 0; i < count; ++i) {
        const auto& r = records[base + i];
        Key& key = keys[i];
        key = Key{};
        const auto* p = r.data;
        if (r.link_type == snapflow::pcap::kLinkEthernet) {
          parse_ethernet<kVxlanInner>(p, r.captured_length, key, 0);
        } else {
          parse_ip<kVxlanInner>(p, r.captured_length, key, 0);
        }
        hashes[i] = XXH3_64bits(&key, sizeof key) | 1;
        table.prefetch(hashes[i]);
      }
      for (size_t i = 0; i < count; ++i) {
        table.add(keys[i], hashes[i], records[base + i].wire_length);
        totals.bytes += records[base + i].wire_length;
      }
    }
    totals.packets += records.size();
  }
  totals.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  totals.flows = table.size();
  return totals;
}

}  // namespace

int main(int argc, char** argv) {
  bool vxlan_inner = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--vxlan-inner") {
      vxlan_inner = true;
    } else if (arg == "-h" || arg == "--help" || (arg.size() > 1 && arg[0] == '-')) {
      std::fprintf(stderr, "usage: flow_bound [--vxlan-inner] FILE...\n");
      return arg[1] == 'h' || arg == "--help" ? 0 : 2;
    } else {
      paths.emplace_back(arg);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: flow_bound [--vxlan-inner] FILE...\n");
    return 2;
  }
  auto totals = vxlan_inner ? run<true>(paths) : run<false>(paths);
  if (!totals.ok()) {
    std::fprintf(stderr, "flow_bound: %s\n", totals.error().to_string().c_str());
    return 1;
  }
  std::printf(
      "flow_bound packets %llu bytes %llu flows %zu seconds %.3f Mpps %.2f%s\n",
      static_cast<unsigned long long>(totals->packets),
      static_cast<unsigned long long>(totals->bytes), totals->flows, totals->seconds,
      totals->seconds > 0 ? static_cast<double>(totals->packets) / totals->seconds / 1e6 : 0.0,
      vxlan_inner ? " (vxlan inner)" : "");
  return 0;
}
