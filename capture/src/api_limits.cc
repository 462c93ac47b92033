#include "snapflow/capture/api_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace snapflow::capture {

struct ConnectionTable::Entry {
  uint64_t id = 0;  ///< accept order: larger is newer
  AddressKey key;
  int fd = -1;
  int64_t deadline_ns = 0;  ///< header deadline while idle
  bool in_request = false;
  bool authenticated = false;  ///< some request on this connection had valid credentials
  bool closing = false;        ///< told to close (evicted or expired); no longer counted
};

AddressKey address_key(const sockaddr* addr) {
  AddressKey key;
  if (addr == nullptr) return key;
  if (addr->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    std::memcpy(key.bytes.data(), &v4->sin_addr, 4);
    return key;
  }
  if (addr->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      std::memcpy(key.bytes.data(), &v6->sin6_addr.s6_addr[12], 4);
      return key;
    }
    key.is_v6 = true;
    std::memcpy(key.bytes.data(), &v6->sin6_addr, 8);  // the /64 prefix
  }
  return key;
}

std::string to_string(const AddressKey& key) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (!key.is_v6) {
    inet_ntop(AF_INET, key.bytes.data(), text, sizeof text);
    return text;
  }
  inet_ntop(AF_INET6, key.bytes.data(), text, sizeof text);
  return std::string(text) + "/64";
}

size_t AddressKeyHash::operator()(const AddressKey& key) const {
  // FNV-1a: keys are chosen by clients, but each address costs a connection, so a crafted
  // collision set is bounded by the connection limit.
  uint64_t h = 1469598103934665603ull ^ (key.is_v6 ? 1 : 0);
  for (uint8_t b : key.bytes) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h);
}

ConnectionTable::ConnectionTable(const ConnectionLimits& limits, Closer closer)
    : limits_(limits), closer_(std::move(closer)) {}

ConnectionTable::~ConnectionTable() {
  for (auto& [key, address] : addresses_) {
    for (Entry* e : address.entries) delete e;
  }
}

Admission ConnectionTable::admit(const AddressKey& key) {
  std::lock_guard lock(mu_);
  auto it = addresses_.find(key);
  const uint32_t here = it == addresses_.end() ? 0 : it->second.live;
  if (here >= limits_.per_address) {
    ++counters_.refused_address_full;
    return Admission::kRefuseAddressFull;
  }
  if (live_ < limits_.max_connections) {
    ++counters_.accepted;
    return Admission::kAccept;
  }
  Entry* victim = pick_victim(here);
  if (victim == nullptr) {
    ++counters_.refused_full;
    return Admission::kRefuseFull;
  }
  close_locked(addresses_.at(victim->key), victim);
  ++counters_.evicted;
  ++counters_.accepted;
  return Admission::kAcceptAfterEviction;
}

// The newest idle, never-authenticated connection of the busiest address (among addresses that
// hold more connections than the newcomer's and have such a connection).
ConnectionTable::Entry* ConnectionTable::pick_victim(uint32_t newcomer_live) const {
  Entry* victim = nullptr;
  uint32_t victim_live = newcomer_live;
  for (const auto& [key, address] : addresses_) {
    if (address.live <= newcomer_live || address.live < victim_live) continue;
    Entry* newest = nullptr;
    for (auto e = address.entries.rbegin(); e != address.entries.rend(); ++e) {
      if (!(*e)->closing && !(*e)->in_request && !(*e)->authenticated) {
        newest = *e;
        break;
      }
    }
    if (newest == nullptr) continue;
    if (victim == nullptr || address.live > victim_live || newest->id > victim->id) {
      victim = newest;
      victim_live = address.live;
    }
  }
  return victim;
}

void ConnectionTable::close_locked(Address& address, Entry* entry) {
  entry->closing = true;
  --live_;
  --address.live;
  closer_(entry->fd);
}

ConnectionTable::Entry* ConnectionTable::add(const AddressKey& key, int fd, int64_t now_ns) {
  auto* e = new Entry;
  e->key = key;
  e->fd = fd;
  e->deadline_ns = now_ns + limits_.header_timeout_ns;
  std::lock_guard lock(mu_);
  e->id = next_id_++;
  Address& address = addresses_[key];
  address.entries.push_back(e);
  ++address.live;
  ++live_;
  return e;
}

void ConnectionTable::remove(Entry* entry) {
  if (entry == nullptr) return;
  {
    std::lock_guard lock(mu_);
    auto it = addresses_.find(entry->key);
    if (it != addresses_.end()) {
      auto& entries = it->second.entries;
      entries.erase(std::remove(entries.begin(), entries.end(), entry), entries.end());
      if (!entry->closing) {
        --it->second.live;
        --live_;
      }
      if (entries.empty()) addresses_.erase(it);
    }
  }
  delete entry;
}

void ConnectionTable::begin_request(Entry* entry) {
  std::lock_guard lock(mu_);
  entry->in_request = true;
}

void ConnectionTable::mark_authenticated(Entry* entry) {
  std::lock_guard lock(mu_);
  entry->authenticated = true;
}

void ConnectionTable::end_request(Entry* entry, int64_t now_ns) {
  std::lock_guard lock(mu_);
  entry->in_request = false;
  entry->deadline_ns = now_ns + limits_.header_timeout_ns;
}

size_t ConnectionTable::close_expired(int64_t now_ns) {
  std::lock_guard lock(mu_);
  size_t closed = 0;
  for (auto& [key, address] : addresses_) {
    for (Entry* e : address.entries) {
      if (e->closing || e->in_request || e->deadline_ns > now_ns) continue;
      close_locked(address, e);
      ++counters_.header_deadline_closed;
      ++closed;
    }
  }
  return closed;
}

ConnectionCounters ConnectionTable::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t ConnectionTable::open_connections() const {
  std::lock_guard lock(mu_);
  return live_;
}

}  // namespace snapflow::capture
