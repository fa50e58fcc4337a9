package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.MountInfo;
import dev.berth.testkit.RequiresRoot;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRoot
class MountsTest {
  @TempDir Path tmp;
  Path target;

  @AfterEach
  void detach() throws Exception {
    if (target != null && MountInfo.isMountPoint(target.toString())) {
      dev.berth.sys.Linux.umount2(target.toString(), dev.berth.sys.LinuxConstants.MNT_DETACH);
    }
  }

  private FileChannel mountedWithAnOpenFile() throws Exception {
    target = Files.createDirectory(tmp.resolve("t"));
    Mounts.mount(List.of(new Mount("tmpfs", "tmpfs", List.of("size=1m"))), target);
    Path f = target.resolve("f");
    Files.writeString(f, "x");
    return FileChannel.open(f);
  }

  /**
   * A file open in the mount a moment longer (as in a process forked while it was open, until its
   * exec closes it) does not fail the unmount: it is retried until the mount is free.
   */
  @Test
  void aMountBusyForAMomentIsUnmountedOnceFree() throws Exception {
    FileChannel held = mountedWithAnOpenFile();
    Thread releaser =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    Thread.sleep(300);
                    held.close();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    assertTrue(held.isOpen());
    Mounts.unmount(target);
    releaser.join();
    assertFalse(MountInfo.isMountPoint(target.toString()));
  }

  @Test
  void aMountThatStaysBusyFailsWithEbusyNamingItAndStaysMounted() throws Exception {
    try (FileChannel held = mountedWithAnOpenFile()) {
      ErrnoException e = assertThrows(ErrnoException.class, () -> Mounts.unmount(target));
      assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("EBUSY"), e.getMessage());
      assertTrue(MountInfo.isMountPoint(target.toString()));
    }
    Mounts.unmount(target);
    assertFalse(MountInfo.isMountPoint(target.toString()));
  }

  private dev.berth.testkit.UserNamespacePin pinnedUserNamespace() throws Exception {
    return dev.berth.testkit.UserNamespacePin.create(
        tmp.resolve("userns"), "0 100000 65536", "0 100000 65536");
  }

  private static int uid(Path p) throws Exception {
    return (int) Files.getAttribute(p, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * An overlay mounted through a user namespace: its lower layers' files show their owners mapped
   * (root's file is the namespace's root's, 100000 on the host), a file written lands in the upper
   * directory with the host's view of its owner, the upper directory's root is given to the
   * namespace's root, and the scratch directory of the idmapped layers is gone; unmounting leaves
   * nothing mounted.
   */
  @Test
  void anOverlayThroughAUserNamespaceShowsItsLayersMapped() throws Exception {
    try (var pin = pinnedUserNamespace()) {
      Path userns = pin.path();
      Path lower1 = Files.createDirectories(tmp.resolve("l1"));
      Path lower2 = Files.createDirectories(tmp.resolve("l2"));
      Files.writeString(lower1.resolve("a"), "a");
      Files.writeString(lower2.resolve("b"), "b");
      dev.berth.sys.Linux.lchown(lower2.resolve("b").toString(), 1000, 1000);
      Path upper = Files.createDirectories(tmp.resolve("upper"));
      Path work = Files.createDirectories(tmp.resolve("work"));
      target = Files.createDirectory(tmp.resolve("t"));
      Path scratch = tmp.resolve("scratch");
      // what a start that crashed half-way left: an attached layer in the scratch directory
      Files.createDirectories(scratch.resolve("0"));
      dev.berth.sys.Linux.mount(
          lower1.toString(),
          scratch.resolve("0").toString(),
          null,
          dev.berth.sys.LinuxConstants.MS_BIND,
          null);
      Mount overlay =
          new Mount(
              "overlay",
              "overlay",
              List.of("lowerdir=" + lower1 + ":" + lower2, "upperdir=" + upper, "workdir=" + work));
      Mounts.mountIdmapped(List.of(overlay), target, userns, scratch, 100000, 100000);
      assertFalse(Files.exists(scratch), "scratch left");
      assertTrue(uid(target.resolve("a")) == 100000, "root's file shows as the mapped root");
      assertTrue(uid(target.resolve("b")) == 101000, "uid 1000's file shows as 101000");
      assertTrue(uid(upper) == 100000, "the upper directory is the namespace root's");
      Files.writeString(target.resolve("a"), "changed"); // copied up
      assertTrue(uid(upper.resolve("a")) == 100000, "a copy-up keeps the mapped owner");
      assertTrue(uid(lower1.resolve("a")) == 0, "the layer is untouched");
      Mounts.unmount(target);
      assertFalse(MountInfo.isMountPoint(target.toString()));
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
        assertFalse(line.contains(tmp.toString()) && !line.contains(userns.toString()), line);
    }
  }

  /**
   * A bind (a snapshot without layers) is idmapped whole; a layer that cannot be found fails with
   * nothing left mounted or made.
   */
  @Test
  void aBindThroughAUserNamespaceAndAFailureLeavingNothing() throws Exception {
    try (var pin = pinnedUserNamespace()) {
      Path userns = pin.path();
      Path fs = Files.createDirectories(tmp.resolve("fs"));
      Files.writeString(fs.resolve("a"), "a");
      target = Files.createDirectory(tmp.resolve("t"));
      Mounts.mountIdmapped(
          List.of(new Mount("bind", fs.toString(), List.of("rbind", "rw"))),
          target,
          userns,
          tmp.resolve("scratch"),
          100000,
          100000);
      assertTrue(uid(target.resolve("a")) == 100000);
      Mounts.unmount(target);
      Path upper = Files.createDirectories(tmp.resolve("upper"));
      Path work = Files.createDirectories(tmp.resolve("work"));
      Mount broken =
          new Mount(
              "overlay",
              "overlay",
              List.of(
                  "lowerdir=" + fs + ":" + tmp.resolve("missing"),
                  "upperdir=" + upper,
                  "workdir=" + work));
      assertThrows(
          ErrnoException.class,
          () ->
              Mounts.mountIdmapped(
                  List.of(broken), target, userns, tmp.resolve("scratch"), 100000, 100000));
      assertFalse(Files.exists(tmp.resolve("scratch")));
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
        assertFalse(line.contains(tmp.toString()) && !line.contains(userns.toString()), line);
    }
  }
}
