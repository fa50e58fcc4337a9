package dev.berth.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copy-up of an image's directory into a new volume, on a root filesystem made by hand: owners,
 * modes, setuid, xattrs, symlinks, hard links, fifos kept; done once; and a hostile image whose
 * mount target is a symlink out of it copies its own files, never the host's.
 */
@RequiresRoot
class CopyUpTest {
  @TempDir Path tmp;
  Path rootfs;
  VolumeStore store;

  @BeforeEach
  void setUp() throws Exception {
    rootfs = tmp.resolve("rootfs");
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(rootfs.resolve("etc/image-marker"), "from the image\n");
    store = VolumeStore.open(tmp.resolve("engine"), Map::of);
  }

  @Test
  void copiesOwnersModesXattrsSymlinksHardLinksOnce() throws Exception {
    Path data = Files.createDirectories(rootfs.resolve("srv/data"));
    Files.writeString(data.resolve("conf"), "k=v\n");
    Linux.chown(data.resolve("conf").toString(), 1234, 5678);
    Linux.chmod(data.resolve("conf").toString(), 0640);
    Files.writeString(data.resolve("tool"), "#!/bin/sh\n");
    Linux.chmod(data.resolve("tool").toString(), 04755);
    Linux.lsetxattr(
        data.resolve("conf").toString(),
        "user.origin",
        "image".getBytes(StandardCharsets.UTF_8),
        0);
    Files.createDirectories(data.resolve("sub/deeper"));
    Linux.chown(data.resolve("sub").toString(), 42, 43);
    Linux.chmod(data.resolve("sub").toString(), 0711);
    Files.writeString(data.resolve("sub/deeper/file"), "deep\n");
    Linux.linkat(
        null, data.resolve("conf").toString(), null, data.resolve("sub/hardlink").toString(), 0);
    Linux.symlink("/etc/passwd", data.resolve("passwd-link").toString());
    Linux.lchown(data.resolve("passwd-link").toString(), 7, 8);
    Linux.mkfifo(data.resolve("fifo").toString(), 0620);
    Linux.chmod(data.resolve("fifo").toString(), 0620); // mkfifo went through the umask
    Linux.chown(data.toString(), 1000, 1001);
    Linux.chmod(data.toString(), 0750);

    Volume v = store.create("data", Map.of());
    assertTrue(store.copyUp("data", rootfs, "/srv/data"));
    Path d = v.mountpoint();
    assertEquals("k=v\n", Files.readString(d.resolve("conf")));
    Stat conf = Linux.lstat(d.resolve("conf").toString());
    assertEquals(List.of(1234, 5678, 0640), List.of(conf.uid(), conf.gid(), conf.permissions()));
    assertArrayEquals(
        "image".getBytes(StandardCharsets.UTF_8),
        Linux.lgetxattr(d.resolve("conf").toString(), "user.origin"));
    assertEquals(
        04755,
        Linux.lstat(d.resolve("tool").toString()).permissions(),
        "setuid survives the chown");
    Stat sub = Linux.lstat(d.resolve("sub").toString());
    assertEquals(List.of(42, 43, 0711), List.of(sub.uid(), sub.gid(), sub.permissions()));
    assertEquals("deep\n", Files.readString(d.resolve("sub/deeper/file")));
    Stat link = Linux.lstat(d.resolve("sub/hardlink").toString());
    assertEquals(conf.ino(), link.ino(), "a hard link stays a link");
    assertEquals(2, link.nlink());
    Stat sym = Linux.lstat(d.resolve("passwd-link").toString());
    assertTrue(sym.isSymlink());
    assertEquals(List.of(7, 8), List.of(sym.uid(), sym.gid()));
    assertEquals(
        "/etc/passwd",
        Linux.readlink(d.resolve("passwd-link").toString()),
        "kept as a link, not followed");
    Stat fifo = Linux.lstat(d.resolve("fifo").toString());
    assertTrue(fifo.isFifo());
    assertEquals(0620, fifo.permissions());
    Stat top = Linux.lstat(d.toString());
    assertEquals(
        List.of(1000, 1001, 0750),
        List.of(top.uid(), top.gid(), top.permissions()),
        "the volume's root takes the image directory's owner and mode");
    assertFalse(Files.exists(d.getParent().resolve("copyup")), "no staging left");
    assertFalse(store.get("data").needsCopyUp());

    // Once: emptied by its user, the volume is not filled again.
    Files.delete(d.resolve("conf"));
    assertFalse(store.copyUp("data", rootfs, "/srv/data"));
    assertFalse(Files.exists(d.resolve("conf")));
  }

  @Test
  void aVolumeWithContentIsNotCopiedInto() throws Exception {
    Files.createDirectories(rootfs.resolve("data"));
    Files.writeString(rootfs.resolve("data/from-image"), "x");
    Volume v = store.create("data", Map.of());
    Files.writeString(v.mountpoint().resolve("mine"), "y");
    assertFalse(store.copyUp("data", rootfs, "/data"));
    assertEquals(List.of("mine"), names(v.mountpoint()));
  }

  @Test
  void aTargetTheImageLacksCopiesNothing() throws Exception {
    Volume v = store.create("data", Map.of());
    assertFalse(store.copyUp("data", rootfs, "/no/such/dir"));
    assertEquals(List.of(), names(v.mountpoint()));
    assertFalse(store.get("data").needsCopyUp());
  }

  @Test
  void aHostileTargetSymlinkResolvesInsideTheImageNeverToTheHost() throws Exception {
    assertTrue(Files.exists(Path.of("/etc/passwd")), "the host file the image aims at");
    Linux.symlink("/etc", rootfs.resolve("abs").toString());
    Linux.symlink("../../../../../../../../etc", rootfs.resolve("rel").toString());
    Files.createDirectories(rootfs.resolve("inner"));
    Linux.symlink("/etc", rootfs.resolve("inner/escape").toString());
    for (String target : List.of("/abs", "/rel", "/inner/escape", "/inner/../../../etc")) {
      String name = "v" + Integer.toHexString(target.hashCode());
      Volume v = store.create(name, Map.of());
      assertTrue(store.copyUp(name, rootfs, target), target);
      assertEquals(
          List.of("image-marker"),
          names(v.mountpoint()),
          target + ": the image's /etc, not the host's");
    }
    // A symlink inside the copied tree stays a link: its target is never opened.
    Volume w = store.create("inner", Map.of());
    assertTrue(store.copyUp("inner", rootfs, "/inner"));
    assertTrue(Linux.lstat(w.mountpoint().resolve("escape").toString()).isSymlink());
    assertEquals("/etc", Linux.readlink(w.mountpoint().resolve("escape").toString()));
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
