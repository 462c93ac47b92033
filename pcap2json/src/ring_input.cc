#include "snapflow/pcap2json/ring_input.h"

#include <algorithm>
#include <array>

#include "snapflow/base/parse.h"
#include "snapflow/base/time.h"
#include "snapflow/ring/capture_stats.h"

namespace snapflow::pcap2json {
namespace {

// Documents name ring packets by the ring's random id (ring.meta) and their ring-wide record
// numbers; the marker keeps a ring id apart from any file fingerprint by construction.
pcap::InputId ring_input_id(uint64_t ring_id) {
  pcap::InputId id{};
  for (size_t i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(ring_id >> (8 * i));
  constexpr char kMarker[8] = {'s', 'n', 'a', 'p', 'r', 'i', 'n', 'g'};
  std::copy(std::begin(kMarker), std::end(kMarker), id.begin() + 8);
  return id;
}

// A part's mode as the cursor file keeps it: "full", or "coarse:INTERVAL_NS" or
// "coarse_top_flows:INTERVAL_NS:N".
std::string encode_mode(const PartMode& mode) {
  std::string text(to_string(mode.resolution));
  if (mode.resolution != Resolution::kFull) text += ":" + std::to_string(mode.interval_ns);
  if (mode.resolution == Resolution::kCoarseTopFlows) text += ":" + std::to_string(mode.top_n);
  return text;
}

base::Result<PartMode> decode_mode(std::string_view text) {
  PartMode mode;
  if (text.empty() || text == "full") return mode;
  const auto bad = [&] {
    return base::make_error(base::ErrorCode::kFormat,
                            "cursor file: unknown part mode '" + std::string(text) + "'");
  };
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return bad();
  const std::string_view name = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  const size_t second = rest.find(':');
  auto interval = base::parse_uint(rest.substr(0, second), 1, INT64_MAX);
  if (!interval.ok()) return bad();
  mode.interval_ns = static_cast<int64_t>(*interval);
  if (name == "coarse" && second == std::string_view::npos) {
    mode.resolution = Resolution::kCoarse;
  } else if (name == "coarse_top_flows" && second != std::string_view::npos) {
    auto top = base::parse_uint(rest.substr(second + 1), 1, UINT32_MAX);
    if (!top.ok()) return bad();
    mode.resolution = Resolution::kCoarseTopFlows;
    mode.top_n = static_cast<uint32_t>(*top);
  } else {
    return bad();
  }
  return mode;
}

// The accounting baseline and the last sample live in the cursor file as named counters.
constexpr const char* kLastFields[] = {
    "start",   "end",   "seq",   "cap",    "seen",   "dropped",  "spool_p",  "spool_b",
    "pending", "exp_p", "exp_b", "over_p", "over_b", "unread_p", "unread_b", "lag"};

std::array<uint64_t, std::size(kLastFields)> fields_of(const AccountingRecord& a) {
  return {static_cast<uint64_t>(a.start_ns),
          static_cast<uint64_t>(a.end_ns),
          a.sequence,
          a.capture_stats ? 1u : 0u,
          a.seen_packets,
          a.dropped_packets,
          a.spooled_packets,
          a.spooled_bytes,
          a.pending_packets,
          static_cast<uint64_t>(a.exported_packets),
          static_cast<uint64_t>(a.exported_bytes),
          static_cast<uint64_t>(a.overwritten_packets),
          static_cast<uint64_t>(a.overwritten_bytes),
          a.unread_packets,
          a.unread_bytes,
          static_cast<uint64_t>(a.lag_ns)};
}

AccountingRecord record_of(const std::array<uint64_t, std::size(kLastFields)>& f,
                           const pcap::InputId& input) {
  AccountingRecord a;
  a.start_ns = static_cast<int64_t>(f[0]);
  a.end_ns = static_cast<int64_t>(f[1]);
  a.sequence = f[2];
  a.capture_stats = f[3] != 0;
  a.seen_packets = f[4];
  a.dropped_packets = f[5];
  a.spooled_packets = f[6];
  a.spooled_bytes = f[7];
  a.pending_packets = f[8];
  a.exported_packets = static_cast<int64_t>(f[9]);
  a.exported_bytes = static_cast<int64_t>(f[10]);
  a.overwritten_packets = static_cast<int64_t>(f[11]);
  a.overwritten_bytes = static_cast<int64_t>(f[12]);
  a.unread_packets = f[13];
  a.unread_bytes = f[14];
  a.lag_ns = static_cast<int64_t>(f[15]);
  a.input = input;
  return a;
}

}  // namespace

// Cumulative counters at one moment: the capture daemon's (since the ring was created) and
// this consumer's (since it registered).
struct RingInput::AccountingTotals {
  bool capture = false;
  ring::CaptureTotals daemon;
  ring::RingPosition position;  ///< the consumer's
  ring::RingPosition newest;    ///< the ring's committed end
  int64_t newest_ts_ns = 0;
};

base::Result<RingInput::AccountingTotals> RingInput::accounting_totals() const {
  AccountingTotals t;
  auto daemon = ring::load_capture_totals(options_.dir);
  if (!daemon.ok()) return std::move(daemon).error();
  if (daemon->has_value()) {
    t.capture = true;
    t.daemon = **daemon;
  }
  t.position = reader_->position();
  auto segments = ring::list_segments(reader_->layout());
  if (!segments.ok()) return std::move(segments).error();
  if (!segments->empty()) {
    t.newest = segments->back().end();
    t.newest_ts_ns = segments->back().last_ts_ns;
  }
  return t;
}

void RingInput::restore_accounting(std::vector<AccountingRecord>& resend) {
  const auto& c = state_.counters;
  overwritten_packets_ = c.count("acct.over_p") ? c.at("acct.over_p") : 0;
  overwritten_bytes_ = c.count("acct.over_b") ? c.at("acct.over_b") : 0;
  accounted_through_ = {c.count("acct.pass_p") ? c.at("acct.pass_p") : 0,
                        c.count("acct.pass_b") ? c.at("acct.pass_b") : 0};
  if (!c.count("acct.last.seq")) return;
  std::array<uint64_t, std::size(kLastFields)> f{};
  for (size_t i = 0; i < f.size(); ++i) {
    const auto it = c.find(std::string("acct.last.") + kLastFields[i]);
    f[i] = it == c.end() ? 0 : it->second;
  }
  // The previous run may have stopped before this sample was acknowledged: send it again
  // (the same document; the server answers 409 if it has it).
  resend.push_back(record_of(f, input_id_));
}

base::Status RingInput::sample_accounting(Pulled& pulled) {
  auto now = accounting_totals();
  if (!now.ok()) return std::move(now).error().context("accounting sample");
  const int64_t wall = base::now_realtime_ns();
  std::lock_guard lock(mu_);
  auto& c = state_.counters;
  const auto get = [&](const char* name) { return c.count(name) ? c.at(name) : 0; };
  AccountingRecord a;
  a.input = input_id_;
  a.start_ns = static_cast<int64_t>(get("acct.time"));
  a.end_ns = wall;
  a.sequence = get("acct.seq") + 1;
  a.capture_stats = now->capture && get("acct.cap") == 1;
  if (a.capture_stats) {
    a.seen_packets = now->daemon.seen_packets - get("acct.seen");
    a.dropped_packets = now->daemon.dropped_packets - get("acct.dropped");
    a.spooled_packets = now->daemon.spooled_packets - get("acct.spool_p");
    a.spooled_bytes = now->daemon.spooled_bytes - get("acct.spool_b");
    a.pending_packets = now->daemon.pending_packets;
  }
  // A restarted consumer re-reads from its cursor, behind what its earlier samples counted.
  // Its previous documents after the cursor kept (a file sink): only progress past that
  // high-water mark counts (the re-read documents are 409s anyway). Retracted: counting starts
  // again at the cursor, and the deltas telescope (one may be negative) so the sums stay exact.
  const auto delta = [](uint64_t now_value, uint64_t then) {
    return static_cast<int64_t>(now_value - then);  // two's complement: may be negative
  };
  const bool ahead = recount_from_cursor_ || now->position.packets > get("acct.pass_p");
  const int64_t passed_p = ahead ? delta(now->position.packets, get("acct.pass_p")) : 0;
  const int64_t passed_b = ahead ? delta(now->position.wire_bytes, get("acct.pass_b")) : 0;
  a.overwritten_packets = delta(overwritten_packets_, get("acct.over_p"));
  a.overwritten_bytes = delta(overwritten_bytes_, get("acct.over_b"));
  a.exported_packets = passed_p - a.overwritten_packets;
  a.exported_bytes = passed_b - a.overwritten_bytes;
  if (now->newest.packets > now->position.packets) {
    a.unread_packets = now->newest.packets - now->position.packets;
    a.unread_bytes = now->newest.wire_bytes - now->position.wire_bytes;
    a.lag_ns = std::max<int64_t>(0, now->newest_ts_ns - reader_->last_ts_ns());
  }
  c["acct.time"] = static_cast<uint64_t>(wall);
  c["acct.seq"] = a.sequence;
  c["acct.cap"] = now->capture ? 1 : 0;
  c["acct.seen"] = now->daemon.seen_packets;
  c["acct.dropped"] = now->daemon.dropped_packets;
  c["acct.spool_p"] = now->daemon.spooled_packets;
  c["acct.spool_b"] = now->daemon.spooled_bytes;
  if (ahead) {
    c["acct.pass_p"] = now->position.packets;
    c["acct.pass_b"] = now->position.wire_bytes;
  }
  accounted_through_ = {c["acct.pass_p"], c["acct.pass_b"]};
  c["acct.over_p"] = overwritten_packets_;
  c["acct.over_b"] = overwritten_bytes_;
  const auto fields = fields_of(a);
  for (size_t i = 0; i < fields.size(); ++i) {
    c[std::string("acct.last.") + kLastFields[i]] = fields[i];
  }
  // Durable before the sample can be acknowledged: a restart continues from here.
  SNAPFLOW_TRY_STATUS(cursors_.save(options_.consumer, state_), "save accounting sample");
  if (a.start_ns != 0) pulled.accounting.push_back(a);  // the first sample only sets the base
  return base::ok_status();
}

std::optional<RingInput::ResumePoint> RingInput::resume_point() const {
  if (!resumed_from_ || options_.consumer.empty()) return std::nullopt;
  ResumePoint point;
  point.after_record = resumed_from_->position.packets;
  // Records after the cursor are no older than the last one before it, but for stragglers the
  // reorder window folds in: a generous margin keeps them, and still leaves out the documents
  // of an older ring exported under the same names.
  constexpr int64_t kMarginNs = 10 * 60 * base::kNsPerSec;
  int64_t since = resumed_from_->last_ts_ns;
  if (since == 0) {
    auto segments = ring::list_segments(reader_->layout());
    if (segments.ok() && !segments->empty()) since = segments->front().first_ts_ns;
  }
  if (since != 0) point.since_ns = since > INT64_MIN + kMarginNs ? since - kMarginNs : INT64_MIN;
  return point;
}

void RingInput::previous_documents_retracted() {
  if (!resumed_from_) return;
  std::lock_guard lock(mu_);
  const auto& c = state_.counters;
  // Older cursor files lack the gaps counted at the cursor: keep the high-water counting.
  if (!c.count("acct.cur_over_p") || !c.count("acct.cur_over_b")) return;
  overwritten_packets_ = c.at("acct.cur_over_p");
  overwritten_bytes_ = c.at("acct.cur_over_b");
  accounted_through_ = {resumed_from_->position.packets, resumed_from_->position.wire_bytes};
  recount_from_cursor_ = true;
}

RingInput::RingInput(RingInputOptions options, std::unique_ptr<ring::RingReader> reader)
    : options_(std::move(options)), reader_(std::move(reader)), cursors_(options_.dir) {
  input_id_ = ring_input_id(reader_->layout().ring_id);
}

base::Status RingInput::check_registration() const {
  auto names = cursors_.list();
  if (!names.ok()) return std::move(names).error().context("list consumers");
  for (const auto& [name, cursor] : *names) {
    if (name == options_.consumer) continue;
    auto other = cursors_.load_state(name);
    if (!other.ok()) return std::move(other).error();
    if (!other->has_value()) continue;
    const ring::ConsumerState& s = **other;
    if (s.observer == options_.observer && s.capture == options_.capture) {
      return base::make_error(
          base::ErrorCode::kInvalidArgument,
          "--consumer " + options_.consumer + ": consumer '" + name + "' already exports ring " +
              options_.dir + " as observer '" + s.observer + "', capture '" + s.capture +
              "'; a second consumer under the same names would index every packet twice. "
              "Continue it with --consumer " +
              name + ", give this one its own --capture or --observer, or remove " + options_.dir +
              "/cursors/" + name + " if '" + name + "' is retired");
    }
  }
  return base::ok_status();
}

base::Result<std::unique_ptr<RingInput>> RingInput::open(const RingInputOptions& options) {
  const std::string where = "--ring " + options.dir;
  if (!options.consumer.empty() && !ring::is_valid_name(options.consumer)) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "--consumer: '" + options.consumer +
                                "' must be 1-64 of A-Z a-z 0-9 _ . - and not start with '.'");
  }
  ring::RingReaderOptions reader_options;
  reader_options.follow = options.follow;
  reader_options.follow_timeout_ns = options.follow ? options.poll_timeout_ns : -1;
  auto reader = ring::RingReader::open(options.dir, reader_options);
  if (!reader.ok()) return std::move(reader).error().context(where);
  std::unique_ptr<RingInput> input(new RingInput(options, std::move(*reader)));
  RingInput& in = *input;
  const bool has_consumer = !options.consumer.empty();
  if (has_consumer) {
    SNAPFLOW_TRY_STATUS(in.check_registration(), where);
    auto saved = in.cursors_.load_state(options.consumer);
    if (!saved.ok()) return std::move(saved).error().context("load cursor " + options.consumer);
    if (saved->has_value()) {
      in.state_ = std::move(**saved);
      const bool named = !in.state_.observer.empty() || !in.state_.capture.empty();
      if (named &&
          (in.state_.observer != options.observer || in.state_.capture != options.capture)) {
        return base::make_error(
            base::ErrorCode::kInvalidArgument,
            "--consumer " + options.consumer + ": it exported as observer '" + in.state_.observer +
                "', capture '" + in.state_.capture + "'; resuming it as observer '" +
                options.observer + "', capture '" + options.capture +
                "' would index its unfinished part twice. Use the same names, or a new "
                "--consumer");
      }
      in.resumed_from_ = in.state_.cursor;
    }
  }
  if (in.resumed_from_) {
    in.reader_->seek(*in.resumed_from_);
  } else if (options.start_at_end) {
    SNAPFLOW_TRY_STATUS(in.reader_->seek_end(), where);
  }
  in.start_ = in.reader_->position();
  in.replay_starts_.assign(in.state_.part_starts.begin(), in.state_.part_starts.end());
  in.replay_decided_through_ = in.state_.decided_through;
  auto mode = decode_mode(in.state_.cursor_mode);
  if (!mode.ok()) return std::move(mode).error().context("load cursor " + options.consumer);
  in.mode_ = *mode;
  if (has_consumer) {
    // Saving at once registers the consumer (under the block policy the writer waits for it
    // from now on) and records the names it exports as.
    if (!in.resumed_from_) {
      in.state_.cursor = in.reader_->cursor();
      in.state_.counters["acct.cur_over_p"] = 0;  // no gap counted at the first cursor
      in.state_.counters["acct.cur_over_b"] = 0;
    }
    in.state_.observer = options.observer;
    in.state_.capture = options.capture;
    in.restore_accounting(in.resend_);
    SNAPFLOW_TRY_STATUS(in.cursors_.save(options.consumer, in.state_),
                        "register consumer " + options.consumer);
    if (options.accounting_interval_ns > 0 && !in.state_.counters.count("acct.seq")) {
      Pulled ignored;  // the first sample sets the baseline at registration
      SNAPFLOW_TRY_STATUS(in.sample_accounting(ignored), "register consumer");
    }
    in.next_sample_ns_ = base::now_monotonic_ns() + options.accounting_interval_ns;
  }
  return input;
}

