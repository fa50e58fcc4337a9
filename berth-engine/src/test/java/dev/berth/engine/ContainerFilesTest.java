package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.commit.Commit;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.fs.HostFiles;
import dev.berth.engine.fs.PathStat;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.image.store.ImageRecord;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.sys.Linux;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.TarEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker cp, export, commit and container prune on the real kernel, with containers of a busybox
 * image whose /data holds a small tree: copies both ways keep docker's names and owners, hostile
 * symlinks and tars never reach the host, and a committed image runs with the container's changes,
 * deletions included.
 */
@RequiresRoot
class ContainerFilesTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;
  Path host;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    root = tmp.resolve("root");
    runRoot = tmp.resolve("run");
    host = Files.createDirectories(tmp.resolve("host"));
    engine = Engine.open(EngineConfig.at(root, runRoot));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("data/sub"));
    Files.writeString(rootfs.resolve("data/a"), "a\n");
    Files.writeString(rootfs.resolve("data/sub/b"), "b\n");
    Files.writeString(rootfs.resolve("etc/motd"), "old\n");
    // The host's tree, as a container's symlinks name it: nothing here may change.
    Files.writeString(host.resolve("secret"), "host secret\n");
    Files.createSymbolicLink(rootfs.resolve("escape"), host);
    Files.createSymbolicLink(rootfs.resolve("up"), Path.of("../../../../../../../../" + host));
    Files.createSymbolicLink(rootfs.resolve("leak"), host.resolve("secret"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
    assertEquals(List.of("secret"), names(host), "the host's directory changed");
    assertEquals("host secret\n", Files.readString(host.resolve("secret")));
  }

  private static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private ContainerRecord created(String... command) throws BerthException {
    return engine.create(new ContainerOptions.Builder(IMAGE).command(List.of(command)).build());
  }

  /** Tar entries as "name" or "name -> link", with uid:gid when {@code owners}. */
  private static List<String> entries(byte[] tar, boolean owners) throws IOException {
    List<String> out = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        String s = e.getName() + (e.isSymbolicLink() ? " -> " + e.getLinkName() : "");
        if (owners) s += " " + e.getLongUserId() + ":" + e.getLongGroupId();
        out.add(s);
      }
    }
    return out;
  }

  private byte[] copyFrom(String ref, String path, boolean follow, String as)
      throws BerthException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    engine.copyFrom(ref, path, follow, as, b);
    return b.toByteArray();
  }

  private static byte[] tar(TarEntry... entries) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    new LayerTar().add(entries).writeTo(b);
    return b.toByteArray();
  }

  private String log(ContainerRecord r) throws IOException {
    StringBuilder b = new StringBuilder();
    for (CriLog.Entry e : CriLog.read(engine.layout(r.id()).log(), null, -1)) {
      b.append(new String(e.text(), StandardCharsets.UTF_8));
      if (!e.partial()) b.append('\n');
    }
    return b.toString();
  }

  private String run(String image, String... command) throws Exception {
    ContainerOptions.Builder o = new ContainerOptions.Builder(image).command(List.of(command));
    ContainerRecord r = engine.create(o.build());
    engine.start(r.id(), Engine.StartListener.NONE);
    engine.await(r.id());
    return log(r);
  }

  private boolean exists(String ref, String path) throws BerthException {
    try {
      engine.statPath(ref, path, false);
      return true;
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
      return false;
    }
  }

  // ---- cp out ----

  @Test
  void copiesAFileADirectoryAndADirectorysContentsOut() throws Exception {
    ContainerRecord r = created("true");
    assertEquals(List.of("a"), entries(copyFrom(r.id(), "/data/a", false, null), false));
    assertEquals(
        List.of("data/", "data/a", "data/sub/", "data/sub/b"),
        entries(copyFrom(r.id(), "data", false, null), false),
        "a relative path is from /");
    assertEquals(
        List.of("./", "./a", "./sub/", "./sub/b"),
        entries(copyFrom(r.id(), "/data/.", false, null), false));
    assertEquals(
        List.of("copy/", "copy/a", "copy/sub/", "copy/sub/b"),
        entries(copyFrom(r.id(), "/data", false, "copy"), false));
    assertEquals(
        List.of(),
        EngineTest.mountsUnder(runRoot),
        "the snapshot mounted for the copy is unmounted");

    // Into a host directory, owned by the caller, as the CLI does it.
    Path out = Files.createDirectories(tmp.resolve("out"));
    HostFiles.extract(
        new ByteArrayInputStream(copyFrom(r.id(), "/data", false, null)),
        out.toString(),
        new int[] {Linux.geteuid(), Linux.getegid()});
    assertEquals("b\n", Files.readString(out.resolve("data/sub/b")));
  }

  @Test
  void aMissingFileIsDockersErrorAndASymlinkIsCopiedAsOneUnlessFollowed() throws Exception {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE).command(List.of("true")).name("web").build());
    BerthException missing =
        assertThrows(BerthException.class, () -> copyFrom("web", "/nope", false, null));
    assertEquals(ErrorCategory.NOT_FOUND, missing.category());
    assertEquals("Could not find the file /nope in container web", missing.getMessage());
    assertEquals(
        List.of("leak -> " + host.resolve("secret")),
        entries(copyFrom("web", "/leak", false, null), false));
    // Followed, the link leads to the container's own path of that name, which it lacks: never the
    // host's file.
    BerthException followed =
        assertThrows(BerthException.class, () -> copyFrom("web", "/leak", true, null));
    assertEquals(ErrorCategory.NOT_FOUND, followed.category(), followed.getMessage());
    assertThrows(BerthException.class, () -> copyFrom("web", "/escape/secret", false, null));
    assertThrows(BerthException.class, () -> copyFrom("web", "/up/secret", false, null));
    PathStat st = engine.statPath("web", "/bin/sh", false);
    assertTrue(st.isSymlink());
    assertEquals("busybox", st.linkTarget());
  }

  // ---- cp in ----

  @Test
  void copiesInOwnedByTheContainersRootUnlessArchiveMode() throws Exception {
    ContainerRecord r = created("true");
    byte[] t =
        tar(
            TarEntry.dir("new").withOwner(1000, 1000),
            TarEntry.file("new/f", "f\n").withOwner(1000, 1001));
    engine.copyTo(r.id(), "/tmp", new ByteArrayInputStream(t), false);
    assertEquals(
        List.of("new/ 0:0", "new/f 0:0"), entries(copyFrom(r.id(), "/tmp/new", false, null), true));
    engine.copyTo(r.id(), "/root", new ByteArrayInputStream(t), true);
    assertEquals(
        List.of("new/ 1000:1000", "new/f 1000:1001"),
        entries(copyFrom(r.id(), "/root/new", false, null), true));
    BerthException notDir =
        assertThrows(
            BerthException.class,
            () -> engine.copyTo(r.id(), "/etc/motd", new ByteArrayInputStream(t), false));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, notDir.category());
    // docker cp never replaces a directory with a file.
    BerthException overwrite =
        assertThrows(
            BerthException.class,
            () ->
                engine.copyTo(
                    r.id(), "/", new ByteArrayInputStream(tar(TarEntry.file("data", "x"))), false));
    assertTrue(
        overwrite.getMessage().contains("cannot overwrite a directory"), overwrite.getMessage());
    assertEquals(
        List.of("data/", "data/a", "data/sub/", "data/sub/b"),
        entries(copyFrom(r.id(), "/data", false, null), false));
  }

  @Test
  void aContainersSymlinksLeadInsideItNeverToTheHost() throws Exception {
    ContainerRecord r = created("true");
    // /escape -> the host's directory (absolute), /up -> ../../.. to it: both resolve inside the
    // container's root,
    // where nothing is at that path yet.
    BerthException dangling =
        assertThrows(
            BerthException.class,
            () ->
                engine.copyTo(
                    r.id(),
                    "/escape",
                    new ByteArrayInputStream(tar(TarEntry.file("pwned", "x"))),
                    false));
    assertEquals(ErrorCategory.NOT_FOUND, dangling.category());
    assertEquals("Could not find the file /escape in container " + r.id(), dangling.getMessage());
    // Once the container has a directory of that name, the links lead there, and the host's stays
    // as it was.
    engine.copyTo(
        r.id(),
        "/",
        new ByteArrayInputStream(tar(TarEntry.dir(host.toString().substring(1)))),
        false);
    engine.copyTo(
        r.id(), "/escape", new ByteArrayInputStream(tar(TarEntry.file("pwned", "x"))), false);
    engine.copyTo(
        r.id(), "/up", new ByteArrayInputStream(tar(TarEntry.file("pwned2", "x"))), false);
    assertEquals(
        List.of("./", "./pwned", "./pwned2"),
        entries(copyFrom(r.id(), host + "/.", false, null), false));
  }

  @Test
  void hostileTarsCannotEscapeTheContainer() throws Exception {
    ContainerRecord r = created("true");
    BerthException climb =
        assertThrows(
            BerthException.class,
            () ->
                engine.copyTo(
                    r.id(),
                    "/tmp",
                    new ByteArrayInputStream(
                        tar(
                            TarEntry.file(
                                "../../../../../../" + host.toString().substring(1) + "/pwned",
                                "x"))),
                    false));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, climb.category());
    // A symlink to the host's directory, then a file "through" it: the link is the container's, the
    // file lands in
    // the container's path of that name.
    engine.copyTo(
        r.id(),
        "/tmp",
        new ByteArrayInputStream(
            tar(
                TarEntry.symlink("l", host.toString()),
                TarEntry.file("l/pwned", "x"),
                TarEntry.symlink("rel", "../../../../../.." + host),
                TarEntry.file("rel/pwned2", "y"))),
        false);
    assertEquals(List.of("l -> " + host), entries(copyFrom(r.id(), "/tmp/l", false, null), false));
    // Links the tar makes resolve inside the directory it is extracted into, the stricter of
    // docker's choices.
    assertEquals(
        List.of("pwned"), entries(copyFrom(r.id(), "/tmp" + host + "/pwned", false, null), false));
    assertEquals(
        List.of("pwned2"),
        entries(copyFrom(r.id(), "/tmp" + host + "/pwned2", false, null), false));
    // A hard link to a host path is refused (it names a path inside the root, which has none
    // there).
    assertThrows(
        BerthException.class,
        () ->
            engine.copyTo(
                r.id(),
                "/tmp",
                new ByteArrayInputStream(
                    tar(TarEntry.hardlink("h", host.resolve("secret").toString()))),
                false));
    assertThrows(
        BerthException.class,
        () ->
            engine.copyTo(
                r.id(),
                "/tmp",
                new ByteArrayInputStream(
                    tar(TarEntry.hardlink("h2", "../../../../../.." + host.resolve("secret")))),
                false));
  }

  @Test
  void copiesReachARunningContainer() throws Exception {
    ContainerRecord r =
        created("sh", "-c", "while [ ! -f /tmp/go ]; do sleep 0.05; done; cat /tmp/go");
    engine.start(r.id(), Engine.StartListener.NONE);
    engine.copyTo(
        r.id(), "/tmp", new ByteArrayInputStream(tar(TarEntry.file("go", "through cp\n"))), false);
    assertEquals(0, engine.await(r.id()));
    assertEquals("through cp\n", log(r));
    assertEquals(
        List.of("go"),
        entries(copyFrom(r.id(), "/tmp/go", false, null), false),
        "and an exited one");
  }

  /** A container of the busybox image with a volume, binds (one read-only) and a tmpfs. */
  private ContainerRecord withMounts(Path bind, Path readOnly, boolean readOnlyRoot, String... cmd)
      throws Exception {
    Files.createDirectories(bind);
    Files.createDirectories(readOnly);
    Files.writeString(readOnly.resolve("kept"), "kept\n");
    return engine.create(
        new ContainerOptions.Builder(IMAGE)
            .command(List.of(cmd))
            .readOnlyRootfs(readOnlyRoot)
            .mounts(
                List.of(
                    DockerFlags.volume("vol:/vol"),
                    DockerFlags.volume(bind + ":/b"),
                    DockerFlags.volume(readOnly + ":/ro:ro"),
                    // its mount point through the image's hostile link: inside the root, not the
                    // host
                    DockerFlags.volume("deep:/escape/deep"),
                    DockerFlags.tmpfs("/tm")))
            .build());
  }

  private void copyIn(String ref, String dir, String name, String text) throws Exception {
    engine.copyTo(ref, dir, new ByteArrayInputStream(tar(TarEntry.file(name, text))), false);
  }

  private String contentOf(String ref, String path) throws Exception {
    byte[] t = copyFrom(ref, path, false, null);
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(t))) {
      in.getNextEntry();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private String execOut(String ref, String script) throws Exception {
    Path out = tmp.resolve("exec.out");
    Files.deleteIfExists(out);
    engine.exec(
        ref,
        dev.berth.engine.container.ExecOptions.of("sh", "-c", script),
        new dev.berth.runtime.driver.Stdio(Path.of("/dev/null"), out, out),
        null);
    return Files.readString(out);
  }

  @Test
  void copiesGoThroughARunningContainersVolumesBindsAndTmpfs() throws Exception {
    Path bind = tmp.resolve("bind");
    Path ro = tmp.resolve("ro");
    ContainerRecord r = withMounts(bind, ro, false, "sleep", "100");
    engine.start(r.id(), Engine.StartListener.NONE);
    for (String dir : List.of("/vol", "/b", "/tm", "/escape/deep")) copyIn(r.id(), dir, "f", dir);
    // The container sees each file in its mount, where its own processes read and write.
    assertEquals("/vol/b/tm/escape/deep", execOut(r.id(), "cat /vol/f /b/f /tm/f /escape/deep/f"));
    assertEquals("/b", Files.readString(bind.resolve("f")));
    assertEquals("/vol", Files.readString(engine.volumes().get("vol").mountpoint().resolve("f")));
    execOut(r.id(), "echo made > /tm/made; echo vol > /vol/made");
    assertEquals("made\n", contentOf(r.id(), "/tm/made"));
    assertEquals("vol\n", contentOf(r.id(), "/vol/made"));
    assertEquals("kept\n", contentOf(r.id(), "/ro/kept"));
    BerthException readOnly =
        assertThrows(BerthException.class, () -> copyIn(r.id(), "/ro", "f", "x"));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, readOnly.category());
    assertEquals("mounted volume is marked read-only", readOnly.getMessage());
    assertEquals(List.of("kept"), names(ro));
    // A link of the container's in a volume leads inside the container, never to the host.
    execOut(r.id(), "ln -s " + host + " /vol/out; mkdir -p " + host);
    copyIn(r.id(), "/vol/out", "pwned", "x");
    assertEquals("x", execOut(r.id(), "cat " + host + "/pwned"));
    // Nothing went into the root filesystem beneath the mounts.
    engine.kill(r.id(), 9);
    engine.await(r.id());
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    engine.export(r.id(), b);
    List<String> names = entries(b.toByteArray(), false);
    for (String n : List.of("vol/f", "b/f", "tm/f", "tm/made", "escape/deep/f")) {
      assertFalse(names.stream().anyMatch(e -> e.endsWith(n)), n + " in " + names);
    }
  }

  @Test
  void copiesReachAStoppedContainersVolumesAndBindsButNotItsTmpfs() throws Exception {
    Path bind = tmp.resolve("bind");
    Path ro = tmp.resolve("ro");
    ContainerRecord r =
        withMounts(bind, ro, true, "sh", "-c", "cat /vol/f /b/f /escape/deep/f; ls /tm");
    // Never started: the mount points are made inside the root as the start would make them.
    copyIn(r.id(), "/vol", "f", "vol\n");
    copyIn(r.id(), "/b", "f", "bind\n");
    copyIn(r.id(), "/escape/deep", "f", "deep\n");
    assertEquals("bind\n", Files.readString(bind.resolve("f")));
    assertEquals("vol\n", contentOf(r.id(), "/vol/f"));
    assertEquals(List.of(), EngineTest.mountsUnder(runRoot), "the copy's mounts are undone");
    BerthException readOnly =
        assertThrows(BerthException.class, () -> copyIn(r.id(), "/ro", "f", "x"));
    assertEquals("mounted volume is marked read-only", readOnly.getMessage());
    assertEquals(List.of("kept"), names(ro));
    BerthException rootReadOnly =
        assertThrows(BerthException.class, () -> copyIn(r.id(), "/tmp", "f", "x"));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, rootReadOnly.category());
    assertEquals("container rootfs is marked read-only", rootReadOnly.getMessage());
    // No tmpfs before it runs: its mount point is not even made.
    BerthException tmpfs =
        assertThrows(BerthException.class, () -> copyIn(r.id(), "/tm", "f", "x"));
    assertEquals(ErrorCategory.NOT_FOUND, tmpfs.category(), tmpfs.getMessage());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    assertEquals("vol\nbind\ndeep\n", log(r));
    assertEquals(List.of(), EngineTest.mountsUnder(runRoot));
  }

  // ---- export ----

  @Test
  void exportWritesTheWholeFilesystemWithTheContainersChanges() throws Exception {
    assertEquals("", run(IMAGE, "sh", "-c", "echo new > /etc/motd; rm /data/a"));
    ContainerRecord r = engine.list().getFirst();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    engine.export(r.id(), b);
    List<String> names = entries(b.toByteArray(), false);
    assertTrue(names.contains("bin/busybox"), names.toString());
    assertTrue(names.contains("bin/sh -> busybox"), names.toString());
    assertTrue(names.contains("data/sub/b"), names.toString());
    assertFalse(names.contains("data/a"), "deleted in the container");
    assertFalse(
        names.stream().anyMatch(n -> n.startsWith("./") || n.startsWith("/")), names.toString());
  }

  // ---- diff ----

  @Test
  void changesListWhatTheContainerAddedChangedAndDeleted() throws Exception {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(
                    List.of(
                        "sh",
                        "-c",
                        "echo x >> /etc/passwd; rm /data/a; echo n > /data/new; mkdir -p /n/m"))
                .build());
    assertEquals(List.of(), engine.changes(r.id()), "nothing before it ran");
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    assertEquals(
        List.of("C /data", "D /data/a", "A /data/new", "C /etc", "C /etc/passwd", "A /n", "A /n/m"),
        engine.changes(r.id()).stream().map(c -> c.kind().letter() + " " + c.path()).toList());
  }

  // ---- commit ----

  @Test
  void aCommittedImageRunsWithTheChangesAndDeletionsStayDeleted() throws Exception {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(
                    List.of(
                        "sh",
                        "-c",
                        "echo new > /etc/motd; rm /data/a; rm -r /data/sub; mkdir /data/sub;"
                            + " echo c > /data/sub/c"))
                .env(List.of("FROM_RUN=1"))
                .build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    ImageRecord image =
        engine.commit(
            r.id(),
            new Commit.Options(
                "localhost/changed:1",
                "me",
                "a message",
                List.of(
                    "CMD [\"cat\", \"/etc/motd\"]",
                    "ENV K=V",
                    "LABEL a=b",
                    "WORKDIR /data",
                    "EXPOSE 80"),
                true));
    assertEquals("localhost/changed:1", image.name());
    ImageConfig config =
        ImageJson.readConfig(engine.images().content().read(image.config(), 1 << 20), "config");
    assertEquals(2, config.rootfs().diffIds().size());
    assertEquals(List.of("cat", "/etc/motd"), config.config().cmd());
    assertTrue(
        config.config().env().containsAll(List.of("FROM_RUN=1", "K=V")),
        config.config().env().toString());
    assertEquals(Map.of("a", "b"), config.config().labels());
    assertEquals("/data", config.config().workingDir());
    assertEquals(java.util.Set.of("80/tcp"), config.config().exposedPorts());
    assertEquals("me", config.author());
    ImageConfig.History last = config.history().getLast();
    assertEquals("a message", last.comment());
    assertTrue(last.createdBy().startsWith("sh -c echo new"), last.createdBy());
    // The committed layer has the container's changes, not the engine's empty mount points.
    var top = dev.berth.image.snapshot.ChainIds.of(config.rootfs().diffIds()).getLast();
    String lowers = "";
    for (var m : engine.images().snapshots().view(top)) {
      for (String o : m.options()) if (o.startsWith("lowerdir=")) lowers = o.substring(9);
    }
    java.nio.file.Path layer = java.nio.file.Path.of(lowers.split(":")[0]);
    assertTrue(java.nio.file.Files.exists(layer.resolve("etc/motd")), layer.toString());
    assertFalse(java.nio.file.Files.exists(layer.resolve("etc/hostname")), "no mount point");

    ContainerRecord fromCommit =
        engine.create(new ContainerOptions.Builder("localhost/changed:1").build());
    engine.start(fromCommit.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(fromCommit.id()));
    assertEquals("new\n", log(fromCommit), "the image's CMD from --change");
    assertEquals(
        "sub\n", run("localhost/changed:1", "ls", "/data"), "a deleted file stays deleted");
    assertEquals(
        "c\n", run("localhost/changed:1", "ls", "/data/sub"), "a replaced directory is opaque");
  }

  @Test
  void aRunningContainerIsPausedForItsCommitAndRunsOn() throws Exception {
    ContainerRecord r = created("sh", "-c", "echo x > /made; sleep 100");
    engine.start(r.id(), Engine.StartListener.NONE);
    while (!exists(r.id(), "/made")) Thread.sleep(20);
    ImageRecord image =
        engine.commit(r.id(), new Commit.Options(null, null, null, List.of(), true));
    assertTrue(image.name().startsWith("sha256:"), image.name());
    assertEquals(Status.RUNNING, engine.inspect(r.id()).state().status());
    assertEquals("x\n", run(image.config().toString(), "cat", "/made"));
    BerthException bad =
        assertThrows(
            BerthException.class,
            () ->
                engine.commit(
                    r.id(), new Commit.Options("x:1", null, null, List.of("RUN true"), true)));
    assertEquals("run is not a valid change command", bad.getMessage());
  }

  // ---- prune ----

  @Test
  void pruneRemovesStoppedContainersOnly() throws Exception {
    ContainerRecord exited = created("true");
    engine.start(exited.id(), Engine.StartListener.NONE);
    engine.await(exited.id());
    ContainerRecord made = created("true");
    ContainerRecord labelled =
        engine.create(
            new ContainerOptions.Builder(IMAGE)
                .command(List.of("true"))
                .labels(Map.of("keep", "yes"))
                .build());
    ContainerRecord running = created("sleep", "100");
    engine.start(running.id(), Engine.StartListener.NONE);
    Engine.Pruned pruned = engine.prune(c -> !"yes".equals(c.options().labels().get("keep")));
    assertEquals(java.util.Set.of(exited.id(), made.id()), java.util.Set.copyOf(pruned.ids()));
    List<String> left = engine.list().stream().map(ContainerRecord::id).toList();
    assertEquals(java.util.Set.of(labelled.id(), running.id()), java.util.Set.copyOf(left));
  }
}
