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
# The same for berth, whose training main runs its verbs on a throwaway store: one cache for the verbs that move
# images (bin/berth picks it for pull, push, save, load, import, login), one for the verbs that run a container
# (run, create, start, rm), one for the rest.
for part in transfer local; do
  case $part in transfer) cache=berth-transfer.aot ;; local) cache=berth.aot ;; esac
  rm -f "$b/$cache"
  BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$b/$cache" BERTH_NO_AOT=1 BERTH_AOT_TRAINING=1 \
    "$top/bin/berth" $part >"$b/train-berth-$part.log" 2>&1 || { cat "$b/train-berth-$part.log" >&2; exit 1; }
done
# The run cache: its image imported first by a JVM that records nothing (tar, unpack, a temporary directory and the
# process that would import stay out of it), and without training data (-AOTRecordTraining): bin/berth never
# replays it for these verbs, and a cache's every class and record are loaded at start (run --rm: ~10 ms each).
# As root, in a network namespace of its own (unshare -n), the training runs containers on the default bridge network
# too: the bridge path's classes (CNI, netns pinning, hosts files) are in the cache, and its bridge, veths and
# firewall rules go with the namespace (a bridge run --rm took 65 ms less).
rm -f "$b/berth-run.aot"
w=$(mktemp -d)
# The throwaway store's engine pins network namespaces under a bind mount of its run root: unmounted before removal.
forget() {
  awk -v w="$w/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$w"
}
netns=
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then netns="unshare -n"; fi
BERTH_NO_AOT=1 BERTH_AOT_TRAINING=1 "$top/bin/berth" run-prepare "$w" >"$b/train-berth-run.log" 2>&1 &&
  BERTH_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -XX:AOTCacheOutput=$b/berth-run.aot" \
    BERTH_NO_AOT=1 BERTH_AOT_TRAINING=1 BERTH_TRAIN_PRIVATE_NETNS=${netns:+1} \
    $netns "$top/bin/berth" run "$w" >>"$b/train-berth-run.log" 2>&1 ||
  { forget; cat "$b/train-berth-run.log" >&2; exit 1; }
forget
# And for berthd: its training main runs the daemon on a throwaway store and asks it what the docker CLI asks.
rm -f "$b/berthd.aot"
BERTH_JAVA_OPTS="-XX:AOTCacheOutput=$b/berthd.aot" BERTH_NO_AOT=1 BERTH_AOT_TRAINING=1 \
  "$top/bin/berthd" >"$b/train-berthd.log" 2>&1 || { cat "$b/train-berthd.log" >&2; exit 1; }
# The JVM ignores a cache it cannot use without a word, and every verb would start ~3x slower: a short verb of each
# CLI must load its classes from the cache, or the build fails.
tmp=$(mktemp -d)
for cmd in "berth-runc list" "berth images" "berth load --help" "berth rm --help" "berthd --help"; do
  set -- $cmd
  outside=$(BERTH_JAVA_OPTS=-Xlog:class+load "$top/bin/$1" --root "$tmp/$1" $2 ${3:-} | grep "source:" |
    grep -c -v "shared objects file" || true)
  if [ "$outside" -gt 20 ]; then
    rm -rf "$tmp"; echo "$cmd loaded $outside classes from outside its AOT cache: the cache is not used" >&2; exit 1
  fi
done
rm -rf "$tmp"
