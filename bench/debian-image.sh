#!/bin/sh
# The "debian" image of bench/pull.sh, as an OCI layout: layers cut from this machine's own Debian files, shaped like
# the layers of real images (what compresses like them, many small files like them):
#   libs   shared libraries (usr/lib/x86_64-linux-gnu), the first LIB_MB MB of regular files in name order
#   bins   executables (usr/bin, usr/sbin), the first BIN_MB MB
#   text   Python, Perl, Vim and CMake sources, locale definitions (usr/lib/python3.11, usr/share/{perl,perl5,vim,
#          cmake-*,i18n}): text and byte code
#   small  many small files: every file of at most 16 KiB under usr/share/{doc,icons,locale} and usr/lib/python3
# Directories and symlinks come along with their files, hard links stay hard links, owners are numeric (root), mtimes
# are the files' own. Each layer is a GNU tar compressed with `gzip -n` (default level, as registries serve docker's
# layers) or, with COMPRESSION=zstd, `zstd -3`. The same machine gives the same digests.
# With ONE_LAYER=1 the four are one layer, in that order: the shape of a base image (debian, ubuntu), and of the layer
# that is most of many images.
# Usage: bench/debian-image.sh <layout-dir>   (env LIB_MB=200 BIN_MB=120 COMPRESSION=gzip ONE_LAYER=)
set -eu
out=$1
lib_mb=${LIB_MB:-200} bin_mb=${BIN_MB:-120} compression=${COMPRESSION:-gzip}
case $compression in
  gzip) mt=application/vnd.oci.image.layer.v1.tar+gzip compress='gzip -n -c' ;;
  zstd) mt=application/vnd.oci.image.layer.v1.tar+zstd compress='zstd -q -3 -c' ;;
  *) echo "COMPRESSION must be gzip or zstd, not $compression" >&2; exit 2 ;;
esac
mkdir -p "$out/blobs/sha256"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# list BUDGET_MB FIND_ARGS...: the entries under / (paths relative to it) in name order, parents before children,
# stopping before the regular file that would pass BUDGET_MB (0: no budget). Files over 32 MB (libLLVM, node) are left
# out: one of them would be most of a budget. Hard links count once.
list() {
  budget=$1
  shift
  (cd / && find "$@" -printf '%y\t%s\t%i\t%p\n') | LC_ALL=C sort -t "$(printf '\t')" -k4,4 |
    awk -F '\t' -v max=$((budget * 1048576)) '
      $1 == "f" && $2 > 32 * 1048576 { next }
      $1 == "f" && !seen[$3]++ { if (max > 0 && sum + $2 > max) exit; sum += $2 }
      { print $4 }'
}

# layer NAME: tars the list in $tmp/NAME.list, writes the compressed blob, appends "blob-digest size diff-id" to
# $tmp/layers.
layer() {
  tar --no-recursion --numeric-owner -C / -cf "$tmp/$1.tar" -T "$tmp/$1.list"
  diff=$(sha256sum <"$tmp/$1.tar" | cut -d' ' -f1)
  $compress "$tmp/$1.tar" >"$tmp/$1.blob"
  rm "$tmp/$1.tar"
  d=$(sha256sum <"$tmp/$1.blob" | cut -d' ' -f1)
  size=$(stat -c %s "$tmp/$1.blob")
  mv "$tmp/$1.blob" "$out/blobs/sha256/$d"
  echo "$d $size $diff $1 $(wc -l <"$tmp/$1.list")" >>"$tmp/layers"
}

: >"$tmp/layers"
list "$lib_mb" usr/lib/x86_64-linux-gnu \( -type d -o -type f -o -type l \) >"$tmp/libs.list"
list "$bin_mb" usr/bin usr/sbin \( -type d -o -type f -o -type l \) >"$tmp/bins.list"
list 0 usr/lib/python3.11 usr/share/perl usr/share/perl5 usr/share/vim $(cd / && echo usr/share/cmake-*) usr/share/i18n \
  \( -type d -o -type f -o -type l \) >"$tmp/text.list"
list 0 usr/share/doc usr/share/icons usr/share/locale usr/lib/python3 \
  \( -type d -o -type l -o \( -type f -size -17k \) \) >"$tmp/small.list"
if [ -n "${ONE_LAYER:-}" ]; then
  cat "$tmp/libs.list" "$tmp/bins.list" "$tmp/text.list" "$tmp/small.list" >"$tmp/all.list"
  layer all
else
  for l in libs bins text small; do layer $l; done
fi

blob() { # blob FILE: moves FILE into the layout under its digest, prints "digest size"
  d=$(sha256sum <"$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$out/blobs/sha256/$d"
  echo "$d $s"
}
diff_ids=$(awk '{ printf "%s\"sha256:%s\"", (NR > 1 ? "," : ""), $3 }' "$tmp/layers")
history=$(awk '{ printf "%s{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"bench/debian-image.sh %s\"}",
  (NR > 1 ? "," : ""), $4 }' "$tmp/layers")
printf '{"created":"2024-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},%s' \
  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diff_ids]},\"history\":[$history]}" >"$tmp/config"
set -- $(blob "$tmp/config")
descs=$(awk -v mt="$mt" '{ printf "%s{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%s}",
  (NR > 1 ? "," : ""), mt, $1, $2 }' "$tmp/layers")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
  "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$1\",\"size\":$2}" \
  "$descs" >"$tmp/manifest"
set -- $(blob "$tmp/manifest")
printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%s' \
  "\"sha256:$1\",\"size\":$2,\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}" >"$out/index.json"
# What each layer holds, for the caller's report: name, entries, compressed MB.
awk '{ printf "%s %s entries %.0f MB; ", $4, $5, $2 / 1048576 }' "$tmp/layers" >&2
echo >&2
