#include "cli_config.h"

#include <cstdint>
#include <string_view>

#include "snapflow/base/parse.h"

namespace snapflow::extract::cli {
namespace {

base::Error usage(std::string message) {
  return base::make_error(base::ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

const char* usage_text() {
  return "usage: snapflow-pcap COMMAND --ring DIR [options]\n"
         "Reads a snapflow capture ring directly (no daemon needed; read-only).\n"
         "commands:\n"
         "  info      what the ring holds: oldest/newest time, segments, packets, bytes\n"
         "  list      named captures: name,size_bytes,packets,start,stop\n"
         "  view      split views of a capture (or the ring): split_mode,link\n"
         "  split     rows of one split view: name,size_bytes,packets,url\n"
         "  extract   a time window as a PCAP (nanosecond) or PCAPNG file\n"
         "  bandwidth packets and bytes per step from the time index: t_ns,packets,bytes\n"
         "options:\n"
         "  --ring DIR        ring directory (required)\n"
         "  --stream NAME     a named capture (default: the whole ring)\n"
         "  --start T         window start: epoch ns (ULL suffix ok), RFC 3339, or\n"
         "                    20150620_09:36:58.780.588.947 (UTC)\n"
         "  --stop T          window end (exclusive)\n"
         "  --view MODE       split: split_1sec split_10sec split_1min split_10min split_15min\n"
         "                    split_1hour split_1MB split_10MB split_100MB split_1GB split_10GB\n"
         "                    split_100GB split_1TB\n"
         "  --max-rows N      split: refuse views with more rows (default 100000)\n"
         "  --points N        bandwidth: at most N points, 1..100000 (default 1000); the\n"
         "                    step is a whole number of milliseconds\n"
         "  --filter EXPR     extract: fmadio filter, e.g. 'tcp.port==443' or\n"
         "                    'vm:inner.ipv4.addr==10.0.0.0/8;expr=vm&!udp.port==53'\n"
         "  --bpf EXPR        extract: tcpdump filter (with --filter: both must match)\n"
         "  -o FILE|-         extract: output file (default - = stdout, not a terminal)\n"
         "  --format F        extract: pcap (default) or pcapng; others: csv (default) or json\n"
         "  --no-progress     extract: no progress bar on stderr\n"
         "exit status: 0 done, 1 failure (I/O, missing ring or capture), 2 bad command line\n"
         "or input (times, filters), 3 window outside the ring, 4 extracted but records were\n"
         "overwritten during the extraction (counted on stderr)\n";
}

base::Result<CliConfig> parse_command_line(int argc, char** argv) {
  CliConfig c;
  if (argc < 2) {
    return usage("missing command (info, list, view, split, extract, bandwidth); see --help");
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    c.help = true;
    return c;
  }
  if (command == "info") {
    c.command = Command::kInfo;
  } else if (command == "list") {
    c.command = Command::kList;
  } else if (command == "view") {
    c.command = Command::kView;
  } else if (command == "split") {
    c.command = Command::kSplit;
  } else if (command == "extract") {
    c.command = Command::kExtract;
  } else if (command == "bandwidth") {
    c.command = Command::kBandwidth;
  } else {
    return usage("unknown command '" + std::string(command.substr(0, 32)) +
                 "' (info, list, view, split, extract, bandwidth)");
  }
  std::optional<std::string> values[11];
  constexpr std::string_view kNames[] = {"--ring",     "--stream", "--start",  "--stop",
                                         "--filter",   "--bpf",    "--format", "--view",
                                         "--max-rows", "-o",       "--points"};
  enum { kRing, kStream, kStart, kStop, kFilter, kBpf, kFormat, kView, kMaxRows, kOutput, kPoints };
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      c.help = true;
      return c;
    }
    if (arg == "--no-progress") {
      c.progress = false;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    size_t k = 0;
    while (k < std::size(kNames) && kNames[k] != name) ++k;
    if (k == std::size(kNames)) {
      return usage("unknown option '" + std::string(name.substr(0, 40)) + "'");
    }
    if (values[k]) return usage(std::string(name) + ": given more than once");
    if (!value) {
      if (i + 1 >= argc) return usage(std::string(name) + ": missing value");
      value = argv[++i];
    }
    values[k] = std::string(*value);
  }
  if (!values[kRing] || values[kRing]->empty()) return usage("--ring DIR is required");
  c.ring_dir = *values[kRing];
  const bool extract = c.command == Command::kExtract;
  const bool split = c.command == Command::kSplit;
  const bool bandwidth = c.command == Command::kBandwidth;
  const struct {
    int flag;
    bool allowed;
    const char* commands;
  } rules[] = {{kStream, c.command != Command::kInfo && c.command != Command::kList,
                "view, split and extract"},
               {kStart, split || extract || bandwidth, "split, extract and bandwidth"},
               {kStop, split || extract || bandwidth, "split, extract and bandwidth"},
               {kPoints, bandwidth, "bandwidth"},
               {kFilter, extract, "extract"},
               {kBpf, extract, "extract"},
               {kView, split, "split"},
               {kMaxRows, split, "split"},
               {kOutput, extract, "extract"}};
  for (const auto& rule : rules) {
    if (values[rule.flag] && !rule.allowed) {
      return usage(std::string(kNames[rule.flag]) + " applies to " + rule.commands + " only");
    }
  }
  c.stream = values[kStream];
  c.start = values[kStart];
  c.stop = values[kStop];
  c.filter = values[kFilter];
  c.bpf = values[kBpf];
  c.points = values[kPoints];
  if (values[kOutput]) c.output = *values[kOutput];
  if (extract) {
    c.output_format = values[kFormat];
  } else if (values[kFormat]) {
    if (*values[kFormat] == "json") {
      c.text_format = TextFormat::kJson;
    } else if (*values[kFormat] != "csv") {
      return usage("--format: csv or json for " + std::string(command));
    }
  }
  const std::string view_text = values[kView].value_or("");
  const std::string max_rows_text = values[kMaxRows].value_or("");
  if (c.command == Command::kSplit) {
    if (view_text.empty()) return usage("split needs --view MODE (e.g. --view split_1sec)");
    auto mode = parse_split_mode(view_text);
    if (!mode.ok()) return std::move(mode).error().context("--view");
    c.view = *mode;
    if (!max_rows_text.empty()) {
      auto rows = base::parse_uint(max_rows_text, 1, UINT32_MAX);
      if (!rows.ok()) return usage("--max-rows: " + rows.error().message());
      c.max_rows = static_cast<size_t>(*rows);
    }
  }
  return c;
}

}  // namespace snapflow::extract::cli
