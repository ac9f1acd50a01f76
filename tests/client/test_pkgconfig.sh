#!/bin/sh
# test_pkgconfig.sh BUILD EXAMPLE_C POLCACHED CC [CFLAGS] - what a packager
# and a filter author do: install the build into a staging prefix, find
# libpolcache with `pkg-config --cflags --libs polcache` (PKG_CONFIG_PATH
# pointing into the prefix), compile the example against the shared and
# the static library, and run both against a running polcached in the
# test world; then stop the daemon and expect a tempfail, not a verdict.
# Needs $PC_WORLD_ENV (the world fixture).
set -eu
build=$1 example=$2 polcached=$3 cc=$4 extra=${5:-}

tmp=$(mktemp -d /tmp/pc-pkgconfig-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  [ -f "$tmp/daemon.log" ] && tail -20 "$tmp/daemon.log"
  exit 1
}

cmake --install "$build" --prefix "$tmp/stage" >"$tmp/install.log" 2>&1 ||
  fail "cmake --install: $(tail -5 "$tmp/install.log")"
pcdir=$(dirname "$(find "$tmp/stage" -name polcache.pc | head -1)")
[ -f "$pcdir/polcache.pc" ] || fail "no polcache.pc installed"
for f in include/polcache.h include/polcache/error.h include/polcache/types.h \
  include/polcache/export.h; do
  [ -f "$tmp/stage/$f" ] || fail "$f not installed"
done
export PKG_CONFIG_PATH="$pcdir"
cflags=$(pkg-config --cflags polcache)
libs=$(pkg-config --libs polcache)
libdir=$(pkg-config --variable=libdir polcache)
echo "pkg-config: cflags [$cflags] libs [$libs]"
[ -e "$libdir/libpolcache.so.0" ] || fail "no libpolcache.so.0 in $libdir"
[ -f "$libdir/libpolcache.a" ] || fail "no libpolcache.a in $libdir"
pkg-config --static --libs polcache | grep -q -- -pthread || fail "Libs.private lacks -pthread"

# shellcheck disable=SC2086 # the flags are word lists
$cc $extra $cflags -o "$tmp/ex" "$example" $libs || fail "compiling against the shared library"
# shellcheck disable=SC2086
$cc $extra $cflags -o "$tmp/ex-static" "$example" "$libdir/libpolcache.a" -pthread ||
  fail "compiling against the static library"
readelf -d "$tmp/ex" | grep -q 'NEEDED.*libpolcache.so.0' || fail "ex does not use libpolcache.so.0"
if readelf -d "$tmp/ex-static" | grep -q 'NEEDED.*libpolcache'; then
  fail "ex-static uses the shared library"
fi

# a daemon in the test world
. "$PC_WORLD_ENV"
sock=$tmp/polcached.sock
{
  echo "listen: $sock"
  echo "state-dir: $tmp/state"
  echo "log-level: info"
  [ "$(id -u)" -eq 0 ] && echo "user: root"
  echo "unbound-config: $PC_WORLD_UNBOUND_CONF"
} >"$tmp/polcached.conf"
"$polcached" -f -c "$tmp/polcached.conf" >"$tmp/daemon.log" 2>&1 &
pid=$!
i=0
until [ -S "$sock" ]; do
  i=$((i + 1))
  [ $i -lt 300 ] || fail "polcached did not create $sock"
  kill -0 "$pid" 2>/dev/null || fail "polcached exited"
  sleep 0.05
done

export POLCACHE_SOCKET="$sock" LD_LIBRARY_PATH="$libdir"
run() { # expected-exit expected-output-substring binary domain
  want=$1 text=$2 bin=$3 dom=$4 n=0
  while :; do
    rc=0
    out=$("$bin" "$dom" 2>&1) || rc=$?
    # the socket file appears just before listen(): retry a refusal
    [ $rc -eq 75 ] && [ "$want" -ne 75 ] && [ $n -lt 20 ] && n=$((n + 1)) && sleep 0.05 && continue
    break
  done
  [ "$rc" -eq "$want" ] || fail "$bin $dom: exit $rc, want $want: $out"
  case "$out" in
  *"$text"*) echo "ok: $(basename "$bin") $dom -> $rc: $out" ;;
  *) fail "$bin $dom: output [$out] lacks [$text]" ;;
  esac
}
run 0 "p=reject dnssec=secure" "$tmp/ex" secure.pcw
run 0 "p=none dnssec=insecure" "$tmp/ex" insecure.pcw
run 1 "no policy" "$tmp/ex" nonexistent.secure.pcw
run 75 "tempfail: validation failure" "$tmp/ex" bogus-ds.pcw
run 0 "p=reject dnssec=secure" "$tmp/ex-static" secure.pcw

kill "$pid"
wait "$pid" || fail "polcached exited with $? on SIGTERM"
pid=
run 75 "tempfail: daemon unavailable" "$tmp/ex" secure.pcw
run 75 "tempfail: daemon unavailable" "$tmp/ex-static" secure.pcw
echo "pkg-config build and example: ok"
