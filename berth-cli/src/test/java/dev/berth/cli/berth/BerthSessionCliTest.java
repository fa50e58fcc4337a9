package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
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
 * A user's session with a container through the real launcher: detaching from a terminal with
 * docker's keys (run -it, attach, start -ai, under script(1)), signals passed on by a foreground
 * run and exec without a terminal (docker's sig-proxy), and cp through a container's volumes.
 */
@RequiresRoot
class BerthSessionCliTest {
  private static final String IMAGE = "localhost/busybox";

  @TempDir Path tmp;
  String globals;
  final List<Process> started = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    BerthCli.launcher(); // skips the test when berth is not built
    globals = "--root " + tmp.resolve("root") + " --runroot " + tmp.resolve("run");
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tmp.resolve("busybox.tar").toString(), ".")
        .ok();
    berth("import " + tmp.resolve("busybox.tar") + " " + IMAGE).ok();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : started) {
      p.destroyForcibly();
      p.waitFor(60, TimeUnit.SECONDS);
    }
    for (String id : berth("ps -aq --no-trunc").stdout().lines().toList()) berth("rm -f " + id);
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

  private String status(String name) {
    return berth("inspect --format '{{.State.Status}}' " + name).ok().stdout().strip();
  }

  /**
   * berth's command line {@code args} on the terminal of a script(1), its output collected as it
   * comes, ending with "rc=STATUS".
   */
  private final class Terminal {
    private final Process script;
    private final OutputStream keys;
    private final StringBuffer screen = new StringBuffer();

    Terminal(String args) throws IOException {
      String line = BerthCli.launcher() + " " + globals + " " + args + "; echo rc=$?";
      script =
          new ProcessBuilder("script", "-qec", line, "/dev/null").redirectErrorStream(true).start();
      started.add(script);
      keys = script.getOutputStream();
      Thread.ofPlatform()
          .daemon(true)
          .start(
              () -> {
                byte[] b = new byte[4096];
                try (InputStream in = script.getInputStream()) {
                  for (int n; (n = in.read(b)) > 0; ) {
                    screen.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
                  }
                } catch (IOException e) {
                  // script ended
                }
              });
    }

    /** Waits until the screen shows {@code text}: the session is attached and raw by then. */
    void await(String text) throws InterruptedException {
      for (int i = 0; i < 600 && !screen.toString().contains(text); i++) {
        TimeUnit.MILLISECONDS.sleep(100);
      }
      assertTrue(screen.toString().contains(text), "no " + text + " on: " + screen);
    }

    void type(String bytes) throws IOException {
      keys.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
      keys.flush();
    }

    /** The whole screen, CRs dropped, once berth has ended (our keys stay open until then). */
    String end() throws Exception {
      await("rc=");
      keys.close();
      assertTrue(script.waitFor(60, TimeUnit.SECONDS));
      return screen.toString().replace("\r", "");
    }
  }

  // ---- detach keys ----

  @Test
  @RequiresCommand("script")
  void ctrlPCtrlQDetachesRunItAndTheContainerRunsOn() throws Exception {
    Terminal t =
        new Terminal(
            "run -it --rm --name dk "
                + IMAGE
                + " sh -c 'echo ready; read x; echo \"[${#x}]\"; while [ ! -e /tmp/go ]; do sleep"
                + " 0.1; done'");
    t.await("ready");
    // ctrl-p then b: no sequence, both keys reach the container as typed (a, ^P, b: 3 bytes).
    t.type("a\u0010b\r");
    t.await("[3]");
    t.type("\u0010\u0011");
    String screen = t.end();
    assertTrue(screen.endsWith("read escape sequence\nrc=0\n"), screen);
    assertEquals("running", status("dk"));
    // It ends later by itself; as an --rm container, its monitor's cleanup removes it.
    berth("exec dk touch /tmp/go").ok();
    berth("wait dk");
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)), "left");
    assertEquals("", berth("ps -aq").stdout(), "the --rm container is removed");
  }

  @Test
  @RequiresCommand("script")
  void attachAndStartAiDetachOnTheirDetachKeys() throws Exception {
    berth("run -dit --name ticker " + IMAGE + " sh -c 'while :; do echo tick; sleep 0.2; done'")
        .ok();
    Terminal attach = new Terminal("attach --detach-keys ctrl-x,q ticker");
    attach.await("tick");
    attach.type("\u0018q");
    assertTrue(attach.end().endsWith("read escape sequence\nrc=0\n"));
    assertEquals("running", status("ticker"));

    berth("create -it --name later " + IMAGE + " sh -c 'echo ready; read x; echo \"[$x]\"; read y'")
        .ok();
    Terminal start = new Terminal("start -ai --detach-keys=ctrl-@,ctrl-] later");
    start.await("ready");
    start.type("hi\r");
    start.await("[hi]");
    start.type("\u0000\u001d");
    assertTrue(start.end().endsWith("read escape sequence\nrc=0\n"));
    assertEquals("running", status("later"));
  }

  @Test
  void aBadDetachKeysSpecIsAnErrorNamingItAndLeavesNothing() {
    Exec.Result run = berth("run -it --detach-keys ctrl-x,ctrl-foo " + IMAGE + " true");
    assertEquals(125, run.exitCode(), run.toString());
    assertEquals(
        "Error: invalid detach keys 'ctrl-x,ctrl-foo': unknown key 'ctrl-foo' (want ctrl-<a-z, @,"
            + " [, \\, ], ^ or _> or a single character)\n",
        run.stderr());
    assertEquals("", berth("ps -aq").stdout(), "no container made");
  }

  // ---- sig-proxy ----

  /**
   * berth {@code args} as a process of ours (no shell between), every signal at its default action:
   * a suite started under nohup would hand its SIGHUP-ignored disposition down, and a JVM may not
   * catch a signal it started with ignored.
   */
  private Process launch(String args) throws IOException {
    List<String> command =
        new ArrayList<>(List.of("env", "--default-signal", BerthCli.launcher().toString()));
    command.addAll(List.of(globals.split(" ")));
    command.addAll(List.of(args.split(" ")));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    started.add(p);
    return p;
  }

  /**
   * Signals {@code p} until it ends: a signal that comes before the process in the container runs
   * is not lost to the test, only the first that reaches it counts (its trap exits).
   */
  private static int signalUntilEnd(Process p, String signal) throws Exception {
    for (int i = 0; i < 300 && p.isAlive(); i++) {
      Exec.run("kill", "-" + signal, Long.toString(p.pid()));
      p.waitFor(200, TimeUnit.MILLISECONDS);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return p.exitValue();
  }

  private static final String TRAPS =
      "trap \"echo got TERM; exit 3\" TERM; trap \"echo got INT; exit 4\" INT; trap \"echo got"
          + " USR1; exit 6\" USR1; trap \"echo got HUP; exit 7\" HUP; echo ready; while :; do sleep"
          + " 0.1; done";

  private static String firstLine(Process p) throws IOException {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
        .readLine();
  }

  @Test
  void aForegroundRunAndExecPassSignalsToTheirProcess() throws Exception {
    // run writes the script as one argument: spaces in it go through a file in the image instead.
    Path script = Files.writeString(tmp.resolve("traps.sh"), TRAPS + "\n");
    berth("run -d --name host -v " + script + ":/traps.sh:ro " + IMAGE + " sleep 1000").ok();
    Process exec = launch("exec host sh /traps.sh");
    assertEquals("ready", firstLine(exec));
    assertEquals(6, signalUntilEnd(exec, "USR1"));
    assertEquals("got USR1\n", new String(exec.getInputStream().readAllBytes()));

    Process run = launch("run --name fg -v " + script + ":/traps.sh:ro " + IMAGE + " sh /traps.sh");
    assertEquals("ready", firstLine(run));
    assertEquals(4, signalUntilEnd(run, "INT"));
    assertEquals("got INT\n", new String(run.getInputStream().readAllBytes()));
    assertEquals("exited", status("fg"));

    berth("create --name again -v " + script + ":/traps.sh:ro " + IMAGE + " sh /traps.sh").ok();
    Process start = launch("start -a again");
    assertEquals("ready", firstLine(start));
    assertEquals(7, signalUntilEnd(start, "HUP"));
  }

  @Test
  void sigProxyFalseLeavesTheContainerAlone() throws Exception {
    Path script = Files.writeString(tmp.resolve("traps.sh"), TRAPS + "\n");
    Process run =
        launch(
            "run --sig-proxy=false --name alone -v "
                + script
                + ":/traps.sh:ro "
                + IMAGE
                + " sh /traps.sh");
    assertEquals("ready", firstLine(run));
    // berth itself ends as a JVM ends on SIGTERM; the container never saw it.
    assertEquals(143, signalUntilEnd(run, "TERM"));
    assertEquals("running", status("alone"));
  }

  // ---- cp ----

  @Test
  void cpReachesARunningContainersVolumeAndTmpfs() throws Exception {
    berth("run -d --name files -v data:/data --tmpfs /scratch " + IMAGE + " sleep 1000").ok();
    Path f = Files.writeString(tmp.resolve("f.txt"), "hello\n");
    berth("cp " + f + " files:/data/f.txt").ok();
    berth("cp " + f + " files:/scratch/").ok();
    assertEquals(
        "hello\nhello\n", berth("exec files cat /data/f.txt /scratch/f.txt").ok().stdout());
    berth("exec files sh -c 'echo made > /scratch/made'").ok();
    berth("cp files:/scratch/made " + tmp.resolve("made")).ok();
    assertEquals("made\n", Files.readString(tmp.resolve("made")));
  }
}
