package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.spec.ImageUsers.ExecUser;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageUsersTest {
  private static final byte[] PASSWD =
      ("""
      root:x:0:0:root:/root:/bin/sh
      # a comment
      app:x:1000:1000:App:/home/app:/bin/sh
      svc:x:1001:1001::/srv:/bin/false
      1234:x:500:500::/named-by-number:/bin/sh
      nohome:x:1002:1002:::/bin/sh
      """)
          .getBytes(StandardCharsets.UTF_8);
  private static final byte[] GROUP =
      ("""
      root:x:0:
      app:x:1000:
      svc:x:1001:
      extra:x:2000:app,svc
      more:x:3000:app
      web:x:4000:
      """)
          .getBytes(StandardCharsets.UTF_8);

  private static ExecUser resolve(String spec) throws BerthException {
    return ImageUsers.resolve(PASSWD, GROUP, spec);
  }

  @Test
  void namesAndNumbersResolveAsDockerDoes() throws Exception {
    assertEquals(new ExecUser(0, 0, List.of(0), "/root", "root"), resolve(""));
    // A named user gets its passwd gid and home, and the groups listing it as a member, after its
    // primary gid.
    assertEquals(
        new ExecUser(1000, 1000, List.of(1000, 2000, 3000), "/home/app", "app"), resolve("app"));
    // A number is looked up by uid, never by name: "1234" is uid 1234 (no entry), not the user
    // named "1234".
    assertEquals(
        new ExecUser(1000, 1000, List.of(1000, 2000, 3000), "/home/app", "app"), resolve("1000"));
    assertEquals(new ExecUser(1234, 0, List.of(0), "/", ""), resolve("1234"));
    // An explicit group replaces the primary group and drops the supplementary ones.
    assertEquals(new ExecUser(1000, 4000, List.of(4000), "/home/app", "app"), resolve("app:web"));
    assertEquals(new ExecUser(1000, 4000, List.of(4000), "/home/app", "app"), resolve("app:4000"));
    assertEquals(new ExecUser(1000, 777, List.of(777), "/home/app", "app"), resolve("app:777"));
    assertEquals(new ExecUser(4242, 4000, List.of(4000), "/", ""), resolve("4242:web"));
    assertEquals(new ExecUser(1002, 1002, List.of(1002), "/", "nohome"), resolve("nohome"));
    assertEquals(new ExecUser(1001, 1001, List.of(1001, 2000), "/srv", "svc"), resolve("svc"));
  }

  @Test
  void missingNamesAreDockersErrors() {
    BerthException e = assertThrows(BerthException.class, () -> resolve("nobody"));
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    assertEquals("unable to find user nobody: no matching entries in passwd file", e.getMessage());
    e = assertThrows(BerthException.class, () -> resolve("app:wheel"));
    assertEquals("unable to find group wheel: no matching entries in group file", e.getMessage());
    e = assertThrows(BerthException.class, () -> resolve("-5"));
    assertTrue(
        e.getMessage().contains("uids and gids must be in range 0-2147483647"), e.getMessage());
    // Without a passwd file, numbers still work and names do not.
    assertThrows(BerthException.class, () -> ImageUsers.resolve(null, null, "app"));
  }

  @Test
  void withoutFilesNumbersStillResolve() throws Exception {
    assertEquals(new ExecUser(0, 0, List.of(0), "/", ""), ImageUsers.resolve(null, null, ""));
    assertEquals(
        new ExecUser(33, 44, List.of(44), "/", ""), ImageUsers.resolve(null, null, "33:44"));
  }

  @Test
  void filesAreReadInsideTheRootfs(@TempDir Path tmp) throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.write(rootfs.resolve("etc/passwd"), PASSWD);
    Files.write(rootfs.resolve("etc/group"), GROUP);
    assertEquals(
        new ExecUser(1000, 1000, List.of(1000, 2000, 3000), "/home/app", "app"),
        ImageUsers.resolve(rootfs, "app"));
  }

  @Test
  void filesReadOnceResolveAsTheRootfsDoes(@TempDir Path tmp) throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.write(rootfs.resolve("etc/passwd"), PASSWD);
    Files.write(rootfs.resolve("etc/group"), GROUP);
    ImageUsers.UserFiles files = ImageUsers.UserFiles.read(rootfs);
    assertEquals(PASSWD.length + GROUP.length, files.size());
    for (String spec : List.of("", "app", "svc:web", "4242")) {
      assertEquals(ImageUsers.resolve(rootfs, spec), ImageUsers.resolve(files, spec), spec);
    }
    assertEquals(
        List.of(4000, 77, 2000), ImageUsers.groupIds(files, List.of("web", "77", "extra")));
    BerthException e =
        assertThrows(BerthException.class, () -> ImageUsers.groupIds(files, List.of("wheel")));
    assertEquals("unable to find group wheel: no matching entries in group file", e.getMessage());
    // An image without the files: numbers only, as read from its rootfs.
    ImageUsers.UserFiles none =
        ImageUsers.UserFiles.read(Files.createDirectories(tmp.resolve("empty")));
    assertNull(none.passwd());
    assertEquals(List.of(5), ImageUsers.groupIds(none, List.of("5")));
    assertThrows(BerthException.class, () -> ImageUsers.resolve(none, "app"));
  }

  @Test
  void hostileSymlinksDoNotReachTheHost(@TempDir Path tmp) throws Exception {
    // A "host" passwd outside the rootfs that names a user the image lacks.
    Path secret = Files.writeString(tmp.resolve("host-passwd"), "intruder:x:0:0::/:/bin/sh\n");
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("etc"));
    // Absolute: resolves as rootfs + path, which does not exist.
    Files.createSymbolicLink(rootfs.resolve("etc/passwd"), secret);
    // Relative with more ".." than the rootfs is deep: clamped at the rootfs' root.
    Files.createSymbolicLink(
        rootfs.resolve("etc/group"), Path.of("../../../../../../.." + tmp + "/host-passwd"));
    assertNull(ImageUsers.readInRoot(rootfs, "etc/passwd"));
    assertNull(ImageUsers.readInRoot(rootfs, "etc/group"));
    BerthException e =
        assertThrows(BerthException.class, () -> ImageUsers.resolve(rootfs, "intruder"));
    assertEquals(
        "unable to find user intruder: no matching entries in passwd file", e.getMessage());

    // A link that stays inside the image is followed within it.
    Files.delete(rootfs.resolve("etc/passwd"));
    Files.writeString(rootfs.resolve("real-passwd"), "inside:x:7:8::/in:/bin/sh\n");
    Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/real-passwd"));
    assertEquals(
        new ExecUser(7, 8, List.of(8), "/in", "inside"), ImageUsers.resolve(rootfs, "inside"));
  }

  @Test
  void onlyRegularFilesAreRead(@TempDir Path tmp) throws Exception {
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("etc/passwd"));
    BerthException e = assertThrows(BerthException.class, () -> ImageUsers.resolve(rootfs, "app"));
    assertEquals("the image's /etc/passwd is not a regular file", e.getMessage());
    // A FIFO must not block the lookup waiting for a writer.
    Files.delete(rootfs.resolve("etc/passwd"));
    dev.berth.sys.Linux.mkfifo(rootfs.resolve("etc/passwd").toString(), 0644);
    e = assertThrows(BerthException.class, () -> ImageUsers.resolve(rootfs, "app"));
    assertEquals("the image's /etc/passwd is not a regular file", e.getMessage());
  }

  @Test
  void filesOfEverySizeAreReadWhole(@TempDir Path tmp) throws Exception {
    // The read buffer is sized from the file's size: an empty file, one under the smallest buffer,
    // and one of many pages (the user on its last line) all come back byte for byte.
    Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.write(rootfs.resolve("etc/group"), new byte[0]);
    assertEquals(0, ImageUsers.readInRoot(rootfs, "etc/group").length);
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      big.append("user").append(i).append(":x:").append(10000 + i).append(":10::/h:/bin/sh\n");
    }
    big.append("last:x:77:88::/last:/bin/sh\n");
    byte[] passwd = big.toString().getBytes(StandardCharsets.UTF_8);
    assertTrue(passwd.length > 128 * 1024);
    Files.write(rootfs.resolve("etc/passwd"), passwd);
    assertTrue(java.util.Arrays.equals(passwd, ImageUsers.readInRoot(rootfs, "etc/passwd")));
    Files.writeString(rootfs.resolve("etc/group"), "g:x:88:last\n");
    assertEquals(
        new ExecUser(77, 88, List.of(88), "/last", "last"), ImageUsers.resolve(rootfs, "last"));
  }
}
