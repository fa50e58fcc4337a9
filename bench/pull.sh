#!/bin/sh
# Pull of a generated image from a local registry: berth against podman and against skopeo copy + umoci unpack.
# The image (bench/Gen.java): 5 gzip layers of ~40 MB (half random data) and a layer of 10000 files of 1-4 KiB, pushed
# once into Debian's docker-registry on 127.0.0.1. Each tool pulls RUNS times into an empty store; prints the median
# wall time of each and the ratios berth/podman and berth/(skopeo+umoci). berth is skipped while bin/berth is missing.
# Usage: bench/pull.sh [runs] [layers] [mb-per-layer] [small-files]   (needs root, a JDK, docker-registry, podman,
# skopeo, umoci, curl)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3} layers=${2:-5} mb=${3:-40} small=${4:-10000}
java=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java=$JAVA_HOME/bin/java
berth="$top/bin/berth"

work=$(mktemp -d /tmp/berth-pull-bench.XXXXXX)
regpid=
# Anything podman or berth left mounted under $work goes first (deepest first), then the registry, then the files.
cleanup() {
  set +e
  grep -o " $work[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" || true; done
  [ -n "$regpid" ] && kill "$regpid" 2>/dev/null && wait "$regpid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "generating the image ($layers x ~${mb} MB gzip + $small small files)..." >&2
"$java" "$top/bench/Gen.java" "$work/layout" "$layers" "$mb" "$small" >/dev/null

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
regpid=$!
i=0
until curl -fs "http://127.0.0.1:$port/v2/" >/dev/null; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "docker-registry did not start:" >&2; cat "$work/registry.log" >&2; exit 1; }
  sleep 0.1
done
ref=127.0.0.1:$port/bench:latest
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/layout:latest" "docker://$ref"

# time NAME PREPARE COMMAND: runs PREPARE (untimed) then COMMAND, RUNS times; prints the median seconds of COMMAND.
time_it() {
  name=$1 prep=$2 cmd=$3 n=0
  : >"$work/$name.times"
  while [ $n -lt "$runs" ]; do
    sh -c "$prep"
    t0=$(date +%s.%N)
    sh -c "$cmd" >"$work/$name.out" 2>&1 || { echo "$name failed: $cmd" >&2; cat "$work/$name.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$work/$name.times"
    n=$((n + 1))
  done
  sort -n "$work/$name.times" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f\n", m }'
}

# Each run gets a cold store on a new ext4 filesystem (a loop device; unmounting whatever the last run left first).
# Not just an emptied directory: deleting the last run's ~15000 files right before the next run makes ext4 scan its
# recently freed inodes on every file creation, which cost any tool a second or more and varied from run to run.
fresh() {
  echo "grep -o ' $work/$1[^ ]*' /proc/self/mounts | sort -r | xargs -r umount -l; rm -rf $work/$1 $work/$1.img;
    truncate -s 4G $work/$1.img && mkfs.ext4 -q -F $work/$1.img && mkdir -p $work/$1 && mount -o loop $work/$1.img $work/$1"
}

pod="podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay --events-backend none"
podman_s=$(time_it podman "$(fresh podman)" "$pod pull -q --tls-verify=false $ref")
skopeo_s=$(time_it skopeo-umoci "$(fresh oci); $(fresh bundle)" \
  "skopeo --insecure-policy copy -q --src-tls-verify=false docker://$ref oci:$work/oci:latest &&
   umoci unpack --image $work/oci:latest $work/bundle")
echo "pull of $ref ($(du -sh "$work/layout/blobs" | cut -f1) of blobs), median of $runs cold pulls:"
echo "podman          ${podman_s} s   ($(podman --version))"
echo "skopeo + umoci  ${skopeo_s} s   ($(skopeo --version | cut -d' ' -f3), umoci $(umoci --version | cut -d' ' -f3))"
if [ -x "$berth" ]; then
  berth_s=$(time_it berth "$(fresh berth)" "$berth --root $work/berth pull $ref")
  echo "berth           ${berth_s} s"
  awk -v b="$berth_s" -v p="$podman_s" -v s="$skopeo_s" \
    'BEGIN { printf "ratio berth/podman %.2fx   berth/(skopeo+umoci) %.2fx\n", b / p, b / s }'
else
  echo "berth           skipped: $berth is missing (scripts/build.sh builds it)"
fi
