# Writes OUTPUT (a .cc) defining `std::string_view NAME()` in snapflow::indexer with the bytes of
# INPUT, so resources ship inside the binary. Run at build time (add_custom_command).
file(READ "${INPUT}" content)
string(FIND "${content}" ")sfres\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by embed.cmake; do not edit.\n#include <string_view>\n\nnamespace snapflow::indexer {\nstd::string_view ${NAME}() {\n  return R\"sfres(${content})sfres\";\n}\n}  // namespace snapflow::indexer\n")
