#!/usr/bin/env bash
# tools/dev.sh - the two Quick-start commands of README.md.
#
#   tools/dev.sh run    install missing Debian packages, build, and run
#                       polcached in the foreground with its built-in defaults
#   tools/dev.sh test   install missing Debian packages, build a normal and an
#                       ASan+UBSan (clang) tree, and run every test in both:
#                       unit, scenario, golden vectors, end-to-end against a
#                       real signed DNS world, fuzz-corpus replays and short
#                       libFuzzer runs
#
# Environment: PC_CONFORMANCE_DIR (default ../shared/conformance beside the
# source tree), PC_FUZZ_TOTAL (seconds shared by all fuzz targets, default
# 150), PC_JOBS (build parallelism, default nproc).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${PC_JOBS:-$(nproc)}

# Debian 12 packages: build, runtime libraries, test tools.
build_pkgs=(build-essential cmake pkg-config libunbound-dev liblmdb-dev libuv1-dev
  libpsl-dev libidn2-dev libssl-dev libyaml-dev zlib1g-dev dns-root-data publicsuffix)
test_pkgs=(clang-14 libclang-rt-14-dev libcmocka-dev libjansson-dev nsd ldnsutils
  bind9-dnsutils unbound unbound-host openssl python3 python3-yaml lmdb-utils
  systemd groff-base # systemd-analyze verify and systemd-sysusers; groff checks the man pages
  libspf2-dev libopendmarc-dev iproute2) # tests/bench/peer: the peers, and ip(8) in its namespace

log() { printf '==> %s\n' "$*"; }

install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# NSD and unbound ship services that Debian starts on install; the tests
# run their own instances on loopback high ports, never the system ones.
stop_system_services() {
  command -v systemctl >/dev/null 2>&1 || return 0
  systemctl stop nsd unbound >/dev/null 2>&1 || true
}

configure_build() { # dir, extra cmake args...
  local dir=$1
  shift
  cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

# Run ctest in a build tree; add its counts to the totals.
total_pass=0 total_fail=0 total_skip=0
run_ctest() { # dir, label, time budget (s), ctest args...
  local dir=$1 label=$2 budget=$3 out rc=0
  shift 3
  out=$(mktemp)
  (cd "$dir" && timeout "$budget" ctest --output-on-failure "$@") 2>&1 | tee "$out" || rc=$?
  local line pass fail tot skip
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -1 || true)
  if [ -z "$line" ]; then
    echo "error: no ctest summary for $label"
    rm -f "$out"
    return 1
  fi
  fail=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
  tot=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  skip=$(grep -cE '\*\*\*Skipped|Not Run' "$out" || true)
  pass=$((tot - fail - skip))
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  total_skip=$((total_skip + skip))
  rm -f "$out"
  return $rc
}

cmd_run() {
  install_missing "${build_pkgs[@]}"
  log "building"
  configure_build "$top/build" -DBUILD_TESTING=OFF
  if [ ! -x "$top/build/daemon/polcached" ]; then
    echo "polcached is not built yet (no daemon in this tree); the build above is all 'run' does for now."
    return 0
  fi
  log "starting polcached in the foreground with built-in defaults (Ctrl-C stops it)"
  exec "$top/build/daemon/polcached" -f
}

cmd_test() {
  local start=$SECONDS rc=0 nfuzz per
  install_missing "${build_pkgs[@]}" "${test_pkgs[@]}"
  stop_system_services
  export PC_CONFORMANCE_DIR=${PC_CONFORMANCE_DIR:-$(cd "$top/.." && pwd)/shared/conformance}

  log "stage 1: gcc build and tests (budget 15 min)"
  configure_build "$top/build" -DBUILD_TESTING=ON
  run_ctest "$top/build" gcc 900 -LE fuzz --timeout 300 || rc=1

  nfuzz=$(find "$top/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' | wc -l)
  per=$(( ${PC_FUZZ_TOTAL:-150} / (nfuzz > 0 ? nfuzz : 1) ))
  [ "$per" -gt 30 ] && per=30
  [ "$per" -lt 3 ] && per=3
  log "stage 2: clang ASan+UBSan build, the same tests, and ${per}s of libFuzzer per target (budget 25 min)"
  CC=clang configure_build "$top/build-san" -DBUILD_TESTING=ON -DPC_SANITIZE=ON \
    -DPC_FUZZ=ON -DPC_FUZZ_SECONDS="$per"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_ctest "$top/build-san" sanitizer 1500 --timeout 600 || rc=1

  log "all stages took $((SECONDS - start))s"
  echo "summary: ${total_pass} passed, ${total_fail} failed, ${total_skip} skipped"
  return $rc
}

case "${1:-}" in
run) cmd_run ;;
test) cmd_test ;;
*)
  echo "usage: $0 run|test" >&2
  exit 2
  ;;
esac
