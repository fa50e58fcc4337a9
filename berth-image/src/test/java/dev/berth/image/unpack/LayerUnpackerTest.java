package dev.berth.image.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRoot
class LayerUnpackerTest {
  @TempDir Path tmp;
  Path target;
  Path sentinel;

  @BeforeEach
  void dirs() throws IOException {
    target = Files.createDirectory(tmp.resolve("root"));
    sentinel = Files.createDirectory(tmp.resolve("sentinel"));
  }

  private UnpackResult unpack(byte[] tar) throws IOException {
    return new LayerUnpacker().unpack(new ByteArrayInputStream(tar), Compression.NONE, target, Mode.OVERLAY);
  }

  private void assertSentinelEmpty() throws IOException {
    try (Stream<Path> s = Files.list(sentinel)) {
      assertEquals(0, s.count(), "nothing may be written outside the target");
    }
  }

  @Test
  void preservesOwnersModesTimesXattrsLinksAndDevices() throws Exception {
    // security.capability as the kernel stores it (v2, cap_setuid|cap_net_bind_service): not valid UTF-8.
    byte[] cap = {1, 0, 0, 2, (byte) 0x80, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    String longName = "d/" + "n".repeat(200);
    byte[] tar = new TarBuilder().mtime(1_234_567_890L)
        .dir("d/", 0750, 1000, 1001)
        .file("d/suid", 04755, 1000, 1001, "run".getBytes(StandardCharsets.UTF_8),
            Map.of("SCHILY.xattr.security.capability", cap, "SCHILY.xattr.user.note", "é".getBytes(
                StandardCharsets.UTF_8), "SCHILY.xattr.trusted.overlay.opaque", new byte[] {'y'}))
        .file("d/sgid", 02711, 5, 6, new byte[0], Map.of())
        .hardlink("d/hard", "d/suid")
        .symlink("d/link", "/etc/../nowhere")
        .device("d/null", '3', 1, 3)
        .device("d/fifo", '6', 0, 0)
        .file(longName, "long")
        .bytes();
    UnpackResult r = unpack(tar);

    assertEquals(Digest.sha256Of(tar), r.diffId());
    assertEquals(tar.length, r.tarBytes());
    Stat d = Linux.lstat(target + "/d");
    assertEquals(0750, d.permissions());
    assertEquals(1000, d.uid());
    assertEquals(1001, d.gid());
    assertEquals(1_234_567_890L, d.mtimeSec(), "a directory keeps its time though files were added after it");
    Stat suid = Linux.lstat(target + "/d/suid");
    assertEquals(04755, suid.permissions(), "setuid survives the chown");
    assertEquals(1000, suid.uid());
    assertEquals(1_234_567_890L, suid.mtimeSec());
    assertEquals(02711, Linux.lstat(target + "/d/sgid").permissions());
    assertArrayEquals(cap, Linux.lgetxattr(target + "/d/suid", "security.capability"), "binary xattr bytes");
    assertEquals("é", new String(Linux.lgetxattr(target + "/d/suid", "user.note"), StandardCharsets.UTF_8));
    assertEquals(null, Linux.lgetxattr(target + "/d/suid", "trusted.overlay.opaque"), "overlay xattrs dropped");
    assertEquals(suid.ino(), Linux.lstat(target + "/d/hard").ino());
    assertEquals("/etc/../nowhere", Linux.readlink(target + "/d/link"));
    Stat dev = Linux.lstat(target + "/d/null");
    assertTrue(dev.isCharDevice());
    assertEquals(1, dev.rdevMajor());
    assertEquals(3, dev.rdevMinor());
    assertEquals(0660, dev.permissions());
    assertEquals(6, dev.gid());
    assertTrue(Linux.lstat(target + "/d/fifo").isFifo());
    assertEquals("long", Files.readString(target.resolve(longName)));
    assertEquals(8, r.entries());
  }

  @Test
  void compressionsGiveTheSameTreeAndDiffId() throws Exception {
    byte[] data = new byte[3 << 20];
    new Random(1).nextBytes(data);
    byte[] tar = new TarBuilder().file("big", 0644, 0, 0, data, Map.of()).file("small", "s").bytes();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream o = new GZIPOutputStream(gz)) {
      o.write(tar);
    }
    ByteArrayOutputStream zs = new ByteArrayOutputStream();
    try (ZstdOutputStream o = new ZstdOutputStream(zs)) {
      o.write(tar);
    }
    Map<Compression, byte[]> blobs = Map.of(Compression.NONE, tar, Compression.GZIP, gz.toByteArray(),
        Compression.ZSTD, zs.toByteArray());
    for (Map.Entry<Compression, byte[]> b : blobs.entrySet()) {
      Path t = Files.createDirectory(tmp.resolve("t-" + b.getKey()));
      UnpackResult r = new LayerUnpacker().unpack(new ByteArrayInputStream(b.getValue()), b.getKey(), t, Mode.APPLY);
      assertEquals(Digest.sha256Of(tar), r.diffId(), b.getKey().toString());
      assertArrayEquals(data, Files.readAllBytes(t.resolve("big")), b.getKey().toString());
      assertEquals(data.length + 1, r.fileBytes());
    }
  }

