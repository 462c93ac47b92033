# One INTERFACE target carries our warning flags; every snapflow target links it PRIVATE, so
# third-party headers and consumers are never compiled with -Werror.
add_library(snapflow_warnings INTERFACE)
target_compile_options(snapflow_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2
  -Wimplicit-fallthrough)
# GCC 12 at -O3 reports two false positives inside libstdc++'s std::string after inlining:
# -Wrestrict for `"literal" + std::string` (GCC bug 105329) and -Wdangling-pointer when a
# moved-from Result's error string is destroyed (GCC bug 106199). Both are fixed in GCC 13.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(snapflow_warnings INTERFACE -Wno-restrict -Wno-dangling-pointer)
endif()
if(SNAPFLOW_WERROR)
  target_compile_options(snapflow_warnings INTERFACE -Werror)
endif()

# Hardening for every build: cheap, and release binaries are what operators run.
add_library(snapflow_hardening INTERFACE)
target_compile_options(snapflow_hardening INTERFACE -fstack-protector-strong)
if(NOT SNAPFLOW_SANITIZE AND NOT SNAPFLOW_FUZZ AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  target_compile_definitions(snapflow_hardening INTERFACE _FORTIFY_SOURCE=2)
endif()
target_link_options(snapflow_hardening INTERFACE -Wl,-z,relro,-z,now)

# snapflow_library(NAME unit SOURCES ... DEPS ...): the one way a unit declares its target:
# library snapflow_<unit>, alias snapflow::<unit>, public headers in include/.
function(snapflow_library unit)
  cmake_parse_arguments(ARG "HEADER_ONLY" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  if(ARG_HEADER_ONLY)
    add_library(snapflow_${unit} INTERFACE)
    target_include_directories(snapflow_${unit} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(snapflow_${unit} INTERFACE ${ARG_PUBLIC_DEPS})
  else()
    add_library(snapflow_${unit} STATIC ${ARG_SOURCES})
    target_include_directories(snapflow_${unit} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                               PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(snapflow_${unit} PUBLIC ${ARG_PUBLIC_DEPS}
                          PRIVATE snapflow_warnings snapflow_hardening ${ARG_PRIVATE_DEPS})
  endif()
  add_library(snapflow::${unit} ALIAS snapflow_${unit})
endfunction()

# snapflow_executable(NAME SOURCES ... DEPS ...)
function(snapflow_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE snapflow_warnings snapflow_hardening ${ARG_DEPS})
endfunction()
