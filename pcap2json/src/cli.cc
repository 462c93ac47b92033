#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "snapflow/base/parse.h"
#include "snapflow/filter/pcap_link.h"
#include "snapflow/pcap2json/cloud_annotation.h"
#include "snapflow/pcap2json/config.h"

namespace snapflow::pcap2json {
namespace {

using base::ErrorCode;
using base::make_error;

enum Option : int {
  kOptBulk = 256,
  kOptGzip,
  kOptFormat,
  kOptJsonPacket,
  kOptReorderWindow,
  kOptClockStep,
  kOptTopN,
  kOptNoTotals,
  kOptNoCommunityId,
  kOptObserver,
  kOptCapture,
  kOptIndexPrefix,
  kOptNoTunnels,
  kOptVxlanPort,
  kOptSkipBad,
  kOptStats,
  kOptProgress,
  kOptNoProgress,
  kOptBatchPackets,
  kOptRing,
  kOptConsumer,
  kOptFollow,
  kOptRingStart,
  kOptIdleLag,
  kOptCheckpoint,
  kOptCommitEvery,
  kOptShard,
  kOptDegrade,
  kOptDegradeInterval,
  kOptDegradeTopN,
  kOptPcapLinkBase,
  kOptForwardRules,
  kOptMirrorSessions,
};

const option kLongOptions[] = {
    {"output", required_argument, nullptr, 'o'},
    {"bulk", no_argument, nullptr, kOptBulk},
    {"gzip", no_argument, nullptr, kOptGzip},
    {"format", required_argument, nullptr, kOptFormat},
    {"json-packet", no_argument, nullptr, kOptJsonPacket},
    {"interval", required_argument, nullptr, 'i'},
    {"reorder-window", required_argument, nullptr, kOptReorderWindow},
    {"clock-step", required_argument, nullptr, kOptClockStep},
    {"top-n", required_argument, nullptr, kOptTopN},
    {"no-totals", no_argument, nullptr, kOptNoTotals},
    {"no-community-id", no_argument, nullptr, kOptNoCommunityId},
    {"observer", required_argument, nullptr, kOptObserver},
    {"capture", required_argument, nullptr, kOptCapture},
    {"index-prefix", required_argument, nullptr, kOptIndexPrefix},
    {"pcap-link-base", required_argument, nullptr, kOptPcapLinkBase},
    {"no-tunnels", no_argument, nullptr, kOptNoTunnels},
    {"vxlan-port", required_argument, nullptr, kOptVxlanPort},
    {"threads", required_argument, nullptr, 't'},
    {"batch-packets", required_argument, nullptr, kOptBatchPackets},
    {"ring", required_argument, nullptr, kOptRing},
    {"consumer", required_argument, nullptr, kOptConsumer},
    {"follow", no_argument, nullptr, kOptFollow},
    {"ring-start", required_argument, nullptr, kOptRingStart},
    {"idle-close", required_argument, nullptr, kOptIdleLag},
    {"checkpoint", required_argument, nullptr, kOptCheckpoint},
    {"commit-every", required_argument, nullptr, kOptCommitEvery},
    {"shard", required_argument, nullptr, kOptShard},
    {"degrade", required_argument, nullptr, kOptDegrade},
    {"degrade-interval", required_argument, nullptr, kOptDegradeInterval},
    {"degrade-top-n", required_argument, nullptr, kOptDegradeTopN},
    {"forward-rules", required_argument, nullptr, kOptForwardRules},
    {"mirror-sessions", required_argument, nullptr, kOptMirrorSessions},
    {"skip-bad-records", no_argument, nullptr, kOptSkipBad},
    {"stats", no_argument, nullptr, kOptStats},
    {"progress", no_argument, nullptr, kOptProgress},
    {"no-progress", no_argument, nullptr, kOptNoProgress},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {nullptr, 0, nullptr, 0},
};

base::Result<uint64_t> parse_count(std::string_view flag, std::string_view text, uint64_t min,
                                   uint64_t max) {
  auto value = base::parse_uint(text, min, max);
  if (!value.ok()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(flag) + ": " + value.error().message());
  }
  return value;
}

std::string default_observer() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "snapflow";
  return name;
}