size_t RingInput::find_part_start(pcap::PacketBatch& batch) {
  const auto& records = batch.records;
  const int64_t checkpoint = options_.checkpoint_ns;
  for (size_t i = 0; i < records.size(); ++i) {
    const uint64_t number = batch.first_record_number + i;
    while (!replay_starts_.empty() && replay_starts_.front().record < number) {
      replay_starts_.pop_front();
    }
    const int64_t ts = records[i].ts_ns;
    bool starts =
        new_part_next_ || (!replay_starts_.empty() && replay_starts_.front().record == number);
    if (!starts && part_open_) {
      starts = part_records_ >= options_.max_part_records ||
               base::align_down(ts, checkpoint) > base::align_down(part_max_ts_ns_, checkpoint);
    }
    if (starts) {
      if (i > 0) {
        new_part_next_ = true;  // the records from i on are read again by the next call
        return i;
      }
      batch.starts_part = true;
      new_part_next_ = false;
      part_open_ = false;
      part_begins_at_ = number;
    }
    if (!part_open_) {
      part_open_ = true;
      part_max_ts_ns_ = ts;
      part_records_ = 0;
    }
    part_max_ts_ns_ = std::max(part_max_ts_ns_, ts);
    ++part_records_;
  }
  return records.size();
}

double RingInput::unread_fraction() const {
  auto segments = ring::list_segments(reader_->layout());
  if (!segments.ok() || segments->empty()) return 0;
  const uint64_t newest = segments->back().end().record_bytes;
  const uint64_t read = reader_->position().record_bytes;
  const double capacity = static_cast<double>(reader_->layout().segment_bytes) *
                          static_cast<double>(reader_->layout().segment_count);
  return newest > read ? static_cast<double>(newest - read) / capacity : 0;
}

