// Human-facing output of the pcap2json command: the --stats summary and the progress bar.
#pragma once

#include <cstdio>
#include <string>

#include "snapflow/pcap/reader.h"
#include "snapflow/pcap2json/pipeline.h"

namespace snapflow::pcap2json {

// The --stats block: packets, bytes, flows, snapshots, documents, late packets, fragments,
// decode outcomes by kind, skipped input, throughput, and whether document sums equal the
// input's totals.
std::string format_stats(const PipelineStats& stats, const pcap::ReaderStats* reader);

// OK when the output holds exactly the packets and bytes read and refused no document;
// otherwise an error saying what it holds (the run must then exit non-zero).
base::Status check_account(const PipelineStats& stats);

// Draws a one-line progress bar (percent, Mpps, Gbps, ETA) on a terminal, rewriting itself.
class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* out) : out_(out) {}
  void update(const Progress& progress);
  void finish();

 private:
  std::FILE* out_;
  bool drawn_ = false;
};

}  // namespace snapflow::pcap2json
