package dev.berth.runtime.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ContainerTest;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.ExecOptions;
import dev.berth.runtime.Fixture;
import dev.berth.spec.runtime.Process;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Received;
import dev.berth.sys.SeccompNotification;
import dev.berth.testkit.Bundle;
import dev.berth.testkit.JsonDocument;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SCMP_ACT_NOTIFY end to end: the runtime hands the notify fd and the container process state to a
 * seccomp agent at listenerPath, and the agent's answers decide the container's syscalls.
 */
@ContainerTest(id = "sn")
class SeccompNotifyTest {
  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;
  Agent agent;

  @BeforeEach
  void setUp() {
    bundle.config().put("annotations", Bundle.map("org.example.team", "seccomp"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) agent.close();
  }

  private Path notifyMkdir(Path listener) {
    bundle
        .linux()
        .put(
            "seccomp",
            Bundle.map(
                "defaultAction",
                "SCMP_ACT_ALLOW",
                "listenerPath",
                listener.toString(),
                "listenerMetadata",
                "team=seccomp;tool=test",
                "syscalls",
                Bundle.list(
                    Bundle.map(
                        "names", Bundle.list("mkdir", "mkdirat"), "action", "SCMP_ACT_NOTIFY"))));
    return listener;
  }

  private int run(String script) throws Exception {
    bundle.sh("(" + script + ") >/out/probe 2>&1").write();
    return rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
  }

  private String probe() throws IOException {
    return Files.readString(out.resolve("probe"));
  }

  @Test
  void theAgentsErrnoIsWhatTheContainersSyscallReturns() throws Exception {
    agent = new Agent(notifyMkdir(tmp.resolve("agent.sock")), LinuxConstants.EPERM, 0);
    int code = run("mkdir /out/x; echo mkdir=$?; test -d /out/x && echo exists; echo done");
    String probe = probe();
    assertEquals(0, code, probe);
    assertTrue(probe.contains("Operation not permitted"), probe);
    assertTrue(probe.contains("mkdir=1\n"), probe);
    assertFalse(probe.contains("exists"), probe);
    assertFalse(Files.exists(out.resolve("x")), "the mkdir never ran");
    assertTrue(probe.contains("done\n"), "the other syscalls still run: " + probe);
    SeccompNotification n = agent.notifications.getFirst();
    assertTrue(
        n.nr() == Arch.X86_64.number("mkdir") || n.nr() == Arch.X86_64.number("mkdirat"),
        n.toString());
    assertTrue(n.pid() > 0, "the caller's pid in the agent's pid namespace: " + n);
  }

  @Test
  void continueLetsTheSyscallRun() throws Exception {
    agent =
        new Agent(
            notifyMkdir(tmp.resolve("agent.sock")),
            0,
            LinuxConstants.SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    int code = run("mkdir /out/x; echo mkdir=$?; test -d /out/x && echo exists");
    String probe = probe();
    assertEquals(0, code, probe);
    assertTrue(probe.contains("mkdir=0\nexists\n"), probe);
    assertTrue(Files.isDirectory(out.resolve("x")));
    assertFalse(agent.notifications.isEmpty(), "the syscall went through the agent");
  }

  @Test
  void theAgentGetsTheContainerProcessStateWithTheFd() throws Exception {
    agent = new Agent(notifyMkdir(tmp.resolve("agent.sock")), LinuxConstants.EPERM, 0);
    bundle.sh("exec sleep 60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    Agent.Handoff h = agent.handoffs.poll(10, TimeUnit.SECONDS);
    assertNotNull(h, "the agent got a connection");
    assertEquals(1, h.fds(), "one fd, the notify fd");
    @SuppressWarnings("unchecked")
    Map<String, Object> doc = (Map<String, Object>) JsonDocument.parse(h.json());
    int pid = rt.state(id).pid();
    assertEquals(ContainerRuntime.OCI_VERSION, doc.get("ociVersion"));
    assertEquals(List.of("seccompFd"), doc.get("fds"));
    assertEquals((long) pid, doc.get("pid"));
    assertEquals("team=seccomp;tool=test", doc.get("metadata"));
    @SuppressWarnings("unchecked")
    Map<String, Object> state = (Map<String, Object>) doc.get("state");
    assertEquals(ContainerRuntime.OCI_VERSION, state.get("ociVersion"));
    assertEquals(id, state.get("id"));
    assertEquals("creating", state.get("status"));
    assertEquals((long) pid, state.get("pid"));
    assertEquals(bundle.dir().toAbsolutePath().normalize().toString(), state.get("bundle"));
    assertEquals(Map.of("org.example.team", "seccomp"), state.get("annotations"));
  }

  @Test
  void execHandsItsOwnFdWithTheRunningContainersState() throws Exception {
    agent = new Agent(notifyMkdir(tmp.resolve("agent.sock")), LinuxConstants.EPERM, 0);
    bundle.sh("exec sleep 60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    assertNotNull(agent.handoffs.poll(10, TimeUnit.SECONDS), "create's handoff");
    int initPid = rt.state(id).pid();

    Process base = rt.configuredProcess(id);
    Process p =
        new Process(
            false,
            null,
            base.user(),
            List.of("sh", "-c", "mkdir /out/y 2>/out/exec; echo mkdir=$? >>/out/exec"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "");
    int[] execPid = new int[1];
    int code = rt.exec(id, new ExecOptions(p, null, null, 0, false, false), x -> execPid[0] = x);
    assertEquals(0, code);
    String seen = Files.readString(out.resolve("exec"));
    assertTrue(seen.contains("Operation not permitted") && seen.contains("mkdir=1\n"), seen);

    Agent.Handoff h = agent.handoffs.poll(10, TimeUnit.SECONDS);
    assertNotNull(h, "exec's handoff");
    @SuppressWarnings("unchecked")
    Map<String, Object> doc = (Map<String, Object>) JsonDocument.parse(h.json());
    @SuppressWarnings("unchecked")
    Map<String, Object> state = (Map<String, Object>) doc.get("state");
    assertEquals((long) execPid[0], doc.get("pid"), "the process that loaded the filter");
    assertNotEquals(initPid, execPid[0]);
    assertEquals("running", state.get("status"));
    assertEquals((long) initPid, state.get("pid"));
  }

  @Test
  void noListenerAtThePathFailsCreateAndLeavesNothingBehind() throws Exception {
    notifyMkdir(tmp.resolve("nobody.sock"));
    bundle.sh("true").write();
    long children = ProcessHandle.current().children().count();
    var e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    // runc's words, which callers grep for.
    assertTrue(
        e.getMessage()
            .startsWith("linux.seccomp.listenerPath: failed to connect with seccomp agent"),
        e.getMessage());
    assertTrue(e.getMessage().contains(tmp.resolve("nobody.sock").toString()), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)), "state dir of a failed create");
    assertTrue(rt.list().isEmpty());
    assertEquals(
        children,
        ProcessHandle.current().children().count(),
        "the container init was killed and reaped");
  }

  /**
   * A seccomp agent: accepts handoffs on a unix socket and answers every notification with one
   * errno (0 and CONTINUE: let the syscall run), until the filter has no process left.
   */
  static final class Agent implements AutoCloseable {
    record Handoff(byte[] json, int fds) {}

    final BlockingQueue<Handoff> handoffs = new LinkedBlockingQueue<>();
    final List<SeccompNotification> notifications = new CopyOnWriteArrayList<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Fd sock;
    private final int errno;
    private final int flags;
    private final Thread acceptor;
    private volatile boolean closed;

    Agent(Path path, int errno, int flags) throws IOException {
      this.sock = Linux.listenUnix(path.toString(), LinuxConstants.SOCK_STREAM, 4);
      this.errno = errno;
      this.flags = flags;
      acceptor = Thread.ofPlatform().daemon().name("seccomp-agent").start(this::acceptLoop);
    }

    private void acceptLoop() {
      try {
        while (!closed) {
          if (!readable(sock)) continue;
          Fd conn = Linux.accept(sock, 0);
          Fd notifyFd = receive(conn);
          if (notifyFd != null)
            Thread.ofPlatform().daemon().name("seccomp-agent-fd").start(() -> serve(notifyFd));
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) failures.add(e);
      }
    }

    /** The state document to EOF and the fd that came with its first bytes. */
    private Fd receive(Fd conn) throws IOException {
      try (conn) {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        Received r = Linux.recvmsg(conn, buf, 1);
        while (r.bytes() > 0 && Linux.read(conn, buf) > 0) {
          // the rest of a long document
        }
        buf.flip();
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        while (buf.hasRemaining()) json.write(buf.get());
        handoffs.add(new Handoff(json.toByteArray(), r.fds().length));
        for (int i = 1; i < r.fds().length; i++) new Fd(r.fds()[i]).close();
        return r.fds().length == 0 ? null : new Fd(r.fds()[0]);
      }
    }

    private void serve(Fd notifyFd) {
      try (notifyFd) {
        while (!closed) {
          short[] rev = new short[1];
          Linux.poll(new Fd[] {notifyFd}, new short[] {LinuxConstants.POLLIN}, rev, 200);
          if ((rev[0] & LinuxConstants.POLLIN) != 0) {
            SeccompNotification n;
            try {
              n = Linux.seccompNotifyReceive(notifyFd);
            } catch (ErrnoException e) {
              if (e.errno() == LinuxConstants.ENOENT) continue; // the caller died meanwhile
              throw e;
            }
            notifications.add(n);
            Linux.seccompNotifySend(notifyFd, n.id(), errno, 0, flags);
          } else if ((rev[0] & LinuxConstants.POLLHUP) != 0) {
            return; // every process of the filter has exited
          }
        }
      } catch (IOException | RuntimeException e) {
        if (!closed) failures.add(e);
      }
    }

    private boolean readable(Fd fd) throws ErrnoException {
      short[] rev = new short[1];
      return Linux.poll(new Fd[] {fd}, new short[] {LinuxConstants.POLLIN}, rev, 200) > 0;
    }

    @Override
    public void close() throws InterruptedException {
      closed = true;
      acceptor.join(2000);
      sock.close();
      assertTrue(failures.isEmpty(), "agent failures: " + failures);
    }
  }
}
