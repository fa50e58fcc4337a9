#!/bin/sh
# The main job end to end: build berth, make an image from Debian's busybox-static (berth import of a root
# filesystem tarball), run a container from it with berth (the engine: docker's defaults, under its monitor), then
# mount the image read-only (berth image mount) and run a bundle on it with berth-runc. No registry is needed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/install-deps.sh" maven gcc make libc6-dev libisal-dev libssl-dev busybox-static curl
sh "$top/scripts/build.sh"
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
berth="$top/bin/berth --root $work/store --runroot $work/run"
cleanup() {
  $berth rm -f demo >/dev/null 2>&1 || true
  $berth image unmount localhost/busybox:demo >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# The image: busybox and its applets, plus the directories a container's mounts need.
mkdir -p "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh echo cat hostname id ps grep head ls; do ln -s busybox "$work/rootfs/bin/$a"; done
tar -C "$work/rootfs" -czf "$work/busybox.tar.gz" .
$berth import "$work/busybox.tar.gz" localhost/busybox:demo
$berth images
$berth run --rm --network none --name demo localhost/busybox:demo sh -c 'echo hello from berth run; echo hostname: $(hostname); id'
rootfs=$($berth image mount localhost/busybox:demo)
mkdir -p "$work/bundle"
cd "$work/bundle"
"$top/bin/berth-runc" spec
# Not interactive; the image's root filesystem, read-only; print from inside the container.
sed -i 's/"terminal": true/"terminal": false/; s|"path": "rootfs"|"path": "'"$rootfs"'"|; s|"readonly": false|"readonly": true|' config.json
sed -i 's|"sh"$|"sh", "-c", "echo hello from a berth container; echo hostname: $(hostname); id; ps"|' config.json
"$top/bin/berth-runc" --root "$work/state" run berth-demo
