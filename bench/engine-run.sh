#!/bin/sh
# The engine against podman and containerd, side by side in one run, on one busybox image (issue 12, "Speed and
# memory"):
#  1. `berth run --rm --network none IMAGE true` against `podman run --rm --network none` and containerd's
#     `ctr run --rm` (a new, empty network namespace too): hyperfine, in rounds that take turns (load on a shared
#     machine falls on all three alike); means, medians and berth's ratios (targets: 0.5x podman, 0.8x ctr).
#  2. N detached idle containers (`sleep 1000`) each under berth and under podman: the PSS of berth's monitors against
#     conmon's (/proc/PID/smaps_rollup), the size of the stores' per-container state, and `berth ps -a` / `podman
#     ps -a` with N containers (hyperfine).
# Everything lives under one temporary directory: stores, a containerd of its own (own config, socket, root, state),
# and is removed at the end, on Ctrl-C too. Not part of the test suite.
# Usage: bench/engine-run.sh [runs] [containers]   (needs root, a built berth (scripts/build.sh), podman, conmon,
#   containerd, ctr, hyperfine, busybox-static, python3)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
n=${2:-100}
rounds=3
berth="$top/bin/berth"
[ -x "$top/build/runtime-berth/bin/java" ] || { echo "berth is not built: run scripts/build.sh" >&2; exit 1; }
for c in podman conmon containerd ctr hyperfine python3 busybox; do
  command -v $c >/dev/null || { echo "$c is not installed" >&2; exit 1; }
done
# podman refuses a runroot longer than 50 characters: keep the directory short.
work=$(mktemp -d /tmp/berth-erun.XXXXXX)
image=localhost/busybox:latest
B="$berth --root $work/berth --runroot $work/brun"
export CONTAINERS_CONF="$work/containers.conf"
P="podman --root $work/podman --runroot $work/prun --tmpdir $work/ptmp --storage-driver overlay --events-backend none"
P="$P --cgroup-manager cgroupfs"
C="ctr --address $work/containerd/sock -n berth-bench"
daemon=
# podman (cgroupfs) makes libpod_parent/ in every hierarchy and leaves it: removed at the end unless it was there.
had_libpod=; [ -d /sys/fs/cgroup/memory/libpod_parent ] && had_libpod=1