PartMode RingInput::choose_mode() const {
  const DegradeOptions& d = options_.degrade;
  const double unread = unread_fraction();
  const PartMode full;
  const PartMode coarse{Resolution::kCoarse, d.coarse_interval_ns, 0};
  const PartMode top{Resolution::kCoarseTopFlows, d.coarse_interval_ns, d.top_n};
  switch (mode_.resolution) {
    case Resolution::kFull:
      return unread >= d.top_flows_at ? top : unread >= d.coarse_at ? coarse : full;
    case Resolution::kCoarse:
      return unread >= d.top_flows_at ? top : unread < d.full_below ? full : coarse;
    case Resolution::kCoarseTopFlows:
      return unread < d.full_below ? full : unread < d.coarse_at ? coarse : top;
  }
  return full;
}

base::Status RingInput::begin_part(uint64_t record) {
  if (!replay_starts_.empty() && replay_starts_.front().record == record) {
    // Cut as the run that began this part cut it.
    auto mode = decode_mode(replay_starts_.front().mode);
    if (!mode.ok()) return std::move(mode).error();
    mode_ = *mode;
    replay_starts_.pop_front();
    return base::ok_status();
  }
  // Begun by an earlier run (before decided_through) and not recorded: the mode did not change.
  if (record < replay_decided_through_ || !options_.degrade.enabled) return base::ok_status();
  const PartMode mode = choose_mode();
  const bool changed = !(mode == mode_);
  mode_ = mode;
  if (options_.consumer.empty()) return base::ok_status();
  // Durable before this part's documents can be sent: a restart must cut it the same way.
  std::lock_guard lock(mu_);
  auto& starts = state_.part_starts;
  if (!starts.empty() && starts.back().record == record) {
    starts.back().mode = encode_mode(mode_);  // an idle or stop start recorded it already
  } else if (changed) {
    starts.push_back({record, encode_mode(mode_)});
  }
  state_.decided_through = record + 1;
  return cursors_.save(options_.consumer, state_);
}

