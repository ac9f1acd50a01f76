#!/bin/sh
# check_mode.sh POLCACHED CONFIG_DIR - `polcached -n` against the golden
# files: every good/X.conf prints "good/X.conf: ok" and exits 0, and with
# -v prints exactly good/X.out; every bad/X.conf exits 1 and prints
# exactly "polcached: " and the first line of bad/X.err on stderr.
set -u
bin=$1
cd "$2" || exit 1
tmp=$(mktemp -d /tmp/pc-checkmode-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

for conf in good/*.conf; do
  n=$((n + 1))
  out=${conf%.conf}.out
  "$bin" -n -c "$conf" >"$tmp/ok" 2>"$tmp/err"; rc=$?
  [ $rc -eq 0 ] || fail "$conf: exit $rc: $(cat "$tmp/err")"
  [ "$(cat "$tmp/ok")" = "$conf: ok" ] || fail "$conf: printed '$(cat "$tmp/ok")'"
  "$bin" -n -v -c "$conf" >"$tmp/print" 2>&1 || fail "$conf: -n -v failed"
  cmp -s "$tmp/print" "$out" || { fail "$conf: -n -v differs from $out"; diff "$out" "$tmp/print" | head -20; }
done
for conf in bad/*.conf; do
  n=$((n + 1))
  want="polcached: $(head -n 1 "${conf%.conf}.err")"
  "$bin" -n -c "$conf" >"$tmp/ok" 2>"$tmp/err"; rc=$?
  [ $rc -eq 1 ] || fail "$conf: exit $rc, want 1"
  [ "$(cat "$tmp/err")" = "$want" ] || fail "$conf: stderr '$(cat "$tmp/err")', want '$want'"
  [ -s "$tmp/ok" ] && fail "$conf: printed on stdout"
done
# a file that does not exist, named explicitly
"$bin" -n -c /nonexistent/polcached.conf >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "missing file: exit $rc"
grep -q '^polcached: /nonexistent/polcached.conf: cannot open: ' "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
[ $n -ge 40 ] || fail "only $n golden files"
echo "$n golden files checked through polcached -n, $fails failures"
[ $fails -eq 0 ]
