// CloudAnnotator: the cloud capture facts of a flow document, from the capture daemon's state
// files (docs/decisions/0040-capture-mode-by-address.md, docs/formats.md):
//
//   --forward-rules FILE     snapflow.capture_mode, snapflow.rule.{id,name,direction}: the
//                            forwarding rule and the mode its packets were stored in, derived
//                            from the stored packets' addresses and the rules history
//   --mirror-sessions FILE   labels.mirror_session: the Traffic Mirroring session's name for
//                            the flow's VXLAN/Geneve VNI
//
// The ring stores no per-packet tag: a forwarded packet's (source, destination) pair names one
// rule version and mode at any moment (ingress A->capture, B->egress; egress egress->B,
// capture->A; inline A->B, B->A). The pair looked up is the flow's outermost IP header (the
// flow key's addresses, or its outermost tunnel's endpoints when the flow is tunnelled), at
// the flow's first packet in the document. Everything is a pure function of the document's own
// packets and the files, so re-running pcap2json writes byte-identical documents (the indexer
// checks 409s byte for byte, docs/decisions/0005) and the document id is unchanged by them.
//
// Following a live ring, rules change while pcap2json runs. The daemon makes a change durable
// in the file before any packet is forwarded under it, so a document whose first packet is at
// time t is attributed correctly by any copy of the file read after t (later changes close
// versions after t or open versions after t, neither of which touches t). The annotator
// remembers when it last looked at the files and, for a document at or after that moment,
// looks again first (a stat; a re-read only when the file was replaced). Replays of older data
// never trigger it. Each file content read stays alive until the annotator is destroyed (a few
// kilobytes per rule change during one run), so encoder threads use it without locks.
//
// Cost: nothing at all without the options (the encoder tests one pointer per document). With
// them, two relaxed atomic loads and one hash lookup per flow document (not per packet),
// allocation-free.
//
// Thread-safe: one annotator is shared by every encoder thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap2json/flow_record.h"
#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::forward {
class RuleHistory;
class SessionHistory;
}  // namespace snapflow::forward

namespace snapflow::pcap2json {

// The most bytes the annotation adds to one document (the encoders' document bound).
inline constexpr size_t kMaxCloudAnnotationBytes = 512;

class CloudAnnotator {
 public:
  // Either path may be empty (that annotation is off). A named file that is missing or
  // malformed is an error naming it.
  static base::Result<std::shared_ptr<const CloudAnnotator>> load(
      const std::string& forward_rules_path, const std::string& mirror_sessions_path);
  ~CloudAnnotator();
  CloudAnnotator(const CloudAnnotator&) = delete;
  CloudAnnotator& operator=(const CloudAnnotator&) = delete;

  // ECS, inside the snapflow object: ,"capture_mode":"egress","rule":{"id":1,"name":"web",
  // "direction":"a_to_b"} ("name" only when the rule has one); nothing for other flows.
  void write_ecs_rule(DocumentWriter& w, const FlowRecord& record) const;
  // The flow's session name for labels.mirror_session ("" when it has none). The names are
  // [A-Za-z0-9._-]: they need no escaping.
  std::string_view mirror_session(const FlowRecord& record) const;
  // fmadio: ,"CaptureMode":"egress","RuleID":1,"RuleName":"web","RuleDirection":"a_to_b",
  // "MirrorSession":"prod", each when known.
  void write_fmadio(DocumentWriter& w, const FlowRecord& record) const;

  bool has_rules() const { return !rules_path_.empty(); }
  bool has_sessions() const { return !sessions_path_.empty(); }
  // How many times the files were read again because they had changed (a live ring's rules).
  uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }

 private:
  struct FileId {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  struct State;  // one reading of the files
  CloudAnnotator(std::string rules_path, std::string sessions_path);
  // Reads the files (those whose identity changed since `previous`); errors name the file.
  base::Result<std::unique_ptr<const State>> read(const State* previous) const;
  // The reading to use for a document whose first packet is at ts_ns (see the top).
  const State* state_for(int64_t ts_ns) const;

  const std::string rules_path_;
  const std::string sessions_path_;
  mutable std::mutex reload_mu_;                              ///< one reader of the files
  mutable std::vector<std::unique_ptr<const State>> states_;  ///< every reading, kept
  // Written under reload_mu_; read by encoder threads. current_ is stored (release) before
  // checked_ns_, so a thread that sees a checked time sees a reading at least that new.
  mutable std::atomic<const State*> current_{nullptr};
  mutable std::atomic<int64_t> checked_ns_{0};  ///< realtime before the last look at the files
  mutable int64_t last_look_mono_ns_ = 0;       ///< guarded by reload_mu_
  mutable std::atomic<uint64_t> reloads_{0};
};

}  // namespace snapflow::pcap2json
