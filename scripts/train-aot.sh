#!/bin/sh
# Records an AOT cache (JEP 483/514) for berth-runc by running its training main (module berth-aot-training, jar in
# build/training), which drives real verbs (spec, create, start, state, list, ps, kill, delete, run) on a busybox
# bundle in a temporary root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b="$top/build"
rm -f "$b/berth-runc.aot"
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$b/berth-runc.aot" BERTH_NO_AOT=1 BERTH_AOT_TRAINING=1 \
  "$top/bin/berth-runc" >"$b/train.log" 2>&1 || { cat "$b/train.log" >&2; exit 1; }
# The same for berth: its training main runs image verbs on a throwaway store.
rm -f "$b/berth.aot"
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$b/berth.aot" BERTH_NO_AOT=1 BERTH_AOT_TRAINING=1 \
  "$top/bin/berth" >"$b/train-berth.log" 2>&1 || { cat "$b/train-berth.log" >&2; exit 1; }
# The JVM ignores a cache it cannot use without a word, and every verb would start ~3x slower: a short verb of each
# CLI must load its classes from the cache, or the build fails.
tmp=$(mktemp -d)
for cli in berth-runc berth; do
  case $cli in berth-runc) verb=list ;; berth) verb=images ;; esac
  outside=$(BERTH_JAVA_OPTS=-Xlog:class+load "$top/bin/$cli" --root "$tmp/$cli" $verb | grep "source:" |
    grep -c -v "shared objects file" || true)
  if [ "$outside" -gt 20 ]; then
    rm -rf "$tmp"; echo "$cli $verb loaded $outside classes from outside its AOT cache: the cache is not used" >&2; exit 1
  fi
done
rm -rf "$tmp"
