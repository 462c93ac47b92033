// Size of the scratch buffer igzip needs for each compression level.
#pragma once

#include <isa-l.h>

#include <cstdint>

namespace snapflow::compress {

inline uint32_t level_buffer_bytes(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    case 3:
      return ISAL_DEF_LVL3_DEFAULT;
    default:
      return 0;  // level 0 needs none
  }
}

}  // namespace snapflow::compress
