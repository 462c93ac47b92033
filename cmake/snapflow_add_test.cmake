# snapflow_add_test(NAME SOURCES ... DEPS ... LABELS unit|integration|e2e|needs_root|needs_dpdk|slow
#                   [TIMEOUT s] [ARGS ...])
# One GoogleTest binary per call; ctest runs it as one test carrying the given labels.
function(snapflow_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS;ARGS;ENV" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE snapflow_warnings GTest::gtest GTest::gtest_main ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name} ${ARG_ARGS})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "SNAPFLOW_SOURCE_DIR=${PROJECT_SOURCE_DIR};SNAPFLOW_BINARY_DIR=${PROJECT_BINARY_DIR};${ARG_ENV}")
endfunction()
