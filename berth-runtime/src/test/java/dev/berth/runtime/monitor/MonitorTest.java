package dev.berth.runtime.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.monitor.CriLog.Entry;
import dev.berth.runtime.monitor.ExitFile.ExitStatus;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.RequiresRoot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * berth-monitor around plain host processes (/bin/sh as the "container init": the monitor's own
 * child, as berth-init's CLONE_PARENT clone is): the CRI log, rotation, reopen, the exit file, OOM
 * kills, attach, and the monitor's lifetime against this JVM's. The same monitor under real
 * containers is in the driver contract (RuntimeDriverContract).
 */
@RequiresRoot
class MonitorTest {
  private Path tmp;
  private final List<Integer> pids = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    tmp = Files.createTempDirectory("berth-monitor-");
  }

  @AfterEach
  void tearDown() throws IOException {
    for (int pid : pids) {
      try {
        Linux.kill(pid, 9);
      } catch (IOException e) {
        // gone, as it should be
      }
    }
    try (Stream<Path> s = Files.walk(tmp)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private MonitorConfig config() {
    return MonitorConfig.of("test", tmp.resolve("exit"))
        .withLog(tmp.resolve("ctr.log"), 0, 1)
        .withAttach(tmp.resolve("attach.sock"));
  }

  /** A monitor running {@code sh -c script} as the container: handed over as such at once. */
  private Monitor start(MonitorConfig c, String script) throws IOException {
    Monitor m = Monitor.spawn(c, "/bin/sh", new String[] {"sh", "-c", script}, new int[0]);
    pids.add(m.pid());
    pids.add(m.ready());
    return m;
  }

  private ExitStatus run(MonitorConfig c, String script) throws Exception {
    try (Monitor m = start(c, script)) {
      m.container(m.ready());
    }
    return awaitExit(c.exitFile());
  }

  private ExitStatus awaitExit(Path file) throws Exception {
    for (int i = 0; i < 3000; i++) {
      Optional<ExitStatus> s = ExitFile.read(file);
      if (s.isPresent()) return s.get();
      Thread.sleep(10);
    }
    throw new AssertionError("no exit file " + file + " after 30 s");
  }

  private static void awaitGone(int pid) throws InterruptedException {
    for (int i = 0; i < 1000 && Files.exists(Path.of("/proc/" + pid)); i++) Thread.sleep(10);
  }

  private static String text(Entry e) {
    return new String(e.text(), StandardCharsets.UTF_8);
  }

  @Test
  void logsLinesInCriFormatWithStreamsAndPartialLines() throws Exception {
    MonitorConfig c = config();
    Instant before = Instant.now();
    // The stderr line is written after the stdout one has surely been read: their order in the log
    // is then fixed.
    ExitStatus st =
        run(
            c,
            "echo one; printf 'two '; printf 'halves\\n'; sleep 0.2; echo oops >&2; printf tail");
    assertEquals(0, st.exitCode());
    List<String> lines = Files.readAllLines(c.log());
    for (String l : lines) {
      assertTrue(
          l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z (stdout|stderr) [FP] .*"),
          l);
    }
    List<Entry> entries = CriLog.read(c.log(), null, -1);
    assertEquals(
        List.of("STDOUT F one", "STDOUT F two halves", "STDERR F oops", "STDOUT P tail"),
        entries.stream().map(e -> e.stream() + (e.partial() ? " P " : " F ") + text(e)).toList());
    assertFalse(entries.get(0).time().isBefore(before.minusSeconds(1)));
    assertEquals(2, CriLog.read(c.log(), null, 2).size(), "tail");
  }

  @Test
  void aLineLongerThanTheBufferIsCutIntoPartialRecordsThatJoinUp() throws Exception {
    MonitorConfig c = config();
    run(c, "head -c 20000 /dev/zero | tr '\\0' x; echo; echo next");
    List<Entry> entries = CriLog.read(c.log(), null, -1);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    int i = 0;
    for (; entries.get(i).partial(); i++) joined.write(entries.get(i).text());
    joined.write(entries.get(i).text());
    assertTrue(
        i >= 2, "20000 bytes in records of at most 8192: at least two partial ones, got " + i);
    assertEquals("x".repeat(20000), joined.toString(StandardCharsets.UTF_8));
    assertEquals("next", text(entries.get(i + 1)));
    assertEquals(i + 2, entries.size());
  }

  @Test
  void rotationKeepsEveryRecordWholeInTheNewestFiles() throws Exception {
    MonitorConfig c = config().withLog(tmp.resolve("ctr.log"), 4096, 3);
    run(c, "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done");
    List<Path> files = CriLog.files(c.log());
    assertEquals(List.of(tmp.resolve("ctr.log.2"), tmp.resolve("ctr.log.1"), c.log()), files);
    assertFalse(Files.exists(tmp.resolve("ctr.log.3")), "only 3 files kept");
    List<Entry> entries = new ArrayList<>();
    for (Path f : files) {
      assertTrue(Files.size(f) <= 4096, f + " is " + Files.size(f) + " bytes");
      byte[] b = Files.readAllBytes(f);
      assertEquals('\n', b[b.length - 1], f + " ends in the middle of a record");
      for (String l : Files.readAllLines(f))
        assertTrue(l.matches("\\S+ stdout F line-\\d+"), f + ": " + l);
    }
    entries.addAll(CriLog.read(c.log(), null, -1));
    // The newest files hold an unbroken run of the last lines: nothing lost or repeated in between.
    int last = 1999;
    for (int k = entries.size() - 1; k >= 0; k--, last--)
      assertEquals("line-" + last, text(entries.get(k)));
    assertTrue(entries.size() > 100);
  }

  @Test
  void reopenAfterRenameStartsANewFile() throws Exception {
    MonitorConfig c = config().withStdin(true);
    try (Monitor m = start(c, "while read l; do echo got-$l; done")) {
      m.container(m.ready());
    }
    try (AttachClient a = AttachClient.connect(c.attachSocket())) {
      a.stdin("a\n".getBytes());
      assertEquals("got-a\n", new String(a.read().data()));
      Files.move(c.log(), tmp.resolve("ctr.log.old"));
      // answered once the new file is open: it is there at once
      assertTrue(a.reopenLog());
      assertTrue(Files.exists(c.log()));
      a.stdin("b\n".getBytes());
      assertEquals("got-b\n", new String(a.read().data()));
      Files.move(c.log(), tmp.resolve("ctr.log.older"));
      // kubelet's way is the attach socket; SIGUSR1 does the same
      Linux.kill(pidOf(c), 10);
      Thread.sleep(200);
      a.stdin("c\n".getBytes());
      assertEquals("got-c\n", new String(a.read().data()));
      a.closeStdin();
    }
    awaitExit(c.exitFile());
    assertEquals(
        List.of("got-a"),
        CriLog.read(tmp.resolve("ctr.log.old"), null, -1).stream().map(MonitorTest::text).toList());
    assertEquals(
        List.of("got-b"),
        CriLog.read(tmp.resolve("ctr.log.older"), null, -1).stream()
            .map(MonitorTest::text)
            .toList());
    assertEquals(
        List.of("got-c"), CriLog.read(c.log(), null, -1).stream().map(MonitorTest::text).toList());
  }

  private int pidOf(MonitorConfig c) {
    return pids.get(pids.size() - 2);
  }

  @Test
  void exitFileRecordsExitCodesAndSignals() throws Exception {
    ExitStatus zero = run(config(), "exit 0");
    assertEquals(0, zero.exitCode());
    assertEquals(0, zero.signal());
    assertFalse(zero.oomKilled());
    assertFalse(zero.finishedAt().isBefore(zero.startedAt()));
    Files.delete(tmp.resolve("exit"));
    assertEquals(3, run(config(), "exit 3").exitCode());
    Files.delete(tmp.resolve("exit"));
    ExitStatus killed = run(config(), "kill -9 $$");
    assertEquals(137, killed.exitCode());
    assertEquals(9, killed.signal());
    assertEquals(pids.get(pids.size() - 1), killed.pid());
  }

  @Test
  void aContainerThatExitsBeforeItIsHandedOverIsStillRecorded() throws Exception {
    MonitorConfig c = config();
    try (Monitor m = start(c, "exit 7")) {
      Monitor.ChildExit child = m.awaitChild();
      assertEquals(7, child.exitCode());
      m.container(m.ready());
    }
    assertEquals(7, awaitExit(c.exitFile()).exitCode());
  }

  @Test
  void oomKillIsRecorded() throws Exception {
    Path cg = Path.of("/sys/fs/cgroup/memory/berth-monitor-test-" + ProcessHandle.current().pid());
    Files.createDirectory(cg);
    try {
      Files.writeString(cg.resolve("memory.limit_in_bytes"), "16777216");
      MonitorConfig c = config().withOom(cg.resolve("memory.oom_control"), "oom_kill");
      // The shell moves itself into the cgroup, then a pipe holds 100M in tail's memory.
      ExitStatus st =
          run(c, "echo $$ > " + cg + "/cgroup.procs; head -c 100M /dev/zero | tail; exit 1");
      assertTrue(st.oomKilled(), st.toString());
      Files.delete(tmp.resolve("exit"));
      ExitStatus fine = run(config().withOom(cg.resolve("memory.oom_control"), "oom_kill"), "true");
      assertTrue(
          fine.oomKilled(),
          "the counter is the cgroup's: a second container in it sees the same kill");
      Files.delete(tmp.resolve("exit"));
    } finally {
      for (int i = 0; i < 100 && !Files.readString(cg.resolve("cgroup.procs")).isBlank(); i++)
        Thread.sleep(20);
      Files.delete(cg);
    }
    assertFalse(
        run(config().withOom(tmp.resolve("no-such-cgroup"), "oom_kill"), "true").oomKilled());
  }

  @Test
  void attachedClientGetsOutputAndItsStdinReachesTheContainer() throws Exception {
    MonitorConfig c = config().withStdin(true);
    int mpid;
    try (Monitor m = start(c, "echo before; cat; echo after >&2; exit 4")) {
      mpid = m.pid();
      m.container(m.ready());
    }
    // Attach once "before" is in the log: it was written before this client came.
    for (int i = 0; i < 1000 && CriLog.read(c.log(), null, -1).isEmpty(); i++) Thread.sleep(10);
    try (AttachClient a = AttachClient.connect(c.attachSocket())) {
      a.stdin("hello\n".getBytes());
      AttachClient.Frame f = a.read();
      assertEquals(AttachClient.Kind.STDOUT, f.kind());
      assertEquals("hello\n", new String(f.data()));
      a.closeStdin(); // stdin-once: cat reads EOF
      f = a.read();
      assertEquals(AttachClient.Kind.STDERR, f.kind());
      assertEquals("after\n", new String(f.data()));
      f = a.read();
      assertEquals(AttachClient.Kind.EXIT, f.kind());
      assertEquals(4, ExitFile.parse(f.data(), "frame").exitCode());
      assertNull(a.read());
    }
    // Output from before the client attached is in the log only.
    assertEquals(
        List.of("before", "hello", "after"),
        CriLog.read(c.log(), null, -1).stream().map(MonitorTest::text).toList());
    awaitGone(mpid);
    assertFalse(Files.exists(c.attachSocket()), "the attach socket goes with the monitor");
  }

  @Test
  void withoutStdinOnceClientsInTurnReachTheSameCatAndItNeverSeesEof() throws Exception {
    MonitorConfig c = config().withStdin(false);
    int container;
    try (Monitor m = start(c, "cat; echo eof >&2; exit 5")) {
      container = m.ready();
      m.container(container);
    }
    for (String word : List.of("one", "two", "three")) {
      try (AttachClient a = AttachClient.connect(c.attachSocket())) {
        a.stdin((word + "\n").getBytes());
        AttachClient.Frame f = a.read();
        assertEquals(AttachClient.Kind.STDOUT, f.kind());
        assertEquals(word + "\n", new String(f.data()));
        a.closeStdin(); // only this client's stdin ends
        a.shutdown(); // and it leaves, as a front door ends an attach whose stdin ended
      }
    }
    Linux.kill(container, 9);
    assertEquals(137, awaitExit(c.exitFile()).exitCode());
    assertEquals(
        List.of("one", "two", "three"),
        CriLog.read(c.log(), null, -1).stream().map(MonitorTest::text).toList(),
        "cat never read EOF: no \"eof\" line");
  }

  @Test
  void withStdinOnceTheFirstClientsStdinEndIsTheContainersEof() throws Exception {
    MonitorConfig c = config().withStdin(true);
    try (Monitor m = start(c, "cat; echo eof >&2; exit 5")) {
      m.container(m.ready());
    }
    try (AttachClient a = AttachClient.connect(c.attachSocket())) {
      a.stdin("one\n".getBytes());
      assertEquals("one\n", new String(a.read().data()));
      a.closeStdin();
      assertEquals("eof\n", new String(a.read().data()));
      assertEquals(AttachClient.Kind.EXIT, a.read().kind());
    }
    assertEquals(5, awaitExit(c.exitFile()).exitCode());
    assertThrows(
        IOException.class,
        () -> AttachClient.connect(c.attachSocket()),
        "no second attach: the container is gone");
  }

  /** The capacity of a pipe made now (F_GETPIPE_SZ). */
  private static int newPipeCapacity() throws ErrnoException {
    Fd[] p = Linux.pipe2(0);
    try {
      return (int) Linux.fcntl(p[0], 1032 /* F_GETPIPE_SZ */, 0);
    } finally {
      p[0].close();
      p[1].close();
    }
  }

  @Test
  void stdinAClientSentBeforeLeavingAllReachesASlowContainer() throws Exception {
    // The container reads nothing until told: its pipe fills, the rest of what the client sent
    // waits in the client's socket (two packets, so the client is not held up), and the client
    // leaves meanwhile. Every byte it sent must still arrive. The pipe's size is what a new pipe
    // gets now: 64 KiB, or one page once this user holds more pipe pages than
    // fs.pipe-user-pages-soft (root without CAP_SYS_RESOURCE, as here, in a long test run).
    int size = newPipeCapacity() + 2 * AttachClient.MAX_PAYLOAD;
    Path go = tmp.resolve("go");
    MonitorConfig c = config().withStdin(false);
    try (Monitor m =
        start(c, "while [ ! -e " + go + " ]; do sleep 0.05; done; head -c " + size + " | wc -c")) {
      m.container(m.ready());
    }
    try (AttachClient a = AttachClient.connect(c.attachSocket())) {
      // A send the kernel holds up would hang this thread in native code, past any timeout:
      // bounded here, and the socket shut to free it.
      var sent =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try {
                  a.stdin(new byte[size]);
                  a.closeStdin();
                } catch (ErrnoException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      try {
        sent.get(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        a.shutdown();
        throw new AssertionError("the client's stdin was held up: the monitor did not read it", e);
      }
      a.shutdown();
    }
    Thread.sleep(300); // the monitor sees the client gone while the pipe is still full
    Files.createFile(go);
    assertEquals(0, awaitExit(c.exitFile()).exitCode());
    assertEquals(
        List.of(Integer.toString(size)),
        CriLog.read(c.log(), null, -1).stream().map(e -> text(e).strip()).toList());
  }

  @Test
  void aClientThatConnectedBeforeTheOutputGetsAllOfItAndTheExit() throws Exception {
    // berth run attaches, then starts: its client must get the first output. Here the monitor is
    // stopped while the
    // client connects and sends a packet, and the container writes and exits: when the monitor
    // wakes it finds all
    // of that at once, and exits with the packet unread (the kernel then reports ECONNRESET ahead
    // of the frames).
    MonitorConfig c = config();
    Path go = tmp.resolve("go");
    Path written = tmp.resolve("written");
    int monitor;
    try (Monitor m =
        start(
            c,
            "while [ ! -e "
                + go
                + " ]; do sleep 0.01; done; echo first; touch "
                + written
                + "; exit 3")) {
      monitor = m.pid();
      int child = m.ready();
      m.container(child);
      Linux.kill(monitor, LinuxConstants.SIGSTOP);
      // kill(2) returns before the signal takes effect: on a loaded machine the monitor could still
      // run a round.
      for (int i = 0; i < 3000 && state(monitor) != 'T'; i++) Thread.sleep(1);
      assertEquals('T', state(monitor), "the monitor is stopped");
      try (AttachClient a = AttachClient.connect(c.attachSocket())) {
        a.resize(24, 80);
        Files.writeString(go, "");
        for (int i = 0; i < 3000 && !zombie(child); i++) Thread.sleep(10);
        assertTrue(Files.exists(written) && zombie(child), "the container wrote and exited");
        Linux.kill(monitor, LinuxConstants.SIGCONT);
        AttachClient.Frame f = a.read();
        assertEquals(AttachClient.Kind.STDOUT, f.kind());
        assertEquals("first\n", new String(f.data()));
        f = a.read();
        assertEquals(AttachClient.Kind.EXIT, f.kind());
        assertEquals(3, ExitFile.parse(f.data(), "frame").exitCode());
        assertNull(a.read());
      }
    }
    awaitGone(monitor);
  }

  private static char state(int pid) throws IOException {
    String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return s.charAt(s.lastIndexOf(')') + 2);
  }

  private static boolean zombie(int pid) throws IOException {
    Path stat = Path.of("/proc/" + pid + "/stat");
    if (!Files.exists(stat)) return false;
    String s = Files.readString(stat);
    return s.charAt(s.lastIndexOf(')') + 2) == 'Z';
  }

  @Test
  void aClientThatNeverReadsDoesNotHoldBackTheContainer() throws Exception {
    MonitorConfig c = config().withStdin(false);
    try (Monitor m =
        start(c, "read go; head -c 20000000 /dev/zero | tr '\\0' x | fold -w 100; exit 2")) {
      m.container(m.ready());
      try (AttachClient idle = AttachClient.connect(c.attachSocket());
          AttachClient feeder = AttachClient.connect(c.attachSocket())) {
        feeder.stdin("go\n".getBytes());
        ExitStatus st = awaitExit(c.exitFile());
        assertEquals(2, st.exitCode());
        // It was dropped once its socket was full: some output, then the end, and never the exit
        // frame.
        int frames = 0;
        for (AttachClient.Frame f; (f = idle.read()) != null; frames++) {
          assertEquals(AttachClient.Kind.STDOUT, f.kind());
        }
        assertTrue(frames > 0);
      }
    }
    assertEquals(200000, CriLog.read(c.log(), null, -1).size(), "every line in the log");
  }

  @Test
  void theContainerOutlivesTheJavaSideAndItsExitIsRecorded() throws Exception {
    MonitorConfig c = config();
    Path go = tmp.resolve("go");
    Monitor m = start(c, "while [ ! -e " + go + " ]; do sleep 0.05; done; echo done; exit 5");
    int monitor = m.pid();
    m.container(m.ready()); // closes our end: nothing of this JVM is left in the monitor
    String status = Files.readString(Path.of("/proc/" + monitor + "/status"));
    assertFalse(
        status.contains("PPid:\t" + Linux.getpid() + "\n"), "the monitor is not this JVM's child");
    Files.writeString(go, "");
    ExitStatus st = awaitExit(c.exitFile());
    assertEquals(5, st.exitCode());
    assertEquals(
        List.of("done"), CriLog.read(c.log(), null, -1).stream().map(MonitorTest::text).toList());
    awaitGone(monitor);
    assertFalse(Files.exists(Path.of("/proc/" + monitor)), "the monitor exits after its container");
  }

  @Test
  void exitCommandRunsAfterTheExitFileIsWritten() throws Exception {
    Path seen = tmp.resolve("seen");
    MonitorConfig c =
        config()
            .withExitCommand(
                List.of("/bin/sh", "-c", "cat " + tmp.resolve("exit") + " > " + seen), null);
    run(c, "exit 9");
    for (int i = 0; i < 1000 && (!Files.exists(seen) || Files.size(seen) == 0); i++)
      Thread.sleep(10);
    assertEquals(9, ExitFile.parse(Files.readAllBytes(seen), "seen").exitCode());
  }

  @Test
  void exitCommandIsSkippedWhileAWatcherHoldsItsLock() throws Exception {
    Path seen = tmp.resolve("seen");
    Path watchers = tmp.resolve("watchers.lock");
    MonitorConfig c =
        config().withExitCommand(List.of("/bin/sh", "-c", "echo ran >> " + seen), watchers);
    try (Fd lock =
        Linux.open(watchers.toString(), LinuxConstants.O_RDWR | LinuxConstants.O_CREAT, 0600)) {
      Linux.flock(lock, LinuxConstants.LOCK_SH); // as an engine's exit watcher holds it
      Monitor m = start(c, "exit 3");
      int monitor = m.pid();
      m.container(m.ready());
      assertEquals(3, awaitExit(c.exitFile()).exitCode());
      awaitGone(monitor);
      Thread.sleep(300); // a command forked before the monitor's end would have written by now
      assertFalse(Files.exists(seen), "the exit command ran although a watcher held the lock");
    }
    // The watcher gone (its lock with it): the next exit runs the command.
    Files.delete(c.exitFile());
    run(c, "exit 4");
    for (int i = 0; i < 1000 && (!Files.exists(seen) || Files.size(seen) == 0); i++)
      Thread.sleep(10);
    assertEquals("ran\n", Files.readString(seen));
  }

  @Test
  void aSymlinkAtTheWatchersPathDoesNotSilenceTheExitCommand() throws Exception {
    Path seen = tmp.resolve("seen");
    Path locked = tmp.resolve("locked");
    Path watchers = tmp.resolve("watchers.lock");
    Files.createSymbolicLink(watchers, locked);
    MonitorConfig c =
        config().withExitCommand(List.of("/bin/sh", "-c", "echo ran >> " + seen), watchers);
    try (Fd lock =
        Linux.open(locked.toString(), LinuxConstants.O_RDWR | LinuxConstants.O_CREAT, 0600)) {
      Linux.flock(lock, LinuxConstants.LOCK_SH);
      // A lock held on what the link points at is not a watcher's: the link is not followed.
      run(c, "exit 0");
      for (int i = 0; i < 1000 && (!Files.exists(seen) || Files.size(seen) == 0); i++)
        Thread.sleep(10);
      assertEquals("ran\n", Files.readString(seen));
    }
  }

  @Test
  void abortLeavesNoSocketFileOrProcess() throws Exception {
    MonitorConfig c = config().withConsoleSocket(tmp.resolve("console.sock"));
    Monitor m = start(c, "sleep 100");
    int monitor = m.pid();
    int child = m.ready();
    assertTrue(Files.exists(c.attachSocket()));
    assertTrue(Files.exists(c.consoleSocket()));
    assertTrue(Files.exists(c.log()));
    m.abort();
    awaitGone(monitor);
    awaitGone(child);
    assertFalse(Files.exists(Path.of("/proc/" + monitor)), "monitor");
    assertFalse(Files.exists(Path.of("/proc/" + child)), "its child");
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(), s.toList());
    }
  }

  @Test
  void aPidThatIsNotItsChildIsRefused() throws Exception {
    try (Monitor m = start(config(), "sleep 100")) {
      IOException e = assertThrows(IOException.class, () -> m.container(Linux.getpid()));
      assertTrue(e.getMessage().contains("is not a child of the monitor"), e.getMessage());
    }
  }

  @Test
  void badSettingsFailTheSpawnAndLeaveNothing() throws Exception {
    MonitorConfig c = config().withAttach(tmp.resolve("no-such-dir/attach.sock"));
    IOException e = assertThrows(IOException.class, () -> start(c, "true"));
    assertTrue(e.getMessage().contains("no-such-dir/attach.sock"), e.getMessage());
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(), s.toList());
    }
  }

  /**
   * A CRI log beneath a directory others write in (the kubelet's pod log directory): the monitor
   * makes the missing directories below the root, and a symlink planted on the way is never
   * followed, at the start or when the log is reopened or rotated after the directory was swapped
   * for one: nothing is created or written where it leads.
   */
  @Test
  void aLogBeneathItsRootFollowsNoSymlinkBelowIt() throws Exception {
    Path root = tmp.resolve("pods/pod");
    Path elsewhere = tmp.resolve("elsewhere");
    Files.createDirectories(root);
    Files.createDirectories(elsewhere);
    MonitorConfig made =
        MonitorConfig.of("made", tmp.resolve("made.exit"))
            .withLog(root.resolve("app/0.log"), root, 0, 1)
            .withAttach(tmp.resolve("a.sock"));
    run(made, "echo made");
    assertEquals("made", text(CriLog.read(made.log(), null, -1).get(0)));
    assertEquals(
        "rwxr-xr-x",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(root.resolve("app"))));

    Files.createSymbolicLink(root.resolve("linked"), elsewhere);
    MonitorConfig linked =
        MonitorConfig.of("linked", tmp.resolve("linked.exit"))
            .withLog(root.resolve("linked/0.log"), root, 0, 1)
            .withAttach(tmp.resolve("b.sock"));
    IOException e = assertThrows(IOException.class, () -> start(linked, "echo escaped"));
    assertTrue(e.getMessage().contains("linked/0.log"), e.getMessage());
    try (Stream<Path> s = Files.list(elsewhere)) {
      assertEquals(List.of(), s.toList(), "nothing made through the symlink");
    }

    // Swapped for a symlink while the container runs: the reopen and the rotation stay in the
    // directory the monitor opened.
    MonitorConfig swapped =
        MonitorConfig.of("swapped", tmp.resolve("swapped.exit"))
            .withLog(root.resolve("swap/0.log"), root, 0, 1)
            .withAttach(tmp.resolve("c.sock"))
            .withStdin(true);
    try (Monitor m = start(swapped, "while read l; do echo got-$l; done")) {
      m.container(m.ready());
    }
    try (AttachClient a = AttachClient.connect(swapped.attachSocket())) {
      a.stdin("a\n".getBytes());
      assertEquals("got-a\n", new String(a.read().data()));
      Files.move(root.resolve("swap"), root.resolve("swap.old"));
      Files.createSymbolicLink(root.resolve("swap"), elsewhere);
      Files.move(root.resolve("swap.old/0.log"), root.resolve("swap.old/0.log.old"));
      assertTrue(a.reopenLog());
      a.stdin("b\n".getBytes());
      assertEquals("got-b\n", new String(a.read().data()));
      a.closeStdin();
    }
    awaitExit(swapped.exitFile());
    try (Stream<Path> s = Files.list(elsewhere)) {
      assertEquals(List.of(), s.toList(), "nothing written through the symlink");
    }
    assertEquals(
        List.of("got-b"),
        CriLog.read(root.resolve("swap.old/0.log"), null, -1).stream()
            .map(MonitorTest::text)
            .toList());
  }
}
