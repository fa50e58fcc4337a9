package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SpawnTest {
  private static final String[] ENV = {"PATH=/usr/bin:/bin"};

  /**
   * Runs argv with its stdout (and stderr) to a pipe plus the extra pairs; returns {stdout, exit
   * status}.
   */
  private static Object[] run(String[] argv, int... extraMap) throws Exception {
    Fd[] out = Linux.pipe2(0);
    int pid;
    try (Fd w = out[1]) {
      int[] map = new int[4 + extraMap.length];
      map[0] = 1;
      map[1] = w.fd();
      map[2] = 2;
      map[3] = w.fd();
      System.arraycopy(extraMap, 0, map, 4, extraMap.length);
      pid = Linux.spawn(argv[0], argv, ENV, map, false);
    }
    try (Fd r = out[0]) {
      String text = new String(Linux.readAll(r), StandardCharsets.UTF_8);
      return new Object[] {text, Linux.wait4(pid, 0)};
    }
  }

  @Test
  void mappedFdReachesTheChildAtItsNumber() throws Exception {
    Fd[] p = Linux.pipe2(0);
    int pid;
    try (Fd w = p[1]) {
      pid =
          Linux.spawn(
              "/bin/sh",
              new String[] {"sh", "-c", "echo hi >&3"},
              ENV,
              new int[] {3, w.fd()},
              false);
    }
    try (Fd r = p[0]) {
      assertEquals("hi\n", new String(Linux.readAll(r), StandardCharsets.US_ASCII));
    }
    WaitStatus st = Linux.wait4(pid, 0);
    assertEquals(pid, st.pid());
    assertTrue(st.exited());
    assertEquals(0, st.exitCode());
  }

  @Test
  void childSeesExactlyTheMappedFds() throws Exception {
    // An fd deliberately left without close-on-exec must still not leak: the map is the child's
    // whole fd table.
    try (Fd leaky = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0);
        Fd passed = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0);
        Fd stdin = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0)) {
      Linux.fcntl(leaky, LinuxConstants.F_SETFD, 0);
      Object[] r = run(new String[] {"/bin/ls", "/proc/self/fd"}, 0, stdin.fd(), 3, passed.fd());
      TreeSet<String> fds = new TreeSet<>(Arrays.asList(((String) r[0]).trim().split("\n")));
      // 0-3 as mapped, and 4: the directory ls itself opened to list /proc/self/fd.
      assertEquals(new TreeSet<>(Arrays.asList("0", "1", "2", "3", "4")), fds, "child fds: " + fds);
      assertFalse(fds.contains(Integer.toString(leaky.fd())));
    }
  }

  @Test
  void unmappedStdioIsClosedInTheChild() throws Exception {
    Object[] r =
        run(
            new String[] {
              "/bin/sh", "-c", "if [ -e /proc/$$/fd/0 ]; then echo open; else echo closed; fi"
            });
    assertEquals("closed\n", r[0]);
  }

  @Test
  void overlappingMapsDoNotClobberEachOther() throws Exception {
    // Place two pipes' write ends at 200 and 201, then swap them in the child: 200 <- 201 and 201
    // <- 200.
    Fd[] a = Linux.pipe2(0);
    Fd[] b = Linux.pipe2(0);
    try (Fd ar = a[0];
        Fd br = b[0];
        Fd aw = a[1];
        Fd bw = b[1]) {
      assertEquals(
          LinuxConstants.EBADF,
          assertThrows(
                  ErrnoException.class, () -> Linux.fcntl(new Fd(200), LinuxConstants.F_GETFD, 0))
              .errno(),
          "fd 200 must be free for this test");
      Linux.dup3(aw.fd(), 200, LinuxConstants.O_CLOEXEC);
      Linux.dup3(bw.fd(), 201, LinuxConstants.O_CLOEXEC);
      int pid;
      try (Fd at200 = new Fd(200);
          Fd at201 = new Fd(201)) {
        pid =
            Linux.spawn(
                "/bin/bash",
                new String[] {"bash", "-c", "echo to200 >&200; echo to201 >&201"},
                ENV,
                new int[] {200, 201, 201, 200},
                false);
      }
      aw.close();
      bw.close();
      assertEquals(
          "to201\n",
          new String(Linux.readAll(ar), StandardCharsets.US_ASCII),
          "a's write end was 200");
      assertEquals(
          "to200\n",
          new String(Linux.readAll(br), StandardCharsets.US_ASCII),
          "b's write end was 201");
      assertEquals(0, Linux.wait4(pid, 0).exitCode());
    }
  }

  @Test
  void childStartsWithNoSignalBlockedOrIgnored() throws Exception {
    Object[] r = run(new String[] {"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
    assertEquals("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", r[0]);
  }

  @Test
  void setsidMakesASessionLeader() throws Exception {
    Fd[] out = Linux.pipe2(0);
    int pid;
    try (Fd w = out[1]) {
      pid =
          Linux.spawn(
              "/bin/cat",
              new String[] {"cat", "/proc/self/stat"},
              ENV,
              new int[] {1, w.fd()},
              true);
    }
    String stat;
    try (Fd r = out[0]) {
      stat = new String(Linux.readAll(r), StandardCharsets.US_ASCII);
    }
    Linux.wait4(pid, 0);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    assertEquals(
        Integer.toString(pid), f[3], "session id (field 6) is the child's own pid: " + stat);
  }

  @Test
  void environmentIsExactlyTheOneGiven() throws Exception {
    Fd[] out = Linux.pipe2(0);
    int pid;
    try (Fd w = out[1]) {
      pid =
          Linux.spawn(
              "/usr/bin/env",
              new String[] {"env"},
              new String[] {"A=1", "B=é"},
              new int[] {1, w.fd()},
              false);
    }
    try (Fd r = out[0]) {
      assertEquals("A=1\nB=é\n", new String(Linux.readAll(r), StandardCharsets.UTF_8));
    }
    Linux.wait4(pid, 0);
  }

  @Test
  void missingProgramIsAnErrorWithThePath() {
    ErrnoException e =
        assertThrows(
            ErrnoException.class,
            () -> Linux.spawn("/nonexistent/prog", new String[] {"prog"}, ENV, new int[0], false));
    assertEquals(LinuxConstants.ENOENT, e.errno());
    assertEquals(
        "posix_spawn /nonexistent/prog: no such file or directory (ENOENT)", e.getMessage());
  }

  @Test
  void badMapIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Linux.spawn("/bin/true", new String[] {"true"}, ENV, new int[] {1}, false));
    ErrnoException e =
        assertThrows(
            ErrnoException.class,
            () ->
                Linux.spawn(
                    "/bin/true", new String[] {"true"}, ENV, new int[] {3, 100_000}, false));
    assertEquals(LinuxConstants.EBADF, e.errno());
  }

  @Test
  void exitCodesAndSignals() throws Exception {
    WaitStatus st = (WaitStatus) run(new String[] {"/bin/sh", "-c", "exit 7"})[1];
    assertTrue(st.exited());
    assertFalse(st.signaled());
    assertEquals(7, st.exitCode());
    assertEquals(7, st.shellExitCode());

    st = (WaitStatus) run(new String[] {"/bin/sh", "-c", "kill -TERM $$"})[1];
    assertFalse(st.exited());
    assertTrue(st.signaled());
    assertEquals(LinuxConstants.SIGTERM, st.termSig());
    assertEquals(143, st.shellExitCode());
  }

  @Test
  void waitNoHangAndNoChild() throws Exception {
    int pid = Linux.spawn("/bin/sleep", new String[] {"sleep", "30"}, ENV, new int[0], false);
    try {
      assertEquals(0, Linux.wait4(pid, LinuxConstants.WNOHANG).pid(), "still running");
    } finally {
      Linux.kill(pid, LinuxConstants.SIGKILL);
    }
    assertEquals(LinuxConstants.SIGKILL, Linux.wait4(pid, 0).termSig());
    ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.wait4(pid, 0));
    assertEquals(LinuxConstants.ECHILD, e.errno());
    assertEquals("wait4 pid " + pid + ": no child process to wait for (ECHILD)", e.getMessage());
  }

  @Test
  void pidfdKillsAndThenReportsTheProcessGone() throws Exception {
    int pid = Linux.spawn("/bin/sleep", new String[] {"sleep", "30"}, ENV, new int[0], false);
    try (Fd pidfd = Linux.pidfdOpen(pid, 0)) {
      Linux.pidfdSendSignal(pidfd, LinuxConstants.SIGKILL);
      short[] rev = new short[1];
      // A pidfd polls readable once the process has exited.
      assertEquals(
          1, Linux.poll(new Fd[] {pidfd}, new short[] {LinuxConstants.POLLIN}, rev, 10_000));
      WaitStatus st = Linux.wait4(pid, 0);
      assertTrue(st.signaled());
      assertEquals(LinuxConstants.SIGKILL, st.termSig());
      assertEquals(137, st.shellExitCode());
      ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.pidfdSendSignal(pidfd, 0));
      assertEquals(LinuxConstants.ESRCH, e.errno());
    }
  }

  @Test
  void killOfMissingProcessNamesPidAndSignal() {
    // pid_max is at most 2^22, so this pid cannot exist.
    ErrnoException e =
        assertThrows(ErrnoException.class, () -> Linux.kill(1 << 23, LinuxConstants.SIGTERM));
    assertEquals(LinuxConstants.ESRCH, e.errno());
    assertEquals("kill pid 8388608 with SIGTERM: no such process (ESRCH)", e.getMessage());
  }
}
