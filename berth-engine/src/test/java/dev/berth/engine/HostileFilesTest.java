package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.fs.HostFiles;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.TarEntries;
import dev.berth.testkit.image.TarEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published escapes through container files, replayed on the real kernel: docker cp's
 * symlink-exchange race (CVE-2018-15664) and its static variants, docker cp loading the container's
 * code (CVE-2019-14271), hostile image volumes (CVE-2022-23648), hostile image archives for load
 * and import, hostile volume names. A directory of the host ({@code host}, one file) stands for
 * what a container must never read or write; every test ends by checking it is untouched.
 */
@RequiresRoot
class HostileFilesTest {
  static final String IMAGE = "localhost/hostile-files:latest";
  static final String SECRET = "host secret\n";

  @TempDir Path tmp;
  Path root;
  Path host;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    root = tmp.resolve("root");
    host = Files.createDirectories(tmp.resolve("host"));
    Files.writeString(host.resolve("secret"), SECRET);
    engine = Engine.open(EngineConfig.at(root, tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    String rel = host.toString().substring(1);
    // The host's path as the container has it: a decoy (where an in-root resolution of "/" lands)
    // and the same path under /w/d (where it lands while d is the directory).
    Files.createDirectories(rootfs.resolve(rel));
    Files.writeString(rootfs.resolve(rel).resolve("secret"), "decoy\n");
    Files.createDirectories(rootfs.resolve("w/d").resolve(rel));
    Files.writeString(rootfs.resolve("w/d").resolve(rel).resolve("secret"), "inside\n");
    Files.createSymbolicLink(rootfs.resolve("w/lnk"), Path.of("/"));
    // Static links out of the root, each a way the attacks name the host's "/".
    Files.createSymbolicLink(rootfs.resolve("w/abs"), Path.of("/"));
    Files.createSymbolicLink(rootfs.resolve("w/rel"), Path.of("../../../../../../.."));
    Files.createSymbolicLink(rootfs.resolve("w/self"), Path.of("/proc/self/root"));
    Files.createSymbolicLink(rootfs.resolve("w/cwd"), Path.of("/proc/1/cwd"));
    Files.createSymbolicLink(rootfs.resolve("w/init"), Path.of("/proc/1/root"));
    Files.createSymbolicLink(rootfs.resolve("w/file"), host.resolve("secret"));
    // CVE-2019-14271: the container's name-service library, which docker-tar loaded on the host.
    for (String lib : List.of("lib/x86_64-linux-gnu/libnss_files.so.2", "lib/libnss_files.so.2")) {
      Files.createDirectories(rootfs.resolve(lib).getParent());
      Files.writeString(rootfs.resolve(lib), "not a library, and never loaded\n");
    }
    Files.writeString(rootfs.resolve("etc/nsswitch.conf"), "passwd: files\ngroup: files\n");
    Path tar = tmp.resolve("rootfs.tar");
    EngineTestSupport.importRootfs(engine, rootfs, tar, IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
    assertEquals(List.of("secret"), names(host), "the host's directory changed");
    assertEquals(SECRET, Files.readString(host.resolve("secret")));
  }

  static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private ContainerRecord running(String script) throws Exception {
    ContainerRecord r =
        engine.create(
            new ContainerOptions.Builder(IMAGE).command(List.of("sh", "-c", script)).build());
    engine.start(r.id(), Engine.StartListener.NONE);
    return r;
  }

  private static byte[] tar(TarEntry... entries) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    new LayerTar().add(entries).writeTo(b);
    return b.toByteArray();
  }

  /** Every entry's name and content ("name=content" for files, "name" otherwise). */
  private static List<String> contents(byte[] tar) throws IOException {
    List<String> out = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        out.add(
            e.isSymbolicLink()
                ? e.getName() + " -> " + e.getLinkName()
                : e.isFile()
                    ? e.getName() + "=" + new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    : e.getName());
      }
    }
    return out;
  }

  /** What GET archive gives for {@code path}, or the error's category when refused. */
  private String get(String id, String path, boolean follow) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      engine.copyFrom(id, path, follow, null, b);
    } catch (BerthException e) {
      return e.category().name();
    }
    return String.join(",", contents(b.toByteArray()));
  }

  private String exec(String id, String script) throws Exception {
    Path out = tmp.resolve("exec.out");
    Files.deleteIfExists(out);
    engine.exec(
        id, ExecOptions.of("sh", "-c", script), new Stdio(Path.of("/dev/null"), out, out), null);
    return Files.readString(out);
  }

  // ---- CVE-2018-15664: docker cp and a path swapped for a symlink to "/" ----

  @Test
  void cve201815664SymlinkExchangeRaceNeverReadsOrWritesTheHost() throws Exception {
    String rel = host.toString().substring(1);
    // /w/d is a directory, then a symlink to "/", then the directory again, in a tight loop.
    ContainerRecord r =
        running(
            "cd /w; while :; do busybox mv d real; busybox mv lnk d; busybox mv d lnk;"
                + " busybox mv real d; done");
    String file = "/w/d/" + rel + "/secret";
    String dir = "/w/d/" + rel;
    Path out = Files.createDirectories(tmp.resolve("out"));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      // GET archive and HEAD archive (stat), not following and following the path's last link.
      seen.add(get(r.id(), file, i % 2 == 0));
      seen.add(get(r.id(), dir, false));
      try {
        seen.add(engine.statPath(r.id(), file, true).size() == SECRET.length() ? "host?" : "");
      } catch (BerthException e) {
        seen.add(e.category().name());
      }
      // PUT archive into the swapped path.
      try {
        engine.copyTo(
            r.id(), dir, new ByteArrayInputStream(tar(TarEntry.file("pwned", "x"))), i % 2 == 0);
      } catch (BerthException e) {
        seen.add(e.category().name());
      }
      // berth cp CONTAINER:PATH HOSTDIR: the container's tar extracted on the host.
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      try {
        engine.copyFrom(r.id(), dir, false, null, b);
        HostFiles.extract(new ByteArrayInputStream(b.toByteArray()), out.toString(), null);
      } catch (BerthException e) {
        seen.add(e.category().name());
      }
    }
    for (String s : seen) {
      assertFalse(s.contains("host secret") || s.equals("host?"), "read the host's file: " + s);
    }
    // What the copies wrote landed in the container's tree: its directory, or its decoy (d a link).
    String written =
        exec(
            r.id(),
            "cat /w/real/" + rel + "/pwned /w/d/" + rel + "/pwned /" + rel + "/pwned 2>/dev/null");
    assertTrue(written.contains("x"), written);
    try (var walk = Files.walk(out)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        assertNotEquals(SECRET, Files.readString(p), p.toString());
      }
    }
  }

  @Test
  void cve201815664StaticLinksAndHostileTarEntriesStayInTheContainer() throws Exception {
    String rel = host.toString().substring(1);
    ContainerRecord r = running("sleep 1000");
    // Each link as a component of the copy path, and as its last component (followed or not;
    // followed, "/" is the container's whole root with its /proc: copied below with a file).
    for (String link : List.of("abs", "rel", "self", "cwd", "init")) {
      for (String path : List.of("/w/" + link + "/" + rel + "/secret", "/w/" + link + "/" + rel)) {
        for (boolean follow : List.of(false, true)) {
          String got = get(r.id(), path, follow);
          assertFalse(got.contains("host secret"), path + " (follow " + follow + "): " + got);
          assertNotEquals("INTERNAL", got, path);
        }
      }
      String self = get(r.id(), "/w/" + link, false);
      assertTrue(self.startsWith(link + " -> "), self);
    }
    assertEquals("file=decoy\n", get(r.id(), "/w/file", true), "a link to a host file");
    for (String path :
        List.of(
            "/proc/1/root/" + rel + "/secret",
            "/proc/self/root/" + rel + "/secret",
            "/proc/1/cwd/" + rel + "/secret")) {
      String got = get(r.id(), path, true);
      assertFalse(got.contains("host secret"), path + ": " + got);
      assertNotEquals("INTERNAL", got, path);
    }

    // PUT through the links and with absolute entry names: all of it lands in the container.
    for (String into : List.of("/w/abs/" + rel, "/w/rel/" + rel, "/")) {
      engine.copyTo(
          r.id(),
          into,
          new ByteArrayInputStream(tar(TarEntry.file("/" + rel + "/put", into))),
          false);
    }
    for (String into : List.of("/proc/1/root/" + rel, "/w/init/" + rel, "/w/self/" + rel)) {
      try {
        engine.copyTo(
            r.id(), into, new ByteArrayInputStream(tar(TarEntry.file("put2", "x"))), false);
      } catch (BerthException e) {
        assertNotEquals(ErrorCategory.INTERNAL, e.category(), into + ": " + e.getMessage());
      }
    }
    assertEquals(
        "/w/rel/" + rel + "|/|", // both links are the container's "/": the second copy replaced
        exec(r.id(), "cat /" + rel + "/" + rel + "/put; echo '|'; cat /" + rel + "/put; echo '|'")
            .replace("\n", ""));

    // A device node comes in (as docker's cp makes it), but the container may not open it; a
    // set-uid file keeps its bits, owned by the container's root or, with copyUIDGID, the tar's.
    engine.copyTo(
        r.id(),
        "/tmp",
        new ByteArrayInputStream(
            tar(
                TarEntry.charDevice("mem", 1, 1),
                TarEntry.file("suid", "#!/bin/sh\n").withMode(04755).withOwner(1000, 1000))),
        false);
    engine.copyTo(
        r.id(),
        "/tmp",
        new ByteArrayInputStream(
            tar(TarEntry.file("suid-kept", "#!/bin/sh\n").withMode(04755).withOwner(1000, 1000))),
        true);
    assertEquals(
        "denied 0:0:4755 1000:1000:4755",
        exec(
                r.id(),
                "head -c1 /tmp/mem >/dev/null 2>&1 && echo read || echo denied;"
                    + " stat -c '%u:%g:%a' /tmp/suid /tmp/suid-kept")
            .replace("\n", " ")
            .trim());

    // The kernel's own files under the container's /proc and /sys are never written.
    String corePattern = Files.readString(Path.of("/proc/sys/kernel/core_pattern"));
    for (String into : List.of("/proc/sys/kernel", "/sys/kernel")) {
      assertThrows(
          BerthException.class,
          () ->
              engine.copyTo(
                  r.id(),
                  into,
                  new ByteArrayInputStream(
                      tar(
                          TarEntry.file("core_pattern", "|/pwned"),
                          TarEntry.file("uevent_helper", "/pwned"))),
                  false),
          into);
    }
    assertEquals(corePattern, Files.readString(Path.of("/proc/sys/kernel/core_pattern")));

    // CVE-2019-14271: a copy never loads the container's code (docker-tar loaded its libnss).
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      assertFalse(line.contains(tmp.toString()), "mapped from the container: " + line);
    }
  }

  // ---- CVE-2023-25153 and kin: hostile archives for load and import ----

  private static byte[] sha256(byte[] b) throws Exception {
    return java.security.MessageDigest.getInstance("SHA-256").digest(b);
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }

  /** A docker-archive of the given members, written in order (null content: a symlink to it). */
  private Path archive(String name, java.util.Map<String, byte[]> members, int emptyEntries)
      throws IOException {
    Path p = tmp.resolve(name);
    try (var out =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
            Files.newOutputStream(p))) {
      out.setLongFileMode(
          org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
      for (int i = 0; i < emptyEntries; i++) {
        TarArchiveEntry e = new TarArchiveEntry("bomb/" + i);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
      }
      for (var m : members.entrySet()) {
        TarArchiveEntry e;
        if (m.getValue() == null) {
          e = new TarArchiveEntry(m.getKey(), TarArchiveEntry.LF_SYMLINK);
          e.setLinkName("/etc/passwd");
        } else {
          e = new TarArchiveEntry(m.getKey());
          e.setSize(m.getValue().length);
        }
        out.putArchiveEntry(e);
        if (m.getValue() != null) out.write(m.getValue());
        out.closeArchiveEntry();
      }
    }
    return p;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void cve202325153HostileArchivesAreRefusedClearlyLeavingNothing() throws Exception {
    var images = engine.images();
    var before = images.list();
    var snapshotsBefore = images.snapshots().committed();
    var blobsBefore = images.content().list();
    byte[] layer = tar(TarEntry.file("hello", "hello\n"));
    String diffId = "sha256:" + hex(sha256(layer));
    java.util.function.Function<String, byte[]> config =
        ids ->
            utf8(
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                    + "\"diff_ids\":["
                    + ids
                    + "]}}");
    java.util.function.Function<String, byte[]> manifest =
        layers ->
            utf8("[{\"Config\":\"c.json\",\"RepoTags\":[\"x:1\"],\"Layers\":[" + layers + "]}]");
    java.util.Map<String, String> refused = new java.util.LinkedHashMap<>();
    // manifest.json over the metadata limit, or nested past the reader's depth
    refused.put(
        "manifest.json: 8388609 bytes, over the limit",
        archive(
                "huge.tar",
                java.util.Map.of("manifest.json", utf8("[]" + " ".repeat((8 << 20) - 1))),
                0)
            .toString());
    refused.put(
        "manifest.json",
        archive("deep.tar", java.util.Map.of("manifest.json", utf8("[".repeat(100_000))), 0)
            .toString());
    // a layer whose content is not its diff id
    refused.put(
        "l.tar: content is sha256:",
        archive(
                "mismatch.tar",
                new java.util.TreeMap<>(
                    java.util.Map.of(
                        "c.json", config.apply("\"sha256:" + "0".repeat(64) + "\""),
                        "l.tar", layer,
                        "manifest.json", manifest.apply("\"l.tar\""))),
                0)
            .toString());
    // members named with "..", and a layer that is a symlink to a host file
    refused.put(
        "missing member ../../../etc/passwd",
        archive(
                "climb.tar",
                new java.util.TreeMap<>(
                    java.util.Map.of(
                        "c.json", config.apply("\"" + diffId + "\""),
                        "manifest.json", manifest.apply("\"../../../etc/passwd\""))),
                0)
            .toString());
    java.util.Map<String, byte[]> linked = new java.util.TreeMap<>();
    linked.put("c.json", config.apply("\"" + diffId + "\""));
    linked.put("l.tar", null);
    linked.put("manifest.json", manifest.apply("\"l.tar\""));
    refused.put("member l.tar is not a regular file", archive("linked.tar", linked, 0).toString());
    // a tar bomb of empty entries
    refused.put(
        "more than 65536 members",
        archive(
                "bomb.tar",
                new java.util.TreeMap<>(
                    java.util.Map.of(
                        "c.json", config.apply("\"" + diffId + "\""),
                        "l.tar", layer,
                        "manifest.json", manifest.apply("\"l.tar\""))),
                70_000)
            .toString());
    // a member whose name is a PAX header of 2 MiB (commons-compress would hold any size whole),
    // and 20 names of 1,000,000 bytes each: bounded one by one as Go, and in all
    Path longName = tmp.resolve("longname.tar");
    Files.write(
        longName, new TarEntries().add(TarEntry.file("n".repeat(2 << 20), "x")).toByteArray());
    refused.put("PAX header of 2097", longName.toString());
    TarEntries names = new TarEntries();
    for (int i = 0; i < 20; i++) names.add(TarEntry.file(i + "n".repeat(1_000_000), "x"));
    Path longNames = tmp.resolve("longnames.tar");
    Files.write(longNames, names.toByteArray());
    refused.put("PAX and long-name headers take more than 16777216 bytes", longNames.toString());
    for (var r : refused.entrySet()) {
      BerthException e =
          assertThrows(
              BerthException.class, () -> images.load(Path.of(r.getValue())), r.getValue());
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
      assertTrue(e.getMessage().contains(r.getKey()), e.getMessage());
    }
    assertEquals(before, images.list(), "no image from a refused archive");
    assertEquals(snapshotsBefore, images.snapshots().committed(), "no layer unpacked");
    assertEquals(blobsBefore, images.content().list(), "no blob stored");

    // A layer listed twice is one blob, unpacked once and stacked twice, as docker loads it.
    Path twice =
        archive(
            "twice.tar",
            new java.util.TreeMap<>(
                java.util.Map.of(
                    "c.json", config.apply("\"" + diffId + "\",\"" + diffId + "\""),
                    "l.tar", layer,
                    "manifest.json", manifest.apply("\"l.tar\",\"l.tar\""))),
            0);
    assertEquals(List.of("docker.io/library/x:1"), images.load(twice));
  }

  // ---- CVE-2022-23648: an image's VOLUMEs aimed at the host ----

  @Test
  void cve202223648ImageVolumesResolveInsideTheImage() throws Exception {
    String rel = host.toString().substring(1);
    Path rootfs = tmp.resolve("rootfs");
    Files.createDirectories(rootfs.resolve(rel).resolve("v"));
    Files.writeString(rootfs.resolve(rel).resolve("v/image-v"), "image\n");
    Files.createSymbolicLink(rootfs.resolve("hostlink"), host);
    Path layerTar = tmp.resolve("layer.tar");
    Process p =
        new ProcessBuilder("tar", "-C", rootfs.toString(), "-cf", layerTar.toString(), ".")
            .inheritIO()
            .start();
    assertEquals(0, p.waitFor());
    var layout = new dev.berth.testkit.image.OciLayoutBuilder(tmp.resolve("layout"));
    var layer =
        layout.layer(
            Files.readAllBytes(layerTar), dev.berth.spec.image.MediaTypes.Compression.NONE);
    var image =
        layout.image(
            dev.berth.testkit.image.OciLayoutBuilder.AMD64,
            dev.berth.testkit.image.ImageConfig.busybox()
                .withCmd("true")
                .withVolumes("/../../" + rel + "/v", "/hostlink/data", "/hostlink"),
            List.of(layer));
    layout.tag("latest", image.manifest());
    Path archive = tmp.resolve("volumes.tar");
    p =
        new ProcessBuilder("tar", "-C", layout.dir().toString(), "-cf", archive.toString(), ".")
            .inheritIO()
            .start();
    assertEquals(0, p.waitFor());
    String name = engine.images().load(archive).getFirst();

    ContainerRecord r = engine.create(new ContainerOptions.Builder(name).build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()));
    r = engine.inspect(r.id());
    // "/../../HOST/v" is the image's /HOST/v: its content was copied up, and the host's is not
    // there; "/hostlink" and "/hostlink/data" are the image's link followed inside the image.
    // (the image's /HOST holds the decoy "secret" and v).
    List<String> copied = new ArrayList<>();
    for (String v : r.volumes()) {
      Path data = engine.volumes().get(v).mountpoint();
      try (var walk = Files.walk(data)) {
        for (Path f : walk.filter(Files::isRegularFile).toList()) {
          copied.add(data.relativize(f) + "=" + Files.readString(f).trim());
        }
      }
    }
    assertEquals(
        List.of("image-v=image", "secret=decoy", "v/image-v=image"),
        copied.stream().sorted().toList());

    // A relative VOLUME is refused at create, leaving no container and no volume.
    var relative =
        layout.image(
            dev.berth.testkit.image.OciLayoutBuilder.AMD64,
            dev.berth.testkit.image.ImageConfig.busybox().withVolumes("etc"),
            List.of(layer));
    layout.tag("relative", relative.manifest());
    Files.delete(archive);
    p =
        new ProcessBuilder("tar", "-C", layout.dir().toString(), "-cf", archive.toString(), ".")
            .inheritIO()
            .start();
    assertEquals(0, p.waitFor());
    String relName =
        engine.images().load(archive).stream()
            .filter(n -> n.endsWith(":relative"))
            .findFirst()
            .get();
    int volumes = engine.volumes().list().volumes().size();
    int containers = engine.containers().list().containers().size();
    BerthException e =
        assertThrows(
            BerthException.class,
            () -> engine.create(new ContainerOptions.Builder(relName).build()));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    assertTrue(e.getMessage().contains("'etc'"), e.getMessage());
    assertEquals(volumes, engine.volumes().list().volumes().size());
    assertEquals(containers, engine.containers().list().containers().size());
  }
}
