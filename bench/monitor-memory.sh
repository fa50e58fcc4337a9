#!/bin/sh
# Memory of the per-container monitor: N idle containers (busybox `sleep 1000`, created and started by runc on one
# busybox bundle) under berth-monitor, then under conmon (as CRI-O runs it: `conmon -r runc`, a k8s-file log), and the
# PSS of each monitor process (/proc/PID/smaps_rollup). berth-monitor is measured twice: run from a sealed memfd copy
# (as dev.berth.runtime.monitor.Monitor runs it: one private copy of the binary per monitor) and from the file.
# Prints a side-by-side table; no assertions.
# Usage: bench/monitor-memory.sh [containers]   (needs root, runc, conmon, busybox, a built berth-runtime)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
monitor="$top/build/native/berth-monitor"
[ -x "$monitor" ] || monitor="$top/berth-runtime/target/classes/dev/berth/runtime/berth-monitor"
[ -x "$monitor" ] || { echo "no berth-monitor: run scripts/build.sh (or mvn -pl berth-runtime compile) first" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-monitor-bench.XXXXXX)
cleanup() {
  for id in $(runc --root "$work/runc" list -q 2>/dev/null); do runc --root "$work/runc" delete -f "$id" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bundle/rootfs/bin" "$work/logs" "$work/exits"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/sleep"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s|"sh"$|"sleep", "1000"|' config.json)

python3 - "$n" "$work" "$monitor" <<'PY'
import os, socket, subprocess, sys, time
n, work, monitor = int(sys.argv[1]), sys.argv[2], sys.argv[3]
runc = ["runc", "--root", work + "/runc"]
binary = open(monitor, "rb").read()
# fd 3 stays taken here: it is where the monitor's control socket goes in the child (dup2 in preexec).
while os.open("/dev/null", os.O_RDONLY) < 3:
    pass

def pss(pid):
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise SystemExit(f"no Pss for {pid}")

def berth(i, memfd):
    cid = f"bm{'m' if memfd else 'f'}{i}"
    ctl, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fds, path = {3: child.fileno()}, monitor
    if memfd:
        exe = os.memfd_create("berth-monitor", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.write(exe, binary)
        path = f"/proc/self/fd/{exe}"
    pidfile = f"{work}/{cid}.pid"
    argv = ["berth-monitor", "--id", cid, "--log", f"{work}/logs/{cid}.log", "--exit-file", f"{work}/exits/{cid}",
            "--attach", f"{work}/{cid}.attach", "--", "/usr/sbin/runc", *runc[1:], "create", "--bundle",
            work + "/bundle", "--pid-file", pidfile, cid]
    def to3():
        os.dup2(fds[3], 3)
    p = subprocess.Popen(argv, executable=path, preexec_fn=to3, start_new_session=True, close_fds=True,
                         pass_fds=(3, fds[3]) + ((exe,) if memfd else ()), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.wait()
    child.close()
    if memfd:
        os.close(exe)
    ready = ctl.recv(256).decode().split()
    assert ready[0] == "READY", ready
    while True:
        m = ctl.recv(256).decode()
        if m.startswith("CHILD"):
            assert m.split()[2] == "0", m
            break
    ctl.send(f"CONTAINER {open(pidfile).read().strip()}".encode())
    assert ctl.recv(256) == b"OK"
    ctl.close()
    subprocess.run(runc + ["start", cid], check=True)
    return int(ready[1])

def conmon(i):
    cid = f"cm{i}"
    pidfile = f"{work}/{cid}.conmon.pid"
    subprocess.run(["conmon", "--api-version", "1", "-c", cid, "-u", cid, "-n", cid, "-r", "/usr/sbin/runc",
                    "--runtime-arg", "--root", "--runtime-arg", work + "/runc", "-b", work + "/bundle",
                    "-p", f"{work}/{cid}.pid", "-P", pidfile, "-l", f"k8s-file:{work}/logs/{cid}.log",
                    "--exit-dir", work + "/exits", "--socket-dir-path", work, "--log-level", "error"],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Without a sync pipe conmon returns before runc create has: its pid file says when the container exists.
    for _ in range(1000):
        if os.path.exists(f"{work}/{cid}.pid") and os.path.getsize(f"{work}/{cid}.pid") > 0:
            break
        time.sleep(0.01)
    subprocess.run(runc + ["start", cid], check=True)
    return int(open(pidfile).read().strip())

kinds = [("berth-monitor (memfd)", lambda i: berth(i, True)), ("berth-monitor (file)", lambda i: berth(i, False)),
         ("conmon " + subprocess.run(["conmon", "--version"], capture_output=True, text=True).stdout.split()[2], conmon)]
pids = {name: [start(i) for i in range(n)] for name, start in kinds}
time.sleep(1)  # idle: every container asleep, every monitor in poll
rows = []
for name, _ in kinds:
    v = [pss(p) for p in pids[name]]
    rss = [int(l.split()[1]) for p in pids[name] for l in open(f"/proc/{p}/status") if l.startswith("VmRSS:")]
    rows.append((name, sum(v) / len(v), min(v), max(v), sum(rss) / len(rss)))
print(f"{n} idle busybox `sleep 1000` containers each, created and started by {subprocess.run(['runc', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
print(f"{'monitor':24} {'PSS mean':>10} {'min':>8} {'max':>8} {'RSS mean':>10}   (KiB per monitor process)")
for name, mean, lo, hi, rss in rows:
    print(f"{name:24} {mean:10.0f} {lo:8} {hi:8} {rss:10.0f}")
base = rows[-1][1]
for name, mean, *_ in rows[:-1]:
    print(f"{name}: {mean / base:.2f}x conmon's PSS")
PY
