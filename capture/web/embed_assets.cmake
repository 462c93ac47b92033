# Writes OUTPUT (a .cc) holding every file under ASSET_DIR as a StaticAsset (static_assets.h):
# its path relative to ASSET_DIR, its bytes, and an ETag from its SHA-256, so the web UI ships
# inside snapflow-capture (no files to install, nothing fetched at run time). Run at build time
# by capture/CMakeLists.txt (add_custom_command), which re-runs it when a file changes.
# Optional VENDOR_DIR: its files are served as vendor/NAME (third-party files installed at build
# time by vendor_assets.cmake).
file(GLOB_RECURSE files RELATIVE "${ASSET_DIR}" "${ASSET_DIR}/*")
foreach(name IN LISTS files)
  set("source_${name}" "${ASSET_DIR}/${name}")
endforeach()
if(DEFINED VENDOR_DIR AND NOT VENDOR_DIR STREQUAL "")
  file(GLOB_RECURSE vendor_files RELATIVE "${VENDOR_DIR}" "${VENDOR_DIR}/*")
  foreach(name IN LISTS vendor_files)
    if(DEFINED "source_vendor/${name}")
      message(FATAL_ERROR "${ASSET_DIR}/vendor/${name}: the name is taken by a vendored file")
    endif()
    set("source_vendor/${name}" "${VENDOR_DIR}/${name}")
    list(APPEND files "vendor/${name}")
  endforeach()
endif()
# Sorted bytewise: static_assets() is searched with std::lower_bound on the path.
list(SORT files)
set(arrays "")
set(rows "")
set(index 0)
foreach(name IN LISTS files)
  set(path "${source_${name}}")
  if(name MATCHES "[\"\\\\]" OR name MATCHES "(^|/)\\.")
    message(FATAL_ERROR "${path}: hidden files and names with quotes or backslashes are not served")
  endif()
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" sum)
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
