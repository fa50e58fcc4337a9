package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * exec, attach, top, stats and events through the real launcher, as a docker user runs them: exit
 * codes, stdout and stderr apart, a real terminal (under script(1)), and docker's table and line
 * formats.
 */
@RequiresRoot
class BerthExecCliTest {
  private static final String IMAGE = "localhost/busybox";
  private static final String ID = "[0-9a-f]{64}";

  @TempDir Path tmp;
  String globals;

  @BeforeEach
  void setUp() throws Exception {
    BerthCli.launcher(); // skips the test when berth is not built
    globals = "--root " + tmp.resolve("root") + " --runroot " + tmp.resolve("run");
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.createSymbolicLink(rootfs.resolve("bin/stty"), Path.of("busybox"));
    Files.createSymbolicLink(rootfs.resolve("bin/tty"), Path.of("busybox"));
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tmp.resolve("busybox.tar").toString(), ".")
        .ok();
    berth("import " + tmp.resolve("busybox.tar") + " " + IMAGE).ok();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (String id : berth("ps -aq --no-trunc").stdout().lines().toList()) berth("rm -f " + id);
    // The monitors, and the cleanup they run when their container ends, work on after the CLI
    // returns.
    assertEquals(
        List.of(),
        Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)),
        "processes left");
    List<String> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      if (line.split(" ")[4].startsWith(tmp.toString())) mounts.add(line);
    }
    assertEquals(List.of(), mounts, "mounts left behind");
  }

  private Exec.Result berth(String shell) {
    return BerthCli.process(Map.of(), globals + " " + shell);
  }

  private String runDetached(String shell) {
    Exec.Result r = berth("run -d " + shell).ok();
    assertTrue(r.stdout().matches(ID + "\n"), r.toString());
    return r.stdout().strip();
  }

  @Test
  void execEndsWithTheProcessStatusOrDockers126And127() {
    runDetached("--name web " + IMAGE + " sleep 100");
    Exec.Result ok =
        berth("exec -e K=V -w /tmp -u nobody web sh -c 'echo $K; pwd; id -u; echo oops >&2'").ok();
    assertEquals("V\n/tmp\n65534\n", ok.stdout());
    assertEquals("oops\n", ok.stderr());
    assertEquals(3, berth("exec web sh -c 'exit 3'").exitCode());
    Exec.Result missing = berth("exec web no-such-command");
    assertEquals(127, missing.exitCode(), missing.toString());
    assertEquals("", missing.stdout());
    assertTrue(
        missing.stderr().startsWith("Error: ") && missing.stderr().contains("no-such-command"),
        missing.toString());
    Exec.Result cannot = berth("exec web /etc/passwd");
    assertEquals(126, cannot.exitCode(), cannot.toString());
    Exec.Result user = berth("exec -u nosuchuser web id");
    assertEquals(126, user.exitCode(), user.toString());
    assertEquals(
        "Error: unable to find user nosuchuser: no matching entries in passwd file\n",
        user.stderr());
    // Without -i the process's stdin is empty, not ours.
    assertEquals("[]\n", berth("exec web sh -c 'read x; echo \"[$x]\"' <<EOF\nlost\nEOF").stdout());
    assertEquals(
        "[kept]\n", berth("exec -i web sh -c 'read x; echo \"[$x]\"' <<EOF\nkept\nEOF").stdout());
    Exec.Result detached = berth("exec -d web sh -c 'echo nowhere; echo yes > /tmp/flag'").ok();
    assertEquals("", detached.stdout() + detached.stderr());
  }

  @Test
  void execIntoAContainerThatDoesNotRunFailsAsDockers() {
    String id = berth("create --name idle " + IMAGE + " sleep 100").ok().stdout().strip();
    Exec.Result stopped = berth("exec idle true");
    assertEquals(1, stopped.exitCode(), stopped.toString());
    assertEquals("Error: container " + id + " is not running\n", stopped.stderr());
    Exec.Result none = berth("exec nosuch true");
    assertEquals(1, none.exitCode(), none.toString());
    assertEquals("Error: No such container: nosuch\n", none.stderr());
    assertEquals(125, berth("exec web").exitCode(), "a usage error");
  }

  @Test
  @RequiresCommand("script")
  void execItGetsARealTerminalOfThisSize() {
    runDetached("--name web " + IMAGE + " sleep 100");
    // script(1) gives berth a terminal; the shell reads what is "typed" there.
    Exec.Result r =
        Exec.run(
            List.of(
                "script",
                "-qec",
                "stty rows 31 cols 97; "
                    + BerthCli.launcher()
                    + " "
                    + globals
                    + " exec -it web sh; echo rc=$?",
                "/dev/null"),
            null,
            Map.of(),
            "tty; stty size; echo $TERM\nexit 4\n",
            60);
    String text = r.stdout().replace("\r", "");
    assertTrue(text.matches("(?s).*\n/dev/pts/[0-9]+\n31 97\nxterm\n.*"), r.toString());
    assertTrue(text.endsWith("rc=4\n"), r.toString());
  }

  @Test
  void attachStreamsTheOutputFromNowAndEndsWithTheContainersCode() throws Exception {
    String id =
        runDetached(
            "--name ticker "
                + IMAGE
                + " sh -c 'while [ ! -e /tmp/go ]; do echo tick; sleep 0.1; done; echo err >&2; echo bye; exit 7'");
    Process attach =
        new ProcessBuilder(
                "sh",
                "-c",
                BerthCli.launcher()
                    + " "
                    + globals
                    + " attach ticker 2>"
                    + tmp.resolve("attach.err"))
            .start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(attach.getInputStream(), StandardCharsets.UTF_8))) {
      lines.add(out.readLine()); // attached: output flows
      berth("exec ticker touch /tmp/go").ok();
      for (String l; (l = out.readLine()) != null; ) lines.add(l);
    }
    assertTrue(attach.waitFor(60, TimeUnit.SECONDS));
    assertEquals(7, attach.exitValue());
    assertEquals("tick", lines.getFirst());
    assertEquals("bye", lines.getLast());
    assertEquals("err\n", Files.readString(tmp.resolve("attach.err")));
    Exec.Result again = berth("attach " + id);
    assertEquals(1, again.exitCode());
    assertEquals(
        "Error: You cannot attach to a stopped container, start it first\n", again.stderr());
  }

  @Test
  void topShowsTheContainersProcessesAsDockers() {
    runDetached("--name web " + IMAGE + " sleep 100");
    berth("exec -d web sleep 200").ok();
    List<String> lines = berth("top web").ok().stdout().lines().toList();
    assertEquals(
        "UID                 PID                 PPID                C                   STIME"
            + "               TTY                 TIME                CMD",
        lines.get(0));
    assertEquals(3, lines.size(), lines.toString());
    assertTrue(
        lines.get(1).startsWith("root   ") && lines.get(1).endsWith("sleep 100"), lines.toString());
    assertTrue(lines.get(2).endsWith("sleep 200"), lines.toString());
    List<String> custom = berth("top web -o pid,args").ok().stdout().lines().toList();
    assertTrue(custom.get(0).matches("PID +COMMAND"), custom.toString());
    assertTrue(custom.get(1).matches("[0-9]+ +sleep 100"), custom.toString());
    berth("stop -t 0 web").ok();
    assertEquals(1, berth("top web").exitCode());
  }

  @Test
  void statsNoStreamPrintsDockersTableOnce() {
    String id = runDetached("--name web --memory 64m " + IMAGE + " sleep 100");
    List<String> lines = berth("stats --no-stream").ok().stdout().lines().toList();
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(
        lines
            .get(0)
            .matches(
                "CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS"),
        lines.get(0));
    assertTrue(
        lines
            .get(1)
            .matches(
                id.substring(0, 12)
                    + " +web +[0-9]+\\.[0-9]{2}% +[0-9.]+(B|KiB|MiB) / 64MiB"
                    + " +[0-9]+\\.[0-9]{2}% +0B / 0B +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +1"),
        lines.get(1));
    assertEquals(lines.get(0).indexOf("NAME"), lines.get(1).indexOf("web"), "aligned columns");
    assertEquals(
        "web 1\n", berth("stats --no-stream --format '{{.Name}} {{.PIDs}}' web").ok().stdout());
    Exec.Result none = berth("stats --no-stream nosuch");
    assertEquals(1, none.exitCode());
    assertEquals("Error: No such container: nosuch\n", none.stderr());
  }

  @Test
  void eventsPrintsTheLifecycleAsDockersLines() throws Exception {
    String since = Long.toString(System.currentTimeMillis() / 1000 - 1);
    assertEquals(2, berth("run --rm --name once " + IMAGE + " sh -c 'exit 2'").exitCode());
    Exec.Result r = berth("events --since " + since + " --until 0s").ok();
    List<String> all = r.stdout().lines().toList();
    // docker's network events frame the run (network "none" here), in time order with the rest
    assertEquals(6, all.size(), r.toString());
    String net = " \\(container=[0-9a-f]{64}, name=none, type=null\\)";
    assertTrue(all.get(1).matches(".* network connect [0-9a-f]{64}" + net), all.get(1));
    assertTrue(all.get(4).matches(".* network disconnect [0-9a-f]{64}" + net), all.get(4));
    assertEquals(
        all.stream().map(l -> l.split(" ")[0]).sorted().toList(),
        all.stream().map(l -> l.split(" ")[0]).toList(),
        "times in order: " + r);
    List<String> lines = List.of(all.get(0), all.get(2), all.get(3), all.get(5));
    String time =
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})";
    String id = lines.get(0).split(" ")[3];
    assertTrue(id.matches(ID), lines.get(0));
    assertTrue(
        lines
            .get(0)
            .matches(time + " container create " + id + " \\(image=" + IMAGE + ", name=once\\)"),
        lines.get(0));
    assertTrue(
        lines
            .get(1)
            .matches(time + " container start " + id + " \\(image=" + IMAGE + ", name=once\\)"));
    assertTrue(
        lines
            .get(2)
            .matches(
                time
                    + " container die "
                    + id
                    + " \\(execDuration=[0-9]+, exitCode=2, image="
                    + IMAGE
                    + ", name=once\\)"),
        lines.get(2));
    assertTrue(
        lines
            .get(3)
            .matches(time + " container destroy " + id + " \\(image=" + IMAGE + ", name=once\\)"));
    Exec.Result filtered =
        berth(
                "events --since "
                    + since
                    + " --until 0s --filter event=die --format "
                    + "'{{.Action}} {{.Actor.Attributes.exitCode}} {{.ID}}'")
            .ok();
    assertEquals("die 2 " + id + "\n", filtered.stdout());

    // Following: an event appended after berth events started is printed as it happens.
    Process follow =
        new ProcessBuilder(
                "sh",
                "-c",
                BerthCli.launcher()
                    + " "
                    + globals
                    + " events --filter event=start --format '{{.Actor.Attributes.name}}'")
            .start();
    java.util.concurrent.BlockingQueue<String> printed =
        new java.util.concurrent.LinkedBlockingQueue<>();
    Thread reader =
        Thread.ofPlatform()
            .daemon()
            .start(
                () -> {
                  try (BufferedReader out =
                      new BufferedReader(
                          new InputStreamReader(follow.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = out.readLine()) != null; ) printed.add(l);
                  } catch (IOException e) {
                    // the follower was ended
                  }
                });
    try {
      // A start before the follower has opened the file is history to it, not printed: start until
      // one shows.
      String name = null;
      for (int i = 0; i < 20 && name == null; i++) {
        runDetached("--name late" + i + " " + IMAGE + " true");
        name = printed.poll(2, TimeUnit.SECONDS);
      }
      assertTrue(name != null && name.startsWith("late"), String.valueOf(name));
    } finally {
      follow.descendants().forEach(ProcessHandle::destroy);
      follow.destroy();
      follow.waitFor();
      reader.join();
    }
    assertFalse(follow.isAlive());
  }
}
