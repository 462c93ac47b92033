// Connection accounting of the capture API server: which address holds which connection, what
// each connection is doing, and which one gives up its place when the server is full.
//
// Every accepted TCP connection has an Entry. A connection is "idle" while it waits for the
// request line and headers of its next request (from accept, or from the end of its previous
// request on a kept-alive connection) and "in a request" from the moment its headers are
// complete until the response is done. The rules (docs/capture.md, "Limits"):
//   * per address (IPv4 /32, IPv6 /64: one host has a whole /64): at most per_address
//     connections; one more is refused at accept;
//   * in total at most max_connections; when full, a connection from an address that holds
//     fewer connections than the busiest address takes the place of the newest idle connection
//     that never authenticated, taken from the busiest address that has one; otherwise the new
//     connection is refused. A connection in a request, or one that has authenticated before,
//     is never evicted;
//   * an idle connection whose request line and headers are not complete header_timeout after
//     it became idle is closed (a client sending one byte a second gets no more time than one
//     sending nothing).
// Closing means shutdown(2) on the socket through the Closer, with the table's lock held: the
// server's "connection closed" notification takes the same lock before libmicrohttpd closes the
// descriptor, so a closed descriptor number can never be reused under the table's feet.
//
// Thread-safe (one mutex; every call is O(connections of one address), except admit() when
// full and close_expired(), which are O(connections)).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace snapflow::capture {

// The unit the per-address limits apply to: an IPv4 address (IPv4-mapped IPv6 included) or an
// IPv6 /64 prefix.
struct AddressKey {
  std::array<uint8_t, 16> bytes{};
  bool is_v6 = false;
  friend bool operator==(const AddressKey&, const AddressKey&) = default;
};
AddressKey address_key(const sockaddr* addr);
std::string to_string(const AddressKey& key);  ///< "127.1.0.3" or "2001:db8::/64"

struct AddressKeyHash {
  size_t operator()(const AddressKey& key) const;
};

struct ConnectionLimits {
  uint32_t max_connections = 256;
  uint32_t per_address = 8;
  int64_t header_timeout_ns = 5'000'000'000;
};

enum class Admission {
  kAccept,
  kAcceptAfterEviction,  ///< full: another address's newest idle connection was closed
  kRefuseAddressFull,    ///< the address holds per_address connections
  kRefuseFull,           ///< full, and no connection may be evicted for this address
};

struct ConnectionCounters {
  uint64_t accepted = 0;
  uint64_t refused_address_full = 0;
  uint64_t refused_full = 0;
  uint64_t evicted = 0;
  uint64_t header_deadline_closed = 0;
};

class ConnectionTable {
 public:
  struct Entry;
  // Closes a connection's socket (the server: shutdown(fd, SHUT_RDWR)); called with the lock held.
  using Closer = std::function<void(int fd)>;

  ConnectionTable(const ConnectionLimits& limits, Closer closer);
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // At accept, before the connection exists: may evict one connection to make room.
  Admission admit(const AddressKey& key);
  // The connection now exists (idle, deadline now + header_timeout). The Entry stays valid
  // until remove(); fd is only used to close it.
  Entry* add(const AddressKey& key, int fd, int64_t now_ns);
  void remove(Entry* entry);

  void begin_request(Entry* entry);       ///< headers complete: no longer idle or evictable
  void mark_authenticated(Entry* entry);  ///< credentials accepted on this connection
  void end_request(Entry* entry, int64_t now_ns);  ///< idle again, with a new header deadline

  // Closes idle connections whose header deadline has passed; returns how many.
  size_t close_expired(int64_t now_ns);

  ConnectionCounters counters() const;
  size_t open_connections() const;  ///< not counting those already told to close

 private:
  struct Address {
    std::vector<Entry*> entries;  ///< in accept order (oldest first)
    uint32_t live = 0;            ///< entries not closing
  };
  Entry* pick_victim(uint32_t newcomer_live) const;
  void close_locked(Address& address, Entry* entry);

  const ConnectionLimits limits_;
  const Closer closer_;
  mutable std::mutex mu_;
  std::unordered_map<AddressKey, Address, AddressKeyHash> addresses_;
  uint64_t next_id_ = 1;
  uint32_t live_ = 0;
  ConnectionCounters counters_;
};

}  // namespace snapflow::capture
