#!/bin/sh
# Installs what the build, the demo and the tests need, from Debian's packages. Idempotent.
set -eu
need=""
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
