#!/bin/sh
# install.sh BUILD_DIR SOURCE_DIR CMAKE - `cmake --install` into a staging
# prefix, then check what an admin gets: polcached, the systemd unit
# (systemd-analyze verify when available, a parse of its keys always),
# the sysusers.d file (systemd-sysusers into a scratch root when
# available), the man pages (groff warnings, when groff is there) and the
# sample configuration, which must pass `polcached -n`.
set -u
build=$1 src=$2 cmake=$3
stage=$(mktemp -d /tmp/pc-install-XXXXXX) || exit 1
trap 'rm -rf "$stage"' EXIT
p=$stage/usr
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

if ! "$cmake" --install "$build" --prefix "$p" >"$stage/install.log" 2>&1; then
  cat "$stage/install.log"
  echo "FAIL: cmake --install"
  exit 1
fi
unit=$p/lib/systemd/system/polcached.service
sysusers=$p/lib/sysusers.d/polcache.conf
sample=$p/share/doc/polcache/polcached.conf
for f in "$p/sbin/polcached" "$unit" "$sysusers" "$p/share/man/man8/polcached.8" \
  "$p/share/man/man5/polcached.conf.5" "$sample" "$p/bin/dmarc-query" \
  "$p/share/man/man1/dmarc-query.1" "$p/share/man/man3/libpolcache.3"; do
  [ -f "$f" ] || fail "not installed: ${f#$stage}"
done
[ -x "$p/sbin/polcached" ] || fail "polcached is not executable"
# dmarc-query finds the installed libpolcache by its relative RUNPATH
out=$("$p/bin/dmarc-query" --version 2>&1) || fail "installed dmarc-query does not run: $out"

# the sample configuration passes the check
out=$("$p/sbin/polcached" -n -c "$sample" 2>&1) || fail "polcached -n on the sample: $out"
[ "$out" = "$sample: ok" ] || fail "polcached -n on the sample printed: $out"
cmp -s "$sample" "$src/etc/polcached.conf" || fail "the installed sample differs from etc/polcached.conf"

# the unit: the keys that matter, with their values
for kv in "Type=notify" "NotifyAccess=main" "ExecStart=$p/sbin/polcached -f" \
  "ExecStartPre=$p/sbin/polcached -n" 'ExecReload=/bin/kill -HUP $MAINPID' \
  "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
  "PrivateDevices=yes" "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
  "RuntimeDirectory=polcache" "StateDirectory=polcache" \
  "SystemCallFilter=@system-service" "SystemCallArchitectures=native" \
  "WantedBy=multi-user.target"; do
  grep -qxF "$kv" "$unit" || fail "the unit lacks: $kv"
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
for c in CAP_SETUID CAP_SETGID CAP_CHOWN; do
  case " $caps " in *" $c "*) ;; *) fail "CapabilityBoundingSet lacks $c" ;; esac
done
for c in $caps; do
  case $c in CAP_SETUID | CAP_SETGID | CAP_CHOWN | CAP_DAC_OVERRIDE) ;;
  *) fail "CapabilityBoundingSet has more than the privilege drop needs: $c" ;;
  esac
done
# and every line a section, a comment, or Key=Value
awk -F= '
  /^[ \t]*(#|$)/ { next }
  /^\[(Unit|Service|Install)\]$/ { sec = 1; next }
  /^\[/ { print "unknown section: " $0; bad = 1; next }
  !sec || index($0, "=") < 2 || $1 !~ /^[A-Za-z]+$/ { print "not Key=Value: " $0; bad = 1 }
  END { exit bad }
' "$unit" || fail "the unit does not parse"

if command -v systemd-analyze >/dev/null 2>&1; then
  man=--man=no
  command -v man >/dev/null 2>&1 && man=--man=yes
  # MANPATH: Documentation=man:... must find the staged man pages
  out=$(MANPATH=$p/share/man systemd-analyze verify $man "$unit" 2>&1)
  rc=$?
  [ $rc -eq 0 ] || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
  echo "systemd-analyze verify $man: ok"
  if out=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null); then
    level=$(echo "$out" | sed -n 's/.*Overall exposure level for polcached.service: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze security: exposure $level"
    [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' ||
      fail "exposure level ${level:-unknown} above 3.0"
  fi
else
  echo "systemd-analyze not found: checked by the key parse only"
fi

# sysusers.d: one user polcache with its group
grep -qE '^u[ \t]+polcache[ \t]' "$sysusers" || fail "no 'u polcache' line in $sysusers"
if command -v systemd-sysusers >/dev/null 2>&1; then
  mkdir -p "$stage/root/etc"
  out=$(systemd-sysusers --root="$stage/root" "$sysusers" 2>&1) || fail "systemd-sysusers: $out"
  grep -q '^polcache:x:[0-9]*:[0-9]*:.*:/var/lib/polcache:' "$stage/root/etc/passwd" ||
    fail "systemd-sysusers created no polcache user"
  grep -q '^polcache:x:[0-9]*:' "$stage/root/etc/group" || fail "no polcache group"
  echo "systemd-sysusers: ok"
fi

# man pages
if command -v groff >/dev/null 2>&1; then
  for m in "$p/share/man/man8/polcached.8" "$p/share/man/man5/polcached.conf.5" \
    "$p/share/man/man1/dmarc-query.1" "$p/share/man/man3/libpolcache.3"; do
    out=$(groff -man -ww -z "$m" 2>&1)
    [ -z "$out" ] || fail "groff warns on ${m##*/}: $out"
  done
  echo "groff: man pages ok"
fi

[ $fails -eq 0 ] && echo "install: ok"
[ $fails -eq 0 ]
