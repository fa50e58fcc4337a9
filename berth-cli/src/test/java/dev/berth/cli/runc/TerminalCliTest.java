package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Foreground {@code run} and {@code exec -t} of a process with a terminal and no {@code
 * --console-socket}, as a user types them: berth-runc runs inside a real pty (python3's pty module)
 * of 33 rows and 111 columns, proxies the container's pty to it, and leaves the caller's terminal
 * settings as they were.
 */
@RequiresRoot
@RequiresCommand("python3")
class TerminalCliTest {
  /**
   * Runs {@code sh -c argv[1]} in a new pty of 33x111, answering each expected text (argv[2], 4,
   * ...) with the input after it (argv[3], 5, ...; backslash escapes allowed); prints everything
   * the pty showed and exits with the command's status.
   */
  private static final String DRIVER =
      """
      import os, pty, sys, fcntl, termios, struct, time, select
      steps = [s.encode().decode('unicode_escape').encode() for s in sys.argv[2:]]
      pid, fd = pty.fork()
      if pid == 0:
          fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 111, 0, 0))
          os.execvp('sh', ['sh', '-c', sys.argv[1]])
      out, i, deadline = b'', 0, time.time() + 40
      while time.time() < deadline:
          if i + 1 < len(steps) and steps[i] in out:
              os.write(fd, steps[i + 1])
              i += 2
          r, _, _ = select.select([fd], [], [], 0.1)
          if r:
              try:
                  b = os.read(fd, 4096)
              except OSError:
                  break
              if not b:
                  break
              out += b
      else:
          os.kill(pid, 9)
      _, st = os.waitpid(pid, 0)
      sys.stdout.write(out.decode('utf-8', 'replace'))
      sys.exit(os.waitstatus_to_exitcode(st))
      """;

  @TempDir Path tmp;
  String berth;
  Path root;
  Path driver;
  Bundle bundle;
  String id;

  @BeforeEach
  void setUp() throws Exception {
    // berth.runc.launcher: a launcher other than the repository's bin/berth-runc (e.g. a copy of a
    // fresh build).
    berth = System.getProperty("berth.runc.launcher", "");
    if (berth.isEmpty()) berth = BerthRunc.launcher().toString();
    root = tmp.resolve("state");
    bundle = Bundle.busybox(tmp.resolve("bundle"));
    bundle.process().put("terminal", true);
    driver = Files.writeString(tmp.resolve("driver.py"), DRIVER);
    id = "tty" + ProcessHandle.current().pid();
  }

  @AfterEach
  void tearDown() {
    BerthRunc.run(berth, bundle.dir(), "--root", root.toString(), "delete", "--force", id);
  }

  /** {@code berth-runc --root <root> <args>} as a shell command line. */
  private String berthCommand(String args) {
    return "'" + berth + "' --root '" + root + "' " + args;
  }

  /** Runs {@code script} in a 33x111 pty with the expect/send {@code steps}. */
  private Exec.Result inPty(String script, String... steps) {
    List<String> cmd = new ArrayList<>(List.of("python3", driver.toString(), script));
    cmd.addAll(List.of(steps));
    return Exec.run(cmd, bundle.dir(), Map.of(), null, 60);
  }

  /** The outer terminal's settings before and after {@code command}, which must be the same. */
  private Exec.Result keepingTerminalSettings(String command, String... steps) throws Exception {
    Path before = tmp.resolve("stty.before");
    Path after = tmp.resolve("stty.after");
    Exec.Result r =
        inPty(
            "stty -g >" + before + "; " + command + "; code=$?; stty -g >" + after + "; exit $code",
            steps);
    assertEquals(
        Files.readString(before),
        Files.readString(after),
        "the caller's terminal settings after " + command);
    return r;
  }

  @Test
  void runProxiesThePtyWithTheCallersSizeAndReturnsTheStatus() throws Exception {
    bundle.sh("tty; stty size; echo done; exit 7").write();
    Exec.Result r = keepingTerminalSettings(berthCommand("run " + id));
    assertEquals(7, r.exitCode(), r.toString());
    assertTrue(r.stdout().matches("(?s)/dev/pts/\\d+\r\n33 111\r\ndone\r\n"), r.stdout());
  }

  @Test
  void typingReachesTheContainersShell() throws Exception {
    bundle.args("sh").write();
    Exec.Result r =
        keepingTerminalSettings(
            berthCommand("run " + id),
            "# ",
            "echo typed-$((2+3))\\n",
            "\r\ntyped-5\r\n",
            "exit 5\\n");
    assertEquals(5, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("\r\ntyped-5\r\n"), r.stdout());
  }

  /** A container without a terminal that sleeps, run detached, for exec -t to enter. */
  private void runDetachedSleep() {
    bundle.process().put("terminal", false);
    bundle.args("sleep", "60").write();
    // The detached container keeps the stdio it was given: not the pipes Exec reads to their end.
    Exec.Result d =
        Exec.run(
            "sh",
            "-c",
            berthCommand("run -d --bundle " + bundle.dir() + " " + id)
                + " </dev/null >/dev/null 2>&1");
    assertEquals(0, d.exitCode(), d.toString());
  }

  @Test
  void execTProxiesThePtyOfTheNewProcess() throws Exception {
    runDetachedSleep();
    Exec.Result r =
        keepingTerminalSettings(berthCommand("exec -t " + id + " sh -c 'tty; stty size; exit 3'"));
    assertEquals(3, r.exitCode(), r.toString());
    assertTrue(r.stdout().matches("(?s)/dev/pts/\\d+\r\n33 111\r\n"), r.stdout());
    r =
        keepingTerminalSettings(
            berthCommand("exec -t " + id + " sh"),
            "# ",
            "echo typed-$((2+3))\\n",
            "\r\ntyped-5\r\n",
            "exit 6\\n");
    assertEquals(6, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("\r\ntyped-5\r\n"), r.stdout());
  }

  @Test
  @RequiresCommand("runc")
  void theConsoleIsDevConsoleTooAndBelongsToTheUserAsUnderRunc() throws Exception {
    // runc bind-mounts the pty on /dev/console and gives stdio to process.user (its group kept).
    bundle.process().put("user", Bundle.map("uid", 1000, "gid", 1000));
    bundle.sh("stat -c '%n %u %g %a %t' /dev/console $(tty); ls /dev | tr -s ' \\n' ' '").write();
    Exec.Result runc = inPty("runc --root '" + tmp.resolve("runc-state") + "' run " + id);
    Exec.Result ours = inPty(berthCommand("run " + id));
    assertEquals(0, runc.exitCode(), runc.toString());
    assertTrue(runc.stdout().startsWith("/dev/console 1000 5 620 88\r\n"), runc.stdout());
    assertEquals(
        runc.stdout().replaceAll("/dev/pts/\\d+", "/dev/pts/N"),
        ours.stdout().replaceAll("/dev/pts/\\d+", "/dev/pts/N"));
    assertEquals(runc.exitCode(), ours.exitCode());
  }

  @Test
  @RequiresCommand("runc")
  void outputToAPipeHasNewlinesAsUnderRunc() throws Exception {
    // A foreground run and exec -t from a terminal, their output piped: runc turns off the pty's
    // ONLCR, so "\n" reaches the pipe alone (scripts compare lines), and keeps output processing
    // on the caller's terminal, which still shows CR-NL.
    bundle.sh("echo one; echo two").write();
    String runcRoot = tmp.resolve("runc-state").toString();
    for (String verb : List.of("run", "run-shown")) {
      String pipe = verb.equals("run") ? " | od -An -c" : "";
      Exec.Result runc = inPty("runc --root '" + runcRoot + "' run " + id + pipe);
      Exec.Result ours = inPty(berthCommand("run " + id) + pipe);
      assertEquals(0, runc.exitCode(), runc.toString());
      assertEquals(runc.stdout(), ours.stdout(), verb);
      assertEquals(runc.exitCode(), ours.exitCode(), verb);
      if (!pipe.isEmpty()) assertFalse(ours.stdout().contains("\\r"), ours.stdout());
    }
    runDetachedSleep();
    Exec.Result r =
        inPty(berthCommand("exec -t " + id + " sh -c 'echo one; echo two' | od -An -c"));
    assertEquals(0, r.exitCode(), r.toString());
    assertFalse(r.stdout().contains("\\r"), r.stdout());
  }

  @Test
  void aConsoleThatIsASymlinkIsRefused() throws Exception {
    // CVE-2025-52565's class: the bind of the pty onto /dev/console must not follow a link to a
    // host-sensitive file.
    Path dev = Files.createDirectories(tmp.resolve("dev"));
    Files.createSymbolicLink(dev.resolve("console"), Path.of("/proc/sys/kernel/core_pattern"));
    Files.createSymbolicLink(dev.resolve("ptmx"), Path.of("pts/ptmx"));
    assertEquals(
        0,
        Exec.run("mknod", "-m", "666", dev.resolve("null").toString(), "c", "1", "3").exitCode());
    bundle.mounts().removeIf(m -> "/dev".equals(((Map<?, ?>) m).get("destination")));
    bundle
        .mounts()
        .add(
            0,
            Bundle.map(
                "destination",
                "/dev",
                "type",
                "bind",
                "source",
                dev.toString(),
                "options",
                Bundle.list("rbind")));
    bundle.sh("echo ran").write();
    String before = Files.readString(Path.of("/proc/sys/kernel/core_pattern"));
    Exec.Result r = inPty(berthCommand("run " + id));
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.stdout().contains("/dev/console: not a regular file or a device"), r.stdout());
    assertFalse(r.stdout().contains("ran"), r.stdout());
    assertEquals(before, Files.readString(Path.of("/proc/sys/kernel/core_pattern")));
  }

  @Test
  void detachWithATerminalStillNeedsAConsoleSocket() {
    bundle.write();
    Exec.Result r = BerthRunc.run(berth, bundle.dir(), "--root", root.toString(), "run", "-d", id);
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(
        r.stderr()
            .contains("cannot allocate tty if runc will detach without setting console socket"),
        r.stderr());
  }
}