std::string base_name(const std::string& path) {
  if (path == "-") return "stdin";
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string usage_text() {
  std::string text = R"(Usage: pcap2json [options] FILE...
Replays packet captures into snapshot netflows ("snapflows"): per flow, its packets and bytes
in every interval (100 ms by default), as JSON documents.

FILE is a PCAP or PCAPNG file, or - for stdin. Several files are read in the order of their
first packet's time; each file's documents are its own (a snapshot cut by a file boundary has
one document per file), so files may be replayed together, one by one, or by several workers.

Output:
  -o, --output FILE|-        where documents go (default: - for stdout)
      --bulk                 Elasticsearch bulk form: an action line with a deterministic _id
                             before each document
      --gzip                 gzip the output (standard gzip, written with ISA-L)
      --format ecs|fmadio    field names: Elastic Common Schema (default) or fmadio pcap2json's
      --json-packet          one document per packet with its decoded headers
      --index-prefix P       bulk index prefix (default: snapflow; daily indices P-YYYY.MM.DD)
      --observer NAME        observer.name (default: this host's name)
      --capture NAME         labels.capture (default: the first input's file name)
      --pcap-link-base URL   flow documents carry snapflow.pcap_link, the capture API's
                             /pcap/splittime URL of their packets (URL: http[s]://HOST[:PORT]
                             [/PATH], no credentials in it)
Snapshots:
  -i, --interval DURATION    snapshot length, 1ms to 1h (default: 100ms); units ns us ms s m h
      --reorder-window DUR   how late a packet may arrive and still count in its own snapshot
                             (default: 10ms); later ones are counted as late, never dropped
      --clock-step DURATION  a packet this much older than the newest before it in its file
                             means the clock stepped back (or captures were concatenated out
                             of order): snapshots start afresh there instead of folding
                             everything up to the catch-up into one late snapshot (default:
                             1s, or twice the reorder window if longer; 0: never)
      --top-n N              keep the N largest flows per snapshot; fold the rest into one
                             "other" document so totals stay exact
      --no-totals            no per-snapshot totals (event.kind: metric) documents
      --no-community-id      skip network.community_id (saves a SHA-1 per document)
Decoding:
      --no-tunnels           key flows on the outermost headers, do not look inside tunnels
      --vxlan-port PORT      also decode VXLAN on this UDP port (4789 and 8472 always are)
      --skip-bad-records     resynchronise past corrupt records instead of stopping (counted)
      --shard I/N            read only the files of shard I of N (1 <= I <= N): N workers, each
                             given every file and its own I, together index exactly what one
                             run over all files would (the same documents and ids)
Live ring (instead of FILE):
      --ring DIR             read the capture ring snapflow-capture writes
      --consumer NAME        keep this consumer's place in the ring: resume there, and commit
                             it only behind documents the sink has acknowledged
      --follow               keep reading new data as it is captured, like tail -f; stop with
                             SIGINT/SIGTERM (open snapshots are finished by the next run)
      --ring-start oldest|end  where a new consumer starts (default: oldest)
      --idle-close DURATION  after this long without new data, emit the open snapshots
                             (default: the interval + the reorder window + 250ms)
      --checkpoint DURATION  the consumer's cursor advances at multiples of this capture time
                             (default: 1s); a restart re-reads at most about this much
      --commit-every DURATION  write the cursor at most this often (an fsync; default 1s)
      --degrade auto|on|off  when the unread backlog passes half the ring, emit coarser
                             snapshots (then only the top flows) until caught up, so the ring
                             does not overwrite unread data (default auto: on with --follow)
      --degrade-interval DUR the coarser snapshot length (default: 10 x --interval, at least 1s)
      --degrade-top-n N      flows kept per snapshot past three quarters of the ring (1000)
Cloud capture (docs/aws.md):
      --forward-rules FILE   the forwarder's rules file: flow documents carry
                             snapflow.capture_mode and snapflow.rule.{id,name,direction}
                             (default with --ring: DIR/state/forward-rules if it exists;
                             none: off)
      --mirror-sessions FILE the mirror target's sessions file: flow documents carry
                             labels.mirror_session (default with --ring:
                             DIR/state/mirror-sessions if it exists; none: off)
%ES_FLAGS%Running:
  -t, --threads N            worker threads (default: every core)
      --stats                print statistics to stderr at the end
      --progress             progress bar on stderr (default: when stderr is a terminal)
      --no-progress
  -h, --help                 this text
  -V, --version              version

Exit status: 0 when every input was processed and delivered, 1 on a runtime error (bad input,
output failure; documents for every packet before the fault are still written), 2 on a usage
error, 130 when SIGINT/SIGTERM cut a file or stdin input short (the snapshots still open are
not exported; running the same command again finishes the job exactly).
)";
  const std::string marker = "%ES_FLAGS%";
  text.replace(text.find(marker), marker.size(), indexer::indexer_flags_help());
  return text;
}

base::Result<Pcap2JsonConfig> parse_command_line(int argc, char** argv) {
  Pcap2JsonConfig config;
  // The --es-* flags belong to the indexer: take them out first, getopt sees the rest.
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc;) {
    auto consumed = indexer::parse_indexer_flag(argc, argv, i, config.indexer);
    if (!consumed.ok()) return std::move(consumed).error();
    if (*consumed == 0) {
      rest.push_back(argv[i++]);
      continue;
    }
    config.upload = true;
    i += *consumed;
  }
  rest.push_back(nullptr);
  argc = static_cast<int>(rest.size()) - 1;
  argv = rest.data();
  config.pipeline.encoder.observer = default_observer();
  config.pipeline.encoder.bulk_form = false;  // plain NDJSON unless --bulk
  bool capture_given = false;
  optind = 1;
  opterr = 0;  // we report errors ourselves, as one line naming the flag
  int opt = 0;
  int long_index = 0;
  while ((opt = getopt_long(argc, argv, ":o:i:t:hV", kLongOptions, &long_index)) != -1) {
    const std::string arg = optarg != nullptr ? optarg : "";
    const auto flag_name = [&]() -> std::string {
      for (const option& o : kLongOptions) {
        if (o.name != nullptr && o.val == opt) return std::string("--") + o.name;
      }
      return std::string("-") + static_cast<char>(opt);
    };
    const auto duration = [&](int64_t& out) -> base::Status {
      auto d = base::parse_duration_ns(arg);
      if (!d.ok()) return std::move(d).error().context(flag_name());
      out = *d;
      return base::ok_status();
    };
    switch (opt) {
      case 'o':
        config.output = arg;
        break;
      case kOptBulk:
        config.pipeline.encoder.bulk_form = true;
        break;
      case kOptGzip:
        config.gzip = true;
        break;
      case kOptFormat: {
        auto format = parse_document_format(arg);
        if (!format.ok()) return std::move(format).error().context("--format");
        config.pipeline.encoder.format = *format;
        break;
      }
      case kOptJsonPacket:
        config.pipeline.packet_mode = true;
        break;
      case 'i':
        SNAPFLOW_TRY_STATUS(duration(config.pipeline.snapshot.interval_ns), "parse options");
        break;
      case kOptReorderWindow:
        SNAPFLOW_TRY_STATUS(duration(config.pipeline.snapshot.reorder_window_ns), "parse options");
        break;
      case kOptClockStep: {
        int64_t step = 0;
        SNAPFLOW_TRY_STATUS(duration(step), "parse options");
        config.clock_step_ns = step;
        break;
      }
      case kOptTopN: {
        auto n = parse_count("--top-n", arg, 1, 10'000'000);
        if (!n.ok()) return std::move(n).error();
        config.pipeline.top_n = static_cast<uint32_t>(*n);
        break;
      }
      case kOptNoTotals:
        config.pipeline.totals = false;
        break;
      case kOptNoCommunityId:
        config.pipeline.encoder.community_id = false;
        break;
      case kOptObserver:
        config.pipeline.encoder.observer = arg;
        break;
      case kOptCapture:
        config.pipeline.encoder.capture = arg;
        capture_given = true;
        break;
      case kOptIndexPrefix:
        config.pipeline.encoder.index_prefix = arg;
        break;
      case kOptPcapLinkBase:
        SNAPFLOW_TRY_STATUS(filter::validate_pcap_link_base(arg), "--pcap-link-base");
        config.pipeline.encoder.pcap_link_base = arg;
        break;
      case kOptNoTunnels:
        config.pipeline.decode.decode_tunnels = false;
        break;
      case kOptVxlanPort: {
        auto port = parse_count("--vxlan-port", arg, 1, 65535);
        if (!port.ok()) return std::move(port).error();
        config.pipeline.decode.extra_vxlan_port = static_cast<uint16_t>(*port);
        break;
      }
      case 't': {
        auto n = parse_count("--threads", arg, 1, 1024);
        if (!n.ok()) return std::move(n).error();
        config.pipeline.threads = static_cast<uint32_t>(*n);
        break;
      }
      case kOptBatchPackets: {
        auto n = parse_count("--batch-packets", arg, 1, 1 << 20);
        if (!n.ok()) return std::move(n).error();
        config.pipeline.batch_packets = *n;
        break;
      }
      case kOptRing:
        config.use_ring = true;
        config.ring.dir = arg;
        break;
      case kOptConsumer:
        config.ring.consumer = arg;
        break;
      case kOptFollow:
        config.ring.follow = true;
        break;
      case kOptRingStart:
        if (arg != "oldest" && arg != "end") {
          return make_error(ErrorCode::kInvalidArgument,
                            "--ring-start: expected oldest or end, got '" + arg + "'");
        }
        config.ring.start_at_end = arg == "end";
        break;
      case kOptIdleLag:
        SNAPFLOW_TRY_STATUS(duration(config.ring.idle_close_ns), "parse options");
        break;
      case kOptCheckpoint:
        SNAPFLOW_TRY_STATUS(duration(config.ring.checkpoint_ns), "parse options");
        break;
      case kOptCommitEvery:
        SNAPFLOW_TRY_STATUS(duration(config.pipeline.commit_every_ns), "parse options");
        break;
      case kOptDegrade:
        if (arg != "auto" && arg != "on" && arg != "off") {
          return make_error(ErrorCode::kInvalidArgument,
                            "--degrade: expected auto, on or off, got '" + arg + "'");
        }
        config.degrade = arg == "auto" ? Pcap2JsonConfig::Degrade::kAuto
                         : arg == "on" ? Pcap2JsonConfig::Degrade::kOn
                                       : Pcap2JsonConfig::Degrade::kOff;
        break;
      case kOptDegradeInterval:
        SNAPFLOW_TRY_STATUS(duration(config.ring.degrade.coarse_interval_ns), "parse options");
        break;
      case kOptDegradeTopN: {
        auto n = parse_count("--degrade-top-n", arg, 1, 10'000'000);
        if (!n.ok()) return std::move(n).error();
        config.ring.degrade.top_n = static_cast<uint32_t>(*n);
        break;
      }
      case kOptShard: {
        const size_t slash = arg.find('/');
        auto count = parse_count("--shard", slash == std::string::npos ? "" : arg.substr(slash + 1),
                                 1, 1 << 20);
        if (!count.ok()) return std::move(count).error();
        auto index = parse_count("--shard", arg.substr(0, slash), 1, *count);
        if (!index.ok()) return std::move(index).error();
        config.files.shard_index = static_cast<uint32_t>(*index - 1);
        config.files.shard_count = static_cast<uint32_t>(*count);
        break;
      }
      case kOptForwardRules:
        if (arg.empty()) return make_error(ErrorCode::kInvalidArgument, "--forward-rules: empty");
        config.forward_rules = arg;
        break;
      case kOptMirrorSessions:
        if (arg.empty()) return make_error(ErrorCode::kInvalidArgument, "--mirror-sessions: empty");
        config.mirror_sessions = arg;
        break;
      case kOptSkipBad:
        config.reader.skip_bad_records = true;
        break;
      case kOptStats:
        config.show_stats = true;
        break;
      case kOptProgress:
        config.progress = Pcap2JsonConfig::ProgressMode::kOn;
        break;
      case kOptNoProgress:
        config.progress = Pcap2JsonConfig::ProgressMode::kOff;
        break;
      case 'h':
        config.show_help = true;
        break;
      case 'V':
        config.show_version = true;
        break;
      case ':':
        return make_error(ErrorCode::kInvalidArgument,
                          std::string(argv[optind - 1]) + ": needs a value (see --help)");
      default:
        return make_error(ErrorCode::kInvalidArgument,
                          "unknown option '" + std::string(argv[optind - 1]) + "' (see --help)");
    }
  }
  for (int i = optind; i < argc; ++i) config.inputs.emplace_back(argv[i]);
  if (!capture_given && !config.inputs.empty()) {
    config.pipeline.encoder.capture = base_name(config.inputs.front());
  }
  if (!capture_given && config.use_ring) {
    config.pipeline.encoder.capture = config.ring.consumer.empty() ? "ring" : config.ring.consumer;
  }
  config.pipeline.consumer = config.ring.consumer;
  config.pipeline.encoder.interval_ns = config.pipeline.snapshot.interval_ns;
  return config;
}

namespace {

// --forward-rules / --mirror-sessions: the given file, or with --ring the daemon's own (its
// default state directory) when it exists; "none" turns the default off.
base::Status load_cloud_annotations(Pcap2JsonConfig& config) {
  const bool given = (!config.forward_rules.empty() && config.forward_rules != "none") ||
                     (!config.mirror_sessions.empty() && config.mirror_sessions != "none");
  if (config.pipeline.packet_mode) {
    if (!given) return base::ok_status();
    return make_error(ErrorCode::kInvalidArgument,
                      "--forward-rules/--mirror-sessions: flow documents only, not --json-packet");
  }
  const auto resolve = [&](const std::string& option, std::string_view file) -> std::string {
    if (option == "none") return {};
    if (!option.empty() || !config.use_ring) return option;
    const std::string path = config.ring.dir + "/state/" + std::string(file);
    return ::access(path.c_str(), F_OK) == 0 ? path : std::string();
  };
  const std::string rules = resolve(config.forward_rules, "forward-rules");
  const std::string sessions = resolve(config.mirror_sessions, "mirror-sessions");
  if (rules.empty() && sessions.empty()) return base::ok_status();
  auto annotator = CloudAnnotator::load(rules, sessions);
  if (!annotator.ok()) return std::move(annotator).error();
  config.pipeline.encoder.cloud = std::move(*annotator);
  return base::ok_status();
}

}  // namespace

base::Status validate(Pcap2JsonConfig& config) {
  const auto bad = [](std::string message) {
    return make_error(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (config.show_help || config.show_version) return base::ok_status();
  if (config.use_ring) {
    if (!config.inputs.empty()) return bad("--ring: cannot be combined with input files");
    if (config.pipeline.packet_mode && config.ring.follow) {
      return bad("--json-packet: not supported with --follow");
    }
  } else {
    if (config.ring.follow) return bad("--follow: needs --ring DIR");
    if (!config.ring.consumer.empty()) return bad("--consumer: needs --ring DIR");
  }
  if (config.inputs.empty() && !config.use_ring) {
    return bad("no input: give a capture file, or - for stdin, or --ring DIR (see --help)");
  }
  int stdin_count = 0;
  for (const auto& input : config.inputs) stdin_count += input == "-";
  if (stdin_count > 0 && config.inputs.size() > 1) {
    return bad("-: stdin cannot be combined with other inputs");
  }
  if (config.files.shard_count > 1 && (config.use_ring || stdin_count > 0)) {
    return bad("--shard: splits capture files between workers; not for stdin or --ring");
  }
  const int64_t interval = config.pipeline.snapshot.interval_ns;
  if (interval < kMinIntervalNs || interval > kMaxIntervalNs) {
    return bad("--interval: must be from 1ms to 1h, got " + std::to_string(interval) + "ns");
  }
  if (config.ring.checkpoint_ns < kMinIntervalNs || config.ring.checkpoint_ns > kMaxIntervalNs) {
    return bad("--checkpoint: must be from 1ms to 1h");
  }
  if (config.pipeline.commit_every_ns < 0 || config.pipeline.commit_every_ns > kMaxIntervalNs) {
    return bad("--commit-every: must be at most 1h");
  }
  if (config.ring.idle_close_ns < 0 || config.ring.idle_close_ns > kMaxIntervalNs) {
    return bad("--idle-close: must be at most 1h");
  }
  if (config.ring.idle_close_ns == 0) {
    // Quiet for longer than a snapshot and its reorder window: whatever arrives next belongs
    // to a later snapshot, so ending the part here splits nothing (250 ms covers the capture
    // daemon's commit interval).
    config.ring.idle_close_ns =
        interval + config.pipeline.snapshot.reorder_window_ns + 250 * base::kNsPerMs;
  }
  config.ring.observer = config.pipeline.encoder.observer;
  config.ring.capture = config.pipeline.encoder.capture;
  DegradeOptions& degrade = config.ring.degrade;
  degrade.enabled = config.degrade == Pcap2JsonConfig::Degrade::kOn ||
                    (config.degrade == Pcap2JsonConfig::Degrade::kAuto && config.ring.follow);
  if (degrade.enabled && !config.use_ring) return bad("--degrade on: needs --ring DIR");
  if (degrade.coarse_interval_ns == 0) {
    degrade.coarse_interval_ns = std::min(kMaxIntervalNs, std::max(base::kNsPerSec, 10 * interval));
  }
  // A multiple of the interval, so a coarse snapshot covers whole fine ones on every chart.
  if (degrade.coarse_interval_ns <= interval || degrade.coarse_interval_ns % interval != 0 ||
      degrade.coarse_interval_ns > kMaxIntervalNs) {
    return bad("--degrade-interval: must be a multiple of --interval, longer than it, at most 1h");
  }
  if (config.pipeline.snapshot.reorder_window_ns > kMaxIntervalNs) {
    return bad("--reorder-window: must be at most 1h");
  }
  // A step back no longer than the reorder window is ordinary lateness: it must stay late.
  const int64_t reorder = config.pipeline.snapshot.reorder_window_ns;
  if (config.clock_step_ns && *config.clock_step_ns != 0 && *config.clock_step_ns <= reorder) {
    return bad("--clock-step: must be longer than --reorder-window (or 0: never)");
  }
  config.reader.new_part_after_step_back_ns =
      config.clock_step_ns.value_or(std::max(base::kNsPerSec, 2 * reorder));
  if (config.pipeline.packet_mode && config.pipeline.top_n > 0) {
    return bad("--top-n: applies to snapflows, not to --json-packet");
  }
  if (config.pipeline.encoder.observer.empty()) return bad("--observer: must not be empty");
  if (config.upload) {
    if (config.output != "-") return bad("--output: cannot be combined with --es-host");
    if (config.gzip) {
      return bad("--gzip: bulk requests to --es-host are always gzipped; --gzip is for files");
    }
    config.pipeline.encoder.bulk_form = true;
    // --index-prefix and --es-index-prefix name the same thing; whichever was given wins.
    if (config.pipeline.encoder.index_prefix == "snapflow") {
      config.pipeline.encoder.index_prefix = config.indexer.index_prefix;
    }
    config.indexer.index_prefix = config.pipeline.encoder.index_prefix;
    SNAPFLOW_TRY_STATUS(indexer::validate(config.indexer), "check --es-* options");
    SNAPFLOW_TRY_STATUS(indexer::load_credentials(config.indexer), "load credentials");
  }
  config.pipeline.encoder.interval_ns = interval;
  SNAPFLOW_TRY_STATUS(load_cloud_annotations(config), "check output options");
  SNAPFLOW_TRY_STATUS(validate(config.pipeline.encoder), "check output options");
  return base::ok_status();
}

}  // namespace snapflow::pcap2json
