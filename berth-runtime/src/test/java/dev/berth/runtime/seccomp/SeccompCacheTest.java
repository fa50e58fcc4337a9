package dev.berth.runtime.seccomp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.SeccompArg;
import dev.berth.spec.runtime.SeccompSyscall;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The programs a runtime keeps: found again for the same profile only, never taken from a file
 * someone else could have written, never kept for a profile the compiler refuses.
 */
class SeccompCacheTest {
  @TempDir Path tmp;

  static final Seccomp DENY_MKDIR =
      new Seccomp(
          "SCMP_ACT_ALLOW",
          null,
          List.of("SCMP_ARCH_X86_64"),
          List.of(),
          null,
          null,
          List.of(new SeccompSyscall(List.of("mkdir"), "SCMP_ACT_ERRNO", 1, List.of())));

  static final Seccomp DENY_RMDIR_WITH_ARG =
      new Seccomp(
          "SCMP_ACT_ALLOW",
          null,
          List.of("SCMP_ARCH_X86_64"),
          List.of(),
          null,
          null,
          List.of(
              new SeccompSyscall(
                  List.of("rmdir"),
                  "SCMP_ACT_ERRNO",
                  1,
                  List.of(new SeccompArg(0, 7, 0, "SCMP_CMP_EQ")))));

  private Path cacheDir() {
    return tmp.resolve("seccomp");
  }

  private List<Path> files() throws Exception {
    if (!Files.exists(cacheDir())) return List.of();
    try (Stream<Path> s = Files.list(cacheDir())) {
      return s.sorted().toList();
    }
  }

  /** A well-formed file that keeps {@code p} for profile {@code s}, in place of the cache's. */
  private Path plant(Seccomp s, SeccompProgram p) throws Exception {
    byte[] key = SeccompCache.key(s, Arch.nativeArch());
    Files.createDirectories(cacheDir());
    Path file = cacheDir().resolve(SeccompCache.name(key));
    Files.write(file, SeccompCache.file(key, p));
    return file;
  }

  @Test
  void aProgramIsKeptPrivateAndFoundAgainForTheSameProfile() throws Exception {
    SeccompCache cache = SeccompCache.in(cacheDir());
    SeccompProgram first = cache.compile(DENY_MKDIR);
    assertEquals(SeccompCompiler.compile(DENY_MKDIR), first);
    List<Path> kept = files();
    assertEquals(1, kept.size(), "one file per profile, no temporary left: " + kept);
    Stat dir = Linux.stat(cacheDir().toString());
    Stat file = Linux.stat(kept.getFirst().toString());
    assertEquals(0700, dir.mode() & 07777);
    assertEquals(0600, file.mode() & 07777);
    assertEquals(Linux.geteuid(), file.uid());

    // What is read back is what the file holds: a program planted under the profile's key comes
    // back, so the second call did not compile.
    SeccompProgram other = SeccompCompiler.compile(DENY_RMDIR_WITH_ARG);
    plant(DENY_MKDIR, other);
    assertEquals(other, cache.compile(DENY_MKDIR));

    // Another profile has a file of its own.
    assertEquals(SeccompCompiler.compile(DENY_RMDIR_WITH_ARG), cache.compile(DENY_RMDIR_WITH_ARG));
    assertEquals(2, files().size());
  }

  @Test
  void aKeyDiffersWithEveryFieldThatChangesTheProgram() {
    byte[] base = SeccompCache.key(DENY_MKDIR, Arch.X86_64);
    assertArrayEquals(base, SeccompCache.key(DENY_MKDIR, Arch.X86_64));
    assertFalse(
        java.util.Arrays.equals(base, SeccompCache.key(DENY_MKDIR, Arch.AARCH64)), "the host ABI");
    Seccomp errno2 =
        new Seccomp(
            "SCMP_ACT_ALLOW",
            null,
            List.of("SCMP_ARCH_X86_64"),
            List.of(),
            null,
            null,
            List.of(new SeccompSyscall(List.of("mkdir"), "SCMP_ACT_ERRNO", 2, List.of())));
    assertNotEquals(
        SeccompCache.name(base), SeccompCache.name(SeccompCache.key(errno2, Arch.X86_64)));
    // Names split differently are different keys ("mk" + "dir" is not "mkdir").
    Seccomp split =
        new Seccomp(
            "SCMP_ACT_ALLOW",
            null,
            List.of("SCMP_ARCH_X86_64"),
            List.of(),
            null,
            null,
            List.of(new SeccompSyscall(List.of("mk", "dir"), "SCMP_ACT_ERRNO", 1, List.of())));
    assertFalse(java.util.Arrays.equals(base, SeccompCache.key(split, Arch.X86_64)));
  }

