package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupFilesTest {
  @TempDir Path dir;

  @Test
  void aMissingControlFileIsNeitherCreatedNorSilentlySkipped() {
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () -> CgroupFiles.REAL.write(dir, "memory.limit_in_bytes", "1000\n"));
    assertEquals("write memory.limit_in_bytes=1000 in " + dir + ": ENOENT", e.getMessage());
    assertEquals("ENOENT", e.errno());
    assertFalse(
        Files.exists(dir.resolve("memory.limit_in_bytes")),
        "a regular file would hide a missing controller");
  }

  @Test
  void errnoNamesComeBackFromJavasMessages() {
    assertEquals(
        "EBUSY", CgroupFiles.errno(new FileSystemException("/x", null, "Device or resource busy")));
    assertEquals("EINVAL", CgroupFiles.errno(new IOException("Invalid argument")));
    assertEquals("ENOENT", CgroupFiles.errno(new NoSuchFileException("/x")));
    assertEquals("Something new", CgroupFiles.errno(new IOException("Something new")));
  }

  @Test
  void pidsAreCollectedFromTheWholeSubtree() throws Exception {
    Files.writeString(dir.resolve("cgroup.procs"), "10\n11\n");
    Path sub = Files.createDirectories(dir.resolve("sub/deeper"));
    Files.writeString(dir.resolve("sub/cgroup.procs"), "");
    Files.writeString(sub.resolve("cgroup.procs"), "12\n");
    assertEquals(List.of(10, 11, 12), CgroupFiles.REAL.pidsRecursive(dir));
    assertEquals(List.of(), CgroupFiles.REAL.pidsRecursive(dir.resolve("gone")));
  }

  @Test
  void removeTreeTakesChildCgroupsFirstAndMissingIsFine() throws Exception {
    Files.createDirectories(dir.resolve("c1/a/b"));
    Files.createDirectories(dir.resolve("c1/c"));
    CgroupFiles.REAL.removeTree(dir.resolve("c1"));
    assertFalse(Files.exists(dir.resolve("c1")));
    CgroupFiles.REAL.removeTree(dir.resolve("c1"));
  }
}
