package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where berth-runc once behaved unlike runc (1.1.5) on the command line: logs, version, signals,
 * hook failures, security modules and the words of refusals callers grep for. Each case runs under
 * both runtimes, with an id and a state root of each runtime's own (the same id would share one
 * cgroup), and fails while they differ; where runc is wrong or narrower, the case says so.
 */
@RequiresRoot
@RequiresCommand("runc")
class RuncParityTest {
  @TempDir Path tmp;

  private static final String RUNC = "runc";

  private static String berth() {
    return BerthRunc.launcher().toString();
  }

  private static String name(String runtime) {
    return runtime.equals(RUNC) ? "runc" : "berth";
  }

  private String id(String runtime) {
    return "par" + ProcessHandle.current().pid() + name(runtime).charAt(0);
  }

  private Path root(String runtime) {
    return tmp.resolve(name(runtime) + "/state");
  }

  private int bundles;

  /** A fresh bundle for each case: a case may have broken the rootfs of the one before. */
  private Bundle bundle(String runtime, Consumer<Bundle> setup) {
    Bundle b = Bundle.busybox(tmp.resolve(name(runtime) + "/bundle" + bundles++));
    setup.accept(b);
    b.write();
    return b;
  }

  private Exec.Result cmd(String runtime, Bundle b, String... args) {
    return BerthRunc.runWithRoot(runtime, b.dir(), root(runtime), args);
  }

  /**
   * As {@link #cmd}, with the runtime's stdio away from our pipes: a container that outlives the
   * command keeps them.
   */
  private int detached(String runtime, Bundle b, String args) {
    Exec.Result r =
        Exec.run(
            List.of(
                "sh",
                "-c",
                runtime
                    + " --root "
                    + root(runtime)
                    + " "
                    + args
                    + " </dev/null >/dev/null 2>>"
                    + tmp.resolve(name(runtime) + "/err")),
            b.dir(),
            Map.of(),
            null,
            60);
    return r.exitCode();
  }

  private void cleanUp(String runtime, Bundle b) {
    cmd(runtime, b, "delete", "-f", id(runtime));
  }

  /** Nothing of a refused container stays: not in the state root, not as a cgroup. */
  private void leftNothing(String runtime, Bundle b) {
    assertEquals("", cmd(runtime, b, "list", "-q").stdout(), name(runtime) + " kept a container");
    assertFalse(
        Files.exists(Path.of("/sys/fs/cgroup/pids", id(runtime))),
        name(runtime) + " kept its cgroup");
  }

  private Exec.Result failedRun(String rt, Consumer<Bundle> setup) {
    Bundle b = bundle(rt, setup);
    try {
      Exec.Result r = cmd(rt, b, "run", id(rt));
      leftNothing(rt, b);
      return r;
    } finally {
      cleanUp(rt, b);
    }
  }

  /**
   * Both runtimes refuse the bundle {@code setup} makes with the same exit status; both say {@code
   * words} (null: runc's words are the kernel's, not worth repeating), berth's error names {@code
   * field}, and berth leaves nothing.
   */
  private void refusedAlike(Consumer<Bundle> setup, String words, String field) {
    Exec.Result runc = failedRun(RUNC, setup);
    Exec.Result berth = failedRun(berth(), setup);
    assertEquals(1, runc.exitCode(), "runc: " + runc);
    assertEquals(runc.exitCode(), berth.exitCode(), "runc: " + runc + "\nberth: " + berth);
    if (words != null) {
      assertTrue(runc.stderr().contains(words), runc.stderr());
      assertTrue(berth.stderr().contains(words), berth.stderr());
    }
    assertTrue(berth.stderr().contains(field), berth.stderr());
  }

