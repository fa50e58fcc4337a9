package dev.berth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.opentest4j.TestAbortedException;

/** Root filesystems made from Debian's busybox-static: the test image of every runtime test. */
public final class Busybox {
  /** The applets tests use, linked in /bin. */
  public static final List<String> APPLETS =
      List.of(
          "sh",
          "echo",
          "cat",
          "ls",
          "id",
          "hostname",
          "mount",
          "grep",
          "head",
          "ps",
          "sleep",
          "true",
          "false",
          "env",
          "pwd",
          "stat",
          "readlink",
          "touch",
          "mkdir",
          "test",
          "wc",
          "ulimit",
          "kill",
          "sed",
          "tr",
          "umask",
          "dd",
          "printf",
          "uname",
          "nproc",
          "awk",
          "find",
          "sort",
          "cut",
          "whoami",
          // critest's default container command and web server (Debian's busybox has no pgrep)
          "top",
          "httpd");

  private Busybox() {}

  /** The host's static busybox binary, or aborts the test with the reason. */
  public static Path binary() {
    for (String p : new String[] {"/bin/busybox", "/usr/bin/busybox"}) {
      Path b = Path.of(p);
      if (Files.isExecutable(b)) return b;
    }
    throw new TestAbortedException("busybox-static is not installed");
  }

  /**
   * Writes a busybox root filesystem at {@code rootfs} (bin, the applet links, and empty standard
   * dirs).
   */
  public static Path rootfs(Path rootfs) {
    try {
      Path bin = Files.createDirectories(rootfs.resolve("bin"));
      Files.copy(binary(), bin.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
      for (String a : APPLETS) {
        Path link = bin.resolve(a);
        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          Files.createSymbolicLink(link, Path.of("busybox"));
      }
      for (String d : new String[] {"proc", "sys", "dev", "etc", "tmp", "root", "run"}) {
        Files.createDirectories(rootfs.resolve(d));
      }
      Files.writeString(
          rootfs.resolve("etc/passwd"),
          "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
      Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
      return rootfs;
    } catch (IOException e) {
      throw new UncheckedIOException("make busybox rootfs at " + rootfs, e);
    }
  }
}
