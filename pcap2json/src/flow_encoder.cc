#include "snapflow/pcap2json/flow_encoder.h"

#include "encoder_support.h"

namespace snapflow::pcap2json {

std::string_view to_string(DocumentFormat format) {
  return format == DocumentFormat::kFmadio ? "fmadio" : "ecs";
}

base::Result<DocumentFormat> parse_document_format(std::string_view text) {
  if (text == "ecs") return DocumentFormat::kEcs;
  if (text == "fmadio") return DocumentFormat::kFmadio;
  return base::make_error(base::ErrorCode::kInvalidArgument,
                          "format '" + std::string(text) + "': expected ecs or fmadio");
}

base::Status validate(const EncoderConfig& config) {
  if (config.interval_ns <= 0) {
    return base::make_error(
        base::ErrorCode::kInvalidArgument,
        "interval must be positive, got " + std::to_string(config.interval_ns) + " ns");
  }
  SNAPFLOW_TRY_STATUS(validate_index_prefix(config.index_prefix), "encoder config");
  SNAPFLOW_TRY_STATUS(validate_index_prefix(config.packet_index_prefix), "encoder config");
  return base::ok_status();
}

base::Result<FlowEncoder> FlowEncoder::create(const EncoderConfig& config) {
  SNAPFLOW_TRY_STATUS(validate(config), "create flow encoder");
  return FlowEncoder(config);
}

FlowEncoder::FlowEncoder(const EncoderConfig& config)
    : config_(config),
      ids_(config.observer, config.capture, config.interval_ns),
      index_(config.index_prefix),
      scratch_(detail::scratch_bytes(config), '\0'),
      names_ecs_(detail::ecs_names_fragment(config)),
      device_json_(json_quoted(config.observer)) {}

FlowEncoder::~FlowEncoder() = default;
FlowEncoder::FlowEncoder(FlowEncoder&&) noexcept = default;
FlowEncoder& FlowEncoder::operator=(FlowEncoder&&) noexcept = default;

JsonWriter FlowEncoder::start_document(int64_t index_ts_ns, const DocumentId& id) {
  JsonWriter w(scratch_.data(), scratch_.size());
  if (config_.bulk_form) detail::write_action_line(w, index_.name(index_ts_ns), id);
  return w;
}

void FlowEncoder::finish_document(JsonWriter& w, indexer::DocumentBatch& batch) {
  if (!detail::append_document(w, batch)) ++oversize_documents_;
}

DocumentOrigin FlowEncoder::origin(const SnapshotTotals& snapshot, const FlowRecord& record) {
  return {snapshot.input, record.attributes.first_record, record.counters.packets,
          record.counters.bytes};
}

void FlowEncoder::encode_flow(const SnapshotTotals& snapshot, const FlowRecord& record,
                              indexer::DocumentBatch& batch) {
  const int64_t snapshot_start_ns = snapshot.start_ns;
  JsonWriter w = start_document(snapshot_start_ns,
                                ids_.flow(snapshot_start_ns, origin(snapshot, record), record.key));
  if (config_.format == DocumentFormat::kFmadio) {
    write_fmadio_flow(w, snapshot_start_ns, record, false, 0);
  } else {
    write_ecs_flow(w, snapshot_start_ns, record, false, 0);
  }
  const size_t before = batch.offsets.size();
  finish_document(w, batch);
  if (batch.offsets.size() != before) {
    batch.packets += record.counters.packets;
    batch.bytes += record.counters.bytes;
  }
}

void FlowEncoder::encode_other(const SnapshotTotals& snapshot, const FlowRecord& record,
                               uint64_t folded_flows, indexer::DocumentBatch& batch) {
  const int64_t snapshot_start_ns = snapshot.start_ns;
  JsonWriter w =
      start_document(snapshot_start_ns, ids_.other(snapshot_start_ns, origin(snapshot, record)));
  if (config_.format == DocumentFormat::kFmadio) {
    write_fmadio_flow(w, snapshot_start_ns, record, true, folded_flows);
  } else {
    write_ecs_flow(w, snapshot_start_ns, record, true, folded_flows);
  }
  const size_t before = batch.offsets.size();
  finish_document(w, batch);
  if (batch.offsets.size() != before) {
    batch.packets += record.counters.packets;
    batch.bytes += record.counters.bytes;
  }
}

void FlowEncoder::write_ecs_flow(JsonWriter& w, int64_t snapshot_start_ns, const FlowRecord& record,
                                 bool other, uint64_t folded_flows) {
  const packet::FlowKey& key = record.key;
  const FlowCounters& c = record.counters;
  const FlowAttributes& a = record.attributes;
  const bool has_ip = !other && key.ip_version != 0;
  const bool has_ports = !other && (key.flags & packet::FlowKey::kHasPorts) != 0;

  w.begin_object();
  w.field_timestamp("@timestamp", snapshot_start_ns, times_);
  w.begin_object("event");
  w.field_plain_string("kind", "event");
  w.field_plain_string("dataset", "snapflow.flow");
  w.field_timestamp("start", c.first_ts_ns, times_);
  w.field_timestamp("end", c.last_ts_ns, times_);
  w.field_int("duration", c.last_ts_ns - c.first_ts_ns);
  w.end_object();
  w.fragment(names_ecs_);

  w.begin_object("source");
  if (!other && a.has_ethernet) {
    w.key("mac");
    w.value_mac_ecs(a.source_mac);
  }
  if (has_ip) w.field_ip("ip", detail::key_address(key.source, key.ip_version));
  if (has_ports) w.field_uint("port", key.source_port);
  w.field_uint("packets", c.packets);
  w.field_uint("bytes", c.bytes);
  w.end_object();

  if (!other) {
    w.begin_object("destination");
    if (a.has_ethernet) {
      w.key("mac");
      w.value_mac_ecs(a.destination_mac);
    }
    if (has_ip) w.field_ip("ip", detail::key_address(key.destination, key.ip_version));
    if (has_ports) w.field_uint("port", key.destination_port);
    w.end_object();
  }

  w.begin_object("network");
  if (!other) {
    char type_buffer[8];
    const std::string_view type = detail::network_type(key.ethertype, key.ip_version, type_buffer);
    if (!type.empty()) w.field_plain_string("type", type);
    if (has_ip) {
      char proto_buffer[4];
      w.field_plain_string("transport", detail::transport_name(key.ip_protocol, proto_buffer));
      w.key("iana_number");
      w.value_uint_string(key.ip_protocol);
    }
    if ((key.flags & packet::FlowKey::kHasVlan) != 0) {
      w.begin_object("vlan");
      w.key("id");
      w.value_uint_string(key.vlan_id);
      w.end_object();
    }
  }
  w.field_uint("packets", c.packets);
  w.field_uint("bytes", c.bytes);
  if (has_ip && config_.community_id) {
    detail::write_community_id(w, key);
  }
  w.end_object();

  w.begin_object("snapflow");
  w.field_int("interval_ns", config_.interval_ns);
  if (other) {
    w.field_bool("other", true);
    w.field_uint("other_flows", folded_flows);
  } else {
    w.key("flow_id");
    w.value_hex(record.hash, 16);
  }
  w.field_uint("bits_per_second", detail::per_second(c.bytes * 8, config_.interval_ns));
  if (!other && a.mpls_count != 0) {
    w.begin_object("mpls");
    w.begin_array("labels");
    for (uint8_t i = 0; i < a.mpls_count && i < packet::kMaxMplsLabels; ++i) {
      w.value_uint(a.mpls_labels[i]);
    }
    w.end_array();
    w.end_object();
  }
  if (!other && (key.flags & packet::FlowKey::kHasIcmp) != 0) {
    w.begin_object("icmp");
    w.field_uint("type", key.source_port);
    w.field_uint("code", key.destination_port);
    w.end_object();
  }
  if (other || key.ip_protocol == 6) {
    bool any = false;
    for (int i = 0; i < kTcpFlagCount; ++i) any |= c.tcp_flag_packets[i] != 0;
    if (any) {
      w.begin_object("tcp");
      w.begin_object("flags");
      for (int i = 0; i < kTcpFlagCount; ++i) {
        if (c.tcp_flag_packets[i] != 0)
          w.field_uint(detail::kTcpFlagNames[i], c.tcp_flag_packets[i]);
      }
      w.end_object();
      w.end_object();
    }
  }
  if (c.packets != 0) {
    w.begin_object("size");
    w.field_uint("min", c.size_min);
    w.field_uint("max", c.size_max);
    w.end_object();
  }
  if (c.late_packets != 0) {
    w.begin_object("late");
    w.field_uint("packets", c.late_packets);
    w.field_uint("bytes", c.late_bytes);
    w.end_object();
  }
  if (!other && key.tunnel_type != packet::TunnelType::kNone) {
    w.begin_object("tunnel");
    w.field_plain_string("type", detail::tunnel_name(key.tunnel_type));
    if ((key.flags & packet::FlowKey::kHasTunnelId) != 0) w.field_uint("vni", key.tunnel_id);
    if (a.tunnel_source.version != 0) {
      w.begin_object("source");
      w.field_ip("ip", a.tunnel_source);
      w.end_object();
    }
    if (a.tunnel_destination.version != 0) {
      w.begin_object("destination");
      w.field_ip("ip", a.tunnel_destination);
      w.end_object();
    }
    w.end_object();
  }
  w.end_object();  // snapflow
  w.end_object();
}

void FlowEncoder::write_fmadio_flow(JsonWriter& w, int64_t snapshot_start_ns,
                                    const FlowRecord& record, bool other, uint64_t folded_flows) {
  const packet::FlowKey& key = record.key;
  const FlowCounters& c = record.counters;
  const FlowAttributes& a = record.attributes;
  if (snapshot_start_ns != fmadio_snapshot_ns_) {
    fmadio_snapshot_ns_ = snapshot_start_ns;
    fmadio_flow_count_ = 0;
  }

  w.begin_object();
  detail::write_fmadio_time(w, snapshot_start_ns);
  w.field_uint("FlowCnt", fmadio_flow_count_++);
  w.key("Device");
  w.fragment(device_json_);
  if (!other) {
    w.key("hash");
    w.value_hex(record.hash, 16);
  }
  w.field_uint("TotalPkt", c.packets);
  w.field_uint("TotalByte", c.bytes);
  w.field_uint("TotalBits", c.bytes * 8);
  if (other) {
    w.field_bool("Other", true);
    w.field_uint("OtherFlows", folded_flows);
    w.end_object();
    return;
  }
  if (a.has_ethernet) {
    w.key("MACSrc");
    w.value_mac_colon(a.source_mac);
    w.key("MACDst");
    w.value_mac_colon(a.destination_mac);
  }
  char mac_proto[8];
  w.field_plain_string("MACProto",
                       detail::fmadio_mac_proto(key.ethertype, key.ip_version, mac_proto));
  if ((key.flags & packet::FlowKey::kHasVlan) != 0) w.field_uint("VLAN.0", key.vlan_id);
  for (uint8_t i = 0; i < a.mpls_count && i < 3; ++i) {
    static constexpr std::string_view kLabels[3] = {"MPLS.0.Label", "MPLS.1.Label", "MPLS.2.Label"};
    w.field_uint(kLabels[i], a.mpls_labels[i]);
  }
  if (key.ip_version != 0) {
    const bool v4 = key.ip_version == 4;
    w.field_ip(v4 ? "IPv4.Src" : "IPv6.Src", detail::key_address(key.source, key.ip_version));
    w.field_ip(v4 ? "IPv4.Dst" : "IPv6.Dst", detail::key_address(key.destination, key.ip_version));
    char proto[4];
    w.field_plain_string(v4 ? "IPv4.Proto" : "IPv6.Proto",
                         detail::fmadio_ip_proto(key.ip_protocol, proto));
    if ((key.flags & packet::FlowKey::kHasPorts) != 0) {
      if (key.ip_protocol == 6) {
        w.field_uint("TCP.FIN", c.tcp_flag_packets[kFin]);
        w.field_uint("TCP.SYN", c.tcp_flag_packets[kSyn]);
        w.field_uint("TCP.RST", c.tcp_flag_packets[kRst]);
        w.field_uint("TCP.PSH", c.tcp_flag_packets[kPsh]);
        w.field_uint("TCP.ACK", c.tcp_flag_packets[kAck]);
        w.field_uint("TCP.Port.Src", key.source_port);
        w.field_uint("TCP.Port.Dst", key.destination_port);
      } else if (key.ip_protocol == 17) {
        w.field_uint("UDP.Port.Src", key.source_port);
        w.field_uint("UDP.Port.Dst", key.destination_port);
      } else {
        w.field_uint("Port.Src", key.source_port);
        w.field_uint("Port.Dst", key.destination_port);
      }
    }
  }
  w.end_object();
}

void FlowEncoder::encode_totals(const SnapshotTotals& totals, indexer::DocumentBatch& batch) {
  JsonWriter w = start_document(totals.start_ns,
                                ids_.totals(totals.start_ns, {totals.input, totals.first_record,
                                                              totals.packets, totals.bytes}));
  const int64_t interval_ns = totals.interval_ns > 0 ? totals.interval_ns : config_.interval_ns;
  w.begin_object();
  w.field_timestamp("@timestamp", totals.start_ns, times_);
  w.begin_object("event");
  w.field_plain_string("kind", "metric");
  w.field_plain_string("dataset", "snapflow.totals");
  w.end_object();
  w.fragment(names_ecs_);
  w.begin_object("network");
  w.field_uint("packets", totals.packets);
  w.field_uint("bytes", totals.bytes);
  w.end_object();
  w.begin_object("snapflow");
  w.field_int("interval_ns", interval_ns);
  w.field_uint("flows", totals.flows);
  w.field_uint("bits_per_second", detail::per_second(totals.bytes * 8, interval_ns));
  w.field_uint("packets_per_second", detail::per_second(totals.packets, interval_ns));
  w.end_object();
  w.end_object();
  finish_document(w, batch);
}

void FlowEncoder::encode_gap(const GapRecord& gap, std::string_view consumer,
                             indexer::DocumentBatch& batch) {
  const int64_t start_ns = gap.start_ns;
  const int64_t end_ns = gap.end_ns;
  const uint64_t packets = gap.packets;
  const uint64_t bytes = gap.bytes;
  JsonWriter w = start_document(
      start_ns, ids_.gap(start_ns, end_ns, {gap.input, gap.first_record, packets, bytes}));
  w.begin_object();
  w.field_timestamp("@timestamp", start_ns, times_);
  w.begin_object("event");
  w.field_plain_string("kind", "gap");
  w.field_plain_string("dataset", "snapflow.gap");
  w.field_timestamp("start", start_ns, times_);
  w.field_timestamp("end", end_ns, times_);
  w.end_object();
  w.fragment(names_ecs_);
  w.begin_object("network");
  w.field_uint("packets", packets);
  w.field_uint("bytes", bytes);
  w.end_object();
  w.begin_object("snapflow");
  w.key("consumer");
  // A consumer name is user text of unbounded length: escape it aside (gaps are rare).
  // Capped at 256 bytes so the document always fits the scratch buffer.
  w.fragment(json_quoted(consumer.substr(0, 256)));
  if (gap.at_resume) {
    w.begin_object("gap");
    w.field_bool("at_resume", true);
    w.end_object();
  }
  w.end_object();
  w.end_object();
  finish_document(w, batch);
}

}  // namespace snapflow::pcap2json