base::Status RingInput::record_part_start(uint64_t record) {
  if (options_.consumer.empty()) return base::ok_status();
  std::lock_guard lock(mu_);
  if (!state_.part_starts.empty() && state_.part_starts.back().record >= record) {
    return base::ok_status();
  }
  state_.part_starts.push_back({record, encode_mode(mode_)});
  return cursors_.save(options_.consumer, state_);
}

base::Result<Pulled> RingInput::next(pcap::PacketBatch& batch, size_t max_packets) {
  Pulled pulled;
  pulled.accounting = std::move(resend_);
  resend_.clear();
  const bool accounting = !options_.consumer.empty() && options_.accounting_interval_ns > 0;
  // One sample in flight at a time: a restart re-sends only the last one, so a second one
  // taken before the first is acknowledged could be lost with a kill -9. While the cluster
  // stalls, the next sample waits and covers a longer interval instead.
  const bool sample_acknowledged =
      pulled.accounting.empty() && unacked_sample_token_.load(std::memory_order_acquire) == 0;
  if (accounting && sample_acknowledged && base::now_monotonic_ns() >= next_sample_ns_) {
    SNAPFLOW_TRY_STATUS(sample_accounting(pulled), "read --ring " + options_.dir);
    next_sample_ns_ = base::now_monotonic_ns() + options_.accounting_interval_ns;
  }
  const ring::RingPosition before = reader_->position();
  auto status = reader_->next_batch(batch, max_packets);
  if (!status.ok()) return std::move(status).error().context("read --ring " + options_.dir);
  switch (*status) {
    case ring::ReadStatus::kRecords: {
      read_anything_ = true;
      last_data_mono_ns_ = base::now_monotonic_ns();
      // Ring-wide record numbers continue across segments: the reader's position may have
      // moved to the next segment before the batch, but never skipped a record.
      batch.first_record_number = before.packets + 1;
      batch.input_id = input_id_;
      const size_t cut = find_part_start(batch);
      if (batch.starts_part) {
        SNAPFLOW_TRY_STATUS(begin_part(part_begins_at_), "begin part");
        pulled.part_mode = mode_;
      }
      if (cut < batch.size()) {
        const std::span<const pcap::PacketRecord> tail(batch.records.data() + cut,
                                                       batch.size() - cut);
        reader_->seek(ring::position_before(reader_->position(), tail),
                      batch.records[cut - 1].ts_ns);
        batch.records.resize(cut);
      }
      pulled.packets = batch.size();
      // The reader's position carries ring-wide running totals: no per-packet counting.
      progress_.packets = reader_->position().packets - start_.packets;
      progress_.bytes = reader_->position().wire_bytes - start_.wire_bytes;
      progress_.input_bytes = reader_->position().record_bytes - start_.record_bytes;
      break;
    }
    case ring::ReadStatus::kGap:
    case ring::ReadStatus::kCorrupt: {
      // Damaged bytes are skipped like overwritten ones: a part boundary and a gap document.
      const bool corrupt = *status == ring::ReadStatus::kCorrupt;
      const ring::Gap& gap = corrupt ? reader_->last_corruption().lost : reader_->last_gap();
      GapRecord record;
      record.reason = corrupt ? GapReason::kCorrupt : GapReason::kOverwritten;
      record.start_ns = gap.start_ns;
      record.end_ns = gap.end_ns;
      record.packets = gap.packets;
      record.bytes = gap.wire_bytes;
      record.input = input_id_;
      record.first_record = before.packets + 1;
      record.at_resume = resumed_from_.has_value() && !read_anything_;
      pulled.gaps.push_back(record);
      {
        // Only the part of the loss past what earlier samples counted (a restarted consumer
        // meets the same gap again); positions are ring-wide cumulative counters. Damaged
        // records count with the overwritten ones: spooled, never exported (the gap
        // document's reason tells them apart).
        const uint64_t end_p = before.packets + gap.packets;
        const uint64_t end_b = before.wire_bytes + gap.wire_bytes;
        const uint64_t from_p = std::max(before.packets, accounted_through_.first);
        const uint64_t from_b = std::max(before.wire_bytes, accounted_through_.second);
        if (end_p > from_p) overwritten_packets_ += end_p - from_p;
        if (end_b > from_b) overwritten_bytes_ += end_b - from_b;
      }
      read_anything_ = true;
      pulled.end_part = part_open_;
      part_open_ = false;
      new_part_next_ = true;
      break;
    }
    case ring::ReadStatus::kEnd:
      if (!options_.follow) {
        pulled.end = true;
        if (accounting) SNAPFLOW_TRY_STATUS(sample_accounting(pulled), "final accounting");
      } else if (part_open_ &&
                 base::now_monotonic_ns() - last_data_mono_ns_ >= options_.idle_close_ns) {
        // Quiet long enough: finish the part so its snapshots reach the dashboards now. The
        // part start is durable before those documents can be acknowledged.
        SNAPFLOW_TRY_STATUS(record_part_start(reader_->position().packets + 1),
                            "record idle part end");
        pulled.end_part = true;
        part_open_ = false;
        new_part_next_ = true;
      }
      break;
    case ring::ReadStatus::kCancelled:
      // Stopped: the open snapshots are emitted, and the next run starts a part here.
      if (part_open_) {
        SNAPFLOW_TRY_STATUS(record_part_start(reader_->position().packets + 1),
                            "record stop part end");
      }
      pulled.end = true;
      if (accounting) SNAPFLOW_TRY_STATUS(sample_accounting(pulled), "final accounting");
      break;
  }
  sample_in_batch_ = !pulled.accounting.empty();
  return pulled;
}

