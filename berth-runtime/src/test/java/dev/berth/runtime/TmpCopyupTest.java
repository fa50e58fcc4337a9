package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code tmpcopyup} mount option (podman gives it to every {@code --tmpfs}): a tmpfs starts
 * with what the rootfs has at its destination, owners, modes, times, extended attributes and links
 * kept, and nothing outside the covered tree read or written. Checked from outside through the
 * running container's {@code /proc/<pid>/root}.
 */
@ContainerTest(id = "tc")
class TmpCopyupTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  private static final FileTime OLD = FileTime.fromMillis(978307200000L); // 2001-01-01

  Path app;

  @BeforeEach
  void image() throws Exception {
    app = Files.createDirectories(bundle.rootfs().resolve("etc/app/sub/deep"));
    app = app.getParent().getParent();
    Path conf = Files.writeString(app.resolve("conf"), "hello\n");
    Files.getFileAttributeView(conf, UserDefinedFileAttributeView.class)
        .write("user.berth", ByteBuffer.wrap("v1".getBytes(StandardCharsets.UTF_8)));
    Exec.run("chown", "1000:2000", conf.toString()).ok();
    Exec.run("chmod", "0640", conf.toString()).ok();
    Files.writeString(app.resolve("sub/deep/f"), "x".repeat(200_000));
    Files.setLastModifiedTime(app.resolve("sub/deep/f"), OLD);
    Exec.run("chown", "3:4", app.resolve("sub").toString()).ok();
    Exec.run("chmod", "1777", app.resolve("sub").toString()).ok();
    Files.createSymbolicLink(app.resolve("link-rel"), Path.of("conf"));
    // An absolute link to a host directory: copied as the link, never followed.
    Path host = Files.createDirectories(tmp.resolve("host-secret"));
    Files.writeString(host.resolve("secret"), "host\n");
    Files.createSymbolicLink(app.resolve("link-abs"), host);
    Exec.run("mkfifo", app.resolve("fifo").toString()).ok();
    Files.createLink(app.resolve("hard"), conf);
  }

  private void tmpfs(String dest, String... options) {
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                dest,
                "type",
                "tmpfs",
                "source",
                "tmpfs",
                "options",
                Bundle.list((Object[]) options)));
  }

  private Path started() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    return Path.of("/proc/" + rt.state(id).pid() + "/root");
  }

  private static Object attr(Path p, String name) throws Exception {
    return Files.getAttribute(p, "unix:" + name, LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  @RequiresCommand({"setcap", "getcap"})
  void theTmpfsGetsTheTreeWithOwnersModesTimesXattrsAndLinks() throws Exception {
    Path suid = Files.copy(Path.of("/bin/busybox"), app.resolve("suid"));
    Exec.run("chmod", "4755", suid.toString()).ok();
    Exec.run("setcap", "cap_net_raw+ep", suid.toString()).ok();
    tmpfs("/etc/app", "nosuid", "tmpcopyup");
    Path root = started();
    Path c = root.resolve("etc/app");
    String mounts = Files.readString(Path.of("/proc/" + rt.state(id).pid() + "/mountinfo"));
    assertTrue(mounts.lines().anyMatch(l -> l.contains(" /etc/app ") && l.contains(" - tmpfs ")));

    assertEquals("hello\n", Files.readString(c.resolve("conf")));
    assertEquals(1000, attr(c.resolve("conf"), "uid"));
    assertEquals(2000, attr(c.resolve("conf"), "gid"));
    assertEquals(0100640, attr(c.resolve("conf"), "mode"));
    var xattrs = Files.getFileAttributeView(c.resolve("conf"), UserDefinedFileAttributeView.class);
    ByteBuffer v = ByteBuffer.allocate(16);
    xattrs.read("user.berth", v);
    assertEquals("v1", new String(v.array(), 0, v.position(), StandardCharsets.UTF_8));

    assertEquals(0104755, attr(c.resolve("suid"), "mode"));
    assertTrue(
        Exec.run("getcap", c.resolve("suid").toString()).ok().stdout().contains("cap_net_raw=ep"));

    assertEquals(041777, attr(c.resolve("sub"), "mode"));
    assertEquals(3, attr(c.resolve("sub"), "uid"));
    assertEquals(4, attr(c.resolve("sub"), "gid"));
    assertEquals(200_000L, Files.size(c.resolve("sub/deep/f")));
    assertEquals(OLD, Files.getLastModifiedTime(c.resolve("sub/deep/f")));

    assertEquals(Path.of("conf"), Files.readSymbolicLink(c.resolve("link-rel")));
    assertEquals(tmp.resolve("host-secret"), Files.readSymbolicLink(c.resolve("link-abs")));
    assertTrue(Files.isSymbolicLink(c.resolve("link-abs")));
    assertTrue(isFifo(c.resolve("fifo")));
    assertEquals("hello\n", Files.readString(c.resolve("hard")));

    // The tmpfs is the container's: a write there leaves the image alone.
    Files.writeString(c.resolve("conf"), "changed\n");
    assertEquals("hello\n", Files.readString(app.resolve("conf")));
    assertEquals(List.of("secret"), list(tmp.resolve("host-secret")));
  }

  private static boolean isFifo(Path p) throws Exception {
    return ((int) attr(p, "mode") & 0170000) == 0010000;
  }

  private static List<String> list(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aDestinationLinkingOutOfTheRootCopiesWhatTheRootHasThere() throws Exception {
    // /etc/app2 -> ../../../<host dir>: resolved inside the root, the tmpfs lands in the rootfs
    // and starts with the rootfs's content there (none), never the host directory's.
    Path host = tmp.resolve("host-secret");
    Files.createDirectories(host);
    Files.writeString(host.resolve("secret"), "host\n");
    Files.createSymbolicLink(
        bundle.rootfs().resolve("etc/app2"), Path.of("../../../../../../../.." + host));
    tmpfs("/etc/app2", "tmpcopyup");
    bundle.sh("ls -A /etc/app2/ > /out/seen; touch /etc/app2/made").write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertEquals("", Files.readString(out.resolve("seen")));
    assertEquals(List.of("secret"), list(host));
  }

  @Test
  void aReadOnlyTmpfsIsFilledFirstAndOneWithoutTheOptionStartsEmpty() throws Exception {
    tmpfs("/etc/app", "ro", "tmpcopyup");
    Files.createDirectories(bundle.rootfs().resolve("opt"));
    Files.writeString(bundle.rootfs().resolve("opt/keep"), "k\n");
    tmpfs("/opt", "nodev");
    bundle
        .sh(
            "wc -c < /etc/app/sub/deep/f > /out/seen; touch /etc/app/x 2>/dev/null || echo ro >> /out/seen;"
                + " ls -A /opt >> /out/seen")
        .write();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    assertEquals("200000\nro\n", Files.readString(out.resolve("seen")));
  }

  @Test
  void aTmpfsTooSmallForTheCopyFailsNamingTheFileAndLeavesNothing() throws Exception {
    tmpfs("/etc/app", "tmpcopyup", "size=64k");
    bundle.write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("/etc/app/sub/deep/f"), e.getMessage());
    assertTrue(e.getMessage().contains("ENOSPC"), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
  }
}
