#!/bin/sh
# The engine's container store on a cold CLI start (DESIGN.md "Startup budget"; why files and not SQLite: the
# package doc of dev.berth.engine.store). Times, with hyperfine, a JVM that does nothing (the floor), open + list of
# 100 containers (`ps -a`), open + create of one, and both; each JVM as the launchers run it (SerialGC, C1, an AOT
# cache trained on the same work). Prints each and its cost over the floor. Not asserted anywhere.
# Usage: bench/engine-store.sh [runs]   (needs hyperfine, JDK 25, and the modules compiled:
#   mvn -o -q -pl berth-engine -am compile)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-30}
. "$top/scripts/env.sh"
work=$(mktemp -d /tmp/berth-store-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Jars, as the launchers run them (an AOT cache takes no class directories), and the JNI library from a directory.
cp=
for m in berth-engine berth-image berth-spec berth-sys; do
  jar cf "$work/$m.jar" -C "$top/$m/target/classes" .
  cp="$cp${cp:+:}$work/$m.jar"
done
mkdir "$work/bench" "$work/native"
cp "$top/berth-sys/target/classes/dev/berth/sys/libberthsys.so" "$work/native/"
javac -d "$work/bench" -cp "$cp" "$top/bench/EngineStoreBench.java"
jar cf "$work/bench.jar" -C "$work/bench" .
cp="$work/bench.jar:$cp"
opts="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss512k"
opts="$opts -Dberth.native.dir=$work/native"
java_() { java $opts "$@"; }
main=EngineStoreBench

# Train the AOT cache on the work it will do (on its own store), as scripts/build.sh trains the CLIs'.
java_ -cp "$cp" $main populate "$work/train" 100
java_ -XX:AOTCacheOutput="$work/store.aot" -cp "$cp" $main all "$work/train" >/dev/null
run="java -XX:AOTCache=$work/store.aot $opts -cp $cp $main"

java_ -cp "$cp" $main populate "$work/list" 100
java_ -cp "$cp" $main populate "$work/create" 100
java_ -cp "$cp" $main populate "$work/all" 100

echo "container store on $(df -T "$work" | awk 'NR==2 {print $2}') ($work), $runs runs each, cold JVMs with an AOT cache"
hyperfine -N -w 3 -r "$runs" --export-json "$work/r.json" \
  -n floor "$run floor" \
  -n "open+list(100)" "$run list $work/list" \
  -n "open+create" "$run create $work/create" \
  -n "open+list+create" "$run all $work/all" >/dev/null
python3 - "$work/r.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
floor = rs[0]["median"]
for r in rs:
    print(f"{r['command']:18} median {r['median']*1e3:6.1f} ms  mean {r['mean']*1e3:6.1f} ± {r['stddev']*1e3:4.1f} ms"
          f"   over the floor: {(r['median'] - floor)*1e3:+5.1f} ms")
PY
echo "store size: $(du -sh "$work/list" | cut -f1) for 100 containers ($(du -s --apparent-size -B1 "$work/list/containers" | cut -f1) bytes of records)"