  @Test
  @RequiresCommand("tar")
  void sparseFilesKeepTheirHolesAndContent() throws Exception {
    Path src = Files.createDirectory(tmp.resolve("src"));
    Path f = src.resolve("sparse");
    try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap("head".getBytes()), 0);
      ch.write(java.nio.ByteBuffer.wrap("tail".getBytes()), 64L << 20);
    }
    for (String format : new String[] {"gnu", "posix"}) {
      Path tarFile = tmp.resolve(format + ".tar");
      Process p = new ProcessBuilder("tar", "--sparse", "--format=" + format, "-cf", tarFile.toString(), "-C",
          src.toString(), "sparse").inheritIO().start();
      assertEquals(0, p.waitFor());
      Path t = Files.createDirectory(tmp.resolve("out-" + format));
      try (InputStream in = Files.newInputStream(tarFile)) {
        new LayerUnpacker().unpack(in, Compression.NONE, t, Mode.OVERLAY);
      }
      Path got = t.resolve("sparse");
      assertEquals(Files.size(f), Files.size(got), format);
      assertEquals(Files.mismatch(f, got), -1L, format);
      assertTrue(Linux.lstat(got.toString()).blocks() * 512 < (1 << 20), format + ": holes kept");
    }
  }

  // ---- hostile layers ------------------------------------------------------------------------------------------

  @Test
  void dotDotThatLeavesTheRootIsRefused() throws Exception {
    byte[] tar = new TarBuilder().file("ok", "x").file("../x", "evil").bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("entry \"../x\": path escapes the layer root", e.getMessage());
    assertEquals("../x", e.entry());
    assertFalse(Files.exists(tmp.resolve("x")));
    byte[] deep = new TarBuilder().file("a/../../sentinel/x", "evil").bytes();
    e = assertThrows(UnpackException.class, () -> unpack(deep));
    assertEquals("entry \"a/../../sentinel/x\": path escapes the layer root", e.getMessage());
    assertSentinelEmpty();
  }

  @Test
  void absoluteAndDotNamesLandInsideTheRoot() throws Exception {
    unpack(new TarBuilder().file("/abs", "1").file("./dot", "2").file("a/./b/../c", "3").bytes());
    assertEquals("1", Files.readString(target.resolve("abs")));
    assertEquals("2", Files.readString(target.resolve("dot")));
    assertEquals("3", Files.readString(target.resolve("a/c")));
  }

  @Test
  void writesThroughSymlinksStayInsideTheRoot() throws Exception {
    byte[] tar = new TarBuilder()
        .symlink("abs", sentinel.toString())
        .symlink("rel", "../../../../../../../../" + sentinel)
        .file("abs/pwned", "a")
        .file("rel/pwned", "b")
        .symlink("file-link", sentinel + "/victim")
        .file("file-link", "replaced the link, not its target")
        .bytes();
    unpack(tar);
    assertSentinelEmpty();
    // Resolved as if the target were "/": the files exist under target/<sentinel path>.
    assertTrue(Files.exists(target.resolve(sentinel.toString().substring(1)).resolve("pwned")));
    assertTrue(Files.isRegularFile(target.resolve("file-link"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void hardlinksOutOfTheRootAreRefused() throws Exception {
    Files.writeString(sentinel.resolve("secret"), "s");
    byte[] tar = new TarBuilder().hardlink("h", "../sentinel/secret").bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("entry \"h\": hardlink target \"../sentinel/secret\" escapes the layer root", e.getMessage());
    // Through a symlinked directory: resolved inside the root, where nothing is.
    byte[] viaLink = new TarBuilder().symlink("s", sentinel.toString()).hardlink("h2", "s/secret").bytes();
    e = assertThrows(UnpackException.class, () -> unpack(viaLink));
    assertTrue(e.getMessage().startsWith("entry \"h2\": hardlink to \"s/secret\""), e.getMessage());
    assertEquals(1, Linux.lstat(sentinel + "/secret").nlink());
    assertFalse(Files.exists(target.resolve("h2")));
  }

  @Test
  void whiteoutOfTheRootIsRefused() {
    for (String w : new String[] {".wh..", "./.wh..", ".wh...", "a/.wh.."}) {
      byte[] tar = new TarBuilder().dir("a/", 0755, 0, 0).file(w, "").bytes();
      UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar), w);
      assertEquals(w, e.entry());
      assertTrue(e.getMessage().contains("whiteout of"), e.getMessage());
    }
  }

  @Test
  void truncatedLayerFailsNamingTheEntry() {
    byte[] tar = new TarBuilder().file("fine", "ok").truncated("huge", 1L << 40, 4096);
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("huge", e.entry());
    assertTrue(e.getMessage().startsWith("entry \"huge\": layer is truncated"), e.getMessage());
  }

  @Test
  void unknownEntryTypeIsAnError() {
    byte[] tar = new TarBuilder().entry("odd", 'Z', 0644, 0, 0, "", new byte[0], Map.of(), 0, 0).bytes();
    UnpackException e = assertThrows(UnpackException.class, () -> unpack(tar));
    assertEquals("entry \"odd\": unsupported tar entry type 'Z'", e.getMessage());
  }

  @Test
  void replacingEntries() throws Exception {
    unpack(new TarBuilder().dir("d/", 0755, 0, 0).file("d/x", "1").file("f", "old").symlink("l", "f")
        .dir("keep/", 0700, 0, 0).file("keep/inside", "i").bytes());
    unpack(new TarBuilder().file("d", "file over dir").file("f", "new").file("l", "file over link")
        .dir("keep/", 0711, 3, 3).bytes());
    assertEquals("file over dir", Files.readString(target.resolve("d")));
    assertEquals("new", Files.readString(target.resolve("f")));
    assertEquals("file over link", Files.readString(target.resolve("l")));
    assertEquals("i", Files.readString(target.resolve("keep/inside")), "a dir over a dir keeps its contents");
    assertEquals(0711, Linux.lstat(target + "/keep").permissions());
  }
}
