#!/bin/sh
# berth-runc against runc, verb by verb, on a busybox bundle whose process is `true` (DESIGN.md "Startup budget").
# Prints hyperfine's figures for each pair and the ratio, then the peak RSS of `create` for both.
# Usage: bench/runtime-lifecycle.sh [runs]   (needs root, runc, hyperfine, busybox-static, a built berth: scripts/build.sh)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
berth="$top/bin/berth-runc"
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
cleanup() {
  runc --root "$work/runc" delete -f runc-b 2>/dev/null || true
  "$berth" --root "$work/berth" delete -f berth-b 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
cd "$work/bundle"
runc spec
sed -i 's/"terminal": true/"terminal": false/; s|"sh"$|"true"|' config.json

# compare NAME PREPARE COMMAND [-i]: COMMAND and PREPARE get RT (runc or berth-runc with its root) and ID substituted; -i
# for a command that is meant to fail. Each runtime has its own container id: one id is one cgroup (no cgroupsPath), and
# berth-runc refuses a cgroup that another container's processes are in.
compare() {
  name=$1 prep=$2 cmd=$3 ignore=${4:-}
  for rt in runc berth; do
    if [ $rt = runc ]; then bin=runc; else bin=$berth; fi
    p=$(echo "$prep" | sed "s|RT|$bin --root $work/$rt|g; s|ID|$rt-b|g")
    c=$(echo "$cmd" | sed "s|RT|$bin --root $work/$rt|g; s|ID|$rt-b|g")
    hyperfine -N $ignore -w 3 -r "$runs" --prepare "$p" --export-json "$work/$name-$rt.json" "$c" >/dev/null 2>&1 ||
      { echo "$name: $rt failed: $c" >&2; hyperfine -N -r 1 --prepare "$p" "$c" || true; exit 1; }
  done
  python3 - "$name" "$work/$name-runc.json" "$work/$name-berth.json" <<'PY'
import json, sys
name, a, b = sys.argv[1], *(json.load(open(f))["results"][0] for f in sys.argv[2:4])
# The median too: on a shared machine a few runs that wait for the CPU move the mean, not the median.
print(f"{name:8} runc {a['mean']*1e3:7.1f} ms ± {a['stddev']*1e3:4.1f}   berth-runc {b['mean']*1e3:7.1f} ms ± {b['stddev']*1e3:4.1f}   ratio {b['mean']/a['mean']:5.2f}x   (medians {a['median']*1e3:.1f} / {b['median']*1e3:.1f} ms: {b['median']/a['median']:.2f}x)")
PY
}

echo "berth-runc vs runc ($(runc --version | head -1)), $runs runs each, busybox true"
compare run    "RT delete -f ID"                      "RT run ID"
compare create "RT delete -f ID"                      "RT create ID"
compare start  "sh -c 'RT delete -f ID; RT create ID'" "RT start ID"
compare state  "true"                                "RT state ID"
compare missing "true"                               "RT state nope" -i
compare delete "sh -c 'RT delete -f ID; RT create ID'" "RT delete ID"

rss() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
runc --root "$work/runc" delete -f runc-b 2>/dev/null || true
"$berth" --root "$work/berth" delete -f berth-b 2>/dev/null || true
a=$(rss runc --root "$work/runc" create runc-b)
b=$(rss "$berth" --root "$work/berth" create berth-b)
echo "peak RSS of create: runc $a KiB, berth-runc $b KiB"