cleanup() {
  trap - EXIT INT TERM
  set +e
  echo "cleaning up $work" >&2
  ids=$($B ps -aq --no-trunc 2>/dev/null)
  [ -n "$ids" ] && $B rm -f $ids >/dev/null 2>&1
  $P rm -a -f -t 0 >/dev/null 2>&1
  $P rmi -a -f >/dev/null 2>&1
  if [ -n "$daemon" ]; then
    for t in $($C task ls -q 2>/dev/null); do $C task kill -s SIGKILL "$t"; $C task delete -f "$t"; done >/dev/null 2>&1
    for t in $($C containers ls -q 2>/dev/null); do $C containers delete "$t"; done >/dev/null 2>&1
    kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  fi
  # containerd names its containers' cgroups /<namespace>/<id> at each hierarchy's top: the namespace's stays empty.
  for h in /sys/fs/cgroup/*/berth-bench /sys/fs/cgroup/berth-bench; do [ -d "$h" ] && rmdir "$h"; done 2>/dev/null
  # Empty cgroups only: one that still holds a process (another podman's) is not ours to force.
  [ -n "$had_libpod" ] || find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- one busybox image in all three stores ----
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/ptmp" "$work/containerd"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in sh true sleep echo; do ln -s busybox "$work/rootfs/bin/$a"; done
for d in proc sys dev tmp root run; do mkdir -p "$work/rootfs/$d"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
# This machine refuses podman's default ulimits (nofile 1048576): none at all, as berth and ctr set none.
printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF"
$B import "$work/busybox.tar" $image >/dev/null
$P import -q "$work/busybox.tar" $image >/dev/null
$P save -q --format oci-archive -o "$work/busybox.oci.tar" $image
cat >"$work/containerd/config.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd/sock"
[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
EOF
containerd --config "$work/containerd/config.toml" >"$work/containerd/log" 2>&1 &
daemon=$!
i=0
while [ ! -S "$work/containerd/sock" ]; do
  i=$((i + 1)); [ $i -lt 250 ] || { cat "$work/containerd/log" >&2; exit 1; }
  sleep 0.02
done
$C images import --base-name localhost/busybox "$work/busybox.oci.tar" >/dev/null

# ---- 1. run --rm true ----
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(podman --version), $(ctr --version)," \
  "$(runc --version | head -1); busybox image, \`true\`, no network"
berth_run="$B run --rm --network none $image true"
podman_run="$P run --rm --network none $image true"
ctr_run="$C run --rm localhost/busybox:latest bench-run true"
for cmd in "$berth_run" "$podman_run" "$ctr_run"; do
  $cmd >/dev/null || { echo "failed: $cmd" >&2; exit 1; }
done
per=$(( (runs + rounds - 1) / rounds ))
r=0
while [ $r -lt $rounds ]; do
  for t in berth podman ctr; do
    case $t in berth) cmd=$berth_run ;; podman) cmd=$podman_run ;; ctr) cmd=$ctr_run ;; esac
    hyperfine -N -w 2 -r $per --export-json "$work/run-$t-$r.json" "$cmd" >/dev/null 2>&1 ||
      { echo "$t failed: $cmd" >&2; hyperfine -N -r 1 "$cmd"; exit 1; }
  done
  r=$((r + 1))
done
python3 - "$work" $rounds <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
t = {k: [x for r in range(rounds) for x in json.load(open(f"{work}/run-{k}-{r}.json"))["results"][0]["times"]]
     for k in ("berth", "podman", "ctr")}
print(f"run --rm true, {len(t['berth'])} runs each in {rounds} rounds taking turns:")
for k, label in (("berth", "berth run --rm"), ("podman", "podman run --rm --network none"), ("ctr", "ctr run --rm")):
    v = t[k]
    print(f"  {label:32} mean {statistics.mean(v)*1e3:7.1f} ms ± {statistics.stdev(v)*1e3:5.1f}"
          f"   median {statistics.median(v)*1e3:7.1f} ms")
b = t["berth"]
for k, target in (("podman", 0.5), ("ctr", 0.8)):
    print(f"  berth / {k:6}: {statistics.mean(b)/statistics.mean(t[k]):.2f}x mean, "
          f"{statistics.median(b)/statistics.median(t[k]):.2f}x median   (target <= {target}x)")
PY

# ---- 2. N idle containers ----
echo
echo "$n detached idle containers (sleep 1000) each under berth and under podman:"
i=0
while [ $i -lt "$n" ]; do
  $B run -d --network none $image sleep 1000 >/dev/null
  $P run -d --network none $image sleep 1000 >/dev/null
  i=$((i + 1))
done
sleep 1 # idle: every container asleep, every monitor in poll
bpids=$($B inspect -f '{{.State.Pid}}' $($B ps -q --no-trunc))
cpids=$($P inspect -f '{{.State.ConmonPid}}' $($P ps -q --no-trunc))
python3 - "$bpids" "$cpids" <<'PY'
import sys
def pss(pid):
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"):
            return int(line.split()[1])
def ppid(pid):
    s = open(f"/proc/{pid}/stat").read()
    return int(s[s.rindex(")") + 2:].split()[1])
monitors = [ppid(int(p)) for p in sys.argv[1].split()]
conmons = [int(p) for p in sys.argv[2].split()]
# Run from a memfd, a monitor's comm is its fd number: its argv[0] says what it is.
assert all(open(f"/proc/{m}/cmdline").read().split("\0")[0] == "berth-monitor" for m in monitors), "not a monitor"
rows = [("berth-monitor", [pss(m) for m in monitors]), ("conmon", [pss(c) for c in conmons])]
print(f"  {'monitor PSS (KiB)':20} {'mean':>8} {'min':>6} {'max':>6} {'processes':>10}")
for name, v in rows:
    print(f"  {name:20} {sum(v)/len(v):8.0f} {min(v):6} {max(v):6} {len(v):10}")
print(f"  berth-monitor / conmon: {(sum(rows[0][1])/len(rows[0][1])) / (sum(rows[1][1])/len(rows[1][1])):.2f}x")
PY
kib() { du -skx "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
bs=$(kib "$work/berth/containers")
ps_=$(kib "$work/podman/overlay-containers" "$work/podman/libpod")
echo "  store of the containers' state: berth $work/berth/containers ${bs} KiB ($((bs / n)) KiB each)," \
  "podman overlay-containers + libpod ${ps_} KiB ($((ps_ / n)) KiB each)"
echo "  run-time state: berth $(kib "$work/brun/containers" "$work/brun/runtimes") KiB," \
  "podman $(kib "$work/prun") KiB (rootfs mounts not counted)"
hyperfine -N -w 3 -r 20 --export-json "$work/ps.json" "$B ps -a" "$P ps -a" >/dev/null 2>&1
python3 - "$work/ps.json" "$n" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1]))["results"]
print(f"  ps -a with {sys.argv[2]} containers: berth {a['mean']*1e3:.1f} ms ± {a['stddev']*1e3:.1f} (median"
      f" {a['median']*1e3:.1f}), podman {b['mean']*1e3:.1f} ms ± {b['stddev']*1e3:.1f} (median {b['median']*1e3:.1f}):"
      f" {a['mean']/b['mean']:.2f}x")
PY
