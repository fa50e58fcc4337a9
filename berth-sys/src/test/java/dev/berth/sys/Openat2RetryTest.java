package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * openat2 with RESOLVE_IN_ROOT through ".." (as an image's relative symlinks go) while the host
 * mounts and unmounts elsewhere (containers starting): the kernel's EAGAIN ("a mount or rename
 * happened, try again") never reaches the caller.
 */
class Openat2RetryTest {
  @TempDir Path tmp;

  @Test
  @Tag("integration")
  void resolutionInARootSurvivesMountsElsewhere() throws Exception {
    Root.assume();
    Path root = Files.createDirectories(tmp.resolve("root/a/b/c/d"));
    Files.writeString(root.resolve("f"), "x");
    Path churn = Files.createDirectories(tmp.resolve("churn"));
    AtomicBoolean stop = new AtomicBoolean();
    Thread mounter =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  Linux.mount("berth-churn", churn.toString(), "tmpfs", 0, "size=64k");
                  Linux.umount2(churn.toString(), 0);
                } catch (ErrnoException e) {
                  throw new IllegalStateException(e);
                }
              }
            });
    mounter.start();
    int opened = 0;
    try (Fd dir =
        Linux.open(
            tmp.resolve("root").toString(),
            LinuxConstants.O_PATH | LinuxConstants.O_DIRECTORY,
            0)) {
      for (int i = 0; i < 20_000; i++) {
        try (Fd f =
            Linux.openat2(
                dir,
                "a/b/../b/c/../c/d/f",
                LinuxConstants.O_RDONLY,
                0,
                LinuxConstants.RESOLVE_IN_ROOT)) {
          opened++;
        }
      }
    } finally {
      stop.set(true);
      mounter.join();
    }
    assertEquals(20_000, opened);
  }
}
