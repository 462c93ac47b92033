#include "snapflow/pcap2json/flow_encoder.h"

#include "document_blocks.h"
#include "encoder_support.h"
#include "snapflow/filter/pcap_link.h"
#include "snapflow/pcap2json/cloud_annotation.h"

namespace snapflow::pcap2json {

base::Result<FlowEncoder> FlowEncoder::create(const EncoderConfig& config) {
  SNAPFLOW_TRY_STATUS(validate(config), "create flow encoder");
  return FlowEncoder(config);
}

FlowEncoder::FlowEncoder(const EncoderConfig& config)
    : config_(config),
      ids_(config.observer, config.capture, config.interval_ns),
      index_(config.index_prefix),
      document_bound_(detail::document_bound(config)),
      scratch_(2 * document_bound_, '\0'),
      names_ecs_(detail::ecs_names_fragment(config)),
      snapflow_open_(",\"snapflow\":{\"interval_ns\":" + std::to_string(config.interval_ns)),
      device_json_(json_quoted(config.observer)) {
  if (!config_.pcap_link_base.empty()) {
    link_window_.reserve(filter::max_pcap_link_bytes(config_.pcap_link_base.size()));
    link_filter_.reserve(filter::max_pcap_link_bytes(0));
  }
}

FlowEncoder::~FlowEncoder() = default;
FlowEncoder::FlowEncoder(FlowEncoder&&) noexcept = default;
FlowEncoder& FlowEncoder::operator=(FlowEncoder&&) noexcept = default;

DocumentWriter FlowEncoder::start_document(int64_t index_ts_ns, const DocumentId& id) {
  DocumentWriter w(scratch_.data());
  if (config_.bulk_form) detail::write_action_line(w, index_.name(index_ts_ns), id);
  return w;
}

bool FlowEncoder::finish_document(DocumentWriter& w, document::DocumentBatch& batch) {
  if (detail::append_document(w, document_bound_, batch)) return true;
  ++oversize_documents_;
  return false;
}

DocumentOrigin FlowEncoder::origin(const SnapshotTotals& snapshot, const FlowRecord& record) {
  return {snapshot.input, record.attributes.first_record, record.counters.packets,
          record.counters.bytes, snapshot.interval_ns};
}

int64_t FlowEncoder::interval_of(const SnapshotTotals& snapshot) const {
  return snapshot.interval_ns > 0 ? snapshot.interval_ns : config_.interval_ns;
}

void FlowEncoder::write_snapflow_open(DocumentWriter& w, const SnapshotTotals& snapshot) {
  const int64_t interval_ns = interval_of(snapshot);
  if (interval_ns == config_.interval_ns) {
    w.text(snapflow_open_);  // ,"snapflow":{"interval_ns":N
  } else {
    w.lit(",\"snapflow\":{\"interval_ns\":");
    w.i64(interval_ns);
  }
  if (snapshot.resolution != Resolution::kFull) {
    w.lit(",\"resolution\":\"");
    w.text(to_string(snapshot.resolution));
    w.ch('"');
  }
}

void FlowEncoder::encode_flow(const SnapshotTotals& snapshot, const FlowRecord& record,
                              document::DocumentBatch& batch) {
  const int64_t snapshot_start_ns = snapshot.start_ns;
  DocumentWriter w = start_document(
      snapshot_start_ns, ids_.flow(snapshot_start_ns, origin(snapshot, record), record.key));
  if (config_.format == DocumentFormat::kFmadio) {
    write_fmadio_flow(w, snapshot_start_ns, record, false, 0);
  } else {
    write_ecs_flow(w, snapshot, record, false, 0);
  }
  if (finish_document(w, batch)) {
    batch.packets += record.counters.packets;
    batch.bytes += record.counters.bytes;
  }
}

void FlowEncoder::encode_other(const SnapshotTotals& snapshot, const FlowRecord& record,
                               uint64_t folded_flows, document::DocumentBatch& batch) {
  const int64_t snapshot_start_ns = snapshot.start_ns;
  DocumentWriter w =
      start_document(snapshot_start_ns, ids_.other(snapshot_start_ns, origin(snapshot, record)));
  if (config_.format == DocumentFormat::kFmadio) {
    write_fmadio_flow(w, snapshot_start_ns, record, true, folded_flows);
  } else {
    write_ecs_flow(w, snapshot, record, true, folded_flows);
  }
  if (finish_document(w, batch)) {
    batch.packets += record.counters.packets;
    batch.bytes += record.counters.bytes;
  }
}

void FlowEncoder::write_ecs_flow(DocumentWriter& w, const SnapshotTotals& snapshot,
                                 const FlowRecord& record, bool other, uint64_t folded_flows) {
  const packet::FlowKey& key = record.key;
  const FlowCounters& c = record.counters;
  const FlowAttributes& a = record.attributes;

  w.lit("{\"@timestamp\":");
  w.timestamp(snapshot.start_ns, times_);
  w.lit(",\"event\":{\"kind\":\"event\",\"dataset\":\"snapflow.flow\",\"start\":");
  w.timestamp(c.first_ts_ns, times_);
  w.lit(",\"end\":");
  w.timestamp(c.last_ts_ns, times_);
  w.lit(",\"duration\":");
  // Saturated: a crafted capture may put a flow's packets near both ends of int64_t time.
  int64_t duration_ns = 0;
  if (__builtin_sub_overflow(c.last_ts_ns, c.first_ts_ns, &duration_ns)) {
    duration_ns = c.last_ts_ns > c.first_ts_ns ? INT64_MAX : INT64_MIN;
  }
  w.i64(duration_ns);
  w.ch('}');
  if (config_.cloud && !other) {
    write_names_with_session(w, record);
  } else {
    w.text(names_ecs_);
  }

  w.lit(",\"source\":");
  size_t object = w.open();
  if (!other) detail::write_ecs_endpoint(w, a.has_ethernet ? &a.source_mac : nullptr, key, true);
  w.lit(",\"packets\":");
  w.u64(c.packets);
  w.lit(",\"bytes\":");
  w.u64(c.bytes);
  w.close(object);

  if (!other) {
    w.lit(",\"destination\":");
    object = w.open();
    detail::write_ecs_endpoint(w, a.has_ethernet ? &a.destination_mac : nullptr, key, false);
    w.close(object);
  }

  w.lit(",\"network\":");
  object = w.open();
  if (!other) {
    detail::write_ecs_network_identity(w, key, (key.flags & packet::FlowKey::kHasVlan) != 0,
                                       key.vlan_id);
  }
  w.lit(",\"packets\":");
  w.u64(c.packets);
  w.lit(",\"bytes\":");
  w.u64(c.bytes);
  if (!other && config_.community_id) detail::write_ecs_community_id(w, key);
  w.close(object);

  write_snapflow_open(w, snapshot);
  // The first record counted: with the cursor, which documents a restarted ring consumer
  // retracts (docs/decisions/0009-retraction-at-resume.md).
  w.lit(",\"record\":");
  w.u64(a.first_record);
  if (other) {
    w.lit(",\"other\":true,\"other_flows\":");
    w.u64(folded_flows);
  } else {
    w.lit(",\"flow_id\":");
    w.hex64(record.hash);
    if (!config_.pcap_link_base.empty()) write_pcap_link(w, snapshot, record);
  }
  w.lit(",\"bits_per_second\":");
  w.u64(detail::per_second(c.bytes * 8, interval_of(snapshot)));
  if (!other) {
    if (config_.cloud) config_.cloud->write_ecs_rule(w, record);
    detail::write_ecs_mpls(w, a.mpls_count, a.mpls_labels);
    detail::write_ecs_icmp(w, key);
  }
  if (other || key.ip_protocol == 6) {
    bool any = false;
    for (int i = 0; i < kTcpFlagCount; ++i) any |= c.tcp_flag_packets[i] != 0;
    if (any) {
      w.lit(",\"tcp\":{\"flags\":");
      const size_t flags = w.open();
      for (int i = 0; i < kTcpFlagCount; ++i) {
        if (c.tcp_flag_packets[i] == 0) continue;
        w.ch(',');
        w.plain_string(detail::kTcpFlagNames[i]);
        w.ch(':');
        w.u64(c.tcp_flag_packets[i]);
      }
      w.close(flags);
      w.ch('}');
    }
  }
  if (c.packets != 0) {
    w.lit(",\"size\":{\"min\":");
    w.u64(c.size_min);
    w.lit(",\"max\":");
    w.u64(c.size_max);
    w.ch('}');
  }
  if (c.late_packets != 0) {
    w.lit(",\"late\":{\"packets\":");
    w.u64(c.late_packets);
    w.lit(",\"bytes\":");
    w.u64(c.late_bytes);
    w.ch('}');
  }
  if (!other && key.tunnel_type != packet::TunnelType::kNone) {
    detail::write_ecs_tunnel(w, key.tunnel_type, (key.flags & packet::FlowKey::kHasTunnelId) != 0,
                             key.tunnel_id, a.tunnel_source, a.tunnel_destination);
  }
  w.lit("}}");
}

void FlowEncoder::write_pcap_link(DocumentWriter& w, const SnapshotTotals& snapshot,
                                  const FlowRecord& record) {
  // The snapshot's own window: a degraded part's is longer (decision 0006). Every document of
  // a snapshot shares it, so it is built once per snapshot.
  const int64_t interval_ns = interval_of(snapshot);
  if (snapshot.start_ns != link_start_ns_ || interval_ns != link_interval_ns_) {
    link_window_.clear();
    filter::append_pcap_link_window({config_.pcap_link_base, snapshot.start_ns, interval_ns, {}},
                                    link_window_);
    link_start_ns_ = snapshot.start_ns;
    link_interval_ns_ = interval_ns;
  }
  link_filter_.clear();
  filter::append_pcap_link_filter(record.key, link_filter_);
  // The validated base and a percent-encoded query: nothing to escape.
  w.lit(",\"pcap_link\":\"");
  w.text(link_window_);
  w.text(link_filter_);
  w.ch('"');
}

void FlowEncoder::write_names_with_session(DocumentWriter& w, const FlowRecord& record) {
  const std::string_view session = config_.cloud->mirror_session(record);
  if (session.empty()) {
    w.text(names_ecs_);
    return;
  }
  // names_ecs_ ends with the labels object's '}': the session joins it.
  w.text(std::string_view(names_ecs_).substr(0, names_ecs_.size() - 1));
  w.lit(",\"mirror_session\":");
  w.plain_string(session);
  w.ch('}');
}

void FlowEncoder::write_fmadio_flow(DocumentWriter& w, int64_t snapshot_start_ns,
                                    const FlowRecord& record, bool other, uint64_t folded_flows) {
  const packet::FlowKey& key = record.key;
  const FlowCounters& c = record.counters;
  const FlowAttributes& a = record.attributes;
  if (snapshot_start_ns != fmadio_snapshot_ns_) {
    fmadio_snapshot_ns_ = snapshot_start_ns;
    fmadio_flow_count_ = 0;
  }

  detail::write_fmadio_open(w, snapshot_start_ns);
  w.lit(",\"FlowCnt\":");
  w.u64(fmadio_flow_count_++);
  w.lit(",\"Device\":");
  w.text(device_json_);
  if (!other) {
    w.lit(",\"hash\":");
    w.hex64(record.hash);
  }
  w.lit(",\"TotalPkt\":");
  w.u64(c.packets);
  w.lit(",\"TotalByte\":");
  w.u64(c.bytes);
  w.lit(",\"TotalBits\":");
  w.u64(c.bytes * 8);
  if (other) {
    w.lit(",\"Other\":true,\"OtherFlows\":");
    w.u64(folded_flows);
    w.ch('}');
    return;
  }
  detail::FmadioHeaders h;
  if (a.has_ethernet) {
    h.source_mac = &a.source_mac;
    h.destination_mac = &a.destination_mac;
  }
  if ((key.flags & packet::FlowKey::kHasVlan) != 0) {
    h.vlan_count = 1;
    h.vlan_ids[0] = key.vlan_id;
  }
  h.mpls_count = a.mpls_count;
  h.mpls_labels = &a.mpls_labels;
  h.tcp_flags = {c.tcp_flag_packets[kFin], c.tcp_flag_packets[kSyn], c.tcp_flag_packets[kRst],
                 c.tcp_flag_packets[kPsh], c.tcp_flag_packets[kAck]};
  detail::write_fmadio_headers(w, h, key);
  if (config_.cloud) config_.cloud->write_fmadio(w, record);
  w.ch('}');
}

void FlowEncoder::encode_totals(const SnapshotTotals& totals, document::DocumentBatch& batch) {
  DocumentWriter w = start_document(
      totals.start_ns,
      ids_.totals(totals.start_ns, {totals.input, totals.first_record, totals.packets, totals.bytes,
                                    totals.interval_ns}));
  const int64_t interval_ns = interval_of(totals);
  w.lit("{\"@timestamp\":");
  w.timestamp(totals.start_ns, times_);
  w.lit(",\"event\":{\"kind\":\"metric\",\"dataset\":\"snapflow.totals\"}");
  w.text(names_ecs_);
  w.lit(",\"network\":{\"packets\":");
  w.u64(totals.packets);
  w.lit(",\"bytes\":");
  w.u64(totals.bytes);
  w.ch('}');
  write_snapflow_open(w, totals);
  w.lit(",\"record\":");
  w.u64(totals.first_record);
  w.lit(",\"flows\":");
  w.u64(totals.flows);
  w.lit(",\"bits_per_second\":");
  w.u64(detail::per_second(totals.bytes * 8, interval_ns));
  w.lit(",\"packets_per_second\":");
  w.u64(detail::per_second(totals.packets, interval_ns));
  w.lit("}}");
  finish_document(w, batch);
}

void FlowEncoder::encode_gap(const GapRecord& gap, std::string_view consumer,
                             document::DocumentBatch& batch) {
  const int64_t start_ns = gap.start_ns;
  const int64_t end_ns = gap.end_ns;
  const uint64_t packets = gap.packets;
  const uint64_t bytes = gap.bytes;
  DocumentWriter w = start_document(
      start_ns, ids_.gap(start_ns, end_ns, {gap.input, gap.first_record, packets, bytes}));
  w.lit("{\"@timestamp\":");
  w.timestamp(start_ns, times_);
  w.lit(",\"event\":{\"kind\":\"gap\",\"dataset\":\"snapflow.gap\",\"start\":");
  w.timestamp(start_ns, times_);
  w.lit(",\"end\":");
  w.timestamp(end_ns, times_);
  w.ch('}');
  w.text(names_ecs_);
  w.lit(",\"network\":{\"packets\":");
  w.u64(packets);
  w.lit(",\"bytes\":");
  w.u64(bytes);
  // A consumer name is user text of unbounded length: escape it aside (gaps are rare).
  // Capped at 256 bytes so the document stays within its bound (<= 6x escaped).
  w.lit("},\"snapflow\":{\"consumer\":");
  w.text(json_quoted(consumer.substr(0, 256)));
  w.lit(",\"record\":");
  w.u64(gap.first_record);
  if (gap.reason == GapReason::kCorrupt) {
    w.lit(",\"gap\":{\"reason\":\"corrupt\"");
  } else {
    w.lit(",\"gap\":{\"reason\":\"overwritten\"");
  }
  if (gap.at_resume) w.lit(",\"at_resume\":true");
  w.lit("}}}");
  finish_document(w, batch);
}

void FlowEncoder::encode_accounting(const AccountingRecord& a, std::string_view consumer,
                                    document::DocumentBatch& batch) {
  // Samples are named by their number and time: a restarted consumer re-sends its last sample
  // unchanged (docs/formats.md), and the indexer verifies it like any other document.
  DocumentWriter w = start_document(
      a.start_ns, ids_.make(DocumentKind::kAccounting, a.start_ns,
                            {a.input, a.sequence, static_cast<uint64_t>(a.exported_packets),
                             static_cast<uint64_t>(a.exported_bytes), a.end_ns - a.start_ns},
                            {}));
  const auto pair = [&](std::string_view name, int64_t packets, int64_t bytes) {
    w.text(name);
    w.lit("\":{\"packets\":");
    w.i64(packets);
    w.lit(",\"bytes\":");
    w.i64(bytes);
    w.ch('}');
  };
  w.lit("{\"@timestamp\":");
  w.timestamp(a.start_ns, times_);
  w.lit(",\"event\":{\"kind\":\"metric\",\"dataset\":\"snapflow.accounting\",\"start\":");
  w.timestamp(a.start_ns, times_);
  w.lit(",\"end\":");
  w.timestamp(a.end_ns, times_);
  w.ch('}');
  w.text(names_ecs_);
  w.lit(",\"snapflow\":{\"consumer\":");
  w.text(json_quoted(consumer.substr(0, 256)));
  w.lit(",\"interval_ns\":");
  w.i64(a.end_ns - a.start_ns);
  w.lit(",\"accounting\":{");
  if (a.capture_stats) {
    w.lit("\"received\":{\"packets\":");
    w.u64(a.seen_packets);
    w.lit("},\"dropped\":{\"packets\":");
    w.u64(a.dropped_packets);
    w.lit("},");
    pair("\"spooled", static_cast<int64_t>(a.spooled_packets),
         static_cast<int64_t>(a.spooled_bytes));
    w.lit(",\"pending\":{\"packets\":");
    w.u64(a.pending_packets);
    w.lit("},");
  }
  pair("\"exported", a.exported_packets, a.exported_bytes);
  w.ch(',');
  pair("\"overwritten", a.overwritten_packets, a.overwritten_bytes);
  w.lit(",\"consumer_lag\":{\"packets\":");
  w.u64(a.unread_packets);
  w.lit(",\"bytes\":");
  w.u64(a.unread_bytes);
  w.lit(",\"ms\":");
  w.i64(a.lag_ns / 1'000'000);
  w.lit("}}}}");
  finish_document(w, batch);
}

}  // namespace snapflow::pcap2json
