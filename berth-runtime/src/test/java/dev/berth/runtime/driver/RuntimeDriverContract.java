package dev.berth.runtime.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.monitor.AttachClient;
import dev.berth.runtime.monitor.CriLog;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.runtime.monitor.MonitorConfig;
import dev.berth.runtime.process.ProcStat;
import dev.berth.runtime.state.Status;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.User;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.CgroupTree;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The runtime contract, run against each {@link RuntimeDriver} by a subclass: the same busybox
 * bundle, the same verbs, the same states at each step and the same error categories, whichever
 * runtime runs the container; and after every test, nothing left behind (state directory, cgroups).
 *
 * <p>Here in berth-runtime's tests rather than in berth-testkit, where DESIGN.md puts contract
 * suites: it drives berth-runtime's {@link RuntimeDriver}, and berth-testkit may not depend on
 * berth-runtime, whose tests depend on berth-testkit (a cycle Maven refuses).
 */
@RequiresRoot
abstract class RuntimeDriverContract {
  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final long MIB = 1024 * 1024;

  /**
   * The driver under test, keeping its containers' state in {@code stateRoot} (its own, made for
   * this test).
   */
  protected abstract RuntimeDriver driver(Path stateRoot) throws Exception;

  /**
   * A prefix for this driver's container ids. Distinct per driver: without cgroupsPath an id names
   * the cgroup, and a runtime refuses (berth) or joins (runc) a cgroup another container's
   * processes are in.
   */
  protected abstract String idPrefix();

  /**
   * Whether the driver gives a container the stdio of a {@link Stdio} of files; the in-process
   * runtime gives only the caller's own (the monitor will hold the rest) and must refuse the
   * others, not ignore them.
   */
  protected boolean stdioFiles() {
    return true;
  }

