# docker-py (Debian's python3-docker) against the daemon DOCKER_HOST names: what a user's script does
# with containers, exec, archives, logs, events, volumes, networks and a registry (REGISTRY).
# Prints one "ok <check>" line per check; a failed check raises with what it got.
import io
import os
import tarfile
import threading
import time

import docker

IMAGE = "localhost/busybox:latest"
c = docker.from_env(timeout=60)
since = int(time.time()) - 1


def check(name, got, want):
    if got != want:
        raise AssertionError(f"{name}: got {got!r}, want {want!r}")
    print("ok", name, flush=True)


# Foreground runs return the output: docker-py reads it only from a log driver it knows.
check("run", c.containers.run(IMAGE, ["sh", "-c", "echo out; echo err >&2"], remove=True), b"out\n")
check("run stderr", c.containers.run(IMAGE, ["sh", "-c", "echo err >&2"], remove=True,
                                      stdout=False, stderr=True), b"err\n")
check("run stream", b"".join(c.containers.run(IMAGE, ["sh", "-c", "echo 1; echo 2"],
                                              stream=True, remove=True)), b"1\n2\n")
try:
    c.containers.run(IMAGE, ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
    raise AssertionError("run exit 3: no ContainerError")
except docker.errors.ContainerError as e:
    check("run failed", (e.exit_status, e.stderr), (3, b"bad\n"))

# A named volume as docker-py passes it: in Binds and in Config.Volumes.
v = c.volumes.create("pyvol", labels={"k": "v"})
check("volume", (v.attrs["Driver"], v.attrs["Labels"]), ("local", {"k": "v"}))
check("run with a named volume",
      c.containers.run(IMAGE, ["sh", "-c", "echo kept > /v/f; cat /v/f"], remove=True,
                       volumes={"pyvol": {"bind": "/v", "mode": "rw"}}), b"kept\n")
check("volume list", [x.name for x in c.volumes.list(filters={"label": "k=v"})], ["pyvol"])
v.remove()

ct = c.containers.run(IMAGE, ["sleep", "300"], detach=True, name="pyd", labels={"a": "b"},
                      network_mode="none")
check("list by label", [x.name for x in c.containers.list(filters={"label": "a=b"})], ["pyd"])
r = ct.exec_run(["sh", "-c", "echo o; echo e >&2; exit 4"], demux=True)
check("exec demux", (r.exit_code, r.output), (4, (b"o\n", b"e\n")))
r = ct.exec_run(["sh", "-c", "echo a; echo b >&2"], stream=True, demux=True)
check("exec stream demux", sorted(r.output, key=lambda p: p[0] is None), [(b"a\n", None), (None, b"b\n")])
r = ct.exec_run(["sh", "-c", "echo t"], tty=True)
check("exec tty", (r.exit_code, r.output), (0, b"t\r\n"))
r = ct.exec_run("id -u", user="nobody", workdir="/tmp", environment={"Y": "2"})
check("exec user", (r.exit_code, r.output), (0, b"65534\n"))

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"payload\n"
    ti = tarfile.TarInfo("dir/f.txt")
    ti.size = len(data)
    ti.mode = 0o640
    t.addfile(ti, io.BytesIO(data))
check("put_archive", ct.put_archive("/tmp", buf.getvalue()), True)
try:
    ct.put_archive("/nope/x", buf.getvalue())
    raise AssertionError("put_archive to a missing directory: no error")
except docker.errors.NotFound:
    print("ok put_archive missing", flush=True)
stream, stat = ct.get_archive("/tmp/dir")
with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as t:
    check("get_archive", (t.extractfile("dir/f.txt").read(), t.getmember("dir/f.txt").mode & 0o777),
          (b"payload\n", 0o640))
check("get_archive stat", (stat["name"], stat["mode"] & 0o777), ("dir", 0o755))
s = ct.stats(stream=False)
check("stats", all(k in s for k in ("cpu_stats", "memory_stats", "pids_stats", "read")), True)
check("top", "PID" in ct.top()["Titles"], True)
ct.restart(timeout=1)
ct.reload()
check("restarted", ct.status, "running")
ct.kill()
check("wait", ct.wait(timeout=30), {"Error": None, "StatusCode": 137})
ct.remove()

ct = c.containers.run(IMAGE, ["sh", "-c", "echo first; sleep 2; echo second"], detach=True,
                      network_mode="none")
follow = ct.logs(stream=True, follow=True)
check("logs follow, live", next(follow), b"first\n")
check("logs follow, to the end", b"".join(follow), b"second\n")
ct.remove()

ct = c.containers.create(IMAGE, ["sh", "-c", "read x; echo got $x"], stdin_open=True,
                         network_mode="none")
sock = ct.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
ct.start()
sock._sock.sendall(b"hello\n")
got = b""
while True:
    d = sock._sock.recv(4096)
    if not d:
        break
    got += d
sock.close()
check("attach socket", got, b"\x01\x00\x00\x00\x00\x00\x00\x0agot hello\n")
check("wait exited", ct.wait(timeout=30)["StatusCode"], 0)
ct.remove()

# Live events reach a listener as they happen (a stream flushed per event).
seen = []
events = c.events(decode=True, filters={"type": "container", "event": "start"})
reader = threading.Thread(target=lambda: seen.extend(e["Actor"]["Attributes"]["name"]
                                                     for e in events if not seen), daemon=True)
reader.start()
time.sleep(0.5)
ct = c.containers.run(IMAGE, ["true"], detach=True, name="pyev", network_mode="none")
reader.join(20)
events.close()
check("live event", seen[:1], ["pyev"])
ct.wait(timeout=30)
ct.remove()
until = int(time.time()) + 1
past = c.events(since=since, until=until, decode=True,
                filters={"container": "pyd", "event": ["create", "die", "restart", "destroy"]})
check("past events", [e["Action"] for e in past], ["create", "die", "restart", "die", "destroy"])

# A user network with an alias, connected after create.
n = c.networks.create("pynet", driver="bridge", labels={"p": "q"})
check("network", (n.attrs["Driver"], n.attrs["Labels"], n.attrs["Options"]), ("bridge", {"p": "q"}, {}))
srv = c.containers.run(IMAGE, ["httpd", "-f", "-p", "80"], detach=True, name="pysrv", network="pynet")
cl = c.containers.create(IMAGE, ["sh", "-c", "nslookup web >/dev/null && echo resolved"],
                         network="pynet")
n2 = c.networks.create("pynet2")
n2.connect(srv, aliases=["web"])
n2.connect(cl)
cl.start()
check("alias on a connected network", (cl.wait(timeout=30)["StatusCode"], cl.logs()), (0, b"resolved\n"))
cl.remove()
srv.remove(force=True)
n.remove()
n2.remove()

# A pull from a local registry (REGISTRY), after a push there.
ref = os.environ["REGISTRY"] + "/py/bb"
c.images.get(IMAGE).tag(ref, "1")
statuses = [l.get("status") for l in c.images.push(ref, "1", stream=True, decode=True)]
check("push", any(s and s.startswith("1: digest: sha256:") for s in statuses), True)
c.images.remove(ref + ":1")
check("pull", c.images.pull(ref, tag="1").tags, [ref + ":1", IMAGE])
c.images.remove(ref + ":1")
try:
    c.images.pull(os.environ["REGISTRY"] + "/py/none", tag="1")
    raise AssertionError("pull of a missing image: no error")
except docker.errors.NotFound:
    print("ok pull missing", flush=True)

check("left containers", c.containers.list(all=True), [])
check("left volumes", c.volumes.list(), [])
