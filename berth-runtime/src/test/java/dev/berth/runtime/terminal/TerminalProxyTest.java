package dev.berth.runtime.terminal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.ContainerTest;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.ExecOptions;
import dev.berth.runtime.Fixture;
import dev.berth.spec.runtime.ConsoleSize;
import dev.berth.spec.runtime.Process;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.testkit.Bundle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A process's pty handed to a {@link PtyHandler} instead of a console socket, proxied by {@link
 * TerminalProxy} to pipes (the "stdin is not a terminal" case: bytes are copied, nothing is made
 * raw). The CLI's tests cover the proxy under a real terminal.
 */
@ContainerTest(id = "t", out = false)
// A process that never sees the input it waits for would hang in wait4: fail instead (tearDown then
// kills it).
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TerminalProxyTest {
  @Fixture Path tmp;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;
  Fd[] in;
  Fd[] out;

  @BeforeEach
  void setUp() throws Exception {
    in = Linux.pipe2(0);
    out = Linux.pipe2(0);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Fd fd : List.of(in[0], in[1], out[0], out[1])) fd.close();
  }

  /** Everything the proxy wrote, once it is closed. */
  private String output(TerminalProxy proxy) throws Exception {
    proxy.close();
    out[1].close();
    return new String(Linux.readAll(out[0]), StandardCharsets.UTF_8);
  }

  @Test
  void runProxiesThePtyAndReturnsTheExitStatus() throws Exception {
    bundle.process().put("terminal", true);
    bundle.process().put("consoleSize", Bundle.map("height", 33, "width", 111));
    bundle.sh("tty; stty size; echo done; exit 7").write();
    TerminalProxy proxy = new TerminalProxy(in[0], out[1]);
    assertFalse(proxy.inputIsTerminal());
    int code = rt.run(id, CreateOptions.of(bundle.dir()).withPty(proxy), false, false, null);
    String text = output(proxy);
    assertEquals(7, code, text);
    assertTrue(text.matches("(?s)/dev/pts/\\d+\r\n33 111\r\ndone\r\n"), text);
  }

  @Test
  void asRuncNewlinesReachAPipeUnchanged() throws Exception {
    // runc clears ONLCR on the pty of a foreground run: `runc run id | od -c` shows "\n" alone.
    bundle.process().put("terminal", true);
    bundle.sh("echo one; echo two").write();
    TerminalProxy proxy = new TerminalProxy(in[0], out[1], true);
    int code = rt.run(id, CreateOptions.of(bundle.dir()).withPty(proxy), false, false, null);
    String text = output(proxy);
    assertEquals(0, code, text);
    assertEquals("one\ntwo\n", text);
  }

  @Test
  void inputReachesTheProcess() throws Exception {
    bundle.process().put("terminal", true);
    bundle.args("sh").write();
    Linux.writeAll(in[1], "echo typed-$((2+3))\nexit 5\n".getBytes(StandardCharsets.UTF_8));
    in[1].close();
    TerminalProxy proxy = new TerminalProxy(in[0], out[1]);
    int code = rt.run(id, CreateOptions.of(bundle.dir()).withPty(proxy), false, false, null);
    String text = output(proxy);
    assertEquals(5, code, text);
    assertTrue(text.contains("\r\ntyped-5\r\n"), text);
  }

  @Test
  void execProxiesThePtyOfTheNewProcess() throws Exception {
    bundle.args("sleep", "60").write();
    rt.run(id, CreateOptions.of(bundle.dir()), true, false, null);
    Process base = rt.configuredProcess(id);
    Process p =
        new Process(
            true,
            new ConsoleSize(40, 90),
            base.user(),
            List.of("sh", "-c", "tty; stty size; exit 4"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "");
    TerminalProxy proxy = new TerminalProxy(in[0], out[1]);
    int code = rt.exec(id, new ExecOptions(p, null, null, 0, false, false).withPty(proxy), null);
    String text = output(proxy);
    assertEquals(4, code, text);
    assertTrue(text.matches("(?s)/dev/pts/\\d+\r\n40 90\r\n"), text);
  }

  @Test
  void aTerminalNeedsAConsoleSocketOrAPtyHandler() throws Exception {
    bundle.process().put("terminal", true);
    bundle.write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(e.getMessage().contains("console socket"), e.getMessage());
    e =
        assertThrows(
            ContainerException.class,
            () ->
                rt.create(
                    id,
                    new CreateOptions(
                            bundle.dir(), null, tmp.resolve("console.sock"), false, false, 0)
                        .withPty((m, s) -> m.close())));
    assertEquals("console socket and pty handler: give one, not both", e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void aProxyThatNeverGotAMasterClosesQuietly() throws Exception {
    TerminalProxy proxy = new TerminalProxy(in[0], out[1]);
    proxy.resize();
    assertEquals("", output(proxy));
  }
}
