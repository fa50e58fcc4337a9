#!/bin/sh
# Installs what the tests need (Debian packages), builds everything, and runs the whole suite: unit, integration
# (root: namespaces, mounts, cgroups) and interop (runc) tests. CI runs exactly this (.ci/run).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/install-deps.sh" maven gcc make libc6-dev libisal-dev libssl-dev busybox-static curl runc criu hyperfine uidmap iproute2 iptables containernetworking-plugins procps conmon podman containerd skopeo umoci docker-registry apache2-utils openssl docker-compose python3-docker tini
# kubectl drives the CRI streaming server with client-go's own code; Debian's (1.20, SPDY only) when none is here.
command -v kubectl >/dev/null || sh "$top/scripts/install-deps.sh" kubernetes-client
. "$top/scripts/env.sh"
cd "$top"
sh scripts/build.sh
root=false; [ "$(id -u)" = 0 ] && root=true
mvn -B test -Dtest.root=$root "$@"