  @Test
  void aFileOfAnotherKeyATornFileOrALinkIsNotTaken() throws Exception {
    SeccompCache cache = SeccompCache.in(cacheDir());
    SeccompProgram right = SeccompCompiler.compile(DENY_MKDIR);
    SeccompProgram wrong = SeccompCompiler.compile(DENY_RMDIR_WITH_ARG);

    // Another profile's whole file under this profile's name (as a hash collision would be).
    byte[] otherKey = SeccompCache.key(DENY_RMDIR_WITH_ARG, Arch.nativeArch());
    Path file = plant(DENY_MKDIR, wrong);
    Files.write(file, SeccompCache.file(otherKey, wrong));
    assertEquals(right, cache.compile(DENY_MKDIR));
    byte[] key = SeccompCache.key(DENY_MKDIR, Arch.nativeArch());
    assertArrayEquals(
        SeccompCache.file(key, right), Files.readAllBytes(file), "replaced by the right one");

    // A file cut short (a crash before the data reached the disk).
    byte[] whole = SeccompCache.file(key, wrong);
    Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 40));
    assertEquals(right, cache.compile(DENY_MKDIR));

    // A symlink to a well-formed file elsewhere.
    Files.delete(file);
    Path elsewhere = tmp.resolve("elsewhere");
    Files.write(elsewhere, whole);
    Files.createSymbolicLink(file, elsewhere);
    assertEquals(right, cache.compile(DENY_MKDIR));
  }

  @Test
  void aFileOthersCouldWriteIsNotTaken() throws Exception {
    SeccompCache cache = SeccompCache.in(cacheDir());
    SeccompProgram right = SeccompCompiler.compile(DENY_MKDIR);
    Path file = plant(DENY_MKDIR, SeccompCompiler.compile(DENY_RMDIR_WITH_ARG));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertEquals(right, cache.compile(DENY_MKDIR));
  }

  @Test
  @RequiresRoot
  void aFileOrDirectoryOfAnotherUserIsNotTakenAndNothingIsWrittenThere() throws Exception {
    SeccompCache cache = SeccompCache.in(cacheDir());
    SeccompProgram right = SeccompCompiler.compile(DENY_MKDIR);
    Path file = plant(DENY_MKDIR, SeccompCompiler.compile(DENY_RMDIR_WITH_ARG));
    Linux.chown(file.toString(), 65534, 65534);
    assertEquals(right, cache.compile(DENY_MKDIR));

    // A directory another user owns (or may write) is not used at all.
    Files.delete(file);
    Linux.chown(cacheDir().toString(), 65534, 65534);
    assertEquals(right, cache.compile(DENY_MKDIR));
    assertEquals(List.of(), files());
    Linux.chown(cacheDir().toString(), 0, 0);
    Files.setPosixFilePermissions(cacheDir(), PosixFilePermissions.fromString("rwxrwxrwx"));
    assertEquals(right, cache.compile(DENY_MKDIR));
    assertEquals(List.of(), files());
  }

  @Test
  void aRefusedProfileIsNotKept() throws Exception {
    SeccompCache cache = SeccompCache.in(cacheDir());
    Seccomp bad = new Seccomp("SCMP_ACT_NOPE", null, List.of(), List.of(), null, null, List.of());
    ContainerException e = assertThrows(ContainerException.class, () -> cache.compile(bad));
    assertTrue(e.getMessage().contains("linux.seccomp.defaultAction"), e.getMessage());
    assertEquals(List.of(), files());
    // No profile, no program, no file.
    assertNull(cache.compile(null));
    assertEquals(List.of(), files());
  }

  @Test
  void withoutADirectoryEveryCallCompiles() throws Exception {
    assertNull(SeccompCache.NONE.dir());
    assertEquals(SeccompCompiler.compile(DENY_MKDIR), SeccompCache.NONE.compile(DENY_MKDIR));
    // A cache whose parent is missing compiles and keeps nothing.
    SeccompCache orphan = SeccompCache.in(tmp.resolve("missing/seccomp"));
    assertEquals(SeccompCompiler.compile(DENY_MKDIR), orphan.compile(DENY_MKDIR));
    assertFalse(Files.exists(tmp.resolve("missing")));
  }
}
