#!/bin/sh
# check_man.sh SOURCE_DIR - dmarc-query(1) and libpolcache(3) render
# without a single groff warning (-ww), and the exit codes of --help are
# the ones the man page documents. Skipped (77) without groff.
set -u
src=$1
command -v groff >/dev/null 2>&1 || { echo "groff not found"; exit 77; }
fails=0
for m in "$src/man/dmarc-query.1" "$src/man/libpolcache.3"; do
  out=$(groff -man -ww -z "$m" 2>&1)
  if [ -n "$out" ]; then
    echo "FAIL: groff warns on ${m##*/}: $out"
    fails=$((fails + 1))
  fi
done
# every exit status the CLI uses has an entry under EXIT STATUS
for code in 0 1 64 65 69 70 71 74 75 77; do
  grep -q "^\.B[R]* $code\b" "$src/man/dmarc-query.1" ||
    { echo "FAIL: exit status $code is not documented"; fails=$((fails + 1)); }
done
[ $fails -eq 0 ] && echo "man pages: ok"
[ $fails -eq 0 ]
