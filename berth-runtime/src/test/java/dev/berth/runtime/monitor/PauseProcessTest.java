package dev.berth.runtime.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * berth-monitor's pause mode as real processes: the plain pid namespace init, and the holder of a
 * pod's user namespace (its maps, the namespaces it owns, its host uid, that it is undumpable, and
 * that nothing stays behind when it is killed or its maps are refused).
 */
@RequiresRoot
class PauseProcessTest {
  private static final String ENV = "BERTH_PAUSE_TEST";
  private static final String MAP = "0 100000 65536";

  private final String tag = UUID.randomUUID().toString();
  private final Map<String, String> env = Map.of(ENV, tag);
  private final List<Integer> started = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int pid : started) {
      if (environ(pid).contains(ENV + "=" + tag)) {
        try {
          Linux.kill(pid, LinuxConstants.SIGKILL);
        } catch (ErrnoException e) {
          // gone already
        }
      }
      awaitGone(pid);
    }
    assertEquals(List.of(), tagged(), "processes of this test left behind");
  }

  @Test
  void holderOwnsItsNetIpcAndUtsNamespaces() throws Exception {
    int pid = PauseProcess.startInUserNamespace(env, MAP, MAP + "\n", false);
    started.add(pid);
    checkHolder(pid, List.of("net", "ipc", "uts"));
    assertEquals(ns("self", "pid"), ns(pid, "pid"), "no pid namespace of its own without --pid");
    assertEquals(String.valueOf(pid), status(pid, "NSpid"));
    Linux.kill(pid, LinuxConstants.SIGKILL);
    awaitGone(pid);
    assertEquals(List.of(), tagged());
  }

  @Test
  void holderWithAPidNamespaceIsItsInit() throws Exception {
    int pid = PauseProcess.startInUserNamespace(env, MAP, MAP, true);
    started.add(pid);
    checkHolder(pid, List.of("net", "ipc", "uts", "pid"));
    assertEquals(pid + "\t1", status(pid, "NSpid"));
    // It reaps: an orphan of a process that entered its pid namespace becomes its child, and
    // leaves no zombie when it exits.
    Result r =
        run(
            "nsenter",
            "-t",
            String.valueOf(pid),
            "-U",
            "-p",
            "--",
            "sh",
            "-c",
            "sleep 1 >/dev/null 2>&1 &");
    assertEquals(0, r.exit(), r.out());
    assertEquals(1, children(pid).size(), "the orphan is its child");
    for (int i = 0; i < 500 && !children(pid).isEmpty(); i++) Thread.sleep(10);
    assertEquals(List.of(), children(pid), "its orphan was reaped");
    Linux.kill(pid, LinuxConstants.SIGKILL);
    awaitGone(pid);
    assertEquals(List.of(), tagged());
  }

  @Test
  void holderEndsOnSigterm() throws Exception {
    int pid = PauseProcess.startInUserNamespace(env, MAP, MAP, true);
    started.add(pid);
    Linux.kill(pid, LinuxConstants.SIGTERM);
    awaitGone(pid);
  }

  @Test
  void mapsTheKernelRefusesAreNamedAndLeaveNothing() throws Exception {
    IOException e =
        assertThrows(
            IOException.class,
            () -> PauseProcess.startInUserNamespace(env, "0 100000 0", MAP, true));
    assertTrue(e.getMessage().contains("uid_map"), e.getMessage());
    assertEquals(List.of(), tagged());
    e =
        assertThrows(
            IOException.class,
            () -> PauseProcess.startInUserNamespace(env, MAP, "0 100000 10\n5 200000 10\n", false));
    assertTrue(e.getMessage().contains("gid_map"), e.getMessage());
    assertEquals(List.of(), tagged());
    e =
        assertThrows(
            IOException.class,
            () -> PauseProcess.startInUserNamespace(env, "0 100000 65536\n0 300000 1", MAP, false));
    assertTrue(e.getMessage().contains("uid_map"), e.getMessage());
    assertEquals(List.of(), tagged());
  }

  @Test
  void mapsThatAreNotMapsAreRefusedBeforeAnyProcess() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PauseProcess.startInUserNamespace(env, MAP, "0 100000", false));
    assertTrue(e.getMessage().startsWith("gid map"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> PauseProcess.startInUserNamespace(env, "", MAP, false));
    assertThrows(
        IllegalArgumentException.class,
        () -> PauseProcess.startInUserNamespace(env, "0 x 1", MAP, false));
  }

  @Test
  void plainPauseIsAPidNamespaceInitAsHostRoot() throws Exception {
    int pid = PauseProcess.start(env);
    started.add(pid);
    // It names itself after READY (the holder before).
    for (int i = 0; i < 500 && !comm(pid).equals("berth-pause"); i++) Thread.sleep(10);
    assertEquals("berth-pause", comm(pid));
    assertEquals(pid + "\t1", status(pid, "NSpid"));
    assertEquals("0\t0\t0\t0", status(pid, "Uid"));
    for (String type : List.of("user", "net", "ipc", "uts")) {
      assertEquals(ns("self", type), ns(pid, type), type);
    }
    assertNotEquals(ns("self", "pid"), ns(pid, "pid"));
    assertTrue(environ(pid).contains(ENV + "=" + tag));
    Linux.kill(pid, LinuxConstants.SIGTERM);
    awaitGone(pid);
  }

  /** What every holder is; {@code own}: the namespaces it has of its own, owned by its user ns. */
  private void checkHolder(int pid, List<String> own) throws Exception {
    assertEquals("berth-pause", comm(pid));
    assertEquals(MAP, squeeze(read("/proc/" + pid + "/uid_map")));
    assertEquals(MAP, squeeze(read("/proc/" + pid + "/gid_map")));
    assertEquals("allow", read("/proc/" + pid + "/setgroups").strip());
    String userns = ns(pid, "user");
    assertNotEquals(ns("self", "user"), userns);
    for (String type : own) assertNotEquals(ns("self", type), ns(pid, type), type);

    // Ownership as the kernel reports it (NS_GET_USERNS, through lsns) ...
    Result lsns = run("lsns", "-n", "-o", "NS,TYPE,ONS", "-p", String.valueOf(pid));
    assertEquals(0, lsns.exit(), lsns.out());
    Map<String, String[]> rows = new HashMap<>();
    for (String line : lsns.out().strip().split("\n")) {
      String[] f = line.strip().split("\\s+");
      rows.put(f[1], f);
    }
    String userInode = userns.replaceAll("\\D", "");
    assertEquals(userInode, rows.get("user")[0]);
    for (String type : own) {
      assertEquals(ns(pid, type).replaceAll("\\D", ""), rows.get(type)[0], type);
      assertEquals(userInode, rows.get(type)[2], type + " is owned by the holder's user namespace");
    }
    // ... and in use: its root has CAP_SYS_ADMIN over its uts and CAP_NET_ADMIN over its net.
    Result inside =
        run(
            "nsenter",
            "-t",
            String.valueOf(pid),
            "-U",
            "-n",
            "-u",
            "-i",
            "--",
            "sh",
            "-c",
            "hostname berth-holder-test && hostname && ip link set lo up");
    assertEquals(0, inside.exit(), inside.out());
    assertEquals("berth-holder-test", inside.out().strip());

    // Its namespace's root: on the host the mapped ids, no supplementary group.
    assertEquals("100000\t100000\t100000\t100000", status(pid, "Uid"));
    assertEquals("100000\t100000\t100000\t100000", status(pid, "Gid"));
    assertEquals("", status(pid, "Groups"));
    // Nothing but stdio and its signalfd.
    for (String fd :
        Files.list(Path.of("/proc/" + pid + "/fd")).map(p -> p.getFileName().toString()).toList()) {
      if (Integer.parseInt(fd) > 2) {
        assertEquals(
            "anon_inode:[signalfd]",
            Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString());
      }
    }
    // Undumpable: its /proc files are host root's, not its uid's; the root of its user namespace
    // (a container's) may not read its environ, nor may its uid on the host; host root still may
    // (the engine tells its pause by the tag there).
    assertEquals(0, Linux.stat("/proc/" + pid + "/environ").uid());
    Result r =
        run("nsenter", "-t", String.valueOf(pid), "-U", "--", "cat", "/proc/" + pid + "/environ");
    assertNotEquals(0, r.exit(), r.out());
    r =
        run(
            "setpriv",
            "--reuid",
            "100000",
            "--regid",
            "100000",
            "--clear-groups",
            "cat",
            "/proc/" + pid + "/environ");
    assertNotEquals(0, r.exit(), r.out());
    assertTrue(environ(pid).contains(ENV + "=" + tag));
  }

  private record Result(int exit, String out) {}

  private static Result run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }

  private static String read(String path) throws IOException {
    return Files.readString(Path.of(path));
  }

  private static String squeeze(String s) {
    return s.strip().replaceAll("\\s+", " ");
  }

  private static String ns(Object pid, String type) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + type)).toString();
  }

  private static String comm(int pid) throws IOException {
    return read("/proc/" + pid + "/comm").strip();
  }

  /** A field of /proc/PID/status, as the kernel writes it (tabs between values). */
  private static String status(long pid, String field) throws IOException {
    for (String line : read("/proc/" + pid + "/status").split("\n")) {
      if (line.startsWith(field + ":")) return line.substring(field.length() + 1).strip();
    }
    throw new AssertionError("no " + field + " in the status of " + pid);
  }

  private static String environ(int pid) {
    try {
      return read("/proc/" + pid + "/environ");
    } catch (IOException e) {
      return "";
    }
  }

  /** Every process whose environment has this test's tag. */
  private List<Integer> tagged() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.chars().allMatch(Character::isDigit))
          .map(Integer::parseInt)
          .filter(pid -> environ(pid).contains(ENV + "=" + tag))
          .toList();
    }
  }

  private static List<Integer> children(int pid) throws IOException {
    String c = read("/proc/" + pid + "/task/" + pid + "/children").strip();
    return c.isEmpty() ? List.of() : Stream.of(c.split(" ")).map(Integer::parseInt).toList();
  }

  /**
   * Until {@code pid} is gone: the host's reaper reaps it, or this JVM when it is a subreaper
   * (another test may have made it one).
   */
  private static void awaitGone(int pid) throws Exception {
    for (int i = 0; i < 1000; i++) {
      String stat;
      try {
        stat = read("/proc/" + pid + "/stat");
      } catch (IOException e) {
        return;
      }
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      if (f[0].equals("Z") && Integer.parseInt(f[1]) == Linux.getpid()) {
        try {
          Linux.wait4(pid, 0);
        } catch (ErrnoException e) {
          // reaped by another
        }
      }
      Thread.sleep(10);
    }
    fail(pid + " is still there");
  }
}
