#!/bin/sh
# The engine's container store on a cold CLI start (DESIGN.md "Startup budget"; why files and not SQLite: the
# package doc of dev.berth.engine.store). Times a JVM that does nothing (the floor), open + list of
# 100 containers (`ps -a`), open + create of one, and both; each JVM as the launchers run it (SerialGC, C1, an AOT
# cache trained on the same work). Prints each and its cost over the floor. Not asserted anywhere.
# Usage: bench/engine-store.sh [rounds]   (needs python3, JDK 25, and the modules compiled:
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

echo "container store on $(df -T "$work" | awk 'NR==2 {print $2}') ($work), $runs rounds, cold JVMs with an AOT cache"
# Round-robin (each round runs every variant once), not hyperfine's one-variant-after-the-other: on a shared machine
# load comes and goes, and it must fall on all variants alike for the differences to the floor to mean anything.
python3 - "$runs" "$run" "$work" <<'PY'
import statistics, subprocess, sys, time
runs, run, work = int(sys.argv[1]), sys.argv[2].split(), sys.argv[3]
variants = [("floor", ["floor"]), ("open+list(100)", ["list", work + "/list"]),
            ("open+create", ["create", work + "/create"]), ("open+list+create", ["all", work + "/all"])]
times = {n: [] for n, _ in variants}
for i in range(runs + 3):
    for n, args in variants:
        t = time.perf_counter()
        subprocess.run(run + args, check=True, stdout=subprocess.DEVNULL)
        if i >= 3:  # warm-up rounds: page cache, CPU frequency
            times[n].append(time.perf_counter() - t)
floor = statistics.median(times["floor"])
for n, _ in variants:
    m = statistics.median(times[n])
    q = statistics.quantiles(times[n], n=4)
    print(f"{n:18} median {m*1e3:6.1f} ms (quartiles {q[0]*1e3:.1f}-{q[2]*1e3:.1f})   over the floor: {(m - floor)*1e3:+5.1f} ms")
PY
echo "store size: $(du -sh "$work/list" | cut -f1) for 100 containers ($(du -s --apparent-size -B1 "$work/list/containers" | cut -f1) bytes of records)"
