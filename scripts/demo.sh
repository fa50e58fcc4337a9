#!/bin/sh
# The main job end to end: build berth, make an OCI bundle from Debian's busybox-static, and run a container with
# berth-runc that prints from inside its own namespaces.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/install-deps.sh" maven gcc make libc6-dev busybox-static
sh "$top/scripts/build.sh"
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in sh echo cat hostname id ps grep head ls; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
cd "$work/bundle"
"$top/bin/berth-runc" spec
# Not interactive; print from inside the container.
sed -i 's/"terminal": true/"terminal": false/; s|"sh"$|"sh", "-c", "echo hello from a berth container; echo hostname: $(hostname); id; ps"|' config.json
"$top/bin/berth-runc" --root "$work/state" run berth-demo
