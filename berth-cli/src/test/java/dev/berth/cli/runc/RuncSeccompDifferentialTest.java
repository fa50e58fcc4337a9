package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The same bundle under runc and berth-runc with default-deny seccomp profiles: both must show the
 * same outcome (exit status and output, or both refuse). A runtime's own syscalls after it loads
 * the filter count against the profile, so berth-runc must run with every profile runc runs with.
 */
@RequiresRoot
@RequiresCommand("runc")
class RuncSeccompDifferentialTest {
  @TempDir Path tmp;

  static final String WORKLOAD = "id; echo ok > /tmp/x; cat /tmp/x";

  /**
   * What busybox makes for {@link #WORKLOAD} (strace -f), and what runc 1.1.5's init makes after it
   * loads the filter with no_new_privs (close, openat and write on the exec fifo, getpid, fstatfs
   * and getdents64 on /proc/self/fd, execve) with the Go runtime's own (futex, signals for
   * preemption, sleeps, memory). Found with strace -f; runc runs busybox with it.
   */
  static final List<String> STRICT =
      List.of(
              "arch_prctl brk clone close dup2 epoll_ctl epoll_pwait execve exit_group fcntl fstatfs"
                  + " futex getcwd getdents64 getegid geteuid getgid getgroups getpid getppid"
                  + " getrandom gettid getuid madvise mmap mprotect munmap nanosleep newfstatat"
                  + " openat prctl prlimit64 readlink rseq rt_sigaction rt_sigprocmask rt_sigreturn"
                  + " sched_yield sendfile set_robust_list set_tid_address sigaltstack tgkill uname"
                  + " wait4 write")
          .stream()
          .flatMap(s -> List.of(s.split(" ")).stream())
          .toList();

  /**
   * Without no_new_privs runc loads the filter before it drops capabilities and changes ids, so far
   * more of its own work runs filtered: everything strace -f saw runc run (and setres*id).
   */
  static final List<String> GENEROUS =
      List.of(
              "access arch_prctl bind brk capget capset chdir clone clone3 close copy_file_range dup2"
                  + " dup3 epoll_create1 epoll_ctl epoll_pwait execve execveat exit_group faccessat2"
                  + " fchdir fchmodat fchown fchownat fcntl fstat fstatfs futex getcwd getdents64"
                  + " getegid geteuid getgid getgroups getpid getppid getrandom getrlimit"
                  + " getsockname gettid getuid keyctl kill lseek madvise mknodat mmap mount"
                  + " mprotect munmap nanosleep newfstatat openat openat2 pipe2 pivot_root prctl"
                  + " pread64 prlimit64 read readlink readlinkat recvfrom renameat rseq"
                  + " rt_sigaction rt_sigprocmask rt_sigreturn sched_getaffinity sched_yield"
                  + " seccomp sendfile sendto set_robust_list set_tid_address setgid setgroups"
                  + " sethostname setsid setsockopt setuid setresuid setresgid shutdown sigaltstack"
                  + " socket socketpair statfs symlinkat tgkill umask umount2 uname unlink unlinkat"
                  + " unshare wait4 waitid write sendmsg recvmsg poll ppoll")
          .stream()
          .flatMap(s -> List.of(s.split(" ")).stream())
          .toList();

  /** What a run showed: the runtime's exit status (the container's, or 1 when it refused). */
  record Outcome(int exit, String stdout) {}

