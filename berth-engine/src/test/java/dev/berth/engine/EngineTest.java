package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine end to end on the real kernel: containers from a busybox image imported into a
 * temporary store, run under their monitors by berth's in-process runtime; what users rely on:
 * output in the logs, exit codes kept after the engine lets go, stop, removal that leaves nothing,
 * docker's errors for bad input, and a store that survives its monitors and run root being wiped (a
 * reboot).
 */
@RequiresRoot
class EngineTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    root = tmp.resolve("root");
    runRoot = tmp.resolve("run");
    engine = Engine.open(EngineConfig.at(root, runRoot));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
  }

  static ContainerOptions.Builder opts(String... command) {
    return new ContainerOptions.Builder(IMAGE).command(List.of(command));
  }

  static List<String> mountsUnder(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String target = line.split(" ")[4];
      if (target.startsWith(dir.toString())) out.add(target);
    }
    return out;
  }

  String logText(ContainerRecord r) throws IOException {
    StringBuilder b = new StringBuilder();
    for (CriLog.Entry e : CriLog.read(engine.layout(r.id()).log(), null, -1)) {
      b.append(e.stream()).append(':').append(new String(e.text(), StandardCharsets.UTF_8));
      if (!e.partial()) b.append('\n');
    }
    return b.toString();
  }

  /** Waits (up to 10 s) until the container's log reads {@code text}: its process got that far. */
  void awaitLog(ContainerRecord r, String text) throws Exception {
    for (int i = 0; i < 200 && !logText(r).equals(text); i++) TimeUnit.MILLISECONDS.sleep(50);
    assertEquals(text, logText(r));
  }

  @Test
  void runsACommandAndKeepsItsOutputAndExitCode() throws Exception {
    ContainerRecord r = engine.create(opts("sh", "-c", "echo out; echo err >&2; exit 3").build());
    assertEquals(Status.CREATED, r.state().status());
    assertEquals(List.of(), mountsUnder(runRoot), "a created container holds no mount");
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(3, engine.await(r.id()));
    ContainerRecord done = engine.inspect(r.id());
    assertEquals(Status.EXITED, done.state().status());
    assertEquals(3, done.state().exitCode());
    assertEquals("STDOUT:out\nSTDERR:err\n", logText(done));
    assertEquals(List.of(), mountsUnder(runRoot), "an exited container's rootfs is unmounted");
    assertEquals(
        List.of("sh", "-c", "echo out; echo err >&2; exit 3"), ContainerViews.command(done));
  }

  @Test
  void aRestartPolicyRestartsAContainerThatExitedByItselfAndNotOneItsUserStopped()
      throws Exception {
    ContainerRecord r =
        engine.create(
            opts("sh", "-c", "echo run; exit 3")
                .host(
                    dev.berth.engine.container.HostOptions.NONE.withRestartPolicy(
                        dev.berth.engine.container.RestartPolicy.parse("on-failure:2")))
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(3, engine.await(r.id()));
    // Twice (its maximum), then no more; each restart counted, with docker's backoff between.
    assertTrue(engine.restartByPolicy(r.id()));
    assertEquals(3, engine.await(r.id()));
    assertTrue(engine.restartByPolicy(r.id()));
    assertEquals(3, engine.await(r.id()));
    assertFalse(engine.restartByPolicy(r.id()), "at its maximum retry count");
    assertEquals(2, engine.inspect(r.id()).state().restartCount());
    assertEquals("STDOUT:run\nSTDOUT:run\nSTDOUT:run\n", logText(engine.inspect(r.id())));
    // A start by its user counts from 0 again.
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.inspect(r.id()).state().restartCount());
    engine.await(r.id());

    ContainerRecord always =
        engine.create(
            opts("sleep", "100")
                .host(
                    dev.berth.engine.container.HostOptions.NONE.withRestartPolicy(
                        dev.berth.engine.container.RestartPolicy.parse("always")))
                .build());
    engine.start(always.id(), Engine.StartListener.NONE);
    engine.stop(always.id(), 0);
    assertFalse(engine.restartByPolicy(always.id()), "stopped by its user");
    // At an engine's start (berthd's), as at dockerd's: "always" comes back, "unless-stopped"
    // stopped by its user does not.
    ContainerRecord unless =
        engine.create(
            opts("sleep", "100")
                .host(
                    dev.berth.engine.container.HostOptions.NONE.withRestartPolicy(
                        dev.berth.engine.container.RestartPolicy.parse("unless-stopped")))
                .build());
    engine.start(unless.id(), Engine.StartListener.NONE);
    engine.stop(unless.id(), 0);
    assertEquals(List.of(always.id()), engine.startByPolicy(m -> {}));
    engine.stop(always.id(), 0);

    int before = engine.list().size();
    BerthException both =
        assertThrows(
            BerthException.class,
            () ->
                engine.create(
                    opts("true")
                        .autoRemove(true)
                        .host(
                            dev.berth.engine.container.HostOptions.NONE.withRestartPolicy(
                                dev.berth.engine.container.RestartPolicy.parse("always")))
                        .build()));
    assertEquals("Conflicting options: --restart and --rm", both.getMessage());
    assertEquals(before, engine.list().size(), "the refused create left no container");
    assertThrows(
        BerthException.class, () -> dev.berth.engine.container.RestartPolicy.parse("sometimes"));
    assertThrows(
        BerthException.class, () -> dev.berth.engine.container.RestartPolicy.parse("always:3"));
  }

  @Test
  void aContainerWithoutANetworkHasItsLoopbackUp() throws Exception {
    // docker's --network none: only lo, and up (flags 0x9: IFF_UP | IFF_LOOPBACK), so 127.0.0.1
    // works.
    ContainerRecord r =
        engine.create(
            opts("sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags")
                .network("none")
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    assertEquals("STDOUT:lo\nSTDOUT:0x9\n", logText(engine.inspect(r.id())));
  }

  @Test
  void theExitIsRecordedWhenNoEngineWatches() throws Exception {
    ContainerRecord r = engine.create(opts("sh", "-c", "sleep 1; exit 7").build());
    engine.start(r.id(), Engine.StartListener.NONE);
    engine.close();
    TimeUnit.MILLISECONDS.sleep(1500);
    engine = Engine.open(EngineConfig.at(root, runRoot));
    assertEquals(7, engine.await(r.id()));
  }

  @Test
  void stopSendsTheStopSignalThenKills() throws Exception {
    ContainerRecord term =
        engine.create(
            opts("sh", "-c", "trap 'exit 5' TERM; echo ready; while true; do sleep 0.1; done")
                .build());
    engine.start(term.id(), Engine.StartListener.NONE);
    awaitLog(term, "STDOUT:ready\n");
    assertEquals(Status.RUNNING, engine.inspect(term.id()).state().status());
    assertEquals(
        5, engine.stop(term.id(), 10).state().exitCode(), "the stop signal reached its handler");
    // PID 1 of a pid namespace does not die of a signal it has no handler for: killed after the
    // timeout, as docker.
    ContainerRecord stubborn = engine.create(opts("sleep", "100").build());
    engine.start(stubborn.id(), Engine.StartListener.NONE);
    assertEquals(137, engine.stop(stubborn.id(), 1).state().exitCode());
  }

  @Test
  void noHostUserReachesARunningContainersRootfs() throws Exception {
    // Only the engine's own directories may keep a host user out: the temporary directory above
    // them is open.
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ContainerRecord r = engine.create(opts("sleep", "100").build());
    engine.start(r.id(), Engine.StartListener.NONE);
    Path rootfs = engine.layout(r.id()).rootfs();
    assertTrue(Files.isRegularFile(rootfs.resolve("bin/busybox")));
    for (Path p : List.of(rootfs.resolve("bin/busybox"), engine.layout(r.id()).log())) {
      Process nobody =
          new ProcessBuilder(
                  "setpriv",
                  "--reuid=65534",
                  "--regid=65534",
                  "--clear-groups",
                  "cat",
                  p.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(nobody.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(1, nobody.waitFor(), p + ": " + out);
      assertTrue(out.contains("Permission denied"), out);
    }
  }

  @Test
  void aContainerOutlivesItsImage() throws Exception {
    ContainerRecord r = engine.create(opts("cat", "/bin/busybox").build());
    engine.images().remove(List.of(IMAGE), true);
    engine.images().collectGarbage();
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(
        0,
        engine.await(r.id()),
        "the container's own copy of the config and its snapshot's layers");
  }

  @Test
  void removeLeavesNothingBehind() throws Exception {
    ContainerRecord r = engine.create(opts("sleep", "100").name("web").build());
    engine.start(r.id(), Engine.StartListener.NONE);
    BerthException running =
        assertThrows(BerthException.class, () -> engine.remove("web", false, false));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, running.category());
    assertTrue(
        running.getMessage().contains("You cannot remove a running container"),
        running.getMessage());
    engine.remove("web", true, false);
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> engine.inspect("web")).category());
    assertEquals(List.of(), mountsUnder(tmp));
    assertFalse(
        Files.exists(engine.containers().containerDir(r.id())), "the container's directory");
    assertFalse(
        Files.exists(root.resolve("snapshots").resolve("active").resolve(r.id())), "the snapshot");
    assertFalse(cgroupExists(r.id()), "the container's cgroup");
  }

  @Test
  void createChecksTheSpecOnAReadOnlyMountOfTheRootfs() throws Exception {
    ContainerRecord r = engine.create(opts("pwd").user("root").workingDir("/tmp").build());
    // A writable overlay's mount fills its work directory (and its unmount syncs a filesystem).
    try (Stream<Path> work =
        Files.list(root.resolve("snapshots/active").resolve(r.id()).resolve("work"))) {
      assertEquals(List.of(), work.toList(), "create mounted the snapshot read-only");
    }
    assertEquals(List.of(), mountsUnder(tmp));
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()), "it runs from that snapshot afterwards");
  }

  @Test
  void removalInTheBackgroundLeavesNothingAndATrashLeftByACrashGoesAtTheNextOpen()
      throws Exception {
    engine.close();
    engine = Engine.open(EngineConfig.at(root, runRoot).withBackgroundRemoval(true));
    ContainerRecord r = engine.create(opts("sh", "-c", "echo x > /written").build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    engine.remove(r.id(), false, false);
    assertFalse(
        Files.exists(root.resolve("snapshots/active").resolve(r.id())), "gone from sight at once");
    assertFalse(Files.exists(root.resolve("containers").resolve(r.id())), "its directory too");
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> engine.inspect(r.id())).category());
    engine.close(); // waits for the deletion it started
    Path trash = root.resolve("snapshots/trash");
    Path containerTrash = root.resolve("containers.trash");
    for (Path t : List.of(trash, containerTrash)) {
      try (Stream<Path> left = Files.list(t)) {
        assertEquals(List.of(), left.toList(), "its files deleted from " + t);
      }
    }
    // A removal whose process died after the renames: the next engine (a CLI's) deletes them at
    // open.
    Path dead = Files.createDirectories(trash.resolve("dead-1/fs/etc"));
    Files.writeString(dead.resolve("hostname"), "x");
    Path deadDir = Files.createDirectories(containerTrash.resolve(r.id() + "-1"));
    Files.writeString(deadDir.resolve("removed"), "{}");
    engine = Engine.open(EngineConfig.at(root, runRoot));
    for (Path t : List.of(trash, containerTrash)) {
      try (Stream<Path> left = Files.list(t)) {
        assertEquals(List.of(), left.toList(), "the trash is empty after an open: " + t);
      }
    }
  }

  @Test
  void aRemovalKilledAfterItsRecordWentIsFinishedByTheNextOpen() throws Exception {
    ContainerRecord r = engine.create(opts("sh", "-c", "echo x > /written").name("cut").build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    Path snapshot = root.resolve("snapshots/active").resolve(r.id());
    Path dir = engine.containers().containerDir(r.id());
    // What a process killed right after the record's one synced step leaves: no record, the
    // snapshot and the container's directory (its log, its tombstone) still there.
    assertThrows(
        BerthException.class,
        () ->
            engine
                .containers()
                .remove(
                    r.id(),
                    id -> {
                      throw new IOException("killed here");
                    }));
    assertEquals(
        ErrorCategory.NOT_FOUND,
        assertThrows(BerthException.class, () -> engine.inspect("cut")).category());
    assertTrue(Files.exists(snapshot), "the snapshot outlived the record");
    assertTrue(Files.exists(dir.resolve("removed")));
    engine.close();
    // Any process's open (a CLI's too) repairs: the cut change left the store's crash marker.
    engine = Engine.open(EngineConfig.at(root, runRoot).withBackgroundRemoval(true));
    assertFalse(Files.exists(snapshot), "the snapshot");
    assertFalse(Files.exists(dir), "the container's directory");
    engine.close(); // waits for the trash's deletion
    try (Stream<Path> left = Files.list(root.resolve("snapshots/trash"))) {
      assertEquals(List.of(), left.toList(), "the snapshot's files deleted");
    }
    engine = Engine.open(EngineConfig.at(root, runRoot));
    assertEquals(List.of(), mountsUnder(tmp));
  }

  static boolean cgroupExists(String id) throws IOException {
    String name = "berth-" + id.substring(0, 12);
    return !CgroupTree.named(Path.of("/sys/fs/cgroup/memory"), 6, name::equals).isEmpty();
  }

  @Test
  void badInputIsRefusedAndLeavesNothing() throws Exception {
    BerthException user =
        assertThrows(
            BerthException.class, () -> engine.create(opts("true").user("nosuch").build()));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, user.category());
    assertTrue(user.getMessage().contains("unable to find user nosuch"), user.getMessage());
    BerthException image =
        assertThrows(
            BerthException.class,
            () ->
                engine.create(
                    new ContainerOptions.Builder("localhost/nosuch:1")
                        .command(List.of("true"))
                        .build()));
    assertEquals(ErrorCategory.NOT_FOUND, image.category());
    assertEquals(List.of(), engine.containers().list().containers());
    assertEquals(List.of(), mountsUnder(tmp));
    try (Stream<Path> active = Files.list(root.resolve("snapshots").resolve("active"))) {
      assertEquals(0, active.count(), "no snapshot of a refused container");
    }
    engine.create(opts("true").name("taken").build());
    BerthException taken =
        assertThrows(BerthException.class, () -> engine.create(opts("true").name("taken").build()));
    assertEquals(ErrorCategory.ALREADY_EXISTS, taken.category());
    assertEquals(1, engine.containers().list().containers().size());
  }

  /**
   * A create checks its user in its own image's passwd, whether or not a container was made from
   * that image (or another) before: the files one create read are never another image's answer.
   */
  @Test
  void eachCreateChecksItsUserInItsOwnImage() throws Exception {
    Path appRootfs = Busybox.rootfs(tmp.resolve("app-rootfs"));
    Files.writeString(appRootfs.resolve("etc/passwd"), "app:x:1000:1000::/home/app:/bin/sh\n");
    EngineTestSupport.importRootfs(engine, appRootfs, tmp.resolve("app.tar"), "localhost/app:1");
    ContainerOptions.Builder app =
        new ContainerOptions.Builder("localhost/app:1").command(List.of("id"));
    for (int round = 0; round < 2; round++) {
      BerthException e =
          assertThrows(BerthException.class, () -> engine.create(opts("id").user("app").build()));
      assertTrue(e.getMessage().contains("unable to find user app"), e.getMessage());
      engine.create(opts("id").user("nobody").build());
      engine.create(app.user("app").build());
      e = assertThrows(BerthException.class, () -> engine.create(app.user("nobody").build()));
      assertTrue(e.getMessage().contains("unable to find user nobody"), e.getMessage());
    }
    assertEquals(4, engine.containers().list().containers().size());
    assertEquals(List.of(), mountsUnder(tmp));
    // The user is resolved again on the rootfs at the start: what the container made meanwhile
    // would count there (the check at create saw the image's files).
    ContainerRecord r = engine.create(app.user("app").build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
  }

  @Test
  void anAutoRemoveContainerGoesWhenItExits() throws Exception {
    ContainerRecord r = engine.create(opts("true").autoRemove(true).build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    assertEquals(List.of(), engine.list());
    assertFalse(Files.exists(engine.containers().containerDir(r.id())));
  }

  @Test
  void anAutoRemoveContainersRootfsIsAVolatileOverlayAndGoesWithIt() throws Exception {
    // volatile: its unmount skips syncing the whole upper filesystem (podman's --rm does the same).
    ContainerRecord kept =
        engine.start(engine.create(opts("sleep", "100").build()).id(), Engine.StartListener.NONE);
    ContainerRecord rm =
        engine.start(
            engine.create(opts("sleep", "100").autoRemove(true).build()).id(),
            Engine.StartListener.NONE);
    // A pod's container runs once too: the kubelet never starts it again.
    ContainerRecord pod =
        engine.create(
            opts("sleep", "100").labels(Map.of(dev.berth.engine.pod.Pods.POD_LABEL, "p1")).build());
    engine.start(pod.id(), Engine.StartListener.NONE);
    assertFalse(superOptions(engine.layout(kept.id()).rootfs()).contains("volatile"));
    assertTrue(superOptions(engine.layout(rm.id()).rootfs()).contains("volatile"));
    assertTrue(superOptions(engine.layout(pod.id()).rootfs()).contains("volatile"));
    engine.remove(pod.id(), true, true);
    engine.kill(rm.id(), 9);
    assertEquals(137, engine.await(rm.id()));
    assertEquals(List.of(kept.id()), engine.list().stream().map(ContainerRecord::id).toList());
    assertFalse(Files.exists(engine.layout(rm.id()).runDir()));
    assertFalse(Files.exists(engine.containers().containerDir(rm.id())));
    assertFalse(Files.exists(root.resolve("snapshots/active").resolve(rm.id())));
    assertEquals(List.of(engine.layout(kept.id()).rootfs().toString()), mountsUnder(runRoot));
  }

  /** The filesystem options of the mount at {@code target} (mountinfo's last field). */
  static String superOptions(Path target) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].equals(target.toString())) return f[f.length - 1];
    }
    throw new AssertionError("nothing mounted at " + target);
  }

  @Test
  void anAutoRemoveContainerWhoseRemovalWasCutShortGoesAtTheNextLook() throws Exception {
    // What an engine killed right after recording an --rm container's end leaves: the record
    // marked for removal (its end and that mark are one write), its snapshot still there.
    ContainerRecord r = engine.create(opts("true").autoRemove(true).build());
    engine.containers().update(r.id(), c -> c.withState(c.state().exited(0, false, c.created())));
    engine.containers().update(r.id(), c -> c.withState(c.state().withStatus(Status.REMOVING)));
    assertTrue(Files.exists(root.resolve("snapshots/active").resolve(r.id())));
    assertEquals(List.of(), engine.list());
    assertFalse(Files.exists(engine.containers().containerDir(r.id())));
    assertFalse(Files.exists(root.resolve("snapshots/active").resolve(r.id())));
  }

  @Test
  void aContainerKnowsItsCommandAndHostnameFromItsCreate() throws Exception {
    // Inspect of a created container shows them (docker's Path, Args, Config.Hostname), with or
    // without the check on the image's files (run's create skips it), stored with the record.
    for (boolean checkNow : List.of(true, false)) {
      ContainerRecord c =
          engine.create(opts("sh", "-c", "exit 4").hostname("h1").init(true).build(), checkNow);
      ContainerRecord stored = engine.inspect(c.id());
      assertEquals(
          List.of(dev.berth.engine.spec.SpecGenerator.INIT_PATH, "--", "sh", "-c", "exit 4"),
          ContainerViews.command(stored));
      assertEquals("h1", stored.extras().get(ContainerViews.HOSTNAME));
      ContainerRecord own = engine.create(opts("true").build(), checkNow);
      assertEquals(own.shortId(), engine.inspect(own.id()).extras().get(ContainerViews.HOSTNAME));
    }
    ContainerRecord r = engine.create(opts("sh", "-c", "exit 4").hostname("h1").build(), false);
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(4, engine.await(r.id()));
    ContainerRecord done = engine.inspect(r.id());
    assertEquals(List.of("sh", "-c", "exit 4"), ContainerViews.command(done));
    assertEquals("h1", done.extras().get(ContainerViews.HOSTNAME));
    assertEquals(engine.layout(r.id()).bundle(), done.bundleDir());
  }

  @Test
  void namedVolumesOutliveTheirContainers() throws Exception {
    ContainerRecord w =
        engine.create(
            opts("sh", "-c", "echo kept > /data/f")
                .mounts(List.of(DockerFlags.volume("data:/data")))
                .build());
    engine.start(w.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(w.id()));
    engine.remove(w.id(), false, true);
    ContainerRecord r =
        engine.create(
            opts("cat", "/data/f").mounts(List.of(DockerFlags.volume("data:/data"))).build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    assertEquals("STDOUT:kept\n", logText(engine.inspect(r.id())));
    // docker inspect's volume mount names the volume's data directory as its Source.
    @SuppressWarnings("unchecked")
    Map<String, Object> mount =
        ((List<Map<String, Object>>)
                ContainerViews.inspect(engine.inspect(r.id()), engine.layout(r.id())).get("Mounts"))
            .get(0);
    assertEquals("data", mount.get("Name"));
    Path source = Path.of((String) mount.get("Source"));
    assertEquals(engine.volumes().get("data").mountpoint(), source);
    assertEquals("kept\n", Files.readString(source.resolve("f")));
    BerthException inUse =
        assertThrows(BerthException.class, () -> engine.volumes().remove("data", false));
    assertTrue(inUse.getMessage().contains("volume is in use"), inUse.getMessage());
  }

  @Test
  void aRebootLeavesContainersExitedAndStartable() throws Exception {
    ContainerRecord r = engine.create(opts("sleep", "100").build());
    r = engine.start(r.id(), Engine.StartListener.NONE);
    // What a reboot does: every process gone (the monitor first, so nobody records the exit), /run
    // emptied.
    Linux.kill(r.state().monitorPid(), 9);
    Linux.kill(r.state().pid(), 9);
    TimeUnit.MILLISECONDS.sleep(300);
    for (String m : mountsUnder(runRoot)) {
      new ProcessBuilder("umount", "-l", m).inheritIO().start().waitFor();
    }
    new ProcessBuilder("rm", "-rf", runRoot.toString()).inheritIO().start().waitFor();
    engine.close();
    engine = Engine.open(EngineConfig.at(root, runRoot));
    ContainerRecord after = engine.inspect(r.id());
    assertEquals(Status.EXITED, after.state().status());
    assertEquals(Engine.UNKNOWN_EXIT, after.state().exitCode());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(Status.RUNNING, engine.inspect(r.id()).state().status());
    assertEquals(137, engine.stop(r.id(), 1).state().exitCode());
  }

  /** Removes a directory tree (test helper). */
  static void delete(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }
}
