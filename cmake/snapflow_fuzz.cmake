# snapflow_add_fuzz_target(<name> SOURCES <name>_fuzz.cc ... DEPS ...)
#
# For a libFuzzer target whose seed corpus lives in tests/fuzz/corpus/<name>/ and whose
# crash reproducers live in tests/fuzz/regressions/<name>/, this creates:
#   - always: executable <name>_regression (the sources + tests/fuzz/regression_main.cc), run
#     by ctest <name>_regression (LABELS fuzz_regression) over both directories;
#   - with SNAPFLOW_FUZZ=ON (clang): executable <name>_fuzz and ctest fuzz_run_<name>
#     (LABELS fuzz_run) fuzzing for ${SNAPFLOW_FUZZ_SECONDS:-20} seconds. New inputs go to a
#     scratch corpus in the build tree, so the committed seeds are never rewritten.
set(SNAPFLOW_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR}/../tests/fuzz)
cmake_path(NORMAL_PATH SNAPFLOW_FUZZ_DIR)

function(snapflow_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(corpus ${SNAPFLOW_FUZZ_DIR}/corpus/${name})
  set(regressions ${SNAPFLOW_FUZZ_DIR}/regressions/${name})

  add_executable(${name}_regression ${ARG_SOURCES} ${SNAPFLOW_FUZZ_DIR}/regression_main.cc)
  target_link_libraries(${name}_regression PRIVATE snapflow_warnings ${ARG_DEPS})
  add_test(NAME ${name}_regression COMMAND ${name}_regression ${corpus} ${regressions})
  set_tests_properties(${name}_regression PROPERTIES LABELS fuzz_regression TIMEOUT 300)

  if(SNAPFLOW_FUZZ)
    add_executable(${name}_fuzz ${ARG_SOURCES})
    target_link_libraries(${name}_fuzz PRIVATE snapflow_warnings ${ARG_DEPS})
    target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
    set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz_work/${name})
    add_test(NAME fuzz_run_${name}
             COMMAND sh -c "mkdir -p '${work}/corpus' && exec '$<TARGET_FILE:${name}_fuzz>' \
-max_total_time=\${SNAPFLOW_FUZZ_SECONDS:-20} -artifact_prefix='${work}/' -rss_limit_mb=2048 \
'${work}/corpus' '${corpus}'")
    set_tests_properties(fuzz_run_${name} PROPERTIES LABELS fuzz_run TIMEOUT 3600)
    # One target building every fuzzer, so CI's fuzz build compiles only what it runs.
    if(NOT TARGET snapflow_fuzzers)
      add_custom_target(snapflow_fuzzers)
    endif()
    add_dependencies(snapflow_fuzzers ${name}_fuzz)
  endif()
endfunction()
