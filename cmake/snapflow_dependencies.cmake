# Every dependency comes from Debian's packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(TBB REQUIRED)
find_package(simdjson REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(MHD IMPORTED_TARGET libmicrohttpd)
# snapflow-capture's hardening: dropping capabilities and the seccomp allow-list.
pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/rapidjson.h REQUIRED)
add_library(snapflow_rapidjson INTERFACE)
target_include_directories(snapflow_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})

# DPDK is optional: AUTO builds the DPDK source when libdpdk is present, ON insists on it.
set(SNAPFLOW_HAVE_DPDK OFF)
if(NOT SNAPFLOW_WITH_DPDK STREQUAL "OFF")
  pkg_check_modules(DPDK IMPORTED_TARGET libdpdk)
  if(DPDK_FOUND)
    set(SNAPFLOW_HAVE_DPDK ON)
  elseif(SNAPFLOW_WITH_DPDK STREQUAL "ON")
    message(FATAL_ERROR "SNAPFLOW_WITH_DPDK=ON but libdpdk was not found (apt-get install libdpdk-dev)")
  endif()
endif()
message(STATUS "snapflow: DPDK capture source ${SNAPFLOW_HAVE_DPDK}")

if(SNAPFLOW_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(SNAPFLOW_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_package(OpenSSL REQUIRED)  # libcrypto's SHA-1 for Community ID
