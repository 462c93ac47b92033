// Named consumer cursors: where each consumer (e.g. "pcap2json") has durably finished.
//
// Each cursor is one small text file DIR/cursors/NAME replaced atomically (write a temporary
// file, fsync, rename, fsync the directory), so after any crash a cursor holds either its old
// or its new position, never a torn one. A cursor file's existence registers the consumer:
// under the block policy the writer will not reuse a segment until every registered cursor has
// moved past it. remove() unregisters. pcap2json saves its cursor only at positions before
// which every document has been acknowledged.
//
// Thread-safety: a CursorStore holds no mutable state; concurrent save() of *different* names
// is safe, of the same name is last-writer-wins.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

struct Cursor {
  RingPosition position;
  int64_t last_ts_ns = 0;  ///< timestamp of the last record consumed (for gap reporting)

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// A place after its cursor where a consumer began a part for a reason the data does not show,
// with what it needs to cut that part the same way again (`mode`: opaque to the ring, one
// token without spaces; empty when there is nothing to say).
struct PartStart {
  uint64_t record = 0;  ///< ring-wide record number (1-based) the part begins with
  std::string mode;

  friend bool operator==(const PartStart&, const PartStart&) = default;
};

// Everything a consumer keeps in its cursor file. pcap2json's ring input
// (docs/decisions/0005-document-identity.md, 0006-graceful-degradation.md) records what it
// exports as, so a second consumer exporting the same ring under the same observer and capture
// can be refused; the part starts after its cursor it decided on wall-clock grounds (the ring
// went idle, the consumer was stopped, it changed resolution); and how far it had decided
// (parts starting before `decided_through` were begun by an earlier run, so a restart must cut
// them as recorded, not decide again).
struct ConsumerState {
  Cursor cursor;
  std::string observer;     ///< observer.name of its documents (empty: not recorded)
  std::string capture;      ///< labels.capture of its documents
  std::string cursor_mode;  ///< the mode in effect at the cursor (opaque, like PartStart::mode)
  std::vector<PartStart> part_starts;  ///< after cursor, ascending
  uint64_t decided_through = 0;        ///< record number; 0 when nothing was recorded
  /// Named counters the consumer keeps beside its position (pcap2json: its accounting
  /// baseline); names are [a-z0-9_.].
  std::map<std::string, uint64_t> counters;

  friend bool operator==(const ConsumerState&, const ConsumerState&) = default;
};

// Cursor and capture names: 1..64 of [A-Za-z0-9_.-], not starting with '.'.
bool is_valid_name(std::string_view name);

class CursorStore {
 public:
  explicit CursorStore(std::string ring_dir);

  // Durable when it returns ok.
  base::Status save(std::string_view name, const Cursor& cursor) const;
  base::Status save(std::string_view name, const ConsumerState& state) const;
  // nullopt when the consumer has no cursor yet.
  base::Result<std::optional<Cursor>> load(std::string_view name) const;
  base::Result<std::optional<ConsumerState>> load_state(std::string_view name) const;
  base::Result<std::vector<std::pair<std::string, Cursor>>> list() const;
  base::Status remove(std::string_view name) const;

 private:
  std::string dir_;  ///< ring_dir + "/cursors"
};

// Text form of a cursor file (exposed for tests and docs). A file written with only a Cursor
// decodes as a ConsumerState with empty names and no part starts.
std::string encode_cursor(const Cursor& cursor);
std::string encode_consumer_state(const ConsumerState& state);
base::Result<Cursor> decode_cursor(std::string_view text);
base::Result<ConsumerState> decode_consumer_state(std::string_view text);

}  // namespace snapflow::ring
