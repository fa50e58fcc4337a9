package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.sys.Linux;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container verbs of {@code bin/berth} as users and scripts meet them: real processes of the
 * built launcher on a busybox image imported into a temporary store, run under their monitors.
 * Output, exit codes (docker's), what a failure leaves (nothing: records, snapshots, volumes,
 * mounts, cgroups, monitors), a terminal under {@code script}, and the CLI or the monitor killed
 * with SIGKILL while a container runs.
 */
@RequiresRoot
class BerthContainerCliTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  Path root;
  Path runRoot;

  @BeforeEach
  void importBusybox() throws Exception {
    root = tmp.resolve("root");
    runRoot = tmp.resolve("run");
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    for (String applet : List.of("tty", "stty"))
      Files.createSymbolicLink(rootfs.resolve("bin/" + applet), Path.of("busybox"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    berth("import", tar.toString(), IMAGE).ok();
  }

  @AfterEach
  void removeContainers() throws Exception {
    for (String id : berth("ps", "-aq", "--no-trunc").ok().stdout().lines().toList())
      berth("rm", "-f", id);
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)), "left");
    assertEquals(List.of(), mountsUnder(tmp), "mounts left behind");
  }

  /**
   * {@code bin/berth --root ROOT --runroot RUN args...}, the launcher itself (no shell), stdin
   * empty.
   */
  Exec.Result berth(String... args) {
    return berthWithInput(null, args);
  }

  Exec.Result berthWithInput(String stdin, String... args) {
    return Exec.run(command(args), null, Map.of(), stdin, 60);
  }

  List<String> command(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                BerthCli.launcher().toString(),
                "--root",
                root.toString(),
                "--runroot",
                runRoot.toString()));
    all.addAll(List.of(args));
    return all;
  }

  /**
   * Asserts a refusal as docker words it: {@code status}, nothing on stdout, one "Error: " line on
   * stderr.
   */
  static Exec.Result refused(Exec.Result r, int status, String words) {
    assertEquals(status, r.exitCode(), r.toString());
    assertEquals("", r.stdout(), r.toString());
    List<String> lines = r.stderr().lines().toList();
    assertEquals(1, lines.size(), r.toString());
    assertTrue(lines.get(0).startsWith("Error: ") && lines.get(0).contains(words), r.toString());
    return r;
  }

  // ---- what is on the machine ----

  static List<String> mountsUnder(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String target = line.split(" ")[4];
      if (target.startsWith(dir.toString())) out.add(target);
    }
    return out;
  }

  List<String> entries(String dir) throws IOException {
    Path d = root.resolve(dir);
    if (!Files.isDirectory(d)) return List.of();
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The cgroup directories named for the container (berth-ID12), in any hierarchy. */
  static List<Path> cgroupsOf(String id) throws IOException {
    String name = "berth-" + id.substring(0, 12);
    return CgroupTree.named(7, name::equals);
  }

  /** Processes whose command line names the container (its monitor has --id ID). */
  static List<Long> processesOf(String id) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(id)).orElse(false))
        .map(ProcessHandle::pid)
        .toList();
  }

  /**
   * Nothing of container {@code id}: record, snapshot, mount, cgroup, monitor. Its monitor's exit
   * command (berth container cleanup ID, a short-lived process of its own) may still be ending: it
   * is given 10 s.
   */
  void assertGone(String id) throws IOException, InterruptedException {
    for (int i = 0; i < 100 && !processesOf(id).isEmpty(); i++) TimeUnit.MILLISECONDS.sleep(100);
    assertFalse(entries("containers").contains(id), "the container's record and directory");
    assertFalse(entries("snapshots/active").contains(id), "the container's snapshot");
    assertEquals(List.of(), mountsUnder(tmp), "mounts");
    assertEquals(List.of(), cgroupsOf(id), "the container's cgroups");
    assertEquals(List.of(), processesOf(id), "the container's monitor");
  }

  /**
   * {@code --uidmap}/{@code --gidmap} (podman's): a user namespace of the container's own, made by
   * the runtime, with its image idmapped through a namespace of the same maps: root inside is
   * 100000 on the host, the image's files are root's, what it writes is stored as 100000; exec
   * joins it; nothing is left (no mount, no holder process); a bad range is refused.
   */
  @org.junit.jupiter.api.Test
  void aContainerWithAUserNamespaceOfItsOwn() throws Exception {
    Exec.Result r =
        berth(
            "run",
            "--rm",
            "--network",
            "none",
            "--uidmap",
            "0:100000:65536",
            IMAGE,
            "sh",
            "-c",
            "cat /proc/self/uid_map; id -u; stat -c %u:%g /bin/busybox; touch /x && stat -c %u /x");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(
        List.of("0 100000 65536", "0", "0:0", "0"),
        r.stdout().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList());
    // a named volume and the etc files are idmapped too: root's inside, writable by its root
    Exec.Result vol =
        berth(
            "run",
            "--rm",
            "--network",
            "none",
            "--uidmap",
            "0:100000:65536",
            "-v",
            "uvol:/data",
            IMAGE,
            "sh",
            "-c",
            "touch /data/f && stat -c %u:%g /data /data/f /etc/hosts && echo 1.2.3.4 x >> /etc/hosts");
    assertEquals(0, vol.exitCode(), vol.toString());
    assertEquals("0:0\n0:0\n0:0\n", vol.stdout());
    assertEquals(
        0,
        (int)
            Files.getAttribute(
                root.resolve("volumes/uvol/_data/f"),
                "unix:uid",
                java.nio.file.LinkOption.NOFOLLOW_LINKS),
        "stored with the host's view of the container's root: 0");
    berth("volume", "rm", "uvol").ok();
    String id =
        berth("run", "-d", "--network", "none", "--uidmap", "0:100000:65536", IMAGE, "sleep", "100")
            .ok()
            .stdout()
            .strip();
    String pid = berth("inspect", "--format", "{{.State.Pid}}", id).ok().stdout().strip();
    assertTrue(
        Files.readString(Path.of("/proc/" + pid + "/status"))
            .matches("(?s).*\\nUid:\\s+100000\\s.*"));
    assertEquals("0\n", berth("exec", id, "id", "-u").ok().stdout());
    berth("rm", "-f", id).ok();
    assertGone(id);
    assertEquals(
        "",
        Exec.run("sh", "-c", "grep -l BERTH_IDMAP= /proc/[0-9]*/environ 2>/dev/null || true")
            .stdout(),
        "no idmap holder left");
    refused(
        berth("run", "--uidmap", "0:100000", IMAGE, "true"), 125, "invalid --uidmap \"0:100000\"");
    // --domainname: its own uts namespace's NIS domain name
    assertEquals(
        "example.org\n",
        berth(
                "run",
                "--rm",
                "--network",
                "none",
                "--domainname",
                "example.org",
                IMAGE,
                "cat",
                "/proc/sys/kernel/domainname")
            .ok()
            .stdout());
    assertEmptyStore();
  }

  /** No container at all in the store: no records, snapshots, volumes, mounts. */
  void assertEmptyStore() throws Exception {
    assertEquals("", berth("ps", "-aq").ok().stdout());
    assertEquals(List.of(), entries("containers"), "container records");
    assertEquals(List.of(), entries("snapshots/active"), "snapshots");
    assertEquals(List.of(), entries("volumes"), "volumes");
    assertEquals(List.of(), mountsUnder(tmp), "mounts");
  }

  /**
   * Polls {@code berth args} until its stdout passes {@code done} (10 s at most); returns the last
   * result.
   */
  Exec.Result until(Predicate<String> done, String... args) throws InterruptedException {
    Exec.Result r = berth(args);
    for (int i = 0; i < 100 && !done.test(r.stdout()); i++) {
      TimeUnit.MILLISECONDS.sleep(100);
      r = berth(args);
    }
    return r;
  }

  String cid() throws Exception {
    return Files.readString(tmp.resolve("cid")).strip();
  }

  // ---- run ----

  @Test
  void runRmPrintsTheOutputExitsWithTheCommandAndLeavesNothing() throws Exception {
    Exec.Result hi =
        berth("run", "--rm", "--cidfile", tmp.resolve("cid").toString(), IMAGE, "echo", "hi");
    assertEquals(0, hi.exitCode(), hi.toString());
    assertEquals("hi\n", hi.stdout());
    assertEquals("", hi.stderr());
    assertGone(cid());
    assertEmptyStore();
    Exec.Result three =
        berth("run", "--name", "three", IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3");
    assertEquals(3, three.exitCode(), three.toString());
    assertEquals("out\n", three.stdout());
    assertEquals("err\n", three.stderr());
    assertEquals(
        "exited 3",
        berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "three")
            .ok()
            .stdout()
            .strip());
    assertEquals(List.of(), mountsUnder(tmp), "an exited container holds no mount");
  }

  @Test
  void aDetachedContainerInPsLogsStopAndRm() throws Exception {
    Exec.Result run =
        berth(
            "run", "-d", "--name", "web", IMAGE, "sh", "-c", "echo one; echo two; exec sleep 1000");
    assertEquals(0, run.exitCode(), run.toString());
    String id = run.stdout().strip();
    assertTrue(id.matches("[0-9a-f]{64}"), run.toString());
    assertEquals(1, run.stdout().lines().count(), run.toString());
    berth("create", "--name", "idle", IMAGE, "true").ok();

    List<String> ps = berth("ps").ok().stdout().lines().toList();
    assertEquals(2, ps.size(), "the header and the running container only: " + ps);
    String header = ps.get(0);
    assertTrue(
        header.matches("CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES"), header);
    String row = ps.get(1);
    assertEquals(id.substring(0, 12), row.substring(0, 12), row);
    assertTrue(row.substring(header.indexOf("IMAGE")).startsWith(IMAGE + " "), row);
    assertTrue(
        row.substring(header.indexOf("COMMAND")).startsWith("\"sh -c echo one; ech\u2026\" "), row);
    assertTrue(row.substring(header.indexOf("STATUS")).startsWith("Up "), row);
    assertTrue(row.endsWith(" web"), row);
    assertEquals(
        List.of("idle created", "web running"),
        berth("ps", "-a", "--format", "{{.Names}} {{.State}}")
            .ok()
            .stdout()
            .lines()
            .sorted()
            .toList());
    assertEquals(id.substring(0, 12) + "\n", berth("ps", "-q").ok().stdout());

    assertEquals("one\ntwo\n", until(s -> s.equals("one\ntwo\n"), "logs", "web").stdout());
    assertEquals("two\n", berth("logs", "--tail", "1", "web").ok().stdout());
    List<String> stamped = berth("logs", "-t", "web").ok().stdout().lines().toList();
    assertEquals(2, stamped.size(), stamped.toString());
    assertTrue(
        stamped.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z one"),
        stamped.toString());

    // docker: a running container is not removed without -f, and rm exits 1.
    refused(berth("rm", "web"), 1, "You cannot remove a running container " + id);
    assertEquals(
        "running", berth("inspect", "-f", "{{.State.Status}}", "web").ok().stdout().strip());
    // sleep as PID 1 has no handler for SIGTERM: killed after the timeout.
    Exec.Result stop = berth("stop", "-t", "1", "web");
    assertEquals("web\n", stop.stdout(), stop.toString());
    assertEquals(0, stop.exitCode(), stop.toString());
    assertEquals(
        "exited 137",
        berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web")
            .ok()
            .stdout()
            .strip());
    assertEquals(List.of(), mountsUnder(tmp), "a stopped container holds no mount");
    assertEquals(List.of(), cgroupsOf(id), "nor cgroup");
    assertEquals("web\n", berth("rm", "web").ok().stdout());
    assertGone(id);

    String forced = berth("run", "-d", IMAGE, "sleep", "1000").ok().stdout().strip();
    assertEquals(forced + "\n", berth("rm", "-f", forced).ok().stdout());
    assertGone(forced);
    berth("rm", "idle").ok();
    assertEmptyStore();
  }

  @Test
  void stopOfAnAutoRemoveContainerSucceedsAndRemovesIt() throws Exception {
    String id =
        berth("run", "-d", "--rm", "--name", "gone", IMAGE, "sleep", "1000").ok().stdout().strip();
    Exec.Result stop = berth("stop", "-t", "1", "gone");
    assertEquals(0, stop.exitCode(), stop.toString());
    assertEquals("gone\n", stop.stdout(), stop.toString());
    assertGone(id);
    assertEmptyStore();
  }

  @Test
  void theMonitorsCleanupRestartsByPolicyAndAStopEndsIt() throws Exception {
    // No berth process stays: each exit's cleanup (run by the monitor) starts the next run.
    berth("run", "-d", "--restart", "on-failure:2", "--name", "flaky", IMAGE, "sh", "-c", "exit 3")
        .ok();
    String want = "2 exited 3";
    String got = "";
    for (int i = 0; i < 200 && !got.equals(want); i++) {
      TimeUnit.MILLISECONDS.sleep(50);
      got =
          berth("inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", "flaky")
              .ok()
              .stdout()
              .strip();
    }
    assertEquals(want, got);
    assertEquals(
        "on-failure 2\n",
        berth(
                "inspect",
                "-f",
                "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
                "flaky")
            .ok()
            .stdout());

    berth("run", "-d", "--restart", "always", "--name", "again", IMAGE, "sh", "-c", "sleep 0.2")
        .ok();
    int count = 0;
    for (int i = 0; i < 200 && count < 1; i++) {
      TimeUnit.MILLISECONDS.sleep(50);
      count =
          Integer.parseInt(
              berth("inspect", "-f", "{{.RestartCount}}", "again").ok().stdout().strip());
    }
    assertTrue(count >= 1, "restarted after exiting 0");
    berth("stop", "-t", "0", "again").ok();
    String after = berth("inspect", "-f", "{{.RestartCount}}", "again").ok().stdout().strip();
    TimeUnit.MILLISECONDS.sleep(1500);
    assertEquals(
        "exited", berth("inspect", "-f", "{{.State.Status}}", "again").ok().stdout().strip());
    assertEquals(after, berth("inspect", "-f", "{{.RestartCount}}", "again").ok().stdout().strip());
    assertEquals(
        "Error: Conflicting options: --restart and --rm\n",
        berth("run", "--rm", "--restart", "always", IMAGE, "true").stderr());
  }

  // ---- terminals and stdin ----

  @Test
  @RequiresCommand("script")
  void runItGivesTheContainerATerminalOfOurSizeAndOurKeys() throws Exception {
    // script(1) runs berth on a new pseudo-terminal of 33 rows and 91 columns: the container must
    // see a terminal of
    // its own with that size when it asks at once, and what is typed (a line ended by Enter, CR)
    // must reach it.
    String line =
        "stty rows 33 cols 91; "
            + String.join(
                " ",
                command(
                    "run",
                    "-it",
                    "--rm",
                    IMAGE,
                    "sh",
                    "-c",
                    "'tty; stty size; read line; echo got:$line; exit 4'"))
            + "; echo status=$?";
    for (int i = 0; i < 3; i++) {
      Process script =
          new ProcessBuilder("script", "-qec", line, "/dev/null").redirectErrorStream(true).start();
      // Our end of script's stdin stays open until it is done: at end of file script types an EOF
      // of its own.
      try (OutputStream keys = script.getOutputStream()) {
        keys.write("hello\r".getBytes(StandardCharsets.US_ASCII));
        keys.flush();
        CompletableFuture<byte[]> out =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return script.getInputStream().readAllBytes();
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
        String screen;
        try {
          screen =
              new String(out.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8).replace("\r", "");
        } finally {
          script.destroyForcibly();
        }
        // The echoes of the typed line (ours, the container's) come wherever the keys met the
        // output.
        String withoutEchoes = screen.replaceAll("(?m)^hello\n", "");
        assertTrue(withoutEchoes.matches("/dev/pts/\\d+\n33 91\ngot:hello\nstatus=4\n"), screen);
        assertTrue(screen.length() - withoutEchoes.length() <= 2 * "hello\n".length(), screen);
      }
    }
  }

  @Test
  void runIPassesStdinToTheContainer() {
    Exec.Result cat =
        berthWithInput("a\nb\n", "run", "-i", "--rm", IMAGE, "sh", "-c", "cat; echo end");
    assertEquals(0, cat.exitCode(), cat.toString());
    assertEquals("a\nb\nend\n", cat.stdout());
    // Without -i the container's stdin is empty.
    Exec.Result none =
        berthWithInput("ignored\n", "run", "--rm", IMAGE, "sh", "-c", "cat; echo end");
    assertEquals("end\n", none.stdout(), none.toString());
  }

  @Test
  void runDetachedWithIKeepsStdinOpenForOneAttachAfterAnother() throws Exception {
    // docker's CLI: -i is stdin once when attached (run, create), not for run -d.
    berth("create", "-i", "--name", "created", IMAGE, "cat").ok();
    berth("create", "--name", "plain", IMAGE, "cat").ok();
    berth("run", "-d", "-i", "--name", "feed", IMAGE, "sh", "-c", "cat; echo eof; exit 5").ok();
    String format = "{{.Config.OpenStdin}} {{.Config.StdinOnce}}";
    assertEquals(
        "true true", berth("inspect", "--format", format, "created").ok().stdout().strip());
    assertEquals(
        "false false", berth("inspect", "--format", format, "plain").ok().stdout().strip());
    assertEquals("true false", berth("inspect", "--format", format, "feed").ok().stdout().strip());
    List<Process> attaches = new ArrayList<>();
    try {
      for (String word : List.of("one", "two")) {
        Process a = new ProcessBuilder(command("attach", "feed")).start();
        attaches.add(a);
        OutputStream in = a.getOutputStream();
        in.write((word + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        java.io.BufferedReader out =
            new java.io.BufferedReader(
                new java.io.InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
        assertEquals(word, out.readLine(), "this attach reached cat");
        in.close(); // its stdin ends: its attach ends, cat's stdin stays open for the next one
      }
      // As docker's attach, each waits for the container's exit once its streams ended.
      berth("kill", "feed").ok();
      for (Process a : attaches) {
        assertTrue(a.waitFor(60, TimeUnit.SECONDS));
        assertEquals(137, a.exitValue());
      }
    } finally {
      for (Process a : attaches) a.destroyForcibly();
    }
    assertEquals("one\ntwo\n", berth("logs", "feed").ok().stdout(), "cat never read EOF");
  }

  // ---- bad input ----

  @Test
  void badInputIsRefusedWithDockersErrorAndLeavesNothing() throws Exception {
    refused(
        berth("run", "--pull", "never", "localhost/nosuch:1", "true"),
        125,
        "No such image: localhost/nosuch:1");
    refused(
        berth("run", "-v", "data:relative", IMAGE, "true"), 125, "invalid volume specification");
    refused(
        berth("run", "--log-driver", "journald", IMAGE, "true"),
        125,
        "log driver journald is not supported by berth (json-file, local and none are)");
    refused(
        berth("run", "--log-opt", "max-file=0", IMAGE, "true"),
        125,
        "max-file cannot be less than 1");
    refused(
        berth("run", "-v", "data:/data", "-u", "nosuch", IMAGE, "true"),
        125,
        "unable to find user nosuch");
    refused(berth("run", "--memory", "12x", IMAGE, "true"), 125, "invalid size: '12x'");
    refused(
        berth("run", "--memory-swappiness", "200", IMAGE, "true"),
        125,
        "Invalid value: 200, valid memory swappiness range is 0-100");
    refused(
        berth("run", "--memory", "16m", "--memory-reservation", "32m", IMAGE, "true"),
        125,
        "Minimum memory limit can not be less than memory reservation limit");
    refused(
        berth("run", "--runtime", "nosuch", IMAGE, "true"),
        125,
        "unknown runtime handler \"nosuch\"");
    refused(berth("run", "--name", "a/b", IMAGE, "true"), 125, "Invalid container name (a/b)");
    assertEmptyStore();

    String taken = berth("create", "--name", "taken", IMAGE, "true").ok().stdout().strip();
    refused(
        berth("run", "--name", "taken", IMAGE, "true"),
        125,
        "Conflict. The container name \"/taken\" is already "
            + "in use by container \""
            + taken
            + "\"");
    assertEquals(List.of(taken), entries("containers"));
    assertEquals(List.of(taken), entries("snapshots/active"));
    berth("rm", "taken").ok();
    // docker's other resource flags, kept as docker shows them
    String limited =
        berth(
                "create",
                "--memory",
                "64m",
                "--memory-reservation",
                "32m",
                "--memory-swappiness",
                "7",
                "--oom-kill-disable",
                "--cpu-period",
                "100000",
                "--cpu-quota",
                "50000",
                "--cpuset-mems",
                "0",
                IMAGE,
                "true")
            .ok()
            .stdout()
            .strip();
    assertEquals(
        "33554432 7 true 100000 50000 0",
        berth(
                "inspect",
                "-f",
                "{{.HostConfig.MemoryReservation}} {{.HostConfig.MemorySwappiness}}"
                    + " {{.HostConfig.OomKillDisable}} {{.HostConfig.CpuPeriod}}"
                    + " {{.HostConfig.CpuQuota}} {{.HostConfig.CpusetMems}}",
                limited)
            .ok()
            .stdout()
            .strip());
    berth("rm", limited).ok();

    // A command that is not there: docker's 127 (126 when it cannot be executed); the failed run is
    // removed.
    Path cid = tmp.resolve("cid");
    Exec.Result missing = berth("run", "--cidfile", cid.toString(), IMAGE, "nosuchcommand");
    assertEquals(127, missing.exitCode(), missing.toString());
    assertTrue(
        missing.stderr().startsWith("Error: ") && missing.stderr().contains("nosuchcommand"),
        missing.toString());
    assertGone(cid());
    Files.delete(cid);
    Exec.Result notExecutable = berth("run", "--cidfile", cid.toString(), IMAGE, "/etc");
    assertEquals(126, notExecutable.exitCode(), notExecutable.toString());
    assertGone(cid());
    assertEmptyStore();
  }

  @Test
  void verbsOnAMissingContainerExit1WithDockersError() {
    for (String verb :
        List.of("start", "stop", "restart", "kill", "wait", "pause", "unpause", "rm", "logs")) {
      refused(berth(verb, "nosuch"), 1, "No such container: nosuch");
    }
    refused(berth("rename", "nosuch", "other"), 1, "No such container: nosuch");
    // inspect prints what it found (nothing) and names what it did not.
    Exec.Result inspect = berth("inspect", "--type", "container", "nosuch");
    assertEquals(1, inspect.exitCode(), inspect.toString());
    assertEquals("Error: No such object: nosuch\n", inspect.stderr());
  }

  @Test
  void killOfAStoppedContainerExits1() {
    berth("create", "--name", "idle", IMAGE, "true").ok();
    refused(berth("kill", "idle"), 1, "is not running");
  }

  // ---- robustness ----

  @Test
  void theContainerOutlivesAKilledCliAndItsExitIsKept() throws Exception {
    Process cli =
        new ProcessBuilder(command("run", "--name", "killed", IMAGE, "sh", "-c", "sleep 2; exit 5"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      assertEquals(
          "running",
          until(s -> s.strip().equals("running"), "inspect", "-f", "{{.State.Status}}", "killed")
              .stdout()
              .strip());
    } finally {
      cli.destroyForcibly(); // SIGKILL to the CLI's JVM (bin/berth execs java)
      cli.waitFor();
    }
    Exec.Result wait = berth("wait", "killed");
    assertEquals("5\n", wait.stdout(), wait.toString());
    assertEquals(0, wait.exitCode(), wait.toString());
    assertEquals(
        "exited 5",
        berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "killed")
            .ok()
            .stdout()
            .strip());
    assertEquals(List.of(), mountsUnder(tmp));
    String id = berth("inspect", "-f", "{{.Id}}", "killed").ok().stdout().strip();
    assertEquals(List.of(), cgroupsOf(id));
  }

  @Test
  void aKilledMonitorLeavesTheContainerRunningThenExited255() throws Exception {
    String id = berth("run", "-d", "--name", "mon", IMAGE, "sleep", "1000").ok().stdout().strip();
    int pid =
        Integer.parseInt(berth("inspect", "-f", "{{.State.Pid}}", "mon").ok().stdout().strip());
    int monitor = parentOf(pid);
    assertTrue(processesOf(id).contains((long) monitor), "the container's parent is its monitor");
    Linux.kill(monitor, 9);
    assertTrue(ProcessHandle.of(pid).isPresent(), "the container runs on");
    assertEquals(
        "running", berth("inspect", "-f", "{{.State.Status}}", "mon").ok().stdout().strip());
    assertEquals("mon\n", berth("stop", "-t", "1", "mon").ok().stdout());
    String state =
        berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}", "mon")
            .ok()
            .stdout();
    assertTrue(state.startsWith("exited 255 ") && state.contains("monitor"), state);
    assertEquals(List.of(), mountsUnder(tmp));
    assertEquals(List.of(), cgroupsOf(id));
    // Nothing stuck: it starts again under a new monitor, and goes.
    berth("start", "mon").ok();
    assertEquals(
        "running", berth("inspect", "-f", "{{.State.Status}}", "mon").ok().stdout().strip());
    berth("rm", "-f", "mon").ok();
    assertGone(id);
  }

  static int parentOf(int pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
  }

  @Test
  void twoClisRacingOnOneNameExactlyOneWins() throws Exception {
    for (int round = 0; round < 2; round++) {
      List<Process> racers = new ArrayList<>();
      List<Path> errs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Path err = tmp.resolve("race" + round + "-" + i + ".err");
        errs.add(err);
        racers.add(
            new ProcessBuilder(command("run", "-d", "--name", "same", IMAGE, "sleep", "1000"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile())
                .start());
      }
      List<Integer> codes = new ArrayList<>();
      for (Process p : racers) {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        codes.add(p.exitValue());
      }
      assertEquals(List.of(0, 125), codes.stream().sorted().toList(), codes.toString());
      String loser = Files.readString(errs.get(codes.indexOf(125)), StandardCharsets.UTF_8);
      assertTrue(
          loser.startsWith("Error: Conflict. The container name \"/same\" is already in use"),
          loser);
      assertEquals(
          List.of("same running"),
          berth("ps", "-a", "--format", "{{.Names}} {{.State}}").ok().stdout().lines().toList());
      assertEquals(1, entries("containers").size(), "one record");
      assertEquals(1, entries("snapshots/active").size(), "one snapshot");
      String id = entries("containers").get(0);
      berth("rm", "-f", "same").ok();
      assertGone(id);
    }
    assertEmptyStore();
  }

  @Test
  @RequiresCommand("runc")
  void runcRunsTheSameContainers() throws Exception {
    Exec.Result hi =
        berth("run", "--rm", "--runtime", "runc", IMAGE, "sh", "-c", "echo hi; exit 6");
    assertEquals(6, hi.exitCode(), hi.toString());
    assertEquals("hi\n", hi.stdout());
    String id =
        berth("run", "-d", "--runtime", "runc", "--name", "rc", IMAGE, "sleep", "1000")
            .ok()
            .stdout()
            .strip();
    assertEquals(
        "rc running", berth("ps", "--format", "{{.Names}} {{.State}}").ok().stdout().strip());
    assertEquals(
        "runc", berth("inspect", "-f", "{{.HostConfig.Runtime}}", "rc").ok().stdout().strip());
    int pid =
        Integer.parseInt(berth("inspect", "-f", "{{.State.Pid}}", "rc").ok().stdout().strip());
    assertTrue(
        processesOf(id).contains((long) parentOf(pid)), "runc's init adopted by berth's monitor");
    assertEquals("rc\n", berth("stop", "-t", "1", "rc").ok().stdout());
    assertEquals(
        "exited 137",
        berth("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "rc")
            .ok()
            .stdout()
            .strip());
    assertEquals("rc\n", berth("rm", "rc").ok().stdout());
    assertGone(id);
    Exec.Result missing = berth("run", "--runtime", "runc", IMAGE, "nosuchcommand");
    assertEquals(127, missing.exitCode(), missing.toString());
    assertEmptyStore();
  }
}
