# Writes OUTPUT (a .cc) holding every file under ASSET_DIR as a StaticAsset (static_assets.h):
# its path relative to ASSET_DIR, its bytes, and an ETag from its SHA-256, so the web UI ships
# inside snapflow-capture (no files to install, nothing fetched at run time). Run at build time
# by capture/CMakeLists.txt (add_custom_command), which re-runs it when a file changes.
file(GLOB_RECURSE files RELATIVE "${ASSET_DIR}" "${ASSET_DIR}/*")
list(SORT files)
set(arrays "")
set(rows "")
set(index 0)
foreach(name IN LISTS files)
  if(name MATCHES "[\"\\\\]" OR name MATCHES "(^|/)\\.")
    message(FATAL_ERROR "${ASSET_DIR}/${name}: hidden files and names with quotes or backslashes are not served")
  endif()
  file(READ "${ASSET_DIR}/${name}" hex HEX)
  file(SHA256 "${ASSET_DIR}/${name}" sum)
  string(SUBSTRING "${sum}" 0 32 etag)
  # Every byte as \xNN: the next character is always '\', so no escape runs into a digit.
  string(REGEX REPLACE "(..)" "\\\\x\\1" escaped "${hex}")
  string(LENGTH "${hex}" hex_length)
  math(EXPR bytes "${hex_length} / 2")
  string(APPEND arrays "constexpr char kAsset${index}[] = \"${escaped}\";\n")
  string(APPEND rows "    {\"${name}\", {kAsset${index}, ${bytes}}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${ASSET_DIR} by embed_assets.cmake; do not edit.
#include \"snapflow/capture/static_assets.h\"

namespace snapflow::capture {
namespace {
${arrays}
constexpr StaticAsset kAssets[] = {
${rows}};
}  // namespace

std::span<const StaticAsset> static_assets() {
  return kAssets;
}

}  // namespace snapflow::capture
")
# Only touch OUTPUT when it changes, so an unchanged asset set rebuilds nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
