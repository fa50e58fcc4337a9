package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every verb given a {@code --root} that is not a usable directory, run by runc and by berth-runc:
 * the same exit status, and an error naming the path runc names. runc makes the root (0700, parents
 * too) before every verb, so a missing root lists as empty; a file, or a symlink that leads
 * nowhere, is an error, never an empty list.
 */
@RequiresRoot
@RequiresCommand("runc")
class RootDifferentialTest {
  @TempDir Path tmp;

  enum Root {
    FILE,
    UNDER_A_FILE,
    DANGLING_SYMLINK,
    SYMLINK_LOOP,
    MISSING
  }

  static final List<List<String>> VERBS =
      List.of(
          List.of("list"),
          List.of("list", "-q"),
          List.of("state", "x"),
          List.of("delete", "x"),
          List.of("delete", "-f", "x"),
          List.of("kill", "x"),
          List.of("kill", "--all", "x", "9"),
          List.of("ps", "x"),
          List.of("pause", "x"),
          List.of("resume", "x"),
          List.of("events", "--stats", "x"),
          List.of("start", "x"),
          List.of("update", "--memory", "1m", "x"),
          List.of("exec", "x", "true"),
          List.of("create", "x"),
          List.of("run", "x"));

  private static final Pattern MSG = Pattern.compile("msg=\"(.*)\"");

  /** The root of kind {@code kind} under {@code dir}, made as each case needs it. */
  private static Path root(Path dir, Root kind) throws Exception {
    Files.createDirectories(dir);
    Path file = Files.writeString(dir.resolve("file"), "not a directory\n");
    return switch (kind) {
      case FILE -> file;
      case UNDER_A_FILE -> file.resolve("sub");
      case DANGLING_SYMLINK ->
          Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere/x"));
      case SYMLINK_LOOP -> Files.createSymbolicLink(dir.resolve("loop"), Path.of("loop"));
      case MISSING -> dir.resolve("missing/deeper");
    };
  }

  @ParameterizedTest
  @EnumSource(Root.class)
  void everyVerbTreatsTheRootAsRuncDoes(Root kind) throws Exception {
    Bundle bundle = Bundle.busybox(tmp.resolve("bundle"));
    bundle.args("true").write();
    String berth = BerthRunc.launcher().toString();
    Path runcRoot = root(tmp.resolve("runc"), kind);
    Path berthRoot = root(tmp.resolve("berth"), kind);
    List<String> mismatches = new ArrayList<>();
    for (List<String> verb : VERBS) {
      // A created container would keep the pipes Exec reads: with a usable root, create is run's
      // business.
      if (kind == Root.MISSING && verb.get(0).equals("create")) continue;
      Exec.Result r =
          BerthRunc.runWithRoot("runc", bundle.dir(), runcRoot, verb.toArray(String[]::new));
      Exec.Result b =
          BerthRunc.runWithRoot(berth, bundle.dir(), berthRoot, verb.toArray(String[]::new));
      if (r.exitCode() != b.exitCode()) {
        mismatches.add(
            verb
                + ": exit "
                + b.exitCode()
                + ", runc "
                + r.exitCode()
                + "\n  berth: "
                + b.stderr()
                + "  runc: "
                + r.stderr());
        continue;
      }
      Matcher m = MSG.matcher(r.stderr());
      if (r.exitCode() == 0 || !m.find() || !m.group(1).contains("mkdir ")) continue;
      // runc's "mkdir PATH:" (PATH the root, or the file on its way), in berth's own root.
      String said = m.group(1);
      String mkdir =
          said.substring(said.indexOf("mkdir "), said.indexOf(':', said.indexOf("mkdir ")) + 1)
              .replace(tmp.resolve("runc").toString(), tmp.resolve("berth").toString());
      if (!b.stderr().contains(mkdir))
        mismatches.add(verb + ": no \"" + mkdir + "\" in " + b.stderr());
    }
    assertEquals(List.of(), mismatches, "root " + kind);
    if (kind == Root.MISSING) {
      for (Path made : List.of(runcRoot, runcRoot.getParent(), berthRoot, berthRoot.getParent())) {
        assertEquals(
            "rwx------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(made)),
            made.toString());
      }
      assertEquals(
          BerthRunc.runWithRoot("runc", tmp, runcRoot, "list").stdout(),
          BerthRunc.runWithRoot(berth, tmp, berthRoot, "list").ok().stdout());
    }
  }

  /**
   * A root the caller may not read (another user's): an error naming it, not "does not exist" nor
   * an empty list.
   */
  @Test
  @RequiresCommand("setpriv")
  void aRootOutOfReachIsAnErrorNamingIt() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    String berth = BerthRunc.launcher().toString();
    List<String> mismatches = new ArrayList<>();
    for (String rt : List.of("runc", "berth")) {
      Path dir = Files.createDirectories(tmp.resolve(rt));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.createDirectories(dir.resolve("locked/x"));
      Files.setPosixFilePermissions(
          dir.resolve("locked"), PosixFilePermissions.fromString("rwx------"));
    }
    for (List<String> verb :
        List.of(
            List.of("list"),
            List.of("state", "x"),
            List.of("delete", "x"),
            List.of("delete", "-f", "x"),
            List.of("kill", "x"),
            List.of("exec", "x", "true"))) {
      Exec.Result r = asNobody("runc", tmp.resolve("runc/locked"), verb);
      Exec.Result b = asNobody(berth, tmp.resolve("berth/locked"), verb);
      String where = tmp.resolve("berth/locked").toString();
      if (r.exitCode() != b.exitCode()
          || !b.stderr().contains(where)
          || !b.stderr().contains("permission denied")) {
        mismatches.add(
            verb
                + ": exit "
                + b.exitCode()
                + ", runc "
                + r.exitCode()
                + "\n  berth: "
                + b.stderr()
                + "  runc: "
                + r.stderr());
      }
    }
    assertEquals(List.of(), mismatches);
  }

  private Exec.Result asNobody(String runtime, Path root, List<String> verb) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setpriv",
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                runtime,
                "--root",
                root.toString()));
    cmd.addAll(verb);
    return Exec.run(cmd, tmp, Map.of(), null, 60);
  }
}
