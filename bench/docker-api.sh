#!/bin/sh
# berthd against dockerd through the real docker CLI, side by side in one run (issue 14, "Speed"):
#  1. `docker run --rm --network none IMAGE true`, `docker ps -a` and `docker inspect` against each daemon (hyperfine,
#     in rounds that take turns, so load on a shared machine falls on both alike); means, medians, berthd's ratio
#     (target: 0.5x dockerd).
#  2. A Testcontainers GenericContainer's start and stop (bench/TcStart.java: an httpd with an exposed port, the
#     default wait strategy) against each daemon, on each one's default bridge network.
#  3. Idle resident memory of each daemon after the runs: berthd's RSS and PSS beside dockerd's plus the containerd
#     dockerd started for itself (targets: berthd at most containerd's).
# Both daemons run inside a network namespace of the bench's own (their bridges and iptables rules too), with their
# stores, sockets and state under one temporary directory, which is removed at the end, on Ctrl-C too.
# Not part of the test suite. dockerd comes from Debian's docker.io (not installed by the project's scripts: it is
# the reference only); without it, berthd alone is measured.
# Usage: bench/docker-api.sh [runs] [tc-runs]   (needs root, a built berth (scripts/build.sh), the docker CLI,
#   hyperfine, busybox-static, python3, Maven for Testcontainers' class path (tc-runs 0 skips it); dockerd optional)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
tc_runs=${2:-10}
rounds=3
[ -x "$top/build/runtime-berthd/bin/java" ] || { echo "berthd is not built: run scripts/build.sh" >&2; exit 1; }
for c in docker hyperfine python3 busybox ip nsenter; do
  command -v $c >/dev/null || { echo "$c is not installed" >&2; exit 1; }
done
have_dockerd=; command -v dockerd >/dev/null && have_dockerd=1
work=$(mktemp -d /tmp/berth-dapi.XXXXXX)
ns=berth-dapi-$$
image=localhost/busybox:latest
berthd_pid=
dockerd_pid=
cg=berth-bench-dockerd

