package dev.berth.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.events.Event;
import dev.berth.engine.stats.ContainerStats;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.ExecResult;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime-facing verbs of the engine on the real kernel: exec (the container's environment,
 * user and cwd with the caller's changes, docker's exit codes, a terminal), top, stats, and the
 * events every transition records.
 */
@RequiresRoot
class EngineExecTest {
  static final String IMAGE = EngineTest.IMAGE;

  @TempDir Path tmp;
  Engine engine;
  Path out;
  Path err;

  @BeforeEach
  void setUp() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
    out = tmp.resolve("out");
    err = tmp.resolve("err");
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
  }

  private ContainerRecord running(ContainerOptions.Builder b) throws BerthException {
    ContainerRecord r = engine.create(b.build());
    return engine.start(r.id(), Engine.StartListener.NONE);
  }

  private static ContainerOptions.Builder opts(String... command) {
    return EngineTest.opts(command);
  }

  /** Runs {@code o} in {@code ref} with its output to files; returns its exit code. */
  private int exec(String ref, ExecOptions o) throws Exception {
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return engine.exec(ref, o, new Stdio(Path.of("/dev/null"), out, err), null).exitCode();
  }

  private String output() throws Exception {
    return Files.exists(out) ? Files.readString(out) : "";
  }

  // ---- exec ----

  @Test
  void execRunsWithTheContainersEnvironmentUserAndCwdAndTheCallersChanges() throws Exception {
    ContainerRecord r =
        running(opts("sleep", "100").name("web").env(List.of("A=1", "B=image")).workingDir("/tmp"));
    String script = "echo $A $B $C; id -u; id -g; pwd; echo $HOME";
    assertEquals(0, exec("web", ExecOptions.of("sh", "-c", script)));
    assertEquals("1 image\n0\n0\n/tmp\n/root\n", output());
    assertEquals(
        0,
        exec(
            r.shortId(),
            ExecOptions.of("sh", "-c", script)
                .withEnv(List.of("B=2", "C=3"))
                .withUser("nobody")
                .withWorkingDir("/etc")));
    assertEquals("1 2 3\n65534\n65534\n/etc\n/\n", output());
    assertEquals(0, exec("web", ExecOptions.of("sh", "-c", "id -u; id -g").withUser("65534:0")));
    assertEquals("65534\n0\n", output());
    // No terminal: no TERM; with one (below) TERM=xterm.
    assertEquals(0, exec("web", ExecOptions.of("sh", "-c", "echo \"[$TERM]\"")));
    assertEquals("[]\n", output());
  }

  @Test
  void execExitCodesAreDockers() throws Exception {
    running(opts("sleep", "100").name("web"));
    assertEquals(3, exec("web", ExecOptions.of("sh", "-c", "echo out; echo err >&2; exit 3")));
    assertEquals("out\n", output());
    assertEquals("err\n", Files.readString(err));
    assertEquals(137, exec("web", ExecOptions.of("sh", "-c", "kill -9 $$")), "128 + the signal");
    ExecFailedException missing =
        assertThrows(
            ExecFailedException.class, () -> exec("web", ExecOptions.of("no-such-command")));
    assertEquals(127, missing.exitCode(), missing.getMessage());
    assertTrue(missing.getMessage().contains("no-such-command"), missing.getMessage());
    ExecFailedException notExecutable =
        assertThrows(ExecFailedException.class, () -> exec("web", ExecOptions.of("/etc/passwd")));
    assertEquals(126, notExecutable.exitCode(), notExecutable.getMessage());
    ExecFailedException user =
        assertThrows(
            ExecFailedException.class,
            () -> exec("web", ExecOptions.of("id").withUser("nosuchuser")));
    assertEquals(126, user.exitCode());
    assertEquals(
        "unable to find user nosuchuser: no matching entries in passwd file", user.getMessage());
    ExecFailedException relative =
        assertThrows(
            ExecFailedException.class,
            () -> exec("web", ExecOptions.of("pwd").withWorkingDir("tmp")));
    assertEquals(126, relative.exitCode());
  }

  @Test
  void execIntoAContainerThatDoesNotRunIsRefused() throws Exception {
    ContainerRecord created = engine.create(opts("sleep", "100").name("idle").build());
    BerthException notRunning =
        assertThrows(BerthException.class, () -> exec("idle", ExecOptions.of("true")));
    assertEquals(ErrorCategory.FAILED_PRECONDITION, notRunning.category());
    assertFalse(notRunning instanceof ExecFailedException);
    assertEquals("container " + created.id() + " is not running", notRunning.getMessage());
    ContainerRecord paused = running(opts("sleep", "100").name("frozen"));
    engine.pause("frozen");
    BerthException p =
        assertThrows(BerthException.class, () -> exec("frozen", ExecOptions.of("true")));
    assertEquals(
        "container " + paused.id() + " is paused, unpause the container before exec",
        p.getMessage());
    engine.unpause("frozen");
    BerthException missing =
        assertThrows(BerthException.class, () -> exec("nosuch", ExecOptions.of("true")));
    assertEquals(ErrorCategory.NOT_FOUND, missing.category());
  }

  @Test
  void aDetachedExecRunsOnAfterTheCallReturnsAndWritesNowhere() throws Exception {
    ContainerRecord r = running(opts("sleep", "100").name("web"));
    ExecResult d =
        engine.exec(
            "web",
            ExecOptions.of(
                    "sh",
                    "-c",
                    "echo lost; while [ ! -e /tmp/go ]; do sleep 0.05;"
                        + " done; echo done > /tmp/flag; sleep 100")
                .detached(),
            Stdio.INHERIT,
            null);
    assertTrue(d.detached());
    assertTrue(d.pid() > 0);
    assertTrue(
        engine.runtimes().get(r.runtime()).pids(r.id()).contains(d.pid()),
        "the process is the container's");
    Path rootfs = engine.layout(r.id()).rootfs();
    assertFalse(Files.exists(rootfs.resolve("tmp/flag")), "it waits for /tmp/go");
    Files.writeString(rootfs.resolve("tmp/go"), "");
    Path flag = rootfs.resolve("tmp/flag");
    for (int i = 0; i < 500 && !Files.exists(flag); i++) Thread.sleep(20);
    assertEquals("done\n", Files.readString(flag));
    // Its stdout was /dev/null: the container's log has nothing of it.
    engine.stop("web", 1);
    assertFalse(
        new String(Files.readAllBytes(engine.layout(r.id()).log()), StandardCharsets.UTF_8)
            .contains("lost"));
  }

  @Test
  void execWithATerminalHandsItsPtySizedToTheHandler() throws Exception {
    running(opts("sleep", "100").name("web"));
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    Thread[] reader = {null};
    ExecResult r =
        engine.exec(
            "web",
            ExecOptions.of("sh", "-c", "busybox tty; busybox stty size; echo $TERM; exit 4")
                .withTty(31, 97),
            Stdio.INHERIT,
            (master, size) -> {
              reader[0] =
                  Thread.ofPlatform()
                      .start(
                          () -> {
                            try (Fd m = master) {
                              ByteBuffer b = ByteBuffer.allocateDirect(4096);
                              while (true) {
                                b.clear();
                                int n = Linux.read(m, b);
                                if (n <= 0) break;
                                byte[] bytes = new byte[n];
                                b.get(0, bytes);
                                seen.writeBytes(bytes);
                              }
                            } catch (ErrnoException e) {
                              // EIO: the process and its terminal are gone
                            }
                          });
            });
    assertEquals(4, r.exitCode());
    reader[0].join();
    String text = seen.toString(StandardCharsets.UTF_8).replace("\r\n", "\n");
    assertTrue(text.matches("/dev/pts/[0-9]+\n31 97\nxterm\n"), text);
  }

  @Test
  void privilegedExecGetsEveryCapability() throws Exception {
    running(opts("sleep", "100").name("web"));
    exec("web", ExecOptions.of("sh", "-c", "grep CapEff /proc/self/status"));
    String plain = output().strip();
    exec("web", ExecOptions.of("sh", "-c", "grep CapEff /proc/self/status").withPrivileged(true));
    String privileged = output().strip();
    assertEquals("CapEff:\t00000000a80425fb", plain, "docker's default set");
    // Every capability this engine has (docker's "all"; this machine's may lack some).
    String bounding =
        Files.readAllLines(Path.of("/proc/self/status")).stream()
            .filter(l -> l.startsWith("CapBnd:"))
            .findFirst()
            .orElseThrow()
            .substring(7)
            .trim();
    assertEquals("CapEff:\t" + bounding, privileged);
  }

  // ---- top, stats ----

  @Test
  void topListsTheContainersProcessesFromTheHostsPs() throws Exception {
    ContainerRecord r = running(opts("sleep", "100").name("web"));
    ExecResult d =
        engine.exec("web", ExecOptions.of("sleep", "200").detached(), Stdio.INHERIT, null);
    ProcessTable t = engine.top("web", List.of());
    assertEquals(List.of("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"), t.titles());
    List<String> pids = new ArrayList<>();
    List<String> cmds = new ArrayList<>();
    for (List<String> p : t.processes()) {
      pids.add(p.get(1));
      cmds.add(p.get(7));
    }
    int init = engine.inspect("web").state().pid();
    assertEquals(Set.of(Integer.toString(init), Integer.toString(d.pid())), Set.copyOf(pids));
    assertEquals(Set.of("sleep 100", "sleep 200"), Set.copyOf(cmds));
    ProcessTable custom = engine.top(r.id(), List.of("-o", "pid,comm"));
    assertEquals(List.of("PID", "COMMAND"), custom.titles());
    assertEquals(
        Set.of(
            List.of(Integer.toString(init), "sleep"), List.of(Integer.toString(d.pid()), "sleep")),
        Set.copyOf(custom.processes()));
    BerthException noPid =
        assertThrows(BerthException.class, () -> engine.top("web", List.of("-o", "comm")));
    assertEquals("Couldn't find PID field in ps output", noPid.getMessage());
    engine.stop("web", 1);
    assertEquals(
        ErrorCategory.FAILED_PRECONDITION,
        assertThrows(BerthException.class, () -> engine.top("web", List.of())).category());
  }

  @Test
  void statsOfARunningContainerAndZerosOfAStoppedOne() throws Exception {
    running(opts("sh", "-c", "while :; do :; done").name("busy"));
    ContainerStats first = engine.stats("busy");
    Thread.sleep(300);
    ContainerStats second = engine.stats("busy");
    assertTrue(second.running());
    assertTrue(second.memoryUsage() > 0, "memory " + second.memoryUsage());
    assertTrue(
        second.memoryLimit() > 0 && second.memoryLimit() <= second.hostMemory(),
        "limit " + second.memoryLimit());
    assertEquals(1, second.pids());
    assertTrue(second.cpuPercent(first) > 0, "a busy loop uses CPU: " + second.cpuPercent(first));
    assertEquals(0, first.cpuPercent(null), "one sample has no CPU %");
    ContainerRecord limited =
        running(
            opts("sleep", "100")
                .name("small")
                .resources(new ContainerOptions.ResourceOptions(64L << 20, 0, 0, 0, null, 0)));
    assertEquals(64L << 20, engine.stats(limited.id()).memoryLimit());
    engine.stop("busy", 0);
    ContainerStats stopped = engine.stats("busy");
    assertFalse(stopped.running());
    assertNull(stopped.stats());
    assertEquals(0, stopped.memoryUsage());
    assertEquals(0, stopped.pids());
  }

  // ---- events ----

  private List<Event> eventsOf(String id) throws Exception {
    List<Event> out = new ArrayList<>();
    for (Event e : engine.events().read()) if (e.id().equals(id)) out.add(e);
    return out;
  }

  private static List<String> actions(List<Event> events) {
    return events.stream().map(Event::action).toList();
  }

  @Test
  void eachTransitionIsAnEventWithDockersAttributes() throws Exception {
    ContainerRecord r =
        engine.create(opts("sh", "-c", "exit 3").name("one").labels(Map.of("tier", "web")).build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(3, engine.await(r.id()));
    engine.remove(r.id(), false, false);
    List<Event> events = eventsOf(r.id());
    assertEquals(List.of("create", "start", "die", "destroy"), actions(events));
    for (Event e : events) {
      assertEquals("container", e.type());
      assertEquals("one", e.attributes().get("name"));
      assertEquals(IMAGE, e.attributes().get("image"));
      assertEquals("web", e.attributes().get("tier"), "labels are attributes");
    }
    assertEquals("3", events.get(2).attributes().get("exitCode"));
    assertFalse(events.get(2).time().isBefore(events.get(1).time()), "died after it started");

    ContainerRecord s = running(opts("sleep", "100").name("two"));
    engine.pause("two");
    engine.unpause("two");
    engine.rename("two", "three");
    engine.stop("three", 1);
    engine.remove("three", false, false);
    List<Event> second = eventsOf(s.id());
    assertEquals(
        List.of(
            "create", "start", "pause", "unpause", "rename", "kill", "kill", "die", "stop",
            "destroy"),
        actions(second));
    assertEquals("/two", second.get(4).attributes().get("oldName"));
    assertEquals("three", second.get(4).attributes().get("name"));
    assertEquals("15", second.get(5).attributes().get("signal"));
    assertEquals("9", second.get(6).attributes().get("signal"));
    assertEquals("137", second.get(7).attributes().get("exitCode"));

    ContainerRecord t = running(opts("sleep", "100").name("four"));
    engine.exec("four", ExecOptions.of("true"), new Stdio(Path.of("/dev/null"), out, err), null);
    engine.remove("four", true, false);
    List<Event> third = eventsOf(t.id());
    assertEquals(
        List.of(
            "create",
            "start",
            "exec_create: true",
            "exec_start: true",
            "exec_die",
            "kill",
            "die",
            "destroy"),
        actions(third));
    assertEquals("0", third.get(4).attributes().get("exitCode"));
    assertNotEquals(null, third.get(4).attributes().get("execID"));
  }

  @Test
  void anOomKilledContainerHasAnOomEventBeforeItsDie() throws Exception {
    ContainerRecord r =
        running(
            opts("sh", "-c", "x=a; while :; do x=$x$x; done")
                .resources(new ContainerOptions.ResourceOptions(16L << 20, 0, 0, 0, null, 0)));
    assertEquals(137, engine.await(r.id()));
    List<Event> events = eventsOf(r.id());
    assertEquals(List.of("create", "start", "oom", "die"), actions(events));
    assertEquals("137", events.get(3).attributes().get("exitCode"));
  }
}
