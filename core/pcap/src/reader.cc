// PacketReader::open / open_fd: detect the format from the first four bytes and build the
// matching FormatReader. Detection reads those bytes itself (a pipe cannot be rewound), and
// hands them to the reader as the first bytes to parse.
#include "snapflow/pcap/reader.h"

#include <cstdio>
#include <memory>

#include "classic_format.h"
#include "format_reader.h"
#include "pcapng_format.h"
#include "snapflow/base/bytes.h"

namespace snapflow::pcap {
namespace {

constexpr uint32_t kMagics[] = {0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1};
constexpr uint32_t kPcapngShb = 0x0A0D0D0A;

base::Result<std::unique_ptr<PacketReader>> open_input(InputFile input,
                                                       const ReaderOptions& options) {
  input.set_cancel_fd(options.cancel_fd);
  std::vector<std::byte> prefix(4);
  auto got = input.read_full(prefix.data(), prefix.size());
  if (!got.ok()) return std::move(got).error();
  if (*got == 0) {
    return base::make_error(base::ErrorCode::kTruncated,
                            input.name() + ": input is empty (no pcap or pcapng header)");
  }
  if (*got < 4) {
    return base::make_error(
        base::ErrorCode::kTruncated,
        input.name() + ": not a pcap or pcapng file (only " + std::to_string(*got) + " bytes)");
  }
  uint32_t magic = base::load_be32(prefix.data());
  for (uint32_t m : kMagics) {
    if (magic == m) {
      return std::unique_ptr<PacketReader>(
          new FormatReader<ClassicFormat>(std::move(input), options, std::move(prefix)));
    }
  }
  if (magic == kPcapngShb) {
    return std::unique_ptr<PacketReader>(
        new FormatReader<PcapngFormat>(std::move(input), options, std::move(prefix)));
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", magic);
  return base::make_error(base::ErrorCode::kFormat,
                          input.name() + ": not a pcap or pcapng file (magic " + hex + ")");
}

}  // namespace

base::Result<std::unique_ptr<PacketReader>> PacketReader::open(const std::string& path,
                                                               const ReaderOptions& options) {
  auto input = InputFile::open(path);
  if (!input.ok()) return std::move(input).error();
  return open_input(std::move(input).value(), options);
}

base::Result<std::unique_ptr<PacketReader>> PacketReader::open_fd(int fd, std::string name,
                                                                  const ReaderOptions& options) {
  return open_input(InputFile::borrow(fd, std::move(name)), options);
}

}  // namespace snapflow::pcap
