#!/bin/sh
# tsan.sh SOURCE_DIR BUILD_DIR - build libpolcache and its thread, fork and
# fake-daemon tests with clang -fsanitize=thread in BUILD_DIR (a tree of
# its own: TSan cannot be mixed with ASan) and run them against the
# polcached of the calling tree ($PC_POLCACHED, world in $PC_WORLD_ENV).
# Exit 77 (skipped) when clang is missing.
set -eu
src=$1 dir=$2
cc=$(command -v clang || command -v clang-14 || true)
if [ -z "$cc" ]; then
  echo "SKIPPED: clang not found (needed for ThreadSanitizer)"
  exit 77
fi
mkdir -p "$dir"
cmake -S "$src/tests/client/tsan" -B "$dir" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPC_SOURCE="$src" \
  -DPC_VERSION="$(sed -n 's/^project(polcache VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" \
  >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; exit 1; }
cmake --build "$dir" -j "${PC_JOBS:-2}" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
# halt at the first report; a report fails the test through the exit code
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
for t in api threads fork acache; do
  start=$(date +%s)
  "$dir/test_client_$t" || { echo "FAIL: test_client_$t under TSan"; exit 1; }
  echo "test_client_$t under TSan: ok ($(($(date +%s) - start)) s)"
done
