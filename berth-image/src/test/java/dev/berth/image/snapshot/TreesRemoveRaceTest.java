package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Trees#remove} climbs back up its tree with "..": a process renaming inside the tree while
 * it is removed (a container sharing a volume, one that escaped the kill) must not be able to make
 * that ".." land outside the tree, where the walk would go on emptying directories of the host.
 */
class TreesRemoveRaceTest {
  @TempDir Path tmp;

  private static final int SIBLINGS = 24;
  private static final int DEPTH = 200;

  /**
   * tree/a holds a deep chain b/c/c/... and siblings z0..z23; outside/ holds directories of the
   * same names with a victim file each. A racing thread moves tree/a/b to outside/b as soon as the
   * walk has entered b: without the check, the walk's ".." from b is outside/, and the siblings it
   * goes on with are outside's.
   */
  @Test
  void aDirectoryMovedOutOfTheTreeDuringRemovalLeadsTheWalkNowhereOutside() throws Exception {
    int moved = 0;
    List<String> lost = new ArrayList<>();
    for (int round = 0; round < 6; round++) {
      Path base = Files.createDirectory(tmp.resolve("r" + round));
      Path tree = base.resolve("tree");
      Path a = Files.createDirectories(tree.resolve("a"));
      Path outside = Files.createDirectory(base.resolve("outside"));
      for (int i = 0; i < SIBLINGS; i++) {
        Files.writeString(Files.createDirectory(a.resolve("z" + i)).resolve("f"), "tree");
        Files.writeString(Files.createDirectory(outside.resolve("z" + i)).resolve("victim"), "x");
      }
      Path b = Files.createDirectory(a.resolve("b"));
      Path marker = Files.writeString(b.resolve("marker"), "m");
      Path d = b;
      for (int k = 0; k < DEPTH; k++) {
        d = Files.createDirectory(d.resolve("c"));
        for (int f = 0; f < 4; f++) Files.writeString(d.resolve("f" + f), "data");
      }
      boolean[] done = {false};
      Thread renamer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    // the walk unlinks b's files when it enters b: then move b out
                    while (Files.exists(marker)) Thread.onSpinWait();
                    try {
                      Files.move(b, outside.resolve("b"), StandardCopyOption.ATOMIC_MOVE);
                      done[0] = true;
                    } catch (NoSuchFileException e) {
                      // the walk was through b already
                    } catch (IOException e) {
                      throw new RuntimeException(e);
                    }
                  });
      try {
        Trees.remove(tree);
      } catch (IOException e) {
        // what matters is what it left outside; a clean removal is checked below
        lost.add("round " + round + ": remove failed: " + e.getMessage());
      }
      renamer.join();
      if (done[0]) moved++;
      for (int i = 0; i < SIBLINGS; i++) {
        if (!Files.exists(outside.resolve("z" + i).resolve("victim"))) {
          lost.add("round " + round + ": outside/z" + i + "/victim removed");
        }
      }
      if (Files.exists(tree)) lost.add("round " + round + ": the tree is still there");
    }
    assertEquals(List.of(), lost);
    assertTrue(moved > 0, "the renamer never moved b while the walk was in it");
  }

  /** A directory of another file system under the tree (a mount left there) is not emptied. */
  @Test
  void aMountUnderTheTreeIsNotEmptied() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        dev.berth.sys.Linux.geteuid() == 0, "mounting a tmpfs needs root");
    Path tree = tmp.resolve("tree");
    Path m = Files.createDirectories(tree.resolve("x/mnt"));
    dev.berth.sys.Linux.mount("tmpfs", m.toString(), "tmpfs", 0, "size=1m");
    try {
      Files.writeString(m.resolve("kept"), "k");
      IOException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IOException.class, () -> Trees.remove(tree));
      assertTrue(e.getMessage().contains("x/mnt is on another file system"), e.getMessage());
      assertTrue(Files.exists(m.resolve("kept")));
    } finally {
      dev.berth.sys.Linux.umount2(m.toString(), 0);
    }
    Trees.remove(tree);
    assertFalse(Files.exists(tree));
  }
}
