package dev.berth.testkit.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.sys.Linux;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeSnapshotTest {

  /**
   * The same small tree at {@code root}: a dir, a file with an xattr, a hard link, a symlink, a
   * fifo.
   */
  static Path tree(Path root) throws Exception {
    Files.createDirectories(root.resolve("d"));
    Files.writeString(root.resolve("d/f"), "content");
    Files.createLink(root.resolve("d/h"), root.resolve("d/f"));
    Files.createSymbolicLink(root.resolve("l"), Path.of("d/f"));
    Linux.mkfifo(root.resolve("p").toString(), 0600);
    xattr(root.resolve("d/f"), "user.k", "v");
    Files.setPosixFilePermissions(
        root.resolve("d/f"), PosixFilePermissions.fromString("rw-r-----"));
    Files.setPosixFilePermissions(root.resolve("d"), PosixFilePermissions.fromString("rwxr-xr-x"));
    return root;
  }

  static void xattr(Path p, String name, String value) throws Exception {
    Files.getFileAttributeView(p, UserDefinedFileAttributeView.class)
        .write(
            name.substring("user.".length()),
            ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void sameTreesAreEqualAndDescribedFully(@TempDir Path tmp) throws Exception {
    TreeSnapshot a = TreeSnapshot.of(tree(tmp.resolve("a")));
    TreeSnapshot b = TreeSnapshot.of(tree(tmp.resolve("b")));
    assertEquals(List.of(), a.diff(b));
    b.assertSameAs(a);
    assertEquals(List.of(".", "d", "d/f", "d/h", "l", "p"), List.copyOf(a.nodes().keySet()));
    var f = a.get("d/f");
    assertEquals('f', f.type());
    assertEquals(0640, f.mode());
    assertEquals(7, f.size());
    assertEquals("ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73", f.sha256());
    assertEquals(java.util.Map.of("user.k", "76"), f.xattrs());
    assertEquals("d/f", a.get("d/h").hardlinkOf());
    assertEquals("d/f", a.get("l").target());
    assertEquals('p', a.get("p").type());
  }

  @Test
  void findsADifferenceInModeLinkTargetXattrContentAndHardLinks(@TempDir Path tmp)
      throws Exception {
    TreeSnapshot a = TreeSnapshot.of(tree(tmp.resolve("a")));
    Path b = tree(tmp.resolve("b"));
    Files.setPosixFilePermissions(b.resolve("d"), PosixFilePermissions.fromString("rwx------"));
    Files.delete(b.resolve("l"));
    Files.createSymbolicLink(b.resolve("l"), Path.of("d/h"));
    xattr(b.resolve("d/f"), "user.k", "w");
    Files.delete(b.resolve("d/h"));
    Files.writeString(
        b.resolve("d/h"), "content"); // same content, mode and xattr, but no longer a hard link
    Files.setPosixFilePermissions(b.resolve("d/h"), PosixFilePermissions.fromString("rw-r-----"));
    xattr(b.resolve("d/h"), "user.k", "v");
    Files.writeString(b.resolve("extra"), "");
    List<String> d = TreeSnapshot.of(b).diff(a);
    assertEquals(
        List.of(
            "d: mode 700 != 755",
            "d/f: xattrs {user.k=77} != {user.k=76}",
            "d/h: hard link of \"\" != \"d/f\"",
            "only in " + b + ": extra",
            "l: link target \"d/h\" != \"d/f\""),
        d);
    var e = assertThrows(AssertionError.class, () -> TreeSnapshot.of(b).assertSameAs(a));
    assertTrue(e.getMessage().startsWith("5 differences"), e.getMessage());
    assertEquals(
        List.of(), TreeSnapshot.of(b).excluding("d", "l", "extra").diff(a.excluding("d", "l")));

    Files.writeString(b.resolve("d/f"), "changed");
    assertTrue(
        TreeSnapshot.of(b)
            .diff(a)
            .contains(
                "d/f: content sha256 "
                    + TreeSnapshot.of(b).get("d/f").sha256().substring(0, 12)
                    + " != "
                    + a.get("d/f").sha256().substring(0, 12)));
  }

  @Test
  void mtimesAreComparedOnlyWhenAskedFor(@TempDir Path tmp) throws Exception {
    Path a = tree(tmp.resolve("a"));
    Path b = tree(tmp.resolve("b"));
    Files.setLastModifiedTime(b.resolve("d/f"), FileTime.fromMillis(0));
    assertEquals(List.of(), TreeSnapshot.of(b).diff(TreeSnapshot.of(a)));
    assertTrue(
        TreeSnapshot.of(b, true, false).diff(TreeSnapshot.of(a, true, false)).stream()
            .anyMatch(s -> s.startsWith("d/f: mtime 0 != ")));
  }

  @Test
  @RequiresRoot
  void findsADifferenceInOwnerAndDeviceNumbers(@TempDir Path tmp) throws Exception {
    Path a = tree(tmp.resolve("a"));
    Path b = tree(tmp.resolve("b"));
    Exec.run("mknod", a.resolve("dev").toString(), "c", "1", "3").ok();
    Exec.run("mknod", b.resolve("dev").toString(), "c", "1", "5").ok();
    Files.setPosixFilePermissions(a.resolve("dev"), PosixFilePermissions.fromString("rw-rw-rw-"));
    Files.setPosixFilePermissions(b.resolve("dev"), PosixFilePermissions.fromString("rw-rw-rw-"));
    Linux.lchown(b.resolve("l").toString(), 1000, 1001);
    assertEquals(
        List.of("dev: device 1:5 != 1:3", "l: owner 1000:1001 != 0:0"),
        TreeSnapshot.of(b).diff(TreeSnapshot.of(a)));
  }
}
