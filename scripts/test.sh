#!/usr/bin/env bash
# Runs every snapflow test on a fresh Debian 12 machine (as root): installs packages, builds,
# and runs, in order:
#   1. the unit and fuzz-regression tests under ASan + UBSan (build-asan/, clang),
#   2. each libFuzzer target for a bounded time (build-fuzz/, clang),
#   3. the threaded units under ThreadSanitizer (build-tsan/, clang; scripts/tsan-check.sh: the
#      ring's I/O threads, the capture spooler, pcap2json's TBB pipeline, the indexer against a
#      real node), only the targets they need,
#   4. the whole suite, integration and end-to-end included (build/, GCC, Release), last, so
#      ctest's summary closes the output.
# When an earlier stage failed, a few lines after ctest's summary name it and its failures, so
# the tail of a CI log says what broke (each stage's full output is in build-logs/).
# Both compilers and both optimisation levels build on every run; all three builds use
# -Werror (SNAPFLOW_WERROR, off in a plain user configure).
# Environment: SNAPFLOW_JOBS (parallel build jobs), SNAPFLOW_FUZZ_SECONDS (per target, 20),
#              SNAPFLOW_TEST_ARGS (extra ctest arguments for the final run, e.g. "-L unit").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${SNAPFLOW_JOBS:-$(nproc)}

"$root/scripts/install-deps.sh"

build() {  # build DIR [--target T] [cmake args...]
  local dir=$1
  shift
  local target=()
  if [[ ${1:-} == --target ]]; then
    target=(--target "$2")
    shift 2
  fi
  cmake -S "$root" -B "$root/$dir" -G Ninja "$@" >"$root/$dir.configure.log" 2>&1 ||
    { cat "$root/$dir.configure.log"; return 1; }
  cmake --build "$root/$dir" -j "$jobs" "${target[@]}"
}

status=0
failed_stages=()
mkdir -p "$root/build-logs"
stage() {  # stage NAME LOG COMMAND...: runs COMMAND, its output to the terminal and LOG
  local name=$1 log=$root/build-logs/$2
  shift 2
  if ! "$@" 2>&1 | tee "$log"; then
    status=1
    failed_stages+=("$name|$log")
  fi
}

asan_stage() {
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DSNAPFLOW_SANITIZE=address,undefined -DSNAPFLOW_BUILD_BENCH=OFF -DSNAPFLOW_WERROR=ON &&
    (cd build-asan && ctest -L 'unit|fuzz_regression' --output-on-failure -j "$jobs")
}
echo "== ASan + UBSan: unit tests and fuzz regressions"
stage "ASan + UBSan" asan.log asan_stage

fuzz_stage() {
  build build-fuzz --target snapflow_fuzzers -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSNAPFLOW_FUZZ=ON \
    -DSNAPFLOW_BUILD_BENCH=OFF -DSNAPFLOW_WERROR=ON &&
    (cd build-fuzz && ctest -L fuzz_run --output-on-failure)
}
echo "== libFuzzer: bounded runs of every target"
stage "libFuzzer" fuzz.log fuzz_stage

tsan_stage() {
  local targets=(queue_test ring_concurrency_test ring_policy_test ring_io_thread_test ring_test
    capture_spooler_test pcap2json_ring_input_test document_ordered_writer_test pcap2json
    snapflow-gen ring_from_pcap indexer_integration_test snapflow-index)
  cmake -S "$root" -B "$root/build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSNAPFLOW_SANITIZE=thread \
    -DSNAPFLOW_BUILD_BENCH=OFF -DSNAPFLOW_WITH_DPDK=OFF -DSNAPFLOW_WERROR=ON \
    >"$root/build-tsan.configure.log" 2>&1 || { cat "$root/build-tsan.configure.log"; return 1; }
  cmake --build "$root/build-tsan" -j "$jobs" --target "${targets[@]}" &&
    "$root/scripts/tsan-check.sh" "$root/build-tsan"
}
echo "== ThreadSanitizer: the threaded units"
stage "ThreadSanitizer" tsan.log tsan_stage

echo "== Full suite (Release build, GCC): unit, integration, e2e"
build build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
  -DSNAPFLOW_WERROR=ON
# shellcheck disable=SC2086
(cd build && ctest --output-on-failure ${SNAPFLOW_TEST_ARGS:-}) || status=1

for entry in "${failed_stages[@]}"; do
  echo "== FAILED earlier: ${entry%%|*} (full output: ${entry#*|}); its failure lines:"
  grep -E '\*\*\*Failed|\*\*\*Timeout|\*\*\*Exception|FAILED|ERROR:|SUMMARY:|WARNING: ThreadSanitizer|error:|failed' \
    "${entry#*|}" | tail -n 20 || echo "(none matched; read the full output)"
done
exit $status
