package dev.berth.cli.berthd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.docker.ServerLog;
import dev.berth.cli.flags.Invocation;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.Parser;
import dev.berth.cli.flags.TextOutput;
import dev.berth.cli.flags.UsageException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** berthd's command line: flags only, on the shared table parser, with dockerd's spellings. */
class BerthdFlagsTest {
  static BerthdMain.Options parse(String... args) throws Exception {
    Invocation inv = new Parser(BerthdMain.APP).parse(args);
    return BerthdMain.options(((ParsedCommand) inv).globals());
  }

  @Test
  void noFlagsServeTheDefaultSocketOnTheDefaultStore() throws Exception {
    BerthdMain.Options o = parse();
    assertEquals(Path.of("/var/lib/berth"), o.root());
    assertEquals(Path.of("/run/berth"), o.runRoot());
    assertEquals(Path.of("/run/berth/docker.sock"), o.socket());
    assertEquals(Path.of("/run/berth/cri.sock"), o.criSocket());
    assertNull(o.group());
    assertEquals(ServerLog.Level.INFO, o.level());
    // containerd's stream_server_address and port: loopback, any free port
    assertEquals(new java.net.InetSocketAddress("127.0.0.1", 0), o.streamAddress());
  }

  @Test
  void streamAddressAndConfigFile() throws Exception {
    BerthdMain.Options o =
        parse("--stream-address", "0.0.0.0:10010", "--config", "/etc/other/berth.json");
    assertEquals(new java.net.InetSocketAddress("0.0.0.0", 10010), o.streamAddress());
    assertEquals(Path.of("/etc/other/berth.json"), o.configFile());
    assertEquals(
        new java.net.InetSocketAddress("::1", 0),
        parse("--stream-address=[::1]:0").streamAddress());
    for (String bad : new String[] {"10010", "::1:0", "127.0.0.1:x", "127.0.0.1:70000"}) {
      assertTrue(
          assertThrows(IllegalArgumentException.class, () -> parse("--stream-address", bad))
              .getMessage()
              .startsWith("--stream-address: "),
          bad);
    }
  }

  @Test
  void flagsInBothFormsAndShortNames() throws Exception {
    BerthdMain.Options o =
        parse(
            "--root=/r",
            "--runroot",
            "/rr",
            "-H",
            "unix:///s.sock",
            "--cri=unix:///c.sock",
            "-G",
            "docker",
            "-l",
            "debug");
    assertEquals(Path.of("/r"), o.root());
    assertEquals(Path.of("/rr"), o.runRoot());
    assertEquals(Path.of("/s.sock"), o.socket());
    assertEquals(Path.of("/c.sock"), o.criSocket());
    assertEquals("docker", o.group());
    assertEquals(ServerLog.Level.DEBUG, o.level());
  }

  @Test
  void anEmptyCriSocketServesNoCri() throws Exception {
    assertNull(parse("--cri", "").criSocket());
    assertNull(parse("--cri=").criSocket());
  }

  @Test
  void badInputIsNamed() {
    assertTrue(
        assertThrows(UsageException.class, () -> parse("--nosuch"))
            .getMessage()
            .contains("nosuch"));
    assertTrue(
        assertThrows(UsageException.class, () -> parse("serve"))
            .getMessage()
            .contains("unexpected argument \"serve\""));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> parse("--host", "tcp://0.0.0.0:2375"))
            .getMessage()
            .contains("--host"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> parse("--cri", "/run/cri.sock"))
            .getMessage()
            .contains("--cri: only unix:///PATH"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> parse("--log-level", "loud"))
            .getMessage()
            .contains("loud"));
  }

  @Test
  void helpListsTheOptionsAndNoCommands() throws Exception {
    String help = ((TextOutput) new Parser(BerthdMain.APP).parse("--help")).text();
    assertTrue(help.contains("berthd [options]"), help);
    assertTrue(help.contains("--host"), help);
    assertTrue(help.contains("--cri"), help);
    assertFalse(help.contains("COMMANDS:"), help);
  }
}
