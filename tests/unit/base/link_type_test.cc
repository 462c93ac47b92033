// The link-type registry the capture-file readers and the decoder share.
#include "snapflow/base/link_type.h"

#include <gtest/gtest.h>

namespace snapflow::base {
namespace {

TEST(LinkTypes, OneRegistryForReadersAndDecoder) {
  EXPECT_EQ(normalise_link_type(12), kLinkRaw);
  EXPECT_EQ(normalise_link_type(14), kLinkRaw);
  EXPECT_EQ(normalise_link_type(0x10000001), kLinkEthernet);  // FCS bits in PCAP's high half
  for (const uint16_t supported : {0, 1, 101, 108, 113, 228, 229, 276}) {
    EXPECT_TRUE(is_supported_link_type(supported)) << supported;
  }
  for (const uint16_t unsupported : {2, 12, 14, 105, 127, 147, 65535}) {
    EXPECT_FALSE(is_supported_link_type(unsupported)) << unsupported;
  }
}

}  // namespace
}  // namespace snapflow::base
