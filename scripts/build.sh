#!/bin/sh
# Builds every module, then assembles build/: a jlink runtime, the jars, the JNI library, and an AOT cache trained on
# real berth-runc commands (DESIGN.md "Startup budget"). The launchers in bin/ run from build/.
# Usage: scripts/build.sh [extra maven args]   (tests are skipped unless you pass e.g. -DskipTests=false)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/env.sh"
cd "$top"
# The commit berth-runc --version prints (BuildInfo); "-dirty" when the tree has changes.
commit=$(git -C "$top" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
mvn -B -q install -DskipTests -Dberth.commit="$commit" "$@"
out="$top/build"
rm -rf "$out.tmp" && mkdir -p "$out.tmp/lib" "$out.tmp/lib-image" "$out.tmp/all" "$out.tmp/native" "$out.tmp/training"
# berth-runc's classpath (lib) holds only what the runtime needs; berth adds the image stack (lib-image). Every jar
# and module on a JVM's path costs start time, and berth-runc's verbs run several times per container.
mvn -B -q -pl berth-runtime dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out.tmp/lib"
cp berth-runtime/target/berth-runtime-*.jar berth-cli/target/berth-cli-*.jar "$out.tmp/lib/"
mvn -B -q -pl berth-cli dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out.tmp/all"
mvn -B -q -pl berth-engine dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out.tmp/engine"
cp berth-engine/target/berth-engine-*.jar "$out.tmp/engine/"
# berth's jars are the engine's (lib-image); everything else berth-cli pulls in is berthd's own (berth-api, netty, grpc,
# protobuf, guava: lib-daemon), on neither CLI's class path.
mkdir -p "$out.tmp/lib-daemon"
for j in "$out.tmp"/all/*.jar; do
  n=${j##*/}
  if [ -e "$out.tmp/lib/$n" ]; then continue
  elif [ -e "$out.tmp/engine/$n" ]; then mv "$j" "$out.tmp/lib-image/"
  else mv "$j" "$out.tmp/lib-daemon/"
  fi
done
rm -rf "$out.tmp/all" "$out.tmp/engine"
# The AOT training mains (scripts/train-aot.sh), on the training run's class path only.
cp berth-aot-training/target/berth-aot-training-*.jar "$out.tmp/training/"
cp berth-sys/target/classes/dev/berth/sys/libberthsys.so berth-runtime/target/classes/dev/berth/runtime/berth-init \
  "$out.tmp/native/"
cp berth-runtime/target/classes/dev/berth/runtime/berth-monitor "$out.tmp/native/"
# Two runtimes for the same reason: java.net.http (registries) is berth's alone.
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported --strip-debug --no-header-files --no-man-pages \
  --output "$out.tmp/runtime"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.net.http,jdk.unsupported --strip-debug --no-header-files \
  --no-man-pages --output "$out.tmp/runtime-berth"
# berthd's: netty logs through java.logging when no other logging library is there.
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.net.http,java.logging,jdk.unsupported --strip-debug \
  --no-header-files --no-man-pages --output "$out.tmp/runtime-berthd"
rm -rf "$out" && mv "$out.tmp" "$out"
# Train the AOT cache on real commands; a stale cache is silently ignored by the JVM, so this runs on every build.
sh "$top/scripts/train-aot.sh"