  static Map<String, Object> profile(String action, List<String> allowed, Object... extraRules) {
    List<Object> rules =
        Bundle.list(Bundle.map("names", list(allowed), "action", "SCMP_ACT_ALLOW"));
    for (Object r : extraRules) rules.add(r);
    return Bundle.map(
        "defaultAction",
        action,
        "architectures",
        Bundle.list("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
        "syscalls",
        rules);
  }

  static List<Object> list(List<String> names) {
    return new ArrayList<>(names);
  }

  static List<String> without(List<String> names, String... drop) {
    List<String> out = new ArrayList<>(names);
    out.removeAll(List.of(drop));
    return out;
  }

  static Map<String, Object> denyMkdir(int errno) {
    return Bundle.map(
        "names", Bundle.list("mkdir", "mkdirat"), "action", "SCMP_ACT_ERRNO", "errnoRet", errno);
  }

  private int runs;

  /** Runs the bundle {@code edit} makes under {@code runtime}; stdio in files, so nothing hangs. */
  private Outcome run(String runtime, String script, Consumer<Bundle> edit) throws Exception {
    return run(runtime, script, edit, 30);
  }

  private Outcome run(String runtime, String script, Consumer<Bundle> edit, int timeout)
      throws Exception {
    Path dir = tmp.resolve("r" + runs++);
    Bundle bundle = Bundle.busybox(dir.resolve("bundle")).sh(script);
    bundle.config().put("root", Bundle.map("path", "rootfs", "readonly", false));
    edit.accept(bundle);
    bundle.write();
    Files.createDirectories(dir.resolve("bundle/rootfs/tmp"));
    String state = dir.resolve("state").toString();
    Proc r = proc(dir, timeout, runtime, "--root", state, "run", "sc" + runs);
    // A run that hung (a profile that starves the runtime) leaves its container: take it down.
    if (r.exit == -1) proc(dir, runtime, "--root", state, "delete", "-f", "sc" + runs);
    return new Outcome(r.exit, r.out);
  }

  record Proc(int exit, String out, String err) {}

  private static Proc proc(Path dir, String... cmd) throws IOException, InterruptedException {
    return proc(dir, 30, cmd);
  }

  /** Runs {@code cmd} in dir/bundle; after {@code timeout} s kills it (exit -1, as a failure). */
  private static Proc proc(Path dir, int timeout, String... cmd)
      throws IOException, InterruptedException {
    File out = dir.resolve("out-" + System.nanoTime()).toFile();
    File err = dir.resolve("err-" + System.nanoTime()).toFile();
    Files.createDirectories(dir);
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.resolve("bundle").toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out)
            .redirectError(err)
            .start();
    if (!p.waitFor(timeout, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return new Proc(-1, "", "timed out");
    }
    return new Proc(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
  }

  /** Asserts both runtimes show the same outcome; returns runc's. */
  private Outcome same(String script, Consumer<Bundle> edit) throws Exception {
    Outcome runc = run("runc", script, edit);
    Outcome berth = run(BerthRunc.launcher().toString(), script, edit);
    assertEquals(runc, berth, "runc, then berth-runc, for: " + script);
    return runc;
  }

  @ParameterizedTest(name = "{0} noNewPrivileges={1}")
  @CsvSource({
    "SCMP_ACT_ERRNO, true",
    "SCMP_ACT_ERRNO, false",
    "SCMP_ACT_KILL_PROCESS, true",
    "SCMP_ACT_KILL_PROCESS, false",
    "SCMP_ACT_TRAP, true",
    "SCMP_ACT_TRAP, false"
  })
  void aDefaultDenyProfileRunsTheWorkloadAsUnderRunc(String action, boolean nnp) throws Exception {
    List<String> allowed = nnp ? STRICT : GENEROUS;
    Outcome o =
        same(
            WORKLOAD + "; mkdir /tmp/d; echo mkdir=$?",
            b -> {
              b.process().put("noNewPrivileges", nnp);
              b.linux().put("seccomp", profile(action, allowed, denyMkdir(1)));
            });
    // runc ran it (id is refused /etc/passwd, or killed for reading it) and mkdir got EPERM.
    assertEquals(0, o.exit(), o.toString());
    assertTrue(o.stdout().endsWith("ok\nmkdir=1\n"), o.toString());
  }

  /**
   * runc's own needs after the filter, found by dropping each syscall of {@link #STRICT}: wherever
   * runc still runs the workload, berth-runc must too (it may need fewer, never more).
   */
  @Test
  void berthRuncNeedsNoSyscallAfterTheFilterThatRuncDoesNot() throws Exception {
    List<String> missing = new ArrayList<>();
    String berth = BerthRunc.launcher().toString();
    for (String s : STRICT) {
      Consumer<Bundle> edit =
          b -> b.linux().put("seccomp", profile("SCMP_ACT_ERRNO", without(STRICT, s)));
      Outcome runc = run("runc", WORKLOAD, edit, 5);
      if (runc.exit() != 0) continue;
      // Exit status only: without wait4 the shell may exit before id prints, under either.
      Outcome o = run(berth, WORKLOAD, edit);
      if (o.exit() != 0 || !o.stdout().endsWith("ok\n")) missing.add(s + " " + o);
    }
    assertEquals(List.of(), missing, "runc runs without these, berth-runc does not");
  }

  @ParameterizedTest(name = "noNewPrivileges={0}")
  @CsvSource({"true", "false"})
  void inAUserNamespaceWithFewerCapabilities(boolean nnp) throws Exception {
    same(
        WORKLOAD + "; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status",
        b -> {
          b.process().put("noNewPrivileges", nnp);
          List<Object> caps = Bundle.list("CAP_KILL");
          b.process()
              .put(
                  "capabilities",
                  Bundle.map("bounding", caps, "effective", caps, "permitted", caps));
          b.namespace("user", null);
          Map<String, Object> m = Bundle.map("containerID", 0, "hostID", 0, "size", 65536);
          b.linux().put("uidMappings", Bundle.list(m));
          b.linux().put("gidMappings", Bundle.list(Map.copyOf(m)));
          b.linux()
              .put(
                  "seccomp",
                  profile(
                      "SCMP_ACT_ERRNO",
                      nnp ? with(STRICT, "grep", "read") : with(GENEROUS, "grep")));
        });
  }

  static List<String> with(List<String> names, String... more) {
    List<String> out = new ArrayList<>(names);
    for (String m : more) if (!out.contains(m)) out.add(m);
    return out;
  }

  /** Argument conditions (EQ on socket's domain, MASKED_EQ on mkdir's mode) decide alike. */
  @Test
  void argumentConditionsDecideAlike() throws Exception {
    Map<String, Object> inet =
        Bundle.map(
            "names",
            Bundle.list("socket"),
            "action",
            "SCMP_ACT_ERRNO",
            "errnoRet",
            13,
            "args",
            Bundle.list(Bundle.map("index", 0, "value", 2, "op", "SCMP_CMP_EQ")));
    Map<String, Object> privateDirs =
        Bundle.map(
            "names",
            Bundle.list("mkdir", "mkdirat"),
            "action",
            "SCMP_ACT_ERRNO",
            "errnoRet",
            1,
            "args",
            Bundle.list(
                Bundle.map("index", 1, "value", 077, "valueTwo", 0, "op", "SCMP_CMP_MASKED_EQ")));
    Outcome o =
        same(
            "nc -w 1 127.0.0.1 9 </dev/null 2>&1 | head -c 60; echo;"
                + " mkdir -m 700 /tmp/a; echo a=$?; mkdir -m 755 /tmp/b; echo b=$?",
            b ->
                b.linux()
                    .put(
                        "seccomp",
                        Bundle.map(
                            "defaultAction",
                            "SCMP_ACT_ALLOW",
                            "syscalls",
                            Bundle.list(inet, privateDirs))));
    assertTrue(o.stdout().contains("Permission denied"), o.toString());
  }

  /**
   * The one difference kept: runc 1.1.5 refuses linux.seccomp.flags ("not yet supported"), runc 1.2
   * and berth-runc load the filter with them.
   */
  @ParameterizedTest(name = "flags={0}")
  @CsvSource({"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"})
  void filterFlagsAreTakenWhereRunc115RefusesThem(String flag) throws Exception {
    Consumer<Bundle> edit =
        b -> {
          Map<String, Object> p = profile("SCMP_ACT_ERRNO", with(STRICT, "read"), denyMkdir(1));
          p.put("flags", Bundle.list(flag));
          b.linux().put("seccomp", p);
        };
    String script = "mkdir /tmp/d; echo mkdir=$?; grep Seccomp: /proc/self/status";
    assertEquals(1, run("runc", script, edit).exit());
    assertEquals(
        new Outcome(0, "mkdir=1\nSeccomp:\t2\n"),
        run(BerthRunc.launcher().toString(), script, edit));
  }

  /**
   * exec runs its process under the container's profile (a process.json has no profile of its own),
   * after the runtime's own work in the container: both runtimes alike.
   */
  @ParameterizedTest(name = "noNewPrivileges={0}")
  @CsvSource({"true", "false"})
  void execTakesTheContainersProfile(boolean nnp) throws Exception {
    List<String> allowed = with(nnp ? STRICT : GENEROUS, "clock_nanosleep", "pause");
    Consumer<Bundle> edit =
        b -> {
          b.process().put("noNewPrivileges", nnp);
          b.linux().put("seccomp", profile("SCMP_ACT_ERRNO", allowed, denyMkdir(1)));
        };
    String script =
        "id; mkdir /tmp/e; echo mkdir=$?; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status";
    String a = exec("runc", edit, script);
    String b = exec(BerthRunc.launcher().toString(), edit, script);
    assertEquals(a, b);
    assertTrue(a.contains("mkdir=1\n"), a);
  }

  /** create, start, exec, then kill and delete; returns exec's exit status and output. */
  private String exec(String runtime, Consumer<Bundle> edit, String script) throws Exception {
    Path dir = tmp.resolve("x" + runs++);
    Bundle bundle = Bundle.busybox(dir.resolve("bundle")).args("sleep", "30");
    bundle.config().put("root", Bundle.map("path", "rootfs", "readonly", false));
    edit.accept(bundle);
    bundle.write();
    String state = dir.resolve("state").toString();
    String id = "sx" + runs;
    try {
      assertEquals(0, proc(dir, runtime, "--root", state, "create", id).exit, runtime + " create");
      assertEquals(0, proc(dir, runtime, "--root", state, "start", id).exit, runtime + " start");
      Proc e = proc(dir, runtime, "--root", state, "exec", id, "sh", "-c", script);
      return e.exit + ":" + e.out;
    } finally {
      proc(dir, runtime, "--root", state, "delete", "-f", id);
    }
  }

  /**
   * createRuntime hooks run in the runtime, outside the filter; startContainer hooks run in the
   * container under it (runc 1.1.5 loads a no_new_privs filter before them too): a profile that
   * refuses the hook fails both alike, one that runc's hook runner gets by with runs both.
   */
  @ParameterizedTest(name = "strict={0}")
  @CsvSource({"true", "false"})
  void hooksUnderADefaultDenyProfile(boolean strict) throws Exception {
    Path log = tmp.resolve("hooks");
    Consumer<Bundle> edit =
        b -> {
          b.linux().put("seccomp", profile("SCMP_ACT_ERRNO", strict ? STRICT : GENEROUS));
          b.hook(
              "createRuntime", "/bin/sh", List.of("sh", "-c", "echo c >> " + log), List.of(), null);
          b.hook(
              "startContainer", "/bin/sh", List.of("sh", "-c", "echo s > /tmp/s"), List.of(), null);
        };
    Outcome runc = run("runc", "cat /tmp/s; echo done", edit);
    String runcLog = Files.exists(log) ? Files.readString(log) : "";
    Files.deleteIfExists(log);
    Outcome berth = run(BerthRunc.launcher().toString(), "cat /tmp/s; echo done", edit);
    String berthLog = Files.exists(log) ? Files.readString(log) : "";
    assertEquals(runc + runcLog, berth + berthLog);
    // Strict, the startContainer hook's shell is refused pipe2 (both fail: "error running hook");
    // else it runs in both, though berth-init's runner is refused pidfd_open and poll.
    assertEquals(strict ? new Outcome(1, "") : new Outcome(0, "s\ndone\n"), runc);
  }
}
