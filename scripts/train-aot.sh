#!/bin/sh
# Records an AOT cache (JEP 483/514) for berth-runc by running its training main, which drives real verbs
# (spec, create, start, state, list, ps, kill, delete, run) on a busybox bundle in a temporary root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b="$top/build"
rm -f "$b/berth-runc.aot"
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$b/berth-runc.aot" BERTH_NO_AOT=1 \
  "$top/bin/berth-runc" --x-train >"$b/train.log" 2>&1 || { cat "$b/train.log" >&2; exit 1; }
# The same for berth: its training main runs image verbs on a throwaway store.
rm -f "$b/berth.aot"
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$b/berth.aot" BERTH_NO_AOT=1 \
  "$top/bin/berth" --x-train >"$b/train-berth.log" 2>&1 || { cat "$b/train-berth.log" >&2; exit 1; }
