// FlowEncoder: FlowRecords, snapshot totals and gap records -> JSON documents in a batch.
//
// Formats (docs/json.md has every field):
//   ecs     the snapflow document of docs/formats.md (nested ECS objects; absent fields omitted)
//   fmadio  field names of fmadio's pcap2json flow output (TotalPkt, MACSrc, IPv4.Src, ...), for
//           dashboards built against it; totals and gap documents stay in ECS form
// bulk_form adds the Elasticsearch bulk action line before each document:
//   {"create":{"_index":"snapflow-2026.11.23","_id":"<22-char deterministic id>"}}
//
// Each document is appended to DocumentBatch::body with its start recorded in offsets. The
// batch's packets/bytes grow by the flow documents' counts only (flow and "other" documents),
// never by totals or gap documents, so summing a stream's batches gives exactly the packets
// and bytes that were aggregated.
//
// One FlowEncoder per thread: it is NOT thread-safe (it keeps a scratch buffer, an id hasher
// and a cached index name), and it is meant to be reused for the whole run. In steady state
// encoding allocates nothing except what the batch body needs to grow.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/document/batch.h"
#include "snapflow/pcap2json/document_id.h"
#include "snapflow/pcap2json/encoder_config.h"
#include "snapflow/pcap2json/flow_record.h"
#include "snapflow/pcap2json/json_writer.h"

namespace snapflow::pcap2json {

class FlowEncoder {
 public:
  // Fails on an invalid config (see validate()).
  static base::Result<FlowEncoder> create(const EncoderConfig& config);
  ~FlowEncoder();
  FlowEncoder(FlowEncoder&&) noexcept;
  FlowEncoder& operator=(FlowEncoder&&) noexcept;

  const EncoderConfig& config() const { return config_; }

  // One flow document for a flow's activity in `snapshot` (one interval of one input part).
  void encode_flow(const SnapshotTotals& snapshot, const FlowRecord& record,
                   document::DocumentBatch& batch);
  // The --top-n "other" document: counters of `folded_flows` flows summed into `record`
  // (its key is ignored: the document carries no addresses).
  void encode_other(const SnapshotTotals& snapshot, const FlowRecord& record, uint64_t folded_flows,
                    document::DocumentBatch& batch);
  // One `event.kind: metric` document per snapshot and part (always ECS form).
  void encode_totals(const SnapshotTotals& totals, document::DocumentBatch& batch);
  // Ring data lost before a consumer read it: [start_ns, end_ns] (always ECS form).
  void encode_gap(const GapRecord& gap, std::string_view consumer, document::DocumentBatch& batch);
  // A ring consumer's accounting sample (always ECS form).
  void encode_accounting(const AccountingRecord& record, std::string_view consumer,
                         document::DocumentBatch& batch);

  // Documents not written because they overflowed the scratch buffer. The buffer is sized
  // from the config so this stays 0; the pipeline fails the run if it is not.
  uint64_t oversize_documents() const { return oversize_documents_; }

 private:
  explicit FlowEncoder(const EncoderConfig& config);

  // Each document is built in scratch_ by a fresh DocumentWriter (two pointers: free), then
  // appended to the body; the writer is not a member so that moving the encoder is safe.
  static DocumentOrigin origin(const SnapshotTotals& snapshot, const FlowRecord& record);
  DocumentWriter start_document(int64_t index_ts_ns, const DocumentId& id);
  // Appends the document; returns false when it was dropped (see oversize_documents()).
  bool finish_document(DocumentWriter& writer, document::DocumentBatch& batch);
  int64_t interval_of(const SnapshotTotals& snapshot) const;
  // `,"snapflow":{"interval_ns":N` and, for a degraded snapshot, its resolution.
  void write_snapflow_open(DocumentWriter& w, const SnapshotTotals& snapshot);
  void write_ecs_flow(DocumentWriter& w, const SnapshotTotals& snapshot, const FlowRecord& record,
                      bool other, uint64_t folded_flows);
  // ,"pcap_link":"<API>/pcap/splittime?..." (only with --pcap-link-base).
  void write_pcap_link(DocumentWriter& w, const SnapshotTotals& snapshot, const FlowRecord& record);
  // names_ecs_ with labels.mirror_session added when the flow has one (--mirror-sessions).
  void write_names_with_session(DocumentWriter& w, const FlowRecord& record);
  void write_fmadio_flow(DocumentWriter& w, int64_t snapshot_start_ns, const FlowRecord& record,
                         bool other, uint64_t folded_flows);

  EncoderConfig config_;
  DocumentIdHasher ids_;
  IndexNamer index_;
  TimestampCache times_;
  size_t document_bound_;      ///< no document is larger (detail::document_bound)
  std::string scratch_;        ///< one document is built here, then appended to the body
  std::string names_ecs_;      ///< `,"observer":{"name":..},"labels":{"capture":..}`
  std::string snapflow_open_;  ///< `,"snapflow":{"interval_ns":<configured interval>`
  std::string device_json_;    ///< observer name, quoted and escaped (fmadio "Device")
  // --pcap-link-base: the link's window part (base, Start, Stop), rebuilt when the snapshot
  // changes, and the current document's filter part, built in place.
  std::string link_window_;
  int64_t link_start_ns_ = INT64_MIN;
  int64_t link_interval_ns_ = 0;
  std::string link_filter_;
  int64_t fmadio_snapshot_ns_ = INT64_MIN;  ///< FlowCnt restarts with each snapshot
  uint64_t fmadio_flow_count_ = 0;
  uint64_t oversize_documents_ = 0;
};

}  // namespace snapflow::pcap2json
