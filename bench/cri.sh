#!/bin/sh
# Per-operation CRI latency, berthd against containerd 1.6's CRI plugin (issue 15, "Speed"): bench/CriBench.java, a
# gRPC client doing what cri-tools' benchmark does, against each in rounds that take turns: Version, PullImage (the
# image removed between pulls), and N pods one after the other through RunPodSandbox, CreateContainer,
# StartContainer, StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox, each call timed (by a client that
# first compiles its own call path against a server of its own: cri-tools' Go client has no warm-up, and a cold JVM
# client added ~1 ms to every call, containerd's Version 1.4 ms against ~0.5 warm). Prints median,
# p90 and mean per operation and berthd's median over containerd's (target: 0.5x). An operation a daemon answers
# UNIMPLEMENTED is reported so.
# Both daemons run inside a network namespace of the bench's own, beside a docker-registry on 127.0.0.1:5000 there
# that serves both images (built here with umoci from Debian's busybox-static, pushed with skopeo): the container's
# (busybox, `sh`) and containerd's sandbox image (a pause-like one: busybox's `sleep` for ever, on a layer of its
# own so that removing the first image removes its layer). containerd gets its own config, root, state, socket,
# runc root and a CNI bridge (in the namespace; no masquerading, no iptables), overlayfs, restrict_oom_score_adj
# (root may not lower oom_score_adj on these machines) and the registry as a plain-HTTP mirror of itself. Every pod
# asks for a cgroup parent of the bench's own. All under one temporary directory, removed at the end, on Ctrl-C too
# (pods, containers, daemons, cgroups, mounts, the namespace). Outside it: containerd 1.6's shims put their sockets
# under /run/containerd/s (fixed in 1.6), removed when they exit.
# PullImage there is bound by the registry as much as by the runtime: docker-registry spent ~3 ms of CPU per manifest
# GET, ~5 per config GET and ~8 per 1 MB layer GET on these two cores (curl against it, its /proc CPU times), which
# both runtimes pay, beside their own work, on the same cores.
# Not part of the test suite.
# BERTH_BASELINE=DIR (a copy of another build's bin/ and build/) adds that berthd as "berthd-base", in a namespace of
# its own (both berthds would make the same bridge) with a registry there on the same storage: old and new measured
# in one run, in turns, under the same load.
# BERTH_BENCH_BERTHD_ONLY=1 (with BERTH_BASELINE) leaves containerd out: old and new berthd only, in twice the
# rounds for the same time (ratios are then each berthd's median over the last one's, berthd-base's).
# BERTH_BENCH_LOGS=DIR keeps the daemons' logs there (e.g. with BERTH_JAVA_OPTS=-Dberth.trace.phases=true).
# Usage: bench/cri.sh [pods] [rounds] [pulls]   (defaults 50, 3, 20; needs root, a built berth (scripts/build.sh),
#   JDK 25, containerd + containerd-shim-runc-v2 + runc, CNI plugins in /usr/lib/cni, docker-registry, umoci,
#   skopeo, busybox-static, curl)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pods=${1:-50} rounds=${2:-3} pulls=${3:-20}
. "$top/scripts/env.sh"
[ -x "$top/build/runtime-berthd/bin/java" ] || { echo "berthd is not built: run scripts/build.sh" >&2; exit 1; }
for c in containerd containerd-shim-runc-v2 runc docker-registry umoci skopeo busybox curl ip nsenter javac; do
  command -v $c >/dev/null || { echo "$c is not installed" >&2; exit 1; }