uint64_t RingInput::checkpoint() {
  std::lock_guard lock(mu_);
  const uint64_t token = ++next_token_;
  if (!options_.consumer.empty()) {
    pending_.push_back({token, reader_->cursor(), overwritten_packets_, overwritten_bytes_});
  }
  if (sample_in_batch_) {
    unacked_sample_token_.store(token, std::memory_order_release);
    sample_in_batch_ = false;
  }
  return token;
}

base::Status RingInput::commit(uint64_t token) {
  if (options_.consumer.empty()) return base::ok_status();
  std::lock_guard lock(mu_);
  // Every document up to this batch is delivered, the sample's included.
  const uint64_t sample_token = unacked_sample_token_.load(std::memory_order_acquire);
  if (sample_token != 0 && token >= sample_token) {
    unacked_sample_token_.store(0, std::memory_order_release);
  }
  std::optional<PendingCheckpoint> passed_checkpoint;
  while (!pending_.empty() && pending_.front().token <= token) {
    passed_checkpoint = pending_.front();
    pending_.pop_front();
  }
  if (!passed_checkpoint) return base::ok_status();
  const ring::Cursor* cursor = &passed_checkpoint->cursor;
  state_.cursor = *cursor;
  // What a restart that retracts the documents after this cursor counts from.
  state_.counters["acct.cur_over_p"] = passed_checkpoint->overwritten_packets;
  state_.counters["acct.cur_over_b"] = passed_checkpoint->overwritten_bytes;
  // The cursor is itself a part start; the recorded ones up to it are history now, and the
  // last of them says the mode in effect there.
  const uint64_t next_record = cursor->position.packets + 1;
  auto& starts = state_.part_starts;
  const auto passed =
      std::upper_bound(starts.begin(), starts.end(), next_record,
                       [](uint64_t record, const ring::PartStart& s) { return record < s.record; });
  if (passed != starts.begin()) state_.cursor_mode = std::prev(passed)->mode;
  starts.erase(starts.begin(), passed);
  return cursors_.save(options_.consumer, state_);
}

}  // namespace snapflow::pcap2json