cleanup() {
  trap - EXIT INT TERM
  set +e
  echo "cleaning up $work" >&2
  for h in "unix://$work/berthd.sock" "unix://$work/dockerd.sock"; do
    ids=$(DOCKER_HOST=$h docker ps -aq 2>/dev/null)
    [ -n "$ids" ] && DOCKER_HOST=$h docker rm -f $ids >/dev/null 2>&1
  done
  for p in $berthd_pid $dockerd_pid; do
    kill "$p" 2>/dev/null
    i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  done
  for h in /sys/fs/cgroup/*/$cg; do [ -d "$h" ] && rmdir "$h"; done 2>/dev/null
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
wait_for() { # socket, name
  i=0
  until DOCKER_HOST="unix://$1" docker version >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "$2 did not answer on $1" >&2; exit 1; }; sleep 0.1
  done
}

# ---- one busybox image in both stores ----
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
for a in sh true sleep echo cat awk grep nc mkdir httpd; do ln -s busybox "$work/rootfs/bin/$a"; done
for d in proc sys dev tmp root run; do mkdir -p "$work/rootfs/$d"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$work/rootfs/etc/passwd"
printf 'root:x:0:\n' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .

nsenter --net="/run/netns/$ns" "$top/bin/berthd" --root "$work/berth" --runroot "$work/brun" -H "unix://$work/berthd.sock" \
  >"$work/berthd.log" 2>&1 &
berthd_pid=$!
wait_for "$work/berthd.sock" berthd
DOCKER_HOST="unix://$work/berthd.sock" docker import "$work/busybox.tar" $image >/dev/null
hosts="berthd=unix://$work/berthd.sock"
DOCKER_HOST="unix://$work/berthd.sock" docker run --rm --network none $image echo berthd runs containers
if [ -n "$have_dockerd" ]; then
  # Its bridge and iptables rules live in the bench's namespace only. oom-score-adjust 0: root here may not lower
  # it. Its containers' cgroups under a parent of the bench's own.
  nsenter --net="/run/netns/$ns" dockerd --data-root "$work/docker" --exec-root "$work/dexec" --pidfile "$work/dockerd.pid" \
    -H "unix://$work/dockerd.sock" --ip6tables=false --oom-score-adjust=0 \
    --cgroup-parent "/$cg" --storage-driver overlay2 >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  wait_for "$work/dockerd.sock" dockerd
  DOCKER_HOST="unix://$work/dockerd.sock" docker import "$work/busybox.tar" $image >/dev/null
  hosts="$hosts dockerd=unix://$work/dockerd.sock"
  DOCKER_HOST="unix://$work/dockerd.sock" docker run --rm --network none $image echo dockerd runs containers
else
  echo "dockerd is not installed (Debian: docker.io): measuring berthd alone" >&2
fi
for h in $hosts; do # one container to inspect and to list
  DOCKER_HOST=${h#*=} docker create --name idle --network none $image true >/dev/null
done

# ---- 1. the CLI against each daemon ----
bench() { # label, docker arguments...
  label=$1; shift
  r=1
  while [ $r -le $rounds ]; do
    for h in $hosts; do
      hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/$label-${h%%=*}-$r.json" \
        "env DOCKER_HOST=${h#*=} docker $*" >/dev/null
    done
    r=$((r + 1))
  done
  python3 - "$work" "$label" "$hosts" <<'EOF'
import json, statistics, sys, glob
work, label, hosts = sys.argv[1], sys.argv[2], sys.argv[3].split()
med = {}
for h in hosts:
    name = h.split("=")[0]
    times = []
    for f in sorted(glob.glob(f"{work}/{label}-{name}-*.json")):
        times += json.load(open(f))["results"][0]["times"]
    med[name] = statistics.median(times) * 1000
    print(f"  {label:10} {name:8} mean {statistics.mean(times)*1000:7.1f} ms  median {med[name]:7.1f} ms  ({len(times)} runs)")
if "dockerd" in med:
    print(f"  {label:10} berthd/dockerd (medians): {med['berthd']/med['dockerd']:.2f}x")
EOF
}
echo "docker CLI against each daemon ($rounds rounds of $runs runs each):"
bench run run --rm --network none $image true
bench ps ps -a
bench inspect inspect idle

# ---- 2. Testcontainers ----
if [ "$tc_runs" -gt 0 ]; then
  mkdir -p "$work/tc"
  (cd "$top" && mvn -B -q dependency:build-classpath -pl berth-testcontainers -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/tc/cp.txt") >"$work/tc/mvn.log" 2>&1 ||
    { echo "Testcontainers' class path: mvn failed (see below)" >&2; cat "$work/tc/mvn.log" >&2; exit 1; }
  tccp="$(cat "$work/tc/cp.txt"):$work/tc"
  javac -d "$work/tc" -cp "$tccp" "$top/bench/TcStart.java"
  echo "Testcontainers GenericContainer start/stop ($tc_runs runs each, after a warm-up):"
  for h in $hosts; do
    # The client in the namespace too: it checks the published port on localhost.
    line=$(nsenter --net="/run/netns/$ns" env DOCKER_HOST=${h#*=} TESTCONTAINERS_RYUK_DISABLED=true \
      TESTCONTAINERS_CHECKS_DISABLE=true java -cp "$tccp" TcStart $image "$tc_runs" 2>"$work/tc/${h%%=*}.log" | tail -1)
    if [ -n "$line" ]; then echo "  ${h%%=*}  $line"
    else echo "  ${h%%=*}  failed:"; grep -E 'Exception|Caused by' "$work/tc/${h%%=*}.log" | head -5 | sed 's/^/    /'; fi
  done
fi

# ---- 3. idle memory ----
sleep 2
mem() { # pid -> "RSS PSS" in KiB
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status")
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup")
  echo "$rss $pss"
}
echo "idle daemons after the runs (KiB):"
set -- $(mem $berthd_pid)
echo "  berthd              RSS $1  PSS $2"
if [ -n "$dockerd_pid" ]; then
  set -- $(mem $dockerd_pid)
  echo "  dockerd             RSS $1  PSS $2"
  c=$(pgrep -P $dockerd_pid -x containerd || true)
  if [ -n "$c" ]; then
    set -- $(mem $c)
    echo "  its containerd      RSS $1  PSS $2"
  fi
fi
