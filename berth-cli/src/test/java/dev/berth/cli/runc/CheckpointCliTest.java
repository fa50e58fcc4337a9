package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkpoint} and {@code restore} side by side with runc 1.1.5 (Debian's), both over
 * Debian's CRIU: the same help, the same usage errors, the same refusals of bad input, each with a
 * running container of its own that must survive every failed checkpoint. Where runc leaves an
 * image directory behind after refusing an input, berth-runc leaves nothing.
 */
@RequiresCommand({"runc", "criu"})
class CheckpointCliTest {
  @TempDir Path tmp;
  String berth;
  String id;

  /** One runtime's world: its state root, bundle and a place for image directories. */
  private record Side(String runtime, Path dir, Path root, Bundle bundle) {
    Exec.Result cmd(String... args) {
      return BerthRunc.runWithRoot(runtime, bundle.dir(), root, args);
    }
  }

  Side runc;
  Side ours;

  @BeforeEach
  void setUp() {
    berth = BerthRunc.launcher().toString();
    id = "cp" + ProcessHandle.current().pid();
    runc = side("runc", "runc");
    ours = side(berth, "berth");
  }

  private Side side(String runtime, String name) {
    Path dir = tmp.resolve(name);
    Bundle b = Bundle.busybox(dir.resolve("bundle"));
    // One id in both runtimes: cgroups of their own, or berth-runc refuses runc's (busy) cgroup of
    // that id.
    b.linux().put("cgroupsPath", "cpcli-" + name + "-" + ProcessHandle.current().pid());
    b.args("sleep", "60").write();
    return new Side(runtime, dir, dir.resolve("state"), b);
  }

  @AfterEach
  void tearDown() {
    for (Side s : new Side[] {runc, ours}) {
      s.cmd("delete", "--force", id);
      s.cmd("delete", "--force", id + "-r");
    }
  }

  private static void runDetached(Side s, String id) {
    Exec.Result r =
        Exec.run(
            List.of(
                "sh",
                "-c",
                s.runtime()
                    + " --root "
                    + s.root()
                    + " run -d "
                    + id
                    + " </dev/null >/dev/null 2>&1"),
            s.bundle().dir(),
            Map.of(),
            null,
            30);
    assertEquals(0, r.exitCode(), s.runtime() + ": " + r);
  }

  private static String status(Side s, String id) {
    Exec.Result r = s.cmd("state", id);
    if (r.exitCode() != 0) return "<" + r.stderr().strip() + ">";
    int at = r.stdout().indexOf("\"status\": \"");
    return r.stdout().substring(at + 11, r.stdout().indexOf('"', at + 11));
  }

  /**
   * Both exit the same way; what each prints on stdout (help after a usage error) is the same but
   * for its name.
   */
  private void same(String... args) {
    Exec.Result a = runc.cmd(args);
    Exec.Result b = ours.cmd(args);
    assertEquals(
        a.exitCode(), b.exitCode(), String.join(" ", args) + "\nrunc: " + a + "\nberth: " + b);
    assertEquals(a.stdout(), b.stdout().replace("berth-runc", "runc"), String.join(" ", args));
  }

  @Test
  void helpIsRuncs() {
    for (String verb : new String[] {"checkpoint", "restore"}) {
      Exec.Result a = runc.cmd(verb, "--help");
      Exec.Result b = ours.cmd(verb, "--help");
      assertEquals(0, b.exitCode(), b.toString());
      assertEquals(a.stdout(), b.stdout().replace("berth-runc " + verb, "runc " + verb), verb);
    }
    String criu =
        runc.cmd("--help")
            .stdout()
            .lines()
            .filter(l -> l.contains("--criu"))
            .findFirst()
            .orElseThrow();
    String ourCriu =
        ours.cmd("--help")
            .stdout()
            .lines()
            .filter(l -> l.contains("--criu"))
            .findFirst()
            .orElseThrow();
    assertEquals(criu.replaceAll(" +", " "), ourCriu.replaceAll(" +", " "));
  }

  @Test
  void usageErrorsAreRuncs() {
    same("checkpoint");
    same("checkpoint", "a", "b");
    same("checkpoint", "--bogus", id);
    same("checkpoint", "--status-fd", "x", id);
    same("restore");
    same("restore", "a", "b");
    // Flags of checkpoint that restore does not take.
    for (String flag : new String[] {"--status-fd", "--page-server", "--parent-path"})
      same("restore", flag, "1", id);
    same("restore", "--leave-running", id);
    same("restore", "--pre-dump", id);
  }

  @Test
  void badCheckpointInputsFailAsInRuncAndTheContainerRuns() throws IOException {
    runDetached(runc, id);
    runDetached(ours, id);
    List<List<String>> cases =
        List.of(
            List.of("nope"),
            List.of("--page-server", "foo", id),
            List.of("--page-server", ":1", id),
            List.of("--page-server", "a:b", id),
            List.of("--manage-cgroups-mode", "bad", id),
            List.of("--empty-ns", "pid", id),
            List.of("--parent-path", "/abs", id),
            List.of("--parent-path", "prev", id));
    int n = 0;
    for (List<String> c : cases) {
      List<Exec.Result> results = new ArrayList<>();
      for (Side s : new Side[] {runc, ours}) {
        List<String> args =
            new ArrayList<>(
                List.of("checkpoint", "--image-path", s.dir().resolve("img" + n).toString()));
        args.addAll(c);
        results.add(s.cmd(args.toArray(String[]::new)));
        assertEquals("running", status(s, id), s.runtime() + " " + c);
      }
      assertEquals(1, results.get(0).exitCode(), "runc " + c + ": " + results.get(0));
      assertEquals(1, results.get(1).exitCode(), "berth " + c + ": " + results.get(1));
      assertFalse(
          Files.exists(ours.dir().resolve("img" + n)), "berth-runc left an image directory: " + c);
      n++;
    }
    // A created container cannot be checkpointed in either.
    for (Side s : new Side[] {runc, ours}) {
      s.cmd("delete", "--force", id).ok(); // its cgroup is the bundle's
      Exec.Result r =
          Exec.run(
              List.of(
                  "sh",
                  "-c",
                  s.runtime()
                      + " --root "
                      + s.root()
                      + " create "
                      + id
                      + "-r"
                      + " </dev/null >/dev/null 2>&1"),
              s.bundle().dir(),
              Map.of(),
              null,
              30);
      assertEquals(0, r.exitCode(), r.toString());
      Exec.Result cp =
          s.cmd("checkpoint", "--image-path", s.dir().resolve("created").toString(), id + "-r");
      assertEquals(1, cp.exitCode(), s.runtime() + ": " + cp);
      assertTrue(cp.stderr().toLowerCase().contains("created"), cp.stderr());
    }
  }

  @Test
  void criusOwnErrorIsReportedWhereRuncSaysOnlyThatItFailed() throws IOException {
    Exec.Result check = Exec.run(List.of("criu", "check"), tmp, Map.of(), null, 60);
    org.junit.jupiter.api.Assumptions.assumeFalse(
        check.exitCode() == 0, "criu works here: nothing fails");
    runDetached(runc, id);
    runDetached(ours, id);
    Exec.Result a =
        runc.cmd("checkpoint", "--image-path", runc.dir().resolve("img").toString(), id);
    Path images = ours.dir().resolve("img");
    Exec.Result b = ours.cmd("checkpoint", "--image-path", images.toString(), id);
    assertEquals(1, a.exitCode(), a.toString());
    assertEquals(1, b.exitCode(), b.toString());
    assertTrue(a.stderr().contains("criu failed: type DUMP"), a.stderr());
    String firstError =
        check.stderr().lines().filter(l -> l.startsWith("Error (")).findFirst().orElseThrow();
    assertTrue(b.stderr().contains("criu failed: type DUMP: " + firstError), b.stderr());
    assertTrue(b.stderr().contains("log file: " + images.resolve("dump.log")), b.stderr());
    assertEquals("running", status(runc, id));
    assertEquals("running", status(ours, id));
    // The same files in both image directories: runc's descriptors.json (same content) and CRIU's
    // log.
    assertEquals(
        Files.readString(runc.dir().resolve("img/descriptors.json")),
        Files.readString(images.resolve("descriptors.json")));
    try (Stream<Path> s = Files.list(images)) {
      assertEquals(
          List.of("descriptors.json", "dump.log"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    // A restore from what was left fails in both, and leaves no container behind.
    for (Side s : new Side[] {runc, ours}) {
      Exec.Result r =
          s.cmd("restore", "-d", "--image-path", s.dir().resolve("img").toString(), id + "-r");
      assertEquals(1, r.exitCode(), s.runtime() + ": " + r);
      assertTrue(
          status(s, id + "-r").contains("does not exist"), s.runtime() + " left " + id + "-r");
    }
  }

  @Test
  void badRestoreInputsFailAsInRuncAndLeaveNoContainer() throws IOException {
    for (Side s : new Side[] {runc, ours}) {
      Path img = Files.createDirectories(s.dir().resolve("img"));
      Files.writeString(
          img.resolve("descriptors.json"), "[\"/dev/null\",\"/dev/null\",\"/dev/null\"]");
    }
    List<List<String>> cases =
        List.of(
            List.of("--image-path", "MISSING", id + "-r"),
            List.of("--image-path", "IMG", "-b", "NOBUNDLE", id + "-r"),
            List.of("--image-path", "IMG", "--empty-ns", "pid", id + "-r"),
            List.of("--image-path", "IMG", "--console-socket", "SOCK", id + "-r"));
    for (List<String> c : cases) {
      for (Side s : new Side[] {runc, ours}) {
        List<String> args = new ArrayList<>(List.of("restore", "-d"));
        for (String a : c) {
          args.add(
              a.replace("MISSING", s.dir().resolve("missing").toString())
                  .replace("IMG", s.dir().resolve("img").toString())
                  .replace("NOBUNDLE", s.dir().resolve("nobundle").toString())
                  .replace("SOCK", s.dir().resolve("sock").toString()));
        }
        Exec.Result r = s.cmd(args.toArray(String[]::new));
        assertEquals(1, r.exitCode(), s.runtime() + " " + c + ": " + r);
        assertTrue(
            status(s, id + "-r").contains("does not exist"),
            s.runtime() + " " + c + " left a container");
      }
      // runc makes a missing --image-path before it fails; berth-runc only reads it.
      assertFalse(
          Files.exists(ours.dir().resolve("missing")),
          "berth-runc made the missing image directory");
    }
    // The id of a running container: refused by both, which keep it running.
    runDetached(runc, id);
    runDetached(ours, id);
    for (Side s : new Side[] {runc, ours}) {
      Exec.Result r = s.cmd("restore", "-d", "--image-path", s.dir().resolve("img").toString(), id);
      assertEquals(1, r.exitCode(), s.runtime() + ": " + r);
      assertEquals("running", status(s, id));
    }
  }
}
