#!/bin/sh
# Builds every module, then assembles build/: a jlink runtime, the jars, the JNI library, and an AOT cache trained on
# real berth-runc commands (DESIGN.md "Startup budget"). The launchers in bin/ run from build/.
# Usage: scripts/build.sh [extra maven args]   (tests are skipped unless you pass e.g. -DskipTests=false)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/env.sh"
cd "$top"
mvn -B -q install -DskipTests "$@"
out="$top/build"
rm -rf "$out.tmp" && mkdir -p "$out.tmp/lib" "$out.tmp/native"
mvn -B -q -pl berth-cli dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out.tmp/lib"
cp berth-cli/target/berth-cli-*.jar "$out.tmp/lib/"
cp berth-sys/target/classes/dev/berth/sys/libberthsys.so berth-runtime/target/classes/dev/berth/runtime/berth-init \
  "$out.tmp/native/"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.net.http,jdk.unsupported --strip-debug --no-header-files --no-man-pages \
  --output "$out.tmp/runtime"
rm -rf "$out" && mv "$out.tmp" "$out"
# Train the AOT cache on real commands; a stale cache is silently ignored by the JVM, so this runs on every build.
sh "$top/scripts/train-aot.sh"
