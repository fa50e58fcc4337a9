#!/bin/sh
# The bridge case of issue 13: `berth run --rm IMAGE true` on berth's default network (bridge berth0, CNI) against
# `podman run --rm IMAGE true` on podman's (its CNI bridge), side by side in rounds that take turns. Both engines and
# their bridges, veths and firewall rules live in a network namespace this script makes and deletes: the host's own
# network is never touched. Not part of the test suite.
# Usage: bench/engine-run-bridge.sh [runs]   (needs root, a built berth (scripts/build.sh), podman, hyperfine,
#   busybox-static, iproute2, python3)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
rounds=3
[ -x "$top/build/runtime-berth/bin/java" ] || { echo "berth is not built: run scripts/build.sh" >&2; exit 1; }
for c in podman hyperfine python3 busybox ip nsenter; do
  command -v $c >/dev/null || { echo "$c is not installed" >&2; exit 1; }
done
work=$(mktemp -d /tmp/berth-brun.XXXXXX)
ns=berth-bench-$$
image=localhost/busybox:latest
# podman (cgroupfs) makes libpod_parent/ in every hierarchy and leaves it: removed at the end unless it was there.
had_libpod=; [ -d /sys/fs/cgroup/memory/libpod_parent ] && had_libpod=1
cleanup() {
  ip netns del $ns 2>/dev/null || true
  # berth's pinned namespaces (a bind-mounted directory under its run root), deepest first
  for m in $(awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  podman --root $work/podman --runroot $work/prun --storage-driver overlay system reset -f >/dev/null 2>&1 || true
  # Empty cgroups only: one that still holds a process (another podman's) is not ours to force.
  [ -n "$had_libpod" ] || find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
ip netns add $ns
ip -n $ns link set lo up
in_ns="nsenter --net=/run/netns/$ns"
B="$in_ns $top/bin/berth --root $work/berth --runroot $work/brun"
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
events_logger = "none"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$work/containers.conf"
P="$in_ns podman --root $work/podman --runroot $work/prun --tmpdir $work/ptmp --storage-driver overlay"
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in sh true; do ln -s busybox "$work/rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$work/rootfs/etc/passwd"
echo "root:x:0:" >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
$B import "$work/busybox.tar" $image >/dev/null
$P import -q "$work/busybox.tar" $image >/dev/null
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(podman --version); busybox image, \`true\`, default bridge networks"
berth_run="$B run --rm $image true"
podman_run="$P run --rm $image true"
for cmd in "$berth_run" "$podman_run"; do
  $cmd >/dev/null || { echo "failed: $cmd" >&2; exit 1; }
done
per=$(( (runs + rounds - 1) / rounds ))
r=0
while [ $r -lt $rounds ]; do
  for t in berth podman; do
    case $t in berth) cmd=$berth_run ;; podman) cmd=$podman_run ;; esac
    hyperfine -N -w 2 -r $per --export-json "$work/run-$t-$r.json" "$cmd" >/dev/null 2>&1 ||
      { echo "$t failed: $cmd" >&2; exit 1; }
  done
  r=$((r + 1))
done
python3 - "$work" $rounds <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
t = {k: [x for r in range(rounds) for x in json.load(open(f"{work}/run-{k}-{r}.json"))["results"][0]["times"]]
     for k in ("berth", "podman")}
print(f"run --rm true on the default bridge, {len(t['berth'])} runs each in {rounds} rounds taking turns:")
for k in ("berth", "podman"):
    v = t[k]
    print(f"  {k:8} mean {statistics.mean(v)*1e3:7.1f} ms ± {statistics.stdev(v)*1e3:5.1f}   median {statistics.median(v)*1e3:7.1f} ms")
b, p = t["berth"], t["podman"]
print(f"  berth / podman: {statistics.mean(b)/statistics.mean(p):.2f}x mean, "
      f"{statistics.median(b)/statistics.median(p):.2f}x median   (target <= 0.5x)")
PY
