#!/bin/sh
# check_exports.sh LIB HEADER... - the shared library exports exactly the
# functions its public headers declare with PC_EXPORT (no internal proto or
# client symbol leaks), and carries a SONAME.
set -eu
lib=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# PC_EXPORT <type> [*]name( , possibly with the name on the next line
cat "$@" | tr '\n' ' ' | sed 's/;/;\n/g' | grep 'PC_EXPORT' |
  sed -E 's/.*[ *]([a-z_][a-z0-9_]*)[ ]*\(.*/\1/' | sort -u >"$tmp/declared"
# defined dynamic symbols, leaving out the toolchain's own (_init, __bss...)
nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^_' | sort -u >"$tmp/exported"

if ! cmp -s "$tmp/declared" "$tmp/exported"; then
  echo "exports differ from the headers (< declared only, > exported only):"
  diff "$tmp/declared" "$tmp/exported" || true
  exit 1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case "$soname" in
libpolcache.so.[0-9]*) ;;
*)
  echo "bad or missing SONAME: '$soname'"
  exit 1
  ;;
esac
echo "$(wc -l <"$tmp/exported") exported functions match the headers; SONAME $soname"
