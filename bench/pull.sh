#!/bin/sh
# Pulls from a local registry (Debian's docker-registry on 127.0.0.1): berth against podman and against skopeo copy +
# umoci unpack, on image shapes like real ones, beside a floor measured in the same run on the same blobs.
#
# Shapes (SHAPES, default "debian debian-one generated"), each printed on its own:
#   debian       layers cut from this machine's Debian files (bench/debian-image.sh): shared libraries, executables,
#                text (Python, Perl, Vim sources), many small files; about 165 MB of gzip blobs, 26,000 entries
#   debian-one   the same files as one layer, as a base image is (ONE_LAYER=1 bench/debian-image.sh)
#   generated    bench/Gen.java: LAYERS gzip layers of ~MB MB (half random data, so gzip stores half of it as is) and
#                one layer of SMALL files of 1-4 KiB
#   debian-zstd  the debian layers compressed with zstd -3 (not in the default set)
# Cold stores (STORES, default "rm rm-ext4 fresh"), each printed on its own:
#   rm       emptied with rm -rf before each run, as users' stores are, on the filesystem of /tmp. When that is an ext4
#            without a journal (the header says), every file created pays for ext4's skipping of each inode freed in
#            the last minute (five while its inode table block is not written back): what the tools deleted before
#   rm-ext4  the same on one ext4 made with mkfs.ext4's defaults (a journal: no such skipping), a loop device
#   fresh    a new ext4 filesystem (a loop device) per run
# A run pulls with each tool in turn into its own cold store, RUNS runs; `sync` (untimed) before each pull, so that no
# tool pays for the writeback of the one before. Printed per shape and store: the median wall time, the CPU time (user
# + system of the tool and its children; the system part alone beside it), the registry's CPU time serving it, each
# tool's wall time against podman's and as a multiple of the floor, and the CPU time of the tool and the registry
# against the floor's CPU time (the work done against the work that cannot be avoided: other load changes it less).
#
# The floor is the work a pull cannot avoid, done step by step by the best standalone tool on data in the page cache,
# in the same kind of store, RUNS times (the median of each step): CPU seconds (user + system) of
#   fetch     curl of every blob from the registry to /dev/null, plus the registry's own CPU time serving them (both
#             ends of the loopback share the machine's cores during every pull too)
#   digests   sha256 of every blob (the faster of sha256sum and openssl dgst; both printed)
#   diff ids  sha256 of every uncompressed layer (the config's diff_ids, which a pull must check as well)
#   inflate   every blob inflated to nowhere: the fastest of `gzip -dc`, zlib's inflate (Compress::Raw::Zlib, a Perl
#             one-liner: GNU gzip has an inflater of its own, slower than zlib's) and ISA-L's `igzip -dc` (the
#             inflater berth uses: berth-sys GzipInflater; Java's own Inflater wraps zlib); all printed
#             printed. `zstd -dc` for a zstd layer
#   untar     tar -x (as root: owners, modes, times) of every uncompressed layer into a directory of its own, in a
#             store emptied as the pulls' are
# summed, and divided by the machine's cores (nproc): the time the work takes if it overlaps perfectly. A `sync` after
# the untar is timed too, as wall time, and printed beside the floor, not in it.
# Last, per shape: `berth pull` of the image already present against `berth images` (and podman's two), hyperfine.
#
# berth is skipped while bin/berth is missing (scripts/build.sh builds it). BERTH_BASE=<another checkout, built> adds
# its berth as "berth (base)" to every run, to compare a change with what it changes in the same run. PEERS (default
# "podman skopeo") names the other tools to run; PEERS= runs berth alone (with its base), for a quicker A/B.
# BERTH_ALT_OPTS="<JVM options>" adds this checkout's berth once more with those options (BERTH_JAVA_OPTS, after the
# launcher's own, so e.g. -XX:TieredStopAtLevel=1 overrides its JIT choice) as "berth (alt)", in turn with the others.
# Usage: bench/pull.sh [runs] [layers] [mb-per-layer] [small-files]   (the last three: the generated shape)
#   Needs root, a JDK, docker-registry, podman, skopeo, umoci, curl, openssl, zstd, hyperfine, perl, isal (igzip).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3} layers=${2:-5} mb=${3:-40} small=${4:-10000}
shapes=${SHAPES:-debian debian-one generated} stores=${STORES:-rm rm-ext4 fresh}
java=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java=$JAVA_HOME/bin/java
berth="$top/bin/berth"
base=${BERTH_BASE:+$BERTH_BASE/bin/berth}
cores=$(nproc)
hz=$(getconf CLK_TCK)
# Every tool up front, named with its Debian package: a missing one failed the run minutes in, after the images.
missing=
for t in docker-registry:docker-registry podman:podman skopeo:skopeo umoci:umoci curl:curl openssl:openssl \
  zstd:zstd hyperfine:hyperfine perl:perl igzip:isal gzip:gzip python3:python3; do
  command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t%%:*} (${t#*:})"
done
perl -MCompress::Raw::Zlib -e 1 2>/dev/null || missing="$missing Compress::Raw::Zlib (libcompress-raw-zlib-perl)"
[ -z "$missing" ] || { echo "bench/pull.sh needs:$missing" >&2; exit 2; }

work=$(mktemp -d /tmp/berth-pull-bench.XXXXXX)
regpid=
# unmount_under DIR: whatever is mounted at or under DIR (deepest first), then the loop devices of DIR.img or of
# files under DIR (a lazy unmount may leave one attached).
unmount_under() {
  grep -o " $1[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
  losetup -nO NAME,BACK-FILE | while read -r dev file; do
    case $file in "$1".img | "$1".img\ * | "$1"/*) losetup -d "$dev" ;; esac
  done
}
cleanup() {
  set +e
  unmount_under "$work"
  [ -n "$regpid" ] && kill "$regpid" 2>/dev/null && wait "$regpid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cold STORES-KIND DIR: an empty store at DIR, then sync. rm: rm -rf of what the last run left; rm-ext4: the same on
# an ext4 filesystem made (once) with mkfs.ext4's defaults, mounted at DIR's parent; fresh: a new ext4 filesystem
# mounted at DIR.
cold() {
  unmount_under "$2"
  rm -rf "$2" "$2.img"
  mkdir -p "$2"
  case $1 in
    rm-ext4) mountpoint -q "${2%/*}" || { rmdir "$2"; ext4 "${2%/*}" 8G; mkdir "$2"; } ;;
    fresh) ext4 "$2" 4G ;;
  esac
  sync
}
ext4() { # ext4 DIR SIZE: a new ext4 filesystem (mkfs.ext4's defaults, so with a journal) in DIR.img, mounted at DIR
  truncate -s "$2" "$1.img"
  mkfs.ext4 -q -F "$1.img"
  mount -o loop "$1.img" "$1"
}
# journal DIR: "with a journal" or "without a journal" (ext4 then skips, on every inode it allocates, each inode freed
# in the last 60 s, 300 s while its inode table block is dirty: fs/ext4/ialloc.c recently_deleted()).
journal() {
  dev=$(findmnt -no SOURCE -T "$1")
  if ls -d "/proc/fs/jbd2/${dev##*/}-"* >/dev/null 2>&1; then echo "with a journal"; else echo "without a journal"; fi
}

# zlib's inflate of gzip files to nowhere, checking each one's CRC and length as gzip -dc does.
cat >"$work/inflate.pl" <<'EOF'
use Compress::Raw::Zlib;
for my $f (@ARGV) {
  open(my $in, '<:raw', $f) or die "$f: $!\n";
  my ($z, $st) = Compress::Raw::Zlib::Inflate->new(-WindowBits => WANT_GZIP, -AppendOutput => 0);
  my $out;
  while (read($in, my $buf, 1 << 20)) {
    $st = $z->inflate($buf, $out);
    last if $st == Z_STREAM_END;
    die "$f: $st\n" if $st != Z_OK;
  }
  die "$f: not a whole gzip stream\n" if $st != Z_STREAM_END;
}
EOF

regcpu() { awk '{ print $14 + $15 }' "/proc/$regpid/stat"; } # the registry's user + system time, in clock ticks

# timed FILE COMMAND: runs COMMAND (sh -c) and appends "wall-s cpu-s registry-cpu-s system-s" to FILE (cpu: user +
# system of COMMAND and its children).
timed() {
  r0=$(regcpu)
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/time" sh -c "$2" >"$work/out" 2>&1 ||
    { echo "failed: $2" >&2; cat "$work/out" >&2; exit 1; }
  t1=$(date +%s.%N)
  r1=$(regcpu)
  awk -v t0="$t0" -v t1="$t1" -v r0="$r0" -v r1="$r1" -v hz="$hz" \
    '{ printf "%.3f %.3f %.3f %.3f\n", t1 - t0, $1 + $2, (r1 - r0) / hz, $2 }' "$work/time" >>"$1"
}

# median FILE COLUMN
median() {
  sort -n -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c }
    END { printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

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

echo "$(nproc) cores, $(podman --version), skopeo $(skopeo --version | cut -d' ' -f3)," \
  "umoci $(umoci --version | cut -d' ' -f3), berth at $(git -C "$top" describe --always --dirty --abbrev=12)"
[ -x "$berth" ] || echo "berth skipped: $berth is missing (scripts/build.sh builds it)"

for shape in $shapes; do
  s=$work/$shape
  mkdir -p "$s/tars"
  echo "generating the $shape image..." >&2
  case $shape in
    debian) sh "$top/bench/debian-image.sh" "$s/layout" 2>"$s/what" ;;
    debian-zstd) COMPRESSION=zstd sh "$top/bench/debian-image.sh" "$s/layout" 2>"$s/what" ;;
    debian-one) ONE_LAYER=1 sh "$top/bench/debian-image.sh" "$s/layout" 2>"$s/what" ;;
    generated)
      "$java" "$top/bench/Gen.java" "$s/layout" "$layers" "$mb" "$small" >/dev/null
      echo "$layers layers of ~$mb MB gzip (half random data), one of $small files of 1-4 KiB" >"$s/what" ;;
    *) echo "unknown shape $shape (debian, debian-one, generated, debian-zstd)" >&2; exit 2 ;;
  esac
  ref=127.0.0.1:$port/bench-$shape:latest
  skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$s/layout:latest" "docker://$ref"

  # The layers, in the manifest's order (its first digest is the config's), and their uncompressed tars.
  manifest=$(grep -o '"sha256:[0-9a-f]*"' "$s/layout/index.json" | tr -d '"' | cut -c8-)
  digests=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$s/layout/blobs/sha256/$manifest" | sed 1d | cut -d: -f3 |
    tr -d '"')
  blobs= tars= fetch= inflate= inflate_zlib= inflate_isal= untar= zstd= n=0
  for d in $digests; do
    n=$((n + 1))
    b=$s/layout/blobs/sha256/$d
    case $(od -An -tx1 -N4 "$b" | tr -d ' ') in
      1f8b*) z='gzip -dc' zl="perl $work/inflate.pl" zi='igzip -dc' ;;
      28b52ffd) z='zstd -dcq' zl='zstd -dcq' zi='zstd -dcq' zstd=" (zstd -dc for zstd layers)" ;;
      *) echo "layer $d: neither gzip nor zstd" >&2; exit 1 ;;
    esac
    $z "$b" >"$s/tars/$n.tar"
    blobs="$blobs $b" tars="$tars $s/tars/$n.tar"
    fetch="$fetch -o /dev/null http://127.0.0.1:$port/v2/bench-$shape/blobs/sha256:$d"
    inflate="$inflate $z $b >/dev/null;" inflate_zlib="$inflate_zlib $zl $b >/dev/null;"
    inflate_isal="$inflate_isal $zi $b >/dev/null;"
    untar="$untar mkdir STORE/$n && tar -xf $s/tars/$n.tar -C STORE/$n &&"
  done
  entries=$(for t in $tars; do tar -tf "$t"; done | wc -l)
  echo
  echo "== $shape: $n layers, $(du -cm $blobs | tail -1 | cut -f1) MB of blobs," \
    "$(du -cm $tars | tail -1 | cut -f1) MB of tar, $entries entries ($(cat "$s/what"))"

  # podman refuses a runroot (its locks and run-time state) of more than 50 characters: it is emptied with the store.
  pod="podman --root STORE/root --runroot $work/run --tmpdir STORE/tmp --storage-driver overlay --events-backend none"
  for kind in $stores; do
    case $kind in
      rm) echo "-- cold stores emptied with rm -rf, on the $(findmnt -no FSTYPE -T "$work") of $work" \
        "($(journal "$work")), median of $runs:" ;;
      rm-ext4) echo "-- cold stores emptied with rm -rf, on one ext4 filesystem made with mkfs.ext4's defaults (a loop" \
        "device; with a journal), median of $runs:" ;;
      fresh) echo "-- cold stores on a new ext4 filesystem each (a loop device; with a journal), median of $runs:" ;;
      *) echo "unknown store kind $kind (rm, rm-ext4, fresh)" >&2; exit 2 ;;
    esac
    k=$s/$kind
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    tools=${PEERS-podman skopeo}
    [ -x "$berth" ] && tools="$tools berth"
    [ -n "$base" ] && tools="$tools base"
    [ -x "$berth" ] && [ -n "${BERTH_ALT_OPTS:-}" ] && tools="$tools alt"
    r=0
    while [ $r -lt "$runs" ]; do
      for tool in $tools; do
        st=$k/$tool
        cold "$kind" "$st"
        rm -rf "$work/run"
        case $tool in
          podman) cmd="$pod pull -q --tls-verify=false $ref" ;;
          skopeo) cmd="skopeo --insecure-policy copy -q --src-tls-verify=false docker://$ref oci:STORE/oci:latest &&
            umoci unpack --image STORE/oci:latest STORE/bundle" ;;
          berth) cmd="$berth --root STORE pull $ref" ;;
          base) cmd="$base --root STORE pull $ref" ;;
          alt) cmd="BERTH_JAVA_OPTS='$BERTH_ALT_OPTS' $berth --root STORE pull $ref" ;;
        esac
        timed "$k.$tool" "$(echo "$cmd" | sed "s|STORE|$st|g")"
      done
      r=$((r + 1))
    done

    # The floor: columns fetch-client fetch-registry sha256sum openssl diff-sha256sum diff-openssl gzip zlib igzip untar
    # sync.
    r=0
    : >"$k.floor"
    while [ $r -lt "$runs" ]; do
      : >"$k.steps"
      timed "$k.steps" "curl -fs $fetch"
      timed "$k.steps" "sha256sum $blobs >/dev/null"
      timed "$k.steps" "openssl dgst -sha256 $blobs >/dev/null"
      timed "$k.steps" "sha256sum $tars >/dev/null"
      timed "$k.steps" "openssl dgst -sha256 $tars >/dev/null"
      timed "$k.steps" "$inflate"
      timed "$k.steps" "$inflate_zlib"
      timed "$k.steps" "$inflate_isal"
      cold "$kind" "$k/floor"
      timed "$k.steps" "$(echo "$untar" | sed "s|STORE|$k/floor|g") true"
      timed "$k.steps" sync
      awk 'NR == 1 { printf "%s %s", $2, $3; next } NR < 10 { printf " %s", $2; next } { printf " %s\n", $1 }' \
        "$k.steps" >>"$k.floor"
      r=$((r + 1))
    done
    set -- $(for c in 1 2 3 4 5 6 7 8 9 10 11; do median "$k.floor" $c; done)
    floor=$(awk -v a="$*" -v n="$cores" 'function min(x, y) { return x < y ? x : y } BEGIN { split(a, v, " ");
      printf "%.3f", (v[1] + v[2] + min(v[3], v[4]) + min(v[5], v[6]) + min(min(v[7], v[8]), v[9]) + v[10]) / n }')

    printf '%-16s %8s %8s %8s %15s %10s %9s %14s\n' "" "wall s" "cpu s" "sys s" "registry cpu s" "x podman" \
      "x floor" "cpu x floor's"
    pw=0
    case " $tools " in *" podman "*) pw=$(median "$k.podman" 1) ;; esac
    for tool in $tools; do
      case $tool in
        podman) label=podman ;; skopeo) label="skopeo + umoci" ;; berth) label=berth ;; base) label="berth (base)" ;;
        alt) label="berth (alt)" ;;
      esac
      w=$(median "$k.$tool" 1)
      awk -v l="$label" -v w="$w" -v c="$(median "$k.$tool" 2)" -v g="$(median "$k.$tool" 3)" -v p="$pw" -v f="$floor" \
        -v n="$cores" -v y="$(median "$k.$tool" 4)" 'BEGIN { printf "%-16s %8.2f %8.2f %8.2f %15.2f %9s %8.2fx %13.2fx\n",
          l, w, c, y, g, (p > 0 ? sprintf("%.2fx", w / p) : "-"), w / f, (c + g) / (f * n) }'
    done
    awk -v a="$*" -v f="$floor" -v n="$cores" -v z="$zstd" 'function min(x, y) { return x < y ? x : y }
      BEGIN { split(a, v, " ");
      printf "floor %.2f s = (fetch %.2f [curl %.2f + registry %.2f] + digests %.2f [sha256sum %.2f, openssl %.2f]", f,
        v[1] + v[2], v[1], v[2], min(v[3], v[4]), v[3], v[4];
      printf " + diff ids %.2f [sha256sum %.2f, openssl %.2f] + inflate %.2f [gzip -dc %.2f, zlib %.2f, igzip %.2f%s]",
        min(v[5], v[6]), v[5], v[6], min(min(v[7], v[8]), v[9]), v[7], v[8], v[9], z;
      printf " + untar %.2f [tar -x]) CPU s / %d cores;  sync after the untar %.2f s wall, not in the floor\n", v[10], n,
        v[11] }'
    echo "(load average as the pulls began: $load; after: $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ -n "${BERTH_ALT_OPTS:-}" ]; then echo "(berth (alt): BERTH_JAVA_OPTS=$BERTH_ALT_OPTS)"; fi
  done

  # A pull of what is there: one manifest request. Against listing the store, in the first kind of store.
  set -- $stores
  k=$s/$1
  if [ -x "$berth" ]; then
    pp=$(echo "$pod" | sed "s|STORE|$k/podman|g")
    hyperfine -N -w 2 -r 10 --export-csv "$s/noop.csv" "$berth --root $k/berth pull $ref" \
      "$berth --root $k/berth images" "$pp pull -q --tls-verify=false $ref" "$pp images" >/dev/null 2>&1 ||
      { echo "hyperfine of the no-op pulls failed" >&2; exit 1; }
    awk -F, 'NR > 1 { m[NR - 1] = $4 } END {
      printf "no-op pull (image present, %s store), hyperfine median of 10: berth pull %.3f s, berth images %.3f s:",
        "'"$1"'", m[1], m[2];
      printf " %.2fx;  podman pull %.3f s, podman images %.3f s: %.2fx\n", m[1] / m[2], m[3], m[4], m[3] / m[4] }' \
      "$s/noop.csv"
    if [ -n "$base" ]; then
      hyperfine -N -w 2 -r 10 --export-csv "$s/noop-base.csv" "$base --root $k/base pull $ref" \
        "$base --root $k/base images" >/dev/null 2>&1 || { echo "hyperfine of the base's no-op pulls failed" >&2; exit 1; }
      awk -F, 'NR > 1 { m[NR - 1] = $4 } END {
        printf "  berth (base): pull %.3f s, images %.3f s: %.2fx\n", m[1], m[2], m[1] / m[2] }' "$s/noop-base.csv"
    fi
  fi
  # This shape's files go now: the next shape's pulls should not share the page cache with them.
  unmount_under "$s"
  rm -rf "$s"
done