done
for p in bridge host-local loopback; do
  [ -x /usr/lib/cni/$p ] || { echo "CNI plugin /usr/lib/cni/$p is missing (Debian: containernetworking-plugins)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/berth-cri.XXXXXX)
ns=berth-cri-$$
cg=berth-bench-cri-$$
port=5000 # the namespace is new: nothing else listens there
reg=127.0.0.1:$port
image=$reg/bench/busybox:latest
pause=$reg/bench/pause:latest
cp="$work/client:$top/build/lib-daemon/*"
client="java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:+UseSerialGC"
client="$client -Dio.netty.native.workdir=$work/client -cp $cp CriBench"
base=${BERTH_BASELINE:-}
only=${BERTH_BENCH_BERTHD_ONLY:-}
[ -z "$only" ] || [ -n "$base" ] || { echo "BERTH_BENCH_BERTHD_ONLY needs BERTH_BASELINE" >&2; exit 1; }
[ -z "$base" ] || [ -x "$base/bin/berthd" ] || { echo "BERTH_BASELINE=$base: no bin/berthd there" >&2; exit 1; }
berthd_pid= containerd_pid= registry_pid= client_pid= base_pid= base_registry_pid=
# Daemons are started with nsenter itself in the background (it execs them: $! is theirs), not through in_ns (a
# function in the background is a subshell whose $! is the subshell's).
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }

# stop PID: SIGTERM, up to 10 s, then SIGKILL.
stop() {
  kill "$1" 2>/dev/null || return 0
  i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  trap - EXIT INT TERM
  set +e
  echo "cleaning up $work" >&2
  [ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null && wait "$client_pid" 2>/dev/null
  # Pods and containers through each daemon first (the daemons tear down their networks and mounts so).
  if [ -f "$work/client/CriBench.class" ]; then
    [ -n "$berthd_pid" ] && kill -0 "$berthd_pid" 2>/dev/null && $client clean "unix://$work/berthd-cri.sock"
    [ -n "$base_pid" ] && kill -0 "$base_pid" 2>/dev/null && $client clean "unix://$work/base-cri.sock"
    [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null && $client clean "unix://$work/containerd/sock"
  fi
  for p in $berthd_pid $base_pid $containerd_pid $registry_pid $base_registry_pid; do stop "$p"; done
  # What a failed teardown left: containerd's shims (by their -address, ours alone), then every process in the
  # bench's cgroup (started by the runtimes for the bench's pods).
  for d in /proc/[0-9]*; do
    case $(tr '\0' ' ' 2>/dev/null <"$d/cmdline") in
      containerd-shim*"$work/containerd/sock"*) kill -9 "${d#/proc/}" 2>/dev/null ;;
    esac
  done
  for f in $(find /sys/fs/cgroup/*/$cg -name cgroup.procs 2>/dev/null); do
    for p in $(cat "$f"); do kill -9 "$p" 2>/dev/null; done
  done
  sleep 0.2
  find /sys/fs/cgroup/*/$cg -depth -type d -exec rmdir {} \; 2>/dev/null
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  if [ -n "${BERTH_BENCH_LOGS:-}" ]; then
    mkdir -p "$BERTH_BENCH_LOGS" && cp "$work"/*.log "$work/containerd/log" "$BERTH_BENCH_LOGS/" 2>/dev/null
  fi
  ip netns del "$ns" 2>/dev/null
  ip netns del "$ns-base" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up

# ---- the registry, and both images in it ----
mkdir -p "$work/registry" "$work/client" "$work/logs"
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/data
  delete:
    enabled: true
http:
  addr: $reg
EOF
nsenter --net="/run/netns/$ns" docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
registry_pid=$!
i=0
until in_ns curl -fs "http://$reg/v2/" >/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "docker-registry did not start:" >&2; cat "$work/registry/log" >&2; exit 1; }
  sleep 0.1
done
# image NAME CMD...: an OCI image of a busybox root filesystem with CMD, pushed as $reg/bench/NAME:latest.
image() {
  name=$1; shift
  r=$work/img/$name-rootfs
  mkdir -p "$r/bin" "$r/etc"
  cp "$(command -v busybox)" "$r/bin/busybox"
  for a in sh true sleep echo; do ln -s busybox "$r/bin/$a"; done
  for d in proc sys dev tmp root run; do mkdir -p "$r/$d"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  echo "$name" >"$r/etc/bench-image" # a layer of each image's own
  umoci init --layout "$work/img/$name" 2>/dev/null
  umoci new --image "$work/img/$name:latest"
  umoci insert --image "$work/img/$name:latest" "$r" /
  set -- $(for a in "$@"; do printf -- '--config.cmd %s ' "$a"; done)
  umoci config --image "$work/img/$name:latest" --config.env PATH=/bin "$@"
  in_ns skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/img/$name:latest" \
    "docker://$reg/bench/$name:latest"
}
image busybox sh
image pause sleep 2147483647

# ---- berthd ----
nsenter --net="/run/netns/$ns" "$top/bin/berthd" --root "$work/berth" --runroot "$work/brun" -H "unix://$work/berthd.sock" \
  --cri "unix://$work/berthd-cri.sock" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
if [ -n "$base" ]; then
  ip netns add "$ns-base"
  ip -n "$ns-base" link set lo up
  nsenter --net="/run/netns/$ns-base" docker-registry serve "$work/registry/config.yml" >"$work/registry/log-base" 2>&1 &
  base_registry_pid=$!
  nsenter --net="/run/netns/$ns-base" "$base/bin/berthd" --root "$work/base" --runroot "$work/base-run" \
    -H "unix://$work/base.sock" --cri "unix://$work/base-cri.sock" >"$work/base.log" 2>&1 &
  base_pid=$!
fi

# ---- containerd with its CRI plugin ----
mkdir -p "$work/containerd/net.d" "$work/containerd/cni"
cat >"$work/containerd/net.d/10-bench.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "bench",
 "plugins": [
  {"type": "bridge", "bridge": "bench0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$work/containerd/cni", "routes": [{"dst": "0.0.0.0/0"}],
            "ranges": [[{"subnet": "10.250.0.0/16"}]]}},
  {"type": "loopback"}]}
EOF
cat >"$work/containerd/config.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd/sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$work/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/containerd/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."$reg"]
    endpoint = ["http://$reg"]
EOF
if [ -z "$only" ]; then
  nsenter --net="/run/netns/$ns" containerd --config "$work/containerd/config.toml" >"$work/containerd/log" 2>&1 &
  containerd_pid=$!
fi

javac -d "$work/client" -cp "$cp" "$top/bench/CriBench.java"
i=0
until [ -S "$work/berthd-cri.sock" ] && { [ -n "$only" ] || [ -S "$work/containerd/sock" ]; } &&
  { [ -z "$base" ] || [ -S "$work/base-cri.sock" ]; }; do
  i=$((i + 1))
  if [ $i -ge 300 ] || ! kill -0 $berthd_pid 2>/dev/null || { [ -z "$only" ] && ! kill -0 $containerd_pid 2>/dev/null; } ||
    { [ -n "$base" ] && ! kill -0 $base_pid 2>/dev/null; }; then
    echo "a daemon did not start; berthd:" >&2; tail -20 "$work/berthd.log" >&2
    echo "containerd:" >&2; tail -20 "$work/containerd/log" >&2; exit 1
  fi
  sleep 0.1
done

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); berth $(git -C "$top" describe --always --dirty \
--abbrev=12), $(containerd --version | cut -d' ' -f3) with $(runc --version | head -1); $pods pods x $rounds rounds" \
  "($pulls pulls each), busybox image from a registry in the namespace"
# In the background and waited for: a signal to this script then runs its trap at once.
theirs="containerd=unix://$work/containerd/sock"
[ -z "$only" ] || theirs=
$client --pods "$pods" --rounds "$rounds" --pulls "$pulls" --image "$image" --cgroup-parent "/$cg" \
  --logs "$work/logs" "berthd=unix://$work/berthd-cri.sock" ${base:+"berthd-base=unix://$work/base-cri.sock"} \
  ${theirs:+"$theirs"} &
client_pid=$!
wait $client_pid ||
  { echo "the bench failed; berthd's log:" >&2; tail -20 "$work/berthd.log" >&2
    echo "containerd's log:" >&2; grep -i 'level=error' "$work/containerd/log" | tail -20 >&2; exit 1; }
client_pid=
