package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.container.LogOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine itself reads of an image's or a running container's files, host side, as root: a
 * hostile image or a container's root (who has CAP_MKNOD and can race the engine) must not make it
 * open a device on the host, nor read without bound.
 */
@RequiresRoot
class HostileEngineReadsTest {
  static final String IMAGE = "localhost/hostile-reads:latest";
  static final String DEVICES = "localhost/hostile-reads-devices:latest";
  static final String PASSWD =
      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";

  @TempDir Path tmp;
  Path rootfs;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.writeString(rootfs.resolve("etc/passwd"), PASSWD);
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\napp:x:1000:\n");
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
  }

  private void importImage() throws Exception {
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("rootfs.tar"), IMAGE);
  }

  /**
   * A character device major no driver has registered here: open(2) of such a node always fails
   * (ENXIO), so a lookup that reaches the clear refusal cannot have opened it.
   */
  static int unregisteredCharMajor() throws Exception {
    Set<Integer> used = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/devices"))) {
      if (line.startsWith("Block")) break;
      String[] f = line.strip().split("\\s+");
      if (f.length == 2 && f[0].matches("\\d+")) used.add(Integer.parseInt(f[0]));
    }
    // LANANA's majors for local and experimental use.
    for (int m : List.of(60, 61, 62, 63, 120, 121, 122, 123, 124, 125, 126, 127)) {
      if (!used.contains(m)) return m;
    }
    throw new IllegalStateException("every local char major is registered: " + used);
  }

  private String exec(String id, ExecOptions o) throws Exception {
    Path out = tmp.resolve("exec.out");
    Files.deleteIfExists(out);
    int code = engine.exec(id, o, new Stdio(Path.of("/dev/null"), out, out), null).exitCode();
    return code + ":" + Files.readString(out);
  }

  /** Waits until {@code path} exists in the running container. */
  private void awaitInContainer(String id, String path) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!exec(id, ExecOptions.of("test", "-e", path)).startsWith("0:")) {
      if (System.nanoTime() > deadline) fail(path + " never appeared in the container");
      Thread.sleep(50);
    }
  }

  /**
   * An image whose /etc/passwd (or /etc/group) is a device node, and a running container's root who
   * replaces its /etc/passwd by one (mknod, with the default CAP_MKNOD) before an {@code exec -u}:
   * the lookup refuses it naming the file, without opening it on the host (where its driver would
   * act for the engine: /dev/watchdog armed, a tape rewound, a tty made the engine's controlling
   * terminal). Nothing is left of a refused create.
   */
  @Test
  void userLookupNeverOpensADeviceNode() throws Exception {
    int major = unregisteredCharMajor();
    importImage();
    Path devices = Busybox.rootfs(tmp.resolve("devices"));
    Files.delete(devices.resolve("etc/group"));
    Linux.mknodat(
        null,
        devices.resolve("etc/group").toString(),
        dev.berth.sys.LinuxConstants.S_IFCHR | 0644,
        Stat.makedev(major, 0));
    EngineTestSupport.importRootfs(engine, devices, tmp.resolve("devices.tar"), DEVICES);
    int containers = engine.containers().list().containers().size();
    BerthException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            BerthException.class,
            () ->
                engine.create(
                    new ContainerOptions.Builder(DEVICES)
                        .command(List.of("true"))
                        .user("app")
                        .build()));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    assertEquals("the image's /etc/group is not a regular file", e.getMessage());
    assertEquals(containers, engine.containers().list().containers().size(), "a container left");

    // A running container makes its /etc/passwd a device, then the engine is asked for exec -u.
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(
                    List.of(
                        "sh",
                        "-c",
                        "rm /etc/passwd && mknod /etc/passwd c "
                            + major
                            + " 0 && touch /ready && exec sleep 1000"))
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    awaitInContainer(r.id(), "/ready");
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            BerthException.class, () -> exec(r.id(), ExecOptions.of("id").withUser("app")));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    assertEquals("the image's /etc/passwd is not a regular file", e.getMessage());
    // The container serves on.
    assertEquals("0:ok\n", exec(r.id(), ExecOptions.of("echo", "ok")));
  }

  /**
   * A running container's root grows its /etc/passwd (a sparse truncate to a terabyte) between the
   * engine's size check and its read, while {@code exec -u} looks the user up: the read stops at
   * the bound and says so; the engine's memory is never filled with the zeros.
   */
  @Test
  void userLookupReadIsBoundedWhenTheFileGrowsMeanwhile() throws Exception {
    importImage();
    // /etc/passwd of 4 MiB (its users, then a comment line), flipped to 1 TiB for 0.3 s, back to
    // 4 MiB for as long as a truncate takes: the lookups that find it small mostly read it while
    // it grows.
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(
                    List.of(
                        "sh",
                        "-c",
                        "{ cat /etc/passwd; printf '#'; head -c 4194304 /dev/zero | tr '\\0' x; echo; }"
                            + " > /p && cat /p > /etc/passwd && n=$(wc -c < /p) && touch /ready &&"
                            + " while :; do truncate -s 1099511627776 /etc/passwd; usleep 300000;"
                            + " truncate -s $n /etc/passwd; done"))
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    awaitInContainer(r.id(), "/ready");
    var threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().threadId();
    int grew = 0;
    int ran = 0;
    List<String> others = new ArrayList<>();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (grew < 3 && System.nanoTime() < deadline) {
      long before = threads.getThreadAllocatedBytes(self);
      String got;
      try {
        got = exec(r.id(), ExecOptions.of("true").withUser("app"));
      } catch (BerthException e) {
        got = e.getMessage();
      }
      long allocated = threads.getThreadAllocatedBytes(self) - before;
      assertTrue(
          allocated < 256L << 20,
          "one exec -u allocated " + (allocated >> 20) + " MiB in the engine: " + got);
      if (got.equals("the image's /etc/passwd grew past 16777216 bytes while being read")) {
        grew++;
      } else if (got.equals("0:")) {
        ran++; // it found the file small and read all of it before it grew
      } else if (!got.equals("the image's /etc/passwd is larger than 16777216 bytes")) {
        others.add(got);
      }
    }
    assertEquals(List.of(), others, "outcomes other than a run or a clear refusal");
    assertEquals(3, grew, "the race was never won (" + ran + " execs ran)");
  }

  /**
   * docker cp out (and export, commit) of a running container whose root swaps a file for a device
   * node in a loop: the entry the engine examined as a file is opened O_PATH and checked first, so
   * a device swapped in is never opened on the host (an unregistered major: an open would fail with
   * ENXIO); a copy that meets the swap fails naming the entry, or copies the file.
   */
  @Test
  void copyFromNeverOpensADeviceSwappedInForAFile() throws Exception {
    int major = unregisteredCharMajor();
    // The file carries 120 xattrs, which the copy reads between its fstatat and its open: the
    // window the container's swap has to fall in.
    Path w = Files.createDirectories(rootfs.resolve("w"));
    Files.writeString(w.resolve("f"), "data\n");
    for (int i = 0; i < 120; i++) {
      Linux.lsetxattr(w.resolve("f").toString(), "user.x" + i, new byte[] {'v'}, 0);
    }
    Linux.mknodat(
        null,
        w.resolve("d").toString(),
        dev.berth.sys.LinuxConstants.S_IFCHR | 0644,
        Stat.makedev(major, 0));
    Path tar = tmp.resolve("xattrs.tar");
    dev.berth.testkit.Exec.run(
            "tar",
            "--xattrs",
            "--xattrs-include=user.*",
            "-C",
            rootfs.toString(),
            "-cf",
            tar.toString(),
            ".")
        .ok();
    engine.images().importRootfs(tar, IMAGE, null);
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(
                    List.of(
                        "sh",
                        "-c",
                        "cd /w && touch /ready && while :; do busybox mv f x; busybox mv d f;"
                            + " busybox mv f d; busybox mv x f; done"))
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    awaitInContainer(r.id(), "/ready");
    int changed = 0;
    int copied = 0;
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (changed < 2 && System.nanoTime() < deadline) {
      try {
        engine.copyFrom(r.id(), "/w", false, null, java.io.OutputStream.nullOutputStream());
        copied++;
      } catch (BerthException e) {
        String m = e.getMessage();
        assertTrue(m.contains("f: the entry changed while being copied"), m);
        changed++;
      }
    }
    assertEquals(2, changed, "the swap was never met (" + copied + " copies)");
  }

  /**
   * {@code --log-opt max-size/max-file}: the container's log is rotated at its own size, keeping
   * its own number of files, whatever the engine's default; {@code --log-driver none} keeps no log
   * and {@code logs} says so in docker's words. Both survive a reread of the record.
   */
  @Test
  void aContainersOwnLogOptionsRotateItsLogAndNoneKeepsNone() throws Exception {
    importImage();
    ContainerRecord rotated =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of("sh", "-c", "seq 20000"))
                .host(
                    HostOptions.NONE.withLog(
                        LogOptions.of("json-file", Map.of("max-size", "4k", "max-file", "2"))))
                .build());
    engine.start(rotated.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(rotated.id()));
    Path log = Engine.logPath(engine.inspect(rotated.id()), engine.layout(rotated.id()));
    List<String> files;
    try (var s = Files.list(log.getParent())) {
      files =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith(log.getFileName().toString()))
              .sorted()
              .toList();
    }
    assertEquals(2, files.size(), files.toString());
    for (String f : files)
      assertTrue(
          Files.size(log.resolveSibling(f)) < 8192, f + ": " + Files.size(log.resolveSibling(f)));
    assertEquals(
        Map.of("max-size", "4k", "max-file", "2"),
        engine.inspect(rotated.id()).options().host().log().options());

    ContainerRecord quiet =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of("echo", "unkept"))
                .host(HostOptions.NONE.withLog(LogOptions.of("none", Map.of())))
                .build());
    engine.start(quiet.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(quiet.id()));
    ContainerRecord q = engine.inspect(quiet.id());
    assertFalse(Files.exists(Engine.logPath(q, engine.layout(q.id()))));
    BerthException e =
        assertThrows(BerthException.class, () -> Engine.readableLogPath(q, engine.layout(q.id())));
    assertEquals("configured logging driver does not support reading", e.getMessage());
  }

  /**
   * A container's output is kept whole in its log (no rotation by default), so {@code logs} is read
   * in bounded batches: a container that wrote a million lines, and one that writes without end
   * ({@code yes}), never make the reader hold their log, and a reader that does not follow ends at
   * what was there when it began.
   */
  @Test
  void logsAreReadInBoundedBatches() throws Exception {
    importImage();
    ContainerRecord done =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of("sh", "-c", "seq 1000000"))
                .build());
    engine.start(done.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(done.id()));
    assertEquals(
        1_000_000, readAll(Engine.logPath(engine.inspect(done.id()), engine.layout(done.id())), 0));

    ContainerRecord endless =
        engine.create(
            new ContainerOptions.Builder(IMAGE).command(List.of("busybox", "yes")).build());
    engine.start(endless.id(), Engine.StartListener.NONE);
    Path log = Engine.logPath(engine.inspect(endless.id()), engine.layout(endless.id()));
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (Files.size(log) < 32 << 20) {
      if (System.nanoTime() > deadline) fail("yes wrote " + Files.size(log) + " bytes in 20 s");
      Thread.sleep(50);
    }
    long atStart = Files.size(log);
    long n = readAll(log, 1);
    // Every record of the file as it was (about 40 bytes each), none much beyond it.
    assertTrue(n >= atStart / 64 && n <= atStart / 20, n + " records of " + atStart + " bytes");
    engine.remove(endless.id(), true, true);
  }

  /**
   * The records of {@code log} read in batches, each checked to be bounded; {@code y}: each text.
   */
  private static long readAll(Path log, int textLength) throws Exception {
    long n = 0;
    try (var f = dev.berth.runtime.monitor.CriLog.reader(log, null, -1)) {
      for (List<dev.berth.runtime.monitor.CriLog.Entry> b; !(b = f.poll()).isEmpty(); ) {
        assertTrue(
            b.size() <= dev.berth.runtime.monitor.CriLog.BATCH_RECORDS + 64 * 1024 / 40,
            "records in one batch: " + b.size());
        if (textLength > 0) {
          for (var e : b) assertEquals(textLength, e.text().length, e.toString());
        }
        n += b.size();
      }
    }
    return n;
  }
}
