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
}