  private Path tmp;
  private Path stateRoot;
  private RuntimeDriver driver;
  private Bundle bundle;
  private final List<String> ids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    tmp = Files.createTempDirectory("berth-driver-" + idPrefix() + "-");
    stateRoot = tmp.resolve("state");
    driver = driver(stateRoot);
    bundle = Bundle.busybox(tmp.resolve("bundle")).args("sleep", "100");
    bundle.config().put("annotations", Bundle.map("dev.berth.test", "contract"));
    bundle.write();
  }

  @AfterEach
  void nothingLeftBehind() throws Exception {
    try {
      for (String id : ids) {
        try {
          driver.delete(id, true);
        } catch (ContainerException e) {
          fail("force delete of " + id + " failed: " + e.getMessage());
        }
      }
      for (String id : ids) {
        assertFalse(
            Files.exists(stateRoot.resolve(id)),
            "state directory of " + id + " left in " + stateRoot);
        assertEquals(List.of(), cgroupsNamed(id), "cgroups of " + id + " left behind");
      }
    } finally {
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * Every cgroup directory named {@code id}, in every hierarchy (cgroup v1 controllers and cgroup2
   * alike).
   */
  private static List<Path> cgroupsNamed(String id) throws IOException {
    return CgroupTree.named(6, id::equals);
  }

  private String newId() {
    String id = idPrefix() + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    ids.add(id);
    return id;
  }

  private Container created() throws ContainerException {
    return Container.create(driver, CreateRequest.of(newId(), bundle.dir()));
  }

  private Container running() throws ContainerException {
    Container c = created();
    c.start();
    assertEquals(Status.RUNNING, c.state());
    return c;
  }

  private static Status await(Container c, Status want) throws Exception {
    Status s = c.state();
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        s != want && System.nanoTime() < end; ) {
      Thread.sleep(20);
      s = c.state();
    }
    assertEquals(want, s, "state of " + c.id());
    return s;
  }

  private static Process process(String... args) {
    return new Process(
        false,
        null,
        User.ROOT,
        List.of(args),
        null,
        List.of("PATH=/bin:/usr/bin:/sbin:/usr/sbin"),
        "/",
        null,
        null,
        false,
        null,
        null,
        null);
  }

  /** The category of a driver's error: the same name from every driver for the same situation. */
  private static String category(ContainerException e) {
    return e.category().name();
  }

  private static ContainerException refused(String category, Call call) {
    ContainerException e = assertThrows(ContainerException.class, call::run);
    assertEquals(category, category(e), "category of: " + e.getMessage());
    return e;
  }

  @FunctionalInterface
  interface Call {
    void run() throws Exception;
  }

  // --- the cases ---

  @Test
  void lifecycleReportsEachState() throws Exception {
    Instant before = Instant.now().minusSeconds(2);
    Container c = created();
    ContainerStatus st = driver.state(c.id());
    assertEquals(c.id(), st.id());
    assertEquals(Status.CREATED, st.status());
    assertTrue(st.pid() > 0, "a created container has its init: " + st);
    assertTrue(Files.exists(Path.of("/proc/" + st.pid())), "init " + st.pid() + " exists");
    assertEquals(bundle.dir(), st.bundle());
    assertNotNull(st.created());
    assertTrue(
        !st.created().isBefore(before) && !st.created().isAfter(Instant.now().plusSeconds(2)),
        "created " + st.created());
    assertEquals("contract", st.annotations().get("dev.berth.test"));
    assertTrue(
        Files.isDirectory(stateRoot.resolve(c.id())), "state directory in the driver's own root");
    assertTrue(driver.alive(c.id()), "a created container's init is alive");

    c.start();
    ContainerStatus running = c.status();
    assertEquals(Status.RUNNING, running.status());
    assertEquals(st.pid(), running.pid(), "the init that waited is the one that runs");
    assertTrue(driver.alive(c.id()), "a running container's init is alive");

    c.kill(LinuxConstants.SIGKILL);
    await(c, Status.STOPPED);
    assertEquals(0, c.status().pid(), "a stopped container has no pid");
    assertFalse(driver.alive(c.id()), "a stopped container's init is not alive");

    c.delete(false);
    refused("NOT_FOUND", () -> driver.state(c.id()));
    assertFalse(driver.alive(c.id()), "an unknown container is not alive");
  }

  @Test
  void processThatExitsReadsStopped() throws Exception {
    bundle.args("true").write();
    Container c = created();
    c.start();
    await(c, Status.STOPPED);
    ContainerException e = refused("FAILED_PRECONDITION", c::pause);
    assertTrue(e.getMessage().contains("cannot pause a stopped container"), e.getMessage());
    refused("FAILED_PRECONDITION", () -> c.exec(ExecRequest.of(process("true"))));
    // The driver refuses too, without the machine's check in front of it.
    refused("FAILED_PRECONDITION", () -> driver.pause(c.id()));
    c.delete(false);
  }

  @Test
  void execReturnsTheExitCodeAndDetachedRuns() throws Exception {
    Container c = running();
    ExecResult r = c.exec(ExecRequest.of(process("sh", "-c", "exit 7")));
    assertEquals(7, r.exitCode());
    assertFalse(r.detached());
    ExecResult d = c.exec(ExecRequest.of(process("sleep", "60")).detached());
    assertTrue(d.detached());
    assertTrue(d.pid() > 0);
    ProcStat ps = ProcStat.of(d.pid());
    assertTrue(ps != null && !ps.isGone(), "detached process " + d.pid() + " runs");
    c.delete(true);
    ProcStat after = ProcStat.of(d.pid());
    assertTrue(
        after == null || after.isGone() || after.startTime() != ps.startTime(),
        "force delete ended the exec'd process too");
  }

  @Test
  void execStdioGoesToTheFilesAsked() throws Exception {
    Container c = running();
    Path in = tmp.resolve("exec-in");
    Files.writeString(in, "hello\n");
    Path out = tmp.resolve("exec-out.log");
    Path err = tmp.resolve("exec-err.log");
    ExecResult r =
        c.exec(
            ExecRequest.of(
                    process("sh", "-c", "echo out; echo err >&2; read l; echo in:$l; exit 4"))
                .withStdio(new Stdio(in, out, err)));
    assertEquals(4, r.exitCode());
    assertEquals("out\nin:hello\n", Files.readString(out));
    assertEquals("err\n", Files.readString(err));
    c.delete(true);
  }

  @Test
  void pidsAreTheInitsAndTheExecdProcesses() throws Exception {
    Container c = running();
    int init = driver.state(c.id()).pid();
    ExecResult d = c.exec(ExecRequest.of(process("sleep", "60")).detached());
    List<Integer> pids = driver.pids(c.id());
    assertTrue(
        pids.contains(init) && pids.contains(d.pid()) && pids.size() == 2,
        pids + ": want init " + init + " and exec " + d.pid());
    c.delete(true);
    refused("NOT_FOUND", () -> driver.pids(c.id()));
  }

  @Test
  void pauseAndResume() throws Exception {
    Container c = running();
    c.pause();
    assertEquals(Status.PAUSED, c.state());
    assertTrue(driver.alive(c.id()), "a paused container's init is alive");
    ContainerException e = refused("FAILED_PRECONDITION", c::pause);
    assertTrue(e.getMessage().contains("cannot pause a paused container"), e.getMessage());
    refused("FAILED_PRECONDITION", () -> driver.pause(c.id()));
    c.resume();
    assertEquals(Status.RUNNING, c.state());
    refused("FAILED_PRECONDITION", () -> driver.resume(c.id()));
    // A paused container is force-deleted: thawed and killed.
    c.pause();
    c.delete(true);
    refused("NOT_FOUND", c::state);
  }

  @Test
  void updateMemoryLimitReadsBackFromStats() throws Exception {
    Container c = running();
    c.update(
        new Resources(
            null,
            new Memory(64 * MIB, null, null, null, null, null, null, null, null),
            null,
            null,
            null,
            null,
            null,
            null));
    assertEquals(64 * MIB, c.stats().memory().usage().limit());
    c.update(
        new Resources(
            null,
            new Memory(48 * MIB, null, null, null, null, null, null, null, null),
            null,
            null,
            null,
            null,
            null,
            null));
    assertEquals(48 * MIB, c.stats().memory().usage().limit());
  }

  @Test
  void statsOfARunningContainer() throws Exception {
    Container c = running();
    Stats s = c.stats();
    assertTrue(s.pids().current() >= 1, "pids " + s.pids());
    assertTrue(s.memory().usage().usage() > 0, "memory " + s.memory().usage());
    c.kill(LinuxConstants.SIGKILL);
    await(c, Status.STOPPED);
    refused("FAILED_PRECONDITION", () -> driver.stats(c.id()));
  }

  @Test
  void eventsReportStatsUntilTheProcessExits() throws Exception {
    Container c = running();
    CountDownLatch first = new CountDownLatch(1);
    AtomicInteger count = new AtomicInteger();
    CompletableFuture<Void> stream =
        CompletableFuture.runAsync(
            () -> {
              try {
                c.events(
                    Duration.ofMillis(100),
                    new RuntimeDriver.EventListener() {
                      @Override
                      public void stats(Stats stats) {
                        assertTrue(stats.pids().current() >= 1);
                        count.incrementAndGet();
                        first.countDown();
                      }

                      @Override
                      public void oom() {}
                    });
              } catch (ContainerException e) {
                throw new IllegalStateException(e);
              }
            });
    assertTrue(first.await(10, TimeUnit.SECONDS), "a stats event within 10 s");
    c.kill(LinuxConstants.SIGKILL);
    stream.get(10, TimeUnit.SECONDS);
    assertTrue(count.get() >= 1);
  }

  @Test
  void errorsHaveTheSameCategories() throws Exception {
    String missing = idPrefix() + "-missing-" + ProcessHandle.current().pid();
    refused("NOT_FOUND", () -> driver.state(missing));
    refused("NOT_FOUND", () -> driver.start(missing));
    refused("NOT_FOUND", () -> driver.kill(missing, LinuxConstants.SIGKILL, false));
    refused("NOT_FOUND", () -> driver.pause(missing));
    refused("NOT_FOUND", () -> driver.resume(missing));
    refused("NOT_FOUND", () -> driver.stats(missing));
    refused("NOT_FOUND", () -> driver.exec(missing, ExecRequest.of(process("true"))));
    refused("NOT_FOUND", () -> driver.delete(missing, false));
    driver.delete(missing, true); // forced: already gone is done
    refused("INVALID_ARGUMENT", () -> driver.state("../escape"));

    Container c = created();
    int pid = c.status().pid();
    refused("ALREADY_EXISTS", () -> driver.create(CreateRequest.of(c.id(), bundle.dir())));
    assertEquals(Status.CREATED, c.state(), "the first container is untouched");
    assertEquals(pid, c.status().pid());

    c.start();
    refused("FAILED_PRECONDITION", () -> driver.start(c.id()));
    ContainerException e = refused("FAILED_PRECONDITION", c::start);
    assertTrue(e.getMessage().contains("cannot start a running container"), e.getMessage());
    refused("FAILED_PRECONDITION", () -> driver.delete(c.id(), false));
    refused("FAILED_PRECONDITION", () -> c.delete(false));
    assertEquals(Status.RUNNING, c.state(), "a refused delete leaves it running");
  }

  @Test
  void failedCreateLeavesNothing() throws Exception {
    bundle.config().put("root", Bundle.map("path", "no-such-rootfs"));
    bundle.write();
    String id = newId();
    ContainerException e =
        refused("INVALID_ARGUMENT", () -> driver.create(CreateRequest.of(id, bundle.dir())));
    assertTrue(e.getMessage().contains("no-such-rootfs"), e.getMessage());
    refused("NOT_FOUND", () -> driver.state(id));
    // nothingLeftBehind checks the state directory and the cgroups
  }

  /**
   * The init is reaped once deleted, not left a zombie, when this process is its parent
   * (in-process) or its subreaper (a binary's: the engine's monitor will be one): see the package
   * documentation.
   */
  @Test
  void deleteReapsTheInitOfItsSubreaper() throws Exception {
    Linux.prctl(LinuxConstants.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    try {
      Container c = running();
      int pid = c.status().pid();
      c.kill(LinuxConstants.SIGKILL);
      await(c, Status.STOPPED);
      c.delete(false);
      ProcStat st = ProcStat.of(pid);
      assertTrue(
          st == null || st.ppid() != ProcessHandle.current().pid(),
          "init " + pid + " reaped, not a zombie of ours: " + st);
    } finally {
      Linux.prctl(LinuxConstants.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    }
  }

  @Test
  void stdioGoesToTheFilesAsked() throws Exception {
    bundle.sh("echo out; echo err >&2; read line; echo \"in:$line\"").write();
    Path in = tmp.resolve("in");
    Files.writeString(in, "hello\n");
    Path out = tmp.resolve("out.log");
    Path err = tmp.resolve("err.log");
    Stdio stdio = new Stdio(in, out, err);
    CreateRequest request = CreateRequest.of(newId(), bundle.dir()).withStdio(stdio);
    if (!stdioFiles()) {
      refused("INVALID_ARGUMENT", () -> driver.create(request));
      refused("NOT_FOUND", () -> driver.state(request.id()));
      return;
    }
    Container c = Container.create(driver, request);
    c.start();
    await(c, Status.STOPPED);
    assertEquals("out\nin:hello\n", Files.readString(out));
    assertEquals("err\n", Files.readString(err));
    c.delete(false);
  }

  // --- under a monitor (dev.berth.runtime.monitor) ---

  private MonitorConfig monitorConfig(String id) {
    return MonitorConfig.of(id, tmp.resolve(id + ".exit"))
        .withLog(tmp.resolve(id + ".log"), 0, 1)
        .withAttach(tmp.resolve(id + ".attach"));
  }

  private static ExitFile.ExitStatus awaitExit(Path file) throws Exception {
    for (int i = 0; i < 3000; i++) {
      var s = ExitFile.read(file);
      if (s.isPresent()) return s.get();
      Thread.sleep(10);
    }
    throw new AssertionError("no exit file " + file + " after 30 s");
  }

  private static int parentOf(int pid) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("PPid:")) return Integer.parseInt(l.substring(5).trim());
    }
    throw new IOException("no PPid in /proc/" + pid + "/status");
  }

  private static boolean isMonitor(int pid) throws IOException {
    return Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("berth-monitor\0");
  }

  @Test
  void underAMonitorOutputIsLoggedAndTheExitRecordedAfterStart() throws Exception {
    bundle.sh("echo out; sleep 0.2; echo err >&2; exit 3").write();
    String id = newId();
    MonitorConfig m = monitorConfig(id);
    Container c = Container.create(driver, CreateRequest.of(id, bundle.dir()).withMonitor(m));
    int pid = c.status().pid();
    assertTrue(isMonitor(parentOf(pid)), "the init's parent is its monitor");
    assertFalse(Files.exists(m.exitFile()), "created, not exited");
    c.start();
    ExitFile.ExitStatus st = awaitExit(m.exitFile());
    assertEquals(3, st.exitCode());
    assertEquals(0, st.signal());
    assertEquals(pid, st.pid());
    assertEquals(
        List.of("STDOUT F out", "STDERR F err"),
        CriLog.read(m.log(), null, -1).stream()
            .map(e -> e.stream() + (e.partial() ? " P " : " F ") + new String(e.text()))
            .toList());
    await(c, Status.STOPPED);
    c.delete(false);
  }

  /**
   * The caller lets go after create (the monitor's control socket is closed), and the container
   * runs on; killed with SIGKILL, the monitor takes nothing with it, but then no one records the
   * container's exit (as with conmon).
   */
  @Test
  void underAMonitorTheContainerOutlivesTheCallerAndTheMonitor() throws Exception {
    String id = newId();
    MonitorConfig m = monitorConfig(id);
    Container c = Container.create(driver, CreateRequest.of(id, bundle.dir()).withMonitor(m));
    c.start();
    int pid = c.status().pid();
    int monitor = parentOf(pid);
    assertTrue(isMonitor(monitor), "the init's parent is its monitor");
    assertTrue(
        parentOf(monitor) != ProcessHandle.current().pid(), "the monitor is not this JVM's child");
    Linux.kill(monitor, LinuxConstants.SIGKILL);
    for (int i = 0; i < 500 && Files.exists(Path.of("/proc/" + monitor)); i++) Thread.sleep(10);
    assertEquals(Status.RUNNING, c.state());
    assertEquals(pid, c.status().pid());
    c.kill(LinuxConstants.SIGKILL);
    await(c, Status.STOPPED);
    assertFalse(Files.exists(m.exitFile()), "no exit file without the monitor");
    c.delete(false);
  }

  @Test
  void underAMonitorATerminalIsResizedAndReadThroughAttach() throws Exception {
    bundle.process().put("terminal", true);
    bundle
        .process()
        .put(
            "consoleSize",
            Bundle.map("height", 24, "width", 80)); // busybox's stty size fails on 0 0
    bundle.sh("stty size; read x; stty size").write();
    String id = newId();
    MonitorConfig m = monitorConfig(id).withConsoleSocket(tmp.resolve(id + ".console"));
    Container c = Container.create(driver, CreateRequest.of(id, bundle.dir()).withMonitor(m));
    assertFalse(Files.exists(m.consoleSocket()), "the console socket goes once the terminal came");
    StringBuilder out = new StringBuilder();
    try (AttachClient a = AttachClient.connect(m.attachSocket())) {
      c.start();
      while (!out.toString().contains("24 80")) out.append(new String(a.read().data()));
      a.resize(33, 111);
      a.stdin("\n".getBytes());
      for (AttachClient.Frame f; (f = a.read()) != null && f.kind() != AttachClient.Kind.EXIT; ) {
        assertEquals(AttachClient.Kind.STDOUT, f.kind(), "a terminal has one stream");
        out.append(new String(f.data()));
      }
    }
    assertTrue(out.toString().contains("33 111"), out.toString());
    assertEquals(0, awaitExit(m.exitFile()).exitCode());
    await(c, Status.STOPPED);
    c.delete(false);
  }

  @Test
  void failedCreateUnderAMonitorLeavesNoMonitorOrFile() throws Exception {
    // Fails in the container's setup, after the monitor started the runtime's create.
    bundle.bind(tmp.resolve("no-such-dir"), "/mnt").write();
    String id = newId();
    MonitorConfig m = monitorConfig(id);
    assertThrows(
        ContainerException.class,
        () -> driver.create(CreateRequest.of(id, bundle.dir()).withMonitor(m)));
    refused("NOT_FOUND", () -> driver.state(id));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(id)).toList());
    }
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      for (Path p : s.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmd = Files.readString(p.resolve("cmdline"));
          assertFalse(
              cmd.startsWith("berth-monitor\0") && cmd.contains(id), "monitor " + p + " left");
        } catch (IOException e) {
          // gone meanwhile
        }
      }
    }
  }

  /**
   * A monitor that cannot start its child (here its log's directory is missing below the log root,
   * which the monitor makes only beneath it) fails the create with its own reason, naming the log,
   * not with what the runtime saw of it going away; nothing is left.
   */
  @Test
  void aMonitorThatCannotStartFailsTheCreateWithItsReason() throws Exception {
    bundle.sh("true").write();
    String id = newId();
    MonitorConfig m =
        MonitorConfig.of(id, tmp.resolve(id + ".exit"))
            .withLog(tmp.resolve(id + "-missing/pod/0.log"), tmp.resolve(id + "-missing"), 0, 1)
            .withAttach(tmp.resolve(id + ".attach"));
    Exception e =
        assertThrows(
            Exception.class,
            () -> driver.create(CreateRequest.of(id, bundle.dir()).withMonitor(m)));
    assertTrue(e.getMessage().contains(id + "-missing/pod/0.log"), e.getMessage());
    refused("NOT_FOUND", () -> driver.state(id));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(id)).toList());
    }
  }
}