  /** Replaces {@code p} with a symlink to /tmp, or with a regular file. */
  private static void replace(Path p, boolean symlink) {
    try {
      Files.deleteIfExists(p);
      if (symlink) Files.createSymbolicLink(p, Path.of("/tmp"));
      else Files.writeString(p, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- 1. --debug ----

  @Test
  void debugLogsTheMainStepsInEitherFormat() throws IOException {
    for (String rt : List.of(RUNC, berth())) {
      Bundle b = bundle(rt, x -> x.args("true"));
      String who = name(rt);
      // Text, to stderr.
      Exec.Result text = cmd(rt, b, "--debug", "run", id(rt));
      assertEquals(0, text.exitCode(), who + ": " + text);
      assertTrue(
          text.stderr().lines().allMatch(l -> l.startsWith("time=\"")), who + ": " + text.stderr());
      assertTrue(
          text.stderr().lines().filter(l -> l.contains(" level=debug msg=")).count() >= 3,
          who + ": " + text.stderr());
      // The stages by runc's names, which runc's own tests look for.
      assertTrue(text.stderr().contains("nsexec container setup"), who + ": " + text.stderr());
      assertTrue(text.stderr().contains("child process in init()"), who + ": " + text.stderr());
      // The line engines look for in a foreground run, with the pid and the status as fields.
      assertTrue(
          Pattern.compile("(?m) level=debug msg=\"process exited\".* pid=\\d+ status=0$")
              .matcher(text.stderr())
              .find(),
          who + ": " + text.stderr());
      // JSON, to --log: one object a line, nothing on stderr.
      Path log = tmp.resolve(who + "/log.json");
      Exec.Result json =
          cmd(rt, b, "--debug", "--log", log.toString(), "--log-format", "json", "run", id(rt));
      assertEquals(0, json.exitCode(), who + ": " + json);
      assertEquals("", json.stderr(), who);
      List<String> lines = Files.readAllLines(log);
      assertTrue(lines.size() >= 3, who + ": " + lines);
      for (String l : lines)
        assertTrue(l.startsWith("{\"") && l.contains("\"level\":\"debug\"") && l.endsWith("}"), l);
      assertTrue(
          lines.stream()
              .anyMatch(
                  l -> l.contains("\"msg\":\"process exited\"") && l.contains("\"status\":0")),
          who + ": " + lines);
      // Off: no debug line at all.
      Exec.Result quiet = cmd(rt, b, "run", id(rt));
      assertEquals(0, quiet.exitCode(), who + ": " + quiet);
      assertFalse(quiet.stderr().contains("level=debug"), who + ": " + quiet.stderr());
      cleanUp(rt, b);
    }
  }

  @Test
  void debugExecNamesTheStagesAsRuncDoes() {
    for (String rt : List.of(RUNC, berth())) {
      Bundle b = bundle(rt, x -> x.args("sleep", "60"));
      String who = name(rt);
      try {
        assertEquals(0, detached(rt, b, "run -d " + id(rt)), who);
        Exec.Result r = cmd(rt, b, "--debug", "exec", id(rt), "true");
        assertEquals(0, r.exitCode(), who + ": " + r);
        for (String stage :
            List.of(
                "nsexec container setup", "child process in init()", "setns_init: about to exec"))
          assertTrue(r.stderr().contains(stage), who + " lacks " + stage + ": " + r.stderr());
      } finally {
        cleanUp(rt, b);
      }
    }
  }

  @Test
  void aFailedExecveSaysExecAndThePathAsRuncDoes() {
    // A script whose interpreter is missing: the path is there, execve says ENOENT.
    for (String rt : List.of(RUNC, berth())) {
      Bundle b =
          bundle(
              rt,
              x -> {
                x.args("sleep", "60");
                try {
                  Path script = x.rootfs().resolve("run.sh");
                  Files.writeString(script, "#!/no-such-interpreter\n");
                  script.toFile().setExecutable(true, false);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      String who = name(rt);
      try {
        assertEquals(0, detached(rt, b, "run -d " + id(rt)), who);
        Exec.Result r = cmd(rt, b, "exec", id(rt), "/run.sh");
        // runc 1.1.5 exits 1 (its process reports the failed execve itself), berth 255 as for
        // any exec that fails before the process runs: both fail, in the same words.
        assertTrue(r.exitCode() != 0, who + ": " + r);
        assertTrue(
            r.stderr().contains("exec /run.sh: no such file or directory"),
            who + ": " + r.stderr());
      } finally {
        cleanUp(rt, b);
      }
    }
  }

  @Test
  void theEnvironmentHasOneEntryPerNameAndAnEmptyHomeIsFilledIn() {
    // As runc: the last value of a name wins (at the place of its first), and HOME= counts as
    // unset.
    Consumer<Bundle> setup =
        b -> {
          b.process()
              .put("env", Bundle.list("ONE=two", "HOME=/override", "ONE=", "PATH=/bin", "HOME="));
          b.args("env");
        };
    List<String> outs = new ArrayList<>();
    for (String rt : List.of(RUNC, berth())) {
      Bundle b = bundle(rt, setup);
      try {
        Exec.Result r = cmd(rt, b, "run", id(rt));
        assertEquals(0, r.exitCode(), name(rt) + ": " + r);
        outs.add(r.stdout());
      } finally {
        cleanUp(rt, b);
      }
    }
    assertEquals("ONE=\nHOME=/root\nPATH=/bin\n", outs.get(0));
    assertEquals(outs.get(0), outs.get(1));
  }

  // ---- tmpfs mounts ----

  @Test
  void aTmpfsOverADirectoryTakesItsModeAsUnderRunc() throws Exception {
    Consumer<Bundle> setup =
        b -> {
          Path dir = b.rootfs().resolve("scratch");
          assertEquals(0, Exec.run("mkdir", "-p", dir.toString()).exitCode());
          // Every bit, setuid, setgid and sticky too (runc's issue 3952: /tmp's 1777).
          assertEquals(0, Exec.run("chmod", "a=rwx,ug+s,+t", dir.toString()).exitCode());
          b.mounts()
              .add(
                  Bundle.map(
                      "destination",
                      "/scratch",
                      "type",
                      "tmpfs",
                      "source",
                      "tmpfs",
                      "options",
                      Bundle.list("nosuid", "nodev")));
          // A directory the rootfs lacks: made, the tmpfs keeps its own default (1777).
          b.mounts()
              .add(
                  Bundle.map(
                      "destination",
                      "/fresh",
                      "type",
                      "tmpfs",
                      "source",
                      "tmpfs",
                      "options",
                      Bundle.list()));
          b.sh("stat -c %A /scratch /fresh");
        };
    String[] out = new String[2];
    int i = 0;
    for (String rt : List.of(RUNC, berth())) {
      Bundle b = bundle(rt, setup);
      try {
        Exec.Result r = cmd(rt, b, "run", id(rt));
        assertEquals(0, r.exitCode(), name(rt) + ": " + r);
        out[i++] = r.stdout();
      } finally {
        cleanUp(rt, b);
      }
    }
    assertEquals("drwsrwsrwt\ndrwxrwxrwt\n", out[0]);
    assertEquals(out[0], out[1]);
  }

  @Test
  void aTmpfsModeOptionWinsOverTheDirectorysMode() {
    // berth only: runc 1.1.5 chmods the tmpfs to the directory's mode after mounting, so mode= is
    // lost on an existing directory (runc's issue 3911, fixed in later releases).
    Bundle b =
        bundle(
            berth(),
            x -> {
              assertEquals(
                  0,
                  Exec.run("mkdir", "-m", "0710", x.rootfs().resolve("t").toString()).exitCode());
              x.mounts()
                  .add(
                      Bundle.map(
                          "destination",
                          "/t",
                          "type",
                          "tmpfs",
                          "source",
                          "tmpfs",
                          "options",
                          Bundle.list("mode=0410")));
              x.sh("stat -c %a /t");
            });
    try {
      Exec.Result r = cmd(berth(), b, "run", id(berth()));
      assertEquals(0, r.exitCode(), r.toString());
      assertEquals("410\n", r.stdout());
    } finally {
      cleanUp(berth(), b);
    }
  }

  // ---- 2. --version ----

  private static final Pattern FIRST = Pattern.compile("(\\S+) version (\\S+)");
  private static final Pattern SPEC = Pattern.compile("spec: 1\\.\\d+\\.\\d+(-dev)?");

  @Test
  void versionPrintsRuncsLinesThenBerthsOwn() {
    for (String flag : List.of("--version", "-v")) {
      List<String> runc = BerthRunc.run(RUNC, tmp, flag).ok().stdout().lines().toList();
      List<String> berth = BerthRunc.run(berth(), tmp, flag).ok().stdout().lines().toList();
      // Tools parse "<name> version X", then "commit:" and "spec:" by their place.
      for (List<String> lines : List.of(runc, berth)) {
        assertTrue(lines.size() >= 3, lines.toString());
        assertTrue(FIRST.matcher(lines.get(0)).matches(), lines.toString());
        assertTrue(lines.get(1).matches("commit: \\S+"), lines.toString());
        assertTrue(SPEC.matcher(lines.get(2)).matches(), lines.toString());
      }
      assertEquals("berth-runc version " + BuildInfo.VERSION, berth.get(0));
      assertEquals("spec: " + dev.berth.runtime.ContainerRuntime.OCI_VERSION, berth.get(2));
      assertTrue(berth.size() == 4 && berth.get(3).startsWith("java: "), berth.toString());
    }
  }

  // ---- 3. kill's signals ----

  /**
   * What kill accepts, as numbers, names with and without SIG, and the bad ones; the container's
   * pid 1 ignores them.
   */
  private static final List<String> SIGNALS =
      List.of(
          "0",
          "00",
          "+0",
          "",
          "1",
          "+1",
          "010",
          "32",
          "33",
          "64",
          "HUP",
          "SIGHUP",
          "sighup",
          "SigHup",
          "WINCH",
          "SIGUSR2",
          "IO",
          "PWR",
          "STKFLT",
          "SIG0",
          "9x",
          "-1",
          "0x1",
          "+HUP",
          "65",
          "1000",
          "99999999999",
          "SIG",
          " HUP",
          "NOSUCH");

  @Test
  void killTakesTheSignalsRuncTakesAndZeroOnlyProbes() {
    List<String> runc = killOutcomes(RUNC);
    assertEquals(runc, killOutcomes(berth()));
    // Signal 0 sends nothing and tells whether the container runs: a liveness probe.
    assertTrue(
        runc.contains("[0] 0")
            && runc.contains("--all 0: 0")
            && runc.contains("still running: true")
            && runc.contains("stopped, 0: 1")
            && runc.contains("stopped, --all 0: 0"),
        runc.toString());
  }

  private List<String> killOutcomes(String rt) {
    Bundle b = bundle(rt, x -> x.args("sleep", "300"));
    try {
      assertEquals(0, detached(rt, b, "run -d " + id(rt)), name(rt) + " run -d");
      List<String> out = new ArrayList<>();
      for (String s : SIGNALS) out.add("[" + s + "] " + cmd(rt, b, "kill", id(rt), s).exitCode());
      out.add("--all 0: " + cmd(rt, b, "kill", "--all", id(rt), "0").exitCode());
      out.add("still running: " + cmd(rt, b, "state", id(rt)).stdout().contains("\"running\""));
      cmd(rt, b, "kill", id(rt), "KILL");
      for (int i = 0; i < 100 && !cmd(rt, b, "state", id(rt)).stdout().contains("\"stopped\""); i++)
        sleep(20);
      out.add("stopped, 0: " + cmd(rt, b, "kill", id(rt), "0").exitCode());
      // --all signals what is left in the cgroups: nothing, and no error.
      out.add("stopped, --all 0: " + cmd(rt, b, "kill", "--all", id(rt), "0").exitCode());
      out.add("stopped, --all KILL: " + cmd(rt, b, "kill", "-a", id(rt), "KILL").exitCode());
      return out;
    } finally {
      cleanUp(rt, b);
    }
  }

  @Test
  void killKillOfAContainerInTheHostPidNamespaceKillsAllItsProcesses() throws Exception {
    // berth only: runc 1.1.5 signals the init alone, so processes exec'd into a container without
    // a pid namespace of its own outlive `kill KILL`; runc 1.2 kills them all, as berth does, and
    // does so too once the init is gone (the container then reads "stopped").
    String rt = berth();
    for (boolean initGone : List.of(false, true)) {
      Bundle b =
          bundle(
              rt,
              x -> {
                x.args("sleep", "300");
                x.withoutNamespace("pid");
              });
      try {
        assertEquals(0, detached(rt, b, "run -d " + id(rt)));
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          Path pidFile = tmp.resolve("exec" + i + initGone + ".pid");
          assertEquals(
              0, detached(rt, b, "exec -d --pid-file " + pidFile + " " + id(rt) + " sleep 300"));
          pids.add(Long.parseLong(Files.readString(pidFile).trim()));
        }
        if (initGone) {
          String state = cmd(rt, b, "state", id(rt)).stdout();
          Matcher m = Pattern.compile("\"pid\": (\\d+)").matcher(state);
          assertTrue(m.find(), state);
          ProcessHandle.of(Long.parseLong(m.group(1))).ifPresent(ProcessHandle::destroyForcibly);
          for (int i = 0; i < 100 && !cmd(rt, b, "state", id(rt)).stdout().contains("stopped"); i++)
            sleep(20);
        }
        Exec.Result k = cmd(rt, b, "kill", id(rt), "KILL");
        assertEquals(0, k.exitCode(), "init gone " + initGone + ": " + k);
        for (long pid : pids) {
          for (int i = 0;
              i < 100 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
              i++) sleep(20);
          assertFalse(
              ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
              "exec'd process " + pid + " outlived kill KILL (init gone " + initGone + ")");
        }
      } finally {
        cleanUp(rt, b);
      }
    }
  }

  @Test
  void killAlsoTakesTheNamesRuncDoesNotKnow() {
    // runc 1.1.5 knows the 31 standard names only; berth also takes what kill(1) takes (IOT, CLD,
    // POLL,
    // RTMIN+n, RTMAX-n). A caller that sends them to runc gets "unknown signal": nothing that works
    // there breaks.
    String rt = berth();
    Bundle b = bundle(rt, x -> x.args("sleep", "300"));
    try {
      assertEquals(0, detached(rt, b, "run -d " + id(rt)));
      for (String s : List.of("IOT", "SIGCLD", "POLL", "RTMIN", "SIGRTMIN+3", "RTMAX-2")) {
        assertEquals(0, cmd(rt, b, "kill", id(rt), s).exitCode(), s);
      }
      Exec.Result bad = cmd(rt, b, "kill", id(rt), "SIG0");
      assertTrue(bad.stderr().contains("unknown signal \\\"SIG0\\\""), bad.stderr());
    } finally {
      cleanUp(rt, b);
    }
  }

  // ---- 4. a failing startContainer hook ----

  @Test
  void aFailingStartContainerHookFailsRunWithRuncsWords() {
    Consumer<Bundle> exits1 =
        b ->
            b.args("echo", "ran")
                .hook("startContainer", "/bin/false", List.of("false"), List.of(), null);
    Consumer<Bundle> timesOut =
        b ->
            b.args("echo", "ran")
                .hook("startContainer", "/bin/sleep", List.of("sleep", "5"), List.of(), 1);
    for (Consumer<Bundle> setup : List.of(exits1, timesOut)) {
      Exec.Result runc = failedRun(RUNC, setup);
      Exec.Result berth = failedRun(berth(), setup);
      assertEquals(runc.exitCode(), berth.exitCode(), "runc: " + runc + "\nberth: " + berth);
      assertEquals(1, runc.exitCode(), runc.toString());
      for (Exec.Result r : List.of(runc, berth)) {
        assertTrue((r.stdout() + r.stderr()).contains("error running hook #0: "), r.toString());
        assertFalse(r.stdout().contains("ran"), "the process must not run: " + r);
      }
      // Later runc releases name the kind too: berth says it both ways.
      assertTrue(
          berth.stderr().contains("error running startContainer hook #0: /bin/"), berth.stderr());
    }
  }

  @Test
  void anExecveThatFailsAfterStartSaysWhyInRuncsWords() {
    // ~2.9 MB of environment: past the kernel's exec limit, so the execve fails once start has let
    // the init go on and nobody reads its error: runc's init prints it on the container's stderr.
    for (String rt : List.of(RUNC, berth())) {
      Bundle b =
          bundle(
              rt,
              x -> {
                x.args("/bin/sh", "-c", "echo ran");
                @SuppressWarnings("unchecked")
                List<Object> env = (List<Object>) x.process().get("env");
                for (int i = 0; i < 24; i++) env.add("X" + i + "=" + "a".repeat(120_000));
              });
      try {
        assertEquals(0, detached(rt, b, "create " + id(rt)), name(rt));
        assertEquals(0, cmd(rt, b, "start", id(rt)).exitCode(), name(rt));
        String state = "";
        for (int i = 0; i < 100 && !state.contains("\"stopped\""); i++) {
          sleep(20);
          state = cmd(rt, b, "state", id(rt)).stdout();
        }
        assertTrue(state.contains("\"stopped\""), name(rt) + ": " + state);
        String err = Files.readString(tmp.resolve(name(rt) + "/err"));
        assertTrue(err.contains("exec /bin/sh: argument list too long"), name(rt) + ": " + err);
        assertFalse(err.contains("ran"), name(rt) + ": " + err);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } finally {
        cleanUp(rt, b);
      }
    }
  }

  @Test
  void startReturnsBeforeTheStartContainerHooksAsRuncDoes() {
    // start only lets the init go on and returns 0; the hook fails in the container afterwards and
    // the container
    // stops, with "error running hook" on the container's stderr (runc's init and berth-init both
    // print it there: the
    // socket to the runtime closed with create).
    for (String rt : List.of(RUNC, berth())) {
      Bundle b =
          bundle(
              rt,
              x ->
                  x.args("echo", "ran")
                      .hook("startContainer", "/bin/false", List.of("false"), List.of(), null));
      try {
        assertEquals(0, detached(rt, b, "create " + id(rt)), name(rt));
        assertEquals(0, cmd(rt, b, "start", id(rt)).exitCode(), name(rt));
        String state = "";
        for (int i = 0; i < 100 && !state.contains("\"stopped\""); i++) {
          sleep(20);
          state = cmd(rt, b, "state", id(rt)).stdout();
        }
        assertTrue(state.contains("\"stopped\""), name(rt) + ": " + state);
        String err = Files.readString(tmp.resolve(name(rt) + "/err"));
        assertTrue(err.contains("error running hook"), name(rt) + ": " + err);
        assertFalse(err.contains("ran"), name(rt) + ": " + err);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } finally {
        cleanUp(rt, b);
      }
    }
  }

  // ---- 5. AppArmor and SELinux on a host without them ----

  @Test
  void securityModulesTheHostLacksAreRefused() {
    Assumptions.assumeFalse(
        Files.isDirectory(Path.of("/sys/kernel/security/apparmor")), "AppArmor is enabled");
    Assumptions.assumeFalse(Files.exists(Path.of("/sys/fs/selinux/enforce")), "SELinux is enabled");
    // runc refuses the three (the apparmor profile when it fails to write it, the mount label when
    // the kernel
    // refuses the context= option): a confinement asked for and not applied must not pass silently.
    refusedAlike(
        b -> b.process().put("apparmorProfile", "berth-test"),
        "unable to apply apparmor profile",
        "process.apparmorProfile");
    refusedAlike(
        b -> b.process().put("selinuxLabel", "system_u:system_r:container_t:s0"),
        "selinux label is specified in config, but selinux is disabled or not supported",
        "process.selinuxLabel");
    refusedAlike(
        b -> b.linux().put("mountLabel", "system_u:object_r:container_file_t:s0"),
        null,
        "linux.mountLabel");
  }

  @Test
  void execWithAProfileOrLabelTheHostLacksFailsAsExecFailures() {
    Assumptions.assumeFalse(
        Files.isDirectory(Path.of("/sys/kernel/security/apparmor")), "AppArmor is enabled");
    Assumptions.assumeFalse(Files.exists(Path.of("/sys/fs/selinux/enforce")), "SELinux is enabled");
    for (String rt : List.of(RUNC, berth())) {
      Bundle b = bundle(rt, x -> x.args("sleep", "300"));
      try {
        assertEquals(0, detached(rt, b, "run -d " + id(rt)), name(rt));
        Exec.Result aa = cmd(rt, b, "exec", "--apparmor", "berth-test", id(rt), "true");
        assertEquals(255, aa.exitCode(), name(rt) + ": " + aa);
        assertTrue(aa.stderr().contains("apparmor"), aa.stderr());
        Exec.Result se =
            cmd(
                rt,
                b,
                "exec",
                "--process-label",
                "system_u:system_r:container_t:s0",
                id(rt),
                "true");
        assertEquals(255, se.exitCode(), name(rt) + ": " + se);
        assertTrue(
            se.stderr().contains("selinux label is specified in config, but selinux is disabled"),
            se.stderr());
      } finally {
        cleanUp(rt, b);
      }
    }
  }

  // ---- 6. the words of refusals ----

  @Test
  void unifiedResourcesOnCgroupV1AreAnInvalidConfiguration() {
    Assumptions.assumeFalse(
        Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")), "a cgroup v2 host");
    refusedAlike(
        b ->
            b.linux()
                .put("resources", Bundle.map("unified", Bundle.map("memory.high", "100000000"))),
        "invalid configuration",
        "linux.resources.unified");
  }

  @Test
  void aSeccompAgentThatIsNotThereIsAFailureToConnect() {
    Path missing = tmp.resolve("no-agent.sock");
    refusedAlike(
        b ->
            b.linux()
                .put(
                    "seccomp",
                    Bundle.map(
                        "defaultAction",
                        "SCMP_ACT_ALLOW",
                        "listenerPath",
                        missing.toString(),
                        "syscalls",
                        Bundle.list(
                            Bundle.map(
                                "names", Bundle.list("mkdir"), "action", "SCMP_ACT_NOTIFY")))),
        "failed to connect with seccomp agent",
        "linux.seccomp.listenerPath");
  }

  @Test
  void procAndSysfsGoOnlyOntoDirectories() {
    // A symlink in their place redirects them (before: berth-runc mounted proc where /proc pointed,
    // inside the root).
    refusedAlike(
        b -> replace(b.rootfs().resolve("proc"), true),
        "must be mounted on ordinary directory",
        "mounts[");
    refusedAlike(
        b -> replace(b.rootfs().resolve("proc"), false),
        "must be mounted on ordinary directory",
        "mounts[");
    refusedAlike(
        b -> {
          b.mounts().add(Bundle.map("destination", "/sys2", "type", "sysfs", "source", "sysfs"));
          replace(b.rootfs().resolve("sys2"), true);
        },
        "must be mounted on ordinary directory",
        "mounts[");
  }
}
